"""What a fix is, as data: the remediation a failing finding carries and its plan of changes.

Kept apart from the checks so the remediation renderers can use it without loading the catalogue.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Change:
    """One property change the fix makes on one resource: a JSON Patch operation (RFC 6902) on
    the resource's ARM JSON, with the value it replaces, so a plan can be shown as a diff."""

    resource_id: str
    op: str  # add | replace | remove
    path: str  # JSON Pointer into the resource, e.g. /properties/networkProfile/outboundType
    value: Any = None  # the new value (add, replace)
    before: Any = None  # the value now (replace, remove); None when absent

    def __post_init__(self) -> None:
        if self.op not in ("add", "replace", "remove") or not self.path.startswith("/"):
            raise ValueError(f"bad change {self.op} {self.path}")

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"resource_id": self.resource_id, "op": self.op, "path": self.path}
        if self.op != "remove":
            out["value"] = jsonable(self.value)
        if self.op != "add":
            out["before"] = jsonable(self.before)
        return out


@dataclass(frozen=True)
class Remediation:
    """How to fix a failure, with the subject's real names filled in. `changes` is the plan:
    the property changes on existing resources (resources to create are in the snippets)."""

    summary: str
    steps: tuple[str, ...] = ()
    az_cli: tuple[str, ...] = ()
    bicep: str = ""
    terraform: str = ""
    changes: tuple[Change, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"summary": self.summary, "steps": list(self.steps), "az_cli": list(self.az_cli),
                "bicep": self.bicep, "terraform": self.terraform,
                "changes": [change.to_dict() for change in self.changes]}


def jsonable(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [jsonable(v) for v in value]
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)
