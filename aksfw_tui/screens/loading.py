"""The first screen: the audit's stages as they run (for live discovery, each subscription and
resource type as it is read, and what could not be), or the reason it could not run."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Footer, Header, Log, Static


class LoadingScreen(Screen[None]):
    """Shows each stage of the audit worker; static text, so snapshots are deterministic."""

    def __init__(self) -> None:
        super().__init__()
        self._stages: list[str] = []
        self._listed = self._resources = self._unreadable = 0

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="loading"):
            yield Static("Auditing…", id="loading-title")
            yield Static("", id="loading-stages")
            yield Static("", id="discovery-counts")
            yield Log(id="discovery", max_lines=500)
        yield Footer(compact=True)

    def stage(self, name: str) -> None:
        """A new stage started: the earlier ones are done."""
        self._stages.append(name)
        lines = [f"✔ {s}" for s in self._stages[:-1]] + [f"… {self._stages[-1]}"]
        self.query_one("#loading-stages", Static).update(Content("\n".join(lines)))  # names a path

    def detail(self, event: object) -> None:
        """One step of discovery: counted, and logged (what could not be read marked ✘)."""
        kind = getattr(event, "kind", "")
        if kind == "listed":
            self._listed += 1
            self._resources += getattr(event, "count", 0) or 0
        elif kind == "unreadable":
            self._unreadable += 1
        log = self.query_one("#discovery", Log)
        log.display = True
        log.write_line(("✘ " if kind == "unreadable" else "  ") + str(event))
        self.query_one("#discovery-counts", Static).update(
            f"{self._listed} lists read · {self._resources} items · {self._unreadable} unreadable")

    def failed(self, message: str) -> None:
        """The audit could not run: say why, keep the app open (q quits)."""
        self.query_one("#loading-title", Static).update("Could not audit this source")
        stages = self.query_one("#loading-stages", Static)
        stages.update(Content(f"✘ {message}\n\nPress q to quit."))  # the message quotes the input
        stages.add_class("error")
