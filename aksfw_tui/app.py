"""The interactive audit: a Textual app over the headless engine.

The audit runs in a thread worker while the loading screen shows its stages; then the app switches
to the dashboard. Each top-level screen is a mode (dashboard, findings, topology, egress), so
switching keeps each screen's state; detail screens are pushed on top of their mode.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any, ClassVar

from textual import on, work
from textual.app import App
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.screen import Screen
from textual.worker import Worker, WorkerState

from aksfw_tui.audit import AuditRun, Source
from aksfw_tui.checks.base import Finding
from aksfw_tui.commands import AuditCommands
from aksfw_tui.errors import InputError
from aksfw_tui.settings import Settings
from aksfw_tui.themes import THEMES

MAIN_MODES = ("dashboard", "findings", "topology", "egress")


def _screen(mode: str) -> Screen[Any]:
    """A mode's screen, imported when first shown (keeps start-up light)."""
    module = importlib.import_module(f"aksfw_tui.screens.{mode}")
    screen: Screen[Any] = getattr(module, f"{mode.title()}Screen")()
    return screen


class FiltersPending(Message):
    """The app has filters waiting for the findings screen (`AuditApp.pending_filters`)."""


class AuditApp(App[None]):
    """aksfw-tui's interactive face."""

    TITLE = "aksfw-tui"
    CSS_PATH = Path(__file__).parent / "app.tcss"  # absolute: subclasses may live elsewhere
    MODES: ClassVar[dict[str, str | Callable[[], Screen[Any]]]] = {
        mode: partial(_screen, mode) for mode in MAIN_MODES
    }
    COMMANDS = App.COMMANDS | {AuditCommands}
    BINDINGS: ClassVar[list[BindingType]] = [
        # Shown in the dashboard's footer and the help; hidden elsewhere so 80 columns suffice.
        Binding("d", "show('dashboard')", "Dashboard", show=False, id="dashboard"),
        Binding("f", "show('findings')", "Findings", show=False, id="findings"),
        Binding("t", "show('topology')", "Topology", show=False, id="topology"),
        Binding("e", "show('egress')", "Egress", show=False, id="egress"),
        Binding("question_mark", "help", "Help", key_display="?", id="help"),
        Binding("q", "quit", "Quit", id="quit"),
    ]

    def __init__(self, source: Source, settings: Settings | None = None) -> None:
        super().__init__()
        for theme in THEMES:
            self.register_theme(theme)
        self.source = source
        self.settings = settings or Settings()
        self.run_result: AuditRun | None = None
        self.pending_filters: dict[str, str] | None = None
        self.sub_title = source.label

    def get_default_screen(self):  # type: ignore[no-untyped-def]
        from aksfw_tui.screens.loading import LoadingScreen

        return LoadingScreen()

    def on_mount(self) -> None:
        self.load_audit()

    # -- the audit worker --------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="audit", exit_on_error=False, description="audit")
    def load_audit(self) -> AuditRun | InputError:
        """The audit, or the input error that stopped it (an expected outcome, not a crash)."""
        try:
            return AuditRun.run(self.source, self.settings, progress=self._report_stage,
                                detail=self._report_detail)
        except InputError as error:
            return error

    def _report_stage(self, stage: str) -> None:
        from aksfw_tui.screens.loading import LoadingScreen

        def show() -> None:
            if isinstance(self.screen, LoadingScreen):
                self.screen.stage(stage)

        self.call_from_thread(show)

    def _report_detail(self, event: object) -> None:
        """A step of reading (live discovery: a list returned, a scope was unreadable)."""
        from aksfw_tui.screens.loading import LoadingScreen

        def show() -> None:
            if isinstance(self.screen, LoadingScreen):
                self.screen.detail(event)

        self.call_from_thread(show)

    @on(Worker.StateChanged)
    def _worker_changed(self, event: Worker.StateChanged) -> None:
        """The one place worker outcomes (and errors) reach the UI."""
        worker = event.worker
        if worker.group != "audit":
            return
        if event.state is WorkerState.SUCCESS and isinstance(worker.result, AuditRun):
            self.run_result = worker.result
            self.switch_mode("dashboard")
        elif event.state is WorkerState.SUCCESS and isinstance(worker.result, InputError):
            self._loading_failed(str(worker.result))
        elif event.state is WorkerState.ERROR:
            error = worker.error
            self._loading_failed(f"internal error: {type(error).__name__}: {error}")

    def _loading_failed(self, message: str) -> None:
        from aksfw_tui.screens.loading import LoadingScreen

        if isinstance(self.screen, LoadingScreen):
            self.screen.failed(message)

    # -- navigation --------------------------------------------------------------------------

    @property
    def findings(self) -> tuple[Finding, ...]:
        return self.run_result.findings if self.run_result else ()

    def action_show(self, mode: str) -> None:
        if self.run_result is None:
            self.notify("Still reading the source…", timeout=2)
            return
        if self.current_mode != mode:
            self.switch_mode(mode)

    def show_findings(self, **filters: str) -> None:
        """Open the findings screen with filters (status, severity, check, text) applied; the
        screen takes them when it resumes."""
        self.pending_filters = filters
        if self.current_mode == "findings":
            self.screen.post_message(FiltersPending())
        else:
            self.action_show("findings")

    def open_finding(self, finding: Finding) -> None:
        from aksfw_tui.screens.finding_detail import FindingDetailScreen

        self.push_screen(FindingDetailScreen(finding))

    def open_remediation(self, finding: Finding) -> None:
        from aksfw_tui.screens.remediation import RemediationScreen

        self.push_screen(RemediationScreen(finding))

    def action_help(self) -> None:
        from aksfw_tui.screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())


def run_app(source: Source, settings: Settings | None = None, mouse: bool = True) -> None:
    AuditApp(source, settings).run(mouse=mouse)
