"""The interactive app: pick a scenario, a seed and the policy levers, step or play the market,
and watch shares, HHI, the deal network and the deal list update (Mesa SolaraViz controls).

Start it with ``compute-market app`` (binds to 127.0.0.1) or ``solara run experiments/app/app.py``.

Faithful to the scenario: every lever starts at the chosen scenario's own value (the CUDA
lock-in slider at the scenario's ``market.cuda_lockin``, inside a range that contains it; the
allocation rule and the intervention switches as the scenario has them), so the app's run of a
scenario and seed is `compute-market run`'s until a lever is moved. A changed scenario, seed or
lever is listed as *pending* until Reset rebuilds the model with it (Mesa's controller builds
the model on Reset); the current run's moved levers are shown beside the numbers. The reference
run (the scenario with no lever moved, same seed) can be overlaid, dashed. Docking scenarios are
not offered (``compute-market docking`` runs them); a model error is shown on the page.

Nothing runs at import: the model is built when a browser opens the page (`Page`).
"""

from __future__ import annotations

from typing import Any

import solara

from experiments.app.market import (
    ALLOCATION_RULES,
    LEVERS,
    MarketApp,
    app_scenarios,
    build_params,
    compute_reference,
    lever_range,
    scenario_defaults,
)
from experiments.app.panels import Painter, render_network, timed
from experiments.figures.deals import deal_id_key

__all__ = ["Dashboard", "MarketApp", "Page", "build_params", "format_key_numbers"]

TITLE = "compute-market: the AI-compute market"
DEAL_ROWS = 14
"""Deals shown in the deal list (the most recent first)."""
LABELS = {"scenario_name": "scenario", "seed": "seed", "cuda_lockin": "CUDA lock-in",
          "allocation_rule": "packaging allocation rule", "ban_exclusivity": "ban exclusivity",
          "no_vendor_financing": "forbid vendor financing"}


def format_key_numbers(results_tables: dict[str, Any], step: int) -> dict[str, str]:
    """The headline numbers at `step` of a run's tables, as the app prints them: top
    accelerator seller and share, accelerator HHI, deployed GW, OpenAI's valuation.

    The browser test computes the same strings from `compute-market run`'s tables.
    """
    import polars as pl

    shares = results_tables["shares"].filter(
        (pl.col("step") == step) & (pl.col("market") == "accelerators")).sort(
        ["share", "firm"], descending=[True, False])
    markets = results_tables["markets"].filter(
        (pl.col("step") == step) & (pl.col("market") == "accelerators"))
    phys = results_tables["physical"].filter(pl.col("step") == step)
    oai = results_tables["firms"].filter((pl.col("step") == step) & (pl.col("firm") == "OpenAI"))
    out = {}
    if shares.height:
        out["top"] = f"{shares['firm'][0]} {shares['share'][0]:.1%}"
    if markets.height:
        out["hhi"] = f"{markets['hhi'][0]:,.0f}"
    if phys.height:
        out["deployed"] = f"{phys['deployed_gw'][0]:.2f} GW"
    if oai.height:
        out["openai"] = f"${oai['valuation_usd_b'][0]:,.0f}B"
    return out


def _line(numbers: dict[str, str]) -> str:
    parts = []
    if "top" in numbers:
        parts.append(f"accelerators: {numbers['top']} (HHI {numbers.get('hhi', '-')})")
    if "deployed" in numbers:
        parts.append(f"deployed {numbers['deployed']}")
    if "openai" in numbers:
        parts.append(f"OpenAI valued {numbers['openai']}")
    return " · ".join(parts)


def _last_step(model: MarketApp) -> int | None:
    shares = model.compute_source().table("shares")
    return None if shares.is_empty() else int(shares["step"].max())


def KeyNumbers(model: MarketApp, overlay: bool) -> solara.Element:
    """Month, the headline numbers, the levers moved, the reference run's numbers."""
    step = _last_step(model)
    text = f"Month {model.compute_month()} (step {model.t} of {model.p.simulation.steps})"
    if step is not None:
        text += " · " + _line(format_key_numbers(model.compute_source().run.tables, step))
    moved = model.compute_moved_levers()
    levers = ", ".join(f"{LABELS[k]} {a} → {b}" for k, (a, b) in moved.items())
    with solara.Column(classes=["cm-status"], gap="0px") as main:
        solara.Text(text, classes=["cm-status-text"])
        solara.Text(f"{model.p.name}, seed {model.seed_value}; "
                    + (f"levers moved: {levers}" if moved else "levers at the scenario's values"),
                    classes=["cm-levers"], style={"color": "#666"})
        if overlay and step is not None:
            ref = compute_reference(model.scenario_name, model.seed_value)
            solara.Text("reference run (no lever moved): "
                        + _line(format_key_numbers(ref.tables, step)),
                        classes=["cm-reference"], style={"color": "#666"})
        if model.error:
            solara.Error(model.error, classes=["cm-error"])
    return main


def _painter(model: MarketApp) -> Painter:
    if model.painter is None:
        model.painter = Painter(model.p.simulation.steps, model.p.simulation.start)
    return model.painter


def MarketPanel(model: MarketApp, overlay: bool) -> solara.Element:
    """Stacked shares of the three markets and their HHI so far (reference dashed)."""
    source = model.compute_source()
    shares = source.table("shares")
    if shares.is_empty():
        return solara.Info("Market shares appear after the first step (press Step or ▶).")
    ref = compute_reference(model.scenario_name, model.seed_value) if overlay else None
    png, ms = timed(_painter(model).render_market, model.t, shares, source.table("markets"),
                    ref, (model.scenario_name, model.seed_value))
    model.timings_ms["market"] = ms
    with solara.Div(classes=["cm-shares"]) as main:
        solara.Image(png)
    return main


def NetworkPanel(model: MarketApp) -> solara.Element:
    """The deal network this month (fixed layout over all deals seen so far)."""
    run = model.compute_source().run
    firms, deals = run.tables["firms"], run.tables["deals"]
    if firms.is_empty():
        return solara.Info("The deal network appears after the first step.")
    if model.network_png is None or model.network_png[0] != model.t:
        png, ms = timed(render_network, deals, firms, model.compute_month())
        model.network_png = (model.t, png)
        model.timings_ms["network"] = ms
    png = model.network_png[1]
    with solara.Div(classes=["cm-network"]) as main:
        solara.Image(png)
    return main


def DealList(model: MarketApp) -> solara.Element:
    """The deals so far, most recent first, with the key to their ids."""
    deals = model.compute_source().run.tables["deals"]
    if deals.is_empty():
        return solara.Info("No deals yet.")
    rows = deals.sort(["step_proposed", "deal_id"], descending=True).head(DEAL_ROWS)
    lines = ["| deal | parties | kind | status | $B | GW |", "|---|---|---|---|---:|---:|"]
    for r in rows.iter_rows(named=True):
        lines.append(f"| {r['deal_id']} | {r['source']}→{r['target']} | "
                     f"{r['kind'].replace('_', ' ')} | {r['status']} | "
                     f"{_money(r['value_usd_b'])} | {r['gw'] or 0:.1f} |")
    key = "\n".join(f"- {line}" for line in deal_id_key(deals))
    with solara.Div(classes=["cm-deals"]) as main:
        solara.Markdown(f"**Deals** ({deals.height} so far)\n\n" + "\n".join(lines)
                        + f"\n\n*Deal ids*\n\n{key}")
    return main


def _money(value: float | None) -> str:
    v = value or 0.0
    return f"{v:,.0f}" if v >= 10 else f"{v:.1f}"


@solara.component
def Dashboard(model: MarketApp, overlay: bool = False) -> solara.Element:
    """The market panels, re-drawn whenever Mesa's controller steps or resets the model."""
    from mesa.visualization.utils import update_counter

    update_counter.get()  # subscribe: Mesa's controller bumps it after each step
    with solara.Column(style={"padding": "0.5rem"}) as main:
        KeyNumbers(model, overlay)
        with solara.Columns([1, 1]):
            with solara.Card("Market shares and concentration"):
                MarketPanel(model, overlay)
            with solara.Column():
                with solara.Card("Deal network"):
                    NetworkPanel(model)
                with solara.Card("Deal list"):
                    DealList(model)
        t = model.timings_ms
        if t:
            parts = ", ".join(f"{k} {v:.0f}" for k, v in t.items())
            solara.Text(f"Last step: {sum(t.values()):.0f} ms on the server ({parts})",
                        classes=["cm-timing"], style={"color": "#999", "font-size": "small"})
    return main


@solara.component
def LeverInputs(chosen: solara.Reactive[dict], current: dict[str, Any]) -> solara.Element:
    """Scenario, seed and levers; values always shown; changes listed as pending until Reset."""
    c = chosen.value

    def put(name: str, value: Any) -> None:
        chosen.value = {**chosen.value, name: value}

    def pick_scenario(name: str) -> None:
        chosen.value = dict(scenario_defaults(name))

    # the range is the scenario's (it contains the scenario's value), not the slider's own
    low, high = lever_range(scenario_defaults(c["scenario_name"])["cuda_lockin"])
    with solara.Column() as main:
        solara.Select("Scenario", values=app_scenarios(), value=c["scenario_name"],
                      on_value=pick_scenario)
        solara.InputInt("Seed", value=c["seed"],
                       on_value=lambda v: put("seed", max(0, int(v or 0))))
        solara.Text(f"CUDA lock-in: {c['cuda_lockin']:.2f} (0 = none)", classes=["cm-cuda"])
        solara.SliderFloat("CUDA lock-in", value=c["cuda_lockin"], min=low, max=high, step=0.1,
                           thumb_label="always", on_value=lambda v: put("cuda_lockin", v))
        solara.Select("Packaging allocation rule", values=ALLOCATION_RULES,
                      value=c["allocation_rule"], on_value=lambda v: put("allocation_rule", v))
        solara.Checkbox(label="Ban exclusivity", value=c["ban_exclusivity"],
                        on_value=lambda v: put("ban_exclusivity", v))
        solara.Checkbox(label="Forbid vendor financing", value=c["no_vendor_financing"],
                        on_value=lambda v: put("no_vendor_financing", v))
        pending = {k: (current[k], c[k]) for k in ("scenario_name", "seed", *LEVERS)
                   if c[k] != current[k]}
        if pending:
            text = "; ".join(f"{LABELS[k]} {a} → {b}" for k, (a, b) in pending.items())
            solara.Warning(f"Pending until Reset: {text}", classes=["cm-pending"])
    return main


@solara.component
def Page() -> solara.Element:
    """The app's page: Mesa's app bar and play/step/reset controls, the scenario, seed and
    lever inputs, and the market panels.

    The panels are laid out here rather than passed to SolaraViz as ``components``: SolaraViz
    puts components on a draggable grid whose Vue 2 plugin fails under the Vue 3 front end of
    solara 1.64 ("GlobalVue.use is not a function"), leaving the page empty.
    """
    from mesa.visualization.solara_viz import ModelController

    initial = solara.use_memo(MarketApp, dependencies=[])
    model = solara.use_reactive(initial)
    chosen = solara.use_reactive(dict(initial.settings))
    overlay = solara.use_reactive(False)
    play_ms = solara.use_reactive(150)
    every = solara.use_reactive(1)  # months per Step press / per frame while playing
    threads = solara.use_reactive(False)
    with solara.AppBar():
        solara.AppBarTitle(TITLE)
    with solara.Sidebar(), solara.Column():
        with solara.Card("Controls"):
            ModelController(model, model_parameters=chosen, play_interval=play_ms,
                            render_interval=every, use_threads=threads)
            solara.Checkbox(label="Overlay the reference run (no lever moved)", value=overlay)
        with solara.Card("Scenario and levers"):
            LeverInputs(chosen, model.value.settings)
    Dashboard(model.value, overlay.value)
