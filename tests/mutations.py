"""Mutations of realistic exports that take evidence away, for the "no pass without evidence" tests.

Each mutation deletes a key, sets it to null or to a value of the wrong type, replaces a resource
by an `{id, type, name}` stub, or deletes a resource (or a child object with an id), either
silently (only where something else still references it) or listing it as unreadable by its id or
by its type scope. None of these adds evidence, so none may turn a finding that was not `pass`
into `pass`, except a deletion at a path on the documented absent-means-none list
(`aksfw_tui.model.evidence.ABSENT_MEANS_NONE`).

Deleting an element of an array is not among them: removing a rule or a route is a different,
equally real configuration, not missing evidence.

Run as a script for the exhaustive sweep: `python -m tests.mutations [EXPORT ...]`.
"""

from __future__ import annotations

import copy
import json
import sys
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aksfw_tui.audit import audit
from aksfw_tui.checks.base import Finding
from aksfw_tui.model import ids
from aksfw_tui.model.evidence import absent_means_none
from aksfw_tui.sources.demo import DEMO_DIR
from aksfw_tui.sources.export import load_export
from aksfw_tui.sources.snapshot import ArmSnapshot, Unreadable, resource_type

EXPORTS_DIR = Path(__file__).parent / "data" / "exports"
Path_ = tuple[str | int, ...]


@dataclass(frozen=True)
class Mutation:
    kind: str  # drop-key | null-key | retype-key | stub | drop-resource | unreadable-id | ...
    index: int  # the resource (position in snapshot.resources)
    path: Path_ = ()

    def describe(self, resources: list[dict[str, Any]]) -> str:
        name = ids.name_of(resources[self.index]["id"])
        return f"{self.kind} {name}:{'.'.join(map(str, self.path))}"


def exports() -> dict[str, ArmSnapshot]:
    """The demo and the realistic exports in tests/data/exports, by name."""
    found = {"demo": load_export(DEMO_DIR)}
    for file in sorted(EXPORTS_DIR.glob("*.json")):
        found[file.stem] = load_export(file)
    return found


def _paths(value: Any, prefix: Path_ = ()) -> Iterator[Path_]:
    if isinstance(value, dict):
        for key, child in value.items():
            yield (*prefix, key)
            yield from _paths(child, (*prefix, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from _paths(child, (*prefix, index))


def _children_with_ids(value: Any, prefix: Path_ = ()) -> Iterator[Path_]:
    """Paths of list elements that are child objects with their own id (subnets, configs, ...)."""
    if isinstance(value, dict):
        for key, child in value.items():
            yield from _children_with_ids(child, (*prefix, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            if isinstance(child, dict) and isinstance(child.get("id"), str):
                yield (*prefix, index)
            yield from _children_with_ids(child, (*prefix, index))


def mutations(snapshot: ArmSnapshot) -> list[Mutation]:
    found: list[Mutation] = []
    for index, resource in enumerate(snapshot.resources):
        found += [Mutation("stub", index), Mutation("unreadable-id", index),
                  Mutation("unreadable-type", index)]
        if _referenced_elsewhere(snapshot, index):
            found.append(Mutation("drop-resource", index))
        for path in _paths(resource):
            if path in (("id",),):
                continue
            found += [Mutation("drop-key", index, path), Mutation("null-key", index, path),
                      Mutation("retype-key", index, path)]
        for path in _children_with_ids(resource):
            found.append(Mutation("unreadable-child", index, path))
    return found


def _referenced_elsewhere(snapshot: ArmSnapshot, index: int) -> bool:
    key = ids.key(snapshot.resources[index]["id"])
    others = (r for i, r in enumerate(snapshot.resources) if i != index)
    return any(key in json.dumps(r).lower() for r in others)


def _get(value: Any, path: Path_) -> Any:
    for step in path:
        value = value[step]
    return value


def _wrong_type(value: Any) -> Any:
    if isinstance(value, str):
        return 7
    if isinstance(value, list):
        return 7
    return "x"  # numbers, booleans, objects, null


def apply(snapshot: ArmSnapshot, mutation: Mutation) -> ArmSnapshot:
    resources = copy.deepcopy(snapshot.resources)
    unreadable = list(snapshot.unreadable)
    target = resources[mutation.index]
    if mutation.kind in ("drop-key", "null-key", "retype-key"):
        parent = _get(target, mutation.path[:-1])
        last = mutation.path[-1]
        if mutation.kind == "drop-key":
            del parent[last]
        else:
            parent[last] = None if mutation.kind == "null-key" else _wrong_type(parent[last])
    elif mutation.kind == "stub":
        resources.append({k: target[k] for k in ("id", "type", "name") if k in target})
    elif mutation.kind in ("drop-resource", "unreadable-id"):
        del resources[mutation.index]
        if mutation.kind == "unreadable-id":
            unreadable.append(Unreadable(target["id"], "403 AuthorizationFailed"))
    elif mutation.kind == "unreadable-type":
        type_key = resource_type(target).lower()
        subscription = ids.subscription_of(target["id"])
        resources = [r for r in resources if not (
            resource_type(r).lower() == type_key and ids.subscription_of(r["id"]) == subscription)]
        scope = f"/subscriptions/{subscription}/providers/{resource_type(target)}"
        unreadable.append(Unreadable(scope, "403 AuthorizationFailed"))
    elif mutation.kind == "unreadable-child":
        parent = _get(target, mutation.path[:-1])
        child = parent.pop(mutation.path[-1])
        unreadable.append(Unreadable(child["id"], "403 AuthorizationFailed"))
    return ArmSnapshot(resources=resources, metrics=list(snapshot.metrics), unreadable=unreadable,
                       source=dict(snapshot.source))


def statuses(findings: list[Finding]) -> dict[tuple[str, str], str]:
    return {(f.check.id, f.subject.key): f.status.value for f in findings}


@dataclass(frozen=True)
class Violation:
    mutation: Mutation
    check_id: str
    subject: str
    before: str
    message: str


def violations(snapshot: ArmSnapshot, mutation: Mutation,
               before: dict[tuple[str, str], str]) -> list[Violation]:
    """Findings that became `pass` under the mutation without the documented allowance."""
    if mutation.kind in ("drop-key", "null-key"):
        resource = snapshot.resources[mutation.index]
        if absent_means_none(resource_type(resource), mutation.path):
            return []
    _, after = audit(apply(snapshot, mutation))
    found = []
    for finding in after:
        key = (finding.check.id, finding.subject.key)
        if finding.status.value == "pass" and before.get(key, "pass") != "pass":
            found.append(Violation(mutation, finding.check.id, finding.subject.name,
                                   before[key], finding.result.message))
    return found


def sweep(name: str, snapshot: ArmSnapshot) -> list[Violation]:
    before = statuses(audit(snapshot)[1])
    found: list[Violation] = []
    for mutation in mutations(snapshot):
        found += violations(snapshot, mutation, before)
    return found


def _family(violation: Violation, resources: list[dict[str, Any]]) -> str:
    path = ".".join("*" if isinstance(p, int) else p for p in violation.mutation.path)
    kind = resource_type(resources[violation.mutation.index]).split("/")[-1]
    return f"{violation.mutation.kind} {kind}:{path} → {violation.check_id}"


def main(argv: list[str]) -> int:
    chosen = exports()
    if argv:
        chosen = {k: v for k, v in chosen.items() if k in argv}
    total = 0
    for name, snapshot in chosen.items():
        found = sweep(name, snapshot)
        total += len(found)
        print(f"{name}: {len(mutations(snapshot))} mutations, {len(found)} violations")
        families = Counter(_family(v, snapshot.resources) for v in found)
        for family, count in families.most_common():
            print(f"  {count:4}  {family}")
        for v in found[:0]:
            print("   ", v.mutation.describe(snapshot.resources), v.check_id, v.subject, v.message)
    return 1 if total else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
