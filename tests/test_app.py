"""The main journeys through the app, driven with Textual's Pilot (state asserted, not pixels)."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import DataTable, Input, Static

from aksfw_tui.checks.base import Status
from aksfw_tui.screens.dashboard import DashboardScreen
from aksfw_tui.screens.finding_detail import FindingDetailScreen
from aksfw_tui.screens.findings import FindingsScreen
from aksfw_tui.screens.help import HelpScreen
from aksfw_tui.screens.remediation import RemediationScreen
from tests.tui import audited, demo_app


async def test_demo_opens_on_the_dashboard_with_every_subject() -> None:
    app = demo_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await audited(pilot)
        assert isinstance(app.screen, DashboardScreen)
        assert app.run_result is not None
        subjects = {f.subject.key for f in app.run_result.findings}
        assert app.screen.query_one("#subjects", DataTable).row_count == len(subjects)


async def test_worst_finding_to_its_az_command_from_the_keyboard() -> None:
    """The acceptance journey: dashboard → worst finding → why → the exact az command."""
    app = demo_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await audited(pilot)
        await pilot.press("w")
        screen = app.screen
        assert isinstance(screen, FindingDetailScreen)
        assert screen.finding.status is Status.FAIL
        await pilot.press("r")
        wizard = app.screen
        assert isinstance(wizard, RemediationScreen)
        await pilot.press("n", "n")  # explain → plan → change
        assert wizard.step == 2
        copied: list[str] = []
        app.copy_to_clipboard = copied.append  # type: ignore[method-assign]
        await pilot.press("c")
        assert copied == ["\n".join(wizard.remediation.az_cli)]
        assert copied[0].startswith("az ")


async def test_filter_to_failures_open_one_and_walk_the_wizard_to_recheck() -> None:
    app = demo_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await audited(pilot)
        await pilot.press("f")
        findings = app.screen
        assert isinstance(findings, FindingsScreen)
        findings.set_filters(status="fail")
        await pilot.pause()
        shown = findings._shown
        assert shown and all(f.status is Status.FAIL for f in shown)
        count = findings.query_one("#count", Static).render()
        assert f"{len(shown)} of {len(app.findings)} shown" in str(count)
        await pilot.press("enter")
        assert isinstance(app.screen, FindingDetailScreen)
        assert app.screen.finding is shown[0]
        await pilot.press("r")
        wizard = app.screen
        assert isinstance(wizard, RemediationScreen)
        await pilot.press("n", "n", "n")
        checklist = wizard.query_one("#checklist")
        await pilot.press("n")
        assert wizard.step == 4
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        result = str(wizard.query_one("#recheck-result", Static).render())
        assert "fail" in result  # nothing changed in the source, so it still fails
        assert checklist is not None
        await pilot.press("escape", "escape")
        assert isinstance(app.screen, FindingsScreen)


async def test_search_filters_by_text_and_inverts_with_bang() -> None:
    app = demo_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await audited(pilot)
        await pilot.press("f", "slash")
        findings = app.screen
        assert isinstance(findings, FindingsScreen)
        assert isinstance(app.focused, Input)
        await pilot.press(*"dns-proxy", "enter")
        assert findings._shown and all(f.check.id == "dns-proxy" for f in findings._shown)
        findings.set_filters(text="!dns-proxy")
        await pilot.pause()
        assert findings._shown and all(f.check.id != "dns-proxy" for f in findings._shown)
        await pilot.press("x")
        assert len(findings._shown) == len(app.findings)


async def test_dashboard_row_opens_that_resources_findings() -> None:
    app = demo_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await audited(pilot)
        table = app.screen.query_one("#subjects", DataTable)
        name = str(table.get_cell_at((0, 1)))
        await pilot.press("enter")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, FindingsScreen)
        assert screen.filters()["text"] == name
        assert all(name in (f.subject.name, f.subject.id) for f in screen._shown)


async def test_help_and_palette_open() -> None:
    app = demo_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await audited(pilot)
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        await pilot.press("ctrl+p")
        await pilot.pause()
        assert type(app.screen).__name__ == "CommandPalette"


async def test_save_to_file_writes_the_active_tab(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    app = demo_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await audited(pilot)
        await pilot.press("w", "r", "n", "n", "w")
        wizard = app.screen
        assert isinstance(wizard, RemediationScreen)
        saved = list(tmp_path.glob("aksfw-fix-*.sh"))
        assert len(saved) == 1
        assert saved[0].read_text(encoding="utf-8") == "\n".join(wizard.remediation.az_cli) + "\n"


async def test_an_unreadable_export_is_reported_in_the_app(tmp_path: Path) -> None:
    from aksfw_tui.app import AuditApp
    from aksfw_tui.audit import Source
    from aksfw_tui.sources.export import load_export

    bad = tmp_path / "bad.json"
    bad.write_text("{", encoding="utf-8")
    app = AuditApp(Source("export", f"export · {bad}", lambda: load_export(bad)))
    async with app.run_test(size=(80, 24)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        text = str(app.screen.query_one("#loading-stages", Static).render())
        assert f"{bad}: not JSON" in text
        await pilot.press("f")  # no audit: navigation is refused politely, nothing crashes
        assert app.run_result is None


async def test_topology_exports_mermaid_and_dot(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from aksfw_tui.screens.topology import TopologyScreen

    monkeypatch.chdir(tmp_path)
    app = demo_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await audited(pilot)
        await pilot.press("t")
        assert isinstance(app.screen, TopologyScreen)
        body = str(app.screen.query_one("#paths-body", Static).render())
        assert "aks-prod" in body and "firewall fw-hub" in body  # starts on a cluster's paths
        await pilot.press("m", "g")
    mermaid = (tmp_path / "aksfw-topology.mmd").read_text(encoding="utf-8")
    dot = (tmp_path / "aksfw-topology.dot").read_text(encoding="utf-8")
    assert mermaid.splitlines()[0] == "graph LR"
    assert "fw-hub" in mermaid and "aks-prod" in mermaid
    assert dot.startswith("digraph") and dot.count("{") == dot.count("}")
    assert "fw-hub" in dot


async def test_egress_explorer_answers_with_the_deciding_rule() -> None:
    from aksfw_tui.screens.egress import EgressScreen

    app = demo_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await audited(pilot)
        await pilot.press("e")
        screen = app.screen
        assert isinstance(screen, EgressScreen)
        assert screen.source is not None and screen.source.name == "aks-prod"
        await pilot.press(*"mcr.microsoft.com:443", "enter")
        answer = str(screen.query_one("#answer-body", Static).render())
        assert answer.startswith("Allowed")
        assert "fwpol-hub › rcg-aks-egress › aks-app-allow › aks-fqdn-tag" in answer
        destination = screen.query_one("#destination", Input)
        destination.value = "203.0.113.7:22"
        await pilot.press("enter")
        answer = str(screen.query_one("#answer-body", Static).render())
        assert answer.startswith("Denied")
        destination.value = "mcr.microsoft.com"
        await pilot.press("enter")
        answer = str(screen.query_one("#answer-body", Static).render())
        assert "port" in answer  # a clear grammar error, not a crash


async def test_an_empty_source_says_nothing_was_audited(tmp_path: Path) -> None:
    """No cluster and no firewall is not a pass: the dashboard says so, in the fail colour."""
    from aksfw_tui.app import AuditApp
    from aksfw_tui.audit import Source
    from aksfw_tui.sources.export import load_export

    empty = tmp_path / "empty.json"
    empty.write_text("[]", encoding="utf-8")
    app = AuditApp(Source("export", f"export · {empty}", lambda: load_export(empty)))
    async with app.run_test(size=(80, 24)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert isinstance(app.screen, DashboardScreen)
        nothing = app.screen.query_one("#nothing", Static)
        assert nothing.display
        text = " ".join(str(nothing.render()).split())
        assert text == (f"✘ Nothing audited: no AKS clusters or Azure Firewalls in {empty}: "
                        "the input holds no resources at all")
        assert "No failing finding" not in str(app.screen.query_one("#worst", Static).render())
        for key in ("f", "t", "e", "d", "w"):  # every screen opens on nothing without crashing
            await pilot.press(key)
        await pilot.pause()
