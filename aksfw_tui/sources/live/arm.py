"""Reading subscriptions through ARM: one list call per resource type per subscription, then the
calls that depend on what the lists returned (a firewall's SNAT metrics and diagnostic settings, a
policy's rule collection groups, a private DNS zone's A records and links). Dependent calls start
as soon as the list that names their resource returns, so the longest chain stays two deep. And,
whichever way the inventory was read, each subscription's locations: which regions have zones.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from aksfw_tui.model import ids
from aksfw_tui.sources.live.options import DiscoveryEvent
from aksfw_tui.sources.live.run import Run
from aksfw_tui.sources.snapshot import resource_type

PRIVATE_DNS_API = "2024-06-01"  # azure-mgmt-privatedns is not a dependency: these calls are plain GETs
DIAGNOSTIC_SETTINGS_API = "2021-05-01-preview"  # azure-mgmt-monitor 7 has no diagnostic_settings
METRICS_API = "2024-02-01"  # what azure-mgmt-monitor 7 sends
SNAT_METRIC = "SNATPortUtilization"
METRICS_INTERVAL = "PT5M"
LOCATIONS_API = "2022-12-01"  # the first Subscriptions API version to send availabilityZoneMappings
LOCATION_TYPE = "Microsoft.Resources/locations"  # for a location object that comes without a type
LOCATION_ID = re.compile(r"^/subscriptions/[^/]+/locations/[^/]+$", re.IGNORECASE)
FIREWALLS = "microsoft.network/azurefirewalls"
POLICIES = "microsoft.network/firewallpolicies"
ZONES = "microsoft.network/privatednszones"
RULE_COLLECTION_GROUPS = "Microsoft.Network/firewallPolicies/ruleCollectionGroups"
ZONE_LINKS = "Microsoft.Network/privateDnsZones/virtualNetworkLinks"


@dataclass(frozen=True)
class Kind:
    """A resource type listed per subscription, and the SDK operation that lists it."""

    type: str
    client: str  # "network" | "containers" | "raw" (a plain GET through the network client's pipeline)
    operation: str = ""
    method: str = "list_all"


KINDS = (
    Kind("Microsoft.Network/azureFirewalls", "network", "azure_firewalls"),
    Kind("Microsoft.Network/firewallPolicies", "network", "firewall_policies"),
    Kind("Microsoft.Network/routeTables", "network", "route_tables"),
    Kind("Microsoft.Network/virtualNetworks", "network", "virtual_networks"),
    Kind("Microsoft.Network/publicIPAddresses", "network", "public_ip_addresses"),
    Kind("Microsoft.Network/applicationGateways", "network", "application_gateways"),
    Kind("Microsoft.Network/ApplicationGatewayWebApplicationFirewallPolicies", "network",
         "web_application_firewall_policies"),
    Kind("Microsoft.Network/loadBalancers", "network", "load_balancers"),
    Kind("Microsoft.Network/natGateways", "network", "nat_gateways"),
    Kind("Microsoft.Network/networkSecurityGroups", "network", "network_security_groups"),
    Kind("Microsoft.Network/ipGroups", "network", "ip_groups", "list"),
    Kind("Microsoft.ContainerService/managedClusters", "containers", "managed_clusters", "list"),
    Kind("Microsoft.Network/privateDnsZones", "raw"),
)


async def arm_subscription(run: Run, subscription: str, locations: bool = True) -> None:
    """List every kind in the subscription, and its locations unless they were asked for already
    (a Resource Graph inventory that failed); dependent calls are spawned on the run."""
    extra = [subscription_locations(run, subscription)] if locations else []
    await asyncio.gather(*(_list_kind(run, subscription, kind) for kind in KINDS), *extra)


async def _list_kind(run: Run, subscription: str, kind: Kind) -> None:
    items = await run.listing(subscription, kind.type, _list_call(run, subscription, kind))
    if items:
        follow(run, items, graph=False)


def _list_call(run: Run, subscription: str, kind: Kind) -> Awaitable[list[dict[str, Any]]]:
    if kind.client == "raw":
        return raw_list(run.session.arm(), f"/subscriptions/{subscription}/providers/{kind.type}",
                        PRIVATE_DNS_API)
    client = (run.session.network(subscription) if kind.client == "network"
              else run.session.containers(subscription))
    operation = getattr(getattr(client, kind.operation), kind.method)
    return _collect(operation(cls=as_dicts))


def follow(run: Run, items: list[dict[str, Any]], *, graph: bool) -> None:
    """Spawn the calls these resources need. With Resource Graph, zone links came in the query
    and rule collection groups come from its networkresources table."""
    for item in items:
        kind = resource_type(item).lower()
        if kind == FIREWALLS:
            run.spawn(firewall_metrics(run, item["id"]))
            run.spawn(diagnostic_settings(run, item["id"]))
        elif kind == POLICIES and not graph:
            run.spawn(rule_collection_groups(run, item))
        elif kind == ZONES:
            run.spawn(zone_children(run, item["id"], "A"))
            if not graph:
                run.spawn(zone_children(run, item["id"], "virtualNetworkLinks"))


async def firewall_metrics(run: Run, firewall_id: str) -> None:
    """SNATPortUtilization over the window, Maximum and Average, as Monitor returns the series.

    The Monitor client's own `metrics.list` would first turn every data point into a model (and
    every timestamp into a datetime) only for us to want the JSON back: its pipeline serves the GET."""
    params = {"api-version": METRICS_API, "timespan": run.timespan, "interval": METRICS_INTERVAL,
              "metricnames": SNAT_METRIC, "aggregation": "Maximum,Average",
              "metricnamespace": "Microsoft.Network/azureFirewalls", "AutoAdjustTimegrain": "true"}
    path = "/providers/Microsoft.Insights/metrics"
    call = raw_call(run.session.monitor(), "GET", firewall_id + path, params)
    body = await _dependent(run, firewall_id, path, "SNAT metrics", call)
    if isinstance(body, dict):
        series = [s for s in body.get("value") or [] if isinstance(s, dict)]
        for one in series:
            name = (one.get("name") or {}).get("value") or SNAT_METRIC
            one.setdefault("id", f"{firewall_id}/providers/Microsoft.Insights/metrics/{name}")
            one.setdefault("type", "Microsoft.Insights/metrics")
        run.metrics.extend(series)


async def diagnostic_settings(run: Run, firewall_id: str) -> None:
    path = "/providers/Microsoft.Insights/diagnosticSettings"
    call = raw_list(run.session.arm(), firewall_id + path, DIAGNOSTIC_SETTINGS_API)
    items = await _dependent(run, firewall_id, path, "diagnostic settings", call)
    if items is not None:
        run.add(items)


async def rule_collection_groups(run: Run, policy: dict[str, Any]) -> None:
    policy_id = policy["id"]
    listed = (policy.get("properties") or {}).get("ruleCollectionGroups")
    if listed == []:  # the policy says it has none: nothing to ask for
        return
    client = run.session.network(ids.subscription_of(policy_id) or "")
    call = _collect(client.firewall_policy_rule_collection_groups.list(
        ids.resource_group_of(policy_id), ids.name_of(policy_id), cls=as_dicts))
    items = await _dependent(run, policy_id, "/ruleCollectionGroups", "rule collection groups", call)
    if items is not None:
        run.add(items)


async def zone_children(run: Run, zone_id: str, child: str) -> None:
    call = raw_list(run.session.arm(), f"{zone_id}/{child}", PRIVATE_DNS_API)
    items = await _dependent(run, zone_id, f"/{child}", f"private DNS {child}", call)
    if items is not None:
        run.add(items)


async def _dependent(run: Run, resource_id: str, suffix: str, what: str, call: Awaitable[Any]) -> Any:
    """A per-resource call; its failure is scoped to `<resource id><suffix>`, which is exactly the
    prefix of the ids it would have returned (and what the checks look up)."""
    subscription = ids.subscription_of(resource_id) or ""
    label = f"{ids.name_of(resource_id)} {what}"
    result = await run.attempt(resource_id + suffix, label, subscription, call)
    if result is not None:
        count = len(result) if isinstance(result, list) else len(result.get("value") or [])
        run.emit(DiscoveryEvent("listed", subscription, label, count=count))
    return result


async def subscription_locations(run: Run, subscription: str) -> None:
    """The subscription's regions as ARM lists them, each with `availabilityZoneMappings` where the
    region has zones: what zone-spread takes as authoritative (Topology.regions_with_zones).

    They go into the snapshot as they came: ids `/subscriptions/<sub>/locations/<name>` and ARM's
    own `type: "Region"`, which is not a resource type. The Topology knows them by their id, so
    `type` is left alone and only filled in (Microsoft.Resources/locations) where absent. A failure
    is scoped to `/subscriptions/<sub>/locations`: the prefix of exactly the ids it would have
    returned, and a scope the checks never take for one that holds resources."""
    scope = f"/subscriptions/{subscription}/locations"
    call = raw_list(run.session.arm(), scope, LOCATIONS_API)
    items = await run.attempt(scope, "locations", subscription, call, reason_prefix="locations: ")
    if items is None:
        return
    for item in items:
        item.setdefault("type", LOCATION_TYPE)
    run.add(items)
    run.emit(DiscoveryEvent("listed", subscription, "locations", count=len(items)))


def is_location(resource: dict[str, Any]) -> bool:
    """Whether the object is one of a subscription's locations (known by its id, whatever its type)."""
    return bool(LOCATION_ID.match(str(resource.get("id", ""))))


def as_dicts(models: list[Any]) -> list[dict[str, Any]]:
    """The SDK's models (network ≥ 31, containerservice ≥ 41) keep the JSON they were read from;
    `as_dict()` gives it back with its REST (camelCase) names, unknown properties included."""
    return [model.as_dict() for model in models]


async def _collect(pager: Any) -> list[dict[str, Any]]:
    return [item async for item in pager]


async def raw_call(client: Any, method: str, path: str, params: dict[str, str],
                   body: dict[str, Any] | None = None) -> dict[str, Any]:
    """One request through `client`'s pipeline (auth, retry, limits); the JSON answer, unparsed
    into models. ARM errors raise HttpResponseError as the SDK's operations do."""
    from azure.core.exceptions import HttpResponseError
    from azure.core.rest import HttpRequest
    from azure.mgmt.core.exceptions import ARMErrorFormat

    # Generated clients call it send_request; the older (msrest) ones _send_request.
    send = getattr(client, "send_request", None) or client._send_request
    url = path if "://" in path else quote(path)
    response = await send(HttpRequest(method, url, params=params, json=body))
    if response.status_code != 200:
        raise HttpResponseError(response=response, error_format=ARMErrorFormat)
    answer = response.json()
    return answer if isinstance(answer, dict) else {}


async def raw_list(client: Any, path: str, api_version: str) -> list[dict[str, Any]]:
    """A GET list through `client`'s pipeline, following nextLink (which carries its own query)."""
    url: str | None = path
    params = {"api-version": api_version}
    items: list[dict[str, Any]] = []
    while url:
        body = await raw_call(client, "GET", url, params)
        items.extend(v for v in body.get("value") or [] if isinstance(v, dict))
        url, params = body.get("nextLink") or None, {}
    return items
