"""snat-utilisation: the firewall's peak SNAT port utilisation stays below the threshold.

The peak is the largest `maximum` of the `SNATPortUtilization` series over the window (the live
source asks Azure Monitor for aggregation Maximum). An export with only `average` values is judged
on the largest average, and says so: averages smooth bursts, so that peak is a lower bound.

Threshold: Settings.snat_threshold (--snat-threshold, default 80 %, the level Azure Monitor
Baseline Alerts use). Severity: every fail is `high`. Once ports run out, new outbound connections
from every cluster behind the firewall (image pulls, API calls) fail intermittently and
without a clear error, and a 1-minute maximum at the threshold means bursts within the minute
already came closer; no finer grading is made.

Evidence also shows the public IP count (the AKS firewall guide suggests at least 20 frontend
IPs for production) and whether a NAT gateway is attached to AzureFirewallSubnet, since those are
the two ways to add SNAT ports.
"""

from __future__ import annotations

import math
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
from aksfw_tui.model import ids
from aksfw_tui.model.resources import Firewall, NatGateway
from aksfw_tui.model.topology import Topology
from aksfw_tui.remediation.patch import append_items, set_property

METRIC = "SNATPortUtilization"
GUIDANCE_PIPS = 20
TARGET_PERCENT = 50  # what the suggested number of public IPs aims the peak at


@dataclass(frozen=True)
class Peak:
    value: float
    timestamp: str
    aggregation: str  # "maximum" or "average"
    points: int
    first: str
    last: str


@dataclass(frozen=True)
class NatState:
    """The NAT gateway on AzureFirewallSubnet: found, none, or why it cannot be told."""

    gateway: NatGateway | None
    gateway_id: str
    note: str


def evaluate(topology: Topology, firewall: Firewall) -> Result:
    threshold = topology.settings.snat_threshold
    nat = _nat_state(topology, firewall)
    impossible = _impossible_point(topology, firewall)
    if impossible is not None:  # not a percentage: no peak can be judged (nor IPs sized) from it
        aggregation, value, stamp = impossible
        return unknown(f"{METRIC} of {firewall.name} has a data point that is not a percentage: "
                       f"{aggregation} {value:g} at {stamp or 'an unstamped point'}",
                       **_evidence(firewall, None, nat, threshold),
                       impossible_point={"aggregation": aggregation, "value": f"{value:g}",
                                         "timestamp": stamp})
    peak = _peak(topology, firewall)
    evidence = _evidence(firewall, peak, nat, threshold)
    if peak is None:
        scope = topology.unreadable_scope_of(f"{firewall.id}/providers/Microsoft.Insights/metrics")
        why = f" (metrics unreadable: {scope.reason})" if scope else ""
        return unknown(f"no metrics: no {METRIC} data points for {firewall.name} in the "
                       f"snapshot{why}", **evidence)
    context = f"{_pip_text(firewall)}; {nat.note}"
    if peak.value >= threshold:
        return failed(
            f"peak {METRIC} {_pct(peak.value)} % ({_peak_text(peak)}) reached the {_pct(threshold)} % "
            f"threshold: new outbound connections fail once ports run out; {context}",
            _remediation(topology, firewall, peak, nat),
            Severity.HIGH,
            **evidence,
        )
    return passed(f"peak {METRIC} {_pct(peak.value)} % ({_peak_text(peak)}) is below the "
                  f"{_pct(threshold)} % threshold; {context}", **evidence)


# -- reading the evidence ------------------------------------------------------------------------


def _peak(topology: Topology, firewall: Firewall) -> Peak | None:
    points = [p for s in topology.metric_series(firewall.id, METRIC) for p in s.points]
    stamps = sorted(p.timestamp for p in points if p.timestamp)
    first, last = (stamps[0], stamps[-1]) if stamps else ("", "")
    for aggregation in ("maximum", "average"):
        values = [(v, p.timestamp) for p in points if (v := getattr(p, aggregation)) is not None]
        if values:
            value, stamp = max(values, key=lambda pair: pair[0])
            return Peak(value, stamp, aggregation, len(values), first, last)
    return None


def _impossible_point(topology: Topology, firewall: Firewall) -> tuple[str, float, str] | None:
    """The first data point outside 0–100 (1e308, inf, NaN, negative), as (aggregation, value, time)."""
    for series in topology.metric_series(firewall.id, METRIC):
        for point in series.points:
            for aggregation in ("maximum", "average"):
                value = getattr(point, aggregation)
                if value is not None and not (math.isfinite(value) and 0 <= value <= 100):
                    return aggregation, value, point.timestamp
    return None


def _nat_state(topology: Topology, firewall: Firewall) -> NatState:
    if firewall.virtual_hub_id:
        return NatState(None, "", "a secured-hub firewall has no AzureFirewallSubnet of yours for a "
                                  "NAT gateway")
    subnet_id = next((c.subnet_id for c in firewall.ip_configurations if c.subnet_id), "")
    if not subnet_id:
        return NatState(None, "", "whether a NAT gateway is attached cannot be told (the firewall's "
                                  "subnet is not in the export)")
    subnet = topology.subnet(subnet_id)
    gateway_id = subnet.nat_gateway_id if subnet else ""
    if not gateway_id:  # the gateway's side of the association, for exports that lack the subnet
        gateway_id = next((g.id for g in topology.nat_gateways
                           if ids.key(subnet_id) in {ids.key(s) for s in g.subnet_ids}), "")
    if gateway_id:
        gateway = topology.find("microsoft.network/natgateways", gateway_id)
        ips = f" with {len(gateway.public_ip_ids)} public IP(s)" if gateway else ""
        return NatState(gateway, gateway_id,
                        f"NAT gateway {ids.name_of(gateway_id)}{ips} is attached to "
                        f"{ids.name_of(subnet_id)}")
    if subnet is None or not subnet.has_properties:
        return NatState(None, "", f"whether a NAT gateway is attached to {ids.name_of(subnet_id)} "
                                  "cannot be told (the subnet is not in the snapshot)")
    return NatState(None, "", f"no NAT gateway is attached to {subnet.name}")


def _public_ip_count(firewall: Firewall) -> int:
    return firewall.hub_public_ip_count if firewall.virtual_hub_id else len(firewall.public_ip_ids)


def _pip_text(firewall: Firewall) -> str:
    count = _public_ip_count(firewall)
    advice = ("" if count >= GUIDANCE_PIPS
              else f" (the AKS firewall guide suggests at least {GUIDANCE_PIPS} for production)")
    return f"{count} public IP{'s' if count != 1 else ''} on {firewall.name}{advice}"


def _peak_text(peak: Peak) -> str:
    text = f"{peak.aggregation} at {peak.timestamp or 'an unstamped point'}"
    if peak.aggregation == "average":
        text += "; only averages were exported, so the real peak may be higher"
    return text


def _pct(value: float) -> str:
    return f"{value:g}"


def _evidence(firewall: Firewall, peak: Peak | None, nat: NatState, threshold: float) -> dict[str, Any]:
    return {
        "metric": METRIC,
        "threshold_percent": threshold,
        "peak_percent": peak.value if peak else None,
        "aggregation": peak.aggregation if peak else None,
        "peak_at": peak.timestamp if peak else None,
        "window": {"from": peak.first, "to": peak.last, "points": peak.points} if peak else None,
        "public_ip_count": _public_ip_count(firewall),
        "public_ip_guidance": f"at least {GUIDANCE_PIPS} for production (AKS Azure Firewall guide)",
        "nat_gateway": nat.gateway_id or None,
        "nat_gateway_note": nat.note,
    }


# -- remediation ---------------------------------------------------------------------------------


def _suggested_new_ips(count: int, peak: float) -> int:
    """Ports scale with public IPs: enough IPs to bring the same load to about TARGET_PERCENT."""
    if count <= 0:
        return 1
    return max(1, math.ceil(count * peak / TARGET_PERCENT) - count)


def _remediation(topology: Topology, firewall: Firewall, peak: Peak, nat: NatState) -> Remediation:
    if nat.gateway_id:
        return _nat_gateway_ips(firewall, peak, nat)
    rg, name, region = firewall.resource_group, firewall.name, firewall.region
    count = _public_ip_count(firewall)
    add = _suggested_new_ips(count, peak.value)
    zones = f" --zone {' '.join(firewall.zones)}" if firewall.zones else ""
    existing = {p.name.lower() for p in topology.public_ips}
    new_pips = _fresh_names(f"pip-{name}", count, add, existing)
    az: list[str] = []
    if firewall.virtual_hub_id:
        az.append(f"az network firewall update --resource-group {rg} --name {name} "
                  f"--public-ip-count {count + add}")
    else:
        for index, pip in enumerate(new_pips):
            az.append(f"az network public-ip create --resource-group {rg} --name {pip} --location {region} "
                      f"--sku Standard --allocation-method Static{zones}")
            az.append(f"az network firewall ip-config create --resource-group {rg} --firewall-name {name} "
                      f"--name ipconfig-{count + index + 1:02d} --public-ip-address {pip}")
    subnet_id = next((c.subnet_id for c in firewall.ip_configurations if c.subnet_id), "")
    vnet_name = ids.name_of(ids.parent_of(subnet_id)) if subnet_id else "<hub-vnet>"
    gateway, gateway_pip = f"natgw-{name}", f"pip-natgw-{name}"
    nat_commands = (
        f"az network public-ip create --resource-group {rg} --name {gateway_pip} --location {region} "
        "--sku Standard --allocation-method Static",
        f"az network nat gateway create --resource-group {rg} --name {gateway} --location {region} "
        f"--public-ip-addresses {gateway_pip} --idle-timeout 4",
        f"az network vnet subnet update --resource-group {ids.resource_group_of(subnet_id) or rg} "
        f"--vnet-name {vnet_name} --name AzureFirewallSubnet --nat-gateway {gateway}",
    )
    nat_option = ("" if firewall.virtual_hub_id
                  else " The NAT gateway path: " + "; ".join(nat_commands) + ".")
    steps = (
        f"Each public IP gives 2,496 SNAT ports per firewall instance. At a peak of "
        f"{_pct(peak.value)} % with {count} public IP(s), about {count + add} would bring the same "
        f"load near {TARGET_PERCENT} %; the AKS firewall guide suggests at least {GUIDANCE_PIPS} "
        "for production.",
        f"Either add {add} Standard public IP(s) to {name} as IP configurations"
        + (" (secured hub: raise its public IP count)" if firewall.virtual_hub_id else "")
        + ", or attach a NAT gateway to AzureFirewallSubnet (the preferred fix for high "
        "concurrency: 64,512 ports per NAT gateway public IP, up to 16 IPs)." + nat_option,
        "Before the change, add the new egress addresses wherever the old ones are allow-listed "
        "(API server authorized IP ranges, partners' firewalls): with a NAT gateway, outbound "
        "traffic leaves from the NAT gateway's IPs, and the firewall's own IPs only serve DNAT.",
        f"Afterwards watch {METRIC} (Maximum) for a day of normal load.",
        "The plan is the public IP path"
        + (": the secured hub's public IP count." if firewall.virtual_hub_id else
           ": its new IP configurations refer to the new public IPs by id, so create those first "
           "(the public-ip create commands), or applying it fails. The NAT gateway path creates "
           "resources and changes the subnet instead; it is in the commands, not in the plan."),
    )
    return Remediation(
        summary=f"Add SNAT capacity to {name}: {add} more public IP(s) or a NAT gateway on "
                "AzureFirewallSubnet",
        steps=steps, az_cli=tuple(az),
        bicep=_bicep(firewall, new_pips, gateway, gateway_pip, subnet_id),
        terraform=_terraform(firewall, new_pips, gateway, gateway_pip, subnet_id),
        changes=_pip_changes(firewall, count, new_pips),
    )


def _pip_changes(firewall: Firewall, count: int, new_pips: list[str]) -> tuple[Change, ...]:
    """What the az commands change on the firewall: the hub's public IP count, or one IP
    configuration per new public IP, which the commands create first in the firewall's group."""
    if firewall.virtual_hub_id:
        change = set_property(firewall.id, firewall.raw,
                              ("properties", "hubIPAddresses", "publicIPs", "count"), count + len(new_pips))
        return (change,) if change else ()
    prefix = (f"/subscriptions/{firewall.subscription}/resourceGroups/{firewall.resource_group}"
              "/providers/Microsoft.Network/publicIPAddresses/")
    return append_items(firewall.id, firewall.raw, ("properties", "ipConfigurations"), [
        {"name": f"ipconfig-{count + index + 1:02d}", "properties": {"publicIPAddress": {"id": prefix + pip}}}
        for index, pip in enumerate(new_pips)
    ])


def _fresh_names(prefix: str, count: int, add: int, existing: set[str]) -> list[str]:
    names: list[str] = []
    index = count + 1
    while len(names) < add:
        name = f"{prefix}-{index:02d}"
        if name.lower() not in existing:
            names.append(name)
        index += 1
    return names


def _nat_gateway_ips(firewall: Firewall, peak: Peak, nat: NatState) -> Remediation:
    gateway = nat.gateway
    name = ids.name_of(nat.gateway_id)
    rg = ids.resource_group_of(nat.gateway_id) or firewall.resource_group
    current = list(gateway.public_ip_ids) if gateway else []
    new_pip = f"pip-{name}-{len(current) + 1:02d}"
    # `--public-ip-addresses` replaces the whole list: name every current IP (by id when it lives
    # in another group), and never drop IPs we could not see.
    kept = [ids.name_of(i) if (ids.resource_group_of(i) or "").lower() == rg.lower() else i for i in current]
    all_ips = " ".join([*kept, new_pip] if gateway else ["<its-current-public-ips>", new_pip])
    return Remediation(
        summary=f"Add public IPs to NAT gateway {name}, which provides {firewall.name}'s SNAT ports",
        steps=(
            f"SNAT for {firewall.name} comes from NAT gateway {name}: each of its public IPs adds "
            "64,512 ports (up to 16 IPs).",
            "Allow-list the new address wherever the current egress IPs are (API server "
            "authorized IP ranges, partners' firewalls) before adding it.",
            f"Create {new_pip} first (the first command): the plan adds it to {name} by id, and "
            "applying it before the public IP exists fails."
            if gateway is not None else
            f"NAT gateway {name} is not in the snapshot, so the plan cannot show its public IP list: "
            f"put its current public IPs (az network nat gateway show --resource-group {rg} --name "
            f"{name} --query publicIpAddresses) before {new_pip} in the update command, which "
            "replaces the list.",
            f"Afterwards watch {METRIC} (Maximum) for a day of normal load.",
        ),
        az_cli=(
            f"az network public-ip create --resource-group {rg} --name {new_pip} --location "
            f"{firewall.region} --sku Standard --allocation-method Static",
            f"az network nat gateway update --resource-group {rg} --name {name} "
            f"--public-ip-addresses {all_ips}",
        ),
        bicep=f"""resource {_tf(new_pip)} 'Microsoft.Network/publicIPAddresses@2024-05-01' = {{
  name: '{new_pip}'
  location: '{firewall.region}'
  sku: {{ name: 'Standard' }}
  properties: {{ publicIPAllocationMethod: 'Static' }}
}}
// then add {{ id: {_tf(new_pip)}.id }} to publicIpAddresses of the NAT gateway '{name}'
""",
        terraform=f"""resource "azurerm_public_ip" "{_tf(new_pip)}" {{
  name                = "{new_pip}"
  location            = "{firewall.region}"
  resource_group_name = "{rg}"
  sku                 = "Standard"
  allocation_method   = "Static"
}}

resource "azurerm_nat_gateway_public_ip_association" "{_tf(new_pip)}" {{
  nat_gateway_id       = "{nat.gateway_id}"
  public_ip_address_id = azurerm_public_ip.{_tf(new_pip)}.id
}}
""",
        # Seen: append to its list. Not seen: no `before` to show, so no plan (never invented).
        changes=append_items(gateway.id, gateway.raw, ("properties", "publicIpAddresses"), [{
            "id": f"/subscriptions/{ids.subscription_of(nat.gateway_id) or firewall.subscription}"
                  f"/resourceGroups/{rg}/providers/Microsoft.Network/publicIPAddresses/{new_pip}"}])
        if gateway is not None else (),
    )


def _bicep(firewall: Firewall, new_pips: list[str], gateway: str, gateway_pip: str,
           subnet_id: str) -> str:
    if firewall.virtual_hub_id:
        total = _public_ip_count(firewall) + len(new_pips)
        return f"""// On the secured-hub firewall '{firewall.name}':
//   properties: {{ hubIPAddresses: {{ publicIPs: {{ count: {total} }} }} }}
"""
    zones = (f"  zones: [ {', '.join(repr(z) for z in firewall.zones)} ]\n" if firewall.zones else "")
    out = ""
    for pip in new_pips:
        out += f"""resource {_tf(pip)} 'Microsoft.Network/publicIPAddresses@2024-05-01' = {{
  name: '{pip}'
  location: '{firewall.region}'
  sku: {{ name: 'Standard' }}
{zones}  properties: {{ publicIPAllocationMethod: 'Static' }}
}}

"""
    configs = ", ".join(f"{{ name: 'ipconfig-{len(firewall.public_ip_ids) + i + 1:02d}', properties: "
                        f"{{ publicIPAddress: {{ id: {_tf(p)}.id }} }} }}" for i, p in enumerate(new_pips))
    return out + f"""// then append to ipConfigurations of the firewall '{firewall.name}':
//   {configs}

// Or, instead: a NAT gateway on AzureFirewallSubnet
resource {_tf(gateway_pip)} 'Microsoft.Network/publicIPAddresses@2024-05-01' = {{
  name: '{gateway_pip}'
  location: '{firewall.region}'
  sku: {{ name: 'Standard' }}
  properties: {{ publicIPAllocationMethod: 'Static' }}
}}

resource {_tf(gateway)} 'Microsoft.Network/natGateways@2024-05-01' = {{
  name: '{gateway}'
  location: '{firewall.region}'
  sku: {{ name: 'Standard' }}
  properties: {{
    idleTimeoutInMinutes: 4
    publicIpAddresses: [ {{ id: {_tf(gateway_pip)}.id }} ]
  }}
}}
// and on the subnet '{subnet_id or "AzureFirewallSubnet"}':
//   properties: {{ natGateway: {{ id: {_tf(gateway)}.id }} }}
"""


def _terraform(firewall: Firewall, new_pips: list[str], gateway: str, gateway_pip: str,
               subnet_id: str) -> str:
    rg, region = firewall.resource_group, firewall.region
    if firewall.virtual_hub_id:
        return f"""# In azurerm_firewall "{_tf(firewall.name)}":
#   virtual_hub {{
#     public_ip_count = {_public_ip_count(firewall) + len(new_pips)}
#   }}
"""
    quoted = ", ".join(f'"{z}"' for z in firewall.zones)
    zones = f"  zones               = [{quoted}]\n" if firewall.zones else ""
    out = ""
    for i, pip in enumerate(new_pips):
        out += f"""resource "azurerm_public_ip" "{_tf(pip)}" {{
  name                = "{pip}"
  location            = "{region}"
  resource_group_name = "{rg}"
  sku                 = "Standard"
  allocation_method   = "Static"
{zones}}}
# and in azurerm_firewall "{_tf(firewall.name)}":
#   ip_configuration {{
#     name                 = "ipconfig-{len(firewall.public_ip_ids) + i + 1:02d}"
#     public_ip_address_id = azurerm_public_ip.{_tf(pip)}.id
#   }}

"""
    return out + f"""# Or, instead: a NAT gateway on AzureFirewallSubnet
resource "azurerm_public_ip" "{_tf(gateway_pip)}" {{
  name                = "{gateway_pip}"
  location            = "{region}"
  resource_group_name = "{rg}"
  sku                 = "Standard"
  allocation_method   = "Static"
}}

resource "azurerm_nat_gateway" "{_tf(gateway)}" {{
  name                    = "{gateway}"
  location                = "{region}"
  resource_group_name     = "{rg}"
  sku_name                = "Standard"
  idle_timeout_in_minutes = 4
}}

resource "azurerm_nat_gateway_public_ip_association" "{_tf(gateway)}" {{
  nat_gateway_id       = azurerm_nat_gateway.{_tf(gateway)}.id
  public_ip_address_id = azurerm_public_ip.{_tf(gateway_pip)}.id
}}

resource "azurerm_subnet_nat_gateway_association" "{_tf(gateway)}" {{
  subnet_id      = "{subnet_id or '<AzureFirewallSubnet id>'}"
  nat_gateway_id = azurerm_nat_gateway.{_tf(gateway)}.id
}}
"""


def _tf(name: str) -> str:
    return "".join(c if c.isalnum() else "_" for c in name).lower()


CHECK = Check(
    id="snat-utilisation",
    title="Peak SNAT port utilisation of the firewall stays below the threshold (default 80 %)",
    subjects=(Subject.FIREWALL,),
    severity=Severity.HIGH,
    passes_when=(
        "The peak SNATPortUtilization (Maximum; Average if only that was exported) over the "
        "metrics window is below the threshold (--snat-threshold, default 80 %)."
    ),
    rationale=(
        "All egress of the clusters behind the firewall shares its SNAT ports: 2,496 per public "
        "IP per instance. When they run out, new connections fail intermittently (image pulls, "
        "calls to the API server or to partners) with no clear error on the client side. Adding "
        "public IPs or a NAT gateway before the peak reaches the ceiling avoids the outage."
    ),
    references=(
        "https://learn.microsoft.com/azure/aks/limit-egress-traffic",
        "https://learn.microsoft.com/azure/firewall/firewall-performance",
        "https://learn.microsoft.com/azure/firewall/integrate-with-nat-gateway",
        "https://learn.microsoft.com/azure/firewall/monitor-firewall-reference",
    ),
    evaluate=evaluate,
)
