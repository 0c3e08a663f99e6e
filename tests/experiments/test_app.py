"""The interactive app: levers start at the scenario's values, the app's run of a scenario and
seed is `compute-market run`'s, docking scenarios are not offered, a model error is shown, and,
end to end in headless Chromium, the page's numbers equal `run`'s, a moved lever is pending until
Reset and then changes the outcome, and the reference run can be overlaid (screenshots in
test-artifacts/)."""

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

from experiments.app.app import format_key_numbers
from experiments.app.market import (
    MarketApp,
    app_scenarios,
    build_params,
    lever_range,
    scenario_settings,
)
from experiments.cli.app import app_command
from experiments.errors import UserError
from experiments.run.runner import run
from experiments.scenario.loader import list_scenarios, load_scenario, scenario_hash
from world.params import InterventionKind

ROOT = Path(__file__).parent.parent.parent
STEPS_SHOWN = 3


def test_levers_start_at_the_scenario_values() -> None:
    """No lever moved = the scenario itself (same hash), and each lever starts at the value the
    scenario file gives, inside the slider's range."""
    base = load_scenario("baseline")
    assert scenario_hash(build_params("baseline")) == scenario_hash(base)
    settings = scenario_settings(base)
    assert settings["cuda_lockin"] == base.market.cuda_lockin
    low, high = lever_range(settings["cuda_lockin"])
    assert low <= settings["cuda_lockin"] <= high
    assert settings["allocation_rule"] == base.foundry.allocation_rule.value
    model = MarketApp()
    assert model.settings == {**settings, "scenario_name": "baseline"}
    assert model.compute_moved_levers() == {}


def test_intervention_levers_follow_the_scenario() -> None:
    """A scenario that already bans exclusivity shows the switch ticked; unticking removes the
    intervention, ticking it on the baseline adds one from the start."""
    banned = load_scenario("what_if/exclusivity_banned")
    assert scenario_settings(banned)["ban_exclusivity"]
    assert scenario_hash(build_params("what_if/exclusivity_banned", ban_exclusivity=True)) == \
        scenario_hash(banned)
    off = build_params("what_if/exclusivity_banned", ban_exclusivity=False)
    assert not any(iv.kind is InterventionKind.BAN_EXCLUSIVITY for iv in off.interventions)
    on = build_params("baseline", no_vendor_financing=True)
    assert any(iv.kind is InterventionKind.NO_VENDOR_FINANCING for iv in on.interventions)


def test_app_run_equals_compute_market_run() -> None:
    """Stepping the app's model gives, month by month, the numbers of `run` (same scenario, same
    seed): the app shows the market `compute-market run` writes."""
    full = run(load_scenario("baseline"))
    model = MarketApp()
    for _ in range(12):
        model.step()
        step = int(model.compute_source().table("shares")["step"].max())
        assert format_key_numbers(model.compute_source().run.tables, step) == \
            format_key_numbers(full.tables, step)


def test_docking_scenarios_are_not_offered() -> None:
    docking = [n for n, _ in list_scenarios() if n.startswith("docking/")]
    assert docking and not set(docking) & set(app_scenarios())
    with pytest.raises(UserError, match="docking"):
        MarketApp(docking[0])


def test_a_model_error_stops_the_run_with_a_message(monkeypatch: pytest.MonkeyPatch) -> None:
    from world.model import ComputeMarketModel

    model = MarketApp()

    def broken(self: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(ComputeMarketModel, "step", broken)
    model.step()
    assert not model.running and model.error and "boom" in model.error


def test_model_stops_at_horizon() -> None:
    model = MarketApp()
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
    """`compute-market app` on a free port of 127.0.0.1, its front-end assets installed."""
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
        cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True,
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
                    log_text = (tmp_path / "app.log").read_text()[-2000:]
                    pytest.fail(f"the app did not start: {log_text}")
                time.sleep(0.5)
        yield url
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
        log.close()


def _expected(step_count: int, **levers: object) -> dict[str, str]:
    """The headline numbers of `compute-market run`'s baseline after `step_count` months."""
    full = run(build_params("baseline", **levers))
    step = sorted(full.tables["shares"]["step"].unique().to_list())[step_count - 1]
    return format_key_numbers(full.tables, step)


def test_app_end_to_end_in_chromium(app_url: str, browser, screenshot) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import WebDriverWait

    wait = WebDriverWait(browser, 60, poll_frequency=0.2)

    def text_of(css: str) -> str:
        found = browser.find_elements(By.CSS_SELECTOR, css)
        return found[0].text if found else ""

    def button(label: str):
        return next(b for b in browser.find_elements(By.TAG_NAME, "button")
                    if b.text.strip().lower() == label)

    def step_to(n: int) -> None:
        while f"(step {n} of" not in text_of(".cm-status-text"):
            now = int(text_of(".cm-status-text").split("(step ")[1].split(" ")[0])
            button("step").click()
            wait.until(lambda _, k=now + 1: f"(step {k} of" in text_of(".cm-status-text"))

    browser.get(app_url)
    try:
        wait.until(lambda _: "(step 0 of 72)" in text_of(".cm-status-text"))
    except Exception:
        screenshot(browser, "app-failed-to-load.png")
        raise AssertionError(f"the app page did not load: "
                             f"{browser.find_element(By.TAG_NAME, 'body').text[:500]!r}") from None
    base = load_scenario("baseline")
    # the lever shows the scenario's value, always (label and thumb)
    assert f"CUDA lock-in: {base.market.cuda_lockin:.2f}" in text_of(".cm-cuda")
    slider = next(el for el in browser.find_elements(By.CSS_SELECTOR, ".v-input")
                  if "CUDA lock-in" in el.text)
    thumb = slider.find_element(By.CSS_SELECTOR, "[role=slider]")
    assert float(thumb.get_attribute("aria-valuenow")) == base.market.cuda_lockin
    step_to(STEPS_SHOWN)
    status = text_of(".cm-status-text")
    for value in _expected(STEPS_SHOWN).values():  # the app's numbers are run's numbers
        assert value in status, (value, status)
    assert browser.find_elements(By.CSS_SELECTOR, ".cm-shares img")
    assert browser.find_elements(By.CSS_SELECTOR, ".cm-network img")
    assert "Deal ids" in text_of(".cm-deals")
    timing = text_of(".cm-timing")
    assert "ms on the server" in timing
    screenshot(browser, "app-baseline.png")

    browser.find_element(By.XPATH, "//label[contains(., 'Overlay the reference run')]").click()
    wait.until(lambda _: "reference run (no lever moved)" in text_of(".cm-reference"))
    assert _expected(STEPS_SHOWN)["top"] in text_of(".cm-reference")

    thumb.click()
    thumb.send_keys(Keys.HOME)
    wait.until(lambda _: thumb.get_attribute("aria-valuenow") == "0")
    wait.until(lambda _: "Pending until Reset" in text_of(".cm-pending"))
    assert "CUDA lock-in" in text_of(".cm-pending") and "→ 0" in text_of(".cm-pending")
    assert "levers at the scenario's values" in text_of(".cm-levers")  # not applied yet
    button("reset").click()
    wait.until(lambda _: "(step 0 of 72)" in text_of(".cm-status-text"))
    wait.until(lambda _: not browser.find_elements(By.CSS_SELECTOR, ".cm-pending"))
    assert "CUDA lock-in 4.0 → 0.0" in text_of(".cm-levers")
    step_to(STEPS_SHOWN)
    moved = text_of(".cm-status-text")
    expected = _expected(STEPS_SHOWN, cuda_lockin=0.0)
    for value in expected.values():
        assert value in moved, (value, moved)
    assert expected != _expected(STEPS_SHOWN)
    screenshot(browser, "app-after-lever.png")


def test_every_offered_scenario_runs_in_the_app() -> None:
    """Each scenario in the app's list builds with its own lever values and steps without an
    error (docking cases, which have no market to show, are not in the list)."""
    for name in app_scenarios():
        model = MarketApp(name)
        assert model.compute_moved_levers() == {}
        model.step()
        model.step()
        assert model.error is None and model.t == 2, name
