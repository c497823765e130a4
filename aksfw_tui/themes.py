"""Themes of our own beside Textual's: one safe for colour-blind users.

The colour-blind theme uses the Okabe–Ito palette: failures are vermilion and passes bluish green,
which stay apart for deuteranopia and protanopia; every status also carries a symbol and a word.
"""

from __future__ import annotations

from textual.theme import Theme

COLOUR_BLIND = Theme(
    name="aksfw-colour-blind",
    primary="#0072B2",  # blue
    secondary="#56B4E9",  # sky blue
    accent="#E69F00",  # orange
    warning="#F0E442",  # yellow
    error="#D55E00",  # vermilion
    success="#009E73",  # bluish green
    foreground="#E8E8E8",
    background="#141414",
    surface="#1E1E1E",
    panel="#2A2A2A",
    dark=True,
)

THEMES = (COLOUR_BLIND,)
