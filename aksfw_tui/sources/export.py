"""Read an export: a JSON file or a directory of them, in the ARM, Resource Graph or array shape."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from aksfw_tui.errors import InputError
from aksfw_tui.sources.snapshot import ArmSnapshot, Unreadable, merge_duplicates

SHAPES = "an array of resources, or an object with 'value' (ARM list) or 'data' (Resource Graph)"


def load_export(path: str | Path, kind: str = "export") -> ArmSnapshot:
    """Load every JSON file at `path`; any unreadable file is an InputError naming it."""
    root = Path(path)
    if not root.exists():
        raise InputError(f"{root}: no such file or directory")
    if root.is_dir():
        files = sorted(p for p in root.rglob("*.json") if p.is_file())
        if not files:
            raise InputError(f"{root}: directory holds no .json files")
    else:
        files = [root]
    snapshot = ArmSnapshot(source={"kind": kind, "path": str(root), "files": len(files)})
    for file in files:
        _load_file(file, snapshot)
    _dedupe(snapshot)
    return snapshot


def _load_file(file: Path, snapshot: ArmSnapshot) -> None:
    try:
        text = file.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        raise InputError(f"{file}: cannot read: {error}") from None
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise InputError(
            f"{file}: not JSON: {error.msg} at line {error.lineno} column {error.colno}"
        ) from None
    except RecursionError:
        raise InputError(f"{file}: JSON nested too deeply to read") from None
    except ValueError as error:  # e.g. an integer longer than Python converts (4,300 digits)
        raise InputError(f"{file}: unreadable JSON: {error}") from None
    for index, item in enumerate(_items(document, file)):
        if not isinstance(item, dict):
            raise InputError(f"{file}: item {index} is not a resource object")
        if not isinstance(item.get("id"), str) or not item["id"].startswith("/"):
            raise InputError(f"{file}: item {index} has no ARM 'id'")
        snapshot.add(item)
    if isinstance(document, dict):
        listed = document.get("unreadable") or []
        if not isinstance(listed, list):
            raise InputError(f"{file}: 'unreadable' is not a list")
        for entry in listed:
            if isinstance(entry, dict) and entry.get("scope"):
                snapshot.unreadable.append(
                    Unreadable(str(entry["scope"]), str(entry.get("reason", "")))
                )


def _items(document: Any, file: Path) -> list[Any]:
    if isinstance(document, list):
        return document
    if isinstance(document, dict):
        for key in ("value", "data"):
            if key in document:
                return _rows(document[key], file, key)
        if isinstance(document.get("id"), str) and ("type" in document or "properties" in document):
            return [document]  # a single `az ... show` / ARM GET body
    raise InputError(f"{file}: JSON of an unknown shape: expected {SHAPES}")


def _rows(value: Any, file: Path, key: str) -> list[Any]:
    if isinstance(value, list):
        return value
    # Resource Graph's table result format: {"columns": [{"name"}], "rows": [[...]]}
    if isinstance(value, dict) and isinstance(value.get("columns"), list):
        names: list[str] = []
        for index, column in enumerate(value["columns"]):
            name = column.get("name") if isinstance(column, dict) else None
            if not isinstance(name, str):
                raise InputError(f"{file}: '{key}' column {index} has no string 'name'")
            names.append(name)
        rows = value.get("rows") or []
        if not isinstance(rows, list):
            raise InputError(f"{file}: '{key}' rows are not a list")
        for index, row in enumerate(rows):
            if not isinstance(row, list):
                raise InputError(f"{file}: '{key}' row {index} is not a list of values")
        return [dict(zip(names, row, strict=False)) for row in rows]
    raise InputError(f"{file}: '{key}' is not a list of resources")


def _dedupe(snapshot: ArmSnapshot) -> None:
    """The same resource in two files (e.g. a list and a GET) is kept once (merge_duplicates)."""
    merged, warnings = merge_duplicates(snapshot.resources)
    if len(merged) != len(snapshot.resources):
        warnings.insert(0, f"{len(snapshot.resources) - len(merged)} duplicate resource ids; "
                           "the fullest copy of each was kept")
    snapshot.resources = merged
    snapshot.warnings.extend(warnings)
