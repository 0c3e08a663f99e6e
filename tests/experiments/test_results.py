"""Results: schemas and dtypes, atomic writes, round trips, byte-identical Parquet, runner."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from experiments.errors import UserError
from experiments.run.results import ID_SCHEMA, SCHEMAS, TABLES, Results, empty_table, read_results
from experiments.run.runner import make_run_id, run
from experiments.scenario.loader import load_scenario, scenario_hash

T0 = dt.datetime(2026, 1, 1, 12, 0, tzinfo=dt.UTC)
T1 = dt.datetime(2026, 1, 1, 12, 0, 5, tzinfo=dt.UTC)


@pytest.fixture
def params(tmp_scenario: Callable[..., Path]) -> Any:
    return load_scenario(tmp_scenario())


@pytest.fixture
def columns(params: Any, fake_model: type) -> dict[str, dict[str, list[Any]]]:
    model = fake_model(params, rng=1)
    model.run_steps()
    return model.compute_tables()


@pytest.fixture
def results(columns: dict[str, Any], params: Any) -> Results:
    return Results.from_tables(columns, params, seed=1, run_id="r1", started=T0, finished=T1)


def test_every_table_follows_its_schema(results: Results) -> None:
    assert set(results.tables) == set(TABLES)
    for name in TABLES:
        frame = results.tables[name]
        expected = {**ID_SCHEMA, **SCHEMAS[name]}
        assert dict(frame.schema) == expected, name
    shares = results.tables["shares"]
    assert shares["step"].dtype == pl.Int32 and shares["date"].dtype == pl.Date
    assert shares["run_id"].unique().to_list() == ["r1"]
    assert shares["scenario"].unique().to_list() == ["scn"]
    assert shares["seed"].unique().to_list() == [1]
    assert shares.height == 6 * (3 + 4 + 2)


def test_reviews_absent_from_the_model_is_an_empty_table(results: Results) -> None:
    reviews = results.tables["reviews"]
    assert reviews.height == 0
    assert dict(reviews.schema) == {**ID_SCHEMA, **SCHEMAS["reviews"]}


@pytest.mark.parametrize("name", TABLES)
def test_empty_tables_keep_their_full_schema(name: str, params: Any) -> None:
    empty = {t: {c: [] for c in SCHEMAS[t]} for t in TABLES}
    res = Results.from_tables(empty, params, seed=0, run_id="r", started=T0, finished=T1)
    assert res.tables[name].height == 0
    assert dict(res.tables[name].schema) == dict(empty_table(name).schema)
    assert list(res.tables[name].columns[:3]) == ["run_id", "scenario", "seed"]


def test_a_table_without_rows_may_come_without_columns(
    columns: dict[str, Any], params: Any
) -> None:
    columns["deals"] = {}
    columns["reviews"] = {}
    res = Results.from_tables(columns, params, seed=1, run_id="r", started=T0, finished=T1)
    assert res.tables["deals"].height == 0
    assert dict(res.tables["deals"].schema) == dict(empty_table("deals").schema)


def test_date_is_derived_from_step_when_absent(columns: dict[str, Any], params: Any) -> None:
    del columns["physical"]["date"]
    res = Results.from_tables(columns, params, seed=1, run_id="r", started=T0, finished=T1)
    dates = res.tables["physical"]["date"].to_list()
    assert dates[0] == dt.date(2025, 1, 1) and dates[-1] == dt.date(2025, 6, 1)


def test_extra_columns_are_kept_after_the_required_ones(
    columns: dict[str, Any], params: Any
) -> None:
    n = len(columns["markets"]["step"])
    columns["markets"]["backlog_gw"] = [1] * (n - 1) + [2.5]
    res = Results.from_tables(columns, params, seed=1, run_id="r", started=T0, finished=T1)
    assert res.tables["markets"].columns[-1] == "backlog_gw"
    assert res.tables["markets"]["backlog_gw"].dtype == pl.Float64


def test_missing_required_column_is_a_clear_error(columns: dict[str, Any], params: Any) -> None:
    del columns["firms"]["valuation_usd_b"]
    with pytest.raises(ValueError, match="valuation_usd_b"):
        Results.from_tables(columns, params, seed=1, run_id="r", started=T0, finished=T1)


def test_manifest_records_the_run(results: Results, params: Any) -> None:
    m = results.manifest
    assert m["scenario"] == "scn" and m["seed"] == 1 and m["run_id"] == "r1"
    assert m["scenario_hash"] == scenario_hash(params)
    assert m["resolved_scenario"] == params.model_dump(mode="json")
    assert m["started"] == T0.isoformat() and m["finished"] == T1.isoformat()
    assert m["duration_s"] == 5.0 and m["steps"] == 6
    assert m["package_version"] != ""


# --------------------------------------------------------------------------- writing


def test_write_then_read_round_trips(results: Results, tmp_path: Path) -> None:
    out = results.write(tmp_path / "run")
    assert sorted(p.name for p in out.iterdir()) == sorted(
        [f"{t}.parquet" for t in TABLES] + ["manifest.json"]
    )
    back = read_results(out)
    assert back.manifest == results.manifest
    for name in TABLES:
        assert back.tables[name].equals(results.tables[name]), name
        assert back.tables[name].schema == results.tables[name].schema


def test_identical_tables_give_identical_bytes(
    columns: dict[str, Any], params: Any, tmp_path: Path
) -> None:
    later = T0 + dt.timedelta(days=3)
    a = Results.from_tables(columns, params, seed=1, run_id="r", started=T0, finished=T1)
    b = Results.from_tables(columns, params, seed=1, run_id="r", started=later, finished=later)
    a.write(tmp_path / "a")
    b.write(tmp_path / "b")
    for name in TABLES:
        assert (tmp_path / "a" / f"{name}.parquet").read_bytes() == (
            tmp_path / "b" / f"{name}.parquet"
        ).read_bytes(), name
    assert (tmp_path / "a" / "manifest.json").read_bytes() != (
        tmp_path / "b" / "manifest.json"
    ).read_bytes()


def _leftovers(parent: Path) -> list[str]:
    return sorted(p.name for p in parent.iterdir())


@pytest.fixture
def out_parent(tmp_path: Path) -> Path:
    """An empty folder to write runs into (tmp_path itself holds the scenario files)."""
    folder = tmp_path / "runs"
    folder.mkdir()
    return folder


def test_failure_mid_write_leaves_nothing(
    results: Results, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    parent = tmp_path / "runs"
    parent.mkdir()
    real = pl.collect_all
    calls = {"n": 0}

    def flaky(sinks: list[pl.LazyFrame], **kwargs: Any) -> Any:
        calls["n"] += 1
        real(sinks[:2], **kwargs)  # two files written, then the disk fills up
        raise OSError("disk full (simulated)")

    monkeypatch.setattr(pl, "collect_all", flaky)
    with pytest.raises(OSError, match="disk full"):
        results.write(parent / "run")
    assert calls["n"] == 1
    assert _leftovers(parent) == []  # neither the run dir nor a temp dir


def test_failure_in_extra_files_writes_no_manifest(results: Results, out_parent: Path) -> None:
    def broken(tmp: Path) -> None:
        (tmp / "half.png").write_bytes(b"x")
        raise RuntimeError("figure failed")

    with pytest.raises(RuntimeError):
        results.write(out_parent / "run", extra=broken)
    assert _leftovers(out_parent) == []


def test_existing_directory_needs_overwrite(results: Results, out_parent: Path) -> None:
    out = results.write(out_parent / "run")
    with pytest.raises(UserError, match="--overwrite"):
        results.write(out)
    (out / "stale.txt").write_text("old")
    results.write(out, overwrite=True)
    assert not (out / "stale.txt").exists() and (out / "manifest.json").is_file()
    assert _leftovers(out_parent) == ["run"]


def test_failed_overwrite_keeps_the_old_run(
    results: Results, out_parent: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = results.write(out_parent / "run")
    (out / "marker.txt").write_text("old run")

    def boom(sinks: list[pl.LazyFrame], **kwargs: Any) -> None:
        raise OSError("simulated")

    monkeypatch.setattr(pl, "collect_all", boom)
    with pytest.raises(OSError):
        results.write(out, overwrite=True)
    assert (out / "marker.txt").read_text() == "old run"
    assert _leftovers(out_parent) == ["run"]


def test_overwrite_refuses_a_directory_that_is_not_a_run(results: Results, tmp_path: Path) -> None:
    precious = tmp_path / "precious"
    precious.mkdir()
    (precious / "thesis.tex").write_text("do not delete")
    with pytest.raises(UserError, match="not a run directory"):
        results.write(precious, overwrite=True)
    assert (precious / "thesis.tex").read_text() == "do not delete"


def test_read_results_of_a_non_run_directory(tmp_path: Path) -> None:
    with pytest.raises(UserError, match=r"manifest\.json"):
        read_results(tmp_path)


# --------------------------------------------------------------------------- runner


def test_run_is_deterministic_and_uses_the_seed(fake_model: type, params: Any) -> None:
    a, b = run(params), run(params)
    assert a.run_id == b.run_id == make_run_id(params, params.seed)
    assert a.seed == params.seed == 7
    for name in TABLES:
        assert a.tables[name].equals(b.tables[name]), name
    c = run(params, rng=8)
    assert c.seed == 8 and c.run_id != a.run_id
    assert not c.tables["shares"].equals(a.tables["shares"])


@given(
    st.integers(2000, 2100), st.integers(1, 12),
    st.lists(st.integers(-30, 400), max_size=50),
)
def test_dates_derived_from_steps_match_the_calendar(
    year: int, month: int, steps: list[int]
) -> None:
    from experiments.run.results import compute_step_dates
    from world.calendar import step_date

    start = f"{year:04d}-{month:02d}"
    derived = compute_step_dates(start, steps)
    assert derived.dtype == pl.Date
    assert derived.to_list() == [step_date(start, s) for s in steps]
