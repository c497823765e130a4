"""Benchmark: start to first paint of the app on the demo, and start to the dashboard.

Each run is a fresh interpreter started from here, so the time includes Python's own start-up and
every import, as a user's `aksfw-tui --demo` would. The app runs under Textual's headless driver
(`run_test`), which renders exactly as a terminal would. Target: first paint under 1 s.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time

CHILD = r"""
import asyncio, sys, time
from aksfw_tui.app import AuditApp
from aksfw_tui.audit import Source
from aksfw_tui.sources.demo import load_demo

marks = {}

class Timed(AuditApp):
    def on_mount(self) -> None:
        super().on_mount()
        self.call_after_refresh(lambda: marks.setdefault("paint", time.perf_counter()))

async def main() -> None:
    from aksfw_tui.screens.dashboard import DashboardScreen

    app = Timed(Source("demo", "demo", load_demo))
    async with app.run_test(size=(120, 40)) as pilot:
        while not isinstance(app.screen, DashboardScreen):
            await pilot.pause(0.005)
        await pilot.pause()
        marks["dashboard"] = time.perf_counter()
    print(marks["paint"], marks["dashboard"])

asyncio.run(main())
"""
RUNS = 5


def one_run() -> tuple[float, float]:
    start = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", CHILD], capture_output=True, text=True, check=True)
    paint, dashboard = (float(v) for v in out.stdout.split())
    # perf_counter is system-wide monotonic on Linux, so child and parent clocks agree.
    return paint - start, dashboard - start


def main() -> None:
    runs = [one_run() for _ in range(RUNS)]
    paint = statistics.median(r[0] for r in runs)
    dashboard = statistics.median(r[1] for r in runs)
    print(f"start → first paint:     {paint * 1000:7.1f} ms (median of {RUNS}; target < 1000 ms)")
    print(f"start → dashboard ready: {dashboard * 1000:7.1f} ms (median of {RUNS})")


if __name__ == "__main__":
    main()
