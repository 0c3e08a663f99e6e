"""Integrity of the batch store and of run directories: no duplicated or stale rows, damaged
files named in one line, nothing written on failure, one writer per directory.

Every batch here runs in-process (``--workers 1``) for 2 months, so the cases stay fast.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from experiments.batch.store import find_missing_runs, scan_table, scan_variants
from experiments.cli.main import main

SPEC = """\
[batch]
name = "integrity"
scenarios = ["baseline"]
steps = 2
runs_per_partition = 2

[replications]
seeds = 2
master_seed = 3
"""


def batch(spec: Path, out: Path) -> int:
    return main(["batch", str(spec), "--out", str(out), "--workers", "1", "--no-progress"])


def write_spec(root: Path, extra: str, name: str = "spec.toml") -> Path:
    path = root / name
    path.write_text(SPEC + extra, encoding="utf-8")
    return path


def one_error_line(err: str) -> str:
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("compute-market: error: "), err
    return lines[0]


def check_store_rows(out: Path) -> None:
    """Each planned run's rows appear once: shares sum to 1 per run, market and step, and no
    (run, step, firm) row of `firms` is repeated (both broke when identical variants doubled
    the rows)."""
    shares = scan_table(out, "shares").collect()
    sums = shares.group_by("variant_id", "seed", "market", "step").agg(pl.col("share").sum())
    assert ((sums["share"] - 1.0).abs() < 1e-9).all()
    firms = scan_table(out, "firms").collect()
    assert firms.height == firms.unique(["run_id", "variant_id", "step", "firm"]).height


# --------------------------------------------------------------------------- identical variants

MERGE_CASES = [
    ('[levers]\n"foundry.allocation_rule" = ["pro_rata", "pro_rata"]\n', 1, 2),
    ('[levers]\n"market.cuda_lockin" = [1, 1.0, 2.0]\n', 2, 3),
    ('[levers]\n"regulator.regime" = ["none", "strict", "none"]\n', 2, 3),
    ('[uncertainties]\nsampler = "lhs"\nsamples = 4\n[uncertainties.ranges]\n'
     '"sites.n_sites" = { low = 800, high = 801, integer = true }\n', 2, 4),
]


@pytest.mark.parametrize(("extra", "variants", "points"), MERGE_CASES,
                         ids=["lever-twice", "int-and-float", "lever-thrice", "lhs-integer"])
def test_identical_variants_are_merged_with_their_labels(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], extra: str, variants: int,
        points: int) -> None:
    """Points of the spec that load to the same scenario run once; the other points' overrides
    are kept in `merged_overrides`; a rerun finds everything complete (exit 0)."""
    spec, out = write_spec(tmp_path, extra), tmp_path / "out"
    assert batch(spec, out) == 0
    assert "are run once" in capsys.readouterr().out
    table = scan_variants(out).collect()
    assert table.height == table["variant_id"].n_unique() == variants
    assert sum(len(m) for m in table["merged_overrides"].to_list()) == points - variants
    check_store_rows(out)
    manifests = list((out / "runs").rglob("seed-*.json"))
    assert len(manifests) == variants * 2
    assert batch(spec, out) == 0
    assert f"{variants * 2}/{variants * 2} runs complete" in capsys.readouterr().out
    assert json.loads((out / "batch.json").read_text())["status"] == "complete"


# --------------------------------------------------------------------------- edited specs


def test_an_edited_spec_keeps_readers_to_the_planned_runs(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Dropping a lever value and a seed, then re-running into the same directory: the old
    runs stay on disk, but scan_table and summarize show only the planned ones, and the
    summary made from the old spec is removed."""
    spec = write_spec(tmp_path, '[levers]\n"foundry.allocation_rule" = ["pro_rata", "uniform"]\n')
    out = tmp_path / "out"
    assert batch(spec, out) == 0
    assert main(["summarize", str(out)]) == 0
    old_ids = set(scan_variants(out).collect()["variant_id"])
    assert len(old_ids) == 2
    spec.write_text(SPEC.replace("seeds = 2", "seeds = 1")
                    + '[levers]\n"foundry.allocation_rule" = ["pro_rata"]\n', encoding="utf-8")
    capsys.readouterr()
    assert batch(spec, out) == 0
    assert "summary" in capsys.readouterr().err  # told that the old summary was removed
    assert not (out / "summary").exists()
    (kept,) = set(scan_variants(out).collect()["variant_id"])
    shares = scan_table(out, "shares").collect()
    assert set(shares["variant_id"]) == {kept} and shares["seed"].n_unique() == 1
    assert len(list((out / "runs").rglob("seed-*.json"))) == 4  # nothing deleted
    assert main(["summarize", str(out)]) == 0
    summary = pl.read_parquet(out / "summary" / "markets.parquet")
    assert set(summary["variant_id"]) == {kept} and set(summary["n_runs"]) == {1}


# --------------------------------------------------------------------------- damaged files


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A finished batch (2 variants x 2 seeds) and a run directory, to copy and damage."""
    root = tmp_path_factory.mktemp("made")
    spec = write_spec(root, '[levers]\n"foundry.allocation_rule" = ["pro_rata", "uniform"]\n')
    assert batch(spec, root / "batch") == 0
    assert main(["run", "--steps", "3", "--out", str(root / "run")]) == 0
    return root


def _copy(made: Path, tmp_path: Path) -> tuple[Path, Path, Path]:
    shutil.copytree(made, tmp_path / "m")
    root = tmp_path / "m"
    return root / "spec.toml", root / "batch", root / "run"


def _truncate(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def _first_part(out: Path) -> Path:
    return sorted((out / "runs").glob("*/*/part-*"))[0]


DAMAGES = {
    "truncated-table": lambda out: _truncate(_first_part(out) / "shares.parquet"),
    "truncated-markets": lambda out: _truncate(_first_part(out) / "markets.parquet"),
    "garbage-table": lambda out: (_first_part(out) / "physical.parquet").write_bytes(b"PAR1xx"),
    "deleted-table": lambda out: (_first_part(out) / "firms.parquet").unlink(),
    "truncated-variants": lambda out: _truncate(out / "variants.parquet"),
    "deleted-variants": lambda out: (out / "variants.parquet").unlink(),
    "truncated-batch-json": lambda out: _truncate(out / "batch.json"),
    "truncated-run-manifest": lambda out: _truncate(next(_first_part(out).glob("seed-*.json"))),
    "swapped-table": lambda out: shutil.copyfile(_first_part(out) / "markets.parquet",
                                                 _first_part(out) / "shares.parquet"),
    "foreign-variants": lambda out: shutil.copyfile(_first_part(out) / "markets.parquet",
                                                    out / "variants.parquet"),
    "batch-json-seeds-text": lambda out: (out / "batch.json").write_text(
        json.dumps({**json.loads((out / "batch.json").read_text()), "seeds": "many"})),
}


@pytest.mark.parametrize("damage", list(DAMAGES))
@pytest.mark.parametrize("command", ["summarize", "plot", "report"])
def test_damaged_batch_files_are_named_and_nothing_is_written(
        made: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], damage: str,
        command: str) -> None:
    _, out, _ = _copy(made, tmp_path)
    DAMAGES[damage](out)
    before = {p: p.stat().st_mtime_ns for p in out.rglob("*")}
    argv = {"summarize": ["summarize", str(out)],
            "plot": ["plot", str(out), "--kind", "all"],
            "report": ["report", str(out)]}[command]
    code = main(argv)
    line = one_error_line(capsys.readouterr().err)
    assert code == 2
    assert "damaged" in line or "missing" in line
    assert str(out) in line
    assert {p: p.stat().st_mtime_ns for p in out.rglob("*")} == before


def test_a_deleted_partition_is_reported_as_missing_runs(
        made: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """summarize refuses (exit 2, how many and which) and writes nothing; --partial
    summarises what is there and says what is missing."""
    _, out, _ = _copy(made, tmp_path)
    part = _first_part(out)
    shutil.rmtree(part)
    assert len(find_missing_runs(out)) == 2
    assert main(["summarize", str(out)]) == 2
    line = one_error_line(capsys.readouterr().err)
    assert "2 of 4 planned runs are missing" in line and part.parent.name in line
    assert not (out / "summary").exists()
    assert main(["summarize", str(out), "--partial"]) == 0
    assert "2 planned run(s) are missing" in capsys.readouterr().err
    n_runs = pl.read_parquet(out / "summary" / "markets.parquet")["n_runs"]
    assert sorted(set(n_runs)) == [2]


@pytest.mark.parametrize("damage", ["truncated-table", "deleted-table", "truncated-run-manifest",
                                    "swapped-table"])
def test_resume_remakes_a_damaged_partition(made: Path, tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str],
                                            damage: str) -> None:
    """A damaged partition is removed (and named) at the next start, its runs made again; the
    tables end equal to the undamaged batch's."""
    spec, out, _ = _copy(made, tmp_path)
    want = scan_table(made / "batch", "shares").collect().sort("run_id", "step", "market", "firm")
    DAMAGES[damage](out)
    assert batch(spec, out) == 0
    captured = capsys.readouterr()
    assert "removed, its runs will be made again" in captured.err
    assert "2 ran now" in captured.out
    got = scan_table(out, "shares").collect().sort("run_id", "step", "market", "firm")
    assert got.equals(want)


RUN_DAMAGES = {
    "truncated-shares": lambda run: _truncate(run / "shares.parquet"),
    "deleted-firms": lambda run: (run / "firms.parquet").unlink(),
    "truncated-manifest": lambda run: _truncate(run / "manifest.json"),
    "garbage-markets": lambda run: (run / "markets.parquet").write_bytes(b"not parquet"),
    "swapped-table": lambda run: shutil.copyfile(run / "markets.parquet", run / "shares.parquet"),
    "empty-manifest": lambda run: (run / "manifest.json").write_text("{}", encoding="utf-8"),
}


@pytest.mark.parametrize("damage", list(RUN_DAMAGES))
@pytest.mark.parametrize("command", ["plot", "report"])
def test_damaged_run_files_are_named_and_nothing_is_written(
        made: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], damage: str,
        command: str) -> None:
    _, _, run = _copy(made, tmp_path)
    RUN_DAMAGES[damage](run)
    before = sorted(run.rglob("*"))
    code = main([command, str(run)])
    line = one_error_line(capsys.readouterr().err)
    assert code == 2 and str(run) in line
    assert sorted(run.rglob("*")) == before


# --------------------------------------------------------------------------- one writer


def test_a_run_directory_held_by_another_writer_is_refused(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from experiments.run.lock import OutputLock

    out = tmp_path / "o"
    with OutputLock(out, "run"):
        assert main(["run", "--steps", "2", "--out", str(out)]) == 2
        line = one_error_line(capsys.readouterr().err)
        assert "being written by another run" in line
        assert not out.exists()
    assert main(["run", "--steps", "2", "--out", str(out)]) == 0
    assert not (tmp_path / ".o.lock").exists()


def test_litter_of_killed_writers_is_cleaned_or_restored(tmp_path: Path) -> None:
    """Temp folders of dead writers go at the next write into the folder; a run directory
    moved aside for replacement comes back if its replacement never arrived."""
    (tmp_path / ".o.tmp-deadbeef").mkdir()
    (tmp_path / ".other.tmp-1234abcd").mkdir()
    (tmp_path / ".other.tmp-1234abcd" / "shares.parquet").write_bytes(b"half")
    moved = tmp_path / ".kept.old-0badc0de"
    moved.mkdir()
    (moved / "manifest.json").write_text("{}", encoding="utf-8")
    assert main(["run", "--steps", "2", "--out", str(tmp_path / "o")]) == 0
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["kept", "o"]
    assert (tmp_path / "kept" / "manifest.json").is_file()


# --------------------------------------------------------------------------- helpers


@settings(max_examples=25, deadline=None)
@given(seeds=st.lists(st.integers(0, 2**63 - 1), max_size=5))
def test_hashes_by_seed_equal_the_hash_of_each_copy(seeds: list[int]) -> None:
    """The fast per-seed hash used by the plan is the scenario hash of the seeded copy."""
    from experiments.scenario.loader import load_scenario, scenario_hash, scenario_hashes_by_seed

    params = _baseline()
    assert scenario_hashes_by_seed(params, seeds) == [
        scenario_hash(params.model_copy(update={"seed": s})) for s in seeds]
    assert load_scenario is not None


_CACHE: dict[str, object] = {}


def _baseline():  # type: ignore[no-untyped-def]
    from experiments.scenario.loader import load_scenario

    if "b" not in _CACHE:
        _CACHE["b"] = load_scenario("baseline")
    return _CACHE["b"]


@pytest.mark.parametrize("value", [float("inf"), float("nan"), -float("inf")])
def test_manifests_are_strict_json(value: float) -> None:
    from experiments.run.files import write_json_text

    with pytest.raises(ValueError):
        write_json_text({"x": value})
    assert json.loads(write_json_text({"x": 1.5})) == {"x": 1.5}


def test_a_long_plan_reports_progress(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """make_plan says how far it has got when it takes long (here: every variant)."""
    import experiments.batch.plan as plan_module
    from experiments.batch.spec import load_spec

    monkeypatch.setattr(plan_module, "PROGRESS_EVERY_S", -1.0)
    spec = write_spec(tmp_path, '[levers]\n"market.cuda_lockin" = [1.0, 1.5, 2.0]\n')
    lines: list[str] = []
    plan = plan_module.make_plan(load_spec(spec), report=lines.append)
    assert len(plan.tasks) == 6
    assert lines and lines[-1].startswith("planning: 2/3 variants checked, 4 runs")


def test_one_scenario_named_twice_is_one_variant(tmp_path: Path) -> None:
    """`baseline` and `baseline.toml` are the same file: one variant, the second name kept as
    a merged label led by ``scenario=``."""
    spec = tmp_path / "spec.toml"
    spec.write_text(SPEC.replace('scenarios = ["baseline"]',
                                 'scenarios = ["baseline", "baseline.toml"]'), encoding="utf-8")
    out = tmp_path / "out"
    assert batch(spec, out) == 0
    table = scan_variants(out).collect()
    assert table.height == 1
    assert table["merged_overrides"].to_list() == [[["scenario=baseline.toml"]]]
    check_store_rows(out)
