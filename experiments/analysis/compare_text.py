"""The comparison as text: the month shown, the printed table and the report's rows.

Reads the table of `experiments.analysis.compare.compute_comparison` (every month) and shows
one month: `resolve_step` picks it (default the last), `format_table` gives the fixed-width
lines ``compute-market compare`` prints, `report_rows` the formatted cells of the HTML report.
"""

from __future__ import annotations

import math
from typing import Any

import polars as pl

from experiments.errors import UserError

__all__ = ["format_number", "format_table", "report_rows", "resolve_step"]

HEADER = ("metric", "unit", "reference", "variant", "difference", "interval", "p adj.", "")


def resolve_step(table: pl.DataFrame, date: str | None) -> int:
    """The step of month `date` ('YYYY-MM'), or the last month when None.

    Raises:
        UserError: `date` outside the compared months.
    """
    if table.is_empty():
        raise UserError("the comparison has no outcomes (no run finished)")
    if date is None:
        return int(table["step"].max())
    hit = table.filter(pl.col("date").dt.strftime("%Y-%m") == date)
    if hit.is_empty():
        first, last = table["date"].min(), table["date"].max()
        raise UserError(f"--date {date} is outside the runs ({first:%Y-%m} to {last:%Y-%m}); "
                        "pick a month inside them")
    return int(hit["step"][0])


def format_number(x: float | None) -> str:
    """Compact number: thousands separated above 100, 2 decimals above 1, else 3 significant."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "n/a"
    if abs(x) < 1e-9:  # zero up to floating-point rounding
        return "0"
    if abs(x) >= 100:
        return f"{x:,.0f}"
    if abs(x) >= 1:
        return f"{x:.2f}"
    return f"{x:.3g}"


def _flag(row: dict[str, Any]) -> str:
    return "=" if row["exact"] else ("*" if row["significant"] else "")


def _cells(row: dict[str, Any]) -> tuple[str, ...]:
    if row["exact"]:
        interval = "exact"
    elif row["ci_low"] is None or math.isnan(row["ci_low"]):
        interval = "n/a"
    else:
        interval = f"[{format_number(row['ci_low'])}, {format_number(row['ci_high'])}]"
    p = row["p_adjusted"]
    p_text = "-" if p is None else ("<0.001" if p < 0.001 else f"{p:.3f}")
    return (row["label"], row["unit"], format_number(row["reference_mean"]),
            format_number(row["variant_mean"]), format_number(row["mean_diff"]), interval,
            p_text, _flag(row))


def _title(rows: pl.DataFrame) -> str:
    r = rows.row(0, named=True)
    return (f"{r['variant']} minus {r['reference']} at {r['date']:%Y-%m} (step {r['step']}), "
            f"{r['n']} seeds, {r['level']:.0%} t-intervals")


NOTE = ("Shares, foreclosure and circularity in percentage points (pp). p adj.: paired t-test "
        "adjusted over the variant's metrics in this month; * p adj. < {alpha:g}; = the same "
        "difference on every seed (exact, not tested).")


def _zero_in_both() -> pl.Expr:
    return pl.col("exact") & (pl.col("reference_mean").abs() < 1e-9) & (
        pl.col("variant_mean").abs() < 1e-9)


def format_table(table: pl.DataFrame, step: int) -> list[str]:
    """The comparison at `step` as fixed-width lines, one block per variant (rows zero in
    both scenarios on every seed are counted, not shown)."""
    at = table.filter(pl.col("step") == step)
    if at.is_empty():
        return ["no metrics"]
    shown = at.filter(~_zero_in_both())
    widths = (36, 16, 10, 10, 11, 24, 7, 2)
    lines: list[str] = []
    for variant in shown["variant"].unique(maintain_order=True):
        rows = shown.filter(pl.col("variant") == variant)
        lines += ["", _title(rows)]
        lines.append("".join(h.ljust(w) if i < 2 else h.rjust(w)
                             for i, (h, w) in enumerate(zip(HEADER, widths, strict=True))))
        for row in rows.iter_rows(named=True):
            cells = _cells(row)
            lines.append("".join(c.ljust(w) if i < 2 else c.rjust(w)
                                 for i, (c, w) in enumerate(zip(cells, widths, strict=True))))
    lines.append(NOTE.format(alpha=1.0 - float(at["level"][0])))
    hidden = at.height - shown.height
    if hidden:
        lines.append(f"{hidden} rows zero in both scenarios on every seed are not shown.")
    return lines


def report_rows(table: pl.DataFrame, step: int) -> dict[str, tuple[str, list[tuple[str, ...]]]]:
    """variant -> (title, formatted rows at `step`) for the report; rows whose reference and
    variant are both zero on every seed are left out."""
    shown = table.filter(pl.col("step") == step).filter(~_zero_in_both())
    out = {}
    for variant in shown["variant"].unique(maintain_order=True):
        rows = shown.filter(pl.col("variant") == variant)
        out[variant] = (_title(rows), [_cells(r) for r in rows.iter_rows(named=True)])
    return out
