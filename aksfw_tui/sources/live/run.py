"""One discovery's state: what was read, what could not be, and the calls still running.

Every call goes through `Run.attempt`: a failure becomes an `Unreadable(scope, reason)` and an
event, never an exception, so one denied subscription or throttled type leaves the rest intact.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Coroutine
from datetime import UTC, datetime
from typing import Any, TypeVar

from aksfw_tui.model import ids
from aksfw_tui.sources.live.options import DiscoveryEvent, LiveOptions
from aksfw_tui.sources.live.session import Session
from aksfw_tui.sources.snapshot import Unreadable

T = TypeVar("T")
NOT_REGISTERED = "MissingSubscriptionRegistration"


def call_failures() -> tuple[type[BaseException], ...]:
    """What a failed call raises: azure-core's errors (HTTP statuses, connections, auth, decoding),
    timeouts, and a body that is not JSON. A bug in our code is none of these: it surfaces."""
    from azure.core.exceptions import AzureError

    return (AzureError, OSError, TimeoutError, ValueError)


class Run:
    def __init__(self, session: Session, options: LiveOptions,
                 progress: Callable[[DiscoveryEvent], None] | None = None) -> None:
        self.session = session
        self.options = options
        self.progress = progress
        self.resources: dict[str, dict[str, Any]] = {}  # id key → resource, so a twice-read one is once
        self.metrics: list[dict[str, Any]] = []
        self.unreadable: list[Unreadable] = []
        self.warnings: list[str] = []
        self.readable: set[str] = set()  # subscriptions (lower-case) at least one call could read
        self.lists_read: dict[str, int] = {}  # subscription (lower-case) → list calls that succeeded
        self._tasks: list[asyncio.Task[Any]] = []
        end = datetime.now(UTC).replace(microsecond=0)
        start = end - options.metrics_window
        self.timespan = f"{start:%Y-%m-%dT%H:%M:%SZ}/{end:%Y-%m-%dT%H:%M:%SZ}"

    def emit(self, event: DiscoveryEvent) -> None:
        if self.progress is not None:
            self.progress(event)

    async def attempt(self, scope: str, what: str, subscription: str, call: Awaitable[T],
                      reason_prefix: str = "") -> T | None:
        """The call's result, or None after recording why `scope` could not be read."""
        try:
            result = await call
        except call_failures() as error:  # one call's failure is that call's, never the run's
            reason = self.session.describe(error)
            self.unreadable.append(Unreadable(scope, f"{reason_prefix}{reason}"))
            self.emit(DiscoveryEvent("unreadable", subscription, what, error=reason))
            return None
        return result

    async def listing(self, subscription: str, resource_type: str,
                      call: Awaitable[list[dict[str, Any]]]) -> list[dict[str, Any]] | None:
        """A subscription-wide list. Its failure is scoped to the type in the subscription
        (`/subscriptions/S/providers/Microsoft.Network/loadBalancers`: every resource of that type
        there is unseen, nothing else); a provider the subscription never registered holds no
        resources, so that is an empty list."""
        key = subscription.lower()
        self.lists_read.setdefault(key, 0)
        scope = f"/subscriptions/{subscription}/providers/{resource_type}"
        items = await self.attempt(scope, resource_type, subscription,
                                   _unregistered_is_empty(call), reason_prefix=f"{resource_type}: ")
        if items is not None:
            self.lists_read[key] += 1
            self.readable.add(key)
            self.add(items)
            self.emit(DiscoveryEvent("listed", subscription, resource_type, count=len(items)))
        return items

    def add(self, items: list[dict[str, Any]]) -> None:
        for item in items:
            if not (isinstance(item, dict) and str(item.get("id", "")).startswith("/")):
                continue
            key = ids.key(item["id"])
            known = self.resources.get(key)
            if known is not None and "properties" in known and "properties" not in item:
                continue  # a bare {"id"} reference never replaces the resource itself
            self.resources[key] = item

    def spawn(self, work: Coroutine[Any, Any, Any]) -> None:
        """Start a dependent call now (a firewall's metrics as soon as its page arrives)."""
        self._tasks.append(asyncio.ensure_future(work))

    async def drain(self) -> None:
        """Wait for every spawned call, including those spawned while waiting."""
        while self._tasks:
            pending, self._tasks = self._tasks, []
            await asyncio.gather(*pending)

    def collapse_subscriptions(self) -> None:
        """A subscription whose every list failed the same way (e.g. 403 AuthorizationFailed) is one
        entry, where its first was, not one per resource type; and the failure of an unreadable
        subscription's locations is not one more."""
        merged: dict[str, Unreadable] = {}
        for subscription, read in self.lists_read.items():
            scope = f"/subscriptions/{subscription}"
            entries = [u for u in self.unreadable if ids.key(u.scope) == scope
                       or ids.key(u.scope).startswith(f"{scope}/providers/")]
            kinds = {u.reason.split(": ", 1)[-1].split(":", 1)[0] for u in entries}
            if not read and len(entries) > 1 and len(kinds) == 1:
                merged[scope] = Unreadable(scope, f"{kinds.pop()}: all {len(entries)} resource "
                                                             f"lists failed, e.g. {entries[0].reason}")
        kept: list[Unreadable] = []
        for entry in self.unreadable:
            scope = ids.key(entry.scope)
            if "/providers/" in scope and scope.split("/providers/")[0] in merged:
                scope = scope.split("/providers/")[0]
            if self._said_by_its_subscription(scope):
                continue
            if scope not in merged:
                kept.append(entry)
            elif merged[scope] not in kept:
                kept.append(merged[scope])
        self.unreadable = kept

    def _said_by_its_subscription(self, scope: str) -> bool:
        """A subscription nothing could be read from has its own entries (a list per type, or the
        Resource Graph probe), which cover its locations by prefix: their failure adds nothing."""
        parts = scope.strip("/").split("/")
        return (len(parts) == 3 and parts[0] == "subscriptions" and parts[2] == "locations"
                and parts[1] not in self.readable)


async def _unregistered_is_empty(call: Awaitable[list[dict[str, Any]]]) -> list[dict[str, Any]]:
    from azure.core.exceptions import HttpResponseError

    try:
        return await call
    except HttpResponseError as error:
        if error.status_code == 409 and getattr(getattr(error, "error", None), "code", "") == NOT_REGISTERED:
            return []
        raise
