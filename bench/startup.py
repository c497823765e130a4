"""Startup benchmark: how long importing the engine and auditing the bundled demo take.

Run with `make bench` (or `python bench/startup.py`). Reports the median of several runs, each in a
fresh interpreter so import caches do not flatter the numbers.
"""

from __future__ import annotations

import statistics
import subprocess
import sys

IMPORT_ENGINE = "import aksfw_tui.audit, aksfw_tui.checks, aksfw_tui.report.json_report"
AUDIT_DEMO = (
    "import time; t = time.perf_counter();"
    "from aksfw_tui.audit import audit; from aksfw_tui.checks import CATALOGUE;"
    "from aksfw_tui.sources.demo import load_demo;"
    "audit(load_demo(), CATALOGUE); print(time.perf_counter() - t)"
)
RUNS = 7


def _median_seconds(code: str) -> float:
    samples = []
    for _ in range(RUNS):
        if code == IMPORT_ENGINE:
            timer = f"import time; t = time.perf_counter(); {code}; print(time.perf_counter() - t)"
        else:
            timer = code
        out = subprocess.run([sys.executable, "-c", timer], check=True, capture_output=True, text=True)
        samples.append(float(out.stdout.strip().splitlines()[-1]))
    return statistics.median(samples)


def main() -> None:
    print(f"engine import:        {_median_seconds(IMPORT_ENGINE) * 1000:7.1f} ms (median of {RUNS})")
    print(f"import + demo audit:  {_median_seconds(AUDIT_DEMO) * 1000:7.1f} ms (median of {RUNS})")


if __name__ == "__main__":
    main()
