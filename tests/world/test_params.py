"""The scenario schema is the one source of each key's meaning, unit and bounds.

Every numeric value a scenario can hold (a key, or an entry of a list, tuple or table) has a
finite lower and upper bound, so `inf`, `nan` and values orders of magnitude off are refused
with the key named, never simulated.
"""

from __future__ import annotations

import math
import typing
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

from experiments.scenario.loader import load_scenario
from world import params as P


def _models(cls: type[BaseModel], seen: dict[str, type[BaseModel]]) -> dict[str, type[BaseModel]]:
    seen[cls.__name__] = cls
    for info in cls.model_fields.values():
        stack: list[Any] = [info.annotation]
        while stack:
            ann = stack.pop()
            if isinstance(ann, type) and issubclass(ann, BaseModel):
                if ann.__name__ not in seen:
                    _models(ann, seen)
            else:
                stack += list(typing.get_args(ann))
    return seen


MODELS = _models(P.ScenarioParams, {})
FIELDS = [(cls, name) for cls in MODELS.values() for name in cls.model_fields]


def _bounds(metadata: list[Any]) -> tuple[float | None, float | None]:
    low = high = None
    for m in metadata:
        for attr in ("ge", "gt"):
            if getattr(m, attr, None) is not None:
                low = getattr(m, attr)
        for attr in ("le", "lt"):
            if getattr(m, attr, None) is not None:
                high = getattr(m, attr)
        inner = getattr(m, "metadata", None)
        if inner:
            lo, hi = _bounds(list(inner))
            low, high = lo if lo is not None else low, hi if hi is not None else high
    return low, high


def _numbers(ann: Any, metadata: list[Any]) -> list[tuple[type, list[Any]]]:
    """Every number type inside an annotation, with the constraints that apply to it."""
    origin = typing.get_origin(ann)
    if origin is typing.Annotated:
        base, *extra = typing.get_args(ann)
        return _numbers(base, metadata + list(extra))
    if ann in (int, float):
        return [(ann, metadata)]
    if origin is dict:
        return _numbers(typing.get_args(ann)[1], [])
    if origin in (list, tuple, typing.Union) or str(origin) == "<class 'types.UnionType'>":
        found = []
        for arg in typing.get_args(ann):
            if arg is not Ellipsis:
                found += _numbers(arg, [] if origin in (list, tuple) else metadata)
        return found
    return []


@pytest.mark.parametrize(("cls", "name"), FIELDS, ids=[f"{c.__name__}.{n}" for c, n in FIELDS])
def test_every_key_is_declared_with_meaning_and_unit(cls: type[BaseModel], name: str) -> None:
    info = cls.model_fields[name]
    assert info.description, f"{cls.__name__}.{name}: declare it with param(..., doc=...)"
    extra = info.json_schema_extra
    assert isinstance(extra, dict) and extra.get("unit"), f"{cls.__name__}.{name}: no unit"


@pytest.mark.parametrize(("cls", "name"), FIELDS, ids=[f"{c.__name__}.{n}" for c, n in FIELDS])
def test_every_number_has_finite_lower_and_upper_bounds(cls: type[BaseModel], name: str) -> None:
    info = cls.model_fields[name]
    for kind, meta in _numbers(info.annotation, list(info.metadata)):
        low, high = _bounds(meta)
        assert low is not None and high is not None, (
            f"{cls.__name__}.{name}: a {kind.__name__} needs ge/gt and le/lt bounds"
        )
        assert math.isfinite(low) and math.isfinite(high) and low < high


def test_the_bounds_walker_sees_nested_entries() -> None:
    """Guard for the two tests above: list, tuple and table entries are found with their
    bounds, and an unbounded float is reported as unbounded."""
    path = P.FirmParams.model_fields["compute_ambition_gw"]
    (kind, meta), = _numbers(path.annotation, list(path.metadata))
    assert kind is float and _bounds(meta) == (0.0, 500.0)
    assert _bounds(_numbers(P.NonNeg, [])[0][1]) == (0.0, None)


def test_every_shipped_scenario_is_inside_the_bounds() -> None:
    from experiments.scenario.loader import list_scenarios

    for name, _ in list_scenarios():
        load_scenario(name)


SECTION_FLOATS = [
    (section, name)
    for section, sinfo in P.ScenarioParams.model_fields.items()
    if isinstance(sinfo.annotation, type) and issubclass(sinfo.annotation, BaseModel)
    for name, info in sinfo.annotation.model_fields.items()
    if info.annotation is float
]


@pytest.mark.parametrize(("section", "name"), SECTION_FLOATS)
@pytest.mark.parametrize("bad", [math.inf, -math.inf, math.nan, 1e308])
def test_inf_nan_and_absurd_values_are_refused(section: str, name: str, bad: float) -> None:
    block = getattr(P.ScenarioParams(), section)
    with pytest.raises(ValidationError):
        setattr(block, name, bad)


@given(st.floats(allow_nan=True, allow_infinity=True))
def test_a_firm_value_is_accepted_exactly_inside_its_bounds(value: float) -> None:
    """cash_usd_b is declared in [0, 5000]: any float outside (or inf/nan) is refused, any
    inside is kept as given."""
    inside = math.isfinite(value) and 0.0 <= value <= 5_000.0
    try:
        firm = P.FirmParams(role=P.Role.VENDOR, cash_usd_b=value)
    except ValidationError:
        assert not inside
    else:
        assert inside and firm.cash_usd_b == value


def test_a_site_distribution_is_capped_per_key() -> None:
    """A mean of 25 is fine for months but not for GW of grid power at one site (cap 20)."""
    P.SitesParams(permit_months=P.Distribution(mean=25.0, low=1.0, high=36.0))
    with pytest.raises(ValidationError, match=r"grid_power_gw\.mean"):
        P.SitesParams(grid_power_gw=P.Distribution(mean=25.0, low=0.05, high=30.0))
    with pytest.raises(ValidationError, match=r"grid_power_gw\.high"):
        P.SitesParams(grid_power_gw=P.Distribution(mean=1.0, high=100.0))
    # given without `high`, a distribution is clipped at the key's maximum instead
    assert P.SitesParams(grid_power_gw=P.Distribution(mean=1.0)).grid_power_gw.high == 20.0


@pytest.mark.parametrize("start", ["1999-12", "2101-01", "9999-01", "0000-01"])
def test_start_year_outside_the_calendar_is_refused(start: str) -> None:
    with pytest.raises(ValidationError, match="start"):
        P.SimulationParams(start=start)


def test_seed_beyond_64_bits_is_refused() -> None:
    P.ScenarioParams(seed=2**63 - 1)
    with pytest.raises(ValidationError):
        P.ScenarioParams(seed=2**63)
