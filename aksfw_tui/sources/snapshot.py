"""ArmSnapshot: what every source produces: raw ARM resources, metric series, and what was unreadable."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from aksfw_tui.model import ids

METRICS_TYPE = "microsoft.insights/metrics"


@dataclass(frozen=True)
class Unreadable:
    """A scope (subscription, resource type, resource) that could not be read, and why."""

    scope: str
    reason: str


@dataclass
class ArmSnapshot:
    """Raw ARM resources as GET returns them; checks never read this directly, only the topology."""

    resources: list[dict[str, Any]] = field(default_factory=list)
    metrics: list[dict[str, Any]] = field(default_factory=list)
    unreadable: list[Unreadable] = field(default_factory=list)
    source: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    def add(self, resource: dict[str, Any]) -> None:
        """Add one resource object, routing metric series to `metrics`."""
        if resource_type(resource).lower() == METRICS_TYPE:
            self.metrics.append(resource)
        else:
            self.resources.append(resource)


def resource_type(resource: dict[str, Any]) -> str:
    """The resource's type; the id tells it when `type` is absent (rule collection groups often)."""
    declared = resource.get("type")
    if isinstance(declared, str) and declared:
        return declared
    return ids.type_of(str(resource.get("id", "")))


def merge_duplicates(resources: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[str]]:
    """One object per id (compared case-insensitively), and what was said about the others.

    A stub (no `properties`, e.g. an `{id, type, name}` reference exported as a resource) never
    replaces a fuller copy, whichever comes first; of two full copies that differ the later one
    is kept, and a warning names the id."""
    kept: dict[str, dict[str, Any]] = {}
    warnings: list[str] = []
    for resource in resources:
        key = ids.key(resource.get("id"))
        earlier = kept.get(key)
        if earlier is None:
            kept[key] = resource
        elif _fullness(resource) < _fullness(earlier):
            continue
        elif _fullness(resource) > _fullness(earlier) or earlier == resource:
            kept[key] = resource
        else:
            warnings.append(f"{resource.get('id')}: two different copies; the later one was kept")
            kept[key] = resource
    return list(kept.values()), warnings


def _fullness(resource: dict[str, Any]) -> int:
    """2: has its properties; 1: a stub with more than id, type and name; 0: a bare stub."""
    if isinstance(resource.get("properties"), dict):
        return 2
    return 1 if set(resource) - {"id", "type", "name"} else 0
