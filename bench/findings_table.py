"""Benchmark: the findings screen with thousands of findings (the demo copied into many
subscriptions): audit time, first fill of the table, and a filter keystroke's refresh."""

from __future__ import annotations

import asyncio
import copy
import json
import statistics
import time

from aksfw_tui.app import AuditApp
from aksfw_tui.audit import Source
from aksfw_tui.sources.demo import load_demo
from aksfw_tui.sources.snapshot import ArmSnapshot

COPIES = 200  # × 26 demo findings ≈ 5,200 rows


def many_subscriptions(copies: int) -> ArmSnapshot:
    """The demo, with every subscription id rewritten per copy (so ids stay unique)."""
    demo = load_demo()
    text = json.dumps({"resources": demo.resources, "metrics": demo.metrics})
    subscriptions = sorted({r["id"].split("/")[2] for r in demo.resources})
    out = ArmSnapshot(source={"kind": "export", "name": f"demo × {copies}"})
    for n in range(copies):
        copied = text
        for index, sub in enumerate(subscriptions):
            copied = copied.replace(sub, f"{n:08x}-0000-4000-8000-{index:012x}")
        document = json.loads(copied)
        out.resources += document["resources"]
        out.metrics += document["metrics"]
    return out


async def main() -> None:
    from aksfw_tui.screens.findings import FindingsScreen

    snapshot = many_subscriptions(COPIES)
    app = AuditApp(Source("export", "bench", lambda: copy.deepcopy(snapshot)))
    started = time.perf_counter()
    async with app.run_test(size=(160, 50)) as pilot:
        await app.workers.wait_for_complete()
        audited = time.perf_counter()
        await pilot.press("f")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, FindingsScreen)
        shown = time.perf_counter()
        refreshes = []
        for text in ("aks-prod", "fail", "dns", ""):
            screen.query_one("#text").value = text  # type: ignore[attr-defined]
            t = time.perf_counter()
            screen.refresh_rows()
            refreshes.append(time.perf_counter() - t)
        rows = len(app.findings)
    print(f"findings: {rows} ({COPIES} copies of the demo)")
    print(f"audit (read + model + checks): {(audited - started) * 1000:7.0f} ms")
    print(f"findings screen first fill:    {(shown - audited) * 1000:7.0f} ms")
    print(f"filter refresh (median of 4):  {statistics.median(refreshes) * 1000:7.0f} ms")


if __name__ == "__main__":
    asyncio.run(main())
