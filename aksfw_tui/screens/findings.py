"""Findings: every (check, resource) result, filterable by status, severity, check and text."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.content import Content
from textual.timer import Timer
from textual.widgets import DataTable, Footer, Header, Input, Select, Static

from aksfw_tui.app import FiltersPending
from aksfw_tui.checks.base import Finding, Severity, Status
from aksfw_tui.report.views import LABEL, importance, matches
from aksfw_tui.screens.base import AuditScreen
from aksfw_tui.widgets.status import status_text

SORTS = {
    "importance": importance,
    "check": lambda f: (f.check.id, f.subject.name.lower()),
    "resource": lambda f: (f.subject.name.lower(), importance(f)),
}


class FindingsScreen(AuditScreen):
    """A DataTable of findings; Enter opens one."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("slash", "search", "Search", key_display="/", id="search"),
        Binding("s", "sort", "Sort", id="sort"),
        Binding("x", "clear", "Clear filters", id="clear-filters"),
        Binding("escape", "leave_search", "Table", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self._shown: list[Finding] = []
        self._sort = "importance"
        self._debounce: Timer | None = None

    def compose(self) -> ComposeResult:
        checks = sorted({f.check.id for f in self.audit.findings})
        yield Header()
        with Horizontal(id="filters"):
            yield Select([(f"{LABEL[s]}", s.value) for s in Status], prompt="any status",
                         id="status", compact=True)
            yield Select([(f"≥ {s.value}", s.value) for s in Severity], prompt="any severity",
                         id="severity", compact=True)
            yield Select([(c, c) for c in checks], prompt="any check", id="check", compact=True)
            yield Input(placeholder="/ resource, check or text (! inverts)", id="text", compact=True)
        yield Static(id="count")
        yield DataTable(id="findings", cursor_type="row", zebra_stripes=True)
        yield Footer(compact=True)

    def on_mount(self) -> None:
        table = self.query_one("#findings", DataTable)
        for label, key in (("status", "status"), ("sev", "severity"), ("check", "check"),
                           ("resource", "resource"), ("finding", "message")):
            table.add_column(label, key=key)
        self.refresh_rows()
        table.focus()

    def on_screen_resume(self) -> None:
        self._take_pending()

    @on(FiltersPending)
    def _take_pending(self) -> None:
        pending = self.app.pending_filters
        if pending is not None:
            self.app.pending_filters = None
            self.set_filters(**pending)

    # -- filters -----------------------------------------------------------------------------

    def filters(self) -> dict[str, str]:
        def value(selector: str) -> str:
            chosen = self.query_one(selector, Select).value
            return chosen if isinstance(chosen, str) else ""

        return {"status": value("#status"), "severity": value("#severity"),
                "check": value("#check"), "text": self.query_one("#text", Input).value}

    def set_filters(self, status: str = "", severity: str = "", check: str = "",
                    text: str = "") -> None:
        """Apply filters from elsewhere (the dashboard, the palette)."""
        with self.prevent(Select.Changed, Input.Changed):
            for selector, value in (("#status", status), ("#severity", severity), ("#check", check)):
                widget: Select[str] = self.query_one(selector, Select)
                widget.value = value if value else Select.NULL
            self.query_one("#text", Input).value = text
        self.refresh_rows()

    @on(Select.Changed)
    def _select_changed(self) -> None:
        self.refresh_rows()

    @on(Input.Changed, "#text")
    def _text_changed(self) -> None:
        if self._debounce is not None:
            self._debounce.stop()
        self._debounce = self.set_timer(0.15, self.refresh_rows)

    @on(Input.Submitted, "#text")
    def _text_submitted(self) -> None:
        self.refresh_rows()
        self.query_one("#findings", DataTable).focus()

    def refresh_rows(self) -> None:
        criteria = self.filters()
        everything = self.audit.findings
        self._shown = sorted((f for f in everything if matches(f, **criteria)), key=SORTS[self._sort])
        table = self.query_one("#findings", DataTable)
        table.clear()
        for index, finding in enumerate(self._shown):
            table.add_row(
                status_text(self.app, finding.status),
                Text(finding.severity.value if finding.status is Status.FAIL else ""),
                Text(finding.check.id), Text(finding.subject.name), Text(finding.result.message),
                key=str(index),
            )
        active = ", ".join(f"{k}={v}" for k, v in criteria.items() if v)
        self.query_one("#count", Static).update(Content(  # the filter may be a resource's name
            f"{len(self._shown)} of {len(everything)} shown · sorted by {self._sort}"
            + (f" · filter: {active}" if active else "")))

    # -- actions -----------------------------------------------------------------------------

    @on(DataTable.RowSelected, "#findings")
    def _open(self, event: DataTable.RowSelected) -> None:
        self.app.open_finding(self._shown[int(str(event.row_key.value))])

    def action_search(self) -> None:
        self.query_one("#text", Input).focus()

    def action_leave_search(self) -> None:
        self.query_one("#findings", DataTable).focus()

    def action_sort(self) -> None:
        order = list(SORTS)
        self._sort = order[(order.index(self._sort) + 1) % len(order)]
        self.refresh_rows()

    def action_clear(self) -> None:
        self.set_filters()
