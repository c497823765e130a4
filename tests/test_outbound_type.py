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
