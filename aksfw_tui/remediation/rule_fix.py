"""New Allow collections that open flows a firewall denies from a cluster's node subnets.

A `RuleFix` is the plan for one firewall: the collections to add for the node CIDRs, and the rules
that decided the denied flows (explicit Denies the new collections must be processed before; Allow
rules covering only part of the node subnets, which could be widened instead). `rule_remediation`
places each fix (the policy's group holding the earliest Deny to overtake, else a group beside a
partial Allow, else the policy's first group; or the firewall's classic collections), and writes the
steps, the plan (appends to the existing group or classic firewall) and, through
`rule_fix_snippets`, the az CLI, Bicep and Terraform. Used by tunnel-ports and required-egress.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import chain

from aksfw_tui.firewall.rules import Action, Kind, Rule
from aksfw_tui.model import ids
from aksfw_tui.model.resources import Cluster, Firewall, FirewallPolicy, RuleCollectionGroup, items, props
from aksfw_tui.model.topology import Topology
from aksfw_tui.remediation.firewall_rules import (
    CLASSIC_KEYS,
    NewRule,
    append_collection,
    kind_word,
    rule_json,
)
from aksfw_tui.remediation.model import Change, Remediation
from aksfw_tui.remediation.rule_fix_snippets import fix_bicep, fix_commands, fix_terraform


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


@dataclass(frozen=True)
class FixPlacement:
    """Where a fix's new collections go: a policy's rule collection group, or a classic firewall."""

    policy: FirewallPolicy | None
    policy_name: str
    policy_rg: str
    group: str
    group_priority: int
    group_exists: bool
    priorities: tuple[int, ...]  # one per collection of the fix
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
        az.extend(fix_commands(fix, place))
        bicep.append(fix_bicep(fix, place))
        terraform.append(fix_terraform(fix, place))
        changes.extend(_changes(fix, place))
    steps.append(f"Re-run the audit on a fresh export to confirm {cluster.name}'s flows are allowed.")
    return Remediation(summary=summary, steps=tuple(steps), az_cli=tuple(dict.fromkeys(az)),
                       bicep="\n".join(bicep), terraform="\n".join(terraform), changes=tuple(changes))


# -- where the collections go ------------------------------------------------------------------------


def _placement(topology: Topology, fix: RuleFix) -> FixPlacement:
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
    target = _target_group(fix, name, groups)
    if target is None:
        taken = {g.priority for g in groups}
        priority = next(p for p in range(200, 65_001, 100) if p not in taken)
        return FixPlacement(policy, name, rg, "rcg-aks-egress", priority, False,
                            _priorities(fix, set(), lambda c: None), tuple(notes))
    used = {p for c in target.rule_collections if isinstance(p := c.get("priority"), int)}

    def below(collection: NewCollection) -> int | None:
        return min((r.collection_priority for r in fix.blockers(collection)
                    if r.policy == name and r.group == target.name and r.kind is collection.kind),
                   default=None)

    return FixPlacement(policy, name, rg, target.name, target.priority or 0, True,
                        _priorities(fix, used, below), tuple(notes), target.id)


def _target_group(fix: RuleFix, policy_name: str,
                  groups: list[RuleCollectionGroup]) -> RuleCollectionGroup | None:
    """Where the earliest own Deny is (to overtake it), else beside a rule that already covers
    part of the node subnets, else the policy's first group."""
    own = sorted((r for r in fix.blockers() if r.policy == policy_name and r.group),
                 key=lambda r: (r.group_priority or 0, r.collection_priority))
    partial_groups = [r.group for r in fix.partial() if r.policy == policy_name and r.group]
    return next((g for g in groups if own and g.name == own[0].group), None) or next(
        (g for g in groups if g.name in partial_groups), None) or min(
        groups, key=lambda g: g.priority or 0, default=None)


def _classic_placement(fix: RuleFix) -> FixPlacement:
    p = props(fix.firewall.raw)
    priorities: list[int] = []
    for collection in fix.collections:
        # Classic priorities are unique per kind of collection; Deny collections of the same kind
        # must come after the new one.
        used = {u for c in items(p.get(CLASSIC_KEYS[collection.kind]))
                if isinstance(u := props(c).get("priority"), int)}
        below = min((r.collection_priority for r in fix.blockers(collection)
                     if r.kind is collection.kind), default=None)
        priorities.append(_free(used | set(priorities), below))
    return FixPlacement(None, "", fix.firewall.resource_group, "", 0, False, tuple(priorities),
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


# -- steps and plan ----------------------------------------------------------------------------------


def _steps(fix: RuleFix, place: FixPlacement) -> list[str]:
    where = (f"rule collection group {place.group} (priority {place.group_priority}) of firewall "
             f"policy {place.policy_name} (resource group {place.policy_rg})" if place.policy_name
             else f"the classic rules of firewall {fix.firewall.name} "
                  f"(resource group {fix.firewall.resource_group})")
    if place.policy_name and not place.group_exists:
        where = f"a new {where}"
    steps = [
        f"Add an Allow {kind_word(c.kind)} rule collection {c.name} (priority {prio}) to {where}: "
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


def _overtake(rule: Rule, collection: NewCollection, priority: int, place: FixPlacement) -> str:
    """How the new collection gets past an explicit Deny of the same kind."""
    same_group = not place.policy_name or rule.group == place.group
    if same_group and priority < rule.collection_priority:
        return (f"{rule.label} (Deny, collection priority {rule.collection_priority}) decides this "
                f"traffic today: {collection.name} gets priority {priority} so it is processed "
                "first; or narrow that rule.")
    return (f"{rule.label} (Deny) decides this traffic today and is processed before "
            f"{collection.name} would be: narrow it, or move it after the new collection.")


def _changes(fix: RuleFix, place: FixPlacement) -> list[Change]:
    """The new collections appended to the existing group or the classic firewall's collections;
    nothing when they go into a new group (a new resource, in the snippets only)."""
    classic = not place.policy_name
    if not classic and not (place.group_exists and place.group_id):
        return []
    holder = fix.firewall.id if classic else place.group_id
    return [append_collection(holder, classic, collection.kind, collection.name, priority,
                              [rule_json(r, fix.sources, classic) for r in collection.rules])
            for collection, priority in zip(fix.collections, place.priorities, strict=True)]
