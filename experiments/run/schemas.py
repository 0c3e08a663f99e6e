"""The output tables' contract: every required column of each table with its dtype.

`SCHEMAS` is the single source of truth for the output tables (docs/outputs.md describes each
column): `experiments.run.results.Results.from_tables` casts the model's columns to exactly
these dtypes, and every reader (batch store, figures, summaries) relies on them.
"""

from __future__ import annotations

import polars as pl

__all__ = ["EXTRA_SCHEMAS", "ID_SCHEMA", "LENIENT", "REQUIRED_FROM_MODEL", "SCHEMAS", "TABLES"]

ID_SCHEMA: dict[str, pl.DataType] = {
    "run_id": pl.String(),
    "scenario": pl.String(),
    "seed": pl.Int64(),
}
"""Columns every table carries, first, identifying the run."""

_TIME: dict[str, pl.DataType] = {"step": pl.Int32(), "date": pl.Date()}
F = pl.Float64()
S = pl.String()

SCHEMAS: dict[str, dict[str, pl.DataType]] = {
    # step x market x firm; shares in a market sum to 1 at every step
    "shares": {**_TIME, "market": S, "firm": S, "quantity": F, "share": F},
    # step x market; HHI on the 0-10,000 scale
    "markets": {**_TIME, "market": S, "hhi": F, "price": F, "total_quantity": F},
    # step x firm; money in $B, power in GW
    "firms": {
        **_TIME,
        "firm": S,
        "cash_usd_b": F,
        "revenue_usd_b": F,
        "valuation_usd_b": F,
        "deployed_gw": F,
        "powered_gw": F,
    },
    # one row per deal; step_signed / step_closed are null until it happens
    "deals": {
        "deal_id": S,
        "kind": S,
        "source": S,
        "target": S,
        "status": S,
        "step_proposed": pl.Int32(),
        "step_signed": pl.Int32(),
        "step_closed": pl.Int32(),
        "value_usd_b": F,
        "gw": F,
        "equity_pct": F,
        "binding": pl.Boolean(),
    },
    # step x money flow (investment tranche, chip payment, cloud payment)
    "flows": {
        **_TIME,
        "source": S,
        "target": S,
        "kind": S,
        "amount_usd_b": F,
        "deal_id": S,
    },
    # step; the physical layer in aggregate
    "physical": {
        **_TIME,
        "foundry_capacity": F,
        "produced_gw": F,
        "delivered_gw": F,
        "powered_gw": F,
        "deployed_gw": F,
        "energy_twh": F,
        "homes_millions": F,
    },
    # one row per regulatory review decision (cleared, conditions, blocked); HHI 0-10,000
    "reviews": {
        **_TIME,
        "deal_id": S,
        "kind": S,
        "source": S,
        "target": S,
        "market": S,
        "regime": S,
        "decision": S,
        "reason": S,
        "pre_hhi": F,
        "post_hhi": F,
        "delta_hhi": F,
        "share_source": F,
        "share_target": F,
        "mhhi_pre": F,
        "mhhi_post": F,
        "delta_mhhi": F,
        "upstream_share": F,
        "phase": pl.Int32(),
        "conditions": S,
        # the screen of the row (one row per screen and market), its numbers and threshold
        "screen": S,
        "threshold": S,
        "concern": pl.Boolean(),
        "stake_pct": F,
        "control": pl.Boolean(),
        "upstream": S,
        "upstream_market": S,
        "vguppi": F,
        "foreclosed_share": F,
    },
}
"""Required columns and dtypes of each table (besides `ID_SCHEMA`)."""

EXTRA_SCHEMAS: dict[str, dict[str, pl.DataType]] = {
    # a fringe remainder row stands for `firms_in_row` small firms
    "shares": {"firms_in_row": pl.Int32()},
    # firms counted in HHI; captive capacity (labs' own datacenters, in-house chips) in GW
    "markets": {"n_firms": pl.Int32(), "captive_gw": F},
    # the markets' state: demand index and demand, prices, cancelled and deferred orders
    "physical": {
        "cancelled_gw": F,
        "deferred_gw": F,
        "demand_index": F,
        "ai_demand_gw": F,
        "fringe_lab_gw": F,
        "fringe_cloud_gw": F,
        "tenant_gw": F,
        "nvidia_price_usd_b_per_gw": F,
        "amd_price_usd_b_per_gw": F,
    },
}
"""Dtypes of columns the market model adds beyond `SCHEMAS` (typed when present; a table
built without them stays valid)."""

TABLES: tuple[str, ...] = tuple(SCHEMAS)
REQUIRED_FROM_MODEL: tuple[str, ...] = ("shares", "markets", "firms", "deals", "flows", "physical")
LENIENT: tuple[str, ...] = ("reviews",)
"""Tables whose missing required columns are filled with nulls instead of being an error."""
