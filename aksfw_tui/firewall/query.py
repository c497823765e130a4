"""The Egress explorer's engine: read what the operator types, list the sources they can pick, and
explain what happens to the flow from each source subnet (DESIGN §5, §9). The screen only renders
the `Answer` this module returns; nothing here imports Textual.

Query grammar (case-insensitive; spaces, arrows `→ -> =>` and the word `to` are separators)::

    query     = [proto-port] destination[":" port]["/" protocol]
    proto-port = protocol | protocol "/" port | port "/" protocol | port
    protocol  = tcp | udp | icmp          (default tcp)

Examples: `mcr.microsoft.com:443`, `udp/1194 AzureCloud.westeurope`, `203.0.113.7:22`,
`tcp/443 → management.azure.com`, `1194/udp api-server`, `icmp 8.8.8.8`, and URLs:
`https://packages.microsoft.com/ubuntu` (a URL implies TCP and its port: 443 for https, 80 for http).
A port (1–65535) is required for TCP and UDP and refused for ICMP; given twice it must agree.

How the destination is read (the first rule that applies):
1. an IPv4 address is an IP (a CIDR or range is refused: the question is about one address);
2. `api-server` / `apiserver` is the API server of the cluster picked as the source (public clusters
   only: a private cluster's API server is reached inside the VNet, never through the firewall);
   the cluster's own API-server host name means the same;
3. a service tag from the bundled list (`AzureCloud`, `Storage`, `AzureFrontDoor.Frontend`, ...),
   optionally with `.<region>` of a known Azure region, is a service tag; so is
   `<Name>.<known region>` for a tag the list does not know. A known tag with an unknown suffix
   (`AzureCloud.westeurop`) is an error, not silently a host name;
4. one word with a capital letter (`PowerBI`) is a service tag the list does not know (the answer
   notes it: check the spelling);
5. anything else with a dot is a host name (FQDN); a trailing dot forces that reading (`storage.io.`).

What an answer says, per source subnet: where the flow's route goes (the default route's firewall,
a more specific route, the VNet itself, Azure's default Internet route), and then either the
firewall's verdict with the deciding rule `policy › group › collection › rule`, its action and
priorities, and the rules that might have matched first, or why no firewall is consulted.
"""

from __future__ import annotations

import difflib
import ipaddress
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

from aksfw_tui.firewall.addresses import PRIVATE, AddressSet
from aksfw_tui.firewall.evaluator import Decision, Destination, Flow, Verdict, evaluate_flow
from aksfw_tui.firewall.rules import Kind, Rule, ruleset_for
from aksfw_tui.model import ids
from aksfw_tui.model.resources import Cluster, Firewall, Route, RouteTable, Subnet
from aksfw_tui.model.topology import Egress, SubnetEgress, Topology

EXAMPLES = ("mcr.microsoft.com:443", "udp/1194 AzureCloud.westeurope", "203.0.113.7:22")

# Service tags an operator is likely to type. The flag says the tag's ranges are Azure datacenter
# addresses, i.e. inside `AzureCloud` (and `AzureCloud.<region>` for its regional form), so a rule
# naming AzureCloud matches them; where that is not certain the flag is False and the explorer
# treats the overlap as unknown instead.
SERVICE_TAGS: dict[str, bool] = {
    "AzureCloud": True, "AzureMonitor": True, "Storage": True, "Sql": True, "EventHub": True,
    "ServiceBus": True, "AzureKeyVault": True, "AzureContainerRegistry": True,
    "MicrosoftContainerRegistry": True, "AzureCosmosDB": True, "AzureResourceManager": True,
    "AppService": True, "ApiManagement": True, "AzureBackup": True, "AzureSiteRecovery": True,
    "DataFactory": True, "AzureDatabricks": True, "AzureMachineLearning": True, "AzureEventGrid": True,
    "AzureSignalR": True, "AzureIoTHub": True, "BatchNodeManagement": True,
    "CognitiveServicesManagement": True, "AzureArcInfrastructure": True, "GuestAndHybridManagement": True,
    "AzureUpdateDelivery": False, "AzureActiveDirectory": False, "AzureFrontDoor.Frontend": False,
    "AzureFrontDoor.Backend": False, "AzureFrontDoor.FirstParty": False, "AzureTrafficManager": False,
    "AzureDevOps": False, "PowerBI": False, "WindowsVirtualDesktop": False, "GatewayManager": False,
    "ActionGroup": False, "AzurePortal": False, "Internet": False, "VirtualNetwork": False,
    "AzureLoadBalancer": False,
}
_TAGS = {name.lower(): name for name in SERVICE_TAGS}
_NOT_PUBLIC_TAGS = frozenset({"internet", "virtualnetwork", "azureloadbalancer"})

# Programmatic names of Azure regions (public, Government, China), for `Tag.<region>`.
_REGION_NAMES = """
australiacentral australiacentral2 australiaeast australiasoutheast austriaeast belgiumcentral
brazilsouth brazilsoutheast canadacentral canadaeast centralindia centralus centraluseuap
chilecentral denmarkeast eastasia eastus eastus2 eastus2euap francecentral francesouth germanynorth
germanywestcentral indonesiacentral israelcentral italynorth japaneast japanwest jioindiacentral
jioindiawest koreacentral koreasouth malaysiawest mexicocentral newzealandnorth northcentralus
northeurope norwayeast norwaywest polandcentral qatarcentral southafricanorth southafricawest
southcentralus southindia southeastasia spaincentral swedencentral swedensouth switzerlandnorth
switzerlandwest taiwannorth uaecentral uaenorth uksouth ukwest westcentralus westeurope westindia
westus westus2 westus3 usgovarizona usgovtexas usgovvirginia usdodcentral usdodeast chinaeast
chinaeast2 chinaeast3 chinanorth chinanorth2 chinanorth3
"""
REGIONS = frozenset(_REGION_NAMES.split())

API_SERVER_WORDS = frozenset({"api-server", "apiserver"})
_PROTOCOLS = ("tcp", "udp", "icmp")
_URL_PORTS = {"https": 443, "http": 80}
_SEPARATORS = re.compile(r"\s+|→|->|=>|⇒")
_LABEL = re.compile(r"[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?")


class QueryError(ValueError):
    """What the operator typed cannot be read; the message says how to fix it."""


# -- parsing -------------------------------------------------------------------------------------


@dataclass
class _Pieces:
    """The tokens of one query, sorted by what they say."""

    protocols: list[str] = field(default_factory=list)
    ports: list[str] = field(default_factory=list)
    implied_port: int | None = None  # from a URL scheme; an explicit port wins
    destinations: list[str] = field(default_factory=list)


def parse_destination(text: str, default_region: str = "", cluster: Cluster | None = None) -> Flow:
    """Read a query (grammar in the module docstring) into a Flow, or raise QueryError.

    `cluster` is the cluster picked as the source (it gives `api-server` its meaning);
    `default_region` stands in when that cluster's own region is not in the snapshot."""
    pieces = _Pieces()
    tokens = [t for t in _SEPARATORS.split(text.strip()) if t]
    tokens = [t for t in tokens if t.lower() != "to"] if len(tokens) > 1 else tokens
    for token in tokens:
        _read_token(token, pieces)
    if not pieces.destinations:
        raise QueryError(f"say where to, e.g. {', '.join(EXAMPLES[:-1])} or {EXAMPLES[-1]}")
    if len(pieces.destinations) > 1:
        first, second = pieces.destinations[:2]
        raise QueryError(f"one destination at a time: read both '{first}' and '{second}'")
    protocol = _one(pieces.protocols, "protocol") or "tcp"
    port = _port(pieces, protocol)
    destination = _destination(pieces.destinations[0], default_region, cluster)
    return Flow(protocol, port, destination)


def _read_token(token: str, pieces: _Pieces) -> None:
    lowered = token.lower()
    if lowered in _PROTOCOLS:
        pieces.protocols.append(lowered)
    elif match := re.fullmatch(r"([a-z]+)/(\S*)", lowered):
        _check_protocol(match[1])
        pieces.protocols.append(match[1])
        if match[2]:
            pieces.ports.append(match[2])
    elif match := re.fullmatch(r"(\d+)/([a-z]+)", lowered):
        _check_protocol(match[2])
        pieces.ports.append(match[1])
        pieces.protocols.append(match[2])
    elif re.fullmatch(r"[\d-]+", lowered):
        pieces.ports.append(lowered)
    elif match := re.fullmatch(r"([a-z][a-z0-9+.-]*)://([^/?#]+).*", token, re.IGNORECASE):
        _read_url(match[1].lower(), match[2], pieces)
    else:
        _read_destination_token(token, pieces)


def _check_protocol(name: str) -> None:
    if name not in _PROTOCOLS:
        raise QueryError(f"unknown protocol '{name}': use tcp/, udp/ or icmp")


def _read_url(scheme: str, authority: str, pieces: _Pieces) -> None:
    if scheme in _URL_PORTS:
        pieces.protocols.append("tcp")
        pieces.implied_port = _URL_PORTS[scheme]
    elif scheme in ("tcp", "udp"):
        pieces.protocols.append(scheme)
    else:
        raise QueryError(f"unknown scheme '{scheme}://': use https://, http://, or host:port")
    _read_destination_token(authority.rsplit("@", 1)[-1], pieces)


def _read_destination_token(token: str, pieces: _Pieces) -> None:
    """`host`, `host:port`, `host:port/udp`."""
    host = token
    if match := re.fullmatch(r"(.+)/(tcp|udp|icmp)", host, re.IGNORECASE):
        host = match[1]
        pieces.protocols.append(match[2].lower())
    if host.count(":") > 1 or host.startswith("["):
        raise QueryError(f"'{token}' looks like IPv6, which this explorer does not evaluate: "
                         "use an IPv4 address or a host name")
    if ":" in host:
        host, _, port = host.partition(":")
        if not port:
            raise QueryError(f"'{token}' has no port after the colon, e.g. {host}:443")
        pieces.ports.append(port)
    pieces.destinations.append(host)


def _one(values: list[str], what: str) -> str | None:
    distinct = list(dict.fromkeys(values))
    if len(distinct) > 1:
        raise QueryError(f"two {what}s given ({distinct[0]} and {distinct[1]}): type one")
    return distinct[0] if distinct else None


def _port(pieces: _Pieces, protocol: str) -> int:
    raw = _one([p.lstrip("0") or "0" for p in pieces.ports], "port")
    if protocol == "icmp":
        if raw is not None:
            raise QueryError(f"ICMP has no ports: drop '{raw}' (e.g. icmp 8.8.8.8)")
        return 0
    if raw is None:
        if pieces.implied_port is not None:
            return pieces.implied_port
        example = pieces.destinations[0] if pieces.destinations else "mcr.microsoft.com"
        raise QueryError(f"say which port, e.g. {example}:443 or {protocol}/443 {example}")
    if re.fullmatch(r"\d+-\d+", raw):
        raise QueryError(f"one port, not a range ({raw}): ask about each port you need")
    if not raw.isdigit():
        raise QueryError(f"'{raw}' is not a port number (1–65535)")
    if not 1 <= int(raw) <= 65535:
        raise QueryError(f"port {raw} is out of range: ports are 1–65535")
    return int(raw)


def _destination(token: str, default_region: str, cluster: Cluster | None) -> Destination:
    lowered = token.lower()
    if lowered in API_SERVER_WORDS:
        return _api_server(cluster, default_region)
    if re.fullmatch(r"[\d./-]+", token):
        return _ip_destination(token)
    if token.endswith("."):
        return _fqdn_destination(token, cluster, default_region)
    tag = _service_tag(token)
    if tag:
        return _tag_destination(tag)
    if "." in token:
        return _fqdn_destination(token, cluster, default_region)
    if re.fullmatch(r"[A-Za-z][A-Za-z0-9]*", token) and token != lowered:
        return _tag_destination(token)  # a service tag the bundled list does not know
    hint = difflib.get_close_matches(lowered, list(_TAGS), n=1)
    maybe = f" (did you mean {_TAGS[hint[0]]}?)" if hint else ""
    raise QueryError(f"'{token}' is not an IPv4 address, a service tag or a fully qualified host "
                     f"name such as mcr.microsoft.com{maybe}")


def _ip_destination(token: str) -> Destination:
    try:
        return Destination.for_ip(token)
    except ValueError:
        pass
    try:
        network = ipaddress.IPv4Network(token, strict=False)
    except ValueError:
        raise QueryError(f"'{token}' is not an IPv4 address") from None
    raise QueryError(f"ask about one address, not the network {network}: e.g. "
                     f"{network.network_address + (1 if network.num_addresses > 1 else 0)}:443")


def _service_tag(token: str) -> str | None:
    """The canonical spelling when `token` reads as a service tag (rule 3 of the grammar)."""
    lowered = token.lower()
    if lowered in _TAGS:
        return _TAGS[lowered]
    name, dot, suffix = token.partition(".")
    if not dot or "." in suffix or not name:
        return None
    if suffix.lower() in REGIONS:
        return f"{_TAGS.get(name.lower(), name)}.{suffix.lower()}"
    if name.lower() in _TAGS:
        hint = difflib.get_close_matches(suffix.lower(), sorted(REGIONS), n=1)
        maybe = f" (did you mean {_TAGS[name.lower()]}.{hint[0]}?)" if hint else ""
        raise QueryError(f"'{suffix}' is not an Azure region I know{maybe}. For a service tag write "
                         f"e.g. {_TAGS[name.lower()]}.westeurope; for a host name end it with a dot "
                         f"({token}.)")
    return None


def _tag_destination(tag: str) -> Destination:
    """An address inside the tag; a tag of Azure datacenter ranges is also inside AzureCloud."""
    destination = Destination.for_service_tag(tag)
    return replace(destination, service_tags=(destination.service_tags or frozenset()) | _implied(tag))


def _implied(tag: str) -> frozenset[str]:
    """The tags an address of `tag` certainly also belongs to (lower-case), itself included."""
    name, _, region = tag.lower().partition(".")
    found = {tag.lower(), name}
    if SERVICE_TAGS.get(_TAGS.get(name, ""), False):
        found.add("azurecloud")
        if region in REGIONS:
            found.add(f"azurecloud.{region}")
    return frozenset(found)


def _fqdn_destination(token: str, cluster: Cluster | None, default_region: str) -> Destination:
    name = token.lower().rstrip(".")
    if "*" in name:
        raise QueryError(f"'{token}' is a pattern: type one host name, e.g. "
                         f"{name.replace('*', 'myaccount', 1)}")
    labels = name.split(".")
    if len(labels) < 2 or len(name) > 253 or not all(_LABEL.fullmatch(label) for label in labels):
        raise QueryError(f"'{token}' is not a valid host name (labels of letters, digits and hyphens)")
    if cluster is not None and name in {cluster.api_fqdn.lower(), cluster.private_fqdn.lower()} - {""}:
        return _api_server(cluster, default_region)
    return Destination.for_fqdn(name)


def _api_server(cluster: Cluster | None, default_region: str) -> Destination:
    if cluster is None:
        raise QueryError("api-server means the API server of the cluster picked as the source: "
                         "pick a cluster, or type the API server's host name")
    if not cluster.has_properties:
        raise QueryError(f"cluster {cluster.name} was exported without its properties, so where its "
                         "API server is cannot be known")
    if cluster.private or cluster.vnet_integration:
        how = "is a private cluster" if cluster.private else "uses API server VNet integration"
        raise QueryError(f"{cluster.name} {how}: its nodes reach the API server inside the virtual "
                         "network, not through the firewall")
    region = cluster.region or default_region.replace(" ", "").lower()
    if not region:
        raise QueryError(f"the region of cluster {cluster.name} is unknown, so its API server's "
                         "service tag (AzureCloud.<region>) is too")
    return Destination.api_server(cluster.api_fqdn, region)


def describe_flow(flow: Flow) -> str:
    """`TCP/443 → mcr.microsoft.com`; ICMP without the meaningless port."""
    if flow.protocol == "icmp":
        return f"ICMP → {flow.destination.label}"
    return str(flow)


# -- sources -------------------------------------------------------------------------------------


class SourceKind(StrEnum):
    SUBNET = "subnet"
    CLUSTER = "cluster"


@dataclass(frozen=True)
class Source:
    """Something the operator can ask "from here?" about: one subnet, or a cluster's node subnets."""

    kind: SourceKind
    name: str
    id: str
    label: str
    region: str
    subnet_ids: tuple[str, ...]
    egress: tuple[SubnetEgress, ...]  # per subnet, as topology.subnet_egress sees it
    addresses: AddressSet
    cluster: Cluster | None = None
    managed_pools: tuple[str, ...] = ()  # node pools on the AKS-managed VNet (no subnet of ours)

    @property
    def firewalls(self) -> tuple[Firewall, ...]:
        """The firewalls its default routes go to (none when no subnet egresses via one)."""
        found = {e.firewall.key: e.firewall for e in self.egress if e.firewall}
        return tuple(found.values())

    @property
    def search_text(self) -> str:
        return f"{self.kind.value} {self.label}".lower()


def sources_for(topology: Topology, choice: str = "") -> list[Source]:
    """Every cluster, then every subnet of the snapshot (by VNet, then name).

    `choice` filters as the operator types: every word of it must appear in the source's kind
    (`subnet`, `cluster`) or label (name, CIDRs, VNet), case-insensitively; empty lists everything."""
    sources = [_cluster_source(topology, c) for c in sorted(topology.clusters, key=lambda c: c.name.lower())]
    subnets = sorted(topology.subnets.values(),
                     key=lambda s: (ids.name_of(s.vnet_id).lower(), s.name.lower()))
    sources += [_subnet_source(topology, s) for s in subnets]
    words = choice.lower().split()
    return [s for s in sources if all(w in s.search_text for w in words)]


def _ipv4(subnet: Subnet | None) -> AddressSet:
    if subnet is None:
        return AddressSet()
    return AddressSet.of_networks(p for p in subnet.prefixes if isinstance(p, ipaddress.IPv4Network))


def _subnet_label(topology: Topology, subnet_id: str) -> str:
    subnet = topology.subnet(subnet_id)
    if subnet is None:
        return f"{ids.name_of(subnet_id)} (not in the snapshot)"
    vnet = topology.vnet(subnet.vnet_id)
    vnet_name = vnet.name if vnet else ids.name_of(subnet.vnet_id)
    return f"{subnet.name} ({subnet.cidrs or 'no address prefix'}, {vnet_name})"


def _subnet_source(topology: Topology, subnet: Subnet) -> Source:
    vnet = topology.vnet(subnet.vnet_id)
    return Source(SourceKind.SUBNET, subnet.name, subnet.id, _subnet_label(topology, subnet.id),
                  vnet.region if vnet else "", (subnet.id,), (topology.subnet_egress(subnet.id),),
                  _ipv4(subnet))


def _cluster_source(topology: Topology, cluster: Cluster) -> Source:
    subnet_ids = tuple(topology.cluster_node_subnet_ids(cluster))
    managed = tuple(p.name for p in cluster.node_pools if not p.subnet_id)
    count = len(subnet_ids)
    label = f"{cluster.name} (cluster, {count} node subnet{'' if count == 1 else 's'})"
    addresses = AddressSet()
    for subnet_id in subnet_ids:
        addresses = addresses | _ipv4(topology.subnet(subnet_id))
    return Source(SourceKind.CLUSTER, cluster.name, cluster.id, label, cluster.region, subnet_ids,
                  tuple(topology.subnet_egress(s) for s in subnet_ids), addresses, cluster, managed)


# -- where the flow goes -------------------------------------------------------------------------


class Hop(StrEnum):
    FIREWALL = "firewall"  # an Azure Firewall in the snapshot decides
    INTERNET = "internet"  # leaves for the Internet without a firewall
    LOCAL = "local"  # stays in the VNet or its peers (system route)
    DROP = "drop"  # a route with next hop None
    ELSEWHERE = "elsewhere"  # another appliance or a VPN/ExpressRoute gateway decides
    UNKNOWN = "unknown"  # the snapshot lacks what decides it


@dataclass(frozen=True)
class Path:
    """Which route carries the flow from one subnet, and routes that might carry it instead."""

    hop: Hop
    text: str
    firewall: Firewall | None = None
    route: Route | None = None
    maybe: tuple[Path, ...] = ()
    default: bool = False  # the subnet's default route (user-defined or Azure's) carries it

    def same_way(self, other: Path) -> bool:
        """Both end in the same place (the same firewall, or the same kind of hop)."""
        mine = self.firewall.key if self.firewall else ""
        theirs = other.firewall.key if other.firewall else ""
        return self.hop is other.hop and mine == theirs


def _path(topology: Topology, egress: SubnetEgress, destination: Destination) -> Path:
    subnet, table = egress.subnet, egress.route_table
    if subnet is None or not subnet.has_properties:
        return Path(Hop.UNKNOWN, egress.reason, default=True)
    if subnet.route_table_id and (table is None or not table.has_properties):
        return Path(Hop.UNKNOWN, egress.reason, default=True)
    if destination.ip is not None:
        return _path_to_ip(topology, egress, destination)
    return _path_to_name(topology, egress, destination)


def _routes(egress: SubnetEgress) -> tuple[Route, ...]:
    return egress.route_table.routes if egress.route_table else ()


def _route_path(topology: Topology, table: RouteTable | None, route: Route) -> Path:
    """Where one user-defined route sends traffic."""
    hop, ip = route.next_hop_type.lower(), route.next_hop_ip
    where = f"route {route.name} ({route.prefix_text} → {route.next_hop_type} {ip}".rstrip() + ")"
    where += f" in {table.name}" if table else ""
    if hop == "virtualappliance":
        firewall = topology.firewall_by_private_ip(ip, topology.route_table_vnet(table) if table else "")
        if firewall is not None:
            return Path(Hop.FIREWALL, f"{where}: firewall {firewall.name}", firewall, route)
        vnet = topology.vnet_containing(ip)
        if vnet is not None:
            return Path(Hop.ELSEWHERE, f"{where}: {ip} lies in {vnet.name} but is no Azure Firewall, "
                        "so another appliance (or nothing) decides", route=route)
        return Path(Hop.UNKNOWN, f"{where}: {ip or '(no IP)'} lies outside every VNet in the snapshot, "
                    "so whether it is a firewall could not be seen", route=route)
    outcomes = {
        "internet": (Hop.INTERNET, "sends it straight to the Internet"),
        "none": (Hop.DROP, "drops it (next hop None)"),
        "virtualnetworkgateway": (Hop.ELSEWHERE, "sends it to the virtual network gateway (VPN or "
                                  "ExpressRoute): what happens there is outside the snapshot"),
        "vnetlocal": (Hop.ELSEWHERE, "keeps it inside the virtual network (next hop VnetLocal)"),
    }
    kind, what = outcomes.get(hop, (Hop.UNKNOWN, f"has next hop '{route.next_hop_type}', which "
                                                 "this explorer does not know"))
    return Path(kind, f"{where} {what}", route=route)


def _default_path(topology: Topology, egress: SubnetEgress) -> Path:
    if egress.default_route is not None:
        return replace(_route_path(topology, egress.route_table, egress.default_route), default=True)
    subnet = egress.subnet
    nat = f"; it leaves through NAT gateway {ids.name_of(subnet.nat_gateway_id)}" if (
        subnet and subnet.nat_gateway_id) else ""
    return Path(Hop.INTERNET, egress.reason + nat, default=True)


def _path_to_ip(topology: Topology, egress: SubnetEgress, destination: Destination) -> Path:
    ip = destination.ip
    assert ip is not None and egress.subnet is not None
    matching = [r for r in _routes(egress)
                if isinstance(r.prefix, ipaddress.IPv4Network) and ip in r.prefix]
    best = max(matching, key=lambda r: r.prefix.prefixlen if r.prefix else -1, default=None)
    best_length = best.prefix.prefixlen if best and best.prefix else -1
    local = _local_route(topology, egress.subnet, ip)
    # Longest prefix wins; on a tie a user-defined route beats the system route. A user-defined
    # 0.0.0.0/0 removes the system None routes for private ranges (Microsoft's routing example), so
    # they only apply below when no user-defined route matches at all.
    if local is not None and local[0] > best_length:
        return Path(Hop.LOCAL, local[1])
    unseen = _unseen_peers(topology, egress.subnet)
    if not destination.public and local is None and unseen and best_length < 32:
        return Path(Hop.UNKNOWN, f"{ip} is private and may lie in peered VNet(s) "
                    f"{', '.join(unseen)}, which the snapshot does not hold")
    maybe = tuple(p for p in _tag_route_paths(topology, egress, destination))
    if best is not None and best != egress.default_route:
        path = _route_path(topology, egress.route_table, best)
    elif best is None and not destination.public:
        path = Path(Hop.DROP, f"{ip} is private and outside the VNet and its peers: Azure's system "
                    "route drops it (next hop None)")
    else:
        path = _default_path(topology, egress)
    return replace(path, maybe=tuple(m for m in maybe if not m.same_way(path)))


def _local_route(topology: Topology, subnet: Subnet, ip: ipaddress.IPv4Address) -> tuple[int, str] | None:
    """The system route of the subnet's VNet or a connected peer that holds `ip`: (length, text)."""
    vnet = topology.vnet(subnet.vnet_id)
    if vnet is None:
        return None
    candidates = [(vnet, "its own VNet")]
    for peering in vnet.peerings:
        remote = topology.vnet(peering.remote_vnet_id)
        if remote is not None and peering.state.lower() in ("connected", ""):
            candidates.append((remote, f"peered VNet {remote.name}"))
    for owner, how in candidates:
        for space in owner.address_space:
            if isinstance(space, ipaddress.IPv4Network) and ip in space:
                return space.prefixlen, (f"{ip} is in {how} ({owner.name} {space}): the VNet's system "
                                         "route delivers it directly, without a firewall")
    return None


def _unseen_peers(topology: Topology, subnet: Subnet) -> list[str]:
    vnet = topology.vnet(subnet.vnet_id)
    peers = vnet.peerings if vnet else ()
    return [ids.name_of(p.remote_vnet_id) for p in peers if topology.vnet(p.remote_vnet_id) is None]


def _tag_route_paths(topology: Topology, egress: SubnetEgress, destination: Destination) -> Iterator[Path]:
    """Service-tag routes (`AzureMonitor → Internet`): whether an address is in a tag is unknown."""
    if not destination.public:
        return
    for route in _routes(egress):
        if route.prefix is None and route.prefix_text.strip():
            yield _route_path(topology, egress.route_table, route)


def _path_to_name(topology: Topology, egress: SubnetEgress, destination: Destination) -> Path:
    """A destination without an IP (host name, service tag, API server): public, address unknown."""
    default = _default_path(topology, egress)
    tags = destination.service_tags or frozenset()
    specific = [r for r in _routes(egress) if _may_hold_public(topology, r)]
    for route in specific:
        if route.prefix is None and route.prefix_text.strip().lower() in tags:
            return _route_path(topology, egress.route_table, route)  # a route for this very tag
    prefixes = [r for r in specific if isinstance(r.prefix, ipaddress.IPv4Network)]
    covered = AddressSet.of_networks(
        r.prefix for r in prefixes if isinstance(r.prefix, ipaddress.IPv4Network))
    paths = [_route_path(topology, egress.route_table, r) for r in specific]
    if prefixes and covered.covers(AddressSet.everything() - PRIVATE):
        ways = [_route_path(topology, egress.route_table, r) for r in prefixes]
        if all(w.same_way(ways[0]) for w in ways):  # e.g. 0.0.0.0/1 + 128.0.0.0/1 → Internet
            names = ", ".join(r.name for r in prefixes)
            return replace(ways[0], text=f"routes {names} cover every public address: {ways[0].text}")
    return replace(default, maybe=tuple(p for p in paths if not p.same_way(default)))


def _may_hold_public(topology: Topology, route: Route) -> bool:
    """A route other than the default that a public destination might take."""
    if route.prefix_text.strip() == "0.0.0.0/0":
        return False
    if route.prefix is None:
        return bool(route.prefix_text.strip())  # a service-tag route
    if not isinstance(route.prefix, ipaddress.IPv4Network):
        return False
    if PRIVATE.covers(AddressSet.of_networks([route.prefix])):
        return False
    # A firewall's own public IP (the documented DNAT return route): no service resolves to it.
    own = {pip.ip for fw in topology.firewalls for pip in topology.firewall_public_ips(fw)}
    return not (route.prefix.prefixlen == 32 and str(route.prefix.network_address) in own)


# -- answers -------------------------------------------------------------------------------------


class Result(StrEnum):
    """The explorer's conclusion for one subnet or a whole source."""

    ALLOW = "allow"  # a firewall allows it
    DENY = "deny"  # a firewall denies it, or a route drops it
    CANNOT_TELL = "cannot_tell"
    NO_FIREWALL = "no_firewall"  # never reaches a firewall: Azure routing lets it out (or keeps it in)


_WORDS = {Result.ALLOW: "Allowed", Result.DENY: "Denied", Result.CANNOT_TELL: "Cannot tell",
          Result.NO_FIREWALL: "Not through a firewall"}


@dataclass(frozen=True)
class SubnetAnswer:
    """What happens to the flow from one source subnet, and why."""

    subnet_id: str
    label: str
    addresses: AddressSet
    default_route: str  # "0.0.0.0/0 → 10.0.1.4, firewall fw-hub ..." or "not through a firewall: ..."
    path: Path
    via_default_route: bool
    result: Result
    reason: str
    verdict: Verdict | None = None
    notes: tuple[str, ...] = ()

    @property
    def firewall(self) -> Firewall | None:
        return self.path.firewall

    @property
    def deciding_rules(self) -> tuple[Rule, ...]:
        return self.verdict.deciding_rules if self.verdict else ()

    @property
    def lines(self) -> tuple[str, ...]:
        out = [self.label, f"  default route: {self.default_route}"]
        if not self.via_default_route and self.path.hop is Hop.FIREWALL:  # other reasons quote the path
            out.append(f"  this flow: {self.path.text}")
        out.append(f"  {_WORDS[self.result]}: {self.reason}")
        out += [f"  {line}" for line in _verdict_lines(self.verdict)]
        out += [f"  note: {note}" for note in self.notes]
        return tuple(out)


@dataclass(frozen=True)
class Answer:
    source: Source
    flow: Flow
    result: Result
    headline: str
    parts: tuple[SubnetAnswer, ...]
    notes: tuple[str, ...] = ()

    @property
    def lines(self) -> tuple[str, ...]:
        """Everything the screen shows, in order."""
        body = [line for part in self.parts for line in part.lines]
        return (self.headline, *body, *(f"note: {n}" for n in self.notes))

    def evidence(self) -> dict[str, Any]:
        return {
            "source": self.source.label, "flow": describe_flow(self.flow), "result": self.result.value,
            "headline": self.headline,
            "subnets": [{"subnet": p.label, "result": p.result.value, "reason": p.reason,
                         "default_route": p.default_route, "path": p.path.text,
                         **({"verdict": p.verdict.evidence()} if p.verdict else {})} for p in self.parts],
            "notes": list(self.notes),
        }


def explain(topology: Topology, source: Source, flow: Flow) -> Answer:
    """What happens to `flow` from every subnet of `source`, and the one-line conclusion."""
    parts = [_explain_subnet(topology, subnet_id, flow) for subnet_id in source.subnet_ids]
    if source.managed_pools:
        parts.append(_managed_part(source))
    if not parts:
        why = (f"cluster {source.name} was exported without its node pools" if source.cluster
               else f"{source.name} has no subnet")
        parts.append(SubnetAnswer(source.id, source.label, AddressSet(), f"unknown: {why}",
                                  Path(Hop.UNKNOWN, why), True, Result.CANNOT_TELL, why))
    result = _overall(parts)
    return Answer(source, flow, result, _headline(source, flow, result, parts), tuple(parts),
                  tuple(_query_notes(flow)))


def _explain_subnet(topology: Topology, subnet_id: str, flow: Flow) -> SubnetAnswer:
    egress = topology.subnet_egress(subnet_id)
    addresses = _ipv4(topology.subnet(subnet_id))
    path = _path(topology, egress, flow.destination)
    result, reason, verdict, notes = _decide(topology, path, flow, addresses)
    result, reason, more = _with_maybe_routes(topology, path, flow, addresses, result, reason)
    fresh = tuple(n for n in dict.fromkeys((*notes, *more)) if n not in reason)
    return SubnetAnswer(subnet_id, _subnet_label(topology, subnet_id), addresses, _default_route_text(egress),
                        path, path.default, result, reason, verdict, fresh)


def _default_route_text(egress: SubnetEgress) -> str:
    if egress.status is Egress.FIREWALL and egress.default_route and egress.firewall:
        route, table = egress.default_route, egress.route_table
        where = f"route {route.name} in {table.name}" if table else f"route {route.name}"
        return f"0.0.0.0/0 → {route.next_hop_ip}, firewall {egress.firewall.name} ({where})"
    if egress.status is Egress.NOT_FIREWALL:
        return f"not through a firewall: {egress.reason}"
    return f"unknown: {egress.reason}"


def _decide(topology: Topology, path: Path, flow: Flow,
            addresses: AddressSet) -> tuple[Result, str, Verdict | None, tuple[str, ...]]:
    if path.hop is Hop.FIREWALL and path.firewall is not None:
        if not addresses:
            return Result.CANNOT_TELL, "the subnet has no IPv4 prefix in the snapshot", None, ()
        verdict = evaluate_flow(topology, path.firewall, flow, addresses)
        result, reason = _firewall_result(path.firewall, verdict)
        doubt = _tag_overlap_doubt(topology, path.firewall, flow, addresses, verdict, reason)
        if doubt:
            return Result.CANNOT_TELL, doubt, verdict, verdict.notes
        return result, reason, verdict, verdict.notes
    if path.hop is Hop.INTERNET:
        by = "Azure's default route to the Internet" if path.route is None else "a route to the Internet"
        return (Result.NO_FIREWALL, f"leaves without the firewall, allowed by {by}; no firewall rule "
                f"is consulted ({path.text})", None, ())
    if path.hop is Hop.LOCAL:
        return Result.NO_FIREWALL, f"never reaches a firewall: {path.text}", None, ()
    if path.hop is Hop.DROP:
        return Result.DENY, f"dropped before any firewall: {path.text}", None, ()
    return Result.CANNOT_TELL, path.text, None, ()


def _firewall_result(firewall: Firewall, verdict: Verdict) -> tuple[Result, str]:
    if verdict.decision is Decision.ALLOW:
        names = ", ".join(r.label for r in verdict.deciding_rules)
        return Result.ALLOW, f"firewall {firewall.name} allows it by {names}"
    if verdict.decision is Decision.DENY:
        denied = [o for o in verdict.outcomes if o.action.value == "deny" and o.certain]
        rule = denied[0].rule if denied else None
        share = f" for {denied[0].sources}" if denied and len(verdict.outcomes) > 1 else ""
        if rule is None:
            return Result.DENY, (f"firewall {firewall.name} denies it{share}: no rule matches, and "
                                 "Azure Firewall denies what no rule allows")
        return Result.DENY, f"firewall {firewall.name} denies it{share} by {rule.label}"
    return Result.CANNOT_TELL, f"firewall {firewall.name}: {verdict.reason.removeprefix('cannot tell: ')}"


def _with_maybe_routes(topology: Topology, path: Path, flow: Flow, addresses: AddressSet,
                       result: Result, reason: str) -> tuple[Result, str, tuple[str, ...]]:
    """Routes that might carry the flow instead (the address behind a name or tag is unknown)."""
    notes: list[str] = []
    for other in path.maybe:
        other_result, other_reason, _, _ = _decide(topology, other, flow, addresses)
        brief = f"route {other.route.name} ({other.route.prefix_text})" if other.route else other.text
        notes.append(f"if {flow.destination.label} falls under {brief}, that route carries it: "
                     f"{other_reason}")
        allowed = {Result.ALLOW, Result.NO_FIREWALL}
        if other_result is Result.CANNOT_TELL or (other_result in allowed) != (result in allowed):
            result = Result.CANNOT_TELL
            reason = f"it depends on which route carries it; by the usual route: {reason}"
    return result, reason, tuple(notes)


def _tag_overlap_doubt(topology: Topology, firewall: Firewall, flow: Flow, addresses: AddressSet,
                       verdict: Verdict, reason: str) -> str:
    """A service tag is many addresses: if rules name other tags that may share some of them and
    the answer differs for those, the answer depends on the address (the evaluator assumes a tag
    destination belongs to its own tags only)."""
    destination = flow.destination
    if destination.service_tags is None or destination.fqdn or destination.ip is not None:
        return ""
    for tag in _overlapping_tags(topology, firewall, flow, destination.service_tags):
        variant = replace(destination, service_tags=destination.service_tags | _implied(tag))
        other = evaluate_flow(topology, firewall, replace(flow, destination=variant), addresses)
        if other.decision is not verdict.decision:
            return (f"{destination.label} is a range of addresses and the answer depends on which one: "
                    f"if it is also in {tag}, {_firewall_result(firewall, other)[1]}; if not, {reason}")
    return ""


def _overlapping_tags(topology: Topology, firewall: Firewall, flow: Flow,
                      tags: frozenset[str]) -> Iterable[str]:
    """Tags named by network rules for this protocol and port that may share addresses with `tags`
    (as written in the rule); a tag of another region cannot."""
    regions = {t.split(".", 1)[1] for t in tags if "." in t and t.split(".", 1)[1] in REGIONS}
    seen: set[str] = set()
    for rule in ruleset_for(topology, firewall).rules:
        if rule.kind is not Kind.NETWORK or rule.gap or not (rule.protocols & {flow.protocol, "any"}):
            continue
        if flow.protocol != "icmp" and flow.port not in rule.ports:
            continue
        for tag in rule.destination_tags:
            lowered = tag.lower()
            region = lowered.split(".", 1)[1] if "." in lowered else ""
            disjoint = region in REGIONS and bool(regions) and region not in regions
            if lowered in tags or lowered in _NOT_PUBLIC_TAGS or disjoint or lowered in seen:
                continue
            seen.add(lowered)
            yield tag


def _verdict_lines(verdict: Verdict | None) -> list[str]:
    if verdict is None:
        return []
    lines: list[str] = []
    several = len(verdict.outcomes) > 1
    for outcome in verdict.outcomes:
        where = f"{outcome.sources}: " if several else ""
        lines.append(f"rule: {where}{rule_text(outcome.rule) if outcome.rule else _default_deny()}")
        lines += [f"might match first: {rule_text(r)}" for r in outcome.uncertain]
    return list(dict.fromkeys(lines))  # an unreadable group is one gap per rule kind, shown once


def _default_deny() -> str:
    return "none matched: Azure Firewall denies by default"


def rule_text(rule: Rule) -> str:
    """`policy › group › collection › rule (application rule, allow; group … priority …; collection …)`."""
    if rule.gap:
        return f"unreadable rules: {rule.gap}"
    kind = {Kind.DNAT: "DNAT", Kind.NETWORK: "network", Kind.APPLICATION: "application"}[rule.kind]
    where = [f"group {rule.group} priority {rule.group_priority}"] if rule.group else []
    where.append(f"collection {rule.collection} priority {rule.collection_priority}")
    return f"{rule.label} ({kind} rule, {rule.action.value}; {'; '.join(where)})"


def _managed_part(source: Source) -> SubnetAnswer:
    pools = ", ".join(source.managed_pools)
    why = (f"node pool(s) {pools} run in the AKS-managed VNet, which has no route to a firewall: their "
           "traffic leaves through AKS's own load balancer or NAT gateway")
    return SubnetAnswer(source.id, f"node pool(s) {pools} (AKS-managed VNet)", AddressSet(),
                        "not through a firewall: AKS-managed VNet", Path(Hop.INTERNET, why), True,
                        Result.NO_FIREWALL, f"leaves without the firewall: {why}")


def _overall(parts: list[SubnetAnswer]) -> Result:
    """One denied subnet means not every source address gets out; doubt beats allow."""
    results = {p.result for p in parts}
    for result in (Result.DENY, Result.CANNOT_TELL, Result.NO_FIREWALL):
        if result in results:
            return result
    return Result.ALLOW


def _headline(source: Source, flow: Flow, result: Result, parts: list[SubnetAnswer]) -> str:
    what = f"{describe_flow(flow)} from {source.name}"
    if len(parts) == 1:
        return f"{_WORDS[result]}: {what}: {parts[0].reason}"
    by_result = [f"{_WORDS[r].lower()} from {', '.join(p.label for p in parts if p.result is r)}"
                 for r in Result if any(p.result is r for p in parts)]
    return f"{_WORDS[result]}: {what}: {'; '.join(by_result)}"


def _query_notes(flow: Flow) -> Iterator[str]:
    destination = flow.destination
    if destination.service_tags is None or destination.fqdn or destination.ip is not None:
        return
    name = destination.label.split(".", 1)[0]
    if name.lower() not in _TAGS and destination.label.lower() not in _TAGS:
        hint = difflib.get_close_matches(name.lower(), list(_TAGS), n=1)
        maybe = f" (did you mean {_TAGS[hint[0]]}?)" if hint else ""
        yield (f"{destination.label} is not in the bundled list of service tags: check its spelling"
               f"{maybe}; a misspelt tag matches no rule")
