"""Out-of-sample backtest: drop the announcements after a cutoff and score what the agents do.

The baseline is run with `simulation.history_cutoff` at the cutoff, so every dated deal
announcement after it is left out and the agents must make (or miss) those deals themselves.
Held out and scored:

- each of the baseline's deal announcements dated after the cutoff, and the seeds' story of
  D1 (its stall, D1b, and its restructuring into a one-off stake, D1c). An announcement is a
  **hit** in a run when the model signs a deal of the same kind between the same parties within
  `WINDOW_MONTHS` of its date, of a size within a factor `SIZE_FACTOR` (GW for supply and cloud
  deals, USD B for equity, percentage points for warrants); D1b is a hit when the letter of
  intent ends stalled or restructured instead of signed;
- held-out target facts: OpenAI's valuation in 2026-02 and Nvidia's 2026 share of accelerator
  revenue, each against its band in `experiments/calibration/facts.toml`.

Only deals the agents made count (`origin` endogenous): a dated event kept before the cutoff
cannot score for an announcement after it.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import polars as pl

from experiments.calibration.facts import get_fact
from experiments.run.runner import run
from experiments.scenario.loader import load_scenario
from world.params import DealKind, EventKind, ScenarioParams, month_index

__all__ = [
    "SIZE_FACTOR", "WINDOW_MONTHS", "HeldOut", "backtest_task", "compute_held_out",
    "format_backtest", "score_run", "summarize",
]

WINDOW_MONTHS = 6
"""A model deal matches an announcement when signed within this many months of it."""
SIZE_FACTOR = 2.0
"""... and when its size is within this factor of the announcement's (both ways)."""

STORY = (
    ("D1b", "stall", "equity", "Nvidia", "OpenAI", "2025-12", math.nan, "",
     "D1 stalls: no definitive agreement by 2025-12"),
    ("D1c", "deal", "equity", "Nvidia", "OpenAI", "2026-02", 30.0, "USD B",
     "D1 restructured into a ~$30B one-off stake"),
)
"""The seeds' story about D1 (facts.toml D1b, D1c), held out whatever the cutoff."""

TARGETS = (
    ("openai_valuation_2026_02", "openai_valuation_2026_02", "OpenAI valuation", "2026-02"),
    ("nvidia_value_share_2026", "share_outlook_2026", "Nvidia share of accelerator revenue",
     "2026"),
)
"""Held-out target facts: (metric of `compute_target_metrics`, fact id, label, month)."""


@dataclass(frozen=True)
class HeldOut:
    """One held-out announcement (sizes in `unit`; `size` nan for the stall)."""

    id: str
    test: str  # "deal" (a matching signed deal) or "stall" (D1 not signed)
    kind: str
    source: str
    target: str
    month: str
    size: float
    unit: str
    text: str


def _size(kind: str, gw: float, value: float, pct: float) -> tuple[float, str]:
    if kind in (DealKind.SUPPLY.value, DealKind.CLOUD_CAPACITY.value):
        return gw, "GW"
    if kind == DealKind.WARRANT.value:
        return pct, "pct"
    return value, "USD B"


def compute_held_out(params: ScenarioParams, cutoff: str) -> list[HeldOut]:
    """The announcements a backtest at `cutoff` holds out: the scenario's deal events dated
    after it, then the D1 story (D1b, D1c) when dated after it."""
    last = month_index(cutoff)
    out = []
    for ev in sorted(params.events, key=lambda e: (e.date, e.id)):
        if ev.kind is not EventKind.DEAL or month_index(ev.date) <= last:
            continue
        kind = ev.deal_kind.value
        size, unit = _size(kind, ev.gw, ev.value_usd_b, ev.equity_pct)
        out.append(HeldOut(ev.id, "deal", kind, ev.source_firm, ev.target_firm, ev.date, size,
                           unit, ev.source))
    out += [HeldOut(*row) for row in STORY if month_index(row[5]) > last]
    return out


def _deal_sizes(deals: pl.DataFrame) -> pl.DataFrame:
    return deals.with_columns(
        pl.when(pl.col("kind").is_in(["supply", "cloud_capacity"])).then(pl.col("gw"))
        .when(pl.col("kind") == "warrant").then(pl.col("equity_pct"))
        .otherwise(pl.col("value_usd_b")).alias("size")
    )


def score_run(deals: pl.DataFrame, start: str, held: list[HeldOut]) -> list[dict]:
    """One row per held-out announcement: hit, and the best-matching model deal (the one of
    the right kind and parties signed in the window whose size ratio is nearest 1)."""
    start_idx = month_index(start)
    made = _deal_sizes(deals.filter(
        (pl.col("origin") != "event") & pl.col("step_signed").is_not_null()
    ))
    rows = []
    for h in held:
        row = {"id": h.id, "hit": False, "model_deal": "", "model_month_offset": math.nan,
               "model_size": math.nan}
        if h.test == "stall":
            d1 = deals.filter(pl.col("deal_id") == "D1")
            signed = d1.height and d1["step_signed"][0] is not None and (
                d1["step_signed"][0] <= month_index(h.month) - start_idx)
            row["hit"] = bool(d1.height) and not signed
            rows.append(row)
            continue
        step = month_index(h.month) - start_idx
        cands = made.filter(
            (pl.col("kind") == h.kind) & (pl.col("source") == h.source)
            & (pl.col("target") == h.target)
            & ((pl.col("step_signed") - step).abs() <= WINDOW_MONTHS)
            & (pl.col("size") > 0)
        )
        best, best_err = None, math.inf
        for r in cands.iter_rows(named=True):
            err = abs(math.log(r["size"] / h.size)) if h.size > 0 else math.inf
            if err < best_err:
                best, best_err = r, err
        if best is not None:
            row.update(model_deal=best["deal_id"], model_month_offset=best["step_signed"] - step,
                       model_size=best["size"], hit=best_err <= math.log(SIZE_FACTOR))
        rows.append(row)
    return rows


def backtest_task(scenario: str, cutoff: str, seed: int) -> dict:
    """Worker: one run at the cutoff; its scored announcements and held-out target metrics."""
    params = load_scenario(scenario, [f"simulation.history_cutoff='{cutoff}'"], seed=seed)
    full = load_scenario(scenario, seed=seed)
    results = run(params)
    held = compute_held_out(full, cutoff)
    rows = score_run(results.tables["deals"], params.simulation.start, held)
    return {"seed": seed, "rows": rows, "targets": compute_target_metrics(results.tables)}


def compute_target_metrics(tables: dict[str, pl.DataFrame]) -> dict[str, float]:
    """The held-out target metrics of a run: OpenAI's valuation in 2026-02 (USD B) and Nvidia's
    share of accelerator revenue over 2026 (nan when the run has no such month or sales)."""
    oai = tables["firms"].filter(
        (pl.col("firm") == "OpenAI") & (pl.col("date").dt.strftime("%Y-%m") == "2026-02")
    )
    acc = tables["shares"].filter(
        (pl.col("market") == "accelerators") & (pl.col("date").dt.year() == 2026)
    )
    total = acc["value_usd_b"].sum()
    nvidia = acc.filter(pl.col("firm") == "Nvidia")["value_usd_b"].sum()
    return {
        "openai_valuation_2026_02": float(oai["valuation_usd_b"][0]) if oai.height else math.nan,
        "nvidia_value_share_2026": nvidia / total if total > 0 else math.nan,
    }


def summarize(held: list[HeldOut], outs: list[dict]) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(per-run table, scorecard). The scorecard has one row per held-out announcement (hit
    rate over the runs; a hit when >= half the runs hit) and per held-out target (mean over the
    runs; a hit when in the fact's band)."""
    per_run = pl.DataFrame([
        {"seed": o["seed"], **asdict(h), **r}
        for o in outs for h, r in zip(held, o["rows"], strict=True)
    ], schema_overrides={"model_month_offset": pl.Float64, "model_size": pl.Float64})
    card = []
    for h in held:
        sub = per_run.filter(pl.col("id") == h.id) if per_run.height else per_run
        rate = float(sub["hit"].mean()) if sub.height else math.nan
        matched = sub.filter(pl.col("model_deal") != "")
        card.append({
            "item": h.id, "what": h.text, "month": h.month,
            "expected": "not signed" if h.test == "stall" else f"{h.size:g} {h.unit}",
            "model": (f"D1 unsigned at {h.month} in {int(sub['hit'].sum())}/{sub.height} runs"
                      if h.test == "stall" else _model_text(matched, sub.height, h.unit)),
            "hit_rate": rate,
            "hit": bool(rate >= 0.5),
        })
    for key, fact_id, label, month in TARGETS:
        vals = [o["targets"][key] for o in outs if math.isfinite(o["targets"][key])]
        mean = sum(vals) / len(vals) if vals else math.nan
        low, high = get_fact(fact_id).band
        card.append({
            "item": key, "what": label, "month": month,
            "expected": f"{low:g} - {high:g} {get_fact(fact_id).unit}",
            "model": f"mean {mean:.3g}", "hit_rate": math.nan,
            "hit": bool(math.isfinite(mean) and low <= mean <= high),
        })
    return per_run, pl.DataFrame(card)


def _model_text(matched: pl.DataFrame, n: int, unit: str) -> str:
    if not matched.height:
        return "no deal of that kind and parties in the window"
    size = matched["model_size"].median()
    off = matched["model_month_offset"].median()
    return (f"{matched.height}/{n} runs sign one; median {size:.3g} {unit}, "
            f"{off:+.0f} months")


def format_backtest(card: pl.DataFrame, command: str) -> str:
    """The backtest section of docs/validation.md (markdown) from the scorecard of
    `summarize`; `command` is the command line that reproduces it."""
    hits = int(card["hit"].sum())
    lines = [
        "## Backtest: announcements held out",
        "",
        f"Command: `{command}`. Hit: the agents sign a deal of the same kind between the same "
        f"parties within {WINDOW_MONTHS} months of the announcement and within a factor "
        f"{SIZE_FACTOR:g} of its size, in at least half the runs (D1b: the letter of intent is "
        "not signed by 2025-12); a held-out target hits when the mean over the runs is in its "
        "band. Per-run rows: `runs/backtest-<cutoff>/backtest.parquet`.",
        "",
        f"**{hits} of {card.height} held-out items hit.**",
        "",
        "| item | what | month | held out | model | hit rate | result |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in card.iter_rows(named=True):
        rate = "" if math.isnan(r["hit_rate"]) else f"{r['hit_rate']:.0%}"
        lines.append(f"| {r['item']} | {r['what']} | {r['month']} | {r['expected']} | "
                     f"{r['model']} | {rate} | {'hit' if r['hit'] else '**miss**'} |")
    return "\n".join(lines)
