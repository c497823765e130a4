"""The guided remediation of one failed finding: explain → plan → change → checklist → re-check.

Applying the change to Azure is not offered yet: the product is read-only. The change step gives
the exact az CLI, Bicep and Terraform, to copy (OSC 52) or save to a file.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import ClassVar

from rich.syntax import Syntax
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.content import Content
from textual.reactive import reactive
from textual.widgets import (
    ContentSwitcher,
    Footer,
    Header,
    Markdown,
    SelectionList,
    Static,
    TabbedContent,
    TabPane,
)
from textual.worker import Worker, WorkerState

from aksfw_tui.audit import AuditRun
from aksfw_tui.checks.base import Finding, Remediation
from aksfw_tui.model import ids
from aksfw_tui.report.plan_diff import plan_diff
from aksfw_tui.report.views import badge, md_text
from aksfw_tui.screens.base import AuditScreen

STEPS = ("Explain", "Plan", "Change", "Checklist", "Re-check")
# What each change tab holds: (tab id, title, file suffix, Pygments lexer; none exists for Bicep).
FORMATS = (("az", "az CLI", "sh", "bash"), ("bicep", "Bicep", "bicep", "text"),
           ("terraform", "Terraform", "tf", "terraform"))


# What a saved file's name may not hold: path separators, control characters (NUL among them),
# and what Windows forbids; the name comes from the input's resource name.
_UNSAFE_IN_FILE_NAME = re.compile(r'[\x00-\x1f\x7f-\x9f/\\:*?"<>|]')


def safe_file_name(text: str, limit: int = 100) -> str:
    """`text` as part of a file name: unsafe characters become `_`, at most `limit` characters."""
    return _UNSAFE_IN_FILE_NAME.sub("_", text)[:limit] or "_"


def change_text(remediation: Remediation, tab: str) -> str:
    if tab == "az":
        return "\n".join(remediation.az_cli)
    return remediation.bicep if tab == "bicep" else remediation.terraform


class RemediationScreen(AuditScreen):
    """A wizard over one finding's remediation; n/p move between steps (←/→ switch the change's
    tabs, space ticks a checklist item)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("n", "step(1)", "Next", id="next"),
        Binding("p", "step(-1)", "Back", id="back"),
        Binding("c", "copy", "Copy", id="copy"),
        Binding("w", "save", "Save", id="save"),
        Binding("escape", "app.pop_screen", "Close", id="close"),
    ]

    step: reactive[int] = reactive(0)
    """Index into STEPS of the step on show."""

    def __init__(self, finding: Finding) -> None:
        super().__init__()
        assert finding.result.remediation is not None
        self.finding = finding
        self.remediation: Remediation = finding.result.remediation

    def compose(self) -> ComposeResult:
        finding, fix = self.finding, self.remediation
        yield Header()
        yield Static(id="steps")
        with ContentSwitcher(initial="step-0", id="wizard"):
            with VerticalScroll(id="step-0"):
                yield Markdown(self._explain(), open_links=False)
            with VerticalScroll(id="step-1"):
                yield Static(Content.assemble(("Plan: ", "bold"), fix.summary), id="plan-summary")
                diff = plan_diff(fix, self.audit.topology.raw)
                yield Static("What changes on existing resources:" if diff else
                             "This fix changes no existing resource; it creates new ones (see the "
                             "Change step).", classes="note")
                if diff:
                    yield Static(Syntax(diff, "diff", word_wrap=True, theme="ansi_dark",
                                        background_color="default"), id="plan-diff")
                yield Markdown("\n".join(f"{n}. {md_text(step)}" for n, step in enumerate(fix.steps, 1)),
                               open_links=False)
            with TabbedContent(id="step-2"):
                for tab, title, _suffix, lexer in FORMATS:
                    with TabPane(title, id=f"tab-{tab}"), VerticalScroll():
                        # Commands apart by a blank line on screen; copies stay one per line.
                        shown = "\n\n".join(fix.az_cli) if tab == "az" else change_text(fix, tab)
                        code = shown or f"(no {title} for this fix)"
                        yield Static(Syntax(code, lexer, word_wrap=True, theme="ansi_dark",
                                            background_color="default"))
            with VerticalScroll(id="step-3"):
                yield Static("Tick each step as you do it (space toggles):")
                yield SelectionList[int](*[(Content(f"{index + 1}. {text}"), index)
                                           for index, text in enumerate(fix.steps)], id="checklist")
                yield Static(fix.steps[0] if fix.steps else "", id="step-detail", markup=False)
                yield Static("Applying changes from aksfw-tui is not available: it is read-only. "
                             "Run the commands from the Change step yourself.", classes="note")
            with VerticalScroll(id="step-4"):
                yield Static(f"Re-check runs {finding.check.id} again on the current source "
                             f"({self.audit.source.label}) for {finding.subject.name}.\n"
                             "Press Enter to re-check.", id="recheck-intro", markup=False)
                yield Static("", id="recheck-result", markup=False)
        yield Footer(compact=True)

    def _explain(self) -> str:
        finding = self.finding
        return "\n".join([  # the input's text escaped; the catalogue's own is Markdown
            f"# {badge(finding.status)} · {finding.severity.value} · {finding.check.id} · "
            f"{md_text(finding.subject.name, inline=True)}", "", md_text(finding.result.message), "",
            "## Why it matters", "", finding.check.rationale, "",
            "## What the fix does", "", md_text(self.remediation.summary),
        ])

    # -- stepping ----------------------------------------------------------------------------

    def watch_step(self, step: int) -> None:
        bar = "  ›  ".join(f"[b reverse] {i + 1} {name} [/]" if i == step else f"{i + 1} {name}"
                           for i, name in enumerate(STEPS))
        self.query_one("#steps", Static).update(bar)
        self.query_one("#wizard", ContentSwitcher).current = f"step-{step}"
        # Focus what the step is used with: the format tabs, the checklist, the text.
        focus = {2: "#step-2 Tabs", 3: "#checklist"}.get(step, f"#step-{step}")
        self.query_one(focus).focus()

    def action_step(self, delta: int) -> None:
        self.step = max(0, min(len(STEPS) - 1, self.step + delta))

    def key_enter(self) -> None:
        if self.step == len(STEPS) - 1:
            self.recheck()

    @on(SelectionList.SelectionHighlighted, "#checklist")
    def _step_highlighted(self, event: SelectionList.SelectionHighlighted[int]) -> None:
        """The list shows one line per step; the highlighted step in full below it."""
        self.query_one("#step-detail", Static).update(Content(self.remediation.steps[event.selection.value]))

    # -- the change: copy or save ------------------------------------------------------------

    def _active_format(self) -> tuple[str, str, str]:
        active = self.query_one("#step-2", TabbedContent).active.removeprefix("tab-") or "az"
        for tab, title, suffix, _lexer in FORMATS:
            if tab == active:
                return tab, title, suffix
        return FORMATS[0][:3]

    def action_copy(self) -> None:
        tab, title, _suffix = self._active_format()
        text = change_text(self.remediation, tab)
        if not text:
            self.notify(f"This fix has no {title}.", severity="warning")
            return
        self.app.copy_to_clipboard(text)
        self.notify(f"Copied the {title} to the clipboard (OSC 52). If your terminal ignores "
                    "OSC 52, press w to save it to a file.", title="Copied")

    def action_save(self) -> None:
        tab, title, suffix = self._active_format()
        text = change_text(self.remediation, tab)
        subject = safe_file_name(ids.name_of(self.finding.subject.id))
        name = f"aksfw-fix-{self.finding.check.id}-{subject}.{suffix}"
        try:
            Path(name).write_text(text + "\n", encoding="utf-8")
            where = Path(name).resolve()
        except (OSError, ValueError) as error:
            reason = getattr(error, "strerror", None) or str(error)
            self.notify(f"Could not save {name}: {reason}", severity="error", markup=False)
            return
        self.notify(f"Saved the {title} to {where}", title="Saved", markup=False)

    # -- re-check ----------------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="recheck", exit_on_error=False, description="re-check")
    def recheck(self) -> Finding | None:
        self.app.call_from_thread(self.query_one("#recheck-result", Static).update, "Re-checking…")
        run = AuditRun.run(self.audit.source, self.app.settings, catalogue=[self.finding.check])
        return next((f for f in run.findings if f.subject.key == self.finding.subject.key), None)

    @on(Worker.StateChanged)
    def _recheck_done(self, event: Worker.StateChanged) -> None:
        if event.worker.group != "recheck":
            return
        out = self.query_one("#recheck-result", Static)
        if event.state is WorkerState.SUCCESS:
            fresh = event.worker.result
            if fresh is None:
                out.update(f"{self.finding.subject.name} is no longer in the source.")
            else:
                out.update(f"{badge(fresh.status)}: {fresh.result.message}")
        elif event.state is WorkerState.ERROR:
            out.update(f"✘ Could not re-check: {event.worker.error}")
