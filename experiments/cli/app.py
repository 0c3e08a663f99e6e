"""`compute-market app`: serve the interactive SolaraViz app (experiments/app/app.py)."""

from __future__ import annotations

import argparse
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

from experiments.errors import UserError

__all__ = ["APP_FILE", "DESCRIPTION", "add_arguments", "app_command", "handle", "is_loopback",
           "serve"]

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
