"""threat-intel: pass (policy, base policy, classic), fail (Alert, Off, default, Basic), unknown."""

from aksfw_tui.checks.base import Severity, Status
from aksfw_tui.checks.threat_intel import CHECK
from tests import arm

BASE_ID = arm.rid(arm.HUB_SUB, arm.HUB_RG, "Microsoft.Network/firewallPolicies", "fwpol-base")


def _with_base(child_mode: str | None, base_mode: str, include_base: bool = True) -> list[arm.Json]:
    """fwpol-hub becomes a child of fwpol-base; `child_mode` None leaves it unset on the child."""
    resources = arm.baseline()
    child = arm.find(resources, "fwpol-hub")["properties"]
    child["basePolicy"] = {"id": BASE_ID}
    if child_mode is None:
        del child["threatIntelMode"]
    else:
        child["threatIntelMode"] = child_mode
    if include_base:
        resources.append(arm.policy(arm.HUB_SUB, arm.HUB_RG, "fwpol-base", threat_intel=base_mode))
    return resources


def _classic(mode: str | None) -> list[arm.Json]:
    resources = [r for r in arm.baseline() if r["name"] not in ("fwpol-hub", "rcg-aks")]
    fw = arm.find(resources, "fw-hub")["properties"]
    del fw["firewallPolicy"]
    if mode is None:
        del fw["threatIntelMode"]
    else:
        fw["threatIntelMode"] = mode
    return resources


def test_passes_when_the_firewall_policy_denies() -> None:
    result = arm.finding(arm.baseline(), CHECK, "fw-hub")
    assert result.status is Status.PASS
    assert result.result.message == "threat intelligence mode is Deny (set on policy fwpol-hub)"
    assert result.result.evidence["policy_chain"] == [{"policy": arm.POLICY_ID, "threatIntelMode": "Deny"}]


def test_fails_medium_when_the_policy_only_alerts() -> None:
    resources = arm.baseline()
    arm.find(resources, "fwpol-hub")["properties"]["threatIntelMode"] = "Alert"
    result = arm.finding(resources, CHECK, "fw-hub")
    assert result.status is Status.FAIL
    assert result.severity is Severity.MEDIUM
    assert "mode is Alert on policy fwpol-hub" in result.result.message
    assert "logged but allowed" in result.result.message
    fix = result.result.remediation
    assert fix is not None
    assert fix.az_cli == (f"az network firewall policy update --subscription {arm.HUB_SUB} --resource-group "
                          "rg-hub --name fwpol-hub --threat-intel-mode Deny",)
    assert "threatIntelMode: 'Deny'" in fix.bicep and "name: 'fwpol-hub'" in fix.bicep
    assert 'threat_intelligence_mode = "Deny"' in fix.terraform
    assert 'sku                      = "Premium"' in fix.terraform  # the policy keeps its tier
    assert any("allowlist" in step for step in fix.steps)


def test_fails_high_when_threat_intelligence_is_off() -> None:
    resources = arm.baseline()
    arm.find(resources, "fwpol-hub")["properties"]["threatIntelMode"] = "Off"
    result = arm.finding(resources, CHECK, "fw-hub")
    assert result.status is Status.FAIL
    assert result.severity is Severity.HIGH
    assert "threat intelligence is Off on policy fwpol-hub" in result.result.message


def test_unset_everywhere_means_azure_default_alert() -> None:
    resources = arm.baseline()
    del arm.find(resources, "fwpol-hub")["properties"]["threatIntelMode"]
    result = arm.finding(resources, CHECK, "fw-hub")
    assert result.status is Status.FAIL
    assert result.severity is Severity.MEDIUM
    assert "mode is Alert by default: threatIntelMode is set neither on policy fwpol-hub" in result.result.message
    assert result.result.evidence["effective_mode"] == "Alert"


def test_the_firewalls_own_mode_is_ignored_when_a_policy_governs() -> None:
    resources = arm.baseline()
    arm.find(resources, "fwpol-hub")["properties"]["threatIntelMode"] = "Alert"
    assert arm.find(resources, "fw-hub")["properties"]["threatIntelMode"] == "Deny"
    result = arm.finding(resources, CHECK, "fw-hub")
    assert result.status is Status.FAIL
    assert result.result.evidence["firewall_threatIntelMode_ignored"] == "Deny"


def test_child_policy_inherits_deny_from_its_base() -> None:
    result = arm.finding(_with_base(None, "Deny"), CHECK, "fw-hub")
    assert result.status is Status.PASS
    assert result.result.message == ("threat intelligence mode is Deny (set on policy fwpol-base, "
                                      "inherited by fwpol-hub)")


def test_a_child_cannot_weaken_its_bases_deny() -> None:
    # Children may only override with a stricter mode, so the base's Deny still governs.
    assert arm.finding(_with_base("Alert", "Deny"), CHECK, "fw-hub").status is Status.PASS


def test_fails_when_neither_child_nor_base_denies_and_names_the_base_in_the_fix() -> None:
    result = arm.finding(_with_base("Alert", "Alert"), CHECK, "fw-hub")
    assert result.status is Status.FAIL
    fix = result.result.remediation
    assert fix is not None
    assert "--name fwpol-hub --threat-intel-mode Deny" in fix.az_cli[0]
    assert any("base policy fwpol-base" in step for step in fix.steps)


def test_unknown_when_the_base_policy_is_missing_and_the_child_does_not_deny() -> None:
    result = arm.finding(_with_base("Alert", "Deny", include_base=False), CHECK, "fw-hub")
    assert result.status is Status.UNKNOWN
    assert "base policy fwpol-base" in result.result.message and "not in the snapshot" in result.result.message
    assert "stricter threat intelligence mode than the Alert mode" in result.result.message


def test_child_deny_passes_even_when_the_base_is_missing() -> None:
    # Deny is the strictest mode: nothing a base could set changes it.
    assert arm.finding(_with_base("Deny", "Off", include_base=False), CHECK, "fw-hub").status is Status.PASS


def test_unknown_when_the_firewall_policy_is_missing_from_the_snapshot() -> None:
    resources = [r for r in arm.baseline() if r["name"] != "fwpol-hub"]
    result = arm.finding(resources, CHECK, "fw-hub")
    assert result.status is Status.UNKNOWN
    assert "firewall policy fwpol-hub" in result.result.message
    assert "not in the snapshot" in result.result.message


def test_classic_firewall_in_deny_passes() -> None:
    result = arm.finding(_classic("Deny"), CHECK, "fw-hub")
    assert result.status is Status.PASS
    assert result.result.message == "threat intelligence mode is Deny on fw-hub (classic rules)"


def test_classic_firewall_without_a_mode_defaults_to_alert_and_fails() -> None:
    result = arm.finding(_classic(None), CHECK, "fw-hub")
    assert result.status is Status.FAIL
    assert "Alert on fw-hub (classic rules), by default: threatIntelMode is unset" in result.result.message
    fix = result.result.remediation
    assert fix is not None
    assert fix.az_cli == (f"az network firewall update --subscription {arm.HUB_SUB} --resource-group rg-hub "
                          "--name fw-hub --threat-intel-mode Deny",)
    assert 'threat_intel_mode = "Deny"' in fix.terraform


def test_basic_firewall_fails_and_points_at_the_sku_upgrade() -> None:
    resources = arm.baseline()
    arm.find(resources, "fw-hub")["properties"]["sku"]["tier"] = "Basic"
    policy = arm.find(resources, "fwpol-hub")["properties"]
    policy["sku"]["tier"], policy["threatIntelMode"] = "Basic", "Alert"
    result = arm.finding(resources, CHECK, "fw-hub")
    assert result.status is Status.FAIL
    assert "Basic SKU supports Alert only" in result.result.message
    fix = result.result.remediation
    assert fix is not None
    assert fix.summary.startswith("Upgrade fw-hub from Basic to Premium")
    assert not any("--threat-intel-mode Deny" in c and "policy update" in c for c in fix.az_cli)


def test_unknown_for_a_secured_hub_firewall_without_a_policy() -> None:
    resources = _classic("Deny")
    fw = arm.find(resources, "fw-hub")["properties"]
    fw["sku"]["name"] = "AZFW_Hub"
    result = arm.finding(resources, CHECK, "fw-hub")
    assert result.status is Status.UNKNOWN
    assert "secured-hub firewall fw-hub references no firewall policy" in result.result.message


def test_unknown_when_the_firewall_has_no_properties() -> None:
    resources = arm.baseline()
    del arm.find(resources, "fw-hub")["properties"]
    result = arm.finding(resources, CHECK, "fw-hub")
    assert result.status is Status.UNKNOWN
    assert "without its properties" in result.result.message


# -- the plan (property changes) -----------------------------------------------------------------


def _changes(resources: list[arm.Json]) -> list[tuple[str, str, str, object, object]]:
    fix = arm.finding(resources, CHECK, "fw-hub").result.remediation
    assert fix is not None
    return [(c.resource_id, c.op, c.path, c.value, c.before) for c in fix.changes]


def test_the_plan_replaces_the_policys_alert_with_deny() -> None:
    resources = arm.baseline()
    arm.find(resources, "fwpol-hub")["properties"]["threatIntelMode"] = "Alert"
    assert _changes(resources) == [(arm.POLICY_ID, "replace", "/properties/threatIntelMode", "Deny", "Alert")]


def test_the_plan_sets_deny_on_the_firewalls_own_policy_when_the_base_only_alerts() -> None:
    # the child leaves it unset: the fix sets it on the child, where the az command does
    assert _changes(_with_base(None, "Alert")) == [
        (arm.POLICY_ID, "add", "/properties/threatIntelMode", "Deny", None)]


def test_the_classic_plan_changes_the_firewall() -> None:
    assert _changes(_classic(None)) == [(arm.FW_ID, "add", "/properties/threatIntelMode", "Deny", None)]
    assert _changes(_classic("Off")) == [(arm.FW_ID, "replace", "/properties/threatIntelMode", "Deny", "Off")]


def test_a_basic_firewall_has_no_in_place_plan() -> None:
    resources = arm.baseline()
    arm.find(resources, "fw-hub")["properties"]["sku"]["tier"] = "Basic"
    arm.find(resources, "fwpol-hub")["properties"]["threatIntelMode"] = "Alert"
    assert _changes(resources) == []  # Basic → Premium is a manual migration
