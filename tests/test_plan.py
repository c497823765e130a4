"""The remediation plan rendered as a property diff, and carried in the JSON report."""

from __future__ import annotations

from aksfw_tui.checks.base import Change, Remediation
from aksfw_tui.checks.outbound_type import CHECK
from aksfw_tui.report.plan_diff import plan_diff
from tests import arm


def test_plan_diff_shows_each_resource_and_its_before_and_after() -> None:
    resources = arm.baseline()
    arm.find(resources, "aks-prod")["properties"]["networkProfile"]["outboundType"] = "loadBalancer"
    finding = arm.finding(resources, CHECK, "aks-prod")
    fix = finding.result.remediation
    assert fix is not None
    diff = plan_diff(fix, arm.topology(resources).raw).splitlines()
    assert diff == [
        "@@ aks-prod (Microsoft.ContainerService/ManagedClusters, resource group rg-spoke) @@",
        '- /properties/networkProfile/outboundType: "loadBalancer"',
        '+ /properties/networkProfile/outboundType: "userDefinedRouting"',
    ]
    assert finding.to_dict()["remediation"]["changes"] == [
        {"resource_id": finding.subject.id, "op": "replace",
         "path": "/properties/networkProfile/outboundType", "value": "userDefinedRouting",
         "before": "loadBalancer"}]


def test_plan_diff_of_objects_and_removals() -> None:
    fix = Remediation("x", changes=(
        Change(arm.RT_ID, "add", "/properties/routes/-",
               {"name": "blackhole", "properties": {"addressPrefix": "198.51.100.0/24", "nextHopType": "None"}}),
        Change(arm.RT_ID, "remove", "/properties/routes/1", before={"name": "old", "properties": {
            "addressPrefix": "0.0.0.0/1", "nextHopType": "Internet", "provisioningState": "Succeeded"}}),
        Change(arm.NODE_SUBNET, "add", "/properties/routeTable", {"id": "/subscriptions/x/rt"}),
    ))
    diff = plan_diff(fix, {}).splitlines()
    assert diff[0] == "@@ rt-aks (Microsoft.Network/routeTables, resource group rg-spoke) @@"
    assert diff[1] == "+ /properties/routes/-: {"
    pad = " " * 23  # continuation lines align under the value: after "- " + path + ": "
    assert f'+{pad}  "name": "blackhole",' in diff
    assert "- /properties/routes/1: {" in diff and f"-{pad}}}" in diff
    assert diff[-1] == '+ /properties/routeTable: {"id": "/subscriptions/x/rt"}'  # short: one line
    assert plan_diff(Remediation("nothing to change"), {}) == ""
