"""Shared fixtures: scenario files, a stand-in model, the shipped baseline and its one real run.

The real model (`world.model`) is imported only by the session fixture `baseline_results`, and
only when a test asks for it; everything else runs against `FakeModel`, which honours the same
interface (``Model(params, rng=seed)``, ``run_steps()``, ``compute_tables()``).
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import settings

settings.register_profile("repeatable", derandomize=True, deadline=None)
settings.register_profile("explore", deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "repeatable"))
"""Property tests draw the same examples on every run (`repeatable`: a test run gives the same
verdict on any machine, and no test depends on how fast it runs); `HYPOTHESIS_PROFILE=explore`
draws new examples each run, to hunt for cases the fixed draw misses."""

ROOT = Path(__file__).parent.parent
SHIPPED_DIR = ROOT / "experiments" / "scenarios"

MINIMAL_TOML = """\
seed = 7

[simulation]
start = "2025-01"
steps = 6
description = "six firms, one deal, six months (test fixture)"

[firms.Nvidia]
role = "vendor"
cash_usd_b = 40.0

[firms.AMD]
role = "vendor"

[firms.OpenAI]
role = "lab"
compute_ambition_gw = [["2025-01", 1.0], ["2026-01", 3.0]]

[firms.Amazon]
role = "cloud"
powered_gw = 2.0

[firms.Microsoft]
role = "cloud"

[firms.Oracle]
role = "cloud"

[[catalog.products]]
name = "H100"
vendor = "Nvidia"
release = "2023-01"
pflops_dense = 1.0
kw_per_unit = 1.4
unit_cost_usd_k = 4.0
system_price_usd_k = 30.0
units_per_wafer = 29.0

[[catalog.products]]
name = "MI300X"
vendor = "AMD"
release = "2023-12"
pflops_dense = 1.3
kw_per_unit = 1.5
unit_cost_usd_k = 5.0
system_price_usd_k = 20.0
units_per_wafer = 25.0

[[events]]
id = "nv_oai"
date = "2025-03"
deal_kind = "equity"
source_firm = "Nvidia"
target_firm = "OpenAI"
value_usd_b = 10.0
"""
"""A small valid scenario (all six firms, two products, one deal event) that needs no shipped
file."""


class FakeModel:
    """Stand-in for `world.model.ComputeMarketModel` producing small, seed-dependent tables."""

    fail_in_compute = False

    def __init__(self, params: Any, rng: int | None = None) -> None:
        self.params = params
        self.rng = np.random.default_rng(rng)
        self.steps_run = 0

    def step(self) -> None:
        """One month."""
        self.steps_run += 1

    def run_steps(self) -> None:
        """All the scenario's months."""
        for _ in range(self.params.simulation.steps):
            self.step()

    def compute_tables(self) -> dict[str, dict[str, list[Any]]]:
        """Columnar tables with the documented columns (docs/outputs.md) (date given as dates)."""
        if self.fail_in_compute:
            raise RuntimeError("fake model failure")
        year, month = (int(x) for x in self.params.simulation.start.split("-"))
        tables: dict[str, dict[str, list[Any]]] = {
            "shares": {k: [] for k in ("step", "date", "market", "firm", "quantity", "share")},
            "markets": {
                k: [] for k in ("step", "date", "market", "hhi", "price", "total_quantity")
            },
            "firms": {
                k: []
                for k in (
                    "step",
                    "date",
                    "firm",
                    "cash_usd_b",
                    "revenue_usd_b",
                    "valuation_usd_b",
                    "deployed_gw",
                    "powered_gw",
                )
            },
            "physical": {
                k: []
                for k in (
                    "step",
                    "date",
                    "foundry_capacity",
                    "produced_gw",
                    "delivered_gw",
                    "powered_gw",
                    "deployed_gw",
                    "energy_twh",
                    "homes_millions",
                )
            },
            "flows": {
                k: []
                for k in ("step", "date", "source", "target", "kind", "amount_usd_b", "deal_id")
            },
        }
        sellers = {
            "accelerators": ["Nvidia", "AMD", "fringe_chips"],
            "cloud": ["Amazon", "Microsoft", "Oracle", "fringe_cloud"],
            "frontier_ai": ["OpenAI", "rival_labs"],
        }
        for step in range(self.steps_run):
            y, m = divmod(year * 12 + month - 1 + step, 12)
            date = dt.date(y, m + 1, 1)
            for market, firms in sellers.items():
                qty = self.rng.uniform(1.0, 10.0, size=len(firms))
                share = qty / qty.sum()
                for firm, q, s in zip(firms, qty, share, strict=True):
                    for col, val in zip(
                        ("step", "date", "market", "firm", "quantity", "share"),
                        (step, date, market, firm, float(q), float(s)),
                        strict=True,
                    ):
                        tables["shares"][col].append(val)
                for col, val in zip(
                    ("step", "date", "market", "hhi", "price", "total_quantity"),
                    (step, date, market, float(10_000 * (share**2).sum()), 1.0, float(qty.sum())),
                    strict=True,
                ):
                    tables["markets"][col].append(val)
            for firm in ("Nvidia", "AMD", "OpenAI", "Amazon", "Microsoft", "Oracle"):
                row = (step, date, firm, 10.0, 1.0, 100.0 + step, 0.5 * step, 0.6 * step)
                for col, val in zip(tables["firms"], row, strict=True):
                    tables["firms"][col].append(val)
            row = (step, date, 100.0, 1.0, 0.9, 0.8 * step, 0.7 * step, 6.1 * step, 0.56 * step)
            for col, val in zip(tables["physical"], row, strict=True):
                tables["physical"][col].append(val)
            row = (step, date, "Nvidia", "OpenAI", "investment", 1.0, "nv_oai")
            for col, val in zip(tables["flows"], row, strict=True):
                tables["flows"][col].append(val)
        tables["deals"] = {
            "deal_id": ["nv_oai", "amd_oai"],
            "kind": ["equity", "supply"],
            "source": ["Nvidia", "AMD"],
            "target": ["OpenAI", "OpenAI"],
            "status": ["stalled", "active"],
            "step_proposed": [2, 3],
            "step_signed": [None, 4],
            "step_closed": [None, None],
            "value_usd_b": [100.0, 90.0],
            "gw": [10.0, 6.0],
            "equity_pct": [2.0, 0.0],
            "binding": [False, True],
        }
        return tables


@pytest.fixture
def fake_model(monkeypatch: pytest.MonkeyPatch) -> type[FakeModel]:
    """Make `experiments.run.runner.run` use `FakeModel`; returns a fresh subclass to tweak."""
    import experiments.run.runner

    cls = type("FakeModelForTest", (FakeModel,), {})
    monkeypatch.setattr(experiments.run.runner, "_model_class", lambda: cls)
    return cls


@pytest.fixture
def tmp_scenario(tmp_path: Path) -> Callable[..., Path]:
    """Factory writing a scenario TOML into tmp_path: ``tmp_scenario(text, name='scn')``.

    ``base.toml`` (the `MINIMAL_TOML` scenario) is always present beside it, so a test file
    can say ``extends = "base.toml"``.
    """
    (tmp_path / "base.toml").write_text(MINIMAL_TOML, encoding="utf-8")

    def make(text: str = MINIMAL_TOML, name: str = "scn") -> Path:
        path = tmp_path / f"{name}.toml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return path

    return make


@pytest.fixture
def shipped_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Stand-in shipped folder: baseline, what_if/no_vendor_financing, docking/cournot."""
    import experiments.scenario.loader

    root = tmp_path / "shipped"
    (root / "what_if").mkdir(parents=True)
    (root / "docking").mkdir()
    (root / "baseline.toml").write_text(MINIMAL_TOML, encoding="utf-8")
    (root / "what_if" / "no_vendor_financing.toml").write_text(
        'extends = "baseline"\n\n[[interventions]]\nkind = "no_vendor_financing"\n',
        encoding="utf-8",
    )
    (root / "docking" / "cournot.toml").write_text(
        'extends = "../baseline.toml"\n\n[simulation]\nmode = "cournot"\n'
        'description = "Cournot docking case"\n',
        encoding="utf-8",
    )
    monkeypatch.setattr(experiments.scenario.loader, "SCENARIOS_DIR", root)
    return root


@pytest.fixture
def shipped_baseline() -> Any:
    """The real shipped baseline scenario, validated (skips while it is not written yet)."""
    if not (SHIPPED_DIR / "baseline.toml").is_file():
        pytest.skip("experiments/scenarios/baseline.toml is not written yet")
    from experiments.scenario.loader import load_scenario

    return load_scenario("baseline")


@pytest.fixture(scope="session")
def baseline_results() -> Any:
    """The real model's run of the shipped baseline, run once per session, lazily.

    Skips (instead of failing every dependent test) while `world.model` or the baseline file
    does not exist yet; once both exist, any error in the run fails the tests.
    """
    if importlib.util.find_spec("world.model") is None:
        pytest.skip("world/model.py is not written yet")
    if not (SHIPPED_DIR / "baseline.toml").is_file():
        pytest.skip("experiments/scenarios/baseline.toml is not written yet")
    from experiments.run.runner import run
    from experiments.scenario.loader import load_scenario

    return run(load_scenario("baseline"))
