"""From a spec to the list of runs: validate every variant before anything runs.

`make_plan` loads each variant's scenario with its overrides (exactly what a worker will do),
so a bad key or value fails at once with one line naming the spec file and the spec key that
produced it. It also computes each run's expected run id (scenario hash and seed), which lets a
resumed batch check that the runs already on disk were made from the same inputs.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Collection
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import polars as pl

from experiments.batch.spec import BatchSpec, Variant, spec_error
from experiments.batch.store import VARIANT_ID_COLUMNS, partition_rel_dir, run_key
from experiments.batch.worker import RunChunk, RunTask
from experiments.errors import ScenarioError
from experiments.run.runner import make_run_id
from experiments.scenario.loader import (
    load_scenario,
    resolve_scenario_path,
    scenario_hash,
    scenario_hashes_by_seed,
)
from world.params import ScenarioParams

__all__ = ["Plan", "make_plan"]


@dataclass
class Plan:
    """The runs of a batch in a fixed order, and the variants they come from."""

    spec: BatchSpec
    variants: list[Variant]
    names: dict[str, str]
    tasks: list[RunTask]

    def compute_chunks(self, done: Collection[str] = ()) -> list[RunChunk]:
        """The runs still to do, one chunk per partition, in plan order.

        Args:
            done: run ids already complete on disk (left out of the chunks).
        """
        blocks: dict[str, list[RunTask]] = {}
        for task in self.tasks:
            blocks.setdefault(task.part_dir, []).append(task)
        skip = set(done)
        chunks = []
        for tasks in blocks.values():
            todo = tuple(t for t in tasks if t.run_id not in skip)
            if todo:
                chunks.append(RunChunk(tasks=todo, order=tuple(t.run_id for t in tasks)))
        return chunks

    def variants_frame(self) -> pl.DataFrame:
        """One row per variant: id, scenario (name), overrides, and one column per varied key."""
        rows: list[dict[str, Any]] = []
        for i, v in enumerate(self.variants):
            rows.append({
                "variant_id": v.variant_id,
                "variant_index": i,
                "scenario": self.names[v.variant_id],
                "overrides": list(v.overrides),
                "merged_overrides": [list(m) for m in v.merged],
                **v.inputs,
            })
        fixed = {"merged_overrides": pl.List(pl.List(pl.String))}
        try:
            return pl.DataFrame(rows, infer_schema_length=None, schema_overrides=fixed)
        except (TypeError, pl.exceptions.PolarsError):  # a lever mixing types: keep text
            keys = [k for k in rows[0] if k not in VARIANT_ID_COLUMNS]
            for row in rows:
                row.update({k: str(row[k]) for k in keys})
            return pl.DataFrame(rows, infer_schema_length=None, schema_overrides=fixed)


def _spec_key(spec: BatchSpec, override: str | None) -> str:
    """The spec key that produced an override (``levers.x``, ``uncertainties.ranges.x``)."""
    if override is None:
        return "batch.scenarios"
    key = override.split("=", 1)[0].strip()
    if key in spec.levers:
        return f"levers.{key}"
    if any(r.key == key for r in spec.ranges):
        return f"uncertainties.ranges.{key}"
    return "batch.set"


def _scenario_ref(spec: BatchSpec, scenario: str) -> str:
    """A scenario reference every worker resolves the same way: shipped name or absolute path."""
    try:
        path = resolve_scenario_path(scenario, relative_to=Path(spec.file).parent)
    except ScenarioError as exc:
        raise spec_error(spec.file, "batch.scenarios", exc.message,
                         "use a shipped name (`compute-market scenarios`) or a path") from None
    from experiments.scenario.loader import SCENARIOS_DIR

    try:
        path.resolve().relative_to(SCENARIOS_DIR.resolve())
        return scenario
    except ValueError:
        return str(path.resolve())


def _load_variant(spec: BatchSpec, v: Variant, ref: str) -> ScenarioParams:
    """The variant's scenario, loaded as a worker will load it; a bad value names the spec key."""
    try:
        return load_scenario(ref, list(v.overrides), steps=spec.steps)
    except ScenarioError as exc:
        file = exc.file or ""
        override = file[len("--set "):] if file.startswith("--set ") else None
        if override is not None:
            where = _spec_key(spec, override)
        else:
            where = "batch.steps" if spec.steps else "batch.scenarios"
        detail = f"scenario {v.scenario!r} with {override or 'its own values'}: {exc.message}"
        raise spec_error(spec.file, where, detail, "change the value in the spec") from None


PROGRESS_EVERY_S = 2.0
"""A plan that takes longer than this says how far it has got, this often (on `report`)."""


def make_plan(spec: BatchSpec, ensemble: Any = None,
              report: Callable[[str], None] | None = None) -> Plan:
    """Validate every variant, merge identical ones, and list the runs (variant-major, seeds
    inner).

    Two points of the spec that load to the same scenario (same hash: a lever value listed
    twice, LHS samples rounded to one integer, ``1`` and ``1.0``) are one variant: it is run
    once, under the first point's id, and the other points' overrides are kept in its
    `Variant.merged` (and in ``variants.parquet``). A store never holds two copies of a run.

    With an `ensemble` each seed of a variant draws a calibrated parameter set (the variant's
    own overrides are kept); two points are then merged only when they also fix the same keys,
    so they draw the same sets.

    Args:
        spec: the parsed spec.
        ensemble: a calibrated `Ensemble` (``--ensemble``), or None.
        report: called with a progress line every `PROGRESS_EVERY_S` seconds of a long plan.

    Raises:
        UserError: a scenario cannot be found or a variation gives an invalid scenario; the line
            names the spec file, the spec key, and the scenario's own complaint.
    """
    refs = {s: _scenario_ref(spec, s) for s in spec.scenarios}
    token = uuid.uuid4().hex
    points = spec.compute_variants()
    variants: list[Variant] = []
    first: dict[tuple[str, frozenset[str]], int] = {}  # (scenario hash, fixed keys) -> index
    names: dict[str, str] = {}
    tasks: list[RunTask] = []
    t_start = t_last = time.perf_counter()
    for n, v in enumerate(points):
        now = time.perf_counter()
        if report is not None and now - t_last > PROGRESS_EVERY_S:
            _report_progress(report, n, len(points), len(tasks), now - t_start)
            t_last = now
        params = _load_variant(spec, v, refs[v.scenario])
        variant_digest = scenario_hash(params)
        fixed = frozenset(o.split("=", 1)[0].strip() for o in v.overrides)
        merge_key = (variant_digest, fixed if ensemble is not None else frozenset())
        if merge_key in first:
            i = first[merge_key]
            label = v.overrides if v.scenario == variants[i].scenario else (
                f"scenario={v.scenario}", *v.overrides)
            variants[i] = replace(variants[i], merged=(*variants[i].merged, label))
            continue
        first[merge_key] = len(variants)
        variants.append(v)
        names[v.variant_id] = params.name
        tasks.extend(_variant_tasks(spec, v, params, refs[v.scenario], fixed, variant_digest,
                                    ensemble, token))
    return Plan(spec=spec, variants=variants, names=names, tasks=tasks)


def _report_progress(report: Callable[[str], None], n: int, n_points: int, n_tasks: int,
                     elapsed_s: float) -> None:
    """One progress line of a long plan, with the time left once it exceeds a minute."""
    left_s = elapsed_s / max(n, 1) * (n_points - n)
    report(f"planning: {n:,}/{n_points:,} variants checked, {n_tasks:,} runs "
           f"(about {left_s / 60:.0f} min left)" if left_s >= 60 else
           f"planning: {n:,}/{n_points:,} variants checked, {n_tasks:,} runs")


def _variant_tasks(spec: BatchSpec, v: Variant, params: Any, ref: str, fixed: frozenset[str],
                   variant_digest: str, ensemble: Any, token: str) -> list[RunTask]:
    """The runs of one (kept) variant, one per seed; with an `ensemble` each seed draws its
    calibrated parameter set, so its scenario and digests are its own."""
    tasks: list[RunTask] = []
    digests = (scenario_hashes_by_seed(params, spec.seeds) if ensemble is None
               else [""] * len(spec.seeds))  # drawn per seed below
    for i, (seed, digest) in enumerate(zip(spec.seeds, digests, strict=True)):
        overrides, run_params = v.overrides, params
        if ensemble is not None:  # each seed draws a calibrated parameter set
            overrides = (*v.overrides, *ensemble.overrides_for(seed, params, fixed))
            run_params = load_scenario(ref, list(overrides), steps=spec.steps)
            variant_digest = scenario_hash(run_params)
            digest = scenario_hash(run_params.model_copy(update={"seed": seed}))
        tasks.append(RunTask(
            scenario=ref,
            scenario_name=params.name,
            overrides=overrides,
            seed=seed,
            steps=spec.steps,
            variant_id=v.variant_id,
            run_id=make_run_id(run_params, seed, digest),
            digest=digest,
            variant_digest=variant_digest,
            run_key=run_key(params.name, v.variant_id, seed),
            part_dir=partition_rel_dir(params.name, v.variant_id, i // spec.runs_per_partition),
            tables=spec.tables,
            batch=spec.name,
            token=token,
        ))
    return tasks
