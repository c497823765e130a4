"""The command line: bad input gives one clear line and exit 2; exit codes follow --fail-on;
--json prints exactly one document on stdout."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from aksfw_tui.cli import main
from tests import arm


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def write(path: Path, document: object) -> Path:
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


def one_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, f"expected a one-line error, got: {err!r}"
    assert "Traceback" not in err
    return lines[0]


def test_missing_path_is_an_input_error(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.json"
    code, out, err = run(capsys, "--from-export", str(missing), "--headless")
    assert code == 2 and out == ""
    assert one_line(err) == f"aksfw-tui: error: {missing}: no such file or directory"


def test_a_file_that_is_not_json_names_the_file_and_position(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    bad = tmp_path / "vnets.json"
    bad.write_text('[{"id": "/subscriptions/x", "name": "a"},\n  oops]', encoding="utf-8")
    code, out, err = run(capsys, "--from-export", str(bad), "--headless", "--json")
    assert code == 2 and out == ""
    line = one_line(err)
    assert line.startswith(f"aksfw-tui: error: {bad}: not JSON: ")
    assert "line 2 column 3" in line


def test_json_of_an_unknown_shape_is_refused(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    odd = write(tmp_path / "odd.json", {"resources": []})
    code, out, err = run(capsys, "--from-export", str(odd), "--headless")
    assert code == 2 and out == ""
    assert one_line(err) == (f"aksfw-tui: error: {odd}: JSON of an unknown shape: expected an array of "
                             "resources, or an object with 'value' (ARM list) or 'data' (Resource Graph)")


def test_a_bad_file_in_a_directory_stops_the_load_naming_that_file(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    write(tmp_path / "a-good.json", arm.baseline())
    (tmp_path / "b-bad.json").write_text("{", encoding="utf-8")
    code, out, err = run(capsys, "--from-export", str(tmp_path), "--headless")
    assert code == 2 and out == ""
    assert f"{tmp_path / 'b-bad.json'}: not JSON" in one_line(err)


def test_an_item_without_an_arm_id_is_refused(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    file = write(tmp_path / "list.json", {"value": [{"name": "vnet-hub"}]})
    code, _, err = run(capsys, "--from-export", str(file), "--headless")
    assert code == 2
    assert one_line(err) == f"aksfw-tui: error: {file}: item 0 has no ARM 'id'"


def test_an_empty_directory_is_refused(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, _, err = run(capsys, "--from-export", str(tmp_path), "--headless")
    assert code == 2
    assert one_line(err) == f"aksfw-tui: error: {tmp_path}: directory holds no .json files"


def _findings(out: str) -> dict[tuple[str, str], dict[str, object]]:
    document = json.loads(out)
    return {(f["check_id"], f["resource_name"]): f for f in document["findings"]}


def test_a_resource_missing_properties_makes_its_findings_unknown_not_an_error(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    resources = arm.baseline()
    del arm.find(resources, "aks-prod")["properties"]
    file = write(tmp_path / "export.json", resources)
    code, out, err = run(capsys, "--from-export", str(file), "--headless", "--json", "--fail-on", "none")
    assert code == 0 and "Traceback" not in err
    finding = _findings(out)[("outbound-type", "aks-prod")]
    assert finding["status"] == "unknown"
    assert "exported without its properties" in str(finding["message"])


def test_a_dangling_route_table_reference_is_unknown_with_the_reason(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    resources = [r for r in arm.baseline() if r["name"] != "rt-aks"]
    file = write(tmp_path / "export.json", resources)
    code, out, _ = run(capsys, "--from-export", str(file), "--headless", "--json", "--fail-on", "none")
    assert code == 0
    finding = _findings(out)[("outbound-type", "aks-prod")]
    assert finding["status"] == "unknown"
    assert f"route table rt-aks ({arm.RT_ID}) is not in the snapshot" in str(finding["message"])


def test_json_output_is_one_document_and_exit_code_follows_fail_on(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    resources = arm.baseline()
    arm.find(resources, "aks-prod")["properties"]["networkProfile"]["outboundType"] = "loadBalancer"
    file = write(tmp_path / "export.json", resources)
    code, out, _ = run(capsys, "--from-export", str(file), "--headless", "--json")
    assert code == 1  # outbound-type fails high; the default --fail-on is high
    assert _findings(out)[("outbound-type", "aks-prod")]["status"] == "fail"
    assert run(capsys, "--from-export", str(file), "--headless", "--json", "--fail-on", "critical")[0] == 0
    assert run(capsys, "--from-export", str(file), "--headless", "--json", "--fail-on", "none")[0] == 0


def test_output_file_gets_the_report_and_stdout_stays_empty(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    file = write(tmp_path / "export.json", arm.baseline())
    report = tmp_path / "report.json"
    code, out, _ = run(capsys, "--from-export", str(file), "--headless", "--json", "--output", str(report),
                       "--fail-on", "none")
    assert code == 0 and out == ""
    assert json.loads(report.read_text(encoding="utf-8"))["schema"] == "aksfw-tui/report/v1"


def test_an_unwritable_output_is_an_input_error(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    file = write(tmp_path / "export.json", arm.baseline())
    code, out, err = run(capsys, "--from-export", str(file), "--headless", "--output",
                         str(tmp_path / "no-such-dir" / "r.txt"))
    assert code == 2 and out == ""
    assert "cannot write" in one_line(err)


def test_no_source_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--headless"])
    assert exit_info.value.code == 2
    assert "choose a source" in capsys.readouterr().err


def test_bad_thresholds_and_zone_tables_are_input_errors(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    file = write(tmp_path / "export.json", arm.baseline())
    code, _, err = run(capsys, "--from-export", str(file), "--headless", "--snat-threshold", "120")
    assert code == 2 and "--snat-threshold 120.0: must be a percentage" in one_line(err)
    zones = write(tmp_path / "zones.json", {"regions": "westeurope"})
    code, _, err = run(capsys, "--from-export", str(file), "--headless", "--zone-regions", str(zones))
    assert code == 2 and "expected a JSON list of region names" in one_line(err)


def test_list_checks_prints_every_check_once(capsys: pytest.CaptureFixture[str]) -> None:
    from aksfw_tui.checks import CATALOGUE

    code, out, _ = run(capsys, "--list-checks", "--json")
    assert code == 0
    listed = [c["id"] for c in json.loads(out)["checks"]]
    assert listed == [c.id for c in CATALOGUE]
    for named in ("outbound-type", "fqdn-tag-rule", "tunnel-ports", "dns-proxy", "zone-spread",
                  "waf-in-front", "snat-utilisation"):
        assert named in listed
    code, out, _ = run(capsys, "--list-checks")
    assert code == 0 and len(out.strip().splitlines()) == len(CATALOGUE)


def test_headless_text_report_names_failures_and_their_fix(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    resources = arm.baseline()
    arm.find(resources, "aks-prod")["properties"]["networkProfile"]["outboundType"] = "loadBalancer"
    file = write(tmp_path / "export.json", resources)
    code, out, _ = run(capsys, "--from-export", str(file), "--headless", "--fail-on", "none")
    assert code == 0
    assert "fix: outbound-type · aks-prod (high)" in out
    flat = " ".join(out.split())  # rich wraps long commands at the console width
    assert "az aks update --resource-group rg-spoke --name aks-prod --outbound-type userDefinedRouting" in flat


# -- nothing to audit ----------------------------------------------------------------------------


SUBJECT_TYPES = ("microsoft.containerservice/managedclusters", "microsoft.network/azurefirewalls")


def test_an_empty_export_is_not_a_pass(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    empty = write(tmp_path / "empty.json", [])
    code, out, err = run(capsys, "--from-export", str(empty), "--headless")
    assert code == 4 and "Nothing audited" in out
    assert one_line(err) == (f"aksfw-tui: no AKS clusters or Azure Firewalls in {empty}: "
                             "the input holds no resources at all")
    code, out, err = run(capsys, "--from-export", str(empty), "--headless", "--json", "--fail-on", "none")
    assert code == 4 and "no resources at all" in one_line(err)
    document = json.loads(out)  # still the one document, with zero findings
    assert document["findings"] == [] and document["summary"]["pass"] == 0


def test_an_export_of_other_types_says_what_it_held(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    others = [r for r in arm.baseline() if r["type"].lower() not in SUBJECT_TYPES]
    file = write(tmp_path / "export.json", {"value": others})
    code, out, err = run(capsys, "--from-export", str(file), "--headless", "--json")
    assert code == 4 and json.loads(out)["findings"] == []
    line = one_line(err)
    assert line.startswith(f"aksfw-tui: no AKS clusters or Azure Firewalls in {file}: "
                           f"{len(others)} resources of ")
    assert "other types (Microsoft.Network/" in line and "Microsoft.Network/virtualNetworks 2" in line


def test_allow_empty_exits_0_and_still_notes_it(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    vnets = write(tmp_path / "vnets.json", [r for r in arm.baseline()
                                             if r["type"] == "Microsoft.Network/virtualNetworks"])
    code, _, err = run(capsys, "--from-export", str(vnets), "--headless", "--allow-empty")
    assert code == 0
    assert one_line(err) == (f"aksfw-tui: no AKS clusters or Azure Firewalls in {vnets}: 2 resources of "
                             "1 other type (Microsoft.Network/virtualNetworks 2)")
    code, _, err = run(capsys, "--from-export", str(vnets), "--headless", "--allow-empty", "--quiet")
    assert code == 0 and err == ""
    code, _, err = run(capsys, "--from-export", str(vnets), "--headless", "--quiet")
    assert code == 4 and "no AKS clusters or Azure Firewalls" in one_line(err)  # the reason for 4 stays


def test_one_cluster_or_one_firewall_is_enough_to_audit(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    for dropped in SUBJECT_TYPES:
        file = write(tmp_path / "export.json", [r for r in arm.baseline() if r["type"].lower() != dropped])
        code, _, err = run(capsys, "--from-export", str(file), "--headless", "--json", "--fail-on", "none")
        assert code == 0 and "no AKS clusters" not in err


def test_live_discovery_that_finds_nothing_to_audit_exits_4(
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    from aksfw_tui.model import ids
    from aksfw_tui.sources import credentials
    from aksfw_tui.sources.demo import load_demo
    from tests.fake_arm import FakeArm

    token = "aksfw-cli-test-token"
    monkeypatch.setenv(credentials.TOKEN_VARIABLE, token)
    vnets = [r for r in load_demo().resources if r["type"] == "Microsoft.Network/virtualNetworks"]
    subscription = ids.subscription_of(vnets[0]["id"]) or ""
    held = [r for r in vnets if ids.subscription_of(r["id"]) == subscription]
    with FakeArm(vnets, token=token) as fake:
        code, out, err = run(capsys, "--subscription", subscription, "--arm-endpoint", fake.base_url,
                             "--auth", "access-token", "--headless", "--json", "--quiet")
    assert code == 4 and json.loads(out)["findings"] == []
    assert one_line(err) == (f"aksfw-tui: no AKS clusters or Azure Firewalls in 1 subscription "
                             f"({subscription}): {len(held)} resource{'s' if len(held) > 1 else ''} of "
                             f"1 other type (Microsoft.Network/virtualNetworks {len(held)})")
