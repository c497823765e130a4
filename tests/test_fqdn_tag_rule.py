"""fqdn-tag-rule: pass (policy and classic rules, bypassed by a network rule), fail (no tag rule,
Deny collection, partial sources, shadowed by an earlier application or network Deny), unknown
(missing rule collection group, unreadable IP group, undecidable service tag, unknown egress) and
not_applicable."""

from __future__ import annotations

from typing import Any

from aksfw_tui.checks.base import Status
from aksfw_tui.checks.fqdn_tag_rule import CHECK
from tests import arm

API_FQDN = "aks-prod-1a2b3c4d.hcp.westeurope.azmk8s.io"
TAG_RULE = "fwpol-hub › rcg-aks › aks-app › aks-fqdn-tag"
ADD_COLLECTION = ("az network firewall policy rule-collection-group collection add-filter-collection "
                  "--resource-group rg-hub --policy-name fwpol-hub --rule-collection-group-name rcg-aks "
                  "--name aks-fqdn-tag --collection-priority {priority} --action Allow --rule-name "
                  "aks-fqdn-tag --rule-type ApplicationRule --protocols Https=443 Http=80 "
                  "--source-addresses {sources} --fqdn-tags AzureKubernetesService")


def _collections(resources: list[arm.Json]) -> list[arm.Json]:
    collections: list[arm.Json] = arm.find(resources, "rcg-aks")["properties"]["ruleCollections"]
    return collections


def _tag_rule(resources: list[arm.Json]) -> arm.Json:
    rule: arm.Json = _collections(resources)[1]["rules"][0]
    return rule


def _finding(resources: list[arm.Json]) -> Any:
    return arm.finding(resources, CHECK, "aks-prod")


def _classic(app: list[arm.Json], net: list[arm.Json]) -> list[arm.Json]:
    """The baseline hub with classic rules on the firewall instead of a Firewall Policy."""
    resources = [r for r in arm.baseline() if r["name"] not in ("fwpol-hub", "rcg-aks")]
    fw = arm.find(resources, "fw-hub")["properties"]
    del fw["firewallPolicy"]
    fw["additionalProperties"] = {"Network.DNS.EnableProxy": "true"}
    fw["applicationRuleCollections"] = app
    fw["networkRuleCollections"] = net
    return resources


def _classic_collection(kind: str, name: str, priority: int, action: str, rules: list[arm.Json]) -> arm.Json:
    return {"name": name, "id": f"{arm.FW_ID}/{kind}/{name}", "etag": arm.ETAG,
            "properties": {"priority": priority, "action": {"type": action}, "rules": rules,
                           "provisioningState": "Succeeded"}}


def _classic_tag_collection() -> arm.Json:
    return _classic_collection("applicationRuleCollections", "aks-app", 200, "Allow", [
        {"name": "aks-fqdn-tag", "sourceAddresses": [arm.NODE_CIDR], "sourceIpGroups": [],
         "protocols": [{"protocolType": "Https", "port": 443}, {"protocolType": "Http", "port": 80}],
         "targetFqdns": [], "fqdnTags": ["AzureKubernetesService"]}])


def _classic_tunnel_collection() -> arm.Json:
    return _classic_collection("networkRuleCollections", "aks-net", 100, "Allow", [
        {"name": "tunnel-udp", "protocols": ["UDP"], "sourceAddresses": [arm.NODE_CIDR],
         "sourceIpGroups": [], "destinationAddresses": [f"AzureCloud.{arm.REGION}"],
         "destinationIpGroups": [], "destinationFqdns": [], "destinationPorts": ["1194"]}])


# -- pass -----------------------------------------------------------------------------------------


def test_passes_when_the_tag_rule_allows_https_from_the_whole_node_subnet() -> None:
    result = _finding(arm.baseline())
    assert result.status is Status.PASS, result.result.message
    assert f"fw-hub allows HTTPS from snet-aks-nodes ({arm.NODE_CIDR})" in result.result.message
    assert TAG_RULE in result.result.message
    subnet = result.result.evidence["node_subnets"][0]
    # both tag members the nodes need were evaluated, and the tag rule decided both
    assert [f["flow"] for f in subnet["flows"]] == ["TCP/443 → mcr.microsoft.com", f"TCP/443 → {API_FQDN}"]
    assert all(f["decision"] == "allow" and f["parts"][0]["rule"] == TAG_RULE for f in subnet["flows"])
    assert subnet["bypassed_by_network_rules"] == []


def test_a_private_cluster_is_only_probed_with_mcr() -> None:
    resources = arm.baseline()
    arm.find(resources, "aks-prod")["properties"].pop("fqdn")
    arm.find(resources, "aks-prod")["properties"]["apiServerAccessProfile"] = {"enablePrivateCluster": True}
    result = _finding(resources)
    assert result.status is Status.PASS
    assert [f["flow"] for f in result.result.evidence["node_subnets"][0]["flows"]] == [
        "TCP/443 → mcr.microsoft.com"]


def test_passes_with_the_bypassing_network_rule_named_when_it_allows_https_first() -> None:
    resources = arm.baseline()
    _collections(resources)[0]["rules"].append(
        arm.net_rule("https-anywhere", ["TCP"], [arm.NODE_CIDR], ["443"], ["*"]))
    result = _finding(resources)
    assert result.status is Status.PASS, result.result.message
    bypass = "fwpol-hub › rcg-aks › aks-net › https-anywhere"
    assert f"network rule {bypass} matches the same traffic first" in result.result.message
    assert "see network-rule-bypass" in result.result.message
    assert result.result.evidence["node_subnets"][0]["bypassed_by_network_rules"] == [bypass]


def test_a_network_allow_to_azurecloud_bypasses_for_the_api_server_and_may_for_mcr() -> None:
    resources = arm.baseline()
    _collections(resources)[0]["rules"].append(
        arm.net_rule("azure-https", ["TCP"], [arm.NODE_CIDR], ["443"], ["AzureCloud"]))
    result = _finding(resources)
    assert result.status is Status.PASS, result.result.message
    subnet = result.result.evidence["node_subnets"][0]
    rule = "fwpol-hub › rcg-aks › aks-net › azure-https"
    # the API server is known to be in AzureCloud; whether mcr.microsoft.com is cannot be known offline
    assert subnet["bypassed_by_network_rules"] == [rule]
    assert subnet["maybe_bypassed_by_network_rules"] == [rule]
    assert f"network rule {rule} matches the same traffic first" in result.result.message


def test_a_classic_rules_firewall_with_the_tag_rule_passes() -> None:
    resources = _classic([_classic_tag_collection()], [_classic_tunnel_collection()])
    result = _finding(resources)
    assert result.status is Status.PASS, result.result.message
    assert "fw-hub › aks-app › aks-fqdn-tag" in result.result.message


# -- fail -----------------------------------------------------------------------------------------


def test_fails_when_there_is_no_tag_rule() -> None:
    resources = arm.baseline()
    _collections(resources).pop(1)
    result = _finding(resources)
    assert result.status is Status.FAIL
    assert result.result.message == (
        "fw-hub has no Allow application rule with the AzureKubernetesService FQDN tag for HTTPS 443 "
        f"whose sources include snet-aks-nodes ({arm.NODE_CIDR})")
    fix = result.result.remediation
    # the new collection goes into the group that already serves the nodes, after its collections
    assert ADD_COLLECTION.format(priority=200, sources=arm.NODE_CIDR) in fix.az_cli
    assert "name: 'rcg-aks'" in fix.bicep and "fqdnTags: [ 'AzureKubernetesService' ]" in fix.bicep
    assert f"sourceAddresses: [ '{arm.NODE_CIDR}' ]" in fix.bicep
    assert 'resource "azurerm_firewall_policy_rule_collection_group" "rcg_aks"' in fix.terraform
    assert f'firewall_policy_id = "{arm.POLICY_ID}"' in fix.terraform
    assert 'destination_fqdn_tags = ["AzureKubernetesService"]' in fix.terraform


def test_fails_when_the_tag_rule_is_in_a_deny_collection() -> None:
    resources = arm.baseline()
    _collections(resources)[1]["action"]["type"] = "Deny"
    result = _finding(resources)
    assert result.status is Status.FAIL
    assert result.result.message == (
        f"the AzureKubernetesService tag rule {TAG_RULE} on fw-hub is in Deny collection aks-app, so "
        f"HTTPS from {arm.NODE_CIDR} (snet-aks-nodes) to the tag is denied")
    fix = result.result.remediation
    # an Allow collection ahead of the Deny one (aks-app has priority 200), then the Deny rule goes
    assert ADD_COLLECTION.format(priority=190, sources=arm.NODE_CIDR) in fix.az_cli
    assert ("az network firewall policy rule-collection-group collection rule remove --resource-group "
            "rg-hub --policy-name fwpol-hub --rule-collection-group-name rcg-aks --collection-name "
            "aks-app --name aks-fqdn-tag") in fix.az_cli
    assert any("Remove" in s and "from Deny collection aks-app" in s for s in fix.steps)


def test_fails_naming_the_uncovered_part_when_sources_cover_only_part_of_the_subnet() -> None:
    resources = arm.baseline()
    _tag_rule(resources)["sourceAddresses"] = ["10.20.0.0/23"]
    result = _finding(resources)
    assert result.status is Status.FAIL
    assert result.result.message == (
        f"the AzureKubernetesService tag rule {TAG_RULE} on fw-hub covers only 10.20.0.0/23 of "
        f"snet-aks-nodes ({arm.NODE_CIDR}): 10.20.2.0/23 is not covered")
    fix = result.result.remediation
    assert ADD_COLLECTION.format(priority=300, sources="10.20.2.0/23") in fix.az_cli
    assert any(f"add 10.20.2.0/23 to the sources of {TAG_RULE}" in s for s in fix.steps)


def test_fails_when_an_earlier_deny_all_application_collection_shadows_the_tag_rule() -> None:
    resources = arm.baseline()
    _collections(resources).append(arm.filter_collection("deny-web", 150, "Deny", [
        arm.app_rule("deny-all-web", ["*"], [("Https", 443), ("Http", 80)], fqdns=["*"])]))
    result = _finding(resources)
    assert result.status is Status.FAIL
    assert result.result.message == (
        "application rule fwpol-hub › rcg-aks › deny-web › deny-all-web (Deny) is processed before the "
        f"AzureKubernetesService tag rule and denies HTTPS from {arm.NODE_CIDR} (snet-aks-nodes) to "
        f"mcr.microsoft.com and {API_FQDN}")
    fix = result.result.remediation
    # placed just ahead of the deny-all collection (150), not after it
    assert ADD_COLLECTION.format(priority=140, sources=arm.NODE_CIDR) in fix.az_cli
    assert any("ahead of fwpol-hub › rcg-aks › deny-web › deny-all-web" in s for s in fix.steps)


def _platform_deny(resources: list[arm.Json], group_priority: int) -> None:
    """A platform team's group, processed before rcg-aks, whose first collection denies the web."""
    group_id = f"{arm.POLICY_ID}/ruleCollectionGroups/rcg-platform"
    arm.find(resources, "fwpol-hub")["properties"]["ruleCollectionGroups"].append({"id": group_id})
    resources.append(arm.rcg(arm.POLICY_ID, "rcg-platform", group_priority, [
        arm.filter_collection("deny-web", 100, "Deny", [
            arm.app_rule("deny-all-web", ["10.0.0.0/8"], fqdns=["*"])])]))


def test_a_deny_first_in_an_earlier_group_gets_a_new_group_ahead_of_it() -> None:
    resources = arm.baseline()
    _platform_deny(resources, 200)
    result = _finding(resources)
    assert result.status is Status.FAIL
    assert "fwpol-hub › rcg-platform › deny-web › deny-all-web (Deny) is processed before" in result.result.message
    fix = result.result.remediation
    # collection priority 100 is the lowest there is: the Allow needs a group with priority < 200
    assert ("az network firewall policy rule-collection-group create --resource-group rg-hub "
            "--policy-name fwpol-hub --name rcg-aks-egress --priority 190") in fix.az_cli
    assert any("--rule-collection-group-name rcg-aks-egress --name aks-fqdn-tag" in c for c in fix.az_cli)
    assert "name: 'rcg-aks-egress'\n  properties: {\n    priority: 190" in fix.bicep


def test_a_deny_that_nothing_can_be_placed_ahead_of_is_removed() -> None:
    resources = arm.baseline()
    _platform_deny(resources, 100)
    fix = _finding(resources).result.remediation
    assert not any("add-filter-collection" in c for c in fix.az_cli)
    # 10.0.0.0/8 without the node subnet is more than a handful of CIDRs: remove rather than narrow
    assert ("az network firewall policy rule-collection-group collection rule remove --resource-group "
            "rg-hub --policy-name fwpol-hub --rule-collection-group-name rcg-platform --collection-name "
            "deny-web --name deny-all-web") in fix.az_cli


def test_fails_when_a_network_deny_on_tcp_443_is_processed_first() -> None:
    resources = arm.baseline()
    _collections(resources).append(arm.filter_collection("deny-net", 400, "Deny", [
        arm.net_rule("deny-https", ["TCP"], ["*"], ["443"], ["*"])]))
    result = _finding(resources)
    assert result.status is Status.FAIL
    assert result.result.message.startswith(
        "network rule fwpol-hub › rcg-aks › deny-net › deny-https (Deny) is processed before the "
        f"AzureKubernetesService tag rule and denies HTTPS from {arm.NODE_CIDR} (snet-aks-nodes)")
    fix = result.result.remediation
    # network rules run before every application rule: reordering cannot help, the Deny must go
    assert not any("add-filter-collection" in c for c in fix.az_cli)
    assert ("az network firewall policy rule-collection-group collection rule remove --resource-group "
            "rg-hub --policy-name fwpol-hub --rule-collection-group-name rcg-aks --collection-name "
            "deny-net --name deny-https") in fix.az_cli
    assert any("already denies whatever no rule allows" in s for s in fix.steps)


def test_a_network_deny_with_narrowable_sources_is_narrowed_to_exclude_the_nodes() -> None:
    resources = arm.baseline()
    _collections(resources).append(arm.filter_collection("deny-net", 400, "Deny", [
        arm.net_rule("deny-https", ["TCP"], ["10.20.0.0/16"], ["443"], ["*"])]))
    fix = _finding(resources).result.remediation
    assert ("az network firewall policy rule-collection-group collection rule update --resource-group "
            "rg-hub --policy-name fwpol-hub --rule-collection-group-name rcg-aks --collection-name "
            "deny-net --name deny-https --source-addresses 10.20.4.0/22 10.20.8.0/21 10.20.16.0/20 "
            "10.20.32.0/19 10.20.64.0/18 10.20.128.0/17") in fix.az_cli


def test_a_classic_rules_firewall_without_the_tag_rule_gets_classic_commands() -> None:
    resources = _classic([], [_classic_tunnel_collection()])
    result = _finding(resources)
    assert result.status is Status.FAIL
    assert "fw-hub has no Allow application rule with the AzureKubernetesService FQDN tag" in result.result.message
    fix = result.result.remediation
    assert ("az network firewall application-rule create --resource-group rg-hub --firewall-name fw-hub "
            "--collection-name aks-fqdn-tag --name aks-fqdn-tag --priority 200 --action Allow --protocols "
            f"Https=443 Http=80 --source-addresses {arm.NODE_CIDR} --fqdn-tags AzureKubernetesService") in fix.az_cli
    assert 'resource "azurerm_firewall_application_rule_collection" "aks_fqdn_tag"' in fix.terraform
    assert 'azure_firewall_name = "fw-hub"' in fix.terraform
    assert 'fqdn_tags        = ["AzureKubernetesService"]' in fix.terraform
    assert "properties.applicationRuleCollections of firewall\n// 'fw-hub'" in fix.bicep


# -- unknown / not applicable ---------------------------------------------------------------------


def test_unknown_when_the_rule_collection_group_is_missing_from_the_export() -> None:
    resources = [r for r in arm.baseline() if r["name"] != "rcg-aks"]
    result = _finding(resources)
    assert result.status is Status.UNKNOWN
    assert "no readable Allow application rule on fw-hub uses the AzureKubernetesService FQDN tag" in result.result.message
    assert f"rule collection group rcg-aks ({arm.GROUP_ID}) is not in the snapshot" in result.result.message


def test_unknown_when_the_tag_rule_sources_are_an_unreadable_ip_group() -> None:
    resources = arm.baseline()
    group = arm.rid(arm.SPOKE_SUB, arm.SPOKE_RG, "Microsoft.Network/ipGroups", "ipg-aks-nodes")
    _tag_rule(resources).update(sourceAddresses=[], sourceIpGroups=[group])
    result = _finding(resources)
    assert result.status is Status.UNKNOWN
    assert f"{TAG_RULE} references IP group ipg-aks-nodes" in result.result.message


def test_unknown_when_an_earlier_network_deny_names_a_service_tag_that_might_hold_mcr() -> None:
    resources = arm.baseline()
    _collections(resources).append(arm.filter_collection("deny-net", 400, "Deny", [
        arm.net_rule("deny-storage", ["TCP"], ["*"], ["443"], ["Storage"])]))
    result = _finding(resources)
    assert result.status is Status.UNKNOWN, result.result.message
    assert "mcr.microsoft.com" in result.result.message
    assert "deny-storage (deny) names destinations that might include mcr.microsoft.com" in result.result.message


def test_unknown_when_whether_the_cluster_egresses_through_a_firewall_is_unknown() -> None:
    resources = arm.baseline()
    arm.find(resources, "rt-aks")["properties"]["routes"][0]["properties"]["nextHopIpAddress"] = "10.100.0.4"
    result = _finding(resources)
    assert result.status is Status.UNKNOWN
    assert "cannot tell whether aks-prod egresses through an Azure Firewall" in result.result.message
    assert "10.100.0.4 lies outside every VNet in the snapshot" in result.result.message


def test_not_applicable_for_load_balancer_outbound_without_a_route_to_the_firewall() -> None:
    resources = arm.baseline()
    arm.find(resources, "aks-prod")["properties"]["networkProfile"]["outboundType"] = "loadBalancer"
    del arm.find(resources, "vnet-spoke")["properties"]["subnets"][0]["properties"]["routeTable"]
    result = _finding(resources)
    assert result.status is Status.NOT_APPLICABLE
    assert "aks-prod does not egress through an Azure Firewall" in result.result.message
    assert "see outbound-type" in result.result.message
    assert result.result.evidence["outbound_type"] == "loadBalancer"


# -- the plan (property changes on existing resources) --------------------------------------------


def _plan(resources: list[arm.Json]) -> list[tuple[str, str, str, Any, Any]]:
    fix = _finding(resources).result.remediation
    assert fix is not None
    return [(c.resource_id, c.op, c.path, c.value, c.before) for c in fix.changes]


TAG_ENTRY = {"name": "aks-fqdn-tag", "sourceAddresses": [arm.NODE_CIDR],
             "protocols": [{"protocolType": "Https", "port": 443}, {"protocolType": "Http", "port": 80}],
             "fqdnTags": ["AzureKubernetesService"]}


def test_the_plan_appends_the_allow_collection_and_removes_the_tag_rule_from_the_deny_collection() -> None:
    resources = arm.baseline()
    _collections(resources)[1]["action"]["type"] = "Deny"
    before = dict(_tag_rule(resources))
    # rcg-aks holds aks-net (0) and the now-Deny aks-app (1): the Allow goes in at priority 190,
    # ahead of aks-app's 200, and the tag rule (aks-app's rule 0) comes out of the Deny collection
    assert _plan(resources) == [
        (arm.GROUP_ID, "add", "/properties/ruleCollections/-",
         {"ruleCollectionType": "FirewallPolicyFilterRuleCollection", "name": "aks-fqdn-tag",
          "priority": 190, "action": {"type": "Allow"},
          "rules": [{"ruleType": "ApplicationRule", **TAG_ENTRY}]}, None),
        (arm.GROUP_ID, "remove", "/properties/ruleCollections/1/rules/0", None, before),
    ]


def test_the_plan_narrows_the_sources_of_a_network_deny_in_place() -> None:
    resources = arm.baseline()
    _collections(resources).append(arm.filter_collection("deny-net", 400, "Deny", [
        arm.net_rule("deny-https", ["TCP"], ["10.20.0.0/16"], ["443"], ["*"])]))
    # 10.20.0.0/16 without the node subnet 10.20.0.0/22; nothing is added: the tag rule works again
    assert _plan(resources) == [
        (arm.GROUP_ID, "replace", "/properties/ruleCollections/2/rules/0/sourceAddresses",
         ["10.20.4.0/22", "10.20.8.0/21", "10.20.16.0/20", "10.20.32.0/19", "10.20.64.0/18",
          "10.20.128.0/17"], ["10.20.0.0/16"])]


def test_narrowing_a_deny_whose_sources_come_from_an_ip_group_also_clears_the_group() -> None:
    resources = arm.baseline()
    group = arm.rid(arm.HUB_SUB, arm.HUB_RG, "Microsoft.Network/ipGroups", "ipg-spokes")
    resources.append(arm.ip_group(arm.HUB_SUB, arm.HUB_RG, "ipg-spokes", ["10.20.0.0/16"]))
    _collections(resources).append(arm.filter_collection("deny-net", 400, "Deny", [
        arm.net_rule("deny-https", ["TCP"], [], ["443"], ["*"], source_groups=[group])]))
    result = _finding(resources)
    plan = [(c.op, c.path, c.value, c.before) for c in result.result.remediation.changes]
    rule = "/properties/ruleCollections/2/rules/0"
    # the group's addresses other than the nodes are listed instead: the group itself still holds them
    assert plan == [
        ("replace", f"{rule}/sourceAddresses", ["10.20.4.0/22", "10.20.8.0/21", "10.20.16.0/20",
                                                "10.20.32.0/19", "10.20.64.0/18", "10.20.128.0/17"], []),
        ("replace", f"{rule}/sourceIpGroups", [], [group])]
    assert any("clear the IP groups of fwpol-hub › rcg-aks › deny-net › deny-https" in s
               for s in result.result.remediation.steps)


def test_a_fix_that_only_creates_a_new_group_changes_no_existing_resource() -> None:
    resources = arm.baseline()
    _platform_deny(resources, 200)
    fix = _finding(resources).result.remediation
    assert fix.changes == ()  # rcg-aks-egress is a new resource: it is in the snippets only
    assert "name: 'rcg-aks-egress'" in fix.bicep


def test_the_plan_appends_to_the_classic_application_collections_of_the_firewall() -> None:
    resources = _classic([], [_classic_tunnel_collection()])
    assert _plan(resources) == [
        (arm.FW_ID, "add", "/properties/applicationRuleCollections/-",
         {"name": "aks-fqdn-tag", "properties": {"priority": 200, "action": {"type": "Allow"},
                                                 "rules": [TAG_ENTRY]}}, None)]


def test_removing_the_last_rule_of_a_classic_collection_removes_the_collection() -> None:
    deny = _classic_collection("networkRuleCollections", "deny-net", 300, "Deny", [
        {"name": "deny-https", "protocols": ["TCP"], "sourceAddresses": ["*"], "sourceIpGroups": [],
         "destinationAddresses": ["*"], "destinationIpGroups": [], "destinationFqdns": [],
         "destinationPorts": ["443"]}])
    resources = _classic([_classic_tag_collection()], [_classic_tunnel_collection(), deny])
    fix = _finding(resources).result.remediation
    # a classic collection may not be empty: deny-net (network collection 1) goes as a whole
    assert [(c.resource_id, c.op, c.path, c.before) for c in fix.changes] == [
        (arm.FW_ID, "remove", "/properties/networkRuleCollections/1", deny)]
    assert ("az network firewall network-rule collection delete --resource-group rg-hub --firewall-name "
            "fw-hub --collection-name deny-net") in fix.az_cli
    assert any("together with its collection deny-net" in s for s in fix.steps)


def test_re_creating_the_last_rule_of_a_classic_collection_brings_the_collection_back() -> None:
    deny = _classic_collection("networkRuleCollections", "deny-net", 300, "Deny", [
        {"name": "deny-https", "protocols": ["TCP"], "sourceAddresses": ["10.20.0.0/16"],
         "destinationAddresses": ["*"], "destinationPorts": ["443"]}])
    fix = _finding(_classic([_classic_tag_collection()], [_classic_tunnel_collection(), deny])).result.remediation
    assert [(c.op, c.path, c.before) for c in fix.changes] == [
        ("replace", "/properties/networkRuleCollections/1/properties/rules/0/sourceAddresses",
         ["10.20.0.0/16"])]
    # classic rules have no update: the collection goes with its only rule and is re-created with
    # its priority and action, the `*` quoted for the shell
    assert fix.az_cli[1:] == (
        "az network firewall network-rule collection delete --resource-group rg-hub --firewall-name "
        "fw-hub --collection-name deny-net",
        "az network firewall network-rule create --resource-group rg-hub --firewall-name fw-hub "
        "--collection-name deny-net --priority 300 --action Deny --name deny-https --protocols TCP "
        "--source-addresses 10.20.4.0/22 10.20.8.0/21 10.20.16.0/20 10.20.32.0/19 10.20.64.0/18 "
        "10.20.128.0/17 --destination-addresses '*' --destination-ports 443")
