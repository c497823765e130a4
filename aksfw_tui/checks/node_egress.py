"""A cluster's node subnets as the sources of its egress through Azure Firewall (DESIGN §6).

Two views, for two kinds of check:
- `Scope` / `firewall_scopes`: each node subnet with the firewall its default route points at, for
  checks that read that firewall's rules themselves (fqdn-tag-rule, network-rule-bypass).
- `NodeFlows`: named flows evaluated (DESIGN §5) from each firewall-routed node subnet, for checks
  that ask the evaluator about the cluster's own egress (tunnel-ports, required-egress); with how
  candidate verdicts combine and the `RuleFix` per firewall that opens the denied flows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from aksfw_tui.checks.base import Result, not_applicable, unknown
from aksfw_tui.firewall.addresses import AddressSet
from aksfw_tui.firewall.evaluator import Decision, Flow, Verdict, evaluate_flow
from aksfw_tui.model import ids
from aksfw_tui.model.resources import Cluster, Firewall, Subnet
from aksfw_tui.model.topology import ClusterEgress, Egress, SubnetEgress, Topology
from aksfw_tui.remediation.rule_fix import NewCollection, RuleFix

T = TypeVar("T")


def by_firewall(things: Iterable[T], firewall: Callable[[T], Firewall]) -> list[list[T]]:
    """`things` grouped by the firewall each belongs to, groups and members in first-seen order."""
    grouped: dict[str, list[T]] = {}
    for thing in things:
        grouped.setdefault(firewall(thing).key, []).append(thing)
    return list(grouped.values())


# -- scopes: which firewall sees which node subnet ---------------------------------------------------


@dataclass(frozen=True)
class Scope:
    """One node subnet of the cluster and the firewall its default route points at."""

    firewall: Firewall
    subnet: Subnet
    nodes: AddressSet

    @property
    def label(self) -> str:
        return f"{self.subnet.name} ({self.nodes})"


def firewall_scopes(topology: Topology, cluster: Cluster) -> list[Scope] | Result:
    """The (firewall, node subnet) pairs to examine, or the n/a / unknown result that ends the check."""
    if not cluster.has_properties:
        return unknown(f"cluster {cluster.name} was exported without its properties")
    egress = topology.cluster_egress(cluster)
    if egress.status is Egress.NOT_FIREWALL:
        return not_applicable(
            f"{cluster.name} does not egress through an Azure Firewall, so no firewall rule applies "
            f"to its traffic: {egress.reason} (see outbound-type)", **_egress_evidence(cluster, egress))
    if egress.status is Egress.UNKNOWN:
        return unknown(f"cannot tell whether {cluster.name} egresses through an Azure Firewall: "
                       f"{egress.reason}", **_egress_evidence(cluster, egress))
    return [Scope(s.firewall, s.subnet, AddressSet.of_networks(topology.node_networks(s.subnet)))
            for s in egress.subnets if s.firewall is not None and s.subnet is not None]


def _egress_evidence(cluster: Cluster, egress: ClusterEgress) -> dict[str, Any]:
    return {"outbound_type": cluster.outbound_type or None, "egress": egress.status.value,
            "egress_paths": [" → ".join(s.path) for s in egress.subnets]}


# -- node flows: named flows evaluated from each firewall-routed node subnet ---------------------------


def firewall_egress(topology: Topology, cluster: Cluster) -> ClusterEgress:
    """Whether the cluster egresses through a firewall, by its node subnets' routes (DESIGN §6).

    The outbound type does not decide it: with a 0.0.0.0/0 user-defined route to the firewall,
    packets follow the route whatever AKS set up for SNAT; outbound-type reports the setting."""
    return topology.cluster_egress(cluster)


def not_through_firewall(cluster: Cluster, egress: ClusterEgress, evidence: dict[str, Any]) -> Result | None:
    """The result that ends the check when the cluster does not, or may not, egress through a
    firewall; None when it does."""
    if egress.status is Egress.NOT_FIREWALL:
        return not_applicable(f"{cluster.name} does not egress through a firewall ({egress.reason}); "
                              "see outbound-type", **evidence)
    if egress.status is Egress.UNKNOWN:
        return unknown(f"whether {cluster.name} egresses through a firewall is unknown: "
                       f"{egress.reason}", **evidence)
    return None


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


def denials(results: Sequence[NodeFlows]) -> list[tuple[NodeFlows, str]]:
    """Every denied flow, as (its node subnet's flows, its label)."""
    return [(r, label) for r in results for label in r.with_decision(Decision.DENY)]


def describe_denials(denied: Sequence[tuple[NodeFlows, str]]) -> str:
    return "; ".join(f"{label} from {r.describe()} via {r.firewall.name} {r.verdicts[label].reason}"
                     for r, label in denied)


def api_https_caveat(cluster: Cluster, verdict: Verdict) -> Verdict:
    """Application rules match host names: without the API server's FQDN in the export, HTTPS
    to it that is not allowed anyway might still be allowed by a rule naming it."""
    if cluster.api_fqdn or verdict.decision is Decision.ALLOW:
        return verdict
    return Verdict(verdict.flow, Decision.CANNOT_TELL, verdict.outcomes,
                   "cannot tell: the API server's FQDN is not in the export, so application rules "
                   "naming it cannot be matched", verdict.notes)


def fixes_by_firewall(failing: Sequence[NodeFlows],
                      collections: Sequence[NewCollection]) -> list[RuleFix]:
    """One RuleFix per firewall: the collections whose flows were denied from its node subnets."""
    fixes = []
    for group in by_firewall(failing, lambda flows: flows.firewall):
        denied = denials(group)
        needed = tuple(c for c in collections if any(label in c.labels for _, label in denied))
        deciding = [(c.name, o.rule) for c in needed for flows, label in denied if label in c.labels
                    for o in flows.verdicts[label].outcomes if o.rule is not None]
        cidrs = tuple(dict.fromkeys(c for flows in group for c in flows.cidrs))
        fixes.append(RuleFix(group[0].firewall, cidrs, needed, tuple(dict.fromkeys(deciding))))
    return fixes
