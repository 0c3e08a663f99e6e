"""The sourced fact table: well formed, cited correctly, and the only source the repository
points to; the backtest's history cutoff."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from experiments.calibration.facts import Fact, Role, get_fact, load_facts
from experiments.scenario.loader import load_scenario

ROOT = Path(__file__).resolve().parents[2]
CITE = re.compile(r"facts\.toml[`\s]+`?([A-Za-z][A-Za-z0-9_]*\*?)")


def _tracked_text_files() -> list[Path]:
    out = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True,
                         check=True).stdout.split()
    return [ROOT / f for f in out if f.endswith((".py", ".toml", ".md", ".txt", ".yml", ".cfg"))
            or ("/" not in f and f.endswith("README.md"))]


def test_every_fact_has_a_source_and_a_consistent_role():
    facts = load_facts()
    assert len(facts) >= 40
    for fact in facts.values():
        assert fact.source.strip()
        assert (fact.role is Role.INPUT) == bool(fact.sets), fact.id


def test_a_target_that_sets_a_parameter_is_rejected():
    with pytest.raises(ValueError, match="sets no parameter"):
        Fact(id="x", title="t", source="src", grade="P", role="target", sets=["market.x"])
    with pytest.raises(ValueError, match="must name"):
        Fact(id="x", title="t", source="src", grade="P", role="input")


def _resolves(key: str, data: dict, event_ids: set[str]) -> bool:
    if key.startswith("world."):  # a constant in the code, named in words
        return True
    parts = key.split(".")
    if parts[0] == "events":
        return len(parts) == 1 or parts[1] in event_ids
    if parts[:2] == ["catalog", "products"] and len(parts) == 3:
        return parts[2] in {p["name"] for p in data["catalog"]["products"]}
    node = data
    for part in parts:
        if not isinstance(node, dict) or part not in node:
            return False
        node = node[part]
    return True


def test_every_input_names_keys_of_the_baseline():
    """`sets` must name real scenario keys, so a reader can find the parameter."""
    params = load_scenario("baseline")
    data = params.model_dump(mode="json")
    event_ids = {e.id for e in params.events}
    for fact in load_facts().values():
        for key in fact.sets:
            assert _resolves(key, data, event_ids), f"{fact.id}: {key}"


def test_every_citation_in_the_repository_names_a_fact():
    ids = set(load_facts())
    seen = 0
    for path in _tracked_text_files():
        for match in CITE.finditer(path.read_text(encoding="utf-8")):
            cited = match.group(1)
            if not re.search(r"[0-9_*]", cited) and cited not in ("hbm", "sites"):
                continue  # prose ("facts.toml rows", "facts.toml is"), not a row id
            seen += 1
            if cited.endswith("*"):
                assert any(i.startswith(cited[:-1]) for i in ids), f"{path}: {cited}"
            else:
                assert cited in ids, f"{path}: {cited}"
    assert seen > 50


def test_nothing_in_the_repository_points_outside_it():
    needles = ("shared" + "/", "facts" + ".md")
    for path in _tracked_text_files():
        text = path.read_text(encoding="utf-8")
        for needle in needles:
            assert needle not in text, f"{path.relative_to(ROOT)} mentions {needle}"


def test_history_cutoff_drops_later_announcements_only():
    """With a cutoff at 2025-09 the deals announced later (D2, D5, D6, D7) are not in the run,
    the earlier ones (D4 2025-07, D1 2025-09) are."""
    from experiments.run.runner import run

    params = load_scenario("baseline", ["simulation.history_cutoff='2025-09'"], steps=12)
    deals = run(params).tables["deals"]
    ids = set(deals.filter(deals["origin"] == "event")["deal_id"])
    assert {"D4", "D1", "D8"} <= ids
    assert not ids & {"D2", "D2-rest", "D3", "D5", "D6", "D7"}
    assert get_fact("D7").role is Role.INPUT
