"""dns-proxy: the firewall resolves DNS for the VNets it filters (DNS proxy on, VNets pointed at it).

Network rules with `destinationFqdns` only work reliably when the firewall and its clients resolve
a name to the same addresses: the firewall must run its DNS proxy and every VNet routed through it
must use the firewall's private IP as DNS server.

Where the setting comes from: a Firewall Policy's `dnsSettings.enableProxy`, where a child policy
that does not set it inherits its base policy's (the nearest policy in the chain that sets it
wins, as in firewall/rules.py); a classic firewall's
`additionalProperties["Network.DNS.EnableProxy"] == "true"`. Absent or false is off.

Which VNets count: every VNet in the snapshot with a subnet whose 0.0.0.0/0 route points at this
firewall (topology.subnet_egress). A VNet passes only when it lists DNS servers and every one of
them is the firewall's private IP: a second server in the list is one clients may use instead.

Severities (DESIGN §6): proxy off while network rules use FQDNs: high; off otherwise: medium; on
but a routed VNet resolves elsewhere: high with FQDN network rules, otherwise low.
"""

from __future__ import annotations

from dataclasses import dataclass, field
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
from aksfw_tui.firewall.rules import Kind, Rule, ruleset_for
from aksfw_tui.model import ids
from aksfw_tui.model.resources import Firewall, FirewallPolicy, VirtualNetwork
from aksfw_tui.model.topology import Egress, Topology
from aksfw_tui.remediation.patch import set_property

CLASSIC_KEY = "Network.DNS.EnableProxy"


@dataclass(frozen=True)
class ProxySetting:
    """Whether DNS proxy is on (None: cannot tell), where that was read, and what to change."""

    enabled: bool | None
    source: str
    policy: FirewallPolicy | None = None  # the firewall's own policy (None: classic or unknown)
    decided_by: FirewallPolicy | None = None  # the policy in the chain whose setting applies


@dataclass
class RoutedVnets:
    """VNets whose subnets send their default route to this firewall, and subnets we cannot place."""

    routed: dict[str, tuple[VirtualNetwork, list[str]]] = field(default_factory=dict)
    undecided: dict[str, tuple[VirtualNetwork, list[str]]] = field(default_factory=dict)


def evaluate(topology: Topology, firewall: Firewall) -> Result:
    if not firewall.has_properties:
        return unknown(f"firewall {firewall.name} was exported without its properties")
    if topology.firewall_ip_unread(firewall):  # which routes point here cannot be told
        return unknown(f"{topology.firewall_ip_unread(firewall)}, so which VNets route through "
                       f"{firewall.name} cannot be seen")
    proxy = _proxy_setting(topology, firewall)
    ruleset = ruleset_for(topology, firewall)
    fqdn_rules = [r for r in ruleset.rules
                  if r.kind is Kind.NETWORK and not r.gap and r.destination_fqdns]
    vnets = _routed_vnets(topology, firewall)
    elsewhere = [vnet for vnet, _ in vnets.routed.values() if not _uses_firewall(vnet, firewall)]
    evidence = _evidence(firewall, proxy, fqdn_rules, ruleset.problems, vnets)
    if proxy.enabled is None:
        return unknown(proxy.source, **evidence)
    fqdn_note = _fqdn_note(fqdn_rules, ruleset.problems)
    if not proxy.enabled:
        also = "".join(f"; also, {_describe_elsewhere(v, firewall)}" for v in elsewhere)
        return failed(
            f"DNS proxy is off on {firewall.name} ({proxy.source}); {fqdn_note}{also}",
            _remediation(firewall, proxy, elsewhere),
            Severity.HIGH if fqdn_rules else Severity.MEDIUM,
            **evidence,
        )
    if elsewhere:
        return failed(
            f"DNS proxy is on ({proxy.source}), but "
            + "; ".join(_describe_elsewhere(v, firewall) for v in elsewhere)
            + f"; {fqdn_note}",
            _remediation(firewall, proxy, elsewhere),
            Severity.HIGH if fqdn_rules else Severity.LOW,
            **evidence,
        )
    unseen = [(vnet, subnets) for vnet, subnets in vnets.undecided.values()
              if not _uses_firewall(vnet, firewall)]
    if unseen:
        return unknown(
            f"DNS proxy is on ({proxy.source}), but whether these VNets route through "
            f"{firewall.name} could not be seen, and they do not use {firewall.private_ip} as DNS "
            "server: " + "; ".join(f"{v.name} ({'; '.join(s)})" for v, s in unseen),
            **evidence,
        )
    hidden = topology.unseen_subnets()
    if hidden:  # "every VNet routed here" cannot hold while subnets could not be read
        return unknown(
            f"DNS proxy is on ({proxy.source}) and {_describe_routed(vnets, firewall)}, but subnets "
            "that might route through it could not be read: " + "; ".join(hidden), **evidence)
    return passed(f"DNS proxy is on ({proxy.source}) and {_describe_routed(vnets, firewall)}",
                  **evidence)


# -- where the setting comes from -------------------------------------------------------------------


def _proxy_setting(topology: Topology, firewall: Firewall) -> ProxySetting:
    if firewall.policy_unread:
        return ProxySetting(None, f"{firewall.policy_unread}, so whether DNS proxy is on cannot "
                                  "be seen")
    if firewall.policy_id:
        return _policy_setting(topology, firewall.policy_id)
    value = firewall.additional_properties.get(CLASSIC_KEY)
    if value is None:
        return ProxySetting(False, f'classic firewall: additionalProperties["{CLASSIC_KEY}"] is absent')
    enabled = str(value).strip().lower() == "true"
    return ProxySetting(enabled, f'classic firewall: additionalProperties["{CLASSIC_KEY}"] is {value!r}')


def _policy_setting(topology: Topology, policy_id: str) -> ProxySetting:
    """Walk child → base; the first policy that sets enableProxy decides (rules.py semantics).

    Unlike RuleSet.dns_proxy, an unreadable base policy is `unknown` here when the child does not
    set the value itself: the base might turn the proxy on.
    """
    chain: list[FirewallPolicy] = []
    seen: set[str] = set()
    while policy_id and ids.key(policy_id) not in seen:
        seen.add(ids.key(policy_id))
        what = "base policy" if chain else "firewall policy"
        policy = topology.policy(policy_id)
        if policy is None:
            return ProxySetting(None, f"{topology.missing(what, policy_id)}, so whether DNS proxy "
                                      "is on cannot be seen", chain[0] if chain else None)
        if not policy.has_properties:
            return ProxySetting(None, f"{what} {policy.name} was exported without its properties, "
                                      "so whether DNS proxy is on cannot be seen",
                                chain[0] if chain else None)
        chain.append(policy)
        if policy.dns_proxy is not None:
            where = (f"policy {policy.name}" if len(chain) == 1
                     else f"inherited by {chain[0].name} from base policy {policy.name}")
            return ProxySetting(policy.dns_proxy,
                                f"dnsSettings.enableProxy is {str(policy.dns_proxy).lower()} in {where}",
                                chain[0], policy)
        if policy.base_unread:
            return ProxySetting(None, f"{policy.base_unread}, so whether DNS proxy is on cannot be "
                                      "seen", chain[0])
        policy_id = policy.base_policy_id
    names = " → ".join(p.name for p in chain)
    return ProxySetting(False, f"dnsSettings.enableProxy is absent in {names}", chain[0], chain[-1])


# -- which VNets route through the firewall ----------------------------------------------------


def _routed_vnets(topology: Topology, firewall: Firewall) -> RoutedVnets:
    found = RoutedVnets()
    for subnet in topology.subnets.values():
        egress = topology.subnet_egress(subnet.id)
        vnet = topology.vnet(subnet.vnet_id)
        if vnet is None:
            continue
        if egress.status is Egress.FIREWALL and egress.firewall and egress.firewall.key == firewall.key:
            found.routed.setdefault(vnet.key, (vnet, []))[1].append(subnet.name)
        elif egress.status is Egress.UNKNOWN and (egress.default_route is None
                                                  or egress.default_route.unread):
            # No default route was read (route table or subnet unreadable): it may point here.
            # With a route read, the next hop is a known IP that is not this firewall's.
            found.undecided.setdefault(vnet.key, (vnet, []))[1].append(egress.reason)
    return found


def _uses_firewall(vnet: VirtualNetwork, firewall: Firewall) -> bool:
    return bool(vnet.dns_servers) and all(s.strip() == firewall.private_ip for s in vnet.dns_servers)


def _describe_elsewhere(vnet: VirtualNetwork, firewall: Firewall) -> str:
    if not vnet.dns_servers:
        return (f"VNet {vnet.name} routes through {firewall.name} and uses Azure DNS (no "
                f"dhcpOptions.dnsServers) instead of {firewall.private_ip}")
    others = [s for s in vnet.dns_servers if s.strip() != firewall.private_ip]
    if len(others) < len(vnet.dns_servers):
        return (f"VNet {vnet.name} routes through {firewall.name} and lists {firewall.private_ip} "
                f"but also DNS server(s) {', '.join(others)}, which clients may use instead")
    return (f"VNet {vnet.name} routes through {firewall.name} and uses DNS server(s) "
            f"{', '.join(others)} instead of {firewall.private_ip}")


def _describe_routed(vnets: RoutedVnets, firewall: Firewall) -> str:
    if not vnets.routed:
        return f"no VNet in the snapshot routes its default route to {firewall.name}"
    names = ", ".join(sorted(v.name for v, _ in vnets.routed.values()))
    return f"every VNet routed through {firewall.name} ({names}) uses {firewall.private_ip} as DNS server"


def _fqdn_note(fqdn_rules: list[Rule], problems: tuple[str, ...]) -> str:
    if fqdn_rules:
        names = ", ".join(f"{r.label} ({', '.join(r.destination_fqdns)})" for r in fqdn_rules)
        return (f"network rules use destinationFqdns, which the firewall and its clients may "
                f"resolve to different addresses: {names}")
    note = ("no network rule uses destinationFqdns today, but any added later would not resolve "
            "reliably")
    if problems:
        note += f" (some rules could not be read, and may use FQDNs: {'; '.join(problems)})"
    return note


def _evidence(firewall: Firewall, proxy: ProxySetting, fqdn_rules: list[Rule],
              problems: tuple[str, ...], vnets: RoutedVnets) -> dict[str, Any]:
    return {
        "dns_proxy": proxy.enabled,
        "setting": proxy.source,
        "policy": proxy.policy.id if proxy.policy else None,
        "decided_by": proxy.decided_by.id if proxy.decided_by else None,
        "firewall_private_ip": firewall.private_ip or None,
        "fqdn_network_rules": [
            {**r.evidence(), "destination_fqdns": list(r.destination_fqdns)} for r in fqdn_rules
        ],
        "unreadable_rules": list(problems),
        "routed_vnets": [
            {"vnet": vnet.id, "dns_servers": list(vnet.dns_servers) or "Azure DNS",
             "subnets": subnets, "uses_firewall_dns": _uses_firewall(vnet, firewall)}
            for vnet, subnets in vnets.routed.values()
        ],
        "undecided_vnets": [
            {"vnet": vnet.id, "reasons": reasons} for vnet, reasons in vnets.undecided.values()
        ],
    }


# -- remediation ---------------------------------------------------------------------------------


def _remediation(firewall: Firewall, proxy: ProxySetting,
                 elsewhere: list[VirtualNetwork]) -> Remediation:
    fw_ip = firewall.private_ip or "<firewall-private-ip>"
    steps: list[str] = []
    az: list[str] = []
    bicep: list[str] = []
    terraform: list[str] = []
    if not proxy.enabled:
        _proxy_fix(firewall, proxy, steps, az, bicep, terraform)
    for vnet in elsewhere:
        custom = [s for s in vnet.dns_servers if s.strip() != fw_ip]
        steps.append(
            f"Set the DNS servers of VNet {vnet.name} to {fw_ip} only."
            + (f" If {', '.join(custom)} are your own DNS servers (e.g. domain controllers), make "
               f"them the custom DNS servers of {firewall.name}'s DNS settings, so the proxy "
               "forwards to them." if custom else "")
        )
        az.append(f"az network vnet update --resource-group {vnet.resource_group} --name {vnet.name} "
                  f"--dns-servers {fw_ip}")
        bicep.append(_vnet_bicep(vnet, fw_ip))
        terraform.append(_vnet_terraform(vnet, fw_ip))
    if elsewhere:
        steps.append(
            "Machines pick up new DNS servers when they renew their DHCP lease: restart the VMs, "
            "and for AKS node pools restart or reimage the nodes (e.g. a node image upgrade), "
            "then check resolution from a pod."
        )
    targets = [f"enable DNS proxy on {firewall.name}"] if not proxy.enabled else []
    if elsewhere:
        targets.append(f"point {', '.join(v.name for v in elsewhere)} at {fw_ip} for DNS")
    summary = " and ".join(targets)
    return Remediation(
        summary=summary[:1].upper() + summary[1:],
        steps=tuple(steps), az_cli=tuple(az),
        bicep="\n".join(bicep), terraform="\n".join(terraform),
        changes=_changes(firewall, proxy, elsewhere),
    )


def _changes(firewall: Firewall, proxy: ProxySetting, elsewhere: list[VirtualNetwork]) -> tuple[Change, ...]:
    """The plan: the proxy switch on the firewall's own policy (or the classic firewall), and each
    VNet's DNS server list. An inherited setting is overridden on the child, as the az command does."""
    changes: list[Change | None] = []
    if not proxy.enabled and proxy.policy is not None:
        changes.append(set_property(proxy.policy.id, proxy.policy.raw,
                                    ("properties", "dnsSettings", "enableProxy"), True))
    elif not proxy.enabled:
        changes.append(set_property(firewall.id, firewall.raw,
                                    ("properties", "additionalProperties", CLASSIC_KEY), "true"))
    if firewall.private_ip:  # without it there is no address to point the VNets at
        changes += [set_property(vnet.id, vnet.raw, ("properties", "dhcpOptions", "dnsServers"),
                                 [firewall.private_ip]) for vnet in elsewhere]
    return tuple(c for c in changes if c is not None)


def _proxy_fix(firewall: Firewall, proxy: ProxySetting, steps: list[str], az: list[str],
               bicep: list[str], terraform: list[str]) -> None:
    policy = proxy.policy
    if policy is None:  # classic rules on the firewall itself
        steps.append(f"Turn on DNS proxy on the classic firewall {firewall.name} "
                     f'(additionalProperties "{CLASSIC_KEY}": "true").')
        az.append(f"az network firewall update --resource-group {firewall.resource_group} "
                  f"--name {firewall.name} --enable-dns-proxy true")
        bicep.append(f"""// On the firewall '{firewall.name}' (Microsoft.Network/azureFirewalls@2024-05-01):
//   properties: {{
//     additionalProperties: {{
//       '{CLASSIC_KEY}': 'true'
//     }}
//   }}
""")
        terraform.append(f"""# In azurerm_firewall "{_tf(firewall.name)}" ({firewall.name}):
#   dns_proxy_enabled = true
""")
        return
    decided = proxy.decided_by
    if decided is not None and decided.key != policy.key:
        steps.append(f"{policy.name} inherits enableProxy from its base policy {decided.name}; set "
                     f"it on {policy.name} (or on {decided.name}, for every policy that inherits "
                     "from it).")
    steps.append(f"Enable DNS proxy in firewall policy {policy.name} (dnsSettings.enableProxy = "
                 f"true); {firewall.name} then answers DNS on {firewall.private_ip or 'its private IP'}"
                 " port 53.")
    az.append(f"az network firewall policy update --name {policy.name} --resource-group "
              f"{policy.resource_group} --enable-dns-proxy true")
    bicep.append(f"""resource firewallPolicy 'Microsoft.Network/firewallPolicies@2024-05-01' = {{
  name: '{policy.name}'
  location: '{policy.region}'
  properties: {{
    // keep the policy's other properties as they are
    dnsSettings: {{
      enableProxy: true
    }}
  }}
}}
""")
    terraform.append(f"""resource "azurerm_firewall_policy" "{_tf(policy.name)}" {{
  name                = "{policy.name}"
  resource_group_name = "{policy.resource_group}"
  location            = "{policy.region}"

  dns {{
    proxy_enabled = true
  }}
}}
""")


def _vnet_bicep(vnet: VirtualNetwork, fw_ip: str) -> str:
    return f"""// On the VNet '{vnet.name}' (Microsoft.Network/virtualNetworks@2024-05-01):
//   properties: {{
//     dhcpOptions: {{
//       dnsServers: [ '{fw_ip}' ]
//     }}
//   }}
"""


def _vnet_terraform(vnet: VirtualNetwork, fw_ip: str) -> str:
    return f"""# In azurerm_virtual_network "{_tf(vnet.name)}" ({vnet.name}, {vnet.resource_group}):
#   dns_servers = ["{fw_ip}"]
"""


def _tf(name: str) -> str:
    return "".join(c if c.isalnum() else "_" for c in name).lower()


CHECK = Check(
    id="dns-proxy",
    title="Firewall DNS proxy is on and every VNet routed through it uses it as DNS server",
    subjects=(Subject.FIREWALL,),
    severity=Severity.MEDIUM,
    passes_when=(
        "DNS proxy is enabled (policy dnsSettings.enableProxy true, possibly inherited from a base "
        "policy, or classic additionalProperties Network.DNS.EnableProxy \"true\"), and every VNet "
        "with a subnet whose default route points at the firewall has the firewall's private IP "
        "as its only DNS server."
    ),
    rationale=(
        "A network rule naming an FQDN is enforced on the addresses the firewall resolves. If the "
        "firewall is not the resolver its clients use, the two can get different answers from "
        "load-balanced or geo-routed names, and traffic the rule is meant to allow is dropped (or "
        "the opposite). With DNS proxy on and VNets pointed at the firewall, both see one answer "
        "and DNS queries are logged too."
    ),
    references=(
        "https://learn.microsoft.com/azure/firewall/dns-settings",
        "https://learn.microsoft.com/azure/firewall/fqdn-filtering-network-rules",
        "https://learn.microsoft.com/azure/aks/limit-egress-traffic",
    ),
    evaluate=evaluate,
)
