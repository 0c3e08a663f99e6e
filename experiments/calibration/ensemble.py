"""A calibrated parameter ensemble (the Parquet file `compute-market calibrate` writes), drawn
from per seed by `compare --ensemble` and `batch --ensemble`.

Each row is an accepted parameter set: one column per scenario key (dotted, e.g.
``market.cuda_lockin``), its importance ``weight`` and its ``distance`` to the facts. Seed s
draws row i with probability weight_i / sum(weights) from a generator seeded by (s, `STREAM`),
apart from the model's own random streams, so a seed always gets the same parameter set and the
reference and variant of a paired comparison share it (common random numbers).

A scenario that sets one of the ensemble's keys to something other than the baseline's value
(a what-if lever such as `negotiation.min_financing_ratio`) keeps its own value: the ensemble
varies only what the scenario leaves at the calibrated baseline.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["META_COLUMNS", "STREAM", "Ensemble", "load_ensemble"]

STREAM = 0xE45E
"""Second word of the draw generator's seed (keeps ensemble draws apart from model streams)."""
META_COLUMNS = ("weight", "distance", "generation", "particle")
"""Columns that are not scenario keys."""


def _get(data: dict[str, Any], key: str) -> Any:
    node: Any = data
    for part in key.split("."):
        node = node[part]
    return node


def _put(data: dict[str, Any], key: str, value: Any) -> None:
    parts = key.split(".")
    node = data
    for part in parts[:-1]:
        node = node[part]
    node[parts[-1]] = value


@dataclass(frozen=True)
class Ensemble:
    """Accepted parameter sets (`values[i, j]` is key j of set i) and their weights."""

    path: Path
    keys: tuple[str, ...]
    values: np.ndarray
    weights: np.ndarray

    @cached_property
    def reference(self) -> dict[str, Any]:
        """The baseline's value of each key (a scenario with another value keeps its own)."""
        from experiments.scenario.loader import load_scenario

        data = load_scenario("baseline").model_dump(mode="json")
        return {k: _get(data, k) for k in self.keys}

    def draw(self, seed: int) -> dict[str, float]:
        """The parameter set of `seed`."""
        rng = np.random.default_rng([int(seed), STREAM])
        i = int(rng.choice(len(self.weights), p=self.weights / self.weights.sum()))
        return {k: float(self.values[i, j]) for j, k in enumerate(self.keys)}

    def compute_free_keys(self, params: Any) -> list[str]:
        """Keys the scenario leaves at the baseline's value (the ones the ensemble varies)."""
        data = params.model_dump(mode="json")
        return [k for k in self.keys if _get(data, k) == self.reference[k]]

    def overrides_for(self, seed: int, params: Any, fixed: Collection[str] = ()) -> list[str]:
        """``--set`` strings giving `params` the parameter set of `seed`; keys in `fixed`
        (a batch variant's own overrides, even when equal to the baseline's value) are kept."""
        drawn = self.draw(seed)
        return [f"{k}={drawn[k]!r}" for k in self.compute_free_keys(params) if k not in fixed]

    def apply(self, params: Any, seed: int) -> Any:
        """`params` with the parameter set of `seed` (validated again)."""
        from world.params import ScenarioParams

        drawn = self.draw(seed)
        data = params.model_dump(mode="json")
        for k in self.compute_free_keys(params):
            _put(data, k, drawn[k])
        return ScenarioParams.model_validate(data)


def load_ensemble(path: str | Path) -> Ensemble:
    """Read and check an ensemble file.

    Raises:
        UserError: the file is missing or not Parquet, has no ``weight`` column or no rows,
            has a negative or all-zero weight, or a column that is not a numeric scenario key
            (one line naming the file and the column).
    """
    import polars as pl

    from experiments.errors import ScenarioError, UserError
    from experiments.scenario.loader import load_scenario

    path = Path(path)
    try:
        frame = pl.read_parquet(path)
    except (OSError, pl.exceptions.PolarsError) as exc:
        raise UserError(f"--ensemble {path}: cannot read it as Parquet ({exc})") from None
    if "weight" not in frame.columns or frame.height == 0:
        raise UserError(f"--ensemble {path}: needs a 'weight' column and at least one row "
                        "(write one with `compute-market calibrate`)")
    keys = tuple(c for c in frame.columns if c not in META_COLUMNS)
    if not keys:
        raise UserError(f"--ensemble {path}: no parameter columns")
    for key in keys:
        if not frame[key].dtype.is_numeric():
            raise UserError(f"--ensemble {path}: column {key!r} is not numeric")
        try:
            load_scenario("baseline", [f"{key}={float(frame[key][0])!r}"])
        except ScenarioError as exc:
            raise UserError(f"--ensemble {path}: column {key!r}: {exc.problem}") from None
    weights = frame["weight"].cast(pl.Float64).to_numpy()
    if not np.all(np.isfinite(weights)) or (weights < 0).any() or weights.sum() <= 0:
        raise UserError(f"--ensemble {path}: column 'weight' must be >= 0 with a positive sum")
    values = frame.select(keys).cast(pl.Float64).to_numpy()
    return Ensemble(path=path, keys=keys, values=values, weights=weights)
