"""firewall-diagnostics: pass (allLogs, legacy rule categories), fail (none for the firewall,
metrics only, storage only, no rule logs), unknown (none in the snapshot, unreadable scope)."""

from typing import Any

from aksfw_tui.audit import audit
from aksfw_tui.checks.base import Finding, Status
from aksfw_tui.checks.firewall_diagnostics import CHECK
from aksfw_tui.sources.snapshot import ArmSnapshot, Unreadable
from tests import arm

WORKSPACE = arm.rid(arm.HUB_SUB, "rg-monitor", "Microsoft.OperationalInsights/workspaces", "law-hub")
STORAGE = arm.rid(arm.HUB_SUB, "rg-monitor", "Microsoft.Storage/storageAccounts", "sthubfwlogs")
CLUSTER_ID = arm.rid(arm.SPOKE_SUB, "rg-spoke", "Microsoft.ContainerService/managedClusters",
                     "aks-prod").replace("resourceGroups", "resourcegroups")


def diag_setting(target: str, name: str, workspace: str | None = WORKSPACE,
                 logs: list[dict[str, Any]] | None = None, metrics: bool = True,
                 dedicated: bool = True, storage: str | None = None) -> arm.Json:
    """A diagnostic setting as `az monitor diagnostic-settings list` / ARM GET returns it."""
    if logs is None:
        logs = [{"category": None, "categoryGroup": "allLogs", "enabled": True,
                 "retentionPolicy": {"enabled": False, "days": 0}}]
    return {
        "id": f"{target}/providers/Microsoft.Insights/diagnosticSettings/{name}",
        "name": name,
        "type": "Microsoft.Insights/diagnosticSettings",
        "properties": {
            "storageAccountId": storage, "serviceBusRuleId": None, "workspaceId": workspace,
            "eventHubAuthorizationRuleId": None, "eventHubName": None,
            "metrics": [{"category": "AllMetrics", "enabled": metrics, "timeGrain": None,
                         "retentionPolicy": {"enabled": False, "days": 0}}],
            "logs": logs,
            "logAnalyticsDestinationType": "Dedicated" if dedicated else None,
        },
    }


def category(name: str, enabled: bool = True) -> dict[str, Any]:
    return {"category": name, "categoryGroup": None, "enabled": enabled,
            "retentionPolicy": {"enabled": False, "days": 0}}


def test_passes_when_all_logs_go_to_a_workspace_in_resource_specific_tables() -> None:
    resources = [*arm.baseline(), diag_setting(arm.FW_ID, "diag-fw-hub")]
    result = arm.finding(resources, CHECK, "fw-hub")
    assert result.status is Status.PASS
    assert result.result.message == ("diagnostic setting diag-fw-hub sends allLogs to workspace law-hub, "
                                     "into resource-specific tables")
    assert result.result.evidence["settings"][0]["workspace"] == WORKSPACE


def test_passes_with_legacy_rule_categories_and_says_the_table_is_legacy() -> None:
    logs = [category("AzureFirewallApplicationRule"), category("AzureFirewallNetworkRule"),
            category("AzureFirewallDnsProxy", enabled=False)]
    resources = [*arm.baseline(), diag_setting(arm.FW_ID, "fw-logs", logs=logs, dedicated=False)]
    result = arm.finding(resources, CHECK, "fw-hub")
    assert result.status is Status.PASS
    assert "sends AzureFirewallApplicationRule, AzureFirewallNetworkRule to workspace law-hub" in result.result.message
    assert "legacy AzureDiagnostics table" in result.result.message


def test_setting_ids_are_matched_case_insensitively() -> None:
    setting = diag_setting(arm.FW_ID, "diag-fw-hub")
    setting["id"] = setting["id"].lower()  # az CLI often returns lower-cased ids
    result = arm.finding([*arm.baseline(), setting], CHECK, "fw-hub")
    assert result.status is Status.PASS


def test_fails_for_a_metrics_only_setting_and_rewrites_it_keeping_the_metrics() -> None:
    resources = [*arm.baseline(), diag_setting(arm.FW_ID, "fw-metrics", logs=[])]
    result = arm.finding(resources, CHECK, "fw-hub")
    assert result.status is Status.FAIL
    assert "setting fw-metrics sends only metrics to workspace law-hub" in result.result.message
    fix = result.result.remediation
    assert fix is not None
    assert fix.az_cli == (
        f"az monitor diagnostic-settings create --name fw-metrics --resource {arm.FW_ID} --workspace "
        f"{WORKSPACE} --logs '[{{\"categoryGroup\":\"allLogs\",\"enabled\":true}}]' "
        "--export-to-resource-specific true --metrics '[{\"category\":\"AllMetrics\",\"enabled\":true}]'",)
    assert "scope: firewall" in fix.bicep and "categoryGroup: 'allLogs'" in fix.bicep
    assert "{ category: 'AllMetrics', enabled: true }" in fix.bicep
    assert f'target_resource_id             = "{arm.FW_ID}"' in fix.terraform
    assert 'category_group = "allLogs"' in fix.terraform


def test_fails_when_the_firewall_has_no_setting_though_other_resources_do() -> None:
    resources = [*arm.baseline(), diag_setting(CLUSTER_ID, "aks-to-law")]
    result = arm.finding(resources, CHECK, "fw-hub")
    assert result.status is Status.FAIL
    assert result.result.message.startswith("fw-hub has no diagnostic setting")
    fix = result.result.remediation
    assert fix is not None
    # the workspace the rest of the estate already uses, and a new setting name
    assert f"--name diag-fw-hub --resource {arm.FW_ID} --workspace {WORKSPACE}" in fix.az_cli[0]
    assert "--metrics" not in fix.az_cli[0]


def test_fails_when_logs_only_go_to_a_storage_account() -> None:
    setting = diag_setting(arm.FW_ID, "fw-archive", workspace=None, storage=STORAGE)
    result = arm.finding([*arm.baseline(), setting], CHECK, "fw-hub")
    assert result.status is Status.FAIL
    assert "setting fw-archive sends to a storage account, not to a Log Analytics workspace" in result.result.message
    fix = result.result.remediation
    assert fix is not None
    assert "<log-analytics-workspace-resource-id>" in fix.az_cli[0]
    assert any("Pick the workspace" in step for step in fix.steps)


def test_fails_when_the_rule_logs_are_not_among_the_enabled_categories() -> None:
    logs = [category("AZFWDnsQuery"), category("AZFWNetworkRule", enabled=False)]
    result = arm.finding([*arm.baseline(), diag_setting(arm.FW_ID, "fw-dns", logs=logs)], CHECK, "fw-hub")
    assert result.status is Status.FAIL
    assert "sends only AZFWDnsQuery to workspace law-hub, not the network and application rule logs" in (
        result.result.message)


def test_unknown_when_the_snapshot_holds_no_diagnostic_settings_at_all() -> None:
    result = arm.finding(arm.baseline(), CHECK, "fw-hub")
    assert result.status is Status.UNKNOWN
    assert "holds no diagnostic settings at all" in result.result.message
    assert f"--resource {arm.FW_ID}" in result.result.message


def _finding_with_unreadable(resources: list[arm.Json], scope: str) -> Finding:
    snapshot = ArmSnapshot(source={"kind": "export"})
    for resource in resources:
        snapshot.add(resource)
    snapshot.unreadable.append(Unreadable(scope, "403 AuthorizationFailed"))
    return next(f for f in audit(snapshot, [CHECK])[1] if f.subject.name == "fw-hub")


def test_unknown_when_the_firewalls_diagnostic_settings_were_unreadable() -> None:
    resources = [*arm.baseline(), diag_setting(CLUSTER_ID, "aks-to-law")]
    scope = f"{arm.FW_ID}/providers/Microsoft.Insights/diagnosticSettings"
    result = _finding_with_unreadable(resources, scope)
    assert result.status is Status.UNKNOWN
    assert "could not be read" in result.result.message and "403 AuthorizationFailed" in result.result.message


def test_a_seen_passing_setting_wins_over_an_unreadable_scope() -> None:
    resources = [*arm.baseline(), diag_setting(arm.FW_ID, "diag-fw-hub")]
    result = _finding_with_unreadable(resources, f"/subscriptions/{arm.HUB_SUB}")
    assert result.status is Status.PASS


# -- the plan (property changes) -----------------------------------------------------------------


ALL_LOGS = [{"categoryGroup": "allLogs", "enabled": True}]


def _setting_id(name: str) -> str:
    return f"{arm.FW_ID}/providers/Microsoft.Insights/diagnosticSettings/{name}"


def test_rewriting_a_setting_replaces_its_logs_and_moves_it_to_resource_specific_tables() -> None:
    logs = [category("AZFWDnsQuery")]
    resources = [*arm.baseline(), diag_setting(arm.FW_ID, "fw-dns", logs=logs, dedicated=False)]
    fix = arm.finding(resources, CHECK, "fw-hub").result.remediation
    assert fix is not None
    assert [(c.resource_id, c.op, c.path, c.value, c.before) for c in fix.changes] == [
        (_setting_id("fw-dns"), "replace", "/properties/logs", ALL_LOGS,
         [{"category": "AZFWDnsQuery", "categoryGroup": None, "enabled": True,
           "retentionPolicy": {"enabled": False, "days": 0}}]),
        # null in the GET: an add (RFC 6902 add also sets a member that is there)
        (_setting_id("fw-dns"), "add", "/properties/logAnalyticsDestinationType", "Dedicated", None),
    ]


def test_a_dedicated_metrics_only_setting_changes_only_its_logs() -> None:
    resources = [*arm.baseline(), diag_setting(arm.FW_ID, "fw-metrics", logs=[])]
    fix = arm.finding(resources, CHECK, "fw-hub").result.remediation
    assert fix is not None
    # workspace, metrics and the destination type stay as they are
    assert [(c.resource_id, c.op, c.path, c.value, c.before) for c in fix.changes] == [
        (_setting_id("fw-metrics"), "replace", "/properties/logs", ALL_LOGS, [])]


def test_a_new_setting_is_a_creation_with_no_change() -> None:
    fix = arm.finding([*arm.baseline(), diag_setting(CLUSTER_ID, "aks-to-law")], CHECK, "fw-hub").result.remediation
    assert fix is not None
    assert fix.changes == ()
    assert any("The setting diag-fw-hub is new" in s for s in fix.steps)


def test_a_new_setting_never_takes_the_name_of_an_existing_one() -> None:
    # `create` with the name of the storage-only setting would rewrite it and drop its storage account
    setting = diag_setting(arm.FW_ID, "diag-fw-hub", workspace=None, storage=STORAGE)
    fix = arm.finding([*arm.baseline(), setting], CHECK, "fw-hub").result.remediation
    assert fix is not None
    assert "--name diag-fw-hub-2 " in fix.az_cli[0]
    assert "name: 'diag-fw-hub-2'" in fix.bicep
    assert fix.changes == ()
