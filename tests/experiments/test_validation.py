"""Stylised-fact metrics, the doc-section writer, the ensemble map and the sensitivity set-up."""

from __future__ import annotations

import math

import numpy as np
import pytest

from experiments.batch.ensemble import map_runs
from experiments.calibration.facts import Role
from experiments.scenario.loader import load_scenario
from experiments.validation.facts import FACTS, Check, compute_fact_metrics
from experiments.validation.sensitivity import (
    PARAMETERS,
    compute_outputs,
    point_overrides,
    select_top,
)
from experiments.validation.validate import summarize_facts, update_doc_section


def _square(x: int) -> int:
    return x * x


def test_fact_metrics_of_the_baseline_run(baseline_results):
    metrics = compute_fact_metrics(baseline_results)
    assert set(metrics) == {f.key for f in FACTS}
    assert 0.0 <= metrics["nvidia_value_share_2026"] <= 1.0
    assert metrics["oracle_fastest_cloud_growth"] in (0.0, 1.0)
    assert metrics["nvidia_equity_openai_2025"] >= 0.0
    outputs = compute_outputs(baseline_results)
    assert 0.0 < outputs["nvidia_value_share_last12"] < 1.0
    assert 0.0 < outputs["accelerator_value_hhi_last12"] <= 10_000.0


def test_fact_band_and_summary():
    """A target takes its band from facts.toml (sf6: >= 0.5), an input its own; a check
    passes only with a finite mean inside the band."""
    target = Check("x", "sf6", "t", "m")
    assert target.role is Role.TARGET and target.band == ">= 0.5"
    assert target.compute_pass(2.0) and not target.compute_pass(0.4)
    assert not target.compute_pass(math.nan)
    inp = Check("y", "D8", "t", "m", "", 0.0, 1.0)
    assert inp.role is Role.INPUT and inp.compute_pass(0.5) and not inp.compute_pass(13.5)
    rows = [{f.key: (f.bounds[0] + min(f.bounds[1], f.bounds[0] + 1.0)) / 2 for f in FACTS}
            for _ in range(3)]
    summary = summarize_facts(rows)
    assert all(s["ok"] for s in summary) and all(s["n"] == 3 for s in summary)


def test_validate_scores_targets_only():
    """Every check's fact exists; inputs and targets are both present and told apart, and a
    summary marks a missed input as not ok without it counting as a target miss."""
    roles = {f.role for f in FACTS}
    assert roles == {Role.INPUT, Role.TARGET}
    rows = [{f.key: (f.bounds[0] - 1.0 if f.role is Role.INPUT else f.bounds[0])
             for f in FACTS}]
    summary = summarize_facts(rows)
    assert all(s["ok"] for s in summary if s["role"] == "target")
    assert not any(s["ok"] for s in summary if s["role"] == "input")


def test_update_doc_section_keeps_the_rest(tmp_path):
    doc = tmp_path / "validation.md"
    doc.write_text("# Validation\n\nintro by someone else\n", encoding="utf-8")
    update_doc_section(doc, "facts", "first")
    update_doc_section(doc, "docking", "dock")
    update_doc_section(doc, "facts", "second")
    text = doc.read_text(encoding="utf-8")
    assert "intro by someone else" in text and "second" in text and "first" not in text
    assert text.index("second") < text.index("dock")


def test_map_runs_keeps_task_order():
    assert map_runs(_square, [(3,), (1,), (2,)], workers=1, progress=False) == [9, 1, 4]


@pytest.mark.parametrize("corner", ["low", "high"])
def test_sensitivity_points_are_valid_scenarios(corner):
    base = load_scenario("baseline")
    values = np.array([getattr(p, corner) for p in PARAMETERS])
    params = load_scenario("baseline", point_overrides(values, PARAMETERS, base))
    path = params.foundry.capacity_wafers_per_month
    assert path[0] == base.foundry.capacity_wafers_per_month[0]
    assert params.foundry.allocation_rule.value == ("pro_rata" if corner == "low" else "uniform")


def test_select_top_ranks_by_relative_mu_star():
    morris = {"parameters": ["a", "b", "c"],
              "outputs": {"y": {"mu_star": [1.0, 5.0, 0.0]}, "z": {"mu_star": [3.0, 0.0, 2.9]}}}
    assert select_top(morris, 2) == ["a", "b"]


def test_validate_writes_a_document_only_when_asked(tmp_path, monkeypatch, capsys):
    """Run from an empty folder: without --write-docs nothing is written (no docs/); with it,
    only the facts section of that file. Exit 0 (all targets pass) or 3 (a target missed)."""
    from experiments.cli.main import main

    monkeypatch.chdir(tmp_path)
    assert main(["validate", "--seeds", "1", "--workers", "1"]) in (0, 3)
    assert list(tmp_path.iterdir()) == []
    doc = tmp_path / "checks.md"
    assert main(["validate", "--seeds", "1", "--workers", "1", "--write-docs", str(doc)]) in (0, 3)
    text = doc.read_text(encoding="utf-8")
    assert "<!-- begin:facts -->" in text and "### Targets" in text
    assert [p.name for p in tmp_path.iterdir()] == ["checks.md"]
    assert main(["validate", "--seeds", "1", "--write-docs", str(tmp_path)]) == 2
    assert "is a folder" in capsys.readouterr().err


def _flows(rows: list[tuple[str, str, str, float]]) -> object:
    """A run whose flows table holds `rows` (source, target, kind, USD B), all in 2026-03."""
    import datetime as dt
    from types import SimpleNamespace

    import polars as pl

    frame = pl.DataFrame(
        [(dt.date(2026, 3, 1), src, dst, kind, amount) for src, dst, kind, amount in rows],
        schema=["date", "source", "target", "kind", "amount_usd_b"], orient="row")
    return SimpleNamespace(tables={"flows": frame})


def test_vendor_circularity_counts_the_lease_route_by_hand() -> None:
    """Nvidia puts 10 into OpenAI. OpenAI pays Nvidia 1 for chips and Oracle 20 for capacity;
    Oracle receives 40 in all and pays Nvidia 8 for chips. Directly 1 of the 10 comes back:
    0.1. Through Oracle, OpenAI's half of Oracle's receipts carries half of Oracle's chip
    purchases back: 8 x 20 / 40 = 4, so 5 of 10: 0.5."""
    import math

    from experiments.validation.facts import compute_vendor_circularity

    run = _flows([("Nvidia", "OpenAI", "equity_investment", 10.0),
                  ("OpenAI", "Nvidia", "chip_payment", 1.0),
                  ("OpenAI", "Oracle", "cloud_payment", 20.0),
                  ("Customers", "Oracle", "revenue", 20.0),
                  ("Oracle", "Nvidia", "chip_payment", 8.0)])
    assert compute_vendor_circularity(run, via_clouds=False) == 0.1
    assert math.isclose(compute_vendor_circularity(run), 0.5)


def test_vendor_circularity_never_returns_more_than_was_invested() -> None:
    """Money comes back, it does not multiply: a lab that spends 100 with the vendor after 10
    invested counts 10, so the ratio is 1; with no vendor equity there is nothing to measure."""

    from experiments.validation.facts import compute_vendor_circularity

    run = _flows([("Nvidia", "OpenAI", "equity_investment", 10.0),
                  ("OpenAI", "Nvidia", "chip_payment", 100.0)])
    assert compute_vendor_circularity(run) == 1.0
    assert math.isnan(compute_vendor_circularity(_flows([("OpenAI", "Nvidia", "chip_payment",
                                                           5.0)])))
