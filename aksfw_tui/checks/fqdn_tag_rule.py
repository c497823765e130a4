"""fqdn-tag-rule: the cluster's firewall allows HTTPS from every node subnet to the
`AzureKubernetesService` FQDN tag, and nothing processed earlier denies it.

Two questions per firewall and node subnet. Structure: is there an Allow application rule with the
tag for HTTPS 443 whose sources cover the whole subnet? Effect (DESIGN §5, via the evaluator): is
HTTPS from the subnet to the tag's members (`mcr.microsoft.com`, and the API server's
`*.hcp.<region>.azmk8s.io` name for public clusters) allowed? "No rule" and "partial sources" are
absences, so they fail only when every rule was readable; a Deny that decides the flow is a seen
failure. A network rule that allows the traffic first still lets the cluster work: that bypass is
network-rule-bypass's finding and only evidence here.

The scope helpers (`firewall_scopes`, `policy_of`, `free_priority`), the application-rule
snippets and the plan helpers (`rule_at`, `patch_order`: JSON Patch operations on the existing rule
collection group or classic firewall) are shared with network-rule-bypass.
"""

from __future__ import annotations

import copy
import dataclasses
import fnmatch
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
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
from aksfw_tui.firewall.rules import Action, Kind, Rule, RuleSet, ruleset_for
from aksfw_tui.firewall.tags import AKS_FQDN_TAG
from aksfw_tui.model import ids
from aksfw_tui.model.resources import Cluster, Firewall, FirewallPolicy, Subnet, props, strings, text
from aksfw_tui.model.topology import ClusterEgress, Egress, Topology

TAG = "AzureKubernetesService"
PROBE_FQDN = "mcr.microsoft.com"
MAX_NARROWED_CIDRS = 8  # beyond this, "sources minus the node subnet" is no longer a readable fix


# -- scope: which firewall sees which node subnet (shared with network-rule-bypass) ---------------


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
            f"to its traffic: {egress.reason} (see outbound-type)", **egress_evidence(cluster, egress))
    if egress.status is Egress.UNKNOWN:
        return unknown(f"cannot tell whether {cluster.name} egresses through an Azure Firewall: "
                       f"{egress.reason}", **egress_evidence(cluster, egress))
    return [Scope(s.firewall, s.subnet, AddressSet.of_networks(topology.node_networks(s.subnet)))
            for s in egress.subnets if s.firewall is not None and s.subnet is not None]


def egress_evidence(cluster: Cluster, egress: ClusterEgress) -> dict[str, Any]:
    return {"outbound_type": cluster.outbound_type or None, "egress": egress.status.value,
            "egress_paths": [" → ".join(s.path) for s in egress.subnets]}


def by_firewall(scopes: Iterable[Scope]) -> dict[str, list[Scope]]:
    grouped: dict[str, list[Scope]] = {}
    for scope in scopes:
        grouped.setdefault(scope.firewall.key, []).append(scope)
    return grouped


def unreadable(ruleset: RuleSet) -> list[str]:
    """What could not be read at all (rule collection groups, policies), not single IP groups."""
    return list(dict.fromkeys(r.gap for r in ruleset.rules if r.gap))


def policy_of(topology: Topology, rule: Rule) -> FirewallPolicy | None:
    """The policy a policy rule lives in (its own or a base policy); None for classic rules."""
    if not rule.group:
        return None
    return topology.policy(ids.parent_of(rule.origin_id))


def collection_priorities(topology: Topology, ruleset: RuleSet, rule: Rule) -> set[int]:
    """Priorities already used next to `rule`: in its group, or the firewall's classic collections."""
    if rule.group:
        group = topology.rule_collection_group(rule.origin_id)
        raw = group.rule_collections if group else ()
    else:
        raw = tuple(props(c) for c in _classic_collections(ruleset.firewall, rule.kind))
    return {p for p in (c.get("priority") for c in raw) if isinstance(p, int)}


CLASSIC_KEYS = {Kind.APPLICATION: "applicationRuleCollections", Kind.NETWORK: "networkRuleCollections",
                Kind.DNAT: "natRuleCollections"}


def _classic_collections(firewall: Firewall, kind: Kind) -> list[Any]:
    value = props(firewall.raw).get(CLASSIC_KEYS[kind])
    return value if isinstance(value, list) else []


def free_priority(used: set[int], before: int | None = None) -> int | None:
    """A collection priority not in `used`: just ahead of `before` when given, else after all."""
    if before is None:
        return min(max(used, default=100) + 100, 65_000)
    candidates = [*range(before - 10, 99, -10), *range(before - 1, 99, -1)]
    return next((p for p in candidates if p not in used), None)


# -- the check ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    """A seen reason to fail, and what the fix must touch."""

    kind: str  # missing | partial | deny_collection | shadowed | denied
    scope: Scope
    affected: AddressSet  # node addresses whose HTTPS to the tag this problem blocks
    rule: Rule | None = None  # the rule to change (tag rule in a Deny collection, shadowing deny)
    destinations: tuple[str, ...] = ()
    tag_rules: tuple[Rule, ...] = ()  # partial: the Allow tag rules that do match

    @property
    def message(self) -> str:
        fw, where = self.scope.firewall.name, f"{self.affected} ({self.scope.subnet.name})"
        to = " and ".join(self.destinations)
        rule = self.rule
        if self.kind == "missing":
            return (f"{fw} has no Allow application rule with the {TAG} FQDN tag for HTTPS 443 "
                    f"whose sources include {self.scope.label}")
        if self.kind == "partial":
            many = len(self.tag_rules) > 1
            covered = self.scope.nodes - self.affected
            return (f"the {TAG} tag rule{'s' if many else ''} "
                    f"{', '.join(r.label for r in self.tag_rules)} on {fw} cover{'' if many else 's'} "
                    f"only {covered} of {self.scope.label}: {self.affected} is not covered")
        if self.kind == "deny_collection" and rule is not None:
            return (f"the {TAG} tag rule {rule.label} on {fw} is in Deny collection "
                    f"{rule.collection}, so HTTPS from {where} to the tag is denied")
        if self.kind == "shadowed" and rule is not None:
            kind = "network" if rule.kind is Kind.NETWORK else "application"
            return (f"{kind} rule {rule.label} (Deny) is processed before the {TAG} tag rule and "
                    f"denies HTTPS from {where} to {to}")
        by = f"by {rule.label}" if rule else "because no rule matches it (default deny)"
        return f"HTTPS from {where} to {to} is denied {by}"


def _add(result: Assessment, problem: Problem) -> None:
    """Record a problem, merging it with the same one seen for another destination."""
    for index, seen in enumerate(result.problems):
        if seen.kind != problem.kind or seen.rule != problem.rule:
            continue
        if problem.kind == "deny_collection" or seen.affected == problem.affected:
            result.problems[index] = dataclasses.replace(
                seen, affected=seen.affected | problem.affected,
                destinations=tuple(dict.fromkeys([*seen.destinations, *problem.destinations])))
            return
    result.problems.append(problem)


@dataclass
class Assessment:
    """What one firewall does with HTTPS from one node subnet to the tag, and why."""

    scope: Scope
    tag_rules: list[Rule]  # application rules with the tag for HTTPS 443 that touch the subnet
    problems: list[Problem] = dataclasses.field(default_factory=list)
    doubts: list[str] = dataclasses.field(default_factory=list)
    verdicts: list[Verdict] = dataclasses.field(default_factory=list)
    blockers: list[Rule] = dataclasses.field(default_factory=list)  # Denies that decide a flow
    bypassed_by: list[str] = dataclasses.field(default_factory=list)  # network Allows deciding first
    maybe_bypassed_by: list[str] = dataclasses.field(default_factory=list)  # might match first

    def evidence(self) -> dict[str, Any]:
        return {
            "subnet": self.scope.subnet.id, "cidrs": str(self.scope.nodes),
            "firewall": self.scope.firewall.id,
            "tag_rules": [r.label for r in self.tag_rules],
            "flows": [v.evidence() for v in self.verdicts],
            "bypassed_by_network_rules": self.bypassed_by,
            "maybe_bypassed_by_network_rules": self.maybe_bypassed_by,
            "problems": [p.message for p in self.problems], "undecided": self.doubts,
        }


def evaluate(topology: Topology, cluster: Cluster) -> Result:
    scopes = firewall_scopes(topology, cluster)
    if isinstance(scopes, Result):
        return scopes
    assessments = [_assess(topology, cluster, scope) for scope in scopes]
    evidence: dict[str, Any] = {"node_subnets": [a.evidence() for a in assessments],
                "unreadable": list(dict.fromkeys(
                    u for a in assessments for u in unreadable(ruleset_for(topology, a.scope.firewall))))}
    problems = [p for a in assessments for p in a.problems]
    if problems:
        return failed("; ".join(dict.fromkeys(p.message for p in problems)),
                      _remediation(topology, cluster, [a for a in assessments if a.problems]),
                      **evidence)
    doubts = [d for a in assessments for d in a.doubts]
    if doubts:
        return unknown("cannot tell whether HTTPS to the AzureKubernetesService FQDN tag is allowed: "
                       + "; ".join(dict.fromkeys(doubts)), **evidence)
    return passed("; ".join(_pass_message(a) for a in assessments), **evidence)


def _pass_message(assessment: Assessment) -> str:
    scope = assessment.scope
    rules = ", ".join(r.label for r in assessment.tag_rules if r.action is Action.ALLOW)
    message = (f"{scope.firewall.name} allows HTTPS from {scope.label} to the {TAG} FQDN tag "
               f"({rules}), and nothing processed earlier denies it")
    if assessment.bypassed_by:
        message += (f"; network rule {', '.join(assessment.bypassed_by)} matches the same traffic "
                    "first, so the tag rule is bypassed (see network-rule-bypass)")
    maybe = [r for r in assessment.maybe_bypassed_by if r not in assessment.bypassed_by]
    if maybe:
        message += (f"; network rule {', '.join(maybe)} may match it first (its destinations might "
                    "hold the tag's endpoints; see network-rule-bypass)")
    return message


def _flows(cluster: Cluster) -> list[Flow]:
    """HTTPS to the tag's members the nodes need: MCR always, konnectivity for public API servers."""
    flows = [Flow("tcp", 443, Destination.for_fqdn(PROBE_FQDN))]
    if cluster.api_fqdn and not cluster.private and not cluster.vnet_integration:
        api = Destination.api_server(cluster.api_fqdn, cluster.region)
        # The tag lists `*.hcp.<region>.azmk8s.io`; say so explicitly rather than rely on pattern
        # matching of the bundled member list.
        if fnmatch.fnmatchcase(api.fqdn, f"*.hcp.{cluster.region}.azmk8s.io"):
            api = dataclasses.replace(api, fqdn_tags=api.fqdn_tags | {AKS_FQDN_TAG})
        if AKS_FQDN_TAG in api.fqdn_tags:
            flows.append(Flow("tcp", 443, api))
    return flows


def _is_tag_rule(rule: Rule) -> bool:
    return (rule.kind is Kind.APPLICATION and AKS_FQDN_TAG in rule.fqdn_tags
            and ("https", 443) in rule.app_protocols)


def _assess(topology: Topology, cluster: Cluster, scope: Scope) -> Assessment:
    ruleset = ruleset_for(topology, scope.firewall)
    nodes = scope.nodes
    tag_rules = [r for r in ruleset.rules
                 if _is_tag_rule(r) and (r.sources_unknown or r.sources & nodes)]
    result = Assessment(scope, tag_rules)
    if not nodes:
        result.doubts.append(f"node subnet {scope.subnet.name} has no IPv4 prefix in the export")
        return result
    allow = [r for r in tag_rules if r.action is Action.ALLOW]
    covered = AddressSet.of(span for r in allow for span in (r.sources & nodes).intervals)
    explained = _structure(scope, ruleset, tag_rules, covered, result)
    for flow in _flows(cluster):
        verdict = evaluate_flow(topology, scope.firewall, flow, nodes)
        result.verdicts.append(verdict)
        _read_verdict(scope, verdict, covered, explained, result)
    return result


def _structure(scope: Scope, ruleset: RuleSet, tag_rules: list[Rule], covered: AddressSet,
               result: Assessment) -> AddressSet:
    """Absences (no tag rule, sources too narrow) fail only on a complete view. Returns the node
    addresses whose denial these findings already explain."""
    nodes = scope.nodes
    allow = [r for r in tag_rules if r.action is Action.ALLOW]
    uncovered = nodes - covered
    if not uncovered:
        return AddressSet()
    gaps = unreadable(ruleset)
    unsure = [r for r in allow if r.sources_unknown]
    if gaps or unsure:
        fw = scope.firewall.name
        result.doubts.append(
            f"no readable Allow application rule on {fw} uses the {TAG} FQDN tag for HTTPS 443"
            if not allow else f"the readable Allow rules on {fw} with the {TAG} FQDN tag for HTTPS "
            f"443 cover only {covered or 'none'} of {scope.label}")
        result.doubts.extend([*gaps, *(f"{r.label} references {r.sources_unknown}" for r in unsure)])
        return AddressSet()
    denying = [r for r in tag_rules if r.action is Action.DENY]
    if allow:
        _add(result, Problem("partial", scope, uncovered, tag_rules=tuple(allow)))
    elif denying:
        for rule in denying:
            _add(result, Problem("deny_collection", scope, rule.sources & nodes or nodes, rule))
    else:
        _add(result, Problem("missing", scope, nodes))
    return uncovered


def _read_verdict(scope: Scope, verdict: Verdict, covered: AddressSet, explained: AddressSet,
                  result: Assessment) -> None:
    if verdict.decision is Decision.CANNOT_TELL:
        doubtful = [r for o in verdict.outcomes if not o.certain for r in o.uncertain
                    if r.action is not o.action]
        if doubtful and all(r.gap for r in doubtful):  # the unreadable part, said once
            result.doubts.extend(r.gap for r in doubtful)
        else:
            result.doubts.append(f"HTTPS from {scope.label} to {verdict.flow.destination.label} on "
                                 f"{scope.firewall.name}: {verdict.reason}")
    for outcome in verdict.outcomes:
        rule = outcome.rule
        if outcome.action is Action.ALLOW:
            if rule is not None and rule.kind is Kind.NETWORK and rule.label not in result.bypassed_by:
                result.bypassed_by.append(rule.label)
            result.maybe_bypassed_by.extend(
                r.label for r in outcome.uncertain if r.kind is Kind.NETWORK
                and r.action is Action.ALLOW and r.label not in result.maybe_bypassed_by)
        elif outcome.certain:
            _read_denial(scope, verdict.flow.destination.label, outcome.sources, rule, covered,
                         explained, result)


def _read_denial(scope: Scope, dest: str, sources: AddressSet, rule: Rule | None,
                 covered: AddressSet, explained: AddressSet, result: Assessment) -> None:
    """Name why `sources` cannot reach `dest`, unless an absence finding already says so."""
    if rule is not None and rule not in result.blockers:
        result.blockers.append(rule)
    if rule is not None and _is_tag_rule(rule):
        _add(result, Problem("deny_collection", scope, sources, rule))
        return
    shadowed = sources & covered
    if shadowed and rule is None:  # the tag rule covers them yet did not match: membership unknown
        result.doubts.append(f"HTTPS from {shadowed} to {dest} matches no rule: {dest} is not known "
                             f"to be a member of the {TAG} FQDN tag")
    elif shadowed and rule is not None:
        _add(result, Problem("shadowed", scope, shadowed, rule, (dest,)))
    rest = sources - covered - explained
    if rest:
        _add(result, Problem("denied", scope, rest, rule, (dest,)))


# -- remediation ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Placement:
    """Where the Allow collection with the tag rule goes: a policy's group, or classic rules."""

    firewall: Firewall
    policy_name: str
    policy_rg: str
    policy_id: str
    group: str
    group_priority: int | None
    new_group: bool
    collection: str
    priority: int
    group_id: str = ""  # the existing group the collection goes into ('' for new groups, classic)


def _remediation(topology: Topology, cluster: Cluster, assessments: list[Assessment]) -> Remediation:
    steps: list[str] = []
    az: list[str] = ["az extension add --upgrade --name azure-firewall"]
    bicep: list[str] = []
    terraform: list[str] = []
    changes: list[Change] = []
    grouped: dict[str, list[Assessment]] = {}
    for assessment in assessments:
        grouped.setdefault(assessment.scope.firewall.key, []).append(assessment)
    for firewall_assessments in grouped.values():
        _fix_firewall(topology, cluster, firewall_assessments, steps, az, bicep, terraform, changes)
    steps.append(f"Re-run the audit: HTTPS from every node subnet of {cluster.name} to {PROBE_FQDN} "
                 "must be allowed by the tag rule.")
    names = ", ".join(dict.fromkeys(a.scope.firewall.name for a in assessments))
    return Remediation(
        summary=f"Allow HTTPS (443) and HTTP (80) from {cluster.name}'s node subnets to the {TAG} "
                f"FQDN tag on {names}, with no Deny processed before it",
        steps=tuple(dict.fromkeys(steps)), az_cli=tuple(dict.fromkeys(az)),
        bicep="\n".join(bicep), terraform="\n".join(terraform), changes=patch_order(changes),
    )


def _fix_firewall(topology: Topology, cluster: Cluster, assessments: list[Assessment],
                  steps: list[str], az: list[str], bicep: list[str], terraform: list[str],
                  changes: list[Change]) -> None:
    ruleset = ruleset_for(topology, assessments[0].scope.firewall)
    nodes = AddressSet.of(s for a in assessments for s in a.scope.nodes.intervals)
    tag_denies = [p.rule for a in assessments for p in a.problems
                  if p.kind == "deny_collection" and p.rule is not None]
    blockers = sorted({*tag_denies, *(r for a in assessments for r in a.blockers)},
                      key=ruleset.rules.index)
    # An application Deny is overtaken by placing the Allow collection ahead of it; a network Deny
    # cannot be (network rules run before every application rule), so it must be narrowed.
    app_blockers = [r for r in blockers if r.kind is Kind.APPLICATION]
    placement, stuck = _placement(topology, cluster, ruleset, app_blockers, nodes)
    narrow = [r for r in blockers if r.kind is not Kind.APPLICATION
              or (r in stuck and not _is_tag_rule(r))]
    # Addresses that need a (new) working tag rule: not those a narrowed Deny already frees.
    needed = AddressSet.of(s for a in assessments for p in a.problems
                           if p.rule is None or p.kind == "deny_collection"
                           or (p.rule.kind is Kind.APPLICATION and p.rule not in narrow)
                           for s in p.affected.intervals)
    if needed:
        sources = needed.cidrs()
        ahead = [r.label for r in app_blockers if r not in stuck]
        steps.append(f"Add an Allow application rule collection {placement.collection} (priority "
                     f"{placement.priority}) to {_where(placement)}"
                     f"{', ahead of ' + ', '.join(ahead) if ahead else ''}: HTTPS 443 and HTTP 80 "
                     f"from {', '.join(sources)} to the {TAG} FQDN tag.")
        partial = [r for a in assessments for p in a.problems if p.kind == "partial"
                   for r in p.tag_rules]
        if partial:
            steps.append(f"Alternatively, add {', '.join(sources)} to the sources of "
                         f"{', '.join(dict.fromkeys(r.label for r in partial))}.")
        az.extend(add_tag_commands(placement, sources))
        bicep.append(app_collection_bicep(placement, sources))
        terraform.append(app_collection_terraform(placement, sources))
        changes.extend(app_collection_changes(placement, sources, "aks-fqdn-tag", {"fqdnTags": [TAG]}))
    for rule in (r for r in blockers if _is_tag_rule(r)):
        steps.append(f"Remove {rule.label} from Deny collection {rule.collection}"
                     f"{with_collection(topology, ruleset, rule)}: a Deny rule with the {TAG} tag "
                     "blocks what AKS needs.")
        az.append(remove_command(topology, ruleset, rule))
        changes.extend(removal(rule_at(topology, ruleset, rule)))
        bicep.append(f"// {_container(rule)}: delete rule '{rule.name}' from Deny collection "
                     f"'{rule.collection}'.\n")
        terraform.append(f"# {_container(rule)}: delete rule \"{rule.name}\" from Deny collection "
                         f"\"{rule.collection}\".\n")
    for rule in narrow:
        rest = _narrow(topology, ruleset, rule, nodes, steps, az)
        changes.extend(_narrow_changes(topology, ruleset, rule, rest, steps))
        where = f"{_container(rule)}, collection '{rule.collection}', rule '{rule.name}' (Deny)"
        bicep.append(f"// {where}: " + (f"sourceAddresses: [ {', '.join(repr(c) for c in rest)} ]"
                                        if rest else "delete it from the collection's rules") + "\n")
        terraform.append(f"# {where}: " + (
            f"source_addresses = [{', '.join(chr(34) + c + chr(34) for c in rest)}]" if rest
            else "delete its rule block") + "\n")


def _container(rule: Rule) -> str:
    if rule.group:
        return f"Firewall policy '{rule.policy}', rule collection group '{rule.group}'"
    return f"Firewall '{rule.policy}' (classic rules)"


def _where(placement: Placement) -> str:
    if placement.policy_name:
        new = " (new)" if placement.new_group else ""
        return f"rule collection group {placement.group}{new} of policy {placement.policy_name}"
    return f"the classic application rules of {placement.firewall.name}"


def _placement(topology: Topology, cluster: Cluster, ruleset: RuleSet, blockers: list[Rule],
               nodes: AddressSet) -> tuple[Placement, list[Rule]]:
    """Where the new Allow collection goes, and the blockers it cannot be placed ahead of."""
    if blockers:
        first = min(blockers, key=ruleset.rules.index)
        priority = free_priority(collection_priorities(topology, ruleset, first),
                                 first.collection_priority)
        if priority is not None:
            return placement_near(topology, ruleset, first, "aks-fqdn-tag", cluster.name,
                                  priority), []
        group_priority = _free_group_priority(topology, first)
        if group_priority is not None:  # no room in its group: a new group ahead of it
            return placement_near(topology, ruleset, first, "aks-fqdn-tag", cluster.name,
                                  new_group_priority=group_priority), []
    return (placement_near(topology, ruleset, _home_rule(ruleset, nodes), "aks-fqdn-tag",
                           cluster.name), list(blockers))


def _free_group_priority(topology: Topology, rule: Rule) -> int | None:
    policy = policy_of(topology, rule)
    if policy is None or rule.group_priority is None:
        return None
    groups = (topology.rule_collection_group(g) for g in policy.rule_collection_group_ids)
    return free_priority({g.priority for g in groups if g and g.priority is not None},
                         rule.group_priority)


def _home_rule(ruleset: RuleSet, nodes: AddressSet) -> Rule | None:
    """A rule of the firewall's own policy that already serves these nodes: its group is home."""
    own = ruleset.policy_chain[-1].name if ruleset.policy_chain else ""
    mine = [r for r in ruleset.rules if not r.gap and (not own or r.policy == own)]
    for wanted in (lambda r: _is_tag_rule(r) and r.action is Action.ALLOW,
                   lambda r: bool(r.sources & nodes), lambda r: True):
        found = next((r for r in mine if wanted(r)), None)
        if found is not None:
            return found
    return None


def placement_near(topology: Topology, ruleset: RuleSet, anchor: Rule | None, collection: str,
                   suffix: str, priority: int | None = None,
                   new_group_priority: int | None = None) -> Placement:
    """A new application collection next to `anchor`: same group of the same policy (or the
    firewall's classic rules; or a new group of that policy when `new_group_priority` is given),
    a name not yet taken there, and `priority` or one after all others."""
    firewall = ruleset.firewall
    if not firewall.policy_id:
        existing = [{**props(c), "name": c.get("name")}
                    for c in _classic_collections(firewall, Kind.APPLICATION)]
        return _placed(firewall, "", firewall.resource_group, "", "", None, False, existing,
                       collection, suffix, priority, "")
    own = ruleset.policy_chain[-1] if ruleset.policy_chain else None
    policy = (policy_of(topology, anchor) if anchor is not None else None) or own
    policy_id = policy.id if policy else firewall.policy_id
    policy_name = policy.name if policy else ids.name_of(firewall.policy_id)
    policy_rg = (policy.resource_group if policy else ids.resource_group_of(firewall.policy_id)) or ""
    group = topology.rule_collection_group(anchor.origin_id) if anchor and anchor.group else None
    if group is None or new_group_priority is not None:
        group_ids = policy.rule_collection_group_ids if policy else ()
        taken = {ids.name_of(g).lower() for g in group_ids}
        used = {g.priority for g in map(topology.rule_collection_group, group_ids)
                if g and g.priority is not None}
        name = "rcg-aks-egress" if "rcg-aks-egress" not in taken else f"rcg-aks-egress-{suffix}"
        return _placed(firewall, policy_name, policy_rg, policy_id, name,
                       new_group_priority or free_priority(used), True, [], collection, suffix,
                       priority, "")
    return _placed(firewall, policy_name, policy_rg, policy_id, group.name, group.priority, False,
                   list(group.rule_collections), collection, suffix, priority, group.id)


def _placed(firewall: Firewall, policy_name: str, policy_rg: str, policy_id: str, group: str,
            group_priority: int | None, new_group: bool, existing: list[Any], collection: str,
            suffix: str, priority: int | None, group_id: str) -> Placement:
    names = {text(c.get("name")) for c in existing}
    used = {p for c in existing for p in [c.get("priority")] if isinstance(p, int)}
    name = collection if collection not in names else f"{collection}-{suffix}"
    return Placement(firewall, policy_name, policy_rg, policy_id, group, group_priority, new_group,
                     name, priority or free_priority(used) or 65_000, group_id)


def remove_command(topology: Topology, ruleset: RuleSet, rule: Rule) -> str:
    policy = policy_of(topology, rule)
    if policy is not None:
        return (f"az network firewall policy rule-collection-group collection rule remove "
                f"--resource-group {policy.resource_group} --policy-name {policy.name} "
                f"--rule-collection-group-name {rule.group} --collection-name {rule.collection} "
                f"--name {rule.name}")
    verb = "application-rule" if rule.kind is Kind.APPLICATION else "network-rule"
    at = rule_at(topology, ruleset, rule)
    if at is not None and at.last_classic:  # a classic collection cannot be left without rules
        return (f"az network firewall {verb} collection delete --resource-group "
                f"{ruleset.firewall.resource_group} --firewall-name {ruleset.firewall.name} "
                f"--collection-name {rule.collection}")
    return (f"az network firewall {verb} delete --resource-group {ruleset.firewall.resource_group} "
            f"--firewall-name {ruleset.firewall.name} --collection-name {rule.collection} "
            f"--name {rule.name}")


def _narrow(topology: Topology, ruleset: RuleSet, rule: Rule, nodes: AddressSet, steps: list[str],
            az: list[str]) -> list[str]:
    """Take the node subnets out of a Deny rule's sources (returned), or remove the rule (returns
    []) when nothing would remain or the remainder is too long to be a readable change."""
    rest = (rule.sources - nodes).cidrs()
    if not rest or len(rest) > MAX_NARROWED_CIDRS:
        steps.append(f"Remove {rule.label} (Deny){with_collection(topology, ruleset, rule)}: Azure "
                     f"Firewall already denies whatever no rule allows, and this explicit Deny stops "
                     f"{', '.join(nodes.cidrs())} before the {TAG} application rule is reached. If it "
                     "must stay, exclude the node subnets from its sources.")
        az.append(remove_command(topology, ruleset, rule))
        return []
    steps.append(f"Narrow the sources of {rule.label} (Deny) to {', '.join(rest)} so it no longer "
                 f"matches the node subnets {', '.join(nodes.cidrs())}.")
    policy = policy_of(topology, rule)
    if policy is not None:
        az.append(f"az network firewall policy rule-collection-group collection rule update "
                  f"--resource-group {policy.resource_group} --policy-name {policy.name} "
                  f"--rule-collection-group-name {rule.group} --collection-name {rule.collection} "
                  f"--name {rule.name} --source-addresses {' '.join(rest)}")
        return rest
    # Classic rules have no update command: delete and re-create with the narrowed sources.
    az.append(remove_command(topology, ruleset, rule))
    fw = ruleset.firewall
    if rule.kind is Kind.NETWORK:
        protocols = " ".join(sorted("Any" if p == "any" else p.upper() for p in rule.protocols))
        az.append(f"az network firewall network-rule create --resource-group {fw.resource_group} "
                  f"--firewall-name {fw.name} --collection-name {rule.collection} "
                  f"{reopen_args(topology, ruleset, rule)}--name {rule.name} "
                  f"--protocols {protocols} --source-addresses {' '.join(rest)} "
                  f"--destination-addresses {shell_words(rule.destinations)} "
                  f"--destination-ports {' '.join(port_specs(rule.ports.ranges))}")
    else:
        steps.append(f"Re-create {rule.label} in classic collection {rule.collection} with sources "
                     f"{', '.join(rest)} and its former targets.")
    return rest


def with_collection(topology: Topology, ruleset: RuleSet, rule: Rule) -> str:
    """For a step that removes a rule: the classic collection that goes with its last rule."""
    at = rule_at(topology, ruleset, rule)
    if at is None or not at.last_classic:
        return ""
    return (f" together with its collection {rule.collection}, which as a classic collection cannot "
            "be left without rules")


def reopen_args(topology: Topology, ruleset: RuleSet, rule: Rule) -> str:
    """Re-creating the last rule of a classic collection re-creates the collection (deleted with
    it), which needs its priority and action back."""
    at = rule_at(topology, ruleset, rule)
    if at is None or not at.last_classic:
        return ""
    return f"--priority {rule.collection_priority} --action {rule.action.value.capitalize()} "


def _narrow_changes(topology: Topology, ruleset: RuleSet, rule: Rule, rest: list[str],
                    steps: list[str]) -> list[Change]:
    """The plan of `_narrow`: the rule removed (`rest` empty) or its sources replaced by `rest`."""
    at = rule_at(topology, ruleset, rule)
    if at is None or not rest:
        return removal(at)
    found = [property_change(at, "sourceAddresses", rest)]
    if strings(at.raw.get("sourceIpGroups")):
        # `rest` already lists what remains of the groups' addresses; a group left on the rule
        # would keep matching the node subnets.
        found.append(property_change(at, "sourceIpGroups", []))
        steps.append(f"Also clear the IP groups of {rule.label}: the addresses it keeps are now listed "
                     "in its sources, and an IP group holding the node subnets would still match them.")
    return [c for c in found if c is not None]


def shell_words(values: Iterable[str]) -> str:
    """Values for a shell command line, a `*` quoted so the shell does not expand it."""
    return " ".join(f"'{v}'" if "*" in v else v for v in values)


def port_specs(ranges: Iterable[tuple[int, int]]) -> list[str]:
    return [str(low) if low == high else f"{low}-{high}" for low, high in ranges]


# -- plan: JSON Patch operations on an existing group or classic firewall (shared) ---------------


@dataclass(frozen=True)
class RuleAt:
    """Where a rule sits in the ARM JSON of the resource that holds it: its rule collection group,
    or the firewall for classic rules."""

    resource_id: str
    path: str  # JSON Pointer to the rule
    raw: Mapping[str, Any]
    collection_path: str
    collection_raw: Mapping[str, Any]
    last_classic: bool  # the only rule of a classic collection, which may not be left empty


def rule_at(topology: Topology, ruleset: RuleSet, rule: Rule) -> RuleAt | None:
    """The rule's place in the exported JSON, or None when it cannot be found there."""
    if rule.gap:
        return None
    if rule.group:
        group = topology.rule_collection_group(rule.origin_id)
        if group is None:
            return None
        holder_id, holder_raw, key = group.id, group.raw, "ruleCollections"
    else:
        holder_id, holder_raw, key = ruleset.firewall.id, ruleset.firewall.raw, CLASSIC_KEYS[rule.kind]
    # Policy collections hold `rules` themselves; classic collections hold them under `properties`.
    inner = "rules" if rule.group else "properties/rules"
    for c_index, collection in _indexed(props(holder_raw).get(key)):
        if text(collection.get("name")) != rule.collection:
            continue
        rules = _indexed(collection.get("rules") if rule.group else props(collection).get("rules"))
        for r_index, raw in rules:
            if text(raw.get("name")) == rule.name:
                where = f"/properties/{key}/{c_index}"
                return RuleAt(holder_id, f"{where}/{inner}/{r_index}", raw, where, collection,
                              not rule.group and len(rules) == 1)
    return None


def _indexed(value: Any) -> list[tuple[int, Mapping[str, Any]]]:
    """The objects of a JSON list with their index in the raw list (what a JSON Pointer needs)."""
    if not isinstance(value, list):
        return []
    return [(index, entry) for index, entry in enumerate(value) if isinstance(entry, Mapping)]


def removal(at: RuleAt | None) -> list[Change]:
    """The rule removed; the last rule of a classic collection goes with its collection."""
    if at is None:
        return []
    if at.last_classic:
        return [Change(at.resource_id, "remove", at.collection_path,
                       before=copy.deepcopy(dict(at.collection_raw)))]
    return [Change(at.resource_id, "remove", at.path, before=copy.deepcopy(dict(at.raw)))]


def property_change(at: RuleAt, key: str, value: Any) -> Change | None:
    """Set one property of the rule; None when it already has that value."""
    before = at.raw.get(key)
    if before == value:
        return None
    return Change(at.resource_id, "add" if before is None else "replace", f"{at.path}/{key}", value,
                  copy.deepcopy(before))


def app_collection_changes(placement: Placement, sources: Sequence[str], rule: str,
                           target: Mapping[str, list[str]]) -> list[Change]:
    """The new Allow application collection (HTTPS 443, HTTP 80) appended to its existing group or
    to the classic firewall's collections; nothing when it goes into a new group (a new resource)."""
    protocols = [{"protocolType": "Https", "port": 443}, {"protocolType": "Http", "port": 80}]
    entry = {"name": rule, "sourceAddresses": list(sources), "protocols": protocols,
             **{k: list(v) for k, v in target.items()}}
    if not placement.policy_name:
        return [Change(placement.firewall.id, "add", f"/properties/{CLASSIC_KEYS[Kind.APPLICATION]}/-",
                       {"name": placement.collection,
                        "properties": {"priority": placement.priority, "action": {"type": "Allow"},
                                       "rules": [entry]}})]
    if placement.new_group or not placement.group_id:
        return []
    return [Change(placement.group_id, "add", "/properties/ruleCollections/-",
                   {"ruleCollectionType": "FirewallPolicyFilterRuleCollection",
                    "name": placement.collection, "priority": placement.priority,
                    "action": {"type": "Allow"}, "rules": [{"ruleType": "ApplicationRule", **entry}]})]


def patch_order(changes: Iterable[Change]) -> tuple[Change, ...]:
    """Applied in this order every path still points where it did in the export: appends and
    in-place changes first, then removals, highest index first within each list. Duplicates go."""
    unique: list[Change] = []
    for change in changes:
        if change not in unique:
            unique.append(change)
    removals = sorted((c for c in unique if c.op == "remove"), key=_pointer_order, reverse=True)
    return tuple([c for c in unique if c.op != "remove"] + removals)


def _pointer_order(change: Change) -> tuple[str, tuple[tuple[int, int, str], ...]]:
    steps = tuple((1, int(p), "") if p.isdigit() else (0, 0, p) for p in change.path.split("/"))
    return ids.key(change.resource_id), steps


# -- application-rule snippets (shared with network-rule-bypass) ----------------------------------


def add_tag_commands(placement: Placement, sources: Sequence[str], rule: str = "aks-fqdn-tag",
                     targets: str = f"--fqdn-tags {TAG}") -> list[str]:
    """az commands that add an Allow application collection for HTTPS/HTTP from `sources`."""
    src = " ".join(sources)
    if not placement.policy_name:
        fw = placement.firewall
        return [f"az network firewall application-rule create --resource-group {fw.resource_group} "
                f"--firewall-name {fw.name} --collection-name {placement.collection} --name {rule} "
                f"--priority {placement.priority} --action Allow --protocols Https=443 Http=80 "
                f"--source-addresses {src} {targets}"]
    out = []
    if placement.new_group:
        out.append(f"az network firewall policy rule-collection-group create --resource-group "
                   f"{placement.policy_rg} --policy-name {placement.policy_name} "
                   f"--name {placement.group} --priority {placement.group_priority}")
    out.append(f"az network firewall policy rule-collection-group collection add-filter-collection "
               f"--resource-group {placement.policy_rg} --policy-name {placement.policy_name} "
               f"--rule-collection-group-name {placement.group} --name {placement.collection} "
               f"--collection-priority {placement.priority} --action Allow --rule-name {rule} "
               f"--rule-type ApplicationRule --protocols Https=443 Http=80 --source-addresses {src} "
               f"{targets}")
    return out


def app_collection_bicep(placement: Placement, sources: Sequence[str], rule: str = "aks-fqdn-tag",
                         target: str = f"fqdnTags: [ '{TAG}' ]") -> str:
    src = ", ".join(f"'{s}'" for s in sources)
    rule_lines = [
        f"name: '{rule}'",
        f"sourceAddresses: [ {src} ]",
        "protocols: [",
        "  { protocolType: 'Https', port: 443 }",
        "  { protocolType: 'Http', port: 80 }",
        "]",
        target,
    ]
    if not placement.policy_name:
        fw = placement.firewall
        body = "\n".join(" " * 8 + line for line in rule_lines)
        return f"""// Classic rules: add this entry to properties.applicationRuleCollections of firewall
// '{fw.name}' (resource group {fw.resource_group}); the firewall is deployed whole, keep the rest.
{{
  name: '{placement.collection}'
  properties: {{
    priority: {placement.priority}
    action: {{ type: 'Allow' }}
    rules: [
      {{
{body}
      }}
    ]
  }}
}}
"""
    body = "\n".join(" " * 12 + line for line in ["ruleType: 'ApplicationRule'", *rule_lines])
    symbol = "".join(c if c.isalnum() else "_" for c in placement.group)
    return f"""// Deploy to resource group {placement.policy_rg} (firewall policy {placement.policy_name}).
resource policy 'Microsoft.Network/firewallPolicies@2024-05-01' existing = {{
  name: '{placement.policy_name}'
}}

// A rule collection group is deployed whole: keep the group's existing collections in the list.
resource {symbol} 'Microsoft.Network/firewallPolicies/ruleCollectionGroups@2024-05-01' = {{
  parent: policy
  name: '{placement.group}'
  properties: {{
    priority: {placement.group_priority}
    ruleCollections: [
      {{
        ruleCollectionType: 'FirewallPolicyFilterRuleCollection'
        name: '{placement.collection}'
        priority: {placement.priority}
        action: {{ type: 'Allow' }}
        rules: [
          {{
{body}
          }}
        ]
      }}
    ]
  }}
}}
"""


def app_collection_terraform(placement: Placement, sources: Sequence[str], rule: str = "aks-fqdn-tag",
                             target: str = f'destination_fqdn_tags = ["{TAG}"]') -> str:
    """`target` uses the policy attribute names; classic rules spell them fqdn_tags/target_fqdns."""
    src = ", ".join(f'"{s}"' for s in sources)
    symbol = "".join(c if c.isalnum() else "_" for c in (placement.group or placement.collection))
    if not placement.policy_name:
        fw = placement.firewall
        classic = target.replace("destination_fqdn_tags", "fqdn_tags").replace(
            "destination_fqdns", "target_fqdns")
        return f"""resource "azurerm_firewall_application_rule_collection" "{symbol}" {{
  name                = "{placement.collection}"
  azure_firewall_name = "{fw.name}"
  resource_group_name = "{fw.resource_group}"
  priority            = {placement.priority}
  action              = "Allow"

  rule {{
{_aligned([f'name = "{rule}"', f"source_addresses = [{src}]", classic], 4)}

    protocol {{
      port = "443"
      type = "Https"
    }}
    protocol {{
      port = "80"
      type = "Http"
    }}
  }}
}}
"""
    return f"""# A rule collection group is managed whole: keep the group's existing collections in it.
resource "azurerm_firewall_policy_rule_collection_group" "{symbol}" {{
  name               = "{placement.group}"
  firewall_policy_id = "{placement.policy_id}"
  priority           = {placement.group_priority}

  application_rule_collection {{
    name     = "{placement.collection}"
    priority = {placement.priority}
    action   = "Allow"

    rule {{
{_aligned([f'name = "{rule}"', f"source_addresses = [{src}]", target], 6)}

      protocols {{
        type = "Https"
        port = 443
      }}
      protocols {{
        type = "Http"
        port = 80
      }}
    }}
  }}
}}
"""


def _aligned(lines: Sequence[str], indent: int) -> str:
    """`key = value` lines with the `=` aligned, as terraform fmt writes them."""
    pairs = [line.partition(" = ") for line in lines]
    width = max(len(key) for key, _, _ in pairs)
    return "\n".join(f"{' ' * indent}{key.ljust(width)} = {value}" for key, _, value in pairs)


CHECK = Check(
    id="fqdn-tag-rule",
    title="The cluster's firewall allows HTTPS from every node subnet to the AzureKubernetesService "
          "FQDN tag",
    subjects=(Subject.CLUSTER,),
    severity=Severity.HIGH,
    passes_when=(
        "the firewall that every node subnet's default route points at has an Allow application "
        "rule with the AzureKubernetesService FQDN tag for HTTPS 443 whose sources cover each whole "
        "node subnet, and evaluating its rules in Azure Firewall's order, HTTPS from every node "
        "subnet to the tag's members (mcr.microsoft.com; the public API server's "
        "*.hcp.<region>.azmk8s.io name) is allowed, i.e. no Deny is processed before the tag rule."
    ),
    rationale=(
        "Nodes pull system images from Microsoft Container Registry, reach the control plane, Entra "
        "ID and package mirrors over HTTPS. Microsoft publishes these endpoints as the "
        "AzureKubernetesService FQDN tag and keeps it current; without an Allow rule for it (or "
        "behind an earlier Deny) nodes fail to start, scale or upgrade. A tag rule whose sources "
        "miss part of the node subnet breaks only the nodes that land there, which surfaces late."
    ),
    references=(
        "https://learn.microsoft.com/azure/aks/limit-egress-traffic",
        "https://learn.microsoft.com/azure/aks/outbound-rules-control-egress",
        "https://learn.microsoft.com/azure/firewall/fqdn-tags",
        "https://learn.microsoft.com/azure/firewall/rule-processing",
    ),
    evaluate=evaluate,
)
