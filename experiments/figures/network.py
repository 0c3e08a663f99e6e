"""The deal network at chosen dates, rebuilt from a run's `deals` and `firms` tables.

Nodes are the firms (and any fringe party to a deal), their area proportional to the firm's
valuation at that date, on one scale for all panels. Edges are the deals live at that date
(`experiments.figures.deals.compute_live_deals`), coloured by kind, their width scaled by the
deal's value, dashed while not yet binding (proposed, LOI, stalled). Equity stakes held at that
date (equity and warrant deals completed by then, summed per investor and investee) are drawn as
dotted edges labelled with the share owned and the money paid in. A firm's supply of its own
chips (an in-house accelerator programme, source = target) is a square badge beside its node,
not a loop. The layout is computed once per run, not per date: the most connected firm sits in
the centre and the others on a circle in the fixed firm order, so a node never moves from panel
to panel and changes are easy to see.
"""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import polars as pl
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import FancyArrowPatch

from experiments.errors import UserError
from experiments.figures.colours import colour_for, ordered_names
from experiments.figures.deals import compute_deal_paths, compute_live_deals
from experiments.figures.sources import Source
from experiments.figures.style import DEAL_KIND_COLOURS, new_figure
from world.contracts import DealStatus
from world.params import DealKind

__all__ = ["compute_held_stakes", "compute_layout", "draw_network", "figure_network",
           "resolve_steps"]

NOT_BINDING = frozenset({DealStatus.PROPOSED, DealStatus.LOI, DealStatus.STALLED})
"""Statuses drawn dashed: talks, not yet a binding commitment."""
MAX_NODE_AREA = 2600.0  # points^2
MIN_NODE_AREA = 120.0
MAX_EDGE_WIDTH = 7.0
MIN_EDGE_WIDTH = 0.8
DEFAULT_PANELS = 4
STAKE_KINDS = frozenset({DealKind.EQUITY, DealKind.WARRANT})
"""Deal kinds that buy a stake: held once completed."""
OWN_CHIPS_COLOUR = "#444444"


def compute_held_stakes(deals: pl.DataFrame, step: int) -> list[dict]:
    """Equity stakes held at `step`: equity and warrant deals whose status at `step` is
    ``completed`` (paid in), summed per (investor, investee).

    Returns:
        Rows ``source, target, equity_pct, value_usd_b, deal_ids`` sorted by investor and
        investee; ``equity_pct`` is the sum of the deals' percentages at signing (a later
        round's dilution is not tracked by the deals table).
    """
    held: dict[tuple[str, str], dict] = {}
    for path in compute_deal_paths(deals):
        row = path.row
        if row["kind"] not in STAKE_KINDS or path.compute_status_at(step) != DealStatus.COMPLETED:
            continue
        key = (row["source"], row["target"])
        h = held.setdefault(key, {"source": key[0], "target": key[1], "equity_pct": 0.0,
                                  "value_usd_b": 0.0, "deal_ids": []})
        h["equity_pct"] += float(row.get("equity_pct") or 0.0)
        h["value_usd_b"] += float(row.get("value_usd_b") or 0.0)
        h["deal_ids"].append(str(row["deal_id"]))
    return [held[k] for k in sorted(held)]


def _draw_stakes(ax: Axes, deals: pl.DataFrame, step: int, pos: dict, area: dict,
                 max_value: float) -> None:
    """Dotted investor -> investee edges of the stakes held, labelled '% owned, $ paid'."""
    colour = DEAL_KIND_COLOURS[DealKind.EQUITY]
    for h in compute_held_stakes(deals, step):
        src, dst = h["source"], h["target"]
        if src == dst or src not in pos or dst not in pos:
            continue
        width = _edge_width(h["value_usd_b"], max_value)
        stake = FancyArrowPatch(
            pos[src], pos[dst], connectionstyle="arc3,rad=-0.28", arrowstyle="-|>",
            mutation_scale=8 + 2 * width, linewidth=width, color=colour, linestyle=":",
            shrinkA=math.sqrt(area[src]) / 2, shrinkB=math.sqrt(area[dst]) / 2 + 2,
            alpha=0.9, zorder=1)
        stake.set_gid(f"stake:{src}->{dst}")
        ax.add_patch(stake)
        (x0, y0), (x1, y1) = pos[src], pos[dst]
        mx, my = (x0 + x1) / 2, (y0 + y1) / 2
        nx, ny = (y1 - y0), -(x1 - x0)  # the side the arc bulges to (rad < 0)
        norm = math.hypot(nx, ny) or 1.0
        off = 0.14 * math.hypot(x1 - x0, y1 - y0)
        pct = f"{h['equity_pct']:.1f}% " if h["equity_pct"] else ""
        v = h["value_usd_b"]
        money = f"${v:,.0f}B" if v >= 10 else f"${v:.1f}B"
        ax.text(mx - nx / norm * off, my - ny / norm * off,
                f"stake {pct}({money})", fontsize=6.5, color=colour,
                ha="center", va="center", zorder=3,
                bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.8})


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
    """One live deal between two firms: an arrow source -> target (the k-th between the pair
    curves away from the others). A firm's own programme (source = target) is not an edge: it is
    drawn by `_draw_own_chips`."""
    src, dst = row["source"], row["target"]
    colour = DEAL_KIND_COLOURS.get(row["kind"], "#555555")
    width = _edge_width(row.get("value_usd_b") or 0.0, max_value)
    style = "--" if status in NOT_BINDING else "-"
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


def _draw_own_chips(
    ax: Axes,
    pos: dict[str, tuple[float, float]],
    area: dict[str, float],
    own: dict[str, list[str]],
) -> None:
    """A square 'own chips' badge beside each firm supplying its own chips (in-house supply,
    no counterparty), its border dashed while every such deal is still talks."""
    for name, statuses in own.items():
        x, y = pos[name]
        r = math.sqrt(area[name]) / 2
        ax.annotate("own chips", (x, y), xytext=(-r - 4, r + 2), textcoords="offset points",
                    ha="right", va="bottom", fontsize=6, color="white", zorder=4,
                    bbox={"boxstyle": "square,pad=0.2", "fc": OWN_CHIPS_COLOUR,
                          "ec": "none", "ls": "--" if set(statuses) <= NOT_BINDING else "-"})


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
    _draw_stakes(ax, deals, step, pos, area, max_value)
    pair_count: dict[tuple[str, ...], int] = {}
    own: dict[str, list[str]] = {}
    for path, status in compute_live_deals(deals, step):
        src, dst = path.row["source"], path.row["target"]
        if src == dst:  # a firm's own chips (an in-house programme): a badge, not a loop
            own.setdefault(src, []).append(status)
            continue
        key = tuple(sorted((src, dst)))
        k = pair_count.get(key, 0)
        pair_count[key] = k + 1
        _draw_edge(ax, path.row, status, k, pos, area, max_value)
    _draw_nodes(ax, pos, area, valuation)
    _draw_own_chips(ax, pos, area, own)
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
    handles.append(Line2D([], [], color=DEAL_KIND_COLOURS[DealKind.EQUITY],
                          linestyle=":", linewidth=2.5,
                          label="stake held (completed equity): % owned, $ paid in"))
    handles.append(Line2D([], [], marker="s", color=OWN_CHIPS_COLOUR, linestyle="none",
                          markersize=8, label="own chips (in-house supply, no counterparty)"))
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
