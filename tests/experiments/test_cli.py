"""The command line: bad input is one line on stderr and exit 2 with nothing written."""

from __future__ import annotations

import importlib
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from experiments.cli import main as cli
from experiments.cli.run import default_out_dir
from experiments.run.results import TABLES, read_results

ROOT = Path(__file__).parent.parent.parent
MakeScenario = Callable[..., Path]

EVENT = (
    '[[events]]\ndate = "{date}"\ndeal_kind = "equity"\n'
    'source_firm = "Nvidia"\ntarget_firm = "{target}"\n'
)


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Run every CLI test from an empty folder so default outputs land in tmp_path."""
    monkeypatch.chdir(tmp_path)


def _one_error_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("compute-market: error: "), err
    assert "Traceback" not in err
    return lines[0]


def _no_outputs(tmp_path: Path) -> None:
    assert not (tmp_path / "runs").exists()
    assert not list(tmp_path.rglob("manifest.json"))
    assert not list(tmp_path.rglob("*.parquet"))
    assert not [p for p in tmp_path.rglob(".*tmp*")]


@pytest.mark.parametrize(
    ("snippet", "extra_args", "must_contain"),
    [
        (
            "[firms.Nvidia]\ncash_usd = 3\n",
            [],
            ["bad.toml", "firms.Nvidia.cash_usd", "unknown key"],
        ),
        ('[simulation]\nsteps = "many"\n', [], ["bad.toml", "simulation.steps", "integer"]),
        ("[firms.Amazon]\npowered_gw = -1\n", [], ["bad.toml", "firms.Amazon.powered_gw", ">= 0"]),
        (
            "[firms.OpenAI]\nmax_supplier_share = 1.5\n",
            [],
            ["bad.toml", "firms.OpenAI.max_supplier_share", "less than or equal to 1"],
        ),
        ("[foundry]\nyield_frac = 1.2\n", [], ["bad.toml", "foundry.yield_frac", "1.2"]),
        (
            EVENT.format(date="2040-01", target="OpenAI"),
            [],
            ["bad.toml", "events[1].date", "outside the horizon"],
        ),
        (
            EVENT.format(date="2025-06", target="Meta"),
            [],
            ["bad.toml", "events[1].target_firm", "unknown firm 'Meta'"],
        ),
        ("", ["--set", "firms.Nvidia.cashh=50"], ["--set", "firms.Nvidia.cashh", "cash_usd_b"]),
        ("", ["--set", "foundry.yield_frac=1.5"], ["--set", "foundry.yield_frac"]),
        ("", ["--steps", "0"], ["--steps", "simulation.steps"]),
        ("[simulation]\nsteps = = 3\n", [], ["bad.toml:2", "TOML syntax error"]),
    ],
    ids=[
        "unknown-key",
        "wrong-type",
        "negative-power",
        "share-above-1",
        "yield-above-1",
        "date-outside-horizon",
        "event-unknown-firm",
        "bad-set-key",
        "bad-set-value",
        "bad-steps",
        "toml-syntax",
    ],
)
def test_bad_scenarios_fail_in_one_line(
    tmp_scenario: MakeScenario,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    fake_model: type,
    snippet: str,
    extra_args: list[str],
    must_contain: list[str],
) -> None:
    text = snippet if "= =" in snippet else 'extends = "base.toml"\n' + snippet
    path = tmp_scenario(text, name="bad")
    code = cli.main(["run", str(path), *extra_args])
    captured = capsys.readouterr()
    line = _one_error_line(captured.err)
    assert code == 2
    for part in must_contain:
        assert part.replace(">= 0", "greater than or equal to 0") in line, line
    assert captured.out == ""
    _no_outputs(tmp_path)


def test_missing_scenario(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = cli.main(["run", "no_such_scenario"])
    line = _one_error_line(capsys.readouterr().err)
    assert code == 2
    assert "no_such_scenario" in line and "compute-market scenarios" in line
    _no_outputs(tmp_path)


@pytest.mark.parametrize(
    "argv",
    [["run", "--seed", "abc"], ["run", "--bogus"], ["frobnicate"], []],
    ids=["seed-not-int", "unknown-option", "unknown-command", "no-command"],
)
def test_usage_errors_are_one_line(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(argv) == 2
    _one_error_line(capsys.readouterr().err)


def test_subprocess_error_has_no_traceback(tmp_scenario: MakeScenario, tmp_path: Path) -> None:
    path = tmp_scenario('extends = "base.toml"\n[firms.Amazon]\npowered_gw = -1\n', name="neg")
    proc = subprocess.run(
        [sys.executable, "-m", "experiments.cli.main", "run", str(path)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 2
    line = _one_error_line(proc.stderr)
    assert "neg.toml" in line and "firms.Amazon.powered_gw" in line
    _no_outputs(tmp_path)


# --------------------------------------------------------------------------- successful runs


def test_run_writes_tables_manifest_and_figure(
    tmp_scenario: MakeScenario, tmp_path: Path, capsys: pytest.CaptureFixture[str], fake_model: type
) -> None:
    code = cli.main(["run", str(tmp_scenario()), "--set", "firms.AMD.cash_usd_b=5"])
    out = capsys.readouterr()
    assert code == 0, out.err
    # a run with --set gets its own folder: scn-seed7-set-<hash of the overrides>
    rel = default_out_dir("scn", 7, ["firms.AMD.cash_usd_b=5"])
    assert rel.name.startswith("scn-seed7-set-")
    run_dir = tmp_path / rel
    names = sorted(p.name for p in run_dir.iterdir())
    assert names == sorted([f"{t}.parquet" for t in TABLES] + ["manifest.json", "shares.png"])
    assert (run_dir / "shares.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    res = read_results(run_dir)
    assert res.manifest["resolved_scenario"]["firms"]["AMD"]["cash_usd_b"] == 5.0
    assert "Final market shares" in out.out and "accelerators" in out.out
    assert "1 stalled" in out.out and "1 active" in out.out
    assert str(rel) in out.out
    assert len(out.out.strip().splitlines()) <= 20
    assert sorted(p.name for p in tmp_path.iterdir()) == ["base.toml", "runs", "scn.toml"]


def test_run_seed_and_out_options(
    tmp_scenario: MakeScenario, tmp_path: Path, capsys: pytest.CaptureFixture[str], fake_model: type
) -> None:
    out_dir = tmp_path / "elsewhere" / "r"
    assert (
        cli.main(["run", str(tmp_scenario()), "--seed", "3", "--steps", "4", "--out", str(out_dir)])
        == 0
    )
    res = read_results(out_dir)
    assert res.seed == 3 and res.manifest["steps"] == 4
    assert res.tables["physical"].height == 4


def test_existing_output_needs_overwrite(
    tmp_scenario: MakeScenario, tmp_path: Path, capsys: pytest.CaptureFixture[str], fake_model: type
) -> None:
    path = str(tmp_scenario())
    assert cli.main(["run", path]) == 0
    capsys.readouterr()
    assert cli.main(["run", path]) == 2
    assert "--overwrite" in _one_error_line(capsys.readouterr().err)
    assert cli.main(["run", path, "--overwrite"]) == 0


def test_a_bug_in_the_model_exits_1_and_leaves_nothing(
    tmp_scenario: MakeScenario, tmp_path: Path, capsys: pytest.CaptureFixture[str], fake_model: type
) -> None:
    fake_model.fail_in_compute = True
    assert cli.main(["run", str(tmp_scenario())]) == 1
    err = capsys.readouterr().err
    assert "fake model failure" in err and "internal error" in err
    _no_outputs(tmp_path)


def test_failure_while_writing_leaves_no_directory(
    tmp_scenario: MakeScenario,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    fake_model: type,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import experiments.cli.run

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("savefig exploded")

    monkeypatch.setattr(experiments.cli.run, "save_figure", broken)
    assert cli.main(["run", str(tmp_scenario())]) == 1
    assert "savefig exploded" in capsys.readouterr().err
    runs = tmp_path / "runs"
    assert not runs.exists() or [p.name for p in runs.iterdir()] == []  # no run, no temp dir
    assert not list(tmp_path.rglob("*.parquet"))


# --------------------------------------------------------------------------- other commands


def test_scenarios_lists_one_line_each(
    shipped_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["scenarios"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert [line.split()[0] for line in lines] == [
        "baseline",
        "docking/cournot",
        "what_if/no_vendor_financing",
    ]
    assert "Cournot docking case" in lines[1]


@pytest.mark.parametrize(
    "argv",
    [["--help"], ["run", "--help"], ["scenarios", "--help"]],
    ids=["top", "run", "scenarios"],
)
def test_help(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(argv) == 0
    assert "usage: compute-market" in capsys.readouterr().out


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["--version"]) == 0
    assert capsys.readouterr().out.startswith("compute-market 0.")


def test_registering_a_subcommand_takes_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A command is a module with DESCRIPTION, add_arguments and handle, plus one registry line."""
    (tmp_path / "hello_cmd.py").write_text(
        "DESCRIPTION = 'Say hello.'\n"
        "def add_arguments(p):\n    p.add_argument('--name', default='world')\n"
        "def handle(args):\n    print('hello', args.name)\n    return 0\n",
        encoding="utf-8",
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(cli, "SUBCOMMANDS", list(cli.SUBCOMMANDS))
    cli.register_subcommand("hello", "hello_cmd", "say hello")
    assert cli.main(["hello", "--name", "you"]) == 0
    assert capsys.readouterr().out == "hello you\n"
    assert cli.main(["--help"]) == 0
    assert "say hello" in capsys.readouterr().out


def test_an_adder_function_registers_in_one_line_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """``module:function`` registers a function that adds its own parser (two commands of one
    module here); it is imported only when its command runs."""
    (tmp_path / "greet_cmds.py").write_text(
        "def add_hi(sub):\n"
        "    p = sub.add_parser('hi', help='say hi')\n"
        "    p.set_defaults(handler=lambda args: print('hi') or 0)\n"
        "def add_bye(sub):\n"
        "    p = sub.add_parser('bye', help='say bye')\n"
        "    p.set_defaults(handler=lambda args: print('bye') or 0)\n",
        encoding="utf-8",
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(cli, "SUBCOMMANDS", list(cli.SUBCOMMANDS))
    cli.register_subcommand("hi", "greet_cmds:add_hi", "say hi")
    cli.register_subcommand("bye", "greet_cmds:add_bye", "say bye")
    assert cli.main(["bye"]) == 0 and cli.main(["hi"]) == 0
    assert capsys.readouterr().out == "bye\nhi\n"
    cli.build_parser()  # all loaded: each adder adds only its own parser


def test_every_command_lives_in_the_cli_folder() -> None:
    """The README's rule: a command's code is a module of experiments/cli/ (NAME.py for the
    commands with one module each), loadable the way the registry says."""
    root = Path(__file__).resolve().parents[2]
    for cmd in cli.SUBCOMMANDS:
        module_name, _, adder = cmd.module.partition(":")
        assert module_name.startswith("experiments.cli."), cmd
        assert (root / (module_name.replace(".", "/") + ".py")).is_file(), cmd
        module = importlib.import_module(module_name)
        if adder:
            assert callable(getattr(module, adder)), cmd
        else:
            assert module_name == f"experiments.cli.{cmd.name}", cmd
            assert isinstance(module.DESCRIPTION, str) and module.DESCRIPTION
            assert callable(module.add_arguments) and callable(module.handle)
    cli.build_parser()  # every module's arguments added to one parser without a clash


@pytest.mark.parametrize("argv", [["--help"], ["--version"], []])
def test_help_imports_no_command_and_no_heavy_library(argv: list[str]) -> None:
    """`compute-market --help` builds the listing from the registry alone: no command module,
    and none of the libraries they pull in (matplotlib, mesa, polars, the model)."""
    code = (
        "import sys\nfrom experiments.cli.main import main\n"
        f"main({argv!r})\n"
        "heavy = ('matplotlib', 'mesa', 'polars', 'world.model', 'experiments.run.runner')\n"
        "loaded = [m for m in sys.modules if m.split('.')[0] in heavy or m in heavy]\n"
        "loaded += [m for m in sys.modules if m.startswith('experiments.cli.')"
        " and m != 'experiments.cli.main']\n"
        "print('LOADED', sorted(loaded))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert "LOADED []" in out, out


def test_listing_shows_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["--help"]) == 0
    text = capsys.readouterr().out
    for cmd in cli.SUBCOMMANDS:
        assert cmd.name in text


def test_readme_layout_names_every_command() -> None:
    """A newcomer finds any command's code from the README's layout section alone."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    layout = text.split("## Layout", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in layout.splitlines() if line.startswith("| `")]
    for cmd in cli.SUBCOMMANDS:
        assert any(f"`{cmd.name}`" in row for row in rows), f"README layout lacks {cmd.name}"


def test_closed_pipe_ends_quietly() -> None:
    """A reader that stops early (`compute-market scenarios | head -0`) ends the command with
    exit 0 and no traceback: a closed pipe is not a bug."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "experiments.cli.main", "scenarios"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None
    proc.stdout.close()  # the reader is gone before the command writes
    _, err = proc.communicate(timeout=120)
    assert b"Traceback" not in err and b"internal error" not in err, err.decode()
    assert proc.returncode == 0
