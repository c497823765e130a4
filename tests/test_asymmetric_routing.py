"""asymmetric-routing: a public LoadBalancer service on a firewall-routed cluster (fail), published
through the firewall with a return route (pass), unknown and not_applicable."""

from aksfw_tui.audit import audit
from aksfw_tui.checks.asymmetric_routing import CHECK
from aksfw_tui.checks.base import Remediation, Status
from aksfw_tui.sources.snapshot import ArmSnapshot, Unreadable
from tests import arm
from tests import arm_ingress as ing


def _routes(resources: list[arm.Json]) -> list[arm.Json]:
    routes: list[arm.Json] = arm.find(resources, "rt-aks")["properties"]["routes"]
    return routes


def test_fails_for_a_public_load_balancer_service_behind_a_default_route_to_the_firewall() -> None:
    resources = arm.baseline() + ing.public_lb()
    result = arm.finding(resources, CHECK, "aks-prod")
    assert result.status is Status.FAIL
    assert (f"public load balancer frontend kubernetes/a1b2c3d4e5f6 ({ing.LB_PIP}) receives "
            "requests from the internet, but node subnet snet-aks-nodes sends the replies by "
            "0.0.0.0/0 to fw-hub") in result.result.message
    fix = result.result.remediation
    assert fix is not None
    assert ("az network route-table route create --resource-group rg-spoke --route-table-name "
            "rt-aks --name fw-return-20-103-17-40 --address-prefix 20.103.17.40/32 "
            "--next-hop-type Internet") in fix.az_cli
    assert any(f"--destination-ports 443 --translated-address {ing.LB_PIP} --translated-port 443" in c
               for c in fix.az_cli)
    assert 'address_prefix      = "20.103.17.40/32"' in fix.terraform
    assert "nextHopType: 'Internet'" in fix.bicep


def test_passes_when_published_by_dnat_with_a_host_route_for_the_firewall_ip() -> None:
    resources = arm.baseline() + ing.public_lb()
    ing.add_dnat(resources, ing.LB_PIP)
    _routes(resources).append(arm.route("fw-return", "20.103.17.40/32", "Internet"))
    result = arm.finding(resources, CHECK, "aks-prod")
    assert result.status is Status.PASS, result.result.message
    assert "fw-return (20.103.17.40/32 → Internet)" in result.result.message


def test_fails_when_the_dnat_exists_but_the_return_route_does_not() -> None:
    resources = arm.baseline() + ing.public_lb()
    ing.add_dnat(resources, ing.LB_PIP)
    result = arm.finding(resources, CHECK, "aks-prod")
    assert result.status is Status.FAIL
    assert "rt-aks has no /32 route to Internet for it" in result.result.message


def test_a_host_route_for_the_load_balancer_ip_itself_is_no_return_path() -> None:
    # Replies are addressed to the client, not to the frontend: this route changes nothing.
    resources = arm.baseline() + ing.public_lb()
    _routes(resources).append(arm.route("lb-return", f"{ing.LB_PIP}/32", "Internet"))
    assert arm.finding(resources, CHECK, "aks-prod").status is Status.FAIL


def test_not_applicable_without_a_public_load_balancer_entry() -> None:
    resources = [*arm.baseline(), ing.internal_lb()]
    result = arm.finding(resources, CHECK, "aks-prod")
    assert result.status is Status.NOT_APPLICABLE
    assert "no public load balancer frontend with inbound rules" in result.result.message


def test_not_applicable_when_nodes_do_not_default_route_to_a_firewall() -> None:
    resources = arm.baseline() + ing.public_lb()
    del arm.find(resources, "vnet-spoke")["properties"]["subnets"][0]["properties"]["routeTable"]
    result = arm.finding(resources, CHECK, "aks-prod")
    assert result.status is Status.NOT_APPLICABLE
    assert "no node subnet of aks-prod default-routes to a firewall" in result.result.message


def test_unknown_when_egress_is_unknown() -> None:
    resources = arm.baseline() + ing.public_lb()
    _routes(resources)[0]["properties"]["nextHopIpAddress"] = "10.100.0.4"
    result = arm.finding(resources, CHECK, "aks-prod")
    assert result.status is Status.UNKNOWN
    assert "10.100.0.4 lies outside every VNet" in result.result.message


def test_unknown_when_the_node_resource_group_is_unreadable() -> None:
    snapshot = ArmSnapshot(source={"kind": "export"})
    for resource in arm.baseline():
        snapshot.add(resource)
    snapshot.unreadable.append(Unreadable(
        f"/subscriptions/{arm.SPOKE_SUB}/resourceGroups/{ing.NODE_RG}", "403 AuthorizationFailed"))
    result = next(f for f in audit(snapshot, [CHECK])[1] if f.subject.name == "aks-prod")
    assert result.status is Status.UNKNOWN
    assert f"node resource group {ing.NODE_RG} is unreadable (403 AuthorizationFailed)" in \
        result.result.message


def test_unknown_when_a_return_route_exists_but_dnat_rules_cannot_be_read() -> None:
    resources = [r for r in arm.baseline() if r["name"] != "rcg-aks"] + ing.public_lb()
    _routes(resources).append(arm.route("fw-return", "20.103.17.40/32", "Internet"))
    result = arm.finding(resources, CHECK, "aks-prod")
    assert result.status is Status.UNKNOWN
    assert "rt-aks has a return route for 20.103.17.40 of fw-hub, but its DNAT rules could not all " \
           "be read" in result.result.message


# -- the plan (property changes on existing resources) -------------------------------------------


def _fix(resources: list[arm.Json]) -> Remediation:
    result = arm.finding(resources, CHECK, "aks-prod")
    assert result.status is Status.FAIL, result.result.message
    assert result.result.remediation is not None
    return result.result.remediation


def _return_route(ip: str) -> arm.Json:
    return {"name": f"fw-return-{ip.replace('.', '-')}",
            "properties": {"addressPrefix": f"{ip}/32", "nextHopType": "Internet"}}


def test_the_plan_appends_the_return_route_and_the_new_dnat_group_stays_in_the_snippets() -> None:
    # fwpol-hub holds only rcg-aks (filter collections): the DNAT goes to a new group, which is
    # created, not patched, so the only existing resource that changes is rt-aks
    fix = _fix(arm.baseline() + ing.public_lb())
    assert [(c.resource_id, c.op, c.path, c.value, c.before) for c in fix.changes] == [
        (arm.RT_ID, "add", "/properties/routes/-", _return_route("20.103.17.40"), None)]
    assert ("az network firewall policy rule-collection-group create --resource-group rg-hub "
            "--policy-name fwpol-hub --name rcg-dnat-aks-prod --priority 100") in fix.az_cli


def test_the_plan_adds_the_dnat_collection_to_the_existing_dnat_group_on_a_free_ip() -> None:
    # rcg-dnat already publishes 20.103.17.40:443 (to an internal LB), so the new rule takes the
    # firewall's other public IP, and its collection takes the next free priority in that group
    resources = [*arm.baseline(), *ing.public_lb(), ing.internal_lb()]
    ing.add_dnat(resources, ing.ILB_IP)
    fix = _fix(resources)
    collection = {
        "ruleCollectionType": "FirewallPolicyNatRuleCollection", "name": "dnat-aks-prod", "priority": 200,
        "action": {"type": "DNAT"},
        "rules": [{"ruleType": "NatRule", "name": "dnat-aks-prod-443", "ipProtocols": ["TCP"],
                   "sourceAddresses": ["*"], "sourceIpGroups": [], "destinationAddresses": ["20.103.17.41"],
                   "destinationPorts": ["443"], "translatedAddress": ing.LB_PIP, "translatedPort": "443"}]}
    assert [(c.resource_id, c.op, c.path, c.value, c.before) for c in fix.changes] == [
        (arm.RT_ID, "add", "/properties/routes/-", _return_route("20.103.17.41"), None),
        (f"{arm.POLICY_ID}/ruleCollectionGroups/rcg-dnat", "add", "/properties/ruleCollections/-",
         collection, None),
    ]
    assert not any("rule-collection-group create" in c for c in fix.az_cli)
    assert any("--rule-collection-group-name rcg-dnat --name dnat-aks-prod --collection-priority 200" in c
               for c in fix.az_cli)


def test_when_only_the_return_route_is_missing_the_plan_adds_only_that_route() -> None:
    resources = arm.baseline() + ing.public_lb()
    ing.add_dnat(resources, ing.LB_PIP)
    fix = _fix(resources)
    assert [(c.resource_id, c.op, c.path, c.value) for c in fix.changes] == [
        (arm.RT_ID, "add", "/properties/routes/-", _return_route("20.103.17.40"))]
    assert not any("nat" in c and "collection" in c for c in fix.az_cli)
    assert fix.summary.startswith("Add the return route(s) 20.103.17.40/32 → Internet in rt-aks")


def test_a_route_for_the_dnat_ip_to_the_firewall_is_repointed_not_duplicated() -> None:
    # Azure refuses two routes with one prefix: the existing /32 is changed in place
    resources = arm.baseline() + ing.public_lb()
    ing.add_dnat(resources, ing.LB_PIP)
    _routes(resources).append(arm.route("fw-pip", "20.103.17.40/32", "VirtualAppliance", arm.FW_IP))
    fix = _fix(resources)
    assert [(c.resource_id, c.op, c.path, c.value, c.before) for c in fix.changes] == [
        (arm.RT_ID, "replace", "/properties/routes/1/properties",
         {"addressPrefix": "20.103.17.40/32", "nextHopType": "Internet"},
         {"addressPrefix": "20.103.17.40/32", "nextHopType": "VirtualAppliance",
          "provisioningState": "Succeeded", "nextHopIpAddress": arm.FW_IP})]
    assert ("az network route-table route create --resource-group rg-spoke --route-table-name rt-aks "
            "--name fw-pip --address-prefix 20.103.17.40/32 --next-hop-type Internet") in fix.az_cli


def test_on_a_classic_firewall_the_plan_adds_a_nat_collection_to_the_firewall() -> None:
    resources = arm.baseline() + ing.public_lb()
    del arm.find(resources, "fw-hub")["properties"]["firewallPolicy"]
    fix = _fix(resources)
    collection = {"name": "dnat-aks-prod", "properties": {
        "priority": 100, "action": {"type": "Dnat"},
        "rules": [{"name": "dnat-aks-prod-443", "protocols": ["TCP"], "sourceAddresses": ["*"],
                   "destinationAddresses": ["20.103.17.40"], "destinationPorts": ["443"],
                   "translatedAddress": ing.LB_PIP, "translatedPort": "443"}]}}
    assert [(c.resource_id, c.op, c.path, c.value) for c in fix.changes] == [
        (arm.RT_ID, "add", "/properties/routes/-", _return_route("20.103.17.40")),
        (arm.FW_ID, "add", "/properties/natRuleCollections/-", collection),
    ]
