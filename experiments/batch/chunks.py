"""Handing out a batch's runs to the executor: a chunk at a time, never two of one partition.

See `ChunkQueue`; `experiments.batch.runner.run_batch` drives it.
"""

from __future__ import annotations

import statistics

from experiments.batch.worker import RunChunk

__all__ = ["SLOW_RUN_S", "ChunkQueue"]

SLOW_RUN_S = 0.5
"""Median run time (s) above which runs go to the workers one at a time rather than a block at a
time: each is then on disk and counted as soon as it ends."""


class ChunkQueue:
    """Hands out the runs still to do, a chunk at a time, never two chunks of one partition at
    once (two workers would race to write it).

    Until the first runs come back, and whenever the median run so far takes more than
    `slow_run_s`, a chunk is one run: a slow run is on disk, and counted by the progress bar, as
    soon as it ends, and a killed batch loses only the runs in progress. Fast runs go a whole
    block at a time, so the block's tables are written once. How the runs are chunked never
    changes the files: a partition finished over several chunks is merged in plan order
    (`experiments.batch.store.write_partition`).
    """

    def __init__(self, blocks: list[RunChunk], slow_run_s: float = SLOW_RUN_S) -> None:
        self._waiting = list(blocks)
        self._busy: set[str] = set()
        self._durations: list[float] = []
        self.slow_run_s = slow_run_s

    def _fast(self) -> bool:
        if not self._durations:
            return False
        return statistics.median(self._durations) <= self.slow_run_s

    def pop(self) -> RunChunk | None:
        """The next chunk to run, or None if every partition left is being written now."""
        for i, block in enumerate(self._waiting):
            if block.part_dir in self._busy:
                continue
            n = len(block.tasks) if self._fast() else 1
            if n < len(block.tasks):
                self._waiting[i] = RunChunk(tasks=block.tasks[n:], order=block.order)
            else:
                del self._waiting[i]
            self._busy.add(block.part_dir)
            return RunChunk(tasks=block.tasks[:n], order=block.order)
        return None

    def finish(self, chunk: RunChunk, durations_s: list[float]) -> None:
        """A chunk came back: its partition is free again; learn how long runs take."""
        self._busy.discard(chunk.part_dir)
        self._durations.extend(d for d in durations_s if d > 0)
