"""Hostile input: every string from the input is shown as text (never Rich markup, never Markdown),
saved file names stay safe, absurd metric values are `unknown`, and malformed JSON is a one-line
input error naming the file."""

from __future__ import annotations

import copy
import io
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from rich.console import Console
from textual.widgets import Input, OptionList, Static

from aksfw_tui.audit import AuditRun, Source, audit
from aksfw_tui.checks.base import Status
from aksfw_tui.checks.snat_utilisation import CHECK as SNAT
from aksfw_tui.cli import main
from aksfw_tui.errors import InputError
from aksfw_tui.report import text as text_report
from aksfw_tui.report.json_report import SCHEMA_PATH, report
from aksfw_tui.sources.demo import DEMO_DIR, load_demo
from aksfw_tui.sources.export import load_export
from aksfw_tui.sources.snapshot import ArmSnapshot
from tests import arm

VALIDATOR = jsonschema.Draft202012Validator(json.loads(SCHEMA_PATH.read_text(encoding="utf-8")),
                                            format_checker=jsonschema.FormatChecker())
# The demo's firewall and clusters renamed (names and ids alike) to what Rich would read as markup.
FIREWALL = "fw[/]hub[bold]\x00"
PROD = "aks[bold red]prod[/]\x00"
DEV = "[/]aks-dev\x00[word]"
RENAMES = {"fw-hub": FIREWALL, "aks-prod": PROD, "aks-dev": DEV}


def _schema_errors(document: dict[str, Any]) -> list[str]:
    return [f"{list(e.absolute_path)}: {e.message}" for e in VALIDATOR.iter_errors(document)]


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo export with RENAMES applied to every name and id that holds them."""
    folder = tmp_path_factory.mktemp("hostile")
    for file in DEMO_DIR.glob("*.json"):
        text = file.read_text(encoding="utf-8")
        for old, new in RENAMES.items():
            text = text.replace(old, json.dumps(new)[1:-1])  # JSON-escaped: \u0000
        (folder / file.name).write_text(text, encoding="utf-8")
    return folder


def _text_report(snapshot: ArmSnapshot) -> str:
    buffer = io.StringIO()
    text_report.render(Console(file=buffer, width=250, no_color=True, highlight=False), *audit(snapshot))
    return buffer.getvalue()


# -- reports -------------------------------------------------------------------------------------


def test_the_text_report_shows_markup_in_names_literally(hostile: Path) -> None:
    out = _text_report(load_export(hostile))
    for name in (FIREWALL, PROD, DEV):
        assert name in out
    assert f"fix: outbound-type · {DEV} (high)" in out  # the fix's rule title too


def test_the_text_report_shows_markup_in_messages_and_steps_literally() -> None:
    resources = arm.baseline()
    cluster = arm.find(resources, "aks-prod")
    cluster["name"] = "[bold]x[/bold] [word] [/]"
    cluster["properties"]["networkProfile"]["outboundType"] = "loadBalancer"
    snapshot = ArmSnapshot(source={"kind": "export"})
    for resource in resources:
        snapshot.add(resource)
    out = _text_report(snapshot)
    assert "fix: outbound-type · [bold]x[/bold] [word] [/] (high)" in out
    assert out.count("[bold]x[/bold] [word] [/]") >= 3  # the table, the fix's title and its steps


def test_the_json_report_with_hostile_names_validates_and_keeps_them(hostile: Path) -> None:
    document = report(*audit(load_export(hostile)))
    assert _schema_errors(document) == []
    names = {f["resource_name"] for f in json.loads(json.dumps(document))["findings"]}
    assert {FIREWALL, PROD, DEV} <= names


def test_ids_spelled_in_another_case_keep_the_json_report_valid() -> None:
    """ARM ids are case-insensitive: /Subscriptions/…/resourcegroups/… is the same resource, and the
    report gives each subject's id as the input spelled it."""
    def respell(value: Any) -> Any:
        if isinstance(value, str):
            return value.replace("/subscriptions/", "/Subscriptions/").replace("/resourceGroups/",
                                                                               "/resourcegroups/")
        if isinstance(value, list):
            return [respell(v) for v in value]
        if isinstance(value, dict):
            return {k: respell(v) for k, v in value.items()}
        return value

    demo = load_demo()
    respelled = ArmSnapshot(resources=respell(copy.deepcopy(demo.resources)),
                            metrics=respell(copy.deepcopy(demo.metrics)), source=dict(demo.source))
    document = report(*audit(respelled))
    assert {f["resource_id"][:15] for f in document["findings"]} == {"/Subscriptions/"}
    assert _schema_errors(document) == []
    plain = report(*audit(load_demo()))
    assert ({(f["check_id"], f["resource_name"], f["status"]) for f in document["findings"]}
            == {(f["check_id"], f["resource_name"], f["status"]) for f in plain["findings"]})


# -- malformed JSON ------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "problem"), [
    ("[" * 100_000 + "]" * 100_000, "JSON nested too deeply"),
    (json.dumps({"data": {"columns": [{"name": 1}, {"name": "id"}], "rows": [[1, "/subscriptions/s"]]}}),
     "'data' column 0 has no string 'name'"),
    (json.dumps({"data": {"columns": ["id"], "rows": [["/subscriptions/s"]]}}),
     "'data' column 0 has no string 'name'"),
    (json.dumps({"data": {"columns": [{"name": "id"}], "rows": [7]}}), "'data' row 0 is not a list"),
    (json.dumps({"data": {"columns": [{"name": "id"}], "rows": {"id": 1}}}), "'data' rows are not a list"),
    (json.dumps({"value": [], "unreadable": 3}), "'unreadable' is not a list"),
    ("[" + "1" * 5000 + "]", "unreadable JSON: Exceeds the limit"),
], ids=["deep", "numeric-column-name", "string-column", "scalar-row", "rows-object", "unreadable",
        "long-integer"])
def test_malformed_json_is_a_one_line_input_error_naming_the_file(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, problem: str) -> None:
    file = tmp_path / "export.json"
    file.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as raised:
        load_export(file)
    assert str(raised.value).startswith(f"{file}: ") and problem in str(raised.value)
    code = main(["--from-export", str(file), "--headless", "--json"])
    out, err = capsys.readouterr()
    assert code == 2 and out == ""
    assert err.strip().splitlines() == [f"aksfw-tui: error: {raised.value}"]


# -- absurd metric values ------------------------------------------------------------------------


@pytest.mark.parametrize(("literal", "shown"), [
    ("1e308", "1e+308"), ("1e309", "inf"), ("NaN", "nan"), ("-Infinity", "-inf"), ("250.5", "250.5"),
])
def test_a_snat_point_that_is_not_a_percentage_makes_the_finding_unknown(
        tmp_path: Path, literal: str, shown: str) -> None:
    placeholder = 12345.678
    resources = [r for r in arm.baseline() if r["type"] != "Microsoft.Insights/metrics"]
    file = tmp_path / "export.json"
    text = json.dumps([*resources, arm.snat_metric(arm.FW_ID, [41.0, placeholder, 12.0])])
    file.write_text(text.replace(str(placeholder), literal), encoding="utf-8")
    (finding,) = audit(load_export(file), [SNAT])[1]
    assert finding.status is Status.UNKNOWN
    assert "fw-hub" in finding.result.message and f"maximum {shown} at " in finding.result.message
    assert finding.result.evidence["impossible_point"]["value"] == shown
    json.dumps(finding.to_dict(), allow_nan=False)  # the report stays strict JSON


# -- the app -------------------------------------------------------------------------------------


async def test_the_app_shows_hostile_names_everywhere_and_saves_under_a_safe_name(
        hostile: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from aksfw_tui.app import AuditApp
    from aksfw_tui.screens.dashboard import DashboardScreen
    from aksfw_tui.screens.egress import EgressScreen
    from aksfw_tui.screens.finding_detail import FindingDetailScreen
    from aksfw_tui.screens.findings import FindingsScreen
    from aksfw_tui.screens.remediation import RemediationScreen
    from aksfw_tui.screens.topology import TopologyScreen

    monkeypatch.chdir(tmp_path)
    app = AuditApp(Source("export", f"export · {hostile}", lambda: load_export(hostile)))
    app.animation_level = "none"
    async with app.run_test(size=(120, 40)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert isinstance(app.screen, DashboardScreen)
        await pilot.press("enter")  # the first row's resource name becomes the findings' filter
        await pilot.pause(0.2)
        findings = app.screen
        assert isinstance(findings, FindingsScreen)
        count = str(findings.query_one("#count", Static).render())
        assert findings.filters()["text"] in count
        await pilot.press("slash", *"[/]aks", "enter")  # a search typed with markup in it
        assert findings._shown and all(DEV in f.subject.name for f in findings._shown)
        assert "text=[/]aks" in str(findings.query_one("#count", Static).render())
        await pilot.press("x", "enter")
        assert isinstance(app.screen, FindingDetailScreen)
        await pilot.press("escape", "t")
        assert isinstance(app.screen, TopologyScreen)
        await pilot.press("m", "g")
        await pilot.press("e")
        assert isinstance(app.screen, EgressScreen)
        app.screen.query_one("#destination", Input).value = "mcr.microsoft.com:443"
        await pilot.press("enter")
        await pilot.pause()
        sources = app.screen.query_one("#sources", OptionList)
        labels = [str(sources.get_option_at_index(i).prompt) for i in range(sources.option_count)]
        assert any(PROD in label for label in labels) and any(DEV in label for label in labels)
        assert "mcr.microsoft.com" in str(app.screen.query_one("#answer-body", Static).render())
        await pilot.press("escape", "d", "w")  # escape leaves the destination input
        detail = app.screen
        assert isinstance(detail, FindingDetailScreen)
        await pilot.press("r")
        wizard = app.screen
        assert isinstance(wizard, RemediationScreen)
        await pilot.press("n", "n", "w")
        await pilot.pause()
        subject = detail.finding.subject.name
        await pilot.press("n", "down", "n")
        await pilot.pause()
    assert (tmp_path / "aksfw-topology.mmd").is_file() and (tmp_path / "aksfw-topology.dot").is_file()
    (saved,) = tmp_path.glob("aksfw-fix-*.sh")
    assert not any(ord(c) < 32 or c in "/\\" for c in saved.name)
    assert saved.read_text(encoding="utf-8") == "\n".join(wizard.remediation.az_cli) + "\n"
    assert any(name in subject for name in RENAMES.values())


async def test_a_save_that_fails_is_a_notification(hostile: Path, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    from aksfw_tui.app import AuditApp
    from aksfw_tui.screens.remediation import RemediationScreen

    monkeypatch.chdir(tmp_path)
    run = AuditRun.run(Source("export", "hostile", lambda: load_export(hostile)))
    worst = min((f for f in run.findings if f.status is Status.FAIL),
                key=lambda f: (-f.severity.rank, f.check.id))
    app = AuditApp(Source("export", f"export · {hostile}", lambda: load_export(hostile)))
    app.animation_level = "none"
    async with app.run_test(size=(120, 40)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        finding = next(f for f in app.findings if f.check.id == worst.check.id
                       and f.subject.key == worst.subject.key)
        app.open_remediation(finding)
        await pilot.pause()
        wizard = app.screen
        assert isinstance(wizard, RemediationScreen)
        await pilot.press("n", "n")
        monkeypatch.setattr(Path, "write_text", _refuse)
        await pilot.press("w")
        await pilot.pause()
        messages = [n.message for n in app._notifications]
    assert any(m.startswith("Could not save aksfw-fix-") and "Read-only file system" in m for m in messages)


def _refuse(self: Path, *_args: object, **_kwargs: object) -> int:
    raise OSError(30, "Read-only file system")


async def test_an_input_error_quoting_markup_is_shown_as_written(tmp_path: Path) -> None:
    from aksfw_tui.app import AuditApp

    bad = tmp_path / "[bold]x" / "[red]export.json"  # markup with nothing to close vanishes
    bad.parent.mkdir()
    bad.write_text("{", encoding="utf-8")
    app = AuditApp(Source("export", f"export · {bad}", lambda: load_export(bad)))
    async with app.run_test(size=(120, 24)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        text = str(app.screen.query_one("#loading-stages", Static).render())
    assert f"✘ {bad}: not JSON" in text


@pytest.mark.parametrize("text", [
    "*x* <b>y</b> `c` [a](b) ~~s~~ &amp; a_b_ | c |",
    "# not a heading\n- not a list\n1. nor this\n> nor a quote",
])
def test_input_text_in_markdown_shows_as_written(text: str) -> None:
    from markdown_it import MarkdownIt

    from aksfw_tui.report.views import md_code, md_text

    parser = MarkdownIt("gfm-like")  # what Textual's Markdown widget uses
    paragraph = parser.parse(md_text(text))
    assert [t.type for t in paragraph] == ["paragraph_open", "inline", "paragraph_close"]
    inline = next(t for t in paragraph if t.type == "inline")
    shown = "".join(c.content if c.type in {"text", "text_special"} else "\n"
                    for c in inline.children or [] if c.type in {"text", "text_special", "softbreak"})
    assert shown == text
    code = next(t for t in parser.parse(md_code("a``b`")) if t.type == "inline")
    assert [c.content for c in code.children or []] == ["a``b`"]


def test_control_characters_and_lone_surrogates_never_reach_the_terminal_or_break_a_report(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    resources = arm.baseline()
    arm.find(resources, "fw-hub")["name"] = "fw\x1b[2J\ud800hub"
    export = tmp_path / "export.json"
    export.write_text(json.dumps(resources), encoding="utf-8")  # json escapes the surrogate

    assert main(["--from-export", str(export), "--headless", "--fail-on", "none"]) == 0
    out = capsys.readouterr().out
    assert "fw\\x1b[2J\ufffdhub" in out and "\x1b[2J" not in out

    assert main(["--from-export", str(export), "--headless", "--json", "--fail-on", "none"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert "fw\x1b[2J\ufffdhub" in {f["resource_name"] for f in document["findings"]}
