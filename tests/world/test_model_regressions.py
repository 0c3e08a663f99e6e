"""Regression tests for bugs in the model found by the invariant tests (tests/test_invariants.py).

Each test names the bug it pins; it failed before the fix.
"""

from __future__ import annotations

from experiments.scenario.loader import load_scenario
from world.model import ComputeMarketModel


def test_wide_estimate_noise_does_not_crash_due_diligence() -> None:
    """Bug: `run_diligence` passed N(0, estimate_noise_sd) straight to `assess`, which rejects
    noise <= -1, so any valid but wide `negotiation.estimate_noise_sd` (0.5 and up) crashed a
    run with ValueError at the first unlucky draw. The noise is now floored at -0.95."""
    params = load_scenario("baseline", ["negotiation.estimate_noise_sd=3.0"], steps=24)
    for seed in range(3):
        model = ComputeMarketModel(params, rng=seed)
        model.run_steps()
        assert model.pipeline.diligence_log, "no diligence happened: the test proves nothing"
        assert min(r.financing_ratio for _, _, r in model.pipeline.diligence_log) >= 0.0


def test_run_steps_advances_mesa_time_as_single_steps_do() -> None:
    """`run_steps(n)` (Mesa's `run_for`) leaves the model where n calls of `step()` leave it:
    the same month counter, Mesa `steps` and `time`, and the same records; `run_steps(0)`
    runs nothing."""
    params = load_scenario("baseline", steps=6)
    by_run, by_step = ComputeMarketModel(params, rng=4), ComputeMarketModel(params, rng=4)
    by_run.run_steps(0)
    assert by_run.t == 0 and by_run.steps == 0 and by_run.time == 0.0
    by_run.run_steps(4)
    by_run.run_steps()
    for _ in range(10):
        by_step.step()
    assert (by_run.t, by_run.steps, by_run.time) == (10, 10, 10.0)
    assert (by_step.t, by_step.steps, by_step.time) == (10, 10, 10.0)
    assert by_run.compute_tables() == by_step.compute_tables()
