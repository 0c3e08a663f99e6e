"""The shared look of every figure: colours, thresholds, date axes, outside legends, titles.

Firm colours come from `experiments.figures.colours` (one colour per firm in every figure and in the
app). Deal kinds, deal statuses, markets and physical quantities get their own palettes, chosen
to stay apart from the firm colours. Figures are `matplotlib.figure.Figure` objects (no pyplot,
no global state); `save_figure` attaches an Agg or SVG canvas explicitly.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import matplotlib.dates as mdates
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.backends.backend_svg import FigureCanvasSVG
from matplotlib.figure import Figure

from world.contracts import DealStatus
from world.params import DealKind

__all__ = [
    "DEAL_KIND_COLOURS",
    "HHI_HIGHLY_CONCENTRATED",
    "HHI_MODERATELY_CONCENTRATED",
    "MARKET_COLOURS",
    "MARKET_TITLES",
    "STATUS_COLOURS",
    "format_date_axis",
    "legend_outside",
    "new_figure",
    "save_figure",
    "variant_colour",
]

MARKET_TITLES = {
    "accelerators": "AI accelerators",
    "cloud": "AI cloud capacity",
    "frontier_ai": "Frontier AI",
}
MARKET_COLOURS = {"accelerators": "#4c72b0", "cloud": "#55a868", "frontier_ai": "#8172b2"}

DEAL_KIND_COLOURS: dict[str, str] = {
    DealKind.SUPPLY: "#6a3d9a",  # purple: chips
    DealKind.CLOUD_CAPACITY: "#1b9e9e",  # teal: leased capacity
    DealKind.EQUITY: "#e7298a",  # magenta: investment
    DealKind.WARRANT: "#b8860b",  # dark gold: options on shares
}
"""Edge colour of each deal kind (no firm uses these)."""

STATUS_COLOURS: dict[str, str] = {
    DealStatus.PROPOSED: "#d9d9d9",
    DealStatus.LOI: "#fdd66b",
    DealStatus.DEFINITIVE: "#9ecae1",
    DealStatus.UNDER_REVIEW: "#c9a0dc",
    DealStatus.ACTIVE: "#74c476",
    DealStatus.STALLED: "#fd8d3c",
    DealStatus.COMPLETED: "#238b45",
    DealStatus.RENEGOTIATED: "#6baed6",
    DealStatus.ABANDONED: "#969696",
    DealStatus.BLOCKED: "#cb181d",
    DealStatus.DEFAULTED: "#67000d",
}
"""Colour of each deal lifecycle status (world.contracts.DealStatus)."""

HHI_MODERATELY_CONCENTRATED = 1_000.0
HHI_HIGHLY_CONCENTRATED = 1_800.0
"""2023 US Merger Guidelines (guideline 1): HHI above 1,800 is highly concentrated (and a
merger raising it by more than 100 is presumed to lessen competition); 1,000-1,800 is
moderately concentrated; below 1,000 unconcentrated (U.S. DOJ and FTC, Merger Guidelines,
2023-12-18; facts.toml merger_guidelines_2023)."""

_VARIANT_PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b", "#17becf", "#bcbd22")


def variant_colour(index: int) -> str:
    """Colour of the `index`-th variant of a batch or comparison (cycled)."""
    return _VARIANT_PALETTE[index % len(_VARIANT_PALETTE)]


def new_figure(width: float, height: float) -> Figure:
    """A new constrained-layout figure, attached to no pyplot state."""
    return Figure(figsize=(width, height), layout="constrained")


def format_date_axis(ax: Axes, label: bool = True) -> None:
    """Concise year-month dates on the x axis (for axes whose x values are dates)."""
    locator = mdates.AutoDateLocator(minticks=4, maxticks=9)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
    if label:
        ax.set_xlabel("date (month)")


def legend_outside(ax: Axes, handles: list | None = None, labels: list | None = None, **kw) -> None:
    """A legend to the right of the axes, outside the data area (never hides data)."""
    if handles is None:
        handles, labels = ax.get_legend_handles_labels()
    if not handles:
        return
    opts = {"loc": "upper left", "bbox_to_anchor": (1.01, 1.0), "frameon": False}
    opts.update({"fontsize": "small", **kw})
    ax.legend(handles, labels, **opts)


def month_text(date: dt.date) -> str:
    """A date as 'YYYY-MM'."""
    return f"{date:%Y-%m}"


def save_figure(fig: Figure, path: str | Path, fmt: str | None = None, dpi: int = 120) -> Path:
    """Save `fig` as PNG or SVG with an explicit canvas (no backend switch); returns the path.

    Args:
        fig: the figure.
        path: where to write it.
        fmt: ``png`` or ``svg`` (default: from the file's suffix, else png).
        dpi: resolution of a PNG.
    """
    out = Path(path)
    fmt = (fmt or out.suffix.lstrip(".") or "png").lower()
    if fmt == "svg":
        FigureCanvasSVG(fig)
        fig.savefig(out, format="svg", metadata={"Date": None, "Creator": None})
    else:
        FigureCanvasAgg(fig)
        fig.savefig(out, format="png", dpi=dpi, metadata={"Software": None})
    return out
