"""The what-if comparison figure: effects over time with their bands, and a forest plot.

Top: for up to four metrics (those the comparison resolves best at the chosen month, else the
headline metrics), the mean difference variant minus reference over the months with its
interval as a band. Bottom: a forest plot at the chosen month (``compare.json``'s ``step``,
default the last), one panel per unit, so differences sharing a unit share a scale and a
0.02 pp share change is never drawn as large as 15 MHHI points.

Reads the comparison table contract of `experiments.figures.sources` (``metric``,
``mean_diff``, ``ci_low``, ``ci_high``; optional ``label``, ``unit``, ``variant``,
``step``/``date``, ``exact``, ``significant``).
"""

from __future__ import annotations

import polars as pl
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from experiments.figures.sources import Source
from experiments.figures.style import new_figure, variant_colour

__all__ = ["HEADLINE", "figure_compare", "latest_rows"]

HEADLINE = (
    "share accelerators Nvidia", "share cloud Microsoft", "hhi accelerators", "mhhi cloud",
    "mhhi_minus_hhi cloud", "price accelerators", "price_usd_k_per_pflops accelerators",
    "foreclosure_share accelerators", "foreclosure_share cloud", "unaffiliated_price accelerators",
    "deployed_gw", "circularity Nvidia", "n_suppliers OpenAI", "fringe_cum_gw accelerators",
    "compute_gw OpenAI", "deals_blocked",
)
"""Rows of the forest plot when the comparison has more than `MAX_FOREST_ROWS` rows that
moved (those present), followed by the other rows it resolves."""
MAX_FOREST_ROWS = 24


def _prepare(frame: pl.DataFrame) -> pl.DataFrame:
    if "label" not in frame.columns:
        frame = frame.with_columns(label=pl.col("metric"))
    if "variant" not in frame.columns:
        name = pl.col("scenario") if "scenario" in frame.columns else pl.lit("variant")
        frame = frame.with_columns(variant=name)
    if "unit" not in frame.columns:
        frame = frame.with_columns(unit=pl.lit(""))
    if "exact" not in frame.columns:
        frame = frame.with_columns(exact=pl.col("ci_low") == pl.col("ci_high"))
    if "significant" not in frame.columns:
        resolved = pl.col("excludes_zero") if "excludes_zero" in frame.columns else (
            (pl.col("ci_low") > 0) | (pl.col("ci_high") < 0))
        frame = frame.with_columns(significant=resolved & ~pl.col("exact"))
    return frame


def latest_rows(frame: pl.DataFrame, step: int | None = None) -> pl.DataFrame:
    """The rows of month `step` (default each metric's last ``step`` or ``date``)."""
    if step is not None and "step" in frame.columns:
        return frame.filter(pl.col("step") == step)
    for col in ("step", "date"):
        if col in frame.columns:
            keys = [c for c in ("label", "metric", "variant") if c in frame.columns]
            return frame.filter(pl.col(col) == pl.col(col).max().over(keys))
    return frame


def _forest_rows(at: pl.DataFrame) -> list[str]:
    moved = at.filter(~(pl.col("exact") & (pl.col("mean_diff") == 0)))
    everything = moved["label"].unique(maintain_order=True).to_list()
    if len(everything) <= MAX_FOREST_ROWS:
        return everything
    labels = [lab for lab in HEADLINE if lab in set(moved["label"])]
    extra = moved.filter(pl.col("significant") & ~pl.col("label").is_in(labels))
    if "p_adjusted" in extra.columns:
        extra = extra.sort("p_adjusted", nulls_last=True)
    for lab in extra["label"].unique(maintain_order=True):
        if len(labels) >= MAX_FOREST_ROWS:
            break
        labels.append(lab)
    return labels or moved["label"].unique(maintain_order=True).to_list()[:MAX_FOREST_ROWS]


def _time_rows(at: pl.DataFrame, frame: pl.DataFrame) -> list[str]:
    if "step" not in frame.columns or frame["step"].n_unique() < 2:
        return []
    best = at.filter(pl.col("significant"))
    if "p_adjusted" in best.columns:
        best = best.sort("p_adjusted", nulls_last=True)
    labels = best["label"].unique(maintain_order=True).to_list()[:4]
    for lab in HEADLINE:
        if len(labels) >= 4:
            break
        if lab in set(at["label"]) and lab not in labels:
            labels.append(lab)
    return labels


def _draw_time(fig: Figure, axes, frame: pl.DataFrame, labels, variants) -> None:
    x = "date" if "date" in frame.columns else "step"
    for ax, label in zip(axes, labels, strict=False):
        rows = frame.filter(pl.col("label") == label)
        for k, variant in enumerate(variants):
            r = rows.filter(pl.col("variant") == variant).sort("step")
            if r.is_empty():
                continue
            colour = variant_colour(k)
            ax.fill_between(r[x].to_list(), r["ci_low"].fill_nan(None).to_list(),
                            r["ci_high"].fill_nan(None).to_list(), color=colour, alpha=0.2,
                            linewidth=0)
            ax.plot(r[x].to_list(), r["mean_diff"].to_list(), color=colour, linewidth=1.6)
        ax.axhline(0, color="#444444", linewidth=0.8)
        unit = rows["unit"][0] if rows.height else ""
        ax.set_title(f"{label} ({unit})" if unit else label, fontsize="small")
        ax.tick_params(labelsize="x-small")


def _draw_forest(axes, at: pl.DataFrame, units: list[str], labels: list[str], variants) -> None:
    for ax, unit in zip(axes, units, strict=True):
        rows = [lab for lab in labels if lab in set(at.filter(pl.col("unit") == unit)["label"])]
        lo_all, hi_all = [0.0], [0.0]
        for i, label in enumerate(rows):
            for k, variant in enumerate(variants):
                r = at.filter((pl.col("label") == label) & (pl.col("variant") == variant))
                if r.is_empty():
                    continue
                d = r.row(0, named=True)
                y = -(i + k * 0.8 / max(len(variants), 1))
                colour = variant_colour(k)
                lo, hi, mean = d["ci_low"], d["ci_high"], d["mean_diff"]
                if lo is not None and hi is not None and lo == lo and hi == hi:
                    ax.plot([lo, hi], [y, y], color=colour, linewidth=2.0, solid_capstyle="butt")
                    lo_all.append(lo)
                    hi_all.append(hi)
                marker = "D" if d["exact"] else "o"
                ax.plot([mean], [y], marker=marker, markersize=6, color=colour,
                        markerfacecolor=colour if d["significant"] else "white",
                        markeredgewidth=1.4)
                lo_all.append(mean)
                hi_all.append(mean)
        ax.axvline(0, color="#444444", linewidth=0.8)
        span = max(hi_all) - min(lo_all) or 1.0
        ax.set_xlim(min(lo_all) - 0.08 * span, max(hi_all) + 0.08 * span)
        ax.set_yticks([-i for i in range(len(rows))], rows, fontsize="small")
        ax.set_ylim(-len(rows) + 0.3, 0.6)
        ax.set_xlabel(f"difference ({unit})" if unit else "difference", fontsize="small")
        ax.tick_params(axis="x", labelsize="x-small")
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)


def figure_compare(source: Source) -> Figure:
    """Effects over time (top) and the forest plot at the chosen month (bottom)."""
    assert source.compare is not None
    frame = _prepare(source.compare)
    step = source.manifest.get("step") if source.manifest else None
    at = latest_rows(frame, step)
    variants = frame["variant"].unique(maintain_order=True).to_list()
    labels = _forest_rows(at)
    units = [u for u in at.filter(pl.col("label").is_in(labels))["unit"].unique(
        maintain_order=True).to_list()]
    times = _time_rows(at, frame)
    counts = [max(1, at.filter((pl.col("unit") == u) & pl.col("label").is_in(labels))[
        "label"].n_unique()) for u in units]
    heights = ([2.0] if times else []) + [0.22 * len(variants) * c + 0.65 for c in counts]
    fig = new_figure(11.0, sum(heights) + 1.4)
    grid = fig.add_gridspec(len(heights), 1, height_ratios=heights or [1])
    row = 0
    if times:
        sub = grid[0].subgridspec(1, len(times))
        _draw_time(fig, [fig.add_subplot(sub[0, i]) for i in range(len(times))], frame, times,
                   variants)
        row = 1
    _draw_forest([fig.add_subplot(grid[row + i]) for i in range(len(units))], at, units,
                 labels, variants)
    handles = [Line2D([], [], color=variant_colour(k), marker="o", linewidth=2.0, label=str(v))
               for k, v in enumerate(variants)]
    handles += [
        Line2D([], [], color="#444444", marker="o", linestyle="none", label="significant"),
        Line2D([], [], color="#444444", marker="o", markerfacecolor="white", linestyle="none",
               label="not significant"),
        Line2D([], [], color="#444444", marker="D", markerfacecolor="white", linestyle="none",
               label="exact (same on every seed)"),
    ]
    fig.legend(handles=handles, loc="outside lower center", frameon=False, fontsize="small",
               ncol=min(len(handles), 5))
    level = frame["level"][0] if "level" in frame.columns and frame.height else None
    interval = f"{level:.0%} intervals" if level else "intervals"
    when = f" at {at['date'][0]:%Y-%m}" if "date" in at.columns and at.height else ""
    fig.suptitle(f"Differences (variant − reference) with {interval}{when}: "
                 f"{len(labels)} metrics in {len(units)} units\n{source.label}",
                 x=0.01, ha="left", fontweight="bold")
    return fig
