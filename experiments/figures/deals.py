"""Deal paths from the `deals` table: parse each deal's history, find the deals live at a step,
and draw the deal timeline (announcement, LOI, definitive, tranches, stall, block...).

A deal's ``history`` column reads ``"8:loi > 11:stalled > 14:renegotiated"`` (step:status).
A deal is *live* from its first step up to, not including, the step of a terminal status
(``completed``, ``renegotiated``, ``abandoned``, ``blocked``, ``defaulted``); a deal with no
terminal status is live to the end of the run. ``stalled`` is not terminal (talks can resume).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import polars as pl
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from experiments.figures.sources import Source
from experiments.figures.style import (
    STATUS_COLOURS,
    format_date_axis,
    legend_outside,
    new_figure,
)
from world.contracts import DealStatus
from world.ledger import FlowKind

__all__ = [
    "TERMINAL",
    "DealPath",
    "compute_deal_paths",
    "compute_live_deals",
    "deal_id_key",
    "figure_deals",
    "parse_history",
]

TERMINAL = frozenset(
    {
        DealStatus.COMPLETED,
        DealStatus.RENEGOTIATED,
        DealStatus.ABANDONED,
        DealStatus.BLOCKED,
        DealStatus.DEFAULTED,
    }
)
"""Statuses that end a deal's life on the network."""
TERMINAL_MARKERS = {
    DealStatus.COMPLETED: ("o", "completed"),
    DealStatus.RENEGOTIATED: ("D", "renegotiated (replaced)"),
    DealStatus.ABANDONED: ("x", "abandoned"),
    DealStatus.BLOCKED: ("X", "blocked by the regulator"),
    DealStatus.DEFAULTED: ("v", "defaulted"),
}
TRANCHE_KINDS = (FlowKind.EQUITY_INVESTMENT, FlowKind.WARRANT)
"""Money-flow kinds drawn as tranche ticks on the timeline."""


def parse_history(text: str | None) -> list[tuple[int, str]]:
    """``"8:loi > 11:stalled"`` -> ``[(8, 'loi'), (11, 'stalled')]`` (empty for no history)."""
    out: list[tuple[int, str]] = []
    for part in (text or "").split(">"):
        part = part.strip()
        if not part:
            continue
        step, _, status = part.partition(":")
        out.append((int(step), status.strip()))
    return out


@dataclass(frozen=True)
class DealPath:
    """One deal's lifecycle: its row of the `deals` table and its (step, status) history."""

    row: dict
    history: tuple[tuple[int, str], ...]

    @property
    def first_step(self) -> int:
        """Step of the announcement (first recorded status, else `step_proposed`)."""
        return self.history[0][0] if self.history else int(self.row.get("step_proposed") or 0)

    @property
    def end_step(self) -> int | None:
        """Step of the terminal status, None while the deal is live."""
        ends = [s for s, status in self.history if status in TERMINAL]
        return ends[0] if ends else None

    def compute_status_at(self, step: int) -> str | None:
        """Status at `step` (the last one recorded at or before it), None before it starts."""
        now = None
        for s, status in self.history:
            if s > step:
                break
            now = status
        return now

    def is_live_at(self, step: int) -> bool:
        """True from the first step up to (not including) the terminal status's step."""
        end = self.end_step
        return self.first_step <= step and (end is None or step < end)


def compute_deal_paths(deals: pl.DataFrame) -> list[DealPath]:
    """Every deal's path, sorted by announcement step then deal id."""
    paths = []
    for row in deals.iter_rows(named=True):
        history = parse_history(row.get("history"))
        if not history and row.get("step_proposed") is not None:
            history = [(int(row["step_proposed"]), str(row["status"]))]
        paths.append(DealPath(row, tuple(history)))
    return sorted(paths, key=lambda p: (p.first_step, str(p.row["deal_id"])))


def compute_live_deals(deals: pl.DataFrame, step: int) -> list[tuple[DealPath, str]]:
    """The deals live at `step` with their status then (the edges of the network)."""
    out = []
    for path in compute_deal_paths(deals):
        if path.is_live_at(step):
            out.append((path, path.compute_status_at(step) or str(path.row["status"])))
    return out


def deal_id_key(deals: pl.DataFrame) -> list[str]:
    """What the deal ids of a run mean, one line per family present in `deals`.

    Ids of dated announcements are the scenario's ``[[events]]`` ids (the baseline numbers the
    2024-2026 announcements D0-D8; a suffix such as ``-warrant`` or ``-rest`` names a part of
    one announcement, and ``parent_id`` links a restructured deal to the one it replaces); ids
    ``PREFIX-0001`` are deals the agents negotiated during the run, numbered per kind.
    """
    if deals.is_empty():
        return []
    lines = []
    events = deals.filter(pl.col("origin") == "event") if "origin" in deals.columns else deals
    if events.height:
        ids = sorted({str(i) if not str(i).startswith("D") else str(i).split("-")[0]
                      for i in events["deal_id"].to_list()})
        lines.append(f"{', '.join(ids)}: dated announcements replayed from the scenario's "
                     "events (the scenario file cites each one's source); a suffix such as "
                     "-warrant or -rest names one part of an announcement")
    if "origin" in deals.columns:
        own = deals.filter(pl.col("origin") != "event")
        prefixes: dict[str, set[str]] = {}
        for deal_id, kind in own.select("deal_id", "kind").iter_rows():
            prefixes.setdefault(str(deal_id).split("-")[0], set()).add(str(kind))
        for prefix in sorted(prefixes):
            kinds = " / ".join(sorted(k.replace("_", " ") for k in prefixes[prefix]))
            lines.append(f"{prefix}-0001...: {kinds} deals the agents negotiated during the "
                         "run, numbered in order")
    if "parent_id" in deals.columns and deals["parent_id"].drop_nulls().len():
        lines.append("a deal with a parent id replaces (restructures) that deal")
    return lines


def _step_dates(source: Source) -> dict[int, dt.date]:
    firms = source.run.tables["firms"] if source.run is not None else None
    if firms is None or firms.is_empty():
        return {}
    pairs = firms.select("step", "date").unique().sort("step")
    return dict(zip(pairs["step"].to_list(), pairs["date"].to_list(), strict=True))


def _date_of(step: int, dates: dict[int, dt.date]) -> dt.date:
    if step in dates:
        return dates[step]
    first = min(dates)
    base = dates[first]
    months = base.year * 12 + base.month - 1 + (step - first)
    return dt.date(months // 12, months % 12 + 1, 1)


def _deal_label(row: dict) -> str:
    value = row.get("value_usd_b") or 0.0
    money = f"${value:,.0f}B" if value >= 1 else (f"${value:.1f}B" if value else "")
    gw = row.get("gw") or 0.0
    size = ", ".join(x for x in (money, f"{gw:.1f} GW" if gw else "") if x)
    kind = str(row["kind"]).replace("_", " ")
    return f"{row['deal_id']}: {row['source']}→{row['target']} {kind}" + (
        f" ({size})" if size else ""
    )


def _draw_path(
    ax: Axes, y: int, path: DealPath, dates: dict[int, dt.date], last_step: int
) -> tuple[set[str], str | None]:
    """One deal's row: a bar per status until the terminal one, then its marker. Returns the
    statuses drawn as bars and the terminal status (None while live)."""
    hist = list(path.history)
    drawn: set[str] = set()
    for k, (step, status) in enumerate(hist):
        if status in TERMINAL:
            marker, _ = TERMINAL_MARKERS[DealStatus(status)]
            ax.plot([_date_of(step, dates)], [y], marker=marker, color=STATUS_COLOURS[status],
                    markersize=7, markeredgewidth=1.5, linestyle="none", zorder=3)
            return drawn, status
        stop = hist[k + 1][0] if k + 1 < len(hist) else last_step + 1
        start_d = _date_of(step, dates)
        width = max(_date_of(stop, dates) - start_d, dt.timedelta(days=10))
        ax.barh(y, width, left=start_d, height=0.6, color=STATUS_COLOURS.get(status, "#ccc"),
                edgecolor="none")
        drawn.add(status)
    return drawn, None


def _draw_tranches(ax: Axes, flows: pl.DataFrame, paths: list[DealPath]) -> bool:
    """A tick on each deal's row at each equity or warrant tranche paid; True if any."""
    rows = flows.filter(pl.col("kind").is_in(TRANCHE_KINDS) & pl.col("deal_id").is_not_null())
    index = {str(p.row["deal_id"]): y for y, p in enumerate(paths)}
    points = [(r["date"], index[r["deal_id"]]) for r in rows.iter_rows(named=True)
              if r["deal_id"] in index]
    if points:
        tx, ty = zip(*points, strict=True)
        ax.plot(tx, ty, marker="|", color="black", markersize=11, markeredgewidth=1.6,
                linestyle="none", zorder=4)
    return bool(points)


def _legend_handles(seen_status: set[str], seen_end: set[str], tranches: bool) -> list[Artist]:
    handles: list[Artist] = [
        Patch(color=STATUS_COLOURS[s], label=s.replace("_", " "))
        for s in STATUS_COLOURS
        if s in seen_status
    ]
    handles += [
        Line2D([], [], marker=marker, color=STATUS_COLOURS[s], linestyle="none", label=label)
        for s, (marker, label) in TERMINAL_MARKERS.items()
        if s in seen_end
    ]
    if tranches:
        handles.append(Line2D([], [], marker="|", color="black", linestyle="none",
                              markersize=10, label="tranche paid"))
    return handles


def figure_deals(source: Source) -> Figure:
    """Deal timeline of one run (a batch draws its first run): one row per deal, bars coloured
    by status over time, a marker at the terminal status, ticks at equity/warrant tranches."""
    assert source.run is not None
    deals = source.run.tables["deals"]
    paths = compute_deal_paths(deals)
    dates = _step_dates(source)
    last_step = max(dates) if dates else max((p.first_step for p in paths), default=0)
    fig = new_figure(12.0, 1.8 + 0.32 * max(len(paths), 3))
    ax = fig.add_subplot()
    seen_status: set[str] = set()
    seen_end: set[str] = set()
    for y, path in enumerate(paths):
        drawn, end = _draw_path(ax, y, path, dates, last_step)
        seen_status |= drawn
        seen_end |= {end} if end else set()
    tranches = _draw_tranches(ax, source.run.tables["flows"], paths)
    ax.set_yticks(range(len(paths)), [_deal_label(p.row) for p in paths], fontsize="small")
    ax.set_ylim(len(paths) - 0.5, -0.5)
    if dates:
        ax.set_xlim(dates[min(dates)], _date_of(last_step + 1, dates))
    format_date_axis(ax)
    ax.grid(axis="x", color="#eeeeee")
    ax.set_axisbelow(True)
    handles = _legend_handles(seen_status, seen_end, tranches)
    legend_outside(ax, handles, [h.get_label() for h in handles], title="status")
    if not paths:
        ax.text(0.5, 0.5, "no deals in this run", ha="center", va="center", transform=ax.transAxes)
    ax.set_title(f"Deal timeline — {source.run_label}", loc="left")
    key = deal_id_key(deals)
    if key:
        import textwrap

        wrapped = [w for line in key for w in textwrap.wrap(line, 120, subsequent_indent="  ")]
        ax.set_xlabel("date (month)\n\nDeal ids — " + "\n".join(wrapped), fontsize="small",
                      loc="left")
    return fig
