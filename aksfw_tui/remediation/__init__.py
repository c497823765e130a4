"""Remediation: plans (what to change) and renderers (az CLI, Bicep, Terraform) for the checks' fixes.

- `model`: `Remediation` and its plan's `Change`s (JSON Patch with the value replaced).
- `patch`: JSON Patch changes against a resource's raw JSON (`set_property`, `append_items`).
- `plan`: assembling a remediation (`Draft`) and ordering its JSON Patch changes (`patch_order`).
- `firewall_upgrade`: moving a firewall to Premium (firewall-sku, threat-intel on Basic).
- `firewall_rules`: Azure Firewall rules in their raw ARM JSON: where an existing rule is and the
  changes and az commands that remove or edit it; the ARM JSON and snippet pieces of a rule to add.
- `app_collection`: one new Allow application collection placed next to an existing rule
  (fqdn-tag-rule, network-rule-bypass).
- `rule_fix`: new Allow collections that open flows a firewall denies from node subnets: where they
  go, the steps and the plan (tunnel-ports, required-egress); `rule_fix_snippets` renders them.
"""
