"""Backtest: which announcements are held out, the hit rule, and the command."""

from __future__ import annotations

import polars as pl
import pytest

from experiments.cli.main import main
from experiments.scenario.loader import load_scenario
from experiments.validation.backtest import HeldOut, compute_held_out, score_run, summarize

START = "2025-01"
AZURE = HeldOut("D5", "deal", "cloud_capacity", "Microsoft", "OpenAI", "2025-10", 2.75, "GW", "")


def _deals(*rows: tuple) -> pl.DataFrame:
    cols = ("deal_id", "kind", "source", "target", "origin", "step_signed", "gw", "value_usd_b",
            "equity_pct")
    return pl.DataFrame([dict(zip(cols, r, strict=True)) for r in rows],
                        schema_overrides={"step_signed": pl.Int32})


def test_held_out_are_the_announcements_after_the_cutoff_and_the_d1_story():
    params = load_scenario("baseline")
    ids = [h.id for h in compute_held_out(params, "2025-09")]
    assert ids == ["D2", "D2-rest", "D2-warrant", "D3", "D5", "D6", "D7", "D1b", "D1c"]
    assert [h.id for h in compute_held_out(params, "2025-12")] == ["D7", "D1c"]
    assert compute_held_out(params, "2026-06") == []


@pytest.mark.parametrize(
    ("step", "gw", "origin", "hit"),
    [
        (9, 2.75, "endogenous", True),     # same month, same size
        (15, 1.4, "endogenous", True),     # +6 months, 2.75 / 1.4 < 2
        (16, 2.75, "endogenous", False),   # +7 months: outside the window
        (9, 1.3, "endogenous", False),     # 2.75 / 1.3 > 2: too small
        (9, 6.0, "endogenous", False),     # 6 / 2.75 > 2: too large
        (9, 2.75, "event", False),         # a dated event is not something the agents did
    ],
)
def test_hit_rule_window_and_size(step, gw, origin, hit):
    """The rule of the module docstring: same kind and parties, |months| <= 6, size ratio in
    [1/2, 2]; the boundaries are inclusive."""
    deals = _deals(("X", "cloud_capacity", "Microsoft", "OpenAI", origin, step, gw, 0.0, 0.0))
    (row,) = score_run(deals, START, [AZURE])
    assert row["hit"] is hit


def test_other_parties_or_kind_do_not_match_and_unsigned_deals_do_not_count():
    deals = _deals(
        ("A", "cloud_capacity", "Amazon", "OpenAI", "endogenous", 9, 2.75, 0.0, 0.0),
        ("B", "supply", "Microsoft", "OpenAI", "endogenous", 9, 2.75, 0.0, 0.0),
        ("C", "cloud_capacity", "Microsoft", "OpenAI", "endogenous", None, 2.75, 0.0, 0.0),
    )
    (row,) = score_run(deals, START, [AZURE])
    assert not row["hit"] and row["model_deal"] == ""


def test_stall_is_a_hit_only_when_d1_is_not_signed_by_its_month():
    stall = HeldOut("D1b", "stall", "equity", "Nvidia", "OpenAI", "2025-12", float("nan"), "", "")
    unsigned = _deals(("D1", "equity", "Nvidia", "OpenAI", "event", None, 10.0, 100.0, 0.0))
    signed = _deals(("D1", "equity", "Nvidia", "OpenAI", "event", 10, 10.0, 100.0, 0.0))
    assert score_run(unsigned, START, [stall])[0]["hit"]
    assert not score_run(signed, START, [stall])[0]["hit"]


def test_scorecard_hit_when_half_the_runs_hit():
    deals_hit = _deals(("X", "cloud_capacity", "Microsoft", "OpenAI", "endogenous", 9, 2.75, 0, 0))
    deals_miss = _deals(("X", "supply", "Nvidia", "OpenAI", "endogenous", 9, 2.75, 0, 0))
    targets = {"openai_valuation_2026_02": 700.0, "nvidia_value_share_2026": 0.9}
    outs = [{"seed": s, "rows": score_run(d, START, [AZURE]), "targets": targets}
            for s, d in ((1, deals_hit), (2, deals_miss))]
    per_run, card = summarize([AZURE], outs)
    assert per_run.height == 2
    rows = {r["item"]: r for r in card.iter_rows(named=True)}
    assert rows["D5"]["hit_rate"] == 0.5 and rows["D5"]["hit"]
    assert rows["openai_valuation_2026_02"]["hit"]        # 700 in 650-1000
    assert not rows["nvidia_value_share_2026"]["hit"]     # 0.9 above 0.70-0.85


def test_backtest_command_writes_its_tables_and_only_the_doc_asked_for(tmp_path, monkeypatch):
    """Run from an empty folder: the tables go to --out, the section to the --write-docs file,
    and nothing else is created (no docs/ folder)."""
    monkeypatch.chdir(tmp_path)
    out, doc = tmp_path / "bt", tmp_path / "checks.md"
    code = main(["backtest", "--cutoff", "2025-12", "--seeds", "1", "--workers", "1",
                 "--out", str(out), "--write-docs", str(doc)])
    assert code == 0
    table = pl.read_parquet(out / "backtest.parquet")
    assert set(table["id"]) == {"D7", "D1c"}
    assert pl.read_csv(out / "scorecard.csv").height == 4
    text = doc.read_text(encoding="utf-8")
    assert "<!-- begin:backtest -->" in text and "<!-- end:backtest -->" in text
    assert "| D7 |" in text and "| D1c |" in text
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bt", "checks.md"]


@pytest.mark.parametrize("argv", [["--cutoff", "2025-13"], ["--cutoff", "Sep"],
                                  ["--seeds", "0"], ["--cutoff", "2026-06"],
                                  ["--write-docs", "."]])
def test_backtest_bad_input_exits_2_and_writes_nothing(tmp_path, capsys, argv):
    out = tmp_path / "bt"
    assert main(["backtest", *argv, "--out", str(out), "--workers", "1"]) == 2
    assert not out.exists()
    assert capsys.readouterr().err.count("\n") == 1
