"""Accelerator catalog: products by generation and their unit conversions (docs/odd.md).

Chips are counted through the facility power they fill: a product's `kw_per_unit` is the
all-in facility kW per accelerator (the chip plus its share of CPU, network and cooling), so
`units_per_gw = 1e6 / kw_per_unit` (facts.toml gpus_per_gw: 10 GW = 4-5M GPUs, i.e. 2-2.5 kW
all-in). Prices are per unit in thousands of dollars (facts.toml unit_prices, cost_per_gw).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from world.params import Product, month_index

__all__ = [
    "KW_PER_GW",
    "Catalog",
    "cost_usd_b_per_gw",
    "gw_per_unit",
    "gw_per_wafer",
    "pflops_per_gw",
    "pflops_per_kw",
    "price_usd_b_per_gw",
    "price_usd_k_per_pflops",
    "units_per_gw",
]

KW_PER_GW = 1e6
"""Kilowatts in one gigawatt (unit conversion)."""

_USD_K_PER_USD_B = 1e6
"""Thousands of dollars in one billion dollars (unit conversion)."""


def units_per_gw(p: Product) -> float:
    """Accelerators that fill 1 GW of facility power: 1e6 / kw_per_unit (units per GW).

    Source: facts.toml gpus_per_gw (~400-500k per GW at 2-2.5 kW all-in).
    """
    return KW_PER_GW / p.kw_per_unit


def gw_per_unit(p: Product) -> float:
    """Facility GW drawn by one accelerator: kw_per_unit / 1e6 (GW per unit)."""
    return p.kw_per_unit / KW_PER_GW


def gw_per_wafer(p: Product) -> float:
    """Facility GW filled by the good packages of one packaging wafer (GW per wafer, before yield).

    Rule: units_per_wafer x kw_per_unit / 1e6. Source: facts.toml cowos_capacity.
    """
    return p.units_per_wafer * p.kw_per_unit / KW_PER_GW


def price_usd_b_per_gw(p: Product) -> float:
    """List price of the systems filling 1 GW (billion USD per GW).

    Rule: units_per_gw x system_price_usd_k / 1e6. Source: facts.toml cost_per_gw
    (~$35B of Nvidia systems per GW).
    """
    return units_per_gw(p) * p.system_price_usd_k / _USD_K_PER_USD_B


def cost_usd_b_per_gw(p: Product) -> float:
    """Vendor's unit cost of the accelerators filling 1 GW (billion USD per GW).

    Rule: units_per_gw x unit_cost_usd_k / 1e6. Source: facts.toml unit_prices.
    """
    return units_per_gw(p) * p.unit_cost_usd_k / _USD_K_PER_USD_B


def pflops_per_gw(p: Product) -> float:
    """Dense compute per GW of facility power (PFLOP/s per GW): units_per_gw x pflops_dense."""
    return units_per_gw(p) * p.pflops_dense


def pflops_per_kw(p: Product) -> float:
    """Dense compute per facility kW (PFLOP/s per kW), perf per watt: pflops_dense / kw_per_unit."""
    return p.pflops_dense / p.kw_per_unit


def price_usd_k_per_pflops(p: Product) -> float:
    """System list price per dense PFLOP/s (thousand USD per PFLOP/s)."""
    return p.system_price_usd_k / p.pflops_dense


class Catalog:
    """The accelerator products of a scenario, indexed by name and release month.

    Args:
        products: products with unique names (order does not matter).

    Raises:
        ValueError: if two products share a name.
    """

    def __init__(self, products: Sequence[Product]) -> None:
        names = [p.name for p in products]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(
                f"catalog: duplicate product names {dupes}; give each product a unique name"
            )
        # Sorted by (release, name): a fixed order for every query.
        self._products: list[Product] = sorted(
            products, key=lambda p: (month_index(p.release), p.name)
        )
        self._by_name = {p.name: p for p in self._products}
        self._release_idx = [month_index(p.release) for p in self._products]
        self._latest: dict[tuple[str, int], Product | None] = {}
        """`latest` answers by (vendor, month): the catalog never changes after it is built."""

    def __len__(self) -> int:
        return len(self._products)

    def __iter__(self) -> Iterator[Product]:
        return iter(self._products)

    def __contains__(self, name: object) -> bool:
        return name in self._by_name

    def get(self, name: str) -> Product:
        """Return the product called `name`.

        Raises:
            KeyError: naming the known products, if `name` is not in the catalog.
        """
        try:
            return self._by_name[name]
        except KeyError:
            raise KeyError(
                f"unknown product {name!r}; the catalog has {sorted(self._by_name)}"
            ) from None

    def available(self, month_idx: int) -> list[Product]:
        """Products released at or before `month_idx` (a `month_index`), by (release, name)."""
        return [p for p, r in zip(self._products, self._release_idx, strict=True) if r <= month_idx]

    def latest(self, vendor: str, month_idx: int) -> Product | None:
        """Newest product of `vendor` released at or before `month_idx`, or None.

        Ties in release month go to the name that sorts last (e.g. 'B300' over 'B200').
        """
        key = (vendor, month_idx)
        if key in self._latest:
            return self._latest[key]
        best: Product | None = None
        for p, r in zip(self._products, self._release_idx, strict=True):
            if r <= month_idx and p.vendor == vendor:
                best = p  # products are sorted by (release, name): the last match wins
        self._latest[key] = best
        return best

    def vendors(self) -> list[str]:
        """Sorted names of the vendors in the catalog."""
        return sorted({p.vendor for p in self._products})

    def names(self) -> list[str]:
        """Product names in (release, name) order."""
        return [p.name for p in self._products]
