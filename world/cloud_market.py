"""The AI cloud-capacity market: a component owning the lease price and this month's leases.

Sellers are the named clouds (their powered, deployed GW) and the fringe clouds (`Other
clouds`: Google Cloud, CoreWeave and the small ones, `world.fringe`). Each month:

1. contracted leases (cloud-capacity deals, ramping linearly to their GW over
   `CLOUD_RAMP_MONTHS`) are provided first, pro rata if a cloud is short;
2. the free capacity is leased to tenants (the fringe labs and enterprises) at the price
   where their demand T_t (r / r_ref)^-eta equals it (`world.clearing.clear_cloud_market`),
   T_t = `demand.cloud_tenant_gw` x the AI-services demand index X_t m_t (derived demand);
   r_ref = `demand.cloud_price_usd_b_per_gw_year` (Oracle-OpenAI, ~$60B a year for ~4.5 GW:
   ~$13B per GW-year, facts D4). Scarcer power or sites leave less free capacity and raise r.
3. The fringe clouds' capacity is their path `demand.fringe_cloud_gw` x (r_{t-1} / r_ref)^theta
   (price-taking supply with elasticity theta).

A lab's own datacenters are captive: they are not offered to others and are not part of this
market (the recorder reports them apart as `captive_gw`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from world.clearing import CloudClearing, Link, clear_cloud_market
from world.contracts import Deal, DealStatus
from world.ledger import FlowKind
from world.market import compute_path_value
from world.params import DealKind, DemandParams

CLOUD_RAMP_MONTHS = 12
"""A cloud-capacity contract ramps linearly to its full GW over this many months."""
FRINGE_CLOUDS = "Other clouds"


class Payment(NamedTuple):
    """A money flow a market settles: payer -> payee, USD B, for a deal ('' if none).

    A named tuple (immutable, thousands are made in a run: cheaper than a dataclass)."""

    payer: str
    payee: str
    amount_usd_b: float
    kind: FlowKind
    deal_id: str = ""


@dataclass(frozen=True)
class CloudInputs:
    """Everything one month's clearing needs, in the order the pure rule takes it.

    `buyers` are the contract buyers (labs), `sellers` the named clouds then the fringe.
    """

    buyers: tuple[str, ...]
    sellers: tuple[str, ...]
    supply_gw: np.ndarray
    contract_gw: np.ndarray
    contract_price: np.ndarray
    tenant_demand_gw: float
    deal_cells: tuple[tuple[str, int, int, float], ...]
    """(deal id, buyer row, seller column, GW due) of each contract this month."""


class CloudMarket:
    """Lease price and leases of AI cloud capacity (module docstring).

    Attributes:
        price_usd_b_per_gw_year: this month's lease price to tenants.
        leased_by_deal: deal id -> GW provided this month.
        tenant_gw: cloud -> GW leased to tenants this month.
        fringe_supply_gw: the fringe clouds' capacity this month.
        last: this month's `CloudClearing` (None before the first month).
    """

    def __init__(self, params: DemandParams) -> None:
        self.p = params
        self.price_usd_b_per_gw_year = params.cloud_price_usd_b_per_gw_year
        self.leased_by_deal: dict[str, float] = {}
        self.tenant_gw: dict[str, float] = {}
        self.fringe_supply_gw = 0.0
        self.last: CloudClearing | None = None
        self.inputs: CloudInputs | None = None

    @property
    def price_bounds(self) -> tuple[float, float]:
        """Lowest and highest lease price, USD B per GW-year."""
        ref = self.p.cloud_price_usd_b_per_gw_year
        return ref * self.p.price_floor_frac, ref * self.p.price_cap_frac

    def compute_fringe_supply_gw(self, now_idx: int) -> float:
        """Fringe clouds' capacity: path x (last lease price / reference)^theta, GW."""
        ratio = self.price_usd_b_per_gw_year / self.p.cloud_price_usd_b_per_gw_year
        path = compute_path_value(self.p.fringe_cloud_gw, now_idx)
        return path * ratio**self.p.fringe_cloud_supply_elasticity

    def compute_inputs(
        self,
        t: int,
        now_idx: int,
        cloud_gw: Mapping[str, float],
        contracts: Sequence[Deal],
        demand_index: float,
    ) -> CloudInputs:
        """Assemble this month's clearing inputs (reads, never mutates)."""
        sellers = (*sorted(cloud_gw), FRINGE_CLOUDS)
        cells = []
        for deal in sorted(contracts, key=lambda d: d.deal_id):
            if (
                deal.kind is not DealKind.CLOUD_CAPACITY
                or deal.status is not DealStatus.ACTIVE
                or deal.source not in cloud_gw
                or t < deal.start_step
            ):
                continue
            ramp = min(1.0, (t - deal.start_step + 1) / CLOUD_RAMP_MONTHS)
            cells.append((deal, deal.gw * ramp))
        buyers = tuple(sorted({d.target for d, _ in cells}))
        row, column = {b: i for i, b in enumerate(buyers)}, {s: k for k, s in enumerate(sellers)}
        due = [[0.0] * len(sellers) for _ in buyers]  # (plain floats until the arrays are made)
        price = [[0.0] * len(sellers) for _ in buyers]
        deal_cells = []
        for deal, gw in cells:
            b, k = row[deal.target], column[deal.source]
            value = price[b][k] * due[b][k] + deal.price_usd_b_per_gw * gw
            due[b][k] += gw
            price[b][k] = value / due[b][k] if due[b][k] > 0 else 0.0
            deal_cells.append((deal.deal_id, b, k, gw))
        shape = (len(buyers), len(sellers))
        supply = np.array([cloud_gw[s] for s in sellers[:-1]] + [self.fringe_supply_gw])
        tenants = compute_path_value(self.p.cloud_tenant_gw, now_idx) * demand_index
        return CloudInputs(buyers, sellers, supply, np.array(due, dtype=float).reshape(shape),
                           np.array(price, dtype=float).reshape(shape), tenants,
                           tuple(deal_cells))

    def compute_clearing(
        self, inputs: CloudInputs, excluded_links: Sequence[Link] = ()
    ) -> CloudClearing:
        """Solve a month's market from `inputs`, optionally without some links (pure)."""
        return clear_cloud_market(
            inputs.supply_gw,
            inputs.contract_gw,
            inputs.contract_price,
            inputs.tenant_demand_gw,
            self.p.cloud_price_usd_b_per_gw_year,
            self.p.cloud_elasticity,
            self.price_bounds,
            excluded_links,
        )

    def update_clear(
        self,
        t: int,
        now_idx: int,
        cloud_gw: Mapping[str, float],
        contracts: Sequence[Deal],
        demand_index: float,
    ) -> list[Payment]:
        """Clear this month's market; return the payments to book (contracts and tenants)."""
        self.fringe_supply_gw = self.compute_fringe_supply_gw(now_idx)
        inputs = self.compute_inputs(t, now_idx, cloud_gw, contracts, demand_index)
        result = self.compute_clearing(inputs)
        self.inputs, self.last = inputs, result
        self.price_usd_b_per_gw_year = result.price_usd_b_per_gw_year
        payments: list[Payment] = []
        self.leased_by_deal = {}
        prices: dict[str, float] = {}  # deal id -> its price (the first deal of that id)
        for d in reversed(contracts):
            prices[d.deal_id] = d.price_usd_b_per_gw
        for deal_id, b, k, gw in inputs.deal_cells:
            due = inputs.contract_gw[b, k]
            got = result.contracted_gw[b, k] * (gw / due) if due > 0 else 0.0
            self.leased_by_deal[deal_id] = float(got)
            price = prices[deal_id]
            payments.append(
                Payment(inputs.buyers[b], inputs.sellers[k], got * price / 12.0,
                        FlowKind.CLOUD_PAYMENT, deal_id)
            )
        self.tenant_gw = dict(zip(inputs.sellers, result.tenant_gw.tolist(), strict=True))
        for seller in inputs.sellers[:-1]:
            payments.append(
                Payment("Customers", seller, self.tenant_gw[seller] * result.price_usd_b_per_gw_year
                        / 12.0, FlowKind.REVENUE)
            )
        return payments

    def compute_leased_gw(self, buyer: str) -> float:
        """GW `buyer` leases under contracts this month."""
        if self.inputs is None or self.last is None or buyer not in self.inputs.buyers:
            return 0.0
        return float(self.last.contracted_gw[self.inputs.buyers.index(buyer)].sum())
