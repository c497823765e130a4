"""docs/checks.md is generated from the check declarations and must not go stale."""

from __future__ import annotations

from pathlib import Path

from aksfw_tui.checks import CATALOGUE
from aksfw_tui.docs import render

DOC = Path(__file__).resolve().parent.parent / "docs" / "checks.md"


def test_docs_checks_md_is_current() -> None:
    assert DOC.exists(), "docs/checks.md is missing: run `make docs`"
    assert DOC.read_text(encoding="utf-8") == render(), "docs/checks.md is stale: run `make docs`"


def test_every_check_has_a_section_with_its_references() -> None:
    page = render()
    for check in CATALOGUE:
        assert f"\n## {check.id}\n" in page
        for url in check.references:
            assert f"- <{url}>" in page
