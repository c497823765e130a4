"""The bundled demo: a hub-spoke export with realistic defects, read like any export."""

from __future__ import annotations

from pathlib import Path

from aksfw_tui.sources.export import load_export
from aksfw_tui.sources.snapshot import ArmSnapshot

DEMO_DIR = Path(__file__).parent / "demo"


def load_demo() -> ArmSnapshot:
    snapshot = load_export(DEMO_DIR, kind="demo")
    snapshot.source = {"kind": "demo", "name": "hub-spoke reference architecture (bundled)"}
    return snapshot
