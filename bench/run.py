"""Run every benchmark in bench/ and print its report."""

from __future__ import annotations

import runpy
from pathlib import Path

for script in sorted(Path(__file__).parent.glob("*.py")):
    if script.name != "run.py" and not script.name.startswith("_"):
        print(f"== {script.stem}")
        runpy.run_path(str(script), run_name="__main__")
