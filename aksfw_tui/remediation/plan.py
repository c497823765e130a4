"""Assembling a remediation: steps, az CLI commands, Bicep and Terraform snippets and the plan's
JSON Patch changes, collected in the order a check finds them, and the order the changes apply in."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from aksfw_tui.model import ids
from aksfw_tui.remediation.model import Change, Remediation


@dataclass
class Draft:
    """A remediation being written: each part in the order it was added."""

    steps: list[str] = field(default_factory=list)
    az: list[str] = field(default_factory=list)
    bicep: list[str] = field(default_factory=list)
    terraform: list[str] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)

    def remediation(self, summary: str) -> Remediation:
        """Steps and commands said once each; snippets one after another; changes in `patch_order`."""
        return Remediation(
            summary=summary, steps=tuple(dict.fromkeys(self.steps)), az_cli=tuple(dict.fromkeys(self.az)),
            bicep="\n".join(self.bicep), terraform="\n".join(self.terraform),
            changes=patch_order(self.changes),
        )


def patch_order(changes: Iterable[Change]) -> tuple[Change, ...]:
    """Applied in this order every path still points where it did in the export: appends and
    in-place changes first, then removals, highest index first within each list. Duplicates go."""
    unique: list[Change] = []
    for change in changes:
        if change not in unique:
            unique.append(change)
    removals = sorted((c for c in unique if c.op == "remove"), key=_pointer_order, reverse=True)
    return tuple([c for c in unique if c.op != "remove"] + removals)


def _pointer_order(change: Change) -> tuple[str, tuple[tuple[int, int, str], ...]]:
    steps = tuple((1, int(p), "") if p.isdigit() else (0, 0, p) for p in change.path.split("/"))
    return ids.key(change.resource_id), steps
