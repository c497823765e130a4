"""Evaluate a flow against a firewall's rules, with Azure Firewall's semantics (DESIGN §5).

The source is a set of addresses (usually a whole node subnet). Rules are walked in processing
order; a rule whose sources cover part of what is still undecided decides that part, so "every
node is allowed" holds only when every part ends in an Allow. A rule that *might* match (an FQDN
against a service tag, an unknown IP against a CIDR, an unreadable IP group) does not decide: the
walk continues, and the final answer stands only if every such rule had the same action.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from enum import Enum, StrEnum
from typing import Any

from aksfw_tui.firewall.addresses import FULL, PRIVATE, AddressSet
from aksfw_tui.firewall.rules import Action, Kind, Rule, RuleSet, ruleset_for
from aksfw_tui.firewall.tags import fqdn_matches, fqdn_tags_of

APP_PROTOCOL_BY_PORT = {80: "http", 443: "https", 1433: "mssql"}
MAX_DOUBTS = 5  # rules a "cannot tell" reason names before "and N more"


class Match(Enum):
    NO = 0
    MAYBE = 1
    YES = 2


@dataclass(frozen=True)
class Destination:
    """Where a flow goes. Symbolic destinations (no IP) know which tags they belong to."""

    label: str
    ip: ipaddress.IPv4Address | None = None
    fqdn: str = ""
    service_tags: frozenset[str] | None = None  # complete, lower-case; None = not known
    fqdn_tags: frozenset[str] = frozenset()
    public: bool = True

    @staticmethod
    def for_ip(value: str) -> Destination:
        ip = ipaddress.IPv4Address(value)
        return Destination(label=value, ip=ip, public=not PRIVATE.contains_ip(ip))

    @staticmethod
    def for_fqdn(fqdn: str) -> Destination:
        name = fqdn.strip().lower().rstrip(".")
        return Destination(label=name, fqdn=name, fqdn_tags=fqdn_tags_of(name))

    @staticmethod
    def for_service_tag(tag: str) -> Destination:
        """Some address inside a service tag, e.g. `AzureCloud.westeurope`."""
        lowered = tag.strip().lower()
        tags = {lowered, lowered.split(".", 1)[0]}
        return Destination(label=tag.strip(), service_tags=frozenset(tags))

    @staticmethod
    def api_server(fqdn: str, region: str) -> Destination:
        """A public AKS API server: in `AzureCloud` and `AzureCloud.<region>`, IP unknown."""
        name = fqdn.strip().lower()
        return Destination(
            label=name or f"API server ({region})", fqdn=name,
            service_tags=frozenset({"azurecloud", f"azurecloud.{region.lower()}"}),
            fqdn_tags=fqdn_tags_of(name) if name else frozenset(),
        )


@dataclass(frozen=True)
class Flow:
    protocol: str  # tcp | udp | icmp
    port: int
    destination: Destination

    @property
    def app_protocol(self) -> str | None:
        return APP_PROTOCOL_BY_PORT.get(self.port) if self.protocol == "tcp" else None

    def __str__(self) -> str:
        return f"{self.protocol.upper()}/{self.port} → {self.destination.label}"


class Decision(StrEnum):
    ALLOW = "allow"
    DENY = "deny"
    CANNOT_TELL = "cannot_tell"


@dataclass(frozen=True)
class Outcome:
    """How one part of the source fares: the deciding rule, and rules that might have come first."""

    sources: AddressSet
    action: Action  # ALLOW / DENY (DNAT counts as allow)
    rule: Rule | None  # None: nothing matched, Azure Firewall's default deny
    uncertain: tuple[Rule, ...] = ()

    @property
    def certain(self) -> bool:
        return all(r.action is self.action for r in self.uncertain)


@dataclass(frozen=True)
class Verdict:
    flow: Flow
    decision: Decision
    outcomes: tuple[Outcome, ...]
    reason: str
    notes: tuple[str, ...] = field(default=())

    @property
    def allowed(self) -> bool:
        return self.decision is Decision.ALLOW

    @property
    def deciding_rules(self) -> tuple[Rule, ...]:
        return tuple(dict.fromkeys(o.rule for o in self.outcomes if o.rule))

    @property
    def candidate_rules(self) -> tuple[Rule, ...]:
        """Every rule that decided or might have decided: what the evidence should name."""
        found = [r for o in self.outcomes for r in (*o.uncertain, *([o.rule] if o.rule else []))]
        return tuple(dict.fromkeys(found))

    def evidence(self) -> dict[str, Any]:
        return {
            "flow": str(self.flow),
            "decision": self.decision.value,
            "reason": self.reason,
            "rules": [r.evidence() for r in self.candidate_rules],
            "parts": [
                {"sources": str(o.sources), "action": o.action.value,
                 "rule": o.rule.label if o.rule else "no rule matched (default deny)",
                 **({"might_match_first": [r.label for r in o.uncertain]} if o.uncertain else {})}
                for o in self.outcomes
            ],
        }


class Evaluator:
    """Answers flows for one firewall; candidate rules are indexed by protocol and port."""

    def __init__(self, ruleset: RuleSet) -> None:
        self.ruleset = ruleset
        self._candidates: dict[tuple[str, int], tuple[Rule, ...]] = {}

    def evaluate(self, flow: Flow, sources: AddressSet) -> Verdict:
        if not sources:
            # Without addresses every part is vacuously allowed; that must not read as "allowed".
            return Verdict(flow, Decision.CANNOT_TELL, (), "cannot tell: no source addresses to evaluate")
        # Each undecided part carries the rules that might have matched it, as a linked chain
        # (newest first) so that a long run of such rules costs linear, not quadratic, time.
        pieces: list[tuple[AddressSet, _Chain]] = [(sources, None)]
        outcomes: list[Outcome] = []
        for rule in self._rules_for(flow):
            dest = self._destination_match(rule, flow)
            if dest is Match.NO:
                continue
            next_pieces = []
            for part, uncertain in pieces:
                sure, maybe, outside = _source_split(rule, part)
                if dest is Match.MAYBE and sure:
                    sure, maybe = AddressSet(), part - outside if outside else part
                if outside:
                    next_pieces.append((outside, uncertain))
                if sure:
                    action = Action.DENY if rule.action is Action.DENY else Action.ALLOW
                    outcomes.append(Outcome(sure, action, rule, _unchain(uncertain)))
                if maybe:
                    next_pieces.append((maybe, (rule, uncertain)))
            pieces = next_pieces
            if not pieces:
                break
        outcomes.extend(Outcome(part, Action.DENY, None, _unchain(unc)) for part, unc in pieces)
        return self._verdict(flow, outcomes)

    def _verdict(self, flow: Flow, outcomes: list[Outcome]) -> Verdict:
        outcomes.sort(key=lambda o: o.sources.intervals)
        denied = [o for o in outcomes if o.action is Action.DENY and o.certain]
        notes = tuple(dict.fromkeys(r.gap for o in outcomes for r in o.uncertain if r.gap))
        if denied:
            first = denied[0]
            by = first.rule.label if first.rule else "no rule matched (default deny)"
            share = "" if len(outcomes) == 1 else f" for {first.sources}"
            return Verdict(flow, Decision.DENY, tuple(outcomes), f"denied{share} by {by}", notes)
        if all(o.action is Action.ALLOW and o.certain for o in outcomes):
            names = ", ".join(dict.fromkeys(o.rule.label for o in outcomes if o.rule))
            return Verdict(flow, Decision.ALLOW, tuple(outcomes), f"allowed by {names}", notes)
        doubtful = [r for o in outcomes if not o.certain for r in o.uncertain
                    if r.action is not o.action]
        proxy = self.ruleset.dns_proxy is True
        doubts = list(dict.fromkeys(_doubt(r, flow, proxy) for r in dict.fromkeys(doubtful)))
        # A message, not the evidence (candidate_rules has them all): name the first few.
        more = f"; and {len(doubts) - MAX_DOUBTS} more" if len(doubts) > MAX_DOUBTS else ""
        why = "; ".join(doubts[:MAX_DOUBTS]) + more
        return Verdict(flow, Decision.CANNOT_TELL, tuple(outcomes), f"cannot tell: {why}", notes)

    def _rules_for(self, flow: Flow) -> tuple[Rule, ...]:
        """Rules whose protocol and port can match, in order (the index that keeps us linear)."""
        key = (flow.protocol, flow.port)
        if key not in self._candidates:
            self._candidates[key] = tuple(
                r for r in self.ruleset.rules if r.gap or _protocol_port_match(r, flow)
            )
        return self._candidates[key]

    def _destination_match(self, rule: Rule, flow: Flow) -> Match:
        if rule.gap:
            # Unread DNAT rules can only catch traffic addressed to the firewall itself, which a
            # symbolic destination (an FQDN, an API server) is not; like readable DNAT rules below.
            if rule.kind is Kind.DNAT and flow.destination.ip is None:
                return Match.NO
            return Match.MAYBE
        if rule.kind is Kind.DNAT:
            ip = flow.destination.ip
            return Match.YES if ip is not None and rule.destination_set.contains_ip(ip) else Match.NO
        if rule.kind is Kind.APPLICATION:
            return _application_match(rule, flow.destination)
        return _network_match(rule, flow.destination, self.ruleset.dns_proxy is True)


_Chain = tuple[Rule, "_Chain"] | None


def _unchain(chain: _Chain) -> tuple[Rule, ...]:
    """The rules of a chain in processing order."""
    found: list[Rule] = []
    while chain is not None:
        found.append(chain[0])
        chain = chain[1]
    return tuple(reversed(found))


def _source_split(rule: Rule, part: AddressSet) -> tuple[AddressSet, AddressSet, AddressSet]:
    """`part` split into what the rule's sources surely hold, what an unreadable IP group (or a
    gap) might hold, and the rest; the readable sources still decide their share."""
    if rule.gap:
        return AddressSet(), part, AddressSet()
    sure = part & rule.sources
    if sure == part:
        return part, AddressSet(), AddressSet()
    rest = part - sure
    return (sure, rest, AddressSet()) if rule.sources_unknown else (sure, AddressSet(), rest)


def _doubt(rule: Rule, flow: Flow, dns_proxy: bool) -> str:
    if rule.gap:
        return rule.gap
    if rule.sources_unknown or rule.destinations_unknown:
        return f"{rule.label} references {rule.sources_unknown or rule.destinations_unknown}"
    fqdn = flow.destination.fqdn
    named = bool(fqdn) and any(fqdn_matches(p, fqdn) for p in rule.destination_fqdns)
    if rule.kind is Kind.NETWORK and named and not dns_proxy:
        return (f"{rule.label} ({rule.action.value}) names {fqdn} in destinationFqdns, but DNS proxy "
                f"is off, so the firewall may resolve it to other addresses than the nodes use")
    return (f"{rule.label} ({rule.action.value}) names destinations that might include "
            f"{flow.destination.label}, which cannot be known offline")


def _protocol_port_match(rule: Rule, flow: Flow) -> bool:
    if rule.kind is Kind.APPLICATION:
        if flow.protocol != "tcp":
            return False
        wanted = flow.app_protocol
        return any(port == flow.port and (wanted is None or proto == wanted)
                   for proto, port in rule.app_protocols)
    if not (rule.protocols & {flow.protocol, "any"}):
        return False
    return flow.protocol == "icmp" or flow.port in rule.ports


def _best(matches: list[Match]) -> Match:
    return max(matches, key=lambda m: m.value, default=Match.NO)


def _address_match(rule_set: AddressSet, dest: Destination) -> Match:
    if not rule_set:
        return Match.NO
    if rule_set.intervals == (FULL,):  # `*`, 0.0.0.0/0 (sets are merged: no need for covers())
        return Match.YES
    if dest.ip is not None:
        return Match.YES if rule_set.contains_ip(dest.ip) else Match.NO
    if dest.public and PRIVATE.covers(rule_set):
        return Match.NO  # a public endpoint cannot be inside private address space
    return Match.MAYBE


def _tag_match(tag: str, dest: Destination) -> Match:
    lowered = tag.lower()
    if lowered == "internet":
        return Match.YES if dest.public else Match.NO
    if dest.service_tags is not None:
        return Match.YES if lowered in dest.service_tags else Match.NO
    if dest.ip is not None and not dest.public:
        return Match.NO  # service tags hold public ranges
    return Match.MAYBE


def _network_match(rule: Rule, dest: Destination, dns_proxy: bool) -> Match:
    matches = [_address_match(rule.destination_set, dest)]
    matches += [_tag_match(tag, dest) for tag in rule.destination_tags]
    for pattern in rule.destination_fqdns:
        if dest.fqdn:
            hit = fqdn_matches(pattern, dest.fqdn)
            # Without DNS proxy an FQDN network rule resolves unreliably: it may not match.
            matches.append((Match.YES if dns_proxy else Match.MAYBE) if hit else Match.NO)
        else:
            matches.append(Match.MAYBE)  # the name might resolve to this address
    if rule.destinations_unknown:
        matches.append(Match.MAYBE)
    return _best(matches)


def _application_match(rule: Rule, dest: Destination) -> Match:
    if any(p.strip() == "*" for p in rule.destination_fqdns):
        return Match.YES
    if not dest.fqdn:
        return Match.NO  # application rules match on the host name (SNI / Host header)
    matches = [Match.YES if fqdn_matches(p, dest.fqdn) else Match.NO for p in rule.destination_fqdns]
    matches += [Match.YES if tag in dest.fqdn_tags else Match.NO for tag in rule.fqdn_tags]
    matches += [Match.MAYBE for url in rule.target_urls if fqdn_matches(url.split("/")[0], dest.fqdn)]
    if rule.web_categories:
        matches.append(Match.MAYBE)  # category membership is Microsoft's, not in the snapshot
    return _best(matches)


def evaluator_for(topology: Any, ruleset: RuleSet) -> Evaluator:
    cache_key = ("evaluator", ruleset.firewall.key)
    if cache_key not in topology.cache:
        topology.cache[cache_key] = Evaluator(ruleset)
    result: Evaluator = topology.cache[cache_key]
    return result


def evaluate_flow(topology: Any, firewall: Any, flow: Flow, sources: AddressSet) -> Verdict:
    """What `firewall` does with `flow` from `sources` (the usual entry point for checks)."""
    return evaluator_for(topology, ruleset_for(topology, firewall)).evaluate(flow, sources)
