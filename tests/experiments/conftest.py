"""Fixtures of the figure, report and app tests: real run and batch directories, a comparison
table, and headless Chromium (Debian's chromium + chromedriver, nothing downloaded).

Browser tests skip, saying why, only when chromium or chromedriver is not installed; CI
installs both (.ci/run). Screenshots go to ``test-artifacts/`` at the repository root.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import polars as pl
import pytest

ROOT = Path(__file__).parent.parent.parent
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM_CANDIDATES = ("chromium", "chromium-browser")
DRIVER_CANDIDATES = ("chromedriver", "chromium-driver")

BATCH_SPEC = """\
[batch]
name = "figs"
description = "two allocation rules x 2 seeds, 18 months (figure tests)"
scenarios = ["baseline"]
steps = 18

[replications]
seeds = 2
master_seed = 5

[levers]
"foundry.allocation_rule" = ["pro_rata", "uniform"]
"""


@pytest.fixture(scope="session")
def run_dir(baseline_results: Any, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shipped baseline's real run, written as a run directory."""
    out = tmp_path_factory.mktemp("figs") / "baseline-run"
    baseline_results.write(out)
    return out


@pytest.fixture(scope="session")
def batch_dir(baseline_results: Any, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small real batch directory (2 variants x 2 seeds, 18 months) run in this process."""
    from experiments.cli.main import main

    root = tmp_path_factory.mktemp("batch")
    spec = root / "figs.toml"
    spec.write_text(BATCH_SPEC, encoding="utf-8")
    out = root / "out"
    code = main(["batch", str(spec), "--out", str(out), "--workers", "1", "--no-progress"])
    assert code == 0
    return out


COMPARE_ROWS = {
    "metric": ["HHI accelerators", "HHI cloud", "deployed GW", "OpenAI valuation"],
    "unit": ["points", "points", "GW", "$B"],
    "mean_diff": [-850.0, 40.0, -3.2, -120.0],
    "ci_low": [-1200.0, -60.0, -5.0, -400.0],
    "ci_high": [-500.0, 140.0, -1.4, 160.0],
    "reference": ["baseline"] * 4,
    "variant": ["what_if/no_vendor_financing"] * 4,
    "n": [10] * 4,
}


@pytest.fixture
def compare_dir(tmp_path: Path) -> Path:
    """A comparison directory following the documented contract (compare.parquet)."""
    out = tmp_path / "cmp"
    out.mkdir()
    pl.DataFrame(COMPARE_ROWS).write_parquet(out / "compare.parquet")
    return out


def _which(names: tuple[str, ...]) -> str | None:
    for name in names:
        found = shutil.which(name)
        if found:
            return found
    for path in ("/usr/bin/chromium", "/usr/lib/chromium/chromium", "/usr/bin/chromedriver"):
        if Path(path).is_file() and any(n in path for n in names):
            return path
    return None


@pytest.fixture
def browser() -> Iterator[Any]:
    """Headless Chromium driven by selenium, with a fresh profile and no background traffic."""
    chromium, driver_path = _which(CHROMIUM_CANDIDATES), _which(DRIVER_CANDIDATES)
    if chromium is None or driver_path is None:
        pytest.skip(
            "Debian's chromium and chromium-driver are not installed "
            "(apt-get install -y chromium chromium-driver; .ci/run does it)"
        )
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="cm-chromium-")
    opts = Options()
    opts.binary_location = chromium
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--window-size=1500,1300",
        f"--user-data-dir={profile}",
    ):
        opts.add_argument(arg)
    driver = webdriver.Chrome(options=opts, service=Service(driver_path))
    driver.set_page_load_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def save_artifact(driver: Any, name: str) -> Path:
    """Save a screenshot of the browser to ``test-artifacts/<name>``."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / name
    driver.save_screenshot(str(path))
    return path


@pytest.fixture
def screenshot() -> Any:
    """`save_artifact` as a fixture: ``screenshot(driver, "name.png")``."""
    return save_artifact
