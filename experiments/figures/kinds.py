"""The figure kinds and their titles (plain data: the command line reads them without
importing matplotlib)."""

__all__ = ["FIGURE_KINDS", "KIND_TITLES"]

FIGURE_KINDS = ("shares", "hhi", "network", "deals", "physical", "compare")
"""Every figure kind, in report order."""
KIND_TITLES = {
    "shares": "Market shares",
    "hhi": "Market concentration (HHI)",
    "network": "Deal network",
    "deals": "Deal timeline",
    "physical": "Physical layer: chips, power, energy",
    "compare": "What-if differences",
}
