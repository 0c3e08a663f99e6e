"""Named scalar outcomes of a run: one number per run, computed from its tables.

Scenario discovery, feature scoring and sensitivity analysis (`experiments.analysis.ema`,
`experiments.validation.sensitivity`) ask questions about one number per run: "when is the
accelerator HHI above 5,000?", "which inputs move OpenAI's compute?". `OUTCOMES` names those
numbers; each is computed by polars from the run's tables, for one run (`Results.tables`) or
for every run of a batch at once (lazy frames from `experiments.batch.store.scan_table`).

Outcomes measured "at the end" take the run's last step; outcomes "over the last 12 months"
take the last twelve steps (for a 48-month run from 2025-01: calendar 2028). Counts of deals are
0 for a run with none; other outcomes are NaN for a run without the rows they need.
``compute-market discover --list-outcomes`` prints the list. The paired what-if comparison
tests every month's values instead, per market and firm: `experiments.analysis.outcome_series`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

import polars as pl

from world.params import MARKETS

__all__ = ["FIRMS", "OUTCOMES", "Outcome", "compute_outcomes", "outcome_tables"]

FIRMS = ("Nvidia", "AMD", "OpenAI", "Amazon", "Microsoft", "Oracle")
VENDORS = ("Nvidia", "AMD")
DEAL_STATUSES = ("active", "completed", "stalled", "renegotiated", "abandoned", "blocked",
                 "defaulted")
LAST_MONTHS = 12
"""Length of the "last 12 months" window, in steps (months)."""

Tables = Mapping[str, pl.LazyFrame]
Compute = Callable[[Tables], pl.LazyFrame]


@dataclass(frozen=True)
class Outcome:
    """One scalar outcome: its name, meaning, unit, the tables it reads, and how.

    `compute` maps lazy tables (keyed by name, with ``run_id`` and ``step`` columns) to a lazy
    frame of ``run_id, value``; ``count`` outcomes are 0 where a run has no matching rows.
    """

    name: str
    doc: str
    unit: str
    tables: tuple[str, ...]
    compute: Compute
    count: bool = False


def _last_step(lf: pl.LazyFrame) -> pl.LazyFrame:
    """The rows of each run's last step."""
    return lf.filter(pl.col("step") == pl.col("step").max().over("run_id"))


def _last_value(table: str, column: str, **where: str) -> Compute:
    def compute(t: Tables) -> pl.LazyFrame:
        lf = t[table]
        for key, value in where.items():
            lf = lf.filter(pl.col(key) == value)
        return (_last_step(lf).group_by("run_id")
                .agg(pl.col(column).cast(pl.Float64).sum().alias("value")))
    return compute


def _last_months(lf: pl.LazyFrame) -> pl.LazyFrame:
    return lf.filter(pl.col("step") > pl.col("step").max().over("run_id") - LAST_MONTHS)


def _value_share(firm: str) -> Compute:
    """Share of accelerator sales value (`value_usd_b`) over the last 12 months."""
    def compute(t: Tables) -> pl.LazyFrame:
        acc = _last_months(t["shares"].filter(pl.col("market") == "accelerators"))
        return acc.group_by("run_id").agg(
            (pl.col("value_usd_b").filter(pl.col("firm") == firm).sum()
             / pl.col("value_usd_b").sum()).alias("value"))
    return compute


def _value_hhi(t: Tables) -> pl.LazyFrame:
    """HHI (0-10,000) of accelerator sales value over the last 12 months, fringe included."""
    acc = _last_months(t["shares"].filter(pl.col("market") == "accelerators"))
    by_firm = acc.group_by("run_id", "firm").agg(pl.col("value_usd_b").sum())
    share = pl.col("value_usd_b") / pl.col("value_usd_b").sum().over("run_id")
    return (by_firm.with_columns(share.alias("s")).group_by("run_id")
            .agg((10_000.0 * (pl.col("s") ** 2).sum()).alias("value")))


def _vendor_circularity(t: Tables) -> pl.LazyFrame:
    """Chip payments from investees straight back to the investing vendor per dollar of vendor
    equity, whole run, uncapped; NaN when no vendor invested.

    The direct route of ``experiments.validation.facts.compute_vendor_circularity`` (which the
    validation target extends with purchases through the clouds the investee rents from): the
    direct route is the one the vendors' and the diligence rules move, so it is the one the
    sensitivity analyses study.
    """
    flows = t["flows"]
    eq = flows.filter((pl.col("kind") == "equity_investment") & pl.col("source").is_in(VENDORS))
    invested = eq.group_by("run_id").agg(pl.col("amount_usd_b").sum().alias("invested"))
    pairs = eq.select("run_id", pl.col("source").alias("vendor"),
                      pl.col("target").alias("investee")).unique()
    chips = flows.filter(pl.col("kind") == "chip_payment").select(
        "run_id", pl.col("source").alias("investee"), pl.col("target").alias("vendor"),
        "amount_usd_b")
    back = (chips.join(pairs, on=["run_id", "vendor", "investee"]).group_by("run_id")
            .agg(pl.col("amount_usd_b").sum().alias("back")))
    return invested.join(back, on="run_id", how="left").select(
        "run_id", (pl.col("back").fill_null(0.0) / pl.col("invested")).alias("value"))


def _deal_count(status: str | None) -> Compute:
    def compute(t: Tables) -> pl.LazyFrame:
        lf = t["deals"] if status is None else t["deals"].filter(pl.col("status") == status)
        return lf.group_by("run_id").agg(pl.len().cast(pl.Float64).alias("value"))
    return compute


def _build() -> dict[str, Outcome]:
    out: list[Outcome] = []
    for market in MARKETS:
        out.append(Outcome(f"hhi_{market}", f"HHI of {market} (quantity shares) at the end",
                           "0-10,000", ("markets",), _last_value("markets", "hhi", market=market)))
        out.append(Outcome(f"mhhi_{market}", f"modified HHI of {market} (with cross-ownership) "
                           "at the end", "0-10,000", ("markets",),
                           _last_value("markets", "mhhi", market=market)))
        for firm in FIRMS:
            out.append(Outcome(f"{firm.lower()}_share_{market}",
                               f"{firm}'s quantity share of {market} at the end", "0-1",
                               ("shares",), _last_value("shares", "share", market=market,
                                                        firm=firm)))
    out += [
        Outcome("nvidia_value_share_last12", "Nvidia's share of accelerator sales value over "
                "the last 12 months", "0-1", ("shares",), _value_share("Nvidia")),
        Outcome("amd_value_share_last12", "AMD's share of accelerator sales value over the "
                "last 12 months", "0-1", ("shares",), _value_share("AMD")),
        Outcome("accelerator_value_hhi_last12", "HHI of accelerator sales value over the last "
                "12 months", "0-10,000", ("shares",), _value_hhi),
        Outcome("vendor_circularity", "chip payments straight back to investing vendors per "
                "dollar they invested, whole run", "ratio", ("flows",), _vendor_circularity),
    ]
    for firm in FIRMS:
        low = firm.lower()
        out.append(Outcome(f"{low}_compute_gw", f"{firm}'s compute in use (own + leased) at "
                           "the end", "GW", ("firms",), _last_value("firms", "compute_gw",
                                                                    firm=firm)))
        out.append(Outcome(f"{low}_valuation_usd_b", f"{firm}'s valuation at the end", "$B",
                           ("firms",), _last_value("firms", "valuation_usd_b", firm=firm)))
        out.append(Outcome(f"{low}_cash_usd_b", f"{firm}'s cash at the end", "$B", ("firms",),
                           _last_value("firms", "cash_usd_b", firm=firm)))
    for column, doc in (("deployed_gw", "compute deployed (chips installed and powered)"),
                        ("powered_gw", "datacenter capacity powered"),
                        ("energy_twh_per_year", "energy use of the deployed compute")):
        unit = "TWh/year" if column.startswith("energy") else "GW"
        out.append(Outcome(column, f"six named firms: {doc} at the end", unit, ("physical",),
                           _last_value("physical", column)))
    for column, doc, unit in (
        ("nvidia_price_usd_b_per_gw", "Nvidia's Bertrand-Nash accelerator price", "$B/GW"),
        ("amd_price_usd_b_per_gw", "AMD's Bertrand-Nash accelerator price", "$B/GW"),
        ("ai_demand_gw", "users' demand for AI services", "GW"),
    ):
        out.append(Outcome(column, f"{doc} at the end", unit, ("physical",),
                           _last_value("physical", column)))
    out.append(Outcome("deals", "deals proposed over the run (any status)", "count",
                       ("deals",), _deal_count(None), count=True))
    for status in DEAL_STATUSES:
        out.append(Outcome(f"deals_{status}", f"deals {status} at the end", "count",
                           ("deals",), _deal_count(status), count=True))
    return {o.name: o for o in out}


OUTCOMES: dict[str, Outcome] = _build()
"""Every named outcome, by name."""


def outcome_tables(names: Iterable[str]) -> list[str]:
    """The tables the outcomes `names` read (sorted, without repeats)."""
    return sorted({t for n in names for t in OUTCOMES[n].tables})


def compute_outcomes(tables: Mapping[str, pl.LazyFrame | pl.DataFrame], names: Iterable[str],
                     run_ids: Iterable[str] | None = None) -> pl.DataFrame:
    """The outcomes `names` of every run in `tables`, one row per run.

    Args:
        tables: table name -> rows of one or many runs (with ``run_id`` and ``step``).
        names: outcome names (keys of `OUTCOMES`).
        run_ids: the runs wanted, in the order wanted (default: the runs of the first table
            read, sorted).

    Returns:
        ``run_id`` and one Float64 column per outcome (0 for counts with no rows, NaN for
        other outcomes without rows).
    """
    names = list(names)
    lazy = {k: v.lazy() for k, v in tables.items()}
    if run_ids is None:
        first = lazy[outcome_tables(names)[0]]
        frame = first.select("run_id").unique().sort("run_id").collect()
    else:
        frame = pl.DataFrame({"run_id": list(run_ids)}, schema={"run_id": pl.String})
    parts = [OUTCOMES[n].compute(lazy).select("run_id", pl.col("value").alias(n))
             for n in names]
    for name, part in zip(names, pl.collect_all(parts), strict=True):
        frame = frame.join(part, on="run_id", how="left", maintain_order="left")
        fill = 0.0 if OUTCOMES[name].count else float("nan")
        frame = frame.with_columns(pl.col(name).cast(pl.Float64).fill_null(fill))
    return frame
