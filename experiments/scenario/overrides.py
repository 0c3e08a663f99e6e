"""The ``--set key=value`` language: parse a key path and a TOML value, check the path against
the scenario schema, and set it in the raw scenario data.

Keys are dotted, with list indices in brackets or as numbers: ``firms.Nvidia.cash_usd_b``,
``events[3].value_usd_b``, ``events.3.value_usd_b``. Values are TOML values; anything that is not
valid TOML (a bare word, ``2025-03``) is a string. Every mistake is a `ScenarioError` naming the
``--set`` argument and the key, with the remedy (a close key name when there is one).
"""

from __future__ import annotations

import difflib
import re
import tomllib
import types
import typing
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel

from experiments.errors import ScenarioError
from world.params import FIRM_NAMES, ScenarioParams

__all__ = ["apply_override", "format_key", "parse_key", "parse_override", "unwrap_annotation"]

_SEGMENT = re.compile(r"^([A-Za-z_][A-Za-z0-9_\-]*)((?:\[\d+\])*)$")


def parse_key(key: str) -> list[str | int]:
    """`events[3].target_firm` or `events.3.target_firm` -> ['events', 3, 'target_firm']."""
    path: list[str | int] = []
    for part in key.split("."):
        if part.isdigit():
            path.append(int(part))
            continue
        m = _SEGMENT.match(part)
        if not m:
            raise ScenarioError(
                f"malformed key {key!r} (bad part {part!r})",
                file="--set",
                remedy="write --set section.key=value, e.g. --set firms.Nvidia.cash_usd_b=50",
            )
        path.append(m.group(1))
        path += [int(i) for i in re.findall(r"\d+", m.group(2))]
    return path


def format_key(path: Sequence[str | int]) -> str:
    out = ""
    for seg in path:
        out += f"[{seg}]" if isinstance(seg, int) else (f".{seg}" if out else str(seg))
    return out


def parse_override(text: str) -> tuple[list[str | int], Any]:
    """Split ``a.b.c=value`` into a key path and a value.

    The value is read as a TOML value (``50``, ``1.5``, ``true``, ``[10, 20]``, ``"x"``,
    ``{mean = 1.0}``); anything that is not valid TOML (a bare word, ``2025-03``) is a string.

    Args:
        text: one ``--set`` argument.

    Returns:
        The key path (strings and list indices) and the parsed value.

    Raises:
        ScenarioError: if there is no ``=`` or the key is malformed.
    """
    key, sep, raw = text.partition("=")
    key = key.strip()
    if not sep or not key:
        raise ScenarioError(
            f"override {text!r} is not key=value",
            file="--set",
            remedy="write --set section.key=value, e.g. --set firms.Nvidia.cash_usd_b=50",
        )
    raw = raw.strip()
    try:
        value = tomllib.loads(f"v = {raw}")["v"]
    except tomllib.TOMLDecodeError:
        value = raw
    return parse_key(key), value


def unwrap_annotation(ann: Any) -> Any:
    """Strip Annotated and Optional from a type annotation."""
    while True:
        origin = typing.get_origin(ann)
        if origin is typing.Annotated:
            ann = typing.get_args(ann)[0]
        elif origin in (typing.Union, types.UnionType):
            args = [a for a in typing.get_args(ann) if a is not type(None)]
            ann = args[0] if len(args) == 1 else ann
            if len(args) != 1:
                return ann
        else:
            return ann


def _check_schema_path(path: Sequence[str | int], label: str) -> None:
    """Raise if `path` does not lead to a field of `ScenarioParams` (names the bad key)."""
    ann: Any = ScenarioParams
    for i, seg in enumerate(path):
        ann = unwrap_annotation(ann)
        here = format_key(path[: i + 1])
        origin = typing.get_origin(ann)
        if isinstance(ann, type) and issubclass(ann, BaseModel):
            fields = list(ann.model_fields)
            if seg not in fields:
                close = [f for f in fields if f.startswith(str(seg))][:1]
                close = close or difflib.get_close_matches(str(seg), fields, n=1)
                where = format_key(path[:i]) or "the top level"
                hint = (
                    f"did you mean {close[0]!r}?"
                    if close
                    else f"keys of {where} are: {', '.join(fields)}"
                )
                raise ScenarioError(
                    "no such key in the scenario schema",
                    file=label,
                    key=here,
                    remedy=f"check the spelling of the --set key ({hint})",
                )
            ann = ann.model_fields[str(seg)].annotation
        elif origin is dict:
            if path[:i] == ["firms"] and seg not in FIRM_NAMES:
                raise ScenarioError(
                    f"unknown firm {seg!r}; firms are {', '.join(FIRM_NAMES)}",
                    file=label,
                    key=here,
                    remedy="use one of those names",
                )
            ann = typing.get_args(ann)[1]
        elif origin in (list, tuple):
            if not isinstance(seg, int):
                raise ScenarioError(
                    f"{format_key(path[:i])} is a list: index it with a number",
                    file=label,
                    key=here,
                    remedy=f"write e.g. {format_key(path[:i])}[0]",
                )
            args = typing.get_args(ann)
            ann = args[0] if origin is list else (args[seg] if seg < len(args) else None)
            if ann is None:
                raise ScenarioError(
                    f"index {seg} is out of range (pairs have 2 items)",
                    file=label,
                    key=here,
                    remedy="use index 0 or 1",
                )
        else:
            raise ScenarioError(
                f"{format_key(path[:i])} is a single value and has no key {seg!r}",
                file=label,
                key=here,
                remedy=f"set {format_key(path[:i])} itself",
            )


def apply_override(data: dict[str, Any], path: list[str | int], value: Any, label: str) -> None:
    """Set `value` at `path` inside `data`, creating tables on the way (lists must exist).

    Raises:
        ScenarioError: the path is not a key of the schema, or indexes past a list's end;
            `label` (``--set key=value``) is named as the file.
    """
    _check_schema_path(path, label)
    node: Any = data
    for i, seg in enumerate(path[:-1]):
        nxt = path[i + 1]
        if isinstance(seg, int):
            if not isinstance(node, list) or not -len(node) <= seg < len(node):
                size = len(node) if isinstance(node, list) else 0
                raise ScenarioError(
                    f"index {seg} is out of range ({format_key(path[:i])} has {size} entries)",
                    file=label,
                    key=format_key(path[: i + 1]),
                    remedy="override an existing entry, or add one in a scenario file",
                )
            node = node[seg]
        else:
            if not isinstance(node.get(seg), dict | list):
                node[seg] = [] if isinstance(nxt, int) else {}
            node = node[seg]
    last = path[-1]
    if isinstance(last, int):
        if not isinstance(node, list) or not -len(node) <= last < len(node):
            raise ScenarioError(
                f"index {last} is out of range",
                file=label,
                key=format_key(path),
                remedy="override an existing entry, or add one in a scenario file",
            )
    node[last] = value
