"""Azure Firewall rules in their raw ARM JSON, as remediation plans and commands need them.

Existing rules: where a rule sits (`rule_at`: in its rule collection group, or in the firewall for
classic rules), the JSON Patch changes that remove it or set one of its properties, and the az CLI
commands that remove, update or re-create it. Rules to add: `NewRule`, its ARM JSON, the change that
appends a new Allow collection, and how its targets are written in az CLI, Bicep and Terraform.
"""

from __future__ import annotations

import copy
import shlex
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from aksfw_tui.firewall.rules import Kind, Rule, RuleSet
from aksfw_tui.model import ids
from aksfw_tui.model.resources import Firewall, FirewallPolicy, props, text
from aksfw_tui.model.topology import Topology
from aksfw_tui.remediation.model import Change

CLASSIC_KEYS = {Kind.APPLICATION: "applicationRuleCollections", Kind.NETWORK: "networkRuleCollections",
                Kind.DNAT: "natRuleCollections"}


def classic_collections(firewall: Firewall, kind: Kind) -> list[Any]:
    """The firewall's classic collections of one kind, as exported (entries are not checked)."""
    value = props(firewall.raw).get(CLASSIC_KEYS[kind])
    return value if isinstance(value, list) else []


def kind_word(kind: Kind) -> str:
    return "network" if kind is Kind.NETWORK else "application"


def policy_of(topology: Topology, rule: Rule) -> FirewallPolicy | None:
    """The policy a policy rule lives in (its own or a base policy); None for classic rules."""
    if not rule.group:
        return None
    return topology.policy(ids.parent_of(rule.origin_id))


# -- an existing rule in the exported JSON --------------------------------------------------------


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


# -- az CLI for an existing rule ------------------------------------------------------------------


def remove_command(topology: Topology, ruleset: RuleSet, rule: Rule) -> str:
    policy = policy_of(topology, rule)
    if policy is not None:
        return ("az network firewall policy rule-collection-group collection rule remove "
                + _policy_rule_args(policy, rule))
    verb = "application-rule" if rule.kind is Kind.APPLICATION else "network-rule"
    at = rule_at(topology, ruleset, rule)
    if at is not None and at.last_classic:  # a classic collection cannot be left without rules
        return (f"az network firewall {verb} collection delete --resource-group "
                f"{ruleset.firewall.resource_group} --firewall-name {ruleset.firewall.name} "
                f"--collection-name {rule.collection}")
    return (f"az network firewall {verb} delete --resource-group {ruleset.firewall.resource_group} "
            f"--firewall-name {ruleset.firewall.name} --collection-name {rule.collection} "
            f"--name {rule.name}")


def update_command(policy: FirewallPolicy, rule: Rule, arguments: str) -> str:
    """Change a policy rule in place; `arguments` are the new values, e.g. `--destination-ports 22`."""
    return ("az network firewall policy rule-collection-group collection rule update "
            f"{_policy_rule_args(policy, rule)} {arguments}")


def _policy_rule_args(policy: FirewallPolicy, rule: Rule) -> str:
    return (f"--resource-group {policy.resource_group} --policy-name {policy.name} "
            f"--rule-collection-group-name {rule.group} --collection-name {rule.collection} "
            f"--name {rule.name}")


def recreate_network_rule_commands(topology: Topology, ruleset: RuleSet, rule: Rule,
                                   sources: Sequence[str], ports: Sequence[str]) -> list[str]:
    """Classic rules have no update command: delete the network rule and create it again with
    `sources` and `ports`, and otherwise as it was."""
    fw = ruleset.firewall
    protocols = " ".join(sorted("Any" if p == "any" else p.upper() for p in rule.protocols))
    return [remove_command(topology, ruleset, rule),
            f"az network firewall network-rule create --resource-group {fw.resource_group} "
            f"--firewall-name {fw.name} --collection-name {rule.collection} "
            f"{reopen_args(topology, ruleset, rule)}--name {rule.name} "
            f"--protocols {protocols} --source-addresses {' '.join(sources)} "
            f"--destination-addresses {shell_words(rule.destinations)} --destination-ports {' '.join(ports)}"]


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


def port_specs(ranges: Iterable[tuple[int, int]]) -> list[str]:
    return [str(low) if low == high else f"{low}-{high}" for low, high in ranges]


def shell_words(values: Iterable[str]) -> str:
    """Values for a shell command line, quoted where the shell would read them otherwise (`*`,
    a `<placeholder>`)."""
    return " ".join(shlex.quote(v) for v in values)


# -- a rule to add ---------------------------------------------------------------------------------


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

    @property
    def app_protocols(self) -> list[tuple[str, str]]:
        """An application rule's protocols as (type, port): `Https:443` → ('Https', '443')."""
        return [(kind, port) for kind, _, port in (p.partition(":") for p in self.protocols)]


def rule_json(rule: NewRule, sources: Sequence[str], classic: bool) -> dict[str, Any]:
    """A new rule as ARM JSON: the classic schema, or the policy schema with its ruleType."""
    network = rule.kind is Kind.NETWORK
    out: dict[str, Any] = {} if classic else {"ruleType": "NetworkRule" if network else "ApplicationRule"}
    out |= {"name": rule.name, "sourceAddresses": list(sources)}
    if network:
        out |= {"protocols" if classic else "ipProtocols": list(rule.protocols),
                "destinationAddresses": list(rule.destinations), "destinationPorts": list(rule.ports)}
        return out
    out["protocols"] = [{"protocolType": kind, "port": int(port)} for kind, port in rule.app_protocols]
    if rule.fqdns:
        out["targetFqdns"] = list(rule.fqdns)
    else:
        out["fqdnTags"] = list(rule.fqdn_tags)
    return out


def append_collection(holder_id: str, classic: bool, kind: Kind, name: str, priority: int,
                      rules: list[dict[str, Any]]) -> Change:
    """The change that appends a new Allow collection of `rules` (ARM JSON) to the classic
    firewall's collections of its kind, or to the rule collection group `holder_id`."""
    if classic:
        return Change(holder_id, "add", f"/properties/{CLASSIC_KEYS[kind]}/-",
                      {"name": name, "properties": {"priority": priority, "action": {"type": "Allow"},
                                                    "rules": rules}})
    return Change(holder_id, "add", "/properties/ruleCollections/-",
                  {"ruleCollectionType": "FirewallPolicyFilterRuleCollection", "name": name,
                   "priority": priority, "action": {"type": "Allow"}, "rules": rules})


def az_targets(rule: NewRule) -> str:
    """An application rule's targets as az CLI arguments."""
    if rule.fqdns:
        return f"--target-fqdns {shell_words(rule.fqdns)}"
    return f"--fqdn-tags {' '.join(rule.fqdn_tags)}"


def bicep_targets(rule: NewRule) -> str:
    """An application rule's targets as a Bicep property (the same in classic and policy rules)."""
    if rule.fqdns:
        return f"targetFqdns: {bicep_list(rule.fqdns)}"
    return f"fqdnTags: {bicep_list(rule.fqdn_tags)}"


def hcl_targets(rule: NewRule, classic: bool) -> tuple[str, str]:
    """An application rule's targets as a Terraform (azurerm) attribute: (name, value)."""
    if rule.fqdns:
        return ("target_fqdns" if classic else "destination_fqdns"), hcl_list(rule.fqdns)
    return ("fqdn_tags" if classic else "destination_fqdn_tags"), hcl_list(rule.fqdn_tags)


def bicep_list(values: Iterable[str]) -> str:
    return "[ " + ", ".join(f"'{v}'" for v in values) + " ]"


def hcl_list(values: Iterable[str]) -> str:
    return "[" + ", ".join(f'"{v}"' for v in values) + "]"


def hcl_aligned(pairs: Sequence[tuple[str, str]], indent: int) -> str:
    """`name = value` lines with the `=` aligned, as terraform fmt writes them."""
    width = max(len(name) for name, _ in pairs)
    return "\n".join(f"{' ' * indent}{name.ljust(width)} = {value}" for name, value in pairs)
