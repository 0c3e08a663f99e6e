"""The app's figures, drawn fast enough to follow the model month by month.

A new matplotlib figure costs most of a second (axes, ticks, legends, layout); the app keeps one
figure per model for the market shares and the HHI, with its axes, ticks, legends and the
Guidelines thresholds drawn once over the whole horizon, and per month only replaces the data
(stacked shares, HHI lines). The reference run (the scenario with no lever moved) is drawn once,
dashed, and shown or hidden. The deal network is the static figure's `draw_network` on a small
figure. Colours, firm order and thresholds are those of `experiments.figures`.
"""

from __future__ import annotations

import io
import time
from typing import Any

import numpy as np
import polars as pl
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter, PercentFormatter

from experiments.figures.colours import colour_for, ordered_names
from experiments.figures.deals import compute_live_deals
from experiments.figures.network import compute_layout, draw_network
from experiments.figures.style import (
    HHI_HIGHLY_CONCENTRATED,
    HHI_MODERATELY_CONCENTRATED,
    MARKET_COLOURS,
    MARKET_TITLES,
)
from world.params import MARKETS

__all__ = ["Painter"]

DPI = 72
FIRMS = ("Nvidia", "AMD", "OpenAI", "Amazon", "Microsoft", "Oracle")


def _png(fig: Figure) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI)
    return buf.getvalue()


def _wide(shares: pl.DataFrame, market: str) -> tuple[np.ndarray, list[str], list[np.ndarray]]:
    rows = shares.filter(pl.col("market") == market)
    wide = (rows.pivot(on="firm", index="step", values="share", aggregate_function="sum")
            .sort("step").fill_null(0.0))
    firms = ordered_names(c for c in wide.columns if c != "step")
    return wide["step"].to_numpy(), firms, [wide[f].to_numpy() for f in firms]


class Painter:
    """The figures of one model run: shares and HHI on a kept figure, the network anew.

    Args:
        steps: the run's horizon (months); the x axes span it from the start.
        start: the start month, ``YYYY-MM`` (year ticks at each January).
    """

    def __init__(self, steps: int, start: str) -> None:
        self.steps = steps
        self.fig = Figure(figsize=(7.6, 8.4), dpi=DPI)
        FigureCanvasAgg(self.fig)
        self.axes = self.fig.subplots(4, 1, sharex=True)
        self.fig.subplots_adjust(left=0.1, right=0.74, top=0.96, bottom=0.04, hspace=0.32)
        self.dynamic: list[Any] = []
        self.reference: list[Any] = []
        self._ref_key: Any = None
        self._setup_axes(int(start[5:7]), int(start[:4]))
        self.cache: dict[Any, bytes] = {}
        self._background: Any = None
        self._background_ref: bool | None = None

    def _setup_axes(self, month: int, year: int) -> None:
        first_jan = (13 - month) % 12  # steps from the start to the next January
        ticks = list(range(first_jan, self.steps + 1, 12))
        for ax, market in zip(self.axes[:3], MARKETS, strict=True):
            ax.set_ylim(0, 1)
            ax.yaxis.set_major_formatter(PercentFormatter(xmax=1.0, decimals=0))
            ax.set_title(f"{MARKET_TITLES[market]}: shares", loc="left", fontsize=9)
        hhi = self.axes[3]
        hhi.set_ylim(0, 10_000)
        hhi.axhline(HHI_HIGHLY_CONCENTRATED, color="#cb181d", ls="--", lw=1,
                    label="1,800 highly concentrated")
        hhi.axhline(HHI_MODERATELY_CONCENTRATED, color="#fd8d3c", ls=":", lw=1,
                    label="1,000 moderately")
        hhi.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))
        hhi.set_title("HHI (0-10,000), 2023 Merger Guidelines thresholds", loc="left",
                      fontsize=9)
        self.hhi_lines = {m: hhi.plot([], [], color=MARKET_COLOURS[m], lw=1.8,
                                      label=MARKET_TITLES[m])[0] for m in MARKETS}
        hhi.set_xlim(0, self.steps)
        hhi.set_xticks(ticks, [str(year + (month > 1) + i) for i in range(len(ticks))])
        firms = [Patch(color=colour_for(f), label=f) for f in FIRMS]
        firms.append(Patch(color="#bdbdbd", label="others (fringe)"))
        self.axes[0].legend(handles=firms, loc="upper left", bbox_to_anchor=(1.01, 1.0),
                            frameon=False, fontsize=8, title="firm", title_fontsize=8)
        hhi.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False, fontsize=8)
        self.ref_legend = Line2D([], [], color="black", ls="--", lw=1,
                                 label="reference run\n(no lever moved)")

    def _draw_reference(self, reference: Any) -> None:
        for artist in self.reference:
            artist.remove()
        self.reference = []
        shares, markets = reference.tables["shares"], reference.tables["markets"]
        for ax, market in zip(self.axes[:3], MARKETS, strict=True):
            steps, _, cols = _wide(shares, market)
            tops = np.cumsum(np.vstack(cols), axis=0)[:-1] if cols else []
            for top in tops:
                self.reference += ax.plot(steps, top, color="black", ls="--", lw=0.8,
                                          animated=True)
        for market in MARKETS:
            rows = markets.filter(pl.col("market") == market).sort("step")
            self.reference += self.axes[3].plot(rows["step"].to_numpy(), rows["hhi"].to_numpy(),
                                                color=MARKET_COLOURS[market], ls="--", lw=1,
                                                animated=True)
        self.reference.append(self.axes[1].legend(handles=[self.ref_legend], loc="upper left",
                                                   bbox_to_anchor=(1.01, 1.0), frameon=False,
                                                   fontsize=8))

    def render_market(self, t: int, shares: pl.DataFrame, markets: pl.DataFrame,
                      reference: Any = None, key: Any = None) -> bytes:
        """PNG of the shares and HHI up to month `t`, with the reference run if given.

        The axes, ticks, legends, thresholds and reference lines are rendered once into a
        background (again only when the reference is shown or hidden); each month restores it
        and draws the new areas and lines on top (matplotlib's blitting).
        """
        cache_key = (t, key if reference is not None else None)
        if cache_key in self.cache:
            return self.cache[cache_key]
        for artist in self.dynamic:
            artist.remove()
        self.dynamic = []
        for ax, market in zip(self.axes[:3], MARKETS, strict=True):
            steps, firms, cols = _wide(shares, market)
            if firms:
                self.dynamic += ax.stackplot(steps, *cols, colors=[colour_for(f) for f in firms],
                                             linewidth=0, animated=True)
        for market, line in self.hhi_lines.items():
            rows = markets.filter(pl.col("market") == market).sort("step")
            line.set_data(rows["step"].to_numpy(), rows["hhi"].to_numpy())
            line.set_animated(True)
        if reference is not None and self._ref_key != key:
            self._draw_reference(reference)
            self._ref_key = key
            self._background = None
        for artist in self.reference:
            artist.set_visible(reference is not None)
        canvas = self.fig.canvas
        if self._background is None or self._background_ref != (reference is not None):
            canvas.draw()  # animated artists are left out of the background
            self._background = canvas.copy_from_bbox(self.fig.bbox)
            self._background_ref = reference is not None
        canvas.restore_region(self._background)
        shown = self.reference if reference is not None else []
        for artist in [*self.dynamic, *self.hhi_lines.values(), *shown]:
            if artist.get_animated():
                artist.axes.draw_artist(artist)
        png = _encode_png(canvas)
        self.cache = {cache_key: png}
        return png


def _encode_png(canvas: FigureCanvasAgg) -> bytes:
    """The canvas's pixels as PNG (fast zlib level; the figure is redrawn every month)."""
    from PIL import Image

    buf = io.BytesIO()
    Image.frombuffer("RGBA", canvas.get_width_height(), canvas.buffer_rgba(), "raw", "RGBA",
                     0, 1).save(buf, format="png", compress_level=1)
    return buf.getvalue()


def render_network(deals: pl.DataFrame, firms: pl.DataFrame, month: str) -> bytes:
    """PNG of the deal network at the last month of `firms` (layout over the deals so far)."""
    step = int(firms["step"].max())
    fig = Figure(figsize=(5.6, 5.2), dpi=DPI)
    FigureCanvasAgg(fig)
    ax = fig.add_axes((0.0, 0.0, 1.0, 0.93))
    pos = compute_layout(deals, firms["firm"].unique().to_list())
    max_value = float(deals["value_usd_b"].max() or 0.0) if deals.height else 0.0
    draw_network(ax, deals, firms, step, pos, float(firms["valuation_usd_b"].max()), max_value)
    n = len(compute_live_deals(deals, step))
    fig.suptitle(f"Deal network {month}: {n} live deals; dotted = stakes held", x=0.01,
                 ha="left", fontsize=9)
    return _png(fig)


def timed(fn: Any, *args: Any) -> tuple[Any, float]:
    """`fn(*args)` and the milliseconds it took."""
    t0 = time.perf_counter()
    out = fn(*args)
    return out, 1000 * (time.perf_counter() - t0)
