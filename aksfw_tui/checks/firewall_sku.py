"""firewall-sku: the firewall is Premium and its policy runs IDPS, Deny mode preferred.

Facts this rests on (Microsoft Learn, "Azure Firewall features by SKU", "Change Azure Firewall
SKU", "Firewall Manager policy overview"):
- Basic: up to 250 Mbps, no DNS proxy (so no FQDNs in network rules), threat intelligence in Alert
  mode only, no forced tunnelling. Standard: no IDPS, no TLS inspection. Premium: signature-based
  IDPS and TLS inspection, configured only in a Premium Firewall Policy (a Premium firewall may run a
  Standard policy, which then has no IDPS; a Premium policy attaches only to a Premium firewall).
- IDPS mode (`intrusionDetection.mode`): Off, Alert, Deny. A child policy's effective mode is the
  stricter of its own and its base's, so the effective mode is the strictest set in the chain.
- Standard → Premium: the portal's "Change SKU" (zero downtime, needs a Firewall Policy),
  PowerShell or Terraform `sku_tier`; `az network firewall update` has no tier option. Basic is not
  supported by Change SKU: it must be migrated to Standard first.

The policy-chain reader lives here because threat-intel reads the same chain the same way.
"""

from __future__ import annotations

from typing import Any

from aksfw_tui.checks.base import (
    Check,
    Remediation,
    Result,
    Severity,
    Subject,
    failed,
    passed,
    unknown,
)
from aksfw_tui.model.policy_chain import ChainMode, policy_chain_mode
from aksfw_tui.model.resources import Firewall, FirewallPolicy
from aksfw_tui.model.topology import Topology
from aksfw_tui.remediation.firewall_upgrade import (
    CLI_EXTENSION,
    create_premium_policy,
    firewall_policy_bicep,
    firewall_policy_terraform,
    new_premium_policy,
    point_at_policy,
    premium_policy_bicep,
    premium_policy_terraform,
    present,
    terraform_name,
    upgrade_remediation,
)
from aksfw_tui.remediation.patch import set_property

# -- the check -----------------------------------------------------------------------------------


def evaluate(topology: Topology, firewall: Firewall) -> Result:
    if not firewall.has_properties:
        return unknown(f"firewall {firewall.name} was exported without its properties")
    if firewall.policy_unread:  # its settings live in a policy that cannot be named
        return unknown(f"{firewall.policy_unread}, so the policy that applies cannot be read")
    tier = firewall.sku_tier.lower()
    chain = (policy_chain_mode(topology, firewall.policy_id, lambda p: p.idps_mode)
             if firewall.policy_id else None)
    policy = chain.policies[0] if chain and chain.policies else None
    evidence = _evidence(firewall, chain)
    if tier in ("basic", "standard"):
        return _below_premium(firewall, policy, evidence)
    if chain is not None and policy is None:
        return unknown(chain.missing, **evidence)
    if policy is not None and policy.sku_tier.lower() in ("basic", "standard"):
        return failed(
            f"firewall policy {policy.name} is {policy.sku_tier} tier: IDPS exists only in Premium "
            f"policies, so {firewall.name} runs without intrusion detection",
            _premium_policy_remediation(firewall, policy), **evidence)
    if not tier:
        return unknown(f"the sku.tier of firewall {firewall.name} is absent from the export",
                       **evidence)
    if tier != "premium":
        return unknown(f"sku.tier {firewall.sku_tier!r} of firewall {firewall.name} is not Basic, "
                       "Standard or Premium", **evidence)
    if chain is None:
        return failed(
            f"{firewall.name} is Premium but uses classic rules: IDPS is configured only in a "
            "Premium Firewall Policy, so it runs without intrusion detection",
            _premium_policy_remediation(firewall, None), **evidence)
    return _premium_with_policy(firewall, chain, evidence)


def _premium_with_policy(firewall: Firewall, chain: ChainMode, evidence: dict[str, Any]) -> Result:
    policy = chain.policies[0]
    mode, setter = chain.strictest
    if mode == "Deny":
        if not policy.sku_tier:
            return unknown(f"IDPS is Deny, but the sku.tier of policy {policy.name} is absent from "
                           "the export", **evidence)
        return passed(f"{firewall.name} is Premium and IDPS is Deny (set on policy {setter})",
                      **evidence)
    if chain.missing:
        return unknown(f"{chain.missing}; it could set a stricter IDPS mode than the "
                       f"{mode or 'unset'} mode the readable chain shows", **evidence)
    if chain.unrecognised:
        name, value = chain.unrecognised[0]
        return unknown(f"intrusionDetection.mode {value!r} on policy {name} is not Off, Alert or "
                       "Deny", **evidence)
    if mode == "Alert":
        return failed(
            f"IDPS on {policy.name} is in Alert mode"
            f"{f' (inherited from {setter})' if setter != policy.name else ''}: signature matches "
            "are logged but the traffic still passes; Deny blocks it",
            _idps_remediation(firewall, policy, "Alert"), Severity.LOW, **evidence)
    return failed(
        f"{firewall.name} is Premium but IDPS is {mode or 'not configured'} on policy "
        f"{policy.name}{' and its bases' if len(chain.policies) > 1 else ''}: Premium's "
        "intrusion detection inspects nothing",
        _idps_remediation(firewall, policy, mode or "absent"), **evidence)


def _below_premium(firewall: Firewall, policy: FirewallPolicy | None,
                   evidence: dict[str, Any]) -> Result:
    fix = upgrade_remediation(firewall, policy)
    if firewall.sku_tier.lower() == "basic":
        return failed(
            f"{firewall.name} is Basic: at most 250 Mbps, no DNS proxy (so no FQDNs in network "
            "rules), threat intelligence in Alert mode only, and no IDPS or TLS inspection; it is "
            "meant for small businesses, not for filtering a cluster's egress",
            fix, Severity.HIGH, **evidence)
    return failed(
        f"{firewall.name} is Standard: no IDPS and no TLS inspection, which Microsoft recommends "
        "(Premium) for sensitive and regulated workloads", fix, **evidence)


def _evidence(firewall: Firewall, chain: ChainMode | None) -> dict[str, Any]:
    evidence: dict[str, Any] = {
        "sku_name": firewall.sku_name or None,
        "sku_tier": firewall.sku_tier or None,
        "firewall_policy": firewall.policy_id or None,
    }
    if chain is not None:
        evidence["policy_sku_tier"] = (chain.policies[0].sku_tier or None) if chain.policies else None
        evidence["idps_chain"] = chain.describe("intrusionDetection.mode")
        evidence["effective_idps_mode"] = chain.strictest[0] or None
        if chain.missing:
            evidence["missing"] = chain.missing
    return evidence


# -- remediation ---------------------------------------------------------------------------------


def _premium_policy_remediation(firewall: Firewall, policy: FirewallPolicy | None) -> Remediation:
    """A Premium firewall without a Premium policy: give it one with IDPS on."""
    name, new = firewall.name, new_premium_policy(firewall, policy)
    first = (f"Create the Premium policy {new.name} and copy every rule collection group of "
             f"{policy.name} into it (Microsoft's Transform-Policy script does this; it does not "
             "copy threat intelligence or SNAT private-range settings). The plan's firewallPolicy "
             "change refers to it, so it must exist first." if policy else
             f"Migrate {name}'s classic rules to a policy ('Migrate to firewall policy' on its "
             f"Overview page), as the Premium policy {new.name}: a manual step, so the plan holds "
             "no property change.")
    return Remediation(
        summary=f"Attach a Premium policy with IDPS in Deny mode to {name}",
        steps=(first,
               f"Associate {new.name} with {name}; the swap updates the firewall, so do it in a "
               "maintenance window.",
               "Run IDPS in Deny mode (Alert first for a few days if you need to tune signature "
               "overrides or bypass rules).",
               CLI_EXTENSION),
        az_cli=(create_premium_policy(new, policy),
                f"az network firewall update --subscription {firewall.subscription} --resource-group "
                f"{firewall.resource_group} --name {name} --firewall-policy {new.id}"),
        bicep=premium_policy_bicep(new) + "\n" + firewall_policy_bicep(firewall, new),
        terraform=premium_policy_terraform(new) + "\n" + firewall_policy_terraform(firewall, new),
        changes=present(point_at_policy(firewall, new)) if policy is not None else (),
    )


def _idps_remediation(firewall: Firewall, policy: FirewallPolicy, current: str) -> Remediation:
    tuning = ("Alert mode has shown you what would be blocked: review the AZFWIdpsSignature log for "
              "false positives and override those signatures before switching." if current == "Alert"
              else "Turn IDPS on in Alert mode for a few days first if you need to find false "
                   "positives (AZFWIdpsSignature log), then switch to Deny.")
    return Remediation(
        summary=f"Set IDPS to Deny on firewall policy {policy.name} (used by {firewall.name})",
        steps=(tuning,
               f"Set intrusionDetection.mode to Deny on {policy.name}; a child policy can only make "
               "it stricter, so setting it here (or on a base policy) is enough.",
               CLI_EXTENSION),
        az_cli=(f"az network firewall policy update --subscription {policy.subscription} "
                f"--resource-group {policy.resource_group} --name {policy.name} --idps-mode Deny",),
        bicep=f"""resource policy 'Microsoft.Network/firewallPolicies@2024-05-01' = {{
  name: '{policy.name}'
  location: '{policy.region}'
  properties: {{
    sku: {{ tier: 'Premium' }}
    intrusionDetection: {{ mode: 'Deny' }}
    // keep the policy's other properties (dnsSettings, threatIntelMode, basePolicy) unchanged
  }}
}}
""",
        terraform=f"""resource "azurerm_firewall_policy" "{terraform_name(policy.name)}" {{
  name                = "{policy.name}"
  resource_group_name = "{policy.resource_group}"
  location            = "{policy.region}"
  sku                 = "Premium"

  intrusion_detection {{
    mode = "Deny"
  }}
}}
""",
        changes=present(set_property(policy.id, policy.raw, ("properties", "intrusionDetection", "mode"),
                                      "Deny")),
    )


CHECK = Check(
    id="firewall-sku",
    title="Firewall is Premium with IDPS in Deny mode (recommended for sensitive workloads)",
    subjects=(Subject.FIREWALL,),
    severity=Severity.MEDIUM,
    passes_when=(
        "The firewall's sku.tier is Premium, its Firewall Policy is Premium tier, and the effective "
        "IDPS mode (intrusionDetection.mode, the strictest along the base-policy chain) is Deny. "
        "Basic fails high, Standard and Premium without IDPS fail medium, IDPS Alert fails low."
    ),
    rationale=(
        "A cluster's egress firewall that only matches names and ports cannot see an exploit or "
        "command-and-control traffic inside an allowed connection. Premium's signature-based IDPS "
        "(and TLS inspection) can, but only when a Premium policy turns it on; in Alert mode it "
        "logs and lets the traffic through. Basic is capped at 250 Mbps and has no DNS proxy."
    ),
    references=(
        "https://learn.microsoft.com/azure/firewall/features-by-sku",
        "https://learn.microsoft.com/azure/firewall/premium-features",
        "https://learn.microsoft.com/azure/firewall/change-sku",
        "https://learn.microsoft.com/azure/firewall-manager/policy-overview",
    ),
    evaluate=evaluate,
)
