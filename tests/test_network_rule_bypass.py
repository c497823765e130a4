"""network-rule-bypass: pass (baseline, non-overlapping sources, private /8, an earlier Deny),
fail high (`*`, a /8, Internet) and medium (AzureCloud.<region>), classic rules, unknown (missing
rule collection group, unreadable IP group, unknown egress) and not_applicable."""

from __future__ import annotations

from typing import Any

from aksfw_tui.checks.base import Change, Severity, Status
from aksfw_tui.checks.network_rule_bypass import CHECK
from tests import arm

APP_RULE = "fwpol-hub › rcg-aks › aks-app › aks-fqdn-tag"
REMOVE = ("az network firewall policy rule-collection-group collection rule remove --resource-group rg-hub "
          "--policy-name fwpol-hub --rule-collection-group-name rcg-aks --collection-name {collection} "
          "--name {rule}")


def _add(resources: list[arm.Json], name: str, priority: int, action: str, *rules: arm.Json) -> None:
    arm.find(resources, "rcg-aks")["properties"]["ruleCollections"].append(
        arm.filter_collection(name, priority, action, list(rules)))


def _finding(resources: list[arm.Json]) -> Any:
    return arm.finding(resources, CHECK, "aks-prod")


# -- pass -----------------------------------------------------------------------------------------


def test_passes_on_the_baseline_whose_network_rules_carry_no_http() -> None:
    # the tunnel rules go to AzureCloud.westeurope, but on UDP 1194 and TCP 9000, not 80/443
    result = _finding(arm.baseline())
    assert result.status is Status.PASS, result.result.message
    assert (f"no Allow network rule on fw-hub lets TCP 80 or 443 from snet-aks-nodes ({arm.NODE_CIDR})"
            in result.result.message)
    assert result.result.evidence["bypassing_rules"] == []


def test_a_rule_whose_sources_do_not_overlap_the_node_subnet_does_not_count() -> None:
    resources = arm.baseline()
    _add(resources, "other-spoke", 150, "Allow",
         arm.net_rule("web-anywhere", ["TCP"], ["10.30.0.0/16"], ["80", "443"], ["*"]))
    assert _finding(resources).status is Status.PASS


def test_a_private_slash_8_is_not_a_bypass_of_internet_filtering() -> None:
    resources = arm.baseline()
    _add(resources, "east-west", 150, "Allow",
         arm.net_rule("spokes-https", ["TCP"], [arm.NODE_CIDR], ["443"], ["10.0.0.0/8"]))
    result = _finding(resources)
    assert result.status is Status.PASS
    assert "fwpol-hub › rcg-aks › east-west › spokes-https → 10.0.0.0/8" in result.result.evidence[
        "narrow_http_network_rules"]


def test_no_finding_when_a_deny_processed_earlier_covers_the_traffic() -> None:
    resources = arm.baseline()
    _add(resources, "deny-web", 150, "Deny",
         arm.net_rule("deny-internet-https", ["TCP"], ["10.20.0.0/16"], ["443"], ["Internet"]))
    _add(resources, "web", 250, "Allow",
         arm.net_rule("https-anywhere", ["TCP"], [arm.NODE_CIDR], ["443"], ["*"]))
    assert _finding(resources).status is Status.PASS


# -- fail -----------------------------------------------------------------------------------------


def test_fails_high_for_an_allow_to_star_on_443() -> None:
    resources = arm.baseline()
    _add(resources, "web", 150, "Allow",
         arm.net_rule("https-anywhere", ["TCP"], [arm.NODE_CIDR], ["443"], ["*"]))
    result = _finding(resources)
    assert result.status is Status.FAIL
    assert result.severity is Severity.HIGH
    assert result.result.message == (
        f"network rule fwpol-hub › rcg-aks › web › https-anywhere (Allow) matches TCP 443 from {arm.NODE_CIDR} "
        f"(snet-aks-nodes) to * before any Deny, so application rules ({APP_RULE}) never see it: the "
        "nodes reach any internet host over HTTP(S), unfiltered")
    fix = result.result.remediation
    # the rule carries nothing but 443: it goes, and named FQDNs move to an application collection
    assert REMOVE.format(collection="web", rule="https-anywhere") in fix.az_cli
    assert any("add-filter-collection" in c and "--rule-collection-group-name rcg-aks --name workload-web"
               in c and f"--source-addresses {arm.NODE_CIDR}" in c for c in fix.az_cli)
    assert "delete rule 'https-anywhere'" in fix.bicep
    assert 'destination_fqdns = ["<fqdn-your-workloads-need>"]' in fix.terraform
    # the placeholder is quoted: unquoted, a shell would read < and > as redirections
    assert any("--target-fqdns '<fqdn-your-workloads-need>'" in c for c in fix.az_cli)
    assert any("AZFWNetworkRule" in s for s in fix.steps)


def test_fails_high_for_a_slash_8_on_80_and_443() -> None:
    resources = arm.baseline()
    _add(resources, "web", 150, "Allow",
         arm.net_rule("to-20-slash-8", ["TCP"], ["10.20.0.0/16"], ["80", "443", "8443"], ["20.0.0.0/8"]))
    result = _finding(resources)
    assert result.status is Status.FAIL
    assert result.severity is Severity.HIGH
    assert "matches TCP 80/443 from 10.20.0.0/22 (snet-aks-nodes) to 20.0.0.0/8" in result.result.message
    # 8443 is not HTTP(S) filtering's business: narrow the ports instead of removing the rule
    assert ("az network firewall policy rule-collection-group collection rule update --resource-group "
            "rg-hub --policy-name fwpol-hub --rule-collection-group-name rcg-aks --collection-name web "
            "--name to-20-slash-8 --destination-ports 8443") in result.result.remediation.az_cli


def test_fails_high_for_the_internet_tag_with_any_protocol_and_port() -> None:
    resources = arm.baseline()
    _add(resources, "web", 150, "Allow",
         arm.net_rule("everything-out", ["Any"], ["*"], ["*"], ["Internet"]))
    result = _finding(resources)
    assert result.status is Status.FAIL and result.severity is Severity.HIGH
    assert "everything-out (Allow) matches TCP 80/443" in result.result.message
    assert "to Internet before any Deny" in result.result.message
    # every other port stays open as before; only 80 and 443 move to application rules
    assert any(c.endswith("--name everything-out --destination-ports 1-79 81-442 444-65535")
               for c in result.result.remediation.az_cli)


def test_fails_medium_for_azurecloud_of_the_region_on_443() -> None:
    resources = arm.baseline()
    _add(resources, "azure", 150, "Allow",
         arm.net_rule("azure-https", ["TCP"], [arm.NODE_CIDR], ["443"], [f"AzureCloud.{arm.REGION}"]))
    result = _finding(resources)
    assert result.status is Status.FAIL
    assert result.severity is Severity.MEDIUM
    assert "to AzureCloud.westeurope before any Deny" in result.result.message
    assert ("every Azure-hosted endpoint in westeurope, anyone's storage account included, becomes an "
            "exfiltration path") in result.result.message
    bypass = result.result.evidence["bypassing_rules"][0]
    assert bypass["label"] == "fwpol-hub › rcg-aks › azure › azure-https"
    assert bypass["ports"] == [443] and bypass["node_sources"] == arm.NODE_CIDR
    assert bypass["bypassed_application_rules"] == [APP_RULE]


def test_the_worst_destination_sets_the_severity() -> None:
    resources = arm.baseline()
    _add(resources, "azure", 150, "Allow",
         arm.net_rule("azure-https", ["TCP"], [arm.NODE_CIDR], ["443"], ["AzureCloud"]),
         arm.net_rule("http-anywhere", ["TCP"], [arm.NODE_CIDR], ["80"], ["*"]))
    result = _finding(resources)
    assert result.severity is Severity.HIGH
    assert len(result.result.evidence["bypassing_rules"]) == 2


def test_a_deny_processed_after_the_allow_does_not_excuse_it() -> None:
    resources = arm.baseline()
    _add(resources, "web", 150, "Allow",
         arm.net_rule("https-anywhere", ["TCP"], [arm.NODE_CIDR], ["443"], ["*"]))
    _add(resources, "deny-web", 250, "Deny",
         arm.net_rule("deny-internet-https", ["TCP"], ["*"], ["443"], ["Internet"]))
    assert _finding(resources).status is Status.FAIL


def test_an_earlier_deny_for_part_of_the_subnet_leaves_the_rest_reported() -> None:
    resources = arm.baseline()
    _add(resources, "deny-web", 150, "Deny",
         arm.net_rule("deny-half", ["TCP"], ["10.20.0.0/23"], ["443"], ["*"]))
    _add(resources, "web", 250, "Allow",
         arm.net_rule("https-anywhere", ["TCP"], [arm.NODE_CIDR], ["443"], ["*"]))
    result = _finding(resources)
    assert result.status is Status.FAIL
    assert "matches TCP 443 from 10.20.2.0/23 (snet-aks-nodes) to *" in result.result.message


def test_an_earlier_deny_with_unreadable_sources_does_not_excuse_a_seen_rule_but_is_named() -> None:
    resources = arm.baseline()
    group = arm.rid(arm.HUB_SUB, arm.HUB_RG, "Microsoft.Network/ipGroups", "ipg-quarantine")
    _add(resources, "deny-web", 150, "Deny",
         arm.net_rule("deny-quarantined", ["TCP"], [], ["443"], ["*"], source_groups=[group]))
    _add(resources, "web", 250, "Allow",
         arm.net_rule("https-anywhere", ["TCP"], [arm.NODE_CIDR], ["443"], ["*"]))
    result = _finding(resources)
    assert result.status is Status.FAIL
    assert ("(unless fwpol-hub › rcg-aks › deny-web › deny-quarantined references IP group "
            "ipg-quarantine") in result.result.message
    assert result.result.evidence["bypassing_rules"][0]["unreadable_earlier_denies"]


def test_a_classic_rules_firewall_gets_classic_commands() -> None:
    resources = [r for r in arm.baseline() if r["name"] not in ("fwpol-hub", "rcg-aks")]
    fw = arm.find(resources, "fw-hub")["properties"]
    del fw["firewallPolicy"]
    fw["networkRuleCollections"] = [{
        "name": "aks-net", "id": f"{arm.FW_ID}/networkRuleCollections/aks-net",
        "properties": {"priority": 100, "action": {"type": "Allow"}, "rules": [
            {"name": "https-anywhere", "protocols": ["TCP"], "sourceAddresses": [arm.NODE_CIDR],
             "destinationAddresses": ["*"], "destinationPorts": ["443"], "destinationFqdns": []}]}}]
    result = _finding(resources)
    assert result.status is Status.FAIL
    assert "network rule fw-hub › aks-net › https-anywhere (Allow)" in result.result.message
    fix = result.result.remediation
    # https-anywhere is aks-net's only rule, and a classic collection may not be empty: both go
    assert ("az network firewall network-rule collection delete --resource-group rg-hub --firewall-name "
            "fw-hub --collection-name aks-net") in fix.az_cli
    assert [(c.resource_id, c.op, c.path) for c in fix.changes if c.op == "remove"] == [
        (arm.FW_ID, "remove", "/properties/networkRuleCollections/0")]
    assert any(c.startswith("az network firewall application-rule create --resource-group rg-hub "
                            "--firewall-name fw-hub --collection-name workload-web") for c in fix.az_cli)
    assert 'resource "azurerm_firewall_application_rule_collection" "workload_web"' in fix.terraform


# -- unknown / not applicable ---------------------------------------------------------------------


def test_unknown_when_the_rule_collection_group_is_missing_from_the_export() -> None:
    resources = [r for r in arm.baseline() if r["name"] != "rcg-aks"]
    result = _finding(resources)
    assert result.status is Status.UNKNOWN
    assert f"rule collection group rcg-aks ({arm.GROUP_ID}) is not in the snapshot" in result.result.message


def test_unknown_when_a_broad_rule_takes_its_sources_from_an_unreadable_ip_group() -> None:
    resources = arm.baseline()
    group = arm.rid(arm.SPOKE_SUB, arm.SPOKE_RG, "Microsoft.Network/ipGroups", "ipg-spokes")
    _add(resources, "web", 150, "Allow",
         arm.net_rule("https-anywhere", ["TCP"], [], ["443"], ["*"], source_groups=[group]))
    result = _finding(resources)
    assert result.status is Status.UNKNOWN
    assert "https-anywhere allows TCP 443 from sources that reference IP group ipg-spokes" in result.result.message


def test_unknown_when_egress_through_a_firewall_is_unknown() -> None:
    resources = arm.baseline()
    arm.find(resources, "rt-aks")["properties"]["routes"][0]["properties"]["nextHopIpAddress"] = "10.100.0.4"
    result = _finding(resources)
    assert result.status is Status.UNKNOWN
    assert "cannot tell whether aks-prod egresses through an Azure Firewall" in result.result.message


def test_not_applicable_for_load_balancer_outbound() -> None:
    resources = arm.baseline()
    arm.find(resources, "aks-prod")["properties"]["networkProfile"]["outboundType"] = "loadBalancer"
    del arm.find(resources, "vnet-spoke")["properties"]["subnets"][0]["properties"]["routeTable"]
    result = _finding(resources)
    assert result.status is Status.NOT_APPLICABLE
    assert "aks-prod does not egress through an Azure Firewall" in result.result.message


# -- the plan (property changes on existing resources) --------------------------------------------


def _web_collection(priority: int, sources: list[str]) -> arm.Json:
    """The application collection the plan appends, FQDNs still to be filled in."""
    return {"ruleCollectionType": "FirewallPolicyFilterRuleCollection", "name": "workload-web",
            "priority": priority, "action": {"type": "Allow"},
            "rules": [{"ruleType": "ApplicationRule", "name": "workload-web", "sourceAddresses": sources,
                       "protocols": [{"protocolType": "Https", "port": 443},
                                     {"protocolType": "Http", "port": 80}],
                       "targetFqdns": ["<fqdn-your-workloads-need>"]}]}


def test_the_plan_drops_80_and_443_from_the_rule_and_appends_the_application_collection() -> None:
    resources = arm.baseline()
    _add(resources, "web", 150, "Allow",
         arm.net_rule("to-20-slash-8", ["TCP"], ["10.20.0.0/16"], ["80", "443", "8443"], ["20.0.0.0/8"]))
    fix = _finding(resources).result.remediation
    # rcg-aks has collections at 100, 200 (aks-net, aks-app) and web at 150 (index 2): the new
    # one goes after them all at 300, for the node part of the rule's sources only
    assert list(fix.changes) == [
        Change(arm.GROUP_ID, "add", "/properties/ruleCollections/-", _web_collection(300, [arm.NODE_CIDR])),
        Change(arm.GROUP_ID, "replace", "/properties/ruleCollections/2/rules/0/destinationPorts",
               ["8443"], ["80", "443", "8443"])]


def test_the_plan_removes_rules_of_one_collection_highest_index_first() -> None:
    resources = arm.baseline()
    _add(resources, "azure", 150, "Allow",
         arm.net_rule("azure-https", ["TCP"], [arm.NODE_CIDR], ["443"], ["AzureCloud"]),
         arm.net_rule("http-anywhere", ["TCP"], [arm.NODE_CIDR], ["80"], ["*"]))
    rules = arm.find(resources, "rcg-aks")["properties"]["ruleCollections"][2]["rules"]
    removals = [(c.path, c.before) for c in _finding(resources).result.remediation.changes
                if c.op == "remove"]
    assert removals == [("/properties/ruleCollections/2/rules/1", rules[1]),
                        ("/properties/ruleCollections/2/rules/0", rules[0])]


def test_rules_in_one_group_share_one_application_collection_for_all_their_sources() -> None:
    resources = arm.baseline()
    arm.find(resources, "vnet-spoke")["properties"]["subnets"].append(
        arm.subnet(arm.SPOKE_VNET, "snet-aks-user", "10.20.4.0/22", arm.RT_ID))
    arm.find(resources, "aks-prod")["properties"]["agentPoolProfiles"][1]["vnetSubnetID"] = (
        f"{arm.SPOKE_VNET}/subnets/snet-aks-user")
    _add(resources, "web", 150, "Allow",
         arm.net_rule("system-https", ["TCP"], [arm.NODE_CIDR], ["443"], ["*"]),
         arm.net_rule("user-https", ["TCP"], ["10.20.4.0/22"], ["443"], ["*"]))
    fix = _finding(resources).result.remediation
    adds = [c.value for c in fix.changes if c.op == "add"]
    # one workload-web collection, not two with the same name and priority
    assert adds == [_web_collection(300, ["10.20.0.0/21"])]
    assert sum("--name workload-web" in c for c in fix.az_cli) == 1
