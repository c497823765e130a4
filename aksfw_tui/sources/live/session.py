"""The plumbing one discovery shares: the HTTP session, each client's policy pipeline, the SDK
clients, and how a failed call is described.

Every client gets the same pipeline, built here rather than by the SDK: azure-core's retry policy
(429 and 5xx, honouring Retry-After), ARM bearer-token authentication, a limit on requests in
flight, and, only for an http:// loopback endpoint, the per-call policy that lets a bearer token
travel over plain http. The SDK's default pipeline also holds ARM's automatic resource-provider
registration, which answers a 409 MissingSubscriptionRegistration by *registering* the provider: a
write, which an audit must never make, so it is left out.
"""

from __future__ import annotations

import asyncio
import re
from contextlib import AsyncExitStack
from typing import Any

from aksfw_tui import __version__
from aksfw_tui.sources.live.options import Endpoint, LiveOptions

REASON_LIMIT = 400  # characters of a failure reason kept in the report
# Clients whose calls all take full resource paths still need a subscription id to be built.
PLACEHOLDER_SUBSCRIPTION = "00000000-0000-0000-0000-000000000000"


def _allow_loopback_http_policy() -> Any:
    from azure.core.pipeline.policies import SansIOHTTPPolicy

    class AllowLoopbackHttp(SansIOHTTPPolicy):  # type: ignore[type-arg]
        """Lets the bearer-token policy send its token over http:// (the endpoint is a loopback
        address: resolve_endpoint refuses http anywhere else)."""

        def on_request(self, request: Any) -> None:
            request.context["enforce_https"] = False

    return AllowLoopbackHttp()


def _in_flight_policy(semaphore: asyncio.Semaphore) -> Any:
    from azure.core.pipeline.policies import AsyncHTTPPolicy

    class InFlightLimit(AsyncHTTPPolicy):  # type: ignore[type-arg]
        """At most `concurrency` requests on the wire; placed after the retry policy, so a call
        waiting out a Retry-After does not hold a slot."""

        async def send(self, request: Any) -> Any:
            async with semaphore:
                return await self.next.send(request)

    return InFlightLimit()


class Session:
    """Opened with `async with`; closes every client, the transport and the HTTP session."""

    def __init__(self, options: LiveOptions, endpoint: Endpoint, credential: Any) -> None:
        self.options = options
        self.endpoint = endpoint
        self.credential = credential
        self._stack = AsyncExitStack()
        self._semaphore: asyncio.Semaphore | None = None
        self._transport: Any = None
        self._clients: dict[tuple[str, str], Any] = {}

    async def __aenter__(self) -> Session:
        import aiohttp
        from azure.core.pipeline.transport import AioHttpTransport

        self._semaphore = asyncio.Semaphore(self.options.concurrency)
        session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=self.options.concurrency),
            cookie_jar=aiohttp.DummyCookieJar(),
            auto_decompress=False,  # azure-core decodes bodies itself
            trust_env=not self.endpoint.plain_http,  # a proxy never stands between us and loopback
        )
        self._stack.push_async_callback(session.close)
        self._transport = AioHttpTransport(session=session, session_owner=False,
                                           connection_timeout=self.options.timeout,
                                           read_timeout=self.options.timeout)
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._stack.aclose()

    def policies(self) -> list[Any]:
        """A fresh pipeline for one client (policies chain to each other, so none are shared)."""
        from azure.core.pipeline import policies as core
        from azure.mgmt.core.policies import ARMHttpLoggingPolicy, AsyncARMChallengeAuthenticationPolicy

        assert self._semaphore is not None, "open the session first"
        per_call = [_allow_loopback_http_policy()] if self.endpoint.plain_http else []
        return [
            core.RequestIdPolicy(),
            core.HeadersPolicy(),
            core.UserAgentPolicy(base_user_agent=f"aksfw-tui/{__version__}"),
            core.ProxyPolicy(),
            core.ContentDecodePolicy(),
            *per_call,
            core.AsyncRedirectPolicy(),
            core.AsyncRetryPolicy(retry_total=self.options.retry_total,
                                  retry_backoff_factor=self.options.retry_backoff_factor,
                                  retry_backoff_max=self.options.retry_backoff_max),
            AsyncARMChallengeAuthenticationPolicy(self.credential, self.endpoint.scope),
            _in_flight_policy(self._semaphore),
            core.DistributedTracingPolicy(),
            core.SensitiveHeaderCleanupPolicy(),
            ARMHttpLoggingPolicy(),
        ]

    def _client(self, kind: str, subscription: str, factory: Any, *args: Any) -> Any:
        key = (kind, subscription.lower())
        if key not in self._clients:
            client = factory(self.credential, *args, base_url=self.endpoint.base_url,
                             credential_scopes=[self.endpoint.scope], policies=self.policies(),
                             transport=self._transport)
            self._stack.push_async_callback(client.close)
            self._clients[key] = client
        return self._clients[key]

    def network(self, subscription: str) -> Any:
        from azure.mgmt.network.aio import NetworkManagementClient

        return self._client("network", subscription, NetworkManagementClient, subscription)

    def arm(self) -> Any:
        """The client whose pipeline serves plain ARM GETs (full paths, so any subscription)."""
        from azure.mgmt.network.aio import NetworkManagementClient

        return self._client("network", PLACEHOLDER_SUBSCRIPTION, NetworkManagementClient,
                            PLACEHOLDER_SUBSCRIPTION)

    def containers(self, subscription: str) -> Any:
        from azure.mgmt.containerservice.aio import ContainerServiceClient

        return self._client("containers", subscription, ContainerServiceClient, subscription)

    def monitor(self) -> Any:
        """One Monitor client for every resource: its calls take full resource ids."""
        from azure.mgmt.monitor.aio import MonitorManagementClient

        return self._client("monitor", "", MonitorManagementClient, PLACEHOLDER_SUBSCRIPTION)

    def graph(self) -> Any:
        from azure.mgmt.resourcegraph.aio import ResourceGraphClient

        return self._client("graph", "", ResourceGraphClient)

    def subscriptions(self) -> Any:
        from azure.mgmt.resource.subscriptions.aio import SubscriptionClient

        return self._client("subscriptions", "", SubscriptionClient)

    def describe(self, error: BaseException) -> str:
        """One line saying why a call failed, e.g. `403 AuthorizationFailed: The client ...`; never
        a token (the credential's tokens are scrubbed from whatever the server sent back)."""
        return self.credential.redact(describe(error))


def describe(error: BaseException) -> str:
    from azure.core.exceptions import (
        ClientAuthenticationError,
        HttpResponseError,
        ServiceRequestError,
        ServiceResponseError,
    )

    if isinstance(error, HttpResponseError) and error.status_code:
        detail = getattr(error, "error", None)
        code, message = getattr(detail, "code", None), getattr(detail, "message", None)
        text = f"{error.status_code} {code}: {message}" if code else f"{error.status_code} {error.reason}"
    elif isinstance(error, ClientAuthenticationError):
        text = f"authentication failed: {error.message}"
    elif isinstance(error, ServiceRequestError | ServiceResponseError):
        text = f"no response from Resource Manager: {error.message}"
    elif isinstance(error, TimeoutError):
        text = "timed out"
    else:
        text = f"{type(error).__name__}: {error}"
    text = re.sub(r"\s+", " ", text).strip()
    return text if len(text) <= REASON_LIMIT else text[: REASON_LIMIT - 1] + "…"
