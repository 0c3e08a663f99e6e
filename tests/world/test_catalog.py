"""Catalog: unit conversions against facts.toml and release-date queries."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from world.catalog import (
    Catalog,
    cost_usd_b_per_gw,
    gw_per_unit,
    gw_per_wafer,
    pflops_per_gw,
    pflops_per_kw,
    price_usd_b_per_gw,
    price_usd_k_per_pflops,
    units_per_gw,
)
from world.params import Product, month_index


def make(name: str, vendor: str, release: str, pflops: float, kw: float, **kw_args) -> Product:
    fields = {"unit_cost_usd_k": 20.0, "system_price_usd_k": 70.0, "units_per_wafer": 15.0}
    return Product(
        name=name,
        vendor=vendor,
        release=release,
        pflops_dense=pflops,
        kw_per_unit=kw,
        **(fields | kw_args),
    )


# A test catalog: dense BF16 PFLOP/s per accelerator and all-in kW (chip power from facts.toml
# 'Accelerator power' plus a CPU/network/cooling share; rack powers from 'Rack power').
PRODUCTS = [
    make("H100", "Nvidia", "2023-01", 0.99, 1.4),
    make("B200", "Nvidia", "2025-01", 2.25, 1.9),
    make("GB300", "Nvidia", "2025-07", 2.5, 2.0),
    make("Rubin", "Nvidia", "2026-08", 4.0, 2.6),
    make("MI300X", "AMD", "2024-01", 1.3, 1.5),
    make("MI355X", "AMD", "2025-07", 2.3, 2.2),
    make("MI450", "AMD", "2026-08", 4.0, 2.8),
    make("Trainium2", "Amazon", "2024-12", 0.67, 0.9),
]


def test_ten_gw_is_four_to_five_million_gpus() -> None:
    # facts.toml gpus_per_gw: Huang, 10 GW = 4-5M GPUs, i.e. 2-2.5 kW all-in per GPU
    for kw in (2.0, 2.25, 2.5):
        p = make("x", "v", "2025-01", 1.0, kw)
        assert 4e6 <= 10 * units_per_gw(p) <= 5e6
    p = make("x", "v", "2025-01", 1.0, 2.0)
    assert units_per_gw(p) == pytest.approx(500_000)
    assert gw_per_unit(p) * units_per_gw(p) == pytest.approx(1.0)


def test_system_price_per_gw_matches_cost_of_one_gw() -> None:
    # facts.toml cost_per_gw: ~$35B of Nvidia systems per GW. At 2.2 kW all-in,
    # 454,545 units per GW; $77k of system per unit gives $35.0B per GW.
    p = make("x", "Nvidia", "2025-01", 2.5, 2.2, system_price_usd_k=77.0, unit_cost_usd_k=22.0)
    assert price_usd_b_per_gw(p) == pytest.approx(1e6 / 2.2 * 77e3 / 1e9)
    assert price_usd_b_per_gw(p) == pytest.approx(35.0)
    assert cost_usd_b_per_gw(p) == pytest.approx(10.0)
    assert pflops_per_gw(p) == pytest.approx(2.5 * 1e6 / 2.2)
    assert price_usd_k_per_pflops(p) == pytest.approx(77.0 / 2.5)


def test_gw_per_wafer() -> None:
    p = make("x", "v", "2025-01", 1.0, 2.0, units_per_wafer=16.0)
    assert gw_per_wafer(p) == pytest.approx(16 * 2.0 / 1e6)
    # a wafer's worth of packages fills exactly units_per_wafer / units_per_gw GW
    assert gw_per_wafer(p) == pytest.approx(p.units_per_wafer / units_per_gw(p))


@given(st.floats(0.1, 10.0), st.floats(0.1, 50.0))
def test_perf_per_gw_is_perf_per_kw_scaled(kw: float, pflops: float) -> None:
    p = make("x", "v", "2025-01", pflops, kw)
    assert pflops_per_gw(p) == pytest.approx(pflops_per_kw(p) * 1e6)


def test_perf_per_watt_improves_by_generation() -> None:
    cat = Catalog(PRODUCTS)
    for vendor in cat.vendors():
        gens = [p for p in cat if p.vendor == vendor]
        ppw = [pflops_per_kw(p) for p in gens]
        assert ppw == sorted(ppw), vendor
        assert len(set(ppw)) == len(ppw), vendor


def test_available_and_latest() -> None:
    cat = Catalog(list(reversed(PRODUCTS)))
    assert cat.available(month_index("2022-12")) == []
    jan25 = month_index("2025-01")
    assert [p.name for p in cat.available(jan25)] == ["H100", "MI300X", "Trainium2", "B200"]
    assert cat.latest("Nvidia", jan25).name == "B200"
    assert cat.latest("Nvidia", jan25 - 1).name == "H100"
    assert cat.latest("AMD", month_index("2026-08")).name == "MI450"
    assert cat.latest("Broadcom", jan25) is None
    assert cat.latest("Nvidia", month_index("2022-01")) is None
    assert cat.vendors() == ["AMD", "Amazon", "Nvidia"]
    assert cat.get("GB300").release == "2025-07"
    assert "Rubin" in cat and len(cat) == len(PRODUCTS)


def test_latest_tie_goes_to_last_name() -> None:
    cat = Catalog(
        [make("B300", "Nvidia", "2025-07", 3, 2), make("B200", "Nvidia", "2025-07", 2, 2)]
    )
    assert cat.latest("Nvidia", month_index("2025-07")).name == "B300"


@given(st.integers(month_index("2022-01"), month_index("2028-12")))
def test_latest_is_newest_available(m: int) -> None:
    cat = Catalog(PRODUCTS)
    avail = cat.available(m)
    assert all(month_index(p.release) <= m for p in avail)
    assert len(avail) == sum(month_index(p.release) <= m for p in PRODUCTS)
    for vendor in cat.vendors():
        best = cat.latest(vendor, m)
        mine = [p for p in avail if p.vendor == vendor]
        assert (best is None) == (not mine)
        if best is not None:
            assert best in mine
            assert all(month_index(p.release) <= month_index(best.release) for p in mine)


def test_errors_name_the_problem() -> None:
    with pytest.raises(ValueError, match="duplicate"):
        Catalog([PRODUCTS[0], PRODUCTS[0]])
    with pytest.raises(KeyError, match="unknown product"):
        Catalog(PRODUCTS).get("TPU")
