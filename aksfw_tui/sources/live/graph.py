"""Reading many subscriptions at once through Azure Resource Graph.

One query over the `resources` table lists every type the checks need in every subscription (paged
with $skipToken, `order by id` so the pages are stable), one over `networkresources` the firewall
policies' rule collection groups. What Resource Graph does not hold goes to ARM per resource:
SNAT metrics, diagnostic settings, private DNS A records, each subscription's locations. Resource
Graph silently leaves out what the caller may not read, so each subscription is also read once
directly (GET /subscriptions/{id}) to report the unreadable ones. If a query fails, discovery falls
back to ARM lists.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable
from typing import Any

from aksfw_tui.sources.live.arm import (
    KINDS,
    RULE_COLLECTION_GROUPS,
    ZONE_LINKS,
    follow,
    raw_call,
    subscription_locations,
)
from aksfw_tui.sources.live.arm import rule_collection_groups as arm_rule_collection_groups
from aksfw_tui.sources.live.options import DiscoveryEvent
from aksfw_tui.sources.live.run import Run, call_failures
from aksfw_tui.sources.snapshot import resource_type

GRAPH_TYPES = (*(kind.type for kind in KINDS), ZONE_LINKS)
CANONICAL = {t.lower(): t for t in (*GRAPH_TYPES, RULE_COLLECTION_GROUPS)}
GRAPH_ONLY_COLUMNS = ("subscriptionId", "resourceGroup", "tenantId")
GRAPH_API = "2021-03-01"  # what azure-mgmt-resourcegraph 8 sends
SUBSCRIPTIONS_PER_QUERY = 1000  # Resource Graph's limit on one request's subscription list


def kql(table: str, types: tuple[str, ...]) -> str:
    listed = ", ".join(f"'{t.lower()}'" for t in types)
    return f"{table} | where type in~ ({listed}) | order by id asc"


async def graph_inventory(run: Run, subscriptions: list[str]) -> bool:
    """Inventory through Resource Graph; False if the resources query failed (use ARM lists)."""
    counts: Counter[tuple[str, str]] = Counter()

    def on_resources(rows: list[dict[str, Any]]) -> None:
        counts.update((str(r.get("subscriptionId", "")), CANONICAL.get(str(r.get("type", "")).lower(), ""))
                      for r in rows)
        resources = [_from_row(r) for r in rows]
        run.add(resources)
        follow(run, resources, graph=True)

    def on_groups(rows: list[dict[str, Any]]) -> None:
        run.add([_from_row(r) for r in rows])

    queries = asyncio.gather(
        _query(run, subscriptions, kql("resources", GRAPH_TYPES), on_resources),
        _query(run, subscriptions, kql("networkresources", (RULE_COLLECTION_GROUPS,)), on_groups))
    for subscription in subscriptions:  # after the queries: they are the critical path
        run.spawn(_probe(run, subscription))
    # Not in Resource Graph; read even if the queries fail. Whether a region has zones is the
    # region's property (only the logical-to-physical zone mapping differs per subscription), so
    # with many subscriptions one list stands for all: one request, not one per subscription.
    run.spawn(subscription_locations(run, subscriptions[0]))
    listed, grouped = await queries
    if not listed:
        return False
    for (subscription, kind), count in sorted(counts.items()):
        run.emit(DiscoveryEvent("listed", subscription, kind, count=count))
    if not grouped:  # networkresources is recent: the ARM list per policy still works
        for resource in list(run.resources.values()):
            if resource_type(resource).lower() == "microsoft.network/firewallpolicies":
                run.spawn(arm_rule_collection_groups(run, resource))
    return True


async def _query(run: Run, subscriptions: list[str], query: str,
                 on_page: Callable[[list[dict[str, Any]]], None]) -> bool:
    """Every page of `query`; False (and a note) if any page failed."""
    for start in range(0, len(subscriptions), SUBSCRIPTIONS_PER_QUERY):
        chunk = subscriptions[start:start + SUBSCRIPTIONS_PER_QUERY]
        try:
            await _pages(run, chunk, query, on_page)
        except call_failures() as error:  # the caller falls back to ARM for what this query was for
            table = query.split(" ", 1)[0]
            note = (f"Resource Graph query on {table} failed ({run.session.describe(error)}); "
                    "read through ARM instead")
            run.warnings.append(note)  # printed as a note, and kept with the snapshot
            return False
    return True


async def _pages(run: Run, subscriptions: list[str], query: str,
                 on_page: Callable[[list[dict[str, Any]]], None]) -> None:
    """The query's pages, in order ($skipToken). Posted through the Resource Graph client's
    pipeline as JSON: its `resources()` would first turn every row into msrest objects."""
    client = run.session.graph()
    skip_token: str | None = None
    while True:
        options: dict[str, Any] = {"$top": run.options.graph_page_size, "resultFormat": "objectArray"}
        if skip_token:
            options["$skipToken"] = skip_token
        body = await raw_call(client, "POST", "/providers/Microsoft.ResourceGraph/resources",
                              {"api-version": GRAPH_API},
                              {"subscriptions": subscriptions, "query": query, "options": options})
        on_page([row for row in body.get("data") or [] if isinstance(row, dict)])
        skip_token = body.get("$skipToken") or None
        if not skip_token:
            return


async def _probe(run: Run, subscription: str) -> None:
    """Resource Graph omits an unreadable subscription without a word; ARM says why."""
    call = run.session.subscriptions().subscriptions.get(subscription)
    if await run.attempt(f"/subscriptions/{subscription}", "subscription", subscription, call) is not None:
        run.readable.add(subscription.lower())


def _from_row(row: dict[str, Any]) -> dict[str, Any]:
    """A Resource Graph row as ARM's GET has it: without the columns Resource Graph adds, without its
    nulls, and the type in its usual spelling (rows carry it lower-case)."""
    resource = {k: v for k, v in row.items() if k not in GRAPH_ONLY_COLUMNS and v is not None}
    kind = str(resource.get("type", ""))
    resource["type"] = CANONICAL.get(kind.lower(), kind)
    return resource
