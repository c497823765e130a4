"""Evaluator benchmark: how long answering flows against a large Firewall Policy takes.

Run with `python bench/evaluator.py` (or `make bench`). Builds a policy of 10,000 rules (network
rules on many ports, application rules on many FQDNs, in several groups and collections), then
times compiling it and answering flows: a first pass (building the per-protocol/port index) and a
second pass over the same flows (index warm). Prints milliseconds per flow; asserts nothing.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository root, for `tests.arm`

from aksfw_tui.firewall.addresses import parse_address
from aksfw_tui.firewall.evaluator import Destination, Flow, evaluate_flow
from aksfw_tui.firewall.rules import ruleset_for
from tests import arm

GROUPS, COLLECTIONS, RULES = 10, 10, 100  # 10,000 rules
FLOWS_PER_KIND = 50
RUNS = 3


def _network_collection(g: int, c: int) -> dict[str, Any]:
    port = 20_000 + g * COLLECTIONS + c
    rules = [arm.net_rule(f"net-{g}-{c}-{r}", ["TCP", "UDP"], [arm.NODE_CIDR], [str(port), "8000-8100"],
                          [f"52.{g}.{c}.{r}/32", "AzureCloud.northeurope"]) for r in range(RULES)]
    return arm.filter_collection(f"net-{g}-{c}", 100 + c, "Deny" if c % 3 == 0 else "Allow", rules)


def _application_collection(g: int, c: int) -> dict[str, Any]:
    rules = [arm.app_rule(f"app-{g}-{c}-{r}", [arm.NODE_CIDR], fqdns=[f"*.svc{g}-{c}-{r}.example.com"])
             for r in range(RULES)]
    return arm.filter_collection(f"app-{g}-{c}", 100 + c, "Allow", rules)


def _resources() -> list[dict[str, Any]]:
    resources = arm.baseline()
    policy = arm.find(resources, "fwpol-hub")
    for g in range(GROUPS):
        kind = _network_collection if g % 2 == 0 else _application_collection
        group = arm.rcg(arm.POLICY_ID, f"rcg-{g}", 1000 + g, [kind(g, c) for c in range(COLLECTIONS)])
        resources.append(group)
        policy["properties"]["ruleCollectionGroups"].append({"id": group["id"]})
    return resources


def _flows() -> dict[str, list[Flow]]:
    """Flows by kind; each kind stresses the evaluator differently."""
    api = Destination.api_server("aks-prod-1a2b3c4d.hcp.westeurope.azmk8s.io", arm.REGION)
    picks = [((k * 2) % GROUPS, k % COLLECTIONS, k % RULES) for k in range(FLOWS_PER_KIND)]
    return {
        # 5,000 application rules share https/443: every one is a candidate.
        "fqdn https (5,000 app candidates)": [
            Flow("tcp", 443, Destination.for_fqdn(f"api.svc{g + 1}-{c}-{r}.example.com"))
            for g, c, r in picks],
        # One collection's port: 100 candidates, decided by an exact IP.
        "ip on a rule's port (100 candidates)": [
            Flow("tcp", 20_000 + g * COLLECTIONS + c, Destination.for_ip(f"52.{g}.{c}.{r}"))
            for g, c, r in picks],
        # Every network rule's 8000-8100 range and service tag *might* hold the FQDN: worst case.
        "fqdn udp (5,000 might-match rules)": [
            Flow("udp", 8050, Destination.for_fqdn(f"ntp{k}.example.org")) for k in range(FLOWS_PER_KIND)],
        # The baseline's own rules decide the API server early.
        "api server https (decided early)": [Flow("tcp", 443, api)] * FLOWS_PER_KIND,
    }


def _run_once(resources: list[dict[str, Any]], flows: dict[str, list[Flow]]) -> dict[str, float]:
    """Seconds: compiling the rules, then each kind's first (index cold) and second pass."""
    sources = parse_address(arm.NODE_CIDR)
    assert sources is not None
    topology = arm.topology(resources)
    firewall = topology.firewall(arm.FW_ID)
    assert firewall is not None
    timings: dict[str, float] = {}
    start = time.perf_counter()
    ruleset_for(topology, firewall)
    timings["compile"] = time.perf_counter() - start
    for name, batch in flows.items():
        for run in ("cold", "warm"):
            start = time.perf_counter()
            for flow in batch:
                evaluate_flow(topology, firewall, flow, sources)
            timings[f"{name}/{run}"] = time.perf_counter() - start
    return timings


def main() -> None:
    resources, flows = _resources(), _flows()
    samples = [_run_once(resources, flows) for _ in range(RUNS)]

    def median_ms(key: str) -> float:
        return statistics.median(sample[key] for sample in samples) * 1000

    print(f"policy of {GROUPS * COLLECTIONS * RULES} rules; median of {RUNS} runs")
    print(f"  compile rules: {median_ms('compile'):9.1f} ms")
    for name, batch in flows.items():
        cold, warm = (median_ms(f"{name}/{run}") / len(batch) for run in ("cold", "warm"))
        print(f"  {name:<38} {cold:8.3f} ms/flow first pass, {warm:8.3f} ms/flow index warm")


if __name__ == "__main__":
    main()
