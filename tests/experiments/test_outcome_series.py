"""One run's outcome series (`experiments.analysis.outcome_series`): which rows, which values.

Expected values are written out by hand from small tables (shares and fractions x 100, a
missing value gives no row, a market without a unit gives no row, a vendor's deployed capacity
and a non-lab's compute are not outcomes, deals counted cumulatively by the month they
closed), and the model's columnar tables must give the same series as the run's frames.
"""

from __future__ import annotations

import math

import numpy as np
import polars as pl
import pytest

from experiments.analysis.compare import _pair
from experiments.analysis.outcome_series import compute_outcome_arrays, compute_outcome_series


def _tables() -> dict[str, dict[str, list]]:
    """Two months, two markets, two firms, three deals, in the model's columnar form."""
    return {
        "shares": {"step": [0, 0, 1, 1], "market": ["cloud"] * 4, "firm": ["A", "B"] * 2,
                   "share": [0.25, 0.75, 0.5, 0.5]},
        "markets": {"step": [0, 0, 1, 1], "market": ["cloud", "frontier_ai"] * 2,
                    "hhi": [6250.0, 10000.0, 5000.0, 10000.0],
                    "mhhi": [6300.0, None, 5000.0, 10000.0],
                    "unaffiliated_price": [2.0, 9.0, None, 9.0],
                    "foreclosure_share": [0.1, 0.0, float("nan"), 0.0]},
        "firms": {"step": [0, 0, 1, 1], "firm": ["A", "B"] * 2,
                  "role": ["vendor", "lab", "vendor", "lab"],
                  "compute_gw": [9.0, 1.0, 9.0, 2.0], "deployed_gw": [5.0, 3.0, 5.0, 4.0]},
        "physical": {"step": [0, 1], "delivered_gw": [0.5, 0.25]},
        "deals": {"status": ["blocked", "defaulted", "blocked", "closed"],
                  "step_closed": [1, 0, None, 1]},
    }


def test_rows_units_and_values_by_hand() -> None:
    out = compute_outcome_series(_tables())
    rows = [tuple(r) for r in out.rows()]
    expected = [
        ("share", "cloud", "A", "pp", 0, 25.0), ("share", "cloud", "B", "pp", 0, 75.0),
        ("share", "cloud", "A", "pp", 1, 50.0), ("share", "cloud", "B", "pp", 1, 50.0),
        ("hhi", "cloud", "", "HHI points", 0, 6250.0),
        ("hhi", "frontier_ai", "", "HHI points", 0, 10000.0),
        ("hhi", "cloud", "", "HHI points", 1, 5000.0),
        ("hhi", "frontier_ai", "", "HHI points", 1, 10000.0),
        ("mhhi", "cloud", "", "MHHI points", 0, 6300.0),  # frontier_ai month 0: no value
        ("mhhi", "cloud", "", "MHHI points", 1, 5000.0),
        ("mhhi", "frontier_ai", "", "MHHI points", 1, 10000.0),
        ("mhhi_minus_hhi", "cloud", "", "MHHI points", 0, 50.0),
        ("mhhi_minus_hhi", "cloud", "", "MHHI points", 1, 0.0),
        ("mhhi_minus_hhi", "frontier_ai", "", "MHHI points", 1, 0.0),
        ("foreclosure_share", "cloud", "", "pp", 0, 10.0),
        ("foreclosure_share", "frontier_ai", "", "pp", 0, 0.0),
        ("foreclosure_share", "cloud", "", "pp", 1, math.nan),  # NaN is a value, kept
        ("foreclosure_share", "frontier_ai", "", "pp", 1, 0.0),
        # unaffiliated_price has no unit in frontier_ai: only cloud's month 0 is left
        ("unaffiliated_price", "cloud", "", "USD B/GW-year", 0, 2.0),
        ("compute_gw", "", "B", "GW", 0, 1.0), ("compute_gw", "", "B", "GW", 1, 2.0),
        ("deployed_gw", "", "B", "GW", 0, 3.0), ("deployed_gw", "", "B", "GW", 1, 4.0),
        ("delivered_gw", "", "", "GW per month", 0, 0.5),
        ("delivered_gw", "", "", "GW per month", 1, 0.25),
        ("deals_blocked", "", "", "deals", 0, 0.0), ("deals_blocked", "", "", "deals", 1, 1.0),
        ("deals_defaulted", "", "", "deals", 0, 1.0),
        ("deals_defaulted", "", "", "deals", 1, 1.0),
    ]
    assert len(rows) == len(expected)
    for got, want in zip(rows, expected, strict=True):
        assert got[:5] == want[:5]
        assert got[5] == want[5] or (math.isnan(got[5]) and math.isnan(want[5]))
    assert out.schema == pl.Schema({"metric": pl.String, "market": pl.String, "firm": pl.String,
                                    "unit": pl.String, "step": pl.Int32, "value": pl.Float64})


def test_frames_give_the_same_series_as_columns() -> None:
    """The run's polars frames (`Results.tables`) and the model's lists are one series."""
    from experiments.run.runner import run, run_tables
    from experiments.scenario.loader import load_scenario

    params = load_scenario("baseline", steps=8)
    from_lists = compute_outcome_series(run_tables(params, rng=5))
    from_frames = compute_outcome_series(run(params, rng=5).tables)
    assert from_lists.height > 0 and from_lists.equals(from_frames)


def test_pairing_by_position_equals_a_join_and_a_missing_row_is_dropped() -> None:
    """Same outcomes in the same order pair row by row; when the variant lacks an outcome
    (a firm that is not in its data) the pairing falls back to the join and keeps the
    reference's order."""
    ref = compute_outcome_arrays(_tables())
    var_tables = _tables()
    var_tables["physical"]["delivered_gw"] = [0.75, None]  # the variant lacks month 1
    var = compute_outcome_arrays(var_tables)
    label, step, ref_value, var_value = _pair(ref, var)
    keys = ["metric", "market", "firm", "unit", "step"]
    joined = ref.to_frame().join(var.to_frame(), on=keys, how="inner", maintain_order="left")
    assert step.tolist() == joined["step"].to_list()
    assert [ref.labels[i][0] for i in label] == joined["metric"].to_list()
    np.testing.assert_array_equal(ref_value, joined["value"].to_numpy())
    np.testing.assert_array_equal(var_value, joined["value_right"].to_numpy())
    assert len(step) == len(ref.step) - 1
    same = _pair(ref, compute_outcome_arrays(_tables()))
    assert same[0] is ref.label and np.array_equal(same[3], ref.value, equal_nan=True)


@pytest.mark.parametrize("status", [["closed"], []])
def test_no_deal_of_a_status_counts_zero(status) -> None:
    tables = _tables()
    tables["deals"] = {"status": status, "step_closed": [0] * len(status)}
    out = compute_outcome_series(tables).filter(pl.col("metric").str.starts_with("deals_"))
    assert out["value"].to_list() == [0.0, 0.0, 0.0, 0.0]


def test_the_comparison_tables_are_the_columns_the_series_reads() -> None:
    """`run_outcome_tables` (the paired comparison's path) returns the monthly tables of
    `run_tables` column for column but for the lean omissions (`LEAN_OMITS`: columns no
    outcome series reads, each of which must exist in the full tables), and the deals'
    status and closing month; it gives the same outcome series, and it leaves out the
    tables the series never reads (flows, reviews), which is where its saving comes from."""
    from experiments.run.runner import run_outcome_tables, run_tables
    from experiments.scenario.loader import load_scenario
    from world.recorder import LEAN_OMITS

    params = load_scenario("baseline", steps=12)
    full, part = run_tables(params, rng=2), run_outcome_tables(params, rng=2)
    assert full["deals"]["status"], "no deals: the deals columns prove nothing"
    for table in ("shares", "markets", "firms", "physical"):
        omit = LEAN_OMITS.get(table, frozenset())
        assert omit <= set(full[table]), "an omission names no column of the table"
        assert part[table] == {k: v for k, v in full[table].items() if k not in omit}
        assert list(part[table]) == [k for k in full[table] if k not in omit]
    assert part["deals"] == {k: full["deals"][k] for k in ("status", "step_closed")}
    assert set(part) == {"shares", "markets", "firms", "physical", "deals"}
    assert compute_outcome_series(part).equals(compute_outcome_series(full))
