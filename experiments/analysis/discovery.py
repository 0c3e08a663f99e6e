"""Scenario discovery and feature scoring on a batch, with EMA Workbench's PRIM, CART and
extra-trees feature scores.

Scenario discovery (Bryant and Lempert 2010, "Thinking inside the box", Technological
Forecasting and Social Change 77(1)) asks which region of the inputs produces the runs of
interest (say, accelerator HHI above 5,000). PRIM (Friedman and Fisher 1999) peels the input
space into a box; each box is judged by its *coverage* (share of all runs of interest that fall
inside it), *density* (share of the runs inside it that are of interest) and *mass* (share of
all runs inside it). CART (Breiman et al. 1984) splits the inputs into leaves; the leaves denser
than the whole batch are reported as its boxes. Feature scoring (extra-trees importances,
Geurts et al. 2006) ranks the inputs by how much of an outcome's variation they explain.

Every function takes the experiments frame of `experiments.analysis.ema.batch_to_ema` (pandas);
the seeds are replications, not inputs, so runs of one variant differ only by noise.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl

from experiments.analysis.ema import ema_inputs
from experiments.errors import UserError

__all__ = ["Discovery", "compute_feature_scores", "discover", "draw_discovery",
           "draw_feature_scores", "prepare_inputs"]

FEATURE_SEED = 2025
"""Seed of the extra-trees forest, so the scores are the same on every call."""


def _ema(module: str) -> Any:
    from importlib import import_module

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ipyparallel missing: not needed here
        import_module("ema_workbench")
        return import_module(f"ema_workbench.analysis.{module}")


def prepare_inputs(experiments: Any) -> Any:
    """The inputs of an experiments frame for EMA's algorithms: numeric columns as floats or
    ints, every other column (text, booleans as ``true``/``false``) as pandas categories.

    Raises:
        UserError: nothing was varied (every input has a single value).
    """
    import pandas as pd

    x = ema_inputs(experiments).copy()
    if x.shape[1] == 0:
        raise UserError("the batch varies no input (one variant): scenario discovery and "
                        "feature scoring need levers or uncertainties in the spec")
    for col in x.columns:
        if x[col].dtype == bool or not pd.api.types.is_numeric_dtype(x[col].dtype):
            x[col] = x[col].map(lambda v: str(v).lower() if isinstance(v, bool) else str(v))
            x[col] = x[col].astype(object).astype("category")
    return x.reset_index(drop=True)


@dataclass
class Discovery:
    """Boxes found for one rule (``outcome below/above threshold``).

    Attributes:
        rule: the rule in words, e.g. ``hhi_accelerators > 5000``.
        n_runs, n_interest: runs analysed and runs of interest.
        boxes: one row per restricted input of each box: ``method`` (prim/cart), ``box``
            (1, 2, ...), ``input``, ``low``, ``high`` (numeric inputs) or ``values``
            (categories kept, ``|``-separated).
        stats: one row per box: ``method``, ``box``, ``coverage``, ``density``, ``mass``,
            ``n_restricted``.
        peeling: PRIM's peeling trajectory of each box (``box``, ``coverage``, ``density``,
            ``mass``, ``res_dim``, ``selected``).
        ranges: each input's range in the batch, ``(min, max)`` or its categories.
    """

    rule: str
    n_runs: int
    n_interest: int
    boxes: pl.DataFrame
    stats: pl.DataFrame
    peeling: pl.DataFrame
    ranges: dict[str, tuple[float, float] | list[str]]


def _limits_rows(method: str, box: int, lim: Any, init: Any) -> list[dict[str, Any]]:
    rows = []
    for col in lim.columns:
        lo, hi = lim[col].iloc[0], lim[col].iloc[1]
        lo0, hi0 = init[col].iloc[0], init[col].iloc[1]
        if isinstance(lo, set):
            if set(lo) == set(lo0):
                continue
            rows.append({"method": method, "box": box, "input": col, "low": None,
                         "high": None, "values": "|".join(sorted(map(str, lo)))})
        elif (lo, hi) != (lo0, hi0):
            rows.append({"method": method, "box": box, "input": col, "low": float(lo),
                         "high": float(hi), "values": None})
    return rows


def _select_point(traj: Any, min_density: float) -> int:
    """The peeling step kept: the largest coverage among steps with density >= `min_density`,
    else the densest step (ties: the earliest, i.e. the larger box)."""
    dens = traj["density"].to_numpy(dtype=float)
    cov = traj["coverage"].to_numpy(dtype=float)
    ok = np.flatnonzero(dens >= min_density)
    if ok.size:
        return int(ok[np.argmax(cov[ok])])
    return int(np.argmax(dens))


def _prim(x: Any, y: np.ndarray, mass_min: float, min_density: float,
          max_boxes: int) -> tuple[list[dict], list[dict], list[dict]]:
    prim_mod = _ema("prim")
    prim = prim_mod.Prim(x, y.astype(int), mass_min=mass_min)
    boxes, stats, peeling = [], [], []
    for k in range(1, max_boxes + 1):
        remaining = y[prim.yi_remaining] if hasattr(prim, "yi_remaining") else y
        if k > 1 and remaining.sum() == 0:
            break
        box = prim.find_box()
        if box is None:
            break
        i = _select_point(box.peeling_trajectory, min_density)
        box.select(i)
        if k > 1 and box.density <= remaining.mean():
            break  # no better than the runs left: PRIM found nothing more
        for j, row in box.peeling_trajectory.reset_index(drop=True).iterrows():
            peeling.append({"box": k, "coverage": float(row["coverage"]),
                            "density": float(row["density"]), "mass": float(row["mass"]),
                            "res_dim": int(row["res_dim"]), "selected": j == i})
        boxes += _limits_rows("prim", k, box.box_lim, prim.box_init)
        stats.append({"method": "prim", "box": k, "coverage": float(box.coverage),
                      "density": float(box.density), "mass": float(box.mass),
                      "n_restricted": int(box.res_dim)})
    return boxes, stats, peeling


def _cart(x: Any, y: np.ndarray, mass_min: float) -> tuple[list[dict], list[dict]]:
    """CART's leaves denser than the batch, as boxes (duplicates dropped).

    Categories enter the tree as integer codes (sorted category order) and come back as the
    set of categories a leaf keeps: EMA's own dummy-column handling in CART mislabels the
    leaves of a two-category input (both read as the first category).
    """
    from sklearn import tree

    cart_mod = _ema("cart")
    cats = {c: list(x[c].cat.categories) for c in x.columns if x[c].dtype == "category"}
    codes = x.copy()
    for col in cats:
        codes[col] = x[col].cat.codes.astype(float)
    cart = cart_mod.CART(codes, y.astype(int), mass_min=mass_min)
    # CART.build_tree's tree is unseeded (ties between equally good splits vary from call to
    # call) and asks for 0 runs per leaf below 20 runs: the same tree, seeded, >= 1 run a leaf
    cart.clf = tree.DecisionTreeClassifier(
        min_samples_leaf=max(1, int(mass_min * len(y))), random_state=FEATURE_SEED)
    cart.clf.fit(codes.to_numpy(dtype=float), cart.y)
    cart.feature_names = list(codes.columns)
    init = _ema("scenario_discovery_util")._make_box(codes)
    base = y.mean()
    leaves = [(lim, st) for lim, st in zip(cart.boxes, cart.stats, strict=True)
              if st["density"] > base]
    leaves.sort(key=lambda ls: -ls[1]["density"] * ls[1]["coverage"])
    boxes, stats, seen = [], [], []
    for lim, st in leaves:
        rows = _limits_rows("cart", 0, lim, init)
        for r in rows:
            if r["input"] in cats:
                lo, hi = int(np.ceil(r["low"])), int(np.floor(r["high"]))
                kept = cats[r["input"]][lo:hi + 1]
                r.update(low=None, high=None, values="|".join(sorted(map(str, kept))))
        key = [(r["input"], r["low"], r["high"], r["values"]) for r in rows]
        if key in seen:
            continue
        seen.append(key)
        boxes += [{**r, "box": len(seen)} for r in rows]
        stats.append({"method": "cart", "box": len(seen), "coverage": float(st["coverage"]),
                      "density": float(st["density"]), "mass": float(st["mass"]),
                      "n_restricted": int(st["res dim"])})
    return boxes, stats


BOX_SCHEMA = {"method": pl.String, "box": pl.Int64, "input": pl.String, "low": pl.Float64,
              "high": pl.Float64, "values": pl.String}
STATS_SCHEMA = {"method": pl.String, "box": pl.Int64, "coverage": pl.Float64,
                "density": pl.Float64, "mass": pl.Float64, "n_restricted": pl.Int64}
PEEL_SCHEMA = {"box": pl.Int64, "coverage": pl.Float64, "density": pl.Float64,
               "mass": pl.Float64, "res_dim": pl.Int64, "selected": pl.Boolean}


def discover(experiments: Any, y: np.ndarray, rule: str, mass_min: float = 0.05,
             min_density: float = 0.8, max_boxes: int = 3, cart: bool = True) -> Discovery:
    """Find the input regions where `y` (runs of interest) holds, with PRIM and CART.

    Args:
        experiments: experiments frame (`batch_to_ema`).
        y: one boolean per run: is the run of interest.
        rule: the rule in words (for labels).
        mass_min: smallest box, as a share of the runs (PRIM and CART leaves).
        min_density: PRIM keeps the peeling step with the most coverage among those at least
            this dense (else the densest step).
        max_boxes: PRIM boxes to look for, one after the other on the runs left outside.
        cart: also run CART.

    Raises:
        UserError: no run, or every run, is of interest (nothing to tell apart).
    """
    y = np.asarray(y, dtype=bool)
    n_int = int(y.sum())
    if n_int == 0 or n_int == y.size:
        which = "no run" if n_int == 0 else "every run"
        raise UserError(f"{which} of {y.size} meets {rule}; choose a threshold that splits "
                        "the runs (see the outcome's range printed above)")
    x = prepare_inputs(experiments)
    boxes, stats, peeling = _prim(x, y, mass_min, min_density, max_boxes)
    if cart:
        more_boxes, more_stats = _cart(x, y, mass_min)
        boxes, stats = boxes + more_boxes, stats + more_stats
    ranges: dict[str, tuple[float, float] | list[str]] = {
        c: ([str(v) for v in x[c].cat.categories] if x[c].dtype == "category"
            else (float(x[c].min()), float(x[c].max()))) for c in x.columns}
    return Discovery(rule, int(y.size), n_int, pl.DataFrame(boxes, schema=BOX_SCHEMA),
                     pl.DataFrame(stats, schema=STATS_SCHEMA),
                     pl.DataFrame(peeling, schema=PEEL_SCHEMA), ranges)


def compute_feature_scores(experiments: Any, outcomes: dict[str, np.ndarray]) -> pl.DataFrame:
    """Extra-trees feature scores of every input for every outcome (each outcome's scores sum
    to 1; runs where an outcome is NaN are left out of that outcome's forest).

    Returns:
        ``input`` and one column per outcome, inputs sorted by their mean score (largest first).
    """
    fs = _ema("feature_scoring")
    sdu = _ema("scenario_discovery_util")
    x = prepare_inputs(experiments)
    cols: dict[str, dict[str, float]] = {}
    for name, values in outcomes.items():
        ok = ~np.isnan(np.asarray(values, dtype=float))
        if ok.sum() < 2 or np.nanstd(values) == 0:
            cols[name] = {c: float("nan") for c in x.columns}
            continue
        scores, _ = fs.get_ex_feature_scores(
            x[ok].reset_index(drop=True), np.asarray(values, dtype=float)[ok],
            mode=sdu.RuleInductionType.REGRESSION, random_state=FEATURE_SEED)
        cols[name] = {str(k): float(v) for k, v in scores.iloc[:, 0].items()}
    frame = pl.DataFrame({"input": list(x.columns),
                          **{n: [cols[n].get(c, float("nan")) for c in x.columns] for n in cols}})
    mean = pl.mean_horizontal([pl.col(n).fill_nan(None) for n in cols])
    return frame.with_columns(mean.alias("_m")).sort("_m", descending=True,
                                                     nulls_last=True).drop("_m")


def draw_discovery(d: Discovery) -> Any:
    """PRIM's peeling trajectory (coverage against density, the kept step ringed) and the
    limits of each box, one bar per restricted input, as a share of the input's range."""
    from experiments.figures.style import new_figure

    fig = new_figure(11.0, 4.4)
    ax1, ax2 = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1, 1.3]})
    for box, rows in d.peeling.group_by("box", maintain_order=True):
        sc = ax1.scatter(rows["coverage"], rows["density"], s=14, label=f"PRIM box {box[0]}")
        kept = rows.filter(pl.col("selected"))
        ax1.scatter(kept["coverage"], kept["density"], s=120, facecolors="none",
                    edgecolors=sc.get_facecolor()[0], linewidths=1.5)
    ax1.axhline(d.n_interest / d.n_runs, color="#999", ls=":", lw=1,
                label="share of interest in the batch")
    ax1.set(xlabel="coverage (share of runs of interest inside)",
            ylabel="density (share inside that are of interest)", xlim=(0, 1.02),
            ylim=(0, 1.02))
    ax1.set_title(f"PRIM peeling: {d.rule}", loc="left", fontsize=9)
    ax1.legend(fontsize=7, loc="lower left")
    _draw_limits(ax2, d)
    return fig


def _draw_limits(ax: Any, d: Discovery) -> None:
    """One row per restricted input of each box: the input's whole range in grey, the box's
    part of it in colour (categories: the kept ones named), coverage and density at the right."""
    stats = {(r["method"], r["box"]): r for r in d.stats.iter_rows(named=True)}
    rows = d.boxes.filter((pl.col("method") == "prim") | (pl.col("box") == 1))
    labels = []
    for i, r in enumerate(rows.iter_rows(named=True)):
        st = stats[(r["method"], r["box"])]
        labels.append(f"{r['method'].upper()} {r['box']}: {r['input']}")
        colour = "#4c72b0" if r["method"] == "prim" else "#dd8452"
        ax.barh(i, 1.0, color="#e8e8e8", height=0.6)
        full = d.ranges[r["input"]]
        if r["values"] is not None:
            kept = r["values"].split("|")
            cats = list(full)
            for j, cat in enumerate(cats):
                ax.barh(i, 1 / len(cats), left=j / len(cats), height=0.6,
                        color=colour if cat in kept else "#e8e8e8", edgecolor="white")
                ax.text((j + 0.5) / len(cats), i, cat, ha="center", va="center", fontsize=7)
        else:
            lo0, hi0 = full
            span = (hi0 - lo0) or 1.0
            left, right = (r["low"] - lo0) / span, (r["high"] - lo0) / span
            ax.barh(i, max(right - left, 0.01), left=left, height=0.6, color=colour)
            ax.text(0.5, i - 0.42, f"{r['low']:.3g} .. {r['high']:.3g} (batch: {lo0:.3g} .. "
                    f"{hi0:.3g})", ha="center", va="bottom", fontsize=7)
        ax.text(1.02, i, f"coverage {st['coverage']:.2f}\ndensity {st['density']:.2f}",
                va="center", fontsize=7, transform=ax.get_yaxis_transform())
    ax.set_yticks(range(len(labels)), labels, fontsize=8)
    ax.set_ylim(len(labels) - 0.4, -0.8)
    ax.set_xlim(0, 1)
    ax.set_xticks([])
    ax.set_title("Box limits of the restricted inputs (PRIM boxes, CART's best leaf)",
                 loc="left", fontsize=9)
    if not labels:
        ax.text(0.5, 0.5, "no input restricted", ha="center", transform=ax.transAxes)


def draw_feature_scores(scores: pl.DataFrame) -> Any:
    """Heat map of the feature scores: inputs (rows) by outcomes (columns), 0-1."""
    from experiments.figures.style import new_figure

    outcomes = [c for c in scores.columns if c != "input"]
    values = scores.select(outcomes).to_numpy().astype(float)
    fig = new_figure(1.6 + 1.3 * len(outcomes), 1.0 + 0.45 * scores.height)
    ax = fig.add_subplot()
    im = ax.imshow(values, cmap="viridis", vmin=0, vmax=1, aspect="auto")
    for (i, j), v in np.ndenumerate(values):
        ax.text(j, i, "n/a" if np.isnan(v) else f"{v:.2f}", ha="center", va="center",
                fontsize=8, color="white" if not np.isnan(v) and v < 0.6 else "black")
    ax.set_xticks(range(len(outcomes)), outcomes, rotation=30, ha="right", fontsize=8)
    ax.set_yticks(range(scores.height), scores["input"].to_list(), fontsize=8)
    ax.set_title("Feature scores (extra trees; each outcome's column sums to 1)", loc="left",
                 fontsize=9)
    fig.colorbar(im, ax=ax, fraction=0.04)
    return fig
