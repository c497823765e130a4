"""firewall-sku: pass (Premium + IDPS Deny, also inherited), fail (Basic, Standard, no IDPS, Alert,
Standard policy, classic rules), unknown (tier absent, policy or base missing)."""

from aksfw_tui.checks.base import Change, Severity, Status
from aksfw_tui.checks.firewall_sku import CHECK
from aksfw_tui.remediation.patch import append_items, json_pointer, set_property
from tests import arm

BASE_ID = arm.rid(arm.HUB_SUB, arm.HUB_RG, "Microsoft.Network/firewallPolicies", "fwpol-base")
PREMIUM_POLICY_ID = arm.rid(arm.HUB_SUB, arm.HUB_RG, "Microsoft.Network/firewallPolicies", "fwpol-hub-premium")


def _tiers(firewall: str, policy: str, idps: str | None = None) -> list[arm.Json]:
    resources = arm.baseline()
    arm.find(resources, "fw-hub")["properties"]["sku"]["tier"] = firewall
    props = arm.find(resources, "fwpol-hub")["properties"]
    props["sku"]["tier"] = policy
    if idps is None:
        props.pop("intrusionDetection", None)
    else:
        props["intrusionDetection"] = {"mode": idps}
    return resources


def _with_base(child_idps: str | None, base_idps: str, include_base: bool = True) -> list[arm.Json]:
    resources = _tiers("Premium", "Premium", child_idps)
    arm.find(resources, "fwpol-hub")["properties"]["basePolicy"] = {"id": BASE_ID}
    if include_base:
        resources.append(arm.policy(arm.HUB_SUB, arm.HUB_RG, "fwpol-base", idps=base_idps))
    return resources


def test_passes_for_premium_with_idps_in_deny() -> None:
    result = arm.finding(arm.baseline(), CHECK, "fw-hub")
    assert result.status is Status.PASS
    assert result.result.message == "fw-hub is Premium and IDPS is Deny (set on policy fwpol-hub)"
    assert result.result.evidence["policy_sku_tier"] == "Premium"
    assert result.result.evidence["effective_idps_mode"] == "Deny"


def test_fails_low_when_idps_only_alerts() -> None:
    result = arm.finding(_tiers("Premium", "Premium", "Alert"), CHECK, "fw-hub")
    assert result.status is Status.FAIL
    assert result.severity is Severity.LOW
    assert "IDPS on fwpol-hub is in Alert mode" in result.result.message
    fix = result.result.remediation
    assert fix is not None
    assert fix.az_cli == (f"az network firewall policy update --subscription {arm.HUB_SUB} --resource-group "
                          "rg-hub --name fwpol-hub --idps-mode Deny",)
    assert "intrusionDetection: { mode: 'Deny' }" in fix.bicep
    assert 'intrusion_detection {\n    mode = "Deny"\n  }' in fix.terraform


def test_fails_medium_for_premium_without_intrusion_detection() -> None:
    result = arm.finding(_tiers("Premium", "Premium", None), CHECK, "fw-hub")
    assert result.status is Status.FAIL
    assert result.severity is Severity.MEDIUM
    assert "fw-hub is Premium but IDPS is not configured on policy fwpol-hub" in result.result.message
    assert result.result.evidence["effective_idps_mode"] is None


def test_fails_medium_when_idps_is_off() -> None:
    result = arm.finding(_tiers("Premium", "Premium", "Off"), CHECK, "fw-hub")
    assert result.status is Status.FAIL
    assert result.severity is Severity.MEDIUM
    assert "IDPS is Off on policy fwpol-hub" in result.result.message


def test_idps_deny_on_the_base_policy_governs_the_child() -> None:
    result = arm.finding(_with_base("Off", "Deny"), CHECK, "fw-hub")
    assert result.status is Status.PASS
    assert "set on policy fwpol-base" in result.result.message


def test_unknown_when_the_base_policy_is_missing_and_the_child_has_no_idps() -> None:
    result = arm.finding(_with_base(None, "Deny", include_base=False), CHECK, "fw-hub")
    assert result.status is Status.UNKNOWN
    assert "base policy fwpol-base" in result.result.message and "not in the snapshot" in result.result.message


def test_fails_medium_for_standard_and_plans_the_premium_upgrade() -> None:
    result = arm.finding(_tiers("Standard", "Standard"), CHECK, "fw-hub")
    assert result.status is Status.FAIL
    assert result.severity is Severity.MEDIUM
    assert result.result.message.startswith("fw-hub is Standard: no IDPS and no TLS inspection")
    fix = result.result.remediation
    assert fix is not None
    assert fix.az_cli[0] == (f"az network firewall policy create --subscription {arm.HUB_SUB} --resource-group "
                             "rg-hub --name fwpol-hub-premium --location westeurope --sku Premium "
                             "--threat-intel-mode Deny --idps-mode Deny --enable-dns-proxy true")
    assert any("Change SKU → Premium (zero downtime" in s and "has no tier option" in s for s in fix.steps)
    assert not any("classic rules" in s for s in fix.steps)
    assert 'sku_tier           = "Premium"' in fix.terraform
    assert f"firewallPolicy: {{ id: '{PREMIUM_POLICY_ID}' }}" in fix.bicep


def test_fails_high_for_basic_which_change_sku_cannot_upgrade() -> None:
    result = arm.finding(_tiers("Basic", "Basic"), CHECK, "fw-hub")
    assert result.status is Status.FAIL
    assert result.severity is Severity.HIGH
    assert "250 Mbps, no DNS proxy" in result.result.message
    fix = result.result.remediation
    assert fix is not None
    assert fix.steps[0].startswith("Change SKU does not support Basic")


def test_fails_medium_for_a_premium_firewall_running_a_standard_policy() -> None:
    result = arm.finding(_tiers("Premium", "Standard"), CHECK, "fw-hub")
    assert result.status is Status.FAIL
    assert result.severity is Severity.MEDIUM
    assert "firewall policy fwpol-hub is Standard tier: IDPS exists only in Premium" in result.result.message
    fix = result.result.remediation
    assert fix is not None
    assert fix.az_cli[1] == (f"az network firewall update --subscription {arm.HUB_SUB} --resource-group rg-hub "
                             f"--name fw-hub --firewall-policy {PREMIUM_POLICY_ID}")


def test_fails_medium_for_a_premium_firewall_with_classic_rules() -> None:
    resources = [r for r in arm.baseline() if r["name"] not in ("fwpol-hub", "rcg-aks")]
    del arm.find(resources, "fw-hub")["properties"]["firewallPolicy"]
    result = arm.finding(resources, CHECK, "fw-hub")
    assert result.status is Status.FAIL
    assert "Premium but uses classic rules" in result.result.message
    fix = result.result.remediation
    assert fix is not None and "--name fw-hub-policy-premium" in fix.az_cli[0]


def test_fails_on_the_standard_tier_even_when_the_policy_is_missing() -> None:
    resources = [r for r in _tiers("Standard", "Standard") if r["name"] != "fwpol-hub"]
    result = arm.finding(resources, CHECK, "fw-hub")
    assert result.status is Status.FAIL
    assert "not in the snapshot" in result.result.evidence["missing"]
    fix = result.result.remediation
    assert fix is not None
    assert not any("classic rules" in s for s in fix.steps)  # it has a policy, we just cannot see it
    assert "--name fwpol-hub-premium" in fix.az_cli[0]


def test_unknown_when_premium_firewall_policy_is_missing() -> None:
    resources = [r for r in arm.baseline() if r["name"] != "fwpol-hub"]
    result = arm.finding(resources, CHECK, "fw-hub")
    assert result.status is Status.UNKNOWN
    assert "firewall policy fwpol-hub" in result.result.message


def test_unknown_when_the_firewall_tier_is_absent() -> None:
    resources = arm.baseline()
    del arm.find(resources, "fw-hub")["properties"]["sku"]["tier"]
    result = arm.finding(resources, CHECK, "fw-hub")
    assert result.status is Status.UNKNOWN
    assert "sku.tier of firewall fw-hub is absent" in result.result.message


# -- the plan (property changes) -----------------------------------------------------------------


def _changes(resources: list[arm.Json]) -> list[tuple[str, str, str, object, object]]:
    fix = arm.finding(resources, CHECK, "fw-hub").result.remediation
    assert fix is not None
    return [(c.resource_id, c.op, c.path, c.value, c.before) for c in fix.changes]


def test_the_standard_upgrade_plan_switches_tier_and_policy_together() -> None:
    resources = _tiers("Standard", "Standard")
    assert _changes(resources) == [
        (arm.FW_ID, "replace", "/properties/sku/tier", "Premium", "Standard"),
        (arm.FW_ID, "replace", "/properties/firewallPolicy/id", PREMIUM_POLICY_ID, arm.POLICY_ID),
    ]
    fix = arm.finding(resources, CHECK, "fw-hub").result.remediation
    assert fix is not None
    assert any("create that policy first" in s for s in fix.steps)  # the plan refers to it by id


def test_basic_and_classic_upgrades_have_no_in_place_plan_and_say_so() -> None:
    basic = arm.finding(_tiers("Basic", "Basic"), CHECK, "fw-hub").result.remediation
    assert basic is not None and basic.changes == ()
    assert "this is a manual migration" in basic.steps[0]
    classic = _tiers("Standard", "Standard")
    classic = [r for r in classic if r["name"] not in ("fwpol-hub", "rcg-aks")]
    del arm.find(classic, "fw-hub")["properties"]["firewallPolicy"]
    fix = arm.finding(classic, CHECK, "fw-hub").result.remediation
    assert fix is not None and fix.changes == ()
    assert "a manual step" in fix.steps[0]


def test_a_premium_firewall_on_a_standard_policy_plans_only_the_policy_swap() -> None:
    # the tier is already Premium: no no-op change for it
    assert _changes(_tiers("Premium", "Standard")) == [
        (arm.FW_ID, "replace", "/properties/firewallPolicy/id", PREMIUM_POLICY_ID, arm.POLICY_ID)]


def test_a_premium_firewall_with_classic_rules_has_no_in_place_plan() -> None:
    resources = [r for r in arm.baseline() if r["name"] not in ("fwpol-hub", "rcg-aks")]
    del arm.find(resources, "fw-hub")["properties"]["firewallPolicy"]
    assert _changes(resources) == []


def test_the_idps_plan_replaces_the_mode_or_adds_the_object() -> None:
    assert _changes(_tiers("Premium", "Premium", "Alert")) == [
        (arm.POLICY_ID, "replace", "/properties/intrusionDetection/mode", "Deny", "Alert")]
    assert _changes(_tiers("Premium", "Premium", None)) == [
        (arm.POLICY_ID, "add", "/properties/intrusionDetection", {"mode": "Deny"}, None)]


# -- the plan helpers ----------------------------------------------------------------------------


def test_json_pointer_escapes_tilde_and_slash() -> None:
    assert json_pointer("properties", "a/b~c", 3) == "/properties/a~1b~0c/3"


def test_set_property_adds_over_null_and_replaces_a_scalar_parent() -> None:
    raw = {"properties": {"dnsSettings": None, "sku": "Standard"}}
    assert set_property("id", raw, ("properties", "dnsSettings", "enableProxy"), True) == Change(
        "id", "add", "/properties/dnsSettings", {"enableProxy": True})
    assert set_property("id", raw, ("properties", "sku", "tier"), "Premium") == Change(
        "id", "replace", "/properties/sku", {"tier": "Premium"}, "Standard")
    assert set_property("id", {"properties": {"x": 1}}, ("properties", "x"), 1) is None  # no no-op


def test_append_items_appends_or_creates_the_array_once() -> None:
    assert append_items("id", {"properties": {"l": [1]}}, ("properties", "l"), [2, 3]) == (
        Change("id", "add", "/properties/l/-", 2), Change("id", "add", "/properties/l/-", 3))
    assert append_items("id", {"properties": {}}, ("properties", "l"), [2, 3]) == (
        Change("id", "add", "/properties/l", [2, 3]),)
