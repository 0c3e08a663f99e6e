"""Scenario checks that name the file and the key: pydantic's errors made into one line, and the
rules the schema cannot express (ordered time series, mixes summing to at most 1, unique event
ids, what each intervention needs).

`origin` maps a key path (``('events', 3, 'value_usd_b')``) to the file or ``--set`` argument
that set it, so an error names the scenario file where the user can fix it, parents included.
"""

from __future__ import annotations

import difflib
import math
import re
import typing
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from pydantic import BaseModel, ValidationError

from experiments.errors import ScenarioError
from experiments.scenario.overrides import format_key, parse_key, unwrap_annotation
from world.chip_market import FRINGE_CHIPS
from world.params import (
    InterventionKind,
    Mode,
    Role,
    ScenarioParams,
    month_index,
)

__all__ = [
    "DEFAULT_REMEDY",
    "REAL_ROLES",
    "KeyPath",
    "check_extra",
    "check_names",
    "check_sites",
    "find_bool_numbers",
    "origin_of",
    "validation_error",
]

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
    """Checks the schema cannot express: finite numbers, the site regions, firm names and roles,
    the catalog, ordered time series, mixes, ids, intervention needs."""

    def fail(loc: Sequence[str | int], problem: str, remedy: str) -> None:
        raise ScenarioError(
            problem, file=origin_of(loc, origin, default), key=format_key(loc), remedy=remedy
        )

    _check_finite(params.model_dump(), [], fail)
    check_sites(params, fail)
    check_names(params, fail)
    _check_series(params, fail)
    _check_interventions(params, _check_event_ids(params, fail), fail)


Fail = Callable[[Sequence[str | int], str, str], None]


def _check_series(params: ScenarioParams, fail: Fail) -> None:
    """Installed mixes sum to at most 1; every dated series has increasing months."""
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


def _check_event_ids(params: ScenarioParams, fail: Fail) -> dict[str, int]:
    """Event ids are unique; returns id -> index of its event."""
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
    return ids


def _check_interventions(params: ScenarioParams, ids: dict[str, int], fail: Fail) -> None:
    """An intervention names an existing event and carries what its kind needs."""
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


def _check_finite(value: Any, loc: list[str | int], fail: Fail) -> None:
    """Every number of the scenario is finite (``inf``, ``nan``, ``1e400`` are mistakes)."""
    if isinstance(value, float) and not math.isfinite(value):
        fail(loc, f"{value} is not a finite number", "give a finite value")
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_finite(item, [*loc, key], fail)
    elif isinstance(value, list | tuple):
        for i, item in enumerate(value):
            _check_finite(item, [*loc, i], fail)


def check_sites(params: ScenarioParams, fail: Fail) -> None:
    """`sites.regions` names at least one region (each site's region is drawn from it).

    The seed's 63 bits, the start year and the spread (`cv`) of a site distribution are bounds
    of their keys in `world.params`, checked there.
    """
    if not params.sites.regions:
        fail(["sites", "regions"], "the list of regions is empty",
             'name at least one region, e.g. regions = ["us_east"]')


REAL_ROLES: dict[str, Role] = {
    "Nvidia": Role.VENDOR,
    "AMD": Role.VENDOR,
    "OpenAI": Role.LAB,
    "Amazon": Role.CLOUD,
    "Microsoft": Role.CLOUD,
    "Oracle": Role.CLOUD,
}
"""What each firm is (docs/odd.md): Nvidia and AMD sell chips, Amazon, Microsoft and
Oracle sell cloud capacity, OpenAI is the AI lab. A firm keeps its role in every scenario:
a scenario that changes it would give Nvidia's name and history to another kind of agent."""


def _close(name: str, known: Sequence[str]) -> str:
    close = difflib.get_close_matches(name, list(known), n=1)
    return f"did you mean {close[0]!r}? " if close else ""


def check_names(params: ScenarioParams, fail: Fail) -> None:
    """Firm roles are the real ones; every name of a chip designer (a product's vendor, the
    keys of `installed_mix` and `opening_backlog_gw`, `priority_order`) is one of the
    scenario's firms or the fringe; in the market mode the catalog is not empty and every chip
    vendor among the firms has a product."""
    for name, firm in sorted(params.firms.items()):
        real = REAL_ROLES.get(name)
        if real is not None and firm.role is not real:
            fail(["firms", name, "role"], f"{name} is a {real.value}, not a {firm.role.value}",
                 f'write role = "{real.value}" (a firm keeps its real role)')
    sellers = [*sorted(params.firms), FRINGE_CHIPS]
    for i, product in enumerate(params.catalog.products):
        if product.vendor not in sellers:
            fail(["catalog", "products", i, "vendor"],
                 f"unknown chip vendor {product.vendor!r}",
                 f"{_close(product.vendor, sellers)}use one of the scenario's firms "
                 f"({', '.join(sellers)})")
    designers = sorted({p.vendor for p in params.catalog.products})
    if params.simulation.mode is Mode.MARKET:
        _check_catalog(params, designers, fail)
    named: list[tuple[list[str | int], str]] = []
    for name, firm in sorted(params.firms.items()):
        named += [(["firms", name, "installed_mix", k], k) for k in firm.installed_mix]
    named += [(["demand", "opening_backlog_gw", k], k) for k in params.demand.opening_backlog_gw]
    named += [(["foundry", "priority_order", i], k)
              for i, k in enumerate(params.foundry.priority_order)]
    for loc, name in named:
        if name not in designers:
            fail(loc, f"{name!r} is not a chip designer of this scenario",
                 f"{_close(name, designers)}use a vendor of catalog.products "
                 f"({', '.join(designers) or 'none'})")
    order = params.foundry.priority_order
    if len(set(order)) != len(order):
        fail(["foundry", "priority_order"], "a designer is listed twice", "list each once")


def _check_catalog(params: ScenarioParams, designers: list[str], fail: Fail) -> None:
    if not params.firms:
        fail(["firms"], "the scenario has no firms",
             'add the firms, or extend a scenario that has them (extends = "baseline")')
    if not params.catalog.products:
        fail(["catalog", "products"], "the catalog is empty: the accelerator market would "
             "have no product", "list the products (as baseline.toml does), or leave the key "
             "out to keep the parent's")
    for name, firm in sorted(params.firms.items()):
        if firm.role is Role.VENDOR and name not in designers:
            fail(["catalog", "products"], f"chip vendor {name} has no product in the catalog",
                 f'add a product with vendor = "{name}"')


def _numeric(ann: Any) -> bool:
    ann = unwrap_annotation(ann)
    return ann in (int, float)


def find_bool_numbers(data: Any, ann: Any = ScenarioParams,
                      loc: tuple[str | int, ...] = ()) -> tuple[str | int, ...] | None:
    """The key path of the first ``true``/``false`` written where the schema wants a number
    (pydantic would read it as 1 or 0), or None. Walks the raw data alongside the schema."""
    ann = unwrap_annotation(ann)
    if isinstance(data, bool):
        return loc if _numeric(ann) else None
    origin = typing.get_origin(ann)
    if isinstance(ann, type) and issubclass(ann, BaseModel) and isinstance(data, dict):
        for key, value in data.items():
            field = ann.model_fields.get(str(key))
            if field is not None:
                hit = find_bool_numbers(value, field.annotation, (*loc, key))
                if hit is not None:
                    return hit
    elif origin is dict and isinstance(data, dict):
        for key, value in data.items():
            hit = find_bool_numbers(value, typing.get_args(ann)[1], (*loc, key))
            if hit is not None:
                return hit
    elif origin in (list, tuple) and isinstance(data, list):
        args = typing.get_args(ann)
        for i, value in enumerate(data):
            item = args[0] if origin is list else (args[i] if i < len(args) else None)
            hit = find_bool_numbers(value, item, (*loc, i)) if item is not None else None
            if hit is not None:
                return hit
    return None
