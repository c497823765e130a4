"""The `aksfw-tui/report/v1` JSON document."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aksfw_tui import __version__
from aksfw_tui.checks.base import Finding, Severity, Status
from aksfw_tui.model.topology import Topology

SCHEMA_ID = "aksfw-tui/report/v1"
SCHEMA_PATH = Path(__file__).parent / "schema" / "report-v1.schema.json"


def summary(findings: list[Finding]) -> dict[str, Any]:
    counts = Counter(f.status.value for f in findings)
    failing = Counter(f.severity.value for f in findings if f.status is Status.FAIL)
    return {
        **{status.value: counts.get(status.value, 0) for status in Status},
        "by_severity": {s.value: failing.get(s.value, 0) for s in Severity},
    }


def report(topology: Topology, findings: list[Finding],
           generated_at: datetime | None = None) -> dict[str, Any]:
    when = (generated_at or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%SZ")
    unreadable = [{"scope": u.scope, "reason": u.reason} for u in topology.unreadable]
    return {
        "schema": SCHEMA_ID,
        "tool": {"name": "aksfw-tui", "version": __version__},
        "generated_at": when,
        "source": dict(topology.snapshot.source),
        "summary": summary(findings),
        "findings": [f.to_dict() for f in findings],
        "unreadable": unreadable,
    }


def dumps(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
