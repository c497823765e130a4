"""firewall-diagnostics: a diagnostic setting sends the firewall's rule logs to Log Analytics.

Diagnostic settings are child resources of the firewall
(`<firewall id>/providers/Microsoft.Insights/diagnosticSettings/<name>`) that ARM lists separately;
many exports leave them out. So: no diagnostic settings anywhere in the snapshot means we cannot
tell "none exist" from "not exported" (unknown); settings in the snapshot but none for this firewall
that sends its logs to a workspace is a fail.

What counts as "its logs": the `allLogs` category group, or both the network-rule and the
application-rule category (resource-specific `AZFWNetworkRule`/`AZFWApplicationRule` or legacy
`AzureFirewallNetworkRule`/`AzureFirewallApplicationRule`): those record what the firewall allowed
and denied, which is what an investigation needs. DNS-proxy or top-flow logs alone are not enough.
Resource-specific tables (`logAnalyticsDestinationType: Dedicated`) are what Microsoft recommends;
a setting that writes to the legacy AzureDiagnostics table still passes (the logs are there), and
the message says so.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from aksfw_tui.checks.base import (
    Change,
    Check,
    Remediation,
    Result,
    Severity,
    Subject,
    failed,
    passed,
    unknown,
)
from aksfw_tui.model import ids
from aksfw_tui.model.resources import DiagnosticSetting, Firewall, items, props, text
from aksfw_tui.model.topology import Topology
from aksfw_tui.remediation.patch import set_property

DIAG_TYPE = "microsoft.insights/diagnosticsettings"
NETWORK_RULES = {"azfwnetworkrule", "azurefirewallnetworkrule"}
APPLICATION_RULES = {"azfwapplicationrule", "azurefirewallapplicationrule"}
WORKSPACE_PLACEHOLDER = "<log-analytics-workspace-resource-id>"


@dataclass(frozen=True)
class SettingView:
    """What one diagnostic setting of the firewall does, read from its raw properties."""

    setting: DiagnosticSetting
    enabled_logs: tuple[str, ...]  # categories and category groups that are enabled
    metrics_enabled: bool
    dedicated: bool
    storage_account: str
    event_hub_rule: str
    event_hub_name: str

    @property
    def workspace(self) -> str:
        return self.setting.workspace_id

    @property
    def covers_rule_logs(self) -> bool:
        logs = {entry.lower() for entry in self.enabled_logs}
        return "alllogs" in logs or bool(logs & NETWORK_RULES and logs & APPLICATION_RULES)

    @property
    def passes(self) -> bool:
        return bool(self.workspace) and self.covers_rule_logs

    def evidence(self) -> dict[str, Any]:
        return {
            "setting": self.setting.id,
            "workspace": self.workspace or None,
            "enabled_logs": list(self.enabled_logs),
            "metrics_enabled": self.metrics_enabled,
            "log_analytics_destination_type": "Dedicated" if self.dedicated else "AzureDiagnostics",
            "storage_account": self.storage_account or None,
            "event_hub": self.event_hub_rule or None,
        }

    def shortfall(self) -> str:
        """Why this setting does not pass, in words."""
        name = self.setting.name
        if not self.workspace:
            elsewhere = [d for d, v in (("a storage account", self.storage_account),
                                        ("an event hub", self.event_hub_rule)) if v]
            return (f"setting {name} sends to {' and '.join(elsewhere) or 'no destination'}, "
                    "not to a Log Analytics workspace")
        if not self.enabled_logs:
            what = "only metrics" if self.metrics_enabled else "nothing (every category disabled)"
            return f"setting {name} sends {what} to workspace {ids.name_of(self.workspace)}"
        return (f"setting {name} sends only {', '.join(self.enabled_logs)} to workspace "
                f"{ids.name_of(self.workspace)}, not the network and application rule logs")


def _view(setting: DiagnosticSetting) -> SettingView:
    p = props(setting.raw)
    logs = tuple(
        text(log.get("categoryGroup")) or text(log.get("category"))
        for log in items(p.get("logs"))
        if log.get("enabled") is True and (text(log.get("categoryGroup")) or text(log.get("category")))
    )
    return SettingView(
        setting=setting,
        enabled_logs=logs,
        metrics_enabled=any(m.get("enabled") is True for m in items(p.get("metrics"))),
        dedicated=text(p.get("logAnalyticsDestinationType")).lower() == "dedicated",
        storage_account=text(p.get("storageAccountId")),
        event_hub_rule=text(p.get("eventHubAuthorizationRuleId")),
        event_hub_name=text(p.get("eventHubName")),
    )


def evaluate(topology: Topology, firewall: Firewall) -> Result:
    views = [_view(s) for s in topology.diagnostic_settings if ids.key(s.target_id) == firewall.key]
    evidence: dict[str, Any] = {"settings": [v.evidence() for v in views]}
    good = [v for v in views if v.passes]
    if good:
        return _passed(good, evidence)
    scope = topology.unreadable_scope_of(f"{firewall.id}/providers/Microsoft.Insights/diagnosticSettings")
    if scope is not None:
        return unknown(f"the diagnostic settings of {firewall.name} could not be read "
                       f"({scope.scope}: {scope.reason})", **evidence)
    if not topology.contains_type(DIAG_TYPE):
        return unknown("the snapshot holds no diagnostic settings at all, so whether "
                       f"{firewall.name} has none or they were not exported cannot be told; export "
                       f"them with az monitor diagnostic-settings list --resource {firewall.id}",
                       **evidence)
    if not views:
        message = (f"{firewall.name} has no diagnostic setting: its rule, threat intelligence and "
                   "IDPS logs are kept nowhere")
    else:
        message = (f"no diagnostic setting of {firewall.name} sends its rule logs to Log Analytics: "
                   + "; ".join(v.shortfall() for v in views))
    return failed(message, _remediation(topology, firewall, views), **evidence)


def _passed(good: list[SettingView], evidence: dict[str, Any]) -> Result:
    best = next((v for v in good if v.dedicated), good[0])
    shown = best.enabled_logs[:4]
    more = len(best.enabled_logs) - len(shown)
    logs = ", ".join(shown) + (f" and {more} more categories" if more else "")
    table = ("resource-specific tables" if best.dedicated else
             "the legacy AzureDiagnostics table (Microsoft recommends resource-specific tables: "
             "logAnalyticsDestinationType Dedicated)")
    return passed(f"diagnostic setting {best.setting.name} sends {logs} to workspace "
                  f"{ids.name_of(best.workspace)}, into {table}", **evidence)


def _workspace_for(topology: Topology, views: list[SettingView]) -> str:
    """The workspace to use: this firewall's own setting's, else the one every other setting uses."""
    own = next((v.workspace for v in views if v.workspace), "")
    if own:
        return own
    seen = {ids.key(s.workspace_id): s.workspace_id for s in topology.diagnostic_settings if s.workspace_id}
    return next(iter(seen.values())) if len(seen) == 1 else WORKSPACE_PLACEHOLDER


def _remediation(topology: Topology, firewall: Firewall, views: list[SettingView]) -> Remediation:
    # A setting already pointing at a workspace is updated in place (same name): a second setting
    # may not send a category to a destination another setting already sends it to.
    existing = next((v for v in views if v.workspace), None)
    workspace = _workspace_for(topology, views)
    name = existing.setting.name if existing else _free_name(firewall, views)
    keep = _kept_destinations(existing)
    logs = '[{"categoryGroup":"allLogs","enabled":true}]'
    command = (f"az monitor diagnostic-settings create --name {name} --resource {firewall.id} "
               f"--workspace {workspace} --logs '{logs}' --export-to-resource-specific true{keep}")
    steps = [
        f"Send {firewall.name}'s logs (category group allLogs: rule, threat intelligence, IDPS and "
        "DNS logs) to a Log Analytics workspace, into resource-specific tables (AZFW*).",
        "allLogs includes the high-volume top-flow and flow-trace logs only when those features are "
        "turned on; set a retention and daily cap that fits the workspace's budget.",
    ]
    if existing is not None:
        steps.insert(1, f"This rewrites the existing setting {name}: the command keeps the storage "
                        "account, event hub and metrics it already sends; check nothing else is lost.")
    else:
        steps.append(f"The setting {name} is new: the plan changes no existing resource.")
    if workspace == WORKSPACE_PLACEHOLDER:
        steps.insert(0, "Pick the workspace your security team queries (often the Microsoft "
                        "Sentinel workspace) and put its resource id in the command.")
    return Remediation(
        summary=f"Send {firewall.name}'s logs to Log Analytics with a diagnostic setting",
        steps=tuple(steps),
        az_cli=(command,),
        bicep=_bicep(firewall, name, workspace, existing),
        terraform=_terraform(firewall, name, workspace, existing),
        changes=_changes(existing) if existing else (),
    )


def _free_name(firewall: Firewall, views: list[SettingView]) -> str:
    """A name no setting of this firewall has: `create` with a taken name would rewrite that
    setting, and drop the destinations it has."""
    taken = {v.setting.name.lower() for v in views}
    name, suffix = f"diag-{firewall.name}", 2
    while name.lower() in taken:
        name, suffix = f"diag-{firewall.name}-{suffix}", suffix + 1
    return name


def _changes(existing: SettingView) -> tuple[Change, ...]:
    """Rewriting the setting in place: its workspace, storage, event hub and metrics stay (the
    command passes them again); its logs become allLogs into resource-specific tables."""
    setting = existing.setting
    changes = [
        set_property(setting.id, setting.raw, ("properties", "logs"),
                     [{"categoryGroup": "allLogs", "enabled": True}]),
        None if existing.dedicated else set_property(
            setting.id, setting.raw, ("properties", "logAnalyticsDestinationType"), "Dedicated"),
    ]
    return tuple(c for c in changes if c is not None)


def _kept_destinations(existing: SettingView | None) -> str:
    if existing is None:
        return ""
    keep = ""
    if existing.storage_account:
        keep += f" --storage-account {existing.storage_account}"
    if existing.event_hub_rule:
        keep += f" --event-hub-rule {existing.event_hub_rule}"
        if existing.event_hub_name:
            keep += f" --event-hub {existing.event_hub_name}"
    if existing.metrics_enabled:
        keep += " --metrics '" + json.dumps([{"category": "AllMetrics", "enabled": True}],
                                            separators=(",", ":")) + "'"
    return keep


def _bicep(firewall: Firewall, name: str, workspace: str, existing: SettingView | None) -> str:
    extra = ""
    if existing is not None and existing.metrics_enabled:
        extra += "    metrics: [\n      { category: 'AllMetrics', enabled: true }\n    ]\n"
    if existing is not None and existing.storage_account:
        extra += f"    storageAccountId: '{existing.storage_account}'\n"
    if existing is not None and existing.event_hub_rule:
        extra += f"    eventHubAuthorizationRuleId: '{existing.event_hub_rule}'\n"
        if existing.event_hub_name:
            extra += f"    eventHubName: '{existing.event_hub_name}'\n"
    return f"""// Deploy to resource group {firewall.resource_group} (subscription {firewall.subscription})
resource firewall 'Microsoft.Network/azureFirewalls@2024-05-01' existing = {{
  name: '{firewall.name}'
}}

resource firewallLogs 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {{
  name: '{name}'
  scope: firewall
  properties: {{
    workspaceId: '{workspace}'
    logAnalyticsDestinationType: 'Dedicated'
    logs: [
      {{ categoryGroup: 'allLogs', enabled: true }}
    ]
{extra}  }}
}}
"""


def _terraform(firewall: Firewall, name: str, workspace: str, existing: SettingView | None) -> str:
    extra = ""
    if existing is not None and existing.metrics_enabled:
        extra += '\n  enabled_metric {\n    category = "AllMetrics"\n  }\n'
    if existing is not None and existing.storage_account:
        extra += f'\n  storage_account_id = "{existing.storage_account}"\n'
    if existing is not None and existing.event_hub_rule:
        extra += f'\n  eventhub_authorization_rule_id = "{existing.event_hub_rule}"\n'
        if existing.event_hub_name:
            extra += f'  eventhub_name                  = "{existing.event_hub_name}"\n'
    tf_name = "".join(c if c.isalnum() else "_" for c in firewall.name)
    return f"""resource "azurerm_monitor_diagnostic_setting" "{tf_name}_logs" {{
  name                           = "{name}"
  target_resource_id             = "{firewall.id}"
  log_analytics_workspace_id     = "{workspace}"
  log_analytics_destination_type = "Dedicated"

  enabled_log {{
    category_group = "allLogs"
  }}
{extra}}}
"""


CHECK = Check(
    id="firewall-diagnostics",
    title="Firewall diagnostic settings send its rule logs to a Log Analytics workspace",
    subjects=(Subject.FIREWALL,),
    severity=Severity.MEDIUM,
    passes_when=(
        "A diagnostic setting on the firewall has a workspaceId and enables the allLogs category "
        "group, or both a network-rule and an application-rule log category (AZFWNetworkRule/"
        "AZFWApplicationRule, or the legacy AzureFirewallNetworkRule/AzureFirewallApplicationRule)."
    ),
    rationale=(
        "Without its logs a firewall decides in silence: nobody can see which node tried to reach "
        "what, which flows were denied after an upgrade broke egress, or which threat "
        "intelligence and IDPS hits fired. Diagnostic settings are off by default; only a "
        "setting with a Log Analytics destination makes the logs queryable and alertable."
    ),
    references=(
        "https://learn.microsoft.com/azure/firewall/monitor-firewall",
        "https://learn.microsoft.com/azure/firewall/monitor-firewall-reference",
        "https://learn.microsoft.com/azure/azure-monitor/essentials/diagnostic-settings",
    ),
    evaluate=evaluate,
)
