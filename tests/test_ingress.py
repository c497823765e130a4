"""The ingress model: which public entries reach a cluster, and the path each takes."""

from aksfw_tui.model.ingress import (
    ClusterIngress,
    EntryKind,
    Waf,
    cluster_ingress,
    cluster_load_balancers,
)
from aksfw_tui.model.resources import Cluster
from aksfw_tui.model.topology import Topology
from tests import arm
from tests import arm_ingress as ing


def _ingress(resources: list[arm.Json]) -> tuple[Topology, Cluster, ClusterIngress]:
    topology = arm.topology(resources)
    cluster = next(c for c in topology.clusters if c.name == "aks-prod")
    return topology, cluster, cluster_ingress(topology, cluster)


def test_node_resource_group_is_matched_case_insensitively() -> None:
    resources = arm.baseline() + ing.public_lb()
    lb = arm.find(resources, "kubernetes")
    lb["id"] = lb["id"].replace(ing.NODE_RG, ing.NODE_RG.lower()).replace("resourceGroups", "resourcegroups")
    topology, cluster, ingress = _ingress(resources)
    assert [lb.name for lb in cluster_load_balancers(topology, cluster)] == ["kubernetes"]
    assert len(ingress.entries) == 1


def test_public_lb_entry_records_path_and_ports() -> None:
    _, _, ingress = _ingress(arm.baseline() + ing.public_lb(egress_frontend=True))
    (entry,) = ingress.entries  # the egress-only frontend is not an entry
    assert entry.kind is EntryKind.LOAD_BALANCER
    assert entry.public_ip == ing.LB_PIP
    assert entry.path == (f"kubernetes-a1b2c3d4e5f6 ({ing.LB_PIP})", "kubernetes/a1b2c3d4e5f6",
                          "rules: a1b2c3d4e5f6-TCP-443", "aks-prod")
    assert entry.ports == (("Tcp", 443),)
    assert entry.waf.state is Waf.NONE


def test_gateway_entry_reaches_the_cluster_through_a_path_rule_with_its_own_policy() -> None:
    resources = arm.baseline()
    ing.add_appgw_subnet(resources)
    path_policy = arm.rid(arm.SPOKE_SUB, arm.SPOKE_RG,
                          "Microsoft.Network/ApplicationGatewayWebApplicationFirewallPolicies", "waf-api")
    resources += [ing.internal_lb(), ing.waf_policy("Detection"), ing.waf_policy(name="waf-api"),
                  *ing.app_gateway([{"ipAddress": ing.ILB_IP}], path_rule_policy=path_policy)]
    _, _, ingress = _ingress(resources)
    (entry,) = ingress.entries  # the default pool (a storage FQDN) is not the cluster
    assert entry.kind is EntryKind.APP_GATEWAY
    assert entry.waf.state is Waf.PREVENTION and entry.waf.policy_id == path_policy
    assert entry.path[2] == "waf-api (prevention)"
    assert entry.path[3] == f"pool-aks: {ing.ILB_IP} (kubernetes-internal/b7c8d9e0f1a2)"


def test_a_private_only_gateway_is_not_a_public_entry() -> None:
    resources = arm.baseline()
    ing.add_appgw_subnet(resources)
    resources += [ing.internal_lb(), ing.waf_policy(),
                  *ing.app_gateway([{"ipAddress": ing.ILB_IP}], public=False)]
    assert _ingress(resources)[2].entries == ()


def test_a_redirect_rule_reaches_no_pool() -> None:
    resources = arm.baseline()
    ing.add_appgw_subnet(resources)
    resources += [ing.internal_lb(), *ing.app_gateway([{"ipAddress": ing.ILB_IP}], tier="Standard_v2",
                                                       waf_policy_id=None)]
    rule = arm.find(resources, "agw-aks")["properties"]["requestRoutingRules"][0]["properties"]
    del rule["backendAddressPool"]
    rule["redirectConfiguration"] = {"id": f"{ing.APPGW_ID}/redirectConfigurations/to-https"}
    assert _ingress(resources)[2].entries == ()


def test_fqdn_resolves_only_through_zones_linked_to_the_gateway_vnet() -> None:
    resources = arm.baseline()
    ing.add_appgw_subnet(resources)
    resources += [ing.internal_lb(), ing.waf_policy(),
                  *ing.app_gateway([{"fqdn": "shop.internal.contoso.com"}]),
                  *ing.private_zone("internal.contoso.com", {"shop": ing.ILB_IP}, [arm.HUB_VNET])]
    _, _, ingress = _ingress(resources)
    # the zone is linked to the hub only; the gateway has a WAF in Prevention, so no gap either
    assert ingress.entries == () and ingress.gaps == ()


def test_classic_dnat_rule_to_a_node_subnet_address_is_an_entry() -> None:
    resources = arm.baseline()
    fw = arm.find(resources, "fw-hub")
    del fw["properties"]["firewallPolicy"]
    fw["properties"]["natRuleCollections"] = [{
        "name": "publish", "id": f"{arm.FW_ID}/natRuleCollections/publish",
        "properties": {"priority": 100, "action": {"type": "Dnat"}, "rules": [{
            "name": "ssh-node", "protocols": ["TCP"], "sourceAddresses": ["*"],
            "destinationAddresses": ["20.103.17.41"], "destinationPorts": ["2222"],
            "translatedAddress": "10.20.0.4", "translatedPort": "22"}]}}]
    _, _, ingress = _ingress(resources)
    (entry,) = ingress.entries
    assert entry.kind is EntryKind.FIREWALL_DNAT
    assert entry.path == ("20.103.17.41 on fw-hub", "DNAT fw-hub › publish › ssh-node",
                          "10.20.0.4 (node subnet snet-aks-nodes)", "aks-prod")


def test_a_gateway_without_properties_is_a_gap() -> None:
    resources = arm.baseline()
    gateway, pip = ing.app_gateway([{"ipAddress": ing.ILB_IP}])
    del gateway["properties"]
    _, _, ingress = _ingress([*resources, gateway, pip])
    assert ingress.entries == ()
    assert ingress.gaps == ("App Gateway agw-aks was exported without its properties; its listeners "
                            "might publish this cluster",)


def test_link_ingress_adds_backend_and_dnat_edges() -> None:
    from aksfw_tui.model.ingress import link_ingress

    resources = arm.baseline()
    ing.add_appgw_subnet(resources)
    resources += [ing.internal_lb(), ing.waf_policy(), *ing.app_gateway([{"ipAddress": ing.ILB_IP}])]
    ing.add_dnat(resources, "10.20.0.9")
    topology = arm.topology(resources)
    link_ingress(topology)
    link_ingress(topology)  # idempotent
    edges = {(u.rsplit("/", 1)[-1], v.rsplit("/", 1)[-1], k) for u, v, k in topology.graph.edges(keys=True)}
    assert ("listener-https", "pool-aks", "backend") in edges
    assert ("pool-aks", "b7c8d9e0f1a2", "backend") in edges  # the internal LB frontend
    assert ("fwpol-hub › rcg-dnat › publish-aks › shop-https", "snet-aks-nodes", "dnat_to") in edges
