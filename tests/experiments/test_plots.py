"""Figures and colours: fixed firm colours, stacked shares in percent, three-market panels."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from matplotlib.colors import to_hex
from matplotlib.figure import Figure

from experiments.figures.colours import FIRM_COLOURS, FRINGE_GREYS, colour_for, ordered_names
from experiments.figures.plots import plot_share_panels, plot_shares, save_figure
from experiments.run.results import Results
from experiments.run.runner import run
from experiments.scenario.loader import load_scenario


@pytest.fixture
def results(tmp_scenario: Callable[..., Path], fake_model: type) -> Results:
    return run(load_scenario(tmp_scenario()))


def test_firm_colours_are_fixed() -> None:
    assert set(FIRM_COLOURS) == {"Nvidia", "AMD", "OpenAI", "Amazon", "Microsoft", "Oracle"}
    assert len(set(FIRM_COLOURS.values())) == 6
    assert colour_for("Nvidia") == "#76b900"
    assert colour_for("fringe_chips") in FRINGE_GREYS
    assert colour_for("fringe_chips") == colour_for("fringe_chips")


def test_ordered_names_puts_the_six_first() -> None:
    assert ordered_names(["zeta", "OpenAI", "Nvidia", "alpha"]) == [
        "Nvidia",
        "OpenAI",
        "alpha",
        "zeta",
    ]


def test_plot_shares_stacks_in_percent_with_firm_colours(results: Results) -> None:
    ax = plot_shares(results.tables["shares"], "accelerators")
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert sorted(labels) == ["AMD", "Nvidia", "fringe_chips"]
    assert ax.get_ylim() == (0.0, 1.0)
    assert ax.yaxis.get_major_formatter()(0.5, 0) == "50%"
    assert "scn" in ax.get_title(loc="left") and "seed 7" in ax.get_title(loc="left")
    colours = {c.get_label(): to_hex(c.get_facecolor()[0]) for c in ax.collections}
    assert colours["Nvidia"] == colour_for("Nvidia")
    # the top of the stack is the sum of shares, 1 at every date
    top = ax.collections[-1].get_paths()[0].vertices[:, 1].max()
    assert top == pytest.approx(1.0)


def test_plot_shares_draws_on_given_axes(results: Results) -> None:
    ax = Figure().add_subplot()
    assert plot_shares(results.tables["shares"], "cloud", ax=ax) is ax


def test_plot_shares_unknown_market(results: Results) -> None:
    with pytest.raises(ValueError, match="no share rows"):
        plot_shares(results.tables["shares"], "gpus")


def test_panels_have_three_markets_and_save(results: Results, tmp_path: Path) -> None:
    fig = plot_share_panels(results)
    assert len(fig.axes) == 3
    path = save_figure(fig, tmp_path / "s.png")
    assert path.read_bytes()[:4] == b"\x89PNG"
