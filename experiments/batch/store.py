"""The batch results store: one Parquet dataset per batch, one partition per run.

Layout of a batch directory (docs/batches.md)::

    BATCH_DIR/
      batch.json                    batch manifest: spec, plan, executor, status, failures
      variants.parquet              one row per variant: variant_id, scenario, overrides, inputs
      runs/<scenario>/<variant_id>/part-<block>/
          shares.parquet ...        the tables of the partition's runs (with run_id, scenario,
                                    seed, variant_id), rows in plan order
          seed-<seed>.json          one manifest per run; its presence marks the run complete
      failures/<scenario>__<variant_id>__seed-<seed>.json   error of a run that raised

``<scenario>`` is the scenario's name with ``/`` written as ``--``. A partition holds a block of
consecutive seeds of one variant (``runs_per_partition`` of the spec, default 8): one Parquet
file per table for the block rather than per run, since writing a small Parquet file costs
about as much as its contents (~0.7 ms each). A partition is written in a hidden temporary
folder beside it and renamed into place, so it exists complete or not at all; a block finished
over several starts (a failed run retried, seeds added) is rewritten with its earlier runs
merged in, in plan order, so its bytes equal those of a block written at once. Leftovers of a
killed batch (``.tmp-*`` folders) are removed on the next start.

`scan_table` returns a lazy polars frame over one table of a batch, for a whole batch, one
scenario or one variant, without reading the others.

One module, though over 400 lines: it is the single owner of the directory layout above, and
its writers and readers are two halves of that one format (a name or path rule changed on one
side must change on the other). Split in two, every reader would import the writer's layout
helpers, and a format change would span files.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import polars as pl

from experiments.errors import UserError
from experiments.run.files import (
    check_columns,
    check_parquet_file,
    read_json_file,
    read_parquet_file,
    table_columns,
    write_json_text,
)
from experiments.run.results import (
    PARQUET_OPTIONS,
    TABLES,
    Results,
    empty_table,
    write_parquet_files,
)

__all__ = [
    "BATCH_MANIFEST",
    "FAILURES_DIR",
    "RUNS_DIR",
    "VARIANTS",
    "VARIANT_ID_COLUMNS",
    "failure_path",
    "find_missing_runs",
    "find_run_manifests",
    "partition_rel_dir",
    "planned_runs",
    "read_batch_manifest",
    "read_partition_run",
    "read_run_manifests",
    "read_variants",
    "remove_partials",
    "run_key",
    "run_key_of_manifest",
    "run_manifest_name",
    "scan_table",
    "scan_variants",
    "table_files",
    "write_json_atomic",
    "write_partition",
]

BATCH_MANIFEST = "batch.json"
VARIANTS = "variants.parquet"
RUNS_DIR = "runs"
FAILURES_DIR = "failures"
TMP_PREFIX = ".tmp-"
PART_PREFIX = "part-"
VARIANT_ID_COLUMNS = ("variant_id", "variant_index", "scenario", "overrides", "merged_overrides")
"""Columns of ``variants.parquet`` that are not varied inputs (the others are levers and
uncertainties)."""


def scenario_slug(name: str) -> str:
    """Folder name of a scenario: its name with ``/`` written as ``--``."""
    return name.replace("/", "--")


def partition_rel_dir(scenario: str, variant_id: str, block: int) -> str:
    """A partition (block of seeds of one variant), relative to the batch directory."""
    return f"{RUNS_DIR}/{scenario_slug(scenario)}/{variant_id}/{PART_PREFIX}{int(block):05d}"


def run_manifest_name(seed: int) -> str:
    """File name of a run's manifest inside its partition."""
    return f"seed-{int(seed)}.json"


def run_key(scenario: str, variant_id: str, seed: int) -> str:
    """A run's name in messages and failure lists: ``<scenario>/<variant_id>/seed-<seed>``."""
    return f"{scenario_slug(scenario)}/{variant_id}/seed-{int(seed)}"


def run_key_of_manifest(path: Path) -> str:
    """The `run_key` of the run whose manifest is at `path` (``.../<scenario>/<variant_id>/
    part-<block>/seed-<seed>.json``)."""
    return f"{path.parent.parent.parent.name}/{path.parent.parent.name}/{path.stem}"


def find_run_manifests(root: Path) -> list[Path]:
    """Paths of the manifests of every complete run of a batch (sorted)."""
    return sorted((root / RUNS_DIR).glob(f"*/*/{PART_PREFIX}*/seed-*.json"))


def failure_path(root: Path, scenario: str, variant_id: str, seed: int) -> Path:
    """Where the error record of a failed run goes."""
    return root / FAILURES_DIR / f"{scenario_slug(scenario)}__{variant_id}__seed-{int(seed)}.json"


def write_json_atomic(path: Path, data: Any) -> None:
    """Write JSON to `path` through a temporary file and a rename (never half-written)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.parent / f"{TMP_PREFIX}{path.name}-{uuid.uuid4().hex[:8]}"
    try:
        tmp.write_text(write_json_text(data), encoding="utf-8")
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def write_parquet_atomic(frame: pl.DataFrame, path: Path) -> None:
    """Write a frame to `path` through a temporary file and a rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.parent / f"{TMP_PREFIX}{path.name}-{uuid.uuid4().hex[:8]}"
    try:
        frame.write_parquet(tmp, **PARQUET_OPTIONS)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def write_partition(
    runs: Sequence[tuple[Results, Mapping[str, Any]]],
    part_dir: Path,
    variant_id: str,
    tables: Iterable[str] = TABLES,
    order: Sequence[str] = (),
) -> None:
    """Write one partition atomically: every table of its runs, one manifest per run, rename.

    Each table gets a ``variant_id`` column after ``run_id, scenario, seed``. If the partition
    already exists (runs of the same block finished in an earlier start), its runs are kept:
    their rows are read back and merged, then all rows are put in `order`.

    Args:
        runs: the new runs' results, each with the batch fields of its manifest (variant,
            overrides, ...).
        part_dir: the partition folder (``runs/<scenario>/<variant_id>/part-<block>``).
        variant_id: the variant's id.
        tables: names of the tables to keep (the spec's outcomes).
        order: run ids of the whole block in plan order; rows are sorted by it.
    """
    part_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = part_dir.parent / f"{TMP_PREFIX}{part_dir.name}-{uuid.uuid4().hex[:8]}"
    old = part_dir if part_dir.is_dir() else None
    by_run: dict[str, Mapping[str, pl.DataFrame]] = {r.run_id: r.tables for r, _ in runs}
    if old is not None:
        by_run = {**_read_partition_runs(old), **by_run}
    ranked = [run_id for run_id in order if run_id in by_run]
    ranked += sorted(set(by_run) - set(ranked))
    try:
        tmp.mkdir()
        frames: dict[str, pl.DataFrame] = {}
        for name in tables:
            parts = [by_run[run_id][name] for run_id in ranked if name in by_run[run_id]]
            if not parts:
                continue
            frame = pl.concat(parts, how="diagonal_relaxed").clone()  # one part: not a copy
            variant = pl.Series("variant_id", [variant_id], dtype=pl.String)
            frames[name] = frame.insert_column(3, variant.new_from_index(0, frame.height))
        write_parquet_files(frames, tmp)
        for results, extra in runs:
            manifest = {**results.manifest, **extra}
            text = write_json_text(manifest, indent=None)  # compact: the C encoder, ~10x faster
            (tmp / run_manifest_name(results.manifest["seed"])).write_text(text, "utf-8")
        if old is not None:
            for path in old.glob("seed-*.json"):
                if not (tmp / path.name).exists():
                    shutil.copyfile(path, tmp / path.name)
            trash = part_dir.parent / f"{TMP_PREFIX}old-{part_dir.name}-{uuid.uuid4().hex[:8]}"
            os.replace(part_dir, trash)
            os.replace(tmp, part_dir)
            shutil.rmtree(trash, ignore_errors=True)
        else:
            os.replace(tmp, part_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def remove_partials(root: Path) -> int:
    """Delete what a killed batch left half-done: temp folders and partitions with no manifest.

    Returns:
        How many were removed.
    """
    n = 0
    for tmp in sorted(root.rglob(f"{TMP_PREFIX}*")):
        if tmp.is_dir():
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            tmp.unlink(missing_ok=True)
        n += 1
    runs = root / RUNS_DIR
    if runs.is_dir():
        for part in runs.glob(f"*/*/{PART_PREFIX}*"):
            if part.is_dir() and not any(part.glob("seed-*.json")):
                shutil.rmtree(part, ignore_errors=True)
                n += 1
    return n


def _check_batch_dir(root: Path) -> None:
    if not (root / BATCH_MANIFEST).is_file():
        raise UserError(
            f"{root} is not a batch directory (no {BATCH_MANIFEST}); give a directory written "
            "by `compute-market batch`"
        )


REDO = "run the same `compute-market batch` command again to rewrite it"
"""The remedy for a damaged file of a batch: a resumed batch remakes what is missing."""


def read_batch_manifest(batch_dir: str | Path) -> dict[str, Any]:
    """Read ``batch.json`` of a batch directory.

    Raises:
        UserError: if it is missing or damaged (one line naming it).
    """
    root = Path(batch_dir)
    _check_batch_dir(root)
    path = root / BATCH_MANIFEST
    data = read_json_file(path, REDO)
    shapes = {"name": str, "seeds": list, "outcomes": list}
    for key, kind in shapes.items():
        if key in data and not isinstance(data[key], kind):
            raise UserError(f"{path}: damaged, {key!r} is not a {kind.__name__}; {REDO}")
    seeds = data.get("seeds", [])
    if not all(isinstance(x, int) and not isinstance(x, bool) for x in seeds):
        raise UserError(f"{path}: damaged, 'seeds' holds something else than whole numbers; {REDO}")
    return data


def scan_variants(batch_dir: str | Path) -> pl.LazyFrame:
    """The variants table of a batch: variant_id, scenario, overrides and one column per
    varied key (levers and uncertainties), as a lazy frame to join with the tables.

    Raises:
        UserError: not a batch directory, or ``variants.parquet`` is missing or damaged.
    """
    root = Path(batch_dir)
    _check_batch_dir(root)
    check_parquet_file(root / VARIANTS, REDO, VARIANT_ID_COLUMNS[:4])
    return pl.scan_parquet(root / VARIANTS)


def read_variants(batch_dir: str | Path) -> pl.DataFrame:
    """``variants.parquet`` read whole (see `scan_variants`), damage reported in one line."""
    root = Path(batch_dir)
    _check_batch_dir(root)
    frame = read_parquet_file(root / VARIANTS, REDO)
    check_columns(root / VARIANTS, frame.schema, VARIANT_ID_COLUMNS[:4], REDO)
    return frame


def planned_runs(batch_dir: str | Path) -> list[tuple[str, str, int]]:
    """``(scenario, variant_id, seed)`` of every run the batch's spec plans now, in plan order:
    the variants of ``variants.parquet`` times the seeds of ``batch.json``."""
    root = Path(batch_dir)
    seeds = read_batch_manifest(root).get("seeds", [])
    variants = read_variants(root)
    if "variant_index" in variants.columns:
        variants = variants.sort("variant_index")
    return [(str(scn), str(vid), int(seed))
            for scn, vid in variants.select("scenario", "variant_id").iter_rows()
            for seed in seeds]


def find_missing_runs(batch_dir: str | Path) -> list[str]:
    """`run_key` of each planned run with no complete manifest on disk (failed, cut off, not
    run yet, or its partition deleted), in plan order.

    Raises:
        UserError: a planned run's manifest is damaged (named).
    """
    root = Path(batch_dir)
    on_disk = {run_key_of_manifest(p): p for p in find_run_manifests(root)}
    missing = []
    for scn, vid, seed in planned_runs(root):
        key = run_key(scn, vid, seed)
        if key not in on_disk:
            missing.append(key)
        else:
            read_json_file(on_disk[key], REDO)  # a damaged manifest is named, not trusted
    return missing


def table_files(batch_dir: str | Path, table: str, scenario: str | None = None,
                variant: str | None = None) -> list[Path]:
    """The files of one table in the partitions of the planned variants (sorted).

    Raises:
        UserError: a partition holding complete runs lacks the file of a table the batch keeps.
    """
    root = Path(batch_dir)
    kept = read_batch_manifest(root).get("outcomes", TABLES)
    planned = set(read_variants(root)["variant_id"].to_list())
    scn = scenario_slug(scenario) if scenario else "*"
    files = []
    for part in sorted((root / RUNS_DIR).glob(f"{scn}/{variant or '*'}/{PART_PREFIX}*")):
        if part.parent.name not in planned or not any(part.glob("seed-*.json")):
            continue
        file = part / f"{table}.parquet"
        if file.is_file():
            files.append(file)
        elif table in kept:
            raise UserError(f"{file}: missing (its runs' manifests are there); {REDO}")
    return files


def scan_table(
    batch_dir: str | Path,
    table: str,
    scenario: str | None = None,
    variant: str | None = None,
) -> pl.LazyFrame:
    """A lazy frame over one table of every complete planned run of a batch (or of a part).

    Only the partitions asked for are read: `scenario` and `variant` narrow the file glob.
    Runs on disk that the spec no longer plans (a lever value or seeds dropped, then the batch
    run again into the same directory) are left out: the rows are those of the variants in
    ``variants.parquet`` and the seeds in ``batch.json``, each run once.

    Args:
        batch_dir: the batch directory.
        table: a table name (``shares``, ``markets``, ``firms``, ``deals``, ...).
        scenario: only this scenario's runs (its name, e.g. ``what_if/no_vendor_financing``).
        variant: only this variant's runs (a ``variant_id`` from ``variants.parquet``).

    Returns:
        The rows of all matching runs, with ``run_id, scenario, seed, variant_id`` first. Runs
        that failed or were cut off have no files and add no rows.

    Raises:
        UserError: not a batch directory, an unknown table, nothing matches, or a file is
            damaged (the line names it).
    """
    root = Path(batch_dir)
    seeds = read_batch_manifest(root).get("seeds")
    files = table_files(root, table, scenario, variant)
    if not files:
        raise UserError(
            f"{root}: no {table!r} table for scenario={scenario or 'any'}, "
            f"variant={variant or 'any'}; check the names (variants.parquet lists the variants, "
            f"tables are {', '.join(TABLES)})"
        )
    for file in files:
        check_parquet_file(file, REDO, table_columns(table))
    lf = pl.scan_parquet(files, hive_partitioning=False)
    if isinstance(seeds, list):
        lf = lf.filter(pl.col("seed").is_in([int(s) for s in seeds]))
    return lf


def _read_partition_runs(part_dir: Path) -> dict[str, dict[str, pl.DataFrame]]:
    """The tables of a partition split by run: run id -> table name -> rows (no variant_id)."""
    out: dict[str, dict[str, pl.DataFrame]] = {}
    for file in sorted(part_dir.glob("*.parquet")):
        frame = pl.read_parquet(file).drop("variant_id")
        for (run_id,), rows in frame.partition_by("run_id", as_dict=True).items():
            out.setdefault(str(run_id), {})[file.stem] = rows
    return out


def read_partition_run(manifest_path: Path) -> Results:
    """One run of a batch, from its manifest's path: its rows of each table of the partition
    (without ``variant_id``), as `Results`."""
    manifest = read_json_file(manifest_path, REDO)
    tables = {name: empty_table(name) for name in TABLES}
    for file in sorted(manifest_path.parent.glob("*.parquet")):
        rows = read_parquet_file(file, REDO).filter(pl.col("run_id") == manifest.get("run_id"))
        tables[file.stem] = rows.drop("variant_id")
    return Results(tables=tables, manifest=manifest)


def read_run_manifests(batch_dir: str | Path) -> list[dict[str, Any]]:
    """The manifests of the complete runs of a batch (sorted by partition path).

    Raises:
        UserError: a manifest is damaged (the line names it).
    """
    root = Path(batch_dir)
    return [read_json_file(path, REDO) for path in find_run_manifests(root)]
