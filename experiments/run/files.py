"""Reading the files of a run or batch directory, where a damaged file is the user's problem.

A file truncated by a full disk, cut off by a kill, or deleted by hand is not a bug of the
program: every reader goes through these functions, which turn the failure into one line
naming the file and what to do (exit code 2), never a traceback.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import polars as pl

from experiments.errors import UserError
from experiments.run.schemas import ID_SCHEMA, SCHEMAS

__all__ = [
    "MANIFEST_KEYS",
    "check_columns",
    "check_parquet_file",
    "read_json_file",
    "read_parquet_file",
    "table_columns",
    "write_json_text",
]


def write_json_text(data: Any, indent: int | None = 2) -> str:
    """`data` as strict JSON text (with a final newline).

    Raises:
        ValueError: a number is not finite: ``Infinity`` and ``NaN`` are not JSON, and every
            value the model writes is finite (scenario keys are bounded), so this is a bug.
    """
    return json.dumps(data, indent=indent, ensure_ascii=False, allow_nan=False) + "\n"


def read_json_file(path: Path, remedy: str) -> dict[str, Any]:
    """Read a JSON object from `path` (a manifest).

    Raises:
        UserError: the file is missing, truncated, not JSON or not an object; the line names
            it and gives `remedy`.
    """
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UserError(f"{path}: missing; {remedy}") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else str(exc).split(":")[0]
        raise UserError(f"{path}: damaged, cannot be read ({reason}); {remedy}") from None
    if not isinstance(data, dict):
        raise UserError(f"{path}: damaged, not a JSON object; {remedy}")
    return data


@contextmanager
def _parquet_errors(path: Path, remedy: str) -> Iterator[None]:
    """Turn a missing or unreadable Parquet file into one `UserError` line naming it."""
    try:
        yield
    except FileNotFoundError:
        raise UserError(f"{path}: missing; {remedy}") from None
    except (OSError, pl.exceptions.PolarsError, pl.exceptions.ComputeError) as exc:
        reason = " ".join(str(exc).split())[:120]
        raise UserError(f"{path}: damaged, not readable as Parquet ({reason}); {remedy}") \
            from None


def read_parquet_file(path: Path, remedy: str, columns: list[str] | None = None) -> pl.DataFrame:
    """Read a Parquet file whole.

    Raises:
        UserError: the file is missing, truncated or otherwise not readable as Parquet; the
            line names it and gives `remedy`.
    """
    with _parquet_errors(path, remedy):
        return pl.read_parquet(path, columns=columns)


def check_parquet_file(path: Path, remedy: str, columns: Iterable[str] = ()) -> None:
    """Check that `path` is a whole Parquet file (its footer and schema read), cheaply, and
    that it holds `columns`.

    Raises:
        UserError: as `read_parquet_file`, or a column is missing (another table's file, or a
            file written by something else).
    """
    with _parquet_errors(path, remedy):
        schema = pl.read_parquet_schema(path)
    check_columns(path, schema, columns, remedy)


def check_columns(path: Path, schema: Any, columns: Iterable[str], remedy: str) -> None:
    """Raise `UserError` naming `path` if `schema` lacks any of `columns`."""
    lacking = [c for c in columns if c not in schema]
    if lacking:
        raise UserError(f"{path}: damaged, lacks the column(s) {', '.join(lacking[:4])} of its "
                        f"table; {remedy}")


MANIFEST_KEYS = ("run_id", "scenario", "seed")
"""Keys every run manifest holds (a manifest without them is damaged)."""


def table_columns(name: str) -> list[str]:
    """The columns a table must hold: the run's ids, then its required columns."""
    return [*ID_SCHEMA, *SCHEMAS.get(name, {})]
