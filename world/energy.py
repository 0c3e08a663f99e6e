"""Energy of deployed compute: TWh and US-homes equivalents (docs/odd.md).

One load factor for both: a datacenter draws `DEFAULT_UTILISATION` of its facility power on
average, so energy = power x hours x utilisation, and the homes equivalent compares that same
average draw with the average draw of a US home, 1.25 kW (~11,000 kWh a year). At full
draw (utilisation 1) this is the press comparison "10 GW ~ 8 million homes" (facts.toml
power_to_homes: 0.8-0.9 million homes per GW); at the 0.8 average load 10 GW of deployed
compute equals ~6.4 million homes, consistent with the TWh reported beside it.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

__all__ = [
    "DEFAULT_UTILISATION",
    "GWH_PER_TWH",
    "HOMES_MILLIONS_PER_GW",
    "HOURS_PER_MONTH",
    "HOURS_PER_YEAR",
    "KW_PER_HOME",
    "energy_twh",
    "homes_millions",
    "twh_per_year",
]

HOURS_PER_YEAR = 8766.0
"""Hours in an average (Julian) year, 365.25 x 24 (unit conversion)."""

HOURS_PER_MONTH = HOURS_PER_YEAR / 12.0
"""Hours in an average month, 730.5 (one model step)."""

GWH_PER_TWH = 1000.0
"""GWh in one TWh (unit conversion)."""

HOMES_MILLIONS_PER_GW = 0.8
"""Millions of US homes whose average draw equals 1 GW drawn in full: 10 GW ~ 8 million homes
(French press 2026-02-07; facts.toml power_to_homes gives 0.8-0.9)."""

KW_PER_HOME = 1.0 / HOMES_MILLIONS_PER_GW
"""Average power draw of a US home implied by `HOMES_MILLIONS_PER_GW` (kW), 1.25."""

DEFAULT_UTILISATION = 0.8
"""Average load of an AI datacenter as a fraction of its facility power. An assumption (not in
facts.toml): training clusters run near full load, inference and cooling headroom lower it."""


def energy_twh(
    gw: ArrayLike, months: float = 1.0, utilisation: float = DEFAULT_UTILISATION
) -> np.ndarray | float:
    """Energy used by `gw` GW of facility power over `months` months (TWh).

    Rule: gw x months x `HOURS_PER_MONTH` x utilisation / 1000.

    Raises:
        ValueError: if `utilisation` is outside [0, 1] or `months` is negative.
    """
    if not 0.0 <= utilisation <= 1.0:
        raise ValueError(f"utilisation must be in [0, 1], got {utilisation}")
    if months < 0:
        raise ValueError(f"months must be >= 0, got {months}")
    out = np.asarray(gw, dtype=float) * (months * HOURS_PER_MONTH * utilisation / GWH_PER_TWH)
    return float(out) if out.ndim == 0 else out


def twh_per_year(gw: ArrayLike, utilisation: float = DEFAULT_UTILISATION) -> np.ndarray | float:
    """Annual energy of `gw` GW of facility power (TWh per year): `energy_twh` over 12 months."""
    return energy_twh(gw, months=12.0, utilisation=utilisation)


def homes_millions(gw: ArrayLike, utilisation: float = DEFAULT_UTILISATION) -> np.ndarray | float:
    """US homes (millions) whose average draw equals the average draw of `gw` GW of facility
    power: gw x utilisation x `HOMES_MILLIONS_PER_GW` (the load factor of `energy_twh`).

    Source: French press 2026-02-07, 10 GW ~ 8 million US homes at full draw (facts.toml
    power_to_homes).

    Raises:
        ValueError: if `utilisation` is outside [0, 1].
    """
    if not 0.0 <= utilisation <= 1.0:
        raise ValueError(f"utilisation must be in [0, 1], got {utilisation}")
    out = np.asarray(gw, dtype=float) * (HOMES_MILLIONS_PER_GW * utilisation)
    return float(out) if out.ndim == 0 else out
