"""One fixed colour per firm and fringe name, shared by every figure.

The six firms have their own colours (Nvidia green, AMD red, OpenAI near-black, Amazon orange,
Microsoft blue, Oracle dark red); every other name (fringe sellers and buyers, rival labs) gets a
grey picked from a fixed palette by a stable hash of the name, so a name has the same colour in
every figure and every run.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable

from world.params import FIRM_NAMES

__all__ = ["FIRM_COLOURS", "FRINGE_GREYS", "colour_for", "ordered_names"]

FIRM_COLOURS: dict[str, str] = {
    "Nvidia": "#76b900",
    "AMD": "#d62728",
    "OpenAI": "#1f1f1f",
    "Amazon": "#ff9900",
    "Microsoft": "#1f6fd1",
    "Oracle": "#8b1a1a",
}
"""Colour of each of the six firms (hex)."""

FRINGE_GREYS: tuple[str, ...] = ("#9e9e9e", "#bdbdbd", "#7a7a7a", "#d4d4d4", "#5e5e5e", "#adadad")
"""Greys for names outside the six firms (fringe sellers, rival labs)."""


def colour_for(name: str) -> str:
    """Return the fixed colour of a firm or fringe name (hex string)."""
    if name in FIRM_COLOURS:
        return FIRM_COLOURS[name]
    return FRINGE_GREYS[zlib.crc32(name.encode("utf-8")) % len(FRINGE_GREYS)]


def ordered_names(names: Iterable[str]) -> list[str]:
    """Order names for legends and stacks: the six firms in fixed order, then the rest sorted."""
    unique = set(names)
    return [f for f in FIRM_NAMES if f in unique] + sorted(unique - set(FIRM_NAMES))
