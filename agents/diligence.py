"""Due diligence after a letter of intent: the investor or seller re-checks its counterparty.

Three tests (docs/odd.md; facts.toml D1b: Nvidia's doubts on OpenAI's financing and
discipline and on competition from Google and Anthropic; D1c: the restructured deal):

- financing capacity: (cash + expected funding) / commitments >= `min_financing_ratio`;
- discipline: burn / revenue <= `max_burn_to_revenue`;
- competitive position: frontier-AI market share >= `min_frontier_share`.

No failure -> passed (sign); exactly one -> restructure (smaller or different form, as D1c);
two or more -> stall (as D1b). Pure: reads its arguments, returns a report.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum

from world.params import NegotiationParams

FINANCING = "financing"
DISCIPLINE = "discipline"
COMPETITIVE_POSITION = "competitive_position"


class Verdict(StrEnum):
    """What the checker does with the deal after diligence."""

    PASSED = "passed"
    RESTRUCTURE = "restructure"
    STALL = "stall"


@dataclass(frozen=True, slots=True)
class DiligenceReport:
    """Ratios as the checker perceived them, the failed tests (in fixed order) and the verdict.

    Attributes:
        financing_ratio: (cash + expected funding) / commitments, dimensionless (inf if none).
        burn_to_revenue: yearly burn / yearly revenue, dimensionless (inf if no revenue).
        frontier_share: counterparty's frontier-AI share, fraction.
        failed: names of failed tests among 'financing', 'discipline', 'competitive_position'.
        verdict: passed, restructure or stall.
    """

    financing_ratio: float
    burn_to_revenue: float
    frontier_share: float
    failed: tuple[str, ...]
    verdict: Verdict


def _raise_negative(**amounts: float) -> None:
    """Raise for the first of `amounts` (name -> USD B or USD B per year) that is negative or
    NaN (`assess` calls it only when one is)."""
    for name, value in amounts.items():
        if math.isnan(value) or value < 0.0:
            raise ValueError(f"diligence: {name} must be >= 0, got {value!r}")


def assess(
    cash_usd_b: float,
    expected_funding_usd_b: float,
    commitments_usd_b: float,
    burn_usd_b_per_year: float,
    revenue_usd_b_per_year: float,
    frontier_share: float,
    params: NegotiationParams,
    perceived_noise: float = 0.0,
) -> DiligenceReport:
    """Run the three diligence tests and return the report (rule in the module docstring).

    Args:
        cash_usd_b: counterparty's cash, USD B (>= 0).
        expected_funding_usd_b: funding it can expect (round under way, undrawn debt), USD B.
        commitments_usd_b: payments it has committed to over the checker's horizon, USD B.
        burn_usd_b_per_year: cash burn (costs above revenue), USD B per year.
        revenue_usd_b_per_year: revenue, USD B per year.
        frontier_share: its share of the frontier-AI market, fraction in [0, 1].
        params: thresholds (`min_financing_ratio`, `max_burn_to_revenue`, `min_frontier_share`).
        perceived_noise: the checker's error e (> -1); both ratios are seen x (1 + e)
            (imperfect information).

    Raises:
        ValueError: a negative amount, a share outside [0, 1] or noise <= -1.
    """
    if not (cash_usd_b >= 0.0 and expected_funding_usd_b >= 0.0 and commitments_usd_b >= 0.0
            and burn_usd_b_per_year >= 0.0 and revenue_usd_b_per_year >= 0.0):  # NaN fails
        _raise_negative(cash_usd_b=cash_usd_b, expected_funding_usd_b=expected_funding_usd_b,
                        commitments_usd_b=commitments_usd_b,
                        burn_usd_b_per_year=burn_usd_b_per_year,
                        revenue_usd_b_per_year=revenue_usd_b_per_year)
    if not 0.0 <= frontier_share <= 1.0:
        raise ValueError(f"diligence: frontier_share must be in [0, 1], got {frontier_share!r}")
    if not perceived_noise > -1.0:
        raise ValueError(f"diligence: perceived_noise must be > -1, got {perceived_noise!r}")
    scale = 1.0 + perceived_noise
    if commitments_usd_b > 0.0:
        financing = (cash_usd_b + expected_funding_usd_b) / commitments_usd_b * scale
    else:
        financing = math.inf
    if revenue_usd_b_per_year > 0.0:
        burn_ratio = burn_usd_b_per_year / revenue_usd_b_per_year * scale
    else:
        burn_ratio = math.inf if burn_usd_b_per_year > 0.0 else 0.0
    failed = []
    if financing < params.min_financing_ratio:
        failed.append(FINANCING)
    if burn_ratio > params.max_burn_to_revenue:
        failed.append(DISCIPLINE)
    if frontier_share < params.min_frontier_share:
        failed.append(COMPETITIVE_POSITION)
    verdict = (
        Verdict.PASSED if not failed else Verdict.RESTRUCTURE if len(failed) == 1 else Verdict.STALL
    )
    return DiligenceReport(financing, burn_ratio, float(frontier_share), tuple(failed), verdict)
