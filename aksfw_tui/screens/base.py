"""What every screen of a finished audit shares: typed access to the app and its audit run."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from textual.screen import Screen

from aksfw_tui.audit import AuditRun

if TYPE_CHECKING:
    from aksfw_tui.app import AuditApp


class AuditScreen(Screen[None]):
    """A screen that renders the completed audit (it exists only once the audit has run)."""

    @property
    def app(self) -> AuditApp:  # type: ignore[override]
        return cast("AuditApp", super().app)

    @property
    def audit(self) -> AuditRun:
        run = self.app.run_result
        assert run is not None, "audit screens are opened only after the audit ran"
        return run
