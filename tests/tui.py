"""Helpers for driving the app in tests: a demo app whose audit has finished, deterministically."""

from __future__ import annotations

from textual.pilot import Pilot

from aksfw_tui.app import AuditApp
from aksfw_tui.audit import Source
from aksfw_tui.sources.demo import load_demo

SIZES = {"small": (80, 24), "large": (120, 40)}


def demo_app() -> AuditApp:
    app = AuditApp(Source("demo", "demo · hub-spoke reference architecture", load_demo))
    app.animation_level = "none"
    return app


async def audited(pilot: Pilot[None]) -> None:
    """Wait until the audit worker has finished and the dashboard is up."""
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    await pilot.pause()
