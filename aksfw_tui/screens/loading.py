"""The first screen: the audit's stages as they run, or the reason it could not run."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Footer, Header, Static


class LoadingScreen(Screen[None]):
    """Shows each stage of the audit worker; static text, so snapshots are deterministic."""

    def __init__(self) -> None:
        super().__init__()
        self._stages: list[str] = []

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="loading"):
            yield Static("Auditing…", id="loading-title")
            yield Static("", id="loading-stages")
        yield Footer(compact=True)

    def stage(self, name: str) -> None:
        """A new stage started: the earlier ones are done."""
        self._stages.append(name)
        lines = [f"✔ {s}" for s in self._stages[:-1]] + [f"… {self._stages[-1]}"]
        self.query_one("#loading-stages", Static).update("\n".join(lines))

    def failed(self, message: str) -> None:
        """The audit could not run: say why, keep the app open (q quits)."""
        self.query_one("#loading-title", Static).update("Could not audit this source")
        stages = self.query_one("#loading-stages", Static)
        stages.update(f"✘ {message}\n\nPress q to quit.")
        stages.add_class("error")
