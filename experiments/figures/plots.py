"""Figures of one run. Every function takes a frame or results plus ``ax=None`` and returns axes.

No pyplot: figures are `matplotlib.figure.Figure` objects, so importing this module changes no
global state and picks no backend. Whoever saves a figure attaches an Agg canvas explicitly
(`save_figure`, the one of `experiments.figures.style`, re-exported here).
"""

from __future__ import annotations

import polars as pl
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from experiments.figures.sources import source_from_results
from experiments.figures.style import MARKET_TITLES, save_figure
from experiments.figures.timeseries import draw_share_areas, figure_shares
from experiments.run.results import Results
from world.params import MARKETS

__all__ = ["plot_share_panels", "plot_shares", "save_figure"]

def _new_axes(figsize: tuple[float, float] = (9.0, 4.5)) -> Axes:
    fig = Figure(figsize=figsize, layout="constrained")
    return fig.add_subplot()


def plot_shares(shares: pl.DataFrame, market: str, ax: Axes | None = None) -> Axes:
    """Stacked area of market shares over time for one run and one market.

    Args:
        shares: the run's `shares` table (columns run_id, scenario, seed, date, market, firm,
            share); if it holds several runs, the first run is drawn.
        market: ``accelerators``, ``cloud`` or ``frontier_ai``.
        ax: axes to draw on; a new figure is made if None.

    Returns:
        The axes, y in percent, legend outside the data, titled with scenario and seed.

    Raises:
        ValueError: if the table has no rows for `market`.
    """
    ax = ax if ax is not None else _new_axes()
    rows = shares.filter(pl.col("market") == market)
    if rows.is_empty():
        raise ValueError(f"no share rows for market {market!r} (markets are {', '.join(MARKETS)})")
    rows = rows.filter(pl.col("run_id") == rows["run_id"][0])
    scenario, seed = rows["scenario"][0], rows["seed"][0]
    title = f"{MARKET_TITLES.get(market, market)} — {scenario}, seed {seed}"
    return draw_share_areas(rows, market, ax, title=title)


def plot_share_panels(results: Results) -> Figure:
    """One figure with the share areas of the three markets, one panel each, shared time axis.

    The same figure as ``compute-market plot RUN --kind shares``
    (`experiments.figures.timeseries.figure_shares`).

    Args:
        results: one run's results.

    Returns:
        The figure (not attached to any pyplot state; save it with `save_figure`).
    """
    return figure_shares(source_from_results(results))
