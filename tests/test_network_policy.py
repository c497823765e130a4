"""network-policy: pass (each engine, Cilium dataplane), fail (none, absent; per plugin), unknown."""

import pytest

from aksfw_tui.checks.base import Status
from aksfw_tui.checks.network_policy import CHECK
from tests import arm


def _profile(resources: list[arm.Json]) -> arm.Json:
    profile: arm.Json = arm.find(resources, "aks-prod")["properties"]["networkProfile"]
    return profile


@pytest.mark.parametrize("engine", ["azure", "calico", "cilium"])
def test_passes_with_a_policy_engine(engine: str) -> None:
    resources = arm.baseline()
    _profile(resources)["networkPolicy"] = engine
    result = arm.finding(resources, CHECK, "aks-prod")
    assert result.status is Status.PASS
    assert f"networkPolicy {engine}" in result.result.message


def test_passes_with_the_cilium_dataplane_even_without_network_policy_field() -> None:
    resources = arm.baseline()
    del _profile(resources)["networkPolicy"]
    _profile(resources)["networkDataplane"] = "cilium"
    assert arm.finding(resources, CHECK, "aks-prod").status is Status.PASS


def test_fails_when_network_policy_is_none_and_offers_cilium_for_overlay() -> None:
    resources = arm.baseline()
    _profile(resources)["networkPolicy"] = "none"
    result = arm.finding(resources, CHECK, "aks-prod")
    assert result.status is Status.FAIL
    assert "networkPolicy is none" in result.result.message
    fix = result.result.remediation
    assert fix is not None
    assert fix.az_cli == ("az aks update --resource-group rg-spoke --name aks-prod "
                          "--network-dataplane cilium",)
    assert any("reimages every node" in s for s in fix.steps)
    assert "networkDataplane: 'cilium'" in fix.bicep
    assert 'network_data_plane = "cilium"' in fix.terraform


def test_fails_when_absent_on_kubenet_and_offers_calico_only() -> None:
    resources = arm.baseline()
    profile = _profile(resources)
    del profile["networkPolicy"], profile["networkPluginMode"]
    profile["networkPlugin"] = "kubenet"
    result = arm.finding(resources, CHECK, "aks-prod")
    assert result.status is Status.FAIL
    assert "networkPolicy is absent" in result.result.message
    assert result.result.remediation.az_cli == (
        "az aks update --resource-group rg-spoke --name aks-prod --network-policy calico",)
    assert any("kubenet supports only Calico" in s for s in result.result.remediation.steps)


def test_unknown_with_bring_your_own_cni() -> None:
    resources = arm.baseline()
    profile = _profile(resources)
    profile["networkPlugin"], profile["networkPolicy"] = "none", "none"
    result = arm.finding(resources, CHECK, "aks-prod")
    assert result.status is Status.UNKNOWN
    assert "bring your own CNI" in result.result.message


def test_unknown_without_network_profile() -> None:
    resources = arm.baseline()
    del arm.find(resources, "aks-prod")["properties"]["networkProfile"]
    result = arm.finding(resources, CHECK, "aks-prod")
    assert result.status is Status.UNKNOWN
    assert "without its networkProfile" in result.result.message


def test_the_cilium_plan_sets_the_dataplane_and_the_policy_it_requires() -> None:
    # baseline: Azure CNI Overlay with networkPolicy "none" and no networkDataplane key at all
    resources = arm.baseline()
    _profile(resources)["networkPolicy"] = "none"
    cluster_id = arm.find(resources, "aks-prod")["id"]
    fix = arm.finding(resources, CHECK, "aks-prod").result.remediation
    assert fix is not None
    assert [(c.resource_id, c.op, c.path, c.value, c.before) for c in fix.changes] == [
        (cluster_id, "add", "/properties/networkProfile/networkDataplane", "cilium", None),
        (cluster_id, "replace", "/properties/networkProfile/networkPolicy", "cilium", "none"),
    ]
    assert "networkPolicy: 'cilium'" in fix.bicep and 'network_policy = "cilium"' in fix.terraform


def test_the_plan_replaces_an_azure_dataplane_rather_than_adding_one() -> None:
    resources = arm.baseline()
    profile = _profile(resources)
    profile["networkPolicy"], profile["networkDataplane"] = "none", "azure"
    fix = arm.finding(resources, CHECK, "aks-prod").result.remediation
    assert fix is not None
    assert ("replace", "/properties/networkProfile/networkDataplane", "cilium", "azure") in [
        (c.op, c.path, c.value, c.before) for c in fix.changes]


def test_the_kubenet_plan_adds_calico_where_network_policy_is_absent() -> None:
    resources = arm.baseline()
    profile = _profile(resources)
    del profile["networkPolicy"], profile["networkPluginMode"]
    profile["networkPlugin"] = "kubenet"
    fix = arm.finding(resources, CHECK, "aks-prod").result.remediation
    assert fix is not None
    assert [(c.op, c.path, c.value, c.before) for c in fix.changes] == [
        ("add", "/properties/networkProfile/networkPolicy", "calico", None)]


def test_a_windows_pool_gets_calico_not_cilium() -> None:
    resources = arm.baseline()
    _profile(resources)["networkPolicy"] = "none"
    windows = arm.pool("win", arm.NODE_SUBNET, mode="User")
    windows["osType"], windows["osSKU"] = "Windows", "Windows2022"
    arm.find(resources, "aks-prod")["properties"]["agentPoolProfiles"].append(windows)
    fix = arm.finding(resources, CHECK, "aks-prod").result.remediation
    assert fix is not None
    assert fix.az_cli == ("az aks update --resource-group rg-spoke --name aks-prod --network-policy calico",)
    assert [(c.op, c.path, c.value, c.before) for c in fix.changes] == [
        ("replace", "/properties/networkProfile/networkPolicy", "calico", "none")]
    assert any("Windows node pools, which Cilium does not support" in s for s in fix.steps)
