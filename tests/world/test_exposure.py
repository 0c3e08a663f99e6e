"""Tests of `world.exposure`: a buyer's contracted payments and a lab's dependence on a partner,
against hand-computed values on small deal sets."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from world.contracts import Deal, DealStatus
from world.exposure import compute_commitments_usd_b, compute_dependence
from world.params import DealKind

ROLES = {"Nvidia": "vendor", "AMD": "vendor", "Oracle": "cloud", "Amazon": "cloud",
         "OpenAI": "lab"}


def _deal(i: int, kind: DealKind, source: str, target: str = "OpenAI", gw: float = 1.0,
          status: DealStatus = DealStatus.ACTIVE, **terms) -> Deal:
    return Deal(deal_id=f"D{i}", kind=kind, source=source, target=target, status=status, gw=gw,
                **terms)


def test_commitments_count_the_lease_months_in_the_window_and_chips_falling_due() -> None:
    """A 2 GW lease at 10 USD B per GW-year running steps 6-29 overlaps a 12-month window from
    step 0 by 6 months: 10 x 2 x 6/12 = 10. A supply deal with 3 GW due in the window at 5 per
    GW adds 15. Unsigned deals and other buyers' deals add nothing."""
    deals = [
        _deal(1, DealKind.CLOUD_CAPACITY, "Oracle", gw=2.0, price_usd_b_per_gw=10.0,
              start_step=6, duration_months=24),
        _deal(2, DealKind.SUPPLY, "Nvidia", gw=6.0, price_usd_b_per_gw=5.0),
        _deal(3, DealKind.SUPPLY, "AMD", status=DealStatus.PROPOSED, price_usd_b_per_gw=99.0),
        _deal(4, DealKind.CLOUD_CAPACITY, "Oracle", target="Amazon", price_usd_b_per_gw=99.0,
              duration_months=24),
    ]
    due = {"D2": 3.0, "D3": 1.0}
    assert compute_commitments_usd_b("OpenAI", 12, 0, deals, lambda d, s: due[d.deal_id]) == \
        pytest.approx(10.0 + 15.0)


def test_dependence_counts_own_chips_contracts_and_chips_inside_leased_clouds() -> None:
    """The lab holds 2 GW of Nvidia chips, 1 GW of AMD chips undelivered, and leases 1 GW from
    Oracle whose own chips are 3/4 Nvidia: secured 4 GW. Nvidia's part = 2 + 1 x 3/4 = 2.75 of
    4; Oracle's = 1 of 4; AMD's = 1 of 4 (Oracle holds none of AMD's chips)."""
    installed = {"OpenAI": {"Nvidia": 2.0}, "Oracle": {"Nvidia": 3.0, "Google": 1.0},
                 "Amazon": {}, "Nvidia": {}, "AMD": {}}
    deals = [_deal(1, DealKind.SUPPLY, "AMD", gw=5.0),
             _deal(2, DealKind.CLOUD_CAPACITY, "Oracle", gw=1.0),
             _deal(3, DealKind.CLOUD_CAPACITY, "Amazon", gw=9.0, status=DealStatus.STALLED)]
    dep = {p: compute_dependence("OpenAI", p, installed, ROLES, deals, lambda d: 1.0)
           for p in ("Nvidia", "Oracle", "AMD", "Amazon")}
    assert dep == {"Nvidia": pytest.approx(2.75 / 4), "Oracle": pytest.approx(0.25),
                   "AMD": pytest.approx(0.25), "Amazon": 0.0}


def test_a_lab_with_nothing_secured_depends_on_nobody() -> None:
    """No chips, no contracts: 0 for every partner (not a division by zero)."""
    installed = {n: {} for n in ROLES}
    assert compute_dependence("OpenAI", "Nvidia", installed, ROLES, [], lambda d: 0.0) == 0.0


@given(st.floats(0.0, 10.0), st.floats(0.0, 10.0), st.floats(0.0, 10.0))
def test_dependence_is_a_share(own: float, leased: float, contracted: float) -> None:
    """Whatever the mix, each partner's dependence lies in [0, 1], and the designers' parts
    and the clouds' parts each never exceed the whole."""
    installed = {"OpenAI": {"Nvidia": own}, "Oracle": {"Nvidia": 1.0, "AMD": 1.0},
                 "Amazon": {}, "Nvidia": {}, "AMD": {}}
    deals = [_deal(1, DealKind.SUPPLY, "AMD", gw=contracted),
             _deal(2, DealKind.CLOUD_CAPACITY, "Oracle", gw=leased)]
    shares = {p: compute_dependence("OpenAI", p, installed, ROLES, deals, lambda d: d.gw)
              for p in ("Nvidia", "AMD", "Oracle")}
    assert all(0.0 <= v <= 1.0 for v in shares.values())
    assert shares["Nvidia"] + shares["AMD"] <= 1.0 + 1e-12
