"""The pipeline in one call: snapshot → topology → catalogue → findings."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from aksfw_tui.checks import CATALOGUE
from aksfw_tui.checks.base import Check, Finding, run_checks
from aksfw_tui.model.topology import Topology
from aksfw_tui.settings import Settings
from aksfw_tui.sources.snapshot import ArmSnapshot


def audit(snapshot: ArmSnapshot, catalogue: Sequence[Check] = CATALOGUE,
          settings: Settings | None = None) -> tuple[Topology, list[Finding]]:
    topology = Topology(snapshot, settings)
    return topology, run_checks(topology, catalogue)


@dataclass(frozen=True)
class Source:
    """Where an audit's resources come from, and how to read them again (for re-checks)."""

    kind: str  # demo | export | live
    label: str  # what the header shows, e.g. "demo · hub-spoke reference architecture"
    load: Callable[[], ArmSnapshot]
    load_with_progress: Callable[[Callable[[object], None]], ArmSnapshot] | None = None
    """The same load, telling a callback each step as it happens (live discovery's events)."""


@dataclass(frozen=True)
class AuditRun:
    """One completed audit: what the screens render."""

    source: Source
    topology: Topology
    findings: tuple[Finding, ...]

    @staticmethod
    def run(source: Source, settings: Settings | None = None,
            catalogue: Sequence[Check] = CATALOGUE,
            progress: Callable[[str], None] | None = None,
            detail: Callable[[object], None] | None = None) -> AuditRun:
        """Read, model and check; `progress` hears each stage's name as it starts, `detail` each
        step of reading when the source tells them (live discovery)."""
        step = progress or (lambda _stage: None)
        step(f"Reading {source.label}")
        if detail is not None and source.load_with_progress is not None:
            snapshot = source.load_with_progress(detail)
        else:
            snapshot = source.load()
        step(f"Building the topology of {len(snapshot.resources)} resources")
        topology = Topology(snapshot, settings)
        step(f"Running {len(catalogue)} checks")
        findings = run_checks(topology, catalogue)
        return AuditRun(source, topology, tuple(findings))
