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

The file's shape is checked by the pydantic schema of `experiments.batch.spec_file` (unknown
keys, types, finite ranges, repeated entries); `parse_spec` then counts the runs from the counts
alone, refusing more than `MAX_RUNS` before any seed is derived or sample drawn.

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

from experiments.batch.spec_file import read_spec_file
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
        merged: overrides of other points of the spec that load to exactly the same scenario
            (a lever value listed twice, two samples rounded to one integer), led by
            ``scenario=<name>`` when the point names another scenario file: they are run once,
            as this variant, and their labels are kept here (`experiments.batch.plan`).
    """

    scenario: str
    overrides: tuple[str, ...]
    inputs: dict[str, Any]
    variant_id: str
    merged: tuple[tuple[str, ...], ...] = ()


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


def _count_points(ranges: list[Range], sampler: str, samples: int) -> int:
    """Uncertainty points a spec asks for, without drawing them (an upper bound for a grid of
    integer ranges, whose repeated points are dropped)."""
    if not ranges:
        return 1
    if sampler != "grid":
        return samples
    return math.prod(
        1 if r.low == r.high else min(samples, int(r.high) - int(r.low) + 1) if r.integer
        else samples
        for r in ranges
    )


def parse_spec(data: dict[str, Any], file: str, text: str = "") -> BatchSpec:
    """Check a spec's TOML data against the schema (`experiments.batch.spec_file.SpecFile`),
    count its runs, and return the `BatchSpec`.

    The number of runs is checked (at most `MAX_RUNS`) before any seed is derived or any
    sample drawn, so an oversized spec fails at once.

    Raises:
        UserError: one line naming `file` and the key at fault, with the remedy.
    """
    raw = read_spec_file(data, file)
    b, reps, unc = raw.batch, raw.replications, raw.uncertainties
    ranges = [
        Range(key, r.low, r.high, bool(r.integer)) for key, r in unc.ranges.items()
    ]
    samples = unc.samples or 0
    n_seeds = reps.seeds if isinstance(reps.seeds, int) else len(reps.seeds)
    n_combos = math.prod(len(v) for v in raw.levers.values())
    n_points = _count_points(ranges, unc.sampler, samples)
    n_runs = len(b.scenarios) * n_combos * n_points * n_seeds
    if n_runs > MAX_RUNS:
        raise spec_error(
            file, "replications.seeds",
            f"{len(b.scenarios)} scenario(s) x {n_combos:,} lever combination(s) x "
            f"{n_points:,} uncertainty point(s) x {n_seeds:,} seed(s) = {n_runs:,} runs is "
            "too many",
            f"keep a batch under {MAX_RUNS:,} runs; split it",
        )
    seeds = derive_seeds(reps.master_seed, n_seeds) if isinstance(reps.seeds, int) else list(
        reps.seeds)
    return BatchSpec(
        name=(b.name or Path(file).stem).strip(), file=file, text=text, scenarios=b.scenarios,
        seeds=seeds, master_seed=reps.master_seed, steps=b.steps, fixed=list(b.set),
        levers=dict(raw.levers), sampler=unc.sampler, samples=samples, ranges=ranges,
        tables=tuple(raw.outcomes.tables), description=b.description,
        runs_per_partition=b.runs_per_partition,
    )


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
    try:
        text = p.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise UserError(f"{shown}: the file is not UTF-8 text (byte {exc.start}); save it as "
                        "UTF-8 TOML") from None
    except OSError as exc:
        raise UserError(f"{shown}: cannot be read ({exc.strerror or exc}); check the path") \
            from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise UserError(f"{shown}: TOML syntax error: {exc}; fix the syntax") from None
    if not data:
        raise UserError(f"{shown}: the spec is empty; write at least [batch] scenarios = "
                        '["baseline"] (examples in experiments/batches/)')
    return parse_spec(data, shown, text)
