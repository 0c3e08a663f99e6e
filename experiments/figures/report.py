"""A self-contained HTML report of a run, a batch or a comparison.

One file: the scenario (name, description, seed(s), horizon, levers, interventions), the key
numbers, and every figure the source can draw, embedded as base64 PNG (``data:`` URLs), with
the CSS inline. It references nothing outside itself, so it opens offline and can be mailed.
"""

from __future__ import annotations

import base64
import datetime as dt
import html
import io
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import polars as pl
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from experiments.batch.summary import summary_table
from experiments.figures.render import KIND_TITLES, available_kinds, render_figure
from experiments.figures.sources import Source
from experiments.figures.style import MARKET_TITLES
from world.params import MARKETS

__all__ = ["compute_key_numbers", "render_report", "write_report"]

CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:2rem auto;
max-width:1100px;color:#222;line-height:1.45;padding:0 1rem}
h1{font-size:1.6rem;margin-bottom:.2rem}h2{margin-top:2rem;border-bottom:1px solid #ddd}
.meta{color:#666;font-size:.9rem}table{border-collapse:collapse;margin:.5rem 0;font-size:.9rem}
th,td{border:1px solid #ddd;padding:.25rem .55rem;text-align:left;vertical-align:top}
th{background:#f5f5f5}td.num{text-align:right;font-variant-numeric:tabular-nums}
figure{margin:1.2rem 0}figure img{max-width:100%;height:auto;border:1px solid #eee}
figcaption{color:#555;font-size:.9rem}nav a{margin-right:.8rem}
"""
FIGURE_DPI = 100


def _e(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _table(
    header: Sequence[str], rows: Iterable[Sequence[Any]], numeric: set[int] = frozenset()
) -> str:
    head = "".join(f"<th>{_e(h)}</th>" for h in header)
    body = []
    for row in rows:
        cells = "".join(
            f'<td class="num">{_e(v)}</td>' if i in numeric else f"<td>{_e(v)}</td>"
            for i, v in enumerate(row)
        )
        body.append(f"<tr>{cells}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _frame_table(frame: pl.DataFrame, max_rows: int = 60) -> str:
    numeric = {i for i, dtype in enumerate(frame.dtypes) if dtype.is_numeric()}
    rows = []
    for row in frame.head(max_rows).iter_rows():
        rows.append([f"{v:,.3g}" if isinstance(v, float) else v for v in row])
    note = (
        f"<p class='meta'>first {max_rows} of {frame.height} rows</p>"
        if frame.height > max_rows
        else ""
    )
    return _table(frame.columns, rows, numeric) + note


def figure_data_url(fig: Figure, dpi: int = FIGURE_DPI) -> str:
    """A figure as a ``data:image/png;base64,...`` URL."""
    FigureCanvasAgg(fig)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, metadata={"Software": None})
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def compute_key_numbers(source: Source) -> list[tuple[str, str]]:
    """Headline numbers of a run at its last month: shares and HHI per market, capacity,
    energy, OpenAI's valuation, deals by status (for a batch: its first run)."""
    assert source.run is not None
    t = source.run.tables
    out: list[tuple[str, str]] = []
    shares, markets = t["shares"], t["markets"]
    if shares.height:
        last = shares["step"].max()
        date = shares.filter(pl.col("step") == last)["date"][0]
        out.append(("last month", f"{date:%Y-%m}"))
        for market in MARKETS:
            rows = shares.filter((pl.col("step") == last) & (pl.col("market") == market))
            rows = rows.sort("share", descending=True).head(3)
            top = ", ".join(
                f"{f} {s:.1%}" for f, s in zip(rows["firm"], rows["share"], strict=True)
            )
            hhi = markets.filter((pl.col("step") == last) & (pl.col("market") == market))["hhi"]
            hhi_text = f"HHI {hhi[0]:,.0f}; " if len(hhi) else ""
            out.append((MARKET_TITLES[market], hhi_text + top))
    phys = t["physical"]
    if phys.height:
        p = phys.sort("step").row(-1, named=True)
        out.append(("deployed / powered, six named firms",
                    f"{p['deployed_gw']:.1f} GW / {p['powered_gw']:.1f} GW"))
        energy = p.get("energy_twh_per_year") or p["energy_twh"] * 12
        out.append(
            ("energy", f"{energy:,.0f} TWh per year ≈ {p['homes_millions']:.1f} million US homes")
        )
    firms = t["firms"].filter(pl.col("firm") == "OpenAI").sort("step")
    if firms.height:
        out.append(("OpenAI valuation", f"${firms['valuation_usd_b'][-1]:,.0f}B"))
    deals = t["deals"]
    if deals.height:
        counts = deals.group_by("status").len().sort(["len", "status"], descending=[True, False])
        out.append(
            (f"deals ({deals.height})", ", ".join(f"{n} {s}" for s, n in counts.iter_rows()))
        )
    return out


def _scenario_section(source: Source) -> str:
    m = source.manifest
    if source.kind == "run":
        sc = m.get("resolved_scenario", {})
        sim = sc.get("simulation", {})
        rows = [
            ("scenario", m.get("scenario", "")),
            ("description", sim.get("description", "")),
            ("seed", m.get("seed", "")),
            ("months", f"{m.get('steps', '')} from {m.get('start_month', '')}"),
            (
                "interventions",
                "; ".join(
                    ", ".join(
                        f"{k}={v}" for k, v in iv.items() if v not in (None, "", [], 1.0, 100.0)
                    )
                    for iv in sc.get("interventions", [])
                )
                or "none",
            ),
            ("dated events", len(sc.get("events", []))),
            (
                "run id / scenario hash",
                f"{m.get('run_id', '')} / {str(m.get('scenario_hash', ''))[:16]}",
            ),
            ("package version", m.get("package_version", "")),
        ]
        return _table(["", ""], rows)
    if source.kind == "batch":
        rows = [
            ("batch", m.get("name", "")),
            ("description", m.get("description", "")),
            ("scenarios", ", ".join(m.get("scenarios", []))),
            ("months", m.get("steps") or "each scenario's"),
            ("seeds", len(m.get("seeds", []))),
            (
                "runs",
                f"{m.get('runs_done', '')} done, {m.get('runs_failed', 0)} failed "
                f"of {m.get('n_runs', '')}",
            ),
            ("levers", "; ".join(f"{k} ∈ {v}" for k, v in m.get("levers", {}).items()) or "none"),
            (
                "uncertainties",
                "; ".join(
                    f"{k} ∈ {v}" for k, v in m.get("uncertainties", {}).get("ranges", {}).items()
                )
                or "none",
            ),
        ]
        text = _table(["", ""], rows)
        if source.variants is not None:
            cols = [c for c in source.variants.columns if c not in ("overrides", "variant_index")]
            text += "<h3>Variants</h3>" + _frame_table(source.variants.select(cols))
        return text
    rows = [(k, v) for k, v in m.items() if not isinstance(v, dict | list)] or [
        ("comparison", source.label)
    ]
    return _table(["", ""], rows)


def _compare_section(source: Source) -> str:
    """The comparison at its chosen month (``compare.json`` step, default the last), one
    table per variant with units, intervals and adjusted p-values."""
    from experiments.analysis.compare_text import HEADER, NOTE, report_rows

    table = source.compare
    assert table is not None
    needed = {"label", "step", "exact", "p_adjusted", "reference_mean", "variant_mean"}
    if not needed <= set(table.columns):  # a table from elsewhere: show it as it is
        return _frame_table(table)
    step = source.manifest.get("step")
    step = int(table["step"].max()) if step is None else int(step)
    text = ""
    for title, rows in report_rows(table, step).values():
        text += f"<h3>{_e(title)}</h3>" + _table(HEADER, rows, numeric={2, 3, 4, 5, 6})
    level = float(table["level"][0]) if "level" in table.columns and table.height else 0.95
    text += f"<p>{_e(NOTE.format(alpha=1.0 - level))} Every month is in compare.parquet.</p>"
    return text


def _numbers_section(source: Source) -> str:
    if source.kind == "compare":
        return _compare_section(source)
    text = ""
    if source.kind == "batch":
        assert source.path is not None
        text += "<p>Per variant at the last month: mean [5%, 95%] over the runs.</p>"
        text += _frame_table(summary_table(source.path))
        text += f"<h3>First run ({_e(source.run_label)})</h3>"
    return text + _table(["", ""], compute_key_numbers(source))


def render_report(source: Source, dates: list[str] | None = None) -> str:
    """The report's HTML text (see the module docstring)."""
    kinds = available_kinds(source)
    figures = []
    for kind in kinds:
        fig = render_figure(source, kind, dates)
        url = figure_data_url(fig)
        title = KIND_TITLES[kind]
        figures.append(
            f'<figure id="fig-{kind}" class="figure"><img src="{url}" alt="{_e(title)}">'
            f"<figcaption>{_e(title)} — {_e(source.label)}</figcaption></figure>"
        )
    nav = "".join(f'<a href="#fig-{k}">{_e(KIND_TITLES[k])}</a>' for k in kinds)
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    where = _e(source.path) if source.path else "results in memory"
    return (
        "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
        f"<title>compute-market report — {_e(source.label)}</title>"
        f"<style>{CSS}</style></head><body>"
        f"<h1>compute-market report</h1><p class='meta'>{_e(source.label)} · {source.kind} "
        f"at {where} · written {now}</p><nav>{nav}</nav>"
        f"<h2>Scenario</h2>{_scenario_section(source)}"
        f"<h2>Key numbers</h2>{_numbers_section(source)}"
        f"<h2>Figures</h2>{''.join(figures)}"
        "</body></html>\n"
    )


def write_report(source: Source, out: str | Path, dates: list[str] | None = None) -> Path:
    """Write the report of `source` to `out` (through a temporary file); returns the path."""
    path = Path(out)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(render_report(source, dates), encoding="utf-8")
    tmp.replace(path)
    return path
