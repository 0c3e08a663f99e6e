"""The identity of a resolved scenario: the sha256 of its canonical JSON.

Two scenarios with the same hash are the same inputs (whatever the order of keys in their
files, whatever `extends` chain or overrides produced them): a run's id is derived from it,
and a batch merges variants that hash alike.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence

from world.params import ScenarioParams

__all__ = ["scenario_hash", "scenario_hashes_by_seed"]


def scenario_hash(params: ScenarioParams) -> str:
    """Return the sha256 (hex) of the canonical JSON of the resolved scenario.

    Canonical: ``model_dump(mode='json')`` with sorted keys and no whitespace, so equal
    parameters give equal hashes whatever the order of keys in the files.
    """
    text = json.dumps(
        params.model_dump(mode="json"), sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


_SEED_MARK = "\x00seed\x00"


def scenario_hashes_by_seed(params: ScenarioParams, seeds: Sequence[int]) -> list[str]:
    """`scenario_hash` of `params` with each of `seeds` as its seed, in one serialisation.

    Equal to ``scenario_hash(params.model_copy(update={"seed": s}))`` for every seed ``s``
    (a test checks it), far faster: the canonical JSON is written once with a marker in
    place of the seed, the text before the seed is hashed once, and only the seed's digits
    and the short text after them are hashed per seed.
    """
    data = params.model_dump(mode="json")
    data["seed"] = _SEED_MARK
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    head, mark, tail = text.partition(json.dumps(_SEED_MARK))
    if not mark or json.dumps(_SEED_MARK) in tail:
        return [scenario_hash(params.model_copy(update={"seed": s})) for s in seeds]
    base = hashlib.sha256(head.encode())  # the text before the seed is hashed once
    out = []
    for s in seeds:
        h = base.copy()
        h.update(f"{int(s)}{tail}".encode())
        out.append(h.hexdigest())
    return out
