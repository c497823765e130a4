"""dns-proxy: pass, fail (proxy off with/without FQDN network rules, routed VNet resolving elsewhere),
classic firewalls, inheritance from a base policy, and unknown."""

from aksfw_tui.checks.base import Severity, Status
from aksfw_tui.checks.dns_proxy import CHECK
from tests import arm

BASE_POLICY_ID = arm.rid(arm.HUB_SUB, arm.HUB_RG, "Microsoft.Network/firewallPolicies", "fwpol-base")


# -- builders ------------------------------------------------------------------------------------


def _policy(resources: list[arm.Json]) -> arm.Json:
    return arm.find(resources, "fwpol-hub")


def _without_fqdn_rules(resources: list[arm.Json]) -> list[arm.Json]:
    """Drop the baseline's ntp rule, its only network rule with destinationFqdns."""
    collection = arm.find(resources, "rcg-aks")["properties"]["ruleCollections"][0]
    collection["rules"] = [r for r in collection["rules"] if r["name"] != "ntp"]
    return resources


def _classic(additional: arm.Json | None) -> list[arm.Json]:
    """The baseline with its rules moved onto the firewall itself (no Firewall Policy)."""
    resources = [r for r in arm.baseline() if r["name"] not in ("fwpol-hub", "rcg-aks")]
    props = arm.find(resources, "fw-hub")["properties"]
    del props["firewallPolicy"]
    props["additionalProperties"] = additional or {}
    props["networkRuleCollections"] = [{
        "name": "aks-net", "id": f"{arm.FW_ID}/networkRuleCollections/aks-net",
        "properties": {"priority": 100, "action": {"type": "Allow"}, "rules": [
            {"name": "ntp", "protocols": ["UDP"], "sourceAddresses": [arm.NODE_CIDR],
             "sourceIpGroups": [], "destinationAddresses": [], "destinationIpGroups": [],
             "destinationFqdns": ["ntp.ubuntu.com"], "destinationPorts": ["123"]},
        ]},
    }]
    return resources


def _child_of_base(base_proxy: bool | None, child_proxy: bool | None = None,
                   include_base: bool = True) -> list[arm.Json]:
    """fwpol-hub becomes a child of fwpol-base; the proxy setting lives where the test says."""
    resources = arm.baseline()
    child = _policy(resources)["properties"]
    child["basePolicy"] = {"id": BASE_POLICY_ID}
    if child_proxy is None:
        del child["dnsSettings"]
    else:
        child["dnsSettings"]["enableProxy"] = child_proxy
    if include_base:
        resources.append(arm.policy(arm.HUB_SUB, arm.HUB_RG, "fwpol-base", dns_proxy=base_proxy))
    return resources


def _second_spoke(route_table: str, dns_servers: list[str] | None) -> arm.Json:
    return arm.vnet(arm.SPOKE_SUB, arm.SPOKE_RG, "vnet-batch", ["10.30.0.0/16"],
                    [("snet-batch", "10.30.0.0/24", route_table)], dns_servers=dns_servers,
                    peer_with=[arm.HUB_VNET])


# -- pass ----------------------------------------------------------------------------------------


def test_passes_when_proxy_is_on_and_the_routed_spoke_uses_the_firewall_for_dns() -> None:
    result = arm.finding(arm.baseline(), CHECK, "fw-hub")
    assert result.status is Status.PASS, result.result.message
    assert "vnet-spoke" in result.result.message and "10.0.1.4" in result.result.message
    evidence = result.result.evidence
    assert evidence["dns_proxy"] is True
    assert evidence["policy"] == arm.POLICY_ID
    assert evidence["routed_vnets"] == [{"vnet": arm.SPOKE_VNET, "dns_servers": [arm.FW_IP],
                                         "subnets": ["snet-aks-nodes"], "uses_firewall_dns": True}]
    # the hub has no subnet routed to the firewall, so its Azure DNS does not matter
    assert [f["rule"] for f in evidence["fqdn_network_rules"]] == ["ntp"]


def test_passes_when_no_vnet_routes_through_the_firewall() -> None:
    resources = arm.baseline()
    arm.find(resources, "vnet-spoke")["properties"]["dhcpOptions"]["dnsServers"] = []
    arm.find(resources, "rt-aks")["properties"]["routes"][0]["properties"] = {
        "addressPrefix": "0.0.0.0/0", "nextHopType": "Internet"}
    result = arm.finding(resources, CHECK, "fw-hub")
    assert result.status is Status.PASS
    assert "no VNet in the snapshot routes its default route to fw-hub" in result.result.message


# -- proxy off -----------------------------------------------------------------------------------


def test_dns_proxy_off_while_a_network_rule_uses_fqdns_is_high() -> None:
    resources = arm.baseline()
    _policy(resources)["properties"]["dnsSettings"]["enableProxy"] = False
    result = arm.finding(resources, CHECK, "fw-hub")
    assert result.status is Status.FAIL
    assert result.severity is Severity.HIGH
    message = result.result.message
    assert "DNS proxy is off on fw-hub (dnsSettings.enableProxy is false in policy fwpol-hub)" in message
    assert "ntp.ubuntu.com" in message and "rcg-aks › aks-net › ntp" in message
    fix = result.result.remediation
    assert fix is not None
    assert fix.az_cli == ("az network firewall policy update --name fwpol-hub --resource-group rg-hub "
                          "--enable-dns-proxy true",)  # the spoke already points at 10.0.1.4
    assert "name: 'fwpol-hub'" in fix.bicep and "enableProxy: true" in fix.bicep
    assert 'resource "azurerm_firewall_policy" "fwpol_hub"' in fix.terraform
    assert "proxy_enabled = true" in fix.terraform


def test_dns_proxy_off_without_fqdn_network_rules_is_medium() -> None:
    resources = _without_fqdn_rules(arm.baseline())
    _policy(resources)["properties"]["dnsSettings"]["enableProxy"] = False
    result = arm.finding(resources, CHECK, "fw-hub")
    assert result.status is Status.FAIL
    assert result.severity is Severity.MEDIUM
    assert "no network rule uses destinationFqdns today" in result.result.message
    assert result.result.evidence["fqdn_network_rules"] == []


def test_absent_dns_settings_count_as_off() -> None:
    resources = arm.baseline()
    del _policy(resources)["properties"]["dnsSettings"]
    result = arm.finding(resources, CHECK, "fw-hub")
    assert result.status is Status.FAIL
    assert result.severity is Severity.HIGH  # the ntp rule still uses an FQDN
    assert "dnsSettings.enableProxy is absent in fwpol-hub" in result.result.message


def test_proxy_off_and_spoke_on_azure_dns_fixes_both() -> None:
    resources = arm.baseline()
    _policy(resources)["properties"]["dnsSettings"]["enableProxy"] = False
    del arm.find(resources, "vnet-spoke")["properties"]["dhcpOptions"]
    result = arm.finding(resources, CHECK, "fw-hub")
    assert "also, VNet vnet-spoke routes through fw-hub and uses Azure DNS" in result.result.message
    fix = result.result.remediation
    assert fix is not None
    assert fix.summary == "Enable DNS proxy on fw-hub and point vnet-spoke at 10.0.1.4 for DNS"
    assert ("az network vnet update --resource-group rg-spoke --name vnet-spoke --dns-servers 10.0.1.4"
            in fix.az_cli)


# -- proxy on, but a routed VNet resolves elsewhere ----------------------------------------------


def test_spoke_on_azure_dns_with_fqdn_network_rules_is_high() -> None:
    resources = arm.baseline()
    del arm.find(resources, "vnet-spoke")["properties"]["dhcpOptions"]
    result = arm.finding(resources, CHECK, "fw-hub")
    assert result.status is Status.FAIL
    assert result.severity is Severity.HIGH
    assert ("VNet vnet-spoke routes through fw-hub and uses Azure DNS (no dhcpOptions.dnsServers) "
            "instead of 10.0.1.4") in result.result.message
    fix = result.result.remediation
    assert fix is not None
    assert fix.az_cli == ("az network vnet update --resource-group rg-spoke --name vnet-spoke "
                          "--dns-servers 10.0.1.4",)  # the proxy is already on: no policy change
    assert "dnsServers: [ '10.0.1.4' ]" in fix.bicep
    assert 'dns_servers = ["10.0.1.4"]' in fix.terraform
    assert any("DHCP lease" in step for step in fix.steps)


def test_spoke_on_other_dns_without_fqdn_network_rules_is_low() -> None:
    resources = _without_fqdn_rules(arm.baseline())
    arm.find(resources, "vnet-spoke")["properties"]["dhcpOptions"]["dnsServers"] = ["10.20.8.4"]
    result = arm.finding(resources, CHECK, "fw-hub")
    assert result.status is Status.FAIL
    assert result.severity is Severity.LOW
    assert "VNet vnet-spoke routes through fw-hub and uses DNS server(s) 10.20.8.4 instead of 10.0.1.4" in (
        result.result.message)


def test_a_second_dns_server_besides_the_firewall_is_elsewhere() -> None:
    resources = arm.baseline()
    arm.find(resources, "vnet-spoke")["properties"]["dhcpOptions"]["dnsServers"] = [arm.FW_IP, "10.20.8.4"]
    result = arm.finding(resources, CHECK, "fw-hub")
    assert result.status is Status.FAIL
    assert result.severity is Severity.HIGH
    assert "lists 10.0.1.4 but also DNS server(s) 10.20.8.4" in result.result.message


# -- classic firewalls ---------------------------------------------------------------------------


def test_classic_firewall_with_proxy_true_passes() -> None:
    result = arm.finding(_classic({"Network.DNS.EnableProxy": "true"}), CHECK, "fw-hub")
    assert result.status is Status.PASS, result.result.message
    assert "classic firewall" in result.result.message
    assert result.result.evidence["policy"] is None


def test_classic_firewall_without_the_property_is_off() -> None:
    result = arm.finding(_classic(None), CHECK, "fw-hub")
    assert result.status is Status.FAIL
    assert result.severity is Severity.HIGH  # its classic ntp rule uses destinationFqdns
    assert 'additionalProperties["Network.DNS.EnableProxy"] is absent' in result.result.message
    fix = result.result.remediation
    assert fix is not None
    assert fix.az_cli == ("az network firewall update --resource-group rg-hub --name fw-hub "
                          "--enable-dns-proxy true",)
    assert "'Network.DNS.EnableProxy': 'true'" in fix.bicep
    assert "dns_proxy_enabled = true" in fix.terraform


def test_classic_firewall_with_proxy_false_is_off() -> None:
    result = arm.finding(_classic({"Network.DNS.EnableProxy": "false"}), CHECK, "fw-hub")
    assert result.status is Status.FAIL
    assert "is 'false'" in result.result.message


# -- inheritance ---------------------------------------------------------------------------------


def test_child_policy_inherits_proxy_on_from_its_base() -> None:
    result = arm.finding(_child_of_base(base_proxy=True), CHECK, "fw-hub")
    assert result.status is Status.PASS, result.result.message
    assert "inherited by fwpol-hub from base policy fwpol-base" in result.result.message
    assert result.result.evidence["decided_by"] == BASE_POLICY_ID


def test_child_policy_inherits_proxy_off_from_its_base() -> None:
    result = arm.finding(_child_of_base(base_proxy=False), CHECK, "fw-hub")
    assert result.status is Status.FAIL
    fix = result.result.remediation
    assert fix is not None
    assert any("fwpol-hub inherits enableProxy from its base policy fwpol-base" in s for s in fix.steps)
    # the change goes on the firewall's own policy
    assert fix.az_cli[0].startswith("az network firewall policy update --name fwpol-hub ")


def test_child_setting_overrides_its_base() -> None:
    result = arm.finding(_child_of_base(base_proxy=False, child_proxy=True), CHECK, "fw-hub")
    assert result.status is Status.PASS
    assert "in policy fwpol-hub" in result.result.message


def test_unknown_when_child_sets_nothing_and_its_base_is_missing() -> None:
    result = arm.finding(_child_of_base(base_proxy=True, include_base=False), CHECK, "fw-hub")
    assert result.status is Status.UNKNOWN
    assert "base policy fwpol-base" in result.result.message
    assert "not in the snapshot" in result.result.message


# -- unknown -------------------------------------------------------------------------------------


def test_unknown_when_the_firewall_policy_is_missing() -> None:
    resources = [r for r in arm.baseline() if r["name"] != "fwpol-hub"]
    result = arm.finding(resources, CHECK, "fw-hub")
    assert result.status is Status.UNKNOWN
    assert "firewall policy fwpol-hub" in result.result.message
    assert "not in the snapshot" in result.result.message


def test_unknown_when_the_firewall_has_no_properties() -> None:
    resources = arm.baseline()
    del arm.find(resources, "fw-hub")["properties"]
    result = arm.finding(resources, CHECK, "fw-hub")
    assert result.status is Status.UNKNOWN
    assert "without its properties" in result.result.message


def test_unknown_when_a_vnet_on_other_dns_may_route_through_the_firewall() -> None:
    missing_table = arm.rid(arm.SPOKE_SUB, arm.SPOKE_RG, "Microsoft.Network/routeTables", "rt-batch")
    resources = [*arm.baseline(), _second_spoke(missing_table, dns_servers=None)]
    result = arm.finding(resources, CHECK, "fw-hub")
    assert result.status is Status.UNKNOWN
    assert "vnet-batch" in result.result.message and "route table rt-batch" in result.result.message


def test_an_unplaceable_vnet_already_on_firewall_dns_does_not_matter() -> None:
    missing_table = arm.rid(arm.SPOKE_SUB, arm.SPOKE_RG, "Microsoft.Network/routeTables", "rt-batch")
    resources = [*arm.baseline(), _second_spoke(missing_table, dns_servers=[arm.FW_IP])]
    assert arm.finding(resources, CHECK, "fw-hub").status is Status.PASS


def test_a_second_routed_spoke_on_azure_dns_is_named() -> None:
    resources = [*arm.baseline(), _second_spoke(arm.RT_ID, dns_servers=None)]
    result = arm.finding(resources, CHECK, "fw-hub")
    assert result.status is Status.FAIL
    assert "VNet vnet-batch routes through fw-hub" in result.result.message
    assert "vnet-spoke" not in result.result.message


def test_custom_dns_servers_are_to_become_the_firewalls_upstream() -> None:
    resources = arm.baseline()
    arm.find(resources, "vnet-spoke")["properties"]["dhcpOptions"]["dnsServers"] = ["10.20.8.4"]
    fix = arm.finding(resources, CHECK, "fw-hub").result.remediation
    assert fix is not None
    assert any("If 10.20.8.4 are your own DNS servers" in s and "custom DNS servers of fw-hub" in s
               for s in fix.steps)


def test_proxy_off_with_unreadable_rules_is_medium_and_says_the_rules_were_not_seen() -> None:
    resources = [r for r in arm.baseline() if r["name"] != "rcg-aks"]
    _policy(resources)["properties"]["dnsSettings"]["enableProxy"] = False
    result = arm.finding(resources, CHECK, "fw-hub")
    assert result.status is Status.FAIL
    assert result.severity is Severity.MEDIUM
    assert "some rules could not be read, and may use FQDNs" in result.result.message
    assert "rule collection group rcg-aks" in result.result.message


# -- the plan (property changes) -----------------------------------------------------------------


def _plan(resources: list[arm.Json]) -> list[tuple[str, str, str, object, object]]:
    fix = arm.finding(resources, CHECK, "fw-hub").result.remediation
    assert fix is not None
    return [(c.resource_id, c.op, c.path, c.value, c.before) for c in fix.changes]


def test_the_plan_turns_the_policy_switch_and_replaces_the_spokes_dns_servers() -> None:
    resources = arm.baseline()
    _policy(resources)["properties"]["dnsSettings"]["enableProxy"] = False
    arm.find(resources, "vnet-spoke")["properties"]["dhcpOptions"]["dnsServers"] = ["10.20.8.4"]
    assert _plan(resources) == [
        (arm.POLICY_ID, "replace", "/properties/dnsSettings/enableProxy", True, False),
        (arm.SPOKE_VNET, "replace", "/properties/dhcpOptions/dnsServers", [arm.FW_IP], ["10.20.8.4"]),
    ]


def test_the_plan_adds_absent_parent_objects_whole() -> None:
    # JSON Patch cannot add /properties/dnsSettings/enableProxy when dnsSettings is absent
    resources = arm.baseline()
    del _policy(resources)["properties"]["dnsSettings"]
    del arm.find(resources, "vnet-spoke")["properties"]["dhcpOptions"]
    assert _plan(resources) == [
        (arm.POLICY_ID, "add", "/properties/dnsSettings", {"enableProxy": True}, None),
        (arm.SPOKE_VNET, "add", "/properties/dhcpOptions", {"dnsServers": [arm.FW_IP]}, None),
    ]


def test_the_plan_leaves_the_spoke_alone_when_only_the_proxy_is_off() -> None:
    resources = arm.baseline()
    _policy(resources)["properties"]["dnsSettings"]["enableProxy"] = False
    assert _plan(resources) == [
        (arm.POLICY_ID, "replace", "/properties/dnsSettings/enableProxy", True, False)]


def test_the_plan_overrides_an_inherited_setting_on_the_child_policy() -> None:
    assert _plan(_child_of_base(base_proxy=False)) == [
        (arm.POLICY_ID, "add", "/properties/dnsSettings", {"enableProxy": True}, None)]


def test_the_classic_plan_sets_the_additional_property_under_its_dotted_key() -> None:
    assert _plan(_classic(None)) == [
        (arm.FW_ID, "add", "/properties/additionalProperties/Network.DNS.EnableProxy", "true", None)]
    assert _plan(_classic({"Network.DNS.EnableProxy": "false"})) == [
        (arm.FW_ID, "replace", "/properties/additionalProperties/Network.DNS.EnableProxy", "true", "false")]


def test_unknown_not_pass_when_a_subscription_that_may_hold_routed_vnets_was_unreadable() -> None:
    from aksfw_tui.audit import audit
    from aksfw_tui.sources.snapshot import ArmSnapshot, Unreadable

    snapshot = ArmSnapshot(source={"kind": "live"})
    for resource in arm.baseline():
        if resource["name"] != "vnet-spoke":  # the spoke subscription answered 403
            snapshot.add(resource)
    snapshot.unreadable.append(Unreadable(f"/subscriptions/{arm.SPOKE_SUB}", "403 AuthorizationFailed"))
    finding = next(f for f in audit(snapshot, [CHECK])[1] if f.subject.name == "fw-hub")
    assert finding.status is Status.UNKNOWN
    assert f"/subscriptions/{arm.SPOKE_SUB} (403 AuthorizationFailed)" in finding.result.message
