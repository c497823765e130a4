"""tunnel-ports: pass, fail high/low (konnectivity), broad rules, partial coverage, explicit Deny,
classic rules, unknown (egress, unreadable rules, undecidable rules) and not_applicable."""

from aksfw_tui.checks.base import Severity, Status
from aksfw_tui.checks.tunnel_ports import CHECK
from tests import arm

API = "aks-prod-1a2b3c4d.hcp.westeurope.azmk8s.io"


def _collections(resources: list[arm.Json]) -> list[arm.Json]:
    return arm.find(resources, "rcg-aks")["properties"]["ruleCollections"]


def _without_rules(resources: list[arm.Json], *names: str) -> list[arm.Json]:
    for collection in _collections(resources):
        collection["rules"] = [r for r in collection["rules"] if r["name"] not in names]
    return resources


def _classic(resources: list[arm.Json], network_rules: list[arm.Json]) -> list[arm.Json]:
    """The baseline firewall with classic rules instead of its policy."""
    resources = [r for r in resources if r["name"] not in ("fwpol-hub", "rcg-aks")]
    properties = arm.find(resources, "fw-hub")["properties"]
    del properties["firewallPolicy"]
    properties["networkRuleCollections"] = [{
        "name": "aks-net", "id": f"{arm.FW_ID}/networkRuleCollections/aks-net",
        "properties": {"priority": 200, "action": {"type": "Allow"}, "rules": network_rules}}]
    return resources


def _classic_rule(name: str, protocol: str, port: str) -> arm.Json:
    return {"name": name, "protocols": [protocol], "sourceAddresses": [arm.NODE_CIDR],
            "destinationAddresses": [f"AzureCloud.{arm.REGION}"], "destinationPorts": [port]}


def test_passes_on_the_baseline_naming_the_tunnel_rules() -> None:
    result = arm.finding(arm.baseline(), CHECK, "aks-prod")
    assert result.status is Status.PASS, result.result.message
    flows = result.result.evidence["node_subnets"][0]["flows"]
    assert flows["UDP 1194"]["rules"][0]["rule"] == "tunnel-udp"
    assert flows["TCP 9000"]["rules"][0]["rule"] == "tunnel-tcp"
    assert "10.20.0.0/22" in result.result.message and "AzureCloud.westeurope" in result.result.message


def test_fails_high_when_tunnel_ports_and_konnectivity_are_both_closed() -> None:
    resources = _without_rules(arm.baseline(), "tunnel-udp", "tunnel-tcp", "aks-fqdn-tag")
    result = arm.finding(resources, CHECK, "aks-prod")
    assert result.status is Status.FAIL
    assert result.severity is Severity.HIGH
    message = result.result.message
    assert "UDP 1194 from snet-aks-nodes (10.20.0.0/22) via fw-hub denied" in message
    assert "TCP 9000 from snet-aks-nodes (10.20.0.0/22) via fw-hub denied" in message
    assert f"konnectivity path (TCP 443 to {API}) is closed too" in message
    fix = result.result.remediation
    assert fix is not None
    assert ("az network firewall policy rule-collection-group collection add-filter-collection "
            "--resource-group rg-hub --policy-name fwpol-hub --rule-collection-group-name rcg-aks "
            "--name aks-tunnel-aks-prod --collection-priority 210 --action Allow --rule-name tunnel-udp "
            "--rule-type NetworkRule --ip-protocols UDP --source-addresses 10.20.0.0/22 "
            "--destination-addresses AzureCloud.westeurope --destination-ports 1194") in fix.az_cli
    assert any("collection rule add" in c and "--name tunnel-tcp" in c and "--destination-ports 9000" in c
               for c in fix.az_cli)
    assert "name: 'fwpol-hub/rcg-aks'" in fix.bicep and "destinationPorts: [ '9000' ]" in fix.bicep
    assert 'resource "azurerm_firewall_policy_rule_collection_group" "rcg_aks"' in fix.terraform
    assert f'firewall_policy_id = "{arm.POLICY_ID}"' in fix.terraform
    assert 'destination_addresses = ["AzureCloud.westeurope"]' in fix.terraform


def test_fails_low_when_only_the_konnectivity_path_is_open() -> None:
    resources = _without_rules(arm.baseline(), "tunnel-udp", "tunnel-tcp")
    result = arm.finding(resources, CHECK, "aks-prod")
    assert result.status is Status.FAIL
    assert result.severity is Severity.LOW
    assert (f"konnectivity path (TCP 443 to {API}) is open (allowed by fwpol-hub › rcg-aks › aks-app › "
            "aks-fqdn-tag)") in result.result.message
    konnectivity = result.result.evidence["konnectivity"]["snet-aks-nodes"]
    assert konnectivity["decision"] == "allow"


def test_a_broad_network_rule_allows_the_ports_and_is_named_in_the_evidence() -> None:
    resources = _without_rules(arm.baseline(), "tunnel-udp", "tunnel-tcp")
    _collections(resources)[0]["rules"].append(arm.net_rule("allow-all", ["Any"], ["*"], ["*"], ["*"]))
    result = arm.finding(resources, CHECK, "aks-prod")
    assert result.status is Status.PASS, result.result.message
    flows = result.result.evidence["node_subnets"][0]["flows"]
    assert [r["rule"] for r in flows["UDP 1194"]["rules"]] == ["allow-all"]
    assert [r["rule"] for r in flows["TCP 9000"]["rules"]] == ["allow-all"]
    assert "allowed by fwpol-hub › rcg-aks › aks-net › allow-all" in result.result.message


def test_a_rule_covering_part_of_the_node_subnet_fails_and_offers_to_widen_it() -> None:
    resources = arm.baseline()
    for rule in _collections(resources)[0]["rules"][:2]:
        rule["sourceAddresses"] = ["10.20.0.0/23"]
    result = arm.finding(resources, CHECK, "aks-prod")
    assert result.status is Status.FAIL
    assert "denied for 10.20.2.0/23 by no rule matched (default deny)" in result.result.message
    fix = result.result.remediation
    assert fix is not None
    assert any(s.startswith("Alternatively widen the sources of fwpol-hub › rcg-aks › aks-net › tunnel-udp")
               for s in fix.steps)
    # the new rules cover the whole subnet, not just the missing half
    assert any("--source-addresses 10.20.0.0/22" in c for c in fix.az_cli)


def test_only_the_missing_port_is_added() -> None:
    resources = _without_rules(arm.baseline(), "tunnel-udp", "aks-fqdn-tag")
    result = arm.finding(resources, CHECK, "aks-prod")
    assert result.status is Status.FAIL
    assert "TCP 9000" not in result.result.message
    fix = result.result.remediation
    assert fix is not None
    assert not any("9000" in c for c in fix.az_cli)
    assert any("--rule-name tunnel-udp" in c for c in fix.az_cli)


def test_an_explicit_deny_first_is_overtaken_by_a_lower_priority_number() -> None:
    resources = arm.baseline()
    collections = _collections(resources)
    collections[0]["priority"] = 160
    collections.append(arm.filter_collection("deny-vpn", 150, "Deny", [
        arm.net_rule("no-openvpn", ["UDP"], ["*"], ["1194"], ["*"])]))
    result = arm.finding(resources, CHECK, "aks-prod")
    assert result.status is Status.FAIL
    assert "UDP 1194 from snet-aks-nodes (10.20.0.0/22) via fw-hub denied by fwpol-hub › rcg-aks › " \
           "deny-vpn › no-openvpn" in result.result.message
    assert result.severity is Severity.LOW  # the FQDN tag still opens konnectivity
    fix = result.result.remediation
    assert fix is not None
    assert any("--collection-priority 149" in c for c in fix.az_cli)
    assert any("deny-vpn › no-openvpn (Deny, collection priority 150)" in s and "priority 149" in s
               for s in fix.steps)


def test_classic_rules_pass_and_fail_with_classic_commands() -> None:
    passing = _classic(arm.baseline(), [_classic_rule("tunnel-udp", "UDP", "1194"),
                                        _classic_rule("tunnel-tcp", "TCP", "9000")])
    assert arm.finding(passing, CHECK, "aks-prod").status is Status.PASS
    failing = _classic(arm.baseline(), [_classic_rule("tunnel-tcp", "TCP", "9000")])
    result = arm.finding(failing, CHECK, "aks-prod")
    assert result.status is Status.FAIL
    assert result.severity is Severity.HIGH  # no application rules at all: konnectivity closed
    fix = result.result.remediation
    assert fix is not None
    assert ("az network firewall network-rule create --resource-group rg-hub --firewall-name fw-hub "
            "--collection-name aks-tunnel-aks-prod --priority 210 --action Allow --name tunnel-udp "
            "--protocols UDP --source-addresses 10.20.0.0/22 --destination-addresses "
            "AzureCloud.westeurope --destination-ports 1194") in fix.az_cli
    assert 'resource "azurerm_firewall_network_rule_collection" "aks_tunnel_aks_prod"' in fix.terraform
    assert 'azure_firewall_name = "fw-hub"' in fix.terraform
    assert "properties.networkRuleCollections" in fix.bicep


def test_not_applicable_for_a_private_cluster() -> None:
    resources = arm.baseline()
    resources[-2] = arm.cluster(arm.SPOKE_SUB, arm.SPOKE_RG, "aks-prod",
                                [arm.pool("system", arm.NODE_SUBNET)], private=True)
    result = arm.finding(resources, CHECK, "aks-prod")
    assert result.status is Status.NOT_APPLICABLE
    assert "private cluster" in result.result.message and "inside the VNet" in result.result.message


def test_not_applicable_with_api_server_vnet_integration() -> None:
    resources = arm.baseline()
    resources[-2] = arm.cluster(arm.SPOKE_SUB, arm.SPOKE_RG, "aks-prod",
                                [arm.pool("system", arm.NODE_SUBNET)], vnet_integration=True)
    result = arm.finding(resources, CHECK, "aks-prod")
    assert result.status is Status.NOT_APPLICABLE
    assert "API Server VNet Integration" in result.result.message


def test_not_applicable_with_load_balancer_outbound_and_no_route_to_the_firewall() -> None:
    resources = arm.baseline()
    arm.find(resources, "aks-prod")["properties"]["networkProfile"]["outboundType"] = "loadBalancer"
    del arm.find(resources, "vnet-spoke")["properties"]["subnets"][0]["properties"]["routeTable"]
    result = arm.finding(resources, CHECK, "aks-prod")
    assert result.status is Status.NOT_APPLICABLE
    assert "snet-aks-nodes has no route table" in result.result.message
    assert "see outbound-type" in result.result.message


def test_routes_decide_egress_not_the_outbound_type() -> None:
    """With a 0.0.0.0/0 route to the firewall, packets go there whatever outboundType says
    (outbound-type reports the setting); so the tunnel ports still matter."""
    resources = arm.baseline()
    arm.find(resources, "aks-prod")["properties"]["networkProfile"]["outboundType"] = "loadBalancer"
    result = arm.finding(resources, CHECK, "aks-prod")
    assert result.status is Status.PASS, result.result.message


def test_not_applicable_when_the_node_subnet_has_no_route_table() -> None:
    resources = arm.baseline()
    del arm.find(resources, "vnet-spoke")["properties"]["subnets"][0]["properties"]["routeTable"]
    result = arm.finding(resources, CHECK, "aks-prod")
    assert result.status is Status.NOT_APPLICABLE
    assert "has no route table" in result.result.message


def test_unknown_when_egress_through_a_firewall_is_unknown() -> None:
    resources = arm.baseline()
    arm.find(resources, "rt-aks")["properties"]["routes"][0]["properties"]["nextHopIpAddress"] = "10.100.0.4"
    result = arm.finding(resources, CHECK, "aks-prod")
    assert result.status is Status.UNKNOWN
    assert "egresses through a firewall is unknown" in result.result.message
    assert "10.100.0.4 lies outside every VNet in the snapshot" in result.result.message


def test_unknown_when_the_rule_collection_group_is_missing_from_the_export() -> None:
    resources = [r for r in arm.baseline() if r["name"] != "rcg-aks"]
    result = arm.finding(resources, CHECK, "aks-prod")
    assert result.status is Status.UNKNOWN
    assert "rule collection group rcg-aks" in result.result.message
    assert "not in the snapshot" in result.result.message


def test_unknown_when_another_group_is_unreadable_even_though_the_readable_one_allows() -> None:
    resources = arm.baseline()
    arm.find(resources, "fwpol-hub")["properties"]["ruleCollectionGroups"].insert(
        0, {"id": f"{arm.POLICY_ID}/ruleCollectionGroups/rcg-platform"})
    result = arm.finding(resources, CHECK, "aks-prod")
    assert result.status is Status.UNKNOWN  # the unread group might deny the ports first
    assert "rcg-platform" in result.result.message


def test_unknown_when_a_rule_names_an_ip_that_cannot_be_related_to_the_api_server() -> None:
    resources = arm.baseline()
    for rule in _collections(resources)[0]["rules"][:2]:
        rule["destinationAddresses"] = ["20.50.12.7"]
    result = arm.finding(resources, CHECK, "aks-prod")
    assert result.status is Status.UNKNOWN
    assert "cannot be known offline" in result.result.message


def test_a_seen_failure_wins_over_an_undecidable_flow() -> None:
    resources = _without_rules(arm.baseline(), "tunnel-tcp")
    _collections(resources)[0]["rules"][0]["destinationAddresses"] = ["20.50.12.7"]
    result = arm.finding(resources, CHECK, "aks-prod")
    assert result.status is Status.FAIL
    assert "TCP 9000" in result.result.message
    fix = result.result.remediation
    assert fix is not None and not any("--destination-ports 1194" in c for c in fix.az_cli)


def test_unknown_when_cluster_has_no_properties() -> None:
    resources = arm.baseline()
    del arm.find(resources, "aks-prod")["properties"]
    assert arm.finding(resources, CHECK, "aks-prod").status is Status.UNKNOWN


def test_fails_high_when_the_konnectivity_path_cannot_be_seen() -> None:
    resources = _without_rules(arm.baseline(), "tunnel-udp", "tunnel-tcp", "aks-fqdn-tag")
    _collections(resources)[0]["rules"].append(
        arm.net_rule("https-to-one-ip", ["TCP"], [arm.NODE_CIDR], ["443"], ["20.50.12.7"]))
    result = arm.finding(resources, CHECK, "aks-prod")
    assert result.status is Status.FAIL
    assert result.severity is Severity.HIGH
    assert f"whether the konnectivity path (TCP 443 to {API}) is open could not be seen" in result.result.message
    assert "https-to-one-ip" in result.result.message


def test_a_deny_in_the_base_policy_is_named_as_the_place_to_change() -> None:
    resources = arm.baseline()
    base_id = arm.rid(arm.HUB_SUB, arm.HUB_RG, "Microsoft.Network/firewallPolicies", "fwpol-base")
    base_group = f"{base_id}/ruleCollectionGroups/rcg-guardrails"
    arm.find(resources, "fwpol-hub")["properties"]["basePolicy"] = {"id": base_id}
    resources += [arm.policy(arm.HUB_SUB, arm.HUB_RG, "fwpol-base", [base_group]),
                  arm.rcg(base_id, "rcg-guardrails", 100, [arm.filter_collection("deny-vpn", 100, "Deny", [
                      arm.net_rule("no-openvpn", ["UDP"], ["*"], ["1194"], ["*"])])])]
    result = arm.finding(resources, CHECK, "aks-prod")
    assert result.status is Status.FAIL
    assert "denied by fwpol-base › rcg-guardrails › deny-vpn › no-openvpn" in result.result.message
    fix = result.result.remediation
    assert fix is not None
    assert any("comes from base policy fwpol-base" in s for s in fix.steps)


# -- the plan (property changes on existing resources) --------------------------------------------


def test_the_plan_appends_the_tunnel_collection_to_the_existing_group() -> None:
    resources = _without_rules(arm.baseline(), "tunnel-udp", "tunnel-tcp")
    fix = arm.finding(resources, CHECK, "aks-prod").result.remediation
    assert fix is not None
    rule = {"sourceAddresses": [arm.NODE_CIDR], "destinationAddresses": ["AzureCloud.westeurope"]}
    # rcg-aks uses collection priorities 100 and 200: the new one follows at 210
    assert [(c.resource_id, c.op, c.path, c.value, c.before) for c in fix.changes] == [
        (arm.GROUP_ID, "add", "/properties/ruleCollections/-",
         {"ruleCollectionType": "FirewallPolicyFilterRuleCollection", "name": "aks-tunnel-aks-prod",
          "priority": 210, "action": {"type": "Allow"},
          "rules": [{"ruleType": "NetworkRule", "name": "tunnel-udp", **rule, "ipProtocols": ["UDP"],
                     "destinationPorts": ["1194"]},
                    {"ruleType": "NetworkRule", "name": "tunnel-tcp", **rule, "ipProtocols": ["TCP"],
                     "destinationPorts": ["9000"]}]},
         None)]


def test_the_plan_appends_to_the_classic_network_collections_of_the_firewall() -> None:
    resources = _classic(arm.baseline(), [_classic_rule("tunnel-tcp", "TCP", "9000")])
    fix = arm.finding(resources, CHECK, "aks-prod").result.remediation
    assert fix is not None
    assert [(c.resource_id, c.op, c.path, c.value) for c in fix.changes] == [
        (arm.FW_ID, "add", "/properties/networkRuleCollections/-",
         {"name": "aks-tunnel-aks-prod", "properties": {
             "priority": 210, "action": {"type": "Allow"},
             "rules": [{"name": "tunnel-udp", "sourceAddresses": [arm.NODE_CIDR], "protocols": ["UDP"],
                        "destinationAddresses": ["AzureCloud.westeurope"], "destinationPorts": ["1194"]}]}})]


def test_a_policy_without_groups_gets_a_new_group_and_no_change_to_existing_resources() -> None:
    resources = [r for r in arm.baseline() if r["name"] != "rcg-aks"]
    arm.find(resources, "fwpol-hub")["properties"]["ruleCollectionGroups"] = []
    result = arm.finding(resources, CHECK, "aks-prod")
    assert result.status is Status.FAIL
    fix = result.result.remediation
    assert fix is not None
    assert fix.changes == ()
    assert any("rule-collection-group create" in c and "--name rcg-aks-egress" in c for c in fix.az_cli)
