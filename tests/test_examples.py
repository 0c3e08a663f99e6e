"""The quickstart notebook runs from top to bottom in a fresh Jupyter kernel (this project's
environment), every cell without error, and leaves its working folder untouched.

Cells are sent to an ipykernel through jupyter_client (the protocol nbclient wraps), one at a
time, in order; a cell's error fails the test with the cell's source and traceback.
"""

from __future__ import annotations

import os
import queue
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent
NOTEBOOK = ROOT / "examples" / "quickstart.ipynb"
CELL_TIMEOUT_S = 600


def _run_cell(client, source: str) -> list[dict]:
    """Execute one cell; return its output messages; raise on an error reply."""
    msg_id = client.execute(source, store_history=False, allow_stdin=False)
    outputs = []
    while True:
        try:
            msg = client.get_iopub_msg(timeout=CELL_TIMEOUT_S)
        except queue.Empty:
            raise AssertionError(f"cell timed out after {CELL_TIMEOUT_S} s:\n{source}") from None
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        kind, content = msg["msg_type"], msg["content"]
        if kind == "error":
            trace = "\n".join(content.get("traceback", []))
            raise AssertionError(f"cell failed:\n{source}\n{content['ename']}: "
                                 f"{content['evalue']}\n{trace}")
        if kind in ("execute_result", "display_data", "stream"):
            outputs.append(msg)
        if kind == "status" and content["execution_state"] == "idle":
            return outputs


def test_quickstart_notebook_runs(tmp_path: Path) -> None:
    nbformat = pytest.importorskip("nbformat")
    from jupyter_client.manager import start_new_kernel

    nb = nbformat.read(NOTEBOOK, as_version=4)
    code = [c.source for c in nb.cells if c.cell_type == "code"]
    assert len(code) >= 6
    env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"} | {"PYTHONPATH": str(ROOT)}
    km, client = start_new_kernel(kernel_name="python3", cwd=str(tmp_path), env=env)
    try:
        outputs = [_run_cell(client, source) for source in code]
    finally:
        client.stop_channels()
        km.shutdown_kernel(now=True)
    shown = [m for out in outputs for m in out if m["msg_type"] in ("execute_result",
                                                                       "display_data")]
    assert any("image/png" in m["content"]["data"] for m in shown)  # the figures were drawn
    assert list(tmp_path.iterdir()) == []  # it wrote only to its own temporary folder
