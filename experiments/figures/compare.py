"""The what-if comparison figure: each metric's difference (variant minus reference) with its
interval, one row per metric on its own scale (metrics have different units).

Reads the comparison table contract of `experiments.figures.sources` (``metric``,
``mean_diff``, ``ci_low``, ``ci_high``; optional ``unit``, ``variant``/``scenario``,
``step``/``date``).
"""

from __future__ import annotations

import polars as pl
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from experiments.figures.sources import Source
from experiments.figures.style import new_figure, variant_colour

__all__ = ["figure_compare", "latest_rows"]

EXCLUDES_ZERO = "#cb181d"


def latest_rows(frame: pl.DataFrame) -> pl.DataFrame:
    """Keep the last ``step`` (or ``date``) of each metric when the table is over time."""
    for col in ("step", "date"):
        if col in frame.columns:
            keys = ["metric"] + [c for c in ("variant", "scenario") if c in frame.columns]
            return frame.filter(pl.col(col) == pl.col(col).max().over(keys))
    return frame


def figure_compare(source: Source) -> Figure:
    """Differences with their intervals, one row per metric; a point is filled when its
    interval excludes zero (a difference the replications resolve)."""
    assert source.compare is not None
    frame = latest_rows(source.compare)
    unchanged = frame.filter(
        (pl.col("mean_diff") == 0) & (pl.col("ci_low") == 0) & (pl.col("ci_high") == 0)
    )["metric"].unique()
    dropped = 0 < unchanged.len() < frame["metric"].n_unique()
    if dropped:
        frame = frame.filter(~pl.col("metric").is_in(unchanged.to_list()))
    vcol = next((c for c in ("variant", "scenario") if c in frame.columns), None)
    variants = frame[vcol].unique(maintain_order=True).to_list() if vcol else [None]
    metrics = frame["metric"].unique(maintain_order=True).to_list()
    fig = new_figure(10.0, 0.9 + 0.62 * max(len(metrics), 1))
    axes = fig.subplots(max(len(metrics), 1), 1, squeeze=False)[:, 0]
    for ax, metric in zip(axes, metrics, strict=False):
        rows = frame.filter(pl.col("metric") == metric)
        lo_all, hi_all = [0.0], [0.0]
        for k, variant in enumerate(variants):
            r = rows if variant is None else rows.filter(pl.col(vcol) == variant)
            if r.is_empty():
                continue
            d = r.row(0, named=True)
            y = -k * 0.3
            mean, lo, hi = d["mean_diff"], d["ci_low"], d["ci_high"]
            colour = variant_colour(k)
            if "excludes_zero" in d and d["excludes_zero"] is not None:
                resolved = bool(d["excludes_zero"])
            else:
                resolved = lo is not None and hi is not None and (lo > 0 or hi < 0)
            ax.plot([lo, hi], [y, y], color=colour, linewidth=2.2, solid_capstyle="butt")
            ax.plot(
                [mean],
                [y],
                marker="o",
                markersize=7,
                color=colour,
                markerfacecolor=colour if resolved else "white",
                markeredgewidth=1.6,
            )
            lo_all.append(lo)
            hi_all.append(hi)
        ax.axvline(0, color="#444444", linewidth=0.8)
        span = max(hi_all) - min(lo_all) or 1.0
        ax.set_xlim(min(lo_all) - 0.08 * span, max(hi_all) + 0.08 * span)
        ax.set_ylim(-0.3 * len(variants), 0.3)
        ax.set_yticks([])
        unit = rows["unit"][0] if "unit" in rows.columns and rows["unit"][0] else ""
        label = f"{metric} ({unit})" if unit else str(metric)
        ax.set_ylabel(label, rotation=0, ha="right", va="center", fontsize="small")
        ax.tick_params(axis="x", labelsize="x-small")
        for side in ("top", "right", "left"):
            ax.spines[side].set_visible(False)
    axes[-1].set_xlabel("difference, variant minus reference (in each metric's unit)")
    handles = [
        Line2D(
            [],
            [],
            color=variant_colour(k),
            marker="o",
            linewidth=2.2,
            label=str(v) if v is not None else "difference and interval",
        )
        for k, v in enumerate(variants)
    ]
    handles.append(
        Line2D(
            [],
            [],
            color="#444444",
            marker="o",
            markerfacecolor="white",
            linestyle="none",
            label="interval includes 0",
        )
    )
    handles.append(
        Line2D([], [], color="#444444", marker="o", linestyle="none", label="interval excludes 0")
    )
    fig.legend(
        handles=handles,
        loc="outside lower center",
        frameon=False,
        fontsize="small",
        ncol=len(handles),
    )
    level = frame["level"][0] if "level" in frame.columns and frame.height else None
    interval = f"{level:.0%} intervals" if level else "intervals"
    note = f"; {unchanged.len()} metrics equal on every seed not drawn" if dropped else ""
    fig.suptitle(
        f"Differences (variant − reference) with {interval}{note}\n{source.label}",
        x=0.01,
        ha="left",
        fontweight="bold",
    )
    return fig
