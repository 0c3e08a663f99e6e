"""The batch progress bar: runs done and total, rate, ETA, failures (rich, on stderr).

Quiet when disabled (stderr is not a terminal): nothing is drawn and nothing is printed.
"""

from __future__ import annotations

import sys
import time
from typing import Any

__all__ = ["BatchProgress"]


class BatchProgress:
    """Context manager around a rich progress bar counting a batch's runs.

    Args:
        total: runs in the batch.
        skipped: runs already complete (counted as done, not in the rate).
        enabled: draw the bar; when False every method is a no-op.
    """

    def __init__(self, total: int, skipped: int = 0, enabled: bool = True) -> None:
        self.total, self.skipped, self.enabled = total, skipped, enabled
        self.done, self.failed = skipped, 0
        self._t0 = time.perf_counter()
        self._bar: Any = None
        self._task: Any = None

    def __enter__(self) -> BatchProgress:
        if not self.enabled:
            return self
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

        self._bar = Progress(
            TextColumn("[bold]batch[/bold]"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("runs  {task.fields[rate]}  ETA {task.fields[eta]}  "
                       "[red]{task.fields[failed]}[/red]"),
            console=Console(file=sys.stderr),
            transient=False,
        )
        self._bar.__enter__()
        self._task = self._bar.add_task("runs", total=self.total, completed=self.skipped,
                                        **self._fields())
        return self

    def _fields(self) -> dict[str, str]:
        ran = self.done - self.skipped
        elapsed = time.perf_counter() - self._t0
        rate = ran / elapsed * 60 if elapsed > 0 and ran else 0.0
        left = self.total - self.done
        if rate > 0:
            secs = int(left / rate * 60)
            eta = f"{secs // 3600}:{secs % 3600 // 60:02d}:{secs % 60:02d}"
        else:
            eta = "-:--:--"
        failed = f"{self.failed} failed" if self.failed else ""
        return {"rate": f"{rate:,.0f}/min", "eta": eta, "failed": failed}

    def advance(self, ok: bool = True) -> None:
        """Count one finished run (failed when not `ok`)."""
        self.done += 1
        self.failed += 0 if ok else 1
        if self._bar is not None:
            self._bar.update(self._task, advance=1, **self._fields())

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.__exit__(None, None, None)
