"""The bundled demo (`aksfw-tui --demo`): a hub-spoke export whose findings a new user can learn from.

What the demo holds, and why each finding comes out as it does (DESIGN §6):
- hub (subscription a3c1…, ARM list `hub.json`): vnet-hub, fw-hub (Premium, zones 1-3, two
  zone-redundant public IPs, policy fwpol-hub), its diagnostic setting to log-hub-westeurope;
- policies (Resource Graph `policy-rules.json`): fwpol-org (base: deny SSH/RDP/SMB out, KMS by FQDN,
  ICMP) and fwpol-hub (DNS proxy on, threat intel Deny, IDPS Deny) with the AKS egress group (tunnel
  ports, NTP by FQDN, the shortcut `allow-azure-https` TCP 443 → AzureCloud, the FQDN tag rule, Azure
  Monitor FQDNs) and a DNAT group (firewall public IP → App Gateway private frontend);
- spoke (subscription 5d8e…, plain array `spoke.json`): vnet-spoke on Azure DNS, rt-clusternodes-to-hub
  (0.0.0.0/0 → 10.0.1.4), agw-spoke (WAF_v2, policy waf-agw-spoke in Detection) in front of
  kubernetes-internal, private cluster aks-prod (UDR, CNI overlay + Cilium, pool `batch` without zones);
- dev spoke (Resource Graph table format `spoke-dev.json`): vnet-spoke-dev without a route table, public
  aks-dev with outboundType loadBalancer (its `kubernetes` LB has only the egress frontend);
- `metrics.json` (Monitor response): FirewallHealth and Throughput of fw-hub, no SNATPortUtilization.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from aksfw_tui.audit import audit
from aksfw_tui.checks import CATALOGUE
from aksfw_tui.checks.base import Finding, Severity, Status, subjects_of
from aksfw_tui.model.topology import Topology
from aksfw_tui.sources.demo import DEMO_DIR, load_demo
from aksfw_tui.sources.export import load_export

PASS, FAIL, UNKNOWN, NA = Status.PASS, Status.FAIL, Status.UNKNOWN, Status.NOT_APPLICABLE

# Reasoned from DESIGN §6 and the demo's data (see the module docstring), not copied from output.
EXPECTED: dict[tuple[str, str], Status] = {
    # aks-prod: UDR, its only node subnet routes 0.0.0.0/0 to 10.0.1.4 = fw-hub, nothing bypasses it.
    ("outbound-type", "aks-prod"): PASS,
    # aks-dev: outboundType loadBalancer and snet-clusternodes of vnet-spoke-dev has no route table.
    ("outbound-type", "aks-dev"): FAIL,
    # The tag rule allows 443 from ipg-aks-nodepools (= the node subnet); allow-azure-https comes first
    # but also allows, so egress works: pass, naming the bypass (which network-rule-bypass reports).
    ("fqdn-tag-rule", "aks-prod"): PASS,
    ("fqdn-tag-rule", "aks-dev"): NA,  # no firewall on its path
    ("tunnel-ports", "aks-prod"): NA,  # private cluster
    ("tunnel-ports", "aks-dev"): NA,  # no firewall on its path
    # Proxy on, but vnet-spoke (routed to fw-hub) uses Azure DNS while the `ntp` network rule uses
    # destinationFqdns: high.
    ("dns-proxy", "fw-hub"): FAIL,
    ("zone-spread", "fw-hub"): PASS,  # zones 1-3, both public IPs zone-redundant
    ("zone-spread", "aks-prod"): FAIL,  # pool batch: availabilityZones null
    ("zone-spread", "aks-dev"): PASS,  # npsystem in zones 1-3
    # Both entries (public listener, and DNAT → private listener) pass waf-agw-spoke in Detection.
    ("waf-in-front", "aks-prod"): FAIL,
    ("waf-in-front", "aks-dev"): NA,  # its public LB frontend carries only the outbound rule
    ("snat-utilisation", "fw-hub"): UNKNOWN,  # metrics.json has no SNATPortUtilization series
    # allow-azure-https: Allow TCP 443 from 10.240.0.0/22 to AzureCloud, no Deny for 443 before it.
    ("network-rule-bypass", "aks-prod"): FAIL,
    ("network-rule-bypass", "aks-dev"): NA,  # no firewall on its path
    # Private API server: nothing to reach publicly; monitoring on: Azure Monitor FQDNs are allowed.
    ("required-egress", "aks-prod"): PASS,
    ("required-egress", "aks-dev"): NA,  # no firewall on its path
    ("asymmetric-routing", "aks-prod"): NA,  # only an internal LB
    ("asymmetric-routing", "aks-dev"): NA,  # no inbound rule on its public LB
    ("api-server-access", "aks-prod"): PASS,  # private cluster
    ("api-server-access", "aks-dev"): PASS,  # authorized range 203.0.113.0/24, no firewall to add
    ("network-policy", "aks-prod"): PASS,  # cilium
    ("network-policy", "aks-dev"): PASS,  # cilium
    ("threat-intel", "fw-hub"): PASS,  # fwpol-hub (and its base) threatIntelMode Deny
    ("firewall-sku", "fw-hub"): PASS,  # Premium, IDPS Deny
    ("firewall-diagnostics", "fw-hub"): PASS,  # diag-fw-hub → log-hub-westeurope, AZFW* logs on
}

# The severity DESIGN §6 (or the brief for the demo) fixes for each failure.
EXPECTED_SEVERITY = {
    ("outbound-type", "aks-dev"): Severity.HIGH,
    ("dns-proxy", "fw-hub"): Severity.HIGH,  # FQDN network rules exist (ntp, azure-kms)
    ("waf-in-front", "aks-prod"): Severity.MEDIUM,  # every failing entry has a WAF in Detection
    ("network-rule-bypass", "aks-prod"): Severity.MEDIUM,  # AzureCloud, not * / Internet / a /8
}

FW_IP = "10.0.1.4"


@pytest.fixture(scope="module")
def demo() -> tuple[Topology, dict[tuple[str, str], Finding]]:
    topology, findings = audit(load_demo())
    by_key: dict[tuple[str, str], Finding] = {}
    for finding in findings:
        key = (finding.check.id, finding.subject.name)
        assert key not in by_key, f"two findings for {key}"
        by_key[key] = finding
    return topology, by_key


def _finding(demo: tuple[Topology, dict[tuple[str, str], Finding]], check: str, subject: str) -> Finding:
    return demo[1][(check, subject)]


# -- the table ------------------------------------------------------------------------------------

def test_the_table_covers_every_check_of_the_catalogue_for_every_subject(
        demo: tuple[Topology, dict[tuple[str, str], Finding]]) -> None:
    topology, findings = demo
    pairs = {(check.id, subject.name) for check in CATALOGUE for kind in check.subjects
             for subject in subjects_of(topology, kind)}
    assert {s.name for s in topology.clusters} == {"aks-prod", "aks-dev"}
    assert {f.name for f in topology.firewalls} == {"fw-hub"}
    assert pairs == set(EXPECTED) == set(findings)


@pytest.mark.parametrize(("key", "status"), [pytest.param(key, status, id=f"{key[0]}/{key[1]}")
                                             for key, status in sorted(EXPECTED.items())])
def test_each_finding_has_the_status_the_design_implies(
        demo: tuple[Topology, dict[tuple[str, str], Finding]], key: tuple[str, str], status: Status) -> None:
    finding = _finding(demo, *key)
    assert finding.status is status, f"{key}: {finding.status.value}: {finding.result.message}"
    assert finding.result.message.strip(), "every status carries its reason"


@pytest.mark.parametrize(("key", "severity"), [pytest.param(key, severity, id=f"{key[0]}/{key[1]}")
                                               for key, severity in sorted(EXPECTED_SEVERITY.items())])
def test_failures_have_the_designed_severity(
        demo: tuple[Topology, dict[tuple[str, str], Finding]], key: tuple[str, str],
        severity: Severity) -> None:
    finding = _finding(demo, *key)
    assert finding.status is Status.FAIL
    assert finding.severity is severity


# -- what a new user sees -------------------------------------------------------------------------

def test_the_demo_shows_every_status(demo: tuple[Topology, dict[tuple[str, str], Finding]]) -> None:
    counts = Counter(f.status for f in demo[1].values())
    assert all(counts[status] >= 1 for status in Status), counts


def test_every_failure_has_a_remediation_with_az_commands(
        demo: tuple[Topology, dict[tuple[str, str], Finding]]) -> None:
    failures = [f for f in demo[1].values() if f.status is Status.FAIL]
    assert failures
    for finding in failures:
        fix = finding.result.remediation
        key = (finding.check.id, finding.subject.name)
        assert fix is not None, key
        assert fix.summary.strip(), key
        assert fix.az_cli and all(line.startswith("az ") for line in fix.az_cli), key


def test_outbound_type_fix_for_aks_dev_routes_through_the_peered_hub_firewall(
        demo: tuple[Topology, dict[tuple[str, str], Finding]]) -> None:
    finding = _finding(demo, "outbound-type", "aks-dev")
    assert "loadBalancer" in finding.result.message
    assert "snet-clusternodes has no route table" in finding.result.message
    fix = finding.result.remediation
    assert fix is not None
    # vnet-spoke-dev peers with vnet-hub, so the fix names fw-hub's private IP.
    assert any(f"--next-hop-ip-address {FW_IP}" in line for line in fix.az_cli)
    assert ("az aks update --resource-group rg-spoke-dev --name aks-dev "
            "--outbound-type userDefinedRouting") in fix.az_cli


def test_dns_proxy_names_the_spoke_that_resolves_elsewhere_and_points_it_at_the_firewall(
        demo: tuple[Topology, dict[tuple[str, str], Finding]]) -> None:
    finding = _finding(demo, "dns-proxy", "fw-hub")
    assert "vnet-spoke" in finding.result.message
    fix = finding.result.remediation
    assert fix is not None
    commands = "\n".join(fix.az_cli)
    assert "vnet-spoke" in commands and FW_IP in commands


def test_zone_spread_names_the_pool_without_zones(
        demo: tuple[Topology, dict[tuple[str, str], Finding]]) -> None:
    finding = _finding(demo, "zone-spread", "aks-prod")
    assert "batch" in finding.result.message
    assert "npuser01" not in finding.result.message and "npsystem" not in finding.result.message
    fix = finding.result.remediation
    assert fix is not None and any("batch" in line for line in fix.az_cli)


def test_waf_in_front_fails_both_entries_on_the_detection_policy(
        demo: tuple[Topology, dict[tuple[str, str], Finding]]) -> None:
    finding = _finding(demo, "waf-in-front", "aks-prod")
    assert "waf-agw-spoke" in finding.result.message and "Detection" in finding.result.message
    kinds = sorted(entry["kind"] for entry in finding.result.evidence["entries"])
    assert kinds == ["app_gateway", "firewall_dnat"]  # the public listener, and the DNAT via the private one
    fix = finding.result.remediation
    assert fix is not None
    assert ("az network application-gateway waf-policy policy-setting update --resource-group rg-spoke "
            "--policy-name waf-agw-spoke --state Enabled --mode Prevention") in fix.az_cli


def test_network_rule_bypass_names_the_shortcut_rule(
        demo: tuple[Topology, dict[tuple[str, str], Finding]]) -> None:
    finding = _finding(demo, "network-rule-bypass", "aks-prod")
    assert "allow-azure-https" in finding.result.message
    assert "AzureCloud" in finding.result.message
    fix = finding.result.remediation
    assert fix is not None and any("allow-azure-https" in line for line in fix.az_cli)


def test_fqdn_tag_rule_passes_but_names_the_network_rule_that_bypasses_it(
        demo: tuple[Topology, dict[tuple[str, str], Finding]]) -> None:
    finding = _finding(demo, "fqdn-tag-rule", "aks-prod")
    assert "allow-azure-https" in json.dumps(finding.to_dict()["evidence"])


def test_snat_utilisation_is_unknown_for_lack_of_the_metric(
        demo: tuple[Topology, dict[tuple[str, str], Finding]]) -> None:
    topology, _ = demo
    fw_hub = topology.firewalls[0]
    assert topology.metric_series(fw_hub.id, "FirewallHealth"), "metrics.json holds real series"
    assert not topology.metric_series(fw_hub.id, "SNATPortUtilization")
    assert "SNATPortUtilization" in _finding(demo, "snat-utilisation", "fw-hub").result.message


def test_tunnel_ports_is_not_applicable_to_the_private_cluster_for_that_reason(
        demo: tuple[Topology, dict[tuple[str, str], Finding]]) -> None:
    assert "private" in _finding(demo, "tunnel-ports", "aks-prod").result.message.lower()


# -- the files ------------------------------------------------------------------------------------

def _shape(document: Any) -> str:
    if isinstance(document, list):
        return "array"
    if isinstance(document, dict) and isinstance(document.get("value"), list):
        return "arm-list"
    data = document.get("data") if isinstance(document, dict) else None
    if isinstance(data, list):
        return "resource-graph"
    if isinstance(data, dict) and "columns" in data:
        return "resource-graph-table"
    return "unknown"


def _files() -> list[Path]:
    return sorted(DEMO_DIR.glob("*.json"))


def test_the_demo_uses_at_least_three_export_shapes_and_every_file_contributes() -> None:
    shapes = {path.name: _shape(json.loads(path.read_text(encoding="utf-8"))) for path in _files()}
    assert "unknown" not in shapes.values(), shapes
    assert len(set(shapes.values())) >= 3, shapes
    for path in _files():
        snapshot = load_export(path)
        assert snapshot.resources or snapshot.metrics, path.name


def test_resource_graph_rows_carry_lower_case_types_and_their_columns() -> None:
    for path in _files():
        document = json.loads(path.read_text(encoding="utf-8"))
        if not _shape(document).startswith("resource-graph"):
            continue
        for row in load_export(path).resources:
            assert row["type"] == row["type"].lower(), row["id"]
            assert {"subscriptionId", "resourceGroup", "tenantId"} <= set(row), row["id"]


def test_metrics_file_is_a_monitor_response() -> None:
    document = json.loads((DEMO_DIR / "metrics.json").read_text(encoding="utf-8"))
    assert document["namespace"] == "Microsoft.Network/azureFirewalls"
    for series in document["value"]:
        assert series["type"] == "Microsoft.Insights/metrics"
        assert "/providers/Microsoft.Insights/metrics/" in series["id"]
        assert series["timeseries"][0]["data"][0]["timeStamp"].endswith("Z")


def test_the_demo_loads_cleanly_and_stays_moderate() -> None:
    snapshot = load_demo()
    assert snapshot.warnings == [] and snapshot.unreadable == []
    assert snapshot.source["kind"] == "demo"
    assert 25 <= len(snapshot.resources) <= 40
    assert len({r["id"].lower() for r in snapshot.resources}) == len(snapshot.resources)


def test_clusters_are_spelled_as_aks_spells_them() -> None:
    clusters = [r for r in load_demo().resources
                if r["type"].lower() == "microsoft.containerservice/managedclusters"]
    assert {c["name"] for c in clusters} == {"aks-prod", "aks-dev"}
    for cluster in clusters:
        assert "/resourcegroups/" in cluster["id"]
    arm_get = next(c for c in clusters if c["name"] == "aks-prod")
    assert arm_get["type"] == "Microsoft.ContainerService/ManagedClusters"


def test_every_reference_between_demo_resources_resolves() -> None:
    """A demo with a dangling id would teach `unknown` findings by accident."""
    topology = Topology(load_demo())
    for firewall in topology.firewalls:
        assert topology.policy(firewall.policy_id) is not None
        for pip_id in firewall.public_ip_ids:
            assert topology.public_ip(pip_id) is not None
    for policy in topology.policies:
        for group_id in policy.rule_collection_group_ids:
            assert topology.rule_collection_group(group_id) is not None, group_id
        if policy.base_policy_id:
            assert topology.policy(policy.base_policy_id) is not None
    for cluster in topology.clusters:
        for subnet_id in topology.cluster_node_subnet_ids(cluster):
            subnet = topology.subnet(subnet_id)
            assert subnet is not None, subnet_id
            if subnet.route_table_id:
                assert topology.route_table(subnet.route_table_id) is not None
    for vnet in topology.vnets:
        for peering in vnet.peerings:
            assert topology.vnet(peering.remote_vnet_id) is not None, peering.name
    for gateway in topology.app_gateways:
        assert topology.waf_policy(gateway.waf_policy_id) is not None
