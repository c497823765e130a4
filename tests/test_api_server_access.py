"""api-server-access: pass (ranges with the firewall IPs, private, VNet integration), fail (no
ranges, 0.0.0.0/0, ranges omitting a firewall egress IP), unknown."""

from aksfw_tui.checks.api_server_access import CHECK
from aksfw_tui.checks.base import Severity, Status
from tests import arm


def _access(resources: list[arm.Json]) -> arm.Json:
    props: arm.Json = arm.find(resources, "aks-prod")["properties"]
    return props.setdefault("apiServerAccessProfile", {})


def test_passes_when_ranges_include_every_firewall_egress_ip() -> None:
    result = arm.finding(arm.baseline(), CHECK, "aks-prod")
    assert result.status is Status.PASS, result.result.message
    assert result.result.evidence["firewall_egress_ips"] == ["20.103.17.40", "20.103.17.41"]
    assert "include every egress IP of fw-hub" in result.result.message


def test_passes_when_a_wider_range_covers_the_firewall_ips() -> None:
    resources = arm.baseline()
    _access(resources)["authorizedIPRanges"] = ["20.103.17.0/24", "203.0.113.0/27"]
    assert arm.finding(resources, CHECK, "aks-prod").status is Status.PASS


def test_passes_for_a_private_cluster() -> None:
    resources = arm.baseline()
    _access(resources)["enablePrivateCluster"] = True
    del _access(resources)["authorizedIPRanges"]
    result = arm.finding(resources, CHECK, "aks-prod")
    assert result.status is Status.PASS
    assert "private cluster" in result.result.message


def test_passes_with_api_server_vnet_integration() -> None:
    resources = arm.baseline()
    _access(resources).update({"enableVnetIntegration": True, "authorizedIPRanges": []})
    assert arm.finding(resources, CHECK, "aks-prod").status is Status.PASS


def test_fails_medium_when_public_without_ranges() -> None:
    resources = arm.baseline()
    del arm.find(resources, "aks-prod")["properties"]["apiServerAccessProfile"]
    result = arm.finding(resources, CHECK, "aks-prod")
    assert result.status is Status.FAIL
    assert result.severity is Severity.MEDIUM
    assert "public with no authorized IP ranges" in result.result.message
    fix = result.result.remediation
    assert fix is not None
    assert fix.az_cli == ("az aks update --resource-group rg-spoke --name aks-prod "
                          "--api-server-authorized-ip-ranges "
                          "20.103.17.40/32,20.103.17.41/32,<admin-or-ci-cidr>",)


def test_fails_medium_when_a_range_is_the_whole_internet() -> None:
    resources = arm.baseline()
    _access(resources)["authorizedIPRanges"] = ["0.0.0.0/0"]
    result = arm.finding(resources, CHECK, "aks-prod")
    assert result.status is Status.FAIL and result.severity is Severity.MEDIUM
    assert "0.0.0.0/0" in result.result.message


def test_fails_high_naming_the_omitted_firewall_ip() -> None:
    resources = arm.baseline()
    _access(resources)["authorizedIPRanges"] = ["20.103.17.40/32", "198.51.100.0/24"]
    result = arm.finding(resources, CHECK, "aks-prod")
    assert result.status is Status.FAIL
    assert result.severity is Severity.HIGH
    assert "omit 20.103.17.41, egress IP(s) of fw-hub" in result.result.message
    fix = result.result.remediation
    assert fix is not None
    assert fix.az_cli == ("az aks update --resource-group rg-spoke --name aks-prod "
                          "--api-server-authorized-ip-ranges "
                          "20.103.17.40/32,198.51.100.0/24,20.103.17.41/32",)
    assert '"20.103.17.41/32"' in fix.terraform and "'20.103.17.41/32'" in fix.bicep


def test_unknown_when_a_firewall_public_ip_is_missing() -> None:
    resources = [r for r in arm.baseline() if r["name"] != "pip-fw-hub-02"]
    result = arm.finding(resources, CHECK, "aks-prod")
    assert result.status is Status.UNKNOWN
    assert "public IP of firewall fw-hub pip-fw-hub-02" in result.result.message


def test_unknown_when_the_firewall_is_unknown() -> None:
    resources = arm.baseline()
    arm.find(resources, "rt-aks")["properties"]["routes"][0]["properties"]["nextHopIpAddress"] = "10.100.0.4"
    result = arm.finding(resources, CHECK, "aks-prod")
    assert result.status is Status.UNKNOWN
    assert "10.100.0.4 lies outside every VNet" in result.result.message


def test_nat_gateway_on_the_firewall_subnet_takes_over_egress() -> None:
    resources = arm.baseline()
    nat_id = arm.rid(arm.HUB_SUB, arm.HUB_RG, "Microsoft.Network/natGateways", "ng-fw-hub")
    pip = arm.public_ip(arm.HUB_SUB, arm.HUB_RG, "pip-ng-fw-hub", "51.124.8.20")
    pip["properties"]["natGateway"] = {"id": nat_id}
    resources += [pip, arm._resource(nat_id, "Microsoft.Network/natGateways", {
        "idleTimeoutInMinutes": 4, "publicIpAddresses": [{"id": pip["id"]}],
        "subnets": [{"id": arm.FW_SUBNET}]}, sku={"name": "Standard"}, zones=["1"])]
    fw_subnet = arm.find(resources, "vnet-hub")["properties"]["subnets"][0]
    fw_subnet["properties"]["natGateway"] = {"id": nat_id}
    result = arm.finding(resources, CHECK, "aks-prod")
    assert result.status is Status.FAIL
    assert "omit 51.124.8.20" in result.result.message


def test_the_plan_appends_the_omitted_firewall_ip_to_the_current_ranges() -> None:
    resources = arm.baseline()
    _access(resources)["authorizedIPRanges"] = ["20.103.17.40/32", "198.51.100.0/24"]
    cluster_id = arm.find(resources, "aks-prod")["id"]
    fix = arm.finding(resources, CHECK, "aks-prod").result.remediation
    assert fix is not None
    assert [(c.resource_id, c.op, c.path, c.value, c.before) for c in fix.changes] == [
        (cluster_id, "replace", "/properties/apiServerAccessProfile/authorizedIPRanges",
         ["20.103.17.40/32", "198.51.100.0/24", "20.103.17.41/32"],
         ["20.103.17.40/32", "198.51.100.0/24"])]


def test_the_plan_adds_the_whole_access_profile_when_the_export_has_none() -> None:
    # JSON Patch cannot add /apiServerAccessProfile/authorizedIPRanges under a missing parent
    resources = arm.baseline()
    del arm.find(resources, "aks-prod")["properties"]["apiServerAccessProfile"]
    fix = arm.finding(resources, CHECK, "aks-prod").result.remediation
    assert fix is not None
    assert [(c.op, c.path, c.value, c.before) for c in fix.changes] == [
        ("add", "/properties/apiServerAccessProfile",
         {"authorizedIPRanges": ["20.103.17.40/32", "20.103.17.41/32", "<admin-or-ci-cidr>"]}, None)]
    assert any("Replace <admin-or-ci-cidr>" in s for s in fix.steps)


def test_the_fix_for_a_whole_internet_range_drops_it() -> None:
    resources = arm.baseline()
    _access(resources)["authorizedIPRanges"] = ["0.0.0.0/0", "203.0.113.0/27"]
    fix = arm.finding(resources, CHECK, "aks-prod").result.remediation
    assert fix is not None
    wanted = ["203.0.113.0/27", "20.103.17.40/32", "20.103.17.41/32"]
    assert [(c.op, c.value, c.before) for c in fix.changes] == [
        ("replace", wanted, ["0.0.0.0/0", "203.0.113.0/27"])]
    assert fix.az_cli == ("az aks update --resource-group rg-spoke --name aks-prod "
                          "--api-server-authorized-ip-ranges " + ",".join(wanted),)
    assert "0.0.0.0/0" not in fix.bicep and "0.0.0.0/0" not in fix.terraform
    assert fix.steps[0].startswith("Remove 0.0.0.0/0 from the authorized ranges")
