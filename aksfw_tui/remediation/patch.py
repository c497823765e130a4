"""Building remediation plans: JSON Patch changes against a resource's raw ARM JSON."""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from typing import Any

from aksfw_tui.remediation.model import Change


def json_pointer(*keys: str | int) -> str:
    """RFC 6901: '~' is written '~0' and '/' is written '~1' inside a token."""
    return "".join("/" + str(k).replace("~", "~0").replace("/", "~1") for k in keys)


def _nest(keys: Sequence[str], value: Any) -> Any:
    for key in reversed(keys):
        value = {key: value}
    return value


def set_property(resource_id: str, raw: Mapping[str, Any], keys: Sequence[str],
                 value: Any) -> Change | None:
    """The change that makes raw[keys[0]][keys[1]]… equal `value`; None when it already does.

    JSON Patch cannot add below an absent (or null) parent, so the change is made at the deepest
    object that exists, with the missing objects around `value`. Present and not null: replace,
    with the value it had; absent or null: add.
    """
    node: Any = raw
    for depth, key in enumerate(keys):
        if not isinstance(node, Mapping):  # a scalar where an object belongs: overwrite it
            return Change(resource_id, "replace", json_pointer(*keys[:depth]), _nest(keys[depth:], value),
                          copy.deepcopy(node))
        if node.get(key) is None:
            return Change(resource_id, "add", json_pointer(*keys[:depth + 1]),
                          _nest(keys[depth + 1:], value))
        node = node[key]
    if node == value:
        return None
    return Change(resource_id, "replace", json_pointer(*keys), value, copy.deepcopy(node))


def append_items(resource_id: str, raw: Mapping[str, Any], keys: Sequence[str],
                 new_items: Sequence[Any]) -> tuple[Change, ...]:
    """Append each item to the array at `keys` ('/-'), or create the array when there is none."""
    node: Any = raw
    for key in keys:
        node = node.get(key) if isinstance(node, Mapping) else None
    if isinstance(node, list):
        return tuple(Change(resource_id, "add", json_pointer(*keys) + "/-", item) for item in new_items)
    change = set_property(resource_id, raw, keys, list(new_items)) if new_items else None
    return (change,) if change else ()
