"""outbound-type: pass, fail (each way it can fail), unknown."""

from aksfw_tui.checks.base import Status
from aksfw_tui.checks.outbound_type import CHECK
from tests import arm


def test_passes_when_udr_and_default_route_to_firewall() -> None:
    result = arm.finding(arm.baseline(), CHECK, "aks-prod")
    assert result.status is Status.PASS
    assert result.result.evidence["node_subnets"][0]["firewall"] == arm.FW_ID


def test_fails_with_load_balancer_outbound_type() -> None:
    resources = arm.baseline()
    arm.find(resources, "aks-prod")["properties"]["networkProfile"]["outboundType"] = "loadBalancer"
    result = arm.finding(resources, CHECK, "aks-prod")
    assert result.status is Status.FAIL
    assert "outboundType is loadBalancer" in result.result.message
    assert result.result.remediation is not None
    assert any("--outbound-type userDefinedRouting" in c for c in result.result.remediation.az_cli)


def test_fails_when_default_route_points_at_an_ip_that_is_no_firewall() -> None:
    resources = arm.baseline()
    arm.find(resources, "rt-aks")["properties"]["routes"][0]["properties"]["nextHopIpAddress"] = "10.0.1.10"
    result = arm.finding(resources, CHECK, "aks-prod")
    assert result.status is Status.FAIL
    assert "10.0.1.10 lies in vnet-hub but no Azure Firewall there owns it" in result.result.message
    # the fix points at the real firewall, by its private IP
    assert any("--next-hop-ip-address 10.0.1.4" in c for c in result.result.remediation.az_cli)


def test_unknown_when_next_hop_lies_outside_every_vnet_in_the_snapshot() -> None:
    resources = arm.baseline()
    arm.find(resources, "rt-aks")["properties"]["routes"][0]["properties"]["nextHopIpAddress"] = "10.100.0.4"
    result = arm.finding(resources, CHECK, "aks-prod")
    assert result.status is Status.UNKNOWN
    assert "10.100.0.4 lies outside every VNet in the snapshot" in result.result.message


def test_unknown_when_route_table_is_missing_from_export() -> None:
    resources = [r for r in arm.baseline() if r["name"] != "rt-aks"]
    result = arm.finding(resources, CHECK, "aks-prod")
    assert result.status is Status.UNKNOWN
    assert "route table rt-aks" in result.result.message and "not in the snapshot" in result.result.message


def test_fails_when_split_default_routes_bypass_the_firewall() -> None:
    resources = arm.baseline()
    routes = arm.find(resources, "rt-aks")["properties"]["routes"]
    routes += [arm.route("half-1", "0.0.0.0/1", "Internet"), arm.route("half-2", "128.0.0.0/1", "Internet")]
    result = arm.finding(resources, CHECK, "aks-prod")
    assert result.status is Status.FAIL
    assert "route half-1 (0.0.0.0/1 → Internet)" in result.result.message
    assert "route half-2" in result.result.message


def test_firewall_public_ip_return_route_is_not_a_bypass() -> None:
    resources = arm.baseline()
    routes = arm.find(resources, "rt-aks")["properties"]["routes"]
    routes.append(arm.route("fw-return", "20.103.17.41/32", "Internet"))
    routes.append(arm.route("onprem", "172.16.0.0/12", "VirtualNetworkGateway"))
    assert arm.finding(resources, CHECK, "aks-prod").status is Status.PASS


def test_fails_when_subnet_has_no_route_table() -> None:
    resources = arm.baseline()
    del arm.find(resources, "vnet-spoke")["properties"]["subnets"][0]["properties"]["routeTable"]
    result = arm.finding(resources, CHECK, "aks-prod")
    assert result.status is Status.FAIL
    assert "has no route table" in result.result.message


def test_fails_on_aks_managed_vnet_even_with_udr_declared() -> None:
    resources = arm.baseline()
    for p in arm.find(resources, "aks-prod")["properties"]["agentPoolProfiles"]:
        del p["vnetSubnetID"]
    result = arm.finding(resources, CHECK, "aks-prod")
    assert result.status is Status.FAIL
    assert "AKS-managed VNet" in result.result.message


def test_unknown_when_cluster_has_no_properties() -> None:
    resources = arm.baseline()
    del arm.find(resources, "aks-prod")["properties"]
    assert arm.finding(resources, CHECK, "aks-prod").status is Status.UNKNOWN


def test_ids_compare_case_insensitively() -> None:
    resources = arm.baseline()
    subnet_ref = arm.find(resources, "vnet-spoke")["properties"]["subnets"][0]["properties"]["routeTable"]
    subnet_ref["id"] = subnet_ref["id"].upper().replace("/SUBSCRIPTIONS/", "/subscriptions/")
    for p in arm.find(resources, "aks-prod")["properties"]["agentPoolProfiles"]:
        p["vnetSubnetID"] = p["vnetSubnetID"].replace("resourceGroups", "resourcegroups").replace("rg-spoke", "RG-SPOKE")
    assert arm.finding(resources, CHECK, "aks-prod").status is Status.PASS


def test_managed_vnet_remediation_plans_a_new_cluster_not_a_route_table() -> None:
    resources = arm.baseline()
    for p in arm.find(resources, "aks-prod")["properties"]["agentPoolProfiles"]:
        del p["vnetSubnetID"]
    remediation = arm.finding(resources, CHECK, "aks-prod").result.remediation
    assert remediation is not None
    assert "cannot move an existing cluster" in remediation.steps[0]
    assert not any("route-table" in c for c in remediation.az_cli)
    assert any("--outbound-type userDefinedRouting" in c and "--vnet-subnet-id" in c for c in remediation.az_cli)


def test_the_plan_is_a_property_diff_of_the_existing_resources() -> None:
    resources = arm.baseline()
    arm.find(resources, "aks-prod")["properties"]["networkProfile"]["outboundType"] = "loadBalancer"
    arm.find(resources, "rt-aks")["properties"]["routes"][0]["properties"]["nextHopIpAddress"] = "10.0.1.10"
    fix = arm.finding(resources, CHECK, "aks-prod").result.remediation
    assert fix is not None
    plan = [(c.resource_id, c.op, c.path, c.value, c.before) for c in fix.changes]
    assert (arm.RT_ID, "replace", "/properties/routes/0/properties",
            {"addressPrefix": "0.0.0.0/0", "nextHopType": "VirtualAppliance", "nextHopIpAddress": "10.0.1.4"},
            {"addressPrefix": "0.0.0.0/0", "nextHopType": "VirtualAppliance", "provisioningState": "Succeeded",
             "nextHopIpAddress": "10.0.1.10"}) in plan
    cluster_id = arm.find(resources, "aks-prod")["id"]
    assert (cluster_id, "replace", "/properties/networkProfile/outboundType", "userDefinedRouting",
            "loadBalancer") in plan
    assert len(plan) == 2  # the subnet already uses rt-aks: nothing to change there
    # the existing default route is repointed, never a second 0.0.0.0/0 route created
    assert any("route-table route update" in c and "--name default-to-fw" in c for c in fix.az_cli)
    assert not any("route-table route create" in c for c in fix.az_cli)


def test_the_plan_removes_bypass_routes_highest_index_first() -> None:
    resources = arm.baseline()
    routes = arm.find(resources, "rt-aks")["properties"]["routes"]
    routes += [arm.route("half-1", "0.0.0.0/1", "Internet"), arm.route("half-2", "128.0.0.0/1", "Internet")]
    fix = arm.finding(resources, CHECK, "aks-prod").result.remediation
    assert fix is not None
    removals = [(c.resource_id, c.path, c.before["name"]) for c in fix.changes if c.op == "remove"]
    assert removals == [(arm.RT_ID, "/properties/routes/2", "half-2"),
                        (arm.RT_ID, "/properties/routes/1", "half-1")]


def test_the_plan_attaches_a_route_table_to_a_subnet_without_one() -> None:
    resources = arm.baseline()
    del arm.find(resources, "vnet-spoke")["properties"]["subnets"][0]["properties"]["routeTable"]
    fix = arm.finding(resources, CHECK, "aks-prod").result.remediation
    assert fix is not None
    new_table = (f"/subscriptions/{arm.SPOKE_SUB}/resourceGroups/rg-spoke/providers/"
                 "Microsoft.Network/routeTables/rt-aks-prod-egress")
    assert [(c.resource_id, c.op, c.path, c.value) for c in fix.changes] == [
        (arm.NODE_SUBNET, "add", "/properties/routeTable", {"id": new_table})]


def test_unknown_not_fail_when_the_firewalls_of_the_next_hops_vnet_could_not_be_listed() -> None:
    from aksfw_tui.audit import audit
    from aksfw_tui.sources.snapshot import ArmSnapshot, Unreadable

    snapshot = ArmSnapshot(source={"kind": "live"})
    for resource in arm.baseline():
        if resource["name"] != "fw-hub":
            snapshot.add(resource)
    snapshot.unreadable.append(Unreadable(f"/subscriptions/{arm.HUB_SUB}",
                                          "403 AuthorizationFailed listing azureFirewalls"))
    finding = next(f for f in audit(snapshot, [CHECK])[1] if f.subject.name == "aks-prod")
    assert finding.status is Status.UNKNOWN
    assert "next hop 10.0.1.4 lies in vnet-hub, but what runs there could not be read" in finding.result.message
