"""What a check is: one declaration holding its metadata, its logic and its remediation.

A check's `evaluate` is a pure function of the topology and one subject. It returns a `Result`
made with `passed`, `failed`, `unknown` or `not_applicable`; the runner turns it into a Finding.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from aksfw_tui.model.resources import Cluster, Firewall, Resource
from aksfw_tui.model.topology import Topology
from aksfw_tui.remediation.model import Change, Remediation, jsonable


class Status(StrEnum):
    PASS = "pass"
    FAIL = "fail"
    UNKNOWN = "unknown"
    NOT_APPLICABLE = "not_applicable"


class Severity(StrEnum):
    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"
    INFO = "info"

    @property
    def rank(self) -> int:
        """Higher is worse: critical 4 … info 0."""
        return list(reversed(Severity)).index(self)


class Subject(StrEnum):
    CLUSTER = "cluster"
    FIREWALL = "firewall"


@dataclass(frozen=True)
class Result:
    status: Status
    message: str
    evidence: Mapping[str, Any] = field(default_factory=dict)
    severity: Severity | None = None  # overrides the check's default (e.g. dns-proxy high/low)
    remediation: Remediation | None = None


def passed(message: str, **evidence: Any) -> Result:
    return Result(Status.PASS, message, evidence)


def failed(message: str, remediation: Remediation, severity: Severity | None = None,
           **evidence: Any) -> Result:
    return Result(Status.FAIL, message, evidence, severity, remediation)


def unknown(reason: str, **evidence: Any) -> Result:
    return Result(Status.UNKNOWN, reason, evidence)


def not_applicable(reason: str, **evidence: Any) -> Result:
    return Result(Status.NOT_APPLICABLE, reason, evidence)


ID_PATTERN = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")


@dataclass(frozen=True)
class Check:
    """One entry of the catalogue. `title` states the passing condition."""

    id: str
    title: str
    subjects: tuple[Subject, ...]
    severity: Severity
    passes_when: str
    rationale: str
    references: tuple[str, ...]
    evaluate: Callable[[Topology, Any], Result]

    def __post_init__(self) -> None:
        problems = []
        if not ID_PATTERN.match(self.id):
            problems.append("id must be kebab-case")
        if not 10 <= len(self.title) <= 150:
            problems.append("title must be 10–150 characters")
        if not self.subjects:
            problems.append("needs at least one subject")
        if not self.references or not all(r.startswith("https://learn.microsoft.com/")
                                           for r in self.references):
            problems.append("references must be Microsoft Learn URLs")
        if len(self.rationale) < 80 or len(self.passes_when) < 20:
            problems.append("rationale and passes_when must say something")
        if problems:
            raise ValueError(f"check {self.id!r}: {'; '.join(problems)}")


@dataclass(frozen=True)
class Finding:
    check: Check
    subject: Resource
    result: Result

    @property
    def status(self) -> Status:
        return self.result.status

    @property
    def severity(self) -> Severity:
        return self.result.severity or self.check.severity

    def to_dict(self) -> dict[str, Any]:
        remediation = self.result.remediation
        return {
            "check_id": self.check.id,
            "title": self.check.title,
            "status": self.status.value,
            "severity": self.severity.value,
            "resource_id": self.subject.id,
            "resource_name": self.subject.name,
            "resource_type": self.subject.raw.get("type") or self.subject.type,
            "message": self.result.message,
            "evidence": jsonable(self.result.evidence),
            "remediation": remediation.to_dict() if remediation else None,
            "references": list(self.check.references),
        }


def subjects_of(topology: Topology, subject: Subject) -> Sequence[Resource]:
    if subject is Subject.CLUSTER:
        return topology.clusters
    return topology.firewalls


def run_checks(topology: Topology, catalogue: Sequence[Check]) -> list[Finding]:
    """Every check on every subject it applies to; a check that raises yields `unknown`."""
    findings = []
    for check in catalogue:
        for subject_kind in check.subjects:
            for subject in sorted(subjects_of(topology, subject_kind), key=lambda s: s.key):
                findings.append(Finding(check, subject, _run_one(check, topology, subject)))
    return findings


def _run_one(check: Check, topology: Topology, subject: Resource) -> Result:
    try:
        result = check.evaluate(topology, subject)
    except Exception as error:  # a bug must not become a pass, nor a traceback for the user
        print(f"aksfw-tui: internal error in check {check.id} on {subject.name}: "
              f"{type(error).__name__}: {error}", file=sys.stderr)
        return unknown(f"the check could not be evaluated (internal error: "
                       f"{type(error).__name__}); please report it")
    return result


__all__ = [
    "Change", "Check", "Cluster", "Finding", "Firewall", "Remediation", "Result", "Severity", "Status",
    "Subject", "failed", "not_applicable", "passed", "run_checks", "unknown",
]
