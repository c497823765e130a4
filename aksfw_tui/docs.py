"""The catalogue as one Markdown page (docs/checks.md), generated from the check declarations.

`python -m aksfw_tui.docs > docs/checks.md` rewrites it; a test fails when the file is stale.
"""

from __future__ import annotations

from collections.abc import Sequence

from aksfw_tui.checks import CATALOGUE
from aksfw_tui.checks.base import Check

HEADER = """# The check catalogue

Generated from the check declarations by `make docs`; do not edit by hand.

Statuses: `pass`, `fail`, `unknown` (evidence missing or undecidable: always with the reason) and
`not_applicable` (the check does not concern the subject: always with the reason). A check passes only
on evidence it has read; missing data is `unknown`, never `pass`. Each failing finding carries a
remediation with the resource's own names filled into `az` CLI, Bicep and Terraform.
"""


def render(catalogue: Sequence[Check] = CATALOGUE) -> str:
    lines = [HEADER, "| id | subject | severity | title (the passing state) |", "|---|---|---|---|"]
    for check in catalogue:
        subjects = ", ".join(s.value for s in check.subjects)
        lines.append(f"| [`{check.id}`](#{check.id}) | {subjects} | {check.severity.value} "
                     f"| {check.title} |")
    for check in catalogue:
        lines += [
            "",
            f"## {check.id}",
            "",
            f"**{check.title}**",
            "",
            f"- Subject: {', '.join(s.value for s in check.subjects)}",
            f"- Default severity: {check.severity.value}",
            "",
            f"**Passes when** {check.passes_when}",
            "",
            f"**Why it matters.** {check.rationale}",
            "",
            "**References**",
            "",
            *[f"- <{url}>" for url in check.references],
        ]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(render(), end="")
