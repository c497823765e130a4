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


# Child resources ARM also serves on their own, and the list in the parent they belong to. A loose
# child joins its parent's list when that list was read and lacks it; an unread list stays unread
# (one child found beside it says nothing of the others).
CHILD_LISTS = {
    "microsoft.network/routetables/routes": "routes",
    "microsoft.network/virtualnetworks/virtualnetworkpeerings": "virtualNetworkPeerings",
    "microsoft.containerservice/managedclusters/agentpools": "agentPoolProfiles",
}


def merge_children(resources: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Resources with loose routes, peerings and agent pools folded into their parents (copies;
    the input is not changed). Subnets and rule collection groups are joined by the topology."""
    by_id = {ids.key(r.get("id")): r for r in resources}
    merged: dict[str, dict[str, Any]] = {}
    for child in resources:
        list_key = CHILD_LISTS.get(resource_type(child).lower())
        parent_key = ids.key(ids.parent_of(str(child.get("id", ""))))
        parent = merged.get(parent_key) or by_id.get(parent_key)
        if list_key is None or parent is None or not isinstance(parent.get("properties"), dict):
            continue
        listed = parent["properties"].get(list_key)
        if not isinstance(listed, list):
            continue
        entry = _as_list_entry(child, list_key)
        name = str(entry.get("name", "")).lower()
        if any(isinstance(e, dict) and str(e.get("name", "")).lower() == name for e in listed):
            continue
        copy = {**parent, "properties": {**parent["properties"], list_key: [*listed, entry]}}
        merged[parent_key] = copy
    return [merged.get(ids.key(r.get("id")), r) for r in resources]


def _as_list_entry(child: dict[str, Any], list_key: str) -> dict[str, Any]:
    """Agent pools are flattened in `agentPoolProfiles` (`{"name", "vnetSubnetID", ...}`)."""
    if list_key == "agentPoolProfiles":
        name = child.get("name") or ids.name_of(str(child.get("id", "")))
        properties = child.get("properties")
        return {"name": name, **(properties if isinstance(properties, dict) else {})}
    return child
