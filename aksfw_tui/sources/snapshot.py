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
