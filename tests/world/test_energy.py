"""Energy: closed forms for TWh and the homes anchor (facts.toml power_to_homes)."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from world.energy import (
    HOURS_PER_MONTH,
    KW_PER_HOME,
    energy_twh,
    homes_millions,
    twh_per_year,
)

gws = st.floats(0.0, 1e3, allow_nan=False)
utils = st.floats(0.0, 1.0)


def test_one_gw_for_a_year_at_full_load() -> None:
    # 1 GW x 8766 h = 8766 GWh = 8.766 TWh
    assert twh_per_year(1.0, utilisation=1.0) == pytest.approx(8.766)
    assert energy_twh(1.0, months=1.0, utilisation=1.0) == pytest.approx(0.7305)
    assert HOURS_PER_MONTH * 12 == pytest.approx(365.25 * 24)


def test_ten_gw_is_eight_million_homes() -> None:
    assert homes_millions(10.0) == pytest.approx(8.0)
    # power_to_homes: 0.8-0.9 million homes per GW; a home then draws ~1.1-1.25 kW on average
    assert 0.8 <= homes_millions(1.0) <= 0.9
    assert 1.1 <= KW_PER_HOME <= 1.25


def test_us_datacenter_scale_is_plausible() -> None:
    # LBNL: 176 TWh in 2023 -> 20 GW at full load; our rule must land in that order of magnitude
    assert 15.0 < 176.0 / twh_per_year(1.0, utilisation=1.0) < 25.0


@given(gws, gws, utils, st.floats(0.0, 120.0))
def test_energy_is_linear_in_power_and_time(a: float, b: float, u: float, m: float) -> None:
    assert energy_twh(a + b, m, u) == pytest.approx(
        energy_twh(a, m, u) + energy_twh(b, m, u), rel=1e-9, abs=1e-9
    )
    assert energy_twh(a, 2 * m, u) == pytest.approx(2 * energy_twh(a, m, u), rel=1e-9, abs=1e-9)
    assert 0.0 <= energy_twh(a, m, u) <= energy_twh(a, m, 1.0)


def test_arrays_and_errors() -> None:
    out = homes_millions(np.array([0.0, 5.0, 10.0]))
    np.testing.assert_allclose(out, [0.0, 4.0, 8.0])
    np.testing.assert_allclose(twh_per_year(np.array([1.0, 2.0]), 0.5), [4.383, 8.766])
    with pytest.raises(ValueError):
        energy_twh(1.0, utilisation=1.5)
    with pytest.raises(ValueError):
        energy_twh(1.0, months=-1.0)
