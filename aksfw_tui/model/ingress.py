"""Every public entry to a cluster and what it passes through (DESIGN §4, §6 waf-in-front).

An entry is one way the internet reaches the cluster's addresses (its node resource group's load
balancer frontends, or an address in one of its node subnets):

- a public frontend of the cluster's load balancers with a load-balancing or inbound NAT rule;
- a public App Gateway listener → request routing rule (or URL path map) → backend pool → a
  cluster address (FQDN backends resolved through the snapshot's private DNS zones);
- a firewall DNAT rule whose translated address is the cluster's, directly or through an App
  Gateway's private frontend.

Each entry carries the WAF verdict of the gateway it passes (if any) and its `path` of names, for
evidence and the topology screen. What could publish the cluster but could not be read is listed
in `ClusterIngress.gaps`, so checks can say `unknown` rather than `not_applicable`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from aksfw_tui.firewall.rules import Action, Kind, Rule, ruleset_for
from aksfw_tui.model import ids
from aksfw_tui.model.resources import (
    AppGateway,
    AppGatewayListener,
    Cluster,
    Firewall,
    LbFrontend,
    LoadBalancer,
    PublicIp,
    address,
    items,
    props,
    ref,
    text,
)
from aksfw_tui.model.topology import Egress, Topology


class EntryKind(StrEnum):
    LOAD_BALANCER = "load_balancer"
    APP_GATEWAY = "app_gateway"
    FIREWALL_DNAT = "firewall_dnat"


class Waf(StrEnum):
    """What the entry's traffic passes on its way in."""

    PREVENTION = "prevention"  # an enabled WAF in Prevention mode: the only passing value
    DETECTION = "detection"  # a WAF that only logs
    DISABLED = "disabled"  # a WAF policy or legacy configuration that is switched off
    NONE = "none"  # no WAF at all (a plain LB, a DNAT, a Standard_v2 gateway)
    UNKNOWN = "unknown"  # the applying WAF policy is not in the snapshot


@dataclass(frozen=True)
class WafVerdict:
    state: Waf
    detail: str
    policy_id: str = ""  # the WAF policy that applies ('' for legacy config or none)


@dataclass(frozen=True)
class Entry:
    """One public entry to a cluster, with the path it takes and the WAF it passes."""

    kind: EntryKind
    public_ip: str  # the address clients connect to ('' when the snapshot lacks it)
    target: str  # the cluster address it reaches (an IP, or an FQDN resolved to one)
    path: tuple[str, ...]  # names, public side first: public IP → … → cluster
    waf: WafVerdict
    resource_id: str  # the LB, App Gateway or firewall that publishes
    gateway_id: str = ""  # the App Gateway passed, if any
    listener: str = ""
    rule: str = ""  # LB rule, routing rule or DNAT rule label
    ports: tuple[tuple[str, int], ...] = ()  # LB entries: (protocol, frontend port) per rule

    @property
    def protected(self) -> bool:
        return self.waf.state is Waf.PREVENTION

    def evidence(self) -> dict[str, object]:
        out: dict[str, object] = {"kind": self.kind.value, "public_ip": self.public_ip,
                                  "target": self.target, "path": list(self.path),
                                  "waf": self.waf.state.value, "waf_detail": self.waf.detail,
                                  "resource": self.resource_id}
        if self.waf.policy_id:
            out["waf_policy"] = self.waf.policy_id
        if self.rule:
            out["rule"] = self.rule
        return out


@dataclass(frozen=True)
class ClusterIngress:
    entries: tuple[Entry, ...]
    gaps: tuple[str, ...]  # what might publish the cluster but could not be read
    load_balancer_gaps: tuple[str, ...] = ()  # the subset about the cluster's load balancers

    @property
    def load_balancer_entries(self) -> tuple[Entry, ...]:
        return tuple(e for e in self.entries if e.kind is EntryKind.LOAD_BALANCER)


# -- the cluster's addresses ---------------------------------------------------------------------


def cluster_load_balancers(topology: Topology, cluster: Cluster) -> list[LoadBalancer]:
    """The LBs in the cluster's node resource group (AKS names them kubernetes[-internal])."""
    node_rg = cluster.node_resource_group.lower()
    if not node_rg:
        return []
    index = topology.cache.get("load_balancers_by_group")
    if index is None:  # asked once per address per cluster: index by resource group once
        index = {}
        for lb in topology.load_balancers:
            index.setdefault(lb.resource_group.lower(), []).append(lb)
        topology.cache["load_balancers_by_group"] = index
    return list(index.get(node_rg, []))


def _owner_label(topology: Topology, cluster: Cluster, ip: str) -> str:
    """How `ip` belongs to the cluster ('' when it does not): an LB frontend or a node subnet."""
    parsed = address(ip)
    if parsed is None:
        return ""
    for lb in cluster_load_balancers(topology, cluster):
        for frontend in lb.frontends:
            pip = topology.public_ip(frontend.public_ip_id) if frontend.public_ip_id else None
            if ip in (frontend.private_ip, pip.ip if pip else ""):
                return f"{lb.name}/{frontend.name}"
    for subnet_id in topology.cluster_node_subnet_ids(cluster):
        subnet = topology.subnet(subnet_id)
        if subnet and any(parsed in prefix for prefix in subnet.prefixes):
            return f"node subnet {subnet.name}"
    return ""


def _cluster_vnet_keys(topology: Topology, cluster: Cluster) -> set[str]:
    return {ids.key(ids.parent_of(s)) for s in topology.cluster_node_subnet_ids(cluster)}


# -- WAF -----------------------------------------------------------------------------------------


def waf_verdict(topology: Topology, gateway: AppGateway, listener: AppGatewayListener | None,
                path_policy_id: str = "") -> WafVerdict:
    """The WAF that applies: the path rule's policy, else the listener's, else the gateway's."""
    tier = gateway.sku_tier.lower()
    policy_id = path_policy_id or (listener.waf_policy_id if listener else "") or gateway.waf_policy_id
    if tier != "waf_v2":
        tier_text = gateway.sku_tier or "of an unknown tier"
        return WafVerdict(Waf.NONE, f"App Gateway {gateway.name} is {tier_text}, not WAF_v2",
                          policy_id)
    if policy_id:
        policy = topology.waf_policy(policy_id)
        if policy is None:
            return WafVerdict(Waf.UNKNOWN, topology.missing("WAF policy", policy_id), policy_id)
        if policy.state.lower() != "enabled":
            return WafVerdict(Waf.DISABLED, f"WAF policy {policy.name} is "
                              f"{policy.state or 'not enabled'}", policy_id)
        if policy.mode.lower() != "prevention":
            return WafVerdict(Waf.DETECTION, f"WAF policy {policy.name} is in "
                              f"{policy.mode or 'Detection'} mode", policy_id)
        return WafVerdict(Waf.PREVENTION, f"WAF policy {policy.name} is enabled in Prevention "
                          "mode", policy_id)
    if gateway.legacy_waf_enabled is None:
        return WafVerdict(Waf.NONE, f"App Gateway {gateway.name} has no WAF policy and no WAF "
                          "configuration")
    if not gateway.legacy_waf_enabled:
        return WafVerdict(Waf.DISABLED, f"the WAF configuration of {gateway.name} is disabled")
    if gateway.legacy_waf_mode.lower() != "prevention":
        return WafVerdict(Waf.DETECTION, f"the WAF configuration of {gateway.name} is in "
                          f"{gateway.legacy_waf_mode or 'Detection'} mode")
    return WafVerdict(Waf.PREVENTION, f"the WAF configuration of {gateway.name} is enabled in "
                      "Prevention mode")


NO_WAF = WafVerdict(Waf.NONE, "no WAF on this path")


# -- entries -------------------------------------------------------------------------------------


def _pip_label(pip: PublicIp | None, fallback_id: str) -> tuple[str, str]:
    """(address, label) of a public IP for a path."""
    if pip is None:
        return "", ids.name_of(fallback_id)
    return pip.ip, f"{pip.name} ({pip.ip})" if pip.ip else pip.name


def _lb_entries(topology: Topology, cluster: Cluster, gaps: list[str]) -> Iterable[Entry]:
    for lb in cluster_load_balancers(topology, cluster):
        if not lb.has_properties:
            gaps.append(f"load balancer {lb.name} was exported without its properties")
            continue
        for frontend in lb.frontends:
            if frontend.public_ip_id and frontend.inbound_rules:
                yield _lb_entry(topology, cluster, lb, frontend)


def _lb_entry(topology: Topology, cluster: Cluster, lb: LoadBalancer, frontend: LbFrontend) -> Entry:
    ip, label = _pip_label(topology.public_ip(frontend.public_ip_id), frontend.public_ip_id)
    rules = ", ".join(frontend.inbound_rules)
    return Entry(
        kind=EntryKind.LOAD_BALANCER, public_ip=ip, target=ip or frontend.name,
        path=(label, f"{lb.name}/{frontend.name}", f"rules: {rules}", cluster.name),
        waf=WafVerdict(Waf.NONE, f"public load balancer frontend {lb.name}/{frontend.name} "
                       "takes internet traffic straight to the nodes, with no WAF"),
        resource_id=lb.id, rule=rules, ports=_frontend_ports(lb, frontend),
    )


def _frontend_ports(lb: LoadBalancer, frontend: LbFrontend) -> tuple[tuple[str, int], ...]:
    """(protocol, frontend port) of the LB's load-balancing and inbound NAT rules on `frontend`."""
    found = []
    for kind in ("loadBalancingRules", "inboundNatRules"):
        for rule in items(props(lb.raw).get(kind)):
            rp = props(rule)
            if ids.key(ref(rp.get("frontendIPConfiguration"))) != ids.key(frontend.id):
                continue
            port = rp.get("frontendPort")
            if isinstance(port, int) and not isinstance(port, bool):
                found.append((text(rp.get("protocol")) or "Tcp", port))
    return tuple(dict.fromkeys(found))


def _gateway_vnet(gateway: AppGateway) -> str:
    return ids.parent_of(gateway.subnet_ids[0]) if gateway.subnet_ids else ""


def _resolve_backend(topology: Topology, gateway: AppGateway, ip: str, fqdn: str) -> tuple[str, ...]:
    if ip:
        return (ip,)
    vnet_id = _gateway_vnet(gateway)
    return topology.resolve_private_fqdn(fqdn, vnet_id) if (fqdn and vnet_id) else ()


def _listener_paths(topology: Topology, cluster: Cluster, gateway: AppGateway,
                    listener: AppGatewayListener, unresolved: list[str]
                    ) -> Iterable[tuple[str, str, WafVerdict, str]]:
    """(routing rule, pool → address label, WAF verdict, target) for each cluster address the
    listener reaches. FQDNs that do not resolve go to `unresolved` when the path has no WAF."""
    for route in gateway.routes:
        if ids.key(route.listener_id) != ids.key(listener.id):
            continue
        for pool_id, path_policy in route.pools:
            verdict = waf_verdict(topology, gateway, listener, path_policy)
            for ip, fqdn in gateway.pools.get(ids.key(pool_id), ()):
                resolved = _resolve_backend(topology, gateway, ip, fqdn)
                if fqdn and not resolved and verdict.state is not Waf.PREVENTION:
                    unresolved.append(fqdn)
                for target in resolved:
                    owner = _owner_label(topology, cluster, target)
                    if owner:
                        shown = f"{fqdn} → {target}" if fqdn else target
                        yield route.name, f"{ids.name_of(pool_id)}: {shown} ({owner})", verdict, target


def _waf_step(verdict: WafVerdict) -> str:
    name = ids.name_of(verdict.policy_id) if verdict.policy_id else "WAF"
    return f"{name} ({verdict.state.value})"


def _gateway_entries(topology: Topology, cluster: Cluster, gaps: list[str]) -> Iterable[Entry]:
    cluster_vnets = _cluster_vnet_keys(topology, cluster)
    for gateway in topology.app_gateways:
        if not gateway.has_properties:
            gaps.append(f"App Gateway {gateway.name} was exported without its properties; its "
                        "listeners might publish this cluster")
            continue
        if not _gateway_may_reach(topology, gateway, cluster_vnets):
            continue
        frontends = {ids.key(f.id): f for f in gateway.frontends}
        unresolved: list[str] = []
        for listener in gateway.listeners:
            frontend = frontends.get(ids.key(listener.frontend_id))
            if frontend is None or not frontend.public_ip_id:
                continue
            ip, label = _pip_label(topology.public_ip(frontend.public_ip_id), frontend.public_ip_id)
            for rule, pool_step, verdict, target in _listener_paths(
                    topology, cluster, gateway, listener, unresolved):
                yield Entry(
                    kind=EntryKind.APP_GATEWAY, public_ip=ip, target=target,
                    path=(label, f"{gateway.name}/{listener.name}", _waf_step(verdict), pool_step,
                          cluster.name),
                    waf=verdict, resource_id=gateway.id, gateway_id=gateway.id,
                    listener=listener.name, rule=rule,
                )
        if unresolved and _gateway_near(topology, gateway, cluster_vnets):
            gaps.append(f"App Gateway {gateway.name} (without a WAF in Prevention) has backend "
                        f"FQDN(s) {', '.join(sorted(set(unresolved)))} that no private DNS zone "
                        "in the snapshot resolves; they might be this cluster")


def _gateway_near(topology: Topology, gateway: AppGateway, cluster_vnets: set[str]) -> bool:
    """The gateway sits in one of the cluster's VNets or a VNet peered with one."""
    vnet_key = ids.key(_gateway_vnet(gateway))
    if not vnet_key:
        return False
    return bool(topology.peered_vnet_keys(vnet_key) & cluster_vnets)


def _gateway_may_reach(topology: Topology, gateway: AppGateway, cluster_vnets: set[str]) -> bool:
    """Can the gateway's backends be the cluster's private addresses? Not from an unpeered VNet
    (landing zones reuse address space); yes when its VNet is not in the snapshot (cannot tell)."""
    vnet_key = ids.key(_gateway_vnet(gateway))
    if not vnet_key or topology.vnet(vnet_key) is None:
        return True
    return _gateway_near(topology, gateway, cluster_vnets)


def _dnat_entries(topology: Topology, cluster: Cluster, gaps: list[str]) -> Iterable[Entry]:
    for firewall in topology.firewalls:
        if not _firewall_concerns(topology, firewall, cluster):
            continue  # its DNAT cannot reach the cluster's private addresses, whatever they say
        ruleset = ruleset_for(topology, firewall)
        for rule in ruleset.rules:
            if rule.kind is not Kind.DNAT:
                continue
            if rule.action is Action.UNKNOWN:
                gaps.append(f"DNAT rules of firewall {firewall.name} could not be read ({rule.gap})")
                continue
            yield from _dnat_rule_entries(topology, cluster, firewall, rule)


def _dnat_rule_entries(topology: Topology, cluster: Cluster, firewall: Firewall,
                       rule: Rule) -> Iterable[Entry]:
    public = ", ".join(rule.destinations) or "(no destination)"
    head = (f"{public} on {firewall.name}", f"DNAT {rule.label}")
    owner = _owner_label(topology, cluster, rule.translated)
    if owner:
        yield Entry(kind=EntryKind.FIREWALL_DNAT, public_ip=public, target=rule.translated,
                    path=(*head, f"{rule.translated} ({owner})", cluster.name),
                    waf=WafVerdict(Waf.NONE, f"DNAT rule {rule.name} on {firewall.name} "
                                   f"forwards {public} straight to {rule.translated} ({owner}); "
                                   "threat intelligence is not a WAF"),
                    resource_id=firewall.id, rule=rule.label)
        return
    # A DNAT to an App Gateway's private frontend: the gateway's listeners carry it on.
    cluster_vnets = _cluster_vnet_keys(topology, cluster)
    for gateway in topology.app_gateways:
        if not _gateway_may_reach(topology, gateway, cluster_vnets):
            continue
        for frontend in gateway.frontends:
            if not frontend.private_ip or frontend.private_ip != rule.translated:
                continue
            for listener in gateway.listeners:
                if ids.key(listener.frontend_id) != ids.key(frontend.id):
                    continue
                for route, pool_step, verdict, target in _listener_paths(
                        topology, cluster, gateway, listener, []):
                    yield Entry(
                        kind=EntryKind.FIREWALL_DNAT, public_ip=public, target=target,
                        path=(*head, f"{gateway.name}/{listener.name} ({rule.translated})",
                              _waf_step(verdict), pool_step, cluster.name),
                        waf=verdict, resource_id=firewall.id, gateway_id=gateway.id,
                        listener=listener.name, rule=f"{rule.label} → {route}")


def _firewall_concerns(topology: Topology, firewall: Firewall, cluster: Cluster) -> bool:
    """Could this firewall's DNAT rules reach the cluster's private addresses? Yes when it is the
    cluster's firewall, sits in a VNet peered with (or equal to) one of the cluster's (peering is
    not transitive), or its VNet is not in the snapshot (cannot rule it out). A firewall in an
    unrelated VNet cannot, even where address spaces overlap between landing zones."""
    egress = topology.cluster_egress(cluster)
    if any(f.key == firewall.key for f in egress.firewalls):
        return True
    cluster_vnets = _cluster_vnet_keys(topology, cluster)
    cluster_vnet_views = [v for v in map(topology.vnet, cluster_vnets) if v is not None]
    cluster_peers = {ids.key(p.remote_vnet_id) for v in cluster_vnet_views for p in v.peerings}
    vnet_keys = {ids.key(ids.parent_of(c.subnet_id)) for c in firewall.ip_configurations if c.subnet_id}
    if not vnet_keys:
        return True  # a secured-hub firewall or one exported without its subnet: might reach it
    for vnet_key in vnet_keys:
        vnet = topology.vnet(vnet_key)
        if vnet is None:
            return True
        peers = {ids.key(p.remote_vnet_id) for p in vnet.peerings}
        if ({vnet_key} | peers) & cluster_vnets or vnet_key in cluster_peers:
            return True
    return False


def _unseen_load_balancers(topology: Topology, cluster: Cluster) -> list[str]:
    """What the snapshot lacks to list the cluster's load balancers."""
    gaps = []
    if not cluster.has_properties:
        return [f"cluster {cluster.name} was exported without its properties"]
    if not cluster.node_resource_group:
        gaps.append(f"cluster {cluster.name} has no nodeResourceGroup in the export, so its load "
                    "balancers cannot be found")
    else:
        rg_id = f"/subscriptions/{cluster.subscription}/resourceGroups/{cluster.node_resource_group}"
        hidden = topology.unreadable_scopes_holding("microsoft.network/loadbalancers", within=rg_id)
        unread = [lb.unread for lb in cluster_load_balancers(topology, cluster) if lb.unread]
        whole = [h for h in hidden if "/providers/" not in h.scope.lower()]
        if whole:
            gaps.append(f"node resource group {cluster.node_resource_group} is unreadable "
                        f"({whole[0].reason}), so its load balancers were not seen")
        elif hidden:
            gaps.append(f"load balancers in node resource group {cluster.node_resource_group} "
                        f"could not be read ({'; '.join(f'{h.scope}: {h.reason}' for h in hidden)})")
        elif unread:
            gaps.extend(unread)
        elif cluster.outbound_type.lower() == "loadbalancer" and not cluster_load_balancers(
                topology, cluster):
            gaps.append(f"the snapshot holds no load balancer from node resource group "
                        f"{cluster.node_resource_group}, though outboundType loadBalancer "
                        "implies one (was the group exported?)")
    return gaps


def _unknown_firewall(topology: Topology, cluster: Cluster) -> list[str]:
    egress = topology.cluster_egress(cluster)
    if egress.status is Egress.UNKNOWN:
        return [f"the cluster's firewall is unknown ({egress.reason}); its DNAT rules might "
                "publish the cluster"]
    return []


def cluster_ingress(topology: Topology, cluster: Cluster) -> ClusterIngress:
    """Every public entry to `cluster`, memoised on the topology."""
    cache_key = ("cluster_ingress", cluster.key)
    if cache_key not in topology.cache:
        lb_gaps = _unseen_load_balancers(topology, cluster)
        lb_entries = list(_lb_entries(topology, cluster, lb_gaps))
        gaps = [*lb_gaps, *_unknown_firewall(topology, cluster)]
        entries = [*lb_entries, *_gateway_entries(topology, cluster, gaps),
                   *_dnat_entries(topology, cluster, gaps)]
        topology.cache[cache_key] = ClusterIngress(tuple(entries), tuple(dict.fromkeys(gaps)),
                                                   tuple(dict.fromkeys(lb_gaps)))
    result: ClusterIngress = topology.cache[cache_key]
    return result


# -- graph ---------------------------------------------------------------------------------------


def address_owner(topology: Topology, ip: str) -> str:
    """The graph node an address belongs to: a load balancer frontend (by its private or public
    IP), else the subnet containing it; '' when neither."""
    for lb in topology.load_balancers:
        for frontend in lb.frontends:
            pip = topology.public_ip(frontend.public_ip_id) if frontend.public_ip_id else None
            if ip and ip in (frontend.private_ip, pip.ip if pip else ""):
                return frontend.id
    subnet = topology.subnet_containing(ip)
    return subnet.id if subnet else ""


def link_ingress(topology: Topology) -> None:
    """Add DESIGN §4's ingress edges to `topology.graph`, once: `backend` (App Gateway listener →
    backend pool → the LB frontend or subnet of each resolved address) and `dnat_to` (firewall
    DNAT rule → its translated address's owner). Checks do not need them (they use
    `cluster_ingress`); the topology view and graph exports do."""
    if topology.cache.get("ingress_linked"):
        return
    topology.cache["ingress_linked"] = True
    graph = topology.graph
    for gateway in topology.app_gateways:
        for route in gateway.routes:
            listener = ids.key(route.listener_id)
            graph.add_node(listener, kind="listener", name=ids.name_of(route.listener_id))
            graph.add_edge(gateway.key, listener, key="contains", relation="contains")
            for pool_id, _ in route.pools:
                pool = ids.key(pool_id)
                graph.add_node(pool, kind="backendPool", name=ids.name_of(pool_id))
                graph.add_edge(listener, pool, key="backend", relation="backend", rule=route.name)
                for ip, fqdn in gateway.pools.get(pool, ()):
                    for target in _resolve_backend(topology, gateway, ip, fqdn):
                        owner = address_owner(topology, target)
                        if owner:
                            graph.add_edge(pool, ids.key(owner), key="backend", relation="backend",
                                           address=target, fqdn=fqdn)
    for firewall in topology.firewalls:
        for rule in ruleset_for(topology, firewall).rules:
            if rule.kind is not Kind.DNAT or rule.gap:
                continue
            owner = address_owner(topology, rule.translated)
            if not owner:
                continue
            node = f"{firewall.key}/dnat/{rule.label.lower()}"
            graph.add_node(node, kind="dnatRule", name=rule.name)
            graph.add_edge(firewall.key, node, key="contains", relation="contains")
            graph.add_edge(node, ids.key(owner), key="dnat_to", relation="dnat_to",
                           address=rule.translated)
