"""What a figure is drawn from: one run, a batch of runs, or a what-if comparison.

`load_source(path)` recognises the directory by what it holds:

- a **run** directory (``compute-market run``): ``manifest.json`` and the tables as Parquet;
- a **batch** directory (``compute-market batch``): ``batch.json``, ``variants.parquet`` and
  ``runs/<scenario>/<variant>/part-<block>/`` partitions (experiments.batch.store);
- a **comparison** (``compute-market compare``): a ``compare.parquet`` file, or a directory
  holding one. Its column contract: one row per compared metric with ``metric`` (text),
  ``mean_diff`` (variant minus reference, in the metric's unit), ``ci_low`` and ``ci_high``
  (the interval of that difference); optional ``unit``, ``variant`` (or ``scenario``) when
  several variants are compared with one reference, ``reference``, ``n`` (replications),
  ``label``, ``exact``, ``significant``, ``p_adjusted`` and ``step``/``date`` (a table over
  months: the forest plot shows one month, the top row the effect over time). An optional
  ``compare.json`` beside it may name ``reference``, ``variants``, ``seeds`` for the titles
  and ``step``, the month drawn (default the last).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import polars as pl

from experiments.errors import UserError
from experiments.run.results import MANIFEST, Results, read_results

__all__ = ["COMPARE_COLUMNS", "Source", "load_source", "source_from_results"]

COMPARE_FILE = "compare.parquet"
COMPARE_COLUMNS = ("metric", "mean_diff", "ci_low", "ci_high")
"""Required columns of a comparison table."""

Kind = Literal["run", "batch", "compare"]


@dataclass
class Source:
    """The data behind the figures of one run, batch or comparison.

    Attributes:
        kind: ``run``, ``batch`` or ``compare``.
        path: where it was read from (None for results held in memory).
        label: scenario and seed(s), for titles (e.g. ``baseline, seed 42``).
        manifest: the run manifest, ``batch.json`` or ``compare.json`` (possibly empty).
        run: the run's results (for a batch: its first run, the representative drawn by the
            single-run figures: network and deal timeline).
        tables: for a batch, table name -> rows of every run with a ``variant`` label column.
        compare: for a comparison, the comparison table.
        variants: for a batch, the variants table with a ``variant`` label column.
        notes: lines for the user about the data (planned runs of a batch that are missing).
    """

    kind: Kind
    path: Path | None
    label: str
    manifest: dict[str, Any] = field(default_factory=dict)
    run: Results | None = None
    tables: dict[str, pl.DataFrame] = field(default_factory=dict)
    compare: pl.DataFrame | None = None
    variants: pl.DataFrame | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def run_label(self) -> str:
        """Scenario and seed of `run` (the representative run of a batch)."""
        if self.run is None:
            return self.label
        text = f"{self.run.scenario}, seed {self.run.seed}"
        return text if self.kind == "run" else f"{text} (first run of the batch)"

    def table(self, name: str) -> pl.DataFrame:
        """A table of the run, or of every run of the batch (with ``variant``)."""
        if self.kind == "batch":
            if name not in self.tables:
                self.tables[name] = _read_batch_table(self, name)
            return self.tables[name]
        if self.run is None:
            raise UserError(f"{self.path}: a comparison has no {name!r} table")
        return self.run.tables[name]


def run_label(results: Results) -> str:
    """``<scenario>, seed <n>`` of one run."""
    return f"{results.scenario}, seed {results.seed}"


def source_from_results(results: Results) -> Source:
    """A source for results held in memory (e.g. just computed by `experiments.run.runner.run`)."""
    return Source("run", None, run_label(results), manifest=dict(results.manifest), run=results)


def load_source(path: str | Path) -> Source:
    """Read a run directory, a batch directory or a comparison (see the module docstring).

    Raises:
        UserError: if the path does not exist or is none of the three.
    """
    p = Path(path)
    if p.is_file() and p.name.endswith(".parquet"):
        return _load_compare(p)
    if not p.is_dir():
        raise UserError(f"{p} does not exist; give a run, batch or comparison directory")
    if (p / "batch.json").is_file():
        return _load_batch(p)
    if (p / COMPARE_FILE).is_file():
        return _load_compare(p / COMPARE_FILE)
    if (p / MANIFEST).is_file():
        results = read_results(p)
        return Source("run", p, run_label(results), manifest=dict(results.manifest), run=results)
    raise UserError(
        f"{p} is not a run, batch or comparison directory (no manifest.json, batch.json or "
        f"{COMPARE_FILE}); give a directory written by `compute-market run`, `batch` or `compare`"
    )


def _variant_labels(variants: pl.DataFrame) -> pl.DataFrame:
    from experiments.batch.store import VARIANT_ID_COLUMNS

    inputs = [c for c in variants.columns if c not in VARIANT_ID_COLUMNS]
    labels = []
    for row in variants.iter_rows(named=True):
        parts = [f"{c.split('.')[-1]}={row[c]}" for c in inputs if row[c] is not None]
        labels.append(", ".join(parts) if parts else row["scenario"])
    multi_scenario = variants["scenario"].n_unique() > 1
    if multi_scenario:
        labels = [
            s if lab == s else f"{s}: {lab}"
            for s, lab in zip(variants["scenario"], labels, strict=True)
        ]
    return variants.with_columns(pl.Series("variant", labels, dtype=pl.String))


def _load_batch(root: Path) -> Source:
    from experiments.batch.store import (
        REDO,
        find_missing_runs,
        find_run_manifests,
        read_batch_manifest,
        read_partition_run,
        read_variants,
        table_files,
    )
    from experiments.run.files import check_parquet_file, table_columns

    manifest = read_batch_manifest(root)
    variants = read_variants(root)
    if "variant_index" in variants.columns:
        variants = variants.sort("variant_index")
    variants = _variant_labels(variants)
    run_dirs = find_run_manifests(root)
    if not run_dirs:
        raise UserError(f"{root}: the batch has no complete run yet; run the batch first")
    order = {v: i for i, v in enumerate(variants["variant_id"])}
    first = min(run_dirs, key=lambda m: (order.get(m.parent.parent.name, 1 << 30), str(m)))
    run = read_partition_run(first)
    for table in manifest.get("outcomes", []):  # every file whole before any figure is drawn
        for file in table_files(root, table):
            check_parquet_file(file, REDO, [*table_columns(table), "variant_id"])
    missing = find_missing_runs(root)
    notes = []
    if missing:
        shown = ", ".join(missing[:3]) + (", ..." if len(missing) > 3 else "")
        notes.append(f"{root}: {len(missing)} planned run(s) are missing ({shown}); the "
                     "figures show the runs that are there")
    seeds = len(manifest.get("seeds", [])) or len(run_dirs)
    scenarios = ", ".join(manifest.get("scenarios", [])) or run.scenario
    name = manifest.get("name", root.name)
    label = f"batch {name}: {scenarios}, {seeds} seed{'s' if seeds != 1 else ''}"
    return Source("batch", root, label, manifest=manifest, run=run, variants=variants,
                  notes=notes)


def _read_batch_table(source: Source, name: str) -> pl.DataFrame:
    from experiments.batch.store import scan_table

    assert source.path is not None and source.variants is not None
    from experiments.batch.summary import collect_checked

    frame = collect_checked(scan_table(source.path, name), source.path, name)
    return frame.join(source.variants.select("variant_id", "variant"), on="variant_id", how="left")


def _load_compare(file: Path) -> Source:
    try:
        frame = pl.read_parquet(file)
    except (OSError, pl.exceptions.PolarsError) as exc:
        raise UserError(f"{file}: cannot be read as Parquet ({exc})") from None
    missing = [c for c in COMPARE_COLUMNS if c not in frame.columns]
    if missing:
        raise UserError(
            f"{file}: a comparison table needs columns {', '.join(COMPARE_COLUMNS)}; "
            f"missing {', '.join(missing)}"
        )
    meta_path = file.parent / "compare.json"
    manifest: dict[str, Any] = {}
    if meta_path.is_file():
        try:
            manifest = json.loads(meta_path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            manifest = {}
    return Source("compare", file.parent, compare_label(frame, manifest), manifest, compare=frame)


def compare_label(frame: pl.DataFrame, manifest: dict[str, Any]) -> str:
    """Title text of a comparison: variant(s) vs reference and the replications."""
    ref = manifest.get("reference") or manifest.get("baseline")
    if ref is None and "reference" in frame.columns and frame.height:
        ref = frame["reference"][0]
    col = "variant" if "variant" in frame.columns else "scenario"
    variants = manifest.get("variants") or (
        frame[col].unique(maintain_order=True).to_list() if col in frame.columns else []
    )
    text = "what-if comparison"
    if variants:
        text += f": {', '.join(map(str, variants))}"
    if ref:
        text += f" vs {ref}"
    seeds = manifest.get("seeds")
    n = len(seeds) if isinstance(seeds, list) else seeds
    if n is None and "n" in frame.columns and frame.height:
        n = frame["n"].max()
    if n:
        text += f", {n} seeds"
    return text
