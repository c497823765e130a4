"""A loopback fake of Azure Resource Manager (ARM) for end-to-end tests of live discovery.

`FakeArm` serves a fixed set of ARM resource objects (as an export holds them) at the real REST paths on
http://127.0.0.1:<free port>, so the real Azure SDK clients (azure.mgmt.*.aio over aiohttp) can be pointed at it
with `base_url=` exactly as a user's `--arm-endpoint` would. It imitates:

- subscription-wide and resource-group lists (`/subscriptions/{sub}/[resourceGroups/{rg}/]providers/{ns}/{type}`),
  paged with an absolute `nextLink` that carries `api-version` and `$skiptoken`;
- GET of any resource by id, child lists such as `.../firewallPolicies/{p}/ruleCollectionGroups`;
- Monitor metrics (`{id}/providers/Microsoft.Insights/metrics`) and diagnostic settings lists;
- the subscriptions list, a subscription, and a small static locations list with availability-zone mappings;
- Resource Graph queries (`POST /providers/Microsoft.ResourceGraph/resources`) with `$top`/`$skipToken` paging;
- Bearer-token authentication, ARM error bodies `{"error": {"code", "message"}}`, and injected faults:
  latency (global and per route), 429 with Retry-After, fixed error statuses for chosen paths.

Deliberate simplifications (a test harness, not an emulator):

- Read-only: only GET and the Resource Graph POST; anything else is 405.
- Resource Graph understands exactly one KQL shape:
  `resources | where type in~ ('t1', 't2') | order by id asc` (or the `networkresources` table, which holds
  the firewall policy rule collection groups; `resources` holds everything else). Anything else is a 400.
  Rows are the served resources with a lower-case `type` and `resourceGroup` plus `subscriptionId` and
  `tenantId`; only `resultFormat` `objectArray` is served. Resources a 401/403 `errors` rule hides from
  ARM are also left out of Resource Graph rows, as Resource Graph only returns what the caller may read.
- Metrics are served as stored: points are not filtered by `timespan` or re-aggregated by `interval`, but a
  point keeps only the aggregations asked for (`aggregation=`, default Average), like the real API. A
  requested metric name the fake has no series for is simply absent (the real API would 400 on a name
  the resource type does not define).
- Child lists return the stored child resources plus matching inline arrays of the parent
  (a virtual network's `properties.subnets`); other operation results (effective routes, outbound
  network dependencies) are empty lists.
- Retry-After may be fractional seconds (real ARM sends whole seconds) so tests stay fast.
- A subscription exists when a served resource or metric id lies in it; others are 404 SubscriptionNotFound.
"""

from __future__ import annotations

import contextlib
import copy
import datetime
import json
import re
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, unquote, urlencode, urlsplit

DEFAULT_TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"
METRICS_TYPE = "microsoft.insights/metrics"
DIAGNOSTIC_SETTINGS_TYPE = "microsoft.insights/diagnosticsettings"
RULE_COLLECTION_GROUP_TYPE = "microsoft.network/firewallpolicies/rulecollectiongroups"
# The principal named in AuthorizationFailed messages (ARM names the caller there, never the token).
FAKE_CLIENT_ID = "00000000-0000-0000-0000-0000000fa4e0"

_SUBSCRIPTION_IN_ID = re.compile(r"^/subscriptions/([^/]+)", re.IGNORECASE)
_GROUP_IN_ID = re.compile(r"^/subscriptions/[^/]+/resourcegroups/([^/]+)", re.IGNORECASE)
_KQL = re.compile(
    r"^\s*(?P<table>resources|networkresources)\s*\|\s*where\s+type\s+in~\s*\((?P<types>[^)]*)\)"
    r"\s*\|\s*order\s+by\s+id\s+asc\s*$",
    re.IGNORECASE,
)
_KQL_STRING = re.compile(r"""^\s*(?:'([^']*)'|"([^"]*)")\s*$""")
_ERROR_CODES = {
    400: "BadRequest",
    401: "InvalidAuthenticationToken",
    403: "AuthorizationFailed",
    404: "ResourceNotFound",
    405: "MethodNotAllowed",
    408: "RequestTimeout",
    409: "Conflict",
    429: "TooManyRequests",
    500: "InternalServerError",
    502: "BadGateway",
    503: "ServiceUnavailable",
    504: "GatewayTimeout",
}

# (name, display name, geography, zones?): enough regions for zone checks; zone mappings are identity.
_LOCATIONS = (
    ("westeurope", "West Europe", "Europe", True),
    ("northeurope", "North Europe", "Europe", True),
    ("swedencentral", "Sweden Central", "Europe", True),
    ("germanywestcentral", "Germany West Central", "Europe", True),
    ("uksouth", "UK South", "UK", True),
    ("eastus", "East US", "US", True),
    ("eastus2", "East US 2", "US", True),
    ("westus2", "West US 2", "US", True),
    ("westus", "West US", "US", False),
    ("northcentralus", "North Central US", "US", False),
)


@dataclass
class Request:
    """One request the fake served: path without query, query as a flat dict, the status it got."""

    method: str
    path: str
    query: dict[str, str]
    status: int = 0
    started: float = 0.0  # time.monotonic() when it arrived
    ended: float = 0.0  # time.monotonic() when the response was written


@dataclass
class _Reply:
    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class _Call:
    """The parsed request handed to a route: `lpath` is the lower-cased path every route matches."""

    method: str
    path: str
    lpath: str
    query: dict[str, str]
    body: bytes
    match: re.Match[str] | None = None

    def param(self, name: str) -> str | None:
        """A query parameter by case-insensitive name (ARM treats `$skipToken`/`$skiptoken` alike)."""
        for key, value in self.query.items():
            if key.lower() == name.lower():
                return value
        return None


def arm_error(status: int, message: str, code: str | None = None, headers: dict[str, str] | None = None) -> _Reply:
    """An ARM error response: `{"error": {"code", "message"}}`."""
    body = {"error": {"code": code or _ERROR_CODES.get(status, f"Http{status}"), "message": message}}
    return _Reply(status, body, dict(headers or {}))


def type_from_id(resource_id: str) -> str:
    """`Namespace/type[/child]` from an ARM id; extension resources take the last `/providers/` segment."""
    tail = re.split(r"/providers/", resource_id, flags=re.IGNORECASE)[-1]
    parts = tail.strip("/").split("/")
    if len(parts) < 2 or "/providers/" not in resource_id.lower():
        return ""
    return "/".join([parts[0], *parts[1::2]])


def resource_type(resource: Mapping[str, Any]) -> str:
    """The resource's declared type, or the one its id implies (rule collection groups often lack it)."""
    declared = resource.get("type")
    return declared if isinstance(declared, str) and declared else type_from_id(str(resource.get("id", "")))


def load_documents(*paths: str | Path) -> list[dict[str, Any]]:
    """Every object in export files or directories of them (`{"value": [...]}`, a list, or one object)."""
    objects: list[dict[str, Any]] = []
    for path in map(Path, paths):
        files = sorted(path.glob("*.json")) if path.is_dir() else [path]
        for file in files:
            document = json.loads(file.read_text(encoding="utf-8"))
            if isinstance(document, dict) and isinstance(document.get("value"), list):
                document = document["value"]
            objects.extend(document if isinstance(document, list) else [document])
    return objects


class _Server(ThreadingHTTPServer):
    """Tracks open connections so stopping can cut off a client that hangs on a keep-alive socket."""

    daemon_threads = True
    request_queue_size = 1024  # a burst of concurrent connects (a benchmark) must not overflow the backlog
    block_on_close = False

    def __init__(self, fake: FakeArm) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.fake = fake
        self.connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()

    def process_request(self, request: Any, client_address: Any) -> None:
        with self.connections_lock:
            self.connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self.connections_lock:
            self.connections.discard(request)
        super().shutdown_request(request)

    def cut_connections(self) -> None:
        with self.connections_lock:
            open_now = list(self.connections)
        for conn in open_now:
            with contextlib.suppress(OSError):  # already closed by the client
                conn.shutdown(socket.SHUT_RDWR)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as aiohttp expects from ARM
    disable_nagle_algorithm = True  # headers and body go out separately: no 40 ms delayed-ACK stall
    timeout = 60  # an idle keep-alive connection is dropped eventually; stopping cuts them all at once
    server: _Server

    def do_GET(self) -> None:
        self.server.fake._serve(self)

    do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_GET

    def log_message(self, format: str, *args: Any) -> None:
        """Silent: nothing is logged, so no header (and no token) can leak into test output."""


class FakeArm:
    """A loopback ARM serving `resources` and `metrics`, with injected latency, throttling and errors.

    Fault options take regular expressions searched (case-insensitively) in the request path:
    `latency_by_route` adds its seconds for every pattern that matches (on top of `latency`);
    `throttle` answers 429 the given number of times per distinct path before letting it through;
    `errors` always answers the given status (403 AuthorizationFailed, 404, 500, ...).
    """

    def __init__(
        self,
        resources: Iterable[dict[str, Any]],
        metrics: Iterable[dict[str, Any]] = (),
        *,
        page_size: int = 50,
        latency: float = 0.0,
        latency_by_route: Mapping[str, float] | None = None,
        throttle: Mapping[str, int] | None = None,
        retry_after: float = 0.01,
        errors: Mapping[str, int] | None = None,
        token: str = "fake-token",
        tenant_id: str = DEFAULT_TENANT,
    ) -> None:
        if page_size < 1:
            raise ValueError("page_size must be at least 1")
        # Deep copies: what a test mutates after construction does not change what is served.
        served = copy.deepcopy(list(resources))
        self._metrics = copy.deepcopy([*metrics, *(r for r in served if resource_type(r).lower() == METRICS_TYPE)])
        self._resources = [r for r in served if resource_type(r).lower() != METRICS_TYPE]
        self._by_id = {str(r.get("id", "")).lower(): r for r in self._resources}
        self._subscriptions = self._subscriptions_of([*self._resources, *self._metrics])
        self.page_size = page_size
        self.latency = latency
        self.latency_by_route = dict(latency_by_route or {})
        self.throttle = dict(throttle or {})
        self.retry_after = retry_after
        self.errors = dict(errors or {})
        self.token = token
        self.tenant_id = tenant_id
        self.base_url = ""
        self.requests: list[Request] = []
        self.max_in_flight = 0  # most requests being served at once: tells how concurrent the client was
        self._in_flight = 0
        self._throttled: dict[tuple[str, str], int] = {}
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._routes: list[tuple[str, re.Pattern[str], Callable[[_Call], _Reply]]] = [
            ("POST", re.compile(r"/providers/microsoft\.resourcegraph/resources"), self._resource_graph),
            ("GET", re.compile(r"/subscriptions"), self._list_subscriptions),
            ("GET", re.compile(r"/subscriptions/(?P<sub>[^/]+)"), self._get_subscription),
            ("GET", re.compile(r"/subscriptions/(?P<sub>[^/]+)/locations"), self._list_locations),
            ("GET", re.compile(r"(?P<rid>/subscriptions/.+?)/providers/microsoft\.insights/metrics"), self._metrics_of),
            (
                "GET",
                re.compile(r"(?P<rid>/subscriptions/.+?)/providers/microsoft\.insights/diagnosticsettings"),
                self._diagnostic_settings,
            ),
            ("GET", re.compile(r"/subscriptions/(?P<sub>[^/]+)/providers/(?P<type>[^/]+/[^/]+)"), self._list_in_subscription),
            (
                "GET",
                re.compile(r"/subscriptions/(?P<sub>[^/]+)/resourcegroups/(?P<rg>[^/]+)/providers/(?P<type>[^/]+/[^/]+)"),
                self._list_in_group,
            ),
            ("GET", re.compile(r"/subscriptions/[^/]+/.+"), self._get_or_children),
        ]

    @classmethod
    def from_exports(cls, *paths: str | Path, **options: Any) -> FakeArm:
        """A fake serving export files/directories; metric series among them are served as metrics."""
        return cls(load_documents(*paths), **options)

    # ----------------------------------------------------------------------------------------- lifecycle
    def __enter__(self) -> FakeArm:
        self._stopping.clear()
        self._server = _Server(self)
        self.base_url = f"http://127.0.0.1:{self._server.server_address[1]}"
        # A short poll interval keeps __exit__ quick (shutdown waits for the next poll).
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, name="fake-arm", daemon=True
        )
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stopping.set()  # wakes requests sleeping in injected latency
        if self._server is not None:
            self._server.shutdown()
            self._server.cut_connections()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=2)
        self._server = None
        self._thread = None

    # ------------------------------------------------------------------------------------------ counters
    def count(self, pattern: str = "", status: int | None = None) -> int:
        """How many requests served had a path matching `pattern` (and, if given, that status)."""
        regex = re.compile(pattern, re.IGNORECASE)
        with self._lock:
            served = list(self.requests)
        return sum(1 for r in served if regex.search(r.path) and (status is None or r.status == status))

    @property
    def subscriptions(self) -> list[str]:
        """The subscription ids served, in the order their first resource appeared."""
        return list(self._subscriptions.values())

    # -------------------------------------------------------------------------------------------- serving
    def _serve(self, handler: _Handler) -> None:
        split = urlsplit(handler.path)
        # Clients may send `//subscriptions/...` when joining a base URL and a leading-slash id; ARM accepts it.
        path = re.sub(r"/{2,}", "/", unquote(split.path)) or "/"
        query = {key: values[-1] for key, values in parse_qs(split.query, keep_blank_values=True).items()}
        record = Request(handler.command, path, query, started=time.monotonic())
        with self._lock:
            self.requests.append(record)
            self._in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self._in_flight)
        try:
            length = int(handler.headers.get("Content-Length") or 0)
            body = handler.rfile.read(length) if length else b""
            call = _Call(handler.command, path, path.lower().rstrip("/") or "/", query, body)
            reply = self._answer(call, handler.headers.get("Authorization", ""))
            record.status = reply.status
            self._write(handler, reply)
        except OSError:  # the client went away, or stopping cut the connection
            handler.close_connection = True
        finally:
            record.ended = time.monotonic()
            with self._lock:
                self._in_flight -= 1

    def _answer(self, call: _Call, authorization: str) -> _Reply:
        """Latency, then authentication, then injected faults, then the route."""
        self._sleep(call.path)
        scheme, _, presented = authorization.partition(" ")
        if scheme.lower() != "bearer" or presented.strip() != self.token:
            # Never echo what was presented: the message must not carry a token.
            return arm_error(
                401,
                "The access token is missing or invalid.",
                headers={"WWW-Authenticate": f'Bearer authorization_uri="https://login.microsoftonline.com/'
                         f'{self.tenant_id}", error="invalid_token"'},
            )
        fault = self._fault(call)
        if fault is not None:
            return fault
        if call.param("api-version") in (None, ""):
            return arm_error(400, "The api-version query parameter (?api-version=) is required for all requests.",
                             "MissingApiVersionParameter")
        try:
            return self._route(call)
        except Exception as exc:  # a bug in the fake shows up as a 500 the test can see, not a hung client
            return arm_error(500, f"fake ARM failed: {type(exc).__name__}: {exc}")

    def _sleep(self, path: str) -> None:
        delay = self.latency + sum(s for p, s in self.latency_by_route.items() if re.search(p, path, re.IGNORECASE))
        if delay > 0:
            self._stopping.wait(delay)

    def _fault(self, call: _Call) -> _Reply | None:
        for pattern, status in self.errors.items():
            if re.search(pattern, call.path, re.IGNORECASE):
                return self._injected_error(status, call)
        for pattern, times in self.throttle.items():
            if not re.search(pattern, call.path, re.IGNORECASE):
                continue
            with self._lock:
                used = self._throttled.get((pattern, call.lpath), 0)
                if used >= times:
                    continue
                self._throttled[(pattern, call.lpath)] = used + 1
            return self._throttled_reply()
        return None

    def _throttled_reply(self) -> _Reply:
        headers = {
            "Retry-After": f"{self.retry_after:g}",
            "retry-after-ms": str(round(self.retry_after * 1000)),
            "x-ms-ratelimit-remaining-subscription-reads": "0",
        }
        message = "The request is being throttled as the limit has been reached for operation type - Read."
        return arm_error(429, message, headers=headers)

    def _injected_error(self, status: int, call: _Call) -> _Reply:
        if status == 403:
            action = (type_from_id(call.path) or "Microsoft.Resources/subscriptions") + "/read"
            return arm_error(
                403,
                f"The client '{FAKE_CLIENT_ID}' with object id '{FAKE_CLIENT_ID}' does not have authorization to "
                f"perform action '{action}' over scope '{call.path}' or the scope is invalid. If access was "
                "recently granted, please refresh your credentials.",
            )
        if status == 404:
            return arm_error(404, f"The resource '{call.path}' was not found.")
        return arm_error(status, f"Injected HTTP {status} for '{call.path}'.")

    def _route(self, call: _Call) -> _Reply:
        sub = _SUBSCRIPTION_IN_ID.match(call.lpath)
        if sub and sub.group(1) not in self._subscriptions:
            return arm_error(404, f"The subscription '{sub.group(1)}' could not be found.", "SubscriptionNotFound")
        for method, pattern, handler in self._routes:
            match = pattern.fullmatch(call.lpath)
            if match is None:
                continue
            if method != call.method:
                return arm_error(405, f"The fake ARM is read-only: {call.method} is not served on this path.")
            call.match = match
            return handler(call)
        if call.method not in ("GET", "POST"):
            return arm_error(405, f"The fake ARM is read-only: {call.method} is not served.")
        return arm_error(404, f"No route for '{call.path}'.", "InvalidResourceType")

    @staticmethod
    def _write(handler: _Handler, reply: _Reply) -> None:
        payload = b"" if reply.body is None else json.dumps(reply.body).encode("utf-8")
        handler.send_response(reply.status)
        handler.send_header("Content-Type", "application/json; charset=utf-8")
        handler.send_header("Content-Length", str(len(payload)))
        handler.send_header("x-ms-request-id", str(uuid.uuid4()))
        for name, value in reply.headers.items():
            handler.send_header(name, value)
        handler.end_headers()
        if handler.command != "HEAD":
            handler.wfile.write(payload)

    # -------------------------------------------------------------------------------------------- paging
    def _page(self, call: _Call, items: list[Any]) -> _Reply:
        """`{"value": [...], "nextLink"?}` with `page_size` items; nextLink is absolute, same host and query."""
        token = call.param("$skiptoken") or "0"
        if not token.isdigit():
            return arm_error(400, f"The $skiptoken '{token}' is not valid.")
        offset = int(token)
        body: dict[str, Any] = {"value": items[offset : offset + self.page_size]}
        if offset + self.page_size < len(items):
            params = {k: v for k, v in call.query.items() if k.lower() != "$skiptoken"}
            params["$skiptoken"] = str(offset + self.page_size)
            query = urlencode(params, safe="$", quote_via=quote)
            body["nextLink"] = f"{self.base_url}{quote(call.path)}?{query}"
        return _Reply(200, body)

    # -------------------------------------------------------------------------------------------- routes
    def _list_subscriptions(self, call: _Call) -> _Reply:
        # ARM lists only subscriptions the caller holds a role in: leave out those set to deny.
        readable = [sub for sub in self._subscriptions.values()
                    if not any(status in (401, 403) and re.search(pattern, f"/subscriptions/{sub}", re.IGNORECASE)
                               for pattern, status in self.errors.items())]
        return self._page(call, [self._subscription(sub) for sub in readable])

    def _get_subscription(self, call: _Call) -> _Reply:
        return _Reply(200, self._subscription(self._subscriptions[self._group(call, "sub")]))

    def _subscription(self, sub: str) -> dict[str, Any]:
        return {
            "id": f"/subscriptions/{sub}",
            "subscriptionId": sub,
            "displayName": f"sub-{sub[:8]}",
            "state": "Enabled",
            "tenantId": self.tenant_id,
            "authorizationSource": "RoleBased",
            "subscriptionPolicies": {
                "locationPlacementId": "Public_2014-09-01",
                "quotaId": "PayAsYouGo_2014-09-01",
                "spendingLimit": "Off",
            },
        }

    def _list_locations(self, call: _Call) -> _Reply:
        sub = self._subscriptions[self._group(call, "sub")]
        return _Reply(200, {"value": [_location(sub, *spec) for spec in _LOCATIONS]})

    def _list_in_subscription(self, call: _Call) -> _Reply:
        sub, wanted = self._group(call, "sub"), self._group(call, "type")
        return self._page(call, [r for r in self._resources if _sub_of(r) == sub and resource_type(r).lower() == wanted])

    def _list_in_group(self, call: _Call) -> _Reply:
        sub, group, wanted = self._group(call, "sub"), self._group(call, "rg"), self._group(call, "type")
        in_group = [r for r in self._resources if _sub_of(r) == sub and _group_of(r) == group]
        if not in_group:
            return arm_error(404, f"Resource group '{group}' could not be found.", "ResourceGroupNotFound")
        return self._page(call, [r for r in in_group if resource_type(r).lower() == wanted])

    def _get_or_children(self, call: _Call) -> _Reply:
        """A resource by id, an inline child (a subnet) by id, or a child list under an existing parent."""
        if call.lpath in self._by_id:
            return _Reply(200, self._by_id[call.lpath])
        parent_id, _, last = call.lpath.rpartition("/")
        grandparent_id, _, child_type = parent_id.rpartition("/")
        inline = _inline_children(self._by_id.get(grandparent_id), child_type)
        for child in inline:
            if str(child.get("id", "")).lower() == call.lpath:
                return _Reply(200, child)
        parent = self._by_id.get(parent_id)
        if parent is not None:
            prefix = call.lpath + "/"
            stored = [
                r for r in self._resources
                if str(r.get("id", "")).lower().startswith(prefix) and "/" not in str(r["id"])[len(prefix):]
            ]
            seen = {str(r["id"]).lower() for r in stored}
            inline = [c for c in _inline_children(parent, last) if str(c["id"]).lower() not in seen]
            return self._page(call, stored + inline)
        kind = type_from_id(call.path) or "resource"
        if grandparent_id in self._by_id or not _GROUP_IN_ID.match(call.lpath):
            return arm_error(404, f"The Resource '{kind}/{last}' was not found.")
        return arm_error(404, f"The Resource '{kind}/{last}' under resource group '{_group_of({'id': call.path})}' "
                         "was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix")

    def _metrics_of(self, call: _Call) -> _Reply:
        rid = self._group(call, "rid")
        resource = self._by_id.get(rid)
        if resource is None:
            return arm_error(404, f"The Resource '{rid}' was not found.")
        names = {n.strip().lower() for n in (call.param("metricnames") or "").split(",") if n.strip()}
        aggregations = {a.strip().lower() for a in (call.param("aggregation") or "Average").split(",") if a.strip()}
        prefix = rid + "/providers/microsoft.insights/metrics/"
        series = [
            _keep_aggregations(m, aggregations) for m in self._metrics
            if str(m.get("id", "")).lower().startswith(prefix)
            and (not names or str((m.get("name") or {}).get("value", "")).lower() in names)
        ]
        return _Reply(200, {
            "cost": 0,
            "timespan": call.param("timespan") or _last_hour(),
            "interval": call.param("interval") or "PT1H",
            "value": series,
            "namespace": (call.param("metricnamespace") or resource_type(resource)).lower(),
            "resourceregion": resource.get("location") or "",
        })

    def _diagnostic_settings(self, call: _Call) -> _Reply:
        rid = self._group(call, "rid")
        if rid not in self._by_id:
            return arm_error(404, f"The Resource '{rid}' was not found.")
        prefix = rid + "/providers/microsoft.insights/diagnosticsettings/"
        settings = [
            r for r in self._resources
            if resource_type(r).lower() == DIAGNOSTIC_SETTINGS_TYPE and str(r.get("id", "")).lower().startswith(prefix)
        ]
        return _Reply(200, {"value": settings})

    def _resource_graph(self, call: _Call) -> _Reply:
        try:
            request = json.loads(call.body or b"{}")
        except ValueError:
            return _graph_error("The request body is not valid JSON.")
        if not isinstance(request, dict):
            return _graph_error("The request body must be a JSON object.")
        query = _KQL.match(str(request.get("query", "")))
        types = _kql_types(query.group("types")) if query else None
        if query is None or types is None:
            return _graph_error(f"The fake Resource Graph does not understand the query {request.get('query')!r}.")
        options = request.get("options") or {}
        if str(options.get("resultFormat", "objectArray")).lower() != "objectarray":
            return _graph_error("The fake Resource Graph serves resultFormat 'objectArray' only.")
        top, token = options.get("$top", 100), str(options.get("$skipToken") or "0")
        if not isinstance(top, int) or not 1 <= top <= 1000 or not token.isdigit():
            return _graph_error(f"Invalid paging options $top={top!r} $skipToken={token!r}.")
        wanted_subs = {str(s).lower() for s in request.get("subscriptions") or self._subscriptions}
        rows = self._graph_rows(query.group("table").lower(), types, wanted_subs)
        offset = int(token)
        page = rows[offset : offset + top]
        body: dict[str, Any] = {"totalRecords": len(rows), "count": len(page), "data": page}
        if offset + top < len(rows):
            body["$skipToken"] = str(offset + top)
        body.update({"resultTruncated": "false", "facets": []})
        return _Reply(200, body)

    def _graph_rows(self, table: str, types: set[str], subs: set[str]) -> list[dict[str, Any]]:
        rows = []
        for resource in sorted(self._resources, key=lambda r: str(r.get("id", "")).lower()):
            kind = resource_type(resource).lower()
            in_table = (kind == RULE_COLLECTION_GROUP_TYPE) == (table == "networkresources")
            if kind in types and in_table and _sub_of(resource) in subs and not self._hidden_from_caller(resource):
                row = dict(resource)
                row.update({
                    "type": kind,
                    "subscriptionId": self._subscriptions[_sub_of(resource)],
                    "resourceGroup": _group_of(resource),
                    "tenantId": self.tenant_id,
                })
                rows.append(row)
        return rows

    def _hidden_from_caller(self, resource: Mapping[str, Any]) -> bool:
        """A 401/403 `errors` rule matching the resource's id or its type's list path denies reading it."""
        rid = str(resource.get("id", ""))
        list_path = f"/subscriptions/{_sub_of(resource)}/providers/{resource_type(resource)}"
        return any(
            status in (401, 403) and (re.search(p, rid, re.IGNORECASE) or re.search(p, list_path, re.IGNORECASE))
            for p, status in self.errors.items()
        )

    # ------------------------------------------------------------------------------------------- helpers
    @staticmethod
    def _group(call: _Call, name: str) -> str:
        assert call.match is not None
        return call.match.group(name)

    @staticmethod
    def _subscriptions_of(objects: Iterable[Mapping[str, Any]]) -> dict[str, str]:
        """Lower-cased subscription id → the id as first written, in order of appearance."""
        found: dict[str, str] = {}
        for obj in objects:
            match = _SUBSCRIPTION_IN_ID.match(str(obj.get("id", "")))
            if match:
                found.setdefault(match.group(1).lower(), match.group(1))
        return found


def _sub_of(resource: Mapping[str, Any]) -> str:
    match = _SUBSCRIPTION_IN_ID.match(str(resource.get("id", "")))
    return match.group(1).lower() if match else ""


def _group_of(resource: Mapping[str, Any]) -> str:
    match = _GROUP_IN_ID.match(str(resource.get("id", "")))
    return match.group(1).lower() if match else ""


def _inline_children(parent: Mapping[str, Any] | None, child_type: str) -> list[dict[str, Any]]:
    """Children a parent carries inline (`properties.subnets` of a virtual network), by case-insensitive key."""
    properties = (parent or {}).get("properties") or {}
    for key, value in properties.items():
        if key.lower() == child_type and isinstance(value, list):
            # Full objects only: `{"id": ...}` alone is a reference (a policy's ruleCollectionGroups).
            return [v for v in value if isinstance(v, dict) and v.get("id") and set(v) - {"id"}]
    return []


def _keep_aggregations(series: Mapping[str, Any], aggregations: set[str]) -> dict[str, Any]:
    """A copy of a metric series whose points keep `timeStamp` and only the requested aggregations."""
    kept = dict(series)
    kept["timeseries"] = [
        {**ts, "data": [{k: v for k, v in point.items() if k == "timeStamp" or k.lower() in aggregations}
                        for point in ts.get("data", [])]}
        for ts in series.get("timeseries", [])
    ]
    return kept


def _last_hour() -> str:
    end = datetime.datetime.now(datetime.UTC).replace(microsecond=0)
    start = end - datetime.timedelta(hours=1)
    return f"{start:%Y-%m-%dT%H:%M:%SZ}/{end:%Y-%m-%dT%H:%M:%SZ}"


def _kql_types(text: str) -> set[str] | None:
    """The lower-cased string literals of a KQL `in~ (...)` list, or None if any item is not one."""
    types = set()
    for item in text.split(","):
        literal = _KQL_STRING.match(item)
        if literal is None:
            return None
        types.add((literal.group(1) if literal.group(1) is not None else literal.group(2)).lower())
    return types


def _graph_error(detail: str) -> _Reply:
    reply = arm_error(400, "Please provide below info when asking for support: timestamp, correlation id.")
    reply.body["error"]["details"] = [{"code": "InvalidQuery", "message": detail}]
    return reply


def _location(sub: str, name: str, display: str, geography: str, zoned: bool) -> dict[str, Any]:
    location: dict[str, Any] = {
        "id": f"/subscriptions/{sub}/locations/{name}",
        "name": name,
        "type": "Region",
        "displayName": display,
        "regionalDisplayName": f"({geography}) {display}",
        "metadata": {"regionType": "Physical", "regionCategory": "Recommended", "geographyGroup": geography},
    }
    if zoned:
        location["availabilityZoneMappings"] = [
            {"logicalZone": str(zone), "physicalZone": f"{name}-az{zone}"} for zone in (1, 2, 3)
        ]
    return location
