"""The figure and the markdown section of a sensitivity study (`experiments.validation.
sensitivity`): Morris mu*-sigma panels, Sobol S1/ST bars or, for a batch, delta/S1 bars."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = ["draw_sensitivity", "format_section"]


def _second_row(ax: Any, res: dict[str, Any], names: list[str], pairs: tuple[str, str]) -> None:
    x = np.arange(len(names))
    for shift, key in ((-0.2, pairs[0]), (0.2, pairs[1])):
        ax.bar(x + shift, res[key], 0.4, yerr=res[f"{key}_conf"], label=key)
    ax.set_xticks(x, names, rotation=60, ha="right", fontsize=7)
    ax.set_ylim(0, 1.1)
    ax.legend(fontsize=7)


def draw_sensitivity(morris: dict[str, Any] | None, second: dict[str, Any] | None,
                     outcomes: Sequence[str]) -> Any:
    """One column per outcome: Morris mu* against sigma (top, if run) and the Sobol S1/ST or
    delta/S1 bars (bottom, if run); each panel's title carries the outcome's noise share."""
    from experiments.figures.style import new_figure

    rows = [r for r in (morris, second) if r]
    fig = new_figure(4.2 * len(outcomes), 4.0 * len(rows))
    axes = np.atleast_2d(fig.subplots(len(rows), len(outcomes), squeeze=False))
    for j, out in enumerate(outcomes):
        for i, study in enumerate(rows):
            ax, res = axes[i][j], study["outputs"][out]
            names = study["parameters"]
            if study["method"] == "morris":
                ax.scatter(res["mu_star"], res["sigma"], s=18)
                for k in np.argsort(res["mu_star"])[-4:]:
                    ax.annotate(names[k], (res["mu_star"][k], res["sigma"][k]), fontsize=7)
                ax.set(xlabel="Morris mu* (outcome's unit)", ylabel="sigma")
            elif study["method"] == "sobol":
                _second_row(ax, res, names, ("S1", "ST"))
            else:
                _second_row(ax, res, names, ("delta", "S1"))
            ax.set_title(f"{out} ({study['method']}; seed-noise share "
                         f"{res['noise_share']:.2f})", fontsize=8, loc="left")
    return fig


def _params_table(params: Sequence[Any]) -> list[str]:
    lines = ["| parameter | key | range |", "|---|---|---|"]
    for p in params:
        rng = "pro_rata / priority / uniform" if p.kind == "choice" else f"{p.low:g} - {p.high:g}"
        if p.kind == "growth":
            rng = f"x{p.low:g} - x{p.high:g} of the growth"
        lines.append(f"| {p.name} | `{p.key}` | {rng} |")
    return lines


def _index_table(study: dict[str, Any], outcomes: Sequence[str], keys: tuple[str, str]) -> \
        list[str]:
    lines = ["| parameter | " + " | ".join(f"{o} {keys[0]} / {keys[1]}" for o in outcomes)
             + " |", "|---|" + "---|" * len(outcomes)]
    for i, name in enumerate(study["parameters"]):
        cells = []
        for o in outcomes:
            s = study["outputs"][o]
            cells.append(f"{s[keys[0]][i]:.2f} ({s[keys[0] + '_conf'][i]:.2f}) / "
                         f"{s[keys[1]][i]:.2f} ({s[keys[1] + '_conf'][i]:.2f})")
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return lines


def _share(x: float) -> str:
    return "n/a (no variation)" if x != x else f"{x:.2f}"


def _noise_line(study: dict[str, Any], outcomes: Sequence[str]) -> str:
    return ("Seed-noise share (variance seed noise adds to a point's mean over the variance "
            "between points; near 1 the indices measure noise): "
            + ", ".join(f"{o} {_share(study['outputs'][o]['noise_share'])}" for o in outcomes)
            + ".")


def format_section(morris: dict[str, Any] | None, second: dict[str, Any] | None,
                   params: Sequence[Any], outcomes: Sequence[str], command: str,
                   minutes: float, figure: str, seeds_text: str) -> str:
    """The sensitivity section of a document (markdown)."""
    runs = sum(s["runs"] for s in (morris, second) if s)
    title = "Sensitivity analysis" if morris else "Sensitivity of a sampled batch"
    lines = [f"## {title}", "",
             f"Command: `{command}` ({minutes:.1f} min on this machine; {runs} runs; "
             f"{seeds_text}). Outcomes: `experiments/analysis/outcomes.py`.", "",
             f"![Sensitivity per outcome]({figure})", ""]
    if params:
        lines += _params_table(params)
    if morris:
        lines += ["", f"### Morris screening ({morris['trajectories']} trajectories, 4 levels)",
                  "", "mu* (mean absolute elementary effect over the whole range), in each "
                  "outcome's units; sigma in brackets (interactions or non-linearity).", "",
                  "| parameter | " + " | ".join(outcomes) + " |",
                  "|---|" + "---|" * len(outcomes)]
        for i, name in enumerate(morris["parameters"]):
            cells = [f"{morris['outputs'][o]['mu_star'][i]:.3g} "
                     f"({morris['outputs'][o]['sigma'][i]:.2g})" for o in outcomes]
            lines.append(f"| {name} | " + " | ".join(cells) + " |")
        lines += ["", _noise_line(morris, outcomes)]
    if second and second["method"] == "sobol":
        lines += ["", f"### Sobol indices ({len(second['parameters'])} parameters, "
                  f"N = {second['n']})", "",
                  "First-order S1 and total ST (95% confidence half-width in brackets).", ""]
        lines += _index_table(second, outcomes, ("S1", "ST"))
        lines += ["", _noise_line(second, outcomes)]
    elif second:
        lines += ["", f"### Delta and S1 indices of the batch `{second['batch']}` "
                  f"({second['points']} points, {second['runs']} runs)", "",
                  "Borgonovo's delta (0: the outcome's distribution does not depend on the "
                  "input) and first-order S1, 95% confidence half-width in brackets.", ""]
        lines += _index_table(second, outcomes, ("delta", "S1"))
        lines += ["", _noise_line(second, outcomes)]
    return "\n".join(lines)
