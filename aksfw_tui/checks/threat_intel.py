"""threat-intel: the firewall denies traffic to and from known-malicious IPs and domains (mode Deny).

Where the mode lives (Microsoft Learn, "Azure Firewall threat intelligence-based filtering" and
"Firewall Manager policy overview"):
- With a Firewall Policy (hub VNet or secured virtual hub), the policy's `threatIntelMode` governs
  and the firewall's own property is ignored. A child policy inherits its base's mode and may only
  override it with a stricter one, so the effective mode is the strictest set along the chain; set
  nowhere means Azure's default, Alert.
- Classic rules: the firewall's `threatIntelMode`; absent means Alert.
- Basic supports Alert only: Deny needs Standard or Premium (firewall-sku carries that upgrade).
Off is worse than Alert (nothing is blocked and nothing is logged as a threat hit): high; Alert
logs the hit and lets it through: medium.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aksfw_tui.checks.base import (
    Change,
    Check,
    Remediation,
    Result,
    Severity,
    Subject,
    failed,
    passed,
    unknown,
)
from aksfw_tui.model.policy_chain import CANONICAL, ChainMode, policy_chain_mode
from aksfw_tui.model.resources import Firewall, FirewallPolicy
from aksfw_tui.model.topology import Topology
from aksfw_tui.remediation.firewall_upgrade import CLI_EXTENSION, upgrade_remediation
from aksfw_tui.remediation.patch import set_property

DEFAULT = "Alert"


def evaluate(topology: Topology, firewall: Firewall) -> Result:
    if not firewall.has_properties:
        return unknown(f"firewall {firewall.name} was exported without its properties")
    if firewall.policy_unread:  # its settings live in a policy that cannot be named
        return unknown(f"{firewall.policy_unread}, so the policy that applies cannot be read")
    if firewall.policy_id:
        return _with_policy(topology, firewall)
    evidence = {"source": "classic", "sku_name": firewall.sku_name or None,
                "sku_tier": firewall.sku_tier or None,
                "threatIntelMode": firewall.threat_intel_mode or None}
    if firewall.sku_name.lower() == "azfw_hub" or firewall.virtual_hub_id:
        return unknown(f"secured-hub firewall {firewall.name} references no firewall policy, where "
                       "its threat intelligence mode would be set", **evidence)
    raw = firewall.threat_intel_mode
    if raw and raw.lower() not in CANONICAL:
        return unknown(f"threatIntelMode {raw!r} on {firewall.name} is not Alert, Deny or Off",
                       **evidence)
    mode = CANONICAL[raw.lower()] if raw else DEFAULT
    where = f"on {firewall.name} (classic rules)" + ("" if raw else ", by default: threatIntelMode is unset")
    if mode == "Deny":
        return passed(f"threat intelligence mode is Deny {where}", **evidence)
    return _fail(firewall, None, mode, where, evidence)


def _with_policy(topology: Topology, firewall: Firewall) -> Result:
    chain = policy_chain_mode(topology, firewall.policy_id, lambda p: p.threat_intel_mode)
    evidence = _evidence(firewall, chain)
    if not chain.policies:
        return unknown(chain.missing, **evidence)
    own = chain.policies[0]
    mode, setter = chain.strictest
    if mode == "Deny":
        inherited = f", inherited by {own.name}" if setter != own.name else ""
        return passed(f"threat intelligence mode is Deny (set on policy {setter}{inherited})",
                      **evidence)
    if chain.missing:
        return unknown(f"{chain.missing}; it could set a stricter threat intelligence mode than "
                       f"the {mode or 'unset'} mode the readable chain shows", **evidence)
    if chain.unrecognised:
        name, value = chain.unrecognised[0]
        return unknown(f"threatIntelMode {value!r} on policy {name} is not Alert, Deny or Off",
                       **evidence)
    where = (f"on policy {setter}" if mode else
             f"by default: threatIntelMode is set neither on policy {own.name} nor on its bases")
    return _fail(firewall, chain, mode or DEFAULT, where, evidence)


def _evidence(firewall: Firewall, chain: ChainMode) -> dict[str, Any]:
    evidence: dict[str, Any] = {
        "source": "firewall policy",
        "sku_name": firewall.sku_name or None,
        "sku_tier": firewall.sku_tier or None,
        "firewall_policy": firewall.policy_id,
        "policy_chain": chain.describe("threatIntelMode"),
        "effective_mode": chain.strictest[0] or (None if chain.missing else DEFAULT),
        # With a policy the firewall's own threatIntelMode has no effect; shown to explain why.
        "firewall_threatIntelMode_ignored": firewall.threat_intel_mode or None,
    }
    if chain.missing:
        evidence["missing"] = chain.missing
    return evidence


def _fail(firewall: Firewall, chain: ChainMode | None, mode: str, where: str,
          evidence: dict[str, Any]) -> Result:
    basic = firewall.sku_tier.lower() == "basic"
    if mode == "Off":
        message = (f"threat intelligence is Off {where}: traffic to and from known-malicious IP "
                   "addresses and domains is neither blocked nor reported")
    else:
        message = (f"threat intelligence mode is Alert {where}: traffic to and from known-malicious "
                   "IP addresses and domains is logged but allowed")
    if basic:
        message += ("; the Basic SKU supports Alert only, so Deny needs Standard or Premium "
                    "(see firewall-sku)")
    policy = chain.policies[0] if chain else None
    if basic:
        fix = upgrade_remediation(firewall, policy)
    elif policy is not None:
        fix = _policy_remediation(firewall, policy, chain)
    else:
        fix = _classic_remediation(firewall)
    return failed(message, fix, Severity.HIGH if mode == "Off" else None, **evidence)


def _common_steps(target: str) -> tuple[str, ...]:
    return (
        "Deny drops every flow that matches Microsoft's threat intelligence feed. Review the "
        "AZFWThreatIntel log (Alert mode already records the hits) and put known false positives "
        "on the threat intelligence allowlist instead of staying on Alert.",
        f"Set threatIntelMode to Deny on {target}.",
        "Watch AZFWThreatIntel after the change for legitimate flows that are now blocked.",
    )


def _policy_remediation(firewall: Firewall, policy: FirewallPolicy,
                        chain: ChainMode | None) -> Remediation:
    bases = [p.name for p in chain.policies[1:]] if chain else []
    note = ((f"; setting it on the base policy {bases[-1]} instead applies it to every child "
             "(children can only be stricter)") if bases else "")
    return Remediation(
        summary=f"Set threat intelligence to Deny on firewall policy {policy.name} "
                f"(used by {firewall.name})",
        steps=(*_common_steps(f"{policy.name}{note}"), CLI_EXTENSION),
        az_cli=(f"az network firewall policy update --subscription {policy.subscription} "
                f"--resource-group {policy.resource_group} --name {policy.name} "
                "--threat-intel-mode Deny",),
        bicep=f"""resource policy 'Microsoft.Network/firewallPolicies@2024-05-01' = {{
  name: '{policy.name}'
  location: '{policy.region}'
  properties: {{
    sku: {{ tier: '{policy.sku_tier or 'Standard'}' }}
    threatIntelMode: 'Deny'
    // keep the policy's other properties (dnsSettings, basePolicy, intrusionDetection) unchanged
  }}
}}
""",
        terraform=f"""resource "azurerm_firewall_policy" "{_tf_name(policy.name)}" {{
  name                     = "{policy.name}"
  resource_group_name      = "{policy.resource_group}"
  location                 = "{policy.region}"
  sku                      = "{policy.sku_tier or 'Standard'}"
  threat_intelligence_mode = "Deny"
}}
""",
        changes=_deny(policy.id, policy.raw),
    )


def _classic_remediation(firewall: Firewall) -> Remediation:
    return Remediation(
        summary=f"Set threat intelligence to Deny on {firewall.name}",
        steps=(*_common_steps(f"{firewall.name} (classic rules)"),
               "Classic rules are the legacy configuration: consider 'Migrate to firewall policy' "
               "on the firewall's Overview page, and then set the mode on the policy.",
               CLI_EXTENSION),
        az_cli=(f"az network firewall update --subscription {firewall.subscription} --resource-group "
                f"{firewall.resource_group} --name {firewall.name} --threat-intel-mode Deny",),
        bicep=f"""resource firewall 'Microsoft.Network/azureFirewalls@2024-05-01' = {{
  name: '{firewall.name}'
  location: '{firewall.region}'
  properties: {{
    threatIntelMode: 'Deny'
    // keep sku, ipConfigurations and the rule collections unchanged
  }}
}}
""",
        terraform=(f'# In azurerm_firewall "{_tf_name(firewall.name)}" '
                   f'(resource group {firewall.resource_group}):\n#   threat_intel_mode = "Deny"\n'),
        changes=_deny(firewall.id, firewall.raw),
    )


def _deny(resource_id: str, raw: Mapping[str, Any]) -> tuple[Change, ...]:
    """threatIntelMode lives at the same place on a policy and on a classic firewall."""
    change = set_property(resource_id, raw, ("properties", "threatIntelMode"), "Deny")
    return (change,) if change else ()


def _tf_name(name: str) -> str:
    return "".join(c if c.isalnum() else "_" for c in name)


CHECK = Check(
    id="threat-intel",
    title="Firewall threat intelligence is in Deny mode (blocks known-malicious IPs and domains)",
    subjects=(Subject.FIREWALL,),
    severity=Severity.MEDIUM,
    passes_when=(
        "The effective threat intelligence mode is Deny: for a firewall with a Firewall Policy the "
        "strictest threatIntelMode along the policy's base chain (unset everywhere means Alert), "
        "for classic rules the firewall's threatIntelMode (absent means Alert). Alert fails "
        "medium, Off fails high."
    ),
    rationale=(
        "Threat intelligence matches flows against Microsoft's feed of known-malicious addresses "
        "and domains. A compromised pod phoning home to a known command-and-control server is "
        "exactly what it catches, but in the default Alert mode the connection still succeeds; "
        "only Deny stops it. Off turns even the alert off."
    ),
    references=(
        "https://learn.microsoft.com/azure/firewall/threat-intel",
        "https://learn.microsoft.com/azure/firewall-manager/policy-overview",
        "https://learn.microsoft.com/azure/firewall/features-by-sku",
    ),
    evaluate=evaluate,
)
