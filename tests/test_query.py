"""Egress explorer engine: parsing what the operator types, listing sources, explaining a flow."""

from __future__ import annotations

import ipaddress
from typing import Any

import pytest

from aksfw_tui.firewall.query import (
    Answer,
    QueryError,
    Result,
    Source,
    SourceKind,
    explain,
    parse_destination,
    sources_for,
)
from aksfw_tui.model.topology import Topology
from tests import arm

Json = dict[str, Any]
USER_SUBNET = f"{arm.SPOKE_VNET}/subnets/snet-aks-user"


def source(topology: Topology, name: str) -> Source:
    return next(s for s in sources_for(topology) if s.name == name)


def ask(resources: list[Json], source_name: str, query: str) -> Answer:
    topology = arm.topology(resources)
    chosen = source(topology, source_name)
    return explain(topology, chosen, parse_destination(query, arm.REGION, chosen.cluster))


def add_spoke_subnet(resources: list[Json], name: str, prefix: str, route_table: str | None = None) -> None:
    spoke = arm.find(resources, "vnet-spoke")
    spoke["properties"]["subnets"].append(arm.subnet(arm.SPOKE_VNET, name, prefix, route_table))


def add_deny_collection(resources: list[Json], rule: Json, priority: int = 50) -> None:
    group = arm.find(resources, "rcg-aks")
    group["properties"]["ruleCollections"].insert(0, arm.filter_collection("deny-ip", priority, "Deny", [rule]))


def add_routes(resources: list[Json], *routes: Json) -> None:
    table = arm.find(resources, "rt-aks")
    for r in routes:
        r["id"] = f"{table['id']}/routes/{r['name']}"
        table["properties"]["routes"].append(r)


# -- parsing: the three examples -----------------------------------------------------------


def test_parses_fqdn_with_port_as_tcp_to_a_member_of_the_aks_fqdn_tag() -> None:
    flow = parse_destination("mcr.microsoft.com:443", arm.REGION)
    assert (flow.protocol, flow.port) == ("tcp", 443)
    assert flow.destination.fqdn == "mcr.microsoft.com"
    assert flow.destination.ip is None and flow.destination.service_tags is None
    assert "azurekubernetesservice" in flow.destination.fqdn_tags


def test_parses_port_first_udp_to_a_regional_service_tag() -> None:
    flow = parse_destination("udp/1194 AzureCloud.westeurope", arm.REGION)
    assert (flow.protocol, flow.port) == ("udp", 1194)
    assert flow.destination.label == "AzureCloud.westeurope"
    assert flow.destination.service_tags == {"azurecloud.westeurope", "azurecloud"}
    assert not flow.destination.fqdn


def test_parses_ip_with_port() -> None:
    flow = parse_destination("203.0.113.7:22", arm.REGION)
    assert (flow.protocol, flow.port) == ("tcp", 22)
    assert flow.destination.ip == ipaddress.IPv4Address("203.0.113.7")
    assert flow.destination.public


# -- parsing: the liberal forms ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "protocol", "port", "label"),
    [
        ("tcp/443 → management.azure.com", "tcp", 443, "management.azure.com"),
        ("tcp/443 -> management.azure.com", "tcp", 443, "management.azure.com"),
        ("tcp/443 to Management.Azure.com", "tcp", 443, "management.azure.com"),
        ("1194/udp azurecloud.WestEurope", "udp", 1194, "AzureCloud.westeurope"),
        ("UDP 1194 AzureCloud.westeurope", "udp", 1194, "AzureCloud.westeurope"),
        ("mcr.microsoft.com:443/tcp", "tcp", 443, "mcr.microsoft.com"),
        ("https://packages.microsoft.com/ubuntu/22.04", "tcp", 443, "packages.microsoft.com"),
        ("http://acs-mirror.azureedge.net", "tcp", 80, "acs-mirror.azureedge.net"),
        ("https://example.com:8443/x", "tcp", 8443, "example.com"),
        ("icmp 8.8.8.8", "icmp", 0, "8.8.8.8"),
        ("  udp/123   ntp.ubuntu.com  ", "udp", 123, "ntp.ubuntu.com"),
        ("tcp/443 storage.io.", "tcp", 443, "storage.io"),
    ],
)
def test_reads_the_liberal_forms(text: str, protocol: str, port: int, label: str) -> None:
    flow = parse_destination(text, arm.REGION)
    assert (flow.protocol, flow.port, flow.destination.label) == (protocol, port, label)


def test_a_service_tag_of_azure_datacenter_ranges_is_also_in_azurecloud_of_its_region() -> None:
    # A rule to AzureCloud.westeurope covers Storage.westeurope addresses, so the destination must say so.
    flow = parse_destination("Storage.westeurope:443", arm.REGION)
    assert flow.destination.service_tags == {"storage.westeurope", "storage", "azurecloud.westeurope",
                                             "azurecloud"}


def test_a_known_tag_with_a_dotted_name_is_a_tag_not_a_host() -> None:
    flow = parse_destination("azurefrontdoor.frontend:443", arm.REGION)
    assert flow.destination.label == "AzureFrontDoor.Frontend"
    assert flow.destination.service_tags is not None and not flow.destination.fqdn


def test_an_unknown_capitalised_word_is_taken_as_a_service_tag() -> None:
    flow = parse_destination("tcp/443 PowerPlatformInfra", arm.REGION)
    assert flow.destination.service_tags is not None and "powerplatforminfra" in flow.destination.service_tags


def test_a_host_whose_first_label_is_a_tag_name_stays_a_host() -> None:
    flow = parse_destination("storage.googleapis.com:443", arm.REGION)
    assert flow.destination.fqdn == "storage.googleapis.com"


# -- parsing: errors -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "say where to, e.g. mcr.microsoft.com:443"),
        ("tcp/443", "say where to"),
        ("mcr.microsoft.com", "say which port, e.g. mcr.microsoft.com:443"),
        ("udp AzureCloud.westeurope", "say which port, e.g. AzureCloud.westeurope:443 or udp/443"),
        ("mcr.microsoft.com:70000", "port 70000 is out of range: ports are 1–65535"),
        ("mcr.microsoft.com:0", "port 0 is out of range"),
        ("mcr.microsoft.com:", "has no port after the colon, e.g. mcr.microsoft.com:443"),
        ("mcr.microsoft.com:https", "'https' is not a port number"),
        ("tcp/1190-1200 x.example.com", "one port, not a range (1190-1200)"),
        ("sctp/22 203.0.113.7", "unknown protocol 'sctp': use tcp/, udp/ or icmp"),
        ("icmp 8.8.8.8:22", "ICMP has no ports: drop '22'"),
        ("tcp/443 a.example.com b.example.com", "one destination at a time: read both 'a.example.com' and "
                                                "'b.example.com'"),
        ("tcp/443 mcr.microsoft.com:80", "two ports given (443 and 80)"),
        ("udp/1194 api.example.com:1194/tcp", "two protocols given (udp and tcp)"),
        ("203.0.113.0/24:22", "ask about one address, not the network 203.0.113.0/24: e.g. 203.0.113.1:443"),
        ("300.1.2.3:22", "'300.1.2.3' is not an IPv4 address"),
        ("[2001:db8::1]:443", "looks like IPv6"),
        ("AzureCloud.westeurop:443", "'westeurop' is not an Azure region I know (did you mean "
                                     "AzureCloud.westeurope?)"),
        ("foo:443", "'foo' is not an IPv4 address, a service tag or a fully qualified host name"),
        ("azurclod:443", "(did you mean AzureCloud?)"),
        ("*.blob.core.windows.net:443", "is a pattern: type one host name, e.g. myaccount.blob.core.windows.net"),
        ("bad_host-.example.com:443", "is not a valid host name"),
        ("ftp://files.example.com", "unknown scheme 'ftp://'"),
        ("api-server:443", "pick a cluster, or type the API server's host name"),
    ],
)
def test_bad_input_is_a_query_error_saying_how_to_fix_it(text: str, message: str) -> None:
    with pytest.raises(QueryError) as raised:
        parse_destination(text, arm.REGION)
    assert message in str(raised.value)


def test_query_error_is_a_value_error() -> None:
    assert issubclass(QueryError, ValueError)


# -- parsing: the API server ---------------------------------------------------------------------------


def test_api_server_is_the_picked_clusters_public_api_server_in_azurecloud_of_its_region() -> None:
    cluster = source(arm.topology(arm.baseline()), "aks-prod").cluster
    flow = parse_destination("udp/1194 api-server", "", cluster)
    assert flow.destination.fqdn == "aks-prod-1a2b3c4d.hcp.westeurope.azmk8s.io"
    assert flow.destination.service_tags == {"azurecloud", "azurecloud.westeurope"}


def test_the_clusters_own_api_host_name_means_the_api_server() -> None:
    cluster = source(arm.topology(arm.baseline()), "aks-prod").cluster
    flow = parse_destination("aks-prod-1a2b3c4d.hcp.westeurope.azmk8s.io:9000", "", cluster)
    assert flow.destination.service_tags == {"azurecloud", "azurecloud.westeurope"}


def test_api_server_of_a_private_cluster_is_refused_because_it_never_crosses_the_firewall() -> None:
    resources = arm.baseline()
    props = arm.find(resources, "aks-prod")["properties"]
    props["apiServerAccessProfile"] = {"enablePrivateCluster": True}
    cluster = source(arm.topology(resources), "aks-prod").cluster
    with pytest.raises(QueryError, match="aks-prod is a private cluster: its nodes reach the API server inside"):
        parse_destination("apiserver:443", arm.REGION, cluster)


# -- sources -------------------------------------------------------------------------------------------


def test_sources_are_every_cluster_then_every_subnet_with_cidr_vnet_and_firewall() -> None:
    sources = sources_for(arm.topology(arm.baseline()))
    assert [(s.kind, s.label) for s in sources] == [
        (SourceKind.CLUSTER, "aks-prod (cluster, 1 node subnet)"),
        (SourceKind.SUBNET, "AzureFirewallSubnet (10.0.1.0/26, vnet-hub)"),
        (SourceKind.SUBNET, "snet-aks-nodes (10.20.0.0/22, vnet-spoke)"),
    ]
    cluster, fw_subnet, nodes = sources
    assert [f.name for f in cluster.firewalls] == ["fw-hub"] == [f.name for f in nodes.firewalls]
    assert fw_subnet.firewalls == ()  # the firewall's own subnet has no route to a firewall
    assert str(cluster.addresses) == arm.NODE_CIDR and cluster.subnet_ids == (arm.NODE_SUBNET,)
    assert cluster.region == arm.REGION


def test_sources_filter_by_every_typed_word() -> None:
    topology = arm.topology(arm.baseline())
    assert [s.name for s in sources_for(topology, "cluster")] == ["aks-prod"]
    assert [s.name for s in sources_for(topology, "10.20")] == ["snet-aks-nodes"]
    assert [s.name for s in sources_for(topology, "subnet hub")] == ["AzureFirewallSubnet"]
    assert sources_for(topology, "nothing-like-this") == []


# -- explain: the three examples ---------------------------------------------------------------


def test_mcr_from_node_subnet_is_allowed_by_the_aks_fqdn_tag_rule() -> None:
    answer = ask(arm.baseline(), "snet-aks-nodes", "mcr.microsoft.com:443")
    assert answer.result is Result.ALLOW
    (part,) = answer.parts
    (rule,) = part.deciding_rules
    assert rule.label == "fwpol-hub › rcg-aks › aks-app › aks-fqdn-tag"
    assert (rule.policy, rule.group, rule.collection, rule.name) == ("fwpol-hub", "rcg-aks", "aks-app",
                                                                     "aks-fqdn-tag")
    assert part.firewall is not None and part.firewall.name == "fw-hub"
    assert part.default_route == "0.0.0.0/0 → 10.0.1.4, firewall fw-hub (route default-to-fw in rt-aks)"
    assert ("  rule: fwpol-hub › rcg-aks › aks-app › aks-fqdn-tag (application rule, allow; "
            "group rcg-aks priority 300; collection aks-app priority 200)") in answer.lines
    assert answer.headline == ("Allowed: TCP/443 → mcr.microsoft.com from snet-aks-nodes: firewall fw-hub "
                               "allows it by fwpol-hub › rcg-aks › aks-app › aks-fqdn-tag")


def test_tunnel_udp_to_azurecloud_region_is_allowed_by_the_network_rule() -> None:
    answer = ask(arm.baseline(), "snet-aks-nodes", "udp/1194 AzureCloud.westeurope")
    assert answer.result is Result.ALLOW
    (rule,) = answer.parts[0].deciding_rules
    assert rule.label == "fwpol-hub › rcg-aks › aks-net › tunnel-udp"
    assert any("network rule, allow; group rcg-aks priority 300; collection aks-net priority 100" in line
               for line in answer.lines)


def test_ssh_to_a_public_ip_is_denied_by_default_with_no_rule() -> None:
    answer = ask(arm.baseline(), "snet-aks-nodes", "203.0.113.7:22")
    assert answer.result is Result.DENY
    part = answer.parts[0]
    assert part.deciding_rules == ()
    assert part.verdict is not None and part.verdict.outcomes[0].rule is None
    assert "no rule matches, and Azure Firewall denies what no rule allows" in part.reason
    assert "  rule: none matched: Azure Firewall denies by default" in answer.lines


# -- explain: clusters ---------------------------------------------------------------------------------


def test_cluster_source_answers_the_api_server_tunnel_per_node_subnet() -> None:
    answer = ask(arm.baseline(), "aks-prod", "udp/1194 api-server")
    assert answer.result is Result.ALLOW
    assert [p.label for p in answer.parts] == ["snet-aks-nodes (10.20.0.0/22, vnet-spoke)"]
    assert answer.parts[0].deciding_rules[0].name == "tunnel-udp"


def test_cluster_with_one_node_subnet_outside_the_firewall_is_flagged_not_through_a_firewall() -> None:
    resources = arm.baseline()
    add_spoke_subnet(resources, "snet-aks-user", "10.20.4.0/22")  # no route table
    arm.find(resources, "aks-prod")["properties"]["agentPoolProfiles"][1]["vnetSubnetID"] = USER_SUBNET
    answer = ask(resources, "aks-prod", "mcr.microsoft.com:443")
    assert [p.result for p in answer.parts] == [Result.ALLOW, Result.NO_FIREWALL]
    assert answer.result is Result.NO_FIREWALL
    assert "allowed from snet-aks-nodes (10.20.0.0/22, vnet-spoke)" in answer.headline
    assert "not through a firewall from snet-aks-user (10.20.4.0/22, vnet-spoke)" in answer.headline


def test_cluster_where_one_node_subnet_is_denied_is_denied() -> None:
    resources = arm.baseline()
    add_spoke_subnet(resources, "snet-aks-user", "10.20.4.0/22", arm.RT_ID)
    arm.find(resources, "aks-prod")["properties"]["agentPoolProfiles"][1]["vnetSubnetID"] = USER_SUBNET
    # The tag rule's sources name only the first node subnet.
    answer = ask(resources, "aks-prod", "mcr.microsoft.com:443")
    assert answer.result is Result.DENY
    assert [p.result for p in answer.parts] == [Result.ALLOW, Result.DENY]


def test_cluster_on_the_aks_managed_vnet_leaves_without_a_firewall() -> None:
    resources = arm.baseline()
    for pool in arm.find(resources, "aks-prod")["properties"]["agentPoolProfiles"]:
        del pool["vnetSubnetID"]
    answer = ask(resources, "aks-prod", "mcr.microsoft.com:443")
    assert answer.result is Result.NO_FIREWALL
    assert "node pool(s) system, user run in the AKS-managed VNet" in answer.parts[0].reason


def test_cluster_exported_without_node_pools_cannot_tell() -> None:
    resources = arm.baseline()
    del arm.find(resources, "aks-prod")["properties"]["agentPoolProfiles"]
    topology = arm.topology(resources)
    answer = explain(topology, source(topology, "aks-prod"), parse_destination("mcr.microsoft.com:443"))
    assert answer.result is Result.CANNOT_TELL
    assert "cluster aks-prod was exported without its node pools" in answer.headline


# -- explain: routes decide before rules --------------------------------------------------------------


def test_subnet_without_route_table_is_not_through_a_firewall_not_allowed_by_a_rule() -> None:
    resources = arm.baseline()
    add_spoke_subnet(resources, "snet-jumpbox", "10.20.8.0/27")
    answer = ask(resources, "snet-jumpbox", "mcr.microsoft.com:443")
    assert answer.result is Result.NO_FIREWALL
    part = answer.parts[0]
    assert part.verdict is None and part.deciding_rules == ()
    assert part.default_route.startswith("not through a firewall: subnet snet-jumpbox has no route table")
    assert part.reason.startswith("leaves without the firewall, allowed by Azure's default route to the "
                                  "Internet; no firewall rule is consulted")
    assert not any("rule:" in line for line in answer.lines)


def test_specific_route_to_the_internet_takes_the_ip_around_the_firewall() -> None:
    resources = arm.baseline()
    add_routes(resources, arm.route("partner", "203.0.113.0/24", "Internet"))
    answer = ask(resources, "snet-aks-nodes", "203.0.113.7:22")
    assert answer.result is Result.NO_FIREWALL
    part = answer.parts[0]
    assert part.verdict is None
    assert "route partner (203.0.113.0/24 → Internet) in rt-aks sends it straight to the Internet" in part.reason
    assert part.default_route.startswith("0.0.0.0/0 → 10.0.1.4, firewall fw-hub")


def test_split_default_routes_take_every_named_destination_around_the_firewall() -> None:
    resources = arm.baseline()
    add_routes(resources, arm.route("half-1", "0.0.0.0/1", "Internet"),
               arm.route("half-2", "128.0.0.0/1", "Internet"))
    answer = ask(resources, "snet-aks-nodes", "mcr.microsoft.com:443")
    assert answer.result is Result.NO_FIREWALL
    assert "routes half-1, half-2 cover every public address" in answer.parts[0].reason


def test_a_route_that_might_carry_a_named_destination_elsewhere_makes_a_deny_uncertain() -> None:
    resources = arm.baseline()
    add_routes(resources, arm.route("partner", "20.0.0.0/8", "Internet"))
    answer = ask(resources, "snet-aks-nodes", "tcp/22 git.example.com")
    assert answer.result is Result.CANNOT_TELL
    part = answer.parts[0]
    assert part.reason.startswith("it depends on which route carries it; by the usual route: firewall fw-hub "
                                  "denies it")
    assert any(n.startswith("if git.example.com falls under route partner (20.0.0.0/8), that route carries "
                            "it: leaves without the firewall") for n in part.notes)


def test_a_route_that_might_carry_an_allowed_destination_straight_out_keeps_it_allowed_with_a_note() -> None:
    resources = arm.baseline()
    add_routes(resources, arm.route("partner", "20.0.0.0/8", "Internet"))
    answer = ask(resources, "snet-aks-nodes", "mcr.microsoft.com:443")
    assert answer.result is Result.ALLOW
    assert any("route partner (20.0.0.0/8)" in n for n in answer.parts[0].notes)


def test_firewall_public_ip_return_route_is_no_doubt_for_named_destinations() -> None:
    resources = arm.baseline()
    add_routes(resources, arm.route("fw-return", "20.103.17.40/32", "Internet"))
    answer = ask(resources, "snet-aks-nodes", "tcp/22 git.example.com")
    assert answer.result is Result.DENY and answer.parts[0].notes == ()


def test_service_tag_route_carries_that_tag_around_the_firewall() -> None:
    resources = arm.baseline()
    add_routes(resources, arm.route("monitor-direct", "AzureMonitor", "Internet"))
    answer = ask(resources, "snet-aks-nodes", "AzureMonitor:443")
    assert answer.result is Result.NO_FIREWALL
    assert "route monitor-direct (AzureMonitor → Internet)" in answer.parts[0].reason


def test_private_address_in_a_peered_vnet_never_reaches_the_firewall() -> None:
    answer = ask(arm.baseline(), "snet-aks-nodes", "10.0.1.4:443")
    assert answer.result is Result.NO_FIREWALL
    assert ("10.0.1.4 is in peered VNet vnet-hub (vnet-hub 10.0.0.0/16): the VNet's system route delivers "
            "it directly, without a firewall") in answer.parts[0].reason


def test_private_address_outside_the_vnets_goes_to_the_firewall_under_a_default_udr() -> None:
    # A user-defined 0.0.0.0/0 replaces Azure's None routes for private ranges.
    answer = ask(arm.baseline(), "snet-aks-nodes", "10.99.0.1:22")
    assert answer.result is Result.DENY
    assert answer.parts[0].verdict is not None


def test_specific_route_to_the_firewall_is_shown_as_this_flows_path() -> None:
    resources = arm.baseline()
    add_routes(resources, arm.route("spokes", "10.0.0.0/8", "VirtualAppliance", arm.FW_IP))
    answer = ask(resources, "snet-aks-nodes", "10.99.0.1:22")
    assert answer.result is Result.DENY
    assert ("  this flow: route spokes (10.0.0.0/8 → VirtualAppliance 10.0.1.4) in rt-aks: firewall fw-hub"
            in answer.lines)


def test_private_address_outside_the_vnets_is_dropped_without_a_route_table() -> None:
    resources = arm.baseline()
    add_spoke_subnet(resources, "snet-jumpbox", "10.20.8.0/27")
    answer = ask(resources, "snet-jumpbox", "10.99.0.1:22")
    assert answer.result is Result.DENY
    assert "Azure's system route drops it (next hop None)" in answer.parts[0].reason


def test_default_route_to_none_drops_before_any_firewall() -> None:
    resources = arm.baseline()
    route = arm.find(resources, "rt-aks")["properties"]["routes"][0]["properties"]
    route["nextHopType"] = "None"
    del route["nextHopIpAddress"]
    answer = ask(resources, "snet-aks-nodes", "mcr.microsoft.com:443")
    assert answer.result is Result.DENY
    assert answer.parts[0].reason.startswith("dropped before any firewall: route default-to-fw")


def test_default_route_to_an_appliance_that_is_not_a_firewall_cannot_tell() -> None:
    resources = arm.baseline()
    arm.find(resources, "rt-aks")["properties"]["routes"][0]["properties"]["nextHopIpAddress"] = "10.0.1.10"
    answer = ask(resources, "snet-aks-nodes", "mcr.microsoft.com:443")
    assert answer.result is Result.CANNOT_TELL
    assert "10.0.1.10 lies in vnet-hub but is no Azure Firewall" in answer.parts[0].reason
    assert answer.parts[0].default_route.startswith("not through a firewall: next hop 10.0.1.10")


def test_missing_route_table_cannot_tell() -> None:
    resources = [r for r in arm.baseline() if r["name"] != "rt-aks"]
    answer = ask(resources, "snet-aks-nodes", "mcr.microsoft.com:443")
    assert answer.result is Result.CANNOT_TELL
    assert "route table rt-aks" in answer.headline and "not in the snapshot" in answer.headline


# -- explain: cannot tell from the rules ---------------------------------------------------------------


def test_deny_rule_to_a_specific_ip_makes_an_fqdn_destination_cannot_tell() -> None:
    resources = arm.baseline()
    add_deny_collection(resources, arm.net_rule("deny-one-ip", ["TCP"], [arm.NODE_CIDR], ["443"],
                                                ["13.107.42.14"]))
    answer = ask(resources, "snet-aks-nodes", "mcr.microsoft.com:443")
    assert answer.result is Result.CANNOT_TELL
    part = answer.parts[0]
    assert "fwpol-hub › rcg-aks › deny-ip › deny-one-ip (deny) names destinations that might include " \
           "mcr.microsoft.com" in part.reason
    # the tag rule would decide, unless the address is 13.107.42.14
    assert part.deciding_rules[0].name == "aks-fqdn-tag"
    assert ("  might match first: fwpol-hub › rcg-aks › deny-ip › deny-one-ip (network rule, deny; "
            "group rcg-aks priority 300; collection deny-ip priority 50)") in answer.lines


def test_same_deny_rule_decides_for_that_ip() -> None:
    resources = arm.baseline()
    add_deny_collection(resources, arm.net_rule("deny-one-ip", ["TCP"], [arm.NODE_CIDR], ["443"],
                                                ["13.107.42.14"]))
    answer = ask(resources, "snet-aks-nodes", "13.107.42.14:443")
    assert answer.result is Result.DENY
    assert answer.parts[0].reason == "firewall fw-hub denies it by fwpol-hub › rcg-aks › deny-ip › deny-one-ip"


def test_tag_without_region_depends_on_the_region_when_rules_name_a_regional_tag() -> None:
    answer = ask(arm.baseline(), "snet-aks-nodes", "udp/1194 AzureCloud")
    assert answer.result is Result.CANNOT_TELL
    reason = answer.parts[0].reason
    assert reason.startswith("AzureCloud is a range of addresses and the answer depends on which one: "
                             "if it is also in AzureCloud.westeurope, firewall fw-hub allows it by "
                             "fwpol-hub › rcg-aks › aks-net › tunnel-udp; if not, firewall fw-hub denies it")


def test_tag_of_another_region_is_not_a_doubt() -> None:
    answer = ask(arm.baseline(), "snet-aks-nodes", "udp/1194 AzureCloud.northeurope")
    assert answer.result is Result.DENY


def test_regional_service_tag_is_allowed_by_a_rule_to_azurecloud_of_its_region() -> None:
    resources = arm.baseline()
    group = arm.find(resources, "rcg-aks")
    group["properties"]["ruleCollections"][0]["rules"].append(
        arm.net_rule("azure-https", ["TCP"], [arm.NODE_CIDR], ["443"], [f"AzureCloud.{arm.REGION}"]))
    answer = ask(resources, "snet-aks-nodes", "Storage.westeurope:443")
    assert answer.result is Result.ALLOW
    assert answer.parts[0].deciding_rules[0].name == "azure-https"


def test_unknown_tag_is_answered_with_a_spelling_note() -> None:
    answer = ask(arm.baseline(), "snet-aks-nodes", "tcp/443 AzureClod")
    assert any("AzureClod is not in the bundled list of service tags" in n and "did you mean AzureCloud?" in n
               for n in answer.notes)
    assert answer.lines[-1].startswith("note: AzureClod is not in the bundled list")


def test_evidence_names_the_result_and_the_verdicts_rules() -> None:
    answer = ask(arm.baseline(), "aks-prod", "mcr.microsoft.com:443")
    evidence = answer.evidence()
    assert evidence["result"] == "allow" and evidence["flow"] == "TCP/443 → mcr.microsoft.com"
    (subnet,) = evidence["subnets"]
    assert subnet["verdict"]["rules"][0]["collection"] == "aks-app"
    assert subnet["verdict"]["rules"][0]["group_priority"] == 300


def test_unreadable_rule_collection_group_cannot_tell_and_is_named_once() -> None:
    resources = arm.baseline()
    groups = arm.find(resources, "fwpol-hub")["properties"]["ruleCollectionGroups"]
    groups.append({"id": f"{arm.POLICY_ID}/ruleCollectionGroups/rcg-platform"})
    answer = ask(resources, "snet-aks-nodes", "mcr.microsoft.com:443")
    assert answer.result is Result.CANNOT_TELL
    assert "rule collection group rcg-platform" in answer.parts[0].reason
    might = [line for line in answer.lines if line.startswith("  might match first: unreadable rules:")]
    assert len(might) == 1 and "rcg-platform" in might[0] and "not in the snapshot" in might[0]
