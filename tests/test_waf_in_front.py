"""waf-in-front: pass, fail (Detection mode, public LoadBalancer service, DNAT, no WAF, disabled),
unknown and not_applicable."""

from aksfw_tui.checks.base import Severity, Status
from aksfw_tui.checks.waf_in_front import CHECK
from tests import arm
from tests import arm_ingress as ing


def _with_gateway(mode: str = "Prevention", **gateway: object) -> list[arm.Json]:
    resources = arm.baseline()
    ing.add_appgw_subnet(resources)
    resources += [ing.internal_lb(), ing.waf_policy(mode),
                  *ing.app_gateway([{"ipAddress": ing.ILB_IP}], **gateway)]  # type: ignore[arg-type]
    return resources


def test_passes_when_the_only_entry_is_an_app_gateway_in_prevention() -> None:
    result = arm.finding(_with_gateway(), CHECK, "aks-prod")
    assert result.status is Status.PASS, result.result.message
    entry = result.result.evidence["entries"][0]
    assert entry["path"][0] == f"pip-agw-aks ({ing.APPGW_PIP})"
    assert entry["path"][1:3] == ["agw-aks/listener-https", "waf-aks (prevention)"]
    assert entry["waf"] == "prevention"


def test_fails_medium_when_the_waf_policy_is_in_detection_mode() -> None:
    result = arm.finding(_with_gateway("Detection"), CHECK, "aks-prod")
    assert result.status is Status.FAIL
    assert result.severity is Severity.MEDIUM
    assert "WAF policy waf-aks is in Detection mode" in result.result.message
    fix = result.result.remediation
    assert fix is not None
    assert ("az network application-gateway waf-policy policy-setting update --resource-group "
            "rg-spoke --policy-name waf-aks --state Enabled --mode Prevention") in fix.az_cli
    assert "mode: 'Prevention'" in fix.bicep
    assert 'resource "azurerm_web_application_firewall_policy" "waf_aks"' in fix.terraform


def test_fails_high_for_a_public_load_balancer_service() -> None:
    resources = arm.baseline() + ing.public_lb()
    result = arm.finding(resources, CHECK, "aks-prod")
    assert result.status is Status.FAIL
    assert result.severity is Severity.HIGH
    assert f"kubernetes-a1b2c3d4e5f6 ({ing.LB_PIP}) → kubernetes/a1b2c3d4e5f6" in result.result.message
    assert "no WAF" in result.result.message
    fix = result.result.remediation
    assert fix is not None and any("azure-load-balancer-internal" in s for s in fix.steps)
    assert any(f"grep {ing.LB_PIP}" in s for s in fix.steps)


def test_an_egress_only_frontend_is_not_an_entry() -> None:
    resources = arm.baseline() + ing.public_lb(service_frontend=False, egress_frontend=True)
    arm.find(resources, "aks-prod")["properties"]["networkProfile"]["outboundType"] = "loadBalancer"
    result = arm.finding(resources, CHECK, "aks-prod")
    assert result.status is Status.NOT_APPLICABLE
    assert "no public entry to aks-prod" in result.result.message


def test_fails_for_a_dnat_rule_straight_to_the_internal_load_balancer() -> None:
    resources = [*arm.baseline(), ing.internal_lb()]
    ing.add_dnat(resources, ing.ILB_IP)
    result = arm.finding(resources, CHECK, "aks-prod")
    assert result.status is Status.FAIL
    assert "DNAT rule shop-https on fw-hub forwards 20.103.17.40 straight to 10.20.3.250" in \
        result.result.message
    assert "threat intelligence is not a WAF" in result.result.message


def test_dnat_to_the_gateway_private_frontend_passes_through_its_waf() -> None:
    resources = _with_gateway(public=False)
    ing.add_dnat(resources, ing.APPGW_PRIVATE_IP)
    result = arm.finding(resources, CHECK, "aks-prod")
    assert result.status is Status.PASS, result.result.message
    assert result.result.evidence["entries"][0]["kind"] == "firewall_dnat"


def test_fails_when_the_gateway_is_standard_v2() -> None:
    result = arm.finding(_with_gateway(tier="Standard_v2", waf_policy_id=None), CHECK, "aks-prod")
    assert result.status is Status.FAIL
    assert "App Gateway agw-aks is Standard_v2, not WAF_v2" in result.result.message
    assert any("sku.name=WAF_v2" in c for c in result.result.remediation.az_cli)


def test_listener_policy_overrides_the_gateway_policy() -> None:
    resources = _with_gateway("Prevention", listener_policy=arm.rid(
        arm.SPOKE_SUB, arm.SPOKE_RG, "Microsoft.Network/ApplicationGatewayWebApplicationFirewallPolicies",
        "waf-listener"))
    resources.append(ing.waf_policy("Detection", name="waf-listener"))
    result = arm.finding(resources, CHECK, "aks-prod")
    assert result.status is Status.FAIL
    assert "WAF policy waf-listener is in Detection mode" in result.result.message


def test_path_rule_policy_overrides_and_disabled_fails_high() -> None:
    path_policy = arm.rid(arm.SPOKE_SUB, arm.SPOKE_RG,
                          "Microsoft.Network/ApplicationGatewayWebApplicationFirewallPolicies", "waf-api")
    resources = _with_gateway("Prevention", path_rule_policy=path_policy)
    resources.append(ing.waf_policy(state="Disabled", name="waf-api"))
    result = arm.finding(resources, CHECK, "aks-prod")
    assert result.status is Status.FAIL
    assert result.severity is Severity.HIGH
    assert "WAF policy waf-api is Disabled" in result.result.message


def test_legacy_waf_configuration_in_prevention_passes() -> None:
    resources = _with_gateway(waf_policy_id=None, legacy_waf={
        "enabled": True, "firewallMode": "Prevention", "ruleSetType": "OWASP", "ruleSetVersion": "3.2"})
    result = arm.finding(resources, CHECK, "aks-prod")
    assert result.status is Status.PASS
    assert "WAF configuration of agw-aks is enabled in Prevention mode" in result.result.message


def test_fqdn_backend_resolved_through_private_dns() -> None:
    resources = arm.baseline()
    ing.add_appgw_subnet(resources)
    resources += [ing.internal_lb(), ing.waf_policy("Detection"),
                  *ing.app_gateway([{"fqdn": "shop.internal.contoso.com"}]),
                  *ing.private_zone("internal.contoso.com", {"shop": ing.ILB_IP}, [arm.SPOKE_VNET])]
    result = arm.finding(resources, CHECK, "aks-prod")
    assert result.status is Status.FAIL
    assert f"shop.internal.contoso.com → {ing.ILB_IP}" in result.result.message


def test_unknown_when_a_backend_fqdn_of_a_gateway_without_waf_does_not_resolve() -> None:
    resources = arm.baseline()
    ing.add_appgw_subnet(resources)
    resources += ing.app_gateway([{"fqdn": "shop.internal.contoso.com"}], tier="Standard_v2",
                                 waf_policy_id=None)
    result = arm.finding(resources, CHECK, "aks-prod")
    assert result.status is Status.UNKNOWN
    assert "shop.internal.contoso.com" in result.result.message
    assert "no private DNS zone" in result.result.message


def test_unknown_when_the_waf_policy_is_missing_from_the_snapshot() -> None:
    resources = [r for r in _with_gateway() if r["name"] != "waf-aks"]
    result = arm.finding(resources, CHECK, "aks-prod")
    assert result.status is Status.UNKNOWN
    assert "WAF policy waf-aks" in result.result.message and "not in the snapshot" in result.result.message


def test_unknown_when_the_firewall_dnat_rules_cannot_be_read() -> None:
    resources = [r for r in arm.baseline() if r["name"] != "rcg-aks"]
    result = arm.finding(resources, CHECK, "aks-prod")
    assert result.status is Status.UNKNOWN
    assert "DNAT rules of firewall fw-hub could not be read" in result.result.message


def test_a_seen_failure_wins_over_unreadable_dnat_rules() -> None:
    resources = [r for r in arm.baseline() if r["name"] != "rcg-aks"] + ing.public_lb()
    assert arm.finding(resources, CHECK, "aks-prod").status is Status.FAIL


def test_not_applicable_without_any_entry() -> None:
    result = arm.finding(arm.baseline(), CHECK, "aks-prod")
    assert result.status is Status.NOT_APPLICABLE


def test_dnat_fix_points_the_rule_at_the_gateway_private_frontend() -> None:
    resources = _with_gateway()
    ing.add_dnat(resources, ing.ILB_IP)
    result = arm.finding(resources, CHECK, "aks-prod")
    assert result.status is Status.FAIL
    fix = result.result.remediation
    assert fix is not None
    assert ("az network firewall policy rule-collection-group collection rule update "
            "--resource-group rg-hub --policy-name fwpol-hub --rule-collection-group-name rcg-dnat "
            f"--collection-name publish-aks --name shop-https --translated-address {ing.APPGW_PRIVATE_IP}"
            ) in fix.az_cli


# -- the plan (property changes on existing resources) -------------------------------------------


def _plan(resources: list[arm.Json]) -> list[tuple[object, ...]]:
    fix = arm.finding(resources, CHECK, "aks-prod").result.remediation
    assert fix is not None
    return [(c.resource_id, c.op, c.path, c.value, c.before) for c in fix.changes]


def test_the_detection_plan_switches_only_the_mode_of_the_policy() -> None:
    # waf-aks is Enabled already: its state is left alone, only its mode changes
    assert _plan(_with_gateway("Detection")) == [
        (ing.WAF_ID, "replace", "/properties/policySettings/mode", "Prevention", "Detection")]


def test_the_plan_enables_the_disabled_path_rule_policy_not_the_gateway_policy() -> None:
    path_policy = arm.rid(arm.SPOKE_SUB, arm.SPOKE_RG,
                          "Microsoft.Network/ApplicationGatewayWebApplicationFirewallPolicies", "waf-api")
    resources = _with_gateway("Prevention", path_rule_policy=path_policy)
    resources.append(ing.waf_policy(state="Disabled", name="waf-api"))
    assert _plan(resources) == [
        (path_policy, "replace", "/properties/policySettings/state", "Enabled", "Disabled")]


def test_the_legacy_plan_keeps_the_rule_set_and_switches_the_mode() -> None:
    resources = _with_gateway(waf_policy_id=None, legacy_waf={
        "enabled": True, "firewallMode": "Detection", "ruleSetType": "OWASP", "ruleSetVersion": "3.1"})
    result = arm.finding(resources, CHECK, "aks-prod")
    assert result.status is Status.FAIL and result.severity is Severity.MEDIUM
    fix = result.result.remediation
    assert fix is not None
    assert [(c.resource_id, c.op, c.path, c.value, c.before) for c in fix.changes] == [
        (ing.APPGW_ID, "replace", "/properties/webApplicationFirewallConfiguration/firewallMode",
         "Prevention", "Detection")]
    assert any("--firewall-mode Prevention --rule-set-type OWASP --rule-set-version 3.1" in c
               for c in fix.az_cli)


def test_the_legacy_plan_enables_a_disabled_configuration_and_names_a_rule_set() -> None:
    resources = _with_gateway(waf_policy_id=None, legacy_waf={"enabled": False, "firewallMode": "Prevention"})
    path = "/properties/webApplicationFirewallConfiguration"
    assert _plan(resources) == [
        (ing.APPGW_ID, "replace", f"{path}/enabled", True, False),
        (ing.APPGW_ID, "add", f"{path}/ruleSetType", "OWASP", None),
        (ing.APPGW_ID, "add", f"{path}/ruleSetVersion", "3.2", None),
    ]


def test_the_standard_v2_plan_upgrades_the_sku_and_associates_the_new_policy() -> None:
    new_policy = arm.rid(arm.SPOKE_SUB, arm.SPOKE_RG,
                         "Microsoft.Network/ApplicationGatewayWebApplicationFirewallPolicies", "waf-agw-aks")
    resources = _with_gateway(tier="Standard_v2", waf_policy_id=None)
    assert _plan(resources) == [
        (ing.APPGW_ID, "replace", "/properties/sku/name", "WAF_v2", "Standard_v2"),
        (ing.APPGW_ID, "replace", "/properties/sku/tier", "WAF_v2", "Standard_v2"),
        (ing.APPGW_ID, "add", "/properties/firewallPolicy", {"id": new_policy}, None),
    ]
    # the snippets create the policy the plan associates, on the gateway it patches
    fix = arm.finding(resources, CHECK, "aks-prod").result.remediation
    assert fix is not None
    assert "name: 'waf-agw-aks'" in fix.bicep and "// On App Gateway 'agw-aks'" in fix.bicep
    assert 'name                = "waf-agw-aks"' in fix.terraform


def test_a_v1_gateway_is_a_manual_migration_with_no_in_place_plan() -> None:
    resources = _with_gateway(tier="Standard", waf_policy_id=None)
    arm.find(resources, "agw-aks")["properties"]["sku"] = {"name": "Standard_Medium", "tier": "Standard",
                                                           "capacity": 2}
    result = arm.finding(resources, CHECK, "aks-prod")
    assert result.status is Status.FAIL
    fix = result.result.remediation
    assert fix is not None
    assert fix.changes == ()
    assert any("agw-aks is an Application Gateway v1 (Standard)" in s and "manual migration" in s
               for s in fix.steps)
    assert not any("application-gateway update" in c for c in fix.az_cli)


def test_the_dnat_plan_repoints_the_rule_in_its_collection_group() -> None:
    resources = _with_gateway()
    ing.add_dnat(resources, ing.ILB_IP)
    group_id = f"{arm.POLICY_ID}/ruleCollectionGroups/rcg-dnat"
    assert _plan(resources) == [
        (group_id, "replace", "/properties/ruleCollections/0/rules/0/translatedAddress",
         ing.APPGW_PRIVATE_IP, ing.ILB_IP)]


def test_the_dnat_plan_on_a_classic_firewall_patches_the_firewall_at_the_rule_index() -> None:
    resources = _with_gateway()
    fw = arm.find(resources, "fw-hub")
    del fw["properties"]["firewallPolicy"]
    shop = {"name": "shop-https", "protocols": ["TCP"], "sourceAddresses": ["*"],
            "destinationAddresses": ["20.103.17.40"], "destinationPorts": ["443"],
            "translatedAddress": ing.ILB_IP, "translatedPort": "443"}
    fw["properties"]["natRuleCollections"] = [
        {"name": "admin", "id": f"{arm.FW_ID}/natRuleCollections/admin", "properties": {
            "priority": 100, "action": {"type": "Dnat"}, "rules": []}},
        {"name": "publish-aks", "id": f"{arm.FW_ID}/natRuleCollections/publish-aks", "properties": {
            "priority": 200, "action": {"type": "Dnat"}, "rules": [shop]}}]
    result = arm.finding(resources, CHECK, "aks-prod")
    assert result.status is Status.FAIL
    fix = result.result.remediation
    assert fix is not None
    assert [(c.resource_id, c.op, c.path, c.value, c.before) for c in fix.changes] == [
        (arm.FW_ID, "replace", "/properties/natRuleCollections/1/properties/rules/0/translatedAddress",
         ing.APPGW_PRIVATE_IP, ing.ILB_IP)]
    assert any("Classic rules have no az update command" in s for s in fix.steps)


def test_a_public_load_balancer_service_has_no_arm_plan() -> None:
    # AKS owns the load balancer: the fix is a Kubernetes annotation, nothing to patch in ARM
    fix = arm.finding(arm.baseline() + ing.public_lb(), CHECK, "aks-prod").result.remediation
    assert fix is not None and fix.changes == ()


def test_dnat_on_a_firewall_in_an_unpeered_landing_zone_is_not_an_entry() -> None:
    """Landing zones reuse address space: a DNAT on a firewall whose VNet neither is nor peers
    with the cluster's VNets cannot reach the cluster, even to the same private IP."""
    other_sub = "0b7c2d4e-9f1a-4b3c-8d5e-6f7a8b9c0d1e"
    other_vnet = arm.rid(other_sub, "rg-lz2", "Microsoft.Network/virtualNetworks", "vnet-lz2-hub")
    other_policy = arm.rid(other_sub, "rg-lz2", "Microsoft.Network/firewallPolicies", "fwpol-lz2")
    other_pip = arm.rid(other_sub, "rg-lz2", "Microsoft.Network/publicIPAddresses", "pip-fw-lz2")
    fw_lz2 = arm.rid(other_sub, "rg-lz2", "Microsoft.Network/azureFirewalls", "fw-lz2")
    resources = [*arm.baseline(), ing.internal_lb()]
    resources += [
        arm.vnet(other_sub, "rg-lz2", "vnet-lz2-hub", ["10.0.0.0/16"], [("AzureFirewallSubnet", "10.0.1.0/26", None)]),
        arm.public_ip(other_sub, "rg-lz2", "pip-fw-lz2", "20.50.1.1", f"{fw_lz2}/azureFirewallIpConfigurations/ipconfig-01"),
        arm.firewall(other_sub, "rg-lz2", "fw-lz2", "10.0.1.4", f"{other_vnet}/subnets/AzureFirewallSubnet",
                     [other_pip], policy_id=other_policy),
        arm.policy(other_sub, "rg-lz2", "fwpol-lz2", [f"{other_policy}/ruleCollectionGroups/rcg-dnat"]),
        arm.rcg(other_policy, "rcg-dnat", 100, [arm.nat_collection("publish", 100, [
            arm.nat_rule("same-ip-elsewhere", "20.50.1.1", "443", ing.ILB_IP, "443")])]),
    ]
    result = arm.finding(resources, CHECK, "aks-prod")
    assert result.status is Status.NOT_APPLICABLE, result.result.message
    # peered with the cluster's spoke, the same rule is an entry
    arm.find(resources, "vnet-spoke")["properties"]["virtualNetworkPeerings"].append(
        {"name": "to-lz2", "properties": {"remoteVirtualNetwork": {"id": other_vnet}, "peeringState": "Connected"}})
    result = arm.finding(resources, CHECK, "aks-prod")
    assert result.status is Status.FAIL
    assert "same-ip-elsewhere" in result.result.message or "20.50.1.1" in result.result.message


def test_an_app_gateway_in_an_unpeered_landing_zone_does_not_publish_the_cluster() -> None:
    """Same backend IP as the cluster's internal LB, but from a VNet that cannot reach it."""
    resources = _with_gateway("Detection")
    gateway = arm.find(resources, "agw-aks")
    lz2_vnet = arm.rid("0b7c2d4e-9f1a-4b3c-8d5e-6f7a8b9c0d1e", "rg-lz2", "Microsoft.Network/virtualNetworks",
                       "vnet-lz2")
    resources.append(arm.vnet("0b7c2d4e-9f1a-4b3c-8d5e-6f7a8b9c0d1e", "rg-lz2", "vnet-lz2", ["10.20.0.0/16"],
                              [("snet-appgw", "10.20.8.0/24", None)]))
    for config in gateway["properties"]["gatewayIPConfigurations"]:
        config["properties"]["subnet"]["id"] = f"{lz2_vnet}/subnets/snet-appgw"
    result = arm.finding(resources, CHECK, "aks-prod")
    assert result.status is Status.NOT_APPLICABLE, result.result.message
