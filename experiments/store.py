"""The batch results store: one Parquet dataset per batch, one partition per run.

Layout of a batch directory (docs/batches.md)::

    BATCH_DIR/
      batch.json                    batch manifest: spec, plan, executor, status, failures
      variants.parquet              one row per variant: variant_id, scenario, overrides, inputs
      runs/<scenario>/<variant_id>/seed-<seed>/
          shares.parquet ...        the run's tables (with run_id, scenario, seed, variant_id)
          manifest.json             the run's manifest; its presence marks the run complete
      failures/<scenario>__<variant_id>__seed-<seed>.json   error of a run that raised

``<scenario>`` is the scenario's name with ``/`` written as ``--``. A run partition is written
in a hidden temporary folder beside it and renamed into place, so it either exists complete or
not at all; leftovers of a killed batch (``.tmp-*`` folders) are removed on the next start.

`scan_table` returns a lazy polars frame over one table of a batch, for a whole batch, one
scenario or one variant, without reading the others.
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import polars as pl

from experiments.errors import UserError
from experiments.results import MANIFEST, PARQUET_OPTIONS, TABLES, Results, write_parquet_files

__all__ = [
    "BATCH_MANIFEST",
    "FAILURES_DIR",
    "RUNS_DIR",
    "VARIANTS",
    "failure_path",
    "read_batch_manifest",
    "read_run_manifests",
    "remove_partials",
    "run_rel_dir",
    "scan_table",
    "scan_variants",
    "write_json_atomic",
    "write_run",
]

BATCH_MANIFEST = "batch.json"
VARIANTS = "variants.parquet"
RUNS_DIR = "runs"
FAILURES_DIR = "failures"
TMP_PREFIX = ".tmp-"


def scenario_slug(name: str) -> str:
    """Folder name of a scenario: its name with ``/`` written as ``--``."""
    return name.replace("/", "--")


def run_rel_dir(scenario: str, variant_id: str, seed: int) -> str:
    """Partition of a run, relative to the batch directory (POSIX separators)."""
    return f"{RUNS_DIR}/{scenario_slug(scenario)}/{variant_id}/seed-{int(seed)}"


def failure_path(root: Path, scenario: str, variant_id: str, seed: int) -> Path:
    """Where the error record of a failed run goes."""
    return root / FAILURES_DIR / f"{scenario_slug(scenario)}__{variant_id}__seed-{int(seed)}.json"


def write_json_atomic(path: Path, data: Any) -> None:
    """Write JSON to `path` through a temporary file and a rename (never half-written)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.parent / f"{TMP_PREFIX}{path.name}-{uuid.uuid4().hex[:8]}"
    try:
        tmp.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
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


def write_run(
    results: Results,
    run_dir: Path,
    variant_id: str,
    tables: Iterable[str] = TABLES,
    extra_manifest: Mapping[str, Any] | None = None,
) -> None:
    """Write one run's partition atomically: tables, then manifest.json, then rename.

    Each table gets a ``variant_id`` column after ``run_id, scenario, seed``. A partition that
    already exists (a complete run) is replaced.

    Args:
        results: the run's results.
        run_dir: the partition folder (``runs/<scenario>/<variant_id>/seed-<seed>``).
        variant_id: the variant's id.
        tables: names of the tables to keep (the spec's outcomes).
        extra_manifest: batch fields added to the run's manifest (variant, overrides, ...).
    """
    run_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = run_dir.parent / f"{TMP_PREFIX}{run_dir.name}-{uuid.uuid4().hex[:8]}"
    try:
        tmp.mkdir()
        ids = ["run_id", "scenario", "seed"]
        frames = {
            name: results.tables[name].lazy().select(
                *ids, pl.lit(variant_id).alias("variant_id"), pl.exclude(ids)
            )
            for name in tables
        }
        write_parquet_files(frames, tmp)
        manifest = {**results.manifest, **(extra_manifest or {})}
        text = json.dumps(manifest, ensure_ascii=False)  # compact: the C encoder, ~10x faster
        (tmp / MANIFEST).write_text(text + "\n", encoding="utf-8")
        if run_dir.exists():
            shutil.rmtree(run_dir)
        os.replace(tmp, run_dir)
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
        for run_dir in runs.glob("*/*/seed-*"):
            if run_dir.is_dir() and not (run_dir / MANIFEST).is_file():
                shutil.rmtree(run_dir, ignore_errors=True)
                n += 1
    return n


def _check_batch_dir(root: Path) -> None:
    if not (root / BATCH_MANIFEST).is_file():
        raise UserError(
            f"{root} is not a batch directory (no {BATCH_MANIFEST}); give a directory written "
            "by `compute-market batch`"
        )


def read_batch_manifest(batch_dir: str | Path) -> dict[str, Any]:
    """Read ``batch.json`` of a batch directory.

    Raises:
        UserError: if it is missing or unreadable.
    """
    root = Path(batch_dir)
    _check_batch_dir(root)
    try:
        return json.loads((root / BATCH_MANIFEST).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise UserError(f"{root / BATCH_MANIFEST}: cannot be read ({exc})") from None


def scan_variants(batch_dir: str | Path) -> pl.LazyFrame:
    """The variants table of a batch: variant_id, scenario, overrides and one column per
    varied key (levers and uncertainties), as a lazy frame to join with the tables."""
    root = Path(batch_dir)
    _check_batch_dir(root)
    return pl.scan_parquet(root / VARIANTS)


def scan_table(
    batch_dir: str | Path,
    table: str,
    scenario: str | None = None,
    variant: str | None = None,
) -> pl.LazyFrame:
    """A lazy frame over one table of every complete run of a batch (or of a part of it).

    Only the partitions asked for are read: `scenario` and `variant` narrow the file glob.

    Args:
        batch_dir: the batch directory.
        table: a table name (``shares``, ``markets``, ``firms``, ``deals``, ...).
        scenario: only this scenario's runs (its name, e.g. ``what_if/no_vendor_financing``).
        variant: only this variant's runs (a ``variant_id`` from ``variants.parquet``).

    Returns:
        The rows of all matching runs, with ``run_id, scenario, seed, variant_id`` first. Runs
        that failed or were cut off have no files and add no rows.

    Raises:
        UserError: not a batch directory, an unknown table, or nothing matches.
    """
    root = Path(batch_dir)
    _check_batch_dir(root)
    scn = scenario_slug(scenario) if scenario else "*"
    var = variant or "*"
    files = sorted((root / RUNS_DIR).glob(f"{scn}/{var}/seed-*/{table}.parquet"))
    if not files:
        raise UserError(
            f"{root}: no {table!r} table for scenario={scenario or 'any'}, "
            f"variant={variant or 'any'}; check the names (variants.parquet lists the variants, "
            f"tables are {', '.join(TABLES)})"
        )
    return pl.scan_parquet(files, hive_partitioning=False)


def read_run_manifests(batch_dir: str | Path) -> list[dict[str, Any]]:
    """The manifests of the complete runs of a batch (sorted by partition path)."""
    root = Path(batch_dir)
    out = []
    for path in sorted((root / RUNS_DIR).glob(f"*/*/seed-*/{MANIFEST}")):
        out.append(json.loads(path.read_text(encoding="utf-8")))
    return out
