"""discover(): which subscriptions, which way to read them, and the ArmSnapshot that results.

Subscriptions: --subscription (repeatable), else --all-subscriptions (every enabled one the
credential can list), else AZURE_SUBSCRIPTION_ID, else the Azure CLI's current subscription, else
the only one the credential can read (several: an error listing them). Up to `graph_threshold`
subscriptions are read through ARM list calls; more through one Resource Graph query.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

from aksfw_tui.errors import InputError
from aksfw_tui.model import ids
from aksfw_tui.sources.credentials import GuardedCredential, check_auth, make_credential
from aksfw_tui.sources.live.arm import arm_subscription, as_dicts, is_location
from aksfw_tui.sources.live.graph import graph_inventory
from aksfw_tui.sources.live.options import (
    GUID,
    DiscoveryError,
    DiscoveryEvent,
    Endpoint,
    LiveOptions,
    check_subscription_id,
    resolve_endpoint,
)
from aksfw_tui.sources.live.run import Run
from aksfw_tui.sources.live.session import Session
from aksfw_tui.sources.snapshot import ArmSnapshot

USABLE_STATES = {"enabled", "warned", "pastdue"}  # a disabled or deleted subscription cannot be read
SUBSCRIPTION_VARIABLE = "AZURE_SUBSCRIPTION_ID"


def validate(options: LiveOptions) -> Endpoint:
    """Every check that needs no network: bad flags fail before any sign-in."""
    endpoint = resolve_endpoint(options.cloud, options.arm_endpoint)
    check_auth(options.auth, options.headless)
    for subscription in options.subscriptions:
        check_subscription_id(subscription)
    if options.concurrency < 1 or options.graph_page_size < 1:
        raise InputError("concurrency and the Resource Graph page size must be at least 1")
    return endpoint


def discover(options: LiveOptions,
             progress: Callable[[DiscoveryEvent], None] | None = None) -> ArmSnapshot:
    """Read the subscriptions; raises InputError (exit 2) for unusable input and DiscoveryError
    (exit 3) when nothing at all could be read."""
    endpoint = validate(options)
    return asyncio.run(_discover(options, endpoint, progress))


async def _discover(options: LiveOptions, endpoint: Endpoint,
                    progress: Callable[[DiscoveryEvent], None] | None) -> ArmSnapshot:
    def prompt(text: str) -> None:
        if progress is not None:
            progress(DiscoveryEvent("note", message=text))

    inner = make_credential(options.auth, authority=endpoint.authority, tenant_id=options.tenant_id,
                            prompt=prompt if progress else None)
    async with GuardedCredential(inner, options.tenant_id) as credential, \
            Session(options, endpoint, credential) as session:
        run = Run(session, options, progress)
        await _sign_in(run, credential, endpoint)
        subscriptions = await _subscriptions(run, options)
        graph = len(subscriptions) > options.graph_threshold
        run.emit(DiscoveryEvent("start", message=f"reading {len(subscriptions)} subscription(s) through "
                                f"{'Resource Graph' if graph else 'ARM list calls'}"))
        asked = graph  # graph_inventory asks for the locations, whatever its queries then do
        if not (graph and await graph_inventory(run, subscriptions)):
            graph = False
            await asyncio.gather(*(arm_subscription(run, s, locations=not asked) for s in subscriptions))
        await run.drain()
    return _snapshot(run, subscriptions, endpoint, graph)


async def _sign_in(run: Run, credential: GuardedCredential, endpoint: Endpoint) -> None:
    """One token up front: a credential that cannot sign in stops here with one clear message."""
    try:
        await credential.get_token(endpoint.scope)
    except Exception as error:
        raise DiscoveryError(f"could not sign in with --auth {run.options.auth}: "
                             f"{run.session.describe(error)}") from None


async def _subscriptions(run: Run, options: LiveOptions) -> list[str]:
    if options.subscriptions:
        given: dict[str, str] = {}  # the same id twice, in any case, is read once
        for subscription in options.subscriptions:
            given.setdefault(check_subscription_id(subscription).lower(), subscription.strip())
        return list(given.values())
    if not options.all_subscriptions:
        chosen: str | None = os.environ.get(SUBSCRIPTION_VARIABLE, "").strip() or None
        if chosen is None:
            chosen = await asyncio.to_thread(cli_subscription)
        if chosen:
            return [check_subscription_id(chosen)]
    listed = await _list_subscriptions(run)
    if not listed:
        raise DiscoveryError("no subscription is readable with these credentials")
    if options.all_subscriptions or len(listed) == 1:
        return [s["subscriptionId"] for s in listed]
    names = "; ".join(f"{s['subscriptionId']} ({s.get('displayName') or 'no name'})" for s in listed)
    raise InputError(f"{len(listed)} subscriptions are readable; choose with --subscription ID "
                     f"(repeatable) or --all-subscriptions: {names}")


async def _list_subscriptions(run: Run) -> list[dict[str, Any]]:
    async def every() -> list[dict[str, Any]]:
        return [s async for s in run.session.subscriptions().subscriptions.list(cls=as_dicts)]

    try:
        listed = await every()
    except Exception as error:
        raise DiscoveryError(f"could not list subscriptions: {run.session.describe(error)}") from None
    return [s for s in listed if GUID.match(str(s.get("subscriptionId", "")))
            and str(s.get("state", "Enabled")).lower() in USABLE_STATES]


def cli_subscription() -> str | None:
    """The Azure CLI's current subscription, if `az` is installed and signed in."""
    az = shutil.which("az")
    if az is None:
        return None
    try:
        done = subprocess.run([az, "account", "show", "--query", "id", "--output", "tsv"],
                              capture_output=True, text=True, timeout=60, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    value = done.stdout.strip()
    return value if done.returncode == 0 and GUID.match(value) else None


def _snapshot(run: Run, subscriptions: list[str], endpoint: Endpoint, graph: bool) -> ArmSnapshot:
    run.collapse_subscriptions()
    run.unreadable.sort(key=lambda u: ids.key(u.scope))  # calls finish in any order; reports should not
    if not run.readable:  # every subscription refused (or the token did): nothing to audit
        reasons = "; ".join(dict.fromkeys(f"{u.scope}: {u.reason}" for u in run.unreadable[:3]))
        raise DiscoveryError(f"nothing could be read: {reasons or 'no subscription answered'}")
    metrics = {str(m.get("id", "")).lower(): m for m in run.metrics}
    snapshot = ArmSnapshot(
        resources=[run.resources[key] for key in sorted(run.resources)],
        metrics=[metrics[key] for key in sorted(metrics)],
        unreadable=list(run.unreadable),
        source={"kind": "live", "subscriptions": subscriptions, "endpoint": endpoint.base_url,
                "cloud": run.options.cloud, "inventory": "resource-graph" if graph else "arm",
                "metrics_window": run.timespan},
        warnings=list(run.warnings),
    )
    locations = sum(1 for r in snapshot.resources if is_location(r))
    run.emit(DiscoveryEvent("done", message=f"read {len(snapshot.resources) - locations} resources, "
                            f"{len(snapshot.metrics)} metric series and {locations} locations; "
                            f"{len(snapshot.unreadable)} scope(s) unreadable"))
    return snapshot


def snapshot_document(snapshot: ArmSnapshot) -> dict[str, Any]:
    """What --save-snapshot writes: an export --from-export reads back to the same findings."""
    return {"value": [*snapshot.resources, *snapshot.metrics],
            "unreadable": [{"scope": u.scope, "reason": u.reason} for u in snapshot.unreadable]}


def save_snapshot(snapshot: ArmSnapshot, path: str | Path) -> None:
    try:
        Path(path).write_text(json.dumps(snapshot_document(snapshot), indent=1) + "\n", encoding="utf-8")
    except OSError as error:
        raise InputError(f"{path}: cannot write the snapshot: {error.strerror or error}") from None
