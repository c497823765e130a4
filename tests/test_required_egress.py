"""required-egress: HTTPS to the public API server and, with monitoring on, Azure Monitor; pass,
fail (each flow), unknown (egress, unreadable rules, workspace facts the snapshot lacks) and
not_applicable; NTP stays evidence only."""

from aksfw_tui.checks.base import Severity, Status
from aksfw_tui.checks.required_egress import CHECK
from tests import arm

API = "aks-prod-1a2b3c4d.hcp.westeurope.azmk8s.io"
WORKSPACE_ID = arm.rid(arm.SPOKE_SUB, "rg-monitor", "Microsoft.OperationalInsights/workspaces", "log-aks")
CUSTOMER_ID = "5c2e9d1a-7b4f-4e3a-8d6c-1f0e2a3b4c5d"
MONITOR_FQDNS = ["*.ods.opinsights.azure.com", "*.oms.opinsights.azure.com", "westeurope.monitoring.azure.com"]


def _collections(resources: list[arm.Json]) -> list[arm.Json]:
    return arm.find(resources, "rcg-aks")["properties"]["ruleCollections"]


def _with_monitor_rule(resources: list[arm.Json], destination: str = "AzureMonitor") -> list[arm.Json]:
    _collections(resources)[0]["rules"].append(
        arm.net_rule("azure-monitor", ["TCP"], [arm.NODE_CIDR], ["443"], [destination]))
    return resources


def _with_workspace(resources: list[arm.Json], location: str = arm.REGION) -> list[arm.Json]:
    """The add-on names a Log Analytics workspace, and the export holds it."""
    arm.find(resources, "aks-prod")["properties"]["addonProfiles"]["omsagent"]["config"] = {
        "logAnalyticsWorkspaceResourceID": WORKSPACE_ID}
    resources.append({"id": WORKSPACE_ID, "name": "log-aks", "location": location,
                      "type": "Microsoft.OperationalInsights/workspaces",
                      "properties": {"customerId": CUSTOMER_ID, "sku": {"name": "PerGB2018"},
                                     "retentionInDays": 30}})
    return resources


def _without_rules(resources: list[arm.Json], *names: str) -> list[arm.Json]:
    for collection in _collections(resources):
        collection["rules"] = [r for r in collection["rules"] if r["name"] not in names]
    return resources


def _replace_cluster(resources: list[arm.Json], **options: object) -> list[arm.Json]:
    index = next(i for i, r in enumerate(resources) if r["name"] == "aks-prod")
    resources[index] = arm.cluster(arm.SPOKE_SUB, arm.SPOKE_RG, "aks-prod",
                                   [arm.pool("system", arm.NODE_SUBNET)], **options)  # type: ignore[arg-type]
    return resources


def test_the_baseline_fails_because_nothing_allows_azure_monitor() -> None:
    # The baseline enables the monitoring add-on but only has the FQDN tag rule, which does not
    # list Azure Monitor's endpoints: that is a real gap in the baseline, not a test artefact.
    result = arm.finding(arm.baseline(), CHECK, "aks-prod")
    assert result.status is Status.FAIL
    assert result.severity is Severity.MEDIUM
    message = result.result.message
    assert ("Azure Monitor TCP 443 → <workspace-id>.ods.opinsights.azure.com from snet-aks-nodes "
            "(10.20.0.0/22) via fw-hub denied by no rule matched (default deny)") in message
    assert "<workspace-id>.oms.opinsights.azure.com" in message
    assert "westeurope.monitoring.azure.com" in message
    assert "API server" not in message  # the FQDN tag rule covers *.hcp.westeurope.azmk8s.io
    fix = result.result.remediation
    assert fix is not None
    assert ("az network firewall policy rule-collection-group collection add-filter-collection "
            "--resource-group rg-hub --policy-name fwpol-hub --rule-collection-group-name rcg-aks "
            "--name aks-monitor-aks-prod --collection-priority 210 --action Allow --rule-name "
            "azure-monitor --rule-type NetworkRule --ip-protocols TCP --source-addresses 10.20.0.0/22 "
            "--destination-addresses AzureMonitor --destination-ports 443") in fix.az_cli
    assert "destinationAddresses: [ 'AzureMonitor' ]" in fix.bicep
    assert 'destination_addresses = ["AzureMonitor"]' in fix.terraform


def test_passes_with_the_fqdn_tag_and_an_azure_monitor_service_tag_rule() -> None:
    result = arm.finding(_with_monitor_rule(arm.baseline()), CHECK, "aks-prod")
    assert result.status is Status.PASS, result.result.message
    assert "API server TCP 443 allowed by fwpol-hub › rcg-aks › aks-app › aks-fqdn-tag" in result.result.message
    flows = result.result.evidence["node_subnets"][0]["flows"]
    assert flows["Azure Monitor TCP 443 → westeurope.monitoring.azure.com"]["rules"][0]["rule"] == "azure-monitor"
    assert result.result.evidence["monitoring_enabled"] is True


def test_passes_with_the_documented_azure_monitor_fqdns_in_an_application_rule() -> None:
    resources = arm.baseline()
    _collections(resources)[1]["rules"].append(arm.app_rule("monitor", [arm.NODE_CIDR], fqdns=MONITOR_FQDNS))
    result = arm.finding(resources, CHECK, "aks-prod")
    assert result.status is Status.PASS, result.result.message
    assert "allowed by fwpol-hub › rcg-aks › aks-app › monitor" in result.result.message


def test_fails_when_https_to_the_api_server_is_blocked() -> None:
    resources = _without_rules(_with_monitor_rule(arm.baseline()), "aks-fqdn-tag")
    result = arm.finding(resources, CHECK, "aks-prod")
    assert result.status is Status.FAIL
    assert ("API server TCP 443 from snet-aks-nodes (10.20.0.0/22) via fw-hub denied by no rule matched"
            in result.result.message)
    assert "Azure Monitor" not in result.result.message
    fix = result.result.remediation
    assert fix is not None
    assert any("--name aks-api-aks-prod" in c and "--rule-type ApplicationRule --protocols Https=443" in c
               and f"--target-fqdns {API}" in c for c in fix.az_cli)
    assert not any("AzureMonitor" in c for c in fix.az_cli)
    assert f"destination_fqdns = [\"{API}\"]" in fix.terraform


def test_a_network_rule_to_the_regional_azure_cloud_tag_allows_the_api_server() -> None:
    resources = _without_rules(_with_monitor_rule(arm.baseline()), "aks-fqdn-tag")
    _collections(resources)[0]["rules"].append(
        arm.net_rule("api", ["TCP"], [arm.NODE_CIDR], ["443"], ["AzureCloud.westeurope"]))
    assert arm.finding(resources, CHECK, "aks-prod").status is Status.PASS


def test_an_earlier_network_deny_is_named_as_what_an_application_rule_cannot_overtake() -> None:
    resources = _with_monitor_rule(arm.baseline())
    _collections(resources).insert(0, arm.filter_collection("deny-web", 150, "Deny", [
        arm.net_rule("no-https-to-azure", ["TCP"], ["*"], ["443"], ["AzureCloud.westeurope"])]))
    result = arm.finding(resources, CHECK, "aks-prod")
    assert result.status is Status.FAIL
    assert "API server TCP 443" in result.result.message
    assert "denied by fwpol-hub › rcg-aks › deny-web › no-https-to-azure" in result.result.message
    fix = result.result.remediation
    assert fix is not None
    assert any("no-https-to-azure is a Deny network rule, processed before every application rule" in s
               for s in fix.steps)


def test_private_cluster_with_monitoring_off_is_not_applicable() -> None:
    resources = _replace_cluster(arm.baseline(), private=True, monitoring=False)
    result = arm.finding(resources, CHECK, "aks-prod")
    assert result.status is Status.NOT_APPLICABLE
    assert "monitoring add-on is off" in result.result.message
    assert result.result.evidence["api_server"] == "not required: private cluster"


def test_private_cluster_with_monitoring_on_needs_only_azure_monitor() -> None:
    resources = _replace_cluster(_without_rules(arm.baseline(), "aks-fqdn-tag"), private=True)
    result = arm.finding(resources, CHECK, "aks-prod")
    assert result.status is Status.FAIL
    assert "API server" not in result.result.message
    passing = _replace_cluster(_with_monitor_rule(_without_rules(arm.baseline(), "aks-fqdn-tag")), private=True)
    result = arm.finding(passing, CHECK, "aks-prod")
    assert result.status is Status.PASS, result.result.message
    assert "API server TCP 443" not in result.result.evidence["node_subnets"][0]["flows"]


def test_not_applicable_when_the_cluster_does_not_egress_through_a_firewall() -> None:
    resources = arm.baseline()
    arm.find(resources, "aks-prod")["properties"]["networkProfile"]["outboundType"] = "loadBalancer"
    del arm.find(resources, "vnet-spoke")["properties"]["subnets"][0]["properties"]["routeTable"]
    result = arm.finding(resources, CHECK, "aks-prod")
    assert result.status is Status.NOT_APPLICABLE
    assert "snet-aks-nodes has no route table" in result.result.message


def test_unknown_when_egress_through_a_firewall_is_unknown() -> None:
    resources = arm.baseline()
    arm.find(resources, "rt-aks")["properties"]["routes"][0]["properties"]["nextHopIpAddress"] = "10.100.0.4"
    result = arm.finding(resources, CHECK, "aks-prod")
    assert result.status is Status.UNKNOWN
    assert "10.100.0.4 lies outside every VNet in the snapshot" in result.result.message


def test_unknown_when_the_rule_collection_group_is_missing_from_the_export() -> None:
    resources = [r for r in _with_monitor_rule(arm.baseline()) if r["name"] != "rcg-aks"]
    result = arm.finding(resources, CHECK, "aks-prod")
    assert result.status is Status.UNKNOWN
    assert "rule collection group rcg-aks" in result.result.message


def test_a_regional_monitor_tag_is_unknown_while_the_workspace_region_is_unseen() -> None:
    result = arm.finding(_with_monitor_rule(arm.baseline(), "AzureMonitor.WestEurope"), CHECK, "aks-prod")
    assert result.status is Status.UNKNOWN
    assert "(if the workspace is in westeurope): allowed" in result.result.message
    assert "(if the workspace is in a region no rule names): denied" in result.result.message


def test_a_regional_monitor_tag_passes_for_a_workspace_in_that_region() -> None:
    resources = _with_workspace(_with_monitor_rule(arm.baseline(), "AzureMonitor.WestEurope"))
    result = arm.finding(resources, CHECK, "aks-prod")
    assert result.status is Status.PASS, result.result.message
    assert f"{CUSTOMER_ID}.ods.opinsights.azure.com" in result.result.message
    assert result.result.evidence["workspace"]["region"] == "westeurope"


def test_a_regional_monitor_tag_fails_for_a_workspace_in_another_region() -> None:
    resources = _with_workspace(_with_monitor_rule(arm.baseline(), "AzureMonitor.WestEurope"), "northeurope")
    result = arm.finding(resources, CHECK, "aks-prod")
    assert result.status is Status.FAIL
    assert f"{CUSTOMER_ID}.ods.opinsights.azure.com from snet-aks-nodes" in result.result.message
    assert "westeurope.monitoring.azure.com" not in result.result.message  # the cluster's region is allowed


def test_a_rule_naming_one_workspace_host_is_unknown_until_the_workspace_is_seen() -> None:
    hosts = [f"{CUSTOMER_ID}.ods.opinsights.azure.com", f"{CUSTOMER_ID}.oms.opinsights.azure.com",
             "westeurope.monitoring.azure.com"]
    resources = arm.baseline()
    _collections(resources)[1]["rules"].append(arm.app_rule("log-aks", [arm.NODE_CIDR], fqdns=hosts))
    result = arm.finding(resources, CHECK, "aks-prod")
    assert result.status is Status.UNKNOWN
    assert f"(if the workspace has id {CUSTOMER_ID}): allowed" in result.result.message
    assert arm.finding(_with_workspace(resources), CHECK, "aks-prod").status is Status.PASS


def test_ntp_is_evidence_only() -> None:
    resources = _without_rules(_with_monitor_rule(arm.baseline()), "ntp")
    result = arm.finding(resources, CHECK, "aks-prod")
    assert result.status is Status.PASS
    ntp = result.result.evidence["ntp"]
    assert ntp["subnets"]["snet-aks-nodes (10.20.0.0/22)"]["decision"] == "deny"
    assert "March 2021" in ntp["note"]


def test_unknown_when_the_api_server_fqdn_is_missing_and_only_an_fqdn_rule_could_allow_it() -> None:
    resources = _with_monitor_rule(arm.baseline())
    del arm.find(resources, "aks-prod")["properties"]["fqdn"]
    result = arm.finding(resources, CHECK, "aks-prod")
    assert result.status is Status.UNKNOWN
    assert "the API server's FQDN is not in the export" in result.result.message


def test_unknown_when_cluster_has_no_properties() -> None:
    resources = arm.baseline()
    del arm.find(resources, "aks-prod")["properties"]
    assert arm.finding(resources, CHECK, "aks-prod").status is Status.UNKNOWN


# -- the plan (property changes on existing resources) --------------------------------------------


def test_the_plan_appends_the_azure_monitor_collection_to_the_existing_group() -> None:
    fix = arm.finding(arm.baseline(), CHECK, "aks-prod").result.remediation
    assert fix is not None
    assert [(c.resource_id, c.op, c.path, c.value, c.before) for c in fix.changes] == [
        (arm.GROUP_ID, "add", "/properties/ruleCollections/-",
         {"ruleCollectionType": "FirewallPolicyFilterRuleCollection", "name": "aks-monitor-aks-prod",
          "priority": 210, "action": {"type": "Allow"},
          "rules": [{"ruleType": "NetworkRule", "name": "azure-monitor", "sourceAddresses": [arm.NODE_CIDR],
                     "ipProtocols": ["TCP"], "destinationAddresses": ["AzureMonitor"],
                     "destinationPorts": ["443"]}]},
         None)]


def test_the_plan_for_the_api_server_is_an_application_collection_naming_its_fqdn() -> None:
    resources = _without_rules(_with_monitor_rule(arm.baseline()), "aks-fqdn-tag")
    fix = arm.finding(resources, CHECK, "aks-prod").result.remediation
    assert fix is not None
    assert [(c.resource_id, c.op, c.path, c.value) for c in fix.changes] == [
        (arm.GROUP_ID, "add", "/properties/ruleCollections/-",
         {"ruleCollectionType": "FirewallPolicyFilterRuleCollection", "name": "aks-api-aks-prod",
          "priority": 210, "action": {"type": "Allow"},
          "rules": [{"ruleType": "ApplicationRule", "name": "api-server-https",
                     "sourceAddresses": [arm.NODE_CIDR],
                     "protocols": [{"protocolType": "Https", "port": 443}], "targetFqdns": [API]}]})]
