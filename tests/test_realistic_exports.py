"""The realistic exports in tests/data/exports: every finding's status, pinned.

Each file is a static ARM export (see tests/data/exports/README.md for what it models and why each
finding has its status). The expected statuses were written from reading the data and the check
modules, not copied from a run; the mutation tests (tests/mutations.py) take these files as the
"before" state, so a change here is a change in what the checks conclude from complete evidence.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from aksfw_tui.audit import audit
from aksfw_tui.checks.base import Finding
from aksfw_tui.sources.export import load_export

EXPORTS = Path(__file__).parent / "data" / "exports"

PASS, FAIL, UNKNOWN, NA = "pass", "fail", "unknown", "not_applicable"

# (check id, subject name) → status
CLASSIC_HUB_SPOKE: dict[tuple[str, str], str] = {
    # afw-hub-weu: Standard, classic rules, threat intelligence Alert, DNS proxy on.
    ("dns-proxy", "afw-hub-weu"): FAIL,  # vnet-spoke-catalog-prod has no dnsServers (Azure DNS)
    ("zone-spread", "afw-hub-weu"): PASS,  # zones 1,2,3; both public IPs zones 1,2,3
    ("snat-utilisation", "afw-hub-weu"): PASS,  # peak 46.2 %
    ("threat-intel", "afw-hub-weu"): FAIL,  # Alert
    ("firewall-sku", "afw-hub-weu"): FAIL,  # Standard
    ("firewall-diagnostics", "afw-hub-weu"): PASS,  # AZFW* rule logs to log-platform-weu
    # aks-payments-prod: UDR to the firewall, Azure CNI + azure NPM, authorized ranges.
    ("outbound-type", "aks-payments-prod"): PASS,  # the /32 → Internet is a firewall public IP
    ("fqdn-tag-rule", "aks-payments-prod"): PASS,
    ("tunnel-ports", "aks-payments-prod"): UNKNOWN,  # Deny UDP 1194 to public CIDRs may hold the API server
    ("zone-spread", "aks-payments-prod"): PASS,
    ("waf-in-front", "aks-payments-prod"): FAIL,  # public LB service + two DNAT rules, no WAF
    ("network-rule-bypass", "aks-payments-prod"): PASS,  # only a narrow 443 rule to the PSP's /24
    ("required-egress", "aks-payments-prod"): PASS,  # API via the FQDN tag, Azure Monitor via FQDNs
    ("asymmetric-routing", "aks-payments-prod"): PASS,  # DNAT to the LB's IP + /32 return route
    ("api-server-access", "aks-payments-prod"): FAIL,  # ranges omit the firewall's 2nd public IP
    ("network-policy", "aks-payments-prod"): PASS,
    # aks-catalog-prod: outboundType loadBalancer (but 0.0.0.0/0 → firewall), kubenet, no policy.
    ("outbound-type", "aks-catalog-prod"): FAIL,
    ("fqdn-tag-rule", "aks-catalog-prod"): PASS,  # bypassed by the TCP 443 → * rule, still allowed
    ("tunnel-ports", "aks-catalog-prod"): PASS,
    ("zone-spread", "aks-catalog-prod"): PASS,  # zones 1,2
    ("waf-in-front", "aks-catalog-prod"): NA,  # the public LB frontend has only an outbound rule
    ("network-rule-bypass", "aks-catalog-prod"): FAIL,  # catalog-temporary: TCP 443 → *
    ("required-egress", "aks-catalog-prod"): PASS,  # monitoring off; API via TCP 443 → *
    ("asymmetric-routing", "aks-catalog-prod"): NA,
    ("api-server-access", "aks-catalog-prod"): FAIL,  # public, no authorized ranges
    ("network-policy", "aks-catalog-prod"): FAIL,  # networkPolicy none
}

POLICY_LANDING_ZONES: dict[tuple[str, str], str] = {
    # afw-hub-weu: Premium, policy afwp-hub-weu (base afwp-alz-base: TI Deny, IDPS Alert, DNS proxy).
    ("dns-proxy", "afw-hub-weu"): PASS,  # inherited proxy; both routed VNets use 10.200.0.4
    ("zone-spread", "afw-hub-weu"): PASS,
    ("snat-utilisation", "afw-hub-weu"): FAIL,  # peak 87.5 %
    ("threat-intel", "afw-hub-weu"): PASS,  # child Alert, base Deny: the strictest applies
    ("firewall-sku", "afw-hub-weu"): FAIL,  # IDPS Alert (inherited)
    ("firewall-diagnostics", "afw-hub-weu"): UNKNOWN,  # the export holds no diagnostic settings
    # aks-claims-prod: private cluster, CNI overlay + Cilium, monitoring on.
    ("outbound-type", "aks-claims-prod"): PASS,
    ("fqdn-tag-rule", "aks-claims-prod"): PASS,
    ("tunnel-ports", "aks-claims-prod"): NA,  # private cluster
    ("zone-spread", "aks-claims-prod"): PASS,
    ("waf-in-front", "aks-claims-prod"): NA,  # internal LB only; the DNAT reaches the other spoke
    ("network-rule-bypass", "aks-claims-prod"): PASS,  # Storage.westeurope is not a broad tag
    ("required-egress", "aks-claims-prod"): PASS,  # Azure Monitor FQDNs in rcg-application
    ("asymmetric-routing", "aks-claims-prod"): NA,
    ("api-server-access", "aks-claims-prod"): PASS,  # private
    ("network-policy", "aks-claims-prod"): PASS,
    # aks-storefront-prod: public; snet-aks-user's default route goes to a legacy NVA IP in the hub.
    ("outbound-type", "aks-storefront-prod"): FAIL,
    ("fqdn-tag-rule", "aks-storefront-prod"): NA,  # not every node subnet egresses via a firewall
    ("tunnel-ports", "aks-storefront-prod"): NA,
    ("zone-spread", "aks-storefront-prod"): FAIL,  # node pool gpu in zone 1 only
    ("waf-in-front", "aks-storefront-prod"): FAIL,  # WAF policy in Detection on all 3 entries
    ("network-rule-bypass", "aks-storefront-prod"): NA,
    ("required-egress", "aks-storefront-prod"): NA,
    ("asymmetric-routing", "aks-storefront-prod"): NA,
    # snet-aks-system egresses through afw-hub-weu, whose public IPs the ranges omit: those nodes
    # are refused, though the cluster as a whole is not firewall-routed.
    ("api-server-access", "aks-storefront-prod"): FAIL,
    ("network-policy", "aks-storefront-prod"): PASS,  # calico
}

# Severities of the failures, as DESIGN §6 and the check modules grade them.
SEVERITIES: dict[str, dict[tuple[str, str], str]] = {
    "classic-hub-spoke": {
        ("dns-proxy", "afw-hub-weu"): "high",  # a VNet elsewhere while network rules use FQDNs
        ("threat-intel", "afw-hub-weu"): "medium",
        ("firewall-sku", "afw-hub-weu"): "medium",
        ("waf-in-front", "aks-payments-prod"): "high",
        ("api-server-access", "aks-payments-prod"): "high",  # omitted egress IP
        ("outbound-type", "aks-catalog-prod"): "high",
        ("network-rule-bypass", "aks-catalog-prod"): "high",  # destination *
        ("api-server-access", "aks-catalog-prod"): "medium",  # no ranges at all
        ("network-policy", "aks-catalog-prod"): "medium",
    },
    "policy-landing-zones": {
        ("snat-utilisation", "afw-hub-weu"): "high",
        ("firewall-sku", "afw-hub-weu"): "low",  # Premium, IDPS only in Alert
        ("outbound-type", "aks-storefront-prod"): "high",
        ("zone-spread", "aks-storefront-prod"): "medium",
        ("waf-in-front", "aks-storefront-prod"): "medium",  # every failing entry is Detection
        ("api-server-access", "aks-storefront-prod"): "high",  # omitted egress IPs
    },
}

EXPECTED = {"classic-hub-spoke": CLASSIC_HUB_SPOKE, "policy-landing-zones": POLICY_LANDING_ZONES}

# String-valued properties that hold a resource id (besides `{"id": ...}` references).
ID_KEYS = {"vnetSubnetID", "logAnalyticsWorkspaceResourceID", "workspaceId"}
ID_LIST_KEYS = {"sourceIpGroups", "destinationIpGroups"}


def _findings(name: str) -> list[Finding]:
    snapshot = load_export(EXPORTS / f"{name}.json")
    assert not snapshot.unreadable and not snapshot.warnings
    return audit(snapshot)[1]


def _walk(value: Any, key: str = "") -> Iterator[tuple[str, Any]]:
    if isinstance(value, dict):
        for k, child in value.items():
            yield k, child
            yield from _walk(child, k)
    elif isinstance(value, list):
        for child in value:
            yield from _walk(child, key)


def _is_reference(value: Any) -> bool:
    return isinstance(value, dict) and "id" in value and set(value) <= {"id", "changeNumber"}


def _objects(value: Any) -> Iterator[dict[str, Any]]:
    """Every JSON object in `value`, however deeply nested in objects and lists."""
    if isinstance(value, dict):
        yield value
        for child in value.values():
            yield from _objects(child)
    elif isinstance(value, list):
        for child in value:
            yield from _objects(child)


def _known_ids(document: Any) -> set[str]:
    """Ids of the objects the file defines (resources and their child objects), not references."""
    return {o["id"].lower() for o in _objects(document)
            if isinstance(o.get("id"), str) and not _is_reference(o)}


def _references(resources: list[dict[str, Any]]) -> Iterator[tuple[str, str]]:
    """(owner, referenced id) for every reference inside a resource to another resource."""
    for resource in resources:
        for key, value in _walk(resource.get("properties", {})):
            if _is_reference(value):
                yield resource["id"], value["id"]
            elif key in ID_KEYS and isinstance(value, str):
                yield resource["id"], value
            elif key in ID_LIST_KEYS and isinstance(value, list):
                yield from ((resource["id"], v) for v in value)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_every_finding_has_its_expected_status(name: str) -> None:
    found = {(f.check.id, f.subject.name): f.status.value for f in _findings(name)}
    assert found == EXPECTED[name]


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_failures_have_their_expected_severity(name: str) -> None:
    found = {(f.check.id, f.subject.name): f.severity.value
             for f in _findings(name) if f.status.value == FAIL}
    assert found == SEVERITIES[name]


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_the_mix_is_broad_enough_for_mutation_tests(name: str) -> None:
    statuses = list(EXPECTED[name].values())
    assert len(statuses) >= 20
    assert statuses.count(PASS) >= 4 and statuses.count(FAIL) >= 3
    assert statuses.count(UNKNOWN) >= 1 and statuses.count(NA) >= 2


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_every_reference_resolves_inside_the_file(name: str) -> None:
    """Findings must pass or fail on evidence, not go unknown for a dangling reference."""
    document = json.loads((EXPORTS / f"{name}.json").read_text(encoding="utf-8"))
    resources = document["value"] if isinstance(document, dict) else document
    known = _known_ids(resources)
    dangling = [(owner.rsplit("/", 1)[-1], target) for owner, target in _references(resources)
                if target.lower() not in known]
    assert dangling == []


def test_findings_name_what_decided_them() -> None:
    """A few findings whose evidence is the point of the file (not only their status)."""
    classic = {(f.check.id, f.subject.name): f for f in _findings("classic-hub-spoke")}
    bypass = classic[("fqdn-tag-rule", "aks-catalog-prod")].result
    assert bypass.evidence["node_subnets"][0]["bypassed_by_network_rules"] == [
        "afw-hub-weu › catalog-temporary › vendor-feed-sync-https"]
    assert classic[("api-server-access", "aks-payments-prod")].result.evidence[
        "omitted_egress_ips"] == ["20.50.114.22"]
    entries = classic[("waf-in-front", "aks-payments-prod")].result.evidence["entries"]
    assert sorted(e["kind"] for e in entries) == ["firewall_dnat", "firewall_dnat", "load_balancer"]

    landing = {(f.check.id, f.subject.name): f for f in _findings("policy-landing-zones")}
    proxy = landing[("dns-proxy", "afw-hub-weu")].result.evidence
    assert proxy["decided_by"].endswith("/firewallPolicies/afwp-alz-base")
    assert sorted(r["rule"] for r in proxy["fqdn_network_rules"]) == ["ntp", "servicebus-amqp"]
    waf = landing[("waf-in-front", "aks-storefront-prod")].result.evidence["entries"]
    assert sorted(e["target"] for e in waf) == ["10.220.4.4", "10.220.4.5", "10.220.4.5"]
    assert any("api.storefront.internal.contoso.com → 10.220.4.5" in step
               for e in waf for step in e["path"])
    assert landing[("snat-utilisation", "afw-hub-weu")].result.evidence["peak_percent"] == 87.5
