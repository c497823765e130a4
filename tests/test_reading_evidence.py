"""Issue 8, a regression per family: evidence that is absent, null, stubbed, mistyped or unreadable
never yields `pass` (DESIGN §6, "Reading evidence").

Each test starts from a minimal export built on tests/arm.py's baseline on which the finding is
not `pass` with full evidence (`test_each_starting_point_fails_with_full_evidence`), or would pass
only because of the damage; it damages one piece of evidence and asserts that the finding is still
not `pass`: `unknown` naming the resource and the property or scope, or a `fail` that stands on
what was read."""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable
from typing import Any

import pytest

from aksfw_tui.audit import audit
from aksfw_tui.checks import (
    api_server_access,
    dns_proxy,
    firewall_sku,
    fqdn_tag_rule,
    network_rule_bypass,
    outbound_type,
    threat_intel,
    tunnel_ports,
    waf_in_front,
)
from aksfw_tui.checks.base import Check, Finding, Status
from aksfw_tui.sources.snapshot import ArmSnapshot, Unreadable
from tests import arm
from tests import arm_ingress as ing

Json = dict[str, Any]
Build = Callable[[], list[Json]]
REASON = "403 AuthorizationFailed"
FW_TYPE_SCOPE = f"/subscriptions/{arm.HUB_SUB}/providers/Microsoft.Network/azureFirewalls"
LB_ID = arm.rid(arm.SPOKE_SUB, ing.NODE_RG, "Microsoft.Network/loadBalancers", "kubernetes")
IPG_ID = arm.rid(arm.HUB_SUB, arm.HUB_RG, "Microsoft.Network/ipGroups", "ipg-nodes")
SPLIT_ROUTE = f"{arm.RT_ID}/routes/split-low"


def group_id(name: str) -> str:
    return f"{arm.POLICY_ID}/ruleCollectionGroups/{name}"


def _finding(resources: list[Json], check: Check, subject: str = "aks-prod",
             unreadable: Iterable[str] = ()) -> Finding:
    snapshot = ArmSnapshot(source={"kind": "export"})
    for resource in resources:
        snapshot.add(copy.deepcopy(resource))
    snapshot.unreadable.extend(Unreadable(scope, REASON) for scope in unreadable)
    matches = [f for f in audit(snapshot, [check])[1] if f.subject.name == subject]
    assert len(matches) == 1, f"expected one finding for {subject}, got {len(matches)}"
    return matches[0]


def _damage(holder: Json, key: str, how: str) -> None:
    """Delete `key` (absent) or set it to null."""
    if how == "absent":
        del holder[key]
    else:
        holder[key] = None


def _unknown(result: Finding, *words: str) -> None:
    message = result.result.message
    assert result.status is Status.UNKNOWN, f"{result.status}: {message}"
    for word in words:
        assert word in message, f"{word!r} not in {message!r}"


def _not_pass(result: Finding) -> None:
    assert result.status in (Status.FAIL, Status.UNKNOWN), f"{result.status}: {result.result.message}"


HOW = pytest.mark.parametrize("how", ["absent", "null"])


# -- starting points ------------------------------------------------------------------------------


def _narrow_ranges(resources: list[Json]) -> list[Json]:
    """The API server's ranges omit the firewall's IPs: api-server-access fails."""
    access = arm.find(resources, "aks-prod")["properties"]["apiServerAccessProfile"]
    access["authorizedIPRanges"] = ["198.51.100.0/24"]
    return resources


def _without_firewall() -> list[Json]:
    """…and the firewall and its public IPs are not in the export."""
    gone = ("fw-hub", "pip-fw-hub-01", "pip-fw-hub-02")
    return _narrow_ranges([r for r in arm.baseline() if r["name"] not in gone])


def _azure_dns(resources: list[Json]) -> list[Json]:
    """The spoke resolves with Azure DNS: dns-proxy fails for fw-hub."""
    del arm.find(resources, "vnet-spoke")["properties"]["dhcpOptions"]
    return resources


def _routes(resources: list[Json]) -> list[Json]:
    return arm.find(resources, "rt-aks")["properties"]["routes"]  # type: ignore[no-any-return]


def _with_split_route() -> list[Json]:
    """0.0.0.0/1 → Internet sends half of the internet around the firewall: outbound-type fails."""
    resources = arm.baseline()
    _routes(resources).append(arm.route("split-low", "0.0.0.0/1", "Internet") | {"id": SPLIT_ROUTE})
    return resources


def _with_gateway() -> list[Json]:
    """The only public entry is an App Gateway in Prevention: waf-in-front passes."""
    resources = arm.baseline()
    ing.add_appgw_subnet(resources)
    return [*resources, ing.internal_lb(), ing.waf_policy(), *ing.app_gateway([{"ipAddress": ing.ILB_IP}])]


def _with_dnat() -> list[Json]:
    """…plus a DNAT straight to the internal LB: waf-in-front fails."""
    resources = _with_gateway()
    ing.add_dnat(resources, ing.ILB_IP)
    return resources


def _with_deny_group(rule: Json | None = None) -> list[Json]:
    """rcg-deny (priority 100, before rcg-aks) denies the tunnel ports: tunnel-ports fails."""
    resources = arm.baseline()
    rule = rule or arm.net_rule("no-tunnel", ["UDP", "TCP"], [arm.NODE_CIDR], ["1194", "9000"], ["*"])
    arm.find(resources, "fwpol-hub")["properties"]["ruleCollectionGroups"].append({"id": group_id("rcg-deny")})
    return [*resources, arm.rcg(arm.POLICY_ID, "rcg-deny", 100, [
        arm.filter_collection("deny-tunnel", 100, "Deny", [rule])])]


def _with_ip_group_deny() -> list[Json]:
    """…its rule's sources are the IP group ipg-nodes (the node subnet)."""
    rule = arm.net_rule("no-tunnel", ["UDP", "TCP"], [], ["1194", "9000"], ["*"], source_groups=[IPG_ID])
    return [*_with_deny_group(rule), arm.ip_group(arm.HUB_SUB, arm.HUB_RG, "ipg-nodes", [arm.NODE_CIDR])]


def _collection(resources: list[Json], group: str, index: int = 0) -> Json:
    return arm.find(resources, group)["properties"]["ruleCollections"][index]  # type: ignore[no-any-return]


def _with_app_deny() -> list[Json]:
    """An application Deny collection deny-web (150, before aks-app at 200) denies HTTPS everywhere
    from the nodes: fqdn-tag-rule fails."""
    resources = arm.baseline()
    arm.find(resources, "rcg-aks")["properties"]["ruleCollections"].append(
        arm.filter_collection("deny-web", 150, "Deny", [
            arm.app_rule("no-web", [arm.NODE_CIDR], [("Https", 443), ("Http", 80)], fqdns=["*"])]))
    return resources


def _allow_all_collection() -> Json:
    return arm.filter_collection("allow-all", 150, "Allow", [
        arm.net_rule("web-anywhere", ["TCP"], [arm.NODE_CIDR], ["80", "443"], ["*"])])


def _classic(resources: list[Json], section: str, name: str, priority: int, action: str,
             rules: list[Json]) -> list[Json]:
    """The firewall with a classic rule collection in `section` instead of its policy."""
    resources = [r for r in resources if r["name"] not in ("fwpol-hub", "rcg-aks")]
    props = arm.find(resources, "fw-hub")["properties"]
    props.pop("firewallPolicy", None)
    props["additionalProperties"] = {"Network.DNS.EnableProxy": "true"}
    props[section] = [{"name": name, "id": f"{arm.FW_ID}/{section}/{name}", "properties": {
        "priority": priority, "action": {"type": action}, "rules": rules}}]
    return resources


def _classic_https_deny() -> list[Json]:
    """A classic network Deny of HTTPS from the nodes before the classic FQDN tag rule:
    fqdn-tag-rule fails (network rules come first)."""
    tag_rule = {"name": "aks-fqdn-tag", "sourceAddresses": [arm.NODE_CIDR], "targetFqdns": [],
                "protocols": [{"protocolType": "Https", "port": 443}], "fqdnTags": ["AzureKubernetesService"]}
    resources = _classic(arm.baseline(), "applicationRuleCollections", "aks-app", 200, "Allow", [tag_rule])
    deny = {"name": "no-https", "protocols": ["TCP"], "sourceAddresses": [arm.NODE_CIDR],
            "destinationAddresses": ["*"], "destinationPorts": ["443"]}
    return _classic(resources, "networkRuleCollections", "deny-https", 100, "Deny", [deny])


def _classic_dnat() -> list[Json]:
    """The App Gateway in Prevention, and a classic DNAT straight to the internal LB."""
    dnat = {"name": "shop-https", "protocols": ["TCP"], "sourceAddresses": ["*"],
            "destinationAddresses": ["20.103.17.40"], "destinationPorts": ["443"],
            "translatedAddress": ing.ILB_IP, "translatedPort": "443"}
    return _classic(_with_gateway(), "natRuleCollections", "publish-aks", 100, "Dnat", [dnat])


STARTING_POINTS: dict[str, tuple[Build, Check, str]] = {
    "narrow-ranges": (lambda: _narrow_ranges(arm.baseline()), api_server_access.CHECK, "aks-prod"),
    "public-lb": (lambda: _with_gateway() + ing.public_lb(), waf_in_front.CHECK, "aks-prod"),
    "azure-dns": (lambda: _azure_dns(arm.baseline()), dns_proxy.CHECK, "fw-hub"),
    "split-route": (_with_split_route, outbound_type.CHECK, "aks-prod"),
    "app-deny": (_with_app_deny, fqdn_tag_rule.CHECK, "aks-prod"),
    "deny-group": (_with_deny_group, tunnel_ports.CHECK, "aks-prod"),
    "ip-group-deny": (_with_ip_group_deny, tunnel_ports.CHECK, "aks-prod"),
    "dnat": (_with_dnat, waf_in_front.CHECK, "aks-prod"),
    "classic-https-deny": (_classic_https_deny, fqdn_tag_rule.CHECK, "aks-prod"),
    "classic-dnat": (_classic_dnat, waf_in_front.CHECK, "aks-prod"),
}


@pytest.mark.parametrize("build, check, subject", STARTING_POINTS.values(), ids=STARTING_POINTS.keys())
def test_each_starting_point_fails_with_full_evidence(build: Build, check: Check, subject: str) -> None:
    result = _finding(build(), check, subject)
    assert result.status is Status.FAIL, result.result.message


# -- 1. an unreadable firewall or load balancer -----------------------------------------------------


@pytest.mark.parametrize("check", [api_server_access.CHECK, outbound_type.CHECK], ids=lambda c: c.id)
@pytest.mark.parametrize("scope", [arm.FW_ID, FW_TYPE_SCOPE], ids=["by-id", "type-scope"])
def test_an_unreadable_firewall_may_own_the_next_hop(scope: str, check: Check) -> None:
    result = _finding(_without_firewall(), check, unreadable=[scope])
    _unknown(result, scope)
    assert "not a firewall" not in result.result.message


def test_an_unreadable_public_load_balancer_in_the_node_resource_group_is_not_a_waf_pass() -> None:
    assert _finding(_with_gateway(), waf_in_front.CHECK).status is Status.PASS  # without the LB
    _unknown(_finding(_with_gateway(), waf_in_front.CHECK, unreadable=[LB_ID]), LB_ID)


# -- 2. rule collection groups the policy does not list ----------------------------------------------


@pytest.mark.parametrize("listing", ["absent", "others"])
def test_a_group_in_the_export_belongs_to_its_policy_whether_listed_or_not(listing: str) -> None:
    resources = arm.baseline()
    if listing == "absent":
        arm.find(resources, "rcg-aks")["properties"]["ruleCollections"].append(_allow_all_collection())
        del arm.find(resources, "fwpol-hub")["properties"]["ruleCollectionGroups"]
    else:  # the policy lists rcg-aks only
        resources.append(arm.rcg(arm.POLICY_ID, "rcg-open", 200, [_allow_all_collection()]))
    result = _finding(resources, network_rule_bypass.CHECK)
    assert result.status is Status.FAIL, result.result.message
    assert "web-anywhere" in result.result.message


# -- 3. stubs and null subnets -----------------------------------------------------------------------


def test_a_later_stub_does_not_replace_the_full_vnet() -> None:
    resources = _azure_dns(arm.baseline())
    resources.append({"id": arm.SPOKE_VNET, "type": "Microsoft.Network/virtualNetworks", "name": "vnet-spoke"})
    result = _finding(resources, dns_proxy.CHECK, "fw-hub")
    assert result.status is Status.FAIL, result.result.message
    assert "vnet-spoke" in result.result.message


@HOW
def test_a_vnet_whose_subnets_were_not_read_is_not_a_dns_proxy_pass(how: str) -> None:
    resources = _azure_dns(arm.baseline())
    _damage(arm.find(resources, "vnet-spoke")["properties"], "subnets", how)
    _unknown(_finding(resources, dns_proxy.CHECK, "fw-hub"), "VNet vnet-spoke: subnets is")


# -- 4. a firewall whose private IP was not read ------------------------------------------------------

PRIVATE_IP_DAMAGE = {  # (path from the firewall's properties to the holder, key, how)
    "ipConfigurations-absent": ((), "ipConfigurations", "absent"),
    "ipConfigurations-null": ((), "ipConfigurations", "null"),
    "config-properties-null": (("ipConfigurations", 0), "properties", "null"),
    "privateIPAddress-absent": (("ipConfigurations", 0, "properties"), "privateIPAddress", "absent"),
    "privateIPAddress-null": (("ipConfigurations", 0, "properties"), "privateIPAddress", "null"),
}


@pytest.mark.parametrize("check, subject", [(outbound_type.CHECK, "aks-prod"), (dns_proxy.CHECK, "fw-hub")],
                         ids=["outbound-type", "dns-proxy"])
@pytest.mark.parametrize("path, key, how", PRIVATE_IP_DAMAGE.values(), ids=PRIVATE_IP_DAMAGE.keys())
def test_a_firewall_whose_private_ip_was_not_read_is_not_not_a_firewall(
        path: tuple[str | int, ...], key: str, how: str, check: Check, subject: str) -> None:
    resources = _azure_dns(arm.baseline())  # dns-proxy fails with full evidence; outbound-type passes
    holder = arm.find(resources, "fw-hub")["properties"]
    for step in path:
        holder = holder[step]
    _damage(holder, key, how)
    result = _finding(resources, check, subject)
    _unknown(result, "fw-hub")
    assert "not a firewall" not in result.result.message


# -- 5. route data absent or null ---------------------------------------------------------------------

ROUTE_DAMAGE = [("routes", how) for how in ("absent", "null")] + [
    (key, how) for key in ("properties", "addressPrefix", "nextHopType", "nextHopIpAddress")
    for how in ("absent", "null")]


@pytest.mark.parametrize("check, subject", [(outbound_type.CHECK, "aks-prod"), (dns_proxy.CHECK, "fw-hub")],
                         ids=["outbound-type", "dns-proxy"])
@pytest.mark.parametrize("key, how", ROUTE_DAMAGE, ids=[f"{k}-{h}" for k, h in ROUTE_DAMAGE])
def test_default_route_data_not_read_is_not_no_default_route(key: str, how: str, check: Check,
                                                             subject: str) -> None:
    resources = _azure_dns(arm.baseline())
    table, route = arm.find(resources, "rt-aks")["properties"], _routes(resources)[0]
    _damage(table if key == "routes" else route if key == "properties" else route["properties"], key, how)
    result = _finding(resources, check, subject)
    _unknown(result, "rt-aks", key)
    assert "no 0.0.0.0/0 route" not in result.result.message


@pytest.mark.parametrize("key, how", [
    ("addressPrefix", "absent"), ("addressPrefix", "null"), ("nextHopType", "absent"),
    ("nextHopType", "null"), ("properties", "absent"), ("properties", "null")])
def test_a_damaged_bypass_route_is_not_an_outbound_type_pass(key: str, how: str) -> None:
    resources = _with_split_route()
    route = _routes(resources)[1]
    _damage(route if key == "properties" else route["properties"], key, how)
    result = _finding(resources, outbound_type.CHECK)
    _not_pass(result)
    assert result.status is Status.UNKNOWN, result.result.message  # not a fail on unread values


# -- 6. a collection's action and priority ------------------------------------------------------------


@pytest.mark.parametrize("action", ["absent", None, "Bogus", {"type": None}, {"type": "Bogus"}, {}],
                         ids=["absent", "null", "bogus-string", "type-null", "type-bogus", "empty"])
def test_an_unreadable_action_is_not_allow(action: object) -> None:
    resources = _with_app_deny()
    collection = _collection(resources, "rcg-aks", 2)
    if action == "absent":
        del collection["action"]
    else:
        collection["action"] = action
    _unknown(_finding(resources, fqdn_tag_rule.CHECK), "deny-web", "action")


@HOW
def test_an_unreadable_priority_sorts_first(how: str) -> None:
    resources = _with_app_deny()
    _damage(_collection(resources, "rcg-aks", 2), "priority", how)
    _unknown(_finding(resources, fqdn_tag_rule.CHECK), "deny-web", "priority")


@pytest.mark.parametrize("key, value", [("action", "Deny"), ("priority", "50")])
def test_a_plain_value_with_one_reading_is_read_so(key: str, value: str) -> None:
    resources = _with_app_deny()
    _collection(resources, "rcg-aks", 2)[key] = value
    result = _finding(resources, fqdn_tag_rule.CHECK)
    assert result.status is Status.FAIL, result.result.message
    assert "no-web" in result.result.message


# -- 7. lists and match fields absent or null -----------------------------------------------------------


@HOW
@pytest.mark.parametrize("level", ["ruleCollections", "rules"])
def test_a_deny_groups_unread_lists_do_not_stop_denying(level: str, how: str) -> None:
    resources = _with_deny_group()
    holder = arm.find(resources, "rcg-deny")["properties"]
    _damage(holder if level == "ruleCollections" else holder["ruleCollections"][0], level, how)
    _unknown(_finding(resources, tunnel_ports.CHECK), "rcg-deny" if level == "ruleCollections" else
             "deny-tunnel", level)


@HOW
@pytest.mark.parametrize("key", ["ipProtocols", "sourceAddresses", "destinationAddresses",
                                 "destinationPorts", "ruleType"])
def test_a_deny_rules_unread_match_field_does_not_stop_denying(key: str, how: str) -> None:
    resources = _with_deny_group()
    _damage(_collection(resources, "rcg-deny")["rules"][0], key, how)
    result = _finding(resources, tunnel_ports.CHECK)
    if key == "ruleType":  # a rule with protocols and ports in a filter collection: a network rule
        _not_pass(result)
    else:
        _unknown(result, "no-tunnel", key)


@HOW
def test_an_ip_groups_unread_addresses_do_not_stop_a_deny(how: str) -> None:
    resources = _with_ip_group_deny()
    _damage(arm.find(resources, "ipg-nodes")["properties"], "ipAddresses", how)
    _unknown(_finding(resources, tunnel_ports.CHECK), "ipg-nodes", "ipAddresses")


@HOW
def test_an_app_deny_rules_unread_target_fqdns_do_not_stop_denying(how: str) -> None:
    resources = _with_app_deny()
    _damage(_collection(resources, "rcg-aks", 2)["rules"][0], "targetFqdns", how)
    _unknown(_finding(resources, fqdn_tag_rule.CHECK), "no-web", "targetFqdns")


@HOW
@pytest.mark.parametrize("key", ["rules", "translatedAddress", "destinationAddresses", "destinationPorts",
                                 "ipProtocols", "sourceAddresses", "ruleType"])
def test_a_dnat_rules_unread_field_does_not_stop_publishing(key: str, how: str) -> None:
    resources = _with_dnat()
    collection = _collection(resources, "rcg-dnat")
    _damage(collection if key == "rules" else collection["rules"][0], key, how)
    result = _finding(resources, waf_in_front.CHECK)
    if key == "ruleType":  # a rule in a NAT collection is a DNAT rule
        _not_pass(result)
    else:
        _unknown(result, "publish-aks" if key == "rules" else "shop-https", key)


@HOW
@pytest.mark.parametrize("section", ["networkRuleCollections", "applicationRuleCollections", "rules"])
def test_unread_classic_rule_lists_are_not_empty(section: str, how: str) -> None:
    resources = _classic_https_deny()
    props = arm.find(resources, "fw-hub")["properties"]
    _damage(props["networkRuleCollections"][0]["properties"] if section == "rules" else props, section, how)
    result = _finding(resources, fqdn_tag_rule.CHECK)
    if section == "applicationRuleCollections":  # the network Deny, read, still decides: fail
        _not_pass(result)
    else:
        _unknown(result, "deny-https" if section == "rules" else "fw-hub", section)


@HOW
def test_unread_classic_nat_collections_do_not_stop_publishing(how: str) -> None:
    resources = _classic_dnat()
    _damage(arm.find(resources, "fw-hub")["properties"], "natRuleCollections", how)
    _unknown(_finding(resources, waf_in_front.CHECK), "fw-hub", "natRuleCollections")


# -- 8. unreadable child scopes -------------------------------------------------------------------------


def test_an_unreadable_route_is_not_an_outbound_type_pass() -> None:
    resources = _with_split_route()
    del _routes(resources)[1]
    _unknown(_finding(resources, outbound_type.CHECK, unreadable=[SPLIT_ROUTE]), SPLIT_ROUTE)


def test_an_unreadable_default_route_is_not_a_dns_proxy_pass() -> None:
    resources = _azure_dns(arm.baseline())
    route_id = _routes(resources).pop(0)["id"]
    _unknown(_finding(resources, dns_proxy.CHECK, "fw-hub", unreadable=[route_id]), route_id)


@pytest.mark.parametrize("check", [api_server_access.CHECK, outbound_type.CHECK], ids=lambda c: c.id)
def test_an_unreadable_firewall_subnet_may_hold_the_next_hops_firewall(check: Check) -> None:
    resources = _without_firewall()
    arm.find(resources, "vnet-hub")["properties"]["subnets"] = []
    result = _finding(resources, check, unreadable=[arm.FW_SUBNET])
    _unknown(result, arm.FW_SUBNET)
    assert "not a firewall" not in result.result.message


def test_an_unreadable_group_the_policy_lists_is_not_a_pass() -> None:
    resources = [r for r in _with_deny_group() if r["name"] != "rcg-deny"]
    _unknown(_finding(resources, tunnel_ports.CHECK, unreadable=[group_id("rcg-deny")]), "rcg-deny", REASON)


UNLISTED_GROUPS: dict[str, tuple[Build, str, Check]] = {
    "deny-tunnel-ports": (_with_deny_group, "rcg-deny", tunnel_ports.CHECK),
    "allow-all-bypass": (arm.baseline, "rcg-open", network_rule_bypass.CHECK),
    "dnat-to-the-cluster": (_with_dnat, "rcg-dnat", waf_in_front.CHECK),
}


@pytest.mark.parametrize("build, group, check", UNLISTED_GROUPS.values(), ids=UNLISTED_GROUPS.keys())
def test_an_unreadable_group_the_policy_does_not_list_is_not_a_pass(build: Build, group: str,
                                                                     check: Check) -> None:
    resources = [r for r in build() if r["name"] != group]
    arm.find(resources, "fwpol-hub")["properties"]["ruleCollectionGroups"] = [{"id": arm.GROUP_ID}]
    _unknown(_finding(resources, check, unreadable=[group_id(group)]), group_id(group))


# -- review: references present without an id, extensions, type scopes by whole segments ---------


@pytest.mark.parametrize("how", ["absent", "null"])
def test_a_base_policy_reference_without_an_id_is_not_no_base_policy(how: str) -> None:
    """The base's Deny would come first: its rules are unseen, so the tag rule cannot decide."""
    resources = arm.baseline()
    base = arm.policy(arm.HUB_SUB, arm.HUB_RG, "fwpol-base")
    arm.find(resources, "fwpol-hub")["properties"]["basePolicy"] = {"id": base["id"]}
    assert _finding([*resources, base], fqdn_tag_rule.CHECK).status is Status.PASS
    _damage(arm.find(resources, "fwpol-hub")["properties"]["basePolicy"], "id", how)
    _unknown(_finding([*resources, base], fqdn_tag_rule.CHECK), "fwpol-hub", "basePolicy")
    # The child says Alert; only the unseen base could make it Deny.
    arm.find(resources, "fwpol-hub")["properties"]["threatIntelMode"] = "Alert"
    _unknown(_finding([*resources, base], threat_intel.CHECK, "fw-hub"), "fwpol-hub", "basePolicy")


def test_a_firewall_policy_reference_without_an_id_is_not_classic_rules() -> None:
    resources = arm.baseline()
    arm.find(resources, "fw-hub")["properties"]["firewallPolicy"] = {"id": None}
    for check in (threat_intel.CHECK, firewall_sku.CHECK, dns_proxy.CHECK):
        _unknown(_finding(resources, check, "fw-hub"), "fw-hub", "firewallPolicy")


def test_unreadable_metrics_or_diagnostics_leave_the_firewall_itself_readable() -> None:
    """Live discovery lists a failed metrics call as `<firewall>/providers/Microsoft.Insights/…`:
    an extension of the firewall, not a part of it."""
    scopes = [f"{arm.FW_ID}/providers/Microsoft.Insights/metrics",
              f"{arm.FW_ID}/providers/Microsoft.Insights/diagnosticSettings"]
    for check, subject in ((dns_proxy.CHECK, "fw-hub"), (fqdn_tag_rule.CHECK, "aks-prod")):
        assert _finding(arm.baseline(), check, subject, unreadable=scopes).status is Status.PASS


def test_a_missing_public_ip_reference_does_not_hide_the_private_ip() -> None:
    resources = arm.baseline()
    del arm.find(resources, "fw-hub")["properties"]["ipConfigurations"][1]["properties"]["publicIPAddress"]
    assert _finding(resources, dns_proxy.CHECK, "fw-hub").status is Status.PASS
    _unknown(_finding(_narrow_ranges(resources), api_server_access.CHECK), "fw-hub",
             "publicIPAddress")


def test_a_type_scope_holds_its_type_by_whole_segments() -> None:
    """A type scope holds its type and that type's children, compared by whole segments: a scope
    naming `Microsoft.Network/virtualNetwork` says nothing of `virtualNetworks`."""
    from aksfw_tui.model.topology import Topology

    def scope(type_path: str) -> Topology:
        return Topology(ArmSnapshot(unreadable=[Unreadable(
            f"/subscriptions/{arm.SPOKE_SUB}/providers/Microsoft.Network/{type_path}", REASON)]))

    vnet = f"/subscriptions/{arm.SPOKE_SUB}/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v"
    assert scope("virtualNetwork").unreadable_scope_of(vnet) is None
    assert not scope("virtualNetwork").unreadable_scopes_holding("microsoft.network/virtualnetworks")
    assert scope("virtualNetworks").unreadable_scope_of(f"{vnet}/subnets/s") is not None
    assert scope("virtualNetworks").unreadable_scopes_holding("microsoft.network/virtualnetworks")
