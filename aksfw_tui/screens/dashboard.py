"""Dashboard: every cluster and firewall with its status counts and worst severity, and a score."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.content import Content
from textual.widgets import DataTable, Footer, Header, Static

from aksfw_tui.audit import nothing_to_audit
from aksfw_tui.checks.base import Status
from aksfw_tui.report.views import LABEL, SYMBOL, score, subject_summaries, worst_finding
from aksfw_tui.screens.base import AuditScreen
from aksfw_tui.widgets.status import status_content, status_text


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


class DashboardScreen(AuditScreen):
    """One row per cluster and firewall; Enter shows that resource's findings."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("w", "worst", "Worst finding", id="worst"),
        Binding("f", "app.show('findings')", "Findings"),
        Binding("t", "app.show('topology')", "Topology"),
        Binding("e", "app.show('egress')", "Egress"),
    ]

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(id="summary")
        yield Static(id="nothing")
        yield Static(id="unreadable")
        yield DataTable(id="subjects", cursor_type="row", zebra_stripes=True)
        yield Static(id="worst")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        findings = self.audit.findings
        topology = self.audit.topology
        value = score(findings)
        counts = {status: sum(1 for f in findings if f.status is status) for status in Status}
        summary = Content.assemble(
            ("Score ", "bold"), (f"{value}/100" if value is not None else "–", "bold"),
            f" │ {_count(len(topology.clusters), 'cluster')} · "
            f"{_count(len(topology.firewalls), 'firewall')} · {_count(len(findings), 'finding')} │ ",
            *[part for status in Status for part in (
                status_content(status, f"{SYMBOL[status]} {counts[status]} {LABEL[status]}"), " ")],
        )
        self.query_one("#summary", Static).update(summary)
        nothing = nothing_to_audit(topology)
        self._show_nothing(nothing)
        self._show_unreadable()
        table = self.query_one("#subjects", DataTable)
        table.add_column("kind", key="kind")
        table.add_column("resource", key="resource")
        for status in (Status.FAIL, Status.UNKNOWN, Status.PASS, Status.NOT_APPLICABLE):
            table.add_column(f"{SYMBOL[status]} {LABEL[status]}", key=status.value)
        table.add_column("worst", key="worst")
        table.add_column("resource group", key="group")
        for row in subject_summaries(findings):
            table.add_row(
                Text(row.kind), Text(row.label),
                *[status_text(self.app, s, str(row.counts.get(s, 0))) if row.counts.get(s)
                  else Text("0") for s in (Status.FAIL, Status.UNKNOWN, Status.PASS,
                                          Status.NOT_APPLICABLE)],
                Text(row.worst.value if row.worst else "–"),
                Text(row.subject.resource_group),
                key=row.subject.key,
            )
        worst = worst_finding(findings)
        self.query_one("#worst", Static).update(
            Content.assemble(("Worst: ", "bold"), f"{worst.check.id} on {worst.subject.name} "
                             f"({worst.severity.value}) — {worst.result.message}   ",
                             ("press w to open it", "italic"))
            if worst else Content("No finding: nothing was audited." if nothing else "No failing finding.")
        )

    def _show_nothing(self, nothing: str | None) -> None:
        """No cluster and no firewall: not a pass (the CLI exits 4), so say it, in the fail colour."""
        widget = self.query_one("#nothing", Static)
        widget.display = nothing is not None
        if nothing is not None:
            widget.update(status_content(Status.FAIL, f"✘ Nothing audited: {nothing}"))

    def _show_unreadable(self) -> None:
        """What could not be read: the findings that needed it are unknown, never pass."""
        unreadable = self.audit.topology.unreadable
        widget = self.query_one("#unreadable", Static)
        widget.display = bool(unreadable)
        if not unreadable:
            return
        lines = [f"? could not read {len(unreadable)} scope(s); findings that needed them are unknown:"]
        lines += [f"  {entry.scope}: {entry.reason}" for entry in unreadable[:3]]
        if len(unreadable) > 3:
            lines.append(f"  … and {len(unreadable) - 3} more (all in the JSON report's `unreadable`)")
        widget.update(status_content(Status.UNKNOWN, "\n".join(lines)))

    @on(DataTable.RowSelected, "#subjects")
    def _open_subject(self, event: DataTable.RowSelected) -> None:
        name = self.query_one("#subjects", DataTable).get_cell(event.row_key, "resource")
        self.app.show_findings(text=str(name))

    def action_worst(self) -> None:
        worst = worst_finding(self.audit.findings)
        if worst is None:
            nothing = nothing_to_audit(self.audit.topology)
            self.notify(f"Nothing audited: {nothing}" if nothing else "Nothing fails: no worst finding.",
                        markup=False)
        else:
            self.app.open_finding(worst)
