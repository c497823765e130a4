"""Command palette (ctrl+p): every screen, every check's findings, the status filters."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, cast

from textual.command import DiscoveryHit, Hit, Hits, Provider

from aksfw_tui.checks import CATALOGUE

if TYPE_CHECKING:
    from aksfw_tui.app import AuditApp


class AuditCommands(Provider):
    """Screens, checks and filters as palette commands."""

    def _commands(self) -> list[tuple[str, Callable[[], object], str]]:
        app = cast("AuditApp", self.app)
        commands: list[tuple[str, Callable[[], object], str]] = [
            ("Dashboard", partial(app.action_show, "dashboard"), "clusters and firewalls at a glance"),
            ("Findings", partial(app.action_show, "findings"), "every finding, filterable"),
            ("Findings: failures only", partial(app.show_findings, status="fail"), "status = fail"),
            ("Findings: unknown only", partial(app.show_findings, status="unknown"),
             "what could not be decided, and why"),
            ("Topology", partial(app.action_show, "topology"), "VNets, subnets, paths; export"),
            ("Egress explorer", partial(app.action_show, "egress"), "would this flow be allowed?"),
            ("Help", app.action_help, "keys and statuses"),
        ]
        for check in CATALOGUE:
            commands.append((f"Check: {check.id}", partial(app.show_findings, check=check.id),
                             check.title))
        return commands

    async def discover(self) -> Hits:
        for name, action, help_text in self._commands():
            yield DiscoveryHit(name, action, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name, action, help_text in self._commands():
            score = matcher.match(name)
            if score > 0:
                yield Hit(score, matcher.highlight(name), action, help=help_text)
