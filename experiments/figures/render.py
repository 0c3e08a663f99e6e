"""Which figures a source can give, and drawing one by kind (what `plot` and `report` call)."""

from __future__ import annotations

from collections.abc import Callable

from matplotlib.figure import Figure

from experiments.errors import UserError
from experiments.figures.compare import figure_compare
from experiments.figures.deals import figure_deals
from experiments.figures.kinds import FIGURE_KINDS, KIND_TITLES
from experiments.figures.network import figure_network
from experiments.figures.sources import Source
from experiments.figures.timeseries import figure_hhi, figure_physical, figure_shares

__all__ = ["FIGURE_KINDS", "KIND_TITLES", "available_kinds", "render_figure"]

_DRAW: dict[str, Callable[[Source], Figure]] = {
    "shares": figure_shares,
    "hhi": figure_hhi,
    "deals": figure_deals,
    "physical": figure_physical,
    "compare": figure_compare,
}


def available_kinds(source: Source) -> list[str]:
    """The figure kinds `source` can draw (a comparison: only ``compare``)."""
    if source.kind == "compare":
        return ["compare"]
    return [k for k in FIGURE_KINDS if k != "compare"]


def render_figure(source: Source, kind: str, dates: list[str] | None = None) -> Figure:
    """Draw figure `kind` of `source`.

    Args:
        source: a run, batch or comparison (`experiments.figures.sources.load_source`).
        kind: one of `FIGURE_KINDS`.
        dates: for ``network``, the ``YYYY-MM`` months to draw (default: four).

    Raises:
        UserError: a kind this source cannot draw, with the kinds it can.
    """
    kinds = available_kinds(source)
    if kind not in kinds:
        where = source.path or "these results"
        hint = (
            "give a comparison directory (written by `compute-market compare`)"
            if kind == "compare"
            else "give a run or batch directory"
        )
        raise UserError(
            f"{where} is a {source.kind}; it can draw {', '.join(kinds)}, not {kind!r}: {hint}"
        )
    if kind == "network":
        return figure_network(source, dates)
    return _DRAW[kind](source)
