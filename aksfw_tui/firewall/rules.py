"""A firewall's rules flattened into processing order: classic collections, or a Firewall Policy
with its base-policy chain, rule collection groups and collections, in Azure Firewall's order."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import IntEnum, StrEnum
from typing import Any

from aksfw_tui.firewall.addresses import AddressSet, parse_address
from aksfw_tui.model import ids
from aksfw_tui.model.evidence import Reading
from aksfw_tui.model.resources import (
    Firewall,
    FirewallPolicy,
    RuleCollectionGroup,
    items,
    obj,
    priority_of,
    props,
    strings,
    text,
)
from aksfw_tui.model.topology import Topology


class Kind(IntEnum):
    """Processing order: DNAT, then network, then application rules."""

    DNAT = 0
    NETWORK = 1
    APPLICATION = 2


class Action(StrEnum):
    ALLOW = "allow"
    DENY = "deny"
    DNAT = "dnat"
    UNKNOWN = "unknown"  # a gap: rules we could not read


@dataclass(frozen=True)
class PortSet:
    ranges: tuple[tuple[int, int], ...]

    @staticmethod
    def parse(values: Sequence[str]) -> PortSet:
        spans = []
        for value in values:
            value = str(value).strip()
            if value == "*":
                spans.append((0, 65535))
            elif "-" in value:
                low, _, high = value.partition("-")
                if low.strip().isdigit() and high.strip().isdigit():
                    spans.append((int(low), int(high)))
            elif value.isdigit():
                spans.append((int(value), int(value)))
        return PortSet(tuple(spans))

    def __contains__(self, port: int) -> bool:
        return any(low <= port <= high for low, high in self.ranges)

    @property
    def is_any(self) -> bool:
        return (0, 65535) in self.ranges


@dataclass(frozen=True)
class Rule:
    """One rule in processing order, with where it came from (for evidence) and what it matches."""

    kind: Kind
    name: str
    action: Action
    collection: str
    collection_priority: int
    group: str = ""
    group_priority: int | None = None
    policy: str = ""
    origin_id: str = ""
    sources: AddressSet = field(default_factory=AddressSet)
    sources_unknown: str = ""  # why the sources cannot be known (an unreadable IP group)
    protocols: frozenset[str] = frozenset()  # network/NAT: tcp, udp, icmp, any
    ports: PortSet = field(default_factory=lambda: PortSet(()))
    app_protocols: tuple[tuple[str, int], ...] = ()  # application: (http|https|mssql, port)
    destinations: tuple[str, ...] = ()  # IPs, CIDRs, ranges, '*', service tags
    destination_set: AddressSet = field(default_factory=AddressSet)
    destination_tags: tuple[str, ...] = ()
    destination_fqdns: tuple[str, ...] = ()  # network destinationFqdns / application targetFqdns
    fqdn_tags: tuple[str, ...] = ()
    web_categories: tuple[str, ...] = ()
    target_urls: tuple[str, ...] = ()
    destinations_unknown: str = ""
    translated: str = ""
    gap: str = ""  # non-empty: a placeholder for rules that could not be read

    @property
    def label(self) -> str:
        """`policy › group › collection › rule` (classic: `firewall › collection › rule`)."""
        if self.gap:
            return f"(unreadable: {self.gap})"
        parts = [self.policy, self.group, self.collection, self.name]
        return " › ".join(p for p in parts if p)

    def evidence(self) -> dict[str, Any]:
        if self.gap:
            return {"unreadable": self.gap}
        out: dict[str, Any] = {
            "rule": self.name, "collection": self.collection,
            "collection_priority": self.collection_priority, "action": self.action.value,
            "kind": self.kind.name.lower(),
        }
        if self.group:
            out |= {"group": self.group, "group_priority": self.group_priority}
        if self.policy:
            out["policy"] = self.policy
        out["id"] = self.origin_id
        return out


@dataclass(frozen=True)
class RuleSet:
    """Every rule of one firewall in the order Azure Firewall processes them."""

    firewall: Firewall
    rules: tuple[Rule, ...]
    dns_proxy: bool | None
    policy_chain: tuple[FirewallPolicy, ...] = ()
    problems: tuple[str, ...] = ()  # what could not be read (also present as gap rules)

    @property
    def complete(self) -> bool:
        return not self.problems


def ruleset_for(topology: Topology, firewall: Firewall) -> RuleSet:
    """The firewall's rules in processing order, memoised on the topology."""
    cache_key = ("ruleset", firewall.key)
    if cache_key not in topology.cache:
        topology.cache[cache_key] = _compile(topology, firewall)
    result: RuleSet = topology.cache[cache_key]
    return result


def _compile(topology: Topology, firewall: Firewall) -> RuleSet:
    if not firewall.has_properties:
        problem = f"firewall {firewall.name} was exported without its properties"
        return RuleSet(firewall, _gaps(problem), None, problems=(problem,))
    unread = firewall.policy_unread or topology.parts_unread(firewall.id)
    if unread:
        return RuleSet(firewall, _gaps(unread), None, problems=(unread,))
    if firewall.policy_id:
        return _compile_policy(topology, firewall)
    return _compile_classic(topology, firewall)


def _gaps(reason: str, kinds: tuple[Kind, ...] = tuple(Kind), **where: Any) -> tuple[Rule, ...]:
    """Placeholders for rules that could not be read: they might match anything of their kind."""
    where.setdefault("collection", "")
    where.setdefault("collection_priority", 0)
    return tuple(Rule(kind=kind, name="", action=Action.UNKNOWN, gap=reason, **where)
                 for kind in kinds)


def _dns_proxy_classic(firewall: Firewall) -> bool:
    value = firewall.additional_properties.get("Network.DNS.EnableProxy")
    return str(value).strip().lower() == "true"


def _compile_classic(topology: Topology, firewall: Firewall) -> RuleSet:
    p = props(firewall.raw)
    problems: list[str] = []
    rules: list[Rule] = []
    sections = (
        ("natRuleCollections", Kind.DNAT),
        ("networkRuleCollections", Kind.NETWORK),
        ("applicationRuleCollections", Kind.APPLICATION),
    )
    for key, kind in sections:
        listed = p.get(key)
        if not isinstance(listed, list):
            reason = (f"firewall {firewall.name}: {key} is "
                      f"{'absent' if listed is None else 'not a list'}")
            problems.append(reason)
            rules.extend(_gaps(reason, (kind,), policy=firewall.name, origin_id=firewall.id))
            continue
        # Unknown priorities sort first: such a collection could come before any other.
        collections = sorted((obj(c) for c in listed),
                             key=lambda c: _position(props(c).get("priority")))
        for collection in collections:
            cp = props(collection)
            where = {"collection": text(collection.get("name")),
                     "collection_priority": _position(cp.get("priority")),
                     "policy": firewall.name, "origin_id": text(collection.get("id")) or firewall.id}
            reading = Reading(f"{key[:-1]} {where['collection'] or '(unnamed)'} of {firewall.name}")
            action = _action(cp.get("action"), kind, reading)
            if priority_of(cp.get("priority")) is None:
                reading.note("priority", cp.get("priority"))
            listed_rules = reading.list(cp.get("rules"), "rules")
            if reading.problems:
                reason = "; ".join(reading.problems.values())
                problems.append(reason)
                rules.extend(_gaps(reason, (kind,), **where))
                continue
            for rule in listed_rules:
                rules.append(_rule(topology, obj(rule), kind, action, problems, classic=True,
                                   **where))
    rules.sort(key=lambda r: r.kind)  # stable: keeps collection order inside each kind
    return RuleSet(firewall, tuple(rules), _dns_proxy_classic(firewall), problems=tuple(problems))


def _compile_policy(topology: Topology, firewall: Firewall) -> RuleSet:
    problems: list[str] = []
    chain: list[FirewallPolicy] = []
    # Walk child → base; the base's collections are processed first.
    seen: set[str] = set()
    policy_id = firewall.policy_id
    sections: list[list[Rule]] = []
    chain_complete = True
    while policy_id and ids.key(policy_id) not in seen:
        seen.add(ids.key(policy_id))
        policy = topology.policy(policy_id)
        if policy is None or not policy.has_properties:
            what = "base policy" if chain else "firewall policy"
            reason = (topology.missing(what, policy_id) if policy is None
                      else f"{what} {policy.name} was exported without its properties")
            problems.append(reason)
            sections.insert(0, list(_gaps(reason)))
            chain_complete = False
            break
        chain.insert(0, policy)
        sections.insert(0, _policy_rules(topology, policy, problems))
        if policy.base_unread:  # a base that cannot be named: its rules come first, unseen
            problems.append(policy.base_unread)
            sections.insert(0, list(_gaps(policy.base_unread)))
            chain_complete = False
            break
        policy_id = policy.base_policy_id
    ordered = sorted((rule for section in sections for rule in section), key=lambda r: r.kind)
    own = chain[-1] if chain else None
    dns_proxy = own.dns_proxy if own is not None else None
    if own is not None and dns_proxy is None:
        # A child policy inherits DNS settings from its base unless it sets them itself; unset
        # everywhere is off, but an unreadable base might have set it (None: unknown).
        inherited = next((p.dns_proxy for p in reversed(chain) if p.dns_proxy is not None), None)
        dns_proxy = inherited if inherited is not None or not chain_complete else False
    return RuleSet(firewall, tuple(ordered), dns_proxy, tuple(chain), tuple(problems))


def _policy_rules(topology: Topology, policy: FirewallPolicy, problems: list[str]) -> list[Rule]:
    """One policy's own rules, gaps first (an unreadable group could hold priority 100).

    Sorted by group priority, then collection priority; equal priorities fall back to the order the
    export lists groups and collections in, so a group or collection is never interleaved."""
    gaps: list[Rule] = []
    ordered: list[tuple[tuple[int, int, int, int, int], Rule]] = []
    if policy.groups_unread:  # groups the export holds are read; others may exist unseen
        problems.append(policy.groups_unread)
        gaps.extend(_gaps(f"{policy.groups_unread}, so groups not in the snapshot may exist",
                          policy=policy.name, origin_id=policy.id))
    listed = {ids.key(group_id) for group_id, _ in topology.policy_groups(policy)}
    for unseen in topology.unreadable:  # a group listed nowhere but named unreadable by id
        scope = ids.key(unseen.scope)
        if scope.startswith(policy.key + "/") and scope not in listed:
            reason = f"{unseen.scope} is unreadable ({unseen.reason})"
            problems.append(reason)
            gaps.extend(_gaps(reason, policy=policy.name, origin_id=unseen.scope))
    for group_index, (group_id, group) in enumerate(topology.policy_groups(policy)):
        if group is None or not group.has_properties or group.priority is None \
                or group.collections_unread:
            reason = (topology.missing("rule collection group", group_id) if group is None
                      else group.collections_unread or
                      f"rule collection group {group.name} has no readable priority/rules")
            problems.append(reason)
            gaps.extend(_gaps(reason, policy=policy.name, origin_id=group_id))
            continue
        for collection_index, collection in enumerate(group.rule_collections):
            for index, (c_priority, built) in enumerate(
                    _collection_rules(topology, policy, group, collection, problems)):
                position = (group.priority, group_index, c_priority, collection_index, index)
                ordered.append((position, built))
    ordered.sort(key=lambda entry: entry[0])
    return gaps + [entry[1] for entry in ordered]


def _collection_rules(topology: Topology, policy: FirewallPolicy, group: RuleCollectionGroup,
                      collection: Mapping[str, Any], problems: list[str]) -> list[tuple[int, Rule]]:
    """One policy rule collection's rules, each with the collection priority it sorts by; a
    collection whose priority, action or rules could not be read becomes gaps, placed first in
    the group when its priority is unknown (it could come before any other)."""
    name = text(collection.get("name")) or "(unnamed)"
    reading = Reading(f"rule collection {name} in {group.name}")
    priority = _position(collection.get("priority"))
    if priority_of(collection.get("priority")) is None:
        reading.note("priority", collection.get("priority"))
    collection_type = text(collection.get("ruleCollectionType")).lower()
    is_nat = "nat" in collection_type
    action = _action(collection.get("action"), Kind.DNAT if is_nat else Kind.NETWORK, reading)
    listed = reading.list(collection.get("rules"), "rules")
    where: dict[str, Any] = {"collection": name, "collection_priority": priority, "group": group.name,
             "group_priority": group.priority, "policy": policy.name, "origin_id": group.id}
    kinds = (Kind.DNAT,) if is_nat else (Kind.NETWORK, Kind.APPLICATION)
    if reading.problems:
        reason = "; ".join(reading.problems.values())
        problems.append(reason)
        return [(priority, gap) for gap in _gaps(reason, kinds, **where)]
    out = []
    for rule in listed:
        rule = obj(rule)
        kind = _kind_of(rule, is_nat)
        if kind is None:
            reason = (f"rule {text(rule.get('name')) or '(unnamed)'} in collection {name}: "
                      "ruleType is absent or unrecognised")
            problems.append(reason)
            out += [(priority, gap) for gap in _gaps(reason, kinds, **where)]
            continue
        built = _rule(topology, rule, kind, action if kind is not Kind.DNAT else Action.DNAT,
                      problems, **where)
        out.append((priority, built))
    return out


def _kind_of(rule: Mapping[str, Any], is_nat: bool) -> Kind | None:
    """The rule's kind from `ruleType`, else from the fields only that kind has; None when neither
    tells (the rule is then a gap, never a guess)."""
    rule_type = text(rule.get("ruleType")).lower()
    if is_nat or rule_type == "natrule":
        return Kind.DNAT
    if rule_type == "applicationrule":
        return Kind.APPLICATION
    if rule_type == "networkrule":
        return Kind.NETWORK
    if "ipProtocols" in rule or "destinationPorts" in rule:
        return Kind.NETWORK
    if "targetFqdns" in rule or "fqdnTags" in rule:
        return Kind.APPLICATION
    return None


def _position(value: Any) -> int:
    """Where a collection sorts: its priority, or first when the priority is unreadable."""
    priority = priority_of(value)
    return -1 if priority is None else priority


def _action(value: Any, kind: Kind, reading: Reading) -> Action:
    """A collection's action: `{"type": "Deny"}`, or the one sensible reading of a plain "Deny";
    absent, null or unrecognised is recorded as missing (never read as Allow)."""
    if kind is Kind.DNAT:
        return Action.DNAT
    raw = value.get("type") if isinstance(value, Mapping) else value
    lowered = text(raw).strip().lower()
    if lowered == "deny":
        return Action.DENY
    if lowered == "allow":
        return Action.ALLOW
    if lowered in ("dnat", "snat"):
        return Action.DNAT
    reading.note("action", value)
    return Action.UNKNOWN


# The match fields each kind of rule must carry; absent, null or mistyped, the rule is a gap.
# Classic rules (older API versions) may leave out the fields added later; they read as none.
REQUIRED = {
    Kind.NETWORK: ("sourceAddresses", "sourceIpGroups", "destinationAddresses",
                   "destinationIpGroups", "destinationFqdns", "destinationPorts"),
    Kind.DNAT: ("sourceAddresses", "sourceIpGroups", "destinationAddresses", "destinationPorts"),
    Kind.APPLICATION: ("sourceAddresses", "sourceIpGroups", "targetFqdns", "fqdnTags",
                       "targetUrls", "webCategories", "destinationAddresses"),
}
CLASSIC_LACKS = frozenset({"targetUrls", "webCategories", "destinationAddresses"})  # app rules
# Classic rules written without IP groups or FQDNs (templates, older API versions) mean none;
# listed in model/evidence.py's ABSENT_MEANS_NONE.
CLASSIC_OPTIONAL = frozenset({"sourceIpGroups", "destinationIpGroups", "destinationFqdns"})


def _unread_fields(raw: Mapping[str, Any], kind: Kind, classic: bool) -> str:
    """Why the rule's match fields cannot be read ('' when they can)."""
    reading = Reading(f"rule {text(raw.get('name')) or '(unnamed)'}")
    for key in REQUIRED[kind]:
        value = raw.get(key)
        if classic and value is None and (key in CLASSIC_OPTIONAL or (
                kind is Kind.APPLICATION and key in CLASSIC_LACKS)):
            continue
        if not (isinstance(value, list) and all(isinstance(v, str) for v in value)):
            reading.note(key, value)
    if kind is Kind.APPLICATION:
        protocols = raw.get("protocols")
        if not (isinstance(protocols, list)
                and all(isinstance(p, Mapping) and str(p.get("port", "")).isdigit()
                        and isinstance(p.get("protocolType"), str) for p in protocols)):
            reading.note("protocols", protocols)
    else:
        key = "protocols" if classic else "ipProtocols"
        value = raw.get(key)
        if not (isinstance(value, list) and value and all(isinstance(v, str) for v in value)):
            reading.note(key, value)
    if kind is Kind.DNAT and not (text(raw.get("translatedAddress")).strip()
                                  or text(raw.get("translatedFqdn")).strip()):
        reading.note("translatedAddress", raw.get("translatedAddress"))
    return "; ".join(reading.problems.values())


def _rule(topology: Topology, raw: Mapping[str, Any], kind: Kind, action: Action,
          problems: list[str], classic: bool = False, **where: Any) -> Rule:
    """Build a Rule from either schema (classic `protocols` or policy `ipProtocols`, etc.); a rule
    whose match fields cannot be read is a gap in its place."""
    unread = _unread_fields(raw, kind, classic)
    if unread:
        reason = f"{unread} (collection {where.get('collection') or '(unnamed)'})"
        problems.append(reason)
        return _gaps(reason, (kind,), **where)[0]
    sources, sources_unknown = _addresses(topology, raw, "sourceAddresses", "sourceIpGroups",
                                          problems)
    destinations = strings(raw.get("destinationAddresses"))
    dest_set, dest_unknown = _addresses(topology, raw, "destinationAddresses",
                                        "destinationIpGroups", problems)
    tags = tuple(d for d in destinations if parse_address(d) is None)
    if kind is Kind.APPLICATION:
        app = tuple(
            (text(p.get("protocolType")).lower(), int(p["port"]))
            for p in items(raw.get("protocols"))
            if isinstance(p.get("port"), int | str) and str(p.get("port")).isdigit()
        )
        return Rule(kind=kind, name=text(raw.get("name")), action=action, sources=sources,
                    sources_unknown=sources_unknown, app_protocols=app,
                    destinations=destinations, destination_set=dest_set,
                    destination_fqdns=strings(raw.get("targetFqdns")),
                    fqdn_tags=tuple(t.lower() for t in strings(raw.get("fqdnTags"))),
                    web_categories=strings(raw.get("webCategories")),
                    target_urls=strings(raw.get("targetUrls")),
                    destinations_unknown=dest_unknown, **where)
    protocols = strings(raw.get("ipProtocols")) or strings(raw.get("protocols"))
    return Rule(kind=kind, name=text(raw.get("name")), action=action, sources=sources,
                sources_unknown=sources_unknown,
                protocols=frozenset(p.lower() for p in protocols),
                ports=PortSet.parse(strings(raw.get("destinationPorts"))),
                destinations=destinations, destination_set=dest_set, destination_tags=tags,
                destination_fqdns=strings(raw.get("destinationFqdns")),
                destinations_unknown=dest_unknown,
                translated=text(raw.get("translatedAddress")) or text(raw.get("translatedFqdn")),
                **where)


def _addresses(topology: Topology, raw: Mapping[str, Any], address_key: str, group_key: str,
               problems: list[str]) -> tuple[AddressSet, str]:
    """Address list ∪ IP groups as one AddressSet, and why it is incomplete (if it is)."""
    parsed = [parse_address(a) for a in strings(raw.get(address_key))]
    result = AddressSet.of(span for s in parsed if s for span in s.intervals)
    unknown = []
    for group_id in strings(raw.get(group_key)):
        group = topology.ip_group(group_id)
        if group is None or not group.has_properties or group.addresses_unread:
            reason = (topology.missing("IP group", group_id) if group is None
                      else group.addresses_unread or
                      f"IP group {group.name} was exported without its properties")
            unknown.append(reason)
            problems.append(reason)
            continue
        for member in group.addresses:
            member_set = parse_address(member)
            if member_set:
                result = result | member_set
    return result, "; ".join(unknown)
