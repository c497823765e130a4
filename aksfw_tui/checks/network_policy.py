"""network-policy: the cluster runs a network policy engine (Azure NPM, Calico or Cilium).

The firewall sees traffic leaving the VNet; it never sees pod-to-pod traffic inside the cluster.
Without a policy engine, Kubernetes NetworkPolicy objects are accepted and silently ignored.

In-place enablement (`az aks update`, which reimages every node in a rolling update):
- Azure CNI Overlay or Azure CNI with a pod subnet: `--network-dataplane cilium` (Azure CNI Powered
  by Cilium, Linux node pools only, one-way) or `--network-policy calico`;
- Azure CNI with node-subnet IPs: `--network-policy calico` or `azure` (Azure NPM, retiring);
- kubenet: only `--network-policy calico` (and kubenet itself retires in 2028).
"""

from __future__ import annotations

from collections.abc import Mapping
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
from aksfw_tui.model.resources import Cluster, items, obj, props, text
from aksfw_tui.model.topology import Topology

ENGINES = {"azure": "Azure Network Policy Manager", "calico": "Calico", "cilium": "Cilium"}


def evaluate(topology: Topology, cluster: Cluster) -> Result:
    if not cluster.has_properties:
        return unknown(f"cluster {cluster.name} was exported without its properties")
    profile = obj(props(cluster.raw).get("networkProfile"))
    if not profile:
        return unknown(f"cluster {cluster.name} was exported without its networkProfile")
    policy = text(profile.get("networkPolicy")).lower()
    dataplane = text(profile.get("networkDataplane")).lower()
    plugin = text(profile.get("networkPlugin")).lower()
    mode = text(profile.get("networkPluginMode")).lower()
    evidence: dict[str, Any] = {"network_policy": policy or None, "network_dataplane": dataplane or None,
                "network_plugin": plugin or None, "network_plugin_mode": mode or None}
    if policy in ENGINES:
        return passed(f"network policy engine {ENGINES[policy]} (networkPolicy {policy}) is "
                      "enabled", **evidence)
    if dataplane == "cilium":
        return passed("Azure CNI Powered by Cilium (networkDataplane cilium) enforces network "
                      "policies", **evidence)
    if plugin == "none":
        return unknown("networkPlugin is none (bring your own CNI): whether the CNI you installed "
                       "enforces network policies cannot be seen from ARM", **evidence)
    return failed(
        f"no network policy engine: networkPolicy is {policy or 'absent'}, so Kubernetes "
        "NetworkPolicy objects are accepted but not enforced and every pod can reach every pod",
        _remediation(cluster, profile, _pools(cluster)),
        **evidence,
    )


def _pools(cluster: Cluster) -> list[Mapping[str, Any]]:
    return items(props(cluster.raw).get("agentPoolProfiles"))


def _remediation(cluster: Cluster, profile: Mapping[str, Any],
                 pools: list[Mapping[str, Any]]) -> Remediation:
    rg, name = cluster.resource_group, cluster.name
    plugin = text(profile.get("networkPlugin")).lower()
    mode = text(profile.get("networkPluginMode")).lower()
    pod_subnet = any(p.get("podSubnetID") for p in pools)
    # Cilium runs on Linux nodes only: with a Windows pool, Calico is the in-place engine.
    windows = any(text(p.get("osType")).lower() == "windows" for p in pools)
    base = f"az aks update --resource-group {rg} --name {name}"
    reimage = ("Enabling it reimages every node in a rolling update (like an upgrade): schedule a "
               "maintenance window and make sure PodDisruptionBudgets allow it.")
    if plugin == "azure" and (mode == "overlay" or pod_subnet) and not windows:
        # The Cilium dataplane is only accepted together with networkPolicy cilium
        # (CiliumDataplaneRequiresNetworkPolicyCilium), so the plan and snippets set both.
        engine, flags = "cilium", "--network-dataplane cilium"
        wanted = {"networkDataplane": "cilium", "networkPolicy": "cilium"}
        tf = 'network_data_plane = "cilium"\n  network_policy = "cilium"'
        bicep_lines = "networkDataplane: 'cilium'\n      networkPolicy: 'cilium'"
        how = ("Your cluster uses Azure CNI Overlay (or a pod subnet), so it can move in place to "
               "Azure CNI Powered by Cilium, which enforces network policies (Linux node pools "
               "only; the change cannot be undone). Calico (--network-policy calico) is the "
               "in-place alternative if you run Windows node pools.")
    elif plugin == "kubenet":
        engine, flags, tf = "calico", "--network-policy calico", 'network_policy = "calico"'
        wanted = {"networkPolicy": "calico"}
        bicep_lines = "networkPolicy: 'calico'"
        how = ("kubenet supports only Calico in place. kubenet retires on 31 March 2028: plan the "
               "upgrade to Azure CNI Overlay (az aks update --network-plugin-mode overlay), after "
               "which Cilium becomes possible.")
    else:
        engine, flags, tf = "calico", "--network-policy calico", 'network_policy = "calico"'
        wanted = {"networkPolicy": "calico"}
        bicep_lines = "networkPolicy: 'calico'"
        how = ("Your cluster has Windows node pools, which Cilium does not support: Calico enforces "
               "network policies on Linux and Windows nodes." if windows else
               "Azure CNI with node-subnet IPs can enable Calico or Azure NPM in place; Azure NPM "
               "is being retired, so prefer Calico.")
    return Remediation(
        summary=f"Enable the {engine} network policy engine on {name}",
        steps=(how, reimage,
               "Then add NetworkPolicy objects: a default-deny per namespace and explicit allows, "
               "starting in audit on a non-production cluster."),
        az_cli=(f"{base} {flags}",),
        bicep=f"""resource aks 'Microsoft.ContainerService/managedClusters@2025-05-01' = {{
  name: '{name}'
  location: '{cluster.region}'
  properties: {{
    networkProfile: {{
      networkPlugin: '{plugin or "azure"}'
      {bicep_lines}
      // keep the rest of the cluster's existing networkProfile unchanged
    }}
  }}
}}
""",
        terraform=f"""# In azurerm_kubernetes_cluster "{name}" (resource group {rg}):
network_profile {{
  network_plugin = "{plugin or "azure"}"
  {tf}
}}
""",
        changes=_changes(cluster, profile, wanted),
    )


def _changes(cluster: Cluster, profile: Mapping[str, Any], wanted: Mapping[str, str]) -> tuple[Change, ...]:
    """The networkProfile properties the fix sets, against their values in the export."""
    changes: list[Change] = []
    for key, value in wanted.items():
        before = profile.get(key)
        if before == value:
            continue
        op = "add" if before is None else "replace"
        changes.append(Change(cluster.id, op, f"/properties/networkProfile/{key}", value, before))
    return tuple(changes)


CHECK = Check(
    id="network-policy",
    title="A network policy engine (Azure NPM, Calico or Cilium) is enabled on the cluster",
    subjects=(Subject.CLUSTER,),
    severity=Severity.MEDIUM,
    passes_when=(
        "networkProfile.networkPolicy is azure, calico or cilium, or networkProfile."
        "networkDataplane is cilium."
    ),
    rationale=(
        "Azure Firewall only sees traffic that leaves the VNet; traffic between pods never "
        "reaches it. Without a network policy engine, NetworkPolicy objects are accepted and "
        "ignored, so one compromised pod can reach every other pod and node port in the cluster."
    ),
    references=(
        "https://learn.microsoft.com/azure/aks/use-network-policies",
        "https://learn.microsoft.com/azure/aks/azure-cni-powered-by-cilium",
        "https://learn.microsoft.com/azure/aks/operator-best-practices-network",
    ),
    evaluate=evaluate,
)
