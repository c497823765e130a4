"""fqdn-tag-rule: the cluster's firewall allows HTTPS from every node subnet to the
`AzureKubernetesService` FQDN tag, and nothing processed earlier denies it.

Two questions per firewall and node subnet. Structure: is there an Allow application rule with the
tag for HTTPS 443 whose sources cover the whole subnet? Effect (DESIGN §5, via the evaluator): is
HTTPS from the subnet to the tag's members (`mcr.microsoft.com`, and the API server's
`*.hcp.<region>.azmk8s.io` name for public clusters) allowed? "No rule" and "partial sources" are
absences, so they fail only when every rule was readable; a Deny that decides the flow is a seen
failure. A network rule that allows the traffic first still lets the cluster work: that bypass is
network-rule-bypass's finding and only evidence here.

The fix adds an Allow application collection with the tag rule ahead of the application Denies that
decide the flow (`remediation.app_collection`), removes tag rules in Deny collections, and narrows
(or removes) Denies it cannot be placed ahead of (`remediation.firewall_rules`).
"""

from __future__ import annotations

import dataclasses
import fnmatch
from dataclasses import dataclass
from typing import Any

from aksfw_tui.checks.base import (
    Change,
    Check,
    Remediation,
    Result,
    Severity,
    Status,
    Subject,
    failed,
    passed,
    unknown,
)
from aksfw_tui.checks.node_egress import Scope, by_firewall, firewall_scopes
from aksfw_tui.firewall.addresses import AddressSet
from aksfw_tui.firewall.evaluator import Decision, Destination, Flow, Verdict, evaluate_flow
from aksfw_tui.firewall.rules import Action, Kind, Rule, RuleSet, ruleset_for
from aksfw_tui.firewall.tags import AKS_FQDN_TAG
from aksfw_tui.model.resources import Cluster, strings
from aksfw_tui.model.topology import Topology
from aksfw_tui.remediation.app_collection import (
    Placement,
    collection_priorities,
    free_priority,
    placement_near,
    web_rule,
    write_app_collection,
)
from aksfw_tui.remediation.firewall_rules import (
    kind_word,
    policy_of,
    port_specs,
    property_change,
    recreate_network_rule_commands,
    removal,
    remove_command,
    rule_at,
    update_command,
    with_collection,
)
from aksfw_tui.remediation.plan import Draft

TAG = "AzureKubernetesService"
PROBE_FQDN = "mcr.microsoft.com"
MAX_NARROWED_CIDRS = 8  # beyond this, "sources minus the node subnet" is no longer a readable fix


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
            return (f"{kind_word(rule.kind)} rule {rule.label} (Deny) is processed before the {TAG} "
                    f"tag rule and denies HTTPS from {where} to {to}")
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
    result = _evaluate(topology, cluster)
    if result.status is Status.PASS and cluster.api_unread:  # the API server flow may be needed
        return unknown(f"{cluster.api_unread}, so whether the nodes need the API server through "
                       "the firewall cannot be told", **result.evidence)
    return result


def _evaluate(topology: Topology, cluster: Cluster) -> Result:
    scopes = firewall_scopes(topology, cluster)
    if isinstance(scopes, Result):
        return scopes
    assessments = [_assess(topology, cluster, scope) for scope in scopes]
    evidence: dict[str, Any] = {"node_subnets": [a.evidence() for a in assessments],
                "unreadable": list(dict.fromkeys(
                    u for a in assessments for u in _unreadable(ruleset_for(topology, a.scope.firewall))))}
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


def _unreadable(ruleset: RuleSet) -> list[str]:
    """What could not be read at all (rule collection groups, policies), not single IP groups."""
    return list(dict.fromkeys(r.gap for r in ruleset.rules if r.gap))


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
    gaps = _unreadable(ruleset)
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


def _remediation(topology: Topology, cluster: Cluster, assessments: list[Assessment]) -> Remediation:
    draft = Draft(az=["az extension add --upgrade --name azure-firewall"])
    for firewall_assessments in by_firewall(assessments, lambda a: a.scope.firewall):
        _fix_firewall(topology, cluster, firewall_assessments, draft)
    draft.steps.append(f"Re-run the audit: HTTPS from every node subnet of {cluster.name} to {PROBE_FQDN} "
                       "must be allowed by the tag rule.")
    names = ", ".join(dict.fromkeys(a.scope.firewall.name for a in assessments))
    return draft.remediation(f"Allow HTTPS (443) and HTTP (80) from {cluster.name}'s node subnets to the "
                             f"{TAG} FQDN tag on {names}, with no Deny processed before it")


def _fix_firewall(topology: Topology, cluster: Cluster, assessments: list[Assessment],
                  draft: Draft) -> None:
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
        ahead = [r.label for r in app_blockers if r not in stuck]
        _add_tag_collection(assessments, placement, needed.cidrs(), ahead, draft)
    for rule in (r for r in blockers if _is_tag_rule(r)):
        _remove_tag_deny(topology, ruleset, rule, draft)
    for rule in narrow:
        _narrow_deny(topology, ruleset, rule, nodes, draft)


def _add_tag_collection(assessments: list[Assessment], placement: Placement, sources: list[str],
                        ahead: list[str], draft: Draft) -> None:
    """The Allow collection with the tag rule, ahead of the application Denies named in `ahead`."""
    draft.steps.append(f"Add an Allow application rule collection {placement.collection} (priority "
                       f"{placement.priority}) to {_where(placement)}"
                       f"{', ahead of ' + ', '.join(ahead) if ahead else ''}: HTTPS 443 and HTTP 80 "
                       f"from {', '.join(sources)} to the {TAG} FQDN tag.")
    partial = [r for a in assessments for p in a.problems if p.kind == "partial" for r in p.tag_rules]
    if partial:
        draft.steps.append(f"Alternatively, add {', '.join(sources)} to the sources of "
                           f"{', '.join(dict.fromkeys(r.label for r in partial))}.")
    write_app_collection(draft, placement, sources, web_rule("aks-fqdn-tag", fqdn_tags=(TAG,)))


def _remove_tag_deny(topology: Topology, ruleset: RuleSet, rule: Rule, draft: Draft) -> None:
    """A tag rule in a Deny collection goes: the new Allow collection carries the tag instead."""
    draft.steps.append(f"Remove {rule.label} from Deny collection {rule.collection}"
                       f"{with_collection(topology, ruleset, rule)}: a Deny rule with the {TAG} tag "
                       "blocks what AKS needs.")
    draft.az.append(remove_command(topology, ruleset, rule))
    draft.changes.extend(removal(rule_at(topology, ruleset, rule)))
    draft.bicep.append(f"// {_container(rule)}: delete rule '{rule.name}' from Deny collection "
                       f"'{rule.collection}'.\n")
    draft.terraform.append(f"# {_container(rule)}: delete rule \"{rule.name}\" from Deny collection "
                           f"\"{rule.collection}\".\n")


def _narrow_deny(topology: Topology, ruleset: RuleSet, rule: Rule, nodes: AddressSet,
                 draft: Draft) -> None:
    """A Deny the new collection cannot be placed ahead of stops matching the node subnets."""
    rest = _narrow(topology, ruleset, rule, nodes, draft)
    draft.changes.extend(_narrow_changes(topology, ruleset, rule, rest, draft.steps))
    where = f"{_container(rule)}, collection '{rule.collection}', rule '{rule.name}' (Deny)"
    draft.bicep.append(f"// {where}: " + (f"sourceAddresses: [ {', '.join(repr(c) for c in rest)} ]"
                                          if rest else "delete it from the collection's rules") + "\n")
    draft.terraform.append(f"# {where}: " + (
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


def _narrow(topology: Topology, ruleset: RuleSet, rule: Rule, nodes: AddressSet, draft: Draft) -> list[str]:
    """Take the node subnets out of a Deny rule's sources (returned), or remove the rule (returns
    []) when nothing would remain or the remainder is too long to be a readable change."""
    rest = (rule.sources - nodes).cidrs()
    if not rest or len(rest) > MAX_NARROWED_CIDRS:
        draft.steps.append(f"Remove {rule.label} (Deny){with_collection(topology, ruleset, rule)}: Azure "
                           f"Firewall already denies whatever no rule allows, and this explicit Deny stops "
                           f"{', '.join(nodes.cidrs())} before the {TAG} application rule is reached. If "
                           "it must stay, exclude the node subnets from its sources.")
        draft.az.append(remove_command(topology, ruleset, rule))
        return []
    draft.steps.append(f"Narrow the sources of {rule.label} (Deny) to {', '.join(rest)} so it no longer "
                       f"matches the node subnets {', '.join(nodes.cidrs())}.")
    policy = policy_of(topology, rule)
    if policy is not None:
        draft.az.append(update_command(policy, rule, f"--source-addresses {' '.join(rest)}"))
    elif rule.kind is Kind.NETWORK:
        draft.az.extend(recreate_network_rule_commands(topology, ruleset, rule, rest,
                                                       port_specs(rule.ports.ranges)))
    else:  # a classic application rule is re-created by hand: the step says how
        draft.az.append(remove_command(topology, ruleset, rule))
        draft.steps.append(f"Re-create {rule.label} in classic collection {rule.collection} with "
                           f"sources {', '.join(rest)} and its former targets.")
    return rest


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
