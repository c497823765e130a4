"""Builders for the ingress side of the baseline: AKS load balancers, App Gateway, WAF policy,
private DNS zones. Shapes follow ARM GET (see /work/shared/reference/arm-shapes.md)."""

from __future__ import annotations

from typing import Any

from tests import arm

Json = dict[str, Any]

NODE_RG = f"MC_{arm.SPOKE_RG}_aks-prod_{arm.REGION}"
LB_PIP = "20.71.64.12"  # the public IP of a LoadBalancer service on aks-prod
LB_PIP_ID = arm.rid(arm.SPOKE_SUB, NODE_RG, "Microsoft.Network/publicIPAddresses",
                    "kubernetes-a1b2c3d4e5f6")
EGRESS_PIP_ID = arm.rid(arm.SPOKE_SUB, NODE_RG, "Microsoft.Network/publicIPAddresses",
                        "9f8e7d6c-5b4a-4321-8765-43210fedcba9")
ILB_IP = "10.20.3.250"  # an internal LoadBalancer service, inside the node subnet
APPGW_SUBNET = f"{arm.SPOKE_VNET}/subnets/snet-appgw"
APPGW_PIP = "20.71.70.5"
APPGW_PRIVATE_IP = "10.20.8.10"
WAF_ID = arm.rid(arm.SPOKE_SUB, arm.SPOKE_RG,
                 "Microsoft.Network/ApplicationGatewayWebApplicationFirewallPolicies", "waf-aks")
APPGW_ID = arm.rid(arm.SPOKE_SUB, arm.SPOKE_RG, "Microsoft.Network/applicationGateways", "agw-aks")


def _lb_rule(lb_id: str, name: str, frontend: str, port: int) -> Json:
    return {"name": name, "id": f"{lb_id}/loadBalancingRules/{name}",
            "type": "Microsoft.Network/loadBalancers/loadBalancingRules", "etag": arm.ETAG,
            "properties": {"provisioningState": "Succeeded",
                           "frontendIPConfiguration": {"id": f"{lb_id}/frontendIPConfigurations/{frontend}"},
                           "backendAddressPool": {"id": f"{lb_id}/backendAddressPools/kubernetes"},
                           "protocol": "Tcp", "frontendPort": port, "backendPort": port,
                           "idleTimeoutInMinutes": 4, "enableFloatingIP": True,
                           "disableOutboundSnat": True, "loadDistribution": "Default"}}


def public_lb(service_frontend: bool = True, egress_frontend: bool = False) -> list[Json]:
    """The AKS `kubernetes` LB: a LoadBalancer service frontend (a1b2…, rule on 443) and, for
    outboundType loadBalancer, the egress frontend with only an outbound rule; plus its IPs."""
    lb_id = arm.rid(arm.SPOKE_SUB, NODE_RG, "Microsoft.Network/loadBalancers", "kubernetes")
    frontends, rules, outbound, pips = [], [], [], []
    if service_frontend:
        name = "a1b2c3d4e5f6"
        frontends.append({"name": name, "id": f"{lb_id}/frontendIPConfigurations/{name}",
                          "etag": arm.ETAG, "properties": {
                              "provisioningState": "Succeeded", "privateIPAllocationMethod": "Dynamic",
                              "publicIPAddress": {"id": LB_PIP_ID},
                              "loadBalancingRules": [{"id": f"{lb_id}/loadBalancingRules/{name}-TCP-443"}]}})
        rules.append(_lb_rule(lb_id, f"{name}-TCP-443", name, 443))
        pips.append(arm.public_ip(arm.SPOKE_SUB, NODE_RG, "kubernetes-a1b2c3d4e5f6", LB_PIP,
                                  f"{lb_id}/frontendIPConfigurations/{name}"))
    if egress_frontend:
        name = "9f8e7d6c-5b4a-4321-8765-43210fedcba9"
        frontends.append({"name": name, "id": f"{lb_id}/frontendIPConfigurations/{name}",
                          "etag": arm.ETAG, "properties": {
                              "provisioningState": "Succeeded", "publicIPAddress": {"id": EGRESS_PIP_ID},
                              "outboundRules": [{"id": f"{lb_id}/outboundRules/aksOutboundRule"}]}})
        outbound.append({"name": "aksOutboundRule", "id": f"{lb_id}/outboundRules/aksOutboundRule",
                         "properties": {"provisioningState": "Succeeded", "protocol": "All",
                                        "allocatedOutboundPorts": 0, "idleTimeoutInMinutes": 30,
                                        "frontendIPConfigurations": [
                                            {"id": f"{lb_id}/frontendIPConfigurations/{name}"}],
                                        "backendAddressPool": {"id": f"{lb_id}/backendAddressPools/aksOutboundBackendPool"}}})
        pips.append(arm.public_ip(arm.SPOKE_SUB, NODE_RG, name, "20.71.64.200",
                                  f"{lb_id}/frontendIPConfigurations/{name}"))
    lb = arm._resource(lb_id, "Microsoft.Network/loadBalancers", {
        "frontendIPConfigurations": frontends, "loadBalancingRules": rules,
        "backendAddressPools": [{"name": "kubernetes", "id": f"{lb_id}/backendAddressPools/kubernetes"}],
        "probes": [], "inboundNatRules": [], "outboundRules": outbound, "inboundNatPools": []},
        sku={"name": "Standard", "tier": "Regional"})
    return [lb, *pips]


def internal_lb() -> Json:
    """`kubernetes-internal` with one frontend at ILB_IP in the node subnet."""
    lb_id = arm.rid(arm.SPOKE_SUB, NODE_RG, "Microsoft.Network/loadBalancers", "kubernetes-internal")
    name = "b7c8d9e0f1a2"
    return arm._resource(lb_id, "Microsoft.Network/loadBalancers", {
        "frontendIPConfigurations": [{
            "name": name, "id": f"{lb_id}/frontendIPConfigurations/{name}", "properties": {
                "provisioningState": "Succeeded", "privateIPAddress": ILB_IP,
                "privateIPAllocationMethod": "Dynamic", "subnet": {"id": arm.NODE_SUBNET},
                "loadBalancingRules": [{"id": f"{lb_id}/loadBalancingRules/{name}-TCP-80"}]}}],
        "loadBalancingRules": [_lb_rule(lb_id, f"{name}-TCP-80", name, 80)],
        "backendAddressPools": [{"name": "kubernetes", "id": f"{lb_id}/backendAddressPools/kubernetes"}],
        "probes": [], "inboundNatRules": [], "outboundRules": [], "inboundNatPools": []},
        sku={"name": "Standard", "tier": "Regional"})


def waf_policy(mode: str = "Prevention", state: str = "Enabled", name: str = "waf-aks") -> Json:
    policy_id = arm.rid(arm.SPOKE_SUB, arm.SPOKE_RG,
                        "Microsoft.Network/ApplicationGatewayWebApplicationFirewallPolicies", name)
    return arm._resource(policy_id,
                         "Microsoft.Network/ApplicationGatewayWebApplicationFirewallPolicies", {
                             "policySettings": {"state": state, "mode": mode, "requestBodyCheck": True,
                                                "maxRequestBodySizeInKb": 128,
                                                "fileUploadLimitInMb": 100},
                             "customRules": [],
                             "managedRules": {"managedRuleSets": [
                                 {"ruleSetType": "Microsoft_DefaultRuleSet", "ruleSetVersion": "2.1"}],
                                 "exclusions": []},
                             "applicationGateways": [{"id": APPGW_ID}]})


def app_gateway(backends: list[Json], tier: str = "WAF_v2", waf_policy_id: str | None = WAF_ID,
                legacy_waf: Json | None = None, listener_policy: str | None = None,
                path_rule_policy: str | None = None, public: bool = True) -> list[Json]:
    """agw-aks in snet-appgw of vnet-spoke: listener https → rule (path map when a path-rule
    policy is given) → pool-aks with `backends`; plus its public IP."""
    gid = APPGW_ID
    frontends = [{"name": "appGwPrivateFrontendIp", "id": f"{gid}/frontendIPConfigurations/appGwPrivateFrontendIp",
                  "properties": {"privateIPAddress": APPGW_PRIVATE_IP, "privateIPAllocationMethod": "Static",
                                 "subnet": {"id": APPGW_SUBNET}}}]
    if public:
        frontends.insert(0, {"name": "appGwPublicFrontendIp",
                             "id": f"{gid}/frontendIPConfigurations/appGwPublicFrontendIp",
                             "properties": {"privateIPAllocationMethod": "Dynamic",
                                            "publicIPAddress": {"id": _agw_pip_id()}}})
    listener_props: Json = {
        "frontendIPConfiguration": {"id": frontends[0]["id"]},
        "frontendPort": {"id": f"{gid}/frontendPorts/port_443"}, "protocol": "Https",
        "sslCertificate": {"id": f"{gid}/sslCertificates/shop-contoso-com"},
        "hostNames": ["shop.contoso.com"], "requireServerNameIndication": True}
    if listener_policy:
        listener_props["firewallPolicy"] = {"id": listener_policy}
    pool_id = f"{gid}/backendAddressPools/pool-aks"
    rule_props: Json = {"priority": 100, "httpListener": {"id": f"{gid}/httpListeners/listener-https"},
                        "backendHttpSettings": {"id": f"{gid}/backendHttpSettingsCollection/settings-http"}}
    path_maps = []
    if path_rule_policy:
        rule_props |= {"ruleType": "PathBasedRouting", "urlPathMap": {"id": f"{gid}/urlPathMaps/paths"}}
        path_maps.append({"name": "paths", "id": f"{gid}/urlPathMaps/paths", "properties": {
            "defaultBackendAddressPool": {"id": f"{gid}/backendAddressPools/pool-static"},
            "defaultBackendHttpSettings": {"id": f"{gid}/backendHttpSettingsCollection/settings-http"},
            "pathRules": [{"name": "api", "id": f"{gid}/urlPathMaps/paths/pathRules/api", "properties": {
                "paths": ["/api/*"], "backendAddressPool": {"id": pool_id},
                "backendHttpSettings": {"id": f"{gid}/backendHttpSettingsCollection/settings-http"},
                "firewallPolicy": {"id": path_rule_policy}}}]}})
    else:
        rule_props |= {"ruleType": "Basic", "backendAddressPool": {"id": pool_id}}
    properties: Json = {
        "sku": {"name": tier, "tier": tier},
        "autoscaleConfiguration": {"minCapacity": 2, "maxCapacity": 10},
        "gatewayIPConfigurations": [{"name": "appGatewayIpConfig",
                                     "id": f"{gid}/gatewayIPConfigurations/appGatewayIpConfig",
                                     "properties": {"subnet": {"id": APPGW_SUBNET}}}],
        "frontendIPConfigurations": frontends,
        "frontendPorts": [{"name": "port_443", "id": f"{gid}/frontendPorts/port_443",
                           "properties": {"port": 443}}],
        "backendAddressPools": [
            {"name": "pool-aks", "id": pool_id, "properties": {"backendAddresses": backends}},
            {"name": "pool-static", "id": f"{gid}/backendAddressPools/pool-static",
             "properties": {"backendAddresses": [{"fqdn": "contosostatic.z6.web.core.windows.net"}]}}],
        "backendHttpSettingsCollection": [{"name": "settings-http",
                                           "id": f"{gid}/backendHttpSettingsCollection/settings-http",
                                           "properties": {"port": 80, "protocol": "Http",
                                                          "cookieBasedAffinity": "Disabled",
                                                          "requestTimeout": 30}}],
        "httpListeners": [{"name": "listener-https", "id": f"{gid}/httpListeners/listener-https",
                           "properties": listener_props}],
        "requestRoutingRules": [{"name": "rule-aks", "id": f"{gid}/requestRoutingRules/rule-aks",
                                 "properties": rule_props}],
        "urlPathMaps": path_maps,
    }
    if waf_policy_id:
        properties["firewallPolicy"] = {"id": waf_policy_id}
    if legacy_waf is not None:
        properties["webApplicationFirewallConfiguration"] = legacy_waf
    gateway = arm._resource(gid, "Microsoft.Network/applicationGateways", properties,
                            zones=["1", "2", "3"])
    out = [gateway]
    if public:
        out.append(arm.public_ip(arm.SPOKE_SUB, arm.SPOKE_RG, "pip-agw-aks", APPGW_PIP,
                                 f"{gid}/frontendIPConfigurations/appGwPublicFrontendIp"))
    return out


def _agw_pip_id() -> str:
    return arm.rid(arm.SPOKE_SUB, arm.SPOKE_RG, "Microsoft.Network/publicIPAddresses", "pip-agw-aks")


def add_appgw_subnet(resources: list[Json]) -> None:
    """snet-appgw (10.20.8.0/24) in vnet-spoke, next to the node subnet."""
    vnet = arm.find(resources, "vnet-spoke")
    vnet["properties"]["subnets"].append(arm.subnet(arm.SPOKE_VNET, "snet-appgw", "10.20.8.0/24"))


def private_zone(zone: str, records: dict[str, str], linked_vnets: list[str]) -> list[Json]:
    """A private DNS zone with A record sets (name → IP) and VNet links."""
    zone_id = arm.rid(arm.SPOKE_SUB, arm.SPOKE_RG, "Microsoft.Network/privateDnsZones", zone)
    out = [arm._resource(zone_id, "Microsoft.Network/privateDnsZones",
                         {"maxNumberOfRecordSets": 25000, "numberOfRecordSets": len(records) + 1,
                          "numberOfVirtualNetworkLinks": len(linked_vnets)}, location="global")]
    for name, ip in records.items():
        out.append({"id": f"{zone_id}/A/{name}", "name": name, "etag": arm.ETAG,
                    "type": "Microsoft.Network/privateDnsZones/A",
                    "properties": {"ttl": 300, "fqdn": f"{name}.{zone}.", "isAutoRegistered": False,
                                   "aRecords": [{"ipv4Address": ip}]}})
    for vnet_id in linked_vnets:
        link = f"link-{vnet_id.rsplit('/', 1)[-1]}"
        out.append(arm._resource(f"{zone_id}/virtualNetworkLinks/{link}",
                                 "Microsoft.Network/privateDnsZones/virtualNetworkLinks",
                                 {"virtualNetwork": {"id": vnet_id}, "registrationEnabled": False,
                                  "virtualNetworkLinkState": "Completed"}, location="global"))
    return out


def add_dnat(resources: list[Json], translated: str, port: str = "443") -> None:
    """A DNAT collection group on fwpol-hub: 20.103.17.40:port → translated:port."""
    group_id = f"{arm.POLICY_ID}/ruleCollectionGroups/rcg-dnat"
    arm.find(resources, "fwpol-hub")["properties"]["ruleCollectionGroups"].append({"id": group_id})
    resources.append(arm.rcg(arm.POLICY_ID, "rcg-dnat", 100, [
        arm.nat_collection("publish-aks", 100, [
            arm.nat_rule("shop-https", "20.103.17.40", port, translated, port)])]))
