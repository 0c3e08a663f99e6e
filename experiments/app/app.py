"""The interactive app: pick a scenario, a seed and the policy levers, step or play the market,
and watch shares, HHI, the deal network and the deal list update (Mesa SolaraViz).

Start it with ``compute-market app`` (binds to 127.0.0.1) or ``solara run experiments/app/app.py``.
Mesa's controller re-creates the model with the sidebar's values on *Reset*, so `MarketApp`
takes every lever as a keyword and builds the scenario from them:

- ``scenario_name``: a shipped scenario (``compute-market scenarios``); not ``scenario``,
  which Mesa 3.5's controller reserves for its own ``Scenario`` objects on reset;
- ``seed``: the run's seed;
- ``cuda_lockin``: ``market.cuda_lockin`` (software lock-in of Nvidia buyers, 0 = none);
- ``allocation_rule``: ``foundry.allocation_rule`` (packaging capacity split);
- ``ban_exclusivity``: adds a ``ban_exclusivity`` intervention from the start;
- ``no_vendor_financing``: adds a ``no_vendor_financing`` intervention from the start.

The panels are drawn with the same functions as the static figures (`experiments.figures`),
so each firm keeps its colour here too. Nothing runs at import: the model is built when a
browser opens the page (`Page`).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import solara
from matplotlib.figure import Figure

from experiments.figures.deals import compute_live_deals
from experiments.figures.network import compute_layout, draw_network
from experiments.figures.sources import Source, source_from_results
from experiments.figures.style import MARKET_TITLES, new_figure
from experiments.figures.timeseries import draw_hhi, draw_share_areas
from experiments.run.results import REQUIRED_FROM_MODEL, Results
from experiments.run.runner import make_run_id
from experiments.scenario.loader import list_scenarios, load_scenario
from world.model import ComputeMarketModel
from world.params import AllocationRule, InterventionKind, InterventionParams, ScenarioParams

__all__ = ["Dashboard", "MarketApp", "Page", "build_params", "model_params"]

TITLE = "compute-market: the AI-compute market"
ALLOCATION_RULES = [rule.value for rule in AllocationRule]
DEAL_ROWS = 14
"""Deals shown in the deal list (the most recent first)."""


def build_params(
    scenario: str = "baseline",
    seed: int | None = None,
    cuda_lockin: float = 1.0,
    allocation_rule: str = AllocationRule.PRO_RATA.value,
    ban_exclusivity: bool = False,
    no_vendor_financing: bool = False,
) -> ScenarioParams:
    """The scenario's parameters with the app's levers applied (validated on load)."""
    params = load_scenario(
        scenario,
        [
            f"market.cuda_lockin={float(cuda_lockin)}",
            f'foundry.allocation_rule="{allocation_rule}"',
        ],
        seed=None if seed is None else int(seed),
    )
    extra = []
    if ban_exclusivity:
        extra.append(InterventionParams(kind=InterventionKind.BAN_EXCLUSIVITY, source="app lever"))
    if no_vendor_financing:
        extra.append(
            InterventionParams(kind=InterventionKind.NO_VENDOR_FINANCING, source="app lever")
        )
    if extra:
        params = params.model_copy(update={"interventions": [*params.interventions, *extra]})
    return params


class MarketApp(ComputeMarketModel):
    """The market model built from the app's keyword levers (see the module docstring)."""

    def __init__(
        self,
        scenario_name: str = "baseline",
        seed: int = 42,
        cuda_lockin: float = 1.0,
        allocation_rule: str = AllocationRule.PRO_RATA.value,
        ban_exclusivity: bool = False,
        no_vendor_financing: bool = False,
        rng: Any = None,
    ) -> None:
        params = build_params(
            scenario_name, seed, cuda_lockin, allocation_rule, ban_exclusivity, no_vendor_financing
        )
        super().__init__(params, rng=int(seed))
        self.seed_value = int(seed)
        self.levers = {
            "cuda_lockin": float(cuda_lockin),
            "allocation_rule": allocation_rule,
            "ban_exclusivity": bool(ban_exclusivity),
            "no_vendor_financing": bool(no_vendor_financing),
        }
        self._cache: tuple[int, Source] | None = None

    def step(self) -> None:
        """One month; stops (``running = False``) at the scenario's horizon."""
        if self.t >= self.p.simulation.steps:
            self.running = False
            return
        super().step()
        if self.t >= self.p.simulation.steps:
            self.running = False

    def compute_source(self) -> Source:
        """The tables so far as a figure source (cached per step)."""
        if self._cache is None or self._cache[0] != self.t:
            now = dt.datetime.now(dt.UTC)
            columns = {name: {} for name in REQUIRED_FROM_MODEL}  # before the first step
            columns.update(self.compute_tables())
            results = Results.from_tables(
                columns,
                self.p,
                seed=self.seed_value,
                run_id=make_run_id(self.p, self.seed_value),
                started=now,
                finished=now,
            )
            source = source_from_results(results)
            source.label = f"{self.p.name}, seed {self.seed_value}"
            self._cache = (self.t, source)
        return self._cache[1]

    def compute_month(self) -> str:
        """The month last simulated (``YYYY-MM``), or the start month before any step."""
        start = self.p.simulation.start
        year, month = int(start[:4]), int(start[5:7])
        idx = year * 12 + month - 1 + max(self.t - 1, 0)
        return f"{idx // 12}-{idx % 12 + 1:02d}"


def model_params() -> dict[str, Any]:
    """The sidebar: scenario, seed and the policy levers (Mesa `model_params` format)."""
    scenarios = [name for name, _ in list_scenarios()] or ["baseline"]
    return {
        "scenario_name": {
            "type": "Select",
            "value": "baseline" if "baseline" in scenarios else scenarios[0],
            "values": scenarios,
            "label": "Scenario",
        },
        "seed": {
            "type": "SliderInt",
            "value": 42,
            "min": 0,
            "max": 999,
            "step": 1,
            "label": "Seed",
        },
        "cuda_lockin": {
            "type": "SliderFloat",
            "value": 1.0,
            "min": 0.0,
            "max": 3.0,
            "step": 0.1,
            "label": "CUDA lock-in (0 = none)",
        },
        "allocation_rule": {
            "type": "Select",
            "value": AllocationRule.PRO_RATA.value,
            "values": ALLOCATION_RULES,
            "label": "Packaging allocation rule",
        },
        "ban_exclusivity": {"type": "Checkbox", "value": False, "label": "Ban exclusivity"},
        "no_vendor_financing": {
            "type": "Checkbox",
            "value": False,
            "label": "Forbid vendor financing",
        },
    }


def _placeholder(text: str) -> solara.Element:
    return solara.Info(text)


def _show(fig: Figure, testid: str) -> solara.Element:
    with solara.Div(classes=[f"cm-{testid}"]) as main:
        solara.FigureMatplotlib(fig, format="png", bbox_inches="tight", dpi=90)
    return main


def SharesPanel(model: MarketApp) -> solara.Element:
    """Stacked market shares of the three markets so far."""
    source = model.compute_source()
    shares = source.table("shares")
    if shares.is_empty():
        return _placeholder("Market shares appear after the first step (press Step or ▶).")
    fig = new_figure(7.5, 7.0)
    markets = [m for m in MARKET_TITLES if m in set(shares["market"].to_list())]
    for ax, market in zip(fig.subplots(len(markets), 1, sharex=True), markets, strict=True):
        draw_share_areas(shares, market, ax)
        ax.set_xlabel("")
    fig.suptitle(f"Market shares — {source.label}", x=0.01, ha="left", fontweight="bold")
    return _show(fig, "shares")


def HhiPanel(model: MarketApp) -> solara.Element:
    """HHI of each market so far, with the 2023 Guidelines thresholds."""
    source = model.compute_source()
    markets = source.table("markets")
    if markets.is_empty():
        return _placeholder("HHI appears after the first step.")
    fig = new_figure(7.5, 3.6)
    ax = draw_hhi(markets, fig.add_subplot())
    ax.set_title(f"HHI — {source.label}", loc="left")
    return _show(fig, "hhi")


def NetworkPanel(model: MarketApp) -> solara.Element:
    """The deal network this month (fixed layout over all deals seen so far)."""
    source = model.compute_source()
    run = source.run
    assert run is not None
    firms, deals = run.tables["firms"], run.tables["deals"]
    if firms.is_empty():
        return _placeholder("The deal network appears after the first step.")
    step = int(firms["step"].max())
    fig = new_figure(6.0, 5.6)
    ax = fig.add_subplot()
    pos = compute_layout(deals, firms["firm"].unique().to_list())
    max_value = float(deals["value_usd_b"].max() or 0.0) if deals.height else 0.0
    draw_network(ax, deals, firms, step, pos, float(firms["valuation_usd_b"].max()), max_value)
    n = len(compute_live_deals(deals, step))
    ax.set_title(f"Deal network {model.compute_month()}: {n} live deals", loc="left")
    return _show(fig, "network")


def DealList(model: MarketApp) -> solara.Element:
    """The deals so far, most recent first: parties, kind, status, value."""
    run = model.compute_source().run
    assert run is not None
    deals = run.tables["deals"]
    if deals.is_empty():
        return _placeholder("No deals yet.")
    rows = deals.sort(["step_proposed", "deal_id"], descending=True).head(DEAL_ROWS)
    lines = ["| deal | parties | kind | status | $B | GW |", "|---|---|---|---|---:|---:|"]
    for r in rows.iter_rows(named=True):
        lines.append(
            f"| {r['deal_id']} | {r['source']}→{r['target']} | {r['kind'].replace('_', ' ')} | "
            f"{r['status']} | {r['value_usd_b'] or 0:,.0f} | {r['gw'] or 0:.1f} |"
        )
    with solara.Div(classes=["cm-deals"]) as main:
        solara.Markdown(f"**Deals** ({deals.height} so far)\n\n" + "\n".join(lines))
    return main


def KeyNumbers(model: MarketApp) -> solara.Element:
    """Month, levers and the headline numbers (top accelerator share, HHI, deployed GW)."""
    source = model.compute_source()
    shares, phys = source.table("shares"), source.table("physical")
    text = f"Month {model.compute_month()} (step {model.t} of {model.p.simulation.steps})"
    if not shares.is_empty():
        last = shares.filter(shares["step"] == shares["step"].max())
        acc = last.filter(last["market"] == "accelerators").sort("share", descending=True)
        if acc.height:
            text += f" · accelerators: {acc['firm'][0]} {acc['share'][0]:.1%}"
        text += f" · deployed {phys['deployed_gw'][-1]:.1f} GW"
    levers = ", ".join(f"{k}={v}" for k, v in model.levers.items())
    with solara.Div(classes=["cm-status"]) as main:
        solara.Text(text, classes=["cm-status-text"])
        solara.Text(
            f" · {model.p.name}, seed {model.seed_value}; {levers}", style={"color": "#666"}
        )
    return main


PANELS = [KeyNumbers, SharesPanel, HhiPanel, NetworkPanel, DealList]


@solara.component
def Dashboard(model: MarketApp) -> solara.Element:
    """The market panels, re-drawn whenever Mesa's controller steps or resets the model."""
    from mesa.visualization.utils import update_counter

    update_counter.get()  # subscribe: Mesa's controller bumps it after each step
    with solara.Column(style={"padding": "0.5rem"}) as main:
        KeyNumbers(model)
        with solara.Columns([1, 1]):
            with solara.Column():
                with solara.Card("Market shares"):
                    SharesPanel(model)
            with solara.Column():
                with solara.Card("Concentration"):
                    HhiPanel(model)
                with solara.Card("Deal network"):
                    NetworkPanel(model)
        with solara.Card("Deal list"):
            DealList(model)
    return main


@solara.component
def Page() -> solara.Element:
    """The app's page: Mesa's SolaraViz (app bar, play/step/reset controls, the scenario, seed
    and lever inputs) and the market panels below it.

    The panels are laid out here rather than passed to SolaraViz as ``components``: SolaraViz
    puts components on a draggable grid whose Vue 2 plugin fails under the Vue 3 front end of
    solara 1.64 ("GlobalVue.use is not a function"), leaving the page empty.
    """
    from mesa.visualization import SolaraViz

    initial = solara.use_memo(MarketApp, dependencies=[])
    model = solara.use_reactive(initial)
    with solara.Column() as main:
        SolaraViz(model, components=[], model_params=model_params(), name=TITLE, play_interval=150)
        Dashboard(model.value)
    return main
