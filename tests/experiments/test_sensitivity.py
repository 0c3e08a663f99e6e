"""Sensitivity set-up (seeds per point, chosen parameters and outcomes, the seed-noise share),
the analysis of a sampled batch already run, and "no surprise writes": a clean checkout stays
clean after validate, docking and sensitivity, and a run with --set gets its own folder."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from experiments.cli.main import main
from experiments.cli.run import default_out_dir
from experiments.errors import UserError
from experiments.validation.sensitivity import (
    PARAMETERS,
    analyse_batch,
    find_parameter,
    noise_share,
    point_seeds,
)

ROOT = Path(__file__).parent.parent.parent

SAMPLED = """\
[batch]
name = "sampled"
description = "LHS over CUDA lock-in and the build-time mean, 2 seeds, 12 months"
scenarios = ["baseline"]
steps = 12

[replications]
seeds = 2
master_seed = 3

[uncertainties]
sampler = "lhs"
samples = 40

[uncertainties.ranges]
"market.cuda_lockin" = [0.0, 6.0]
"sites.build_months.mean" = [14.0, 22.0]

[outcomes]
tables = ["shares", "markets"]
"""


def test_point_seeds_vary_across_points_or_are_common() -> None:
    """Per-point seeds: reproducible, distinct between points; common seeds: 1..k everywhere."""
    assert point_seeds(0, 3, common=False) == point_seeds(0, 3, common=False)
    firsts = {tuple(point_seeds(i, 3, common=False)) for i in range(50)}
    assert len(firsts) == 50
    assert point_seeds(7, 3, common=True) == point_seeds(0, 3, common=True) == [1, 2, 3]


def test_noise_share_known_answers() -> None:
    """No spread within points -> 0. Points that differ only by noise (each row a draw of the
    same distribution) -> about 1: the variance of a point mean is the noise variance / k."""
    exact = np.repeat(np.arange(10.0)[:, None], 4, axis=1)
    assert noise_share(exact) == 0.0
    rng = np.random.default_rng(1)
    pure_noise = rng.normal(0.0, 1.0, size=(4000, 4))
    assert noise_share(pure_noise) == pytest.approx(1.0, abs=0.08)


def test_find_parameter_by_key_or_range() -> None:
    assert find_parameter("market.cuda_lockin") is PARAMETERS[0]
    p = find_parameter("market.price_sensitivity=2.5:5")
    assert (p.key, p.low, p.high, p.kind) == ("market.price_sensitivity", 2.5, 5.0, "value")
    for bad in ("nope.key", "market.cuda_lockin=3:1", "market.cuda_lockin=a:b",
                "market.cuda_lockin=-5:1", "no_such.key=1:2"):
        with pytest.raises(UserError):
            find_parameter(bad)


def test_analyse_a_sampled_batch(tmp_path: Path) -> None:
    """Delta indices of a batch already run: CUDA lock-in moves Nvidia's accelerator share
    (buyers locked into CUDA stay with Nvidia), while the mean build time of new sites cannot
    change chip sales in 12 months (no site started in the run is finished by then): the lock-in
    must get the larger delta. Indices are in [0, 1]."""
    spec = tmp_path / "sampled.toml"
    spec.write_text(SAMPLED, encoding="utf-8")
    out = tmp_path / "b"
    assert main(["batch", str(spec), "--out", str(out), "--workers", "1", "--no-progress"]) == 0
    res = analyse_batch(out, ["nvidia_share_accelerators"])
    assert res["points"] == 40 and res["runs"] == 80
    d = dict(zip(res["parameters"], res["outputs"]["nvidia_share_accelerators"]["delta"],
                 strict=True))
    assert d["market.cuda_lockin"] > d["sites.build_months.mean"]
    assert all(0.0 <= v <= 1.0 for v in d.values())
    assert main(["sensitivity", "--batch", str(out), "--outcome", "nvidia_share_accelerators",
                 "--outcome", "hhi_accelerators"]) == 0
    assert (out / "sensitivity" / "sensitivity.json").is_file()
    assert main(["sensitivity", "--batch", str(out), "--outcome", "deployed_gw"]) == 2  # table
    # not kept by the batch: one line, exit 2


def test_run_with_overrides_gets_its_own_folder() -> None:
    plain = default_out_dir("baseline", 42)
    changed = default_out_dir("baseline", 42, ["market.cuda_lockin=2.0"])
    other = default_out_dir("baseline", 42, ["market.cuda_lockin=3.0"])
    assert plain == Path("runs/baseline-seed42")
    assert len({plain, changed, other}) == 3
    assert changed == default_out_dir("baseline", 42, ["market.cuda_lockin=2.0"])
    assert default_out_dir("baseline", 42, steps=12) != plain


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_a_clean_checkout_stays_clean(tmp_path: Path) -> None:
    """validate, docking and sensitivity (tiny sizes) in a fresh checkout of the working tree
    write no tracked or untracked file outside the ignored run folders; --write-docs writes
    the document asked for, and only it."""
    clone = tmp_path / "clone"
    files = subprocess.run(["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=ROOT,
                           capture_output=True, text=True, check=True).stdout.split("\0")
    for rel in filter(None, files):
        if (ROOT / rel).is_file():
            (clone / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / rel, clone / rel)
    git = ["git", "-c", "user.name=test", "-c", "user.email=test@example.org"]
    for cmd in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "checkout"]):
        subprocess.run([*git, *cmd], cwd=clone, check=True)
    env = {**os.environ, "PYTHONPATH": str(clone)}

    def cm(*args: str) -> int:
        return subprocess.run([sys.executable, "-m", "experiments.cli.main", *args], cwd=clone,
                              env=env, capture_output=True, text=True).returncode

    assert cm("validate", "--seeds", "1", "--workers", "1") in (0, 3)
    assert cm("docking") in (0, 3)
    assert cm("sensitivity", "--method", "morris", "--param", "market.cuda_lockin",
              "--param", "market.price_sensitivity", "--trajectories", "2", "--seeds", "1",
              "--steps", "3", "--workers", "1", "--outcome", "hhi_accelerators") == 0
    status = subprocess.run(["git", "status", "--porcelain"], cwd=clone, capture_output=True,
                            text=True, check=True).stdout
    assert status == ""
    assert cm("docking", "--write-docs", "notes/v.md") in (0, 3)
    assert "<!-- begin:docking -->" in (clone / "notes" / "v.md").read_text(encoding="utf-8")
    status = subprocess.run(["git", "status", "--porcelain"], cwd=clone, capture_output=True,
                            text=True, check=True).stdout
    assert status.split() == ["??", "notes/"]
