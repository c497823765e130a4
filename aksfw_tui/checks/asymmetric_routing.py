"""asymmetric-routing: a public load balancer on a cluster whose node subnets default-route to the
firewall has a working return path.

A Standard Load Balancer does not proxy: requests reach the nodes with the client's address, and
the replies follow the node subnet's routes. With 0.0.0.0/0 → firewall, replies to an internet
client go to the firewall, which never saw the request and drops them. Microsoft's fix
("Integrate Azure Firewall with Azure Standard Load Balancer") is to bring the traffic in through
the firewall: a DNAT rule from a firewall public IP to the load balancer's public IP, plus a host
route `<firewall public IP>/32 → Internet` on the node subnets, so replies (addressed to the
firewall's public IP) leave by the internet side. A /32 route for the load balancer's own frontend
IP does not help: replies are addressed to the client, not to the frontend. The simpler design is
an internal load balancer behind a DNAT rule or an App Gateway.
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
    not_applicable,
    passed,
    unknown,
)
from aksfw_tui.firewall.rules import Kind, ruleset_for
from aksfw_tui.model.ingress import Entry, cluster_ingress
from aksfw_tui.model.resources import Cluster, Firewall, network
from aksfw_tui.model.topology import Egress, SubnetEgress, Topology


def evaluate(topology: Topology, cluster: Cluster) -> Result:
    if not cluster.has_properties:
        return unknown(f"cluster {cluster.name} was exported without its properties")
    ingress = cluster_ingress(topology, cluster)
    entries = ingress.load_balancer_entries
    evidence: dict[str, Any] = {"public_lb_entries": [e.evidence() for e in entries],
                                "unseen": list(ingress.load_balancer_gaps)}
    if not entries:
        if ingress.load_balancer_gaps:
            return unknown("cannot list the cluster's public load balancers: "
                           + "; ".join(ingress.load_balancer_gaps), **evidence)
        return not_applicable(f"{cluster.name} has no public load balancer frontend with "
                              "inbound rules", **evidence)
    egress = topology.cluster_egress(cluster)
    routed = [s for s in egress.subnets if s.status is Egress.FIREWALL]
    undecided = [s.reason for s in egress.subnets if s.status is Egress.UNKNOWN]
    if not routed:
        if undecided or egress.status is Egress.UNKNOWN:
            return unknown(f"cannot tell where the node subnets' default route goes: "
                           f"{'; '.join(undecided) or egress.reason}", **evidence)
        return not_applicable(f"no node subnet of {cluster.name} default-routes to a firewall, so "
                              "replies leave the way requests came (see outbound-type)", **evidence)
    problems, doubts, paths = [], [], []
    for entry in entries:
        for subnet in routed:
            verdict, text_ = _return_path(topology, entry, subnet)
            if verdict == "ok":
                paths.append(text_)
            elif verdict == "fail":
                problems.append((entry, subnet, text_))
            else:
                doubts.append(text_)
    evidence["return_paths"] = paths
    if problems:
        return failed("; ".join(p[2] for p in problems),
                      _remediation(topology, cluster, problems), **evidence)
    if doubts or undecided:
        return unknown("; ".join([*doubts, *undecided]), **evidence)
    return passed("every public load balancer entry is published through the firewall with a "
                  "return route: " + "; ".join(paths), **evidence)


def _firewall_ips(topology: Topology, firewall: Firewall) -> set[str]:
    return {pip.ip for pip in topology.firewall_public_ips(firewall) if pip.ip}


def _return_path(topology: Topology, entry: Entry, subnet: SubnetEgress) -> tuple[str, str]:
    """('ok' | 'fail' | 'unknown', explanation) for one LB entry and one firewall-routed subnet."""
    firewall, table = subnet.firewall, subnet.route_table
    assert firewall is not None and table is not None  # Egress.FIREWALL guarantees both
    lb_name = entry.path[1] if len(entry.path) > 1 else entry.resource_id
    subnet_name = subnet.subnet.name if subnet.subnet else subnet.subnet_id
    host_routes = {
        str(prefix.network_address): route.name for route in table.routes
        if route.next_hop_type.lower() == "internet" and (prefix := network(route.prefix_text))
        and prefix.prefixlen == prefix.max_prefixlen
    }
    ruleset = ruleset_for(topology, firewall)
    dnat_ips = [d for rule in ruleset.rules if rule.kind is Kind.DNAT and not rule.gap
                and entry.public_ip and rule.translated == entry.public_ip
                for d in rule.destinations]
    missing = [ip for ip in dnat_ips if ip not in host_routes]
    if dnat_ips and not missing:
        routes = ", ".join(f"{host_routes[ip]} ({ip}/32 → Internet)" for ip in dnat_ips)
        return "ok", (f"{lb_name} ({entry.public_ip}) is published by a DNAT rule on "
                      f"{firewall.name} and {table.name} returns replies by {routes}")
    broken = (f"public load balancer frontend {lb_name} ({entry.public_ip or '?'}) receives "
              f"requests from the internet, but node subnet {subnet_name} sends the replies by "
              f"0.0.0.0/0 to {firewall.name}, which drops them (asymmetric routing)")
    if dnat_ips:
        return "fail", (f"{broken}; the DNAT rule on {firewall.name} publishes it on "
                        f"{', '.join(missing)} but {table.name} has no /32 route to Internet for it")
    own_routes = [ip for ip in _firewall_ips(topology, firewall) if ip in host_routes]
    if own_routes and not entry.public_ip:
        return "unknown", (f"the public IP of {lb_name} is not in the snapshot, so whether a "
                           f"DNAT rule on {firewall.name} publishes it cannot be seen")
    if own_routes and not ruleset.complete:
        return "unknown", (f"{table.name} has a return route for {', '.join(own_routes)} of "
                           f"{firewall.name}, but its DNAT rules could not all be read to see "
                           f"whether they publish {lb_name}")
    return "fail", broken


def _remediation(topology: Topology, cluster: Cluster,
                 problems: list[tuple[Entry, SubnetEgress, str]]) -> Remediation:
    entry, subnet, _ = problems[0]
    firewall, table = subnet.firewall, subnet.route_table
    assert firewall is not None and table is not None
    fw_ips = sorted(_firewall_ips(topology, firewall))
    fw_ip = fw_ips[0] if fw_ips else "<firewall-public-ip>"
    lb_ip = entry.public_ip or "<load-balancer-public-ip>"
    protocol, port = entry.ports[0] if entry.ports else ("Tcp", 443)
    route_name = f"fw-return-{fw_ip.replace('.', '-')}"
    az = [f"az network route-table route create --resource-group {table.resource_group} "
          f"--route-table-name {table.name} --name {route_name} --address-prefix {fw_ip}/32 "
          "--next-hop-type Internet"]
    rule_name = f"dnat-{cluster.name}-{port}"
    if firewall.policy_id:
        policy = topology.policy(firewall.policy_id)
        policy_name = policy.name if policy else firewall.policy_id.rsplit("/", 1)[-1]
        policy_rg = policy.resource_group if policy else firewall.resource_group
        az += ["az extension add --upgrade --name azure-firewall",
               f"az network firewall policy rule-collection-group create --resource-group "
               f"{policy_rg} --policy-name {policy_name} --name rcg-dnat-{cluster.name} "
               "--priority 100",
               f"az network firewall policy rule-collection-group collection add-nat-collection "
               f"--resource-group {policy_rg} --policy-name {policy_name} "
               f"--rule-collection-group-name rcg-dnat-{cluster.name} --name dnat-{cluster.name} "
               f"--collection-priority 100 --action DNAT --rule-name {rule_name} "
               f"--ip-protocols {protocol.upper()} --source-addresses '*' --destination-addresses "
               f"{fw_ip} --destination-ports {port} --translated-address {lb_ip} "
               f"--translated-port {port}"]
    else:
        az.append("az extension add --upgrade --name azure-firewall")
        az.append(f"az network firewall nat-rule create --resource-group {firewall.resource_group} "
                  f"--firewall-name {firewall.name} --collection-name dnat-{cluster.name} "
                  f"--priority 100 --action Dnat --name {rule_name} --protocols {protocol.upper()} "
                  f"--source-addresses '*' --destination-addresses {fw_ip} --destination-ports "
                  f"{port} --translated-address {lb_ip} --translated-port {port}")
    return Remediation(
        summary=f"Publish {cluster.name}'s public load balancer through {firewall.name} (DNAT "
                f"{fw_ip}:{port} → {lb_ip}:{port}) and route replies to {fw_ip}/32 via the Internet",
        steps=(
            f"Preferred: make the service internal (annotation service.beta.kubernetes.io/"
            f"azure-load-balancer-internal: \"true\") and publish its private IP through a DNAT "
            f"rule on {firewall.name} or an App Gateway WAF_v2 (see waf-in-front).",
            f"Or keep the public load balancer and bring its traffic through the firewall: a DNAT "
            f"rule from {fw_ip}:{port} to {lb_ip}:{port}, and a route {fw_ip}/32 → Internet in "
            f"{table.name} so replies to the firewall's public IP do not loop into its private side.",
            f"Tell clients to use {fw_ip} (update DNS); restrict the service to the firewall with "
            f"loadBalancerSourceRanges: [\"{fw_ip}/32\"] so the direct path is closed.",
            "Do the same for every affected frontend: " + ", ".join(sorted({
                f"{e.path[1] if len(e.path) > 1 else e.resource_id} ({e.public_ip or '?'})"
                for e, _, _ in problems})) + ".",
        ),
        az_cli=tuple(az),
        bicep=f"""resource returnRoute 'Microsoft.Network/routeTables/routes@2024-05-01' = {{
  name: '{table.name}/{route_name}'
  properties: {{
    addressPrefix: '{fw_ip}/32'
    nextHopType: 'Internet'
  }}
}}

// In the firewall policy of {firewall.name}, a NAT rule collection:
//   {{ ruleCollectionType: 'FirewallPolicyNatRuleCollection', name: 'dnat-{cluster.name}', priority: 100,
//     action: {{ type: 'DNAT' }}, rules: [ {{ ruleType: 'NatRule', name: '{rule_name}',
//     ipProtocols: [ '{protocol.upper()}' ], sourceAddresses: [ '*' ], destinationAddresses: [ '{fw_ip}' ],
//     destinationPorts: [ '{port}' ], translatedAddress: '{lb_ip}', translatedPort: '{port}' }} ] }}
""",
        terraform=f"""resource "azurerm_route" "fw_return" {{
  name                = "{route_name}"
  resource_group_name = "{table.resource_group}"
  route_table_name    = "{table.name}"
  address_prefix      = "{fw_ip}/32"
  next_hop_type       = "Internet"
}}

# In the azurerm_firewall_policy_rule_collection_group of {firewall.name}'s policy:
#   nat_rule_collection {{
#     name     = "dnat-{cluster.name}"
#     priority = 100
#     action   = "Dnat"
#     rule {{
#       name                = "{rule_name}"
#       protocols           = ["{protocol.upper()}"]
#       source_addresses    = ["*"]
#       destination_address = "{fw_ip}"
#       destination_ports   = ["{port}"]
#       translated_address  = "{lb_ip}"
#       translated_port     = "{port}"
#     }}
#   }}
""",
    )


CHECK = Check(
    id="asymmetric-routing",
    title="Public load balancers on firewall-routed clusters are published through the firewall",
    subjects=(Subject.CLUSTER,),
    severity=Severity.HIGH,
    passes_when=(
        "every public load balancer frontend with inbound rules, on a cluster whose node subnets "
        "default-route to Azure Firewall, is published by a DNAT rule on that firewall, and every "
        "such node subnet's route table sends the DNAT public IP (/32) to the Internet."
    ),
    rationale=(
        "Azure Firewall is stateful. When requests arrive on a load balancer's public IP but the "
        "node subnet's default route sends the replies to the firewall, the firewall drops them "
        "as packets of a session it never saw: the service looks up but every connection hangs. "
        "Microsoft's fix is to enter through the firewall (DNAT) with a host route for the "
        "firewall's public IP, or to use an internal load balancer."
    ),
    references=(
        "https://learn.microsoft.com/azure/firewall/integrate-lb",
        "https://learn.microsoft.com/azure/aks/limit-egress-traffic",
    ),
    evaluate=evaluate,
)
