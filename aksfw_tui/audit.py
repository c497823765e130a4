"""The pipeline in one call: snapshot → topology → catalogue → findings."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from aksfw_tui.checks import CATALOGUE
from aksfw_tui.checks.base import Check, Finding, run_checks
from aksfw_tui.model import ids
from aksfw_tui.model.topology import LOCATION_ID, Topology
from aksfw_tui.settings import Settings
from aksfw_tui.sources.snapshot import ArmSnapshot, resource_type

SHOWN_TYPES = 5  # how many of the input's types `nothing_to_audit` names


def audit(snapshot: ArmSnapshot, catalogue: Sequence[Check] = CATALOGUE,
          settings: Settings | None = None) -> tuple[Topology, list[Finding]]:
    topology = Topology(snapshot, settings)
    return topology, run_checks(topology, catalogue)


def nothing_to_audit(topology: Topology) -> str | None:
    """None when the topology holds an AKS cluster or an Azure Firewall. Otherwise the audit had no
    subject, which is not a pass: one line saying so and what the input did hold, e.g. "no AKS
    clusters or Azure Firewalls in ./export: 200 resources of 5 other types
    (Microsoft.Network/virtualNetworks 120, …)"."""
    if topology.clusters or topology.firewalls:
        return None
    snapshot = topology.snapshot
    counts: Counter[str] = Counter()
    spelling: dict[str, str] = {}  # each type as the input first spelled it
    for resource in (*snapshot.resources, *snapshot.metrics):
        if LOCATION_ID.match(ids.key(str(resource.get("id", "")))):
            continue  # a subscription's regions (live discovery reads them): not resources
        kind = resource_type(resource) or "(no type)"
        spelling.setdefault(kind.lower(), kind)
        counts[kind.lower()] += 1
    total = sum(counts.values())
    if total:
        ranked = sorted(counts.items(), key=lambda pair: (-pair[1], pair[0]))
        shown = ", ".join(f"{spelling[kind]} {count}" for kind, count in ranked[:SHOWN_TYPES])
        more = f", and {len(ranked) - SHOWN_TYPES} more" if len(ranked) > SHOWN_TYPES else ""
        held = (f"{_plural(total, 'resource')} of {_plural(len(ranked), 'other type')} "
                f"({shown}{more})")
    else:
        held = "the input holds no resources at all"
    if snapshot.unreadable:
        held += f"; {_plural(len(snapshot.unreadable), 'scope')} could not be read"
    return f"no AKS clusters or Azure Firewalls in {_where(snapshot.source)}: {held}"


def _where(source: Mapping[str, Any]) -> str:
    if source.get("path"):
        return str(source["path"])
    subscriptions = [str(s) for s in source.get("subscriptions") or ()]
    if subscriptions:
        listed = ", ".join(subscriptions[:3]) + (", …" if len(subscriptions) > 3 else "")
        return f"{_plural(len(subscriptions), 'subscription')} ({listed})"
    return str(source.get("name") or source.get("kind") or "the input")


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


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
