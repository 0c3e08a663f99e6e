"""From a spec to the list of runs: validate every variant before anything runs.

`make_plan` loads each variant's scenario with its overrides (exactly what a worker will do),
so a bad key or value fails at once with one line naming the spec file and the spec key that
produced it. It also computes each run's expected run id (scenario hash and seed), which lets a
resumed batch check that the runs already on disk were made from the same inputs.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from experiments.batch.spec import BatchSpec, Variant, spec_error
from experiments.batch.store import partition_rel_dir, run_key
from experiments.batch.worker import RunChunk, RunTask
from experiments.errors import ScenarioError
from experiments.run.runner import make_run_id
from experiments.scenario.loader import load_scenario, resolve_scenario_path, scenario_hash

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
                **v.inputs,
            })
        try:
            return pl.DataFrame(rows, infer_schema_length=None)
        except (TypeError, pl.exceptions.PolarsError):  # a lever mixing types: keep text
            keys = [k for k in rows[0] if k not in ("variant_id", "variant_index", "scenario",
                                                    "overrides")]
            for row in rows:
                row.update({k: str(row[k]) for k in keys})
            return pl.DataFrame(rows, infer_schema_length=None)


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


def make_plan(spec: BatchSpec, ensemble: Any = None) -> Plan:
    """Validate every variant and list the runs (variant-major, seeds inner).

    Raises:
        UserError: a scenario cannot be found or a variation gives an invalid scenario; the line
            names the spec file, the spec key, and the scenario's own complaint.
    """
    refs = {s: _scenario_ref(spec, s) for s in spec.scenarios}
    token = uuid.uuid4().hex
    variants = spec.compute_variants()
    names: dict[str, str] = {}
    tasks: list[RunTask] = []
    for v in variants:
        try:
            params = load_scenario(refs[v.scenario], list(v.overrides), steps=spec.steps)
        except ScenarioError as exc:
            file = exc.file or ""
            override = file[len("--set "):] if file.startswith("--set ") else None
            if override is not None:
                where = _spec_key(spec, override)
            else:
                where = "batch.steps" if spec.steps else "batch.scenarios"
            detail = f"scenario {v.scenario!r} with {override or 'its own values'}: {exc.message}"
            raise spec_error(spec.file, where, detail, "change the value in the spec") from None
        names[v.variant_id] = params.name
        variant_digest = scenario_hash(params)
        for i, seed in enumerate(spec.seeds):
            overrides, run_params = v.overrides, params
            if ensemble is not None:  # each seed draws a calibrated parameter set
                fixed = {o.split("=", 1)[0].strip() for o in v.overrides}
                overrides = (*v.overrides, *ensemble.overrides_for(seed, params, fixed))
                run_params = load_scenario(refs[v.scenario], list(overrides), steps=spec.steps)
                variant_digest = scenario_hash(run_params)
            digest = scenario_hash(run_params.model_copy(update={"seed": seed}))
            run_id = make_run_id(run_params, seed, digest)
            tasks.append(RunTask(
                scenario=refs[v.scenario],
                scenario_name=params.name,
                overrides=overrides,
                seed=seed,
                steps=spec.steps,
                variant_id=v.variant_id,
                run_id=run_id,
                digest=digest,
                variant_digest=variant_digest,
                run_key=run_key(params.name, v.variant_id, seed),
                part_dir=partition_rel_dir(params.name, v.variant_id,
                                           i // spec.runs_per_partition),
                tables=spec.tables,
                batch=spec.name,
                token=token,
            ))
    return Plan(spec=spec, variants=variants, names=names, tasks=tasks)
