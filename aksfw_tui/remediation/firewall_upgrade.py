"""Moving a firewall to the Premium tier: a Premium policy beside the current one, the firewall
pointed at it, with the tier changed in place where Azure allows (Change SKU)."""

from __future__ import annotations

from dataclasses import dataclass

from aksfw_tui.model import ids
from aksfw_tui.model.resources import Firewall, FirewallPolicy
from aksfw_tui.remediation.model import Change, Remediation
from aksfw_tui.remediation.patch import set_property

CLI_EXTENSION = ("The az network firewall commands come from the azure-firewall CLI extension "
                 "(az extension add --name azure-firewall).")


def terraform_name(name: str) -> str:
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
    return f"""resource "azurerm_firewall_policy" "{terraform_name(new.name)}" {{
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


def firewall_policy_bicep(firewall: Firewall, new: NewPolicy) -> str:
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


def firewall_policy_terraform(firewall: Firewall, new: NewPolicy) -> str:
    name, group = terraform_name(firewall.name), firewall.resource_group
    return f"""# In azurerm_firewall "{name}" (resource group {group}):
#   sku_name           = "{firewall.sku_name or 'AZFW_VNet'}"
#   sku_tier           = "Premium"
#   firewall_policy_id = azurerm_firewall_policy.{terraform_name(new.name)}.id
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
        bicep=premium_policy_bicep(new) + "\n" + firewall_policy_bicep(firewall, new),
        terraform=premium_policy_terraform(new) + "\n" + firewall_policy_terraform(firewall, new),
        changes=changes,
    )


def _upgrade_changes(firewall: Firewall, new: NewPolicy) -> tuple[Change, ...]:
    """Standard with a policy: the tier and the policy change together (Change SKU, or Terraform's
    sku_tier, updates the firewall in place). Basic and classic rules need a manual migration first."""
    if firewall.sku_tier.lower() == "basic" or not firewall.policy_id:
        return ()
    return present(set_property(firewall.id, firewall.raw, ("properties", "sku", "tier"), "Premium"),
                    point_at_policy(firewall, new))


def point_at_policy(firewall: Firewall, new: NewPolicy) -> Change | None:
    return set_property(firewall.id, firewall.raw, ("properties", "firewallPolicy", "id"), new.id)


def present(*changes: Change | None) -> tuple[Change, ...]:
    return tuple(c for c in changes if c is not None)
