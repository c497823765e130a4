"""Merging (issue: no pass without evidence, item 3): duplicates, stubs and loose child resources."""

from __future__ import annotations

import copy

from aksfw_tui.checks import by_id
from aksfw_tui.checks.base import Status
from aksfw_tui.sources.snapshot import merge_children, merge_duplicates
from tests import arm

DNS_PROXY = by_id("dns-proxy")
OUTBOUND = by_id("outbound-type")
ZONES = by_id("zone-spread")


def _stub(resource: arm.Json) -> arm.Json:
    return {k: resource[k] for k in ("id", "type", "name")}


def test_a_stub_never_replaces_the_full_object_before_or_after_it() -> None:
    vnet = arm.find(arm.baseline(), "vnet-spoke")
    for order in ([vnet, _stub(vnet)], [_stub(vnet), vnet]):
        kept, warnings = merge_duplicates(copy.deepcopy(order))
        assert kept == [vnet] and warnings == []


def test_two_different_full_copies_keep_the_later_and_say_so() -> None:
    vnet = arm.find(arm.baseline(), "vnet-spoke")
    later = copy.deepcopy(vnet)
    later["properties"]["dhcpOptions"] = {"dnsServers": ["10.9.9.9"]}
    kept, warnings = merge_duplicates([vnet, later])
    assert kept == [later]
    assert warnings == [f"{vnet['id']}: two different copies; the later one was kept"]


def test_a_stub_of_the_spoke_vnet_after_it_keeps_dns_proxy_passing_on_what_was_read() -> None:
    resources = arm.baseline()
    resources.append(_stub(arm.find(resources, "vnet-spoke")))
    result = arm.finding(resources, DNS_PROXY, "fw-hub")
    assert result.status is Status.PASS
    assert "vnet-spoke" in result.result.message


def test_a_subnet_exported_on_its_own_belongs_to_its_vnet() -> None:
    resources = arm.baseline()
    spoke = arm.find(resources, "vnet-spoke")
    subnet = spoke["properties"]["subnets"].pop()
    resources.append(subnet)
    assert arm.finding(resources, OUTBOUND, "aks-prod").status is Status.PASS
    spoke["properties"]["subnets"] = None  # the VNet's own list unread: the loose subnet still counts
    assert arm.finding(resources, OUTBOUND, "aks-prod").status is Status.PASS


def test_a_rule_collection_group_the_policy_does_not_list_still_belongs_to_it() -> None:
    resources = arm.baseline()
    arm.find(resources, "fwpol-hub")["properties"]["ruleCollectionGroups"] = []
    result = arm.finding(resources, by_id("tunnel-ports"), "aks-prod")
    assert result.status is Status.PASS  # the tunnel rules are in rcg-aks, in the export


def test_a_loose_route_joins_its_route_table() -> None:
    resources = arm.baseline()
    table = arm.find(resources, "rt-aks")
    bypass = arm.route("bypass-low", "0.0.0.0/1", "Internet")
    bypass |= {"id": f"{table['id']}/routes/bypass-low",
               "type": "Microsoft.Network/routeTables/routes"}
    resources.append(bypass)
    result = arm.finding(resources, OUTBOUND, "aks-prod")
    assert result.status is Status.FAIL
    assert "bypass-low" in result.result.message


def test_a_loose_agent_pool_joins_its_cluster() -> None:
    resources = arm.baseline()
    cluster = arm.find(resources, "aks-prod")
    pool = {"id": f"{cluster['id']}/agentPools/spot", "name": "spot",
            "type": "Microsoft.ContainerService/managedClusters/agentPools",
            "properties": {"mode": "User", "count": 2, "vnetSubnetID": arm.NODE_SUBNET,
                           "osType": "Linux"}}  # no availabilityZones: one zone at most
    resources.append(pool)
    result = arm.finding(resources, ZONES, "aks-prod")
    assert result.status is Status.FAIL
    assert "spot" in result.result.message


def test_merging_children_copies_and_leaves_unread_lists_unread() -> None:
    resources = arm.baseline()
    table = arm.find(resources, "rt-aks")
    table["properties"]["routes"] = None
    loose = arm.route("default-to-fw", "0.0.0.0/0", "VirtualAppliance", arm.FW_IP)
    loose |= {"id": f"{table['id']}/routes/default-to-fw", "type": "Microsoft.Network/routeTables/routes"}
    merged = merge_children([*resources, loose])
    assert arm.find(merged, "rt-aks")["properties"]["routes"] is None
    assert arm.finding([*resources, loose], OUTBOUND, "aks-prod").status is Status.UNKNOWN
