"""The same topology as an array, an ARM list (`value`), a Resource Graph response (`data`, lower-case
types, extra columns) and split over a directory gives identical findings (DESIGN §3.1)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from aksfw_tui.audit import audit
from aksfw_tui.model import ids
from aksfw_tui.sources.export import load_export
from tests import arm
from tests import arm_ingress as ing


def _topology() -> list[arm.Json]:
    """The baseline plus ingress (App Gateway, internal LB, a public LB) and one defect."""
    resources = arm.baseline()
    ing.add_appgw_subnet(resources)
    resources += [ing.internal_lb(), ing.waf_policy("Detection"),
                  *ing.app_gateway([{"ipAddress": ing.ILB_IP}]), *ing.public_lb()]
    return resources


def _resource_graph_row(resource: arm.Json) -> arm.Json:
    row = dict(resource)
    row["type"] = str(resource.get("type", "")).lower()
    row["subscriptionId"] = ids.subscription_of(resource["id"])
    row["resourceGroup"] = (ids.resource_group_of(resource["id"]) or "").lower()
    row["tenantId"] = "72f988bf-86f1-41af-91ab-2d7cd011db47"
    return row


def _outcome(path: Path) -> list[tuple[str, str, str, str, str]]:
    _, findings = audit(load_export(path))
    rows = [(f.check.id, ids.key(f.subject.id), f.status.value, f.severity.value, f.result.message)
            for f in findings]
    return sorted(rows)


def _dump(path: Path, document: Any) -> Path:
    path.write_text(json.dumps(document, indent=1), encoding="utf-8")
    return path


def test_every_export_shape_gives_identical_findings(tmp_path: Path) -> None:
    resources = _topology()
    as_array = _outcome(_dump(tmp_path / "array.json", resources))
    as_value = _outcome(_dump(tmp_path / "value.json", {"value": resources, "nextLink": None}))
    rows = [_resource_graph_row(r) for r in resources]
    as_data = _outcome(_dump(tmp_path / "graph.json", {"totalRecords": len(rows), "count": len(rows),
                                                       "data": rows, "facets": [],
                                                       "resultTruncated": "false"}))
    split = tmp_path / "split"
    (split / "hub").mkdir(parents=True)
    for index, resource in enumerate(resources):
        folder = split / "hub" if ids.subscription_of(resource["id"]) == arm.HUB_SUB else split
        _dump(folder / f"{index:02d}-{resource['name']}.json", resource if index % 2 else [resource])
    as_directory = _outcome(split)

    assert as_array  # the comparison means something only if there are findings
    assert {row[2] for row in as_array} >= {"pass", "fail"}
    assert as_value == as_array
    assert as_data == as_array
    assert as_directory == as_array


def test_resource_graph_table_format_is_read_too(tmp_path: Path) -> None:
    """`resultFormat: table` rows; metrics are not in Resource Graph, so they come as a second file."""
    resources = _topology()
    metrics = [r for r in resources if r["type"] == "Microsoft.Insights/metrics"]
    rows = [r for r in resources if r not in metrics]
    columns = ["id", "name", "type", "location", "zones", "sku", "etag", "properties"]
    table = {"data": {"columns": [{"name": c, "type": "string"} for c in columns],
                      "rows": [[r.get(c) for c in columns] for r in rows]}}
    (tmp_path / "table").mkdir()
    _dump(tmp_path / "table" / "graph.json", table)
    _dump(tmp_path / "table" / "metrics.json", {"value": metrics})
    assert metrics
    assert _outcome(tmp_path / "table") == _outcome(_dump(tmp_path / "array.json", resources))


def test_ids_spelled_differently_still_join(tmp_path: Path) -> None:
    """ARM returns `resourcegroups` and upper-case names in references; joins ignore case."""
    resources = arm.baseline()
    node_subnet = arm.NODE_SUBNET.replace("resourceGroups", "resourcegroups").upper()
    for pool in arm.find(resources, "aks-prod")["properties"]["agentPoolProfiles"]:
        pool["vnetSubnetID"] = node_subnet
    _, findings = audit(load_export(_dump(tmp_path / "case.json", resources)))
    outbound = next(f for f in findings if f.check.id == "outbound-type")
    assert outbound.status.value == "pass", outbound.result.message


def test_duplicates_across_files_are_kept_once_with_a_note(tmp_path: Path) -> None:
    resources = arm.baseline()
    _dump(tmp_path / "a.json", resources)
    _dump(tmp_path / "b.json", {"value": resources[:3]})
    snapshot = load_export(tmp_path)
    assert len(snapshot.resources) == len([r for r in resources if "metrics" not in r["id"].lower()])
    assert snapshot.warnings == ["3 duplicate resource ids; the fullest copy of each was kept"]
