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

from collections.abc import Callable
from dataclasses import dataclass
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
from aksfw_tui.checks.patch import set_property
from aksfw_tui.model import ids
from aksfw_tui.model.resources import Firewall, FirewallPolicy
from aksfw_tui.model.topology import Topology

STRICTNESS = {"off": 0, "alert": 1, "deny": 2}
CANONICAL = {"off": "Off", "alert": "Alert", "deny": "Deny"}
CLI_EXTENSION = ("The az network firewall commands come from the azure-firewall CLI extension "
                 "(az extension add --name azure-firewall).")


# -- the policy chain (shared with threat-intel) ---------------------------------------------------


@dataclass(frozen=True)
class ChainMode:
    """One mode property read along a firewall policy's base chain, child first."""

    policies: tuple[FirewallPolicy, ...]  # the readable part of the chain, child first
    values: tuple[str, ...]  # each policy's own value ('' when it does not set it)
    missing: str  # why the chain could not be read to its end; '' when it was

    @property
    def strictest(self) -> tuple[str, str]:
        """(canonical mode, name of the policy that sets it), or ('', '') when none sets one."""
        best, setter = "", ""
        for policy, value in zip(self.policies, self.values, strict=True):
            rank = STRICTNESS.get(value.lower())
            if rank is not None and (not best or rank > STRICTNESS[best.lower()]):
                best, setter = CANONICAL[value.lower()], policy.name
        return best, setter

    @property
    def unrecognised(self) -> list[tuple[str, str]]:
        return [(p.name, v) for p, v in zip(self.policies, self.values, strict=True)
                if v and v.lower() not in STRICTNESS]

    def describe(self, prop: str) -> list[dict[str, Any]]:
        """Evidence: each policy of the chain and its own value of `prop`."""
        return [{"policy": p.id, prop: v or None}
                for p, v in zip(self.policies, self.values, strict=True)]


def policy_chain_mode(topology: Topology, policy_id: str,
                      read: Callable[[FirewallPolicy], str]) -> ChainMode:
    """Walk firewall policy → base → base…, reading one property; stop at the first gap."""
    policies: list[FirewallPolicy] = []
    missing = ""
    seen: set[str] = set()
    current = policy_id
    while current and ids.key(current) not in seen:  # a base cycle is a broken export, not a loop
        seen.add(ids.key(current))
        what = "base policy" if policies else "firewall policy"
        policy = topology.policy(current)
        if policy is None:
            missing = topology.missing(what, current)
            break
        if not policy.has_properties:
            missing = f"{what} {policy.name} was exported without its properties"
            break
        policies.append(policy)
        current = policy.base_policy_id
    return ChainMode(tuple(policies), tuple(read(p) for p in policies), missing)


# -- plan helpers (shared with threat-intel, dns-proxy, zone-spread, snat-utilisation, diagnostics) --


# -- the check -----------------------------------------------------------------------------------


def evaluate(topology: Topology, firewall: Firewall) -> Result:
    if not firewall.has_properties:
        return unknown(f"firewall {firewall.name} was exported without its properties")
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


def _tf_name(name: str) -> str:
    return "".join(c if c.isalnum() else "_" for c in name)


@dataclass(frozen=True)
class NewPolicy:
    """Where the Premium policy a remediation creates goes: next to the current one."""

    name: str
    subscription: str
    resource_group: str
    region: str

    @property
    def id(self) -> str:
        return (f"/subscriptions/{self.subscription}/resourceGroups/{self.resource_group}"
                f"/providers/Microsoft.Network/firewallPolicies/{self.name}")


def new_premium_policy(firewall: Firewall, policy: FirewallPolicy | None) -> NewPolicy:
    if policy is not None:
        return NewPolicy(f"{policy.name}-premium", policy.subscription, policy.resource_group,
                         policy.region or firewall.region)
    if firewall.policy_id:  # referenced but not in the snapshot: its id still says where it lives
        pid = firewall.policy_id
        return NewPolicy(f"{ids.name_of(pid)}-premium", ids.subscription_of(pid) or firewall.subscription,
                         ids.resource_group_of(pid) or firewall.resource_group, firewall.region)
    return NewPolicy(f"{firewall.name}-policy-premium", firewall.subscription, firewall.resource_group,
                     firewall.region)


def create_premium_policy(new: NewPolicy, policy: FirewallPolicy | None) -> str:
    dns = " --enable-dns-proxy true" if policy is not None and policy.dns_proxy else ""
    return (f"az network firewall policy create --subscription {new.subscription} "
            f"--resource-group {new.resource_group} --name {new.name} --location {new.region} "
            f"--sku Premium --threat-intel-mode Deny --idps-mode Deny{dns}")


def premium_policy_terraform(new: NewPolicy) -> str:
    return f"""resource "azurerm_firewall_policy" "{_tf_name(new.name)}" {{
  name                     = "{new.name}"
  resource_group_name      = "{new.resource_group}"
  location                 = "{new.region}"
  sku                      = "Premium"
  threat_intelligence_mode = "Deny"

  intrusion_detection {{
    mode = "Deny"
  }}
  # copy the rule collection groups (azurerm_firewall_policy_rule_collection_group) and dns block
}}
"""


def premium_policy_bicep(new: NewPolicy) -> str:
    return f"""resource premiumPolicy 'Microsoft.Network/firewallPolicies@2024-05-01' = {{
  name: '{new.name}'
  location: '{new.region}'
  properties: {{
    sku: {{ tier: 'Premium' }}
    threatIntelMode: 'Deny'
    intrusionDetection: {{ mode: 'Deny' }}
    // copy the rule collection groups and dnsSettings of the current configuration
  }}
}}
"""


def _firewall_bicep(firewall: Firewall, new: NewPolicy) -> str:
    return f"""resource firewall 'Microsoft.Network/azureFirewalls@2024-05-01' = {{
  name: '{firewall.name}'
  location: '{firewall.region}'
  properties: {{
    sku: {{ name: '{firewall.sku_name or 'AZFW_VNet'}', tier: 'Premium' }}
    firewallPolicy: {{ id: '{new.id}' }}
    // keep ipConfigurations and the rest of the firewall's properties unchanged
  }}
}}
"""


def _firewall_terraform(firewall: Firewall, new: NewPolicy) -> str:
    return f"""# In azurerm_firewall "{_tf_name(firewall.name)}" (resource group {firewall.resource_group}):
#   sku_name           = "{firewall.sku_name or 'AZFW_VNet'}"
#   sku_tier           = "Premium"
#   firewall_policy_id = azurerm_firewall_policy.{_tf_name(new.name)}.id
"""


def upgrade_remediation(firewall: Firewall, policy: FirewallPolicy | None) -> Remediation:
    """Standard or Basic → Premium with a Premium policy running IDPS in Deny mode."""
    name, new = firewall.name, new_premium_policy(firewall, policy)
    steps: list[str] = []
    if firewall.sku_tier.lower() == "basic":
        steps.append(
            f"Change SKU does not support Basic, so no property change upgrades {name} in place: "
            "this is a manual migration. Microsoft requires it to be migrated to Standard before "
            "it can become Premium. The alternative is a new Premium firewall in "
            "the hub with the node subnets' 0.0.0.0/0 routes repointed to its private IP (a short "
            "cut-over), then deleting the Basic one.")
    elif not firewall.policy_id:
        steps.append(
            f"{name} uses classic rules, and the zero-downtime Change SKU needs a Firewall Policy: "
            "first select 'Migrate to firewall policy' on its Overview page (a manual step; the "
            "plan holds no property change until the rules live in a policy).")
    current = (f"policy {ids.name_of(firewall.policy_id)}" if firewall.policy_id
               else "the migrated policy")
    changes = _upgrade_changes(firewall, new)
    steps += [
        f"On {name}'s Overview page select Change SKU → Premium (zero downtime; still use a "
        f"maintenance window): let it duplicate {current} into a Premium policy, or pick {new.name} "
        "created below. PowerShell (Sku.Tier = 'Premium', then Set-AzFirewall) and Terraform "
        "(sku_tier) do the same; az network firewall update has no tier option.",
        f"A Premium policy made by hand ({new.name}) must receive every rule collection group of "
        "the current configuration; Microsoft's Transform-Policy script does not copy threat "
        "intelligence or SNAT private-range settings.",
        *([f"The plan switches {name}'s tier and firewallPolicy to {new.name} in one update (what "
           "Change SKU and Terraform do): create that policy first (the first command), or the "
           "update fails."] if changes else []),
        "Run IDPS in Deny mode (Alert first for a few days if you need to tune signature "
        "overrides or bypass rules), and consider TLS inspection for HTTPS egress.",
        "Premium costs more and IDPS/TLS inspection consume capacity: load-test the egress path.",
        CLI_EXTENSION,
    ]
    return Remediation(
        summary=f"Upgrade {name} from {firewall.sku_tier} to Premium with a Premium policy running "
                "IDPS in Deny mode",
        steps=tuple(steps),
        az_cli=(create_premium_policy(new, policy),
                f"az network firewall show --subscription {firewall.subscription} --resource-group "
                f"{firewall.resource_group} --name {name} --query sku"),
        bicep=premium_policy_bicep(new) + "\n" + _firewall_bicep(firewall, new),
        terraform=premium_policy_terraform(new) + "\n" + _firewall_terraform(firewall, new),
        changes=changes,
    )


def _upgrade_changes(firewall: Firewall, new: NewPolicy) -> tuple[Change, ...]:
    """Standard with a policy: the tier and the policy change together (Change SKU, or Terraform's
    sku_tier, updates the firewall in place). Basic and classic rules need a manual migration first."""
    if firewall.sku_tier.lower() == "basic" or not firewall.policy_id:
        return ()
    return _present(set_property(firewall.id, firewall.raw, ("properties", "sku", "tier"), "Premium"),
                    _policy_change(firewall, new))


def _policy_change(firewall: Firewall, new: NewPolicy) -> Change | None:
    return set_property(firewall.id, firewall.raw, ("properties", "firewallPolicy", "id"), new.id)


def _present(*changes: Change | None) -> tuple[Change, ...]:
    return tuple(c for c in changes if c is not None)


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
        bicep=premium_policy_bicep(new) + "\n" + _firewall_bicep(firewall, new),
        terraform=premium_policy_terraform(new) + "\n" + _firewall_terraform(firewall, new),
        changes=_present(_policy_change(firewall, new)) if policy is not None else (),
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
        terraform=f"""resource "azurerm_firewall_policy" "{_tf_name(policy.name)}" {{
  name                = "{policy.name}"
  resource_group_name = "{policy.resource_group}"
  location            = "{policy.region}"
  sku                 = "Premium"

  intrusion_detection {{
    mode = "Deny"
  }}
}}
""",
        changes=_present(set_property(policy.id, policy.raw, ("properties", "intrusionDetection", "mode"),
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
