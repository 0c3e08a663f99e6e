"""The numeric keys of a resolved scenario, with their bounds from the schema.

`numeric_fields(params)` lists every number a scenario holds (``firms.Nvidia.cash_usd_b``,
``sites.capex_usd_b_per_gw.mean``, ``negotiation.max_rounds``...), each with the bounds its
`world.params` field declares (``ge``/``gt``/``le``/``lt``). The randomised invariant suite
(``benchmarks/fuzz_invariants.py`` and the hypothesis tests) draws values for these keys, in
bounds and out of them, and checks that each scenario is either refused in one line or runs
with every invariant holding.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from annotated_types import Ge, Gt, Le, Lt
from pydantic import BaseModel

from world.params import ScenarioParams

__all__ = ["NumericField", "numeric_fields"]


@dataclass(frozen=True)
class NumericField:
    """One numeric key of a scenario.

    Attributes:
        key: dotted key, as ``--set`` takes it.
        integer: an int field (else float).
        low, high: the schema's bounds (-inf / inf when it declares none).
        low_open, high_open: the bound itself is excluded (``gt``/``lt``).
        value: the value in the scenario.
    """

    key: str
    integer: bool
    low: float
    high: float
    low_open: bool
    high_open: bool
    value: float


def _bounds(info: Any) -> tuple[float, float, bool, bool]:
    low, high, low_open, high_open = -math.inf, math.inf, False, False
    for meta in getattr(info, "metadata", []):
        if isinstance(meta, Ge):
            low = float(meta.ge)
        elif isinstance(meta, Gt):
            low, low_open = float(meta.gt), True
        elif isinstance(meta, Le):
            high = float(meta.le)
        elif isinstance(meta, Lt):
            high, high_open = float(meta.lt), True
    return low, high, low_open, high_open


def _walk(model: BaseModel, prefix: str, out: list[NumericField]) -> None:
    for name, info in type(model).model_fields.items():
        value = getattr(model, name)
        key = f"{prefix}{name}"
        if isinstance(value, BaseModel):
            _walk(value, f"{key}.", out)
        elif isinstance(value, dict):
            for sub, item in sorted(value.items()):
                if isinstance(item, BaseModel):
                    _walk(item, f"{key}.{sub}.", out)
        elif isinstance(value, bool) or name == "seed":
            continue
        elif isinstance(value, int | float):
            out.append(NumericField(key, isinstance(value, int), *_bounds(info), float(value)))


def numeric_fields(params: ScenarioParams) -> list[NumericField]:
    """Every scalar number of `params` (tables and firms walked; lists, events and
    interventions left out), in schema order, with its declared bounds."""
    out: list[NumericField] = []
    _walk(params, "", out)
    return out
