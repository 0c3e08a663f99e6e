"""Errors a user can fix: each one is shown as a single line by the command line.

`UserError` is for any mistake the user made (a bad argument, an existing output directory);
`ScenarioError` adds the scenario file and the dotted key at fault. Anything else raised during
a run is a bug and is reported as such (exit code 1), never dressed up as a user mistake.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["ScenarioError", "UserError"]


def _one_line(text: str) -> str:
    """Collapse whitespace (newlines included) so the message fits on one line."""
    return " ".join(str(text).split())


class UserError(Exception):
    """A mistake the user can fix; ``str(error)`` is the one line the command line shows.

    Args:
        message: what was wrong, where, and what to do about it.
    """

    def __init__(self, message: str) -> None:
        super().__init__(_one_line(message))

    @property
    def message(self) -> str:
        """The one-line message."""
        return str(self)


class ScenarioError(UserError):
    """A scenario that cannot be loaded: names the file, the dotted key and the remedy.

    The line reads ``<file>: <key>: <problem>; <remedy>``; the file or key is left out when
    unknown (e.g. a scenario name that matches no file has no key).

    Args:
        problem: what is wrong with the value or file.
        file: the scenario file (or ``--set`` for a command-line override), if known.
        key: dotted key into the scenario, e.g. ``firms.Nvidia.cash_usd_b`` or
            ``events[3].target_firm``.
        remedy: what to do about it.
    """

    def __init__(
        self,
        problem: str,
        *,
        file: str | Path | None = None,
        key: str | None = None,
        remedy: str | None = None,
    ) -> None:
        self.file = str(file) if file is not None else None
        self.key = key
        self.problem = _one_line(problem)
        self.remedy = _one_line(remedy) if remedy else None
        parts = [p for p in (self.file, key) if p]
        text = ": ".join([*parts, self.problem])
        if self.remedy:
            text = f"{text}; {self.remedy}"
        super().__init__(text)
