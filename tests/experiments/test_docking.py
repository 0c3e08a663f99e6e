"""Docking: the model's agents reach the textbook closed forms, within 0.5%."""

from __future__ import annotations

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from experiments.scenario.loader import load_scenario
from experiments.validation.docking import (
    CASES,
    TOLERANCE,
    cournot_closed_form,
    double_marginalization_closed_form,
    nash_closed_form,
    outside_option_closed_form,
    rubinstein_closed_form,
    simulate_case,
)


@pytest.mark.parametrize("case", CASES, ids=[c.label for c in CASES])
def test_docking_case_reaches_closed_form(case):
    rows = simulate_case(case)
    assert rows
    for row in rows:
        assert row["rel_error"] <= TOLERANCE, row


def test_closed_forms_textbook_numbers():
    # Tirole (1988) ch. 5: duopoly a=100, b=1, c=10 -> q=30 each, P=40
    cf = cournot_closed_form(100, 1, [10, 10])
    assert cf["quantities"] == [30, 30] and cf["price"] == 40
    assert double_marginalization_closed_form(100, 1, 20, False)["price"] == 80
    assert double_marginalization_closed_form(100, 1, 20, True)["total_quantity"] == 40
    assert rubinstein_closed_form(100, 0.9, 0.9) == pytest.approx(100 / 1.9)
    assert nash_closed_form(100, (0.7, 0.3), (10, 20)) == pytest.approx(59)


def test_docking_keys_are_scenario_keys():
    p = load_scenario(
        "docking/cournot",
        ["vendors.marginal_costs=[10,20,30]", "demand.intercept=150", "demand.slope=2"],
    )
    assert p.vendors.marginal_costs == [10, 20, 30]
    assert (p.demand.intercept, p.demand.slope) == (150, 2)
    p = load_scenario("docking/rubinstein", ["negotiation.discount_factors=[0.8,0.7]"])
    assert p.negotiation.discount_factors == (0.8, 0.7)


def test_baseline_is_market_mode_with_defaults():
    p = load_scenario("baseline")
    assert p.simulation.mode.value == "market"


def test_outside_option_closed_form_numbers():
    """c + w_s/(w_s+w_b) (min(p_alt, v) - c): c=10, v=50, p_alt=30 splits 20 -> 20; with
    p_alt = 60 > v = 40 the alternative is worthless and the split is of v - c."""
    assert outside_option_closed_form(10, 50, 30, (0.5, 0.5)) == pytest.approx(20)
    assert outside_option_closed_form(10, 50, 30, (0.7, 0.3)) == pytest.approx(24)
    assert outside_option_closed_form(20, 40, 60, (0.5, 0.5)) == pytest.approx(30)


@pytest.mark.parametrize(
    ("c", "v", "p_alt", "w"),
    [(10.0, 50.0, 30.0, (0.5, 0.5)), (20.0, 40.0, 60.0, (0.5, 0.5)),
     (0.0, 80.0, 10.0, (2.0, 1.0)), (30.0, 31.0, 90.0, (1.0, 1.0))],
)
def test_outside_option_deal_price_in_deals_table(c, v, p_alt, w):
    """The agreed deal of the outside_option scenario, run like any scenario, is priced at
    the closed form within 0.5% and records the disagreement payoffs (buyer max(v - p_alt, 0),
    seller 0) and the surplus min(p_alt, v) - c."""
    from experiments.run.runner import run

    params = load_scenario("docking/outside_option", [
        f"vendors.marginal_costs=[{c}]", f"negotiation.buyer_value_usd_b={v}",
        f"negotiation.alternative_price_usd_b={p_alt}",
        f"negotiation.bargaining_weights=[{w[0]},{w[1]}]",
    ])
    deal = run(params).tables["deals"].row(0, named=True)
    want = outside_option_closed_form(c, v, p_alt, w)
    # agreed: with the regulator off a definitive deal is active at once; above $25B it
    # starts as a letter of intent (the market's deal pipeline)
    assert deal["status"] in ("active", "loi")
    assert deal["price_usd_b_per_gw"] == pytest.approx(want, rel=TOLERANCE)
    assert deal["disagreement_target_usd_b"] == pytest.approx(max(v - p_alt, 0.0))
    assert deal["disagreement_source_usd_b"] == pytest.approx(0.0)
    assert deal["surplus_usd_b"] == pytest.approx(min(p_alt, v) - c)


def test_outside_option_without_gains_signs_nothing():
    """No gains from trade (p_alt below the seller's cost): the seller would lose on any
    price the buyer accepts, so the deal is abandoned."""
    from experiments.run.runner import run

    params = load_scenario("docking/outside_option", [
        "vendors.marginal_costs=[40]", "negotiation.alternative_price_usd_b=30"])
    deal = run(params).tables["deals"].row(0, named=True)
    assert deal["status"] == "abandoned"


@pytest.mark.parametrize("name", ["cournot", "double_marginalization", "rubinstein", "nash",
                                  "outside_option"])
def test_every_docking_scenario_runs_plots_and_reports(name, tmp_path):
    """Each shipped docking scenario goes through `run`, `plot --kind all` and `report`
    without error (the bargaining cases used to have no shares rows to draw)."""
    from experiments.cli.main import main

    out = tmp_path / name
    assert main(["run", f"experiments/scenarios/docking/{name}.toml", "--out", str(out)]) == 0
    assert main(["plot", str(out), "--kind", "all"]) == 0
    assert main(["report", str(out)]) == 0
    assert (out / "report.html").exists()


@settings(max_examples=60, deadline=None)
@given(
    c=st.floats(0.0, 40.0),
    v=st.floats(5.0, 100.0),
    p_alt=st.floats(0.0, 150.0),
    w_s=st.floats(0.5, 2.0),
    w_b=st.floats(0.5, 2.0),
)
def test_outside_option_price_property(c, v, p_alt, w_s, w_b):
    """Over parameters with gains from trade (min(p_alt, v) - c clearly > 0) and weights
    within a factor 4, the docking run's agreed price is the closed form within 0.5%: the
    alternating offers in rounds of a week sit within ~0.4% of the Nash split (BRW 1986)."""
    from experiments.validation.docking_model import build_docking_model

    assume(min(p_alt, v) - c > 0.5)
    base = load_scenario("docking/outside_option")
    neg = base.negotiation.model_copy(update={
        "buyer_value_usd_b": v, "alternative_price_usd_b": p_alt,
        "bargaining_weights": (w_s, w_b)})
    params = base.model_copy(update={
        "negotiation": neg, "vendors": base.vendors.model_copy(update={"marginal_costs": [c]})})
    model = build_docking_model(params)
    model.run_steps()
    deal = next(iter(model.deals))
    want = outside_option_closed_form(c, v, p_alt, (w_s, w_b))
    assert deal.price_usd_b_per_gw == pytest.approx(want, rel=TOLERANCE)


# ----- docking through the market model ---------------------------------------------------------
DOCKING = ("cournot", "rubinstein", "nash", "double_marginalization", "outside_option")


@pytest.mark.parametrize("name", DOCKING)
def test_docking_case_is_a_run_of_the_market_model(name):
    """A docking case is the market model itself (its own month loop, no subclass), with the
    fringe, physical layer, dated events and regulator off even if the scenario asks for
    them, and the case's textbook market as a component."""
    from experiments.validation.docking_model import build_docking_model
    from world.model import ComputeMarketModel

    params = load_scenario(f"docking/{name}", ["components.fringe=true",
                                              "components.regulator=true"])
    model = build_docking_model(params, rng=3)
    assert type(model) is ComputeMarketModel
    assert model.textbook is not None and model.textbook.mode.value == name
    on = model.p.components
    assert not (on.fringe or on.physical_layer or on.dated_events or on.regulator)
    assert model.foundry.unlimited and model.sites.unlimited
    assert not model.events and not model.regulator.enabled


def test_cournot_sellers_are_the_models_vendors_playing_in_its_month():
    """Five sellers: the builder adds vendor firms; each is a `ChipVendor` of the model and
    its quantity in the textbook market is its best response to the others' after the run
    (the fixed point of the vendors' own moves)."""
    from agents.vendor import ChipVendor
    from experiments.validation.docking_model import build_docking_model

    params = load_scenario("docking/cournot", ["vendors.marginal_costs=[5,8,11,14,17]"])
    model = build_docking_model(params)
    assert len(model.vendors) == 5 and all(isinstance(v, ChipVendor) for v in model.vendors)
    model.run_steps()
    market = model.textbook
    for vendor in model.vendors:
        rivals = market.compute_rival_quantity(vendor.name)
        best = vendor.compute_best_response_quantity(rivals, market.intercept, market.slope,
                                                      market.costs[vendor.name])
        assert market.quantity_gw[vendor.name] == pytest.approx(best, abs=1e-9)


def test_too_many_cournot_sellers_is_a_scenario_error():
    """The market model has six firm names, so at most six Cournot sellers."""
    from experiments.errors import ScenarioError

    with pytest.raises(ScenarioError, match=r"vendors\.marginal_costs"):
        load_scenario("docking/cournot", ["vendors.marginal_costs=[1,2,3,4,5,6,7]"])


@given(s=st.floats(1.0, 500.0), d_s=st.floats(0.0, 100.0), d_b=st.floats(0.0, 100.0),
       w_s=st.floats(0.1, 10.0), w_b=st.floats(0.1, 10.0))
def test_nash_case_terms_price_is_the_nash_split(s, d_s, d_b, w_s, w_b):
    """The nash case's link terms (A_s = 0, A_b = S, disagreement d) priced by the market's
    Nash rule give the seller d_s + w_s / (w_s + w_b) (S - d_s - d_b) (Nash 1950)."""
    from world.bargaining import compute_nash_price
    from world.textbook import TextbookMarket

    assume(s - d_s - d_b > 1e-3)
    params = load_scenario("docking/nash", [
        f"negotiation.surplus_usd_b={s}", f"negotiation.disagreement_usd_b=[{d_s},{d_b}]"])
    terms = TextbookMarket(params, ["Nvidia"], "Oracle").compute_nash_terms()
    assert terms.surplus_usd_b == pytest.approx(s - d_s - d_b)
    want = nash_closed_form(s, (w_s, w_b), (d_s, d_b))
    assert compute_nash_price(terms, (w_s, w_b)) == pytest.approx(want, rel=1e-9, abs=1e-9)


@pytest.mark.parametrize("name", DOCKING)
def test_docking_run_is_deterministic(name):
    """Same scenario and seed, same tables (the Cournot order of moves is drawn each month)."""
    from experiments.run.runner import run

    params = load_scenario(f"docking/{name}")
    first, second = run(params, rng=11).tables, run(params, rng=11).tables
    for table in ("shares", "markets", "deals", "firms"):
        assert first[table].drop("run_id").equals(second[table].drop("run_id")), table
