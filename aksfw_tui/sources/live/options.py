"""What live discovery is asked to do (LiveOptions), where ARM is (Endpoint), and what it reports
while it runs (DiscoveryEvent). Everything here is checked before any request is sent."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlsplit

from aksfw_tui.errors import InputError

GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
MAX_WINDOW = timedelta(days=93)  # Azure Monitor keeps platform metrics for 93 days


class DiscoveryError(InputError):
    """Nothing could be read (authentication failed, no subscription readable): exit code 3.

    A subclass of InputError so the app's loading screen shows it as a plain message."""


@dataclass(frozen=True)
class Cloud:
    arm: str  # the Resource Manager endpoint
    scope: str  # the token audience the SDK uses for it
    authority: str  # the Entra ID host that issues the tokens


CLOUDS: dict[str, Cloud] = {
    "AzureCloud": Cloud("https://management.azure.com", "https://management.azure.com/.default",
                        "login.microsoftonline.com"),
    "AzureUSGovernment": Cloud("https://management.usgovcloudapi.net",
                               "https://management.core.usgovcloudapi.net/.default",
                               "login.microsoftonline.us"),
    "AzureChinaCloud": Cloud("https://management.chinacloudapi.cn",
                             "https://management.chinacloudapi.cn/.default", "login.chinacloudapi.cn"),
}


@dataclass(frozen=True)
class Endpoint:
    """The ARM endpoint the clients talk to and the token scope they ask for."""

    base_url: str
    scope: str
    authority: str
    plain_http: bool  # http:// on a loopback address: bearer tokens may travel over it


@dataclass(frozen=True)
class LiveOptions:
    """One live discovery. The retry and concurrency fields have production defaults; tests shrink them."""

    subscriptions: tuple[str, ...] = ()
    all_subscriptions: bool = False
    tenant_id: str | None = None
    auth: str = "default"
    cloud: str = "AzureCloud"
    arm_endpoint: str | None = None
    metrics_window: timedelta = timedelta(hours=24)
    headless: bool = False  # interactive sign-in is refused when nobody is there to complete it
    concurrency: int = 32  # HTTP requests in flight at once, across every client
    graph_threshold: int = 3  # more subscriptions than this: inventory from one Resource Graph query
    graph_page_size: int = 1000  # Resource Graph $top (its maximum)
    retry_total: int = 6
    retry_backoff_factor: float = 0.8
    retry_backoff_max: float = 60.0
    timeout: float = 60.0  # seconds to connect, and to wait for a response


@dataclass(frozen=True)
class DiscoveryEvent:
    """One step of discovery, for the progress display.

    kind: "start" (the plan), "listed" (a list call returned `count` items), "unreadable" (a call
    failed with `error`), "note" (anything else worth saying), "done" (the totals)."""

    kind: str
    subscription: str = ""
    resource_type: str = ""
    count: int | None = None
    error: str = ""
    message: str = ""

    def __str__(self) -> str:
        where = ": ".join(p for p in (self.subscription, self.resource_type) if p)
        if self.kind == "listed":
            return f"{where}: {self.count}"
        if self.kind == "unreadable":
            return f"{where}: unreadable: {self.error}" if where else f"unreadable: {self.error}"
        return f"{where}: {self.message}" if where else self.message


def is_loopback(host: str) -> bool:
    """127.0.0.0/8, ::1 and localhost: the only hosts a bearer token may reach over plain http."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def resolve_endpoint(cloud: str, arm_endpoint: str | None = None) -> Endpoint:
    """The cloud's ARM endpoint, or --arm-endpoint (https, or http on a loopback address only)."""
    if cloud not in CLOUDS:
        raise InputError(f"--cloud {cloud}: expected one of {', '.join(CLOUDS)}")
    known = CLOUDS[cloud]
    if not arm_endpoint:
        return Endpoint(known.arm, known.scope, known.authority, plain_http=False)
    url = arm_endpoint.strip().rstrip("/")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InputError(f"--arm-endpoint {arm_endpoint}: expected an https:// URL such as {known.arm}")
    if parts.query or parts.fragment or parts.username or parts.password:
        raise InputError(f"--arm-endpoint {arm_endpoint}: give the endpoint only, without query, "
                         "fragment or user information")
    if parts.scheme == "http" and not is_loopback(parts.hostname):
        raise InputError(f"--arm-endpoint {arm_endpoint}: plain http:// is accepted only for loopback "
                         "addresses (127.0.0.0/8, ::1, localhost); bearer tokens must not cross a "
                         "network unencrypted, use https://")
    # The cloud's own endpoint keeps its audience; a private cloud's tokens are issued for its URL.
    same_host = urlsplit(known.arm).hostname == parts.hostname
    scope = known.scope if same_host else f"{parts.scheme}://{parts.netloc}/.default"
    return Endpoint(url, scope, known.authority, plain_http=parts.scheme == "http")


def check_subscription_id(value: str) -> str:
    """A subscription id is a GUID; anything else would be spliced into request paths."""
    if not GUID.match(value.strip()):
        raise InputError(f"subscription {value!r}: expected a subscription id "
                         "(a GUID such as 5d8e2b94-1f3a-4e6c-b7d0-9a2c4e6f8b13)")
    return value.strip()


_WINDOW = re.compile(r"^(\d+(?:\.\d+)?)\s*([mhd])$", re.IGNORECASE)
_ISO_WINDOW = re.compile(r"^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?)?$", re.IGNORECASE)
_UNITS = {"m": "minutes", "h": "hours", "d": "days"}


def parse_window(text: str) -> timedelta:
    """`24h`, `90m`, `7d` or an ISO 8601 duration (`PT24H`, `P7D`); more than 0, at most 93 days."""
    raw = text.strip()
    window: timedelta | None = None
    if match := _WINDOW.match(raw):
        window = timedelta(**{_UNITS[match.group(2).lower()]: float(match.group(1))})
    elif (match := _ISO_WINDOW.match(raw)) and any(match.groups()):
        days, hours, minutes = (int(g or 0) for g in match.groups())
        window = timedelta(days=days, hours=hours, minutes=minutes)
    if window is None:
        raise InputError(f"--metrics-window {text}: expected a duration such as 24h, 90m, 7d or PT24H")
    if not timedelta(0) < window <= MAX_WINDOW:
        raise InputError(f"--metrics-window {text}: must be more than 0 and at most 93 days "
                         "(Azure Monitor's retention)")
    return window
