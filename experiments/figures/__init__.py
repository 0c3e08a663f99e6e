"""Figures of runs, batches and what-if comparisons (matplotlib, no pyplot state).

`load_source` reads a run, batch or comparison directory; `render_figure(source, kind)` draws
one of `FIGURE_KINDS`; `save_figure` writes PNG or SVG. One look everywhere: fixed firm colours
(`experiments.colours`), units on axes, dates on time axes, legends outside the data, titles
naming the scenario and seed(s).
"""

from experiments.figures.render import FIGURE_KINDS, KIND_TITLES, available_kinds, render_figure
from experiments.figures.sources import Source, load_source, source_from_results
from experiments.figures.style import save_figure

__all__ = [
    "FIGURE_KINDS",
    "KIND_TITLES",
    "Source",
    "available_kinds",
    "load_source",
    "render_figure",
    "save_figure",
    "source_from_results",
]
