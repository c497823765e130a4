"""SVG snapshots of every screen at 80×24 and 120×40, on the bundled demo.

Baselines live in tests/__snapshots__/test_snapshots/. They change only deliberately: run
`.venv/bin/python -m pytest tests/test_snapshots.py --snapshot-update`, then open each changed SVG
and look at it before committing.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from aksfw_tui.app import AuditApp
from aksfw_tui.audit import Source
from aksfw_tui.sources.export import load_export
from tests.tui import SIZES, audited, demo_app

Steps = Callable[[Pilot[None]], Awaitable[None]]


def keys(*pressed: str) -> Steps:
    async def run(pilot: Pilot[None]) -> None:
        await audited(pilot)
        await pilot.press(*pressed)
        await pilot.pause()

    return run


async def failures_only(pilot: Pilot[None]) -> None:
    await audited(pilot)
    app: Any = pilot.app
    app.show_findings(status="fail")
    await pilot.pause()
    await pilot.pause()


async def egress_query(pilot: Pilot[None]) -> None:
    await audited(pilot)
    await pilot.press("e")
    await pilot.pause()
    await pilot.press(*"mcr.microsoft.com:443", "enter")
    await pilot.pause()


SCREENS: dict[str, Steps] = {
    "dashboard": keys(),
    "findings": keys("f"),
    "findings_failures": failures_only,
    "finding_detail": keys("w"),
    "remediation_explain": keys("w", "r"),
    "remediation_plan": keys("w", "r", "n"),
    "remediation_change": keys("w", "r", "n", "n"),
    "remediation_checklist": keys("w", "r", "n", "n", "n"),
    "topology": keys("t"),
    "egress": egress_query,
    "help": keys("question_mark"),
}


@pytest.mark.parametrize("size", list(SIZES))
@pytest.mark.parametrize("screen", list(SCREENS))
def test_screen(snap_compare: Any, screen: str, size: str) -> None:
    assert snap_compare(demo_app(), terminal_size=SIZES[size], run_before=SCREENS[screen])


@pytest.mark.parametrize("size", list(SIZES))
def test_loading_failure(snap_compare: Any, size: str, tmp_path: Path,
                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # a relative path, so no temp folder shows on screen
    bad = Path("broken-export.json")
    bad.write_text('{"value": [', encoding="utf-8")
    app = AuditApp(Source("export", f"export · {bad}", lambda: load_export(bad)))

    async def wait(pilot: Pilot[None]) -> None:
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()

    assert snap_compare(app, terminal_size=SIZES[size], run_before=wait)
