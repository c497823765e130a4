"""What the Topology screen shows, computed headless: the containment tree (subscription → VNet →
subnet → what runs there) with finding badges, and a cluster's egress and ingress paths as steps.

The screen only renders these objects. Egress reuses `Topology.subnet_egress`/`cluster_egress`
and ingress reuses `model.ingress.cluster_ingress`, so the drawn paths are the ones the checks
decided on, never a second opinion.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum

from aksfw_tui.checks.base import Finding, Severity, Status
from aksfw_tui.model import ids
from aksfw_tui.model.ingress import Entry, EntryKind, Waf, cluster_ingress, waf_verdict
from aksfw_tui.model.resources import AppGateway, Cluster, Firewall, Subnet, VirtualNetwork
from aksfw_tui.model.topology import Egress, SubnetEgress, Topology

ARROW = " → "


# -- the containment tree ------------------------------------------------------------------------


class NodeKind(StrEnum):
    ROOT = "root"
    SUBSCRIPTION = "subscription"
    VNET = "vnet"
    SUBNET = "subnet"
    PEERING = "peering"
    NODE_POOL = "node_pool"
    API_SERVER = "api_server"
    FIREWALL = "firewall"
    FIREWALL_POLICY = "firewall_policy"
    APP_GATEWAY = "app_gateway"
    LB_FRONTEND = "lb_frontend"
    PUBLIC_IP = "public_ip"
    CLUSTER = "cluster"
    OTHER = "other"


# Siblings are grouped by kind in this order, then sorted by label.
KIND_ORDER = {kind: index for index, kind in enumerate(NodeKind)}


@dataclass(frozen=True)
class Badge:
    """The findings on the subjects at or below a tree node (each subject counted once)."""

    fail: int = 0
    unknown: int = 0
    passed: int = 0
    not_applicable: int = 0
    worst: Severity | None = None  # the worst severity among the failures

    @property
    def text(self) -> str:
        """`✘2 ?1`, `✔` when everything seen passed, '' when nothing applies."""
        parts = [f"✘{self.fail}"] if self.fail else []
        if self.unknown:
            parts.append(f"?{self.unknown}")
        if not parts and self.passed:
            parts.append("✔")
        return " ".join(parts)


@dataclass(frozen=True)
class TreeNode:
    """One line of the tree. `key` is unique in the tree and stable across refreshes (the path of
    resource keys from the root); `resource_id` is the ARM resource the line stands for (a node
    pool's is its cluster: findings and paths are per cluster), '' for groupings."""

    label: str
    kind: NodeKind
    key: str
    resource_id: str = ""
    children: tuple[TreeNode, ...] = ()
    badge: Badge | None = None

    def walk(self) -> Iterator[TreeNode]:
        """This node and every node below it, depth first, in display order."""
        yield self
        for child in self.children:
            yield from child.walk()

    def child(self, label: str) -> TreeNode | None:
        return next((c for c in self.children if c.label == label), None)


def _node(label: str, kind: NodeKind, local: str, resource_id: str = "",
          children: Iterable[TreeNode] = ()) -> TreeNode:
    """A node whose key is still local; `_qualify` prefixes the parents' keys at the end."""
    ordered = sorted(children, key=lambda c: (KIND_ORDER[c.kind], c.label.lower(), c.key))
    return TreeNode(label, kind, local, resource_id, tuple(ordered))


def _qualify(node: TreeNode, parent: str = "") -> TreeNode:
    key = f"{parent}>{node.key}" if parent else node.key
    return replace(node, key=key, children=tuple(_qualify(c, key) for c in node.children))


@dataclass
class _Placement:
    """Tree nodes waiting for a parent: a subnet's contents, and each subscription's 'other'."""

    in_subnet: dict[str, list[TreeNode]] = field(default_factory=lambda: defaultdict(list))
    other: dict[str, list[TreeNode]] = field(default_factory=lambda: defaultdict(list))
    subscription_names: dict[str, str] = field(default_factory=dict)

    def put_other(self, resource_id: str, node: TreeNode) -> None:
        self.other[self.subscription(resource_id)].append(node)

    def subscription(self, resource_id: str) -> str:
        spelled = ids.subscription_of(resource_id) or "(unknown subscription)"
        key = spelled.lower()
        # Keep one spelling per subscription, the same whatever order the export listed.
        self.subscription_names[key] = min(self.subscription_names.get(key, spelled), spelled)
        return key


def containment_tree(topology: Topology) -> TreeNode:
    """Azure → subscriptions → VNets → subnets → node pools, firewalls, App Gateways and internal
    LB frontends; per subscription, an 'other' node for what sits in no VNet of the snapshot."""
    placement = _Placement()
    _place_clusters(topology, placement)
    _place_firewalls(topology, placement)
    _place_gateways(topology, placement)
    _place_load_balancers(topology, placement)
    _place_orphan_policies(topology, placement)
    vnets_by_sub: dict[str, list[VirtualNetwork]] = defaultdict(list)
    for vnet in topology.vnets:
        vnets_by_sub[placement.subscription(vnet.id)].append(vnet)
    subscriptions = []
    for sub in sorted(set(vnets_by_sub) | set(placement.other)):
        children = [_vnet_node(topology, vnet, placement) for vnet in vnets_by_sub.get(sub, [])]
        if placement.other.get(sub):
            children.append(_node("other (in no VNet of the snapshot)", NodeKind.OTHER, "other",
                                  children=placement.other[sub]))
        name = placement.subscription_names[sub]
        subscriptions.append(_node(f"subscription {name}", NodeKind.SUBSCRIPTION,
                                   f"/subscriptions/{sub}", f"/subscriptions/{name}", children))
    return _qualify(_node(_root_label(topology), NodeKind.ROOT, "azure", children=subscriptions))


def _root_label(topology: Topology) -> str:
    source = topology.snapshot.source
    detail = source.get("name") or source.get("path") or ""
    kind = source.get("kind") or ""
    shown = ": ".join(str(p) for p in (kind, detail) if p)
    return f"Azure ({shown})" if shown else "Azure"


def _vnet_node(topology: Topology, vnet: VirtualNetwork, placement: _Placement) -> TreeNode:
    space = ", ".join(str(p) for p in vnet.address_space)
    label = f"{vnet.name} ({space})" if vnet.has_properties else f"{vnet.name} (properties not exported)"
    children = [_subnet_node(topology, s, placement.in_subnet.get(s.key, [])) for s in vnet.subnets]
    for peering in vnet.peerings:
        remote = topology.vnet(peering.remote_vnet_id)
        name = remote.name if remote else f"{ids.name_of(peering.remote_vnet_id)} (not in the snapshot)"
        state = f" ({peering.state})" if peering.state else ""
        children.append(_node(f"⇄ {name}{state}", NodeKind.PEERING,
                              f"peering:{ids.key(peering.remote_vnet_id)}", peering.remote_vnet_id))
    return _node(label, NodeKind.VNET, vnet.key, vnet.id, children)


def _subnet_node(topology: Topology, subnet: Subnet, contents: list[TreeNode]) -> TreeNode:
    return _node(subnet_label(topology, subnet), NodeKind.SUBNET, subnet.key, subnet.id, contents)


def subnet_label(topology: Topology, subnet: Subnet) -> str:
    """`snet-aks-nodes (10.20.0.0/22, rt-aks)`: name, CIDRs, route table, NAT gateway."""
    if not subnet.has_properties:
        return f"{subnet.name} (properties not exported)"
    parts = [subnet.cidrs] if subnet.cidrs else []
    if subnet.route_table_id:
        table = topology.route_table(subnet.route_table_id)
        parts.append(table.name if table else
                     f"{ids.name_of(subnet.route_table_id)} not in the snapshot")
    if subnet.nat_gateway_id:
        parts.append(f"NAT gateway {ids.name_of(subnet.nat_gateway_id)}")
    return f"{subnet.name} ({', '.join(parts)})" if parts else subnet.name


def _place_clusters(topology: Topology, placement: _Placement) -> None:
    for cluster in topology.clusters:
        if not cluster.node_pools:
            why = "node pools not exported" if cluster.has_properties else "properties not exported"
            placement.put_other(cluster.id, _node(f"{cluster.name} ({why})", NodeKind.CLUSTER,
                                                  cluster.key, cluster.id))
        for pool in cluster.node_pools:
            local = f"{cluster.key}/agentpools/{pool.name.lower()}"
            name = f"{cluster.name}/{pool.name}"
            if pool.subnet_id and topology.subnet(pool.subnet_id):
                placement.in_subnet[ids.key(pool.subnet_id)].append(
                    _node(name, NodeKind.NODE_POOL, local, cluster.id))
            else:
                where = (f"subnet {ids.name_of(pool.subnet_id)} not in the snapshot"
                         if pool.subnet_id else "AKS-managed VNet")
                placement.put_other(cluster.id, _node(f"{name} ({where})", NodeKind.NODE_POOL,
                                                      local, cluster.id))
        if cluster.api_server_subnet_id and topology.subnet(cluster.api_server_subnet_id):
            placement.in_subnet[ids.key(cluster.api_server_subnet_id)].append(
                _node(f"{cluster.name} API server", NodeKind.API_SERVER, f"{cluster.key}/apiserver",
                      cluster.id))


def _place_firewalls(topology: Topology, placement: _Placement) -> None:
    for firewall in topology.firewalls:
        node = _firewall_node(topology, firewall)
        subnets = {ids.key(c.subnet_id) for c in firewall.ip_configurations if c.subnet_id}
        seen = sorted(s for s in subnets if topology.subnet(s))
        for subnet_key in seen:
            placement.in_subnet[subnet_key].append(node)
        if seen:
            continue
        if firewall.virtual_hub_id:
            where = f"secured virtual hub {ids.name_of(firewall.virtual_hub_id)}"
        elif subnets:
            where = "its subnet is not in the snapshot"
        else:
            where = "no IP configuration exported"
        placement.put_other(firewall.id, replace(node, label=f"{node.label} — {where}"))


def _firewall_node(topology: Topology, firewall: Firewall) -> TreeNode:
    details = [d for d in (firewall.private_ip, firewall.sku_tier) if d]
    label = f"{firewall.name} ({', '.join(details)})" if details else firewall.name
    children = [_public_ip_node(topology, pip_id) for pip_id in firewall.public_ip_ids]
    if firewall.policy_id:
        children.append(_policy_node(topology, firewall.policy_id, "policy", set()))
    return _node(label, NodeKind.FIREWALL, firewall.key, firewall.id, children)


def _public_ip_node(topology: Topology, pip_id: str) -> TreeNode:
    pip = topology.public_ip(pip_id)
    if pip is None:
        label = f"{ids.name_of(pip_id)} (not in the snapshot)"
    else:
        label = f"{pip.name} ({pip.ip})" if pip.ip else pip.name
    return _node(label, NodeKind.PUBLIC_IP, ids.key(pip_id), pip_id)


def _policy_node(topology: Topology, policy_id: str, role: str, seen: set[str]) -> TreeNode:
    """The policy and, below it, its base policy chain (cycles cut)."""
    policy = topology.policy(policy_id)
    seen = seen | {ids.key(policy_id)}
    if policy is None:
        return _node(f"{role} {ids.name_of(policy_id)} (not in the snapshot)", NodeKind.FIREWALL_POLICY,
                     ids.key(policy_id), policy_id)
    children = []
    if policy.base_policy_id and ids.key(policy.base_policy_id) not in seen:
        children.append(_policy_node(topology, policy.base_policy_id, "base policy", seen))
    return _node(f"{role} {policy.name}", NodeKind.FIREWALL_POLICY, policy.key, policy.id, children)


def _policy_chain_keys(topology: Topology, policy_id: str) -> list[str]:
    chain: list[str] = []
    while policy_id and ids.key(policy_id) not in chain:
        chain.append(ids.key(policy_id))
        policy = topology.policy(policy_id)
        policy_id = policy.base_policy_id if policy else ""
    return chain


def _place_orphan_policies(topology: Topology, placement: _Placement) -> None:
    """Policies no firewall of the snapshot enforces (not even as a base): worth a look, since
    their rules protect nothing; used policies already show under their firewalls."""
    used = {k for fw in topology.firewalls for k in _policy_chain_keys(topology, fw.policy_id)}
    for policy in topology.policies:
        if policy.key not in used:
            placement.put_other(policy.id, _node(
                f"policy {policy.name} (no firewall in the snapshot uses it)",
                NodeKind.FIREWALL_POLICY, policy.key, policy.id))


def _place_gateways(topology: Topology, placement: _Placement) -> None:
    for gateway in topology.app_gateways:
        node = _gateway_node(topology, gateway)
        seen = sorted({ids.key(s) for s in gateway.subnet_ids if s and topology.subnet(s)})
        for subnet_key in seen:
            placement.in_subnet[subnet_key].append(node)
        if not seen:
            placement.put_other(gateway.id, replace(node, label=f"{node.label} — subnet not in the snapshot"))


def _gateway_node(topology: Topology, gateway: AppGateway) -> TreeNode:
    if not gateway.has_properties:
        return _node(f"{gateway.name} (properties not exported)", NodeKind.APP_GATEWAY, gateway.key,
                     gateway.id)
    verdict = waf_verdict(topology, gateway, None)
    label = f"{gateway.name} ({gateway.sku_tier or 'unknown tier'}, WAF {verdict.state.value})"
    pips = [_public_ip_node(topology, f.public_ip_id) for f in gateway.frontends if f.public_ip_id]
    return _node(label, NodeKind.APP_GATEWAY, gateway.key, gateway.id, pips)


def _place_load_balancers(topology: Topology, placement: _Placement) -> None:
    """Internal frontends under their subnet; public frontends that publish something (a
    load-balancing or inbound NAT rule) under 'other', since they are entries from the internet."""
    for lb in topology.load_balancers:
        for frontend in lb.frontends:
            name = f"{lb.name}/{frontend.name}"
            if frontend.subnet_id and topology.subnet(frontend.subnet_id):
                label = f"{name} ({frontend.private_ip})" if frontend.private_ip else name
                placement.in_subnet[ids.key(frontend.subnet_id)].append(
                    _node(label, NodeKind.LB_FRONTEND, ids.key(frontend.id), lb.id))
            elif frontend.public_ip_id and frontend.inbound_rules:
                pip = topology.public_ip(frontend.public_ip_id)
                shown = pip.ip if pip and pip.ip else ids.name_of(frontend.public_ip_id)
                placement.put_other(lb.id, _node(
                    f"{name} (public {shown}, rules: {', '.join(frontend.inbound_rules)})",
                    NodeKind.LB_FRONTEND, ids.key(frontend.id), lb.id))


# -- badges --------------------------------------------------------------------------------------


def with_badges(tree: TreeNode, findings: Sequence[Finding]) -> TreeNode:
    """The tree with each node's badge: the findings of the subjects at or below it."""
    by_subject: dict[str, list[Finding]] = defaultdict(list)
    for finding in findings:
        by_subject[finding.subject.key].append(finding)

    def visit(node: TreeNode) -> tuple[TreeNode, frozenset[str]]:
        visited = [visit(c) for c in node.children]
        subjects = frozenset().union(*(s for _, s in visited))
        if ids.key(node.resource_id) in by_subject:
            subjects |= {ids.key(node.resource_id)}
        badge = _badge([f for s in sorted(subjects) for f in by_subject[s]]) if subjects else None
        return replace(node, children=tuple(c for c, _ in visited), badge=badge), subjects

    return visit(tree)[0]


def _badge(findings: Sequence[Finding]) -> Badge:
    count = {status: sum(1 for f in findings if f.status is status) for status in Status}
    failing = [f.severity for f in findings if f.status is Status.FAIL]
    return Badge(fail=count[Status.FAIL], unknown=count[Status.UNKNOWN], passed=count[Status.PASS],
                 not_applicable=count[Status.NOT_APPLICABLE],
                 worst=max(failing, key=lambda s: s.rank) if failing else None)


def cluster_for(topology: Topology, node: TreeNode) -> Cluster | None:
    """The cluster a selected tree line stands for (a node pool, API server or cluster line)."""
    key = ids.key(node.resource_id)
    return next((c for c in topology.clusters if c.key == key), None)


# -- drawn paths ---------------------------------------------------------------------------------


class PathStatus(StrEnum):
    OK = "ok"  # egress through a firewall; an entry behind a WAF in Prevention
    BROKEN = "broken"  # around the firewall, or an entry without a WAF in Prevention
    UNKNOWN = "unknown"  # the snapshot does not show where it goes


class StepKind(StrEnum):
    SUBNET = "subnet"
    ROUTE_TABLE = "route_table"
    ROUTE = "route"
    NEXT_HOP = "next_hop"
    FIREWALL = "firewall"
    POLICY = "policy"
    NAT_GATEWAY = "nat_gateway"
    NODE_POOL = "node_pool"
    PUBLIC_IP = "public_ip"
    HOP = "hop"  # an ingress step: gateway listener, WAF, pool, LB frontend, DNAT rule
    CLUSTER = "cluster"
    INTERNET = "internet"
    NOTE = "note"  # where a path breaks off or cannot be followed


@dataclass(frozen=True)
class PathStep:
    label: str
    kind: StepKind
    resource_id: str = ""
    status: PathStatus = PathStatus.OK  # BROKEN/UNKNOWN marks the step where the path goes wrong
    detail: str = ""  # what the line leaves out (route name, SNAT addresses)


@dataclass(frozen=True)
class DrawnPath:
    """One drawn line: a node subnet's egress, a bypass route, or one public entry."""

    title: str
    steps: tuple[PathStep, ...]
    status: PathStatus
    reason: str  # the verdict in words (the topology's or the ingress model's own reason)

    @property
    def text(self) -> str:
        return render_path(self.steps)


def render_path(steps: Sequence[PathStep]) -> str:
    """The steps as one line: `a → b → c`."""
    return ARROW.join(step.label for step in steps)


STATUS_OF_EGRESS = {Egress.FIREWALL: PathStatus.OK, Egress.NOT_FIREWALL: PathStatus.BROKEN,
                    Egress.UNKNOWN: PathStatus.UNKNOWN}


def egress_path(topology: Topology, cluster: Cluster) -> list[DrawnPath]:
    """The cluster's way to the internet, one path per node subnet (plus one per route that sends
    public destinations around the firewall, and one for pools on the AKS-managed VNet)."""
    egress = topology.cluster_egress(cluster)
    if not cluster.node_pools:
        note = PathStep("node pools not exported", StepKind.NOTE, cluster.id, PathStatus.UNKNOWN)
        return [DrawnPath(f"egress of {cluster.name}", (note,), PathStatus.UNKNOWN, egress.reason)]
    pools: dict[str, list[str]] = defaultdict(list)
    for pool in cluster.node_pools:
        pools[ids.key(pool.subnet_id)].append(pool.name)
    paths = []
    for subnet_egress in egress.subnets:
        title = f"egress of {cluster.name}/{'+'.join(pools[ids.key(subnet_egress.subnet_id)])}"
        paths.extend(_subnet_paths(topology, subnet_egress, title))
    if pools.get(""):
        paths.append(_managed_vnet_path(cluster, pools[""]))
    return paths


def _managed_vnet_path(cluster: Cluster, pool_names: list[str]) -> DrawnPath:
    names = "+".join(pool_names)
    outbound = cluster.outbound_type or "loadBalancer"  # AKS's default when unset
    steps = (PathStep(f"{cluster.name}/{names}", StepKind.NODE_POOL, cluster.id),
             PathStep("AKS-managed VNet", StepKind.NOTE, status=PathStatus.BROKEN),
             PathStep(f"outboundType {outbound}", StepKind.NOTE),
             PathStep("Internet directly", StepKind.INTERNET, status=PathStatus.BROKEN))
    return DrawnPath(f"egress of {cluster.name}/{names}", steps, PathStatus.BROKEN,
                     f"node pool(s) {', '.join(pool_names)} use the AKS-managed VNet, which has no "
                     "route to a firewall")


def _subnet_step(result: SubnetEgress) -> PathStep:
    subnet = result.subnet
    if subnet is None:
        return PathStep(ids.name_of(result.subnet_id), StepKind.SUBNET, result.subnet_id)
    label = f"{subnet.name} ({subnet.cidrs})" if subnet.cidrs else subnet.name
    return PathStep(label, StepKind.SUBNET, subnet.id)


def _internet_directly(result: SubnetEgress) -> list[PathStep]:
    """Azure's system route straight out, through the subnet's NAT gateway if it has one."""
    steps = []
    if result.subnet and result.subnet.nat_gateway_id:
        steps.append(PathStep(f"NAT gateway {ids.name_of(result.subnet.nat_gateway_id)}",
                              StepKind.NAT_GATEWAY, result.subnet.nat_gateway_id))
    steps.append(PathStep("Internet directly", StepKind.INTERNET, status=PathStatus.BROKEN))
    return steps


def _subnet_paths(topology: Topology, result: SubnetEgress, title: str) -> list[DrawnPath]:
    status = STATUS_OF_EGRESS[result.status]
    steps = [_subnet_step(result), *_route_steps(topology, result)]
    paths = [DrawnPath(title, tuple(steps), status, result.reason)]
    if result.firewall and result.route_table:
        for route in result.bypass_routes:
            hop = f"{route.next_hop_type} {route.next_hop_ip}".strip()
            bypass = (steps[0], steps[1],
                      PathStep(route.prefix_text, StepKind.ROUTE, detail=route.name),
                      PathStep(hop, StepKind.NEXT_HOP, status=PathStatus.BROKEN,
                               detail=f"around firewall {result.firewall.name}"))
            paths.append(DrawnPath(f"{title}: route {route.name}", bypass, PathStatus.BROKEN,
                                   f"route {route.name} ({route.prefix_text}) in "
                                   f"{result.route_table.name} sends these destinations to {hop}, "
                                   f"around firewall {result.firewall.name}"))
    return paths


def _route_steps(topology: Topology, result: SubnetEgress) -> list[PathStep]:
    """Everything after the subnet, following what `Topology.subnet_egress` found."""
    subnet, table, route = result.subnet, result.route_table, result.default_route
    if subnet is None:
        return [PathStep("not in the snapshot", StepKind.NOTE, status=PathStatus.UNKNOWN)]
    if not subnet.has_properties:
        return [PathStep("properties not exported", StepKind.NOTE, status=PathStatus.UNKNOWN)]
    if table is None:
        if not subnet.route_table_id:
            return [PathStep("no route table", StepKind.NOTE, status=PathStatus.BROKEN),
                    *_internet_directly(result)]
        return [PathStep(f"{ids.name_of(subnet.route_table_id)} (not in the snapshot)",
                         StepKind.ROUTE_TABLE, subnet.route_table_id, PathStatus.UNKNOWN)]
    steps = [PathStep(table.name, StepKind.ROUTE_TABLE, table.id)]
    if route is None:
        if result.status is Egress.UNKNOWN:
            return [*steps, PathStep("routes not exported", StepKind.NOTE, status=PathStatus.UNKNOWN)]
        return [*steps, PathStep("no 0.0.0.0/0 route", StepKind.NOTE, status=PathStatus.BROKEN),
                *_internet_directly(result)]
    steps.append(PathStep(route.prefix_text.strip(), StepKind.ROUTE, detail=route.name))
    hop_type = route.next_hop_type or "no next hop"
    hop = PathStep(f"{hop_type} {route.next_hop_ip}".strip(), StepKind.NEXT_HOP)
    if result.firewall:
        return [*steps, hop, *_firewall_steps(topology, result.firewall)]
    if hop_type.lower() != "virtualappliance":
        if hop_type.lower() == "none":
            return [*steps, replace(hop, label="None (traffic dropped)", status=PathStatus.BROKEN)]
        return [*steps, replace(hop, status=PathStatus.BROKEN)]
    if result.status is Egress.NOT_FIREWALL:
        return [*steps, hop, PathStep("not an Azure Firewall", StepKind.NOTE, status=PathStatus.BROKEN)]
    return [*steps, hop, PathStep("outside every VNet in the snapshot", StepKind.NOTE,
                                  status=PathStatus.UNKNOWN)]


def _firewall_steps(topology: Topology, firewall: Firewall) -> list[PathStep]:
    steps = [PathStep(f"firewall {firewall.name}", StepKind.FIREWALL, firewall.id)]
    policy_id, role, seen = firewall.policy_id, "policy", set()
    while policy_id and ids.key(policy_id) not in seen:
        seen.add(ids.key(policy_id))
        policy = topology.policy(policy_id)
        if policy is None:
            steps.append(PathStep(f"{role} {ids.name_of(policy_id)} (not in the snapshot)",
                                  StepKind.POLICY, policy_id, PathStatus.UNKNOWN))
            break
        steps.append(PathStep(f"{role} {policy.name}", StepKind.POLICY, policy.id))
        policy_id, role = policy.base_policy_id, "base policy"
    if not firewall.policy_id:
        steps.append(PathStep("classic rules", StepKind.POLICY, firewall.id))
    snat = ", ".join(p.ip for p in topology.firewall_public_ips(firewall) if p.ip)
    steps.append(PathStep("Internet", StepKind.INTERNET, detail=f"SNAT to {snat}" if snat else ""))
    return steps


WAF_STATUS = {Waf.PREVENTION: PathStatus.OK, Waf.UNKNOWN: PathStatus.UNKNOWN}
ENTRY_TITLE = {EntryKind.LOAD_BALANCER: "public load balancer", EntryKind.APP_GATEWAY: "App Gateway",
               EntryKind.FIREWALL_DNAT: "firewall DNAT"}


def ingress_paths(topology: Topology, cluster: Cluster) -> list[DrawnPath]:
    """Every public entry to the cluster (`model.ingress.cluster_ingress`), Internet first."""
    paths = [_entry_path(entry) for entry in cluster_ingress(topology, cluster).entries]
    return sorted(paths, key=lambda p: (p.title, p.text))


def ingress_gaps(topology: Topology, cluster: Cluster) -> tuple[str, ...]:
    """What might also publish the cluster but could not be read."""
    return cluster_ingress(topology, cluster).gaps


def _entry_path(entry: Entry) -> DrawnPath:
    status = WAF_STATUS.get(entry.waf.state, PathStatus.BROKEN)
    # The entry's path runs public address first, cluster last; what lies between are hops.
    last = len(entry.path) - 1
    steps = [PathStep("Internet", StepKind.INTERNET)]
    for index, label in enumerate(entry.path):
        if index == last:
            steps.append(PathStep(label, StepKind.CLUSTER, status=status))
        elif index == 0:
            steps.append(PathStep(label, StepKind.PUBLIC_IP))
        else:
            steps.append(PathStep(label, StepKind.HOP, entry.resource_id))
    title = f"{ENTRY_TITLE[entry.kind]} entry {entry.public_ip or '(address unknown)'}"
    if entry.listener:
        title += f" ({entry.listener})"
    return DrawnPath(title, tuple(steps), status, entry.waf.detail)


@dataclass(frozen=True)
class ClusterPaths:
    """What the Topology screen draws for a selected cluster."""

    cluster: Cluster
    egress: tuple[DrawnPath, ...]
    ingress: tuple[DrawnPath, ...]
    ingress_gaps: tuple[str, ...]

    def lines(self) -> list[str]:
        """The drawing as plain text lines (the screen styles them by each path's status)."""
        out = ["Egress"]
        for path in self.egress:
            out += [f"  {MARK[path.status]} {path.title}", f"    {path.text}"]
        out.append("Ingress")
        if not self.ingress and not self.ingress_gaps:
            out.append(f"  no public entry to {self.cluster.name}")
        for path in self.ingress:
            out += [f"  {MARK[path.status]} {path.title}", f"    {path.text}"]
        out += [f"  {MARK[PathStatus.UNKNOWN]} could not be read: {gap}" for gap in self.ingress_gaps]
        return out


MARK = {PathStatus.OK: "✔", PathStatus.BROKEN: "✘", PathStatus.UNKNOWN: "?"}


def cluster_paths(topology: Topology, cluster: Cluster) -> ClusterPaths:
    return ClusterPaths(cluster, tuple(egress_path(topology, cluster)),
                        tuple(ingress_paths(topology, cluster)), ingress_gaps(topology, cluster))
