"""Figures of runs, batches and what-if comparisons (matplotlib, no pyplot state).

`load_source` reads a run, batch or comparison directory; `render_figure(source, kind)` draws
one of `FIGURE_KINDS`; `save_figure` writes PNG or SVG. One look everywhere: fixed firm colours
(`experiments.figures.colours`), units on axes, dates on time axes, legends outside the data, titles
naming the scenario and seed(s).
"""

from __future__ import annotations

import importlib
from typing import Any

_HOMES = {
    "FIGURE_KINDS": "kinds",
    "KIND_TITLES": "kinds",
    "available_kinds": "render",
    "render_figure": "render",
    "Source": "sources",
    "load_source": "sources",
    "source_from_results": "sources",
    "save_figure": "style",
}

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


def __getattr__(name: str) -> Any:
    """Import on first use (PEP 562): `compute-market` does not pay for matplotlib unless it
    draws."""
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_HOMES[name]}"), name)
