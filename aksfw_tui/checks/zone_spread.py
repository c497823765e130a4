"""zone-spread: the firewall and every node pool survive the loss of one availability zone.

Firewall: `zones` lists at least two zones (three recommended), and every public IP on its IP
configurations is zone-redundant: its zones cover the firewall's, at least two. A secured-hub
firewall's public IPs are managed by Azure and not judged. Cluster: every node pool's
`availabilityZones` lists at least two zones.

Which regions have zones is the topology's answer (Topology.regions_with_zones): the user's table
(Settings.zone_regions, --zone-regions) if given; else the subscription locations in the snapshot
(live discovery reads them; a region has zones when ARM lists availabilityZoneMappings for it);
else the bundled table aksfw_tui/data/zone_regions.json (Microsoft's regions list, dated). A
subject in a region without zones is not_applicable, naming where that came from.

Severity: medium. A zone outage takes down a single-zone firewall and, with it, all egress of every
cluster routed through it; but it needs a datacenter failure, and fixing it means redeploying.
"""

from __future__ import annotations

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
    not_applicable,
    passed,
    unknown,
)
from aksfw_tui.model import ids
from aksfw_tui.model.resources import Cluster, Firewall, NodePool, PublicIp, items, props, ref, text
from aksfw_tui.model.topology import Topology
from aksfw_tui.remediation.patch import append_items, json_pointer

ALL_ZONES = ("1", "2", "3")


@dataclass(frozen=True)
class ZoneTable:
    """The regions with zones, and where that was learnt (`zone_table` in the evidence)."""

    regions: frozenset[str]
    origin: str


def evaluate(topology: Topology, subject: Firewall | Cluster) -> Result:
    # A firewall's `zones` is top-level: an export without `properties` that still lists `zones`
    # shows them. Without either (a trimmed export) nothing can be said.
    zones_seen = isinstance(subject, Firewall) and isinstance(subject.raw.get("zones"), list)
    if not subject.has_properties and not zones_seen:
        return unknown(f"{subject.name} was exported without its properties")
    if not subject.region:
        return unknown(f"{subject.name} has no location in the export, so whether its region has "
                       "availability zones cannot be told")
    table = ZoneTable(*topology.regions_with_zones(subject.region))
    if subject.region not in table.regions:
        return not_applicable(f"region {subject.region} has no availability zones (per the "
                              f"{table.origin})", region=subject.region, zone_table=table.origin)
    if isinstance(subject, Firewall):
        return _firewall(topology, subject, table)
    return _cluster(subject, table)


# -- firewall ------------------------------------------------------------------------------------


def _firewall(topology: Topology, firewall: Firewall, table: ZoneTable) -> Result:
    problems: list[str] = []
    if len(firewall.zones) < 2:
        problems.append(f"firewall {firewall.name} is deployed in {_zones_text(firewall.zones)}, so "
                        "one zone outage stops all egress through it")
    missing: list[str] = []
    bad_pips: list[PublicIp] = []
    pip_evidence: list[dict[str, Any]] = []
    for pip_id in firewall.public_ip_ids:
        pip = topology.public_ip(pip_id)
        if pip is None:
            missing.append(topology.missing("public IP", pip_id))
            pip_evidence.append({"id": pip_id, "zones": None, "seen": False})
            continue
        pip_evidence.append({"id": pip.id, "zones": list(pip.zones), "seen": True})
        if len(pip.zones) < 2 or not set(firewall.zones) <= set(pip.zones):
            bad_pips.append(pip)
            spans = f"; the firewall spans {', '.join(firewall.zones)}" if firewall.zones else ""
            problems.append(f"public IP {pip.name} is not zone-redundant ({_zones_text(pip.zones)}{spans})")
    evidence: dict[str, Any] = {
        "region": firewall.region, "zone_table": table.origin, "zones": list(firewall.zones),
        "public_ips": pip_evidence, "secured_hub": bool(firewall.virtual_hub_id),
    }
    if problems:
        return failed("; ".join(problems), _firewall_fix(topology, firewall, bad_pips), **evidence)
    if not firewall.has_properties:
        return unknown(f"{firewall.name} spans zones {', '.join(firewall.zones)}, but it was exported "
                       "without its properties, so its public IPs cannot be seen", **evidence)
    if missing:
        return unknown(f"{firewall.name} spans zones {', '.join(firewall.zones)}, but "
                       + "; ".join(missing), **evidence)
    advice = "" if len(firewall.zones) >= 3 else " (3 zones recommended)"
    pips = ("its public IPs are managed by the secured hub" if firewall.virtual_hub_id
            else f"all {len(firewall.public_ip_ids)} public IPs are zone-redundant")
    return passed(f"{firewall.name} spans zones {', '.join(firewall.zones)}{advice} and {pips}",
                  **evidence)


def _zones_text(zones: tuple[str, ...]) -> str:
    if not zones:
        return "no availability zone (zones absent)"
    return f"only zone {zones[0]}" if len(zones) == 1 else f"zones {', '.join(zones)}"


def _firewall_fix(topology: Topology, firewall: Firewall, bad_pips: list[PublicIp]) -> Remediation:
    if len(firewall.zones) < 2:
        return _recreate_firewall(topology, firewall)
    return _replace_pips(firewall, bad_pips)


@dataclass(frozen=True)
class PipPlan:
    """A public IP for the redeployed firewall: an existing zone-redundant one, or a new one."""

    name: str
    resource_group: str
    create: bool


def _pip_plan(topology: Topology, firewall: Firewall) -> list[PipPlan]:
    plan = []
    for pip_id in firewall.public_ip_ids:
        pip = topology.public_ip(pip_id)
        rg = ids.resource_group_of(pip_id) or firewall.resource_group
        if pip is not None and set(ALL_ZONES) <= set(pip.zones):
            plan.append(PipPlan(pip.name, rg, create=False))  # already zone-redundant: keep it
        else:
            plan.append(PipPlan(f"{ids.name_of(pip_id)}-zr", firewall.resource_group, create=True))
    return plan or [PipPlan(f"pip-{firewall.name}-01", firewall.resource_group, create=True)]


def _recreate_firewall(topology: Topology, firewall: Firewall) -> Remediation:
    rg, name, region = firewall.resource_group, firewall.name, firewall.region
    subnet_id = next((c.subnet_id for c in firewall.ip_configurations if c.subnet_id), "")
    vnet_name = ids.name_of(ids.parent_of(subnet_id)) if subnet_id else "<hub-vnet>"
    tier = firewall.sku_tier or "Standard"
    plan = [] if firewall.virtual_hub_id else _pip_plan(topology, firewall)
    az = [f"az network public-ip create --resource-group {p.resource_group} --name {p.name} --location "
          f"{region} --sku Standard --allocation-method Static --zone 1 2 3" for p in plan if p.create]
    az.append(f"az network firewall delete --resource-group {rg} --name {name}")
    policy = f" --firewall-policy {firewall.policy_id}" if firewall.policy_id else ""
    if firewall.virtual_hub_id:
        az.append(f"az network firewall create --resource-group {rg} --name {name} --location {region} "
                  f"--sku AZFW_Hub --tier {tier} --zones 1 2 3 --vhub {firewall.virtual_hub_id} "
                  f"--public-ip-count {max(firewall.hub_public_ip_count, 1)}{policy}")
    else:
        az.append(f"az network firewall create --resource-group {rg} --name {name} --location {region} "
                  f"--sku AZFW_VNet --tier {tier} --zones 1 2 3{policy}")
    for index, pip in enumerate(plan):
        vnet = f" --vnet-name {vnet_name}" if index == 0 else ""
        az.append(f"az network firewall ip-config create --resource-group {rg} --firewall-name {name} "
                  f"--name ipconfig-{index + 1:02d} --public-ip-address {pip.name}{vnet}")
    kept = [p.name for p in plan if not p.create]
    created = [p.name for p in plan if p.create]
    steps = [
        f"The zones of an existing Azure Firewall cannot be changed in place: {name} has to be "
        "deleted and deployed again with zones 1, 2 and 3. Plan a maintenance window: egress "
        "through it stops meanwhile (or build a new hub and move the spokes to it).",
    ]
    if created:
        steps.append("A public IP's zones cannot be changed either: create zone-redundant Standard "
                     f"public IPs (zones 1, 2, 3): {', '.join(created)}"
                     + (f"; keep {', '.join(kept)}, which already are." if kept else "."))
    elif kept:
        steps.append(f"Keep the public IPs {', '.join(kept)}: they are already zone-redundant.")
    if firewall.has_classic_rules:
        steps.append(f"{name} holds classic rules, which are deleted with it: migrate them to a "
                     "Firewall Policy (or export them) first.")
    steps += [
        f"Delete {name} and recreate it in AzureFirewallSubnet of {vnet_name} with zones 1 2 3"
        + (f", policy {ids.name_of(firewall.policy_id)}" if firewall.policy_id else "")
        + " and the public IPs above.",
        f"Check its private IP is still {firewall.private_ip or 'the same'}; otherwise update every "
        "route table whose 0.0.0.0/0 route points at the old address.",
    ]
    if created:
        steps.append("Update everything that names the replaced public IPs: DNAT rules, API server "
                     "authorized IP ranges, partners' allow-lists.")
    return Remediation(
        summary=f"Redeploy {name} across zones 1, 2 and 3 with zone-redundant public IPs (zones "
                "cannot be added to an existing firewall)",
        steps=tuple(steps), az_cli=tuple(az),
        bicep=_firewall_bicep(firewall, plan, subnet_id),
        terraform=_firewall_terraform(firewall, plan, subnet_id),
    )


def _firewall_bicep(firewall: Firewall, plan: list[PipPlan], subnet_id: str) -> str:
    pips = ""
    for i, p in enumerate(plan):
        if not p.create:
            pips += (f"resource pip{i + 1} 'Microsoft.Network/publicIPAddresses@2024-05-01' existing = {{\n"
                     f"  name: '{p.name}'\n  scope: resourceGroup('{p.resource_group}')\n}}\n\n")
            continue
        pips += f"""resource pip{i + 1} 'Microsoft.Network/publicIPAddresses@2024-05-01' = {{
  name: '{p.name}'
  location: '{firewall.region}'
  sku: {{ name: 'Standard' }}
  zones: [ '1', '2', '3' ]
  properties: {{ publicIPAllocationMethod: 'Static' }}
}}

"""
    configs = ""
    for i in range(len(plan)):
        subnet = f"          subnet: {{ id: '{subnet_id}' }}\n" if i == 0 else ""
        configs += (f"      {{\n        name: 'ipconfig-{i + 1:02d}'\n        properties: {{\n{subnet}"
                    f"          publicIPAddress: {{ id: pip{i + 1}.id }}\n        }}\n      }}\n")
    policy = (f"    firewallPolicy: {{ id: '{firewall.policy_id}' }}\n" if firewall.policy_id else "")
    return f"""// Zones cannot be changed in place: deploying this over the existing {firewall.name}
// fails. Delete the firewall first (see the steps), then deploy.
{pips}resource firewall 'Microsoft.Network/azureFirewalls@2024-05-01' = {{
  name: '{firewall.name}'
  location: '{firewall.region}'
  zones: [ '1', '2', '3' ]
  properties: {{
    sku: {{ name: '{firewall.sku_name or "AZFW_VNet"}', tier: '{firewall.sku_tier or "Standard"}' }}
{policy}    ipConfigurations: [
{configs}    ]
  }}
}}
"""


def _firewall_terraform(firewall: Firewall, plan: list[PipPlan], subnet_id: str) -> str:
    rg = firewall.resource_group
    pips = ""
    refs = []
    for p in plan:
        if not p.create:
            pips += (f'data "azurerm_public_ip" "{_tf(p.name)}" {{\n  name                = "{p.name}"\n'
                     f'  resource_group_name = "{p.resource_group}"\n}}\n\n')
            refs.append(f"data.azurerm_public_ip.{_tf(p.name)}.id")
            continue
        refs.append(f"azurerm_public_ip.{_tf(p.name)}.id")
        pips += f"""resource "azurerm_public_ip" "{_tf(p.name)}" {{
  name                = "{p.name}"
  location            = "{firewall.region}"
  resource_group_name = "{p.resource_group}"
  sku                 = "Standard"
  allocation_method   = "Static"
  zones               = ["1", "2", "3"]
}}

"""
    configs = ""
    for i, pip_ref in enumerate(refs):
        subnet = f'    subnet_id            = "{subnet_id}"\n' if i == 0 else ""
        configs += (f'\n  ip_configuration {{\n    name                 = "ipconfig-{i + 1:02d}"\n{subnet}'
                    f"    public_ip_address_id = {pip_ref}\n  }}\n")
    policy = f'  firewall_policy_id  = "{firewall.policy_id}"\n' if firewall.policy_id else ""
    return f"""# Changing zones forces replacement: terraform plan shows {firewall.name} as -/+ (destroyed
# and recreated). Apply it in a maintenance window.
{pips}resource "azurerm_firewall" "{_tf(firewall.name)}" {{
  name                = "{firewall.name}"
  location            = "{firewall.region}"
  resource_group_name = "{rg}"
  sku_name            = "{firewall.sku_name or "AZFW_VNet"}"
  sku_tier            = "{firewall.sku_tier or "Standard"}"
  zones               = ["1", "2", "3"]
{policy}{configs}}}
"""


def _replace_pips(firewall: Firewall, bad_pips: list[PublicIp]) -> Remediation:
    rg, name, region = firewall.resource_group, firewall.name, firewall.region
    configs = {ids.key(c.public_ip_id): c for c in firewall.ip_configurations}
    zones = " ".join(firewall.zones)
    az: list[str] = []
    first_bad = [p for p in bad_pips if configs.get(p.key) and configs[p.key].subnet_id]
    for index, pip in enumerate(bad_pips):
        new = f"{pip.name}-zr"
        az.append(f"az network public-ip create --resource-group {rg} --name {new} --location {region} "
                  f"--sku Standard --allocation-method Static --zone {zones}")
        az.append(f"az network firewall ip-config create --resource-group {rg} --firewall-name {name} "
                  f"--name ipconfig-zr-{index + 1:02d} --public-ip-address {new}")
        config = configs.get(pip.key)
        if config and not config.subnet_id:
            az.append(f"az network firewall ip-config delete --resource-group {rg} --firewall-name "
                      f"{name} --name {config.name}")
    steps = [
        "A public IP's zones cannot be changed in place: create a zone-redundant Standard public "
        f"IP (zones {', '.join(firewall.zones)}) for each of {', '.join(p.name for p in bad_pips)}.",
        f"Add the new public IPs to {name} as IP configurations, move DNAT rules, API server "
        "authorized IP ranges and partners' allow-lists to the new addresses, then remove the old "
        "configurations.",
    ]
    if first_bad:
        steps.append(
            f"{first_bad[0].name} sits on the firewall's first IP configuration (the one holding "
            "AzureFirewallSubnet), which cannot be deleted: swap it by deallocating the firewall "
            "and allocating it again with the new public IPs (Azure PowerShell Deallocate() / "
            "Allocate(); egress stops meanwhile). That swap is manual: the plan does not hold it."
        )
    steps.append("Create the new public IPs first (the public-ip create commands): the plan's new IP "
                 "configurations refer to them by id, and applying it before they exist fails.")
    bicep_zones = ", ".join(f"'{z}'" for z in firewall.zones)
    tf_zones = ", ".join(f'"{z}"' for z in firewall.zones)
    bicep = "".join(f"""resource {_tf(p.name)}_zr 'Microsoft.Network/publicIPAddresses@2024-05-01' = {{
  name: '{p.name}-zr'
  location: '{region}'
  sku: {{ name: 'Standard' }}
  zones: [ {bicep_zones} ]
  properties: {{ publicIPAllocationMethod: 'Static' }}
}}
// then reference {p.name}-zr instead of {p.name} in {name}'s ipConfigurations

""" for p in bad_pips)
    terraform = "".join(f"""resource "azurerm_public_ip" "{_tf(p.name)}_zr" {{
  name                = "{p.name}-zr"
  location            = "{region}"
  resource_group_name = "{rg}"
  sku                 = "Standard"
  allocation_method   = "Static"
  zones               = [{tf_zones}]
}}
# then point the ip_configuration of azurerm_firewall "{_tf(name)}" that uses {p.name} at it

""" for p in bad_pips)
    return Remediation(
        summary=f"Replace {', '.join(p.name for p in bad_pips)} on {name} with zone-redundant "
                "public IPs (a public IP's zones cannot be changed)",
        steps=tuple(steps), az_cli=tuple(az), bicep=bicep, terraform=terraform,
        changes=_pip_changes(firewall, bad_pips),
    )


def _pip_changes(firewall: Firewall, bad_pips: list[PublicIp]) -> tuple[Change, ...]:
    """The az commands' effect on the firewall: an IP configuration per new public IP (created
    first, in the firewall's resource group), and the old configurations removed, except the
    first one (it holds the subnet; its swap is the manual deallocate/allocate)."""
    prefix = (f"/subscriptions/{firewall.subscription}/resourceGroups/{firewall.resource_group}"
              "/providers/Microsoft.Network/publicIPAddresses/")
    added = append_items(firewall.id, firewall.raw, ("properties", "ipConfigurations"), [
        {"name": f"ipconfig-zr-{index + 1:02d}",
         "properties": {"publicIPAddress": {"id": f"{prefix}{pip.name}-zr"}}}
        for index, pip in enumerate(bad_pips)
    ])
    removed: list[tuple[int, Change]] = []
    configs = items(props(firewall.raw).get("ipConfigurations"))
    for pip in bad_pips:
        for position, config in enumerate(configs):
            if (ids.key(ref(props(config).get("publicIPAddress"))) == pip.key
                    and not ref(props(config).get("subnet"))):
                removed.append((position, Change(firewall.id, "remove",
                                                 json_pointer("properties", "ipConfigurations", position),
                                                 before=dict(config))))
    # Appends first (the firewall never has fewer public IPs than now), then the removals highest
    # index first, so the earlier indexes stay valid; appending does not move them.
    return (*added, *(c for _, c in sorted(removed, key=lambda entry: -entry[0])))


# -- cluster -------------------------------------------------------------------------------------


def _cluster(cluster: Cluster, table: ZoneTable) -> Result:
    evidence: dict[str, Any] = {"region": cluster.region, "zone_table": table.origin,
                "node_pools": [{"name": p.name, "mode": p.mode, "zones": list(p.zones)}
                               for p in cluster.node_pools]}
    if not cluster.node_pools:
        return unknown(f"cluster {cluster.name} was exported without its node pools", **evidence)
    bad = [p for p in cluster.node_pools if len(p.zones) < 2]
    if bad:
        return failed(
            "; ".join(f"node pool {p.name} "
                      + ("has no availability zones (availabilityZones absent or null)" if not p.zones
                         else f"runs in only zone {p.zones[0]}") for p in bad)
            + ": one zone outage takes its nodes down",
            _cluster_fix(cluster, bad), **evidence)
    names = ", ".join(f"{p.name} ({', '.join(p.zones)})" for p in cluster.node_pools)
    return passed(f"every node pool of {cluster.name} spans at least two zones: {names}", **evidence)


def _pool_raw(cluster: Cluster, pool: NodePool) -> dict[str, Any]:
    for raw in items(props(cluster.raw).get("agentPoolProfiles")):
        if text(raw.get("name")) == pool.name:
            return dict(raw)
    return {}


def _new_pool_name(pool: NodePool) -> str:
    # AKS pool names: lower-case alphanumeric, ≤ 12 characters (≤ 6 for Windows).
    limit = 6 if pool.os_type.lower() == "windows" else 12
    base = "".join(c for c in pool.name.lower() if c.isalnum())
    return base[: limit - 1] + "z"


def _cluster_fix(cluster: Cluster, bad: list[NodePool]) -> Remediation:
    rg, name = cluster.resource_group, cluster.name
    az: list[str] = []
    steps = [
        "A node pool's zones cannot be changed in place: for each pool below add a new pool "
        "across zones 1, 2 and 3, move the workloads, and delete the old pool.",
    ]
    bicep: list[str] = []
    terraform: list[str] = []
    for pool in bad:
        raw = _pool_raw(cluster, pool)
        new = _new_pool_name(pool)
        vm_size = text(raw.get("vmSize")) or "<vm-size>"
        count = max(pool.count or 3, 3)
        mode = pool.mode or "User"
        subnet = f" --vnet-subnet-id {pool.subnet_id}" if pool.subnet_id else ""
        az.append(f"az aks nodepool add --resource-group {rg} --cluster-name {name} --name {new} "
                  f"--mode {mode} --os-type {pool.os_type} --node-vm-size {vm_size} --node-count {count} "
                  f"--zones 1 2 3{subnet}")
        az.append(f"az aks nodepool delete --resource-group {rg} --cluster-name {name} --name {pool.name}")
        steps.append(
            f"Pool {pool.name} → {new}: after adding {new}, run `kubectl cordon -l agentpool={pool.name}` "
            f"and `kubectl drain -l agentpool={pool.name} --ignore-daemonsets --delete-emptydir-data`, "
            f"check the workloads run on {new}, then delete {pool.name}"
            + (" (the cluster keeps a System pool: the new one)." if mode.lower() == "system" else ".")
        )
        bicep.append(_pool_bicep(cluster, pool, new, vm_size, count, mode))
        terraform.append(_pool_terraform(cluster, pool, new, vm_size, count, mode))
    return Remediation(
        summary=f"Replace node pool(s) {', '.join(p.name for p in bad)} of {name} with pools spread "
                "across zones 1, 2 and 3",
        steps=tuple(steps), az_cli=tuple(az), bicep="\n".join(bicep), terraform="\n".join(terraform),
    )


def _pool_bicep(cluster: Cluster, pool: NodePool, new: str, vm_size: str, count: int, mode: str) -> str:
    subnet = f"    vnetSubnetID: '{pool.subnet_id}'\n" if pool.subnet_id else ""
    return f"""resource {new} 'Microsoft.ContainerService/managedClusters/agentPools@2025-05-01' = {{
  name: '{cluster.name}/{new}'
  properties: {{
    mode: '{mode}'
    osType: '{pool.os_type}'
    vmSize: '{vm_size}'
    count: {count}
    availabilityZones: [ '1', '2', '3' ]
{subnet}  }}
}}
"""


def _pool_terraform(cluster: Cluster, pool: NodePool, new: str, vm_size: str, count: int,
                    mode: str) -> str:
    subnet = f'  vnet_subnet_id        = "{pool.subnet_id}"\n' if pool.subnet_id else ""
    return f"""resource "azurerm_kubernetes_cluster_node_pool" "{new}" {{
  name                  = "{new}"
  kubernetes_cluster_id = "{cluster.id}"
  mode                  = "{mode}"
  os_type               = "{pool.os_type}"
  vm_size               = "{vm_size}"
  node_count            = {count}
  zones                 = ["1", "2", "3"]
{subnet}}}
"""


def _tf(name: str) -> str:
    return "".join(c if c.isalnum() else "_" for c in name).lower()


CHECK = Check(
    id="zone-spread",
    title="Firewall and every node pool span at least two availability zones",
    subjects=(Subject.FIREWALL, Subject.CLUSTER),
    severity=Severity.MEDIUM,
    passes_when=(
        "In a region with availability zones: the firewall lists at least two zones (three "
        "recommended) and every public IP on it is zone-redundant (its zones cover the "
        "firewall's, at least two); every node pool of the cluster lists at least two zones."
    ),
    rationale=(
        "Every cluster routed through the firewall loses all egress when the firewall goes down, "
        "and a pool confined to one zone loses all its nodes with that zone. Spreading both over "
        "the region's zones turns a datacenter failure into lost capacity instead of an outage. "
        "Zones are fixed at creation, so this is cheapest to get right before go-live."
    ),
    references=(
        "https://learn.microsoft.com/azure/reliability/reliability-firewall",
        "https://learn.microsoft.com/azure/aks/availability-zones",
        "https://learn.microsoft.com/azure/reliability/regions-list",
    ),
    evaluate=evaluate,
)
