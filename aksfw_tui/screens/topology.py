"""Topology screen (being built)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Footer, Header, Static

from aksfw_tui.screens.base import AuditScreen


class TopologyScreen(AuditScreen):
    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("coming")
        yield Footer(compact=True)
