"""The interactive app: levers build the scenario, the model steps and stops at its horizon,
and, end to end in headless Chromium, stepping changes the share chart and a changed lever
plus Reset changes the outcome (screenshot kept in test-artifacts/)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from experiments.app.app import MarketApp, build_params, model_params
from experiments.cli.app import app_command
from world.params import AllocationRule, InterventionKind

ROOT = Path(__file__).parent.parent.parent


def test_levers_build_the_scenario() -> None:
    params = build_params("baseline", 3, 0.5, "uniform", True, True)
    assert params.seed == 3 and params.market.cuda_lockin == 0.5
    assert params.foundry.allocation_rule is AllocationRule.UNIFORM
    kinds = {iv.kind for iv in params.interventions}
    assert {InterventionKind.BAN_EXCLUSIVITY, InterventionKind.NO_VENDOR_FINANCING} <= kinds
    assert set(model_params()) == {
        "scenario_name",
        "seed",
        "cuda_lockin",
        "allocation_rule",
        "ban_exclusivity",
        "no_vendor_financing",
    }


def _top_accelerator(model: MarketApp) -> tuple[str, float]:
    shares = model.compute_source().table("shares")
    last = shares.filter(
        (shares["step"] == shares["step"].max()) & (shares["market"] == "accelerators")
    ).sort("share", descending=True)
    return last["firm"][0], round(last["share"][0], 4)


def test_model_steps_stops_at_horizon_and_levers_matter() -> None:
    model = MarketApp()
    assert model.compute_source().table("shares").is_empty()  # before the first step
    for _ in range(6):
        model.step()
    assert model.compute_month() == "2025-06"
    base = _top_accelerator(model)
    other = MarketApp(cuda_lockin=0.0)
    for _ in range(6):
        other.step()
    assert _top_accelerator(other) != base
    while model.running:
        model.step()
    assert model.t == model.p.simulation.steps


def test_app_command_binds_to_localhost() -> None:
    cmd = app_command(8123)
    assert cmd[cmd.index("--host") + 1] == "127.0.0.1" and "--no-open" in cmd
    assert cmd[cmd.index("--port") + 1] == "8123" and cmd[3] == "run"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def app_url(tmp_path: Path) -> Iterator[str]:
    """`compute-market app` on a free port, its front-end assets installed beforehand."""
    from experiments.app.assets import ensure_assets, missing_assets

    if missing_assets():
        try:
            ensure_assets()
        except RuntimeError as exc:
            pytest.skip(f"the app's browser assets are missing and cannot be installed: {exc}")
    port = _free_port()
    log = (tmp_path / "app.log").open("w")
    env = {**os.environ, "SOLARA_TELEMETRY_MIXPANEL_ENABLE": "False"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "experiments.cli.main", "app", "--port", str(port)],
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
        env=env,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                urllib.request.urlopen(url, timeout=2).read(100)
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(
                        f"the app did not start: {(tmp_path / 'app.log').read_text()[-2000:]}"
                    )
                time.sleep(0.5)
        yield url
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
        log.close()


def test_app_end_to_end_in_chromium(app_url: str, browser, screenshot) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import WebDriverWait

    wait = WebDriverWait(browser, 60, poll_frequency=0.2)

    def status() -> str:
        found = browser.find_elements(By.CSS_SELECTOR, ".cm-status-text")
        return found[0].text if found else ""

    def button(label: str):
        return next(
            b
            for b in browser.find_elements(By.TAG_NAME, "button")
            if b.text.strip().lower() == label
        )

    def step_to(n: int) -> None:
        while f"(step {n} of" not in status():
            target = f"(step {int(status().split('(step ')[1].split(' ')[0]) + 1} of"
            button("step").click()
            wait.until(lambda _, target=target: target in status())

    def shares_png() -> bytes:
        return browser.find_element(By.CSS_SELECTOR, ".cm-shares img").screenshot_as_png

    browser.get(app_url)
    try:
        wait.until(lambda _: "(step 0 of 72)" in status())
    except Exception:
        screenshot(browser, "app-failed-to-load.png")
        raise AssertionError(
            f"the app page did not load: {browser.find_element(By.TAG_NAME, 'body').text[:500]!r}"
        ) from None
    step_to(1)
    wait.until(lambda _: browser.find_elements(By.CSS_SELECTOR, ".cm-shares img"))
    first = shares_png()
    step_to(4)
    wait.until(lambda _: shares_png() != first)  # the share chart moved on
    before = status()
    assert "accelerators:" in before and "Month 2025-04" in before
    assert browser.find_elements(By.CSS_SELECTOR, ".cm-network img")
    assert browser.find_elements(By.CSS_SELECTOR, ".cm-hhi img")
    assert "Deals" in browser.find_element(By.CSS_SELECTOR, ".cm-deals").text

    lever = next(
        el for el in browser.find_elements(By.CSS_SELECTOR, ".v-input") if "CUDA lock-in" in el.text
    )
    thumb = lever.find_element(By.CSS_SELECTOR, "[role=slider]")
    thumb.click()
    thumb.send_keys(Keys.HOME)
    wait.until(lambda _: thumb.get_attribute("aria-valuenow") == "0")
    button("reset").click()
    try:
        wait.until(lambda _: "(step 0 of 72)" in status())
    except Exception:
        screenshot(browser, "app-failed-reset.png")
        raise AssertionError(f"reset did not restart the model: {status()!r}") from None
    assert "cuda_lockin=0.0" in browser.find_element(By.CSS_SELECTOR, ".cm-status").text
    step_to(4)
    after = status()
    assert after.split("·")[1] != before.split("·")[1], (before, after)
    screenshot(browser, "app-after-lever.png")
