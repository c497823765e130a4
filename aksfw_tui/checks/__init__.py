"""The check catalogue: every check, declared once in its own module, listed here in report order."""

from __future__ import annotations

from aksfw_tui.checks import (
    api_server_access,
    asymmetric_routing,
    dns_proxy,
    firewall_diagnostics,
    firewall_sku,
    fqdn_tag_rule,
    network_policy,
    network_rule_bypass,
    outbound_type,
    required_egress,
    snat_utilisation,
    threat_intel,
    tunnel_ports,
    waf_in_front,
    zone_spread,
)
from aksfw_tui.checks.base import Check

CATALOGUE: tuple[Check, ...] = (
    # The seven checks Microsoft's AKS + Azure Firewall guidance names first.
    outbound_type.CHECK,
    fqdn_tag_rule.CHECK,
    tunnel_ports.CHECK,
    dns_proxy.CHECK,
    zone_spread.CHECK,
    waf_in_front.CHECK,
    snat_utilisation.CHECK,
    # What the same guidance asks for beyond them.
    network_rule_bypass.CHECK,
    required_egress.CHECK,
    asymmetric_routing.CHECK,
    api_server_access.CHECK,
    network_policy.CHECK,
    threat_intel.CHECK,
    firewall_sku.CHECK,
    firewall_diagnostics.CHECK,
)


def _validate(catalogue: tuple[Check, ...]) -> None:
    seen: set[str] = set()
    for check in catalogue:
        if check.id in seen:
            raise ValueError(f"duplicate check id {check.id!r}")
        seen.add(check.id)


_validate(CATALOGUE)


def by_id(check_id: str) -> Check:
    for check in CATALOGUE:
        if check.id == check_id:
            return check
    raise KeyError(check_id)
