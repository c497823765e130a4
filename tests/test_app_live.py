"""The app on live discovery: the loading screen shows each list as it is read and what could not
be, then the dashboard, through the loopback fake ARM and the real SDK clients."""

from __future__ import annotations

import pytest
from textual.widgets import Log, Static

from aksfw_tui.app import AuditApp
from aksfw_tui.audit import Source
from aksfw_tui.screens.dashboard import DashboardScreen
from aksfw_tui.screens.loading import LoadingScreen
from aksfw_tui.sources.live import LiveOptions, discover
from tests.fake_arm import FakeArm
from tests.test_live import DEMO, HUB, SPOKE, TOKEN


async def test_discovery_progress_then_the_dashboard(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AZURE_ACCESS_TOKEN", TOKEN)
    seen: list[str] = []
    with FakeArm(DEMO.resources, DEMO.metrics, token=TOKEN,
                 errors={r"/azureFirewalls/fw-hub/providers/Microsoft\.Insights/metrics": 500}) as fake:
        options = LiveOptions(subscriptions=(HUB, SPOKE), auth="access-token", arm_endpoint=fake.base_url,
                              retry_total=1, retry_backoff_factor=0.01)
        app = AuditApp(Source("live", "live · 2 subscriptions", lambda: discover(options),
                              load_with_progress=lambda tell: discover(options, tell)))

        original = LoadingScreen.detail

        def spy(screen: LoadingScreen, event: object) -> None:
            original(screen, event)
            seen.append(str(screen.query_one("#discovery-counts", Static).render()))
            seen.extend(screen.query_one("#discovery", Log).lines[-1:])

        monkeypatch.setattr(LoadingScreen, "detail", spy)
        async with app.run_test(size=(120, 40)) as pilot:
            await app.workers.wait_for_complete()
            await pilot.pause()
            assert isinstance(app.screen, DashboardScreen)
            assert app.run_result is not None
            unreadable = app.run_result.topology.unreadable
    assert any("lists read" in line for line in seen)
    assert any(line.startswith("✘ ") and "metrics" in line.lower() for line in seen)
    assert any("Microsoft.Insights/metrics" in u.scope for u in unreadable)
    assert TOKEN not in "\n".join(seen)


async def test_the_dashboard_says_what_could_not_be_read() -> None:
    from aksfw_tui.sources.snapshot import Unreadable

    def load():  # type: ignore[no-untyped-def]
        snapshot = DEMO.__class__(resources=list(DEMO.resources), metrics=[], source={"kind": "live"})
        snapshot.unreadable.append(Unreadable(f"/subscriptions/{HUB}/resourceGroups/rg-hub/providers/"
                                              "Microsoft.Network/azureFirewalls/fw-hub/providers/"
                                              "Microsoft.Insights/metrics", "500 InternalServerError"))
        return snapshot

    app = AuditApp(Source("live", "live", load))
    async with app.run_test(size=(120, 40)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        text = str(app.screen.query_one("#unreadable", Static).render())
    assert text.startswith("? could not read 1 scope(s)")
    assert "Microsoft.Insights/metrics: 500 InternalServerError" in text
