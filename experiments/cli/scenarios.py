"""`compute-market scenarios`: list the shipped scenarios."""

from __future__ import annotations

import argparse

from experiments.scenario.loader import list_scenarios

__all__ = ["DESCRIPTION", "add_arguments", "handle"]

DESCRIPTION = "List the shipped scenarios, one per line: name and description."


def add_arguments(p: argparse.ArgumentParser) -> None:
    """The command takes no arguments."""


def handle(args: argparse.Namespace) -> int:
    """Print each shipped scenario's name and the first line of its description."""
    rows = list_scenarios()
    if not rows:
        print("no shipped scenarios found (experiments/scenarios/ is empty)")
        return 0
    width = max(len(name) for name, _ in rows)
    for name, desc in rows:
        print(f"{name:<{width}}  {desc}".rstrip())
    return 0
