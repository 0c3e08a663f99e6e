"""The `plot`, `report` and `app` subcommands (registered in `experiments.cli.main.SUBCOMMANDS`)."""

from __future__ import annotations

import argparse
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

from experiments.errors import UserError

__all__ = ["add_app_parser", "add_plot_parser", "add_report_parser"]

APP_FILE = Path(__file__).resolve().parent.parent / "app" / "app.py"


def add_plot_parser(sub: Any) -> None:
    """Add ``compute-market plot PATH --kind KIND [--date YYYY-MM] [--format png|svg]``."""
    from experiments.figures.kinds import FIGURE_KINDS

    p = sub.add_parser(
        "plot",
        help="draw a figure of a run, batch or comparison",
        description="Draw one figure kind (or all) of a run directory, a batch directory or a "
        "comparison, and write it as PNG or SVG (default: PATH/figures/<kind>.<format>).",
    )
    p.add_argument("path", type=Path, help="run, batch or comparison directory")
    p.add_argument(
        "--kind",
        default="shares",
        choices=[*FIGURE_KINDS, "all"],
        help="figure to draw (default: shares; 'all' draws every kind the source has)",
    )
    p.add_argument(
        "--date",
        dest="dates",
        action="append",
        metavar="YYYY-MM",
        help="month(s) of the deal network (repeatable; default: four evenly spaced months)",
    )
    p.add_argument("--format", default="png", choices=["png", "svg"], help="file format")
    p.add_argument("-o", "--out", type=Path, help="output file (one kind) or folder ('all')")
    p.set_defaults(handler=_cmd_plot)


def _cmd_plot(args: argparse.Namespace) -> int:
    from experiments.figures import available_kinds, load_source, render_figure, save_figure

    source = load_source(args.path)
    _print_notes(source)
    kinds = available_kinds(source) if args.kind == "all" else [args.kind]
    folder = args.path if args.path.is_dir() else args.path.parent
    figures = [(kind, render_figure(source, kind, args.dates)) for kind in kinds]  # all read
    for kind, fig in figures:
        if args.out is not None and args.kind != "all":
            out = args.out
        else:
            suffix = f"-{'_'.join(args.dates)}" if kind == "network" and args.dates else ""
            out = (args.out or folder / "figures") / f"{kind}{suffix}.{args.format}"
        try:
            out.parent.mkdir(parents=True, exist_ok=True)
            save_figure(fig, out, args.format)
        except OSError as exc:
            raise UserError(
                f"cannot write {out}: {exc.strerror or exc}; choose another -o"
            ) from None
        print(f"Wrote {out}")
    return 0


def _print_notes(source: Any) -> None:
    for line in getattr(source, "notes", []):
        print(f"compute-market: note: {line}", file=sys.stderr)


def add_report_parser(sub: Any) -> None:
    """Add ``compute-market report PATH -o report.html``."""
    p = sub.add_parser(
        "report",
        help="write a self-contained HTML report of a run, batch or comparison",
        description="Write one HTML file with the scenario, the key numbers and every figure "
        "embedded (it opens offline, nothing is fetched).",
    )
    p.add_argument("path", type=Path, help="run, batch or comparison directory")
    p.add_argument("-o", "--out", type=Path, help="HTML file to write (default: PATH/report.html)")
    p.set_defaults(handler=_cmd_report)


def _cmd_report(args: argparse.Namespace) -> int:
    from experiments.figures import load_source
    from experiments.figures.report import write_report

    source = load_source(args.path)
    _print_notes(source)
    folder = args.path if args.path.is_dir() else args.path.parent
    out = args.out or folder / "report.html"
    try:
        write_report(source, out)
    except OSError as exc:
        raise UserError(f"cannot write {out}: {exc.strerror or exc}; choose another -o") from None
    print(f"Wrote {out}")
    return 0


def add_app_parser(sub: Any) -> None:
    """Add ``compute-market app [--port N] [--host H]``."""
    p = sub.add_parser(
        "app",
        help="start the interactive app (in your browser, on this machine only)",
        description="Start the interactive SolaraViz app: pick a scenario, a seed and the "
        "policy levers, step or play the market. It listens on 127.0.0.1 unless --host says "
        "otherwise; open the printed address in a browser. Ctrl-C stops it.",
    )
    p.add_argument("--port", type=int, default=8765, help="port (default 8765; 0 = any free)")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--open", action="store_true", help="open a browser tab once started")
    p.set_defaults(handler=_cmd_app)


def app_command(port: int, host: str = "127.0.0.1", open_browser: bool = False) -> list[str]:
    """The command that serves the app (solara run, production mode)."""
    return [
        sys.executable,
        "-m",
        "solara",
        "run",
        str(APP_FILE),
        "--host",
        host,
        "--port",
        str(port),
        "--production",
        "--open" if open_browser else "--no-open",
    ]


def _cmd_app(args: argparse.Namespace) -> int:
    if not 0 <= args.port <= 65535:
        raise UserError(f"--port {args.port}: give a port from 0 to 65535")
    from experiments.batch.executors import warn

    if not is_loopback(args.host):
        warn(f"--host {args.host}: the app is reachable from other machines on the network, "
             "with no password; anyone who reaches it can run the model on this machine")
    print(f"Starting the app on http://{args.host}:{args.port} (Ctrl-C stops it)", flush=True)
    return serve(app_command(args.port, args.host, args.open))


def is_loopback(host: str) -> bool:
    """True when `host` is reachable from this machine only (localhost, 127.x, ::1)."""
    host = host.strip("[]").lower()
    return host in ("localhost", "::1") or host.startswith("127.")


PASSED_SIGNALS = ("SIGTERM", "SIGHUP")
"""Signals the app command passes on to its server (Ctrl-C reaches both from the terminal)."""


def serve(command: list[str]) -> int:
    """Run the server `command` as a child and wait for it.

    SIGTERM and SIGHUP sent to this command are passed on to the server, so stopping the
    command (a service manager, ``kill``) stops the server rather than orphaning it; the exit
    code is the server's (128 + the signal number if a signal ended it).
    """
    child = subprocess.Popen(command)

    def pass_on(signum: int, frame: Any) -> None:
        if child.poll() is None:
            child.send_signal(signum)

    previous = {}
    for name in PASSED_SIGNALS:
        sig = getattr(signal, name, None)
        if sig is not None:
            previous[sig] = signal.signal(sig, pass_on)
    interrupts = 0
    try:
        while True:
            try:
                code = child.wait()
                break
            except KeyboardInterrupt:  # Ctrl-C: the server got it too; wait for it to stop
                interrupts += 1
                if interrupts == 2:
                    child.terminate()
                elif interrupts > 2:
                    child.kill()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return 128 - code if code < 0 else code
