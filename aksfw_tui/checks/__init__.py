"""The check catalogue: every check, declared once in its own module, listed here in report order."""

from __future__ import annotations

from aksfw_tui.checks import outbound_type
from aksfw_tui.checks.base import Check

CATALOGUE: tuple[Check, ...] = (
    outbound_type.CHECK,
)


def _validate(catalogue: tuple[Check, ...]) -> None:
    seen: set[str] = set()
    for check in catalogue:
        if check.id in seen:
            raise ValueError(f"duplicate check id {check.id!r}")
        seen.add(check.id)


_validate(CATALOGUE)


def by_id(check_id: str) -> Check:
    for check in CATALOGUE:
        if check.id == check_id:
            return check
    raise KeyError(check_id)
