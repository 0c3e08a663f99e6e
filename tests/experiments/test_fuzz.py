"""Hypothesis fuzzing of scenario values and batch specs through the command line.

Property: every input is either refused (exit code 2, one line on stderr, nothing written) or
accepted, and then the run's invariants hold (`experiments.run.invariants`), or the batch's
plan has no duplicated run and its store reads back each run once. The example counts are kept
modest for CI (``FUZZ_EXAMPLES`` in the environment raises them); ``benchmarks/fuzz_invariants.py``
runs the same kind of cases by the thousand.
"""

from __future__ import annotations

import math
import os
import tempfile
from pathlib import Path
from typing import Any

import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from experiments.cli.main import main
from experiments.run.invariants import check_run_invariants
from experiments.scenario.fields import NumericField, numeric_fields
from experiments.scenario.loader import load_scenario

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "20"))
"""Examples per property (20 in CI)."""

BASES = {name: [f for f in numeric_fields(load_scenario(name)) if f.key != "simulation.steps"]
         for name in ("baseline", "docking/cournot")}
NOT_NUMBERS = ["inf", "-inf", "nan", "1e400", "-1e400", '"many"', "true", "[1.0]"]


def _value(f: NumericField, kind: str, u: float) -> str:
    """A value for `f`: inside its declared bounds (``in``), just outside (``out``), or never
    a valid number (``bad``)."""
    if kind == "bad":
        return NOT_NUMBERS[int(u * len(NOT_NUMBERS)) % len(NOT_NUMBERS)]
    low = f.low if math.isfinite(f.low) else min(f.value, 0.0) - 10.0
    high = f.high if math.isfinite(f.high) else max(10.0 * abs(f.value), low + 10.0)
    if kind == "out":
        if math.isfinite(f.low) and (u < 0.5 or not math.isfinite(f.high)):
            return str(int(f.low) - 1) if f.integer else repr(f.low - 1.0 - abs(f.low))
        if math.isfinite(f.high):
            return str(int(f.high) + 1) if f.integer else repr(f.high + 1.0 + abs(f.high))
        return "nan"
    x = low + u * (high - low)
    if f.integer:
        return str(min(max(round(x), math.ceil(low + f.low_open)), math.floor(high)))
    return repr(f.value if (f.low_open and x <= f.low) or (f.high_open and x >= f.high) else x)


@st.composite
def scenario_cases(draw: st.DrawFn) -> tuple[str, int, list[str]]:
    name = draw(st.sampled_from(sorted(BASES)))
    fields = BASES[name]
    picks = draw(st.lists(st.tuples(st.integers(0, len(fields) - 1),
                                    st.sampled_from(["in", "in", "in", "out", "bad"]),
                                    st.floats(0.0, 1.0)), min_size=1, max_size=3))
    overrides = [f"{fields[i].key}={_value(fields[i], kind, u)}" for i, kind, u in picks]
    return name, draw(st.integers(1, 12)), overrides


def _refused_cleanly(code: int, err: str, root: Path) -> None:
    lines = [line for line in err.splitlines() if line.strip() and "warning" not in line]
    assert code == 2, err
    assert len(lines) == 1 and lines[0].startswith("compute-market: error: "), err
    assert not any(p.name != "spec.toml" for p in root.iterdir()), "something was written"


@settings(max_examples=EXAMPLES, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(case=scenario_cases())
def test_random_scenario_values_are_refused_in_one_line_or_run_clean(
        case: tuple[str, int, list[str]], capsys: Any) -> None:
    from experiments.run.results import read_results

    name, steps, overrides = case
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        argv = ["run", name, "--steps", str(steps), "--out", str(root / "o")]
        for text in overrides:
            argv += ["--set", text]
        code = main(argv)
        err = capsys.readouterr().err
        if code != 0:
            _refused_cleanly(code, err, root)
            return
        assert check_run_invariants(read_results(root / "o")) == []


def test_found_case_a_pipeline_on_unlimited_sites_runs_clean(capsys: Any) -> None:
    """A case this suite once found: a docking case (sites without a power limit) with a
    datacenter pipeline at the start held sites of infinite grid power, so the physical
    table's acquired GW was inf. A site without a limit counts the GW used on it."""
    from experiments.run.results import read_results

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "o"
        assert main(["run", "docking/cournot", "--steps", "1", "--out", str(out),
                     "--set", "firms.Nvidia.pipeline_gw=200.0"]) == 0
        capsys.readouterr()
        results = read_results(out)
        assert check_run_invariants(results) == []
        assert results.tables["physical"]["acquired_site_gw"][0] == 200.0


def _toml(value: Any) -> str:
    from experiments.batch.spec import toml_value

    return toml_value(value)


FLOATS = st.one_of(st.floats(-2.0, 5.0), st.sampled_from([math.inf, -math.inf, math.nan, 1e308]))
LEVERS = {
    "foundry.allocation_rule": st.sampled_from(["pro_rata", "uniform", "priority", "random"]),
    "market.cuda_lockin": FLOATS,
    "regulator.regime": st.sampled_from(["none", "strict", "hsr_2010"]),
    "sites.n_sites": st.integers(-5, 1200),
}
RANGES = ["market.cuda_lockin", "market.diversification", "sites.n_sites", "demand.slope"]


@st.composite
def batch_specs(draw: st.DrawFn) -> str:
    lines = ['[batch]\nname = "fz"\nscenarios = ["baseline"]\nsteps = 1\n', "[replications]"]
    seeds = draw(st.one_of(st.integers(0, 3), st.lists(st.integers(-1, 5), max_size=3)))
    lines.append(f"seeds = {_toml(seeds)}")
    levers = draw(st.lists(st.sampled_from(sorted(LEVERS)), max_size=2, unique=True))
    if levers:
        lines.append("[levers]")
        for key in levers:
            values = draw(st.lists(LEVERS[key], max_size=3))
            lines.append(f'"{key}" = {_toml(values)}')
    ranges = draw(st.lists(st.sampled_from(RANGES), max_size=2, unique=True))
    if ranges:
        lines.append("[uncertainties]")
        lines.append(f'sampler = "{draw(st.sampled_from(["lhs", "sobol", "grid"]))}"')
        lines.append(f"samples = {draw(st.integers(0, 4))}")
        lines.append("[uncertainties.ranges]")
        for key in ranges:
            low, high = draw(FLOATS), draw(FLOATS)
            integer = draw(st.booleans())
            lines.append(f'"{key}" = {{ low = {_toml(low)}, high = {_toml(high)}, '
                         f"integer = {_toml(integer)} }}")
    return "\n".join(lines) + "\n"


@settings(max_examples=EXAMPLES + 5, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(text=batch_specs())
def test_random_batch_specs_are_refused_in_one_line_or_store_each_run_once(
        text: str, capsys: Any) -> None:
    from experiments.batch.store import scan_table, scan_variants

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "spec.toml").write_text(text, encoding="utf-8")
        out = root / "out"
        code = main(["batch", str(root / "spec.toml"), "--out", str(out), "--workers", "1",
                     "--no-progress"])
        captured = capsys.readouterr()
        if code != 0:
            _refused_cleanly(code, captured.err, root)
            return
        variants = scan_variants(out).collect()
        assert variants.height == variants["variant_id"].n_unique()
        shares = scan_table(out, "shares").collect()
        sums = shares.group_by("variant_id", "seed", "market", "step").agg(pl.col("share").sum())
        assert ((sums["share"] - 1.0).abs() < 1e-9).all()
        runs = shares.select("variant_id", "seed").unique().height
        assert shares["run_id"].n_unique() == runs
        assert f"{runs}/{runs} runs complete" in captured.out


def test_the_invariant_checker_catches_each_kind_of_break() -> None:
    """A clean run passes; each deliberate break (a share doubled, an infinite cash value, an
    HHI off the squared shares, a negative flow, deployed above powered, a manifest with
    Infinity) is reported, naming its table."""
    from dataclasses import replace

    from experiments.run.runner import run

    clean = run(load_scenario("baseline", steps=3))
    assert check_run_invariants(clean) == []
    t = clean.tables
    breaks = {
        "shares": t["shares"].with_columns(
            pl.when(pl.int_range(pl.len()) == 0).then(pl.col("share") * 2)
            .otherwise(pl.col("share")).alias("share")),
        "firms": t["firms"].with_columns(pl.lit(math.inf).alias("cash_usd_b")),
        "markets": t["markets"].with_columns(pl.col("hhi") + 1.0),
        "flows": t["flows"].with_columns(-pl.col("amount_usd_b")),
        "physical": t["physical"].with_columns((pl.col("powered_gw") + 1.0).alias("deployed_gw")),
    }
    for name, frame in breaks.items():
        broken = replace(clean, tables={**t, name: frame})
        found = check_run_invariants(broken)
        assert found and any(line.startswith(name) for line in found), (name, found)
    bad_manifest = replace(clean, manifest={**clean.manifest, "x": math.inf})
    assert check_run_invariants(bad_manifest)[0].startswith("manifest")
