"""outbound-type: the cluster's egress is routed through an Azure Firewall and nothing routes around it."""

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
from aksfw_tui.model import ids
from aksfw_tui.model.resources import Cluster, Route, RouteTable, items, props, text
from aksfw_tui.model.topology import ClusterEgress, Egress, SubnetEgress, Topology, suggest_firewall

UDR = "userdefinedrouting"


def evaluate(topology: Topology, cluster: Cluster) -> Result:
    if not cluster.has_properties:
        return unknown(f"cluster {cluster.name} was exported without its properties")
    egress = topology.cluster_egress(cluster)
    evidence = _evidence(cluster, egress)
    problems: list[str] = []
    if cluster.outbound_type and cluster.outbound_type.lower() != UDR:
        problems.append(
            f"outboundType is {cluster.outbound_type}: egress leaves through "
            f"{_describe_outbound(cluster.outbound_type)}, bypassing any firewall"
        )
    if egress.status is Egress.NOT_FIREWALL:
        problems.append(egress.reason)
    bypasses = [(s, r) for s in egress.subnets for r in s.bypass_routes]
    for subnet_egress, route in bypasses:
        problems.append(
            f"route {route.name} ({route.prefix_text} → {route.next_hop_type}"
            f"{' ' + route.next_hop_ip if route.next_hop_ip else ''}) in "
            f"{subnet_egress.route_table.name if subnet_egress.route_table else '?'} is more "
            "specific than 0.0.0.0/0 and sends internet traffic around the firewall"
        )
    if problems:
        managed = [p.name for p in cluster.node_pools if not p.subnet_id]
        fix = (_managed_vnet_remediation(topology, cluster, managed) if managed
               else _remediation(topology, cluster, egress, bypasses))
        return failed("; ".join(problems), fix, **evidence)
    if not cluster.outbound_type:
        return unknown("networkProfile.outboundType is absent from the export", **evidence)
    if egress.status is Egress.UNKNOWN:
        return unknown(egress.reason, **evidence)
    unread = [r.unread for s in egress.subnets for r in s.unread_routes]
    if unread:  # a route not read could send internet traffic around the firewall
        return unknown("; ".join(dict.fromkeys(unread)), **evidence)
    return passed(
        f"outboundType is userDefinedRouting and {egress.reason}", **evidence
    )


def _describe_outbound(outbound_type: str) -> str:
    return {
        "loadbalancer": "the AKS load balancer's public IPs",
        "managednatgateway": "an AKS-managed NAT gateway",
        "usernatgateway": "a NAT gateway",
        "userassignednatgateway": "your NAT gateway",
        "none": "whatever the node subnet's routes say (AKS sets up no egress)",
        "block": "nowhere (all egress blocked)",
    }.get(outbound_type.lower(), "a path AKS manages")


def _evidence(cluster: Cluster, egress: ClusterEgress) -> dict[str, Any]:
    return {
        "outbound_type": cluster.outbound_type or None,
        "egress": egress.status.value,
        "node_subnets": [
            {
                "subnet": s.subnet_id,
                "route_table": s.route_table.id if s.route_table else None,
                "default_route": (
                    f"{s.default_route.prefix_text} → {s.default_route.next_hop_type} "
                    f"{s.default_route.next_hop_ip}".strip()
                ) if s.default_route else None,
                "firewall": s.firewall.id if s.firewall else None,
                "verdict": s.status.value,
                "reason": s.reason,
                "path": list(s.path),
            }
            for s in egress.subnets
        ],
    }


def _remediation(topology: Topology, cluster: Cluster, egress: ClusterEgress,
                 bypasses: list[tuple[SubnetEgress, Route]]) -> Remediation:
    subnets = [s for s in egress.subnets if s.status is not Egress.FIREWALL] or list(egress.subnets)
    subnet_id = subnets[0].subnet_id if subnets else "<node-subnet-id>"
    vnet_id = ids.parent_of(subnet_id) if subnets else ""
    firewall = egress.firewalls[0] if egress.firewalls else suggest_firewall(
        topology, vnet_id, cluster.location)
    fw_ip = firewall.private_ip if firewall else "<firewall-private-ip>"
    fw_name = firewall.name if firewall else "<firewall>"
    rg = cluster.resource_group
    table = next((s.route_table for s in subnets if s.route_table), None)
    table_name = table.name if table else f"rt-{cluster.name}-egress"
    table_rg = table.resource_group if table else rg
    vnet_name = ids.name_of(vnet_id) or "<vnet>"
    subnet_name = ids.name_of(subnet_id)
    az = []
    if table is None:
        az.append(f"az network route-table create --resource-group {table_rg} --name {table_name} "
                  f"--location {cluster.region} --disable-bgp-route-propagation true")
    existing = _default_route(table)
    if existing is not None and _points_at(existing[1], fw_ip):
        pass  # already right: only the rest of the fix is needed
    elif existing is not None:  # a second 0.0.0.0/0 route would be refused: repoint this one
        az.append(f"az network route-table route update --resource-group {table_rg} "
                  f"--route-table-name {table_name} --name {existing[1].get('name')} "
                  f"--next-hop-type VirtualAppliance --next-hop-ip-address {fw_ip}")
    else:
        az.append(f"az network route-table route create --resource-group {table_rg} "
                  f"--route-table-name {table_name} --name default-to-{fw_name} "
                  f"--address-prefix 0.0.0.0/0 --next-hop-type VirtualAppliance "
                  f"--next-hop-ip-address {fw_ip}")
    for subnet in subnets:
        if not (subnet.route_table and table and subnet.route_table.key == table.key):
            sid = subnet.subnet_id
            az.append(f"az network vnet subnet update --resource-group "
                      f"{ids.resource_group_of(sid)} --vnet-name {ids.name_of(ids.parent_of(sid))} "
                      f"--name {ids.name_of(sid)} --route-table {table_name}")
    for subnet_egress, route in bypasses:
        rt = subnet_egress.route_table
        if rt is not None:
            az.append(f"az network route-table route delete --resource-group {rt.resource_group} "
                      f"--route-table-name {rt.name} --name {route.name}")
    if cluster.outbound_type.lower() != UDR:
        az.append(f"az aks update --resource-group {rg} --name {cluster.name} "
                  "--outbound-type userDefinedRouting")
    steps = (
        f"Make sure {fw_name} allows what AKS needs before switching (see fqdn-tag-rule, "
        "tunnel-ports and required-egress), or nodes lose their control plane.",
        f"Give every node subnet ({', '.join(ids.name_of(s.subnet_id) for s in subnets) or subnet_name})"
        f" a route table whose 0.0.0.0/0 route has next hop VirtualAppliance {fw_ip}.",
        "Remove routes more specific than 0.0.0.0/0 that send public prefixes to the Internet, "
        "except /32 routes for the firewall's own public IPs (the DNAT return path).",
        "Set the cluster's outbound type to userDefinedRouting (az aks update --outbound-type).",
    )
    bicep = f"""resource routeTable 'Microsoft.Network/routeTables@2024-05-01' = {{
  name: '{table_name}'
  location: '{cluster.region}'
  properties: {{
    disableBgpRoutePropagation: true
    routes: [
      {{
        name: 'default-to-{fw_name}'
        properties: {{
          addressPrefix: '0.0.0.0/0'
          nextHopType: 'VirtualAppliance'
          nextHopIpAddress: '{fw_ip}'
        }}
      }}
    ]
  }}
}}

// On the node subnet '{subnet_name}' of '{vnet_name}':
//   properties: {{ routeTable: {{ id: routeTable.id }} }}
// On the cluster '{cluster.name}':
//   properties: {{ networkProfile: {{ outboundType: 'userDefinedRouting' }} }}
"""
    terraform = f"""resource "azurerm_route_table" "egress" {{
  name                          = "{table_name}"
  location                      = "{cluster.region}"
  resource_group_name           = "{table_rg}"
  bgp_route_propagation_enabled = false

  route {{
    name                   = "default-to-{fw_name}"
    address_prefix         = "0.0.0.0/0"
    next_hop_type          = "VirtualAppliance"
    next_hop_in_ip_address = "{fw_ip}"
  }}
}}

resource "azurerm_subnet_route_table_association" "nodes" {{
  subnet_id      = "{subnet_id}"
  route_table_id = azurerm_route_table.egress.id
}}

# In azurerm_kubernetes_cluster "{cluster.name}":
#   network_profile {{
#     outbound_type = "userDefinedRouting"
#   }}
"""
    table_id = table.id if table else (
        f"/subscriptions/{ids.subscription_of(subnet_id)}/resourceGroups/{table_rg}"
        f"/providers/Microsoft.Network/routeTables/{table_name}")
    return Remediation(
        summary=f"Route {cluster.name}'s node subnets through {fw_name} ({fw_ip}) and set "
                "outboundType to userDefinedRouting",
        steps=steps, az_cli=tuple(az), bicep=bicep, terraform=terraform,
        changes=_changes(cluster, subnets, table, table_id, fw_name, fw_ip, bypasses),
    )


def _default_route(table: RouteTable | None) -> tuple[int, Mapping[str, Any]] | None:
    """The table's 0.0.0.0/0 route and its index in the raw `routes` list."""
    routes = items(props(table.raw).get("routes")) if table else []
    return next(((i, r) for i, r in enumerate(routes)
                 if text(props(r).get("addressPrefix")).strip() == "0.0.0.0/0"), None)


def _points_at(route: Mapping[str, Any], ip: str) -> bool:
    p = props(route)
    return (text(p.get("nextHopType")).lower() == "virtualappliance"
            and text(p.get("nextHopIpAddress")).strip() == ip)


def _changes(cluster: Cluster, subnets: list[SubnetEgress], table: RouteTable | None, table_id: str,
             fw_name: str, fw_ip: str, bypasses: list[tuple[SubnetEgress, Route]]) -> tuple[Change, ...]:
    """The plan on existing resources (a route table still to create is in the snippets)."""
    hop = {"addressPrefix": "0.0.0.0/0", "nextHopType": "VirtualAppliance", "nextHopIpAddress": fw_ip}
    changes: list[Change] = []
    if table is not None:
        existing = _default_route(table)
        if existing is None:
            changes.append(Change(table.id, "add", "/properties/routes/-",
                                  {"name": f"default-to-{fw_name}", "properties": hop}))
        elif not _points_at(existing[1], fw_ip):
            index, current = existing
            changes.append(Change(table.id, "replace", f"/properties/routes/{index}/properties",
                                  hop, dict(props(current))))
    for subnet in subnets:
        if subnet.route_table is not None and ids.key(subnet.route_table.id) == ids.key(table_id):
            continue
        before = {"id": subnet.subnet.route_table_id} if subnet.subnet and subnet.subnet.route_table_id \
            else None
        changes.append(Change(subnet.subnet_id, "replace" if before else "add", "/properties/routeTable",
                              {"id": table_id}, before))
    removed: dict[tuple[str, int], tuple[str, Mapping[str, Any]]] = {}
    for subnet_egress, bypass in bypasses:
        rt = subnet_egress.route_table
        for index, entry in enumerate(items(props(rt.raw).get("routes")) if rt else []):
            if rt is not None and entry.get("name") == bypass.name:
                removed[(rt.key, index)] = (rt.id, entry)
    # Highest index first, so the earlier indexes stay valid as the patch applies in order.
    for (_key, index), (table_key, entry) in sorted(removed.items(), key=lambda e: (e[0][0], -e[0][1])):
        changes.append(Change(table_key, "remove", f"/properties/routes/{index}", before=dict(entry)))
    if cluster.outbound_type.lower() != UDR:
        changes.append(Change(cluster.id, "replace", "/properties/networkProfile/outboundType",
                              "userDefinedRouting", cluster.outbound_type or None))
    return tuple(changes)


def _managed_vnet_remediation(topology: Topology, cluster: Cluster, pools: list[str]) -> Remediation:
    """An AKS-managed VNet takes no route table of yours: the cluster needs your own subnet."""
    regional = [f for f in topology.firewalls if f.region == cluster.region]
    firewall = regional[0] if len(regional) == 1 else None
    fw_ip = firewall.private_ip if firewall else "<firewall-private-ip>"
    rg, name = cluster.resource_group, cluster.name
    subnet = f"<spoke-subnet-id routed to {firewall.name if firewall else 'the firewall'}>"
    return Remediation(
        summary=f"Rebuild {name} on your own spoke subnet routed through the firewall: node pools "
                f"{', '.join(pools)} use the AKS-managed VNet, which cannot take your route table",
        steps=(
            "AKS cannot move an existing cluster from its managed VNet to your own VNet: plan a "
            "new cluster (blue/green) and move workloads.",
            f"Create a spoke subnet peered with the hub, with a route table 0.0.0.0/0 → "
            f"VirtualAppliance {fw_ip}, and the firewall rules AKS needs (fqdn-tag-rule, "
            "tunnel-ports, required-egress).",
            "Create the new cluster with --vnet-subnet-id on that subnet and --outbound-type "
            "userDefinedRouting, then move workloads and delete the old cluster.",
        ),
        az_cli=(
            f"az aks create --resource-group {rg} --name {name}-v2 --location {cluster.region} "
            f"--vnet-subnet-id {subnet} --outbound-type userDefinedRouting "
            "--network-plugin azure --network-plugin-mode overlay --zones 1 2 3",
        ),
        bicep=f"""resource aks 'Microsoft.ContainerService/managedClusters@2025-05-01' = {{
  name: '{name}-v2'
  location: '{cluster.region}'
  properties: {{
    agentPoolProfiles: [
      {{
        name: 'system'
        mode: 'System'
        count: 3
        vnetSubnetID: '{subnet}'
        availabilityZones: [ '1', '2', '3' ]
      }}
    ]
    networkProfile: {{
      networkPlugin: 'azure'
      networkPluginMode: 'overlay'
      outboundType: 'userDefinedRouting'
    }}
  }}
}}
""",
        terraform=f"""resource "azurerm_kubernetes_cluster" "{name.replace('-', '_')}_v2" {{
  name                = "{name}-v2"
  location            = "{cluster.region}"
  resource_group_name = "{rg}"
  dns_prefix          = "{name}-v2"

  default_node_pool {{
    name           = "system"
    node_count     = 3
    vm_size        = "Standard_D4ds_v5"
    vnet_subnet_id = "{subnet}"
    zones          = ["1", "2", "3"]
  }}

  network_profile {{
    network_plugin      = "azure"
    network_plugin_mode = "overlay"
    outbound_type       = "userDefinedRouting"
  }}

  identity {{
    type = "SystemAssigned"
  }}
}}
""",
    )


CHECK = Check(
    id="outbound-type",
    title="Cluster egress is routed through Azure Firewall (userDefinedRouting)",
    subjects=(Subject.CLUSTER,),
    severity=Severity.HIGH,
    passes_when=(
        "networkProfile.outboundType is userDefinedRouting, every node-pool subnet has a route "
        "table whose 0.0.0.0/0 route has next hop VirtualAppliance to an Azure Firewall's private "
        "IP, and no more specific route sends public destinations elsewhere (a /32 to one of the "
        "firewall's own public IPs, the DNAT return path, is fine)."
    ),
    rationale=(
        "The firewall only protects traffic that reaches it. With the default loadBalancer "
        "outbound type, or a default route to anything but the firewall, pods reach the "
        "internet directly: no FQDN filtering, no threat intelligence, no logs. Longest prefix "
        "wins, so a pair of 0.0.0.0/1 and 128.0.0.0/1 routes to Internet silently overrides a "
        "correct default route."
    ),
    references=(
        "https://learn.microsoft.com/azure/aks/limit-egress-traffic",
        "https://learn.microsoft.com/azure/aks/egress-outboundtype",
        "https://learn.microsoft.com/azure/virtual-network/virtual-networks-udr-overview",
    ),
    evaluate=evaluate,
)
