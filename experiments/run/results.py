"""The results of one run: tidy polars tables plus a manifest, and their on-disk form.

`experiments.run.schemas.SCHEMAS` is the single source of truth for the output tables: every
required column with its dtype (re-exported here). `Results.from_tables` turns the model's columnar
dicts into frames with exactly those dtypes (extra columns are kept after the required ones),
adds `run_id`, `scenario`, `seed`, and builds the manifest. `Results.write` writes a run
directory atomically; `read_results` reads one back.

A run directory holds one ``<table>.parquet`` per table and ``manifest.json``, written last:
a directory with a manifest is complete. Parquet bytes depend only on the table contents
(timestamps live in the manifest only), so equal tables give identical files.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import os
import platform
import shutil
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from experiments.errors import UserError
from experiments.run.files import (
    MANIFEST_KEYS,
    check_columns,
    read_json_file,
    read_parquet_file,
    table_columns,
)
from experiments.run.lock import OutputLock, sweep_litter
from experiments.run.schemas import (
    EXTRA_SCHEMAS,
    ID_SCHEMA,
    LENIENT,
    REQUIRED_FROM_MODEL,
    SCHEMAS,
    TABLES,
)
from experiments.scenario.loader import scenario_hash
from world.calendar import step_date
from world.params import ScenarioParams

__all__ = [
    "EXTRA_SCHEMAS", "ID_SCHEMA", "REQUIRED_FROM_MODEL", "SCHEMAS", "TABLES", "Results",
    "compute_step_dates", "empty_table", "read_results",
]

MANIFEST = "manifest.json"
PARQUET_OPTIONS: dict[str, Any] = {
    "compression": "zstd",
    "compression_level": 3,
    "statistics": True,
}


def write_parquet_files(frames: Mapping[str, pl.DataFrame | pl.LazyFrame], folder: Path) -> None:
    """Write each frame to ``folder/<name>.parquet`` with `PARQUET_OPTIONS`, in one polars query.

    One `polars.collect_all` over lazy sinks starts the engine once for all the files, where a
    `write_parquet` per frame starts it per file (most of the cost for tables of a few thousand
    rows: ~0.7 ms each).
    """
    sinks = [
        frame.lazy().sink_parquet(folder / f"{name}.parquet", lazy=True, **PARQUET_OPTIONS)
        for name, frame in frames.items()
    ]
    pl.collect_all(sinks)


def empty_table(name: str) -> pl.DataFrame:
    """Return an empty frame with the full schema of table `name` (id columns included)."""
    return pl.DataFrame(schema={**ID_SCHEMA, **SCHEMAS[name]})


def _to_date(value: Any) -> dt.date | None:
    if value is None or (isinstance(value, dt.date) and not isinstance(value, dt.datetime)):
        return value
    if isinstance(value, dt.datetime):
        return value.date()
    text = str(value)
    if len(text) == 7:
        text += "-01"
    return dt.date.fromisoformat(text)


_EPOCH = dt.date(1970, 1, 1)


def compute_step_dates(start: str, steps: list[int] | np.ndarray) -> pl.Series:
    """The first day of the month of each step (`world.calendar.step_date`), as a Date column.

    The months spanned are few, so each is converted once and looked up (numpy), not per row.
    """
    arr = np.asarray(steps, dtype=np.int64)
    if arr.size == 0:
        return pl.Series("date", [], dtype=pl.Date)
    lo, hi = int(arr.min()), int(arr.max())
    return pl.Series("date", _month_days(start, lo, hi)[arr - lo]).cast(pl.Date)


@functools.lru_cache(maxsize=64)
def _month_days(start: str, lo: int, hi: int) -> np.ndarray:
    """Days from 1970-01-01 to the first day of the month of each step lo..hi (read-only).

    Cached: a pure function of its arguments (the start month and the steps), so an entry
    never goes stale; every table of every run of a scenario asks for the same months.
    """
    days = np.array([(step_date(start, s) - _EPOCH).days for s in range(lo, hi + 1)],
                    dtype=np.int32)
    days.flags.writeable = False
    return days


def _frame(
    name: str, columns: Mapping[str, list[Any]], params: ScenarioParams, ids: dict[str, Any]
) -> pl.DataFrame:
    """Build table `name` with its schema's dtypes; extra columns follow, floats as Float64."""
    schema = SCHEMAS[name]
    cols = dict(columns)
    lengths = {k: len(v) for k, v in cols.items()}
    if len(set(lengths.values())) > 1:
        raise ValueError(f"table {name!r}: columns have different lengths {lengths}")
    n = next(iter(lengths.values()), 0)
    derive_date = "date" in schema and "date" not in cols and "step" in cols
    missing = [c for c in schema if c not in cols and not (c == "date" and derive_date)]
    if missing and (n == 0 or name in LENIENT):  # no rows: nothing is lost
        cols.update({c: [None] * n for c in missing})
    elif missing:
        raise ValueError(
            f"table {name!r} from the model lacks required columns {missing} "
            "(docs/outputs.md lists them)"
        )
    if "date" in cols and not all(type(d) is dt.date for d in cols["date"]):
        cols["date"] = [_to_date(d) for d in cols["date"]]
    data: dict[str, pl.Series] = {
        col: pl.Series(col, [ids[col]], dtype=dtype).new_from_index(0, n)
        for col, dtype in ID_SCHEMA.items()
    }
    for col, dtype in schema.items():
        if col == "date" and derive_date:
            data[col] = compute_step_dates(params.simulation.start, cols["step"])
        else:
            data[col] = pl.Series(col, cols[col], dtype=dtype, strict=False)
    extra = EXTRA_SCHEMAS.get(name, {})
    for col, values in cols.items():
        if col in data:
            continue
        if col in extra:
            data[col] = pl.Series(col, values, dtype=extra[col], strict=False)
            continue
        series = pl.Series(col, values, strict=False)
        if series.dtype.is_float():
            series = series.cast(pl.Float64)
        data[col] = series
    return pl.DataFrame(list(data.values()))


@dataclass
class Results:
    """Tables and manifest of one run (tidy polars frames; nothing private).

    Attributes:
        tables: table name -> frame; every table of `SCHEMAS` is present (possibly empty).
        manifest: scenario name, resolved scenario, its hash, seed, run id, package version,
            start/end time, steps, duration.
    """

    tables: dict[str, pl.DataFrame]
    manifest: dict[str, Any] = field(default_factory=dict)

    @property
    def run_id(self) -> str:
        """The run's id (deterministic from scenario hash and seed)."""
        return str(self.manifest.get("run_id", ""))

    @property
    def scenario(self) -> str:
        """The scenario's name."""
        return str(self.manifest.get("scenario", ""))

    @property
    def seed(self) -> int:
        """The seed of the run."""
        return int(self.manifest.get("seed", 0))

    def __getitem__(self, name: str) -> pl.DataFrame:
        """Return table `name` (e.g. ``results['shares']``)."""
        return self.tables[name]

    @classmethod
    def from_tables(
        cls,
        columns: Mapping[str, Mapping[str, list[Any]]],
        params: ScenarioParams,
        seed: int,
        run_id: str,
        started: dt.datetime,
        finished: dt.datetime,
        digest: str | None = None,
    ) -> Results:
        """Build results from the model's columnar tables.

        Args:
            columns: table name -> column name -> values, as `ComputeMarketModel.compute_tables`
                returns them (without run_id/scenario/seed; `date` may be omitted when `step`
                is present, it is then derived from the scenario's start month).
            params: the resolved scenario that was run.
            seed: the seed of the run.
            run_id: the run's id.
            started: when the run started (timezone-aware preferred).
            finished: when it finished.
            digest: the scenario's hash, if the caller has it (else computed here).

        Returns:
            Results whose tables follow `SCHEMAS` exactly (extra columns kept after).

        Raises:
            ValueError: if a required table or column is missing, or columns differ in length
                (a bug in the model, not a user mistake).
        """
        missing = [t for t in REQUIRED_FROM_MODEL if t not in columns]
        if missing:
            raise ValueError(f"the model returned no table(s) {missing}")
        ids = {"run_id": run_id, "scenario": params.name, "seed": int(seed)}
        tables = {
            name: _frame(name, columns[name], params, ids) if name in columns else empty_table(name)
            for name in TABLES
        }
        for name in sorted(set(columns) - set(TABLES)):
            tables[name] = pl.DataFrame(dict(columns[name]), strict=False)
        manifest = {
            "run_id": run_id,
            "scenario": params.name,
            "scenario_hash": digest or scenario_hash(params),
            "seed": int(seed),
            "steps": params.simulation.steps,
            "start_month": params.simulation.start,
            "started": started.isoformat(),
            "finished": finished.isoformat(),
            "duration_s": round((finished - started).total_seconds(), 3),
            "package_version": _version(),
            "python_version": platform.python_version(),
            "tables": {name: frame.height for name, frame in tables.items()},
            "resolved_scenario": params.model_dump(mode="json"),
        }
        return cls(tables=tables, manifest=manifest)

    def write(
        self,
        out_dir: str | Path,
        overwrite: bool = False,
        extra: Callable[[Path], None] | None = None,
        lock: OutputLock | None = None,
    ) -> Path:
        """Write the run directory atomically: all Parquet files, then `manifest.json`.

        Everything goes to a temporary folder beside `out_dir`, which is then renamed into
        place; on any failure the temporary folder is removed and an existing `out_dir` is left
        as it was. The directory is claimed first (`experiments.run.lock.OutputLock`): a
        second writer of the same directory fails at once, and the leftovers of writers that
        were killed in this folder are removed.

        Args:
            out_dir: the run directory to create.
            overwrite: replace an existing run directory (one holding a manifest.json).
            extra: called with the temporary folder after the tables, before the manifest, to
                add files that belong to the run (e.g. a figure).
            lock: the caller's lock on `out_dir`, when it holds one already (the command line
                takes it before the run starts); otherwise one is taken here.

        Returns:
            The path of the run directory.

        Raises:
            UserError: if `out_dir` exists and `overwrite` is False, or it exists but is not a
                run directory (then it is never replaced), or it is a file, or another process
                is writing it.
        """
        out = Path(out_dir)
        own = lock is None
        held = OutputLock(out, "run").acquire() if lock is None else lock
        try:
            check_out_dir(out, overwrite)
            sweep_litter(out.parent)
            return self._write_locked(out, extra)
        finally:
            if own:
                held.release()

    def _write_locked(self, out: Path, extra: Callable[[Path], None] | None) -> Path:
        tmp = out.parent / f".{out.name}.tmp-{uuid.uuid4().hex[:8]}"
        old: Path | None = None
        try:
            tmp.mkdir()
            write_parquet_files(self.tables, tmp)
            if extra is not None:
                extra(tmp)
            text = json.dumps(self.manifest, indent=2, sort_keys=False, ensure_ascii=False,
                              allow_nan=False)
            (tmp / MANIFEST).write_text(text + "\n", encoding="utf-8")
            if out.exists():
                old = out.parent / f".{out.name}.old-{uuid.uuid4().hex[:8]}"
                os.replace(out, old)
            os.replace(tmp, out)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            if old is not None and not out.exists():
                os.replace(old, out)
                old = None
            raise
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
        return out

    write_parquet = write


def check_out_dir(out: Path, overwrite: bool) -> None:
    """Raise `UserError` if writing a run to `out` is not allowed (see `Results.write`)."""
    if out.is_file():
        raise UserError(f"output path {out} is a file; give a directory path with --out")
    if not out.exists():
        return
    if not overwrite:
        raise UserError(
            f"output directory {out} already exists; pass --overwrite to replace it "
            "or --out to choose another"
        )
    if any(out.iterdir()) and not (out / MANIFEST).is_file():
        raise UserError(
            f"refusing to replace {out}: it is not a run directory (no {MANIFEST}); "
            "choose another --out"
        )


@functools.cache
def _version() -> str:
    try:
        return metadata.version("compute-market")
    except metadata.PackageNotFoundError:
        return "unknown"


def read_results(run_dir: str | Path) -> Results:
    """Read a run directory written by `Results.write`.

    Args:
        run_dir: the run directory.

    Returns:
        The results: every table present in the directory (tables of `SCHEMAS` missing from
        it come back empty with their schema) and the manifest.

    Raises:
        UserError: if the directory or its manifest.json is missing or unreadable.
    """
    path = Path(run_dir)
    manifest_path = path / MANIFEST
    if not manifest_path.is_file():
        raise UserError(
            f"{path} is not a complete run directory (no {MANIFEST}); "
            "give a directory written by `compute-market run`"
        )
    redo = "re-run the scenario to rewrite the directory"
    manifest = read_json_file(manifest_path, redo)
    lacking = [k for k in MANIFEST_KEYS if k not in manifest]
    if lacking:
        raise UserError(f"{manifest_path}: damaged, lacks {', '.join(lacking)}; {redo}")
    tables = {name: empty_table(name) for name in TABLES}
    listed = manifest.get("tables")
    for name in listed if isinstance(listed, dict) else {}:
        if name in TABLES and not (path / f"{name}.parquet").is_file():
            raise UserError(
                f"{path / f'{name}.parquet'}: missing (the manifest lists it); the run "
                "directory is damaged: re-run the scenario to rewrite it"
            )
    for file in sorted(path.glob("*.parquet")):
        frame = read_parquet_file(file, redo)
        if file.stem in SCHEMAS:
            check_columns(file, frame.schema, table_columns(file.stem), redo)
        tables[file.stem] = frame
    return Results(tables=tables, manifest=manifest)
