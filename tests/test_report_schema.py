"""The JSON report validates against the published schema, for the demo and for edge cases."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import jsonschema
import pytest

from aksfw_tui.audit import audit
from aksfw_tui.report.json_report import SCHEMA_PATH, report
from aksfw_tui.sources.snapshot import ArmSnapshot, Unreadable
from tests import arm

SCHEMA = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA, format_checker=jsonschema.FormatChecker())


def _errors(document: dict[str, Any]) -> list[str]:
    return [f"{list(e.absolute_path)}: {e.message}" for e in VALIDATOR.iter_errors(document)]


def test_the_schema_itself_is_valid() -> None:
    jsonschema.Draft202012Validator.check_schema(SCHEMA)


def test_demo_json_output_validates_and_is_the_only_thing_on_stdout() -> None:
    done = subprocess.run([sys.executable, "-m", "aksfw_tui", "--demo", "--headless", "--json",
                           "--fail-on", "none"], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    document = json.loads(done.stdout)  # raises if anything but one document is on stdout
    assert _errors(document) == []
    assert document["source"]["kind"] == "demo"
    statuses = {f["status"] for f in document["findings"]}
    assert statuses == {"pass", "fail", "unknown", "not_applicable"}


def test_unreadable_scopes_and_missing_properties_validate() -> None:
    resources = arm.baseline()
    del arm.find(resources, "fw-hub")["properties"]
    snapshot = ArmSnapshot(source={"kind": "export", "path": "x"})
    for resource in resources:
        snapshot.add(resource)
    snapshot.unreadable.append(Unreadable(f"/subscriptions/{arm.HUB_SUB}", "403 AuthorizationFailed"))
    topology, findings = audit(snapshot)
    document = report(topology, findings)
    assert _errors(document) == []
    assert document["unreadable"] == [{"scope": f"/subscriptions/{arm.HUB_SUB}",
                                       "reason": "403 AuthorizationFailed"}]


@pytest.mark.parametrize("breakage", ["no-remediation-on-fail", "bad-status", "extra-top-level"])
def test_the_schema_rejects_what_it_should(breakage: str) -> None:
    resources = arm.baseline()
    arm.find(resources, "aks-prod")["properties"]["networkProfile"]["outboundType"] = "loadBalancer"
    snapshot = ArmSnapshot(source={"kind": "export"})
    for resource in resources:
        snapshot.add(resource)
    document = report(*audit(snapshot))
    failing = next(f for f in document["findings"] if f["status"] == "fail")
    if breakage == "no-remediation-on-fail":
        failing["remediation"] = None
    elif breakage == "bad-status":
        failing["status"] = "passed"
    else:
        document["extra"] = 1
    assert _errors(document) != []
