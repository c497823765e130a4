"""Live discovery end to end: the real CLI entry and the real async Azure SDK clients, pointed with
--arm-endpoint at the loopback fake ARM (tests/fake_arm.py) and signed in with --auth access-token,
exactly as a user's command line would be. The bundled demo, served live, must give the findings of
--demo; paging, Resource Graph, a forbidden subscription, throttling, a failing metrics call, the
saved snapshot and the token's secrecy are each pinned here. Plus the pieces that need no server:
endpoint rules, credentials, the metrics window, and how unreadable scopes meet the checks."""

from __future__ import annotations

import asyncio
import functools
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from aksfw_tui import cli
from aksfw_tui.audit import audit
from aksfw_tui.errors import InputError
from aksfw_tui.model import ids
from aksfw_tui.model.topology import Topology
from aksfw_tui.sources import credentials, live
from aksfw_tui.sources.demo import load_demo
from aksfw_tui.sources.live import LiveOptions, discover, discovery, parse_window, resolve_endpoint
from aksfw_tui.sources.live.arm import KINDS, LOCATIONS_API, is_location
from aksfw_tui.sources.live.graph import GRAPH_TYPES
from aksfw_tui.sources.snapshot import ArmSnapshot, Unreadable, resource_type
from tests import arm, fake_arm
from tests.fake_arm import FakeArm

TOKEN = "aksfw-e2e-secret-7Qm2xZ9vLk4pR8sT1wY6"  # distinctive: any leak is found by a plain search
DEMO = load_demo()
HUB = "a3c1f6e2-7b4d-4c19-8e5a-2f9d0b6c8e71"
SPOKE = "5d8e2b94-1f3a-4e6c-b7d0-9a2c4e6f8b13"
FW_ID = f"/subscriptions/{HUB}/resourceGroups/rg-hub/providers/Microsoft.Network/azureFirewalls/fw-hub"
METRICS_PATH = r"/azureFirewalls/fw-hub/providers/Microsoft\.Insights/metrics"
ARM_ZONES = "subscription locations from ARM"  # zone-spread's evidence when ARM's locations decided


# -- harness ---------------------------------------------------------------------------------------


@dataclass
class Run:
    code: int
    out: str
    err: str

    @property
    def document(self) -> dict[str, Any]:
        document: dict[str, Any] = json.loads(self.out)
        return document

    @property
    def findings(self) -> set[tuple[str, str, str]]:
        return triples(self.document)

    def finding(self, check_id: str, name: str) -> dict[str, Any]:
        return next(f for f in self.document["findings"]
                    if f["check_id"] == check_id and f["resource_name"] == name)


def triples(document: dict[str, Any]) -> set[tuple[str, str, str]]:
    return {(f["check_id"], f["resource_id"].lower(), f["status"]) for f in document["findings"]}


@pytest.fixture(autouse=True)
def signed_in(monkeypatch: pytest.MonkeyPatch) -> None:
    """The token in AZURE_ACCESS_TOKEN, no ambient subscription (env or az), and retries that back
    off in milliseconds: the production backoff (0.8 s doubling) would make a 500 take seconds."""
    monkeypatch.setenv(credentials.TOKEN_VARIABLE, TOKEN)
    monkeypatch.delenv(discovery.SUBSCRIPTION_VARIABLE, raising=False)
    monkeypatch.setattr(discovery, "cli_subscription", lambda: None)
    fast(monkeypatch)


def fast(monkeypatch: pytest.MonkeyPatch, **options: Any) -> None:
    """LiveOptions as the CLI builds them, with test-sized retry timings (and `options`)."""
    monkeypatch.setattr(live, "LiveOptions", functools.partial(
        LiveOptions, retry_total=3, retry_backoff_factor=0.005, retry_backoff_max=0.02, **options))


def served(**faults: Any) -> FakeArm:
    return FakeArm(DEMO.resources, DEMO.metrics, token=TOKEN, **faults)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> Run:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return Run(code, out, err)


def live_run(capsys: pytest.CaptureFixture[str], fake: FakeArm, *extra: str,
             subscriptions: tuple[str, ...] = (HUB, SPOKE)) -> Run:
    chosen = [a for s in subscriptions for a in ("--subscription", s)]
    return run(capsys, "--arm-endpoint", fake.base_url, "--auth", "access-token", "--headless", "--json",
               "--fail-on", "none", *chosen, *extra)


@pytest.fixture(scope="module")
def demo_findings() -> set[tuple[str, str, str]]:
    """What `--demo --headless --json` reports (the same load, audit and report calls)."""
    from aksfw_tui.report.json_report import report

    return triples(report(*audit(load_demo())))


def with_snat(peak: float) -> FakeArm:
    """The demo plus fw-hub's SNATPortUtilization series (the demo exports none)."""
    series = arm.snat_metric(FW_ID, [peak / 3, peak, peak / 2])
    return FakeArm(DEMO.resources, [*DEMO.metrics, series], token=TOKEN)


# -- the demo, served live -------------------------------------------------------------------------


def test_the_demo_served_live_gives_the_findings_of_demo(
        capsys: pytest.CaptureFixture[str], demo_findings: set[tuple[str, str, str]]) -> None:
    """Live, zone-spread asks ARM's subscription locations which regions have zones; --demo (which
    holds no location objects) asks the bundled table. They agree on the demo's region, westeurope,
    so the statuses are the same; only the evidence names a different source."""
    with served() as fake:
        result = live_run(capsys, fake)
    assert result.code == 0, result.err
    assert result.findings == demo_findings
    assert result.finding("zone-spread", "fw-hub")["evidence"]["zone_table"] == ARM_ZONES
    document = result.document
    assert document["unreadable"] == []
    assert document["source"]["kind"] == "live"
    assert document["source"]["subscriptions"] == [HUB, SPOKE]
    assert document["source"]["inventory"] == "arm"
    assert document["source"]["endpoint"] == fake.base_url


def test_discovery_reads_back_every_served_resource_byte_for_byte() -> None:
    """The SDK models' as_dict() is the REST JSON: nothing renamed, nothing dropped."""
    with served() as fake:
        snapshot = discover(LiveOptions(subscriptions=(HUB, SPOKE), auth="access-token",
                                        arm_endpoint=fake.base_url, headless=True))
    read = {ids.key(r["id"]): r for r in snapshot.resources}
    for resource in DEMO.resources:
        if resource_type(resource).lower() == "microsoft.operationalinsights/workspaces":
            assert ids.key(resource["id"]) not in read  # no check reads workspaces: not listed
            continue
        assert read[ids.key(resource["id"])] == resource, resource["id"]


def test_discovery_only_reads() -> None:
    """No PUT, PATCH, DELETE or provider registration: the only POST is the Resource Graph query."""
    fast_graph = functools.partial(LiveOptions, graph_threshold=0)
    with served() as fake:
        discover(fast_graph(subscriptions=(HUB, SPOKE), auth="access-token", arm_endpoint=fake.base_url))
        discover(LiveOptions(subscriptions=(HUB, SPOKE), auth="access-token", arm_endpoint=fake.base_url))
    writes = [(r.method, r.path) for r in fake.requests if r.method != "GET"]
    assert writes and all(path == "/providers/Microsoft.ResourceGraph/resources" for _, path in writes)


def test_lists_are_followed_over_many_pages(
        capsys: pytest.CaptureFixture[str], demo_findings: set[tuple[str, str, str]]) -> None:
    with served(page_size=1) as fake:
        result = live_run(capsys, fake)
    assert result.findings == demo_findings
    follow_ups = [r for r in fake.requests if "$skiptoken" in r.query]
    # Every list of n > 1 items costs n - 1 follow-up pages: the spoke alone has 2 VNets, 2 public
    # IPs, 2 NSGs, 2 load balancers and 2 clusters; the hub 2 policies and 2 public IPs.
    assert len(follow_ups) >= 7
    assert {r.status for r in follow_ups} == {200}


def test_hub_and_spoke_in_two_subscriptions_are_joined(capsys: pytest.CaptureFixture[str]) -> None:
    """aks-prod (spoke subscription) egresses through fw-hub (hub subscription): the route's next hop
    is resolved across the two subscriptions' reads."""
    with served() as fake:
        result = live_run(capsys, fake)
    assert fake.count(f"^/subscriptions/{HUB}/") and fake.count(f"^/subscriptions/{SPOKE}/")
    outbound = result.finding("outbound-type", "aks-prod")
    assert outbound["status"] == "pass"
    assert ids.subscription_of(outbound["resource_id"]) == SPOKE
    assert "fw-hub" in outbound["message"]


def test_resource_graph_inventory_gives_the_same_findings(
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
        demo_findings: set[tuple[str, str, str]]) -> None:
    fast(monkeypatch, graph_threshold=1, graph_page_size=4)
    with served() as fake:
        result = live_run(capsys, fake)
    assert result.findings == demo_findings
    assert result.document["source"]["inventory"] == "resource-graph"
    queried = {t.lower() for t in GRAPH_TYPES}
    rows = sum(1 for r in DEMO.resources if resource_type(r).lower() in queried)
    groups = sum(1 for r in DEMO.resources if resource_type(r).lower().endswith("/rulecollectiongroups"))
    pages = -(-rows // 4) + -(-groups // 4)  # each query's pages, chained by $skipToken
    assert fake.count("ResourceGraph/resources") == pages
    # What Resource Graph holds is not also listed through ARM.
    for kind in KINDS:
        assert fake.count(f"^/subscriptions/[^/]+/providers/{kind.type}$") == 0


def test_a_failing_resource_graph_falls_back_to_arm_lists(
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
        demo_findings: set[tuple[str, str, str]]) -> None:
    fast(monkeypatch, graph_threshold=1)
    with served(errors={"ResourceGraph": 500}) as fake:
        result = live_run(capsys, fake)
    assert result.findings == demo_findings
    assert result.document["unreadable"] == []
    assert result.document["source"]["inventory"] == "arm"
    assert "aksfw-tui: note: Resource Graph query on resources failed (500 InternalServerError: " in result.err
    assert fake.count(f"^/subscriptions/{SPOKE}/providers/Microsoft.Network/virtualNetworks$") == 1
    # one subscription's locations stand for all with Resource Graph; not asked again by the fallback
    assert fake.count("/locations$") == 1


# -- which regions have zones: the subscriptions' locations ----------------------------------------


def test_each_subscriptions_locations_are_read_once_and_decide_zone_spread(
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """Served locations that map no zones in westeurope make every zone-spread subject there
    not_applicable, though the bundled table lists westeurope: ARM's answer is authoritative."""
    unzoned = tuple((name, display, geography, zoned and name != "westeurope")
                    for name, display, geography, zoned in fake_arm._LOCATIONS)
    monkeypatch.setattr(fake_arm, "_LOCATIONS", unzoned)
    with served() as fake:
        result = live_run(capsys, fake)
    calls = [r for r in fake.requests if r.path.endswith("/locations")]
    assert sorted(r.path for r in calls) == sorted(f"/subscriptions/{s}/locations" for s in (HUB, SPOKE))
    assert {r.query["api-version"] for r in calls} == {LOCATIONS_API}
    zone_spread = [f for f in result.document["findings"] if f["check_id"] == "zone-spread"]
    assert {f["resource_name"] for f in zone_spread} == {"fw-hub", "aks-prod", "aks-dev"}
    for finding in zone_spread:
        assert finding["status"] == "not_applicable", finding["resource_name"]
        assert finding["message"] == ("region westeurope has no availability zones (per the "
                                      "subscription locations from ARM)")


def test_resource_graph_inventory_reads_the_locations_through_arm(
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    fast(monkeypatch, graph_threshold=1)
    with served() as fake:
        result = live_run(capsys, fake)
    assert result.document["source"]["inventory"] == "resource-graph"
    assert fake.count("/locations$") == 1  # zones are a region's property: one list stands for all
    assert result.finding("zone-spread", "aks-prod")["evidence"]["zone_table"] == ARM_ZONES


def test_unreadable_locations_are_scoped_to_themselves_and_zone_spread_uses_the_bundled_table(
        capsys: pytest.CaptureFixture[str], demo_findings: set[tuple[str, str, str]]) -> None:
    """Both subscriptions' locations refused: one unreadable entry each, no other check made unknown
    (dns-proxy asks for scopes that might hold VNets: a locations list holds none), and zone-spread
    falls back to the bundled table, saying why."""
    with served(errors={"^/subscriptions/[^/]+/locations$": 403}) as fake:
        result = live_run(capsys, fake)
    assert result.code == 0, result.err
    assert [u["scope"] for u in result.document["unreadable"]] == [
        f"/subscriptions/{SPOKE}/locations", f"/subscriptions/{HUB}/locations"]  # in id order
    assert all(u["reason"].startswith("locations: 403 AuthorizationFailed: ")
               for u in result.document["unreadable"])
    assert result.findings == demo_findings
    origin = result.finding("zone-spread", "fw-hub")["evidence"]["zone_table"]
    assert origin.startswith("bundled table of Microsoft's regions list as of ")
    assert f"; the subscription locations could not be read (/subscriptions/{SPOKE}/locations: " in origin
    assert f"{HUB}: locations: unreadable: 403 AuthorizationFailed" in result.err


def test_one_subscriptions_locations_suffice(capsys: pytest.CaptureFixture[str],
                                             demo_findings: set[tuple[str, str, str]]) -> None:
    with served(errors={f"^/subscriptions/{HUB}/locations$": 500}) as fake:
        result = live_run(capsys, fake)
    (entry,) = result.document["unreadable"]
    assert entry["scope"] == f"/subscriptions/{HUB}/locations"
    assert result.findings == demo_findings
    assert result.finding("zone-spread", "fw-hub")["evidence"]["zone_table"] == ARM_ZONES


# -- partial failure -------------------------------------------------------------------------------


def test_a_forbidden_subscription_is_reported_and_the_other_audited(capsys: pytest.CaptureFixture[str]) -> None:
    with served(errors={f"^/subscriptions/{HUB}": 403}) as fake:
        result = live_run(capsys, fake, "--fail-on", "high")
    assert result.code == 1, result.err  # aks-dev's outbound type fails (high); never 3: the spoke was read
    (entry,) = result.document["unreadable"]
    assert entry["scope"] == f"/subscriptions/{HUB}"
    assert entry["reason"].startswith("403 AuthorizationFailed: all 13 resource lists failed")
    assert result.finding("outbound-type", "aks-dev")["status"] == "fail"
    # The spoke routes to 10.0.1.4, in the hub VNet nobody could read: unknown, never pass.
    aks_prod = {f["check_id"]: f for f in result.document["findings"] if f["resource_name"] == "aks-prod"}
    for check in ("outbound-type", "required-egress", "fqdn-tag-rule", "network-rule-bypass"):
        assert aks_prod[check]["status"] == "unknown", check
        assert "10.0.1.4 lies outside every VNet" in aks_prod[check]["message"]
    assert not [f for f in result.document["findings"] if f["resource_name"] == "fw-hub"]
    assert f"{HUB}: Microsoft.Network/azureFirewalls: unreadable: 403 AuthorizationFailed" in result.err


def test_a_forbidden_resource_type_makes_the_checks_that_need_it_unknown(
        capsys: pytest.CaptureFixture[str]) -> None:
    """A type-level failure is scoped to the type in its subscription: every load balancer there
    is unseen, so the clusters' public entries cannot be told; the routes were read."""
    with served(errors={f"^/subscriptions/{SPOKE}/providers/Microsoft.Network/loadBalancers$": 403}) as fake:
        result = live_run(capsys, fake)
    (entry,) = result.document["unreadable"]
    assert entry["scope"] == f"/subscriptions/{SPOKE}/providers/Microsoft.Network/loadBalancers"
    assert entry["reason"].startswith("Microsoft.Network/loadBalancers: 403 AuthorizationFailed")
    waf = result.finding("waf-in-front", "aks-prod")
    assert waf["status"] == "unknown"  # a fail with every load balancer seen
    assert "load balancers in node resource group MC_rg-spoke_aks-prod_westeurope could not be read" in waf["message"]
    assert result.finding("outbound-type", "aks-prod")["status"] == "pass"  # routes were read


def test_throttling_storms_recover(capsys: pytest.CaptureFixture[str],
                                  demo_findings: set[tuple[str, str, str]]) -> None:
    storm = {r"^/subscriptions/[^/]+/providers/": 3}
    with served(throttle=storm) as fake:
        result = live_run(capsys, fake)
    assert result.findings == demo_findings
    assert result.document["unreadable"] == []
    lists = len({r.path.lower() for r in fake.requests if r.status == 429})
    assert lists == 2 * len(KINDS)  # every subscription-wide list, throttled 3 times each
    assert fake.count("", status=429) == 3 * lists


def test_retry_after_is_honoured() -> None:
    """azure-core's retry policy waits what the 429 asked for (the test backoff is milliseconds)."""
    with served(throttle={f"^/subscriptions/{SPOKE}/providers/Microsoft.Network/routeTables": 1},
                retry_after=0.3) as fake:
        discover(live.LiveOptions(subscriptions=(SPOKE,), auth="access-token", arm_endpoint=fake.base_url))
    throttled, retried = [r for r in fake.requests if r.path.endswith("/routeTables")]
    assert (throttled.status, retried.status) == (429, 200)
    assert retried.started - throttled.ended >= 0.25


def test_throttling_that_never_ends_leaves_one_type_unreadable(capsys: pytest.CaptureFixture[str]) -> None:
    with served(throttle={f"^/subscriptions/{SPOKE}/providers/Microsoft.Network/networkSecurityGroups": 99}) \
            as fake:
        result = live_run(capsys, fake)
    assert result.code == 0
    (entry,) = result.document["unreadable"]
    assert entry["scope"] == f"/subscriptions/{SPOKE}/providers/Microsoft.Network/networkSecurityGroups"
    assert entry["reason"].startswith("Microsoft.Network/networkSecurityGroups: 429 TooManyRequests: ")
    assert fake.count("networkSecurityGroups", status=429) == 4  # the first try and 3 retries
    assert result.finding("outbound-type", "aks-dev")["status"] == "fail"


def test_a_failing_metrics_call_makes_snat_unknown(capsys: pytest.CaptureFixture[str]) -> None:
    with with_snat(peak=35.0) as fake:
        healthy = live_run(capsys, fake)
    snat = healthy.finding("snat-utilisation", "fw-hub")
    assert snat["status"] == "pass"
    assert "peak SNATPortUtilization 35 % (maximum at 2026-11-23T01:00:00Z)" in snat["message"]

    failing = with_snat(peak=35.0)
    failing.errors = {METRICS_PATH: 500}
    with failing as fake:
        result = live_run(capsys, fake)
    assert result.code == 0
    snat = result.finding("snat-utilisation", "fw-hub")
    assert snat["status"] == "unknown"
    assert snat["message"].startswith("no metrics: no SNATPortUtilization data points for fw-hub")
    (entry,) = result.document["unreadable"]
    assert entry["scope"] == f"{FW_ID}/providers/Microsoft.Insights/metrics"
    assert entry["reason"].startswith("500 InternalServerError: ")
    assert fake.count("metrics", status=500) == 4  # retried, then given up
    assert result.finding("firewall-diagnostics", "fw-hub")["status"] == "pass"  # its own call succeeded


def test_unreadable_diagnostic_settings_are_unknown_not_missing(capsys: pytest.CaptureFixture[str]) -> None:
    with served(errors={r"/azureFirewalls/fw-hub/providers/Microsoft\.Insights/diagnosticSettings": 403}) \
            as fake:
        result = live_run(capsys, fake)
    diagnostics = result.finding("firewall-diagnostics", "fw-hub")
    assert diagnostics["status"] == "unknown"
    assert "the diagnostic settings of fw-hub could not be read" in diagnostics["message"]
    assert "403 AuthorizationFailed" in diagnostics["message"]


# -- the snapshot ------------------------------------------------------------------------------------


def test_the_saved_snapshot_reads_back_to_identical_findings(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    saved = tmp_path / "snapshot.json"
    failing = with_snat(peak=91.0)
    failing.errors = {f"^/subscriptions/{SPOKE}/providers/Microsoft.Network/natGateways": 403}
    with failing as fake:
        first = live_run(capsys, fake, "--save-snapshot", str(saved))
    again = run(capsys, "--from-export", str(saved), "--headless", "--json", "--fail-on", "none")
    assert again.code == first.code == 0
    assert again.document["findings"] == first.document["findings"]
    assert again.document["unreadable"] == first.document["unreadable"] != []
    assert first.finding("snat-utilisation", "fw-hub")["status"] == "fail"
    document = json.loads(saved.read_text(encoding="utf-8"))
    assert set(document) == {"value", "unreadable"}
    assert {resource_type(r) for r in document["value"]} >= {"Microsoft.Insights/metrics",
                                                             "Microsoft.Network/azureFirewalls"}
    # The subscriptions' locations travel with it, as ARM sent them: --from-export decides zones alike.
    saved_locations = [r for r in document["value"] if is_location(r)]
    assert len(saved_locations) == 2 * len(fake_arm._LOCATIONS)
    assert {r["type"] for r in saved_locations} == {"Region"}
    assert again.finding("zone-spread", "fw-hub")["evidence"]["zone_table"] == ARM_ZONES


def test_the_token_never_leaves_the_process(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    saved = tmp_path / "snapshot.json"
    faults = {f"^/subscriptions/{SPOKE}/providers/Microsoft.Network/routeTables": 403, METRICS_PATH: 500}
    with served(errors=faults) as fake:
        result = live_run(capsys, fake, "--save-snapshot", str(saved))
    with served() as fake:
        json_less = run(capsys, "--arm-endpoint", fake.base_url, "--auth", "access-token", "--headless",
                        "--subscription", SPOKE, "--fail-on", "none")
    with FakeArm(DEMO.resources, token="a-different-token") as fake:
        rejected = live_run(capsys, fake)
    assert result.document["unreadable"] and rejected.code == 3
    for text in (result.out, result.err, json_less.out, json_less.err, rejected.out, rejected.err,
                 saved.read_text(encoding="utf-8")):
        assert TOKEN not in text


def test_a_server_that_echoes_the_token_is_redacted() -> None:
    guarded = credentials.GuardedCredential(credentials.AccessTokenCredential(TOKEN))

    async def sign_in() -> str:
        token = await guarded.get_token("https://management.azure.com/.default")
        return str(token.token)

    assert asyncio.run(sign_in()) == TOKEN
    assert guarded.redact(f"401: token {TOKEN} is expired") == "401: token [redacted] is expired"
    assert TOKEN not in repr(guarded) and TOKEN not in repr(credentials.AccessTokenCredential(TOKEN))


# -- nothing readable, and choosing subscriptions ----------------------------------------------------


def test_a_rejected_token_is_exit_3(capsys: pytest.CaptureFixture[str]) -> None:
    with FakeArm(DEMO.resources, token="a-different-token") as fake:
        result = live_run(capsys, fake)
    assert result.code == 3 and result.out == ""
    line = result.err.strip().splitlines()[-1]
    assert line.startswith("aksfw-tui: error: nothing could be read: /subscriptions/")
    assert "401 InvalidAuthenticationToken: The access token is missing or invalid." in line


def test_every_subscription_forbidden_is_exit_3(capsys: pytest.CaptureFixture[str]) -> None:
    with served(errors={"^/subscriptions/": 403}) as fake:
        result = live_run(capsys, fake)
    assert result.code == 3 and result.out == ""
    line = result.err.strip().splitlines()[-1]
    assert line.startswith(f"aksfw-tui: error: nothing could be read: /subscriptions/{SPOKE}: 403 "
                           "AuthorizationFailed: all 13 resource lists failed")  # scopes in id order
    assert f"; /subscriptions/{HUB}: 403 AuthorizationFailed: all 13 resource lists failed" in line


def test_no_readable_subscription_is_exit_3(capsys: pytest.CaptureFixture[str]) -> None:
    with FakeArm([], token=TOKEN) as fake:
        result = run(capsys, "--arm-endpoint", fake.base_url, "--auth", "access-token", "--headless",
                     "--all-subscriptions")
    assert result.code == 3
    assert result.err.strip() == "aksfw-tui: error: no subscription is readable with these credentials"


def test_several_readable_subscriptions_without_a_choice_are_listed(capsys: pytest.CaptureFixture[str]) -> None:
    with served() as fake:
        result = run(capsys, "--live", "--arm-endpoint", fake.base_url, "--auth", "access-token", "--headless")
    assert result.code == 2 and result.out == ""
    assert result.err.strip() == (
        "aksfw-tui: error: 2 subscriptions are readable; choose with --subscription ID (repeatable) or "
        f"--all-subscriptions: {HUB} (sub-a3c1f6e2); {SPOKE} (sub-5d8e2b94)")


def test_the_only_readable_subscription_is_used(capsys: pytest.CaptureFixture[str]) -> None:
    spoke_only = [r for r in DEMO.resources if ids.subscription_of(r["id"]) == SPOKE]
    with FakeArm(spoke_only, token=TOKEN) as fake:
        result = run(capsys, "--live", "--arm-endpoint", fake.base_url, "--auth", "access-token",
                     "--headless", "--json", "--fail-on", "none")
    assert result.code == 0, result.err
    assert result.document["source"]["subscriptions"] == [SPOKE]


def test_azure_subscription_id_chooses_the_subscription(
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AZURE_SUBSCRIPTION_ID", SPOKE)
    with served() as fake:
        result = run(capsys, "--live", "--arm-endpoint", fake.base_url, "--auth", "access-token",
                     "--headless", "--json", "--fail-on", "none")
    assert result.document["source"]["subscriptions"] == [SPOKE]
    assert fake.count(f"^/subscriptions/{HUB}") == 0


def test_all_subscriptions_reads_every_listed_one(capsys: pytest.CaptureFixture[str],
                                                  demo_findings: set[tuple[str, str, str]]) -> None:
    with served() as fake:
        result = run(capsys, "--all-subscriptions", "--arm-endpoint", fake.base_url, "--auth", "access-token",
                     "--headless", "--json", "--fail-on", "none")
    assert result.document["source"]["subscriptions"] == [HUB, SPOKE]
    assert result.findings == demo_findings


def test_resource_graph_reports_a_forbidden_subscription(
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """Resource Graph leaves out what the caller may not read, silently: each subscription is also
    read once through ARM so the report says which one is missing."""
    fast(monkeypatch, graph_threshold=1)
    with served(errors={f"^/subscriptions/{HUB}": 403}) as fake:
        result = live_run(capsys, fake)
    (entry,) = result.document["unreadable"]
    assert entry["scope"] == f"/subscriptions/{HUB}"
    assert entry["reason"].startswith("403 AuthorizationFailed: ")
    assert result.finding("outbound-type", "aks-prod")["status"] == "unknown"


# -- flags -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("endpoint", ["http://10.1.2.3:8080", "http://management.example.com"])
def test_plain_http_is_refused_off_loopback(capsys: pytest.CaptureFixture[str], endpoint: str) -> None:
    result = run(capsys, "--subscription", SPOKE, "--arm-endpoint", endpoint, "--auth", "access-token",
                 "--headless")
    assert result.code == 2
    assert result.err.strip() == (
        f"aksfw-tui: error: --arm-endpoint {endpoint}: plain http:// is accepted only for loopback "
        "addresses (127.0.0.0/8, ::1, localhost); bearer tokens must not cross a network unencrypted, "
        "use https://")


def test_loopback_and_private_cloud_endpoints() -> None:
    for url in ("http://127.0.0.1:8080", "http://127.8.9.10:1", "http://[::1]:443/", "http://localhost:5"):
        endpoint = resolve_endpoint("AzureCloud", url)
        assert endpoint.plain_http and endpoint.base_url == url.rstrip("/")
    stack = resolve_endpoint("AzureCloud", "https://management.local.azurestack.external/")
    assert (stack.base_url, stack.scope, stack.plain_http) == (
        "https://management.local.azurestack.external", "https://management.local.azurestack.external/.default",
        False)
    china = resolve_endpoint("AzureChinaCloud")
    assert (china.base_url, china.scope, china.authority) == (
        "https://management.chinacloudapi.cn", "https://management.chinacloudapi.cn/.default",
        "login.chinacloudapi.cn")
    with pytest.raises(InputError, match="expected an https:// URL"):
        resolve_endpoint("AzureCloud", "ftp://127.0.0.1")


@pytest.mark.parametrize("method", ["device-code", "browser"])
def test_interactive_sign_in_is_refused_headless(capsys: pytest.CaptureFixture[str], method: str) -> None:
    result = run(capsys, "--subscription", SPOKE, "--auth", method, "--headless")
    assert result.code == 2
    assert result.err.strip() == (
        f"aksfw-tui: error: --auth {method} needs a person to sign in and cannot run headless; use one of "
        "default, cli, env, workload-identity, managed-identity, access-token")


def test_access_token_sign_in_needs_its_variable(capsys: pytest.CaptureFixture[str],
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(credentials.TOKEN_VARIABLE)
    result = run(capsys, "--subscription", SPOKE, "--auth", "access-token", "--headless")
    assert result.code == 2
    assert "--auth access-token reads the bearer token from AZURE_ACCESS_TOKEN, which is not set" in result.err


def test_bad_subscription_ids_and_source_conflicts_are_usage_errors(capsys: pytest.CaptureFixture[str]) -> None:
    result = run(capsys, "--subscription", "../../providers", "--headless")
    assert result.code == 2 and "subscription '../../providers': expected a subscription id" in result.err
    with pytest.raises(SystemExit):
        cli.main(["--demo", "--subscription", SPOKE])
    with pytest.raises(SystemExit):
        cli.main(["--subscription", SPOKE, "--all-subscriptions"])
    assert "not with --demo or --from-export" in capsys.readouterr().err


def test_json_is_one_document_on_stdout_and_progress_goes_to_stderr(capsys: pytest.CaptureFixture[str]) -> None:
    with served() as fake:
        loud = live_run(capsys, fake)
        quiet = live_run(capsys, fake, "--quiet")
    assert loud.document["schema"] == "aksfw-tui/report/v1"  # parses: one document, nothing else
    assert f"aksfw-tui: {SPOKE}: Microsoft.ContainerService/managedClusters: 2" in loud.err
    assert "aksfw-tui: fw-hub" not in loud.err  # events name the subscription first
    assert f"aksfw-tui: {HUB}: fw-hub diagnostic settings: 1" in loud.err
    assert f"aksfw-tui: {HUB}: locations: {len(fake_arm._LOCATIONS)}" in loud.err
    assert loud.err.strip().splitlines()[-1] == ("aksfw-tui: read 27 resources, 0 metric series and "
                                                 f"{2 * len(fake_arm._LOCATIONS)} locations; "
                                                 "0 scope(s) unreadable")
    assert quiet.err == "" and quiet.document["findings"] == loud.document["findings"]


def test_the_app_gets_a_live_source_that_discovers_on_load() -> None:
    with served() as fake:
        args = cli.build_parser().parse_args(["--subscription", SPOKE, "--arm-endpoint", fake.base_url,
                                              "--auth", "access-token"])
        source = cli._source(args, headless=False)
        assert (source.kind, source.label) == ("live", f"live · {SPOKE}")
        assert fake.requests == []  # nothing is read until the app's worker loads it
        snapshot = source.load()
    assert snapshot.source["subscriptions"] == [SPOKE] and snapshot.resources


def test_requests_in_flight_stay_within_the_bound() -> None:
    with served(latency=0.02) as fake:
        discover(LiveOptions(subscriptions=(HUB, SPOKE), auth="access-token", arm_endpoint=fake.base_url,
                             concurrency=3))
    assert 2 <= fake.max_in_flight <= 3


def test_metrics_windows() -> None:
    assert parse_window("24h").total_seconds() == 86_400
    assert parse_window("90m").total_seconds() == 5_400
    assert parse_window("7d").days == 7
    assert parse_window("PT24H").total_seconds() == 86_400
    assert parse_window("P1DT12H").total_seconds() == 129_600
    for bad in ("0h", "94d", "soon", "P", "-1h"):
        with pytest.raises(InputError, match="--metrics-window"):
            parse_window(bad)


def test_the_metrics_window_reaches_monitor(capsys: pytest.CaptureFixture[str]) -> None:
    with served() as fake:
        live_run(capsys, fake, "--metrics-window", "90m")
    (call,) = [r for r in fake.requests if r.path.endswith("/metrics")]
    start, end = (s.replace("Z", "+00:00") for s in call.query["timespan"].split("/"))
    from datetime import datetime

    assert (datetime.fromisoformat(end) - datetime.fromisoformat(start)).total_seconds() == 5_400
    assert (call.query["metricnames"], call.query["aggregation"], call.query["interval"]) == (
        "SNATPortUtilization", "Maximum,Average", "PT5M")


# -- pieces without a server ---------------------------------------------------------------------------


def test_a_jwt_access_token_is_reused_until_its_expiry() -> None:
    import base64

    claims = base64.urlsafe_b64encode(json.dumps({"exp": 1_900_000_000}).encode()).decode().rstrip("=")
    token = credentials.AccessTokenCredential(f"eyJhbGciOiJub25lIn0.{claims}.c2ln")

    async def expiry() -> int:
        return int((await token.get_token("scope")).expires_on)

    assert asyncio.run(expiry()) == 1_900_000_000


def test_an_unregistered_provider_is_an_empty_list() -> None:
    """409 MissingSubscriptionRegistration: the subscription cannot hold that provider's resources."""
    from azure.core.exceptions import HttpResponseError

    from aksfw_tui.sources.live.run import _unregistered_is_empty

    def refused(code: str) -> HttpResponseError:
        error = HttpResponseError(message=code)
        error.status_code = 409
        error.error = type("Detail", (), {"code": code, "message": "not registered"})()  # type: ignore[assignment]
        return error

    async def listing(code: str) -> list[dict[str, Any]]:
        async def fails() -> list[dict[str, Any]]:
            raise refused(code)

        return await _unregistered_is_empty(fails())

    assert asyncio.run(listing("MissingSubscriptionRegistration")) == []
    with pytest.raises(HttpResponseError):
        asyncio.run(listing("Conflict"))


@pytest.fixture
def topology() -> Iterator[Topology]:
    yield Topology(ArmSnapshot(resources=list(DEMO.resources)))


def test_each_scope_discovery_writes_covers_exactly_what_it_could_not_read(topology: Topology) -> None:
    """Topology.unreadable_scope_of matches by id prefix; the scopes discovery writes are prefixes of
    the ids the failed call would have returned."""
    policy = next(p for p in topology.policies if p.name == "fwpol-hub")
    group_id = f"{policy.id}/ruleCollectionGroups/rcg-aks-egress"
    zone = next(r["id"] for r in DEMO.resources if resource_type(r) == "Microsoft.Network/privateDnsZones")
    cases = {
        f"/subscriptions/{SPOKE}": (f"/subscriptions/{SPOKE}/resourceGroups/mc_rg-spoke_aks-prod_westeurope",
                                    FW_ID),
        f"{FW_ID}/providers/Microsoft.Insights/diagnosticSettings":
            (f"{FW_ID}/providers/Microsoft.Insights/diagnosticSettings", FW_ID),
        f"{policy.id}/ruleCollectionGroups": (group_id, policy.id),
        f"{zone}/A": (f"{zone}/A/aks-prod-7f3c2b1a", f"{zone}/virtualNetworkLinks/x"),
        f"{FW_ID}/providers/Microsoft.Insights/metrics":
            (f"{FW_ID}/providers/Microsoft.Insights/metrics/SNATPortUtilization", FW_ID),
    }
    for scope, (covered, outside) in cases.items():
        topology.unreadable = [Unreadable(scope, "403 AuthorizationFailed")]
        assert topology.unreadable_scope_of(covered) is not None, scope
        assert topology.unreadable_scope_of(outside) is None, scope


# -- shared-code gaps live data exposes (see the live helper's report) -------------------------------


def test_dns_proxy_is_not_passed_when_the_spoke_subscription_is_unreadable(
        capsys: pytest.CaptureFixture[str]) -> None:
    with served(errors={f"^/subscriptions/{SPOKE}": 403}) as fake:
        result = live_run(capsys, fake)
    assert result.finding("dns-proxy", "fw-hub")["status"] != "pass"


def test_an_unreadable_firewall_list_does_not_fail_outbound_type(capsys: pytest.CaptureFixture[str]) -> None:
    with served(errors={f"^/subscriptions/{HUB}/providers/Microsoft.Network/azureFirewalls$": 403}) as fake:
        result = live_run(capsys, fake)
    assert result.finding("outbound-type", "aks-prod")["status"] == "unknown"
