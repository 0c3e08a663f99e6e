"""Figures over time: market shares, HHI with the 2023 Guidelines thresholds, the physical layer.

Each kind has a single-run form (shares as stacked areas, one line per market or quantity) and
a batch form (the mean over the runs of each variant, with the 5-95% band across runs). Every
draw function takes a frame plus ``ax=None`` and returns the axes; the ``figure_*`` functions
lay out whole figures from a `Source`.
"""

from __future__ import annotations

import polars as pl
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, PercentFormatter

from experiments.figures.colours import colour_for, ordered_names
from experiments.figures.sources import Source
from experiments.figures.style import (
    HHI_HIGHLY_CONCENTRATED,
    HHI_MODERATELY_CONCENTRATED,
    MARKET_COLOURS,
    MARKET_TITLES,
    format_date_axis,
    legend_outside,
    new_figure,
    variant_colour,
)
from world.params import MARKETS

__all__ = [
    "compute_bands",
    "draw_hhi",
    "draw_hhi_thresholds",
    "draw_share_areas",
    "draw_share_bands",
    "figure_hhi",
    "figure_physical",
    "figure_shares",
]

MAX_VARIANT_COLUMNS = 4
"""A batch share figure shows at most this many variants side by side."""
PHYSICAL_STOCKS = {
    "cum_produced_gw": ("chips produced, all designers (cumulative)", "#6a3d9a"),
    "cum_delivered_gw": ("chips delivered to buyers (cumulative, dashed)", "#9e9ac8"),
    "powered_gw": ("powered datacenters, six named firms", "#e6550d"),
    "deployed_gw": ("deployed compute, six named firms", "#31a354"),
}
PHYSICAL_FLOWS = {
    "produced_gw": ("produced, all designers", "#6a3d9a"),
    "delivered_gw": ("delivered to buyers (dashed)", "#9e9ac8"),
}
UNDERLAY = {"cum_produced_gw", "produced_gw"}
"""Lines drawn wide and light under the others, so a line equal to them stays visible."""


def _draw_physical_lines(ax: Axes, phys: pl.DataFrame, lines: dict[str, tuple[str, str]]) -> None:
    """One line per column: the produced line wide and light underneath, the others on top
    (delivered dashed), so that "delivered" equal to "produced" is still seen; its label then
    says so."""
    dates = phys["date"].to_list()
    for col, (label, colour) in lines.items():
        if col not in phys.columns:
            continue
        values = phys[col].to_numpy()
        if "dashed" in label:
            twin = "cum_produced_gw" if col.startswith("cum_") else "produced_gw"
            if twin in phys.columns and float(abs(phys[twin].to_numpy() - values).max()) < 1e-9:
                label = label.replace(" (", " = produced (", 1) if "(" in label else label
        under = col in UNDERLAY
        ax.plot(dates, values, color=colour, label=label, linewidth=5.0 if under else 1.6,
                alpha=0.35 if under else 1.0, linestyle="--" if "dashed" in label else "-",
                zorder=1 if under else 2)


def compute_bands(frame: pl.DataFrame, keys: list[str], value: str) -> pl.DataFrame:
    """Mean and 5-95% quantiles of `value` over runs, per `keys` (dates sorted).

    Returns:
        `keys` plus ``mean``, ``q05``, ``q95``, ``n_runs``.
    """
    col = pl.col(value)
    return (
        frame.group_by(keys)
        .agg(
            col.mean().alias("mean"),
            col.quantile(0.05, interpolation="linear").alias("q05"),
            col.quantile(0.95, interpolation="linear").alias("q95"),
            pl.col("run_id").n_unique().alias("n_runs"),
        )
        .sort(keys)
    )


def draw_band(ax: Axes, bands: pl.DataFrame, colour: str, label: str, **line: object) -> None:
    """The mean (line) and its 5-95% band (shaded) of `compute_bands` output, over `date`."""
    dates = bands["date"].to_list()
    ax.fill_between(dates, bands["q05"].to_numpy(), bands["q95"].to_numpy(), color=colour,
                    alpha=0.2, linewidth=0)
    ax.plot(dates, bands["mean"].to_numpy(), color=colour, label=label, **line)


def variant_order(source: Source, frame: pl.DataFrame) -> list[str]:
    """The batch's variant labels present in `frame`, in the batch's variant order."""
    present = set(frame["variant"].to_list())
    assert source.variants is not None
    return [v for v in source.variants["variant"].to_list() if v in present]


def _bottom_xlabels_only(axes) -> None:
    for ax in axes:
        if not ax.get_subplotspec().is_last_row():
            ax.set_xlabel("")


def _percent_axis(ax: Axes) -> None:
    ax.set_ylim(0, 1)
    ax.margins(x=0)
    ax.yaxis.set_major_formatter(PercentFormatter(xmax=1.0, decimals=0))
    ax.set_ylabel("share of market (%)")


def draw_share_areas(shares: pl.DataFrame, market: str, ax: Axes, title: str = "") -> Axes:
    """Stacked areas of one run's shares in one market, firms in fixed order and colours.

    Args:
        shares: a `shares` table of one run (date, market, firm, share).
        market: the market to draw.
        ax: the axes.
        title: the axes title (default: the market's name).
    """
    rows = shares.filter(pl.col("market") == market).sort("date")
    wide = (
        rows.pivot(on="firm", index="date", values="share", aggregate_function="sum")
        .sort("date")
        .fill_null(0.0)
    )
    firms = ordered_names(c for c in wide.columns if c != "date")
    ax.stackplot(
        wide["date"].to_list(),
        *[wide[f].to_numpy() for f in firms],
        labels=firms,
        colors=[colour_for(f) for f in firms],
        linewidth=0.3,
        edgecolor="white",
    )
    _percent_axis(ax)
    format_date_axis(ax)
    ax.set_title(title or MARKET_TITLES.get(market, market), loc="left")
    handles, labels = ax.get_legend_handles_labels()
    legend_outside(ax, handles[::-1], labels[::-1])  # legend order = stack order, top first
    return ax


def draw_share_bands(shares: pl.DataFrame, market: str, ax: Axes, title: str = "") -> Axes:
    """Mean share of each firm over the runs (line) with its 5-95% band, one market."""
    rows = shares.filter(pl.col("market") == market)
    stats = compute_bands(rows, ["firm", "date"], "share")
    for firm in ordered_names(stats["firm"].unique().to_list()):
        s = stats.filter(pl.col("firm") == firm)
        draw_band(ax, s, colour_for(firm), firm, linewidth=1.6)
    _percent_axis(ax)
    format_date_axis(ax)
    ax.set_title(title or MARKET_TITLES.get(market, market), loc="left")
    return ax


def figure_shares(source: Source) -> Figure:
    """Market-share evolution of every market: stacked areas (run) or mean lines with 5-95%
    bands, one column per variant (batch)."""
    shares = source.table("shares")
    markets = [m for m in MARKETS if m in set(shares["market"].unique().to_list())]
    if not markets:
        markets = list(MARKETS)
    if source.kind != "batch":
        fig = new_figure(10.0, 3.2 * len(markets) + 0.6)
        axes = fig.subplots(len(markets), 1, sharex=True, squeeze=False)[:, 0]
        for ax, market in zip(axes, markets, strict=True):
            draw_share_areas(shares, market, ax)
        _bottom_xlabels_only(axes)
        fig.suptitle(f"Market shares — {source.label}", x=0.01, ha="left", fontweight="bold")
        return fig
    variants = variant_order(source, shares)[:MAX_VARIANT_COLUMNS]
    fig = new_figure(3.6 * len(variants) + 2.2, 3.0 * len(markets) + 0.8)
    grid = fig.subplots(len(markets), len(variants), sharex=True, sharey=True, squeeze=False)
    for i, market in enumerate(markets):
        for j, variant in enumerate(variants):
            title = MARKET_TITLES.get(market, market) + (
                f"\n{variant}" if len(variants) > 1 else ""
            )
            draw_share_bands(shares.filter(pl.col("variant") == variant), market, grid[i, j], title)
            if j:
                grid[i, j].set_ylabel("")
        legend_outside(grid[i, -1])
    _bottom_xlabels_only(grid.ravel())
    fig.suptitle(
        f"Market shares, mean and 5–95% band — {source.label}", x=0.01, ha="left", fontweight="bold"
    )
    return fig


def draw_hhi_thresholds(ax: Axes) -> None:
    """Shade the 2023 Merger Guidelines concentration zones and draw their thresholds."""
    ax.axhspan(HHI_HIGHLY_CONCENTRATED, 10_000, color="#cb181d", alpha=0.06, linewidth=0)
    ax.axhspan(
        HHI_MODERATELY_CONCENTRATED,
        HHI_HIGHLY_CONCENTRATED,
        color="#fd8d3c",
        alpha=0.06,
        linewidth=0,
    )
    ax.axhline(
        HHI_HIGHLY_CONCENTRATED,
        color="#cb181d",
        linestyle="--",
        linewidth=1,
        label="1,800: highly concentrated (2023 Guidelines)",
    )
    ax.axhline(
        HHI_MODERATELY_CONCENTRATED,
        color="#fd8d3c",
        linestyle=":",
        linewidth=1,
        label="1,000: moderately concentrated",
    )
    ax.set_ylim(0, 10_000)
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))
    ax.set_ylabel("HHI (0–10,000)")


def draw_hhi(markets: pl.DataFrame, ax: Axes) -> Axes:
    """HHI of each market over time for one run, with the Guidelines thresholds."""
    for market in [m for m in MARKETS if m in set(markets["market"].to_list())]:
        rows = markets.filter(pl.col("market") == market).sort("date")
        ax.plot(
            rows["date"].to_list(),
            rows["hhi"].to_numpy(),
            color=MARKET_COLOURS[market],
            linewidth=1.8,
            label=MARKET_TITLES[market],
        )
    draw_hhi_thresholds(ax)
    ax.margins(x=0)
    format_date_axis(ax)
    legend_outside(ax)
    return ax


def figure_hhi(source: Source) -> Figure:
    """HHI over time with the 2023 Guidelines thresholds: one panel (run) or one panel per
    market with a mean line and 5-95% band per variant (batch)."""
    markets = source.table("markets")
    if source.kind != "batch":
        fig = new_figure(10.0, 4.6)
        ax = draw_hhi(markets, fig.add_subplot())
        ax.set_title(f"Market concentration (HHI) — {source.label}", loc="left")
        return fig
    present = [m for m in MARKETS if m in set(markets["market"].to_list())]
    fig = new_figure(10.0, 3.0 * len(present) + 0.8)
    axes = fig.subplots(len(present), 1, sharex=True, squeeze=False)[:, 0]
    variants = variant_order(source, markets)
    for ax, market in zip(axes, present, strict=True):
        for k, variant in enumerate(variants):
            rows = markets.filter((pl.col("market") == market) & (pl.col("variant") == variant))
            draw_band(ax, compute_bands(rows, ["date"], "hhi"), variant_colour(k), variant,
                      **variant_line(k, len(variants)))
        draw_hhi_thresholds(ax)
        ax.margins(x=0)
        format_date_axis(ax)
        ax.set_title(MARKET_TITLES[market], loc="left")
    _bottom_xlabels_only(axes)
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncols=2, frameon=False,
               fontsize="small", title="variant (mean line, 5–95% band shaded)")
    fig.suptitle(
        f"Market concentration (HHI), mean and 5–95% band — {source.label}",
        x=0.01,
        ha="left",
        fontweight="bold",
    )
    return fig


VARIANT_STYLES = ("-", "--", "-.", ":")
VARIANT_MARKERS = ("o", "s", "^", "D", "v", "P", "X")


def variant_line(k: int, n: int) -> dict[str, object]:
    """Line style of the `k`-th of `n` variants: colour comes from `variant_colour`; the dash
    pattern and a sparse marker differ too, so variants that coincide stay distinguishable
    (later ones drawn thinner, on top)."""
    return {"linestyle": VARIANT_STYLES[k % len(VARIANT_STYLES)],
            "marker": VARIANT_MARKERS[k % len(VARIANT_MARKERS)], "markevery": (k % 6, 6),
            "markersize": 4, "linewidth": 2.4 - 1.2 * k / max(n - 1, 1)}


def _energy_column(physical: pl.DataFrame) -> tuple[str, float]:
    """The energy column drawn (TWh per year) and the factor applied to it."""
    if "energy_twh_per_year" in physical.columns:
        return "energy_twh_per_year", 1.0
    return "energy_twh", 12.0  # monthly TWh, annualised


def _homes_axis(ax: Axes, physical: pl.DataFrame, energy: str, factor: float) -> None:
    """Right axis in million US homes (homes per TWh/year from the run's own rows)."""
    rows = physical.filter(pl.col(energy) > 0)
    if rows.is_empty() or "homes_millions" not in rows.columns:
        return
    ratio = float((rows["homes_millions"] / (rows[energy] * factor)).median())
    if ratio <= 0:
        return
    sec = ax.secondary_yaxis("right", functions=(lambda x: x * ratio, lambda y: y / ratio))
    sec.set_ylabel("million US homes")


def figure_physical(source: Source) -> Figure:
    """The physical layer: capacity in GW (produced and delivered cumulated, powered,
    deployed), monthly chip output in GW per month, energy in TWh per year with the
    US-homes equivalent. A batch draws the mean and 5-95% band of each variant."""
    phys = source.table("physical").sort("date")
    energy, factor = _energy_column(phys)
    phys = phys.with_columns((pl.col(energy) * factor).alias("_energy"))
    fig = new_figure(10.0, 9.5)
    ax_gw, ax_flow, ax_energy = fig.subplots(3, 1, sharex=True)
    if source.kind != "batch":
        dates = phys["date"].to_list()
        _draw_physical_lines(ax_gw, phys, PHYSICAL_STOCKS)
        _draw_physical_lines(ax_flow, phys, PHYSICAL_FLOWS)
        ax_energy.plot(
            dates,
            phys["_energy"].to_numpy(),
            color="#08519c",
            linewidth=1.8,
            label="energy of the deployed compute of the six named firms",
        )
        title = f"Physical layer — {source.label}"
    else:
        variants = variant_order(source, phys)
        for ax, col in ((ax_gw, "deployed_gw"), (ax_flow, "produced_gw"), (ax_energy, "_energy")):
            for k, variant in enumerate(variants):
                s = compute_bands(phys.filter(pl.col("variant") == variant), ["date"], col)
                draw_band(ax, s, variant_colour(k), variant)
        title = f"Physical layer, mean and 5–95% band — {source.label}"
    ax_gw.set_title("Capacity" if source.kind != "batch"
                    else "Deployed compute, six named firms", loc="left")
    ax_gw.set_ylabel("GW (facility power)")
    ax_flow.set_title("Chip output" if source.kind != "batch"
                      else "Chips produced, all designers", loc="left")
    ax_flow.set_ylabel("GW per month")
    ax_energy.set_title("Energy of the deployed compute, six named firms", loc="left")
    ax_energy.set_ylabel("TWh per year")
    _homes_axis(ax_energy, phys, energy, factor)
    for ax in (ax_gw, ax_flow, ax_energy):
        ax.set_ylim(bottom=0)
        ax.margins(x=0)
        format_date_axis(ax)
        legend_outside(ax, bbox_to_anchor=(1.12, 1.0))
    _bottom_xlabels_only((ax_gw, ax_flow, ax_energy))
    fig.suptitle(title, x=0.01, ha="left", fontweight="bold")
    return fig
