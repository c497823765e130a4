"""The firewall rule evaluator against DESIGN §5: one test per semantic point, each on realistic ARM
JSON, asserting the decision and the label (`policy › group › collection › rule`) of the rule that
decided it (none for Azure Firewall's default deny)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest

from aksfw_tui.firewall import evaluator as evaluator_module
from aksfw_tui.firewall.addresses import AddressSet, parse_address
from aksfw_tui.firewall.evaluator import (
    Decision,
    Destination,
    Evaluator,
    Flow,
    Verdict,
    evaluate_flow,
    evaluator_for,
)
from aksfw_tui.firewall.rules import Action, Kind, Rule, ruleset_for
from tests import arm

Json = dict[str, Any]

POLICY_TYPE = "Microsoft.Network/firewallPolicies"
BASE_ID = arm.rid(arm.HUB_SUB, arm.HUB_RG, POLICY_TYPE, "fwpol-base")
API_FQDN = "aks-prod-1a2b3c4d.hcp.westeurope.azmk8s.io"
API_SERVER = Destination.api_server(API_FQDN, arm.REGION)
STORAGE_IP = "52.239.1.1"  # a public address (Azure Storage range), for IP-addressed flows
DEFAULT_DENY = "no rule matched (default deny)"


# -- builders ------------------------------------------------------------------------------------

def addresses(spec: str) -> AddressSet:
    parsed = parse_address(spec)
    assert parsed is not None
    return parsed


NODES = addresses(arm.NODE_CIDR)


def label(collection: str, rule: str, group: str = "rcg-aks", policy: str = "fwpol-hub") -> str:
    return " › ".join((policy, group, collection, rule))


def classic_label(collection: str, rule: str) -> str:
    return f"fw-hub › {collection} › {rule}"


def with_collections(*collections: Json) -> list[Json]:
    """The baseline whose only rule collection group (rcg-aks, priority 300) holds exactly these."""
    resources = arm.baseline()
    arm.find(resources, "rcg-aks")["properties"]["ruleCollections"] = list(collections)
    return resources


def add_group(resources: list[Json], name: str, priority: int, collections: list[Json],
              policy_id: str = arm.POLICY_ID) -> None:
    group = arm.rcg(policy_id, name, priority, collections)
    resources.append(group)
    policy = next(r for r in resources if r["id"] == policy_id)
    policy["properties"]["ruleCollectionGroups"].append({"id": group["id"]})


def with_base(resources: list[Json], base_collections: list[Json] | None,
              base_group_priority: int = 65000) -> list[Json]:
    """fwpol-hub gets fwpol-base as its base policy; None leaves the base out of the snapshot."""
    arm.find(resources, "fwpol-hub")["properties"]["basePolicy"] = {"id": BASE_ID}
    if base_collections is not None:
        group = arm.rcg(BASE_ID, "rcg-base", base_group_priority, base_collections)
        resources += [arm.policy(arm.HUB_SUB, arm.HUB_RG, "fwpol-base", [group["id"]]), group]
    return resources


def ip_group_id(name: str) -> str:
    return arm.rid(arm.HUB_SUB, arm.HUB_RG, "Microsoft.Network/ipGroups", name)


def https_anywhere(name: str = "https-anywhere", sources: list[str] | None = None) -> Json:
    return arm.net_rule(name, ["TCP"], sources or [arm.NODE_CIDR], ["443"], ["*"])


def verdict(resources: list[Json], flow: Flow, sources: AddressSet | None = None) -> Verdict:
    topology = arm.topology(resources)
    firewall = topology.firewall(arm.FW_ID)
    assert firewall is not None
    return evaluate_flow(topology, firewall, flow, NODES if sources is None else sources)


def tcp(port: int, destination: Destination) -> Flow:
    return Flow("tcp", port, destination)


def fqdn(name: str) -> Destination:
    return Destination.for_fqdn(name)


def ip(value: str) -> Destination:
    return Destination.for_ip(value)


def decided_by(result: Verdict) -> list[str]:
    return [rule.label for rule in result.deciding_rules]


def candidates(result: Verdict) -> list[str]:
    return [rule.label for rule in result.candidate_rules]


def assert_default_deny(result: Verdict) -> None:
    assert result.decision is Decision.DENY
    assert result.deciding_rules == ()
    assert [o.rule for o in result.outcomes] == [None]
    assert result.reason == f"denied by {DEFAULT_DENY}"


# -- processing order ----------------------------------------------------------------------------

def test_dnat_rules_are_processed_before_network_rules() -> None:
    resources = with_collections(
        arm.filter_collection("deny-inbound", 100, "Deny", [
            arm.net_rule("no-https-in", ["TCP"], ["*"], ["443"], ["*"])]))
    add_group(resources, "rcg-dnat", 1000, [arm.nat_collection("dnat-ingress", 500, [
        arm.nat_rule("https-to-ingress", "20.103.17.40", "443", "10.20.1.10", "443")])])
    internet = addresses("203.0.113.0/24")

    to_firewall = verdict(resources, tcp(443, ip("20.103.17.40")), internet)
    elsewhere = verdict(resources, tcp(443, ip(STORAGE_IP)), internet)

    assert to_firewall.decision is Decision.ALLOW
    assert decided_by(to_firewall) == [label("dnat-ingress", "https-to-ingress", group="rcg-dnat")]
    assert to_firewall.deciding_rules[0].kind is Kind.DNAT
    assert elsewhere.decision is Decision.DENY
    assert decided_by(elsewhere) == [label("deny-inbound", "no-https-in")]


def test_network_rules_come_before_application_rules_whatever_the_group_priority() -> None:
    resources = with_collections(arm.filter_collection("allow-web", 100, "Allow", [https_anywhere()]))
    add_group(resources, "rcg-app-first", 100, [arm.filter_collection("deny-registries", 100, "Deny", [
        arm.app_rule("no-mcr", [arm.NODE_CIDR], fqdns=["mcr.microsoft.com"])])])

    result = verdict(resources, tcp(443, fqdn("mcr.microsoft.com")))

    assert result.decision is Decision.ALLOW
    assert decided_by(result) == [label("allow-web", "https-anywhere")]


def test_group_priority_is_compared_before_collection_priority() -> None:
    # rcg-aks (300) holds collection priority 100; rcg-guardrails (200) holds 4000: the group wins.
    resources = with_collections(arm.filter_collection("allow-https", 100, "Allow", [https_anywhere()]))
    add_group(resources, "rcg-guardrails", 200, [arm.filter_collection("deny-https", 4000, "Deny", [
        https_anywhere("no-https", ["*"])])])

    result = verdict(resources, tcp(443, ip(STORAGE_IP)))

    assert result.decision is Decision.DENY
    assert decided_by(result) == [label("deny-https", "no-https", group="rcg-guardrails")]


def test_lower_collection_priority_is_processed_first_whatever_the_listing_order() -> None:
    resources = with_collections(
        arm.filter_collection("deny-https", 200, "Deny", [https_anywhere("no-https")]),
        arm.filter_collection("allow-https", 100, "Allow", [https_anywhere()]))

    result = verdict(resources, tcp(443, ip(STORAGE_IP)))

    assert result.decision is Decision.ALLOW
    assert decided_by(result) == [label("allow-https", "https-anywhere")]


def test_first_matching_rule_wins_and_later_collections_are_not_consulted() -> None:
    resources = with_collections(
        arm.filter_collection("allow-https", 100, "Allow", [
            https_anywhere(),
            arm.net_rule("https-public", ["TCP"], [arm.NODE_CIDR], ["443"], ["0.0.0.0/0"])]),
        arm.filter_collection("deny-https", 200, "Deny", [https_anywhere("no-https")]))

    result = verdict(resources, tcp(443, ip(STORAGE_IP)))

    assert result.decision is Decision.ALLOW
    assert decided_by(result) == [label("allow-https", "https-anywhere")]
    assert candidates(result) == [label("allow-https", "https-anywhere")]


def test_matching_deny_collection_stops_processing() -> None:
    resources = with_collections(
        arm.filter_collection("deny-storage", 100, "Deny", [
            arm.net_rule("no-storage", ["TCP"], [arm.NODE_CIDR], ["443"], ["52.239.0.0/16"])]),
        arm.filter_collection("allow-https", 200, "Allow", [https_anywhere()]))

    blocked = verdict(resources, tcp(443, ip(STORAGE_IP)))
    other = verdict(resources, tcp(443, ip("52.240.0.1")))

    assert blocked.decision is Decision.DENY
    assert decided_by(blocked) == [label("deny-storage", "no-storage")]
    assert other.decision is Decision.ALLOW
    assert decided_by(other) == [label("allow-https", "https-anywhere")]


def test_equal_collection_priorities_keep_listing_order_without_interleaving_rules() -> None:
    # Two collections at priority 100: the first listed is processed whole before the second.
    # (The second rule of the first must not be ordered after the first rule of the second.)
    allow = arm.filter_collection("allow-listed-first", 100, "Allow", [
        arm.net_rule("ssh-bastion", ["TCP"], [arm.NODE_CIDR], ["22"], ["10.0.2.4"]), https_anywhere()])
    deny = arm.filter_collection("deny-listed-second", 100, "Deny", [https_anywhere("no-https")])

    allow_first = verdict(with_collections(allow, deny), tcp(443, ip(STORAGE_IP)))
    deny_first = verdict(with_collections(deny, allow), tcp(443, ip(STORAGE_IP)))

    assert allow_first.decision is Decision.ALLOW
    assert decided_by(allow_first) == [label("allow-listed-first", "https-anywhere")]
    assert deny_first.decision is Decision.DENY
    assert decided_by(deny_first) == [label("deny-listed-second", "no-https")]


def test_equal_group_priorities_keep_the_policys_listing_order() -> None:
    resources = with_collections(arm.filter_collection("allow-https", 100, "Allow", [https_anywhere()]))
    add_group(resources, "rcg-later", 300, [arm.filter_collection("deny-https", 100, "Deny", [
        https_anywhere("no-https")])])

    result = verdict(resources, tcp(443, ip(STORAGE_IP)))

    assert result.decision is Decision.ALLOW
    assert decided_by(result) == [label("allow-https", "https-anywhere")]


# -- base-policy inheritance ---------------------------------------------------------------------

def test_base_policy_network_collections_come_before_the_childs_whatever_the_priority() -> None:
    # The base's group has priority 65000, the child's tunnel rules 300: inherited still goes first.
    resources = with_base(arm.baseline(), [arm.filter_collection("deny-tunnel", 65000, "Deny", [
        arm.net_rule("no-udp-tunnel", ["UDP"], ["*"], ["1194"], ["AzureCloud"])])])

    result = verdict(resources, Flow("udp", 1194, API_SERVER))

    assert result.decision is Decision.DENY
    assert decided_by(result) == [label("deny-tunnel", "no-udp-tunnel", "rcg-base", "fwpol-base")]


def test_base_policy_application_collections_come_before_the_childs() -> None:
    resources = with_base(arm.baseline(), [arm.filter_collection("deny-registries", 65000, "Deny", [
        arm.app_rule("no-mcr", ["*"], fqdns=["mcr.microsoft.com"])])])

    result = verdict(resources, tcp(443, fqdn("mcr.microsoft.com")))

    assert result.decision is Decision.DENY
    assert decided_by(result) == [label("deny-registries", "no-mcr", "rcg-base", "fwpol-base")]


def test_child_network_rules_come_before_base_application_rules() -> None:
    resources = with_base(
        with_collections(arm.filter_collection("allow-web", 100, "Allow", [https_anywhere()])),
        [arm.filter_collection("deny-registries", 100, "Deny", [
            arm.app_rule("no-mcr", ["*"], fqdns=["mcr.microsoft.com"])])])

    result = verdict(resources, tcp(443, fqdn("mcr.microsoft.com")))

    assert result.decision is Decision.ALLOW
    assert decided_by(result) == [label("allow-web", "https-anywhere")]


def test_missing_base_policy_makes_what_the_readable_rules_would_allow_cannot_tell() -> None:
    resources = with_base(arm.baseline(), None)

    result = verdict(resources, tcp(443, fqdn("mcr.microsoft.com")))

    assert result.decision is Decision.CANNOT_TELL
    assert f"base policy fwpol-base ({BASE_ID}) is not in the snapshot" in result.reason
    assert result.notes == (f"base policy fwpol-base ({BASE_ID}) is not in the snapshot",)
    # The child's FQDN-tag rule would allow, but the base's rules come first and are unknown.
    assert decided_by(result) == [label("aks-app", "aks-fqdn-tag")]
    assert result.outcomes[0].uncertain[0].gap


def test_missing_rule_collection_group_does_not_undo_what_readable_earlier_rules_decide() -> None:
    resources = with_base(arm.baseline(), [arm.filter_collection("deny-ssh", 100, "Deny", [
        arm.net_rule("no-ssh", ["TCP"], ["*"], ["22"], ["*"])])])
    missing = f"{arm.POLICY_ID}/ruleCollectionGroups/rcg-platform"
    arm.find(resources, "fwpol-hub")["properties"]["ruleCollectionGroups"].append({"id": missing})

    ssh = verdict(resources, tcp(22, fqdn("github.com")))
    mcr = verdict(resources, tcp(443, fqdn("mcr.microsoft.com")))

    # The base policy's deny comes before anything the unreadable child group could hold.
    assert ssh.decision is Decision.DENY
    assert decided_by(ssh) == [label("deny-ssh", "no-ssh", "rcg-base", "fwpol-base")]
    # The child's own allow comes after the unreadable group (it could hold priority 100).
    assert mcr.decision is Decision.CANNOT_TELL
    assert f"rule collection group rcg-platform ({missing}) is not in the snapshot" in mcr.reason
    assert decided_by(mcr) == [label("aks-app", "aks-fqdn-tag")]


# -- network before application ------------------------------------------------------------------

def test_broad_network_allow_means_application_rules_are_never_consulted() -> None:
    resources = with_collections(
        arm.filter_collection("deny-web", 100, "Deny", [
            arm.app_rule("no-anything", [arm.NODE_CIDR], fqdns=["*"])]),
        arm.filter_collection("allow-all-out", 4000, "Allow", [
            arm.net_rule("any-any", ["Any"], ["*"], ["*"], ["*"])]))

    result = verdict(resources, tcp(443, fqdn("evil.example.net")))

    assert result.decision is Decision.ALLOW
    assert decided_by(result) == [label("allow-all-out", "any-any")]
    assert label("deny-web", "no-anything") not in candidates(result)


# -- default deny --------------------------------------------------------------------------------

def test_flow_no_rule_matches_is_denied_by_default() -> None:
    result = verdict(arm.baseline(), tcp(22, fqdn("github.com")))

    assert_default_deny(result)
    assert result.evidence()["parts"] == [
        {"sources": arm.NODE_CIDR, "action": "deny", "rule": DEFAULT_DENY}]


# -- IP groups -----------------------------------------------------------------------------------

def test_source_ip_group_expands_to_its_cidrs_and_ranges() -> None:
    resources = with_collections(arm.filter_collection("aks-net", 100, "Allow", [
        arm.net_rule("https-from-nodes", ["TCP"], [], ["443"], ["*"],
                     source_groups=[ip_group_id("ipg-aks-nodes")])]))
    resources.append(arm.ip_group(arm.HUB_SUB, arm.HUB_RG, "ipg-aks-nodes",
                                  ["10.20.0.0/23", "10.20.2.0-10.20.3.255"]))

    result = verdict(resources, tcp(443, ip(STORAGE_IP)))

    assert result.decision is Decision.ALLOW
    assert decided_by(result) == [label("aks-net", "https-from-nodes")]
    assert [str(o.sources) for o in result.outcomes] == [arm.NODE_CIDR]


@pytest.mark.parametrize(("destination", "denied"), [
    ("52.1.1.1", True), ("52.1.1.9", True), ("52.1.1.10", False), ("40.64.200.7", True)])
def test_destination_ip_group_expands_to_its_ranges_and_cidrs(destination: str, denied: bool) -> None:
    resources = with_collections(
        arm.filter_collection("deny-blocklist", 100, "Deny", [
            arm.net_rule("no-blocklisted", ["TCP"], [arm.NODE_CIDR], ["443"],
                         destination_groups=[ip_group_id("ipg-blocklist")])]),
        arm.filter_collection("allow-https", 200, "Allow", [https_anywhere()]))
    resources.append(arm.ip_group(arm.HUB_SUB, arm.HUB_RG, "ipg-blocklist",
                                  ["52.1.1.1-52.1.1.9", "40.64.0.0/16"]))

    result = verdict(resources, tcp(443, ip(destination)))

    if denied:
        assert result.decision is Decision.DENY
        assert decided_by(result) == [label("deny-blocklist", "no-blocklisted")]
    else:
        assert result.decision is Decision.ALLOW
        assert decided_by(result) == [label("allow-https", "https-anywhere")]


def test_missing_source_ip_group_is_cannot_tell() -> None:
    group = ip_group_id("ipg-aks-nodes")
    resources = with_collections(arm.filter_collection("aks-net", 100, "Allow", [
        arm.net_rule("https-from-nodes", ["TCP"], [], ["443"], ["*"], source_groups=[group])]))

    result = verdict(resources, tcp(443, ip(STORAGE_IP)))

    assert result.decision is Decision.CANNOT_TELL
    assert result.reason == (f"cannot tell: {label('aks-net', 'https-from-nodes')} references "
                             f"IP group ipg-aks-nodes ({group}) is not in the snapshot")
    assert decided_by(result) == []  # if the group does not hold the nodes: default deny
    assert candidates(result) == [label("aks-net", "https-from-nodes")]


def test_missing_destination_ip_group_in_a_deny_rule_is_cannot_tell() -> None:
    group = ip_group_id("ipg-blocklist")
    resources = with_collections(
        arm.filter_collection("deny-blocklist", 100, "Deny", [
            arm.net_rule("no-blocklisted", ["TCP"], [arm.NODE_CIDR], ["443"], destination_groups=[group])]),
        arm.filter_collection("allow-https", 200, "Allow", [https_anywhere()]))

    result = verdict(resources, tcp(443, ip(STORAGE_IP)))

    assert result.decision is Decision.CANNOT_TELL
    assert f"IP group ipg-blocklist ({group}) is not in the snapshot" in result.reason
    assert decided_by(result) == [label("allow-https", "https-anywhere")]
    assert candidates(result) == [label("deny-blocklist", "no-blocklisted"),
                                  label("allow-https", "https-anywhere")]


def test_readable_sources_decide_even_when_another_source_ip_group_is_missing() -> None:
    resources = with_collections(arm.filter_collection("aks-net", 100, "Allow", [
        arm.net_rule("https-out", ["TCP"], [arm.NODE_CIDR], ["443"], ["*"],
                     source_groups=[ip_group_id("ipg-retired")])]))

    result = verdict(resources, tcp(443, ip(STORAGE_IP)))

    assert result.decision is Decision.ALLOW
    assert decided_by(result) == [label("aks-net", "https-out")]


# -- ports and protocols -------------------------------------------------------------------------

@pytest.mark.parametrize(("ports", "port", "allowed"), [
    (["1190-1200"], 1190, True), (["1190-1200"], 1194, True), (["1190-1200"], 1200, True),
    (["1190-1200"], 1201, False), (["80", "443"], 443, True), (["80", "443"], 8080, False),
    (["*"], 65535, True), (["22", "8000-8080"], 8443, False), (["22", "8000-8080"], 8080, True)])
def test_destination_ports_by_list_range_and_star(ports: list[str], port: int, allowed: bool) -> None:
    resources = with_collections(arm.filter_collection("aks-net", 100, "Allow", [
        arm.net_rule("egress", ["TCP"], [arm.NODE_CIDR], ports, ["*"])]))

    result = verdict(resources, tcp(port, ip(STORAGE_IP)))

    if allowed:
        assert result.decision is Decision.ALLOW
        assert decided_by(result) == [label("aks-net", "egress")]
    else:
        assert_default_deny(result)


@pytest.mark.parametrize(("protocols", "flow_protocol", "allowed"), [
    (["TCP"], "tcp", True), (["TCP"], "udp", False), (["UDP"], "udp", True), (["UDP"], "tcp", False),
    (["ICMP"], "icmp", True), (["ICMP"], "tcp", False), (["TCP", "UDP"], "icmp", False),
    (["Any"], "tcp", True), (["Any"], "udp", True), (["Any"], "icmp", True)])
def test_protocols_tcp_udp_icmp_any(protocols: list[str], flow_protocol: str, allowed: bool) -> None:
    resources = with_collections(arm.filter_collection("aks-net", 100, "Allow", [
        arm.net_rule("egress", protocols, [arm.NODE_CIDR], ["53"], ["*"])]))
    # ICMP has no ports: the rule's port list does not constrain it.
    flow = Flow(flow_protocol, 0 if flow_protocol == "icmp" else 53, ip(STORAGE_IP))

    result = verdict(resources, flow)

    if allowed:
        assert result.decision is Decision.ALLOW
        assert decided_by(result) == [label("aks-net", "egress")]
    else:
        assert_default_deny(result)


@pytest.mark.parametrize(("protocols", "port", "allowed"), [
    ([("Https", 443)], 443, True), ([("Https", 443)], 80, False), ([("Http", 80)], 80, True),
    ([("Https", 8443)], 8443, True), ([("Http", 80), ("Https", 443)], 8443, False)])
def test_application_rules_match_on_protocol_and_port(protocols: list[tuple[str, int]], port: int,
                                                      allowed: bool) -> None:
    resources = with_collections(arm.filter_collection("aks-app", 100, "Allow", [
        arm.app_rule("github", [arm.NODE_CIDR], protocols, fqdns=["github.com"])]))

    result = verdict(resources, tcp(port, fqdn("github.com")))

    if allowed:
        assert result.decision is Decision.ALLOW
        assert decided_by(result) == [label("aks-app", "github")]
    else:
        assert_default_deny(result)


# -- sources -------------------------------------------------------------------------------------

@pytest.mark.parametrize("sources", [
    [arm.NODE_CIDR], ["10.0.0.0/8"], ["*"], ["10.20.0.0/23", "10.20.2.0/23"]])
def test_rule_whose_sources_contain_the_whole_node_subnet_allows_it(sources: list[str]) -> None:
    resources = with_collections(arm.filter_collection("aks-net", 100, "Allow", [
        https_anywhere("https-out", sources)]))

    result = verdict(resources, tcp(443, ip(STORAGE_IP)))

    assert result.decision is Decision.ALLOW
    assert decided_by(result) == [label("aks-net", "https-out")]


def test_rule_covering_part_of_the_node_subnet_leaves_the_rest_to_default_deny() -> None:
    resources = with_collections(arm.filter_collection("aks-net", 100, "Allow", [
        https_anywhere("https-out", ["10.20.0.0/23"])]))

    result = verdict(resources, tcp(443, ip(STORAGE_IP)))

    assert result.decision is Decision.DENY
    assert result.reason == f"denied for 10.20.2.0/23 by {DEFAULT_DENY}"
    assert decided_by(result) == [label("aks-net", "https-out")]
    assert result.evidence()["parts"] == [
        {"sources": "10.20.0.0/23", "action": "allow", "rule": label("aks-net", "https-out")},
        {"sources": "10.20.2.0/23", "action": "deny", "rule": DEFAULT_DENY}]


def test_no_source_addresses_is_cannot_tell_not_a_vacuous_allow() -> None:
    resources = with_collections(arm.filter_collection("aks-net", 100, "Allow", [https_anywhere()]))

    result = verdict(resources, tcp(443, ip(STORAGE_IP)), AddressSet())

    assert result.decision is Decision.CANNOT_TELL
    assert result.reason == "cannot tell: no source addresses to evaluate"
    assert decided_by(result) == []


# -- service tags and symbolic destinations ------------------------------------------------------

@pytest.mark.parametrize(("destination", "member"), [
    ("AzureCloud", True), (f"AzureCloud.{arm.REGION}", True), ("azurecloud.WestEurope", True),
    ("*", True), ("AzureCloud.northeurope", False)])
def test_api_server_is_in_azurecloud_and_its_region_only(destination: str, member: bool) -> None:
    resources = with_collections(arm.filter_collection("aks-net", 100, "Allow", [
        arm.net_rule("to-api", ["TCP"], [arm.NODE_CIDR], ["443"], [destination])]))

    result = verdict(resources, tcp(443, API_SERVER))

    if member:
        assert result.decision is Decision.ALLOW
        assert decided_by(result) == [label("aks-net", "to-api")]
    else:
        assert_default_deny(result)


@pytest.mark.parametrize("destination", ["AzureCloud", "Storage", "20.0.0.0/8"])
def test_fqdn_against_an_allowing_tag_or_cidr_is_allowed_either_way_naming_both(destination: str) -> None:
    resources = with_collections(
        arm.filter_collection("aks-net", 100, "Allow", [
            arm.net_rule("https-azure", ["TCP"], [arm.NODE_CIDR], ["443"], [destination])]),
        arm.filter_collection("aks-app", 200, "Allow", [
            arm.app_rule("aks-fqdn-tag", [arm.NODE_CIDR], fqdn_tags=["AzureKubernetesService"])]))

    result = verdict(resources, tcp(443, fqdn("mcr.microsoft.com")))

    assert result.decision is Decision.ALLOW
    assert decided_by(result) == [label("aks-app", "aks-fqdn-tag")]
    assert candidates(result) == [label("aks-net", "https-azure"), label("aks-app", "aks-fqdn-tag")]
    assert result.evidence()["parts"][0]["might_match_first"] == [label("aks-net", "https-azure")]


def test_fqdn_against_a_denying_service_tag_is_cannot_tell() -> None:
    resources = with_collections(
        arm.filter_collection("deny-azure", 100, "Deny", [
            arm.net_rule("no-azurecloud", ["TCP"], [arm.NODE_CIDR], ["443"], ["AzureCloud"])]),
        arm.filter_collection("aks-app", 200, "Allow", [
            arm.app_rule("aks-fqdn-tag", [arm.NODE_CIDR], fqdn_tags=["AzureKubernetesService"])]))

    result = verdict(resources, tcp(443, fqdn("mcr.microsoft.com")))

    assert result.decision is Decision.CANNOT_TELL
    assert result.reason == (f"cannot tell: {label('deny-azure', 'no-azurecloud')} (deny) names "
                             "destinations that might include mcr.microsoft.com, which cannot be known "
                             "offline")
    assert candidates(result) == [label("deny-azure", "no-azurecloud"), label("aks-app", "aks-fqdn-tag")]


def test_fqdn_against_an_allowing_service_tag_with_nothing_after_is_cannot_tell() -> None:
    resources = with_collections(arm.filter_collection("aks-net", 100, "Allow", [
        arm.net_rule("https-azure", ["TCP"], [arm.NODE_CIDR], ["443"], ["AzureCloud"])]))

    result = verdict(resources, tcp(443, fqdn("github.com")))

    # Inside AzureCloud: allowed; outside: default deny. Offline we cannot know which.
    assert result.decision is Decision.CANNOT_TELL
    assert label("aks-net", "https-azure") in result.reason
    assert decided_by(result) == []


def test_rule_naming_a_public_ip_cannot_be_related_to_the_api_server() -> None:
    resources = with_collections(arm.filter_collection("aks-net", 100, "Allow", [
        arm.net_rule("to-api-ip", ["TCP"], [arm.NODE_CIDR], ["443"], ["20.50.60.70"])]))

    result = verdict(resources, tcp(443, API_SERVER))

    assert result.decision is Decision.CANNOT_TELL
    assert result.reason == (f"cannot tell: {label('aks-net', 'to-api-ip')} (allow) names destinations "
                             f"that might include {API_FQDN}, which cannot be known offline")


def test_rule_naming_private_ranges_cannot_hold_a_public_api_server() -> None:
    resources = with_collections(arm.filter_collection("aks-net", 100, "Allow", [
        arm.net_rule("to-private", ["TCP"], [arm.NODE_CIDR], ["443"], ["10.0.0.0/8", "172.16.0.0/12"])]))

    assert_default_deny(verdict(resources, tcp(443, API_SERVER)))


# -- FQDN tags and target FQDNs ------------------------------------------------------------------

@pytest.mark.parametrize("destination", [
    fqdn("mcr.microsoft.com"), fqdn("westeurope.data.mcr.microsoft.com"), fqdn(API_FQDN), API_SERVER])
def test_aks_fqdn_tag_covers_its_documented_members(destination: Destination) -> None:
    result = verdict(arm.baseline(), tcp(443, destination))

    assert result.decision is Decision.ALLOW
    assert decided_by(result) == [label("aks-app", "aks-fqdn-tag")]


@pytest.mark.parametrize("name", [
    "github.com", "aks-prod-1a2b3c4d.privatelink.westeurope.azmk8s.io", "microsoft.com"])
def test_aks_fqdn_tag_does_not_cover_other_names(name: str) -> None:
    assert_default_deny(verdict(arm.baseline(), tcp(443, fqdn(name))))


@pytest.mark.parametrize(("pattern", "name", "matches"), [
    # `*.x` matches any subdomain, at any depth, but not the apex (Azure Firewall FAQ).
    ("*.blob.core.windows.net", "stprodlogs.blob.core.windows.net", True),
    ("*.blob.core.windows.net", "a.b.blob.core.windows.net", True),
    ("*.blob.core.windows.net", "blob.core.windows.net", False),
    ("*.blob.core.windows.net", "evilblob.core.windows.net", False),
    # `*x` matches anything ending in x, the apex and look-alikes included.
    ("*contoso.com", "contoso.com", True),
    ("*contoso.com", "www.contoso.com", True),
    ("*contoso.com", "anycontoso.com", True),
    ("*contoso.com", "contoso.com.evil.net", False),
    # No wildcard: exact, case-insensitive.
    ("www.contoso.com", "WWW.Contoso.com", True),
    ("www.contoso.com", "contoso.com", False),
    ("*", "anything.example.org", True),
])
def test_target_fqdn_wildcards(pattern: str, name: str, matches: bool) -> None:
    resources = with_collections(arm.filter_collection("aks-app", 100, "Allow", [
        arm.app_rule("target", [arm.NODE_CIDR], fqdns=[pattern])]))

    result = verdict(resources, tcp(443, fqdn(name)))

    if matches:
        assert result.decision is Decision.ALLOW
        assert decided_by(result) == [label("aks-app", "target")]
    else:
        assert_default_deny(result)


# -- network-rule FQDNs and DNS proxy ------------------------------------------------------------

def test_network_rule_fqdn_allows_when_dns_proxy_is_on() -> None:
    result = verdict(arm.baseline(), Flow("udp", 123, fqdn("ntp.ubuntu.com")))

    assert result.decision is Decision.ALLOW
    assert decided_by(result) == [label("aks-net", "ntp")]


def test_network_rule_fqdn_without_dns_proxy_is_not_a_confident_allow() -> None:
    resources = arm.baseline()
    arm.find(resources, "fwpol-hub")["properties"]["dnsSettings"]["enableProxy"] = False

    result = verdict(resources, Flow("udp", 123, fqdn("ntp.ubuntu.com")))

    # The firewall resolves the name itself; without the proxy the nodes may get other addresses.
    assert result.decision is Decision.CANNOT_TELL
    assert result.reason == (f"cannot tell: {label('aks-net', 'ntp')} (allow) names ntp.ubuntu.com in "
                             "destinationFqdns, but DNS proxy is off, so the firewall may resolve it to "
                             "other addresses than the nodes use")


def test_child_policy_without_dns_settings_inherits_the_base_policys_dns_proxy() -> None:
    resources = with_base(arm.baseline(), [])
    del arm.find(resources, "fwpol-hub")["properties"]["dnsSettings"]

    result = verdict(resources, Flow("udp", 123, fqdn("ntp.ubuntu.com")))

    assert result.decision is Decision.ALLOW
    assert decided_by(result) == [label("aks-net", "ntp")]


# -- classic rules -------------------------------------------------------------------------------

def classic_collection(section: str, name: str, priority: int, action: str, rules: list[Json]) -> Json:
    return {"name": name, "id": f"{arm.FW_ID}/{section}/{name}",
            "properties": {"priority": priority, "action": {"type": action}, "rules": rules,
                           "provisioningState": "Succeeded"}}


def classic_net_rule(name: str, protocols: list[str], sources: list[str], ports: list[str],
                     destinations: Sequence[str] = (), fqdns: Sequence[str] = ()) -> Json:
    return {"name": name, "protocols": protocols, "sourceAddresses": sources, "sourceIpGroups": [],
            "destinationAddresses": list(destinations), "destinationIpGroups": [],
            "destinationFqdns": list(fqdns), "destinationPorts": ports}


def classic_app_rule(name: str, sources: list[str], fqdns: Sequence[str] = (),
                     fqdn_tags: Sequence[str] = ()) -> Json:
    return {"name": name, "sourceAddresses": sources, "sourceIpGroups": [],
            "protocols": [{"protocolType": "Https", "port": 443}, {"protocolType": "Http", "port": 80}],
            "targetFqdns": list(fqdns), "fqdnTags": list(fqdn_tags)}


def classic_nat_rule(name: str, destination: str, port: str, translated: str) -> Json:
    return {"name": name, "protocols": ["TCP"], "sourceAddresses": ["*"], "sourceIpGroups": [],
            "destinationAddresses": [destination], "destinationPorts": [port],
            "translatedAddress": translated, "translatedPort": port}


def classic_firewall(net: list[Json] | None = None, app: list[Json] | None = None,
                     nat: list[Json] | None = None, dns_proxy: bool = True) -> list[Json]:
    """The baseline with its policy replaced by classic rule collections on the firewall."""
    resources = [r for r in arm.baseline() if not r["type"].startswith(POLICY_TYPE)
                 and r["type"] != "Microsoft.Network/azureFirewalls"]
    resources.append(arm.firewall(
        arm.HUB_SUB, arm.HUB_RG, "fw-hub", arm.FW_IP, arm.FW_SUBNET, arm.PIP_IDS, tier="Standard",
        additional={"Network.DNS.EnableProxy": "true"} if dns_proxy else {},
        classic={"networkRuleCollections": net or [], "applicationRuleCollections": app or [],
                 "natRuleCollections": nat or []}))
    return resources


def classic_net(name: str, priority: int, action: str, rules: list[Json]) -> Json:
    return classic_collection("networkRuleCollections", name, priority, action, rules)


def classic_app(name: str, priority: int, action: str, rules: list[Json]) -> Json:
    return classic_collection("applicationRuleCollections", name, priority, action, rules)


def classic_https_anywhere(name: str = "https-anywhere") -> Json:
    return classic_net_rule(name, ["TCP"], [arm.NODE_CIDR], ["443"], ["*"])


def test_classic_collections_are_processed_by_priority_not_listing_order() -> None:
    resources = classic_firewall(net=[
        classic_net("deny-https", 200, "Deny", [classic_https_anywhere("no-https")]),
        classic_net("allow-https", 100, "Allow", [classic_https_anywhere()])])

    result = verdict(resources, tcp(443, ip(STORAGE_IP)))

    assert result.decision is Decision.ALLOW
    assert decided_by(result) == [classic_label("allow-https", "https-anywhere")]


def test_classic_deny_collection_stops_processing() -> None:
    resources = classic_firewall(net=[
        classic_net("deny-storage", 100, "Deny", [
            classic_net_rule("no-storage", ["TCP"], ["*"], ["443"], ["52.239.0.0/16"])]),
        classic_net("allow-https", 200, "Allow", [classic_https_anywhere()])])

    result = verdict(resources, tcp(443, ip(STORAGE_IP)))

    assert result.decision is Decision.DENY
    assert decided_by(result) == [classic_label("deny-storage", "no-storage")]


def test_classic_network_allow_bypasses_a_classic_application_deny() -> None:
    resources = classic_firewall(
        net=[classic_net("allow-https", 4000, "Allow", [classic_https_anywhere()])],
        app=[classic_app("deny-registries", 100, "Deny", [
            classic_app_rule("no-mcr", ["*"], fqdns=["mcr.microsoft.com"])])])

    result = verdict(resources, tcp(443, fqdn("mcr.microsoft.com")))

    assert result.decision is Decision.ALLOW
    assert decided_by(result) == [classic_label("allow-https", "https-anywhere")]


def test_classic_application_rules_decide_when_no_network_rule_matches() -> None:
    resources = classic_firewall(app=[
        classic_app("allow-aks", 200, "Allow", [
            classic_app_rule("aks-fqdn-tag", [arm.NODE_CIDR], fqdn_tags=["AzureKubernetesService"])]),
        classic_app("deny-registries", 100, "Deny", [
            classic_app_rule("no-mcr", ["*"], fqdns=["mcr.microsoft.com"])])])

    mcr = verdict(resources, tcp(443, fqdn("mcr.microsoft.com")))
    api = verdict(resources, tcp(443, API_SERVER))
    other = verdict(resources, tcp(443, fqdn("github.com")))

    assert mcr.decision is Decision.DENY
    assert decided_by(mcr) == [classic_label("deny-registries", "no-mcr")]
    assert api.decision is Decision.ALLOW
    assert decided_by(api) == [classic_label("allow-aks", "aks-fqdn-tag")]
    assert_default_deny(other)


def test_classic_dnat_rules_come_before_classic_network_rules() -> None:
    resources = classic_firewall(
        net=[classic_net("deny-inbound", 100, "Deny", [
            classic_net_rule("no-https-in", ["TCP"], ["*"], ["443"], ["*"])])],
        nat=[classic_collection("natRuleCollections", "dnat-ingress", 500, "Dnat", [
            classic_nat_rule("https-to-ingress", "20.103.17.40", "443", "10.20.1.10")])])

    result = verdict(resources, tcp(443, ip("20.103.17.40")), addresses("203.0.113.0/24"))

    assert result.decision is Decision.ALLOW
    assert decided_by(result) == [classic_label("dnat-ingress", "https-to-ingress")]
    assert result.deciding_rules[0].action is Action.DNAT


@pytest.mark.parametrize(("dns_proxy", "decision"), [
    (True, Decision.ALLOW), (False, Decision.CANNOT_TELL)])
def test_classic_network_rule_fqdn_needs_the_firewalls_dns_proxy(dns_proxy: bool,
                                                                 decision: Decision) -> None:
    resources = classic_firewall(dns_proxy=dns_proxy, net=[
        classic_net("aks-net", 100, "Allow", [
            classic_net_rule("ntp", ["UDP"], [arm.NODE_CIDR], ["123"], fqdns=["ntp.ubuntu.com"])])])

    result = verdict(resources, Flow("udp", 123, fqdn("ntp.ubuntu.com")))

    assert result.decision is decision
    assert candidates(result) == [classic_label("aks-net", "ntp")]


# -- scale: the protocol/port index --------------------------------------------------------------

def test_evaluation_walks_only_the_rules_indexed_for_the_flows_protocol_and_port(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # 50 deny collections of 100 rules, one port per collection, then one catch-all allow.
    collections = [
        arm.filter_collection(f"deny-{c:02d}", 1000 + c, "Deny", [
            arm.net_rule(f"r{c}-{j}", ["TCP"], [arm.NODE_CIDR], [str(20000 + c)], [f"52.{c}.{j}.1"])
            for j in range(100)])
        for c in range(50)]
    collections.append(arm.filter_collection("allow-rest", 60000, "Allow", [
        arm.net_rule("any-tcp", ["TCP"], [arm.NODE_CIDR], ["*"], ["*"])]))
    topology = arm.topology(with_collections(*collections))
    firewall = topology.firewall(arm.FW_ID)
    assert firewall is not None
    ruleset = ruleset_for(topology, firewall)
    assert len(ruleset.rules) == 5001

    index_checks, destination_checks = [0], [0]
    real_index_check = evaluator_module._protocol_port_match
    real_destination_match = Evaluator._destination_match

    def counting_index_check(rule: Rule, flow: Flow) -> bool:
        index_checks[0] += 1
        return real_index_check(rule, flow)

    def counting_destination_match(self: Evaluator, rule: Rule, flow: Flow) -> Any:
        destination_checks[0] += 1
        return real_destination_match(self, rule, flow)

    monkeypatch.setattr(evaluator_module, "_protocol_port_match", counting_index_check)
    monkeypatch.setattr(Evaluator, "_destination_match", counting_destination_match)

    # 200 flows over four ports: flows 0-99 hit a deny rule, 100-199 fall through to the catch-all.
    results = []
    for k in range(200):
        c, j, host = k % 4, k % 100, 1 if k < 100 else 2
        results.append(evaluate_flow(topology, firewall, tcp(20000 + c, ip(f"52.{c}.{j}.{host}")), NODES))

    evaluator = evaluator_for(topology, ruleset)
    assert sorted(evaluator._candidates) == [("tcp", 20000 + c) for c in range(4)]
    assert all(len(rules) == 101 for rules in evaluator._candidates.values())
    # The index is built once per (protocol, port), not once per flow ...
    assert index_checks[0] == 4 * len(ruleset.rules)
    # ... and each flow looks only at its port's 101 candidates, not at all 5,001 rules.
    assert destination_checks[0] <= 200 * 101
    assert results[5].decision is Decision.DENY
    assert decided_by(results[5]) == [label("deny-01", "r1-5")]
    assert results[150].decision is Decision.ALLOW
    assert decided_by(results[150]) == [label("allow-rest", "any-tcp")]


def test_many_rules_that_might_match_are_all_evidence_but_the_reason_names_the_first_five() -> None:
    maybes = [arm.net_rule(f"no-tag-{n:03d}", ["TCP"], [arm.NODE_CIDR], ["443"],
                           [f"AzureCloud.region{n:03d}"]) for n in range(300)]
    resources = with_collections(
        arm.filter_collection("deny-regions", 100, "Deny", maybes),
        arm.filter_collection("allow-https", 200, "Allow", [https_anywhere()]))

    result = verdict(resources, tcp(443, fqdn("github.com")))

    assert result.decision is Decision.CANNOT_TELL
    assert decided_by(result) == [label("allow-https", "https-anywhere")]
    assert len(result.candidate_rules) == 301
    assert result.outcomes[0].uncertain[0].name == "no-tag-000"  # processing order kept
    assert result.outcomes[0].uncertain[-1].name == "no-tag-299"
    assert label("deny-regions", "no-tag-004") in result.reason
    assert label("deny-regions", "no-tag-005") not in result.reason
    assert result.reason.endswith("; and 295 more")


def test_dns_proxy_is_unknown_when_the_child_leaves_it_unset_and_the_base_is_unreadable() -> None:
    from aksfw_tui.firewall.rules import ruleset_for

    base_id = arm.rid(arm.HUB_SUB, arm.HUB_RG, "Microsoft.Network/firewallPolicies", "fwpol-missing-base")
    resources = arm.baseline()
    child = arm.find(resources, "fwpol-hub")["properties"]
    del child["dnsSettings"]
    child["basePolicy"] = {"id": base_id}
    topology = arm.topology(resources)
    firewall = topology.firewall(arm.FW_ID)
    assert firewall is not None
    assert ruleset_for(topology, firewall).dns_proxy is None
    del child["basePolicy"]  # a complete chain that never sets it: off
    topology = arm.topology(resources)
    firewall = topology.firewall(arm.FW_ID)
    assert firewall is not None
    assert ruleset_for(topology, firewall).dns_proxy is False
