"""The sourced fact table `experiments/calibration/facts.toml`, loaded and typed.

Every figure the baseline scenario is built from (role ``input``: the scenario keys set from it
are named in ``sets``) and every figure the model is checked against (role ``target``: no
parameter is set from it) is one row, with its publication and date. Code, scenarios and docs
cite a row as ``facts.toml <id>`` (for example ``facts.toml cost_per_gw``).
"""

from __future__ import annotations

import math
import tomllib
from enum import StrEnum
from functools import cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, model_validator

__all__ = ["FACTS_PATH", "Fact", "Grade", "Role", "get_fact", "load_facts"]

FACTS_PATH = Path(__file__).with_name("facts.toml")


class Role(StrEnum):
    """What a fact is for: it sets a parameter (``input``) or checks the model (``target``)."""

    INPUT = "input"
    TARGET = "target"


class Grade(StrEnum):
    """How firmly a fact is sourced: P company release or major outlet, S secondary page,
    weak after Feb 2026 or weakly sourced (a hint, not an anchor)."""

    P = "P"
    S = "S"
    WEAK = "weak"


class Fact(BaseModel):
    """One row of the fact table (units in `unit`; `low`/`high` an inclusive band)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[A-Za-z0-9_]+$")
    title: str
    text: str = ""
    value: float | None = None
    low: float | None = None
    high: float | None = None
    unit: str = ""
    date: str = ""
    source: str = Field(min_length=3)
    grade: Grade
    role: Role
    sets: list[str] = Field(default_factory=list)
    note: str = ""

    @model_validator(mode="after")
    def _consistent(self) -> Fact:
        if self.role is Role.INPUT and not self.sets:
            raise ValueError(f"fact {self.id}: an input must name the parameters it sets")
        if self.role is Role.TARGET and self.sets:
            raise ValueError(f"fact {self.id}: a target sets no parameter")
        if self.low is not None and self.high is not None and self.low > self.high:
            raise ValueError(f"fact {self.id}: low > high")
        return self

    @property
    def band(self) -> tuple[float, float]:
        """(low, high); an open side is -inf / inf; a point value without a band is (v, v)."""
        low = self.low if self.low is not None else self.value
        high = self.high if self.high is not None else (self.value if self.low is None else None)
        return (-math.inf if low is None else low, math.inf if high is None else high)

    @property
    def cite(self) -> str:
        """How documents cite the row: ``id (source)``."""
        return f"{self.id} ({self.source})"


class _Table(BaseModel):
    model_config = ConfigDict(extra="forbid")
    facts: list[Fact]


@cache
def load_facts(path: Path = FACTS_PATH) -> dict[str, Fact]:
    """The fact table by id, in file order. Raises ValueError on a malformed table or a
    duplicate id."""
    with path.open("rb") as fh:
        table = _Table.model_validate(tomllib.load(fh))
    out: dict[str, Fact] = {}
    for fact in table.facts:
        if fact.id in out:
            raise ValueError(f"{path}: duplicate fact id {fact.id!r}")
        out[fact.id] = fact
    return out


def get_fact(fact_id: str) -> Fact:
    """One row by id (KeyError naming the id when missing)."""
    facts = load_facts()
    if fact_id not in facts:
        raise KeyError(f"no fact {fact_id!r} in {FACTS_PATH.name}")
    return facts[fact_id]
