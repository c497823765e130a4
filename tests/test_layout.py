"""The Topology screen's headless content: the containment tree, its finding badges, and a
cluster's egress and ingress paths drawn as text."""

from __future__ import annotations

import copy

from aksfw_tui.audit import audit
from aksfw_tui.checks import network_policy, outbound_type
from aksfw_tui.checks.base import Severity
from aksfw_tui.model.resources import Cluster
from aksfw_tui.model.topology import Topology
from aksfw_tui.report.layout import (
    NodeKind,
    PathStatus,
    PathStep,
    StepKind,
    TreeNode,
    cluster_for,
    cluster_paths,
    containment_tree,
    egress_path,
    ingress_paths,
    render_path,
    with_badges,
)
from aksfw_tui.sources.snapshot import ArmSnapshot
from tests import arm
from tests import arm_ingress as ing

BASE_POLICY_ID = arm.rid(arm.HUB_SUB, arm.HUB_RG, "Microsoft.Network/firewallPolicies", "fwpol-base")
SUB_LABEL = {arm.HUB_SUB: f"subscription {arm.HUB_SUB}", arm.SPOKE_SUB: f"subscription {arm.SPOKE_SUB}"}
EXPECTED_EGRESS = ("snet-aks-nodes (10.20.0.0/22) → rt-aks → 0.0.0.0/0 → VirtualAppliance 10.0.1.4 → "
                   "firewall fw-hub → policy fwpol-hub → Internet")


def _aks_prod(topology: Topology) -> Cluster:
    return next(c for c in topology.clusters if c.name == "aks-prod")


def _descend(tree: TreeNode, *labels: str) -> TreeNode:
    """The node reached by following child labels from `tree`; fails naming the missing step."""
    node = tree
    for label in labels:
        found = node.child(label)
        assert found is not None, f"{label!r} not under {node.label!r}: {[c.label for c in node.children]}"
        node = found
    return node


def _with_gateway(mode: str = "Prevention") -> list[arm.Json]:
    resources = arm.baseline()
    ing.add_appgw_subnet(resources)
    resources += [ing.internal_lb(), ing.waf_policy(mode), *ing.app_gateway([{"ipAddress": ing.ILB_IP}])]
    return resources


def _egress_lines(resources: list[arm.Json]) -> list[str]:
    topology = arm.topology(resources)
    return [p.text for p in egress_path(topology, _aks_prod(topology))]


def _node_subnet(resources: list[arm.Json]) -> arm.Json:
    spoke = arm.find(resources, "vnet-spoke")
    return next(s for s in spoke["properties"]["subnets"] if s["name"] == "snet-aks-nodes")


def _default_route(resources: list[arm.Json]) -> arm.Json:
    return arm.find(resources, "rt-aks")["properties"]["routes"][0]["properties"]


def _add_base_policy(resources: list[arm.Json]) -> None:
    resources.append(arm.policy(arm.HUB_SUB, arm.HUB_RG, "fwpol-base"))
    arm.find(resources, "fwpol-hub")["properties"]["basePolicy"] = {"id": BASE_POLICY_ID}


# -- the tree ------------------------------------------------------------------------------------


def test_tree_chains_subscription_vnet_subnet_and_node_pools() -> None:
    tree = containment_tree(arm.topology(arm.baseline()))
    assert tree.kind is NodeKind.ROOT and tree.label == "Azure (export)"
    subnet = _descend(tree, SUB_LABEL[arm.SPOKE_SUB], "vnet-spoke (10.20.0.0/16)",
                      "snet-aks-nodes (10.20.0.0/22, rt-aks)")
    assert subnet.kind is NodeKind.SUBNET and subnet.resource_id == arm.NODE_SUBNET
    pools = [c for c in subnet.children if c.kind is NodeKind.NODE_POOL]
    assert [p.label for p in pools] == ["aks-prod/system", "aks-prod/user"]
    # A node pool stands for its cluster: findings and paths are the cluster's.
    cluster_id = arm.find(arm.baseline(), "aks-prod")["id"]
    assert {p.resource_id for p in pools} == {cluster_id}


def test_subscriptions_are_sorted_and_each_vnet_lists_its_peering() -> None:
    tree = containment_tree(arm.topology(arm.baseline()))
    assert [c.label for c in tree.children] == sorted(SUB_LABEL.values())
    hub = _descend(tree, SUB_LABEL[arm.HUB_SUB], "vnet-hub (10.0.0.0/16)")
    assert [c.label for c in hub.children] == ["AzureFirewallSubnet (10.0.1.0/26)", "⇄ vnet-spoke (Connected)"]


def test_firewall_sits_under_azure_firewall_subnet_with_its_public_ips_and_policy_chain() -> None:
    resources = arm.baseline()
    _add_base_policy(resources)
    tree = containment_tree(arm.topology(resources))
    firewall = _descend(tree, SUB_LABEL[arm.HUB_SUB], "vnet-hub (10.0.0.0/16)",
                        "AzureFirewallSubnet (10.0.1.0/26)", "fw-hub (10.0.1.4, Premium)")
    assert firewall.kind is NodeKind.FIREWALL and firewall.resource_id == arm.FW_ID
    assert [c.label for c in firewall.children] == [
        "policy fwpol-hub", "pip-fw-hub-01 (20.103.17.40)", "pip-fw-hub-02 (20.103.17.41)"]
    assert _descend(firewall, "policy fwpol-hub", "base policy fwpol-base").kind is NodeKind.FIREWALL_POLICY
    # Used as a base, fwpol-base is not an orphan: the hub subscription has no 'other' node.
    assert [c.kind for c in _descend(tree, SUB_LABEL[arm.HUB_SUB]).children] == [NodeKind.VNET]


def test_gateway_internal_frontend_and_public_frontend_are_placed_where_they_sit() -> None:
    resources = _with_gateway() + ing.public_lb()
    spoke = _descend(containment_tree(arm.topology(resources)), SUB_LABEL[arm.SPOKE_SUB])
    vnet = _descend(spoke, "vnet-spoke (10.20.0.0/16)")
    gateway = _descend(vnet, "snet-appgw (10.20.8.0/24)", "agw-aks (WAF_v2, WAF prevention)")
    assert [c.label for c in gateway.children] == [f"pip-agw-aks ({ing.APPGW_PIP})"]
    nodes = _descend(vnet, "snet-aks-nodes (10.20.0.0/22, rt-aks)")
    assert f"kubernetes-internal/b7c8d9e0f1a2 ({ing.ILB_IP})" in [c.label for c in nodes.children]
    other = _descend(spoke, "other (in no VNet of the snapshot)")
    assert [c.label for c in other.children] == [
        f"kubernetes/a1b2c3d4e5f6 (public {ing.LB_PIP}, rules: a1b2c3d4e5f6-TCP-443)"]


def test_what_runs_in_no_vnet_of_the_snapshot_is_listed_under_other() -> None:
    resources = arm.baseline()
    resources.append(arm.cluster(arm.SPOKE_SUB, arm.SPOKE_RG, "aks-dev", [arm.pool("system", None)],
                                 outbound_type="loadBalancer"))
    resources.append(arm.policy(arm.HUB_SUB, arm.HUB_RG, "fwpol-unused"))
    arm.find(resources, "aks-prod")["properties"]["agentPoolProfiles"][1]["vnetSubnetID"] = (
        f"{arm.SPOKE_VNET}/subnets/snet-gone")
    tree = containment_tree(arm.topology(resources))
    spoke_other = _descend(tree, SUB_LABEL[arm.SPOKE_SUB], "other (in no VNet of the snapshot)")
    assert [c.label for c in spoke_other.children] == [
        "aks-dev/system (AKS-managed VNet)", "aks-prod/user (subnet snet-gone not in the snapshot)"]
    hub_other = _descend(tree, SUB_LABEL[arm.HUB_SUB], "other (in no VNet of the snapshot)")
    assert [c.label for c in hub_other.children] == ["policy fwpol-unused (no firewall in the snapshot uses it)"]


def test_subnet_label_says_when_its_route_table_is_missing_and_names_its_nat_gateway() -> None:
    resources = [r for r in arm.baseline() if r["name"] != "rt-aks"]
    natgw = arm.rid(arm.SPOKE_SUB, arm.SPOKE_RG, "Microsoft.Network/natGateways", "natgw-aks")
    _node_subnet(resources)["properties"]["natGateway"] = {"id": natgw}
    tree = containment_tree(arm.topology(resources))
    _descend(tree, SUB_LABEL[arm.SPOKE_SUB], "vnet-spoke (10.20.0.0/16)",
             "snet-aks-nodes (10.20.0.0/22, rt-aks not in the snapshot, NAT gateway natgw-aks)")


def test_tree_does_not_depend_on_the_export_order_and_keys_are_unique() -> None:
    resources = _with_gateway() + ing.public_lb()
    _add_base_policy(resources)
    forward = containment_tree(arm.topology(resources))
    backward = containment_tree(arm.topology(list(reversed(copy.deepcopy(resources)))))
    assert forward == backward
    keys = [node.key for node in forward.walk()]
    assert len(keys) == len(set(keys))


def test_badges_count_each_subject_once_up_the_tree() -> None:
    resources = arm.baseline()
    arm.find(resources, "aks-prod")["properties"]["networkProfile"]["outboundType"] = "loadBalancer"
    snapshot = ArmSnapshot(source={"kind": "export"})
    for resource in resources:
        snapshot.add(resource)
    topology, findings = audit(snapshot, [outbound_type.CHECK, network_policy.CHECK])
    tree = with_badges(containment_tree(topology), findings)
    subnet = _descend(tree, SUB_LABEL[arm.SPOKE_SUB], "vnet-spoke (10.20.0.0/16)",
                      "snet-aks-nodes (10.20.0.0/22, rt-aks)")
    system = _descend(subnet, "aks-prod/system")
    assert system.badge is not None
    assert (system.badge.fail, system.badge.passed, system.badge.worst) == (1, 1, Severity.HIGH)
    assert system.badge.text == "✘1"
    # Two node pools of one cluster: the subnet still counts the cluster's findings once.
    assert subnet.badge == system.badge and tree.badge == system.badge
    firewall = _descend(tree, SUB_LABEL[arm.HUB_SUB], "vnet-hub (10.0.0.0/16)",
                        "AzureFirewallSubnet (10.0.1.0/26)", "fw-hub (10.0.1.4, Premium)")
    assert firewall.badge is None  # cluster checks only: nothing about the firewall
    assert cluster_for(topology, system) is _aks_prod(topology)
    assert cluster_for(topology, firewall) is None


# -- egress --------------------------------------------------------------------------------------


def test_egress_through_the_firewall_is_drawn_subnet_to_internet() -> None:
    topology = arm.topology(arm.baseline())
    (path,) = egress_path(topology, _aks_prod(topology))
    assert path.text == EXPECTED_EGRESS
    assert path.status is PathStatus.OK
    assert path.title == "egress of aks-prod/system+user"
    assert path.steps[2].detail == "default-to-fw"  # the route's name, left off the line
    assert path.steps[-1].detail == "SNAT to 20.103.17.40, 20.103.17.41"


def test_egress_shows_the_base_policy_after_the_firewall_policy() -> None:
    resources = arm.baseline()
    _add_base_policy(resources)
    assert _egress_lines(resources) == [EXPECTED_EGRESS.replace(
        "policy fwpol-hub →", "policy fwpol-hub → base policy fwpol-base →")]


def test_a_subnet_without_route_table_breaks_straight_to_the_internet() -> None:
    resources = arm.baseline()
    del _node_subnet(resources)["properties"]["routeTable"]
    topology = arm.topology(resources)
    (path,) = egress_path(topology, _aks_prod(topology))
    assert path.text == "snet-aks-nodes (10.20.0.0/22) → no route table → Internet directly"
    assert path.status is PathStatus.BROKEN
    assert "has no route table" in path.reason
    assert [s.status for s in path.steps] == [PathStatus.OK, PathStatus.BROKEN, PathStatus.BROKEN]


def test_the_break_goes_through_the_subnets_nat_gateway_when_it_has_one() -> None:
    resources = arm.baseline()
    natgw = arm.rid(arm.SPOKE_SUB, arm.SPOKE_RG, "Microsoft.Network/natGateways", "natgw-aks")
    properties = _node_subnet(resources)["properties"]
    del properties["routeTable"]
    properties["natGateway"] = {"id": natgw}
    assert _egress_lines(resources) == [
        "snet-aks-nodes (10.20.0.0/22) → no route table → NAT gateway natgw-aks → Internet directly"]


def test_a_route_table_without_default_route_breaks_after_the_table() -> None:
    resources = arm.baseline()
    arm.find(resources, "rt-aks")["properties"]["routes"] = [
        arm.route("to-hub", "10.0.0.0/16", "VirtualAppliance", arm.FW_IP)]
    assert _egress_lines(resources) == [
        "snet-aks-nodes (10.20.0.0/22) → rt-aks → no 0.0.0.0/0 route → Internet directly"]


def test_a_default_route_to_the_internet_ends_at_that_next_hop() -> None:
    resources = arm.baseline()
    _default_route(resources).update(nextHopType="Internet")
    del _default_route(resources)["nextHopIpAddress"]
    topology = arm.topology(resources)
    (path,) = egress_path(topology, _aks_prod(topology))
    assert path.text == "snet-aks-nodes (10.20.0.0/22) → rt-aks → 0.0.0.0/0 → Internet"
    assert path.status is PathStatus.BROKEN and path.steps[-1].kind is StepKind.NEXT_HOP


def test_a_next_hop_no_firewall_owns_inside_a_seen_vnet_is_not_a_firewall() -> None:
    resources = arm.baseline()
    _default_route(resources)["nextHopIpAddress"] = "10.0.1.10"
    topology = arm.topology(resources)
    (path,) = egress_path(topology, _aks_prod(topology))
    assert path.text.endswith("→ 0.0.0.0/0 → VirtualAppliance 10.0.1.10 → not an Azure Firewall")
    assert path.status is PathStatus.BROKEN


def test_a_next_hop_outside_every_vnet_of_the_snapshot_is_unknown() -> None:
    resources = arm.baseline()
    _default_route(resources)["nextHopIpAddress"] = "10.99.0.4"
    topology = arm.topology(resources)
    (path,) = egress_path(topology, _aks_prod(topology))
    assert path.text.endswith("→ VirtualAppliance 10.99.0.4 → outside every VNet in the snapshot")
    assert path.status is PathStatus.UNKNOWN
    assert "whether it is a firewall could not be seen" in path.reason


def test_a_missing_route_table_leaves_the_path_unknown() -> None:
    resources = [r for r in arm.baseline() if r["name"] != "rt-aks"]
    topology = arm.topology(resources)
    (path,) = egress_path(topology, _aks_prod(topology))
    assert path.text == "snet-aks-nodes (10.20.0.0/22) → rt-aks (not in the snapshot)"
    assert path.status is PathStatus.UNKNOWN
    assert "route table rt-aks" in path.reason and "not in the snapshot" in path.reason


def test_routes_around_the_firewall_get_their_own_broken_paths() -> None:
    resources = arm.baseline()
    arm.find(resources, "rt-aks")["properties"]["routes"] += [
        arm.route("half-1", "0.0.0.0/1", "Internet"), arm.route("half-2", "128.0.0.0/1", "Internet")]
    topology = arm.topology(resources)
    main, *bypass = egress_path(topology, _aks_prod(topology))
    assert main.text == EXPECTED_EGRESS and main.status is PathStatus.OK
    assert [p.text for p in bypass] == [
        "snet-aks-nodes (10.20.0.0/22) → rt-aks → 0.0.0.0/1 → Internet",
        "snet-aks-nodes (10.20.0.0/22) → rt-aks → 128.0.0.0/1 → Internet"]
    assert all(p.status is PathStatus.BROKEN for p in bypass)
    assert bypass[0].reason == ("route half-1 (0.0.0.0/1) in rt-aks sends these destinations to Internet, "
                                "around firewall fw-hub")


def test_pools_on_the_aks_managed_vnet_egress_by_the_outbound_type() -> None:
    resources = arm.baseline()
    resources.append(arm.cluster(arm.SPOKE_SUB, arm.SPOKE_RG, "aks-dev", [arm.pool("system", None)],
                                 outbound_type="loadBalancer"))
    topology = arm.topology(resources)
    dev = next(c for c in topology.clusters if c.name == "aks-dev")
    (path,) = egress_path(topology, dev)
    assert path.text == "aks-dev/system → AKS-managed VNet → outboundType loadBalancer → Internet directly"
    assert path.status is PathStatus.BROKEN


# -- ingress -------------------------------------------------------------------------------------


def test_ingress_through_an_app_gateway_in_prevention_is_drawn_from_the_internet() -> None:
    topology = arm.topology(_with_gateway())
    (path,) = ingress_paths(topology, _aks_prod(topology))
    assert path.text == (f"Internet → pip-agw-aks ({ing.APPGW_PIP}) → agw-aks/listener-https → "
                         f"waf-aks (prevention) → pool-aks: {ing.ILB_IP} (kubernetes-internal/b7c8d9e0f1a2) "
                         "→ aks-prod")
    assert path.status is PathStatus.OK
    assert path.title == f"App Gateway entry {ing.APPGW_PIP} (listener-https)"


def test_an_entry_without_prevention_waf_is_broken_with_the_reason() -> None:
    topology = arm.topology(_with_gateway("Detection") + ing.public_lb())
    paths = ingress_paths(topology, _aks_prod(topology))
    assert [(p.title, p.status) for p in paths] == [
        (f"App Gateway entry {ing.APPGW_PIP} (listener-https)", PathStatus.BROKEN),
        (f"public load balancer entry {ing.LB_PIP}", PathStatus.BROKEN)]
    assert paths[0].reason == "WAF policy waf-aks is in Detection mode"
    assert paths[1].text == (f"Internet → kubernetes-a1b2c3d4e5f6 ({ing.LB_PIP}) → kubernetes/a1b2c3d4e5f6 → "
                             "rules: a1b2c3d4e5f6-TCP-443 → aks-prod")


def test_a_dnat_to_the_internal_load_balancer_is_an_entry_through_the_firewall() -> None:
    resources = [*arm.baseline(), ing.internal_lb()]
    ing.add_dnat(resources, ing.ILB_IP)
    topology = arm.topology(resources)
    (path,) = ingress_paths(topology, _aks_prod(topology))
    assert path.text == ("Internet → 20.103.17.40 on fw-hub → DNAT fwpol-hub › rcg-dnat › publish-aks › "
                         f"shop-https → {ing.ILB_IP} (kubernetes-internal/b7c8d9e0f1a2) → aks-prod")
    assert path.status is PathStatus.BROKEN


def test_cluster_paths_lines_say_when_there_is_no_public_entry() -> None:
    topology = arm.topology(arm.baseline())
    assert cluster_paths(topology, _aks_prod(topology)).lines() == [
        "Egress", "  ✔ egress of aks-prod/system+user", f"    {EXPECTED_EGRESS}",
        "Ingress", "  no public entry to aks-prod"]


def test_cluster_paths_lines_list_what_could_not_be_read() -> None:
    resources = arm.baseline()
    _default_route(resources)["nextHopIpAddress"] = "10.99.0.4"
    topology = arm.topology(resources)
    lines = cluster_paths(topology, _aks_prod(topology)).lines()
    assert lines[1] == "  ? egress of aks-prod/system+user"
    assert "no public entry to aks-prod" not in "\n".join(lines)
    assert lines[-1].startswith("  ? could not be read: the cluster's firewall is unknown")


def test_render_path_joins_labels_with_arrows() -> None:
    steps = [PathStep("a", StepKind.SUBNET), PathStep("b", StepKind.ROUTE_TABLE),
             PathStep("c", StepKind.INTERNET)]
    assert render_path(steps) == "a → b → c"
    assert render_path([]) == ""
