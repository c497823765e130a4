"""api-server-access: the API server is private, VNet-integrated, or limited to authorized IP
ranges that include the egress IPs of the firewall the nodes go out through.

With outboundType userDefinedRouting, nodes reach a public API server from the firewall's public
IPs (SNAT). AKS adds a load balancer's outbound IPs to the authorized ranges itself, but not a
firewall's: ranges that omit them cut the nodes off from their own control plane (`high`). A
public API server with no ranges at all is reachable from the whole internet (`medium`).
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
from aksfw_tui.model import ids
from aksfw_tui.model.resources import Cluster, Firewall, address, items, network, obj, props, text
from aksfw_tui.model.topology import Egress, Topology


def evaluate(topology: Topology, cluster: Cluster) -> Result:
    if not cluster.has_properties:
        return unknown(f"cluster {cluster.name} was exported without its properties")
    if cluster.api_unread:  # private, VNet-integrated or public decides what is needed
        return unknown(f"{cluster.api_unread}, so how the API server is reached cannot be told")
    ranges = cluster.authorized_ranges
    evidence: dict[str, Any] = {"private_cluster": cluster.private,
                                "vnet_integration": cluster.vnet_integration,
                                "authorized_ip_ranges": list(ranges)}
    if cluster.private:
        return passed(f"{cluster.name} is a private cluster: the API server has no public "
                      "endpoint", **evidence)
    if cluster.vnet_integration:
        return passed(f"{cluster.name} uses API Server VNet Integration: nodes reach the API "
                      "server inside the VNet, not through the firewall", **evidence)
    if not ranges or any(_is_everything(r) for r in ranges):
        what = "no authorized IP ranges" if not ranges else "an authorized range of 0.0.0.0/0"
        return failed(f"the API server of {cluster.name} is public with {what}: anyone on the "
                      "internet can reach it (and try credentials)",
                      _remediation(topology, cluster, []), Severity.MEDIUM, **evidence)
    egress = topology.cluster_egress(cluster)
    # Every node subnet routed through a firewall leaves from its IPs, even when other subnets
    # of the cluster are not routed there (outbound-type fails those).
    undecided = egress.reason if egress.status is Egress.UNKNOWN and not egress.subnets else "; ".join(
        s.reason for s in egress.subnets if s.status is Egress.UNKNOWN)
    if not egress.firewalls and undecided:
        return unknown(f"cannot tell which firewall the nodes egress through: {undecided}",
                       **evidence)
    if not egress.firewalls:
        return passed(f"the API server of {cluster.name} is limited to {len(ranges)} authorized "
                      "range(s); the cluster does not egress through a firewall (see "
                      "outbound-type), so no firewall IP needs to be in them", **evidence)
    egress_ips, missing_reason = _egress_ips(topology, egress.firewalls)
    evidence["firewall_egress_ips"] = egress_ips
    omitted = [ip for ip in egress_ips if not _covered(ip, ranges)]
    evidence["omitted_egress_ips"] = omitted
    names = ", ".join(f.name for f in egress.firewalls)
    if omitted:
        return failed(f"the authorized IP ranges of {cluster.name} omit {', '.join(omitted)}, "
                      f"egress IP(s) of {names} from which the nodes' traffic leaves: the API "
                      "server will refuse the nodes", _remediation(topology, cluster, omitted), **evidence)
    if missing_reason or undecided:
        return unknown(missing_reason or f"cannot tell which firewall every node subnet egresses "
                       f"through: {undecided}", **evidence)
    return passed(f"the API server of {cluster.name} is limited to authorized ranges that include "
                  f"every egress IP of {names} ({', '.join(egress_ips)})", **evidence)


def _is_everything(cidr: str) -> bool:
    parsed = network(cidr)
    return parsed is not None and parsed.prefixlen == 0


def _covered(ip: str, ranges: tuple[str, ...]) -> bool:
    parsed = address(ip)
    return parsed is not None and any(
        (n := network(r)) is not None and parsed.version == n.version and parsed in n for r in ranges
    )


def _egress_ips(topology: Topology, firewalls: tuple[Firewall, ...]) -> tuple[list[str], str]:
    """The addresses the firewalls' traffic leaves from: a NAT gateway's public IPs when one is on
    AzureFirewallSubnet (it then takes over all outbound SNAT), else the firewalls' own public IPs
    (VNet firewalls via their public IP resources, secured-hub firewalls from hubIPAddresses);
    or why they cannot be known."""
    ips: list[str] = []
    for firewall in firewalls:
        nat_ips, nat_problem, has_nat = _nat_gateway_ips(topology, firewall)
        if nat_problem:
            return ips, nat_problem
        if has_nat:
            ips += nat_ips
            continue
        hub = [text(a.get("address")) for a in items(obj(obj(props(firewall.raw).get(
            "hubIPAddresses")).get("publicIPs")).get("addresses"))]
        ips += [ip for ip in hub if ip]
        unread = firewall.public_ips_unread or topology.parts_unread(firewall.id)
        if unread:
            return ips, f"{unread}, so the egress IPs of {firewall.name} cannot all be known"
        if not firewall.public_ip_ids and not hub:
            return ips, f"firewall {firewall.name} shows no public IP in the export"
        for pip_id in firewall.public_ip_ids:
            pip = topology.public_ip(pip_id)
            if pip is None:
                return ips, topology.missing(f"public IP of firewall {firewall.name}", pip_id)
            if not pip.ip:
                return ips, f"public IP {pip.name} of firewall {firewall.name} has no address"
            ips.append(pip.ip)
    return list(dict.fromkeys(ips)), ""


def _nat_gateway_ips(topology: Topology, firewall: Firewall) -> tuple[list[str], str, bool]:
    """(NAT gateway public IPs, why unknown, whether a NAT gateway is on the firewall subnet)."""
    subnet_id = next((c.subnet_id for c in firewall.ip_configurations if c.subnet_id), "")
    subnet = topology.subnet(subnet_id) if subnet_id else None
    if subnet is None or not subnet.nat_gateway_id:
        return [], "", False
    nat = next((n for n in topology.nat_gateways if n.key == ids.key(subnet.nat_gateway_id)), None)
    if nat is None:
        return [], topology.missing(f"NAT gateway of {firewall.name}'s subnet",
                                    subnet.nat_gateway_id), True
    if items(props(nat.raw).get("publicIpPrefixes")):
        return [], (f"NAT gateway {nat.name} of {firewall.name} uses public IP prefixes, whose "
                    "addresses the check does not resolve"), True
    ips = []
    for pip_id in nat.public_ip_ids:
        pip = topology.public_ip(pip_id)
        if pip is None or not pip.ip:
            return [], topology.missing(f"public IP of NAT gateway {nat.name}", pip_id), True
        ips.append(pip.ip)
    return ips, "", True


def _remediation(topology: Topology, cluster: Cluster, omitted: list[str]) -> Remediation:
    rg, name = cluster.resource_group, cluster.name
    egress = topology.cluster_egress(cluster)
    firewall_ips = omitted or (_egress_ips(topology, egress.firewalls)[0]
                               if egress.status is Egress.FIREWALL else [])
    # A 0.0.0.0/0 range is the problem itself: the fix drops it instead of keeping it.
    kept = [r for r in cluster.authorized_ranges if not _is_everything(r)]
    add = [f"{ip}/32" for ip in firewall_ips if not _covered(ip, tuple(kept))]
    wanted = [*kept, *add]
    if not wanted and egress.status is not Egress.NOT_FIREWALL:
        wanted.append("<firewall-public-ip>/32")
    if not kept:
        wanted.append("<admin-or-ci-cidr>")
    dropped = [r for r in cluster.authorized_ranges if _is_everything(r)]
    steps = [
        f"Limit the API server of {name} to the CIDRs that must reach it: the firewall's public "
        f"IPs ({', '.join(firewall_ips) or 'the egress IPs of the nodes'}), your admins' and CI "
        "runners' ranges.",
        "Or take the API server off the internet: API Server VNet Integration with public access "
        "disabled, or a private cluster (reached through a jump box, VPN or Bastion).",
    ]
    if omitted:
        steps.insert(0, f"Add {', '.join(add)} to the authorized ranges: without them the nodes, "
                        "which leave through the firewall, are refused by their own API server.")
    if dropped:
        steps.insert(0, f"Remove {', '.join(dropped)} from the authorized ranges: it admits the "
                        "whole internet.")
    if "<admin-or-ci-cidr>" in wanted:
        steps.append("Replace <admin-or-ci-cidr> with the ranges your admins and CI runners use "
                     "before applying: without them kubectl from outside the VNet is refused.")
    ranges_text = ",".join(wanted)
    return Remediation(
        summary=(f"Add the firewall's egress IPs {', '.join(add)} to {name}'s authorized IP ranges"
                 if omitted else f"Restrict the public API server of {name} to authorized IP ranges"),
        steps=tuple(steps),
        az_cli=(f"az aks update --resource-group {rg} --name {name} "
                f"--api-server-authorized-ip-ranges {ranges_text}",),
        bicep=f"""resource aks 'Microsoft.ContainerService/managedClusters@2025-05-01' = {{
  name: '{name}'
  location: '{cluster.region}'
  properties: {{
    apiServerAccessProfile: {{
      authorizedIPRanges: [
{chr(10).join(f"        '{r}'" for r in wanted)}
      ]
    }}
  }}
}}
""",
        terraform=f"""# In azurerm_kubernetes_cluster "{name}" (resource group {rg}):
api_server_access_profile {{
  authorized_ip_ranges = [{", ".join(f'"{r}"' for r in wanted)}]
}}
""",
        changes=_changes(cluster, wanted),
    )


def _changes(cluster: Cluster, wanted: list[str]) -> tuple[Change, ...]:
    """The authorized ranges the fix sets, against the list in the export. JSON Patch cannot add
    under a missing parent, so without apiServerAccessProfile the whole profile is added."""
    profile = props(cluster.raw).get("apiServerAccessProfile")
    if not isinstance(profile, Mapping):
        return (Change(cluster.id, "add", "/properties/apiServerAccessProfile",
                       {"authorizedIPRanges": wanted}),)
    before = profile.get("authorizedIPRanges")
    if before == wanted:
        return ()
    return (Change(cluster.id, "add" if before is None else "replace",
                   "/properties/apiServerAccessProfile/authorizedIPRanges", wanted, before),)


CHECK = Check(
    id="api-server-access",
    title="API server is private, VNet-integrated, or limited to ranges that include the firewall's IPs",
    subjects=(Subject.CLUSTER,),
    severity=Severity.HIGH,
    passes_when=(
        "the cluster is private, uses API Server VNet Integration, or has authorized IP ranges "
        "(none of them 0.0.0.0/0) that contain every public IP of the firewall its nodes egress "
        "through."
    ),
    rationale=(
        "A public API server with no authorized ranges can be probed and brute-forced from the "
        "whole internet. Once ranges are set, nodes that egress through Azure Firewall reach the "
        "API server from the firewall's public IPs; AKS does not add those for you, so ranges "
        "without them break the nodes' connection to the control plane."
    ),
    references=(
        "https://learn.microsoft.com/azure/aks/api-server-authorized-ip-ranges",
        "https://learn.microsoft.com/azure/aks/limit-egress-traffic",
        "https://learn.microsoft.com/azure/aks/api-server-vnet-integration",
        "https://learn.microsoft.com/azure/aks/private-clusters",
    ),
    evaluate=evaluate,
)
