"""How a child scenario merges over its parent (`extends`), and where each key came from.

Pure functions on the parsed TOML (dicts and lists), used by `experiments.scenario.loader`:
tables merge key by key, other values (lists too) replace, except the `APPEND_LISTS`, which
append to the parent's unless the child sets ``replace_<list> = true``. The origin map
(key path -> file or flag that set it) lets every error name the file that set the key.
"""

from __future__ import annotations

from typing import Any

from experiments.errors import ScenarioError
from experiments.scenario.checks import KeyPath

APPEND_LISTS = ("events", "interventions")
"""Top-level lists that a child scenario appends to its parent's instead of replacing."""


def mark_origin(data: Any, prefix: KeyPath, label: str, origin: dict[KeyPath, str]) -> None:
    """Record `label` as the origin of `prefix` and every key path below it."""
    origin[prefix] = label
    if isinstance(data, dict):
        for key, value in data.items():
            mark_origin(value, (*prefix, key), label, origin)
    elif isinstance(data, list):
        for i, value in enumerate(data):
            mark_origin(value, (*prefix, i), label, origin)


def deep_merge(parent: dict[str, Any], child: dict[str, Any]) -> dict[str, Any]:
    """Child over parent: tables merge key by key, everything else (lists too) replaces."""
    out = dict(parent)
    for key, value in child.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = value
    return out


def pop_replace_flags(data: dict[str, Any], shown: str) -> set[str]:
    """Remove the `replace_<list>` flags from `data`; return the lists the child replaces
    (an empty list stands for a replaced list the child does not give)."""
    replace: set[str] = set()
    for lst in APPEND_LISTS:
        flag = data.pop(f"replace_{lst}", False)
        if not isinstance(flag, bool):
            raise ScenarioError(
                f"expected true or false, got {flag!r}",
                file=shown,
                key=f"replace_{lst}",
                remedy=f"write `replace_{lst} = true` or remove the key",
            )
        if flag:
            replace.add(lst)
    for lst in replace:  # `replace_events = true` with no [[events]]: the list is emptied
        data.setdefault(lst, [])
    return replace


def merge_child(
    parent: dict[str, Any],
    origin: dict[KeyPath, str],
    data: dict[str, Any],
    replace: set[str],
    shown: str,
) -> tuple[dict[str, Any], dict[KeyPath, str]]:
    """Merge a child's `data` over its `parent`: the append lists (unless replaced) follow
    the parent's entries, so the child's list positions in `origin` shift by the parent's
    length; every other key is deep-merged."""
    child_origin: dict[KeyPath, str] = {}
    mark_origin(data, (), shown, child_origin)
    offsets = {}
    for lst in APPEND_LISTS:
        if lst in data and lst not in replace and isinstance(parent.get(lst), list):
            if not isinstance(data[lst], list):
                raise ScenarioError(
                    f"expected a list of tables ([[{lst}]]), got {data[lst]!r}",
                    file=shown,
                    key=lst,
                    remedy=f"write each entry as a [[{lst}]] table",
                )
            offsets[lst] = len(parent[lst])
            data = {**data, lst: parent[lst] + data[lst]}
    merged = deep_merge(parent, data)
    for key_path, label in child_origin.items():
        if len(key_path) >= 2 and key_path[0] in offsets and isinstance(key_path[1], int):
            key_path = (key_path[0], key_path[1] + offsets[str(key_path[0])], *key_path[2:])
        origin[key_path] = label
    return merged, origin
