"""The schema of a batch spec file, as pydantic models (like the scenario's `world.params`).

`SpecFile` maps the TOML file one-to-one: unknown sections or keys, wrong types, non-finite
numbers (``inf``, ``nan``, ``1e400``), empty lists, repeated entries and reversed or unbounded
ranges are errors. `read_spec_file` turns pydantic's first error into one line naming the spec
file and the dotted key, with the remedy (`REMEDIES`). Counting the runs and deriving seeds
happen later (`experiments.batch.spec.parse_spec`), after the shape is known to be right.
"""

from __future__ import annotations

import math
import re
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from experiments.errors import UserError
from experiments.run.results import TABLES

__all__ = ["MAX_SEED", "REMEDIES", "RangeSpec", "SpecFile", "flatten_keys", "read_spec_file"]

MAX_SEED = 2**63 - 1
"""Largest seed (seeds are stored as signed 64-bit integers in every table)."""

MAX_STEPS = 600
"""Longest run, months (the scenario schema's own limit on ``simulation.steps``)."""


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False)


Seed = Annotated[int, Field(ge=0, le=MAX_SEED)]


class BatchSection(_Section):
    """``[batch]``: what to run."""

    name: str | None = None
    description: str = ""
    scenarios: list[str] = Field(default_factory=lambda: ["baseline"], min_length=1)
    steps: Annotated[int, Field(ge=1, le=MAX_STEPS)] | None = None
    set: list[str] = Field(default_factory=list)
    runs_per_partition: Annotated[int, Field(ge=1, le=10_000)] = 8

    @field_validator("scenarios", mode="before")
    @classmethod
    def _one_name(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value

    @field_validator("scenarios")
    @classmethod
    def _unique_names(cls, value: list[str]) -> list[str]:
        if any(not s.strip() for s in value):
            raise ValueError("a scenario name is empty")
        if len(set(value)) != len(value):
            raise ValueError("a scenario is listed twice")
        return value

    @field_validator("set")
    @classmethod
    def _key_values(cls, value: list[str]) -> list[str]:
        for item in value:
            if "=" not in item or not item.split("=", 1)[0].strip():
                raise ValueError(f"{item!r} is not 'key=value'")
        return value

    @field_validator("name")
    @classmethod
    def _name(cls, value: str | None) -> str | None:
        if value is not None and not value.strip():
            raise ValueError("the name is empty")
        if value is not None and (value.strip() in (".", "..") or "\x00" in value):
            raise ValueError(f"{value!r} cannot name a folder")
        return value


class ReplicationsSection(_Section):
    """``[replications]``: a count of derived seeds or an explicit list, and the entropy."""

    seeds: Annotated[int, Field(ge=1)] | Annotated[list[Seed], Field(min_length=1)] = 1
    master_seed: Seed = 0

    @field_validator("seeds")
    @classmethod
    def _unique_seeds(cls, value: int | list[int]) -> int | list[int]:
        if isinstance(value, list) and len(set(value)) != len(value):
            raise ValueError("a seed is listed twice")
        return value


class RangeSpec(_Section):
    """One uncertainty: ``[low, high]`` or ``{ low = ..., high = ..., integer = true }``."""

    low: float
    high: float
    integer: bool | None = None

    @model_validator(mode="before")
    @classmethod
    def _pair(cls, value: Any) -> Any:
        if isinstance(value, list):
            if len(value) != 2:
                raise ValueError(f"expected [low, high], got {len(value)} numbers")
            return {"low": value[0], "high": value[1],
                    "integer": all(isinstance(v, int) and not isinstance(v, bool)
                                   for v in value)}
        if isinstance(value, dict) and "integer" not in value:
            ints = all(isinstance(value.get(k), int) and not isinstance(value.get(k), bool)
                       for k in ("low", "high"))
            return {**value, "integer": ints}
        return value

    @model_validator(mode="after")
    def _ordered(self) -> RangeSpec:
        if self.low > self.high:
            raise ValueError(f"low {self.low:g} is above high {self.high:g}")
        if not math.isfinite(self.high - self.low):
            raise ValueError("the range is too wide to sample (high - low overflows)")
        if self.integer and max(abs(self.low), abs(self.high)) > 2**53:
            raise ValueError("integer bounds must be within +-2**53")
        return self


class UncertaintiesSection(_Section):
    """``[uncertainties]``: the sampler, the number of points, and the ranges."""

    sampler: Literal["lhs", "sobol", "grid"] = "lhs"
    samples: Annotated[int, Field(ge=1)] | None = None
    ranges: dict[str, RangeSpec] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _samples(self) -> UncertaintiesSection:
        if not self.ranges:
            return self
        n = self.samples
        if n is None:
            raise ValueError("samples: ranges are given but not how many samples; "
                             "write e.g. samples = 16")
        if self.sampler == "sobol" and n & (n - 1):
            raise ValueError(f"samples: Sobol samples must be a power of 2, got {n}; use "
                             f"{1 << (n - 1).bit_length()} or {1 << (n.bit_length() - 1)}")
        if self.sampler == "grid" and n < 2 and any(r.low != r.high for r in self.ranges.values()):
            raise ValueError("samples: a grid needs at least 2 points per range")
        return self


class OutcomesSection(_Section):
    """``[outcomes]``: the tables kept."""

    tables: list[Literal[TABLES]] = Field(default_factory=lambda: list(TABLES),  # type: ignore[valid-type]
                                          min_length=1)

    @field_validator("tables")
    @classmethod
    def _unique_tables(cls, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise ValueError("a table is listed twice")
        return value


class SpecFile(_Section):
    """A whole spec file (docs/batches.md, 'Spec format')."""

    batch: BatchSection = Field(default_factory=BatchSection)
    replications: ReplicationsSection = Field(default_factory=ReplicationsSection)
    levers: dict[str, Annotated[list[Any], Field(min_length=1)]] = Field(default_factory=dict)
    uncertainties: UncertaintiesSection = Field(default_factory=UncertaintiesSection)
    outcomes: OutcomesSection = Field(default_factory=OutcomesSection)

    @model_validator(mode="after")
    def _one_place(self) -> SpecFile:
        both = sorted(set(self.levers) & set(self.uncertainties.ranges))
        if both:
            raise ValueError(f"uncertainties.ranges.{both[0]}: the key is both a lever and an "
                             "uncertainty; vary it in one place only")
        return self


REMEDIES: dict[str, str] = {
    "batch.scenarios": 'write e.g. scenarios = ["baseline"], each scenario once',
    "batch.steps": f"write a whole number of months from 1 to {MAX_STEPS}, or remove it",
    "batch.set": 'write e.g. set = ["market.cuda_lockin=2.0"]',
    "batch.runs_per_partition": "write a whole number from 1 to 10000 (default 8)",
    "batch.name": 'write e.g. name = "my_batch"',
    "replications.seeds": f"write e.g. seeds = 10 or seeds = [1, 2, 3] (each from 0 to {MAX_SEED})",
    "replications.master_seed": f"write a whole number from 0 to {MAX_SEED}",
    "levers": 'write e.g. "foundry.allocation_rule" = ["pro_rata", "uniform"]',
    "uncertainties.sampler": "use one of lhs, sobol, grid",
    "uncertainties.samples": "write e.g. samples = 16",
    "uncertainties.ranges": "write finite numbers [low, high] or "
                            "{ low = ..., high = ..., integer = true }",
    "outcomes.tables": f"choose among {', '.join(TABLES)}, each once",
    "": "sections are batch, replications, levers, uncertainties, outcomes",
}
"""Remedy shown with an error, by the longest matching key prefix."""


def flatten_keys(data: dict[str, Any], is_leaf: Any, prefix: str = "") -> dict[str, Any]:
    """Nested tables -> dotted keys, so ``firms.Nvidia.x = ...`` and ``"firms.Nvidia.x"`` agree."""
    out: dict[str, Any] = {}
    for key, value in data.items():
        dotted = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(value, dict) and not is_leaf(value):
            out.update(flatten_keys(value, is_leaf, dotted))
        else:
            out[dotted] = value
    return out


def _is_range(value: dict[str, Any]) -> bool:
    return "low" in value or "high" in value


_TYPE_TAG = re.compile(
    r"^(?:function-[a-z]+\[|union\[|list\[|dict\[|constrained-|(?:int|float|str|bool)$)"
)


def _where(loc: tuple[Any, ...]) -> str:
    """Dotted key of an error location, without pydantic's union branch names."""
    parts: list[str] = []
    for seg in loc:
        text = str(seg)
        if isinstance(seg, str) and _TYPE_TAG.match(text):
            continue  # a union branch's name, not a key
        if isinstance(seg, int):
            parts[-1:] = [f"{parts[-1]}[{seg}]"] if parts else [f"[{seg}]"]
        else:
            parts.append(text)
    return ".".join(parts)


def _remedy(key: str) -> str:
    best = ""
    for prefix in REMEDIES:
        if (key == prefix or key.startswith(prefix + ".") or key.startswith(prefix + "[")
                or prefix == "") and len(prefix) >= len(best):
            best = prefix
    return REMEDIES[best]


def read_spec_file(data: dict[str, Any], file: str) -> SpecFile:
    """Validate a spec's TOML data (nested keys flattened to dotted ones).

    Raises:
        UserError: one line ``<file>: <key>: <problem>; <remedy>``.
    """
    data = dict(data)
    for section in ("levers", "uncertainties"):
        if section in data and not isinstance(data[section], dict):
            raise UserError(f"{file}: {section}: expected a table; write it as [{section}]")
    if isinstance(data.get("levers"), dict):
        data["levers"] = flatten_keys(data["levers"], lambda v: False)
    unc = data.get("uncertainties")
    if isinstance(unc, dict) and isinstance(unc.get("ranges"), dict):
        data["uncertainties"] = {**unc, "ranges": flatten_keys(unc["ranges"], _is_range)}
    try:
        return SpecFile.model_validate(data)
    except ValidationError as exc:
        errors = exc.errors()
        err = max(errors, key=lambda e: len(e["loc"]))  # a union: the branch that got deepest
        key = _where(err["loc"])
        msg = str(err["msg"]).removeprefix("Value error, ")
        if msg.startswith("uncertainties.ranges.") or msg.startswith("samples: "):
            head, _, msg = msg.partition(": ")
            key = head if head.startswith("uncertainties") else f"{key}.{head}".strip(".")
        if err["type"] == "extra_forbidden":
            msg = "unknown section" if "." not in key else "unknown key"
            section = SpecFile.model_fields.get(key.split(".")[0])
            model = section.annotation if section is not None else None
            if isinstance(model, type) and issubclass(model, BaseModel) and "." in key:
                msg += f"; keys of [{key.split('.')[0]}] are {', '.join(model.model_fields)}"
        elif err["type"] not in ("missing", "value_error") and "input" in err:
            shown = repr(err["input"])
            msg += f" (got {shown[:60]}{'...' if len(shown) > 60 else ''})"
        if err["type"] != "value_error":
            msg = msg[:1].lower() + msg[1:]
        if "; " in msg:  # the validator gave its own remedy
            problem, _, remedy = msg.partition("; ")
        else:
            problem, remedy = msg, _remedy(key)
        more = len({_where(e["loc"]) for e in errors} - {key})
        if more:
            problem += f" [and {more} more error{'s' if more > 1 else ''}]"
        raise UserError(f"{file}: {key or '(top level)'}: {problem}; {remedy}") from None
