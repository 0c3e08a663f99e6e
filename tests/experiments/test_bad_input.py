"""Bad user input: one line on stderr naming the file or option and the key, exit code 2, and
nothing written, for every kind of mistake (tables of cases, each kind with several members).

Kinds: numbers that are not finite or do not fit (seeds, overflowing floats), calendar dates out
of range, empty lists that leave the model nothing to work with, unknown firm names inside maps,
lists and products, firm roles that are not the firm's own, empty / non-UTF-8 / misplaced
files, `extends` outside the allowed places, bad numeric command-line arguments, bad batch
specs (non-finite or reversed ranges, oversized plans), bad Dask addresses.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from experiments.cli.main import main

SPEC = """\
[batch]
name = "t"
scenarios = ["baseline"]
steps = 2

[replications]
seeds = 1
"""


def _files(root: Path) -> set[Path]:
    return {p for p in root.rglob("*")}


def _fails_in_one_line(argv: list[str], root: Path, capsys: pytest.CaptureFixture[str],
                       *must: str) -> str:
    """Run the command in `root`; assert exit 2, one stderr line, no new file; return it."""
    before = _files(root)
    code = main(argv)
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.strip()]
    assert code == 2, err
    assert len(lines) == 1 and lines[0].startswith("compute-market: error: "), err
    assert "Traceback" not in err
    assert _files(root) == before, "something was written"
    for part in must:
        assert part in lines[0], lines[0]
    return lines[0]


@pytest.fixture
def here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


# --------------------------------------------------------------------------- --set values

SET_CASES = [
    # numbers that are not finite, wherever the field has only a lower bound or none
    ("firms.Nvidia.cash_usd_b=inf", "firms.Nvidia.cash_usd_b"),
    ("firms.Nvidia.cash_usd_b=1e400", "firms.Nvidia.cash_usd_b"),
    ("firms.OpenAI.opex_usd_b_per_year=nan", "firms.OpenAI.opex_usd_b_per_year"),
    ("demand.revenue_multiplier=inf", "demand.revenue_multiplier"),
    ("market.cuda_lockin=-inf", "market.cuda_lockin"),
    ("sites.capex_usd_b_per_gw={mean=1e308, high=inf}", "sites.capex_usd_b_per_gw.mean"),
    ("sites.capex_usd_b_per_gw={mean=10, high=inf}", "sites.capex_usd_b_per_gw.high"),
    ("negotiation.discount_factors=[nan, 0.9]", "negotiation.discount_factors"),
    # seeds that do not fit in 63 bits
    ("seed=9223372036854775808", "seed"),
    ("seed=-1", "seed"),
    # absurd spreads
    ("sites.grid_power_gw.cv=1e300", "sites.grid_power_gw.cv"),
    # calendar
    ('simulation.start="9999-01"', "9999-01"),
    ('simulation.start="0000-01"', "0000-01"),
    # empty lists the model cannot work with
    ("sites.regions=[]", "sites.regions"),
    ("catalog.products=[]", "catalog.products"),
    # unknown firm names inside maps, lists and products
    ("firms.Amazon.installed_mix={Intel=0.5}", "firms.Amazon.installed_mix.Intel"),
    ("demand.opening_backlog_gw={Intel=5.0}", "demand.opening_backlog_gw.Intel"),
    ('foundry.priority_order=["Nvdia"]', "did you mean 'Nvidia'"),
    ('catalog.products[0].vendor="Intel"', "catalog.products[0].vendor"),
    ('interventions=[{kind="cap_equity", parties=["Intel"]}]', "Intel"),
    # roles that are not the firm's own
    ('firms.Nvidia.role="lab"', "Nvidia is a vendor, not a lab"),
    ('firms.OpenAI.role="cloud"', "OpenAI is a lab"),
    ('firms.Oracle.role="vendor"', "Oracle is a cloud"),
    # booleans where a number is wanted (pydantic would read them as 1 and 0)
    ("firms.Amazon.other_margin=true", "expected a number"),
    ("sites.n_sites=false", "expected a number"),
]


@pytest.mark.parametrize(("override", "key"), SET_CASES, ids=[c[0][:40] for c in SET_CASES])
def test_bad_set_values_fail_in_one_line(here: Path, capsys: pytest.CaptureFixture[str],
                                         override: str, key: str) -> None:
    _fails_in_one_line(["run", "--steps", "2", "--set", override, "--out", "o"], here, capsys,
                       key)


# --------------------------------------------------------------------------- scenario files

FILE_CASES = [
    (b"", "the file is empty"),
    (b"# only a comment\n\n", "the file is empty"),
    (b'name = "caf\xe9"\n', "not UTF-8"),
    (b'extends = "../../../../etc/passwd"\n', "extends"),
    (b'extends = "/etc/hostname"\n', "extends"),
    (b'extends = "../outside.toml"\n', "not allowed as a parent"),
    (b'extends = "baseline"\nseed = 9223372036854775808\n', "seed"),
    (b'extends = "baseline"\n[firms.Nvidia]\ncash_usd_b = inf\n', "firms.Nvidia.cash_usd_b"),
    (b'extends = "baseline"\n[firms.Nvidia]\nrole = "cloud"\n', "firms.Nvidia.role"),
    (b'extends = "baseline"\n[firms.Amazon]\ninstalled_mix = { Intel = 0.5 }\n', "Intel"),
    (b'extends = "baseline"\n[[catalog.products]]\nname = "X"\nvendor = "Intel"\n'
     b'release = "2025-01"\npflops_dense = 1.0\nkw_per_unit = 1.0\nunit_cost_usd_k = 1.0\n'
     b'system_price_usd_k = 1.0\nunits_per_wafer = 1.0\n', "Intel"),
    (b'extends = "baseline"\nreplace_events = true\nreplace_interventions = true\n'
     b'[simulation]\nstart = "2199-06"\n', "simulation.start"),
]


@pytest.mark.parametrize(("content", "must"), FILE_CASES,
                         ids=[f"{i}-{c[1][:20]}" for i, c in enumerate(FILE_CASES)])
def test_bad_scenario_files_fail_in_one_line(here: Path, capsys: pytest.CaptureFixture[str],
                                             content: bytes, must: str) -> None:
    (here / "sub").mkdir()
    (here / "outside.toml").write_text('extends = "baseline"\n', encoding="utf-8")
    path = here / "sub" / "bad.toml"
    path.write_bytes(content)
    line = _fails_in_one_line(["run", str(path), "--steps", "2", "--out", "o"], here, capsys,
                              must)
    assert "bad.toml" in line


def test_extends_may_name_a_toml_file_below_the_child(here: Path) -> None:
    """The allowed places work: a parent in a folder below the child, which itself extends a
    shipped scenario by name."""
    from experiments.scenario.loader import load_scenario

    (here / "parents").mkdir()
    (here / "parents" / "p.toml").write_text('extends = "baseline"\nseed = 5\n', "utf-8")
    (here / "child.toml").write_text('extends = "parents/p.toml"\n', "utf-8")
    assert load_scenario(here / "child.toml").seed == 5


def test_replace_events_without_events_empties_the_list(here: Path) -> None:
    """`replace_events = true` means the parent's events are replaced, by none if the child
    lists none (the baseline has dated events, so the flag must change the count)."""
    from experiments.scenario.loader import load_scenario

    assert load_scenario("baseline").events
    (here / "c.toml").write_text('extends = "baseline"\nreplace_events = true\n', "utf-8")
    (here / "d.toml").write_text('extends = "baseline"\nreplace_interventions = true\n'
                                 '[[interventions]]\nkind = "ban_exclusivity"\n', "utf-8")
    assert load_scenario(here / "c.toml").events == []
    assert [i.kind for i in load_scenario(here / "d.toml").interventions] == ["ban_exclusivity"]


# --------------------------------------------------------------------------- arguments

ARG_CASES = [
    (["run", "--seed", "9223372036854775808"], "--seed"),
    (["run", "--seed", "-3"], "--seed"),
    (["run", "--steps", "0"], "--steps"),
    (["run", "--steps", "100000"], "--steps"),
    (["compare", "baseline", "what_if/cap_equity", "--first-seed", "-5"], "--first-seed"),
    (["compare", "baseline", "what_if/cap_equity", "--seeds", "0"], "--seeds"),
    (["compare", "baseline", "what_if/cap_equity", "--level", "1.5"], "--level"),
    (["compare", "baseline", "what_if/cap_equity", "--level", "nan"], "--level"),
    (["compare", "baseline", "what_if/cap_equity", "--first-seed", "9223372036854775807",
      "--seeds", "2"], "--first-seed"),
    (["compare", "baseline", "what_if/cap_equity", "--date", "2026-13"], "YYYY-MM"),
    (["compare", "baseline", "what_if/cap_equity", "--date", "2035-01"], "not a month of the runs"),
    (["compare", "baseline", "what_if/cap_equity", "--date", "2024-12"], "not a month of the runs"),
    (["compare", "baseline", "what_if/cap_equity", "--steps", "12", "--date", "2026-01"],
     "from 2025-01 to 2025-12"),
    (["story", "--seeds", "0"], "--seeds"),
    (["story", "--seeds", "-1"], "--seeds"),
    (["validate", "--seeds", "0"], "--seeds"),
    (["sensitivity", "--n", "0"], "--n"),
    (["batch", "spec.toml", "--workers", "0"], "--workers"),
    (["batch", "spec.toml", "--dask", "not a url"], "not a Dask scheduler address"),
    (["batch", "spec.toml", "--dask", "tcp://host:99999"], "not a Dask scheduler address"),
    (["batch", "spec.toml", "--dask", "local", "--dask-wait", "0"], "--dask-wait"),
    (["app", "--port", "70000"], "--port"),
]


@pytest.mark.parametrize(("argv", "must"), ARG_CASES, ids=[" ".join(c[0])[:45] for c in ARG_CASES])
def test_bad_arguments_fail_in_one_line(here: Path, capsys: pytest.CaptureFixture[str],
                                        argv: list[str], must: str) -> None:
    (here / "spec.toml").write_text(SPEC, encoding="utf-8")
    _fails_in_one_line(argv, here, capsys, must)


# --------------------------------------------------------------------------- batch specs

SPEC_CASES = [
    ('[uncertainties]\nsamples = 4\n[uncertainties.ranges]\n"market.cuda_lockin" = [0.0, inf]\n',
     "uncertainties.ranges.market.cuda_lockin"),
    ('[uncertainties]\nsamples = 4\n[uncertainties.ranges]\n"market.cuda_lockin" = [nan, 1.0]\n',
     "finite"),
    ('[uncertainties]\nsamples = 4\n[uncertainties.ranges]\n'
     '"market.cuda_lockin" = [-1e308, 1e308]\n', "too wide"),
    ('[uncertainties]\nsamples = 4\n[uncertainties.ranges]\n"market.cuda_lockin" = [2.0, 1.0]\n',
     "above high"),
    ('[uncertainties]\nsamples = 4\n[uncertainties.ranges]\n"sites.n_sites" = '
     '{ low = 400, high = 1e400, integer = true }\n', "finite"),
    ('[levers]\n"market.cuda_lockin" = [1.0, inf]\n', "levers.market.cuda_lockin"),
    ('[levers]\n"market.cuda_lockin" = []\n', "levers.market.cuda_lockin"),
    ("[replications]\nseeds = 1000000000\n", "too many"),
    ('[replications]\nseeds = 1000000000\n[uncertainties]\nsampler = "grid"\nsamples = 1000\n'
     '[uncertainties.ranges]\n"market.cuda_lockin" = [0.0, 1.0]\n"market.markup_cap" = [1.0, 2.0]\n'
     '"market.diversification" = [0.0, 1.0]\n"market.relationship_bonus" = [0.0, 1.0]\n',
     "too many"),
    ("[replications]\nseeds = [1, 1]\n", "listed twice"),
    ("[replications]\nseeds = [9223372036854775808]\n", "replications.seeds"),
    ("[replications]\nmaster_seed = -1\n", "replications.master_seed"),
    ("[batch]\nsteps = true\n", "batch.steps"),
    ("[batch]\nruns_per_partition = 0\n", "batch.runs_per_partition"),
    ('[outcomes]\ntables = ["shares", "shares"]\n', "outcomes.tables"),
    ("[nonsense]\nx = 1\n", "unknown section"),
    ("", "empty"),
]


@pytest.mark.parametrize(("text", "must"), SPEC_CASES,
                         ids=[f"{i}-{c[1][:25]}" for i, c in enumerate(SPEC_CASES)])
def test_bad_batch_specs_fail_in_one_line(here: Path, capsys: pytest.CaptureFixture[str],
                                          text: str, must: str) -> None:
    spec = here / "spec.toml"
    body = text if text.startswith("[batch]") or not text else SPEC + text
    if text.startswith("[replications]"):
        body = SPEC.replace("[replications]\nseeds = 1\n", "") + text
    spec.write_text(body, encoding="utf-8")
    _fails_in_one_line(["batch", str(spec), "--workers", "1", "--out", "b"], here, capsys, must)


def test_non_utf8_spec_fails_in_one_line(here: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (here / "spec.toml").write_bytes(b'[batch]\nname = "\xff\xfe"\n')
    _fails_in_one_line(["batch", "spec.toml", "--workers", "1"], here, capsys, "UTF-8")


@pytest.mark.parametrize("damage", [b"", b'{"name": "t", "stat', b"\xff\xfe", b"[1, 2]"],
                         ids=["empty", "truncated", "binary", "not-an-object"])
def test_damaged_batch_json_in_out_fails_in_one_line(
        here: Path, capsys: pytest.CaptureFixture[str], damage: bytes) -> None:
    (here / "spec.toml").write_text(SPEC, encoding="utf-8")
    (here / "b").mkdir()
    (here / "b" / "batch.json").write_bytes(damage)
    _fails_in_one_line(["batch", "spec.toml", "--workers", "1", "--out", "b"], here, capsys,
                       "batch.json")
