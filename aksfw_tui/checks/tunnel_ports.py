"""tunnel-ports: the firewall lets every node subnet reach the cluster's API server on UDP 1194 and
TCP 9000 (the node ↔ control-plane tunnel of Microsoft's AKS + Azure Firewall guidance).

The API server of a public cluster has no IP in the snapshot; it is evaluated as a symbolic
destination in `AzureCloud.<region>` that answers to its own FQDN (DESIGN §5). Clusters whose tunnel
runs over konnectivity (TCP 443 to `*.hcp.<region>.azmk8s.io`, part of the `AzureKubernetesService`
FQDN tag) keep working without the two ports, so when only the ports are missing the failure is
`low`; when the konnectivity path is closed as well, `high`.

The second half of this module is shared with required-egress (the other check that asks the
evaluator about a cluster's own egress): which clusters egress through a firewall, the node
subnets as flow sources, how several candidate verdicts combine, and the rule remediation (new
Allow collections placed before whatever denies the flow, rendered as az CLI, Bicep and Terraform,
and as a plan: appends to the existing rule collection group or classic firewall).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from itertools import chain
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
from aksfw_tui.firewall.addresses import AddressSet
from aksfw_tui.firewall.evaluator import Decision, Destination, Flow, Verdict, evaluate_flow
from aksfw_tui.firewall.rules import Action, Kind, Rule
from aksfw_tui.model import ids
from aksfw_tui.model.resources import Cluster, Firewall, FirewallPolicy, items, props
from aksfw_tui.model.topology import ClusterEgress, Egress, SubnetEgress, Topology

TUNNEL_FLOWS = (("udp", 1194, "tunnel-udp"), ("tcp", 9000, "tunnel-tcp"))


def evaluate(topology: Topology, cluster: Cluster) -> Result:
    if not cluster.has_properties:
        return unknown(f"cluster {cluster.name} was exported without its properties")
    if cluster.private or cluster.vnet_integration:
        kind = "a private cluster" if cluster.private else "an API Server VNet Integration cluster"
        return not_applicable(f"{cluster.name} is {kind}: its nodes reach the API server inside the "
                              "VNet, not through the firewall", private=cluster.private,
                              vnet_integration=cluster.vnet_integration)
    if not cluster.region:
        return unknown(f"cluster {cluster.name} has no location in the export, so the API server's "
                       "service tag (AzureCloud.<region>) is unknown")
    egress = firewall_egress(topology, cluster)
    evidence: dict[str, Any] = {"api_server": cluster.api_fqdn or None,
                                "service_tag": f"AzureCloud.{cluster.region}",
                                "egress": egress.status.value, "egress_reason": egress.reason}
    if egress.status is Egress.NOT_FIREWALL:
        return not_applicable(f"{cluster.name} does not egress through a firewall ({egress.reason}); "
                              "see outbound-type", **evidence)
    if egress.status is Egress.UNKNOWN:
        return unknown(f"whether {cluster.name} egresses through a firewall is unknown: "
                       f"{egress.reason}", **evidence)
    return _judge(topology, cluster, egress, evidence)


def _judge(topology: Topology, cluster: Cluster, egress: ClusterEgress,
           evidence: dict[str, Any]) -> Result:
    api = Destination.api_server(cluster.api_fqdn, cluster.region)
    results = [NodeFlows.of(topology, s, [(_label(p, port), Flow(p, port, api))
                                          for p, port, _ in TUNNEL_FLOWS])
               for s in egress.subnets]
    evidence["node_subnets"] = [r.evidence() for r in results]
    denied = [(r, label) for r in results for label in r.with_decision(Decision.DENY)]
    if denied:
        return _fail(topology, cluster, denied, evidence)
    doubts = [d for r in results for d in r.doubts()]
    if doubts:
        return unknown("cannot tell whether the tunnel ports are open: " + "; ".join(doubts),
                       **evidence)
    allowed = "; ".join(f"{r.describe()} via {r.firewall.name}: "
                        + ", ".join(f"{label} {v.reason}" for label, v in r.verdicts.items())
                        for r in results)
    return passed(f"UDP 1194 and TCP 9000 to the API server of {cluster.name} "
                  f"({api.label}, AzureCloud.{cluster.region}) are allowed from every node subnet: "
                  f"{allowed}", **evidence)


def _fail(topology: Topology, cluster: Cluster, denied: list[tuple[NodeFlows, str]],
          evidence: dict[str, Any]) -> Result:
    missing = "; ".join(f"{label} from {r.describe()} via {r.firewall.name} {r.verdicts[label].reason}"
                        for r, label in denied)
    failing = list(dict.fromkeys(r for r, _ in denied))
    konnectivity = {r.subnet_id: _konnectivity(topology, cluster, r) for r in failing}
    evidence["konnectivity"] = {ids.name_of(k): v.evidence() for k, v in konnectivity.items()}
    head = (f"the firewall blocks the AKS tunnel to the API server of {cluster.name} "
            f"({cluster.api_fqdn or 'FQDN not exported'}, AzureCloud.{cluster.region}): {missing}")
    ports = ", ".join(dict.fromkeys(label for _, label in denied))
    fix = rule_remediation(topology, cluster, _fixes(cluster, failing, denied),
                           f"Allow {ports} from {cluster.name}'s node subnets to "
                           f"AzureCloud.{cluster.region} (the AKS tunnel to the API server)")
    severity, tail = _konnectivity_says(cluster, list(konnectivity.values()))
    return failed(f"{head}{tail}", fix, severity, **evidence)


def _konnectivity_says(cluster: Cluster, verdicts: list[Verdict]) -> tuple[Severity, str]:
    """Open konnectivity path: low (the cluster still works); closed or unseen: high."""
    target = f"TCP 443 to {cluster.api_fqdn or '*.hcp.' + cluster.region + '.azmk8s.io'}"
    if all(v.decision is Decision.ALLOW for v in verdicts):
        how = "; ".join(dict.fromkeys(v.reason for v in verdicts))
        return Severity.LOW, (f". The konnectivity path ({target}) is open ({how}), so a cluster "
                              "whose tunnel runs over konnectivity still reaches its control plane; "
                              "the ports remain in Microsoft's required list for the tunnel they carry")
    closed = [v for v in verdicts if v.decision is Decision.DENY]
    if closed:
        why = "; ".join(dict.fromkeys(v.reason for v in closed))
        return Severity.HIGH, (f"; the konnectivity path ({target}) is closed too ({why}), so nodes "
                               "cannot reach the control plane: kubectl logs, exec and port-forward, "
                               "and admission webhooks fail")
    why = "; ".join(dict.fromkeys(v.reason for v in verdicts if v.decision is not Decision.ALLOW))
    return Severity.HIGH, (f"; whether the konnectivity path ({target}) is open could not be seen "
                           f"({why}), so this is reported at the severity of a closed "
                           "control-plane path")


def _konnectivity(topology: Topology, cluster: Cluster, flows: NodeFlows) -> Verdict:
    """TCP 443 to the API server's FQDN: the path konnectivity tunnels over."""
    api = Destination.api_server(cluster.api_fqdn, cluster.region)
    return api_https_caveat(cluster, evaluate_flow(topology, flows.firewall, Flow("tcp", 443, api),
                                                   flows.sources))


def api_https_caveat(cluster: Cluster, verdict: Verdict) -> Verdict:
    """Application rules match host names: without the API server's FQDN in the export, HTTPS
    to it that is not allowed anyway might still be allowed by a rule naming it."""
    if cluster.api_fqdn or verdict.decision is Decision.ALLOW:
        return verdict
    return Verdict(verdict.flow, Decision.CANNOT_TELL, verdict.outcomes,
                   "cannot tell: the API server's FQDN is not in the export, so application rules "
                   "naming it cannot be matched", verdict.notes)


def _fixes(cluster: Cluster, failing: list[NodeFlows],
           denied: list[tuple[NodeFlows, str]]) -> list[RuleFix]:
    """One network collection with the tunnel rules that were denied somewhere."""
    labels = {label for _, label in denied}
    rules = tuple(
        NewRule(name=name, kind=Kind.NETWORK, protocols=(proto.upper(),), ports=(str(port),),
                destinations=(f"AzureCloud.{cluster.region}",))
        for proto, port, name in TUNNEL_FLOWS if _label(proto, port) in labels
    )
    collection = NewCollection(f"aks-tunnel-{cluster.name}", Kind.NETWORK, rules,
                               tuple(_label(p, port) for p, port, _ in TUNNEL_FLOWS))
    return fixes_by_firewall(failing, [collection])


def _label(protocol: str, port: int) -> str:
    return f"{protocol.upper()} {port}"


# == shared with required-egress ===================================================================

# Outbound types whose egress AKS sends through the node subnet's routes (and so, possibly, a
# firewall); every other explicit type (loadBalancer, NAT gateways, block) is outbound-type's failure.


def firewall_egress(topology: Topology, cluster: Cluster) -> ClusterEgress:
    """Whether the cluster egresses through a firewall, by its node subnets' routes (DESIGN §6).

    The outbound type does not decide it: with a 0.0.0.0/0 user-defined route to the firewall,
    packets follow the route whatever AKS set up for SNAT; outbound-type reports the setting."""
    return topology.cluster_egress(cluster)


def combine(verdicts: Sequence[Verdict]) -> Decision:
    """One decision from the verdicts of every destination the real one might be."""
    decisions = {v.decision for v in verdicts}
    if len(decisions) == 1:
        return decisions.pop()
    return Decision.CANNOT_TELL


@dataclass(eq=False)  # compared and hashed by identity: one per node subnet
class NodeFlows:
    """The verdicts of named flows from one firewall-routed node subnet."""

    egress: SubnetEgress
    sources: AddressSet
    verdicts: dict[str, Verdict] = field(default_factory=dict)
    problem: str = ""  # why the subnet could not be evaluated

    @staticmethod
    def of(topology: Topology, egress: SubnetEgress,
           flows: Iterable[tuple[str, Flow | Sequence[Flow]]]) -> NodeFlows:
        """Evaluate each named flow; a sequence of flows stands for "one of these destinations"."""
        subnet, firewall = egress.subnet, egress.firewall
        nets = topology.node_networks(subnet) if subnet else []
        result = NodeFlows(egress, AddressSet.of_networks(nets))
        if firewall is None or not nets:
            name = subnet.name if subnet else ids.name_of(egress.subnet_id)
            result.problem = f"subnet {name} has no IPv4 address prefix in the export"
            return result
        for label, flow in flows:
            candidates = [flow] if isinstance(flow, Flow) else list(flow)
            verdicts = [evaluate_flow(topology, firewall, f, result.sources) for f in candidates]
            result.verdicts[label] = _merged(verdicts)
        return result

    @property
    def firewall(self) -> Firewall:
        assert self.egress.firewall is not None  # NodeFlows are made for firewall-routed subnets
        return self.egress.firewall

    @property
    def subnet_id(self) -> str:
        return self.egress.subnet_id

    @property
    def cidrs(self) -> list[str]:
        return self.sources.cidrs()

    def describe(self) -> str:
        name = self.egress.subnet.name if self.egress.subnet else ids.name_of(self.subnet_id)
        return f"{name} ({', '.join(self.cidrs) or 'no IPv4 prefix'})"

    def with_decision(self, decision: Decision) -> list[str]:
        return [label for label, v in self.verdicts.items() if v.decision is decision]

    def doubts(self) -> list[str]:
        found = [f"{label} from {self.describe()}: {v.reason}"
                 for label, v in self.verdicts.items() if v.decision is Decision.CANNOT_TELL]
        return [self.problem] if self.problem else found

    def evidence(self) -> dict[str, Any]:
        out: dict[str, Any] = {"subnet": self.subnet_id, "cidrs": self.cidrs,
                               "firewall": self.egress.firewall.id if self.egress.firewall else None,
                               "path": list(self.egress.path),
                               "flows": {label: v.evidence() for label, v in self.verdicts.items()}}
        if self.problem:
            out["problem"] = self.problem
        return out


def _merged(verdicts: list[Verdict]) -> Verdict:
    """The verdicts of candidate destinations as one: agreed, or "cannot tell" naming why."""
    first = verdicts[0]
    decision = combine(verdicts)
    if decision is first.decision:
        return first
    views = "; ".join(f"{v.flow.destination.label}: {v.reason}" for v in verdicts)
    return Verdict(first.flow, Decision.CANNOT_TELL, first.outcomes,
                   f"cannot tell: the answer depends on what the snapshot lacks: {views}",
                   first.notes)


# -- rule remediation ------------------------------------------------------------------------------


@dataclass(frozen=True)
class NewRule:
    """One Allow rule to add. Network: protocols TCP/UDP with ports and destinations (addresses,
    service tags); application: protocols `Https:443` with target FQDNs or FQDN tags."""

    name: str
    kind: Kind
    protocols: tuple[str, ...]
    ports: tuple[str, ...] = ()
    destinations: tuple[str, ...] = ()
    fqdns: tuple[str, ...] = ()
    fqdn_tags: tuple[str, ...] = ()

    def describe(self, sources: Sequence[str]) -> str:
        what = (f"{'/'.join(self.protocols)} {', '.join(self.ports)}" if self.kind is Kind.NETWORK
                else ", ".join(self.protocols))
        to = ", ".join([*self.destinations, *self.fqdns, *(f"FQDN tag {t}" for t in self.fqdn_tags)])
        return f"{self.name}: {what} from {', '.join(sources)} to {to}"


@dataclass(frozen=True)
class NewCollection:
    """An Allow collection to add, and the labels of the flows (in NodeFlows) it opens."""

    name: str
    kind: Kind
    rules: tuple[NewRule, ...]
    labels: tuple[str, ...]


@dataclass(frozen=True)
class RuleFix:
    """New Allow collections on one firewall for some node CIDRs, and per collection the rules
    that decided its flows (explicit Deny rules to overtake; Allow rules covering only part of the
    node subnets, which could be widened instead)."""

    firewall: Firewall
    sources: tuple[str, ...]
    collections: tuple[NewCollection, ...]
    deciding: tuple[tuple[str, Rule], ...] = ()  # (collection name, rule)

    def blockers(self, collection: NewCollection | None = None) -> tuple[Rule, ...]:
        return self._rules(collection, deny=True)

    def partial(self) -> tuple[Rule, ...]:
        return self._rules(None, deny=False)

    def _rules(self, collection: NewCollection | None, deny: bool) -> tuple[Rule, ...]:
        found = [rule for name, rule in self.deciding
                 if (collection is None or name == collection.name)
                 and (rule.action is Action.DENY) == deny]
        return tuple(dict.fromkeys(found))


def fixes_by_firewall(failing: Sequence[NodeFlows],
                      collections: Sequence[NewCollection]) -> list[RuleFix]:
    """One RuleFix per firewall: the collections whose flows were denied from its node subnets."""
    by_firewall: dict[str, list[NodeFlows]] = {}
    for flows in failing:
        by_firewall.setdefault(flows.firewall.key, []).append(flows)
    fixes = []
    for group in by_firewall.values():
        denied = [(flows, label) for flows in group for label in flows.with_decision(Decision.DENY)]
        needed = tuple(c for c in collections if any(label in c.labels for _, label in denied))
        deciding = [(c.name, o.rule) for c in needed for flows, label in denied if label in c.labels
                    for o in flows.verdicts[label].outcomes if o.rule is not None]
        cidrs = tuple(dict.fromkeys(c for flows in group for c in flows.cidrs))
        fixes.append(RuleFix(group[0].firewall, cidrs, needed, tuple(dict.fromkeys(deciding))))
    return fixes


@dataclass(frozen=True)
class Placement:
    """Where new collections go: a policy's rule collection group, or a classic firewall."""

    policy: FirewallPolicy | None
    policy_name: str
    policy_rg: str
    group: str
    group_priority: int
    group_exists: bool
    priorities: tuple[int, ...]
    notes: tuple[str, ...]
    group_id: str = ""  # the existing group's id ('' for a new group and classic rules)


def rule_remediation(topology: Topology, cluster: Cluster, fixes: Sequence[RuleFix],
                     summary: str) -> Remediation:
    """Steps, az CLI, Bicep and Terraform that add the fixes' collections with real values."""
    steps: list[str] = []
    az: list[str] = []
    bicep: list[str] = []
    terraform: list[str] = []
    changes: list[Change] = []
    for fix in fixes:
        place = _placement(topology, fix)
        steps.extend(_steps(fix, place))
        az.extend(_az(fix, place))
        bicep.append(_bicep(fix, place))
        terraform.append(_terraform(fix, place))
        changes.extend(_changes(fix, place))
    steps.append(f"Re-run the audit on a fresh export to confirm {cluster.name}'s flows are allowed.")
    return Remediation(summary=summary, steps=tuple(steps), az_cli=tuple(dict.fromkeys(az)),
                       bicep="\n".join(bicep), terraform="\n".join(terraform), changes=tuple(changes))


def _placement(topology: Topology, fix: RuleFix) -> Placement:
    firewall = fix.firewall
    if not firewall.policy_id:
        return _classic_placement(fix)
    policy = topology.policy(firewall.policy_id)
    name = policy.name if policy else ids.name_of(firewall.policy_id)
    rg = policy.resource_group if policy else (ids.resource_group_of(firewall.policy_id) or "")
    groups = [g for g in (topology.rule_collection_group(i) for i in
                          (policy.rule_collection_group_ids if policy else ()))
              if g is not None and g.priority is not None]
    notes = [f"{r.label} (Deny) comes from base policy {r.policy}, which is processed before "
             f"{name}'s own rules: narrow it there, or the new rules never apply"
             for r in fix.blockers() if r.policy and r.policy != name]
    notes += _kind_notes(fix)
    # Go where the earliest own Deny is (to overtake it), else beside a rule that already covers
    # part of the node subnets, else the policy's first group.
    own = sorted((r for r in fix.blockers() if r.policy == name and r.group),
                 key=lambda r: (r.group_priority or 0, r.collection_priority))
    partial_groups = [r.group for r in fix.partial() if r.policy == name and r.group]
    target = next((g for g in groups if own and g.name == own[0].group), None) or next(
        (g for g in groups if g.name in partial_groups), None) or min(
        groups, key=lambda g: g.priority or 0, default=None)
    if target is None:
        taken = {g.priority for g in groups}
        priority = next(p for p in range(200, 65_001, 100) if p not in taken)
        return Placement(policy, name, rg, "rcg-aks-egress", priority, False,
                         _priorities(fix, set(), lambda c: None), tuple(notes))
    used = {p for c in target.rule_collections if isinstance(p := c.get("priority"), int)}

    def below(collection: NewCollection) -> int | None:
        return min((r.collection_priority for r in fix.blockers(collection)
                    if r.policy == name and r.group == target.name and r.kind is collection.kind),
                   default=None)

    return Placement(policy, name, rg, target.name, target.priority or 0, True,
                     _priorities(fix, used, below), tuple(notes), target.id)


def _classic_placement(fix: RuleFix) -> Placement:
    p = props(fix.firewall.raw)
    keys = {Kind.NETWORK: "networkRuleCollections", Kind.APPLICATION: "applicationRuleCollections"}
    priorities: list[int] = []
    for collection in fix.collections:
        # Classic priorities are unique per kind of collection; Deny collections of the same kind
        # must come after the new one.
        used = {u for c in items(p.get(keys[collection.kind]))
                if isinstance(u := props(c).get("priority"), int)}
        below = min((r.collection_priority for r in fix.blockers(collection)
                     if r.kind is collection.kind), default=None)
        priorities.append(_free(used | set(priorities), below))
    return Placement(None, "", fix.firewall.resource_group, "", 0, False, tuple(priorities),
                     tuple(_kind_notes(fix)))


def _kind_notes(fix: RuleFix) -> list[str]:
    """Network rules are processed before every application rule: an app rule cannot overtake one."""
    return [f"{r.label} is a Deny network rule, processed before every application rule, so "
            f"{c.name} cannot overtake it: narrow it so it no longer matches this traffic"
            for c in fix.collections if c.kind is Kind.APPLICATION
            for r in fix.blockers(c) if r.kind is Kind.NETWORK]


def _priorities(fix: RuleFix, used: set[int],
                below: Callable[[NewCollection], int | None]) -> tuple[int, ...]:
    chosen: list[int] = []
    for collection in fix.collections:
        chosen.append(_free(used | set(chosen), below(collection)))
    return tuple(chosen)


def _free(used: set[int], below: int | None) -> int:
    """A collection priority not in use: just before `below` (a Deny to overtake) when given."""
    if below is not None:
        free = next((p for p in range(below - 1, 99, -1) if p not in used), None)
        if free is not None:
            return free
    start = min(max([*used, 90]) + 10, 65_000)
    candidates = chain(range(start, 65_001), range(start, 99, -1))
    return next((p for p in candidates if p not in used), 65_000)


def _steps(fix: RuleFix, place: Placement) -> list[str]:
    where = (f"rule collection group {place.group} (priority {place.group_priority}) of firewall "
             f"policy {place.policy_name} (resource group {place.policy_rg})" if place.policy_name
             else f"the classic rules of firewall {fix.firewall.name} "
                  f"(resource group {fix.firewall.resource_group})")
    if place.policy_name and not place.group_exists:
        where = f"a new {where}"
    steps = [
        f"Add an Allow {_kind_word(c.kind)} rule collection {c.name} (priority {prio}) to {where}: "
        + "; ".join(r.describe(fix.sources) for r in c.rules) + "."
        for c, prio in zip(fix.collections, place.priorities, strict=True)
    ]
    for collection, prio in zip(fix.collections, place.priorities, strict=True):
        steps += [_overtake(r, collection, prio, place) for r in fix.blockers(collection)
                  if r.kind is collection.kind
                  and (not place.policy_name or r.policy == place.policy_name)]
    steps += list(place.notes)
    steps += [f"Alternatively widen the sources of {r.label} to cover {', '.join(fix.sources)}: "
              "today it covers only part of the node subnets." for r in fix.partial()]
    return steps


def _overtake(rule: Rule, collection: NewCollection, priority: int, place: Placement) -> str:
    """How the new collection gets past an explicit Deny of the same kind."""
    same_group = not place.policy_name or rule.group == place.group
    if same_group and priority < rule.collection_priority:
        return (f"{rule.label} (Deny, collection priority {rule.collection_priority}) decides this "
                f"traffic today: {collection.name} gets priority {priority} so it is processed "
                "first; or narrow that rule.")
    return (f"{rule.label} (Deny) decides this traffic today and is processed before "
            f"{collection.name} would be: narrow it, or move it after the new collection.")


def _kind_word(kind: Kind) -> str:
    return "network" if kind is Kind.NETWORK else "application"


def _quoted(values: Iterable[str]) -> str:
    return " ".join(f"'{v}'" if "*" in v else v for v in values)


def _rule_args(rule: NewRule, sources: Sequence[str], classic: bool) -> str:
    if rule.kind is Kind.NETWORK:
        protocols = "--protocols" if classic else "--ip-protocols"
        return (f"{'' if classic else '--rule-type NetworkRule '}{protocols} {' '.join(rule.protocols)} "
                f"--source-addresses {_quoted(sources)} --destination-addresses "
                f"{_quoted(rule.destinations)} --destination-ports {' '.join(rule.ports)}")
    protocols = " ".join(p.replace(":", "=") for p in rule.protocols)
    target = (f"--target-fqdns {_quoted(rule.fqdns)}" if rule.fqdns
              else f"--fqdn-tags {' '.join(rule.fqdn_tags)}")
    return (f"{'' if classic else '--rule-type ApplicationRule '}--protocols {protocols} "
            f"--source-addresses {_quoted(sources)} {target}")


def _az(fix: RuleFix, place: Placement) -> list[str]:
    firewall = fix.firewall
    az = ["az extension add --upgrade --name azure-firewall"]
    if not place.policy_name:
        for collection, prio in zip(fix.collections, place.priorities, strict=True):
            verb = "network-rule" if collection.kind is Kind.NETWORK else "application-rule"
            for index, rule in enumerate(collection.rules):
                opening = f"--priority {prio} --action Allow " if index == 0 else ""
                az.append(f"az network firewall {verb} create --resource-group "
                          f"{firewall.resource_group} --firewall-name {firewall.name} "
                          f"--collection-name {collection.name} {opening}--name {rule.name} "
                          f"{_rule_args(rule, fix.sources, classic=True)}")
        return az
    base = (f"--resource-group {place.policy_rg} --policy-name {place.policy_name} "
            f"--rule-collection-group-name {place.group}")
    if not place.group_exists:
        az.append(f"az network firewall policy rule-collection-group create --resource-group "
                  f"{place.policy_rg} --policy-name {place.policy_name} --name {place.group} "
                  f"--priority {place.group_priority}")
    for collection, prio in zip(fix.collections, place.priorities, strict=True):
        first, *rest = collection.rules
        az.append(f"az network firewall policy rule-collection-group collection add-filter-collection "
                  f"{base} --name {collection.name} --collection-priority {prio} --action Allow "
                  f"--rule-name {first.name} {_rule_args(first, fix.sources, classic=False)}")
        az += [f"az network firewall policy rule-collection-group collection rule add {base} "
               f"--collection-name {collection.name} --name {rule.name} "
               f"{_rule_args(rule, fix.sources, classic=False)}" for rule in rest]
    return az


def _changes(fix: RuleFix, place: Placement) -> list[Change]:
    """The new collections appended to the existing group or the classic firewall's collections;
    nothing when they go into a new group (a new resource, in the snippets only)."""
    classic = not place.policy_name
    if not classic and not (place.group_exists and place.group_id):
        return []
    changes = []
    for collection, priority in zip(fix.collections, place.priorities, strict=True):
        rules = [_rule_json(r, fix.sources, classic) for r in collection.rules]
        if classic:
            changes.append(Change(fix.firewall.id, "add",
                                  f"/properties/{_kind_word(collection.kind)}RuleCollections/-",
                                  {"name": collection.name,
                                   "properties": {"priority": priority, "action": {"type": "Allow"},
                                                  "rules": rules}}))
        else:
            changes.append(Change(place.group_id, "add", "/properties/ruleCollections/-",
                                  {"ruleCollectionType": "FirewallPolicyFilterRuleCollection",
                                   "name": collection.name, "priority": priority,
                                   "action": {"type": "Allow"}, "rules": rules}))
    return changes


def _rule_json(rule: NewRule, sources: Sequence[str], classic: bool) -> dict[str, Any]:
    """A new rule as ARM JSON: the classic schema, or the policy schema with its ruleType."""
    network = rule.kind is Kind.NETWORK
    out: dict[str, Any] = {} if classic else {"ruleType": "NetworkRule" if network else "ApplicationRule"}
    out |= {"name": rule.name, "sourceAddresses": list(sources)}
    if network:
        out |= {"protocols" if classic else "ipProtocols": list(rule.protocols),
                "destinationAddresses": list(rule.destinations), "destinationPorts": list(rule.ports)}
        return out
    out["protocols"] = [{"protocolType": kind, "port": int(port)}
                        for kind, _, port in (p.partition(":") for p in rule.protocols)]
    if rule.fqdns:
        out["targetFqdns"] = list(rule.fqdns)
    else:
        out["fqdnTags"] = list(rule.fqdn_tags)
    return out


def _list(values: Iterable[str], quote: str = "'") -> str:
    inner = ", ".join(f"{quote}{v}{quote}" for v in values)
    return f"[ {inner} ]" if quote == "'" else f"[{inner}]"


def _bicep_rule(rule: NewRule, sources: Sequence[str], classic: bool, pad: str) -> str:
    lines = [f"name: '{rule.name}'"] if classic else [
        f"ruleType: '{'NetworkRule' if rule.kind is Kind.NETWORK else 'ApplicationRule'}'",
        f"name: '{rule.name}'"]
    lines.append(f"sourceAddresses: {_list(sources)}")
    if rule.kind is Kind.NETWORK:
        lines += [f"{'protocols' if classic else 'ipProtocols'}: {_list(rule.protocols)}",
                  f"destinationAddresses: {_list(rule.destinations)}",
                  f"destinationPorts: {_list(rule.ports)}"]
    else:
        protocols = ", ".join(f"{{ protocolType: '{p.split(':')[0]}', port: {p.split(':')[1]} }}"
                              for p in rule.protocols)
        lines.append(f"protocols: [ {protocols} ]")
        lines.append(f"targetFqdns: {_list(rule.fqdns)}" if rule.fqdns
                     else f"fqdnTags: {_list(rule.fqdn_tags)}")
    body = "\n".join(f"{pad}  {line}" for line in lines)
    return f"{pad}{{\n{body}\n{pad}}}"


def _bicep(fix: RuleFix, place: Placement) -> str:
    if not place.policy_name:
        blocks = []
        for collection, prio in zip(fix.collections, place.priorities, strict=True):
            key = f"{_kind_word(collection.kind)}RuleCollections"
            rules = "\n".join(_bicep_rule(r, fix.sources, True, "//       ") for r in collection.rules)
            blocks.append(f"// In the azureFirewalls resource '{fix.firewall.name}' (resource group "
                          f"{fix.firewall.resource_group}), add to properties.{key}:\n"
                          f"//   {{ name: '{collection.name}', properties: {{ priority: {prio}, "
                          f"action: {{ type: 'Allow' }}, rules: [\n{rules}\n//   ] }} }}\n")
        return "\n".join(blocks)
    collections = []
    for collection, prio in zip(fix.collections, place.priorities, strict=True):
        rules = "\n".join(_bicep_rule(r, fix.sources, False, "          ") for r in collection.rules)
        collections.append(f"""      {{
        ruleCollectionType: 'FirewallPolicyFilterRuleCollection'
        name: '{collection.name}'
        priority: {prio}
        action: {{ type: 'Allow' }}
        rules: [
{rules}
        ]
      }}""")
    keep = ("      // keep every collection the group already has: a deployment replaces the list\n"
            if place.group_exists else "")
    joined = "\n".join(collections)
    return f"""// Deploy to resource group {place.policy_rg}
resource {_ident(place.group)} 'Microsoft.Network/firewallPolicies/ruleCollectionGroups@2024-05-01' = {{
  name: '{place.policy_name}/{place.group}'
  properties: {{
    priority: {place.group_priority}
    ruleCollections: [
{keep}{joined}
    ]
  }}
}}
"""


def _ident(name: str) -> str:
    cleaned = "".join(ch if ch.isalnum() else "_" for ch in name)
    return cleaned if cleaned[:1].isalpha() else f"r_{cleaned}"


def _tf_rule(rule: NewRule, sources: Sequence[str], classic: bool) -> str:
    pad = "    " if classic else "      "
    pairs = [("name", f'"{rule.name}"'), ("source_addresses", _list(sources, '"'))]
    blocks = []
    if rule.kind is Kind.NETWORK:
        pairs += [("protocols", _list(rule.protocols, '"')),
                  ("destination_addresses", _list(rule.destinations, '"')),
                  ("destination_ports", _list(rule.ports, '"'))]
    else:
        fqdn_key = ("target_fqdns" if classic else "destination_fqdns") if rule.fqdns else (
            "fqdn_tags" if classic else "destination_fqdn_tags")
        pairs.append((fqdn_key, _list(rule.fqdns or rule.fqdn_tags, '"')))
        for protocol in rule.protocols:
            kind, port = protocol.split(":")
            port_value = f'"{port}"' if classic else port  # the classic resource takes a string
            blocks.append(f"{'protocol' if classic else 'protocols'} {{\n{pad}  type = \"{kind}\"\n"
                          f"{pad}  port = {port_value}\n{pad}}}")
    width = max(len(key) for key, _ in pairs)
    lines = [f"{key.ljust(width)} = {value}" for key, value in pairs] + blocks
    body = "\n".join(f"{pad}{line}" for line in lines)
    return f"{pad[:-2]}rule {{\n{body}\n{pad[:-2]}}}"


def _terraform(fix: RuleFix, place: Placement) -> str:
    firewall = fix.firewall
    if not place.policy_name:
        blocks = []
        for collection, prio in zip(fix.collections, place.priorities, strict=True):
            kind = "network" if collection.kind is Kind.NETWORK else "application"
            rules = "\n".join(_tf_rule(r, fix.sources, True) for r in collection.rules)
            label = _ident(collection.name)
            blocks.append(f"""resource "azurerm_firewall_{kind}_rule_collection" "{label}" {{
  name                = "{collection.name}"
  azure_firewall_name = "{firewall.name}"
  resource_group_name = "{firewall.resource_group}"
  priority            = {prio}
  action              = "Allow"

{rules}
}}
""")
        return "\n".join(blocks)
    policy_id = place.policy.id if place.policy else firewall.policy_id
    collections = []
    for collection, prio in zip(fix.collections, place.priorities, strict=True):
        kind = "network" if collection.kind is Kind.NETWORK else "application"
        rules = "\n".join(_tf_rule(r, fix.sources, False) for r in collection.rules)
        collections.append(f"""  {kind}_rule_collection {{
    name     = "{collection.name}"
    priority = {prio}
    action   = "Allow"
{rules}
  }}""")
    keep = "  # keep the group's existing collections in this resource too\n\n" if place.group_exists else ""
    joined = "\n\n".join(collections)
    return f"""resource "azurerm_firewall_policy_rule_collection_group" "{_ident(place.group)}" {{
  name               = "{place.group}"
  firewall_policy_id = "{policy_id}"
  priority           = {place.group_priority}
{keep}{joined}
}}
"""


CHECK = Check(
    id="tunnel-ports",
    title="The firewall allows UDP 1194 and TCP 9000 from every node subnet to the cluster's API server",
    subjects=(Subject.CLUSTER,),
    severity=Severity.HIGH,
    passes_when=(
        "For a public cluster (no private cluster, no API Server VNet Integration) whose node "
        "subnets egress through Azure Firewall, the firewall's rules, evaluated in processing "
        "order, allow UDP 1194 and TCP 9000 from the whole of every node subnet to the API server "
        "(a member of AzureCloud.<region>). A broad rule that allows it counts; "
        "network-rule-bypass reports its breadth."
    ),
    rationale=(
        "Nodes of a public cluster keep a tunnel open to the AKS control plane; the API server "
        "uses it for kubectl logs, exec and port-forward and to call admission webhooks and "
        "metrics. Behind a default-deny firewall, missing ports break these silently while pods "
        "keep running. Clusters whose tunnel runs over konnectivity (TCP 443 to the API server) "
        "still work without the ports, so that case is reported at low severity."
    ),
    references=(
        "https://learn.microsoft.com/azure/aks/limit-egress-traffic",
        "https://learn.microsoft.com/azure/aks/outbound-rules-control-egress",
        "https://learn.microsoft.com/azure/firewall/protect-azure-kubernetes-service",
    ),
    evaluate=evaluate,
)
