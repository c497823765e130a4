"""Property: taking evidence away never turns a finding into `pass` (DESIGN §6, "Reading evidence").

Over the demo and the realistic exports in tests/data/exports, hypothesis draws mutations from
tests/mutations.py (delete a key, null it, give it the wrong type, stub a resource, delete it where
something references it, list a resource, a child or a whole type as unreadable) and asserts that
no finding that was not `pass` becomes `pass`, except through a property on the documented
absent-means-none list. Bounded to keep `make test` quick; `python -m tests.mutations` runs every
mutation of every export (about 15,000, no violations at the time of writing).
"""

from __future__ import annotations

import functools

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aksfw_tui.audit import audit
from aksfw_tui.model.evidence import ABSENT_MEANS_NONE, absent_means_none
from aksfw_tui.sources.snapshot import ArmSnapshot
from tests import mutations as m

EXPORTS = ("demo", "classic-hub-spoke", "policy-landing-zones")
EXAMPLES = 150  # per export: about 1 s each on the 2-core CI machine


@functools.cache
def _export(name: str) -> tuple[ArmSnapshot, tuple[m.Mutation, ...], dict[tuple[str, str], str]]:
    snapshot = m.exports()[name]
    return snapshot, tuple(m.mutations(snapshot)), m.statuses(audit(snapshot)[1])


def test_the_realistic_exports_are_there_and_mixed() -> None:
    """The property means something only on exports whose findings are not all `pass`."""
    for name in EXPORTS:
        _, found, before = _export(name)
        assert len(found) > 3000, name
        assert {"pass", "fail", "unknown", "not_applicable"} <= set(before.values()), name


@pytest.mark.parametrize("name", EXPORTS)
@settings(max_examples=EXAMPLES, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_taking_evidence_away_never_makes_a_pass(name: str, data: st.DataObject) -> None:
    snapshot, found, before = _export(name)
    mutation = data.draw(st.sampled_from(found), label="mutation")
    violations = m.violations(snapshot, mutation, before)
    assert not violations, [(m.Mutation.describe(v.mutation, snapshot.resources), v.check_id,
                             v.subject, v.before, v.message) for v in violations]


@pytest.mark.parametrize("name", EXPORTS)
def test_every_stub_and_unreadable_resource_keeps_its_findings_off_pass(name: str) -> None:
    """The resource-level mutations exhaustively: few enough to run them all every time."""
    snapshot, found, before = _export(name)
    whole = [x for x in found if x.kind in ("stub", "unreadable-id", "unreadable-type",
                                             "unreadable-child", "drop-resource")]
    bad = [v for x in whole for v in m.violations(snapshot, x, before)]
    assert not bad, [(v.mutation.describe(snapshot.resources), v.check_id, v.subject) for v in bad]


def test_the_allowed_omissions_are_documented_and_matched_by_path() -> None:
    assert all(o.means and o.types and o.path for o in ABSENT_MEANS_NONE)
    subnet_route_table = ("properties", "subnets", 3, "properties", "routeTable")
    assert absent_means_none("Microsoft.Network/virtualNetworks", subnet_route_table)
    assert not absent_means_none("Microsoft.Network/virtualNetworks", ("properties", "subnets"))
    assert not absent_means_none("Microsoft.Network/routeTables", ("properties", "routes"))
