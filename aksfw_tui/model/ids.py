"""ARM resource ids: compared case-insensitively everywhere, kept as the input spelled them."""

from __future__ import annotations


def key(resource_id: str | None) -> str:
    """The comparison key of an ARM id: lower-case, no trailing slash."""
    return (resource_id or "").strip().rstrip("/").lower()


def name_of(resource_id: str | None) -> str:
    """The last segment of an id (the resource's or child's name)."""
    return (resource_id or "").rstrip("/").rsplit("/", 1)[-1]


def parent_of(resource_id: str, levels: int = 1) -> str:
    """The id `levels` child segments up: `.../virtualNetworks/v/subnets/s` → `.../virtualNetworks/v`."""
    parts = resource_id.rstrip("/").split("/")
    return "/".join(parts[: len(parts) - 2 * levels])


def segment(resource_id: str | None, name: str) -> str | None:
    """The value after a named segment, e.g. `segment(id, "subscriptions")`, case-insensitively."""
    parts = (resource_id or "").split("/")
    for index, part in enumerate(parts[:-1]):
        if part.lower() == name.lower():
            return parts[index + 1]
    return None


def subscription_of(resource_id: str | None) -> str | None:
    return segment(resource_id, "subscriptions")


def resource_group_of(resource_id: str | None) -> str | None:
    return segment(resource_id, "resourceGroups")


def type_of(resource_id: str) -> str:
    """The resource type an id names: `Microsoft.Network/firewallPolicies/ruleCollectionGroups`."""
    parts = resource_id.strip("/").split("/")
    lowered = [p.lower() for p in parts]
    if "providers" not in lowered:
        return ""
    start = len(lowered) - 1 - lowered[::-1].index("providers")
    rest = parts[start + 1 :]
    if not rest:
        return ""
    namespace, pairs = rest[0], rest[1:]
    types = [pairs[i] for i in range(0, len(pairs), 2)]
    return "/".join([namespace, *types])
