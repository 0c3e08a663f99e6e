"""Scenario checks that name the file and the key: pydantic's errors made into one line, and the
rules the schema cannot express (ordered time series, mixes summing to at most 1, unique event
ids, what each intervention needs).

`origin` maps a key path (``('events', 3, 'value_usd_b')``) to the file or ``--set`` argument
that set it, so an error names the scenario file where the user can fix it, parents included.
"""

from __future__ import annotations

import difflib
import re
import typing
from collections.abc import Iterable, Sequence
from typing import Any

from pydantic import BaseModel, ValidationError

from experiments.errors import ScenarioError
from experiments.scenario.overrides import format_key, parse_key, unwrap_annotation
from world.params import InterventionKind, ScenarioParams, month_index

__all__ = ["DEFAULT_REMEDY", "KeyPath", "check_extra", "origin_of", "validation_error"]

DEFAULT_REMEDY = "fix the value (docs/scenarios.md describes every key)"

KeyPath = tuple[str | int, ...]
"""A key path into the nested scenario data, e.g. ('events', 3, 'target_firm')."""


def origin_of(loc: Sequence[str | int], origin: dict[KeyPath, str], default: str) -> str:
    loc = tuple(loc)
    for n in range(len(loc), -1, -1):
        if loc[:n] in origin:
            return origin[loc[:n]]
    return default


_KEY_IN_MESSAGE = re.compile(r"^((?:events|interventions)\[\d+\](?:\.\w+)?)(?::\s*|\s+)(.*)$")


def validation_error(
    exc: ValidationError, origin: dict[KeyPath, str], default: str
) -> ScenarioError:
    """Turn pydantic's first error into one line naming the file and the dotted key."""
    errors = exc.errors()
    err = errors[0]
    loc: list[str | int] = [p for p in err["loc"] if isinstance(p, str | int)]
    msg = str(err["msg"]).removeprefix("Value error, ")
    m = _KEY_IN_MESSAGE.match(msg)
    if m:
        key_text, msg = m.group(1), m.group(2)
        loc = [*loc, *parse_key(key_text)]
    if err["type"] == "extra_forbidden":
        parent: Any = ScenarioParams
        try:
            for seg in loc[:-1]:
                parent = unwrap_annotation(parent)
                if isinstance(parent, type) and issubclass(parent, BaseModel):
                    parent = parent.model_fields[str(seg)].annotation
                else:
                    args = typing.get_args(parent)
                    parent = args[-1] if typing.get_origin(parent) is dict else args[0]
            parent = unwrap_annotation(parent)
            fields = list(parent.model_fields)
        except (KeyError, AttributeError, IndexError, TypeError):
            fields = []
        close = difflib.get_close_matches(str(loc[-1]), fields, n=1)
        msg = f"unknown key {loc[-1]!r}" + (f" (did you mean {close[0]!r}?)" if close else "")
        remedy = "remove or rename it (docs/scenarios.md lists the keys)"
    else:
        msg = msg[:1].lower() + msg[1:]
        value = err.get("input")
        if err["type"] != "missing" and isinstance(value, str | int | float | bool):
            msg += f" (got {value!r})"
        remedy = DEFAULT_REMEDY
    if len(errors) > 1:
        msg += f" [and {len(errors) - 1} more error{'s' if len(errors) > 2 else ''}]"
    file = origin_of(loc, origin, default)
    if file.startswith("--"):
        remedy = f"fix the {file.split()[0]} value"
    return ScenarioError(msg, file=file, key=format_key(loc) or None, remedy=remedy)


def check_extra(params: ScenarioParams, origin: dict[KeyPath, str], default: str) -> None:
    """Checks the schema cannot express: ordered time series, mixes, ids, intervention needs."""

    def fail(loc: Sequence[str | int], problem: str, remedy: str) -> None:
        raise ScenarioError(
            problem, file=origin_of(loc, origin, default), key=format_key(loc), remedy=remedy
        )

    series: list[tuple[list[str | int], Iterable[tuple[str, float]]]] = [
        (["foundry", "capacity_wafers_per_month"], params.foundry.capacity_wafers_per_month),
    ]
    for field in (
        "fringe_accel_gw_per_year",
        "fringe_cloud_gw",
        "fringe_lab_revenue_usd_b_per_year",
    ):
        series.append((["demand", field], getattr(params.demand, field)))
    for name, firm in sorted(params.firms.items()):
        series.append((["firms", name, "compute_ambition_gw"], firm.compute_ambition_gw))
        total = sum(firm.installed_mix.values())
        if total > 1.0 + 1e-9:
            fail(
                ["firms", name, "installed_mix"],
                f"fractions sum to {total:.4g}, more than 1",
                "make the fractions of the installed base sum to at most 1",
            )
    for loc, points in series:
        months = [month_index(m) for m, _ in points]
        for i in range(1, len(months)):
            if months[i] <= months[i - 1]:
                fail(
                    [*loc, i],
                    "months must be in increasing order without repeats",
                    "sort the [month, value] pairs by month",
                )
    ids: dict[str, int] = {}
    for i, ev in enumerate(params.events):
        if ev.id and ev.id in ids:
            fail(
                ["events", i, "id"],
                f"id {ev.id!r} is already used by events[{ids[ev.id]}]",
                "give every event its own id",
            )
        if ev.id:
            ids[ev.id] = i
    for i, iv in enumerate(params.interventions):
        if iv.deal_id and iv.deal_id not in ids:
            fail(
                ["interventions", i, "deal_id"],
                f"no event has id {iv.deal_id!r}",
                "use the id of one of the scenario's [[events]]",
            )
        if iv.kind is InterventionKind.BLOCK_DEAL and not (iv.deal_id or iv.deal_kind):
            fail(
                ["interventions", i],
                "block_deal needs a deal_id or a deal_kind",
                "say which deal (deal_id) or which kind of deal (deal_kind, parties) to block",
            )
        if iv.kind is InterventionKind.ALLOCATION_RULE and iv.allocation_rule is None:
            fail(
                ["interventions", i, "allocation_rule"],
                "allocation_rule intervention needs allocation_rule",
                "set it to pro_rata, priority or uniform",
            )
