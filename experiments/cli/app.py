"""`compute-market app`: serve the interactive SolaraViz app (experiments/app/app.py)."""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

from experiments.errors import UserError

__all__ = ["APP_FILE", "DESCRIPTION", "add_arguments", "app_command", "handle"]

APP_FILE = Path(__file__).resolve().parent.parent / "app" / "app.py"

DESCRIPTION = (
    "Start the interactive SolaraViz app: pick a scenario, a seed and the policy levers, step "
    "or play the market. It listens on 127.0.0.1 unless --host says otherwise; open the printed "
    "address in a browser. Ctrl-C stops it."
)


def add_arguments(p: argparse.ArgumentParser) -> None:
    """Add ``[--port N] [--host H] [--open]``."""
    p.add_argument("--port", type=int, default=8765, help="port (default 8765; 0 = any free)")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--open", action="store_true", help="open a browser tab once started")


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


def handle(args: argparse.Namespace) -> int:
    """Serve the app until Ctrl-C; the exit code is the server's."""
    if not 0 <= args.port <= 65535:
        raise UserError(f"--port {args.port}: give a port from 0 to 65535")
    print(f"Starting the app on http://{args.host}:{args.port} (Ctrl-C stops it)", flush=True)
    return subprocess.call(app_command(args.port, args.host, args.open))
