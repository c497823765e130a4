"""One new Allow application collection, placed next to an existing rule of the firewall.

fqdn-tag-rule adds the `AzureKubernetesService` FQDN tag rule this way, network-rule-bypass the
application rule that takes over the HTTP(S) a broad network rule carried. Where it goes
(`placement_near`): the anchor rule's rule collection group of its policy, a new group of that
policy, or the firewall's classic application collections; under a name not yet taken there. What
it is: az CLI commands, Bicep and Terraform (azurerm) with the real names, and the plan's change
(appended to the existing group or classic firewall; a new group is a new resource, snippets only).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from aksfw_tui.firewall.rules import Kind, Rule, RuleSet
from aksfw_tui.model import ids
from aksfw_tui.model.resources import Firewall, FirewallPolicy, props, text
from aksfw_tui.model.topology import Topology
from aksfw_tui.remediation.firewall_rules import (
    NewRule,
    append_collection,
    az_targets,
    bicep_list,
    bicep_targets,
    classic_collections,
    hcl_aligned,
    hcl_list,
    hcl_targets,
    policy_of,
    rule_json,
)
from aksfw_tui.remediation.model import Change
from aksfw_tui.remediation.plan import Draft

WEB_PROTOCOLS = ("Https:443", "Http:80")


def web_rule(name: str, fqdns: Sequence[str] = (), fqdn_tags: Sequence[str] = ()) -> NewRule:
    """An Allow application rule for HTTPS 443 and HTTP 80 to `fqdns` or `fqdn_tags`."""
    return NewRule(name, Kind.APPLICATION, WEB_PROTOCOLS, fqdns=tuple(fqdns), fqdn_tags=tuple(fqdn_tags))


# -- where it goes ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Placement:
    """Where the new Allow application collection goes: a policy's group, or classic rules."""

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


def placement_near(topology: Topology, ruleset: RuleSet, anchor: Rule | None, collection: str,
                   suffix: str, priority: int | None = None,
                   new_group_priority: int | None = None) -> Placement:
    """A new application collection next to `anchor`: same group of the same policy (or the
    firewall's classic rules; or a new group of that policy when `new_group_priority` is given),
    a name not yet taken there, and `priority` or one after all others."""
    firewall = ruleset.firewall
    if not firewall.policy_id:
        existing = [{**props(c), "name": c.get("name")}
                    for c in classic_collections(firewall, Kind.APPLICATION)]
        classic = Placement(firewall, "", firewall.resource_group, "", "", None, False, collection, 0)
        return _named(classic, existing, suffix, priority)
    own = ruleset.policy_chain[-1] if ruleset.policy_chain else None
    policy = (policy_of(topology, anchor) if anchor is not None else None) or own
    in_policy = Placement(
        firewall, policy.name if policy else ids.name_of(firewall.policy_id),
        (policy.resource_group if policy else ids.resource_group_of(firewall.policy_id)) or "",
        policy.id if policy else firewall.policy_id, "", None, False, collection, 0)
    group = topology.rule_collection_group(anchor.origin_id) if anchor and anchor.group else None
    if group is None or new_group_priority is not None:
        new_group = _in_new_group(topology, in_policy, policy, suffix, new_group_priority)
        return _named(new_group, [], suffix, priority)
    in_group = dataclasses.replace(in_policy, group=group.name, group_priority=group.priority,
                                   group_id=group.id)
    return _named(in_group, list(group.rule_collections), suffix, priority)


def _in_new_group(topology: Topology, in_policy: Placement, policy: FirewallPolicy | None, suffix: str,
                  group_priority: int | None) -> Placement:
    """A new group of the policy, `rcg-aks-egress` unless that name is taken, at `group_priority`
    or after every group the policy has."""
    group_ids = policy.rule_collection_group_ids if policy else ()
    taken = {ids.name_of(g).lower() for g in group_ids}
    used = {g.priority for g in map(topology.rule_collection_group, group_ids)
            if g and g.priority is not None}
    name = "rcg-aks-egress" if "rcg-aks-egress" not in taken else f"rcg-aks-egress-{suffix}"
    return dataclasses.replace(in_policy, group=name, group_priority=group_priority or free_priority(used),
                               new_group=True)


def _named(placement: Placement, existing: list[Any], suffix: str, priority: int | None) -> Placement:
    """The collection's name made unique among the `existing` collections, and its priority:
    `priority`, or one after all of theirs."""
    names = {text(c.get("name")) for c in existing}
    used = {p for c in existing for p in [c.get("priority")] if isinstance(p, int)}
    name = placement.collection if placement.collection not in names else f"{placement.collection}-{suffix}"
    return dataclasses.replace(placement, collection=name,
                               priority=priority or free_priority(used) or 65_000)


def collection_priorities(topology: Topology, ruleset: RuleSet, rule: Rule) -> set[int]:
    """Priorities already used next to `rule`: in its group, or the firewall's classic collections."""
    if rule.group:
        group = topology.rule_collection_group(rule.origin_id)
        raw = group.rule_collections if group else ()
    else:
        raw = tuple(props(c) for c in classic_collections(ruleset.firewall, rule.kind))
    return {p for p in (c.get("priority") for c in raw) if isinstance(p, int)}


def free_priority(used: set[int], before: int | None = None) -> int | None:
    """A collection priority not in `used`: just ahead of `before` when given, else after all."""
    if before is None:
        return min(max(used, default=100) + 100, 65_000)
    candidates = [*range(before - 10, 99, -10), *range(before - 1, 99, -1)]
    return next((p for p in candidates if p not in used), None)


# -- what it is: az CLI, Bicep, Terraform, plan ------------------------------------------------------


def write_app_collection(draft: Draft, placement: Placement, sources: Sequence[str], rule: NewRule) -> None:
    """The collection holding `rule` for `sources`, at `placement`, written into `draft`: its az
    commands, Bicep, Terraform and plan change."""
    draft.az.extend(app_collection_commands(placement, sources, rule))
    draft.bicep.append(app_collection_bicep(placement, sources, rule))
    draft.terraform.append(app_collection_terraform(placement, sources, rule))
    draft.changes.extend(app_collection_changes(placement, sources, rule))


def app_collection_commands(placement: Placement, sources: Sequence[str], rule: NewRule) -> list[str]:
    """az commands that add the Allow application collection holding `rule` for `sources`."""
    src = " ".join(sources)
    protocols = " ".join(f"{kind}={port}" for kind, port in rule.app_protocols)
    if not placement.policy_name:
        fw = placement.firewall
        return [f"az network firewall application-rule create --resource-group {fw.resource_group} "
                f"--firewall-name {fw.name} --collection-name {placement.collection} --name {rule.name} "
                f"--priority {placement.priority} --action Allow --protocols {protocols} "
                f"--source-addresses {src} {az_targets(rule)}"]
    out = []
    if placement.new_group:
        out.append(f"az network firewall policy rule-collection-group create --resource-group "
                   f"{placement.policy_rg} --policy-name {placement.policy_name} "
                   f"--name {placement.group} --priority {placement.group_priority}")
    out.append(f"az network firewall policy rule-collection-group collection add-filter-collection "
               f"--resource-group {placement.policy_rg} --policy-name {placement.policy_name} "
               f"--rule-collection-group-name {placement.group} --name {placement.collection} "
               f"--collection-priority {placement.priority} --action Allow --rule-name {rule.name} "
               f"--rule-type ApplicationRule --protocols {protocols} --source-addresses {src} "
               f"{az_targets(rule)}")
    return out


def app_collection_bicep(placement: Placement, sources: Sequence[str], rule: NewRule) -> str:
    rule_lines = [
        f"name: '{rule.name}'",
        f"sourceAddresses: {bicep_list(sources)}",
        "protocols: [",
        *(f"  {{ protocolType: '{kind}', port: {port} }}" for kind, port in rule.app_protocols),
        "]",
        bicep_targets(rule),
    ]
    if not placement.policy_name:
        return _classic_bicep(placement, "\n".join(" " * 8 + line for line in rule_lines))
    return _policy_bicep(placement, "\n".join(" " * 12 + line
                                              for line in ["ruleType: 'ApplicationRule'", *rule_lines]))


def _policy_bicep(placement: Placement, body: str) -> str:
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


def _classic_bicep(placement: Placement, body: str) -> str:
    fw = placement.firewall
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


def app_collection_terraform(placement: Placement, sources: Sequence[str], rule: NewRule) -> str:
    symbol = "".join(c if c.isalnum() else "_" for c in (placement.group or placement.collection))
    if not placement.policy_name:
        return _classic_terraform(placement, sources, rule, symbol)
    pairs = [("name", f'"{rule.name}"'), ("source_addresses", hcl_list(sources)), hcl_targets(rule, False)]
    protocols = "\n".join(f'      protocols {{\n        type = "{kind}"\n        port = {port}\n      }}'
                          for kind, port in rule.app_protocols)
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
{hcl_aligned(pairs, 6)}

{protocols}
    }}
  }}
}}
"""


def _classic_terraform(placement: Placement, sources: Sequence[str], rule: NewRule, symbol: str) -> str:
    fw = placement.firewall
    pairs = [("name", f'"{rule.name}"'), ("source_addresses", hcl_list(sources)), hcl_targets(rule, True)]
    # The classic resource takes the port as a string.
    protocols = "\n".join(f'    protocol {{\n      port = "{port}"\n      type = "{kind}"\n    }}'
                          for kind, port in rule.app_protocols)
    return f"""resource "azurerm_firewall_application_rule_collection" "{symbol}" {{
  name                = "{placement.collection}"
  azure_firewall_name = "{fw.name}"
  resource_group_name = "{fw.resource_group}"
  priority            = {placement.priority}
  action              = "Allow"

  rule {{
{hcl_aligned(pairs, 4)}

{protocols}
  }}
}}
"""


def app_collection_changes(placement: Placement, sources: Sequence[str], rule: NewRule) -> list[Change]:
    """The new collection appended to its existing group or to the classic firewall's
    collections; nothing when it goes into a new group (a new resource)."""
    classic = not placement.policy_name
    if not classic and (placement.new_group or not placement.group_id):
        return []
    holder = placement.firewall.id if classic else placement.group_id
    return [append_collection(holder, classic, Kind.APPLICATION, placement.collection, placement.priority,
                              [rule_json(rule, sources, classic)])]
