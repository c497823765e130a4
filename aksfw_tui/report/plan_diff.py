"""A remediation's plan as a diff: per resource, each property's value now and after the fix."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from aksfw_tui.checks.base import Change, Remediation
from aksfw_tui.model import ids


def plan_diff(remediation: Remediation, raw: Mapping[str, Mapping[str, Any]]) -> str:
    """`raw` maps resource keys to their ARM JSON (Topology.raw), for names and types.
    Empty when the fix changes no existing resource (it only creates new ones)."""
    blocks: dict[str, list[Change]] = {}
    for change in remediation.changes:
        blocks.setdefault(ids.key(change.resource_id), []).append(change)
    out: list[str] = []
    for key, changes in blocks.items():
        resource = raw.get(key, {})
        name = str(resource.get("name") or ids.name_of(changes[0].resource_id))
        kind = str(resource.get("type") or ids.type_of(changes[0].resource_id))
        group = ids.resource_group_of(changes[0].resource_id) or ""
        out.append(f"@@ {name} ({kind}, resource group {group}) @@")
        for change in changes:
            if change.op != "add":
                out.extend(_lines("-", change.path, change.before))
            if change.op != "remove":
                out.extend(_lines("+", change.path, change.value))
        out.append("")
    return "\n".join(out).rstrip()


def _lines(sign: str, path: str, value: Any) -> list[str]:
    if value is None:
        return [f"{sign} {path}: (absent)"]
    text = json.dumps(value, ensure_ascii=False, default=str)
    if len(text) > 60:  # small values on one line; larger ones as an indented block
        text = json.dumps(value, indent=2, ensure_ascii=False, default=str)
    first, *rest = text.splitlines()
    return [f"{sign} {path}: {first}", *[f"{sign} {' ' * len(path)}  {line}" for line in rest]]
