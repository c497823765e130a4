"""required-egress: the firewall allows the egress an AKS cluster needs beyond the FQDN tag and the
tunnel ports: HTTPS to its own public API server, and Azure Monitor when Container Insights is on.

- API server: TCP 443 from every node subnet to the cluster's public API server, allowed by a
  network rule to its IP, `AzureCloud.<region>` or `*`, or by an application rule covering
  `*.hcp.<region>.azmk8s.io` (the `AzureKubernetesService` FQDN tag included). Pods that call the
  API server (controllers, operators, the in-cluster client) go out through the firewall. Not
  required for private clusters, nor for API Server VNet Integration clusters, whose nodes reach
  the API server through an internal load balancer in the VNet.
- Azure Monitor (when the monitoring add-on is enabled): TCP 443 to the workspace's
  `<id>.ods.opinsights.azure.com` and `<id>.oms.opinsights.azure.com` and to
  `<region>.monitoring.azure.com`, allowed by the `AzureMonitor` service tag or FQDN rules. When the
  workspace (its customer id and region) is not in the snapshot, every destination it might be is
  evaluated and the check passes or fails only if they all agree.
- NTP (UDP 123 to ntp.ubuntu.com) is evidence only: Microsoft no longer requires it for nodes
  provisioned after March 2021.

Severity medium: a missing flow breaks observability (Container Insights stops sending) or the
workloads that call the API server, not the node ↔ control-plane path (fqdn-tag-rule and
tunnel-ports cover that at high severity), and it opens nothing to attackers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aksfw_tui.checks.base import (
    Check,
    Result,
    Severity,
    Subject,
    failed,
    not_applicable,
    passed,
    unknown,
)
from aksfw_tui.checks.node_egress import (
    NodeFlows,
    api_https_caveat,
    denials,
    describe_denials,
    firewall_egress,
    fixes_by_firewall,
    not_through_firewall,
)
from aksfw_tui.firewall.evaluator import Destination, Flow
from aksfw_tui.firewall.rules import Kind, Rule, ruleset_for
from aksfw_tui.firewall.tags import fqdn_matches, fqdn_tags_of
from aksfw_tui.model import ids
from aksfw_tui.model.resources import Cluster, Firewall, obj, props, text
from aksfw_tui.model.topology import ClusterEgress, Topology
from aksfw_tui.remediation.firewall_rules import NewRule
from aksfw_tui.remediation.rule_fix import NewCollection, RuleFix, rule_remediation

API_LABEL = "API server TCP 443"
MONITOR_TAG = "AzureMonitor"
WORKSPACE_DOMAINS = ("ods.opinsights.azure.com", "oms.opinsights.azure.com")
STAND_IN = "workspace-not-in-snapshot"  # matches wildcards only, like an id nobody named
NTP_FQDN = "ntp.ubuntu.com"


@dataclass(frozen=True)
class Workspace:
    """The Log Analytics workspace Container Insights sends to, as far as the snapshot shows."""

    id: str
    customer_id: str
    region: str


def evaluate(topology: Topology, cluster: Cluster) -> Result:
    if not cluster.has_properties:
        return unknown(f"cluster {cluster.name} was exported without its properties")
    if cluster.api_unread:  # private, VNet-integrated or public decides what is needed
        return unknown(f"{cluster.api_unread}, so how the API server is reached cannot be told")
    needs_api = not (cluster.private or cluster.vnet_integration)
    evidence: dict[str, Any] = {"api_server": _api_requirement(cluster),
                                "monitoring_enabled": cluster.monitoring_enabled}
    if not needs_api and not cluster.monitoring_enabled:
        return not_applicable(f"{cluster.name} reaches its API server inside the VNet and its "
                              "monitoring add-on is off, so it needs none of the flows this check "
                              "covers", **evidence)
    if not cluster.region:
        return unknown(f"cluster {cluster.name} has no location in the export, so its regional "
                       "endpoints are unknown", **evidence)
    egress = firewall_egress(topology, cluster)
    evidence |= {"egress": egress.status.value, "egress_reason": egress.reason}
    ended = not_through_firewall(cluster, egress, evidence)
    return ended if ended is not None else _judge(topology, cluster, egress, needs_api, evidence)


def _api_requirement(cluster: Cluster) -> str:
    if cluster.private:
        return "not required: private cluster"
    if cluster.vnet_integration:
        return "not required: API Server VNet Integration (reached inside the VNet)"
    return cluster.api_fqdn or "required (FQDN not in the export)"


def _judge(topology: Topology, cluster: Cluster, egress: ClusterEgress, needs_api: bool,
           evidence: dict[str, Any]) -> Result:
    workspace = _workspace(topology, cluster) if cluster.monitoring_enabled else None
    results = []
    for subnet in egress.subnets:
        firewall = subnet.firewall
        flows = _required_flows(topology, cluster, firewall, needs_api, workspace) if firewall else []
        result = NodeFlows.of(topology, subnet, flows)
        if API_LABEL in result.verdicts:
            result.verdicts[API_LABEL] = api_https_caveat(cluster, result.verdicts[API_LABEL])
        results.append(result)
    evidence["node_subnets"] = [r.evidence() for r in results]
    if workspace is not None:
        evidence["workspace"] = {"id": workspace.id or None,
                                 "customer_id": workspace.customer_id or None,
                                 "region": workspace.region or None}
    evidence["ntp"] = _ntp(topology, egress)
    denied = denials(results)
    doubts = [d for r in results for d in r.doubts()]
    if denied:
        return _fail(topology, cluster, denied, doubts, evidence)
    if doubts:
        return unknown("cannot tell whether the required egress is allowed: " + "; ".join(doubts),
                       **evidence)
    allowed = "; ".join(f"{label} {v.reason}" for r in results for label, v in r.verdicts.items())
    return passed(f"the firewall allows every node subnet of {cluster.name} what it needs: {allowed}",
                  **evidence)


def _fail(topology: Topology, cluster: Cluster, denied: list[tuple[NodeFlows, str]],
          doubts: list[str], evidence: dict[str, Any]) -> Result:
    """Fail on what was seen; flows that could not be decided are named too."""
    missing = describe_denials(denied)
    tail = f"; also undecided: {'; '.join(doubts)}" if doubts else ""
    failing = list(dict.fromkeys(r for r, _ in denied))
    fix = rule_remediation(topology, cluster, _fixes(cluster, failing),
                           f"Allow {cluster.name}'s missing required egress: "
                           + ", ".join(dict.fromkeys(_what(label) for _, label in denied)))
    return failed(f"the firewall blocks egress {cluster.name} needs: {missing}{tail}", fix, **evidence)


def _what(label: str) -> str:
    return "HTTPS to its API server" if label == API_LABEL else "Azure Monitor (Container Insights)"


def _required_flows(topology: Topology, cluster: Cluster, firewall: Firewall, needs_api: bool,
                    workspace: Workspace | None) -> list[tuple[str, Flow | list[Flow]]]:
    flows: list[tuple[str, Flow | list[Flow]]] = []
    if needs_api:
        flows.append((API_LABEL, Flow("tcp", 443, Destination.api_server(cluster.api_fqdn,
                                                                          cluster.region))))
    if workspace is not None:
        for domain in WORKSPACE_DOMAINS:
            shown = f"{workspace.customer_id or '<workspace-id>'}.{domain}"
            flows.append((f"Azure Monitor TCP 443 → {shown}",
                          _workspace_candidates(topology, firewall, workspace, domain)))
        regional = f"{cluster.region}.monitoring.azure.com"
        flows.append((f"Azure Monitor TCP 443 → {regional}",
                      Flow("tcp", 443, _monitor_destination(regional, regional, cluster.region))))
    return flows


def _monitor_destination(label: str, fqdn: str, region: str) -> Destination:
    """An Azure Monitor endpoint: inside the AzureMonitor tag (hence AzureCloud), regionally too
    when its region is known."""
    tags = {MONITOR_TAG.lower(), "azurecloud"}
    if region:
        tags |= {f"{MONITOR_TAG.lower()}.{region}", f"azurecloud.{region}"}
    return Destination(label=label, fqdn=fqdn, service_tags=frozenset(tags),
                       fqdn_tags=fqdn_tags_of(fqdn))


def _workspace_candidates(topology: Topology, firewall: Firewall, workspace: Workspace,
                          domain: str) -> list[Flow]:
    """Every destination the workspace endpoint might be: its host is one of those the rules name
    or another, and its region one of those the rules' regional tags name or another."""
    rules = [r for r in ruleset_for(topology, firewall).rules if _https_capable(r)]
    named = [f for rule in rules for f in rule.destination_fqdns]
    if workspace.customer_id:
        hosts = [f"{workspace.customer_id}.{domain}"]
    else:
        hosts = [f"{STAND_IN}.{domain}", *dict.fromkeys(
            f.lower() for f in named if "*" not in f and fqdn_matches(f"*.{domain}", f))]
    regions = [workspace.region] if workspace.region else ["", *dict.fromkeys(
        tag.lower().split(".", 1)[1] for rule in rules for tag in rule.destination_tags
        if "." in tag and tag.lower().split(".", 1)[0] in (MONITOR_TAG.lower(), "azurecloud"))]
    label = f"{workspace.customer_id or '<workspace-id>'}.{domain}"
    if len(hosts) * len(regions) == 1:
        return [Flow("tcp", 443, _monitor_destination(label, hosts[0], regions[0]))]
    return [Flow("tcp", 443, _monitor_destination(
                _candidate(label, host if len(hosts) > 1 else "", region if len(regions) > 1 else None),
                host, region))
            for host in hosts for region in regions]


def _https_capable(rule: Rule) -> bool:
    """Whether the rule's protocols and ports can match TCP 443 (others cannot decide the flow)."""
    if rule.gap:
        return False
    if rule.kind is Kind.APPLICATION:
        return any(port == 443 for _, port in rule.app_protocols)
    return bool(rule.protocols & {"tcp", "any"}) and 443 in rule.ports


def _candidate(label: str, host: str, region: str | None) -> str:
    """`<workspace-id>.ods… (if the workspace is in westeurope)`, for a verdict's evidence."""
    parts = []
    if host:
        parts.append("has an id no rule names" if host.startswith(STAND_IN)
                     else f"has id {host.split('.', 1)[0]}")
    if region is not None:
        parts.append(f"is in {region or 'a region no rule names'}")
    return f"{label} (if the workspace {' and '.join(parts)})"


def _workspace(topology: Topology, cluster: Cluster) -> Workspace:
    """The workspace the add-on names, with its customer id and region if the snapshot has it."""
    p = props(cluster.raw)
    addons = {k.lower(): obj(v) for k, v in obj(p.get("addonProfiles")).items()}
    config = {k.lower(): v for k, v in obj(addons.get("omsagent", {}).get("config")).items()}
    insights = obj(obj(p.get("azureMonitorProfile")).get("containerInsights"))
    workspace_id = (text(config.get("loganalyticsworkspaceresourceid"))
                    or text(insights.get("logAnalyticsWorkspaceResourceId")))
    raw = topology.raw.get(ids.key(workspace_id)) if workspace_id else None
    if raw is None:
        return Workspace(workspace_id, "", "")
    return Workspace(workspace_id, text(props(raw).get("customerId")).lower(),
                     text(raw.get("location")).replace(" ", "").lower())


def _ntp(topology: Topology, egress: ClusterEgress) -> dict[str, Any]:
    """Evidence only: whether NTP to ntp.ubuntu.com is allowed (not required since March 2021)."""
    flow = Flow("udp", 123, Destination.for_fqdn(NTP_FQDN))
    found = {}
    for subnet in egress.subnets:
        result = NodeFlows.of(topology, subnet, [("NTP UDP 123", flow)])
        if "NTP UDP 123" in result.verdicts:
            verdict = result.verdicts["NTP UDP 123"]
            found[result.describe()] = {"decision": verdict.decision.value, "reason": verdict.reason}
    return {"note": "evidence only: Microsoft no longer requires NTP egress for nodes provisioned "
                    "after March 2021", "subnets": found}


def _fixes(cluster: Cluster, failing: list[NodeFlows]) -> list[RuleFix]:
    """An application rule to the API server's own FQDN (exact, so it opens nothing else and is no
    broad network rule on 443), and a network rule to the AzureMonitor service tag."""
    monitor_labels = tuple(dict.fromkeys(label for r in failing for label in r.verdicts
                                         if label != API_LABEL))
    collections = [
        NewCollection(f"aks-api-{cluster.name}", Kind.APPLICATION,
                      (NewRule("api-server-https", Kind.APPLICATION, ("Https:443",),
                               fqdns=(cluster.api_fqdn,)),), (API_LABEL,)),
        NewCollection(f"aks-monitor-{cluster.name}", Kind.NETWORK,
                      (NewRule("azure-monitor", Kind.NETWORK, ("TCP",), ports=("443",),
                               destinations=(MONITOR_TAG,)),), monitor_labels),
    ]
    return fixes_by_firewall(failing, collections)


CHECK = Check(
    id="required-egress",
    title="The firewall allows HTTPS to the cluster's public API server and, with monitoring on, "
          "Azure Monitor",
    subjects=(Subject.CLUSTER,),
    severity=Severity.MEDIUM,
    passes_when=(
        "For a cluster whose node subnets egress through Azure Firewall, the firewall's rules, "
        "evaluated in processing order, allow TCP 443 from the whole of every node subnet to the "
        "cluster's public API server (network rule to its IP, AzureCloud.<region> or *, or an "
        "application rule covering *.hcp.<region>.azmk8s.io, the AzureKubernetesService FQDN tag "
        "included; not needed for private or API Server VNet Integration clusters) and, when the "
        "monitoring add-on is enabled, to Azure Monitor (the AzureMonitor service tag, or "
        "*.ods.opinsights.azure.com, *.oms.opinsights.azure.com and <region>.monitoring.azure.com)."
    ),
    rationale=(
        "A default-deny firewall drops whatever nobody allowed. Pods that call the API server "
        "(operators, controllers, CI agents) fail when HTTPS to the cluster's own API server is "
        "blocked, and Container Insights silently stops sending logs and metrics when Azure "
        "Monitor is unreachable, so the outage that follows is the one nobody sees. Medium: these "
        "break workloads and observability, not the nodes' control-plane path."
    ),
    references=(
        "https://learn.microsoft.com/azure/aks/outbound-rules-control-egress",
        "https://learn.microsoft.com/azure/aks/limit-egress-traffic",
        "https://learn.microsoft.com/azure/azure-monitor/containers/kubernetes-monitoring-firewall",
    ),
    evaluate=evaluate,
)
