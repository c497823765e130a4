"""The topology as a diagram users paste into their docs: Mermaid (`graph LR`) and Graphviz DOT.

Both renderings come from one intermediate picture (VNets as groups holding their subnets and what
sits in them; node pools, route tables and public IPs around them; the graph's relations as
edges), so they always show the same thing. The text is written here directly: networkx's DOT
writer needs pydot, which the tool does not depend on. Output is sorted, so the same snapshot
always gives the same file (diff-friendly in a docs repository).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import networkx as nx

from aksfw_tui.model import ids
from aksfw_tui.model.ingress import cluster_load_balancers, link_ingress
from aksfw_tui.model.resources import Subnet
from aksfw_tui.model.topology import Topology


@dataclass(frozen=True)
class DiagramNode:
    key: str  # the resource (or sub-object) key it stands for
    prefix: str  # the id's kind prefix: vnet, subnet, rt, fw, agw, lb, pool, pip
    name: str
    label: str
    group: str = ""  # the key of the VNet whose box holds it


@dataclass(frozen=True, order=True)
class DiagramEdge:
    source: str  # node keys
    target: str
    label: str = ""
    peering: bool = False  # drawn dotted, without direction


@dataclass
class Diagram:
    """The picture both renderers draw."""

    groups: dict[str, DiagramNode] = field(default_factory=dict)  # VNets
    nodes: dict[str, DiagramNode] = field(default_factory=dict)
    edges: set[DiagramEdge] = field(default_factory=set)

    def add(self, node: DiagramNode) -> None:
        self.nodes.setdefault(node.key, node)

    def edge(self, source: str, target: str, label: str = "", peering: bool = False) -> None:
        if source in self.declared and target in self.declared and source != target:
            self.edges.add(DiagramEdge(source, target, label, peering))

    @property
    def declared(self) -> dict[str, DiagramNode]:
        return {**self.groups, **self.nodes}

    def ids(self) -> dict[str, str]:
        """A unique `[A-Za-z0-9_]+` id per key: `<prefix>_<name>`, numbered on collision in key
        order so the numbering does not depend on the export's order."""
        out: dict[str, str] = {}
        taken: set[str] = set()
        for node in sorted(self.declared.values(), key=lambda n: (n.prefix, n.name.lower(), n.key)):
            base = f"{node.prefix}_{re.sub(r'[^A-Za-z0-9_]', '_', node.name)}"
            candidate, number = base, 2
            while candidate.lower() in taken:
                candidate, number = f"{base}_{number}", number + 1
            taken.add(candidate.lower())
            out[node.key] = candidate
        return out


def build_diagram(topology: Topology) -> Diagram:
    diagram = Diagram()
    _vnets(topology, diagram)
    _firewalls(topology, diagram)
    _gateways(topology, diagram)
    _load_balancers(topology, diagram)
    _route_tables(topology, diagram)
    _node_pools(topology, diagram)
    _public_ips(topology, diagram)
    _ingress_edges(topology, diagram)
    return diagram


def _group_of(topology: Topology, subnet_ids: Iterable[str]) -> str:
    """The VNet box a resource sits in: that of its first subnet the snapshot holds."""
    known = sorted(ids.key(s) for s in subnet_ids if s and topology.subnet(s))
    return ids.key(ids.parent_of(known[0])) if known else ""


def _vnets(topology: Topology, diagram: Diagram) -> None:
    for vnet in topology.vnets:
        space = ", ".join(str(p) for p in vnet.address_space)
        diagram.groups[vnet.key] = DiagramNode(vnet.key, "vnet", vnet.name,
                                               f"{vnet.name} ({space})" if space else vnet.name)
        for subnet in vnet.subnets:
            diagram.add(DiagramNode(subnet.key, "subnet", subnet.name, _subnet_label(subnet),
                                    vnet.key))
    for vnet in topology.vnets:
        for peering in vnet.peerings:
            remote = ids.key(peering.remote_vnet_id)
            if remote not in diagram.groups:
                name = ids.name_of(peering.remote_vnet_id)
                diagram.add(DiagramNode(remote, "vnet", name, f"{name} (not in the snapshot)"))
            source, target = sorted((vnet.key, remote))  # one line per pair, whoever lists it
            diagram.edge(source, target, "peering", peering=True)


def _subnet_label(subnet: Subnet) -> str:
    return f"{subnet.name} ({subnet.cidrs})" if subnet.cidrs else subnet.name


def _route_tables(topology: Topology, diagram: Diagram) -> None:
    for subnet in topology.subnets.values():
        if not subnet.route_table_id:
            continue
        table = topology.route_table(subnet.route_table_id)
        name = table.name if table else ids.name_of(subnet.route_table_id)
        label = name if table else f"{name} (not in the snapshot)"
        diagram.add(DiagramNode(ids.key(subnet.route_table_id), "rt", name, label))
        diagram.edge(subnet.key, ids.key(subnet.route_table_id))
    for table in topology.route_tables:
        hops: dict[str, list[str]] = {}
        for route in table.routes:
            firewall = topology.firewall_by_private_ip(route.next_hop_ip, topology.route_table_vnet(table))
            if route.next_hop_type.lower() == "virtualappliance" and firewall:
                hops.setdefault(firewall.key, []).append(f"{route.prefix_text} → {route.next_hop_ip}")
        for firewall_key, labels in hops.items():
            diagram.edge(table.key, firewall_key, ", ".join(sorted(labels)))


def _firewalls(topology: Topology, diagram: Diagram) -> None:
    for firewall in topology.firewalls:
        subnets = [c.subnet_id for c in firewall.ip_configurations if c.subnet_id]
        label = f"{firewall.name} ({firewall.private_ip})" if firewall.private_ip else firewall.name
        diagram.add(DiagramNode(firewall.key, "fw", firewall.name, label, _group_of(topology, subnets)))
        for subnet_id in sorted({ids.key(s) for s in subnets}):
            diagram.edge(firewall.key, subnet_id, "in")


def _gateways(topology: Topology, diagram: Diagram) -> None:
    for gateway in topology.app_gateways:
        label = f"{gateway.name} ({gateway.sku_tier})" if gateway.sku_tier else gateway.name
        diagram.add(DiagramNode(gateway.key, "agw", gateway.name, label,
                                _group_of(topology, gateway.subnet_ids)))
        for subnet_id in sorted({ids.key(s) for s in gateway.subnet_ids if s}):
            diagram.edge(gateway.key, subnet_id, "in")


def _load_balancers(topology: Topology, diagram: Diagram) -> None:
    owners = {lb.key: cluster.name for cluster in topology.clusters
              for lb in cluster_load_balancers(topology, cluster)}
    for lb in topology.load_balancers:
        subnets = [f.subnet_id for f in lb.frontends if f.subnet_id]
        # AKS names every cluster's LBs alike; the cluster's name tells them apart.
        label = f"{lb.name} ({owners[lb.key]})" if lb.key in owners else lb.name
        diagram.add(DiagramNode(lb.key, "lb", lb.name, label, _group_of(topology, subnets)))
        for subnet_id in sorted({ids.key(s) for s in subnets}):
            diagram.edge(lb.key, subnet_id, "in")


def _node_pools(topology: Topology, diagram: Diagram) -> None:
    for cluster in topology.clusters:
        for pool in cluster.node_pools:
            key = f"{cluster.key}/agentpools/{pool.name.lower()}"
            name = f"{cluster.name}/{pool.name}"
            label = name if pool.subnet_id else f"{name} (AKS-managed VNet)"
            diagram.add(DiagramNode(key, "pool", name, label))
            if pool.subnet_id and ids.key(pool.subnet_id) not in diagram.nodes:
                missing = ids.name_of(pool.subnet_id)
                diagram.add(DiagramNode(ids.key(pool.subnet_id), "subnet", missing,
                                        f"{missing} (not in the snapshot)"))
            diagram.edge(key, ids.key(pool.subnet_id))


def _public_ips(topology: Topology, diagram: Diagram) -> None:
    """Public IPs attached to a firewall, App Gateway or load balancer of the picture."""
    for pip in topology.public_ips:
        owner = ids.key(ids.parent_of(pip.attached_to)) if pip.attached_to else ""
        if owner not in diagram.nodes:
            continue
        label = f"{pip.name} ({pip.ip})" if pip.ip else pip.name
        diagram.add(DiagramNode(pip.key, "pip", pip.name, label))
        diagram.edge(pip.key, owner)


def _ingress_edges(topology: Topology, diagram: Diagram) -> None:
    """App Gateway → the backend each pool reaches; firewall → each DNAT rule's target. Read from
    the graph edges `link_ingress` adds (listener → pool → owner; firewall → rule → owner)."""
    link_ingress(topology)
    graph = topology.graph
    for gateway in topology.app_gateways:
        for listener in _targets(graph, gateway.key, "contains"):
            for pool in _targets(graph, listener, "backend"):
                for owner in _targets(graph, pool, "backend"):
                    diagram.edge(gateway.key, _drawn(diagram, owner), ids.name_of(pool))
    # A DNAT to an App Gateway's private frontend goes to the gateway, not just to its subnet.
    gateway_ips = {f.private_ip: g.key for g in topology.app_gateways for f in g.frontends if f.private_ip}
    for firewall in topology.firewalls:
        for rule in _targets(graph, firewall.key, "contains"):
            name = graph.nodes[rule].get("name", "")
            for owner, data in _targets_with(graph, rule, "dnat_to"):
                address = str(data.get("address", ""))
                target = gateway_ips.get(address) or _drawn(diagram, owner)
                diagram.edge(firewall.key, target, f"DNAT {name} → {address}" if address else f"DNAT {name}")


def _targets(graph: nx.MultiDiGraph, node: str, relation: str) -> list[str]:
    return [target for target, _ in _targets_with(graph, node, relation)]


def _targets_with(graph: nx.MultiDiGraph, node: str, relation: str) -> list[tuple[str, dict[str, Any]]]:
    if node not in graph:
        return []
    edges = graph.out_edges(node, data=True)
    return sorted(((t, d) for _, t, d in edges if d.get("relation") == relation), key=lambda e: e[0])


def _drawn(diagram: Diagram, owner: str) -> str:
    """An LB frontend is drawn as its load balancer; a subnet as itself."""
    return owner if owner in diagram.nodes else ids.key(ids.parent_of(owner))


# -- Mermaid -------------------------------------------------------------------------------------


def mermaid_text(value: str) -> str:
    """A label safe inside Mermaid's `"…"`: quotes, pipes, angle brackets and `#` as entity codes."""
    escaped = value.replace("#", "#35;").replace('"', "#quot;").replace("|", "#124;")
    return escaped.replace("<", "#lt;").replace(">", "#gt;").replace("\n", " ")


def to_mermaid(topology: Topology) -> str:
    """The topology as a Mermaid flowchart (`graph LR`), one subgraph per VNet."""
    diagram = build_diagram(topology)
    node_ids = diagram.ids()
    lines = ["graph LR"]
    for group in sorted(diagram.groups.values(), key=lambda g: node_ids[g.key]):
        lines.append(f'  subgraph {node_ids[group.key]}["{mermaid_text(group.label)}"]')
        members = [n for n in diagram.nodes.values() if n.group == group.key]
        for node in sorted(members, key=lambda n: node_ids[n.key]):
            lines.append(f'    {node_ids[node.key]}["{mermaid_text(node.label)}"]')
        lines.append("  end")
    loose = [n for n in diagram.nodes.values() if n.group not in diagram.groups]
    for node in sorted(loose, key=lambda n: node_ids[n.key]):
        lines.append(f'  {node_ids[node.key]}["{mermaid_text(node.label)}"]')
    for edge in _sorted_edges(diagram, node_ids):
        source, target = node_ids[edge.source], node_ids[edge.target]
        link = "-.-" if edge.peering else "-->"
        label = f'|"{mermaid_text(edge.label)}"|' if edge.label else ""
        lines.append(f"  {source} {link}{label} {target}")
    return "\n".join(lines) + "\n"


def _sorted_edges(diagram: Diagram, node_ids: dict[str, str]) -> list[DiagramEdge]:
    drawable = [e for e in diagram.edges if e.source in node_ids and e.target in node_ids]
    return sorted(drawable, key=lambda e: (node_ids[e.source], node_ids[e.target], e.label))


# -- Graphviz DOT --------------------------------------------------------------------------------


def dot_text(value: str) -> str:
    """A DOT double-quoted string: backslashes and quotes escaped, one line."""
    escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ")
    return f'"{escaped}"'


def to_dot(topology: Topology) -> str:
    """The topology as a Graphviz digraph, one `cluster_` subgraph per VNet. A VNet also gets a
    node inside its box, since DOT edges join nodes, not boxes; peerings join those nodes."""
    diagram = build_diagram(topology)
    node_ids = diagram.ids()
    lines = ["digraph topology {", "  rankdir=LR;", "  compound=true;",
             '  node [shape=box, fontname="Helvetica"];', '  edge [fontname="Helvetica"];']
    for group in sorted(diagram.groups.values(), key=lambda g: node_ids[g.key]):
        gid = node_ids[group.key]
        lines += [f"  subgraph {dot_text('cluster_' + gid)} {{", f"    label={dot_text(group.label)};",
                  f"    {dot_text(gid)} [label={dot_text(group.label)}, shape=folder];"]
        members = [n for n in diagram.nodes.values() if n.group == group.key]
        for node in sorted(members, key=lambda n: node_ids[n.key]):
            lines.append(f"    {dot_text(node_ids[node.key])} [label={dot_text(node.label)}];")
        lines.append("  }")
    loose = [n for n in diagram.nodes.values() if n.group not in diagram.groups]
    for node in sorted(loose, key=lambda n: node_ids[n.key]):
        lines.append(f"  {dot_text(node_ids[node.key])} [label={dot_text(node.label)}];")
    for edge in _sorted_edges(diagram, node_ids):
        attributes = [f"label={dot_text(edge.label)}"] if edge.label else []
        if edge.peering:
            attributes += ["style=dotted", "dir=none"]
            # Clip the line at the VNet boxes (compound=true) rather than at the VNet nodes.
            attributes += [f"{end}={dot_text('cluster_' + node_ids[key])}"
                           for end, key in (("ltail", edge.source), ("lhead", edge.target))
                           if key in diagram.groups]
        suffix = f" [{', '.join(attributes)}]" if attributes else ""
        lines.append(f"  {dot_text(node_ids[edge.source])} -> {dot_text(node_ids[edge.target])}{suffix};")
    lines.append("}")
    return "\n".join(lines) + "\n"
