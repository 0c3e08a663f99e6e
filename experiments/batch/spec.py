"""Batch specs: which scenarios, which variations, how many replications (EMA's vocabulary).

A spec is a TOML file (examples in ``experiments/batches/``)::

    [batch]
    name = "financing_grid"           # default: the file's stem
    scenarios = ["baseline", "what_if/no_vendor_financing"]
    steps = 36                        # optional: months per run (default: each scenario's)
    set = ["negotiation.max_rounds=4"]  # optional: fixed overrides for every run
    runs_per_partition = 8            # optional: seeds stored together per variant (default 8)

    [replications]
    seeds = 10                        # a count (derived from master_seed) or a list [1, 2, 3]
    master_seed = 2025                # entropy of the derived seeds and of the samplers

    [levers]                          # policy keys: full grid (cartesian product)
    "foundry.allocation_rule" = ["pro_rata", "uniform"]

    [uncertainties]                   # sampled ranges: Latin hypercube, Sobol or grid
    sampler = "lhs"                   # "lhs", "sobol" (samples a power of 2) or "grid"
    samples = 8                       # number of points ("grid": points per range)
    [uncertainties.ranges]
    "market.cuda_lockin" = [0.5, 2.0]
    "sites.n_sites" = { low = 600, high = 900, integer = true }

    [outcomes]
    tables = ["shares", "markets", "firms", "physical"]   # tables to keep (default: all)

Every variation is a list of the same ``key=value`` overrides that ``compute-market run --set``
takes. The runs are scenarios x lever combinations x uncertainty samples x seeds; each
replication uses the same seed in every variant (common random numbers, as BehaviorSpace and
EMA Workbench do), so variants differ by their inputs, not their luck.

Seeds and samples come from ``numpy.random.SeedSequence(master_seed)`` children with fixed
spawn keys, never from time or worker identity: replication ``i`` gets the same seed however
many replications there are, so adding seeds to a batch keeps the runs already done.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from experiments.errors import UserError
from experiments.run.results import TABLES

__all__ = [
    "BatchSpec",
    "Range",
    "Variant",
    "derive_seeds",
    "load_spec",
    "parse_spec",
    "spec_error",
    "toml_value",
]

SAMPLERS = ("lhs", "sobol", "grid")
SECTIONS = ("batch", "replications", "levers", "uncertainties", "outcomes")
MAX_RUNS = 1_000_000


def spec_error(file: str | Path, key: str, problem: str, remedy: str) -> UserError:
    """One-line error naming the spec file and key: ``<file>: <key>: <problem>; <remedy>``."""
    return UserError(f"{file}: {key}: {problem}; {remedy}")


def toml_value(value: Any) -> str:
    """Write `value` as a TOML literal, the form ``--set key=value`` reads back unchanged."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | np.integer):
        return str(int(value))
    if isinstance(value, float | np.floating):
        text = repr(float(value))
        return {"nan": "nan", "inf": "inf", "-inf": "-inf"}.get(text, text)
    if isinstance(value, str):
        # JSON escapes the C0 controls; TOML also forbids a raw DEL (U+007F)
        return json.dumps(value, ensure_ascii=False).replace("\x7f", "\\u007f")
    if isinstance(value, list | tuple):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k} = {toml_value(v)}" for k, v in value.items()) + "}"
    raise TypeError(f"cannot write {value!r} as a TOML value")


@dataclass(frozen=True)
class Range:
    """An uncertainty: a key sampled in ``[low, high]`` (rounded when `integer`)."""

    key: str
    low: float
    high: float
    integer: bool = False

    def scale(self, u: np.ndarray) -> list[Any]:
        """Map unit-interval points `u` onto the range (integers: equal-width bins)."""
        if self.integer:
            span = int(self.high) - int(self.low) + 1
            return [int(self.low) + min(int(x * span), span - 1) for x in u]
        return [float(self.low + x * (self.high - self.low)) for x in u]


@dataclass(frozen=True)
class Variant:
    """One scenario with one set of overrides (lever values and uncertainty values).

    Attributes:
        scenario: scenario name or path, as given in the spec.
        overrides: ``key=value`` strings, fixed ``set`` first, then levers, then uncertainties.
        inputs: the varied keys and their values (for the variants table).
        variant_id: 12 hex digits of sha256(scenario, overrides, steps): the same inputs give
            the same id in any spec, so a resumed or extended batch finds its runs again.
    """

    scenario: str
    overrides: tuple[str, ...]
    inputs: dict[str, Any]
    variant_id: str


@dataclass
class BatchSpec:
    """A parsed, shape-checked batch spec (see the module docstring for the format).

    Scenario values are validated later, by `experiments.batch.plan.make_plan`.
    """

    name: str
    file: str
    text: str
    scenarios: list[str]
    seeds: list[int]
    master_seed: int
    steps: int | None = None
    fixed: list[str] = field(default_factory=list)
    levers: dict[str, list[Any]] = field(default_factory=dict)
    sampler: str = "lhs"
    samples: int = 0
    ranges: list[Range] = field(default_factory=list)
    tables: tuple[str, ...] = TABLES
    description: str = ""
    runs_per_partition: int = 8

    @property
    def sha256(self) -> str:
        """Hash of the spec file's text."""
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()

    def compute_variants(self) -> list[Variant]:
        """All variants: scenarios x lever grid x uncertainty samples, in a fixed order."""
        lever_keys = list(self.levers)
        grid = list(itertools.product(*(self.levers[k] for k in lever_keys)))
        samples = self.compute_samples()
        out = []
        for scenario in self.scenarios:
            for combo in grid:
                for sample in samples:
                    inputs = {**dict(zip(lever_keys, combo, strict=True)), **sample}
                    overrides = tuple(self.fixed) + tuple(
                        f"{k}={toml_value(v)}" for k, v in inputs.items()
                    )
                    ident = json.dumps([scenario, list(overrides), self.steps])
                    vid = hashlib.sha256(ident.encode("utf-8")).hexdigest()[:12]
                    out.append(Variant(scenario, overrides, inputs, vid))
        return out

    def compute_samples(self) -> list[dict[str, Any]]:
        """The uncertainty samples (one empty sample when there are no ranges)."""
        if not self.ranges:
            return [{}]
        d = len(self.ranges)
        if self.sampler == "grid":
            axes = [np.linspace(0.0, 1.0, self.samples) for _ in self.ranges]
            values = [r.scale(a) for r, a in zip(self.ranges, axes, strict=True)]
            uniq = [list(dict.fromkeys(v)) for v in values]  # integer ranges may repeat
            return [
                dict(zip([r.key for r in self.ranges], combo, strict=True))
                for combo in itertools.product(*uniq)
            ]
        from scipy.stats import qmc

        seq = np.random.SeedSequence(self.master_seed, spawn_key=(1,))
        rng = np.random.default_rng(seq)
        if self.sampler == "lhs":
            unit = qmc.LatinHypercube(d=d, rng=rng).random(self.samples)
        else:
            unit = qmc.Sobol(d=d, scramble=True, rng=rng).random_base2(
                int(math.log2(self.samples))
            )
        cols = [r.scale(unit[:, j]) for j, r in enumerate(self.ranges)]
        return [
            {r.key: cols[j][i] for j, r in enumerate(self.ranges)} for i in range(len(unit))
        ]


def derive_seeds(master_seed: int, count: int) -> list[int]:
    """Seeds of `count` replications: child ``i`` of ``SeedSequence(master_seed)``, 63 bits.

    Replication ``i`` gets the same seed whatever `count` is (fixed spawn key ``(0, i)``).
    """
    return [
        int(np.random.SeedSequence(master_seed, spawn_key=(0, i)).generate_state(1, np.uint64)[0])
        >> 1
        for i in range(count)
    ]


def _flatten(data: dict[str, Any], is_leaf: Any, prefix: str = "") -> dict[str, Any]:
    """Nested tables -> dotted keys, so ``firms.Nvidia.x = ...`` and ``"firms.Nvidia.x"`` agree."""
    out: dict[str, Any] = {}
    for key, value in data.items():
        dotted = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(value, dict) and not is_leaf(value):
            out.update(_flatten(value, is_leaf, dotted))
        else:
            out[dotted] = value
    return out


def _expect(ok: bool, file: str, key: str, problem: str, remedy: str) -> None:
    if not ok:
        raise spec_error(file, key, problem, remedy)


def _parse_range(file: str, key: str, value: Any) -> Range:
    where = f"uncertainties.ranges.{key}"
    remedy = "write [low, high] or { low = ..., high = ..., integer = true }"
    if isinstance(value, list):
        _expect(len(value) == 2, file, where, f"expected [low, high], got {value!r}", remedy)
        value = {"low": value[0], "high": value[1]}
    _expect(isinstance(value, dict), file, where, f"expected a range, got {value!r}", remedy)
    unknown = set(value) - {"low", "high", "integer"}
    _expect(not unknown, file, where, f"unknown keys {sorted(unknown)}", remedy)
    low, high = value.get("low"), value.get("high")
    nums = all(isinstance(v, int | float) and not isinstance(v, bool) for v in (low, high))
    _expect(nums, file, where, f"low and high must be numbers, got {low!r}, {high!r}", remedy)
    _expect(low <= high, file, where, f"low {low} is above high {high}", "swap them")
    integer = value.get("integer", isinstance(low, int) and isinstance(high, int))
    _expect(isinstance(integer, bool), file, where, "integer must be true or false", remedy)
    return Range(key, float(low), float(high), integer)


def parse_spec(data: dict[str, Any], file: str, text: str = "") -> BatchSpec:
    """Check the shape of a spec's TOML data and return the `BatchSpec`.

    Raises:
        UserError: one line naming `file` and the key at fault, with the remedy.
    """
    unknown = sorted(set(data) - set(SECTIONS))
    _expect(
        not unknown, file, unknown[0] if unknown else "", "unknown section",
        f"sections are {', '.join(SECTIONS)}",
    )
    for sec in SECTIONS:
        _expect(
            isinstance(data.get(sec, {}), dict), file, sec, "expected a table",
            f"write it as [{sec}]",
        )
    batch = dict(data.get("batch", {}))
    allowed = {"name", "description", "scenarios", "steps", "set", "runs_per_partition"}
    bad = sorted(set(batch) - allowed)
    _expect(not bad, file, f"batch.{bad[0] if bad else ''}", "unknown key",
            f"keys of [batch] are {', '.join(sorted(allowed))}")
    scenarios = batch.get("scenarios", ["baseline"])
    if isinstance(scenarios, str):
        scenarios = [scenarios]
    _expect(
        isinstance(scenarios, list) and scenarios and all(isinstance(s, str) for s in scenarios),
        file, "batch.scenarios", f"expected a list of scenario names, got {scenarios!r}",
        'write e.g. scenarios = ["baseline"]',
    )
    _expect(len(set(scenarios)) == len(scenarios), file, "batch.scenarios",
            "a scenario is listed twice", "list each scenario once")
    steps = batch.get("steps")
    _expect(steps is None or (isinstance(steps, int) and not isinstance(steps, bool)
                              and steps >= 1),
            file, "batch.steps", f"expected a whole number of months >= 1, got {steps!r}",
            "write e.g. steps = 36 or remove it")
    per_part = batch.get("runs_per_partition", 8)
    _expect(isinstance(per_part, int) and not isinstance(per_part, bool) and per_part >= 1,
            file, "batch.runs_per_partition",
            f"expected a whole number of runs >= 1, got {per_part!r}",
            "write e.g. runs_per_partition = 8 or remove it")
    fixed = batch.get("set", [])
    _expect(isinstance(fixed, list) and all(isinstance(s, str) and "=" in s for s in fixed),
            file, "batch.set", f"expected a list of 'key=value' strings, got {fixed!r}",
            'write e.g. set = ["market.cuda_lockin=2.0"]')
    name = batch.get("name", Path(file).stem)
    _expect(isinstance(name, str) and bool(name.strip()), file, "batch.name",
            "expected a non-empty string", 'write e.g. name = "my_batch"')

    reps = dict(data.get("replications", {}))
    bad = sorted(set(reps) - {"seeds", "master_seed"})
    _expect(not bad, file, f"replications.{bad[0] if bad else ''}", "unknown key",
            "keys of [replications] are seeds, master_seed")
    master = reps.get("master_seed", 0)
    _expect(isinstance(master, int) and not isinstance(master, bool) and master >= 0,
            file, "replications.master_seed", f"expected an integer >= 0, got {master!r}",
            "write e.g. master_seed = 2025")
    seeds_val = reps.get("seeds", 1)
    if isinstance(seeds_val, int) and not isinstance(seeds_val, bool):
        _expect(seeds_val >= 1, file, "replications.seeds", f"expected >= 1, got {seeds_val}",
                "give a number of replications or a list of seeds")
        seeds = derive_seeds(master, seeds_val)
    else:
        ok = isinstance(seeds_val, list) and seeds_val and all(
            isinstance(s, int) and not isinstance(s, bool) and 0 <= s < 2**63 for s in seeds_val
        )
        _expect(bool(ok), file, "replications.seeds",
                f"expected a count or a list of integer seeds >= 0, got {seeds_val!r}",
                "write e.g. seeds = 10 or seeds = [1, 2, 3]")
        _expect(len(set(seeds_val)) == len(seeds_val), file, "replications.seeds",
                "a seed is listed twice", "list each seed once")
        seeds = list(seeds_val)

    levers = _flatten(dict(data.get("levers", {})), lambda v: False)
    for key, values in levers.items():
        _expect(isinstance(values, list) and len(values) > 0, file, f"levers.{key}",
                f"expected a non-empty list of values, got {values!r}",
                "write e.g. \"foundry.allocation_rule\" = [\"pro_rata\", \"uniform\"]")

    unc = dict(data.get("uncertainties", {}))
    bad = sorted(set(unc) - {"sampler", "samples", "ranges"})
    _expect(not bad, file, f"uncertainties.{bad[0] if bad else ''}", "unknown key",
            "keys of [uncertainties] are sampler, samples and the [uncertainties.ranges] table")
    raw_ranges = unc.get("ranges", {})
    _expect(isinstance(raw_ranges, dict), file, "uncertainties.ranges", "expected a table",
            "write [uncertainties.ranges] with one key = [low, high] per line")
    ranges = [
        _parse_range(file, k, v)
        for k, v in _flatten(raw_ranges, lambda v: "low" in v or "high" in v).items()
    ]
    sampler = unc.get("sampler", "lhs")
    _expect(sampler in SAMPLERS, file, "uncertainties.sampler", f"unknown sampler {sampler!r}",
            f"use one of {', '.join(SAMPLERS)}")
    samples = unc.get("samples", 0 if not ranges else None)
    _expect(not ranges or (isinstance(samples, int) and not isinstance(samples, bool)
                           and samples >= 1),
            file, "uncertainties.samples", f"expected a number of samples >= 1, got {samples!r}",
            "write e.g. samples = 16")
    if ranges and sampler == "sobol":
        _expect(samples & (samples - 1) == 0, file, "uncertainties.samples",
                f"Sobol samples must be a power of 2, got {samples}",
                f"use {1 << (samples - 1).bit_length()} or {1 << (samples.bit_length() - 1)}")
    if ranges and sampler == "grid":
        _expect(samples >= 2 or all(r.low == r.high for r in ranges), file,
                "uncertainties.samples", "a grid needs at least 2 points per range",
                "write samples = 2 or more")
    both = sorted(set(levers) & {r.key for r in ranges})
    _expect(not both, file, f"uncertainties.ranges.{both[0] if both else ''}",
            "the key is both a lever and an uncertainty", "vary it in one place only")

    outcomes = dict(data.get("outcomes", {}))
    bad = sorted(set(outcomes) - {"tables"})
    _expect(not bad, file, f"outcomes.{bad[0] if bad else ''}", "unknown key",
            "[outcomes] has one key, tables")
    tables = outcomes.get("tables", list(TABLES))
    unknown_tables = [t for t in tables if t not in TABLES] if isinstance(tables, list) else []
    _expect(isinstance(tables, list) and bool(tables) and not unknown_tables, file,
            "outcomes.tables", f"unknown or empty tables {unknown_tables or tables!r}",
            f"choose among {', '.join(TABLES)}")

    spec = BatchSpec(
        name=name.strip(), file=file, text=text, scenarios=scenarios, seeds=seeds,
        master_seed=master, steps=steps, fixed=list(fixed), levers=levers, sampler=sampler,
        samples=int(samples or 0), ranges=ranges, tables=tuple(tables),
        description=str(batch.get("description", "")), runs_per_partition=per_part,
    )
    n_runs = len(scenarios) * math.prod(len(v) for v in levers.values()) * len(seeds)
    n_runs *= len(spec.compute_samples()) if ranges and sampler == "grid" else max(samples or 1, 1)
    _expect(n_runs <= MAX_RUNS, file, "replications.seeds", f"{n_runs:,} runs is too many",
            f"keep a batch under {MAX_RUNS:,} runs; split it")
    return spec


def load_spec(path: str | Path) -> BatchSpec:
    """Read and shape-check a batch spec file.

    Raises:
        UserError: the file is missing, is not TOML, or a key is wrong (names file and key).
    """
    p = Path(path)
    shown = str(p)
    if not p.is_file():
        raise UserError(f"{shown}: no such batch spec file; give the path of a .toml spec "
                        "(examples in experiments/batches/)")
    text = p.read_text(encoding="utf-8")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise UserError(f"{shown}: TOML syntax error: {exc}; fix the syntax") from None
    return parse_spec(data, shown, text)
