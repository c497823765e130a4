"""Typed, read-only views over raw ARM resources; tolerant of absent and null properties.

Each view keeps `has_properties`: a resource exported without `properties` is not a resource with
empty properties, and checks must say `unknown` for what they cannot see. Views also keep `missing`
(property → reason, see model/evidence.py): the values a check relies on that were absent, null or
of the wrong type, so that "none" and "not seen" never read the same.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from aksfw_tui.model import ids
from aksfw_tui.model.evidence import Reading

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


# -- tolerant accessors ---------------------------------------------------------------------------


def obj(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def items(value: Any) -> list[Mapping[str, Any]]:
    return [v for v in value if isinstance(v, Mapping)] if isinstance(value, list) else []


def strings(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    return tuple(str(v) for v in value if isinstance(v, str | int)) if isinstance(value, list) else ()


def text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def ref(value: Any) -> str:
    """The id in a `{"id": ...}` reference, or ''."""
    return text(obj(value).get("id"))


def props(raw: Mapping[str, Any]) -> Mapping[str, Any]:
    return obj(obj(raw).get("properties"))  # tolerant of a non-object where one belongs


def network(value: str) -> Network | None:
    try:
        return ipaddress.ip_network(value.strip(), strict=False)
    except ValueError:
        return None


def address(value: str) -> Address | None:
    try:
        return ipaddress.ip_address(value.strip())
    except ValueError:
        return None


def zones_of(raw: Mapping[str, Any], *keys: str) -> tuple[str, ...]:
    value: Any = raw
    for key in keys:
        value = obj(value).get(key)
    return tuple(sorted(strings(value)))


@dataclass(frozen=True)
class Resource:
    """Fields every top-level resource has."""

    id: str
    name: str
    type: str
    location: str
    raw: Mapping[str, Any]

    @property
    def key(self) -> str:
        return ids.key(self.id)

    @property
    def has_properties(self) -> bool:
        return isinstance(self.raw.get("properties"), Mapping)

    @property
    def subscription(self) -> str:
        return ids.subscription_of(self.id) or ""

    @property
    def resource_group(self) -> str:
        return ids.resource_group_of(self.id) or ""

    @property
    def region(self) -> str:
        """Normalised region name: `West Europe` → `westeurope`."""
        return self.location.replace(" ", "").lower()


def _base(raw: Mapping[str, Any], type_name: str) -> dict[str, Any]:
    resource_id = text(raw.get("id"))
    return {
        "id": resource_id,
        "name": text(raw.get("name")) or ids.name_of(resource_id),
        "type": type_name,
        "location": text(raw.get("location")),
        "raw": raw,
    }


# -- networking ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Subnet:
    id: str
    name: str
    vnet_id: str
    prefixes: tuple[Network, ...]
    route_table_id: str
    nat_gateway_id: str
    nsg_id: str
    has_properties: bool
    missing: Mapping[str, str] = field(default_factory=dict)
    ip_configuration_ids: tuple[str, ...] = ()  # what holds addresses here (e.g. a firewall's)

    @property
    def key(self) -> str:
        return ids.key(self.id)

    @property
    def unread(self) -> str:
        """Why the subnet's routing cannot be known ('' when it can)."""
        if not self.has_properties:
            return f"subnet {self.name} was exported without its properties"
        return "; ".join(self.missing.values())

    @property
    def cidrs(self) -> str:
        return ", ".join(str(p) for p in self.prefixes)


@dataclass(frozen=True)
class Peering:
    name: str
    remote_vnet_id: str
    state: str
    allow_forwarded_traffic: bool


@dataclass(frozen=True)
class VirtualNetwork(Resource):
    address_space: tuple[Network, ...]
    dns_servers: tuple[str, ...]
    subnets: tuple[Subnet, ...]
    peerings: tuple[Peering, ...]
    missing: Mapping[str, str] = field(default_factory=dict)

    @property
    def subnets_unread(self) -> str:
        """Why the VNet's list of subnets cannot be known ('' when it was read)."""
        if not self.has_properties:
            return f"VNet {self.name} was exported without its properties"
        return self.missing.get("subnets", "")

    @staticmethod
    def parse(raw: Mapping[str, Any]) -> VirtualNetwork:
        p = props(raw)
        vnet_id = text(raw.get("id"))
        reading = Reading(f"VNet {text(raw.get('name')) or ids.name_of(vnet_id)}")
        listed = reading.list(p.get("subnets"), "subnets") if p else []
        subnets = tuple(parse_subnet(s, vnet_id) for s in items(listed))
        peerings = tuple(
            Peering(
                name=text(peer.get("name")),
                remote_vnet_id=ref(props(peer).get("remoteVirtualNetwork")),
                state=text(props(peer).get("peeringState")),
                allow_forwarded_traffic=props(peer).get("allowForwardedTraffic") is True,
            )
            for peer in items(p.get("virtualNetworkPeerings"))
        )
        space = tuple(
            n for n in map(network, strings(obj(p.get("addressSpace")).get("addressPrefixes"))) if n
        )
        return VirtualNetwork(
            **_base(raw, "virtualNetwork"),
            address_space=space,
            dns_servers=strings(obj(p.get("dhcpOptions")).get("dnsServers")),
            subnets=subnets,
            peerings=peerings,
            missing=reading.frozen(),
        )


def parse_subnet(raw: Mapping[str, Any], vnet_id: str = "") -> Subnet:
    """A subnet, nested in its VNet or exported on its own (`az network vnet subnet show`)."""
    p = props(raw)
    subnet_id = text(raw.get("id")) or f"{vnet_id}/subnets/{text(raw.get('name'))}"
    name = text(raw.get("name")) or ids.name_of(subnet_id)
    reading = Reading(f"subnet {name}")
    prefixes = [*strings(p.get("addressPrefixes")), *strings(p.get("addressPrefix"))]
    parsed = tuple(dict.fromkeys(n for n in map(network, prefixes) if n))
    if p and not parsed:
        reading.note("addressPrefix", p.get("addressPrefix"))
    return Subnet(
        id=subnet_id,
        name=name,
        vnet_id=vnet_id or ids.parent_of(subnet_id),
        prefixes=parsed,
        route_table_id=reading.ref(p.get("routeTable"), "routeTable"),
        nat_gateway_id=ref(p.get("natGateway")),
        nsg_id=ref(p.get("networkSecurityGroup")),
        has_properties=isinstance(raw.get("properties"), Mapping),
        missing=reading.frozen(),
        ip_configuration_ids=tuple(ref(c) for c in items(p.get("ipConfigurations")) if ref(c)),
    )


@dataclass(frozen=True)
class Route:
    name: str
    prefix_text: str
    prefix: Network | None
    next_hop_type: str
    next_hop_ip: str
    unread: str = ""  # why the prefix or next hop could not be read ('' when they were)


@dataclass(frozen=True)
class RouteTable(Resource):
    routes: tuple[Route, ...]
    subnet_ids: tuple[str, ...]
    disable_bgp_propagation: bool
    missing: Mapping[str, str] = field(default_factory=dict)

    @property
    def routes_unread(self) -> str:
        """Why the list of routes cannot be known ('' when it was read)."""
        if not self.has_properties:
            return f"route table {self.name} was exported without its routes"
        return self.missing.get("routes", "")

    @staticmethod
    def parse(raw: Mapping[str, Any]) -> RouteTable:
        p = props(raw)
        base = _base(raw, "routeTable")
        reading = Reading(f"route table {base['name']}")
        listed = reading.list(p.get("routes"), "routes") if p else []
        routes = [parse_route(route, base["name"]) for route in listed]
        return RouteTable(
            **base,
            routes=tuple(routes),
            subnet_ids=tuple(ref(s) for s in items(p.get("subnets"))),
            disable_bgp_propagation=p.get("disableBgpRoutePropagation") is True,
            missing=reading.frozen(),
        )


def parse_route(route: Any, table: str) -> Route:
    """One route; a route whose prefix or next hop is absent, null or mistyped says so."""
    name = text(obj(route).get("name")) or ids.name_of(text(obj(route).get("id")))
    reading = Reading(f"route {name or '(unnamed)'} in route table {table}")
    if not isinstance(route, Mapping) or not isinstance(route.get("properties"), Mapping):
        reading.note("properties", obj(route).get("properties") if isinstance(route, Mapping) else route)
    rp = props(route)
    prefix_text = reading.text(rp.get("addressPrefix"), "addressPrefix")
    hop_type = reading.text(rp.get("nextHopType"), "nextHopType")
    hop_ip = text(rp.get("nextHopIpAddress"))
    if hop_type.lower() == "virtualappliance" and not address(hop_ip):
        reading.note("nextHopIpAddress", rp.get("nextHopIpAddress"))
    return Route(
        name=name,
        prefix_text=prefix_text,
        prefix=network(prefix_text),  # service-tag prefixes stay None
        next_hop_type=hop_type,
        next_hop_ip=hop_ip,
        unread="; ".join(reading.problems.values()),
    )


@dataclass(frozen=True)
class PublicIp(Resource):
    ip: str
    zones: tuple[str, ...]
    sku: str
    attached_to: str
    nat_gateway_id: str

    @staticmethod
    def parse(raw: Mapping[str, Any]) -> PublicIp:
        p = props(raw)
        return PublicIp(
            **_base(raw, "publicIp"),
            ip=text(p.get("ipAddress")),
            zones=zones_of(raw, "zones"),
            sku=text(obj(raw.get("sku")).get("name")),
            attached_to=ref(p.get("ipConfiguration")),
            nat_gateway_id=ref(p.get("natGateway")),
        )


@dataclass(frozen=True)
class NatGateway(Resource):
    subnet_ids: tuple[str, ...]
    public_ip_ids: tuple[str, ...]

    @staticmethod
    def parse(raw: Mapping[str, Any]) -> NatGateway:
        p = props(raw)
        return NatGateway(
            **_base(raw, "natGateway"),
            subnet_ids=tuple(ref(s) for s in items(p.get("subnets"))),
            public_ip_ids=tuple(ref(s) for s in items(p.get("publicIpAddresses"))),
        )


@dataclass(frozen=True)
class IpGroup(Resource):
    addresses: tuple[str, ...]
    addresses_unread: str = ""

    @staticmethod
    def parse(raw: Mapping[str, Any]) -> IpGroup:
        base = _base(raw, "ipGroup")
        listed = props(raw).get("ipAddresses")
        state = "absent or null" if listed is None else "not a list of strings"
        readable = isinstance(listed, list) and all(isinstance(a, str) for a in listed)
        unread = "" if readable else f"IP group {base['name']}: ipAddresses is {state}"
        return IpGroup(**base, addresses=strings(listed), addresses_unread=unread)


# -- firewall ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class IpConfiguration:
    name: str
    id: str
    private_ip: str
    subnet_id: str
    public_ip_id: str


@dataclass(frozen=True)
class Firewall(Resource):
    zones: tuple[str, ...]
    sku_name: str
    sku_tier: str
    policy_id: str
    threat_intel_mode: str
    additional_properties: Mapping[str, Any]
    ip_configurations: tuple[IpConfiguration, ...]
    hub_private_ip: str
    hub_public_ip_count: int
    virtual_hub_id: str
    missing: Mapping[str, str] = field(default_factory=dict)

    @staticmethod
    def parse(raw: Mapping[str, Any]) -> Firewall:
        p = props(raw)
        base = _base(raw, "firewall")
        reading = Reading(f"firewall {base['name']}")
        hub = obj(p.get("hubIPAddresses"))
        if p and not text(hub.get("privateIPAddress")):
            # Only the configuration in AzureFirewallSubnet carries the private IP; the others
            # (extra public IPs) have none. No address anywhere is missing, not "no firewall".
            listed = reading.list(p.get("ipConfigurations"), "ipConfigurations")
            found = [address(text(props(c).get("privateIPAddress"))) for c in listed]
            if listed and not any(found):
                reading.note("ipConfigurations[*].privateIPAddress", None)
        policy_id = reading.ref(p.get("firewallPolicy"), "firewallPolicy")
        for index, config in enumerate(items(p.get("ipConfigurations"))):
            if not isinstance(config.get("properties"), Mapping):
                reading.note(f"ipConfigurations[{index}].properties", config.get("properties"))
            elif not reading.ref(props(config).get("publicIPAddress"),
                                 f"ipConfigurations[{index}].publicIPAddress"):
                reading.note(f"ipConfigurations[{index}].publicIPAddress", None)
        configs = tuple(
            IpConfiguration(
                name=text(c.get("name")),
                id=text(c.get("id")),
                private_ip=text(props(c).get("privateIPAddress")),
                subnet_id=ref(props(c).get("subnet")),
                public_ip_id=ref(props(c).get("publicIPAddress")),
            )
            for c in items(p.get("ipConfigurations"))
        )
        return Firewall(
            **base,
            zones=zones_of(raw, "zones"),
            sku_name=text(obj(p.get("sku")).get("name")),
            sku_tier=text(obj(p.get("sku")).get("tier")),
            policy_id=policy_id,
            threat_intel_mode=text(p.get("threatIntelMode")),
            additional_properties=obj(p.get("additionalProperties")),
            ip_configurations=configs,
            hub_private_ip=text(hub.get("privateIPAddress")),
            hub_public_ip_count=_hub_public_ip_count(obj(hub.get("publicIPs"))),
            virtual_hub_id=ref(p.get("virtualHub")),
            missing=reading.frozen(),
        )

    @property
    def private_ip_unread(self) -> str:
        """Why the firewall's private IP (what routes point at) cannot be known ('' when read).
        With several IP configurations one unread address is enough: it could be the one."""
        if not self.has_properties:
            return f"firewall {self.name} was exported without its properties"
        if self.private_ip:
            return ""
        found = "; ".join(v for k, v in self.missing.items() if k.startswith("ipConfigurations")
                          and not k.endswith("publicIPAddress"))
        return found or f"firewall {self.name} has no private IP address in ipConfigurations"

    @property
    def public_ips_unread(self) -> str:
        """Why the firewall's public IPs (its egress addresses) cannot all be known."""
        if not self.has_properties:
            return f"firewall {self.name} was exported without its properties"
        if self.virtual_hub_id:
            return ""
        return "; ".join(v for k, v in self.missing.items() if k.startswith("ipConfigurations"))

    @property
    def policy_unread(self) -> str:
        return self.missing.get("firewallPolicy", "")

    @property
    def private_ip(self) -> str:
        """The address routes point at: the first IP configuration's, or the secured hub's."""
        for config in self.ip_configurations:
            if config.private_ip:
                return config.private_ip
        return self.hub_private_ip

    @property
    def public_ip_ids(self) -> tuple[str, ...]:
        return tuple(c.public_ip_id for c in self.ip_configurations if c.public_ip_id)

    @property
    def has_classic_rules(self) -> bool:
        p = props(self.raw)
        kinds = ("applicationRuleCollections", "networkRuleCollections", "natRuleCollections")
        return any(items(p.get(k)) for k in kinds)


def _hub_public_ip_count(public: Mapping[str, Any]) -> int:
    """A secured hub's public IPs: `count` as configured (it can exceed the addresses an export
    lists while they are being allocated), else the addresses listed."""
    count = public.get("count")
    if isinstance(count, int) and not isinstance(count, bool):
        return max(count, len(items(public.get("addresses"))))
    return len(items(public.get("addresses")))


@dataclass(frozen=True)
class FirewallPolicy(Resource):
    base_policy_id: str
    dns_proxy: bool | None
    threat_intel_mode: str
    sku_tier: str
    idps_mode: str
    rule_collection_group_ids: tuple[str, ...]
    missing: Mapping[str, str] = field(default_factory=dict)

    @property
    def groups_unread(self) -> str:
        """Why the policy's list of rule collection groups cannot be known ('' when read)."""
        return self.missing.get("ruleCollectionGroups", "")

    @property
    def base_unread(self) -> str:
        return self.missing.get("basePolicy", "")

    @staticmethod
    def parse(raw: Mapping[str, Any]) -> FirewallPolicy:
        p = props(raw)
        base = _base(raw, "firewallPolicy")
        reading = Reading(f"firewall policy {base['name']}")
        groups = reading.list(p.get("ruleCollectionGroups"), "ruleCollectionGroups") if p else []
        for index, group in enumerate(groups):
            if not reading.ref(group, f"ruleCollectionGroups[{index}]"):
                reading.note(f"ruleCollectionGroups[{index}]", group)
        proxy = obj(p.get("dnsSettings")).get("enableProxy")
        if isinstance(proxy, str) and proxy.strip().lower() in ("true", "false"):
            proxy = proxy.strip().lower() == "true"  # the one sensible reading of "true"
        return FirewallPolicy(
            **base,
            base_policy_id=reading.ref(p.get("basePolicy"), "basePolicy"),
            dns_proxy=proxy if isinstance(proxy, bool) else None,
            threat_intel_mode=text(p.get("threatIntelMode")),
            sku_tier=text(obj(p.get("sku")).get("tier")),
            idps_mode=text(obj(p.get("intrusionDetection")).get("mode")),
            rule_collection_group_ids=tuple(ref(g) for g in items(groups) if ref(g)),
            missing=reading.frozen(),
        )


@dataclass(frozen=True)
class RuleCollectionGroup(Resource):
    priority: int | None
    rule_collections: tuple[Mapping[str, Any], ...]

    @property
    def policy_id(self) -> str:
        return ids.parent_of(self.id)

    collections_unread: str = ""

    @staticmethod
    def parse(raw: Mapping[str, Any]) -> RuleCollectionGroup:
        p = props(raw)
        base = _base(raw, "ruleCollectionGroup")
        listed = p.get("ruleCollections")
        return RuleCollectionGroup(
            **base,
            priority=priority_of(p.get("priority")),
            rule_collections=tuple(v if isinstance(v, Mapping) else {} for v in listed)
            if isinstance(listed, list) else (),
            collections_unread="" if isinstance(listed, list) else
            f"rule collection group {base['name']}: ruleCollections is "
            f"{'absent or null' if listed is None else 'not a list'}",
        )


def priority_of(value: Any) -> int | None:
    """A priority: an integer, or the one sensible reading of a string of digits ("50")."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


# -- ingress -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LbFrontend:
    id: str
    name: str
    public_ip_id: str
    private_ip: str
    subnet_id: str
    inbound_rules: tuple[str, ...]  # load-balancing and inbound NAT rule names
    outbound_rules: tuple[str, ...]


@dataclass(frozen=True)
class LoadBalancer(Resource):
    sku: str
    frontends: tuple[LbFrontend, ...]
    missing: Mapping[str, str] = field(default_factory=dict)

    @property
    def unread(self) -> str:
        """Why the load balancer's frontends and rules cannot be known ('' when they can)."""
        if not self.has_properties:
            return f"load balancer {self.name} was exported without its properties"
        return "; ".join(self.missing.values())

    @staticmethod
    def parse(raw: Mapping[str, Any]) -> LoadBalancer:
        p = props(raw)
        reading = Reading(f"load balancer {text(raw.get('name')) or ids.name_of(text(raw.get('id')))}")
        if p:
            for key in ("frontendIPConfigurations", "loadBalancingRules", "inboundNatRules"):
                reading.list(p.get(key), key)
            for index, f in enumerate(items(p.get("frontendIPConfigurations"))):
                reading.ref(props(f).get("publicIPAddress"),
                            f"frontendIPConfigurations[{index}].publicIPAddress")
                if not isinstance(f.get("properties"), Mapping):
                    reading.note(f"frontendIPConfigurations[{index}].properties", f.get("properties"))
        inbound: dict[str, list[str]] = {}
        outbound: dict[str, list[str]] = {}
        # Rules name their frontend; frontends name their rules too, but exports may omit either.
        for kind, target in (
            ("loadBalancingRules", inbound),
            ("inboundNatRules", inbound),
            ("inboundNatPools", inbound),
            ("outboundRules", outbound),
        ):
            for rule in items(p.get(kind)):
                rp = props(rule)
                named = [ref(rp.get("frontendIPConfiguration"))]
                named += [ref(f) for f in items(rp.get("frontendIPConfigurations"))]
                for frontend in filter(None, named):
                    target.setdefault(ids.key(frontend), []).append(text(rule.get("name")))
        frontends: list[LbFrontend] = []
        for f in items(p.get("frontendIPConfigurations")):
            fp = props(f)
            key = ids.key(text(f.get("id")))
            own_in = [ids.name_of(ref(r)) for k in ("loadBalancingRules", "inboundNatRules")
                      for r in items(fp.get(k))]
            own_out = [ids.name_of(ref(r)) for r in items(fp.get("outboundRules"))]
            frontends.append(
                LbFrontend(
                    id=text(f.get("id")),
                    name=text(f.get("name")),
                    public_ip_id=ref(fp.get("publicIPAddress")),
                    private_ip=text(fp.get("privateIPAddress")),
                    subnet_id=ref(fp.get("subnet")),
                    inbound_rules=tuple(dict.fromkeys([*inbound.get(key, []), *own_in])),
                    outbound_rules=tuple(dict.fromkeys([*outbound.get(key, []), *own_out])),
                )
            )
        return LoadBalancer(
            **_base(raw, "loadBalancer"),
            sku=text(obj(raw.get("sku")).get("name")),
            frontends=tuple(frontends),
            missing=reading.frozen(),
        )


@dataclass(frozen=True)
class WafPolicy(Resource):
    state: str
    mode: str

    @staticmethod
    def parse(raw: Mapping[str, Any]) -> WafPolicy:
        settings = obj(props(raw).get("policySettings"))
        return WafPolicy(
            **_base(raw, "wafPolicy"),
            state=text(settings.get("state")),
            mode=text(settings.get("mode")),
        )


@dataclass(frozen=True)
class AppGatewayListener:
    id: str
    name: str
    frontend_id: str
    protocol: str
    waf_policy_id: str


@dataclass(frozen=True)
class AppGatewayRoute:
    """A request routing rule, resolved to the pools it reaches and the WAF policy per path."""

    name: str
    listener_id: str
    pools: tuple[tuple[str, str], ...]  # (pool id, path-rule WAF policy id or '')


@dataclass(frozen=True)
class AppGatewayFrontend:
    id: str
    name: str
    public_ip_id: str
    private_ip: str


@dataclass(frozen=True)
class AppGateway(Resource):
    zones: tuple[str, ...]
    sku_tier: str
    waf_policy_id: str
    legacy_waf_enabled: bool | None
    legacy_waf_mode: str
    frontends: tuple[AppGatewayFrontend, ...]
    listeners: tuple[AppGatewayListener, ...]
    routes: tuple[AppGatewayRoute, ...]
    pools: Mapping[str, tuple[tuple[str, str], ...]]  # pool key → ((ip, fqdn), ...)
    subnet_ids: tuple[str, ...]

    @staticmethod
    def parse(raw: Mapping[str, Any]) -> AppGateway:
        p = props(raw)
        legacy = p.get("webApplicationFirewallConfiguration")
        path_maps = {ids.key(text(m.get("id"))): props(m) for m in items(p.get("urlPathMaps"))}
        routes = []
        for rule in items(p.get("requestRoutingRules")):
            rp = props(rule)
            reached: list[tuple[str, str]] = []
            if not ref(rp.get("redirectConfiguration")):
                if ref(rp.get("backendAddressPool")):
                    reached.append((ref(rp.get("backendAddressPool")), ""))
                path_map = path_maps.get(ids.key(ref(rp.get("urlPathMap"))), {})
                if ref(path_map.get("defaultBackendAddressPool")):
                    reached.append((ref(path_map.get("defaultBackendAddressPool")), ""))
                for path_rule in items(path_map.get("pathRules")):
                    prp = props(path_rule)
                    if ref(prp.get("backendAddressPool")):
                        reached.append(
                            (ref(prp.get("backendAddressPool")), ref(prp.get("firewallPolicy")))
                        )
            routes.append(
                AppGatewayRoute(
                    name=text(rule.get("name")),
                    listener_id=ref(rp.get("httpListener")),
                    pools=tuple(reached),
                )
            )
        return AppGateway(
            **_base(raw, "applicationGateway"),
            zones=zones_of(raw, "zones"),
            sku_tier=text(obj(p.get("sku")).get("tier")),
            waf_policy_id=ref(p.get("firewallPolicy")),
            legacy_waf_enabled=obj(legacy).get("enabled") if isinstance(legacy, Mapping) else None,
            legacy_waf_mode=text(obj(legacy).get("firewallMode")),
            frontends=tuple(
                AppGatewayFrontend(
                    id=text(f.get("id")),
                    name=text(f.get("name")),
                    public_ip_id=ref(props(f).get("publicIPAddress")),
                    private_ip=text(props(f).get("privateIPAddress")),
                )
                for f in items(p.get("frontendIPConfigurations"))
            ),
            listeners=tuple(
                AppGatewayListener(
                    id=text(listener.get("id")),
                    name=text(listener.get("name")),
                    frontend_id=ref(props(listener).get("frontendIPConfiguration")),
                    protocol=text(props(listener).get("protocol")),
                    waf_policy_id=ref(props(listener).get("firewallPolicy")),
                )
                for listener in items(p.get("httpListeners"))
            ),
            routes=tuple(routes),
            pools={
                ids.key(text(pool.get("id"))): tuple(
                    (text(a.get("ipAddress")), text(a.get("fqdn")))
                    for a in items(props(pool).get("backendAddresses"))
                )
                for pool in items(p.get("backendAddressPools"))
            },
            subnet_ids=tuple(
                ref(props(c).get("subnet")) for c in items(p.get("gatewayIPConfigurations"))
            ),
        )


@dataclass(frozen=True)
class PrivateDnsZone(Resource):
    linked_vnet_ids: tuple[str, ...]


@dataclass(frozen=True)
class DiagnosticSetting(Resource):
    target_id: str
    workspace_id: str
    logs_enabled: bool

    @staticmethod
    def parse(raw: Mapping[str, Any]) -> DiagnosticSetting:
        p = props(raw)
        resource_id = text(raw.get("id"))
        lowered = resource_id.lower()
        marker = "/providers/microsoft.insights/diagnosticsettings/"
        target = resource_id[: lowered.index(marker)] if marker in lowered else ""
        return DiagnosticSetting(
            **_base(raw, "diagnosticSetting"),
            target_id=target,
            workspace_id=text(p.get("workspaceId")),
            logs_enabled=any(log.get("enabled") is True for log in items(p.get("logs"))),
        )


# -- AKS -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class NodePool:
    name: str
    mode: str
    count: int | None
    zones: tuple[str, ...]
    subnet_id: str
    os_type: str


@dataclass(frozen=True)
class Cluster(Resource):
    outbound_type: str
    network_plugin: str
    network_policy: str
    private: bool
    vnet_integration: bool
    api_server_subnet_id: str
    authorized_ranges: tuple[str, ...]
    api_fqdn: str
    private_fqdn: str
    node_resource_group: str
    node_pools: tuple[NodePool, ...]
    monitoring_enabled: bool
    missing: Mapping[str, str] = field(default_factory=dict)

    @property
    def api_unread(self) -> str:
        """Why how the API server is exposed cannot be known ('' when it can)."""
        return "; ".join(v for k, v in self.missing.items() if k.startswith("apiServerAccessProfile"))

    @property
    def pools_unread(self) -> str:
        """Why where the node pools run cannot be known ('' when it can)."""
        return "; ".join(v for k, v in self.missing.items() if k.startswith("agentPoolProfiles"))

    @staticmethod
    def parse(raw: Mapping[str, Any]) -> Cluster:
        p = props(raw)
        net = obj(p.get("networkProfile"))
        api = obj(p.get("apiServerAccessProfile"))
        reading = Reading(f"cluster {text(raw.get('name')) or ids.name_of(text(raw.get('id')))}")
        if p:
            _read_cluster(p, reading)
        addons = {k.lower(): obj(v) for k, v in obj(p.get("addonProfiles")).items()}
        pools = tuple(
            NodePool(
                name=text(pool.get("name")),
                mode=text(pool.get("mode")),
                count=pool.get("count") if isinstance(pool.get("count"), int) else None,
                zones=tuple(sorted(strings(pool.get("availabilityZones")))),
                subnet_id=text(pool.get("vnetSubnetID")),
                os_type=text(pool.get("osType")) or "Linux",
            )
            for pool in items(p.get("agentPoolProfiles"))
        )
        return Cluster(
            missing=reading.frozen(),
            **_base(raw, "managedCluster"),
            outbound_type=text(net.get("outboundType")),
            network_plugin=text(net.get("networkPlugin")),
            network_policy=text(net.get("networkPolicy")),
            private=api.get("enablePrivateCluster") is True,
            vnet_integration=api.get("enableVnetIntegration") is True,
            api_server_subnet_id=text(api.get("subnetId")),
            authorized_ranges=strings(api.get("authorizedIPRanges")),
            api_fqdn=text(p.get("fqdn")),
            private_fqdn=text(p.get("privateFQDN")),
            node_resource_group=text(p.get("nodeResourceGroup")),
            node_pools=pools,
            monitoring_enabled=(
                addons.get("omsagent", {}).get("enabled") is True
                or obj(obj(p.get("azureMonitorProfile")).get("containerInsights")).get("enabled")
                is True
            ),
        )


def _read_cluster(p: Mapping[str, Any], reading: Reading) -> None:
    """Record what a cluster's checks rely on that is present but unreadable (absent is none for
    the API server profile and a pool's subnet: see model/evidence.py)."""
    api = p.get("apiServerAccessProfile")
    if api is not None and not isinstance(api, Mapping):
        reading.note("apiServerAccessProfile", api)
    for flag in ("enablePrivateCluster", "enableVnetIntegration"):
        value = obj(api).get(flag)
        if value is not None and not isinstance(value, bool):
            reading.note(f"apiServerAccessProfile.{flag}", value)
    ranges = obj(api).get("authorizedIPRanges")
    if ranges is not None and not (isinstance(ranges, list) and all(isinstance(r, str) for r in ranges)):
        reading.note("apiServerAccessProfile.authorizedIPRanges", ranges)
    pools = reading.list(p.get("agentPoolProfiles"), "agentPoolProfiles")
    for index, pool in enumerate(pools):
        subnet = obj(pool).get("vnetSubnetID")
        if not isinstance(pool, Mapping) or (subnet is not None and not isinstance(subnet, str)):
            reading.note(f"agentPoolProfiles[{index}].vnetSubnetID", subnet)


# -- metrics -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MetricPoint:
    timestamp: str
    maximum: float | None
    average: float | None


@dataclass(frozen=True)
class MetricSeries:
    resource_id: str
    metric: str
    unit: str
    points: tuple[MetricPoint, ...]

    @staticmethod
    def parse(raw: Mapping[str, Any]) -> MetricSeries:
        series_id = text(raw.get("id"))
        lowered = series_id.lower()
        marker = "/providers/microsoft.insights/metrics"
        resource_id = series_id[: lowered.index(marker)] if marker in lowered else series_id
        name = raw.get("name")
        metric = text(obj(name).get("value")) if isinstance(name, Mapping) else text(name)
        points = []
        for series in items(raw.get("timeseries")):
            for point in items(series.get("data")):
                points.append(
                    MetricPoint(
                        timestamp=text(point.get("timeStamp")),
                        maximum=_number(point.get("maximum")),
                        average=_number(point.get("average")),
                    )
                )
        return MetricSeries(resource_id, metric or ids.name_of(series_id), text(raw.get("unit")),
                            tuple(points))


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None
