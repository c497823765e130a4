"""Reading evidence (DESIGN §6): every value a check relies on is present, absent-meaning-none, or
missing.

ARM omits a few properties to mean "none" or a documented default; `ABSENT_MEANS_NONE` lists them,
each with what its absence means. Everything else a check needs that is absent, null or of the wrong
type is *missing*: the views record it (`Reading`), and the findings that need it say `unknown`,
naming the resource and the property. An empty list is evidence; an absent or null one is not.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Omission:
    """A property ARM leaves out to mean something: its path inside the resource (`*` for any list
    element), the lower-case resource types it applies to, and what its absence means."""

    types: tuple[str, ...]
    path: str
    means: str


VNET = "microsoft.network/virtualnetworks"
SUBNET = "microsoft.network/virtualnetworks/subnets"
CLUSTER = "microsoft.containerservice/managedclusters"
AGENT_POOL = "microsoft.containerservice/managedclusters/agentpools"
FIREWALL = "microsoft.network/azurefirewalls"
POLICY = "microsoft.network/firewallpolicies"
LOAD_BALANCER = "microsoft.network/loadbalancers"
PUBLIC_IP = "microsoft.network/publicipaddresses"
APP_GATEWAY = "microsoft.network/applicationgateways"
METRICS = "microsoft.insights/metrics"

ABSENT_MEANS_NONE: tuple[Omission, ...] = (
    Omission((VNET,), "properties.subnets.*.properties.routeTable",
             "the subnet has no route table: Azure's system routes send internet traffic out"),
    Omission((SUBNET,), "properties.routeTable", "the subnet has no route table"),
    Omission((CLUSTER,), "properties.agentPoolProfiles.*.vnetSubnetID",
             "the node pool runs in the AKS-managed VNet"),
    Omission((AGENT_POOL,), "properties.vnetSubnetID", "the node pool runs in the AKS-managed VNet"),
    Omission((CLUSTER,), "properties.apiServerAccessProfile",
             "a public API server without VNet integration or authorized IP ranges"),
    Omission((CLUSTER,), "properties.apiServerAccessProfile.enablePrivateCluster",
             "a public API server"),
    Omission((CLUSTER,), "properties.apiServerAccessProfile.enableVnetIntegration",
             "no API Server VNet Integration"),
    Omission((CLUSTER,), "properties.apiServerAccessProfile.authorizedIPRanges",
             "no authorized IP ranges: the API server is open to the internet"),
    Omission((FIREWALL,), "properties.firewallPolicy",
             "the firewall uses classic rules on the firewall resource"),
    Omission((POLICY,), "properties.basePolicy", "the policy inherits from no base policy"),
    Omission((LOAD_BALANCER,), "properties.frontendIPConfigurations.*.properties.publicIPAddress",
             "an internal frontend"),
    Omission((METRICS,), "timeseries.*.data.*.maximum", "no data in that grain"),
    Omission((METRICS,), "timeseries.*.data.*.average", "no data in that grain"),
    Omission((FIREWALL, PUBLIC_IP, APP_GATEWAY), "zones", "not zonal"),
    Omission((CLUSTER,), "properties.agentPoolProfiles.*.availabilityZones", "not zonal"),
    Omission((AGENT_POOL,), "properties.availabilityZones", "not zonal"),
    Omission((VNET,), "properties.dhcpOptions", "the VNet uses Azure DNS"),
    Omission((VNET,), "properties.dhcpOptions.dnsServers", "the VNet uses Azure DNS"),
    Omission((POLICY,), "properties.dnsSettings", "DNS proxy off"),
    Omission((POLICY,), "properties.dnsSettings.enableProxy", "DNS proxy off"),
    Omission((POLICY, FIREWALL), "properties.threatIntelMode", "threat intelligence mode Alert"),
    Omission((POLICY,), "properties.intrusionDetection", "IDPS off"),
    # Classic rules on the firewall resource written without the fields added in later API
    # versions (as templates and our own classic fixes do): no IP groups, no FQDNs.
    *(Omission((FIREWALL,), f"properties.{collections}.*.properties.rules.*.{key}",
               "classic rule without IP groups or FQDNs: none")
      for collections in ("networkRuleCollections", "natRuleCollections",
                          "applicationRuleCollections")
      for key in ("sourceIpGroups", "destinationIpGroups", "destinationFqdns")),
)


def _normal(path: Sequence[str | int]) -> str:
    return ".".join("*" if isinstance(step, int) else step for step in path)


def absent_means_none(type_name: str, path: Sequence[str | int]) -> Omission | None:
    """The documented omission a deleted (or null) property at `path` falls under, if any."""
    wanted, type_key = _normal(path), type_name.lower()
    for omission in ABSENT_MEANS_NONE:
        if type_key in omission.types and omission.path == wanted:
            return omission
    return None


@dataclass
class Reading:
    """What one view found missing while it read a resource: property path → reason.

    The typed views read with these helpers; a value that is absent, null or of the wrong type is
    recorded (and read as an empty value so nothing crashes), so that a check can tell "none" from
    "not seen" by asking `missing`."""

    what: str  # e.g. "route table rt-spoke"
    problems: dict[str, str] = field(default_factory=dict)

    def note(self, prop: str, value: Any) -> None:
        state = "absent or null" if value is None else f"not readable ({type(value).__name__})"
        self.problems.setdefault(prop, f"{self.what}: {prop} is {state}")

    def text(self, value: Any, prop: str) -> str:
        """A required string."""
        if isinstance(value, str) and value.strip():
            return value
        self.note(prop, value)
        return ""

    def list(self, value: Any, prop: str) -> list[Any]:
        """A required list (an empty list is evidence; absent or null is not)."""
        if isinstance(value, list):
            return value
        self.note(prop, value)
        return []

    def ref(self, value: Any, prop: str) -> str:
        """An optional reference `{"id": ...}`: absent or null is none; present without an id is
        missing."""
        if value is None:
            return ""
        if isinstance(value, Mapping) and isinstance(value.get("id"), str) and value["id"].strip():
            return str(value["id"])
        self.note(prop, value)
        return ""

    def missing(self, *props: str) -> str:
        """The reasons for these properties (prefixes match: `routes` covers `routes[0].x`)."""
        found = [reason for prop, reason in self.problems.items()
                 if any(prop == p or prop.startswith(p + ".") or prop.startswith(p + "[")
                        for p in props)]
        return "; ".join(found)

    def frozen(self) -> Mapping[str, str]:
        return dict(self.problems)
