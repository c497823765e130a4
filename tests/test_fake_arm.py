"""The loopback fake ARM (tests/fake_arm.py): each route, paging and injected fault, first over plain urllib,
then through the real async Azure SDK clients the live discovery uses."""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from azure.core.credentials import AccessToken
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError
from azure.core.pipeline.policies import SansIOHTTPPolicy

from aksfw_tui.sources.demo import DEMO_DIR, load_demo
from tests.fake_arm import FakeArm

SUB = "a3c1f6e2-7b4d-4c19-8e5a-2f9d0b6c8e71"
SUB2 = "5d0e4b8a-91c3-4f6e-b2a7-c8e9d1f0a3b4"
TOKEN = "fake-token"
FW_TYPE = "Microsoft.Network/azureFirewalls"
RCG_TYPE = "Microsoft.Network/firewallPolicies/ruleCollectionGroups"


# ------------------------------------------------------------------------------------------- ARM builders
def rg_id(sub: str, rg: str) -> str:
    return f"/subscriptions/{sub}/resourceGroups/{rg}"


def firewall(sub: str, rg: str, name: str, policy: str = "fwpol-hub") -> dict[str, Any]:
    rid = f"{rg_id(sub, rg)}/providers/Microsoft.Network/azureFirewalls/{name}"
    vnet = f"{rg_id(sub, rg)}/providers/Microsoft.Network/virtualNetworks/vnet-hub"
    return {
        "id": rid,
        "name": name,
        "type": FW_TYPE,
        "location": "westeurope",
        "zones": ["1", "2", "3"],
        "properties": {
            "provisioningState": "Succeeded",
            "sku": {"name": "AZFW_VNet", "tier": "Premium"},
            "threatIntelMode": "Deny",
            "ipConfigurations": [{
                "name": "ipconfig1",
                "id": f"{rid}/azureFirewallIpConfigurations/ipconfig1",
                "properties": {
                    "privateIPAddress": "10.0.1.4",
                    "subnet": {"id": f"{vnet}/subnets/AzureFirewallSubnet"},
                    "publicIPAddress": {"id": f"{rg_id(sub, rg)}/providers/Microsoft.Network/publicIPAddresses/pip-{name}"},
                },
            }],
            "firewallPolicy": {"id": f"{rg_id(sub, rg)}/providers/Microsoft.Network/firewallPolicies/{policy}"},
        },
    }


def policy(sub: str, rg: str, name: str) -> dict[str, Any]:
    return {
        "id": f"{rg_id(sub, rg)}/providers/Microsoft.Network/firewallPolicies/{name}",
        "name": name,
        "type": "Microsoft.Network/firewallPolicies",
        "location": "westeurope",
        "properties": {"provisioningState": "Succeeded", "sku": {"tier": "Premium"}, "threatIntelMode": "Deny"},
    }


def rule_collection_group(policy_id: str, name: str, priority: int) -> dict[str, Any]:
    # No "type": export files often omit it for rule collection groups; the fake reads it from the id.
    return {
        "id": f"{policy_id}/ruleCollectionGroups/{name}",
        "name": name,
        "properties": {"priority": priority, "provisioningState": "Succeeded", "ruleCollections": []},
    }


def vnet(sub: str, rg: str, name: str) -> dict[str, Any]:
    rid = f"{rg_id(sub, rg)}/providers/Microsoft.Network/virtualNetworks/{name}"
    return {
        "id": rid,
        "name": name,
        "type": "Microsoft.Network/virtualNetworks",
        "location": "westeurope",
        "properties": {
            "addressSpace": {"addressPrefixes": ["10.0.0.0/16"]},
            "subnets": [{
                "id": f"{rid}/subnets/AzureFirewallSubnet",
                "name": "AzureFirewallSubnet",
                "type": "Microsoft.Network/virtualNetworks/subnets",
                "properties": {"addressPrefix": "10.0.1.0/26"},
            }],
        },
    }


def hub_fleet(count: int = 5) -> list[dict[str, Any]]:
    """`count` firewalls in SUB (rg-hub), one in SUB2, their policy with two groups, a policy elsewhere, a vnet."""
    hub_policy = policy(SUB, "rg-hub", "fwpol-hub")
    other_policy = policy(SUB, "rg-hub", "fwpol-other")
    return [
        *(firewall(SUB, "rg-hub", f"fw-{i:02d}") for i in range(count)),
        firewall(SUB2, "rg-spoke", "fw-spoke"),
        hub_policy,
        other_policy,
        rule_collection_group(hub_policy["id"], "rcg-aks-egress", 200),
        rule_collection_group(hub_policy["id"], "rcg-platform", 100),
        rule_collection_group(other_policy["id"], "rcg-other", 300),
        vnet(SUB, "rg-hub", "vnet-hub"),
    ]


# ---------------------------------------------------------------------------------------------- helpers
def call(
    fake: FakeArm, path: str, *, token: str | None = TOKEN, method: str = "GET", body: Any = None,
    api_version: str | None = "2026-03-01",
) -> tuple[int, dict[str, str], dict[str, Any]]:
    """(status, headers, JSON body) of one request; `path` may carry a query or be an absolute nextLink."""
    url = path if path.startswith("http") else fake.base_url + path
    if api_version and "api-version" not in url:
        url += ("&" if "?" in url else "?") + f"api-version={api_version}"
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, dict(response.headers), json.load(response)
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), json.load(error)


def list_all(fake: FakeArm, path: str) -> tuple[list[dict[str, Any]], list[str]]:
    """Every item of a paged list, following nextLink, and the nextLinks seen."""
    items, links = [], []
    status, _, page = call(fake, path)
    assert status == 200, page
    items += page["value"]
    while "nextLink" in page:
        links.append(page["nextLink"])
        status, _, page = call(fake, page["nextLink"])
        assert status == 200, page
        items += page["value"]
    return items, links


def graph(fake: FakeArm, query: str, **options: Any) -> tuple[int, dict[str, Any]]:
    body = {"subscriptions": options.pop("subscriptions", [SUB]), "query": query, "options": options}
    status, _, reply = call(fake, "/providers/Microsoft.ResourceGraph/resources", method="POST", body=body,
                            api_version="2021-03-01")
    return status, reply


GRAPH_FIREWALLS = "resources | where type in~ ('microsoft.network/azurefirewalls') | order by id asc"
FW_LIST = f"/subscriptions/{SUB}/providers/Microsoft.Network/azureFirewalls"


# ------------------------------------------------------------------------------------------ lists, GETs
def test_subscription_list_is_paged_with_absolute_next_links_on_the_same_host() -> None:
    with FakeArm(hub_fleet(5), page_size=2) as fake:
        items, links = list_all(fake, FW_LIST)
    assert [i["name"] for i in items] == ["fw-00", "fw-01", "fw-02", "fw-03", "fw-04"]  # not SUB2's fw-spoke
    assert len(links) == 2  # 5 items in pages of 2: two nextLinks, the last page has none
    for link in links:
        parts = urlsplit(link)
        assert f"{parts.scheme}://{parts.netloc}" == fake.base_url
        assert parts.path == FW_LIST
        assert parse_qs(parts.query)["api-version"] == ["2026-03-01"]
        assert "$skiptoken" in parse_qs(parts.query)


def test_list_matches_path_and_type_case_insensitively() -> None:
    fleet = hub_fleet(1)
    fleet[0]["type"] = "microsoft.network/AZUREFIREWALLS"
    with FakeArm(fleet) as fake:
        status, _, page = call(fake, f"/SUBSCRIPTIONS/{SUB.upper()}/providers/microsoft.network/azurefirewalls")
    assert status == 200
    assert [i["name"] for i in page["value"]] == ["fw-00"]
    assert "nextLink" not in page


def test_resource_group_list_returns_only_that_group_and_404s_an_unknown_group() -> None:
    fleet = [*hub_fleet(2), firewall(SUB, "rg-other", "fw-other")]
    with FakeArm(fleet) as fake:
        items, _ = list_all(fake, f"{rg_id(SUB, 'rg-other')}/providers/Microsoft.Network/azureFirewalls")
        status, _, error = call(fake, f"{rg_id(SUB, 'rg-missing')}/providers/Microsoft.Network/azureFirewalls")
    assert [i["name"] for i in items] == ["fw-other"]
    assert status == 404
    assert error["error"]["code"] == "ResourceGroupNotFound"


def test_get_by_id_returns_the_resource_whatever_the_casing_and_404_otherwise() -> None:
    fleet = hub_fleet(1)
    with FakeArm(fleet) as fake:
        status, _, found = call(fake, fleet[0]["id"].replace("resourceGroups", "resourcegroups").lower())
        missing_status, _, missing = call(fake, fleet[0]["id"].replace("fw-00", "fw-gone"))
    assert status == 200
    assert found == fleet[0]
    assert missing_status == 404
    assert missing["error"]["code"] == "ResourceNotFound"
    assert "fw-gone" in missing["error"]["message"]


def test_rule_collection_groups_are_listed_under_their_own_policy_only() -> None:
    with FakeArm(hub_fleet(1)) as fake:
        items, _ = list_all(fake, f"{rg_id(SUB, 'rg-hub')}/providers/Microsoft.Network/firewallPolicies/fwpol-hub/ruleCollectionGroups")
        status, _, error = call(fake, f"{rg_id(SUB, 'rg-hub')}/providers/Microsoft.Network/firewallPolicies/nope/ruleCollectionGroups")
    assert sorted(i["name"] for i in items) == ["rcg-aks-egress", "rcg-platform"]
    assert status == 404
    assert error["error"]["code"] == "ResourceNotFound"


def test_subnets_inline_in_a_virtual_network_are_served_by_id_and_as_a_child_list() -> None:
    with FakeArm(hub_fleet(1)) as fake:
        vnet_id = f"{rg_id(SUB, 'rg-hub')}/providers/Microsoft.Network/virtualNetworks/vnet-hub"
        status, _, subnet = call(fake, f"{vnet_id}/subnets/AzureFirewallSubnet")
        subnets, _ = list_all(fake, f"{vnet_id}/subnets")
    assert status == 200
    assert subnet["properties"]["addressPrefix"] == "10.0.1.0/26"
    assert [s["name"] for s in subnets] == ["AzureFirewallSubnet"]


def test_unknown_subscription_is_404_subscription_not_found() -> None:
    with FakeArm(hub_fleet(1)) as fake:
        status, _, error = call(fake, "/subscriptions/00000000-1111-2222-3333-444444444444/providers/Microsoft.Network/azureFirewalls")
    assert status == 404
    assert error["error"]["code"] == "SubscriptionNotFound"


def test_subscriptions_list_names_each_served_subscription_with_its_tenant() -> None:
    with FakeArm(hub_fleet(1), tenant_id="11111111-2222-3333-4444-555555555555", page_size=1) as fake:
        subs, links = list_all(fake, "/subscriptions")
    assert [s["subscriptionId"] for s in subs] == [SUB, SUB2]
    assert len(links) == 1
    assert all(s["state"] == "Enabled" and s["tenantId"] == "11111111-2222-3333-4444-555555555555" for s in subs)
    assert subs[0]["id"] == f"/subscriptions/{SUB}"


def test_locations_carry_availability_zone_mappings_for_zonal_regions_only() -> None:
    with FakeArm(hub_fleet(1)) as fake:
        status, _, body = call(fake, f"/subscriptions/{SUB}/locations")
    by_name = {loc["name"]: loc for loc in body["value"]}
    assert status == 200
    assert [m["logicalZone"] for m in by_name["westeurope"]["availabilityZoneMappings"]] == ["1", "2", "3"]
    assert "availabilityZoneMappings" not in by_name["westus"]


def test_writes_are_refused_as_the_fake_is_read_only() -> None:
    with FakeArm(hub_fleet(1)) as fake:
        status, _, error = call(fake, FW_LIST, method="PUT", body={})
    assert status == 405
    assert "read-only" in error["error"]["message"]


# ------------------------------------------------------------------------------- metrics and diagnostics
def demo_firewall_id() -> str:
    return next(r["id"] for r in load_demo().resources if r["type"] == FW_TYPE)


def test_metrics_serve_requested_series_with_only_the_requested_aggregations() -> None:
    demo = load_demo()
    fw = demo_firewall_id()
    with FakeArm(demo.resources, demo.metrics) as fake:
        status, _, body = call(
            fake, f"{fw}/providers/Microsoft.Insights/metrics?metricnames=Throughput&aggregation=Maximum"
            "&timespan=2026-11-24T07:00:00Z/2026-11-25T07:00:00Z&interval=PT1H"
            "&metricnamespace=Microsoft.Network/azureFirewalls", api_version="2024-02-01")
    assert status == 200
    assert [s["name"]["value"] for s in body["value"]] == ["Throughput"]
    points = body["value"][0]["timeseries"][0]["data"]
    assert points and all(set(p) <= {"timeStamp", "maximum"} for p in points)
    assert any("maximum" in p for p in points)
    assert body["timespan"] == "2026-11-24T07:00:00Z/2026-11-25T07:00:00Z"
    assert body["namespace"] == "microsoft.network/azurefirewalls"
    assert body["resourceregion"] == "westeurope"


def test_metrics_of_a_missing_resource_is_404() -> None:
    with FakeArm(hub_fleet(1)) as fake:
        status, _, error = call(fake, f"{rg_id(SUB, 'rg-hub')}/providers/Microsoft.Network/azureFirewalls/gone"
                                      "/providers/Microsoft.Insights/metrics?metricnames=SNATPortUtilization")
    assert status == 404
    assert error["error"]["code"] == "ResourceNotFound"


def test_diagnostic_settings_list_holds_the_settings_under_that_resource() -> None:
    demo = load_demo()
    fw = demo_firewall_id()
    with FakeArm(demo.resources, demo.metrics) as fake:
        status, _, body = call(fake, f"{fw}/providers/Microsoft.Insights/diagnosticSettings", api_version="2021-05-01-preview")
        _, _, none = call(fake, f"{rg_id(SUB, 'rg-hub')}/providers/Microsoft.Network/virtualNetworks/vnet-hub"
                                "/providers/Microsoft.Insights/diagnosticSettings")
    assert status == 200
    assert [s["name"] for s in body["value"]] == ["diag-fw-hub"]
    assert none == {"value": []}


def test_from_exports_serves_the_demo_directory_and_its_metric_series() -> None:
    with FakeArm.from_exports(DEMO_DIR) as fake:
        _, _, body = call(fake, f"{demo_firewall_id()}/providers/Microsoft.Insights/metrics?metricnames=FirewallHealth")
    assert [s["name"]["value"] for s in body["value"]] == ["FirewallHealth"]
    assert SUB in fake.subscriptions


# ------------------------------------------------------------------------------------------ Resource Graph
def test_resource_graph_pages_rows_by_top_and_skip_token_in_id_order() -> None:
    with FakeArm(hub_fleet(5)) as fake:
        status, first = graph(fake, GRAPH_FIREWALLS, **{"$top": 3, "resultFormat": "objectArray"})
        _, second = graph(fake, GRAPH_FIREWALLS, **{"$top": 3, "$skipToken": first["$skipToken"]})
    assert status == 200
    assert (first["totalRecords"], first["count"], second["count"]) == (5, 3, 2)
    assert "$skipToken" not in second
    rows = first["data"] + second["data"]
    assert [r["name"] for r in rows] == ["fw-00", "fw-01", "fw-02", "fw-03", "fw-04"]
    assert {(r["type"], r["subscriptionId"], r["resourceGroup"], r["tenantId"]) for r in rows} == {
        ("microsoft.network/azurefirewalls", SUB, "rg-hub", "72f988bf-86f1-41af-91ab-2d7cd011db47")
    }
    assert first["resultTruncated"] == "false"


def test_resource_graph_serves_rule_collection_groups_from_networkresources_only() -> None:
    query = "{} | where type in~ ('microsoft.network/firewallpolicies/rulecollectiongroups') | order by id asc"
    with FakeArm(hub_fleet(1)) as fake:
        _, network = graph(fake, query.format("networkresources"))
        _, plain = graph(fake, query.format("resources"))
    assert [r["name"] for r in network["data"]] == ["rcg-aks-egress", "rcg-platform", "rcg-other"]
    assert plain["data"] == []


def test_resource_graph_returns_only_the_requested_subscriptions() -> None:
    with FakeArm(hub_fleet(2)) as fake:
        _, only_second = graph(fake, GRAPH_FIREWALLS, subscriptions=[SUB2])
        _, both = graph(fake, GRAPH_FIREWALLS, subscriptions=[SUB, SUB2])
    assert [r["name"] for r in only_second["data"]] == ["fw-spoke"]
    assert both["totalRecords"] == 3


def test_resource_graph_leaves_out_what_an_authorization_failure_hides() -> None:
    with FakeArm(hub_fleet(2), errors={f"/subscriptions/{SUB2}": 403}) as fake:
        _, reply = graph(fake, GRAPH_FIREWALLS, subscriptions=[SUB, SUB2])
    assert [r["subscriptionId"] for r in reply["data"]] == [SUB, SUB]


@pytest.mark.parametrize("query", [
    "resources | take 5",
    "resources | where type == 'microsoft.network/azurefirewalls'",
    "resources | where type in~ (microsoft.network/azurefirewalls) | order by id asc",
    "securityresources | where type in~ ('microsoft.network/azurefirewalls') | order by id asc",
    GRAPH_FIREWALLS + " | limit 3",
])
def test_resource_graph_rejects_any_other_kql_with_400(query: str) -> None:
    with FakeArm(hub_fleet(1)) as fake:
        status, reply = graph(fake, query)
    assert status == 400
    assert reply["error"]["details"][0]["code"] == "InvalidQuery"


# ------------------------------------------------------------------------------------- auth and faults
@pytest.mark.parametrize("token", [None, "stolen-secret-token"])
def test_a_missing_or_wrong_bearer_token_is_401_and_the_token_is_never_echoed(token: str | None) -> None:
    with FakeArm(hub_fleet(1)) as fake:
        status, _, error = call(fake, FW_LIST, token=token)
    assert status == 401
    assert error["error"]["code"] == "InvalidAuthenticationToken"
    assert "stolen" not in json.dumps(error)


def test_a_request_without_api_version_is_400() -> None:
    with FakeArm(hub_fleet(1)) as fake:
        status, _, error = call(fake, FW_LIST, api_version=None)
    assert status == 400
    assert error["error"]["code"] == "MissingApiVersionParameter"


def test_errors_answer_their_status_on_matching_paths_only() -> None:
    errors = {f"/subscriptions/{SUB2}/": 403, "firewallPolicies$": 500}
    with FakeArm(hub_fleet(1), errors=errors) as fake:
        denied, _, denied_body = call(fake, f"/subscriptions/{SUB2}/providers/Microsoft.Network/azureFirewalls")
        broken, _, broken_body = call(fake, f"/subscriptions/{SUB}/providers/Microsoft.Network/firewallPolicies")
        fine, _, _ = call(fake, FW_LIST)
    assert (denied, broken, fine) == (403, 500, 200)
    assert denied_body["error"]["code"] == "AuthorizationFailed"
    assert "Microsoft.Network/azureFirewalls/read" in denied_body["error"]["message"]
    assert f"/subscriptions/{SUB2}/providers/Microsoft.Network/azureFirewalls" in denied_body["error"]["message"]
    assert broken_body["error"]["code"] == "InternalServerError"


def test_throttle_answers_429_with_retry_after_that_many_times_per_path_then_serves() -> None:
    policies = f"/subscriptions/{SUB}/providers/Microsoft.Network/firewallPolicies"
    with FakeArm(hub_fleet(1), throttle={"Microsoft.Network/": 2}, retry_after=0.25) as fake:
        fw_statuses = [call(fake, FW_LIST)[0] for _ in range(3)]
        _, headers, body = call(fake, policies)
        policy_statuses = [call(fake, policies)[0] for _ in range(2)]
    assert fw_statuses == [429, 429, 200]
    assert policy_statuses == [429, 200]  # its own count: the firewall path's 429s did not use it up
    assert (headers["Retry-After"], headers["retry-after-ms"]) == ("0.25", "250")
    assert body["error"]["code"] == "TooManyRequests"
    assert fake.count("Microsoft.Network/", status=429) == 4


def test_latency_by_route_delays_only_matching_paths() -> None:
    with FakeArm(hub_fleet(1), latency_by_route={"firewallPolicies": 0.1}) as fake:
        started = time.monotonic()
        call(fake, FW_LIST)
        fast = time.monotonic() - started
        call(fake, f"/subscriptions/{SUB}/providers/Microsoft.Network/firewallPolicies")
        slow = time.monotonic() - started - fast
    assert fast < 0.08 and slow >= 0.1


def test_requests_record_method_path_query_and_status_and_count_filters_them() -> None:
    with FakeArm(hub_fleet(3), page_size=2) as fake:
        list_all(fake, FW_LIST)
        call(fake, FW_LIST, token="wrong")
    assert [(r.method, r.path, r.status) for r in fake.requests] == [("GET", FW_LIST, 200)] * 2 + [("GET", FW_LIST, 401)]
    assert fake.requests[1].query == {"api-version": "2026-03-01", "$skiptoken": "2"}
    assert fake.count("azurefirewalls$") == 3
    assert fake.count("azurefirewalls$", status=401) == 1
    assert fake.count("firewallPolicies") == 0


def test_max_in_flight_shows_requests_served_concurrently() -> None:
    with FakeArm(hub_fleet(1), latency=0.1) as fake:
        threads = [threading.Thread(target=call, args=(fake, FW_LIST)) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert fake.max_in_flight >= 2
    assert fake.count(status=200) == 4


def call_quietly(fake: FakeArm, path: str) -> None:
    """A request that stopping the server either answers early or cuts off (the client sees it drop)."""
    with contextlib.suppress(OSError):
        call(fake, path)


def test_stopping_is_prompt_even_when_a_client_hangs_or_a_request_sleeps() -> None:
    fake = FakeArm(hub_fleet(1), latency_by_route={"azureFirewalls": 30})
    with fake:
        host, port = fake.base_url.removeprefix("http://").split(":")
        hung = socket.create_connection((host, int(port)))
        hung.sendall(b"GET /subscriptions HTTP/1.1\r\nHost: x\r\n")  # headers never finished
        sleeper = threading.Thread(target=call_quietly, args=(fake, FW_LIST), daemon=True)
        sleeper.start()
        while fake.count("azureFirewalls") == 0:  # wait until the request is inside its injected latency
            time.sleep(0.005)
        started = time.monotonic()
    stop_time = time.monotonic() - started
    hung.close()
    sleeper.join(timeout=2)
    assert stop_time < 1.0
    assert not sleeper.is_alive()


# --------------------------------------------------------------------------------- the real Azure SDK
class _Credential:
    """The async credential protocol (AsyncTokenCredential): the token the fake accepts."""

    async def __aenter__(self) -> _Credential:
        return self

    async def __aexit__(self, *exc: object) -> None:
        return None

    async def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        return AccessToken(TOKEN, int(time.time()) + 3600)

    async def close(self) -> None:
        return None


class _AllowLoopbackHttp(SansIOHTTPPolicy):  # type: ignore[type-arg]
    """Lifts azure-core's https-only rule for bearer tokens, for the loopback fake."""

    def on_request(self, request: Any) -> None:
        request.context["enforce_https"] = False


def sdk_options(fake: FakeArm) -> dict[str, Any]:
    return {"base_url": fake.base_url, "per_call_policies": [_AllowLoopbackHttp()],
            "retry_total": 3, "retry_backoff_factor": 0.01}


async def test_network_sdk_follows_next_links_across_three_pages() -> None:
    from azure.mgmt.network.aio import NetworkManagementClient

    with FakeArm(hub_fleet(5), page_size=2) as fake:
        async with NetworkManagementClient(_Credential(), SUB, **sdk_options(fake)) as client:
            names = [fw.name async for fw in client.azure_firewalls.list_all()]
    assert names == ["fw-00", "fw-01", "fw-02", "fw-03", "fw-04"]
    assert [r.query.get("$skiptoken") for r in fake.requests] == [None, "2", "4"]
    assert all(r.status == 200 for r in fake.requests)


async def test_network_sdk_lists_rule_collection_groups_and_maps_404_to_not_found() -> None:
    from azure.mgmt.network.aio import NetworkManagementClient

    with FakeArm(hub_fleet(1), page_size=1) as fake:
        async with NetworkManagementClient(_Credential(), SUB, **sdk_options(fake)) as client:
            groups = [str(g.name) async for g in client.firewall_policy_rule_collection_groups.list("rg-hub", "fwpol-hub")]
            with pytest.raises(ResourceNotFoundError):
                await client.azure_firewalls.get("rg-hub", "fw-gone")
    assert sorted(groups) == ["rcg-aks-egress", "rcg-platform"]


async def test_containerservice_sdk_pages_managed_clusters_re_adding_its_api_version() -> None:
    from azure.mgmt.containerservice.aio import ContainerServiceClient

    clusters = [{
        "id": f"{rg_id(SUB, 'rg-aks')}/providers/Microsoft.ContainerService/managedClusters/aks-{i}",
        "name": f"aks-{i}", "type": "Microsoft.ContainerService/ManagedClusters", "location": "westeurope",
        "properties": {"kubernetesVersion": "1.33.2", "networkProfile": {"outboundType": "userDefinedRouting"}},
    } for i in range(3)]
    with FakeArm(clusters, page_size=2) as fake:
        async with ContainerServiceClient(_Credential(), SUB, **sdk_options(fake)) as client:
            found = [c async for c in client.managed_clusters.list()]
    assert [c.name for c in found] == ["aks-0", "aks-1", "aks-2"]
    assert found[0].network_profile.outbound_type == "userDefinedRouting"
    assert len(fake.requests) == 2


async def test_monitor_sdk_reads_metric_series() -> None:
    from azure.mgmt.monitor.aio import MonitorManagementClient

    demo = load_demo()
    with FakeArm(demo.resources, demo.metrics) as fake:
        async with MonitorManagementClient(_Credential(), SUB, **sdk_options(fake)) as client:
            reply = await client.metrics.list(
                demo_firewall_id(), timespan="2026-11-24T07:00:00Z/2026-11-25T07:00:00Z", interval="PT1H",
                metricnames="FirewallHealth,SNATPortUtilization", aggregation="Maximum,Average",
                metricnamespace="Microsoft.Network/azureFirewalls")
    series = reply.value or []
    assert [m.name.value for m in series] == ["FirewallHealth"]
    assert series[0].timeseries and series[0].timeseries[0].data
    assert series[0].timeseries[0].data[0].maximum == 100.0
    assert reply.resourceregion == "westeurope"


async def test_resource_graph_sdk_pages_with_skip_token() -> None:
    from azure.mgmt.resourcegraph.aio import ResourceGraphClient
    from azure.mgmt.resourcegraph.models import QueryRequest, QueryRequestOptions

    rows: list[Any] = []
    with FakeArm(hub_fleet(5)) as fake:
        async with ResourceGraphClient(_Credential(), **sdk_options(fake)) as client:
            skip_token = None
            while True:
                options = QueryRequestOptions(top=2, skip_token=skip_token, result_format="objectArray")
                reply = await client.resources(QueryRequest(subscriptions=[SUB, SUB2], query=GRAPH_FIREWALLS, options=options))
                rows += reply.data
                skip_token = reply.skip_token
                if not skip_token:
                    break
    # ordered by id: SUB2 ("/subscriptions/5d0e...") sorts before SUB ("/subscriptions/a3c1...")
    assert [r["name"] for r in rows] == ["fw-spoke", "fw-00", "fw-01", "fw-02", "fw-03", "fw-04"]
    assert fake.count("resourcegraph") == 3


async def test_subscription_sdk_lists_subscriptions_and_zonal_locations() -> None:
    from azure.mgmt.resource.subscriptions.aio import SubscriptionClient

    with FakeArm(hub_fleet(1), page_size=1) as fake:
        async with SubscriptionClient(_Credential(), **sdk_options(fake)) as client:
            subs = [s.subscription_id async for s in client.subscriptions.list()]
            locations = {loc.name: loc async for loc in client.subscriptions.list_locations(SUB)}
    assert subs == [SUB, SUB2]
    assert len(locations["westeurope"].availability_zone_mappings or []) == 3


async def test_sdk_retry_policy_recovers_from_429s_honouring_retry_after() -> None:
    from azure.mgmt.network.aio import NetworkManagementClient

    with FakeArm(hub_fleet(1), throttle={"azureFirewalls": 2}) as fake:
        async with NetworkManagementClient(_Credential(), SUB, **sdk_options(fake)) as client:
            names = [fw.name async for fw in client.azure_firewalls.list_all()]
    assert names == ["fw-00"]
    assert [r.status for r in fake.requests] == [429, 429, 200]


async def test_sdk_surfaces_an_authorization_failure_as_http_403() -> None:
    from azure.mgmt.network.aio import NetworkManagementClient

    with FakeArm(hub_fleet(1), errors={"azureFirewalls": 403}) as fake:
        async with NetworkManagementClient(_Credential(), SUB, **sdk_options(fake)) as client:
            with pytest.raises(HttpResponseError) as raised:
                _ = [fw async for fw in client.azure_firewalls.list_all()]
    assert raised.value.status_code == 403
    assert raised.value.error is not None and raised.value.error.code == "AuthorizationFailed"
