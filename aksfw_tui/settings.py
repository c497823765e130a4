"""Audit parameters a user can set (thresholds, tables that override bundled data)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Settings:
    snat_threshold: float = 80.0
    """Peak SNATPortUtilization (percent) at or above which snat-utilisation fails."""
    zone_regions: frozenset[str] | None = None
    """Regions with availability zones, replacing the bundled table (lower-case, no spaces)."""
