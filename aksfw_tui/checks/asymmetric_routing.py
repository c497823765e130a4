"""asymmetric-routing: a public load balancer on a cluster whose node subnets default-route to the
firewall has a working return path.

A Standard Load Balancer does not proxy: requests reach the nodes with the client's address, and
the replies follow the node subnet's routes. With 0.0.0.0/0 → firewall, replies to an internet
client go to the firewall, which never saw the request and drops them. Microsoft's fix
("Integrate Azure Firewall with Azure Standard Load Balancer") is to bring the traffic in through
the firewall: a DNAT rule from a firewall public IP to the load balancer's public IP, plus a host
route `<firewall public IP>/32 → Internet` on the node subnets, so replies (addressed to the
firewall's public IP) leave by the internet side. A /32 route for the load balancer's own frontend
IP does not help: replies are addressed to the client, not to the frontend. The simpler design is
an internal load balancer behind a DNAT rule or an App Gateway.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

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
from aksfw_tui.firewall.rules import Kind, ruleset_for
from aksfw_tui.model import ids
from aksfw_tui.model.ingress import Entry, cluster_ingress
from aksfw_tui.model.resources import Cluster, Firewall, RouteTable, network, props, text
from aksfw_tui.model.topology import Egress, SubnetEgress, Topology


def evaluate(topology: Topology, cluster: Cluster) -> Result:
    if not cluster.has_properties:
        return unknown(f"cluster {cluster.name} was exported without its properties")
    ingress = cluster_ingress(topology, cluster)
    entries = ingress.load_balancer_entries
    evidence: dict[str, Any] = {"public_lb_entries": [e.evidence() for e in entries],
                                "unseen": list(ingress.load_balancer_gaps)}
    if not entries:
        if ingress.load_balancer_gaps:
            return unknown("cannot list the cluster's public load balancers: "
                           + "; ".join(ingress.load_balancer_gaps), **evidence)
        return not_applicable(f"{cluster.name} has no public load balancer frontend with "
                              "inbound rules", **evidence)
    egress = topology.cluster_egress(cluster)
    routed = [s for s in egress.subnets if s.status is Egress.FIREWALL]
    undecided = [s.reason for s in egress.subnets if s.status is Egress.UNKNOWN]
    if not routed:
        if undecided or egress.status is Egress.UNKNOWN:
            return unknown(f"cannot tell where the node subnets' default route goes: "
                           f"{'; '.join(undecided) or egress.reason}", **evidence)
        return not_applicable(f"no node subnet of {cluster.name} default-routes to a firewall, so "
                              "replies leave the way requests came (see outbound-type)", **evidence)
    problems: list[_Problem] = []
    doubts, paths = [], []
    for entry in entries:
        for subnet in routed:
            path = _return_path(topology, entry, subnet)
            if path.verdict == "ok":
                paths.append(path.text)
            elif path.verdict == "fail":
                problems.append(_Problem(entry, subnet, path))
            else:
                doubts.append(path.text)
    evidence["return_paths"] = paths
    if problems:
        return failed("; ".join(p.path.text for p in problems),
                      _remediation(topology, cluster, problems), **evidence)
    if doubts or undecided:
        return unknown("; ".join([*doubts, *undecided]), **evidence)
    return passed("every public load balancer entry is published through the firewall with a "
                  "return route: " + "; ".join(paths), **evidence)


def _firewall_ips(topology: Topology, firewall: Firewall) -> set[str]:
    return {pip.ip for pip in topology.firewall_public_ips(firewall) if pip.ip}


class _Path(NamedTuple):
    """The return path of one LB entry from one firewall-routed subnet."""

    verdict: str  # ok | fail | unknown
    text: str
    dnat: bool = False  # a DNAT rule on the firewall publishes the entry
    missing: tuple[str, ...] = ()  # its DNAT public IPs that have no /32 → Internet route


class _Problem(NamedTuple):
    entry: Entry
    subnet: SubnetEgress
    path: _Path


def _return_path(topology: Topology, entry: Entry, subnet: SubnetEgress) -> _Path:
    """The verdict and its explanation for one LB entry and one firewall-routed subnet."""
    firewall, table = subnet.firewall, subnet.route_table
    assert firewall is not None and table is not None  # Egress.FIREWALL guarantees both
    lb_name = _lb_name(entry)
    subnet_name = subnet.subnet.name if subnet.subnet else subnet.subnet_id
    host_routes = {
        str(prefix.network_address): route.name for route in table.routes
        if route.next_hop_type.lower() == "internet" and (prefix := network(route.prefix_text))
        and prefix.prefixlen == prefix.max_prefixlen
    }
    ruleset = ruleset_for(topology, firewall)
    dnat_ips = [d for rule in ruleset.rules if rule.kind is Kind.DNAT and not rule.gap
                and entry.public_ip and rule.translated == entry.public_ip
                for d in rule.destinations]
    missing = tuple(dict.fromkeys(ip for ip in dnat_ips if ip not in host_routes))
    if dnat_ips and not missing:
        routes = ", ".join(f"{host_routes[ip]} ({ip}/32 → Internet)" for ip in dnat_ips)
        return _Path("ok", f"{lb_name} ({entry.public_ip}) is published by a DNAT rule on "
                           f"{firewall.name} and {table.name} returns replies by {routes}", True)
    broken = (f"public load balancer frontend {lb_name} ({entry.public_ip or '?'}) receives "
              f"requests from the internet, but node subnet {subnet_name} sends the replies by "
              f"0.0.0.0/0 to {firewall.name}, which drops them (asymmetric routing)")
    if dnat_ips:
        return _Path("fail", f"{broken}; the DNAT rule on {firewall.name} publishes it on "
                             f"{', '.join(missing)} but {table.name} has no /32 route to Internet "
                             "for it", True, missing)
    own_routes = [ip for ip in _firewall_ips(topology, firewall) if ip in host_routes]
    if own_routes and not entry.public_ip:
        return _Path("unknown", f"the public IP of {lb_name} is not in the snapshot, so whether a "
                                f"DNAT rule on {firewall.name} publishes it cannot be seen")
    if own_routes and not ruleset.complete:
        return _Path("unknown", f"{table.name} has a return route for {', '.join(own_routes)} of "
                                f"{firewall.name}, but its DNAT rules could not all be read to see "
                                f"whether they publish {lb_name}")
    return _Path("fail", broken)


def _lb_name(entry: Entry) -> str:
    return entry.path[1] if len(entry.path) > 1 else entry.resource_id


# -- remediation ---------------------------------------------------------------------------------


@dataclass
class _Fix:
    """The remediation being assembled."""

    steps: list[str] = field(default_factory=list)
    az: list[str] = field(default_factory=list)
    bicep: list[str] = field(default_factory=list)
    terraform: list[str] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)


@dataclass(frozen=True)
class _Dnat:
    """The DNAT rule the fix adds: firewall public IP:port → the load balancer's public IP."""

    firewall: Firewall
    fw_ip: str
    protocol: str
    port: int
    lb_ip: str
    collection: str
    rule: str

    def policy_json(self, priority: int) -> dict[str, Any]:
        return {"ruleCollectionType": "FirewallPolicyNatRuleCollection", "name": self.collection,
                "priority": priority, "action": {"type": "DNAT"}, "rules": [self.policy_rule()]}

    def policy_rule(self) -> dict[str, Any]:
        return {"ruleType": "NatRule", "name": self.rule, "ipProtocols": [self.protocol.upper()],
                "sourceAddresses": ["*"], "sourceIpGroups": [], "destinationAddresses": [self.fw_ip],
                "destinationPorts": [str(self.port)], "translatedAddress": self.lb_ip,
                "translatedPort": str(self.port)}

    def classic_rule(self) -> dict[str, Any]:
        return {"name": self.rule, "protocols": [self.protocol.upper()], "sourceAddresses": ["*"],
                "destinationAddresses": [self.fw_ip], "destinationPorts": [str(self.port)],
                "translatedAddress": self.lb_ip, "translatedPort": str(self.port)}

    def az_flags(self) -> str:
        return (f"--source-addresses '*' --destination-addresses {self.fw_ip} --destination-ports "
                f"{self.port} --translated-address {self.lb_ip} --translated-port {self.port}")


def _remediation(topology: Topology, cluster: Cluster, problems: list[_Problem]) -> Remediation:
    fix = _Fix()
    unpublished = [p for p in problems if not p.path.dnat]
    dnat = _new_dnat(topology, cluster, unpublished[0]) if unpublished else None
    routes: dict[tuple[str, str], RouteTable] = {}
    for problem in problems:
        table = problem.subnet.route_table
        assert table is not None  # Egress.FIREWALL guarantees it
        if problem.path.dnat:
            ips: tuple[str, ...] = problem.path.missing
        elif dnat and problem.subnet.firewall and problem.subnet.firewall.key == dnat.firewall.key:
            ips = (dnat.fw_ip,)
        else:
            ips = ()
        for ip in ips:
            routes.setdefault((table.key, ip), table)
    if dnat:
        fix.steps.append(
            f"Preferred: make the service internal (annotation service.beta.kubernetes.io/"
            f"azure-load-balancer-internal: \"true\") and publish its private IP through a DNAT "
            f"rule on {dnat.firewall.name} or an App Gateway WAF_v2 (see waf-in-front).")
        fix.steps.append(
            f"Or keep the public load balancer and bring its traffic through the firewall: a DNAT "
            f"rule from {dnat.fw_ip}:{dnat.port} to {dnat.lb_ip}:{dnat.port}, and a route "
            f"{dnat.fw_ip}/32 → Internet on the node subnets' route tables so replies to the "
            "firewall's public IP do not loop into its private side.")
    for (_, ip), table in routes.items():
        _route_fix(table, ip, fix)
    if dnat and dnat.fw_ip.startswith("<"):
        fix.steps.append(
            f"{dnat.firewall.name} has no public IP free for port {dnat.port} in the snapshot "
            f"(none seen, or each already DNATs that port): add a public IP to it and use that "
            f"address for {dnat.fw_ip}.")
    if dnat:
        _dnat_fix(topology, dnat, fix)
        fix.steps.append(
            f"Tell clients to use {dnat.fw_ip} (update DNS); restrict the service to the firewall "
            f"with loadBalancerSourceRanges: [\"{dnat.fw_ip}/32\"] so the direct path is closed.")
    others = sorted({f"{_lb_name(p.entry)} ({p.entry.public_ip or '?'})" for p in unpublished[1:]
                     if p.entry != unpublished[0].entry})
    if others:
        fix.steps.append("Do the same for the other affected frontends, each on a firewall public "
                         f"IP or port of its own: {', '.join(others)}.")
    return Remediation(
        summary=_summary(cluster, dnat, routes),
        steps=tuple(dict.fromkeys(fix.steps)), az_cli=tuple(dict.fromkeys(fix.az)),
        bicep="\n".join(fix.bicep), terraform="\n".join(fix.terraform), changes=tuple(fix.changes),
    )


def _summary(cluster: Cluster, dnat: _Dnat | None, routes: dict[tuple[str, str], RouteTable]) -> str:
    targets = ", ".join(f"{ip}/32 → Internet in {table.name}" for (_, ip), table in routes.items())
    if dnat is None:
        return (f"Add the return route(s) {targets} so replies to the firewall's DNAT address of "
                f"{cluster.name}'s load balancer leave by the internet side")
    return (f"Publish {cluster.name}'s public load balancer through {dnat.firewall.name} (DNAT "
            f"{dnat.fw_ip}:{dnat.port} → {dnat.lb_ip}:{dnat.port}) and route replies to "
            f"{dnat.fw_ip}/32 via the Internet")


def _new_dnat(topology: Topology, cluster: Cluster, problem: _Problem) -> _Dnat:
    firewall = problem.subnet.firewall
    assert firewall is not None
    protocol, port = problem.entry.ports[0] if problem.entry.ports else ("Tcp", 443)
    return _Dnat(firewall, _free_ip(topology, firewall, port), protocol, port,
                 problem.entry.public_ip or "<load-balancer-public-ip>",
                 f"dnat-{cluster.name}", f"dnat-{cluster.name}-{port}")


def _free_ip(topology: Topology, firewall: Firewall, port: int) -> str:
    """A firewall public IP whose `port` no DNAT rule uses yet: one IP:port publishes one thing."""
    ips = sorted(_firewall_ips(topology, firewall))
    if not ips:
        return "<firewall-public-ip>"
    used = {d for rule in ruleset_for(topology, firewall).rules
            if rule.kind is Kind.DNAT and not rule.gap and port in rule.ports for d in rule.destinations}
    return next((ip for ip in ips if ip not in used), "<unused-firewall-public-ip>")


def _route_fix(table: RouteTable, ip: str, fix: _Fix) -> None:
    """The host route ip/32 → Internet: a route for that prefix is repointed (Azure refuses two
    routes with one prefix), else a new one is appended."""
    hop = {"addressPrefix": f"{ip}/32", "nextHopType": "Internet"}
    raw_routes = props(table.raw).get("routes")
    indexed = list(enumerate(raw_routes)) if isinstance(raw_routes, list) else []
    target = network(f"{ip}/32")  # None for a placeholder: then nothing can match
    same = next(((i, r) for i, r in indexed if target is not None and isinstance(r, Mapping)
                 and network(text(props(r).get("addressPrefix"))) == target), None)
    rg = table.resource_group
    if same is not None and text(props(same[1]).get("nextHopType")).lower() == "internet":
        return  # the return route is already there (the DNAT is what is missing)
    if same is not None:
        index, route = same
        name = text(route.get("name"))
        # delete and create: an update cannot reliably drop the old next-hop IP address
        fix.az.append(f"az network route-table route delete --resource-group {rg} --route-table-name "
                      f"{table.name} --name {name}")
        fix.az.append(f"az network route-table route create --resource-group {rg} --route-table-name "
                      f"{table.name} --name {name} --address-prefix {ip}/32 --next-hop-type Internet")
        fix.changes.append(Change(table.id, "replace", f"/properties/routes/{index}/properties", hop,
                                  dict(props(route))))
    else:
        names = {r.get("name") for _, r in indexed if isinstance(r, Mapping)}
        name = f"fw-return-{ip.replace('.', '-')}"
        name = name if name not in names else f"{name}-32"
        fix.az.append(f"az network route-table route create --resource-group {rg} --route-table-name "
                      f"{table.name} --name {name} --address-prefix {ip}/32 --next-hop-type Internet")
        fix.changes.append(Change(table.id, "add", "/properties/routes/-",
                                  {"name": name, "properties": hop}))
    fix.steps.append(f"Route {ip}/32 → Internet in {table.name} ({name}): replies to the "
                     "firewall's public IP then leave by the internet side, not into its private side.")
    api = "Microsoft.Network/routeTables/routes@2024-05-01"
    fix.bicep.append(f"""resource route_{name.replace('-', '_')} '{api}' = {{
  name: '{table.name}/{name}'
  properties: {{
    addressPrefix: '{ip}/32'
    nextHopType: 'Internet'
  }}
}}
""")
    fix.terraform.append(f"""resource "azurerm_route" "{name.replace('-', '_')}" {{
  name                = "{name}"
  resource_group_name = "{rg}"
  route_table_name    = "{table.name}"
  address_prefix      = "{ip}/32"
  next_hop_type       = "Internet"
}}
""")


def _dnat_fix(topology: Topology, dnat: _Dnat, fix: _Fix) -> None:
    firewall = dnat.firewall
    fix.az.append("az extension add --upgrade --name azure-firewall")
    if firewall.policy_id:
        _policy_dnat(topology, dnat, fix)
    else:
        _classic_dnat(dnat, fix)


def _policy_dnat(topology: Topology, dnat: _Dnat, fix: _Fix) -> None:
    """Into the firewall policy's group that already holds DNAT collections, else a new group."""
    firewall = dnat.firewall
    policy = topology.policy(firewall.policy_id)
    policy_name = policy.name if policy else ids.name_of(firewall.policy_id)
    policy_rg = policy.resource_group if policy else firewall.resource_group
    groups = [g for g in (topology.rule_collection_group(i) for i in
                          (policy.rule_collection_group_ids if policy else ())) if g is not None]
    group = next((g for g in groups if any("nat" in text(c.get("ruleCollectionType")).lower()
                                           for c in g.rule_collections)), None)
    scope = f"--resource-group {policy_rg} --policy-name {policy_name}"
    if group is None:
        name = f"rcg-dnat-{dnat.collection.removeprefix('dnat-')}"
        group_priority = _free_priority({g.priority for g in groups if g.priority is not None})
        fix.az.append(f"az network firewall policy rule-collection-group create {scope} --name {name} "
                      f"--priority {group_priority}")
        where = f"a new rule collection group {name} (priority {group_priority}) of {policy_name}"
    else:
        name, where = group.name, f"rule collection group {group.name} of {policy_name}"
    collections = props(group.raw).get("ruleCollections") if group else None
    existing = _collection_index(collections, dnat.collection)
    priority = _free_priority({c["priority"] for c in (group.rule_collections if group else ())
                               if isinstance(c.get("priority"), int)})
    if existing is None:
        fix.az.append(f"az network firewall policy rule-collection-group collection add-nat-collection "
                      f"{scope} --rule-collection-group-name {name} --name {dnat.collection} "
                      f"--collection-priority {priority} --action DNAT --rule-name {dnat.rule} "
                      f"--ip-protocols {dnat.protocol.upper()} {dnat.az_flags()}")
        if group is not None:
            fix.changes.append(Change(group.id, "add", "/properties/ruleCollections/-",
                                      dnat.policy_json(priority)))
    else:
        fix.az.append(f"az network firewall policy rule-collection-group collection rule add {scope} "
                      f"--rule-collection-group-name {name} --collection-name {dnat.collection} "
                      f"--rule-type NatRule --name {dnat.rule} --ip-protocols {dnat.protocol.upper()} "
                      f"{dnat.az_flags()}")
        if group is not None:
            fix.changes.append(Change(group.id, "add", f"/properties/ruleCollections/{existing}/rules/-",
                                      dnat.policy_rule()))
    fix.steps.append(f"Add the DNAT collection {dnat.collection} to {where}.")
    _dnat_snippets(dnat, priority, f"rule collection group {name} of {policy_name}", fix)


def _classic_dnat(dnat: _Dnat, fix: _Fix) -> None:
    """A classic firewall: the rule joins the NAT collection of that name, or a new one."""
    firewall = dnat.firewall
    collections = props(firewall.raw).get("natRuleCollections")
    existing = _collection_index(collections, dnat.collection)
    used = {props(c).get("priority") for c in (collections if isinstance(collections, list) else [])
            if isinstance(c, Mapping)}
    priority = _free_priority({p for p in used if isinstance(p, int)})
    fix.az.append(f"az network firewall nat-rule create --resource-group {firewall.resource_group} "
                  f"--firewall-name {firewall.name} --collection-name {dnat.collection} "
                  + (f"--priority {priority} --action Dnat " if existing is None else "")
                  + f"--name {dnat.rule} --protocols {dnat.protocol.upper()} {dnat.az_flags()}")
    if existing is None:
        fix.changes.append(Change(firewall.id, "add", "/properties/natRuleCollections/-", {
            "name": dnat.collection, "properties": {
                "priority": priority, "action": {"type": "Dnat"}, "rules": [dnat.classic_rule()]}}))
    else:
        fix.changes.append(Change(firewall.id, "add",
                                  f"/properties/natRuleCollections/{existing}/properties/rules/-",
                                  dnat.classic_rule()))
    fix.steps.append(f"Add the DNAT rule {dnat.rule} to the NAT collection {dnat.collection} of "
                     f"{firewall.name}.")
    _classic_snippets(dnat, priority, fix)


def _collection_index(collections: Any, name: str) -> int | None:
    """The index of the collection called `name` in a raw collections list (JSON Pointer counts
    every element)."""
    for index, collection in enumerate(collections if isinstance(collections, list) else []):
        if isinstance(collection, Mapping) and collection.get("name") == name:
            return index
    return None


def _free_priority(used: set[int]) -> int:
    """The lowest multiple of 100 no sibling uses (priorities must be unique among siblings)."""
    priority = 100
    while priority in used and priority < 65000:
        priority += 100
    return priority


def _dnat_snippets(dnat: _Dnat, priority: int, where: str, fix: _Fix) -> None:
    proto = dnat.protocol.upper()
    fix.bicep.append(f"""// In {where}, a NAT rule collection:
//   {{ ruleCollectionType: 'FirewallPolicyNatRuleCollection', name: '{dnat.collection}',
//     priority: {priority}, action: {{ type: 'DNAT' }}, rules: [ {{ ruleType: 'NatRule',
//     name: '{dnat.rule}', ipProtocols: [ '{proto}' ], sourceAddresses: [ '*' ],
//     destinationAddresses: [ '{dnat.fw_ip}' ], destinationPorts: [ '{dnat.port}' ],
//     translatedAddress: '{dnat.lb_ip}', translatedPort: '{dnat.port}' }} ] }}
""")
    fix.terraform.append(f"""# In {where}:
#   nat_rule_collection {{
#     name     = "{dnat.collection}"
#     priority = {priority}
#     action   = "Dnat"
#     rule {{
#       name                = "{dnat.rule}"
#       protocols           = ["{proto}"]
#       source_addresses    = ["*"]
#       destination_address = "{dnat.fw_ip}"
#       destination_ports   = ["{dnat.port}"]
#       translated_address  = "{dnat.lb_ip}"
#       translated_port     = "{dnat.port}"
#     }}
#   }}
""")


def _classic_snippets(dnat: _Dnat, priority: int, fix: _Fix) -> None:
    firewall, proto, tf_name = dnat.firewall, dnat.protocol.upper(), dnat.collection.replace("-", "_")
    fix.bicep.append(f"""// In azureFirewalls '{firewall.name}', properties.natRuleCollections:
//   {{ name: '{dnat.collection}', properties: {{ priority: {priority}, action: {{ type: 'Dnat' }},
//     rules: [ {{ name: '{dnat.rule}', protocols: [ '{proto}' ], sourceAddresses: [ '*' ],
//     destinationAddresses: [ '{dnat.fw_ip}' ], destinationPorts: [ '{dnat.port}' ],
//     translatedAddress: '{dnat.lb_ip}', translatedPort: '{dnat.port}' }} ] }} }}
""")
    fix.terraform.append(f"""resource "azurerm_firewall_nat_rule_collection" "{tf_name}" {{
  name                = "{dnat.collection}"
  azure_firewall_name = "{firewall.name}"
  resource_group_name = "{firewall.resource_group}"
  priority            = {priority}
  action              = "Dnat"

  rule {{
    name                  = "{dnat.rule}"
    protocols             = ["{proto}"]
    source_addresses      = ["*"]
    destination_addresses = ["{dnat.fw_ip}"]
    destination_ports     = ["{dnat.port}"]
    translated_address    = "{dnat.lb_ip}"
    translated_port       = "{dnat.port}"
  }}
}}
""")


CHECK = Check(
    id="asymmetric-routing",
    title="Public load balancers on firewall-routed clusters are published through the firewall",
    subjects=(Subject.CLUSTER,),
    severity=Severity.HIGH,
    passes_when=(
        "every public load balancer frontend with inbound rules, on a cluster whose node subnets "
        "default-route to Azure Firewall, is published by a DNAT rule on that firewall, and every "
        "such node subnet's route table sends the DNAT public IP (/32) to the Internet."
    ),
    rationale=(
        "Azure Firewall is stateful. When requests arrive on a load balancer's public IP but the "
        "node subnet's default route sends the replies to the firewall, the firewall drops them "
        "as packets of a session it never saw: the service looks up but every connection hangs. "
        "Microsoft's fix is to enter through the firewall (DNAT) with a host route for the "
        "firewall's public IP, or to use an internal load balancer."
    ),
    references=(
        "https://learn.microsoft.com/azure/firewall/integrate-lb",
        "https://learn.microsoft.com/azure/aks/limit-egress-traffic",
    ),
    evaluate=evaluate,
)
