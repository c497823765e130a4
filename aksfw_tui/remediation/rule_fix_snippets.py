"""A `RuleFix` written out: az CLI commands, Bicep and Terraform (azurerm) that add its Allow
collections at their placement, for a firewall policy's rule collection group or a classic firewall."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from aksfw_tui.firewall.rules import Kind
from aksfw_tui.remediation.firewall_rules import (
    CLASSIC_KEYS,
    NewRule,
    az_targets,
    bicep_list,
    bicep_targets,
    hcl_aligned,
    hcl_list,
    hcl_targets,
    kind_word,
    shell_words,
)

if TYPE_CHECKING:  # rule_fix imports this module to render its fixes
    from aksfw_tui.remediation.rule_fix import FixPlacement, NewCollection, RuleFix


# -- az CLI ----------------------------------------------------------------------------------------------


def fix_commands(fix: RuleFix, place: FixPlacement) -> list[str]:
    az = ["az extension add --upgrade --name azure-firewall"]
    if not place.policy_name:
        return az + _classic_commands(fix, place)
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


def _classic_commands(fix: RuleFix, place: FixPlacement) -> list[str]:
    """One create per rule; the first one of a collection creates the collection too."""
    firewall = fix.firewall
    az = []
    for collection, prio in zip(fix.collections, place.priorities, strict=True):
        verb = "network-rule" if collection.kind is Kind.NETWORK else "application-rule"
        for index, rule in enumerate(collection.rules):
            opening = f"--priority {prio} --action Allow " if index == 0 else ""
            az.append(f"az network firewall {verb} create --resource-group "
                      f"{firewall.resource_group} --firewall-name {firewall.name} "
                      f"--collection-name {collection.name} {opening}--name {rule.name} "
                      f"{_rule_args(rule, fix.sources, classic=True)}")
    return az


def _rule_args(rule: NewRule, sources: Sequence[str], classic: bool) -> str:
    if rule.kind is Kind.NETWORK:
        protocols = "--protocols" if classic else "--ip-protocols"
        return (f"{'' if classic else '--rule-type NetworkRule '}{protocols} {' '.join(rule.protocols)} "
                f"--source-addresses {shell_words(sources)} --destination-addresses "
                f"{shell_words(rule.destinations)} --destination-ports {' '.join(rule.ports)}")
    protocols = " ".join(p.replace(":", "=") for p in rule.protocols)
    return (f"{'' if classic else '--rule-type ApplicationRule '}--protocols {protocols} "
            f"--source-addresses {shell_words(sources)} {az_targets(rule)}")


# -- Bicep -----------------------------------------------------------------------------------------------


def fix_bicep(fix: RuleFix, place: FixPlacement) -> str:
    if not place.policy_name:
        return "\n".join(_classic_bicep(fix, collection, prio)
                         for collection, prio in zip(fix.collections, place.priorities, strict=True))
    collections = "\n".join(_policy_bicep_collection(fix, collection, prio)
                            for collection, prio in zip(fix.collections, place.priorities, strict=True))
    keep = ("      // keep every collection the group already has: a deployment replaces the list\n"
            if place.group_exists else "")
    return f"""// Deploy to resource group {place.policy_rg}
resource {_identifier(place.group)} 'Microsoft.Network/firewallPolicies/ruleCollectionGroups@2024-05-01' = {{
  name: '{place.policy_name}/{place.group}'
  properties: {{
    priority: {place.group_priority}
    ruleCollections: [
{keep}{collections}
    ]
  }}
}}
"""


def _classic_bicep(fix: RuleFix, collection: NewCollection, prio: int) -> str:
    rules = "\n".join(_bicep_rule(r, fix.sources, True, "//       ") for r in collection.rules)
    return (f"// In the azureFirewalls resource '{fix.firewall.name}' (resource group "
            f"{fix.firewall.resource_group}), add to properties.{CLASSIC_KEYS[collection.kind]}:\n"
            f"//   {{ name: '{collection.name}', properties: {{ priority: {prio}, "
            f"action: {{ type: 'Allow' }}, rules: [\n{rules}\n//   ] }} }}\n")


def _policy_bicep_collection(fix: RuleFix, collection: NewCollection, prio: int) -> str:
    rules = "\n".join(_bicep_rule(r, fix.sources, False, "          ") for r in collection.rules)
    return f"""      {{
        ruleCollectionType: 'FirewallPolicyFilterRuleCollection'
        name: '{collection.name}'
        priority: {prio}
        action: {{ type: 'Allow' }}
        rules: [
{rules}
        ]
      }}"""


def _bicep_rule(rule: NewRule, sources: Sequence[str], classic: bool, pad: str) -> str:
    lines = [f"name: '{rule.name}'"] if classic else [
        f"ruleType: '{'NetworkRule' if rule.kind is Kind.NETWORK else 'ApplicationRule'}'",
        f"name: '{rule.name}'"]
    lines.append(f"sourceAddresses: {bicep_list(sources)}")
    if rule.kind is Kind.NETWORK:
        lines += [f"{'protocols' if classic else 'ipProtocols'}: {bicep_list(rule.protocols)}",
                  f"destinationAddresses: {bicep_list(rule.destinations)}",
                  f"destinationPorts: {bicep_list(rule.ports)}"]
    else:
        protocols = ", ".join(f"{{ protocolType: '{kind}', port: {port} }}"
                              for kind, port in rule.app_protocols)
        lines.append(f"protocols: [ {protocols} ]")
        lines.append(bicep_targets(rule))
    body = "\n".join(f"{pad}  {line}" for line in lines)
    return f"{pad}{{\n{body}\n{pad}}}"


def _identifier(name: str) -> str:
    """A Bicep or Terraform symbol for a resource name."""
    cleaned = "".join(ch if ch.isalnum() else "_" for ch in name)
    return cleaned if cleaned[:1].isalpha() else f"r_{cleaned}"


# -- Terraform -------------------------------------------------------------------------------------------


def fix_terraform(fix: RuleFix, place: FixPlacement) -> str:
    if not place.policy_name:
        return "\n".join(_classic_terraform(fix, collection, prio)
                         for collection, prio in zip(fix.collections, place.priorities, strict=True))
    policy_id = place.policy.id if place.policy else fix.firewall.policy_id
    collections = "\n\n".join(_policy_terraform_collection(fix, collection, prio)
                              for collection, prio in zip(fix.collections, place.priorities, strict=True))
    keep = "  # keep the group's existing collections in this resource too\n\n" if place.group_exists else ""
    return f"""resource "azurerm_firewall_policy_rule_collection_group" "{_identifier(place.group)}" {{
  name               = "{place.group}"
  firewall_policy_id = "{policy_id}"
  priority           = {place.group_priority}
{keep}{collections}
}}
"""


def _classic_terraform(fix: RuleFix, collection: NewCollection, prio: int) -> str:
    rules = "\n".join(_hcl_rule(r, fix.sources, True) for r in collection.rules)
    kind, label = kind_word(collection.kind), _identifier(collection.name)
    return f"""resource "azurerm_firewall_{kind}_rule_collection" "{label}" {{
  name                = "{collection.name}"
  azure_firewall_name = "{fix.firewall.name}"
  resource_group_name = "{fix.firewall.resource_group}"
  priority            = {prio}
  action              = "Allow"

{rules}
}}
"""


def _policy_terraform_collection(fix: RuleFix, collection: NewCollection, prio: int) -> str:
    rules = "\n".join(_hcl_rule(r, fix.sources, False) for r in collection.rules)
    return f"""  {kind_word(collection.kind)}_rule_collection {{
    name     = "{collection.name}"
    priority = {prio}
    action   = "Allow"
{rules}
  }}"""


def _hcl_rule(rule: NewRule, sources: Sequence[str], classic: bool) -> str:
    pad = "    " if classic else "      "
    pairs = [("name", f'"{rule.name}"'), ("source_addresses", hcl_list(sources))]
    blocks = []
    if rule.kind is Kind.NETWORK:
        pairs += [("protocols", hcl_list(rule.protocols)),
                  ("destination_addresses", hcl_list(rule.destinations)),
                  ("destination_ports", hcl_list(rule.ports))]
    else:
        pairs.append(hcl_targets(rule, classic))
        for kind, port in rule.app_protocols:
            port_value = f'"{port}"' if classic else port  # the classic resource takes a string
            blocks.append(f"{pad}{'protocol' if classic else 'protocols'} {{\n{pad}  type = \"{kind}\"\n"
                          f"{pad}  port = {port_value}\n{pad}}}")
    body = "\n".join([hcl_aligned(pairs, len(pad)), *blocks])
    return f"{pad[:-2]}rule {{\n{body}\n{pad[:-2]}}}"
