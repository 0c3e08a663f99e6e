"""The regime's decision rules: what the screen rows of one review imply (docs/antitrust.md).

A review's rows (`world.screens`, one per screen and market) are each held against the
regime's thresholds (`compute_screen`): the horizontal and partial-ownership rows against the
HHI or MHHI presumptions of the 2010 Horizontal Merger Guidelines (s.5.3, s.13) or the 2023
Merger Guidelines (guidelines 1 and 11), the vertical rows against the supplier's share and
vGUPPI (guideline 5), exclusive contracts against the share of demand they foreclose and their
term, and under `strict` vendor financing against the vendor's share. The deal is blocked if
any row's concern blocks, cleared with conditions if any row raises a (vertical) concern,
cleared otherwise (`compute_decision`); under `none` every deal is cleared. The regimes
themselves are described in `agents.regulator`.
"""

from __future__ import annotations

from world.metrics import compute_merger_screen_2010, compute_merger_screen_2023
from world.params import Regime, RegulatorParams

CLEARED, CONDITIONS, BLOCKED = "cleared", "cleared_with_conditions", "blocked"
VENDOR_SHARE = "vendor share >= "
"""Start of the threshold text of the `strict` regime's vendor-financing rule: a row it
decides is reported under the screen that decided it, `vendor_financing`."""


def compute_decision(params: RegulatorParams, rows: list[dict],
                     financing: bool) -> tuple[str, str]:
    """Decision (`cleared`, `cleared_with_conditions`, `blocked`) and reason under the
    regime (module docstring). Each row gets its `threshold` and `concern`
    (`compute_screen`); the deal is blocked if any row's concern blocks, cleared with
    conditions if any row raises a (vertical) concern, cleared otherwise. `financing`: the
    deal is vendor financing (`world.policy.Policy.is_vendor_financing`)."""
    if params.regime is Regime.NONE:
        for row in rows:
            row.update(threshold="no merger control", concern=False)
        return CLEARED, "no merger control in this regime"
    verdicts = [compute_screen(params, row, financing) for row in rows]
    for row, (concern, threshold, _outcome, _why) in zip(rows, verdicts, strict=True):
        row.update(threshold=threshold, concern=concern)
        if threshold.startswith(VENDOR_SHARE):  # the financing rule decided this row
            row["screen"] = "vendor_financing"
    for outcome in (BLOCKED, CONDITIONS):
        hits = [v[3] for v in verdicts if v[0] and v[2] == outcome]
        if hits:
            return outcome, "; ".join(dict.fromkeys(hits))
    notes = [v[3] for v in verdicts if v[3]]
    return CLEARED, "below the screens" + (f": {'; '.join(notes)}" if notes else "")


def compute_screen(params: RegulatorParams, row: dict,
                   financing: bool) -> tuple[bool, str, str, str]:
    """(concern, threshold text, decision if a concern, reason) of one screen row;
    `financing`: the deal is vendor financing (`compute_decision`)."""
    regime, p = params.regime, params
    screen = row["screen"]
    if screen in ("horizontal", "partial_ownership"):
        hit, threshold, why = compute_horizontal_screen(params, row)
        return hit, threshold, BLOCKED, f"{screen} in {row['market']}: {why}"
    if screen == "none" or regime is Regime.HSR_2010:
        return False, "not screened under this regime", CLEARED, ""
    up, share = row["upstream"], row["upstream_share"]
    if regime is Regime.STRICT and financing and share >= p.financing_share:
        return True, f"{VENDOR_SHARE}{p.financing_share:.0%}", BLOCKED, (
            f"vendor financing by a supplier with {share:.0%} of its market "
            f"(>= {p.financing_share:.0%}): circular money ties the buyer")
    if screen == "exclusive_dealing":
        threshold = (f"foreclosed share >= {p.exclusive_share:.0%} for >= "
                     f"{p.exclusive_min_months} months")
        hit = row["screen_concern"]
        why = f"exclusive dealing: {row['screen_reason']} of {row['market']} demand"
        return hit, threshold, BLOCKED if regime is Regime.STRICT else CONDITIONS, why
    threshold = (f"supplier share >= {p.foreclosure_share:.0%} and vGUPPI >= "
                 f"{p.vguppi_threshold:.0%}")
    vguppi = row["vguppi"] or 0.0
    hit = share >= p.foreclosure_share and vguppi >= p.vguppi_threshold
    return hit, threshold, CONDITIONS, (
        f"vertical: {up} holds {share:.0%} of {row['upstream_market']}, vGUPPI "
        f"{vguppi:.1%}" + (": may limit rivals' access" if hit else ""))


def compute_horizontal_screen(params: RegulatorParams, row: dict) -> tuple[bool, str, str]:
    """(presumption, threshold, reason) of a horizontal or partial-ownership row.

    A controlling stake is screened as a full merger on HHI (`world.metrics` 2010 or 2023
    screen); a minority stake on the MHHI it creates, with the same thresholds (post-MHHI
    and delta-MHHI in place of post-HHI and delta-HHI).
    """
    hsr = params.regime is Regime.HSR_2010
    if row["screen"] == "horizontal":
        shares = {"i": row["share_source"], "j": row["share_target"]}
        rest = max(0.0, row["pre_hhi"] / 10_000.0 - shares["i"] ** 2 - shares["j"] ** 2)
        shares["rest"] = rest ** 0.5  # one share with the same sum of squares
        screen = (compute_merger_screen_2010 if hsr else compute_merger_screen_2023)(
            shares, "i", "j")
        threshold = ("post-HHI > 2,500 and delta > 200" if hsr else
                     "post-HHI > 1,800 and delta > 100, or share > 30% and delta > 100")
        return screen.presumption, threshold, screen.reason
    post, delta = row["mhhi_post"], row["delta_mhhi"]
    limit_post, limit_delta = (2_500.0, 200.0) if hsr else (1_800.0, 100.0)
    hit = post > limit_post and delta > limit_delta
    threshold = f"post-MHHI > {limit_post:,.0f} and delta-MHHI > {limit_delta:,.0f}"
    return hit, threshold, f"post-MHHI {post:,.0f}, delta-MHHI {delta:,.0f}"
