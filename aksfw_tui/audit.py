"""The pipeline in one call: snapshot → topology → catalogue → findings."""

from __future__ import annotations

from collections.abc import Sequence

from aksfw_tui.checks import CATALOGUE
from aksfw_tui.checks.base import Check, Finding, run_checks
from aksfw_tui.model.topology import Topology
from aksfw_tui.settings import Settings
from aksfw_tui.sources.snapshot import ArmSnapshot


def audit(snapshot: ArmSnapshot, catalogue: Sequence[Check] = CATALOGUE,
          settings: Settings | None = None) -> tuple[Topology, list[Finding]]:
    topology = Topology(snapshot, settings)
    return topology, run_checks(topology, catalogue)
