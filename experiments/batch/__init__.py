"""Experiment batches: specs, plans, executors and the resumable batch loop.

The nouns are imported lazily so that ``import experiments.cli.main`` stays light.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

__all__ = ["BatchReport", "BatchSpec", "Plan", "load_spec", "make_plan", "prepare_batch",
           "run_batch"]

_WHERE = {
    "BatchReport": "runner", "prepare_batch": "runner", "run_batch": "runner",
    "BatchSpec": "spec", "load_spec": "spec", "Plan": "plan", "make_plan": "plan",
}


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(import_module(f"experiments.batch.{_WHERE[name]}"), name)
    raise AttributeError(f"module 'experiments.batch' has no attribute {name!r}")
