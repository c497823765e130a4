"""A firewall's rules flattened into processing order: classic collections, or a Firewall Policy
with its base-policy chain, rule collection groups and collections, in Azure Firewall's order."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import IntEnum, StrEnum
from typing import Any

from aksfw_tui.firewall.addresses import AddressSet, parse_address
from aksfw_tui.model import ids
from aksfw_tui.model.resources import Firewall, FirewallPolicy, items, obj, props, strings, text
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
    if firewall.policy_id:
        return _compile_policy(topology, firewall)
    return _compile_classic(topology, firewall)


def _gaps(reason: str) -> tuple[Rule, ...]:
    return tuple(
        Rule(kind=kind, name="", action=Action.UNKNOWN, collection="", collection_priority=0,
             gap=reason)
        for kind in Kind
    )


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
        collections = sorted(items(p.get(key)), key=lambda c: _priority(props(c).get("priority")))
        for collection in collections:
            cp = props(collection)
            action = _action(obj(cp.get("action")).get("type"), kind)
            for rule in items(cp.get("rules")):
                rules.append(
                    _rule(topology, rule, kind, action, problems,
                          collection=text(collection.get("name")),
                          collection_priority=_priority(cp.get("priority")),
                          policy=firewall.name, origin_id=text(collection.get("id")) or firewall.id)
                )
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
    for group_index, group_id in enumerate(policy.rule_collection_group_ids):
        group = topology.rule_collection_group(group_id)
        if group is None or not group.has_properties or group.priority is None:
            reason = (topology.missing("rule collection group", group_id) if group is None
                      else f"rule collection group {group.name} has no readable priority/rules")
            problems.append(reason)
            gaps.extend(_gaps(reason))
            continue
        for collection_index, collection in enumerate(group.rule_collections):
            c_priority = _priority(collection.get("priority"))
            is_nat = "nat" in text(collection.get("ruleCollectionType")).lower()
            action_type = obj(collection.get("action")).get("type")
            for index, rule in enumerate(items(collection.get("rules"))):
                kind = _kind_of(rule, is_nat)
                built = _rule(topology, rule, kind, _action(action_type, kind), problems,
                              collection=text(collection.get("name")),
                              collection_priority=c_priority, group=group.name,
                              group_priority=group.priority, policy=policy.name,
                              origin_id=group.id)
                position = (group.priority, group_index, c_priority, collection_index, index)
                ordered.append((position, built))
    ordered.sort(key=lambda entry: entry[0])
    return gaps + [entry[1] for entry in ordered]


def _kind_of(rule: Mapping[str, Any], is_nat: bool) -> Kind:
    rule_type = text(rule.get("ruleType")).lower()
    if is_nat or rule_type == "natrule":
        return Kind.DNAT
    if rule_type == "applicationrule":
        return Kind.APPLICATION
    return Kind.NETWORK


def _priority(value: Any) -> int:
    return value if isinstance(value, int) else 65_000


def _action(value: Any, kind: Kind) -> Action:
    lowered = text(value).lower()
    if kind is Kind.DNAT or lowered in ("dnat", "snat"):
        return Action.DNAT
    return Action.DENY if lowered == "deny" else Action.ALLOW


def _rule(topology: Topology, raw: Mapping[str, Any], kind: Kind, action: Action,
          problems: list[str], **where: Any) -> Rule:
    """Build a Rule from either schema (classic `protocols` or policy `ipProtocols`, etc.)."""
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
        if group is None or not group.has_properties:
            reason = topology.missing("IP group", group_id)
            unknown.append(reason)
            problems.append(reason)
            continue
        for member in group.addresses:
            member_set = parse_address(member)
            if member_set:
                result = result | member_set
    return result, "; ".join(unknown)
