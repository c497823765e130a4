"""The topology: typed resources indexed by id, a networkx graph of their relations, and the
queries the checks share (a subnet's egress path, a cluster's firewall, who owns an address)."""

from __future__ import annotations

import functools
import importlib.resources
import ipaddress
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, TypeVar

import networkx as nx

from aksfw_tui.model import ids
from aksfw_tui.model.resources import (
    AppGateway,
    Cluster,
    DiagnosticSetting,
    Firewall,
    FirewallPolicy,
    IpGroup,
    LoadBalancer,
    MetricSeries,
    NatGateway,
    PublicIp,
    Resource,
    Route,
    RouteTable,
    RuleCollectionGroup,
    Subnet,
    VirtualNetwork,
    WafPolicy,
    address,
    items,
    network,
    parse_subnet,
    props,
    ref,
    text,
)
from aksfw_tui.settings import Settings
from aksfw_tui.sources.snapshot import (
    ArmSnapshot,
    Unreadable,
    merge_children,
    merge_duplicates,
    resource_type,
)

R = TypeVar("R", bound=Resource)

# A subscription's regions (GET /subscriptions/{sub}/locations): ARM types them "Region", an export
# may not type them at all, so they are known by their id. Matched on ids.key (lower-case).
LOCATION_ID = re.compile(r"^/subscriptions/[^/]+/locations/[^/]+$")
LOCATIONS_SCOPE = re.compile(r"^/subscriptions/[^/]+/locations(/|$)")
# A scope that may hold resources of any type: a whole subscription or resource group.
WHOLE_SCOPE = re.compile(r"^/subscriptions/[^/]+(/resourcegroups/[^/]+)?$")
# A scope naming one resource type in a subscription or group: `/subscriptions/S/providers/T/t`.
TYPE_SCOPE = re.compile(r"^(/subscriptions/[^/]+(?:/resourcegroups/[^/]+)?)/providers/([^/]+/[^/]+)$")
SUBNET_TYPE = "microsoft.network/virtualnetworks/subnets"
FIREWALL_TYPE = "microsoft.network/azurefirewalls"
ZONE_MAPPINGS = "availabilityZoneMappings"

PARSERS: dict[str, Any] = {
    "microsoft.containerservice/managedclusters": Cluster.parse,
    "microsoft.network/azurefirewalls": Firewall.parse,
    "microsoft.network/firewallpolicies": FirewallPolicy.parse,
    "microsoft.network/firewallpolicies/rulecollectiongroups": RuleCollectionGroup.parse,
    "microsoft.network/routetables": RouteTable.parse,
    "microsoft.network/virtualnetworks": VirtualNetwork.parse,
    "microsoft.network/publicipaddresses": PublicIp.parse,
    "microsoft.network/loadbalancers": LoadBalancer.parse,
    "microsoft.network/applicationgateways": AppGateway.parse,
    "microsoft.network/applicationgatewaywebapplicationfirewallpolicies": WafPolicy.parse,
    "microsoft.network/ipgroups": IpGroup.parse,
    "microsoft.network/natgateways": NatGateway.parse,
    "microsoft.insights/diagnosticsettings": DiagnosticSetting.parse,
}


class Egress(StrEnum):
    """Where a subnet's (or cluster's) internet-bound traffic goes, as far as the snapshot shows."""

    FIREWALL = "firewall"
    NOT_FIREWALL = "not_firewall"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class SubnetEgress:
    """The default-route analysis of one subnet: route table → 0.0.0.0/0 → next hop → firewall."""

    subnet_id: str
    status: Egress
    reason: str
    subnet: Subnet | None = None
    route_table: RouteTable | None = None
    default_route: Route | None = None
    firewall: Firewall | None = None
    bypass_routes: tuple[Route, ...] = ()
    unread_routes: tuple[Route, ...] = ()  # could be bypasses: their prefix or next hop is unread

    @property
    def path(self) -> tuple[str, ...]:
        """The graph path that decided it, for evidence and the detail view."""
        steps = [self.subnet.name if self.subnet else ids.name_of(self.subnet_id)]
        if self.route_table:
            steps.append(self.route_table.name)
        if self.default_route:
            route = self.default_route
            steps.append(f"{route.prefix_text} → {route.next_hop_type} {route.next_hop_ip}".strip())
        if self.firewall:
            steps.append(self.firewall.name)
        return tuple(steps)


@dataclass(frozen=True)
class ClusterEgress:
    status: Egress
    reason: str
    subnets: tuple[SubnetEgress, ...]

    @property
    def firewalls(self) -> tuple[Firewall, ...]:
        found = {s.firewall.key: s.firewall for s in self.subnets if s.firewall}
        return tuple(found.values())


class Topology:
    """Everything checks may ask about a snapshot. Built once; read-only afterwards."""

    def __init__(self, snapshot: ArmSnapshot, settings: Settings | None = None) -> None:
        self.snapshot = snapshot
        self.settings = settings or Settings()
        self.unreadable: list[Unreadable] = list(snapshot.unreadable)
        self.graph: nx.MultiDiGraph = nx.MultiDiGraph()
        self.by_type: dict[str, dict[str, Any]] = {t: {} for t in PARSERS}
        self.raw: dict[str, Mapping[str, Any]] = {}
        self.subnets: dict[str, Subnet] = {}
        self.metrics: dict[str, list[MetricSeries]] = {}
        self.dns_a_records: dict[str, list[tuple[str, tuple[str, ...]]]] = {}  # zone → (name, ips)
        self.dns_zone_links: dict[str, set[str]] = {}  # zone key → vnet keys
        self.cache: dict[Any, Any] = {}  # memoised derived data owned by other modules
        self._load()
        self._link()

    # -- building --------------------------------------------------------------------------------

    def _load(self) -> None:
        loose_subnets: list[Subnet] = []
        resources = merge_children(merge_duplicates(self.snapshot.resources)[0])
        for raw in resources:
            type_key = resource_type(raw).lower()
            self.raw[ids.key(raw["id"])] = raw
            parser = PARSERS.get(type_key)
            if type_key == SUBNET_TYPE:  # a subnet exported on its own belongs to its VNet
                loose_subnets.append(parse_subnet(raw))
            elif parser:
                resource = parser(raw)
                self.by_type[type_key][resource.key] = resource
                self.graph.add_node(resource.key, kind=resource.type, name=resource.name)
            elif type_key == "microsoft.network/privatednszones/a":
                zone = ids.key(ids.parent_of(raw["id"]))
                ips = tuple(text(a.get("ipv4Address")) for a in items(props(raw).get("aRecords")))
                self.dns_a_records.setdefault(zone, []).append((ids.name_of(raw["id"]), ips))
            elif type_key == "microsoft.network/privatednszones/virtualnetworklinks":
                zone = ids.key(ids.parent_of(raw["id"]))
                linked = ids.key(ref(props(raw).get("virtualNetwork")))
                self.dns_zone_links.setdefault(zone, set()).add(linked)
        for raw in self.snapshot.metrics:
            series = MetricSeries.parse(raw)
            self.metrics.setdefault(ids.key(series.resource_id), []).append(series)
        for vnet in self.vnets:
            for subnet in vnet.subnets:
                self.subnets[subnet.key] = subnet
        for subnet in loose_subnets:
            nested = self.subnets.get(subnet.key)
            if nested is None or (subnet.has_properties and not nested.has_properties):
                self.subnets[subnet.key] = subnet
        self.groups_by_policy: dict[str, list[RuleCollectionGroup]] = {}
        for group in self._all("microsoft.network/firewallpolicies/rulecollectiongroups"):
            self.groups_by_policy.setdefault(ids.key(group.policy_id), []).append(group)

    def _edge(self, source: str, target: str, relation: str, **data: Any) -> None:
        if source and target:
            self.graph.add_edge(ids.key(source), ids.key(target), key=relation, relation=relation,
                                **data)

    def _link(self) -> None:
        for subnet in self.subnets.values():
            self.graph.add_node(subnet.key, kind="subnet", name=subnet.name)
            self._edge(subnet.vnet_id, subnet.id, "contains")
            self._edge(subnet.id, subnet.route_table_id, "routes_via")
        for vnet in self.vnets:
            for peering in vnet.peerings:
                self._edge(vnet.id, peering.remote_vnet_id, "peers_with", state=peering.state)
        for firewall in self.firewalls:
            self._edge(firewall.id, firewall.policy_id, "uses_policy")
        for policy in self.policies:
            self._edge(policy.id, policy.base_policy_id, "inherits")
        for pip in self.public_ips:
            owner = self._owner_of_config(pip.attached_to)
            self._edge(pip.id, owner, "fronts")
        for cluster in self.clusters:
            for pool in cluster.node_pools:
                node = f"{cluster.key}/agentpools/{pool.name.lower()}"
                self.graph.add_node(node, kind="nodePool", name=pool.name)
                self._edge(cluster.id, node, "contains")
                self._edge(node, pool.subnet_id, "runs_in")
            self._edge(cluster.id, cluster.api_server_subnet_id, "api_server_in")
        for table in self.route_tables:
            for route in table.routes:
                hop_owner = self.firewall_by_private_ip(route.next_hop_ip, self.route_table_vnet(table))
                if route.next_hop_type.lower() == "virtualappliance" and hop_owner:
                    self._edge(table.id, hop_owner.id, "next_hop", route=route.name)

    def _owner_of_config(self, config_id: str) -> str:
        """`…/azureFirewalls/fw/azureFirewallIpConfigurations/c` → the firewall (or gateway, LB)."""
        if not config_id:
            return ""
        return ids.parent_of(config_id)

    # -- typed access ----------------------------------------------------------------------------

    def _all(self, type_key: str) -> list[Any]:
        return list(self.by_type[type_key].values())

    @property
    def clusters(self) -> list[Cluster]:
        return self._all("microsoft.containerservice/managedclusters")

    @property
    def firewalls(self) -> list[Firewall]:
        return self._all("microsoft.network/azurefirewalls")

    @property
    def policies(self) -> list[FirewallPolicy]:
        return self._all("microsoft.network/firewallpolicies")

    @property
    def vnets(self) -> list[VirtualNetwork]:
        return self._all("microsoft.network/virtualnetworks")

    @property
    def route_tables(self) -> list[RouteTable]:
        return self._all("microsoft.network/routetables")

    @property
    def public_ips(self) -> list[PublicIp]:
        return self._all("microsoft.network/publicipaddresses")

    @property
    def load_balancers(self) -> list[LoadBalancer]:
        return self._all("microsoft.network/loadbalancers")

    @property
    def app_gateways(self) -> list[AppGateway]:
        return self._all("microsoft.network/applicationgateways")

    @property
    def nat_gateways(self) -> list[NatGateway]:
        return self._all("microsoft.network/natgateways")

    @property
    def diagnostic_settings(self) -> list[DiagnosticSetting]:
        return self._all("microsoft.insights/diagnosticsettings")

    def find(self, type_key: str, resource_id: str) -> Any | None:
        """The typed resource of that type with that id (case-insensitive), or None."""
        return self.by_type[type_key].get(ids.key(resource_id))

    def firewall(self, resource_id: str) -> Firewall | None:
        return self.find("microsoft.network/azurefirewalls", resource_id)

    def policy(self, resource_id: str) -> FirewallPolicy | None:
        return self.find("microsoft.network/firewallpolicies", resource_id)

    def rule_collection_group(self, resource_id: str) -> RuleCollectionGroup | None:
        return self.find("microsoft.network/firewallpolicies/rulecollectiongroups", resource_id)

    def policy_groups(self, policy: FirewallPolicy) -> list[tuple[str, RuleCollectionGroup | None]]:
        """The policy's rule collection groups: those it lists (None where the snapshot lacks
        one), then those the export holds under its id that the list does not name."""
        listed = [(group_id, self.rule_collection_group(group_id))
                  for group_id in policy.rule_collection_group_ids]
        named = {ids.key(group_id) for group_id in policy.rule_collection_group_ids}
        extra = sorted((g for g in self.groups_by_policy.get(policy.key, [])
                        if g.key not in named), key=lambda g: g.key)
        return listed + [(g.id, g) for g in extra]

    def ip_group(self, resource_id: str) -> IpGroup | None:
        return self.find("microsoft.network/ipgroups", resource_id)

    def route_table(self, resource_id: str) -> RouteTable | None:
        return self.find("microsoft.network/routetables", resource_id)

    def vnet(self, resource_id: str) -> VirtualNetwork | None:
        return self.find("microsoft.network/virtualnetworks", resource_id)

    def public_ip(self, resource_id: str) -> PublicIp | None:
        return self.find("microsoft.network/publicipaddresses", resource_id)

    def waf_policy(self, resource_id: str) -> WafPolicy | None:
        return self.find("microsoft.network/applicationgatewaywebapplicationfirewallpolicies",
                         resource_id)

    def subnet(self, subnet_id: str) -> Subnet | None:
        return self.subnets.get(ids.key(subnet_id))

    def contains_type(self, type_key: str) -> bool:
        """Whether the snapshot holds any resource of the type (did the export include it?)."""
        return bool(self.by_type.get(type_key))

    def unreadable_scope_of(self, resource_id: str) -> Unreadable | None:
        """The unreadable scope covering this id, if any: the id itself or a parent's (a child,
        a resource, a resource group, a subscription), or a type scope
        (`/subscriptions/S/providers/Microsoft.Network/azureFirewalls`) naming its type or its
        parent's."""
        key = ids.key(resource_id)
        for entry in self.unreadable:
            scope = ids.key(entry.scope)
            if scope and (key == scope or key.startswith(scope + "/")):
                return entry
            typed = TYPE_SCOPE.match(scope)
            if typed and key.startswith(typed.group(1) + "/") and \
                    _of_type(ids.type_of(key), typed.group(2)):
                return entry
        return None

    def unreadable_scopes_holding(self, type_key: str, within: str = "") -> list[Unreadable]:
        """Unreadable scopes that might hold resources of this type (lower-case, e.g.
        `microsoft.network/virtualnetworks`), optionally inside one scope (a resource group):
        whole subscriptions or resource groups, scopes named for the type, and resources of the
        type (or their parents) listed by id. A check that needs "every X" cannot pass while one
        exists."""
        found = []
        inside = ids.key(within)
        for entry in self.unreadable:
            scope = ids.key(entry.scope)
            typed = TYPE_SCOPE.match(scope)
            where = typed.group(1) if typed else scope
            if inside and not (where == inside or inside.startswith(where + "/")
                               or where.startswith(inside + "/")):
                continue
            if WHOLE_SCOPE.match(scope) or _names_type(scope, typed, type_key):
                found.append(entry)
        return found

    def parts_unread(self, resource_id: str) -> str:
        """Why part of a resource is unseen: unreadable scopes strictly inside its id (a child
        such as a subnet, a route, a rule collection or an IP configuration); '' when none."""
        key = ids.key(resource_id)
        found = [f"{u.scope} is unreadable ({u.reason})" for u in self.unreadable
                 if ids.key(u.scope).startswith(key + "/")
                 # an extension of the resource (its metrics, diagnostic settings) is not a part
                 and not ids.key(u.scope)[len(key):].startswith("/providers/")]
        return "; ".join(found)

    def subnets_unread(self, vnet: VirtualNetwork) -> str:
        """Why a VNet's subnets cannot all be known ('' when they can)."""
        return "; ".join(filter(None, (vnet.subnets_unread, self.parts_unread(vnet.id))))

    def firewall_ip_unread(self, firewall: Firewall) -> str:
        """Why a firewall's private IP cannot be known ('' when it was read)."""
        if firewall.private_ip:
            return ""
        return "; ".join(filter(None, (firewall.private_ip_unread, self.parts_unread(firewall.id))))

    def missing(self, what: str, resource_id: str) -> str:
        """The reason text for a referenced resource the snapshot lacks."""
        scope = self.unreadable_scope_of(resource_id)
        why = f"unreadable: {scope.reason}" if scope else "not in the snapshot"
        return f"{what} {ids.name_of(resource_id)} ({resource_id}) is {why}"

    # -- availability zones ----------------------------------------------------------------------

    def regions_with_zones(self, region: str = "") -> tuple[frozenset[str], str]:
        """The regions that have availability zones, and where that was learnt (for evidence).

        The user's table (--zone-regions) wins; else the subscription locations in the snapshot
        (live discovery reads them: a region has zones when its availabilityZoneMappings is
        non-empty); else the bundled table. Given a `region` the locations do not list at all,
        the bundled table answers: ARM's silence about a region says nothing about it."""
        if self.settings.zone_regions is not None:
            return self.settings.zone_regions, "user's region table (--zone-regions)"
        listed = self._location_zones()
        if listed and (not region or region.replace(" ", "").lower() in listed):
            return frozenset(r for r, zoned in listed.items() if zoned), "subscription locations from ARM"
        regions, origin = bundled_zone_regions()
        if listed:
            return regions, f"{origin}; {region} is not among the subscription locations read"
        failed = [u for u in self.unreadable if LOCATIONS_SCOPE.match(ids.key(u.scope))]
        if failed:
            origin += (f"; the subscription locations could not be read ({failed[0].scope}: "
                       f"{failed[0].reason})")
        return regions, origin

    def _location_zones(self) -> dict[str, bool]:
        """Region → has zones, over every subscription's locations in the snapshot. A subscription
        whose locations carry no availabilityZoneMappings at all was read with an API version
        older than 2022-12-01 (which never sends them): it says nothing about zones."""
        found: dict[str, bool] | None = self.cache.get("location_zones")
        if found is not None:
            return found
        by_subscription: dict[str, list[dict[str, Any]]] = {}
        for raw in self.snapshot.resources:
            if LOCATION_ID.match(ids.key(raw.get("id"))):
                by_subscription.setdefault(ids.key(ids.subscription_of(raw["id"])), []).append(raw)
        found = {}
        for locations in by_subscription.values():
            if not any(ZONE_MAPPINGS in location for location in locations):
                continue
            for location in locations:
                name = text(location.get("name")) or ids.name_of(location["id"])
                region = name.replace(" ", "").lower()
                found[region] = found.get(region, False) or bool(items(location.get(ZONE_MAPPINGS)))
        self.cache["location_zones"] = found
        return found

    # -- addresses -------------------------------------------------------------------------------

    def firewall_by_private_ip(self, ip: str, from_vnet_id: str = "") -> Firewall | None:
        """The Azure Firewall that owns `ip`. Landing zones may reuse address space, so with
        several owners the one in `from_vnet_id` or a VNet peered with it is meant (peering is
        how a route's next hop is reached); an ambiguous answer is None, never a guess."""
        index: dict[str, list[Firewall]] | None = self.cache.get("firewalls_by_ip")
        if index is None:
            index = {}
            for fw in self.firewalls:
                if fw.private_ip:
                    index.setdefault(fw.private_ip, []).append(fw)
            self.cache["firewalls_by_ip"] = index
        owners = index.get(ip.strip(), [])
        if len(owners) <= 1 or not from_vnet_id:
            return owners[0] if len(owners) == 1 else None
        reachable = self.peered_vnet_keys(from_vnet_id)
        near = [fw for fw in owners
                if any(ids.key(ids.parent_of(c.subnet_id)) in reachable
                       for c in fw.ip_configurations if c.subnet_id)]
        return near[0] if len(near) == 1 else None

    def route_table_vnet(self, table: RouteTable) -> str:
        """The VNet whose subnets use the table (route tables serve subnets of one VNet)."""
        for subnet_id in table.subnet_ids:
            return ids.parent_of(subnet_id)
        user = next((s for s in self.subnets.values() if ids.key(s.route_table_id) == table.key), None)
        return user.vnet_id if user else ""

    def peered_vnet_keys(self, vnet_id: str) -> set[str]:
        """The VNet and those it peers with, seen from either side of the peering."""
        index: dict[str, set[str]] | None = self.cache.get("peers")
        if index is None:  # built once: a peering may be exported on one side only
            index = {}
            for vnet in self.vnets:
                for peering in vnet.peerings:
                    remote = ids.key(peering.remote_vnet_id)
                    index.setdefault(vnet.key, set()).add(remote)
                    index.setdefault(remote, set()).add(vnet.key)
            self.cache["peers"] = index
        key = ids.key(vnet_id)
        return {key} | index.get(key, set())

    def vnet_containing(self, ip: str) -> VirtualNetwork | None:
        parsed = address(ip)
        if parsed is None:
            return None
        for vnet in self.vnets:
            if any(parsed in space for space in vnet.address_space):
                return vnet
        return None

    def subnet_containing(self, ip: str) -> Subnet | None:
        parsed = address(ip)
        if parsed is None:
            return None
        for subnet in self.subnets.values():
            if any(parsed in prefix for prefix in subnet.prefixes):
                return subnet
        return None

    def firewall_public_ips(self, firewall: Firewall) -> list[PublicIp]:
        return [pip for pip in map(self.public_ip, firewall.public_ip_ids) if pip]

    def resolve_private_fqdn(self, fqdn: str, vnet_id: str) -> tuple[str, ...]:
        """A's of `fqdn` in private DNS zones linked to `vnet_id` (and its peers' links, no)."""
        name = fqdn.rstrip(".").lower()
        found: list[str] = []
        for zone_key, records in self.dns_a_records.items():
            zone_name = ids.name_of(zone_key).lower()
            if not (name == zone_name or name.endswith("." + zone_name)):
                continue
            if ids.key(vnet_id) not in self.dns_zone_links.get(zone_key, set()):
                continue
            label = name[: -len(zone_name)].rstrip(".") or "@"
            for record_name, ips in records:
                if record_name.lower() == label:
                    found.extend(ip for ip in ips if ip)
        return tuple(found)

    # -- egress ----------------------------------------------------------------------------------

    def subnet_egress(self, subnet_id: str) -> SubnetEgress:
        """Follow the subnet's default route to its next hop and say whether it is a firewall."""
        cache_key = ("subnet_egress", ids.key(subnet_id))
        if cache_key not in self.cache:
            self.cache[cache_key] = self._subnet_egress(subnet_id)
        result: SubnetEgress = self.cache[cache_key]
        return result

    def _subnet_egress(self, subnet_id: str) -> SubnetEgress:
        subnet = self.subnet(subnet_id)
        if subnet is None:
            return SubnetEgress(subnet_id, Egress.UNKNOWN, self.missing("subnet", subnet_id))
        hidden = self.unreadable_scope_of(subnet.id)
        if hidden is not None:
            return SubnetEgress(subnet_id, Egress.UNKNOWN, f"subnet {subnet.name} is unreadable "
                                f"({hidden.scope}: {hidden.reason})", subnet)
        if subnet.unread:
            return SubnetEgress(subnet_id, Egress.UNKNOWN, subnet.unread, subnet)
        if not subnet.route_table_id:
            return SubnetEgress(
                subnet_id, Egress.NOT_FIREWALL,
                f"subnet {subnet.name} has no route table, so internet traffic takes Azure's "
                "default route to the Internet (unless BGP or Virtual WAN routing intent "
                "propagates a default route, which an export cannot show)",
                subnet,
            )
        table = self.route_table(subnet.route_table_id)
        if table is None:
            return SubnetEgress(subnet_id, Egress.UNKNOWN,
                                self.missing("route table", subnet.route_table_id), subnet)
        routes_unread = table.routes_unread or self.parts_unread(table.id)
        if routes_unread:
            return SubnetEgress(subnet_id, Egress.UNKNOWN, routes_unread, subnet, table)
        default = next((r for r in table.routes if r.prefix_text.strip() == "0.0.0.0/0"), None)
        unread = [r.unread for r in table.routes if r.unread and not r.prefix_text]
        if default is None and unread:  # a route whose prefix was not read could be the default
            return SubnetEgress(subnet_id, Egress.UNKNOWN, "; ".join(unread), subnet, table)
        if default is None:
            return SubnetEgress(subnet_id, Egress.NOT_FIREWALL,
                                f"route table {table.name} has no 0.0.0.0/0 route, so internet "
                                "traffic takes Azure's default route to the Internet", subnet, table)
        base: dict[str, Any] = {"subnet": subnet, "route_table": table, "default_route": default}
        if default.unread:
            return SubnetEgress(subnet_id, Egress.UNKNOWN, default.unread, **base)
        if default.next_hop_type.lower() != "virtualappliance":
            return SubnetEgress(subnet_id, Egress.NOT_FIREWALL,
                                f"route {default.name} (0.0.0.0/0) in {table.name} has next hop "
                                f"{default.next_hop_type or 'none'}, not a firewall", **base)
        firewall = self.firewall_by_private_ip(default.next_hop_ip, subnet.vnet_id)
        if firewall is None:
            return self._unowned_next_hop(subnet_id, default, base)
        bypass = tuple(self._bypass_routes(table, firewall))
        unread_routes = tuple(r for r in table.routes if r.unread)
        return SubnetEgress(subnet_id, Egress.FIREWALL,
                            f"0.0.0.0/0 → {default.next_hop_ip} is firewall {firewall.name}",
                            firewall=firewall, bypass_routes=bypass, unread_routes=unread_routes, **base)

    def unseen_subnets(self) -> list[str]:
        """Why subnets might exist that the snapshot does not show: VNets whose subnets were not
        read, and subnets that route tables or clusters reference but the snapshot lacks."""
        reasons = [self.subnets_unread(v) for v in self.vnets if self.subnets_unread(v)]
        referenced = [s for t in self.route_tables for s in t.subnet_ids]
        referenced += [p.subnet_id for c in self.clusters for p in c.node_pools if p.subnet_id]
        reasons += [self.missing("subnet", s) for s in dict.fromkeys(referenced)
                    if self.subnet(s) is None]
        reasons += [f"{u.scope} ({u.reason})"
                    for u in self.unreadable_scopes_holding("microsoft.network/virtualnetworks")]
        return list(dict.fromkeys(reasons))

    def unseen_firewalls(self, ip: str = "") -> list[str]:
        """Why a firewall might own `ip` unseen: firewalls whose private IP was not read,
        unreadable scopes that may hold firewalls, and firewalls that the subnet holding the IP
        (or a public IP) names in its ipConfigurations but the snapshot lacks."""
        reasons = [self.firewall_ip_unread(fw) for fw in self.firewalls if self.firewall_ip_unread(fw)]
        reasons += [f"{u.scope} ({u.reason})" for u in self.unreadable_scopes_holding(FIREWALL_TYPE)]
        subnet = self.subnet_containing(ip) if ip else None
        configs = [*(subnet.ip_configuration_ids if subnet else ()),
                   *(pip.attached_to for pip in self.public_ips)]
        for config in configs:
            owner = ids.parent_of(config) if "/azurefirewalls/" in config.lower() else ""
            if owner and self.firewall(owner) is None:
                reasons.append(self.missing("firewall", owner))
        return list(dict.fromkeys(reasons))

    def _unowned_next_hop(self, subnet_id: str, route: Route, base: dict[str, Any]) -> SubnetEgress:
        ip = route.next_hop_ip
        vnet = self.vnet_containing(ip)
        hidden = self.unreadable_scope_of(vnet.id) if vnet is not None else None
        if vnet is not None and hidden is not None:
            return SubnetEgress(subnet_id, Egress.UNKNOWN,
                                f"next hop {ip} lies in {vnet.name}, but what runs there could not "
                                f"be read ({hidden.scope}: {hidden.reason})", **base)
        holder = self.subnet_containing(ip)
        if vnet is not None and holder is None and self.subnets_unread(vnet):
            return SubnetEgress(subnet_id, Egress.UNKNOWN,
                                f"next hop {ip} lies in {vnet.name}, whose subnets could not be "
                                f"read ({self.subnets_unread(vnet)})", **base)
        unseen = self.unseen_firewalls(ip)
        firewall_subnet = holder is None or holder.name.lower() == "azurefirewallsubnet"
        if vnet is not None and unseen and firewall_subnet:
            return SubnetEgress(subnet_id, Egress.UNKNOWN,
                                f"next hop {ip} lies in {vnet.name}, and a firewall that could own "
                                f"it was not seen: {'; '.join(unseen)}", **base)
        if vnet is not None:
            return SubnetEgress(subnet_id, Egress.NOT_FIREWALL,
                                f"next hop {ip} lies in {vnet.name} but no Azure Firewall there "
                                "owns it (another appliance, or nothing)", **base)
        return SubnetEgress(subnet_id, Egress.UNKNOWN,
                            f"next hop {ip or '(none)'} lies outside every VNet in the snapshot; "
                            "whether it is a firewall could not be seen", **base)

    def _bypass_routes(self, table: RouteTable, firewall: Firewall) -> Iterable[Route]:
        """More specific routes that send public destinations anywhere but this firewall."""
        own_ips = {pip.ip for pip in self.firewall_public_ips(firewall) if pip.ip}
        for route in table.routes:
            hop = route.next_hop_type.lower()
            if route.unread:  # not a bypass on what was read (SubnetEgress.unread_routes)
                continue
            if route.prefix_text.strip() == "0.0.0.0/0" or hop == "none":
                continue
            if hop == "virtualappliance" and route.next_hop_ip == firewall.private_ip:
                continue
            if hop == "vnetlocal":
                continue
            prefix = route.prefix
            if prefix is None:
                if hop == "internet":  # a service-tag route straight out, e.g. AzureMonitor
                    yield route
                continue
            if prefix.version != 4 or _is_private(prefix):
                continue
            if hop == "internet" and prefix.prefixlen == 32 and str(prefix.network_address) in own_ips:
                continue  # the documented return path for DNAT through the firewall's public IP
            yield route

    def cluster_node_subnet_ids(self, cluster: Cluster) -> list[str]:
        return list(dict.fromkeys(p.subnet_id for p in cluster.node_pools if p.subnet_id))

    def cluster_egress(self, cluster: Cluster) -> ClusterEgress:
        """All node-pool subnets must egress through a firewall for the cluster to."""
        if not cluster.has_properties or not cluster.node_pools:
            return ClusterEgress(Egress.UNKNOWN,
                                 f"cluster {cluster.name} was exported without its node pools", ())
        if cluster.pools_unread:
            return ClusterEgress(Egress.UNKNOWN, cluster.pools_unread, ())
        managed = [p.name for p in cluster.node_pools if not p.subnet_id]
        subnets = tuple(self.subnet_egress(s) for s in self.cluster_node_subnet_ids(cluster))
        failing = [s for s in subnets if s.status is Egress.NOT_FIREWALL]
        if managed:
            return ClusterEgress(
                Egress.NOT_FIREWALL,
                f"node pool(s) {', '.join(managed)} use the AKS-managed VNet, which has no route "
                "to a firewall", subnets)
        if failing:
            return ClusterEgress(Egress.NOT_FIREWALL, "; ".join(s.reason for s in failing), subnets)
        unknown = [s for s in subnets if s.status is Egress.UNKNOWN]
        if unknown:
            return ClusterEgress(Egress.UNKNOWN, "; ".join(s.reason for s in unknown), subnets)
        names = ", ".join(sorted({s.firewall.name for s in subnets if s.firewall}))
        return ClusterEgress(Egress.FIREWALL, f"every node subnet routes 0.0.0.0/0 to {names}",
                             subnets)

    def node_networks(self, subnet: Subnet) -> list[ipaddress.IPv4Network]:
        return [p for p in subnet.prefixes if isinstance(p, ipaddress.IPv4Network)]

    def metric_series(self, resource_id: str, metric: str) -> list[MetricSeries]:
        return [s for s in self.metrics.get(ids.key(resource_id), [])
                if s.metric.lower() == metric.lower()]


def _of_type(type_name: str, scope_type: str) -> bool:
    """Whether `type_name` is `scope_type` or a child type of it, compared by whole segments
    (`applicationGateways` does not hold `applicationGatewayWebApplicationFirewallPolicies`)."""
    name, scope = type_name.lower(), scope_type.lower()
    return name == scope or name.startswith(scope + "/")


def _names_type(scope: str, typed: re.Match[str] | None, type_key: str) -> bool:
    """A type scope of the type (or a parent type), or a resource of it (or a parent/child)."""
    if typed:
        return _of_type(type_key, typed.group(2))
    named = ids.type_of(scope)
    return bool(named) and (_of_type(type_key, named) or _of_type(named, type_key))


@functools.cache
def bundled_zone_regions() -> tuple[frozenset[str], str]:
    """The bundled table aksfw_tui/data/zone_regions.json (Microsoft's regions list, dated): the
    regions with zones, and its label. Read once, on first use."""
    path = importlib.resources.files("aksfw_tui") / "data" / "zone_regions.json"
    document = json.loads(path.read_text(encoding="utf-8"))
    regions = frozenset(r.replace(" ", "").lower() for r in document["regions"])
    return regions, (f"bundled table of Microsoft's regions list as of {document['as_of']} "
                     f"({document['source']})")


PRIVATE_RANGES = [network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16",
                                       "100.64.0.0/10", "169.254.0.0/16", "127.0.0.0/8")]


def _is_private(prefix: ipaddress.IPv4Network | ipaddress.IPv6Network) -> bool:
    """Entirely inside private space: a route for it sends no internet traffic anywhere."""
    return any(
        r is not None and prefix.version == r.version and prefix.subnet_of(r)  # type: ignore[arg-type]
        for r in PRIVATE_RANGES
    )


def suggest_firewall(topology: Topology, vnet_id: str, region: str) -> Firewall | None:
    """The firewall a remediation should point at: one in a VNet peered with `vnet_id`, else the
    only one in the region."""
    vnet = topology.vnet(vnet_id)
    peers = {ids.key(p.remote_vnet_id) for p in vnet.peerings} if vnet else set()
    for firewall in topology.firewalls:
        subnets = [c.subnet_id for c in firewall.ip_configurations if c.subnet_id]
        if any(ids.key(ids.parent_of(s)) in peers | {ids.key(vnet_id)} for s in subnets):
            return firewall
    regional = [f for f in topology.firewalls if f.region == region.replace(" ", "").lower()]
    return regional[0] if len(regional) == 1 else None
