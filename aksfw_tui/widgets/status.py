"""Status as text for tables and summaries: symbol and word always, the theme's colour on top."""

from __future__ import annotations

from typing import Any

from rich.style import Style
from rich.text import Text
from textual.app import App
from textual.color import Color
from textual.content import Content

from aksfw_tui.checks.base import Status
from aksfw_tui.report.views import badge

THEME_VARIABLE = {Status.PASS: "success", Status.FAIL: "error", Status.UNKNOWN: "warning",
                  Status.NOT_APPLICABLE: "foreground-muted"}


def status_text(app: App[Any], status: Status, text: str | None = None) -> Text:
    """Rich Text (for DataTable cells) coloured from the current theme."""
    value = app.theme_variables.get(THEME_VARIABLE[status])
    colour = Color.parse(value).rich_color if value else None  # Rich knows no alpha
    style = Style(color=colour, bold=status is Status.FAIL, dim=status is Status.NOT_APPLICABLE)
    return Text(text if text is not None else badge(status), style=style)


def status_content(status: Status, text: str | None = None) -> Content:
    """Content (for Static) coloured by theme variable, so it follows theme changes by itself."""
    bold = " bold" if status is Status.FAIL else ""
    return Content.styled(text if text is not None else badge(status),
                          f"${THEME_VARIABLE[status]}{bold}")
