"""`?`: the keys of every screen and what the statuses mean."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Markdown

HELP = """\
# aksfw-tui — keys

| key | where | what |
|---|---|---|
| d f t e | anywhere | Dashboard · Findings · Topology · Egress explorer |
| ctrl+p | anywhere | command palette: every screen, every check, themes |
| ? | anywhere | this help |
| q | anywhere | quit |
| enter | tables | open the selected row |
| w | dashboard | open the worst finding |
| / | findings | search resource, check or message (!text inverts) |
| s · x | findings | cycle the sort · clear the filters |
| r | a failed finding | the guided remediation |
| n p | remediation | next · previous step |
| c · w | remediation | copy the change (OSC 52) · save it to a file |
| escape | anywhere | back |

## Statuses
- `✔ pass` — the evidence was read and meets Microsoft's guidance.
- `✘ fail` — the evidence read fails it; the finding has a fix.
- `? unknown` — evidence is missing or undecidable; the message says what.
- `– n/a` — the check does not concern this resource; the message says why.

aksfw-tui is read-only: it never changes Azure.
"""


class HelpScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,question_mark,q", "app.pop_screen", "Close", id="close-help"),
    ]

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help"):
            yield Markdown(HELP)
