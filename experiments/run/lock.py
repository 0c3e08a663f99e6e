"""One writer per output directory: an exclusive lock beside it, and the litter of killed writers.

`OutputLock(target)` claims ``<parent>/.<name>.lock`` with ``flock``: the operating system drops
the claim when its process ends, however it ends (``kill -9`` included), so a lock is never
stale and no timing is involved. A second command writing the same directory finds the lock
held and stops with one line naming the holder's process id (exit code 2).

Writers put their work in hidden folders beside the target (``.<name>.tmp-*``) and rename them
into place; a writer killed half-way leaves them behind. Only the holder of a name's lock makes
them, so whoever next takes the lock may remove them (`OutputLock.acquire`), and `sweep_litter`
removes the leftovers of every other name in a folder whose lock nobody holds. A run directory
being replaced is first renamed to ``.<name>.old-*``; if the writer died before putting the new
one in place, the old one is renamed back.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from pathlib import Path
from types import TracebackType

from experiments.errors import UserError

try:  # POSIX
    import fcntl
except ImportError:  # pragma: no cover - Windows: no advisory locks, best effort only
    fcntl = None  # type: ignore[assignment]

__all__ = ["OutputLock", "litter_of", "sweep_litter"]

LITTER_MARKS = (".tmp-", ".old-")


def litter_of(parent: Path, name: str) -> list[Path]:
    """Hidden leftovers of writers of `name` in `parent` (``.<name>.tmp-*``, ``.<name>.old-*``)."""
    return sorted(p for mark in LITTER_MARKS for p in parent.glob(f".{name}{mark}*"))


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def _clean(parent: Path, name: str) -> list[Path]:
    """Remove the litter of `name` (its lock is held): restore an old directory whose
    replacement never arrived, delete the rest. Returns what was removed."""
    target = parent / name
    removed = []
    for path in litter_of(parent, name):
        if ".old-" in path.name and not target.exists():
            os.replace(path, target)  # killed between moving the old run away and the new in
            continue
        _remove(path)
        removed.append(path)
    return removed


class OutputLock:
    """An exclusive claim on the path `target` (a run or batch directory), for this process.

    Use as a context manager, or call `acquire` and `release`. The lock file
    ``.<name>.lock`` sits beside `target` and is removed on release.

    Args:
        target: the directory to be written.
        what: how messages name the directory's writer (``run``, ``batch``).
    """

    def __init__(self, target: Path, what: str = "command") -> None:
        self.target = Path(target)
        self.path = self.target.parent / f".{self.target.name}.lock"
        self.what = what
        self._fd: int | None = None
        self._made: list[Path] = []  # folders made for the lock file, removed if left empty
        self.removed: list[Path] = []

    def try_acquire(self) -> bool:
        """Take the lock if nobody holds it; False if another process does."""
        missing = [p for p in (self.target.parent, *self.target.parent.parents) if not p.exists()]
        self.target.parent.mkdir(parents=True, exist_ok=True)
        self._made = missing
        while True:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            if fcntl is not None:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    os.close(fd)
                    return False
            try:  # the holder before us may have removed the file as we opened it
                same = os.path.samestat(os.fstat(fd), os.stat(self.path))
            except FileNotFoundError:
                same = False
            if same:
                break
            os.close(fd)
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._fd = fd
        return True

    def holder(self) -> str:
        """The process id written by the current holder (or '?')."""
        try:
            return self.path.read_text(encoding="utf-8").strip() or "?"
        except OSError:
            return "?"

    def acquire(self) -> OutputLock:
        """Take the lock and remove the litter of earlier writers of the same directory.

        Raises:
            UserError: another process holds the lock.
        """
        if not self.try_acquire():
            raise UserError(
                f"{self.target} is being written by another {self.what} (process "
                f"{self.holder()}, lock {self.path.name}); wait for it to finish or choose "
                "another --out"
            )
        self.removed = _clean(self.target.parent, self.target.name)
        return self

    def release(self) -> None:
        """Give the lock up and remove its file."""
        if self._fd is None:
            return
        with contextlib.suppress(OSError):
            self.path.unlink()
        os.close(self._fd)
        self._fd = None
        for folder in self._made:  # innermost first; a folder something was written to stays
            with contextlib.suppress(OSError):
                folder.rmdir()

    def __enter__(self) -> OutputLock:
        return self.acquire()

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.release()


def sweep_litter(parent: Path) -> list[Path]:
    """Remove the litter of every writer in `parent` whose lock nobody holds (killed writers).

    Returns:
        The paths removed.
    """
    if not parent.is_dir():
        return []
    names = set()
    for mark in LITTER_MARKS:
        for path in parent.glob(f".*{mark}*"):
            names.add(path.name[1:].split(mark, 1)[0])
    removed: list[Path] = []
    for name in sorted(names):
        lock = OutputLock(parent / name)
        if lock.try_acquire():
            try:
                removed += _clean(parent, name)
            finally:
                lock.release()
    return removed
