"""The headless core never imports Textual or the Azure SDK: `--headless` must start fast and run
in compliance jobs that have neither a terminal nor Azure."""

from __future__ import annotations

import json
import subprocess
import sys

PROBE = """
import json, sys
from aksfw_tui.cli import main
code = main(["--demo", "--headless", "--json", "--fail-on", "none", "--output", sys.argv[1]])
print(json.dumps({"code": code, "modules": sorted(sys.modules)}))
"""


def test_headless_path_imports_neither_textual_nor_azure(tmp_path: object) -> None:
    out = subprocess.run([sys.executable, "-c", PROBE, f"{tmp_path}/r.json"], capture_output=True,
                         text=True, check=True)
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["code"] == 0
    loaded = result["modules"]
    assert not [m for m in loaded if m == "textual" or m.startswith("textual.")]
    assert not [m for m in loaded if m.startswith("azure")]
    assert "networkx" in loaded  # the graph really is built
