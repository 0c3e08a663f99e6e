"""Tests of `agents.cloud`: the capacity path, contracted obligations, chip needs, resale price."""

from __future__ import annotations

import itertools
import math
from types import SimpleNamespace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agents.cloud import (
    ORDER_LEAD_MONTHS,
    CloudProvider,
    compute_chip_need_gw,
    compute_chip_needs_gw,
)
from world.contracts import DealStatus
from world.params import DealKind


def _cloud(powered: float, rate: float, growth: float) -> SimpleNamespace:
    return SimpleNamespace(
        p=SimpleNamespace(powered_gw=powered, build_gw_per_year=rate,
                          build_growth_per_year=growth)
    )


def test_base_path_closed_form() -> None:
    """P0 + r ((1+g)^tau - 1) / ln(1+g): after 2 years at r = 1 GW/yr, g = 50 %, from 2 GW."""
    path = CloudProvider.compute_base_path_gw(_cloud(2.0, 1.0, 0.5), 24)
    assert path == pytest.approx(2.0 + (1.5**2 - 1.0) / math.log(1.5))


def test_base_path_without_growth_is_linear_and_continuous() -> None:
    """g = 0 gives P0 + r tau; a tiny g gives nearly the same (the integral is continuous
    in g), so the special case has no jump."""
    flat = CloudProvider.compute_base_path_gw(_cloud(1.0, 2.0, 0.0), 18)
    assert flat == pytest.approx(1.0 + 2.0 * 1.5)
    near = CloudProvider.compute_base_path_gw(_cloud(1.0, 2.0, 1e-6), 18)
    assert near == pytest.approx(flat, rel=1e-5)


def test_base_path_grows_over_time_when_building() -> None:
    """A positive build rate never shrinks capacity along the path."""
    cloud = _cloud(1.0, 0.5, 0.3)
    values = [CloudProvider.compute_base_path_gw(cloud, s) for s in range(0, 60, 6)]
    assert values[0] == pytest.approx(1.0)
    assert all(b > a for a, b in itertools.pairwise(values))


def _deal(source: str, status: DealStatus, start: int, months: int, gw: float,
          kind: DealKind = DealKind.CLOUD_CAPACITY) -> SimpleNamespace:
    return SimpleNamespace(kind=kind, source=source, status=status, start_step=start,
                           duration_months=months, gw=gw)


def test_obligations_count_only_its_live_signed_leases() -> None:
    """Counted: this cloud's capacity deals, signed, live at the step (or starting within 6
    months). Not counted: proposals, stalled deals, other sellers, other kinds, expired leases."""
    deals = [
        _deal("Amazon", DealStatus.DEFINITIVE, 10, 24, 1.0),  # live at 20
        _deal("Amazon", DealStatus.DEFINITIVE, 25, 24, 0.5),  # starts within 6 months of 20
        _deal("Amazon", DealStatus.DEFINITIVE, 30, 24, 4.0),  # too far ahead
        _deal("Amazon", DealStatus.PROPOSED, 10, 24, 8.0),
        _deal("Amazon", DealStatus.STALLED, 10, 24, 16.0),
        _deal("Oracle", DealStatus.DEFINITIVE, 10, 24, 32.0),
        _deal("Amazon", DealStatus.DEFINITIVE, 0, 12, 64.0),  # ended at 12
        _deal("Amazon", DealStatus.DEFINITIVE, 10, 24, 128.0, kind=DealKind.SUPPLY),
    ]
    cloud = SimpleNamespace(name="Amazon", view=SimpleNamespace(live_deals=lambda: deals))
    assert CloudProvider.compute_obligations_gw(cloud, 20) == pytest.approx(1.5)


def test_chip_need_is_expected_capacity_less_installed_and_contracted() -> None:
    """need = expected powered (ORDER_LEAD_MONTHS ahead) - installed - still due, floored at 0."""
    asked: list[int] = []

    def expected(firm: str, month: int) -> float:
        asked.append(month)
        return {"Amazon": 5.0}[firm]

    view = SimpleNamespace(
        t=7, compute_expected_powered_gw=expected, compute_undelivered_gw=lambda d: d.gw,
    )
    supply = [SimpleNamespace(target="Amazon", gw=1.0), SimpleNamespace(target="Oracle", gw=9.0)]
    firm = SimpleNamespace(name="Amazon", view=view, installed_total_gw=2.5)
    assert compute_chip_need_gw(firm, supply) == pytest.approx(1.5)
    assert asked == [7 + ORDER_LEAD_MONTHS]
    firm.installed_total_gw = 10.0
    assert compute_chip_need_gw(firm, supply) == 0.0


def test_resale_price_closed_form() -> None:
    """P = (a + w)/2 against P = a - b Q; at w >= a the cloud sells nothing (P = a)."""
    assert CloudProvider.compute_best_response_price(20.0, 100.0, 3.0) == pytest.approx(60.0)
    assert CloudProvider.compute_best_response_price(150.0, 100.0, 3.0) == pytest.approx(100.0)


@settings(max_examples=200, deadline=None)
@given(deals=st.lists(st.tuples(st.sampled_from(["Amazon", "Oracle", "OpenAI", "Other"]),
                                st.floats(0.0, 10.0) | st.sampled_from([0.1, 0.2, 0.3, 1e-17])),
                      max_size=12),
       installed=st.floats(0.0, 20.0))
def test_chip_needs_of_several_operators_are_each_operators_own(deals, installed) -> None:
    """One pass over the deals for several operators gives each exactly (the same double) the
    need of the rule for that operator alone: expected powered - installed - the sum of its own
    undelivered contracts (Python's `sum` over them in deal order), floored at 0; deals of
    other buyers count for nobody."""
    expected = {"Amazon": 6.0, "Oracle": 0.5, "OpenAI": 12.0}
    view = SimpleNamespace(t=3, compute_expected_powered_gw=lambda f, month: expected[f],
                           compute_undelivered_gw=lambda d: d.gw)
    supply = [SimpleNamespace(target=target, gw=gw) for target, gw in deals]
    firms = [SimpleNamespace(name=n, view=view, installed_total_gw=installed) for n in expected]
    got = compute_chip_needs_gw(firms, supply)
    for firm, need in zip(firms, got, strict=True):
        mine = sum(d.gw for d in supply if d.target == firm.name)
        assert need == max(0.0, expected[firm.name] - installed - mine)
        assert need == compute_chip_need_gw(firm, supply)
    assert compute_chip_needs_gw([], supply) == []
