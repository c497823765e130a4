"""zone-spread: firewalls and clusters; pass, fail (no zones, one zone, non-zonal public IP, node
pool without zones), not_applicable in a region without zones, unknown; and which regions have
zones: the user's region table, the subscription locations ARM lists (live discovery's), the
bundled table."""

import copy
import json
from pathlib import Path

from aksfw_tui.audit import audit
from aksfw_tui.checks.base import Finding, Status
from aksfw_tui.checks.zone_spread import CHECK
from aksfw_tui.model.topology import bundled_zone_regions
from aksfw_tui.settings import Settings
from aksfw_tui.sources.export import load_export
from aksfw_tui.sources.snapshot import ArmSnapshot, Unreadable
from tests import arm

NO_ZONE_REGION = "ukwest"  # Microsoft lists UK West without availability zones
ARM_ORIGIN = "subscription locations from ARM"


def _with_settings(resources: list[arm.Json], settings: Settings, subject: str,
                   unreadable: tuple[Unreadable, ...] = ()) -> Finding:
    snapshot = ArmSnapshot(source={"kind": "export"}, unreadable=list(unreadable))
    for resource in resources:
        snapshot.add(copy.deepcopy(resource))
    matches = [f for f in audit(snapshot, [CHECK], settings)[1] if f.subject.name == subject]
    assert len(matches) == 1
    return matches[0]


def location(sub: str, name: str, display: str, zoned: bool) -> arm.Json:
    """One item of GET /subscriptions/{sub}/locations?api-version=2022-12-01, as ARM sends it:
    `availabilityZoneMappings` only for a region with zones (each subscription's own mapping)."""
    item: arm.Json = {
        "id": f"/subscriptions/{sub}/locations/{name}", "name": name, "type": "Region",
        "displayName": display, "regionalDisplayName": f"(Europe) {display}",
        "metadata": {"regionType": "Physical", "regionCategory": "Recommended", "geographyGroup": "Europe"},
    }
    if zoned:
        item["availabilityZoneMappings"] = [{"logicalZone": str(z), "physicalZone": f"{name}-az{(z % 3) + 1}"}
                                            for z in (1, 2, 3)]
    return item


def locations(sub: str = arm.HUB_SUB, **zoned: bool) -> list[arm.Json]:
    """The subscription's locations: West Europe and North Europe with zones, UK West without,
    unless `zoned` says otherwise for a region (by name)."""
    regions = {"westeurope": ("West Europe", True), "northeurope": ("North Europe", True),
               "ukwest": ("UK West", False)}
    regions.update({name: (regions.get(name, (name, True))[0], value) for name, value in zoned.items()})
    return [location(sub, name, display, value) for name, (display, value) in regions.items()]


def _pools(resources: list[arm.Json]) -> list[arm.Json]:
    return arm.find(resources, "aks-prod")["properties"]["agentPoolProfiles"]


def _move_to(resources: list[arm.Json], location: str) -> list[arm.Json]:
    for resource in resources:
        if "location" in resource:
            resource["location"] = location
    return resources


# -- the bundled table ---------------------------------------------------------------------------


def test_bundled_table_is_dated_and_knows_zonal_and_non_zonal_regions() -> None:
    regions, origin = bundled_zone_regions()
    assert {"westeurope", "eastus2", "swedencentral", "australiaeast"} <= regions
    assert not {"ukwest", "westcentralus", "northcentralus", "westus"} & regions
    assert "as of 2025-09-23" in origin
    assert "https://learn.microsoft.com/azure/reliability/regions-list" in origin


def test_without_location_objects_the_bundled_table_decides_and_is_named_in_evidence() -> None:
    result = arm.finding(arm.baseline(), CHECK, "fw-hub")
    assert result.status is Status.PASS
    assert result.result.evidence["zone_table"].startswith("bundled table of Microsoft's regions list "
                                                           "as of 2025-09-23")


# -- pass ----------------------------------------------------------------------------------------


def test_passes_for_a_three_zone_firewall_with_zone_redundant_public_ips() -> None:
    result = arm.finding(arm.baseline(), CHECK, "fw-hub")
    assert result.status is Status.PASS, result.result.message
    assert "fw-hub spans zones 1, 2, 3 and all 2 public IPs are zone-redundant" in result.result.message
    assert [p["zones"] for p in result.result.evidence["public_ips"]] == [["1", "2", "3"]] * 2


def test_passes_for_a_cluster_whose_pools_span_three_zones() -> None:
    result = arm.finding(arm.baseline(), CHECK, "aks-prod")
    assert result.status is Status.PASS, result.result.message
    assert "system (1, 2, 3), user (1, 2, 3)" in result.result.message


def test_two_zones_pass_but_say_three_are_recommended() -> None:
    resources = arm.baseline()
    arm.find(resources, "fw-hub")["zones"] = ["1", "2"]
    result = arm.finding(resources, CHECK, "fw-hub")
    assert result.status is Status.PASS
    assert "(3 zones recommended)" in result.result.message


# -- firewall fails ------------------------------------------------------------------------------


def test_firewall_without_zones_fails_and_must_be_redeployed() -> None:
    resources = arm.baseline()
    del arm.find(resources, "fw-hub")["zones"]
    result = arm.finding(resources, CHECK, "fw-hub")
    assert result.status is Status.FAIL
    assert "firewall fw-hub is deployed in no availability zone" in result.result.message
    fix = result.result.remediation
    assert fix is not None
    assert "cannot be changed in place" in fix.steps[0]
    # its public IPs are already zone-redundant: the redeployed firewall keeps them
    assert "Keep the public IPs pip-fw-hub-01, pip-fw-hub-02" in fix.steps[1]
    assert fix.az_cli == (
        "az network firewall delete --resource-group rg-hub --name fw-hub",
        f"az network firewall create --resource-group rg-hub --name fw-hub --location westeurope "
        f"--sku AZFW_VNet --tier Premium --zones 1 2 3 --firewall-policy {arm.POLICY_ID}",
        "az network firewall ip-config create --resource-group rg-hub --firewall-name fw-hub "
        "--name ipconfig-01 --public-ip-address pip-fw-hub-01 --vnet-name vnet-hub",
        "az network firewall ip-config create --resource-group rg-hub --firewall-name fw-hub "
        "--name ipconfig-02 --public-ip-address pip-fw-hub-02",
    )
    assert "resource pip1 'Microsoft.Network/publicIPAddresses@2024-05-01' existing" in fix.bicep
    assert f"subnet: {{ id: '{arm.FW_SUBNET}' }}" in fix.bicep
    assert "zones: [ '1', '2', '3' ]" in fix.bicep
    assert 'data "azurerm_public_ip" "pip_fw_hub_01"' in fix.terraform
    assert 'zones               = ["1", "2", "3"]' in fix.terraform
    assert "forces replacement" in fix.terraform


def test_redeploying_a_firewall_replaces_its_non_zonal_public_ips() -> None:
    resources = arm.baseline()
    del arm.find(resources, "fw-hub")["zones"]
    del arm.find(resources, "pip-fw-hub-02")["zones"]
    fix = arm.finding(resources, CHECK, "fw-hub").result.remediation
    assert fix is not None
    assert fix.az_cli[0] == ("az network public-ip create --resource-group rg-hub --name pip-fw-hub-02-zr "
                             "--location westeurope --sku Standard --allocation-method Static --zone 1 2 3")
    assert ("az network firewall ip-config create --resource-group rg-hub --firewall-name fw-hub "
            "--name ipconfig-02 --public-ip-address pip-fw-hub-02-zr") in fix.az_cli
    assert "create zone-redundant Standard public IPs (zones 1, 2, 3): pip-fw-hub-02-zr; keep pip-fw-hub-01" in (
        fix.steps[1])
    assert any("DNAT rules, API server authorized IP ranges" in s for s in fix.steps)
    assert 'resource "azurerm_public_ip" "pip_fw_hub_02_zr"' in fix.terraform


def test_firewall_in_one_zone_fails() -> None:
    resources = arm.baseline()
    arm.find(resources, "fw-hub")["zones"] = ["2"]
    result = arm.finding(resources, CHECK, "fw-hub")
    assert result.status is Status.FAIL
    assert "deployed in only zone 2" in result.result.message


def test_zonal_firewall_with_a_non_zonal_public_ip_fails_naming_it() -> None:
    resources = arm.baseline()
    del arm.find(resources, "pip-fw-hub-02")["zones"]
    result = arm.finding(resources, CHECK, "fw-hub")
    assert result.status is Status.FAIL
    assert result.result.message == ("public IP pip-fw-hub-02 is not zone-redundant (no availability "
                                     "zone (zones absent); the firewall spans 1, 2, 3)")
    fix = result.result.remediation
    assert fix is not None
    assert "zones cannot be changed" in fix.summary
    assert fix.az_cli == (
        "az network public-ip create --resource-group rg-hub --name pip-fw-hub-02-zr --location "
        "westeurope --sku Standard --allocation-method Static --zone 1 2 3",
        "az network firewall ip-config create --resource-group rg-hub --firewall-name fw-hub "
        "--name ipconfig-zr-01 --public-ip-address pip-fw-hub-02-zr",
        "az network firewall ip-config delete --resource-group rg-hub --firewall-name fw-hub "
        "--name ipconfig-02",
    )


def test_public_ip_pinned_to_one_zone_does_not_cover_the_firewall() -> None:
    resources = arm.baseline()
    arm.find(resources, "pip-fw-hub-01")["zones"] = ["1"]
    result = arm.finding(resources, CHECK, "fw-hub")
    assert result.status is Status.FAIL
    assert "public IP pip-fw-hub-01 is not zone-redundant (only zone 1" in result.result.message
    fix = result.result.remediation
    assert fix is not None
    # pip-fw-hub-01 is on the first IP configuration, which cannot be deleted
    assert not any("ip-config delete" in c for c in fix.az_cli)
    assert any("first IP configuration" in s and "Allocate()" in s for s in fix.steps)


# -- cluster fails -------------------------------------------------------------------------------


def test_node_pool_without_zones_fails_naming_the_pool() -> None:
    resources = arm.baseline()
    _pools(resources)[1]["availabilityZones"] = None
    result = arm.finding(resources, CHECK, "aks-prod")
    assert result.status is Status.FAIL
    assert "node pool user has no availability zones" in result.result.message
    assert "system" not in result.result.message
    fix = result.result.remediation
    assert fix is not None
    assert fix.az_cli == (
        "az aks nodepool add --resource-group rg-spoke --cluster-name aks-prod --name userz --mode User "
        f"--os-type Linux --node-vm-size Standard_D4ds_v5 --node-count 3 --zones 1 2 3 "
        f"--vnet-subnet-id {arm.NODE_SUBNET}",
        "az aks nodepool delete --resource-group rg-spoke --cluster-name aks-prod --name user",
    )
    assert any("kubectl drain -l agentpool=user" in s for s in fix.steps)
    assert "availabilityZones: [ '1', '2', '3' ]" in fix.bicep
    assert 'resource "azurerm_kubernetes_cluster_node_pool" "userz"' in fix.terraform


def test_node_pool_in_a_single_zone_fails() -> None:
    resources = arm.baseline()
    _pools(resources)[0]["availabilityZones"] = ["2"]
    result = arm.finding(resources, CHECK, "aks-prod")
    assert result.status is Status.FAIL
    assert "node pool system runs in only zone 2" in result.result.message
    fix = result.result.remediation
    assert fix is not None and "--name systemz --mode System" in fix.az_cli[0]


# -- not applicable and the user's table ---------------------------------------------------------


def test_not_applicable_in_a_region_without_zones() -> None:
    resources = _move_to(arm.baseline(), "UK West")  # display spelling, normalised to ukwest
    del arm.find(resources, "fw-hub")["zones"]
    for subject in ("fw-hub", "aks-prod"):
        result = arm.finding(resources, CHECK, subject)
        assert result.status is Status.NOT_APPLICABLE
        assert f"region {NO_ZONE_REGION} has no availability zones" in result.result.message
        assert "as of 2025-09-23" in result.result.message


def test_user_table_replaces_the_bundled_one() -> None:
    settings = Settings(zone_regions=frozenset({NO_ZONE_REGION}))
    result = _with_settings(arm.baseline(), settings, "fw-hub")
    assert result.status is Status.NOT_APPLICABLE
    assert "region westeurope has no availability zones (per the user's region table" in result.result.message

    resources = _move_to(arm.baseline(), NO_ZONE_REGION)
    _pools(resources)[0]["availabilityZones"] = None
    result = _with_settings(resources, settings, "aks-prod")
    assert result.status is Status.FAIL
    assert "node pool system has no availability zones" in result.result.message


# -- unknown -------------------------------------------------------------------------------------


def test_unknown_when_a_public_ip_is_missing_from_the_snapshot() -> None:
    resources = [r for r in arm.baseline() if r["name"] != "pip-fw-hub-02"]
    result = arm.finding(resources, CHECK, "fw-hub")
    assert result.status is Status.UNKNOWN
    assert "public IP pip-fw-hub-02" in result.result.message
    assert "not in the snapshot" in result.result.message


def test_missing_public_ip_does_not_hide_a_firewall_without_zones() -> None:
    resources = [r for r in arm.baseline() if r["name"] != "pip-fw-hub-02"]
    del arm.find(resources, "fw-hub")["zones"]
    assert arm.finding(resources, CHECK, "fw-hub").status is Status.FAIL


def test_unknown_when_the_cluster_has_no_properties() -> None:
    resources = arm.baseline()
    del arm.find(resources, "aks-prod")["properties"]
    result = arm.finding(resources, CHECK, "aks-prod")
    assert result.status is Status.UNKNOWN
    assert "without its properties" in result.result.message


def test_unknown_when_the_firewall_has_no_location() -> None:
    resources = arm.baseline()
    del arm.find(resources, "fw-hub")["location"]
    result = arm.finding(resources, CHECK, "fw-hub")
    assert result.status is Status.UNKNOWN
    assert "no location" in result.result.message


def test_secured_hub_firewall_is_judged_on_its_own_zones() -> None:
    resources = arm.baseline()
    firewall = arm.find(resources, "fw-hub")
    firewall["properties"]["sku"]["name"] = "AZFW_Hub"
    firewall["properties"]["ipConfigurations"] = []
    firewall["properties"]["virtualHub"] = {"id": arm.rid(arm.HUB_SUB, arm.HUB_RG,
                                                          "Microsoft.Network/virtualHubs", "vhub-weu")}
    firewall["properties"]["hubIPAddresses"] = {"privateIPAddress": "10.100.64.4",
                                                "publicIPs": {"count": 2, "addresses": [
                                                    {"address": "20.103.30.1"}, {"address": "20.103.30.2"}]}}
    result = arm.finding(resources, CHECK, "fw-hub")
    assert result.status is Status.PASS
    assert "public IPs are managed by the secured hub" in result.result.message


def test_firewall_exported_without_properties_is_judged_on_its_top_level_zones() -> None:
    resources = arm.baseline()
    firewall = arm.find(resources, "fw-hub")
    del firewall["properties"]
    result = arm.finding(resources, CHECK, "fw-hub")
    assert result.status is Status.UNKNOWN  # zones fine, public IPs unseen
    assert "its public IPs cannot be seen" in result.result.message

    firewall["zones"] = ["1"]
    assert arm.finding(resources, CHECK, "fw-hub").status is Status.FAIL

    del firewall["zones"]  # a trimmed export: no zones key, no properties
    result = arm.finding(resources, CHECK, "fw-hub")
    assert result.status is Status.UNKNOWN
    assert "without its properties" in result.result.message


# -- the plan (property changes) -----------------------------------------------------------------


def _zr_id(name: str) -> str:
    return arm.rid(arm.HUB_SUB, arm.HUB_RG, "Microsoft.Network/publicIPAddresses", f"{name}-zr")


def _with_third_pip(resources: list[arm.Json]) -> list[arm.Json]:
    """A third, non-zonal public IP on fw-hub's third IP configuration."""
    pip_id = arm.rid(arm.HUB_SUB, arm.HUB_RG, "Microsoft.Network/publicIPAddresses", "pip-fw-hub-03")
    config_id = f"{arm.FW_ID}/azureFirewallIpConfigurations/ipconfig-03"
    arm.find(resources, "fw-hub")["properties"]["ipConfigurations"].append(
        {"name": "ipconfig-03", "id": config_id, "properties": {"publicIPAddress": {"id": pip_id}}})
    resources.append(arm.public_ip(arm.HUB_SUB, arm.HUB_RG, "pip-fw-hub-03", "20.103.17.42", config_id,
                                   zones=None))
    return resources


def test_the_plan_adds_a_config_for_the_new_public_ip_and_removes_the_old_one() -> None:
    resources = arm.baseline()
    del arm.find(resources, "pip-fw-hub-02")["zones"]
    fix = arm.finding(resources, CHECK, "fw-hub").result.remediation
    assert fix is not None
    assert [(c.resource_id, c.op, c.path, c.value, c.before) for c in fix.changes] == [
        (arm.FW_ID, "add", "/properties/ipConfigurations/-",
         {"name": "ipconfig-zr-01", "properties": {"publicIPAddress": {"id": _zr_id("pip-fw-hub-02")}}}, None),
        (arm.FW_ID, "remove", "/properties/ipConfigurations/1", None,
         {"name": "ipconfig-02", "id": f"{arm.FW_ID}/azureFirewallIpConfigurations/ipconfig-02",
          "properties": {"publicIPAddress": {"id": arm.PIP_IDS[1]}}}),
    ]
    # the new public IP is created by the commands, and the plan says it must exist first
    assert any("Create the new public IPs first" in s for s in fix.steps)


def test_the_plan_removes_old_configs_highest_index_first() -> None:
    resources = _with_third_pip(arm.baseline())
    del arm.find(resources, "pip-fw-hub-02")["zones"]
    fix = arm.finding(resources, CHECK, "fw-hub").result.remediation
    assert fix is not None
    assert [(c.op, c.path, c.before and c.before["name"]) for c in fix.changes] == [
        ("add", "/properties/ipConfigurations/-", None),
        ("add", "/properties/ipConfigurations/-", None),
        ("remove", "/properties/ipConfigurations/2", "ipconfig-03"),
        ("remove", "/properties/ipConfigurations/1", "ipconfig-02"),
    ]
    assert [c.value["properties"]["publicIPAddress"]["id"] for c in fix.changes if c.op == "add"] == [
        _zr_id("pip-fw-hub-02"), _zr_id("pip-fw-hub-03")]


def test_the_first_configs_swap_is_left_out_of_the_plan() -> None:
    resources = arm.baseline()
    arm.find(resources, "pip-fw-hub-01")["zones"] = ["1"]
    fix = arm.finding(resources, CHECK, "fw-hub").result.remediation
    assert fix is not None
    assert [(c.op, c.path) for c in fix.changes] == [("add", "/properties/ipConfigurations/-")]
    assert any("That swap is manual" in s for s in fix.steps)


def test_redeploying_the_firewall_or_replacing_a_pool_has_no_in_place_plan() -> None:
    resources = arm.baseline()
    del arm.find(resources, "fw-hub")["zones"]
    _pools(resources)[1]["availabilityZones"] = None
    for subject in ("fw-hub", "aks-prod"):
        fix = arm.finding(resources, CHECK, subject).result.remediation
        assert fix is not None
        assert fix.changes == ()
        assert "cannot be changed in place" in fix.steps[0]


def test_redeploying_a_secured_hub_firewall_keeps_its_public_ip_count() -> None:
    resources = arm.baseline()
    firewall = arm.find(resources, "fw-hub")
    del firewall["zones"]
    firewall["properties"]["sku"]["name"] = "AZFW_Hub"
    firewall["properties"]["ipConfigurations"] = []
    firewall["properties"]["virtualHub"] = {"id": arm.rid(arm.HUB_SUB, arm.HUB_RG,
                                                          "Microsoft.Network/virtualHubs", "vhub-weu")}
    firewall["properties"]["hubIPAddresses"] = {"privateIPAddress": "10.100.64.4",
                                                "publicIPs": {"count": 2, "addresses": [
                                                    {"address": "20.103.30.1"}, {"address": "20.103.30.2"}]}}
    fix = arm.finding(resources, CHECK, "fw-hub").result.remediation
    assert fix is not None
    assert any("--sku AZFW_Hub" in c and "--public-ip-count 2" in c for c in fix.az_cli)


# -- the subscription locations ARM lists (live discovery reads them) -----------------------------


def test_a_region_arm_maps_zones_for_is_evaluated_though_the_bundled_table_lacks_it() -> None:
    """West US is not in the bundled table; a subscription whose locations map zones there is
    judged: ARM's list is authoritative."""
    resources = _move_to(arm.baseline(), "westus")
    resources += locations(westus=True)
    result = arm.finding(resources, CHECK, "fw-hub")
    assert result.status is Status.PASS
    assert result.result.evidence["zone_table"] == ARM_ORIGIN
    assert result.result.evidence["region"] == "westus"

    _pools(resources)[1]["availabilityZones"] = ["1"]
    result = arm.finding(resources, CHECK, "aks-prod")
    assert result.status is Status.FAIL
    assert "node pool user runs in only zone 1" in result.result.message
    assert result.result.evidence["zone_table"] == ARM_ORIGIN


def test_a_listed_region_without_zone_mappings_is_not_applicable_though_the_bundled_table_lists_it() -> None:
    resources = arm.baseline() + locations(westeurope=False)
    del arm.find(resources, "fw-hub")["zones"]  # would fail, were the region judged
    for subject in ("fw-hub", "aks-prod"):
        result = arm.finding(resources, CHECK, subject)
        assert result.status is Status.NOT_APPLICABLE, subject
        assert result.result.message == ("region westeurope has no availability zones (per the "
                                          "subscription locations from ARM)")
        assert result.result.evidence == {"region": "westeurope", "zone_table": ARM_ORIGIN}


def test_zones_mapped_in_any_subscription_make_the_region_zonal() -> None:
    resources = arm.baseline() + locations(arm.HUB_SUB, westeurope=False) + locations(arm.SPOKE_SUB)
    del arm.find(resources, "fw-hub")["zones"]
    assert arm.finding(resources, CHECK, "fw-hub").status is Status.FAIL


def test_the_users_region_table_wins_over_the_subscription_locations() -> None:
    resources = arm.baseline() + locations()
    result = _with_settings(resources, Settings(zone_regions=frozenset({NO_ZONE_REGION})), "aks-prod")
    assert result.status is Status.NOT_APPLICABLE
    assert "(per the user's region table (--zone-regions))" in result.result.message

    resources = _move_to(arm.baseline(), "northcentralus") + locations(northcentralus=False)
    result = _with_settings(resources, Settings(zone_regions=frozenset({"northcentralus"})), "fw-hub")
    assert result.status is Status.PASS
    assert result.result.evidence["zone_table"] == "user's region table (--zone-regions)"


def test_a_region_the_locations_do_not_list_is_answered_by_the_bundled_table() -> None:
    """ARM's silence about a region is no verdict (e.g. the subscription holding the subject could
    not be read, and the listed one does not see that region)."""
    resources = arm.baseline() + [r for r in locations() if r["name"] != "westeurope"]
    result = arm.finding(resources, CHECK, "fw-hub")
    assert result.status is Status.PASS
    origin = result.result.evidence["zone_table"]
    assert origin.startswith("bundled table of Microsoft's regions list as of 2025-09-23")
    assert origin.endswith("; westeurope is not among the subscription locations read")


def test_locations_read_before_zone_mappings_existed_say_nothing_about_zones() -> None:
    """API versions before 2022-12-01 never send availabilityZoneMappings: taking their silence for
    "no zones" would make every subject not_applicable."""
    old = [{k: v for k, v in r.items() if k != "availabilityZoneMappings"} for r in locations()]
    resources = arm.baseline() + old
    del arm.find(resources, "fw-hub")["zones"]
    result = arm.finding(resources, CHECK, "fw-hub")
    assert result.status is Status.FAIL
    assert result.result.evidence["zone_table"].startswith("bundled table")


def test_unreadable_locations_fall_back_to_the_bundled_table_and_say_why() -> None:
    scope = f"/subscriptions/{arm.HUB_SUB}/locations"
    reason = "locations: 403 AuthorizationFailed: The client does not have authorization"
    result = _with_settings(arm.baseline(), Settings(), "fw-hub", (Unreadable(scope, reason),))
    assert result.status is Status.PASS  # the bundled table lists westeurope; nothing else is missing
    assert result.result.evidence["zone_table"].endswith(
        f"; the subscription locations could not be read ({scope}: {reason})")


def test_location_objects_in_an_export_file_are_used_with_or_without_a_type(tmp_path: Path) -> None:
    """What --save-snapshot writes (ARM's `type: "Region"`), or a hand-made export without a type:
    either way the id says it is a location."""
    untyped = [{k: v for k, v in r.items() if k != "type"} for r in locations(westeurope=False)]
    for items in (locations(westeurope=False), untyped):
        path = tmp_path / "export.json"
        path.write_text(json.dumps({"value": arm.baseline() + items}), encoding="utf-8")
        findings = audit(load_export(path), [CHECK])[1]
        assert {f.subject.name: f.status for f in findings} == {
            "fw-hub": Status.NOT_APPLICABLE, "aks-prod": Status.NOT_APPLICABLE}
        assert all(f.result.evidence["zone_table"] == ARM_ORIGIN for f in findings)
