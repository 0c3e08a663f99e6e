"""`compute-market story`: what becomes of the 2025 deals over N seeds (markdown table)."""

from __future__ import annotations

import argparse

from experiments.errors import UserError
from experiments.run.runner import run
from experiments.scenario.loader import load_scenario
from experiments.validation.story import compute_story, format_story

__all__ = ["DESCRIPTION", "add_arguments", "handle"]

DESCRIPTION = (
    "Run a scenario (default: baseline) on seeds 0..N-1 and print the seeds' story: what became "
    "of the Nvidia-OpenAI letter of intent (D1), whether AMD's binding tranche (D2) proceeded, "
    "OpenAI's suppliers and clouds at the end, Nvidia's accelerator share through 2026, when the "
    "first GW of the 2025 deals was deployed, and OpenAI's revenue, burn and valuation."
)


def add_arguments(p: argparse.ArgumentParser) -> None:
    """Add ``[SCENARIO] [--seeds N]``."""
    p.add_argument("scenario", nargs="?", default="baseline")
    p.add_argument("--seeds", type=int, default=20, help="number of seeds (0..N-1), default 20")


def handle(args: argparse.Namespace) -> int:
    """Run the seeds and print the table."""
    if args.seeds < 1:
        raise UserError(f"--seeds must be at least 1 (got {args.seeds})")
    params = load_scenario(args.scenario)
    rows = [compute_story(run(params, seed)) for seed in range(args.seeds)]
    print(format_story(rows))
    return 0
