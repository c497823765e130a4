"""One finding in full: what was found, why it matters, the path that decided it, the evidence."""

from __future__ import annotations

import json
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.widgets import Footer, Header, Markdown

from aksfw_tui.checks.base import Finding, Status
from aksfw_tui.report.views import badge, decision_path, md_code, md_fence, md_text
from aksfw_tui.screens.base import AuditScreen


def detail_markdown(finding: Finding) -> str:
    """The finding as Markdown: the catalogue's text as written, the input's (names, ids, messages,
    evidence) escaped so that it shows as it is."""
    check, result = finding.check, finding.result
    severity = f" · severity {finding.severity.value}" if finding.status is Status.FAIL else ""
    lines = [
        f"# {badge(finding.status)}{severity} · {check.id}",
        "",
        f"**{md_text(finding.subject.name, inline=True)}** — {md_code(finding.subject.id)}",
        "",
        md_text(result.message),
        "",
        f"## {check.title}",
        "",
        check.rationale,
        "",
        f"*Passes when* {check.passes_when}",
    ]
    path = decision_path(finding)
    if path:
        lines += ["", "## How it was decided", "", *[f"- {md_text(step, inline=True)}" for step in path]]
    if result.remediation is not None:
        lines += ["", "## Fix", "", md_text(result.remediation.summary), "",
                  "Press **r** for the guided remediation (plan, az CLI, Bicep, Terraform)."]
    evidence = json.dumps(finding.to_dict()["evidence"], indent=2, ensure_ascii=False)
    fence = md_fence(evidence)
    lines += ["", "## Evidence", "", f"{fence}json", evidence, fence,
              "", "## References", "", *[f"- <{url}>" for url in check.references]]
    return "\n".join(lines)


class FindingDetailScreen(AuditScreen):
    """Pushed over the findings (or dashboard); Escape goes back."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "app.pop_screen", "Back", id="back"),
        Binding("r", "remediate", "Remediate", id="remediate"),
    ]

    def __init__(self, finding: Finding) -> None:
        super().__init__()
        self.finding = finding

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="detail"):
            yield Markdown(detail_markdown(self.finding), open_links=False)
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.query_one("#detail").focus()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "remediate":
            return self.finding.result.remediation is not None
        return True

    def action_remediate(self) -> None:
        self.app.open_remediation(self.finding)
