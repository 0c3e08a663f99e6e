"""What a batch directory already holds: whether it may be resumed, and which planned runs
are complete on disk (the resume rules of `experiments.batch.runner`, docs/batches.md).

A run is complete when its manifest is in a whole partition (every table file readable, every
run manifest parseable) and it was made from the inputs the plan now gives (same run id, same
partition); a damaged partition is removed so that its runs are made again.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from experiments.batch.plan import Plan
from experiments.batch.spec import BatchSpec
from experiments.batch.store import BATCH_MANIFEST, find_run_manifests, run_key_of_manifest
from experiments.errors import UserError
from experiments.run.files import check_parquet_file, read_json_file, table_columns


def check_out_dir(out: Path, spec: BatchSpec) -> dict[str, Any] | None:
    """Refuse a file or a foreign directory; return the existing batch manifest, if any."""
    if out.is_file():
        raise UserError(f"{out} is a file; give a directory with --out")
    if not out.exists() or not any(out.iterdir()):
        return None
    manifest = out / BATCH_MANIFEST
    if not manifest.is_file():
        raise UserError(
            f"{out} exists and is not a batch directory (no {BATCH_MANIFEST}); "
            "choose another --out"
        )
    old = read_json_file(manifest, "it is the batch's manifest: choose another --out, or "
                                   "delete the directory to start afresh")
    if old.get("name") != spec.name:
        raise UserError(
            f"{out} holds batch {old.get('name')!r}, not {spec.name!r}; choose another --out"
        )
    return old


def check_partition(part: Path, tables: tuple[str, ...]) -> str | None:
    """Why a partition on disk cannot be trusted (a table file missing or damaged, a run
    manifest unreadable), or None if it is whole."""
    manifests = sorted(part.glob("seed-*.json"))
    for path in manifests:
        try:
            json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError):
            return f"{path.name} is damaged"
    for table in tables:
        file = part / f"{table}.parquet"
        try:
            check_parquet_file(file, "", [*table_columns(table), "variant_id"])
        except UserError:
            return f"{file.name} is {'missing' if not file.exists() else 'damaged'}"
    return None


def find_completed(out: Path, plan: Plan, notes: list[str] | None = None) -> set[str]:
    """Run ids of the planned runs complete on disk; raises if one was made from other inputs.

    Runs on disk that the plan does not name (seeds or variants removed from the spec) are left
    alone (readers show the planned runs only). With `notes`, a damaged partition (a table file
    missing or truncated, a manifest cut off) is removed, and said so, so that its runs are made
    again; without, it is only left out of the runs done.
    """
    planned = {t.run_key: t for t in plan.tasks}
    done = set()
    verdicts: dict[Path, str | None] = {}
    for path in find_run_manifests(out):
        task = planned.get(run_key_of_manifest(path))
        if task is None:
            continue
        part = path.parent
        if part not in verdicts:
            verdicts[part] = check_partition(part, task.tables)
            if verdicts[part] is not None and notes is not None:
                shutil.rmtree(part, ignore_errors=True)
                notes.append(f"{part.relative_to(out)}: {verdicts[part]}; removed, its runs "
                             "will be made again")
        if verdicts[part] is not None:
            continue
        run_id = json.loads(path.read_text(encoding="utf-8")).get("run_id")
        rel = part.relative_to(out).as_posix()
        if run_id != task.run_id or rel != task.part_dir:
            raise UserError(
                f"{path}: made from other inputs than the spec now gives (run id {run_id} in "
                f"{rel}, expected {task.run_id} in {task.part_dir}; a scenario file or "
                "runs_per_partition changed?); use another --out or delete the directory to "
                "start afresh"
            )
        done.add(run_id)
    return done
