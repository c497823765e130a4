"""Live discovery benchmark: 20 subscriptions behind a fake ARM that answers every request 50 ms late.

Run with `python bench/live_discovery.py` (or `make bench`). Serves ten copies of the bundled demo
(each copy a hub and a spoke subscription with fresh ids, so 20 subscriptions) from tests/fake_arm.py
on a loopback port, then times `discover()` through the real async SDK clients, as
`--arm-endpoint http://127.0.0.1:PORT --auth access-token` would. Reports, for the Resource Graph
inventory (what 20 subscriptions use) and for ARM list calls per subscription:
- wall time and the number of requests served;
- the critical-path lower bound: the longest chain of requests that must wait for each other
  (a list's pages; a firewall's metrics after the page that named it) × latency; target wall ≤ 2×;
- the one-request-at-a-time time: requests × latency; target ≥ 10× the wall time.
Asserts nothing; the numbers go in the README.
"""

from __future__ import annotations

import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository root, for `tests.fake_arm`

from aksfw_tui.model import ids
from aksfw_tui.sources.demo import load_demo
from aksfw_tui.sources.live import LiveOptions, discover
from aksfw_tui.sources.live.arm import KINDS
from aksfw_tui.sources.live.graph import GRAPH_TYPES
from aksfw_tui.sources.snapshot import resource_type
from tests.fake_arm import FakeArm

ROOT = Path(__file__).resolve().parents[1]
LATENCY = 0.050
COPIES = 10  # × (hub + spoke) = 20 subscriptions
RUNS = 5
TOKEN = "bench-token"


def topology(copies: int = COPIES) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """`copies` copies of the demo, each with its own pair of subscription ids."""
    demo = load_demo()
    originals = sorted({(ids.subscription_of(r["id"]) or "").lower() for r in demo.resources})
    text = json.dumps({"resources": demo.resources, "metrics": demo.metrics})
    resources: list[dict[str, Any]] = []
    metrics: list[dict[str, Any]] = []
    for copy in range(copies):
        copied = text
        for original in originals:
            fresh = str(uuid.UUID(int=copy * 1000 + originals.index(original) + 1))
            copied = copied.replace(original, fresh).replace(original.upper(), fresh)
        document = json.loads(copied)
        resources += document["resources"]
        metrics += document["metrics"]
    return resources, metrics


DEPENDED_ON = ("microsoft.network/azurefirewalls", "microsoft.network/privatednszones")


def _pages(count: int, size: int) -> int:
    return max(1, math.ceil(count / size))


def graph_chain(resources: list[dict[str, Any]], top: int) -> int:
    """Resource Graph: the pages of the resources query, then one call for a firewall or zone on
    the last page that holds one (the networkresources query and the probes run beside it)."""
    wanted = {t.lower() for t in GRAPH_TYPES}
    rows = sorted((r for r in resources if resource_type(r).lower() in wanted), key=lambda r: r["id"].lower())
    chain = _pages(len(rows), top)
    for index, row in enumerate(rows):
        if resource_type(row).lower() in DEPENDED_ON:
            chain = max(chain, index // top + 2)
    groups = sum(1 for r in resources if resource_type(r).lower().endswith("/rulecollectiongroups"))
    return max(chain, _pages(groups, top))


def arm_chain(resources: list[dict[str, Any]], page: int) -> int:
    """ARM lists: per subscription and kind, the list's pages; after the page naming a firewall,
    policy or zone, that resource's own calls (their pages)."""
    by_list: dict[tuple[str, str], list[dict[str, Any]]] = {}
    kinds = {k.type.lower() for k in KINDS}
    for r in resources:
        kind = resource_type(r).lower()
        if kind in kinds:
            by_list.setdefault(((ids.subscription_of(r["id"]) or "").lower(), kind), []).append(r)
    chain = 1
    for items in by_list.values():
        chain = max(chain, _pages(len(items), page))
        for index, item in enumerate(items):
            children = [c for c in resources if c["id"].lower().startswith(item["id"].lower() + "/")]
            chain = max(chain, index // page + 1 + _pages(len(children), page))
    return chain


SERVE = """
import json, sys
sys.setswitchinterval(0.0005)  # many handler threads wake together after their latency: hand over fast
sys.path.insert(0, sys.argv[1])
from tests.fake_arm import FakeArm
document = json.loads(open(sys.argv[2], encoding="utf-8").read())
fake = FakeArm(document["resources"], document["metrics"], latency=float(sys.argv[3]), token=sys.argv[4])
with fake:
    print(json.dumps({"base_url": fake.base_url, "subscriptions": fake.subscriptions}), flush=True)
    sys.stdin.readline()
    print(json.dumps({"requests": len(fake.requests), "in_flight": fake.max_in_flight,
                      "page_size": fake.page_size}), flush=True)
"""


class Served:
    """The fake ARM in its own process, as ARM is: its work does not share our interpreter's GIL."""

    def __init__(self, data: Path) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-c", SERVE, str(ROOT), str(data), str(LATENCY), TOKEN],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert self.process.stdout is not None and self.process.stdin is not None
        started = json.loads(self.process.stdout.readline())
        self.base_url: str = started["base_url"]
        self.subscriptions: list[str] = started["subscriptions"]

    def stop(self) -> dict[str, Any]:
        assert self.process.stdout is not None and self.process.stdin is not None
        self.process.stdin.write("stop\n")
        self.process.stdin.flush()
        stats: dict[str, Any] = json.loads(self.process.stdout.readline())
        self.process.wait(timeout=10)
        return stats


def measure(data: Path, resources: list[dict[str, Any]], graph: bool) -> dict[str, Any]:
    walls, counts, stats = [], [], {}
    for _ in range(RUNS):
        fake = Served(data)
        try:
            options = LiveOptions(subscriptions=tuple(fake.subscriptions), auth="access-token",
                                  arm_endpoint=fake.base_url, headless=True,
                                  graph_threshold=3 if graph else 10_000)
            start = time.perf_counter()
            discover(options)
            walls.append(time.perf_counter() - start)
        finally:
            stats = fake.stop()
        counts.append(stats["requests"])
    chain = (graph_chain(resources, LiveOptions().graph_page_size) if graph
             else arm_chain(resources, stats["page_size"]))
    wall = statistics.median(walls)
    requests = max(counts)
    return {"wall": wall, "requests": requests, "chain": chain, "bound": chain * LATENCY,
            "sequential": requests * LATENCY, "in_flight": stats["in_flight"]}


def main() -> None:
    os.environ["AZURE_ACCESS_TOKEN"] = TOKEN
    resources, metrics = topology()
    discover_warm_up(resources, metrics)
    subscriptions = len({(ids.subscription_of(r["id"]) or "").lower() for r in resources})
    print(f"{subscriptions} subscriptions, {len(resources)} resources, {LATENCY * 1000:.0f} ms per request, "
          f"median of {RUNS}")
    with tempfile.TemporaryDirectory() as folder:
        data = Path(folder) / "served.json"
        data.write_text(json.dumps({"resources": resources, "metrics": metrics}), encoding="utf-8")
        for label, graph in (("Resource Graph inventory", True), ("ARM lists per subscription", False)):
            m = measure(data, resources, graph)
            print(f"{label}: wall {m['wall'] * 1000:.0f} ms, {m['requests']} requests "
                  f"(at most {m['in_flight']} in flight); critical path {m['chain']} requests = "
                  f"{m['bound'] * 1000:.0f} ms, ratio {m['wall'] / m['bound']:.2f}x (target <= 2x); "
                  f"one at a time {m['sequential']:.2f} s = {m['sequential'] / m['wall']:.1f}x slower "
                  f"(target >= 10x)")


def discover_warm_up(resources: list[dict[str, Any]], metrics: list[dict[str, Any]]) -> None:
    """One untimed run: the SDK's imports are paid once per process, not per discovery."""
    with FakeArm(resources[:5], metrics, token=TOKEN) as fake:
        discover(LiveOptions(subscriptions=tuple(fake.subscriptions), auth="access-token",
                             arm_endpoint=fake.base_url, headless=True))


if __name__ == "__main__":
    main()
