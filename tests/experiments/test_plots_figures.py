"""Every figure kind, drawn from a real baseline run, a real batch and a comparison table:
valid image files, one legend entry per firm in the data, fixed firm colours, units, dates,
thresholds, a network layout that stays put, legends outside the data, CLI errors."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import matplotlib.image as mpimg
import polars as pl
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import to_hex
from matplotlib.patches import Arc, FancyArrowPatch

from experiments.cli.main import main
from experiments.figures import FIGURE_KINDS, load_source, render_figure, save_figure
from experiments.figures.colours import colour_for
from experiments.figures.deals import compute_live_deals, parse_history
from experiments.figures.network import compute_held_stakes, compute_layout
from experiments.figures.style import HHI_HIGHLY_CONCENTRATED, HHI_MODERATELY_CONCENTRATED
from world.params import MARKETS

RUN_KINDS = [k for k in FIGURE_KINDS if k != "compare"]


def _legend_labels(ax) -> list[str]:
    legend = ax.get_legend()
    return [t.get_text() for t in legend.get_texts()] if legend else []


@pytest.mark.parametrize("kind", RUN_KINDS)
def test_every_run_kind_saves_valid_png_and_svg(run_dir: Path, tmp_path: Path, kind: str) -> None:
    source = load_source(run_dir)
    fig = render_figure(source, kind)
    png = save_figure(fig, tmp_path / f"{kind}.png")
    image = mpimg.imread(png)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert image.shape[0] > 300 and image.shape[1] > 500
    assert image[..., :3].std() > 0.05  # not a blank canvas
    svg = save_figure(render_figure(source, kind), tmp_path / f"{kind}.svg")
    assert ET.parse(svg).getroot().tag.endswith("svg")
    assert "baseline, seed 42" in fig.get_suptitle() + " ".join(
        ax.get_title(loc="left") for ax in fig.axes
    )


def test_run_shares_one_legend_entry_per_firm_with_fixed_colours(run_dir: Path) -> None:
    source = load_source(run_dir)
    shares = source.table("shares")
    fig = render_figure(source, "shares")
    for ax, market in zip(fig.axes, MARKETS, strict=True):
        firms = set(shares.filter(pl.col("market") == market)["firm"].to_list())
        labels = _legend_labels(ax)
        assert sorted(labels) == sorted(firms) and len(labels) == len(firms)
        colours = {c.get_label(): to_hex(c.get_facecolor()[0]) for c in ax.collections}
        assert all(colours[f] == colour_for(f) for f in firms)
        assert ax.get_ylabel() == "share of market (%)"
    assert fig.axes[-1].get_xlabel() == "date (month)"


def test_legends_sit_outside_the_data(run_dir: Path) -> None:
    source = load_source(run_dir)
    for kind in ("shares", "hhi", "physical", "deals"):
        fig = render_figure(source, kind)
        canvas = FigureCanvasAgg(fig)
        canvas.draw()
        renderer = canvas.get_renderer()
        for ax in fig.axes:
            legend = ax.get_legend()
            if legend is None:
                continue
            box, frame = legend.get_window_extent(renderer), ax.get_window_extent(renderer)
            assert box.x0 >= frame.x1 - 1, f"{kind}: legend overlaps the data"


def test_hhi_draws_2023_guidelines_thresholds(run_dir: Path) -> None:
    fig = render_figure(load_source(run_dir), "hhi")
    ax = fig.axes[0]
    levels = {line.get_ydata()[0] for line in ax.get_lines() if len(set(line.get_ydata())) == 1}
    assert {HHI_MODERATELY_CONCENTRATED, HHI_HIGHLY_CONCENTRATED} <= levels
    assert "HHI" in ax.get_ylabel() and ax.get_ylim() == (0, 10_000)
    labels = _legend_labels(ax)
    assert {"AI accelerators", "AI cloud capacity", "Frontier AI"} <= set(labels)


def test_history_parsing_and_live_deals() -> None:
    assert parse_history("8:loi > 11:stalled > 14:renegotiated") == [
        (8, "loi"),
        (11, "stalled"),
        (14, "renegotiated"),
    ]
    deals = pl.DataFrame(
        {
            "deal_id": ["A", "B"],
            "kind": ["equity", "supply"],
            "source": ["Nvidia", "AMD"],
            "target": ["OpenAI", "OpenAI"],
            "status": ["renegotiated", "active"],
            "step_proposed": [8, 9],
            "value_usd_b": [100.0, 10.0],
            "history": ["8:loi > 11:stalled > 14:renegotiated", "9:definitive > 9:active"],
        }
    )
    assert [p.row["deal_id"] for p, _ in compute_live_deals(deals, 7)] == []
    assert [(p.row["deal_id"], s) for p, s in compute_live_deals(deals, 12)] == [
        ("A", "stalled"),
        ("B", "active"),
    ]
    assert [p.row["deal_id"] for p, _ in compute_live_deals(deals, 14)] == ["B"]


def test_network_layout_stays_put_and_edges_are_live_deals(run_dir: Path) -> None:
    source = load_source(run_dir)
    fig = render_figure(source, "network", ["2026-01", "2029-06"])
    deals = source.table("deals")
    offsets = [ax.collections[0].get_offsets().tolist() for ax in fig.axes if ax.collections]
    assert len(offsets) == 2 and offsets[0] == offsets[1]  # nodes never move
    for ax, step in zip(fig.axes, (12, 53), strict=False):
        live = {
            p.row["deal_id"]
            for p, _ in compute_live_deals(deals, step)
            if p.row["source"] != p.row["target"]
        }
        gids = [p.get_gid() or "" for p in ax.patches if isinstance(p, FancyArrowPatch)]
        drawn = {g[5:] for g in gids if g.startswith("deal:")}
        assert drawn == live and live
        # stakes held (completed equity) are drawn, once per investor and investee
        held = {f"{h['source']}->{h['target']}" for h in compute_held_stakes(deals, step)
                if h["source"] != h["target"]}
        assert {g[6:] for g in gids if g.startswith("stake:")} == held and held
        assert not [p for p in ax.patches if isinstance(p, Arc)]  # no self-loops
    kinds = {t.get_text() for t in fig.legends[0].get_texts()}
    assert {"supply", "cloud capacity", "equity"} <= kinds
    pos = compute_layout(deals, source.table("firms")["firm"].unique().to_list())
    assert pos["OpenAI"] == (0.0, 0.0)  # the party to most deals sits in the centre


def test_deal_timeline_has_one_row_per_deal(run_dir: Path) -> None:
    source = load_source(run_dir)
    fig = render_figure(source, "deals")
    ax = fig.axes[0]
    assert len(ax.get_yticks()) == source.table("deals").height
    labels = set(_legend_labels(ax))
    assert {"loi", "active", "completed", "tranche paid"} <= labels


def test_physical_layer_units(run_dir: Path) -> None:
    fig = render_figure(load_source(run_dir), "physical")
    ylabels = {a.get_ylabel() for ax in fig.axes for a in (ax, *ax.child_axes)}
    assert {"GW (facility power)", "GW per month", "TWh per year", "million US homes"} <= ylabels
    labels = _legend_labels(fig.axes[0])
    # scopes are named: powered and deployed cover the six named firms, output all designers
    assert {"powered datacenters, six named firms", "deployed compute, six named firms"} <= set(
        labels)
    assert any("all designers" in label for label in labels)
    # every line is visible: "delivered" is drawn on top of a wider "produced" line
    lines = {line.get_label(): line for line in fig.axes[0].get_lines()}
    produced = next(v for k, v in lines.items() if k.startswith("chips produced"))
    delivered = next(v for k, v in lines.items() if k.startswith("chips delivered"))
    assert produced.get_linewidth() > delivered.get_linewidth()
    assert produced.get_zorder() < delivered.get_zorder()


def test_batch_figures_show_means_with_bands(batch_dir: Path, tmp_path: Path) -> None:
    source = load_source(batch_dir)
    assert source.kind == "batch" and "2 seeds" in source.label
    fig = render_figure(source, "shares")
    shares = source.table("shares")
    assert len(fig.axes) == len(MARKETS) * 2  # a column per variant
    acc_firms = set(shares.filter(pl.col("market") == "accelerators")["firm"].to_list())
    assert sorted(_legend_labels(fig.axes[1])) == sorted(acc_firms)
    assert any(len(ax.collections) >= len(acc_firms) for ax in fig.axes)  # the bands
    assert "5–95% band" in fig.get_suptitle()
    hhi = render_figure(source, "hhi")
    assert len(hhi.legends) == 1 and not any(ax.get_legend() for ax in hhi.axes)  # one legend
    entries = [t.get_text() for t in hhi.legends[0].get_texts()]
    assert {"allocation_rule=pro_rata", "allocation_rule=uniform"} <= set(entries)
    assert len(entries) == len(set(entries))
    styles = {(line.get_linestyle(), line.get_marker()) for line in hhi.axes[0].get_lines()
              if line.get_label().startswith("allocation_rule")}
    assert len(styles) == 2  # variants differ by dash and marker, not colour alone
    for kind in RUN_KINDS:
        save_figure(render_figure(source, kind), tmp_path / f"{kind}.png")
    assert "first run of the batch" in render_figure(source, "network").get_suptitle()


def test_compare_figure_one_scale_per_unit(compare_dir: Path, tmp_path: Path) -> None:
    """Rows sharing a unit share a panel (one x scale); different units never share one."""
    source = load_source(compare_dir)
    assert source.kind == "compare"
    fig = render_figure(source, "compare")
    assert len(fig.axes) == 3  # points, GW, $B
    assert [t.get_text() for t in fig.axes[0].get_yticklabels()] == [
        "HHI accelerators", "HHI cloud"]
    assert [ax.get_xlabel() for ax in fig.axes] == [
        "difference (points)", "difference (GW)", "difference ($B)"]
    assert "no_vendor_financing vs baseline" in fig.get_suptitle()
    save_figure(fig, tmp_path / "c.png")


def test_plot_cli(run_dir: Path, compare_dir: Path, tmp_path: Path, capsys) -> None:
    assert main(["plot", str(run_dir), "--kind", "all", "-o", str(tmp_path / "f")]) == 0
    assert sorted(p.stem for p in (tmp_path / "f").glob("*.png")) == sorted(RUN_KINDS)
    out = tmp_path / "n.svg"
    args = ["plot", str(run_dir), "--kind", "network", "--date", "2026-06", "--format", "svg"]
    assert main([*args, "-o", str(out)]) == 0 and out.stat().st_size > 0
    assert main(["plot", str(compare_dir), "--kind", "compare", "-o", str(tmp_path / "c.png")]) == 0
    capsys.readouterr()
    assert main(["plot", str(run_dir), "--kind", "network", "--date", "2040-01"]) == 2
    assert "2025-01 to 2030-12" in capsys.readouterr().err
    assert main(["plot", str(run_dir), "--kind", "compare"]) == 2
    assert main(["plot", str(compare_dir), "--kind", "shares"]) == 2
    assert main(["plot", str(tmp_path / "nope")]) == 2


def test_compare_figure_from_a_real_comparison(tmp_path: Path) -> None:
    """compare.png is the figure `plot --kind compare` draws from the same folder: effects over
    time on top, then one forest panel per unit."""
    out = tmp_path / "cmp"
    args = ["compare", "baseline", "what_if/no_vendor_financing", "--seeds", "2", "--steps", "12"]
    assert main([*args, "--out", str(out)]) == 0
    source = load_source(out)
    fig = render_figure(source, "compare")
    forest = [ax for ax in fig.axes if ax.get_xlabel().startswith("difference")]
    units = [ax.get_xlabel() for ax in forest]
    assert len(units) == len(set(units)) and forest
    assert "what_if/no_vendor_financing vs baseline, 2 seeds" in fig.get_suptitle()
    assert main(["plot", str(out), "--kind", "compare", "-o", str(tmp_path / "p.png")]) == 0
    assert (tmp_path / "p.png").read_bytes() == (out / "compare.png").read_bytes()
