"""Egress explorer: pick a source (a cluster or a subnet), type a destination, see what the
firewall does with it and which rule decides: the evaluator, made interactive."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.widgets import Footer, Header, Input, OptionList, Static
from textual.widgets.option_list import Option

from aksfw_tui.checks.base import Status
from aksfw_tui.firewall.query import QueryError, Result, Source, explain, parse_destination, sources_for
from aksfw_tui.screens.base import AuditScreen
from aksfw_tui.widgets.status import status_text

RESULT_STATUS = {Result.ALLOW: Status.PASS, Result.DENY: Status.FAIL,
                 Result.CANNOT_TELL: Status.UNKNOWN, Result.NO_FIREWALL: Status.UNKNOWN}
EXAMPLES = ("mcr.microsoft.com:443", "udp/1194 AzureCloud.westeurope", "203.0.113.7:22", "api-server:443")


class EgressScreen(AuditScreen):
    """Sources on the left; the destination and the answer on the right."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("slash", "focus_destination", "Destination", key_display="/", id="destination"),
        Binding("s", "focus_sources", "Sources", id="sources"),
        Binding("escape", "focus_sources", "Sources", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self._sources: list[Source] = []

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="egress"):
            yield OptionList(id="sources")
            with Vertical(id="query"):
                yield Input(placeholder="destination, e.g. mcr.microsoft.com:443", id="destination")
                with VerticalScroll(id="answer"):
                    yield Static(id="answer-body")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self._sources = sources_for(self.audit.topology)
        sources = self.query_one("#sources", OptionList)
        # Content, not a str: a str prompt is markup, and labels hold the input's names.
        sources.add_options(Option(Content(s.label), id=str(i)) for i, s in enumerate(self._sources))
        sources.border_title = "from"
        if self._sources:  # start from the first source that egresses through a firewall
            routed = [i for i, s in enumerate(self._sources) if s.firewalls]
            sources.highlighted = routed[0] if routed else 0
        self.query_one("#destination", Input).focus()
        self._show_hint()

    @property
    def source(self) -> Source | None:
        index = self.query_one("#sources", OptionList).highlighted
        return self._sources[index] if index is not None and self._sources else None

    def _show_hint(self) -> None:
        self.query_one("#answer-body", Static).update(Text(
            "Type a destination and press Enter. Examples:\n  " + "\n  ".join(EXAMPLES)
            + "\n\nProtocol defaults to TCP; a port is needed for TCP and UDP.", style="dim"))

    @on(Input.Submitted, "#destination")
    @on(OptionList.OptionHighlighted, "#sources")
    def _ask(self) -> None:
        text = self.query_one("#destination", Input).value.strip()
        source = self.source
        if not text or source is None:
            self._show_hint()
            return
        body = self.query_one("#answer-body", Static)
        try:
            flow = parse_destination(text, source.region, cluster=source.cluster)
        except QueryError as error:
            body.update(status_text(self.app, Status.UNKNOWN, f"? {error}"))
            return
        answer = explain(self.audit.topology, source, flow)
        headline, *rest = answer.lines
        out = Text()
        out.append_text(status_text(self.app, RESULT_STATUS[answer.result], headline))
        out.stylize("bold")
        out.append("\n\n" + "\n".join(rest))
        body.update(out)

    def action_focus_destination(self) -> None:
        self.query_one("#destination", Input).focus()

    def action_focus_sources(self) -> None:
        self.query_one("#sources", OptionList).focus()
