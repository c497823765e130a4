"""What screens and reports show, derived from findings: per-subject summaries, the score, the
order of importance, and the path that decided a finding. Pure functions; no Textual here."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from aksfw_tui.checks import CATALOGUE
from aksfw_tui.checks.base import Finding, Severity, Status
from aksfw_tui.model.resources import Resource

SYMBOL = {Status.PASS: "✔", Status.FAIL: "✘", Status.UNKNOWN: "?", Status.NOT_APPLICABLE: "–"}
LABEL = {Status.PASS: "pass", Status.FAIL: "fail", Status.UNKNOWN: "unknown",
         Status.NOT_APPLICABLE: "n/a"}
STATUS_ORDER = (Status.FAIL, Status.UNKNOWN, Status.PASS, Status.NOT_APPLICABLE)
# How much a finding weighs in the score: what a CISO would rank first counts most.
_CATALOGUE_ORDER = {check.id: index for index, check in enumerate(CATALOGUE)}
WEIGHT = {Severity.CRITICAL: 10, Severity.HIGH: 5, Severity.MEDIUM: 3, Severity.LOW: 1,
          Severity.INFO: 0}


# Markdown that would change how text from the input shows: inline syntax anywhere (emphasis,
# code, links, HTML, entities, tables, strikethrough), block syntax where a line starts.
_MD_INLINE = re.compile(r"([\\`*_\[\]<>&!|~])")
_MD_BLOCK = re.compile(r"^[ \t]*(?:([#>+=-])|(\d+)([.)]))", re.MULTILINE)
_MD_LINE_BREAKS = re.compile(r"[\x00-\x1f\x7f]+")


# Control characters (but tab and newline), DEL, C1 controls and lone surrogates: what a terminal
# would act on, or what UTF-8 cannot encode. Input text shows them as escapes instead.
UNPRINTABLE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")


def printable(text: str) -> str:
    """Input-derived text made safe for a terminal or a UTF-8 file: `fw\x1b[2J` → `fw\\x1b[2J`."""
    return UNPRINTABLE.sub(lambda m: f"\\x{ord(m.group()):02x}" if ord(m.group()) < 0x100
                           else "\ufffd", text)


def md_text(text: str, inline: bool = False) -> str:
    """Text from the input (a name, a message) as Markdown that shows exactly that text: its
    Markdown syntax escaped. `inline`: on one line (in a heading, a list item)."""
    if inline:
        text = _MD_LINE_BREAKS.sub(" ", text)
    text = _MD_INLINE.sub(r"\\\1", text)
    return _MD_BLOCK.sub(lambda m: f"\\{m[1]}" if m[1] else f"{m[2]}\\{m[3]}", text)


def md_code(text: str) -> str:
    """Text from the input as an inline code span, whatever backticks it holds."""
    fence = "`" * (max((len(run) for run in re.findall(r"`+", text)), default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{_MD_LINE_BREAKS.sub(' ', text)}{pad}{fence}"


def md_fence(text: str) -> str:
    """A code fence longer than any run of backticks in `text`."""
    return "`" * max(3, max((len(run) for run in re.findall(r"`+", text)), default=0) + 1)


def badge(status: Status) -> str:
    """Status as symbol and word: never colour alone."""
    return f"{SYMBOL[status]} {LABEL[status]}"


def importance(finding: Finding) -> tuple[int, int, int, str]:
    """Sort key: failures first, worst severity first, then the catalogue's order (the most
    fundamental check first: outbound-type before what depends on it), then resource."""
    return (STATUS_ORDER.index(finding.status), -finding.severity.rank,
            _CATALOGUE_ORDER.get(finding.check.id, len(_CATALOGUE_ORDER)), finding.subject.name.lower())


@dataclass(frozen=True)
class SubjectSummary:
    """One dashboard row: a cluster or firewall and how its findings came out."""

    subject: Resource
    kind: str
    counts: Mapping[Status, int]
    worst: Severity | None  # the worst severity among its failures

    @property
    def label(self) -> str:
        return self.subject.name


def subject_summaries(findings: Iterable[Finding]) -> list[SubjectSummary]:
    grouped: dict[str, list[Finding]] = {}
    for finding in findings:
        grouped.setdefault(finding.subject.key, []).append(finding)
    rows = []
    for group in grouped.values():
        failing = [f.severity for f in group if f.status is Status.FAIL]
        rows.append(SubjectSummary(
            subject=group[0].subject,
            kind="cluster" if group[0].subject.type == "managedCluster" else "firewall",
            counts=Counter(f.status for f in group),
            worst=max(failing, key=lambda s: s.rank) if failing else None,
        ))
    return sorted(rows, key=lambda r: (-(r.worst.rank + 1 if r.worst else 0),
                                       -r.counts.get(Status.FAIL, 0), r.kind, r.label.lower()))


def score(findings: Sequence[Finding]) -> int | None:
    """0–100: severity-weighted share of decided-or-unverified findings that pass. Unknown counts
    against the score (unverified is not compliant); not_applicable is left out. None: nothing to
    score."""
    weights = {Status.PASS: 0, Status.FAIL: 0, Status.UNKNOWN: 0}
    for finding in findings:
        if finding.status in weights:
            weights[finding.status] += max(WEIGHT[finding.check.severity], 1)
    total = sum(weights.values())
    return round(100 * weights[Status.PASS] / total) if total else None


def worst_finding(findings: Sequence[Finding]) -> Finding | None:
    failing = [f for f in findings if f.status is Status.FAIL]
    return min(failing, key=importance) if failing else None


def decision_path(finding: Finding) -> list[str]:
    """The graph paths in the evidence that decided it (e.g. subnet → route table → 10.0.1.4 →
    fw-hub), and the rules that decided flows, as display lines."""
    lines: list[str] = []
    _collect_paths(finding.result.evidence, lines)
    return list(dict.fromkeys(lines))


def _collect_paths(value: Any, lines: list[str]) -> None:
    if isinstance(value, Mapping):
        for key, inner in value.items():
            if key == "path" and isinstance(inner, list | tuple) and inner:
                lines.append(" → ".join(str(step) for step in inner))
            elif key == "rules" and isinstance(inner, list | tuple):
                lines.extend(_rule_line(rule) for rule in inner if isinstance(rule, Mapping))
            else:
                _collect_paths(inner, lines)
    elif isinstance(value, list | tuple):
        for inner in value:
            _collect_paths(inner, lines)


def _rule_line(rule: Mapping[str, Any]) -> str:
    if "unreadable" in rule:
        return f"rules unreadable: {rule['unreadable']}"
    where = " › ".join(str(rule[k]) for k in ("policy", "group", "collection", "rule") if rule.get(k))
    return f"{rule.get('kind', 'rule')} rule {where} ({rule.get('action', '?')})"


def matches(finding: Finding, status: str = "", severity: str = "", check: str = "",
            text: str = "") -> bool:
    """The findings screen's filter. `severity` means that severity or worse; `text` matches the
    resource's name or id, the check id or the message (case-insensitive; `!` inverts)."""
    if status and finding.status.value != status:
        return False
    if severity and finding.severity.rank < Severity(severity).rank:
        return False
    if check and finding.check.id != check:
        return False
    if text:
        needle, invert = (text[1:], True) if text.startswith("!") else (text, False)
        needle = needle.strip().lower()
        haystack = (finding.subject.name, finding.subject.id, finding.check.id, finding.result.message)
        found = any(needle in value.lower() for value in haystack)
        return found != invert
    return True
