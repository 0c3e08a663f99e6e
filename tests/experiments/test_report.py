"""The HTML report: one self-contained file for a run, a batch or a comparison, with the
scenario, the key numbers and every figure embedded; it renders offline in headless Chromium."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from experiments.cli.main import main
from experiments.figures import available_kinds, load_source

EXTERNAL = re.compile(r"""(?:src|href)\s*=\s*["']?(?:https?:|//)""", re.IGNORECASE)


@pytest.fixture(scope="module")
def run_report(run_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("report") / "report.html"
    assert main(["report", str(run_dir), "-o", str(out)]) == 0
    return out


def _check_self_contained(text: str, n_figures: int) -> None:
    assert text.startswith("<!DOCTYPE html>")
    assert len(re.findall(r'<img src="data:image/png;base64,', text)) == n_figures
    assert not EXTERNAL.search(text), "the report must not load anything from outside"
    assert "<script" not in text


def test_run_report_has_scenario_numbers_and_every_figure(run_report: Path) -> None:
    text = run_report.read_text(encoding="utf-8")
    _check_self_contained(text, 5)
    for needle in (
        "baseline, seed 42",
        "Scenario",
        "Key numbers",
        "AI accelerators",
        "HHI",
        "million US homes",
        "OpenAI valuation",
        'id="fig-network"',
        'id="fig-deals"',
        'id="fig-physical"',
    ):
        assert needle in text


def test_batch_and_compare_reports(batch_dir: Path, compare_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "batch.html"
    assert main(["report", str(batch_dir), "-o", str(out)]) == 0
    text = out.read_text(encoding="utf-8")
    _check_self_contained(text, len(available_kinds(load_source(batch_dir))))
    assert "batch figs" in text and "Variants" in text and "allocation_rule" in text
    assert main(["report", str(compare_dir)]) == 0  # default: PATH/report.html
    text = (compare_dir / "report.html").read_text(encoding="utf-8")
    _check_self_contained(text, 1)
    assert "HHI accelerators" in text and "mean_diff" in text


def test_report_opens_offline_in_chromium(run_report: Path, browser, screenshot) -> None:
    browser.execute_cdp_cmd("Network.enable", {})
    browser.execute_cdp_cmd(
        "Network.emulateNetworkConditions",
        {"offline": True, "latency": 0, "downloadThroughput": 0, "uploadThroughput": 0},
    )
    browser.get(run_report.resolve().as_uri())
    state = browser.execute_script(
        "return Array.from(document.images).map(i => [i.complete, i.naturalWidth, i.alt]);"
    )
    assert len(state) == 5
    assert all(complete and width > 300 for complete, width, _ in state), state
    assert (
        browser.execute_script(
            "return performance.getEntriesByType('resource').filter("
            "e => !e.name.startsWith('data:')).length"
        )
        == 0
    )
    screenshot(browser, "report-offline.png")
