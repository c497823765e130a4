"""snat-utilisation: pass (baseline peak 41 %), fail at and above the threshold, unknown without
metrics, the user's threshold, average-only exports, and a NAT gateway on AzureFirewallSubnet."""

import copy

from aksfw_tui.audit import audit
from aksfw_tui.checks.base import Finding, Severity, Status
from aksfw_tui.checks.snat_utilisation import CHECK
from aksfw_tui.settings import Settings
from aksfw_tui.sources.snapshot import ArmSnapshot
from tests import arm

NATGW_ID = arm.rid(arm.HUB_SUB, arm.HUB_RG, "Microsoft.Network/natGateways", "natgw-hub")
NATGW_PIP_ID = arm.rid(arm.HUB_SUB, arm.HUB_RG, "Microsoft.Network/publicIPAddresses", "pip-natgw-hub-01")


def _with_metric(maxima: list[float]) -> list[arm.Json]:
    resources = [r for r in arm.baseline() if r["type"] != "Microsoft.Insights/metrics"]
    return [*resources, arm.snat_metric(arm.FW_ID, maxima)]


def _with_settings(resources: list[arm.Json], settings: Settings) -> Finding:
    snapshot = ArmSnapshot(source={"kind": "export"})
    for resource in resources:
        snapshot.add(copy.deepcopy(resource))
    (finding,) = audit(snapshot, [CHECK], settings)[1]
    return finding


def _with_nat_gateway(resources: list[arm.Json]) -> list[arm.Json]:
    """A NAT gateway (one public IP) attached to AzureFirewallSubnet, as ARM returns both sides."""
    subnet = arm.find(resources, "vnet-hub")["properties"]["subnets"][0]
    subnet["properties"]["natGateway"] = {"id": NATGW_ID}
    gateway = {
        "id": NATGW_ID, "name": "natgw-hub", "type": "Microsoft.Network/natGateways",
        "location": arm.REGION, "etag": arm.ETAG, "sku": {"name": "Standard"},
        "properties": {"provisioningState": "Succeeded", "idleTimeoutInMinutes": 4,
                       "publicIpAddresses": [{"id": NATGW_PIP_ID}], "subnets": [{"id": arm.FW_SUBNET}]},
    }
    return [*resources, gateway, arm.public_ip(arm.HUB_SUB, arm.HUB_RG, "pip-natgw-hub-01", "20.103.18.7")]


# -- pass ----------------------------------------------------------------------------------------


def test_passes_when_the_peak_is_below_the_threshold() -> None:
    result = arm.finding(arm.baseline(), CHECK, "fw-hub")
    assert result.status is Status.PASS, result.result.message
    message = result.result.message
    assert "peak SNATPortUtilization 41 % (maximum at 2026-11-23T02:00:00Z) is below the 80 % threshold" in message
    assert "2 public IPs on fw-hub (the AKS firewall guide suggests at least 20 for production)" in message
    assert "no NAT gateway is attached to AzureFirewallSubnet" in message
    evidence = result.result.evidence
    assert evidence["peak_percent"] == 41.0
    assert evidence["aggregation"] == "maximum"
    assert evidence["window"] == {"from": "2026-11-23T00:00:00Z", "to": "2026-11-23T03:00:00Z", "points": 4}
    assert evidence["public_ip_count"] == 2
    assert evidence["nat_gateway"] is None


# -- fail ----------------------------------------------------------------------------------------


def test_fails_high_at_93_percent_and_sizes_the_fix() -> None:
    result = arm.finding(_with_metric([30.0, 93.0, 50.0]), CHECK, "fw-hub")
    assert result.status is Status.FAIL
    assert result.severity is Severity.HIGH
    assert ("peak SNATPortUtilization 93 % (maximum at 2026-11-23T01:00:00Z) reached the 80 % threshold"
            in result.result.message)
    fix = result.result.remediation
    assert fix is not None
    # 2 IPs at 93 % → about 4 IPs bring the same load near 50 %: add 2, numbered after the existing ones
    assert fix.summary == ("Add SNAT capacity to fw-hub: 2 more public IP(s) or a NAT gateway on "
                           "AzureFirewallSubnet")
    assert fix.az_cli == (
        "az network public-ip create --resource-group rg-hub --name pip-fw-hub-03 --location westeurope "
        "--sku Standard --allocation-method Static --zone 1 2 3",
        "az network firewall ip-config create --resource-group rg-hub --firewall-name fw-hub "
        "--name ipconfig-03 --public-ip-address pip-fw-hub-03",
        "az network public-ip create --resource-group rg-hub --name pip-fw-hub-04 --location westeurope "
        "--sku Standard --allocation-method Static --zone 1 2 3",
        "az network firewall ip-config create --resource-group rg-hub --firewall-name fw-hub "
        "--name ipconfig-04 --public-ip-address pip-fw-hub-04",
    )
    assert any("az network vnet subnet update --resource-group rg-hub --vnet-name vnet-hub "
               "--name AzureFirewallSubnet --nat-gateway natgw-fw-hub" in s for s in fix.steps)
    assert any("authorized IP ranges" in s for s in fix.steps)
    assert "resource natgw_fw_hub 'Microsoft.Network/natGateways@2024-05-01'" in fix.bicep
    assert 'resource "azurerm_subnet_nat_gateway_association" "natgw_fw_hub"' in fix.terraform
    assert f'subnet_id      = "{arm.FW_SUBNET}"' in fix.terraform


def test_a_peak_exactly_at_the_threshold_fails() -> None:
    assert arm.finding(_with_metric([80.0]), CHECK, "fw-hub").status is Status.FAIL


def test_peak_is_taken_across_every_series_of_the_metric() -> None:
    resources = _with_metric([20.0, 30.0])
    udp = arm.snat_metric(arm.FW_ID, [10.0, 10.0, 88.5])
    udp["timeseries"][0]["metadatavalues"] = [{"name": {"value": "protocol"}, "value": "UDP"}]
    result = arm.finding([*resources, udp], CHECK, "fw-hub")
    assert result.status is Status.FAIL
    assert result.result.evidence["peak_percent"] == 88.5
    assert result.result.evidence["peak_at"] == "2026-11-23T02:00:00Z"


def test_average_only_exports_are_judged_on_the_largest_average_and_say_so() -> None:
    resources = _with_metric([70.0, 170.0])  # averages are maximum / 2: 35 and 85
    metric = resources[-1]
    for point in metric["timeseries"][0]["data"]:
        del point["maximum"]
    result = arm.finding(resources, CHECK, "fw-hub")
    assert result.status is Status.FAIL
    assert result.result.evidence["aggregation"] == "average"
    assert result.result.evidence["peak_percent"] == 85.0
    assert "only averages were exported, so the real peak may be higher" in result.result.message


def test_with_a_nat_gateway_the_fix_adds_ips_to_it() -> None:
    resources = _with_nat_gateway(_with_metric([95.0]))
    result = arm.finding(resources, CHECK, "fw-hub")
    assert result.status is Status.FAIL
    assert "NAT gateway natgw-hub with 1 public IP(s) is attached to AzureFirewallSubnet" in result.result.message
    assert result.result.evidence["nat_gateway"] == NATGW_ID
    fix = result.result.remediation
    assert fix is not None
    assert fix.az_cli == (
        "az network public-ip create --resource-group rg-hub --name pip-natgw-hub-02 --location westeurope "
        "--sku Standard --allocation-method Static",
        "az network nat gateway update --resource-group rg-hub --name natgw-hub "
        "--public-ip-addresses pip-natgw-hub-01 pip-natgw-hub-02",
    )
    assert f'nat_gateway_id       = "{NATGW_ID}"' in fix.terraform


# -- the user's threshold ------------------------------------------------------------------------


def test_a_lower_threshold_from_settings_fails_the_baseline() -> None:
    result = _with_settings(arm.baseline(), Settings(snat_threshold=40))
    assert result.status is Status.FAIL
    assert "peak SNATPortUtilization 41 % (maximum at 2026-11-23T02:00:00Z) reached the 40 % threshold" in (
        result.result.message)
    assert result.result.evidence["threshold_percent"] == 40


def test_a_higher_threshold_from_settings_passes_a_busy_firewall() -> None:
    result = _with_settings(_with_metric([93.0]), Settings(snat_threshold=95))
    assert result.status is Status.PASS


# -- unknown -------------------------------------------------------------------------------------


def test_unknown_without_metrics() -> None:
    resources = [r for r in arm.baseline() if r["type"] != "Microsoft.Insights/metrics"]
    result = arm.finding(resources, CHECK, "fw-hub")
    assert result.status is Status.UNKNOWN
    assert result.result.message.startswith("no metrics: no SNATPortUtilization data points for fw-hub")
    # the capacity evidence is still shown
    assert result.result.evidence["public_ip_count"] == 2
    assert result.result.evidence["peak_percent"] is None


def test_unknown_when_the_series_has_no_data_points() -> None:
    resources = _with_metric([])
    result = arm.finding(resources, CHECK, "fw-hub")
    assert result.status is Status.UNKNOWN
    assert "no metrics" in result.result.message


def test_metrics_of_another_metric_do_not_count() -> None:
    resources = [r for r in arm.baseline() if r["type"] != "Microsoft.Insights/metrics"]
    health = arm.snat_metric(arm.FW_ID, [100.0])
    health["id"] = health["id"].replace("SNATPortUtilization", "FirewallHealth")
    health["name"] = {"value": "FirewallHealth"}
    assert arm.finding([*resources, health], CHECK, "fw-hub").status is Status.UNKNOWN


# -- the plan (property changes) -----------------------------------------------------------------


def _changes(resources: list[arm.Json]) -> list[tuple[str, str, str, object, object]]:
    fix = arm.finding(resources, CHECK, "fw-hub").result.remediation
    assert fix is not None
    return [(c.resource_id, c.op, c.path, c.value, c.before) for c in fix.changes]


def _hub_pip(name: str) -> str:
    return arm.rid(arm.HUB_SUB, arm.HUB_RG, "Microsoft.Network/publicIPAddresses", name)


def test_the_plan_appends_an_ip_configuration_per_new_public_ip() -> None:
    # the same two IPs as the commands: numbered after ipconfig-01/02, created in rg-hub first
    assert _changes(_with_metric([30.0, 93.0, 50.0])) == [
        (arm.FW_ID, "add", "/properties/ipConfigurations/-",
         {"name": "ipconfig-03", "properties": {"publicIPAddress": {"id": _hub_pip("pip-fw-hub-03")}}}, None),
        (arm.FW_ID, "add", "/properties/ipConfigurations/-",
         {"name": "ipconfig-04", "properties": {"publicIPAddress": {"id": _hub_pip("pip-fw-hub-04")}}}, None),
    ]
    fix = arm.finding(_with_metric([93.0]), CHECK, "fw-hub").result.remediation
    assert fix is not None
    assert any("refer to the new public IPs by id, so create those first" in s for s in fix.steps)


def test_the_plan_appends_the_new_ip_to_the_nat_gateway() -> None:
    assert _changes(_with_nat_gateway(_with_metric([95.0]))) == [
        (NATGW_ID, "add", "/properties/publicIpAddresses/-", {"id": _hub_pip("pip-natgw-hub-02")}, None)]


def test_a_nat_gateway_outside_the_snapshot_has_no_plan_and_keeps_its_ips() -> None:
    resources = [r for r in _with_nat_gateway(_with_metric([95.0])) if r["name"] != "natgw-hub"]
    fix = arm.finding(resources, CHECK, "fw-hub").result.remediation
    assert fix is not None
    assert fix.changes == ()
    # the update replaces the gateway's list: its unseen current IPs must not be dropped
    assert fix.az_cli[1].endswith("--public-ip-addresses <its-current-public-ips> pip-natgw-hub-01")
    assert any("put its current public IPs" in s for s in fix.steps)


def test_the_secured_hub_plan_raises_the_public_ip_count() -> None:
    resources = _with_metric([93.0])
    firewall = arm.find(resources, "fw-hub")["properties"]
    firewall["sku"]["name"] = "AZFW_Hub"
    firewall["ipConfigurations"] = []
    firewall["virtualHub"] = {"id": arm.rid(arm.HUB_SUB, arm.HUB_RG, "Microsoft.Network/virtualHubs", "vhub-weu")}
    firewall["hubIPAddresses"] = {"privateIPAddress": "10.100.64.4",
                                  "publicIPs": {"count": 1, "addresses": [{"address": "20.103.30.1"}]}}
    # 1 IP at 93 % → 2 bring it near 50 %
    assert _changes(resources) == [(arm.FW_ID, "replace", "/properties/hubIPAddresses/publicIPs/count", 2, 1)]
    result = arm.finding(resources, CHECK, "fw-hub")
    assert result.result.evidence["public_ip_count"] == 1
    assert result.result.remediation is not None
    assert result.result.remediation.az_cli == (
        "az network firewall update --resource-group rg-hub --name fw-hub --public-ip-count 2",)


def test_secured_hub_public_addresses_are_counted() -> None:
    from aksfw_tui.model.resources import Firewall

    hub = Firewall.parse({"id": "/subscriptions/x/resourceGroups/r/providers/Microsoft.Network/azureFirewalls/f",
                          "properties": {"hubIPAddresses": {"publicIPs": {
                              "addresses": [{"address": "20.1.2.3"}, {"address": "20.1.2.4"}]}}}})
    assert hub.hub_public_ip_count == 2
