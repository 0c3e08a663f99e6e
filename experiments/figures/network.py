"""The deal network at chosen dates, rebuilt from a run's `deals` and `firms` tables.

Nodes are the firms (and any fringe party to a deal), their area proportional to the firm's
valuation at that date, on one scale for all panels. Edges are the deals live at that date
(`experiments.figures.deals.compute_live_deals`), coloured by kind, their width scaled by the
deal's value, dashed while not yet binding (proposed, LOI, stalled). The layout is computed once
per run, not per date: the most connected firm sits in the centre and the others on a circle in
the fixed firm order, so a node never moves from panel to panel and changes are easy to see.
"""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import polars as pl
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Arc, FancyArrowPatch

from experiments.errors import UserError
from experiments.figures.colours import colour_for, ordered_names
from experiments.figures.deals import compute_deal_paths, compute_live_deals
from experiments.figures.sources import Source
from experiments.figures.style import DEAL_KIND_COLOURS, new_figure
from world.contracts import DealStatus

__all__ = ["compute_layout", "draw_network", "figure_network", "resolve_steps"]

NOT_BINDING = frozenset({DealStatus.PROPOSED, DealStatus.LOI, DealStatus.STALLED})
"""Statuses drawn dashed: talks, not yet a binding commitment."""
MAX_NODE_AREA = 2600.0  # points^2
MIN_NODE_AREA = 120.0
MAX_EDGE_WIDTH = 7.0
MIN_EDGE_WIDTH = 0.8
DEFAULT_PANELS = 4


def compute_layout(deals: pl.DataFrame, names: list[str]) -> dict[str, tuple[float, float]]:
    """Fixed positions of the nodes of a run: the party to most deals in the centre, the rest
    on the unit circle in `ordered_names` order starting at the top."""
    counts: dict[str, int] = {}
    for row in deals.iter_rows(named=True):
        for party in {row["source"], row["target"]}:
            counts[party] = counts.get(party, 0) + 1
    nodes = ordered_names(set(names) | set(counts))
    centre = max(nodes, key=lambda n: (counts.get(n, 0), -nodes.index(n))) if counts else None
    ring = [n for n in nodes if n != centre]
    pos = {centre: (0.0, 0.0)} if centre else {}
    for i, name in enumerate(ring):
        angle = math.pi / 2 - 2 * math.pi * i / max(len(ring), 1)
        pos[name] = (math.cos(angle), math.sin(angle))
    return pos


def resolve_steps(firms: pl.DataFrame, dates: list[str] | None) -> list[tuple[int, dt.date]]:
    """Steps and dates to draw: the given ``YYYY-MM`` months, or evenly spaced dates.

    Raises:
        UserError: a month outside the run or not written ``YYYY-MM``.
    """
    pairs = firms.select("step", "date").unique().sort("step")
    by_month = {f"{d:%Y-%m}": (int(s), d) for s, d in pairs.iter_rows()}
    if not by_month:
        raise UserError("the run has no rows in its firms table; nothing to draw")
    if dates:
        out = []
        for text in dates:
            if text not in by_month:
                first, last = next(iter(by_month)), list(by_month)[-1]
                raise UserError(
                    f"--date {text}: not a month of this run; give YYYY-MM from {first} to {last}"
                )
            out.append(by_month[text])
        return out
    rows = list(by_month.values())
    idx = np.unique(np.linspace(0, len(rows) - 1, DEFAULT_PANELS).round().astype(int))
    return [rows[i] for i in idx]


def _edge_width(value: float, max_value: float) -> float:
    if max_value <= 0:
        return MIN_EDGE_WIDTH
    return MIN_EDGE_WIDTH + (MAX_EDGE_WIDTH - MIN_EDGE_WIDTH) * math.sqrt(max(value, 0) / max_value)


def _node_areas(
    pos: dict[str, tuple[float, float]], valuation: dict[str, float], max_valuation: float
) -> dict[str, float]:
    """Marker area (points^2) of each node: proportional to valuation, at least MIN_NODE_AREA."""
    area = {}
    for name in pos:
        v = valuation.get(name)
        area[name] = (
            MIN_NODE_AREA
            if not v or max_valuation <= 0
            else max(MIN_NODE_AREA, MAX_NODE_AREA * v / max_valuation)
        )
    return area


def _draw_edge(
    ax: Axes,
    row: dict,
    status: str,
    k: int,
    pos: dict[str, tuple[float, float]],
    area: dict[str, float],
    max_value: float,
) -> None:
    """One live deal: an arrow source -> target (the k-th between the pair curves away from the
    others), or a loop above the firm for its own programme."""
    src, dst = row["source"], row["target"]
    colour = DEAL_KIND_COLOURS.get(row["kind"], "#555555")
    width = _edge_width(row.get("value_usd_b") or 0.0, max_value)
    style = "--" if status in NOT_BINDING else "-"
    if src == dst:  # a firm's own programme (e.g. an in-house chip): a loop above it
        x, y = pos[src]
        r = 0.1 + 0.03 * k
        ax.add_patch(Arc((x, y + r), 2 * r, 2 * r, theta1=-60, theta2=240, color=colour,
                         linewidth=width, linestyle=style, zorder=1))
        return
    rad = 0.12 * ((k + 1) // 2) * (1 if k % 2 else -1) if k else 0.0
    arrow = FancyArrowPatch(
        pos[src],
        pos[dst],
        connectionstyle=f"arc3,rad={rad}",
        arrowstyle="-|>",
        mutation_scale=8 + 2 * width,
        linewidth=width,
        color=colour,
        linestyle=style,
        shrinkA=math.sqrt(area[src]) / 2,
        shrinkB=math.sqrt(area[dst]) / 2 + 2,
        alpha=0.85,
        zorder=1,
    )
    arrow.set_gid(f"deal:{row['deal_id']}")
    ax.add_patch(arrow)


def _node_label(name: str, valuation: float | None) -> str:
    if not valuation:
        return name
    if valuation >= 1000:
        return f"{name}\n${valuation / 1000:,.2f}T"
    return f"{name}\n${valuation:,.0f}B"


def _draw_nodes(
    ax: Axes,
    pos: dict[str, tuple[float, float]],
    area: dict[str, float],
    valuation: dict[str, float],
) -> None:
    """The firms in their colours, each labelled with its valuation, outward from the centre."""
    names = list(pos)
    xy = np.array([pos[n] for n in names])
    ax.scatter(xy[:, 0], xy[:, 1], s=[area[n] for n in names], c=[colour_for(n) for n in names],
               edgecolors="white", linewidths=1.2, zorder=2)
    for name, (x, y) in pos.items():
        radius = math.sqrt(area[name]) / 2 + 3
        norm = math.hypot(x, y)
        ux, uy = (x / norm, y / norm) if norm > 1e-9 else (0.75, -0.75)  # outward from centre
        ax.annotate(
            _node_label(name, valuation.get(name)),
            (x, y),
            xytext=(ux * radius, uy * radius),
            textcoords="offset points",
            ha="center" if abs(ux) < 0.3 else ("left" if ux > 0 else "right"),
            va="center" if abs(uy) < 0.3 else ("bottom" if uy > 0 else "top"),
            fontsize="x-small",
            zorder=3,
        )


def draw_network(
    ax: Axes,
    deals: pl.DataFrame,
    firms: pl.DataFrame,
    step: int,
    pos: dict[str, tuple[float, float]],
    max_valuation: float,
    max_value: float,
) -> Axes:
    """Draw the firms and the deals live at `step` on `ax` (positions from `compute_layout`)."""
    vals = firms.filter(pl.col("step") == step)
    valuation = dict(zip(vals["firm"].to_list(), vals["valuation_usd_b"].to_list(), strict=True))
    area = _node_areas(pos, valuation, max_valuation)
    pair_count: dict[tuple[str, ...], int] = {}
    for path, status in compute_live_deals(deals, step):
        key = tuple(sorted((path.row["source"], path.row["target"])))
        k = pair_count.get(key, 0)
        pair_count[key] = k + 1
        _draw_edge(ax, path.row, status, k, pos, area, max_value)
    _draw_nodes(ax, pos, area, valuation)
    ax.set_xlim(-1.6, 1.6)
    ax.set_ylim(-1.45, 1.55)
    ax.set_aspect("equal")
    ax.set_axis_off()
    return ax


def _legend_handles(kinds: list[str]) -> list[Line2D]:
    handles = [
        Line2D(
            [],
            [],
            color=DEAL_KIND_COLOURS.get(k, "#555555"),
            linewidth=2.5,
            label=k.replace("_", " "),
        )
        for k in kinds
    ]
    handles.append(Line2D([], [], color="#555555", linestyle="-", label="signed (binding)"))
    handles.append(Line2D([], [], color="#555555", linestyle="--", label="LOI / stalled"))
    handles.append(
        Line2D(
            [],
            [],
            marker="o",
            color="#999999",
            linestyle="none",
            markersize=9,
            label="node area ∝ valuation ($)",
        )
    )
    handles.append(
        Line2D([], [], color="#555555", linewidth=4, label="edge width ∝ deal value ($)")
    )
    return handles


def figure_network(source: Source, dates: list[str] | None = None) -> Figure:
    """The deal network of one run (a batch draws its first run) at `dates` (``YYYY-MM``;
    default: four evenly spaced months), one panel per date on one fixed layout."""
    assert source.run is not None
    deals, firms = source.run.tables["deals"], source.run.tables["firms"]
    steps = resolve_steps(firms, dates)
    pos = compute_layout(deals, firms["firm"].unique().to_list())
    max_val = float(firms["valuation_usd_b"].max() or 0.0)
    max_value = float(deals["value_usd_b"].max() or 0.0) if deals.height else 0.0
    n = len(steps)
    cols = 1 if n == 1 else 2
    rows = math.ceil(n / cols)
    fig = new_figure(5.2 * cols + 2.4, 5.0 * rows + 0.6)
    axes = fig.subplots(rows, cols, squeeze=False).ravel()
    shown_kinds: set[str] = set()
    for ax, (step, date) in zip(axes, steps, strict=False):
        draw_network(ax, deals, firms, step, pos, max_val, max_value)
        live = compute_live_deals(deals, step)
        shown_kinds |= {p.row["kind"] for p, _ in live}
        ax.set_title(
            f"{date:%Y-%m}: {len(live)} live deal{'s' if len(live) != 1 else ''}", loc="left"
        )
    for ax in axes[n:]:
        ax.set_axis_off()
    all_kinds = {p.row["kind"] for p in compute_deal_paths(deals)}
    kinds = [k for k in DEAL_KIND_COLOURS if k in shown_kinds | all_kinds]
    handles = _legend_handles(kinds)
    fig.legend(
        handles=handles,
        loc="outside right upper",
        frameon=False,
        fontsize="small",
        title="deal kind",
    )
    fig.suptitle(f"Deal network — {source.run_label}", x=0.01, ha="left", fontweight="bold")
    return fig
