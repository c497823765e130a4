"""Builders for realistic ARM JSON, as ARM GET returns it, for tests.

`baseline()` is a compliant hub-spoke: a public AKS cluster whose node subnet routes 0.0.0.0/0 to
an Azure Firewall (policy with DNS proxy, the AKS FQDN tag rule, the tunnel ports), zones
everywhere, SNAT metrics. Tests take it, change one thing, and assert on one finding.
"""

from __future__ import annotations

import copy
from typing import Any

from aksfw_tui.audit import audit
from aksfw_tui.checks.base import Check, Finding
from aksfw_tui.model.topology import Topology
from aksfw_tui.sources.snapshot import ArmSnapshot

HUB_SUB = "3f2c8a61-5b7e-4d0a-9c1e-0a1b2c3d4e5f"
SPOKE_SUB = "8d1e4b27-6c3a-4f9b-b2d5-7e6f5a4b3c2d"
REGION = "westeurope"
ETAG = 'W/"6f0c2a8e-1d3b-4c5a-9e7f-0a1b2c3d4e5f"'

Json = dict[str, Any]


def rid(sub: str, rg: str, type_path: str, name: str) -> str:
    return f"/subscriptions/{sub}/resourceGroups/{rg}/providers/{type_path}/{name}"


def _resource(resource_id: str, type_name: str, properties: Json | None, **extra: Any) -> Json:
    out: Json = {
        "id": resource_id,
        "name": resource_id.rsplit("/", 1)[-1],
        "type": type_name,
        "location": extra.pop("location", REGION),
        "etag": ETAG,
    }
    out.update(extra)
    if properties is not None:
        out["properties"] = {"provisioningState": "Succeeded", **properties}
    return out


# -- network ------------------------------------------------------------------------------------

def subnet(vnet_id: str, name: str, prefix: str, route_table: str | None = None, **props: Any) -> Json:
    properties: Json = {"addressPrefix": prefix, "provisioningState": "Succeeded", **props}
    if route_table:
        properties["routeTable"] = {"id": route_table}
    return {"id": f"{vnet_id}/subnets/{name}", "name": name, "etag": ETAG,
            "type": "Microsoft.Network/virtualNetworks/subnets", "properties": properties}


def vnet(sub: str, rg: str, name: str, prefixes: list[str], subnets: list[tuple[str, str, str | None]],
         dns_servers: list[str] | None = None, peer_with: list[str] = (), **extra: Any) -> Json:  # type: ignore[assignment]
    vnet_id = rid(sub, rg, "Microsoft.Network/virtualNetworks", name)
    properties: Json = {
        "addressSpace": {"addressPrefixes": prefixes},
        "subnets": [subnet(vnet_id, n, p, rt) for n, p, rt in subnets],
        "virtualNetworkPeerings": [
            {"id": f"{vnet_id}/virtualNetworkPeerings/to-{remote.rsplit('/', 1)[-1]}",
             "name": f"to-{remote.rsplit('/', 1)[-1]}",
             "properties": {"remoteVirtualNetwork": {"id": remote}, "peeringState": "Connected",
                            "allowForwardedTraffic": True, "allowVirtualNetworkAccess": True}}
            for remote in peer_with
        ],
        "enableDdosProtection": False,
    }
    if dns_servers is not None:
        properties["dhcpOptions"] = {"dnsServers": dns_servers}
    return _resource(vnet_id, "Microsoft.Network/virtualNetworks", properties, **extra)


def route(name: str, prefix: str, hop: str, ip: str | None = None) -> Json:
    properties: Json = {"addressPrefix": prefix, "nextHopType": hop, "provisioningState": "Succeeded"}
    if ip:
        properties["nextHopIpAddress"] = ip
    return {"name": name, "properties": properties}


def route_table(sub: str, rg: str, name: str, routes: list[Json], subnets: list[str] = ()) -> Json:  # type: ignore[assignment]
    table_id = rid(sub, rg, "Microsoft.Network/routeTables", name)
    for r in routes:
        r.setdefault("id", f"{table_id}/routes/{r['name']}")
    return _resource(table_id, "Microsoft.Network/routeTables", {
        "disableBgpRoutePropagation": True, "routes": routes,
        "subnets": [{"id": s} for s in subnets]})


def public_ip(sub: str, rg: str, name: str, ip: str, attached_to: str | None = None,
              zones: list[str] | None = ("1", "2", "3")) -> Json:  # type: ignore[assignment]
    properties: Json = {"ipAddress": ip, "publicIPAllocationMethod": "Static",
                        "publicIPAddressVersion": "IPv4", "idleTimeoutInMinutes": 4}
    if attached_to:
        properties["ipConfiguration"] = {"id": attached_to}
    extra: Json = {"sku": {"name": "Standard", "tier": "Regional"}}
    if zones:
        extra["zones"] = list(zones)
    return _resource(rid(sub, rg, "Microsoft.Network/publicIPAddresses", name),
                     "Microsoft.Network/publicIPAddresses", properties, **extra)


# -- firewall -----------------------------------------------------------------------------------

def firewall(sub: str, rg: str, name: str, private_ip: str, subnet_id: str, public_ip_ids: list[str],
             policy_id: str | None = None, zones: list[str] | None = ("1", "2", "3"),  # type: ignore[assignment]
             tier: str = "Premium", threat_intel: str = "Deny",
             additional: Json | None = None, classic: Json | None = None) -> Json:
    fw_id = rid(sub, rg, "Microsoft.Network/azureFirewalls", name)
    configs = []
    for index, pip in enumerate(public_ip_ids):
        props: Json = {"publicIPAddress": {"id": pip}}
        if index == 0:
            props |= {"privateIPAddress": private_ip, "subnet": {"id": subnet_id}}
        configs.append({"name": f"ipconfig-{index + 1:02d}",
                        "id": f"{fw_id}/azureFirewallIpConfigurations/ipconfig-{index + 1:02d}",
                        "properties": props})
    properties: Json = {
        "sku": {"name": "AZFW_VNet", "tier": tier},
        "threatIntelMode": threat_intel,
        "additionalProperties": additional or {},
        "ipConfigurations": configs,
        "applicationRuleCollections": [], "networkRuleCollections": [], "natRuleCollections": [],
    }
    if classic:
        properties.update(classic)
    if policy_id:
        properties["firewallPolicy"] = {"id": policy_id}
    extra: Json = {"zones": list(zones)} if zones else {}
    return _resource(fw_id, "Microsoft.Network/azureFirewalls", properties, **extra)


def policy(sub: str, rg: str, name: str, groups: list[str] = (), base: str | None = None,  # type: ignore[assignment]
           dns_proxy: bool | None = True, threat_intel: str = "Deny", tier: str = "Premium",
           idps: str | None = "Deny") -> Json:
    properties: Json = {"sku": {"tier": tier}, "threatIntelMode": threat_intel,
                        "ruleCollectionGroups": [{"id": g} for g in groups]}
    if dns_proxy is not None:
        properties["dnsSettings"] = {"enableProxy": dns_proxy, "servers": []}
    if base:
        properties["basePolicy"] = {"id": base}
    if idps:
        properties["intrusionDetection"] = {"mode": idps}
    return _resource(rid(sub, rg, "Microsoft.Network/firewallPolicies", name),
                     "Microsoft.Network/firewallPolicies", properties)


def rcg(policy_id: str, name: str, priority: int, collections: list[Json]) -> Json:
    return {"id": f"{policy_id}/ruleCollectionGroups/{name}", "name": name,
            "type": "Microsoft.Network/FirewallPolicies/ruleCollectionGroups", "etag": ETAG,
            "properties": {"priority": priority, "ruleCollections": collections,
                           "provisioningState": "Succeeded"}}


def filter_collection(name: str, priority: int, action: str, rules: list[Json]) -> Json:
    return {"ruleCollectionType": "FirewallPolicyFilterRuleCollection", "name": name,
            "priority": priority, "action": {"type": action}, "rules": rules}


def nat_collection(name: str, priority: int, rules: list[Json]) -> Json:
    return {"ruleCollectionType": "FirewallPolicyNatRuleCollection", "name": name,
            "priority": priority, "action": {"type": "DNAT"}, "rules": rules}


def net_rule(name: str, protocols: list[str], sources: list[str], ports: list[str],
             destinations: list[str] = (), fqdns: list[str] = (),  # type: ignore[assignment]
             source_groups: list[str] = (), destination_groups: list[str] = ()) -> Json:  # type: ignore[assignment]
    return {"ruleType": "NetworkRule", "name": name, "ipProtocols": protocols,
            "sourceAddresses": sources, "sourceIpGroups": list(source_groups),
            "destinationAddresses": list(destinations), "destinationIpGroups": list(destination_groups),
            "destinationFqdns": list(fqdns), "destinationPorts": ports}


def app_rule(name: str, sources: list[str], protocols: list[tuple[str, int]] = (("Https", 443),),  # type: ignore[assignment]
             fqdns: list[str] = (), fqdn_tags: list[str] = (), source_groups: list[str] = ()) -> Json:  # type: ignore[assignment]
    return {"ruleType": "ApplicationRule", "name": name, "sourceAddresses": sources,
            "sourceIpGroups": list(source_groups),
            "protocols": [{"protocolType": t, "port": p} for t, p in protocols],
            "targetFqdns": list(fqdns), "fqdnTags": list(fqdn_tags), "targetUrls": [],
            "webCategories": [], "terminateTLS": False, "destinationAddresses": []}


def nat_rule(name: str, destination_ip: str, port: str, translated: str, translated_port: str) -> Json:
    return {"ruleType": "NatRule", "name": name, "ipProtocols": ["TCP"], "sourceAddresses": ["*"],
            "sourceIpGroups": [], "destinationAddresses": [destination_ip],
            "destinationPorts": [port], "translatedAddress": translated,
            "translatedPort": translated_port}


def ip_group(sub: str, rg: str, name: str, addresses: list[str]) -> Json:
    return _resource(rid(sub, rg, "Microsoft.Network/ipGroups", name), "Microsoft.Network/ipGroups",
                     {"ipAddresses": addresses})


def snat_metric(resource_id: str, maxima: list[float]) -> Json:
    return {
        "id": f"{resource_id}/providers/Microsoft.Insights/metrics/SNATPortUtilization",
        "type": "Microsoft.Insights/metrics",
        "name": {"value": "SNATPortUtilization", "localizedValue": "SNAT port utilization"},
        "displayDescription": "Percentage of outbound SNAT ports currently in use",
        "unit": "Percent", "errorCode": "Success",
        "timeseries": [{"metadatavalues": [], "data": [
            {"timeStamp": f"2026-11-23T{hour:02d}:00:00Z", "maximum": m, "average": m / 2}
            for hour, m in enumerate(maxima)]}],
    }


# -- AKS ----------------------------------------------------------------------------------------

def pool(name: str, subnet_id: str | None, zones: list[str] | None = ("1", "2", "3"),  # type: ignore[assignment]
         mode: str = "System", count: int = 3) -> Json:
    out: Json = {"name": name, "count": count, "vmSize": "Standard_D4ds_v5", "osType": "Linux",
                 "osSKU": "AzureLinux", "mode": mode, "type": "VirtualMachineScaleSets",
                 "availabilityZones": list(zones) if zones is not None else None}
    if subnet_id:
        out["vnetSubnetID"] = subnet_id
    return out


def cluster(sub: str, rg: str, name: str, pools: list[Json], outbound_type: str = "userDefinedRouting",
            private: bool = False, authorized: list[str] | None = None, network_policy: str = "cilium",
            monitoring: bool = True, location: str = REGION, vnet_integration: bool = False) -> Json:
    cluster_id = rid(sub, rg.lower(), "Microsoft.ContainerService/managedClusters", name).replace(
        "resourceGroups", "resourcegroups")
    properties: Json = {
        "kubernetesVersion": "1.33.3", "dnsPrefix": name,
        "nodeResourceGroup": f"MC_{rg}_{name}_{location}",
        "agentPoolProfiles": pools,
        "networkProfile": {"networkPlugin": "azure", "networkPluginMode": "overlay",
                           "networkPolicy": network_policy, "podCidr": "192.168.0.0/16",
                           "serviceCidr": "172.16.0.0/16", "dnsServiceIP": "172.16.0.10",
                           "outboundType": outbound_type, "loadBalancerSku": "standard"},
        "addonProfiles": {"omsagent": {"enabled": monitoring, "config": {}}},
        "powerState": {"code": "Running"},
    }
    if private:
        properties["privateFQDN"] = f"{name}-1a2b3c4d.privatelink.{location}.azmk8s.io"
        properties["apiServerAccessProfile"] = {"enablePrivateCluster": True}
    else:
        properties["fqdn"] = f"{name}-1a2b3c4d.hcp.{location}.azmk8s.io"
    if vnet_integration:
        properties.setdefault("apiServerAccessProfile", {})["enableVnetIntegration"] = True
    if authorized is not None:
        properties.setdefault("apiServerAccessProfile", {})["authorizedIPRanges"] = authorized
    return _resource(cluster_id, "Microsoft.ContainerService/ManagedClusters", properties,
                     location=location, sku={"name": "Base", "tier": "Standard"})


# -- the baseline -------------------------------------------------------------------------------

HUB_RG, SPOKE_RG = "rg-hub", "rg-spoke"
HUB_VNET = rid(HUB_SUB, HUB_RG, "Microsoft.Network/virtualNetworks", "vnet-hub")
SPOKE_VNET = rid(SPOKE_SUB, SPOKE_RG, "Microsoft.Network/virtualNetworks", "vnet-spoke")
FW_SUBNET = f"{HUB_VNET}/subnets/AzureFirewallSubnet"
NODE_SUBNET = f"{SPOKE_VNET}/subnets/snet-aks-nodes"
NODE_CIDR = "10.20.0.0/22"
FW_IP = "10.0.1.4"
FW_ID = rid(HUB_SUB, HUB_RG, "Microsoft.Network/azureFirewalls", "fw-hub")
POLICY_ID = rid(HUB_SUB, HUB_RG, "Microsoft.Network/firewallPolicies", "fwpol-hub")
RT_ID = rid(SPOKE_SUB, SPOKE_RG, "Microsoft.Network/routeTables", "rt-aks")
PIP_IDS = [rid(HUB_SUB, HUB_RG, "Microsoft.Network/publicIPAddresses", f"pip-fw-hub-0{i}")
           for i in (1, 2)]
GROUP_ID = f"{POLICY_ID}/ruleCollectionGroups/rcg-aks"


def baseline() -> list[Json]:
    """A compliant hub-spoke (fresh copy each call; mutate freely)."""
    resources = [
        vnet(HUB_SUB, HUB_RG, "vnet-hub", ["10.0.0.0/16"],
             [("AzureFirewallSubnet", "10.0.1.0/26", None)], peer_with=[SPOKE_VNET]),
        vnet(SPOKE_SUB, SPOKE_RG, "vnet-spoke", ["10.20.0.0/16"],
             [("snet-aks-nodes", NODE_CIDR, RT_ID)], dns_servers=[FW_IP], peer_with=[HUB_VNET]),
        route_table(SPOKE_SUB, SPOKE_RG, "rt-aks", [route("default-to-fw", "0.0.0.0/0",
                                                          "VirtualAppliance", FW_IP)], [NODE_SUBNET]),
        *[public_ip(HUB_SUB, HUB_RG, f"pip-fw-hub-0{i}", f"20.103.17.{39 + i}",
                    f"{FW_ID}/azureFirewallIpConfigurations/ipconfig-0{i}") for i in (1, 2)],
        firewall(HUB_SUB, HUB_RG, "fw-hub", FW_IP, FW_SUBNET, PIP_IDS, policy_id=POLICY_ID),
        policy(HUB_SUB, HUB_RG, "fwpol-hub", [GROUP_ID]),
        rcg(POLICY_ID, "rcg-aks", 300, [
            filter_collection("aks-net", 100, "Allow", [
                net_rule("tunnel-udp", ["UDP"], [NODE_CIDR], ["1194"], [f"AzureCloud.{REGION}"]),
                net_rule("tunnel-tcp", ["TCP"], [NODE_CIDR], ["9000"], [f"AzureCloud.{REGION}"]),
                net_rule("ntp", ["UDP"], [NODE_CIDR], ["123"], fqdns=["ntp.ubuntu.com"]),
            ]),
            filter_collection("aks-app", 200, "Allow", [
                app_rule("aks-fqdn-tag", [NODE_CIDR], [("Https", 443), ("Http", 80)],
                         fqdn_tags=["AzureKubernetesService"]),
            ]),
        ]),
        cluster(SPOKE_SUB, SPOKE_RG, "aks-prod", [pool("system", NODE_SUBNET),
                                                  pool("user", NODE_SUBNET, mode="User")],
                authorized=["20.103.17.40/32", "20.103.17.41/32"]),
        snat_metric(FW_ID, [12.0, 35.5, 41.0, 20.0]),
    ]
    return copy.deepcopy(resources)


def find(resources: list[Json], name: str) -> Json:
    """The resource (or the first child object anywhere) with this name, to mutate in a test."""
    for resource in resources:
        if resource.get("name") == name:
            return resource
    raise KeyError(name)


def topology(resources: list[Json]) -> Topology:
    snapshot = ArmSnapshot(source={"kind": "export"})
    for resource in resources:
        snapshot.add(copy.deepcopy(resource))
    return Topology(snapshot)


def findings(resources: list[Json], check: Check) -> list[Finding]:
    snapshot = ArmSnapshot(source={"kind": "export"})
    for resource in resources:
        snapshot.add(copy.deepcopy(resource))
    return audit(snapshot, [check])[1]


def finding(resources: list[Json], check: Check, subject: str) -> Finding:
    """The one finding of `check` on the subject named `subject`."""
    matches = [f for f in findings(resources, check) if f.subject.name == subject]
    assert len(matches) == 1, f"expected one finding for {subject}, got {len(matches)}"
    return matches[0]
