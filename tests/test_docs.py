"""The reference docs stay true as the code moves: every scenario key of the schema is in
docs/scenarios.md, every column of a real run is in docs/outputs.md."""

from __future__ import annotations

import re
import typing
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from experiments.docgen import scenarios as scenarios_doc
from experiments.run.results import ID_SCHEMA, SCHEMAS
from world.params import ScenarioParams

DOCS = Path(__file__).parent.parent / "docs"
KEY_CELL = re.compile(r"^\|\s*`([^`]+)`\s*\|", re.MULTILINE)
REGEN = "run `compute-market docs scenarios`"


def _models(cls: type[BaseModel], seen: dict[str, type[BaseModel]]) -> dict[str, type]:
    """Every parameter class reachable from `cls` (sections, list entries, distributions)."""
    seen[cls.__name__] = cls
    for info in cls.model_fields.values():
        stack: list[Any] = [info.annotation]
        while stack:
            ann = stack.pop()
            if isinstance(ann, type) and issubclass(ann, BaseModel):
                if ann.__name__ not in seen:
                    _models(ann, seen)
            else:
                stack += list(typing.get_args(ann))
    return seen


def _documented_keys(text: str) -> set[str]:
    """Last dotted segment of every key in the first cell of a table row."""
    return {key.split(".")[-1] for key in KEY_CELL.findall(text)}


def test_every_scenario_key_is_documented() -> None:
    text = (DOCS / "scenarios.md").read_text(encoding="utf-8")
    documented = _documented_keys(text)
    missing = [
        f"{name}.{field}"
        for name, cls in sorted(_models(ScenarioParams, {}).items())
        for field in cls.model_fields
        if field not in documented
    ]
    assert not missing, f"docs/scenarios.md lacks {missing}; {REGEN}"


def test_scenarios_doc_is_generated_from_the_current_schema() -> None:
    """docs/scenarios.md holds exactly what the schema and baseline.toml generate today: a
    changed bound, unit, meaning, default or baseline value without regenerating fails here."""
    text = scenarios_doc.DOC.read_text(encoding="utf-8")
    assert scenarios_doc.render(text) == text, f"docs/scenarios.md is stale; {REGEN}"


def test_generated_doc_shows_each_keys_declaration() -> None:
    """The generator reads meaning, unit and bounds from `param(...)`: change one and the
    rendered row changes (so the staleness test above guards the declarations)."""
    from world.params import MarketParams

    info = MarketParams.model_fields["cuda_lockin"]
    row = next(r for r in scenarios_doc.field_table(MarketParams, "", {}) if "`cuda_lockin`" in r)
    assert info.description and info.description in row
    assert "| utility |" in row and ">= 0, <= 50" in row


def test_every_section_has_a_heading() -> None:
    text = (DOCS / "scenarios.md").read_text(encoding="utf-8")
    for section, info in ScenarioParams.model_fields.items():
        if any(
            isinstance(a, type) and issubclass(a, BaseModel)
            for a in (info.annotation, *typing.get_args(info.annotation))
        ):
            assert f"[{section}" in text, f"no section heading for [{section}]; {REGEN}"


def test_every_output_column_is_documented(baseline_results: Any) -> None:
    text = (DOCS / "outputs.md").read_text(encoding="utf-8")
    documented = set(KEY_CELL.findall(text))
    missing = []
    for name, frame in baseline_results.tables.items():
        cols = set(frame.columns) | set(SCHEMAS.get(name, {}))
        missing += [f"{name}.{c}" for c in sorted(cols) if c not in documented]
        assert f"## {name}" in text, f"docs/outputs.md has no section for table {name!r}"
    assert not missing, (
        f"docs/outputs.md lacks columns {missing}; describe them (unit and meaning) in its "
        "table section or under 'More columns'"
    )
    for col in ID_SCHEMA:
        assert f"`{col}`" in text


def test_manifest_fields_are_documented(baseline_results: Any) -> None:
    text = (DOCS / "outputs.md").read_text(encoding="utf-8")
    missing = [k for k in baseline_results.manifest if f"`{k}`" not in text]
    assert not missing, f"docs/outputs.md 'manifest.json' lacks {missing}"


def test_docs_command_checks_and_rewrites_only_the_generated_part(
    tmp_path: Path, monkeypatch: Any, capsys: Any
) -> None:
    """`compute-market docs scenarios --check` exits 2 on a stale copy and writes nothing;
    without --check it rewrites the generated part and keeps the hand-written prose."""
    from experiments.cli.main import main

    doc = tmp_path / "scenarios.md"
    current = scenarios_doc.DOC.read_text(encoding="utf-8")
    stale = current.replace("| `seed` |", "| `seed_old` |", 1).replace("# Scenarios", "# Mine", 1)
    doc.write_text(stale, encoding="utf-8")
    monkeypatch.setattr(scenarios_doc, "DOC", doc)
    assert main(["docs", "scenarios", "--check"]) == 2
    assert "stale" in capsys.readouterr().err
    assert doc.read_text(encoding="utf-8") == stale
    assert main(["docs", "scenarios"]) == 0
    fixed = doc.read_text(encoding="utf-8")
    assert fixed == current.replace("# Scenarios", "# Mine", 1)
    assert main(["docs", "scenarios", "--check"]) == 0


def test_whatif_section_replaces_only_between_its_markers(tmp_path: Path) -> None:
    """`whatifs --write-docs` rewrites the section between its markers and keeps the prose
    around it (the shared `--write-docs` writer, section `whatif-table`)."""
    from experiments.cli.options import write_docs_section
    from experiments.docgen import antitrust

    doc = tmp_path / "antitrust.md"
    doc.write_text(f"intro\n{antitrust.BEGIN}\nold table\n{antitrust.END}\noutro\n",
                   encoding="utf-8")
    write_docs_section(doc, antitrust.SECTION, "| new |")
    out = doc.read_text(encoding="utf-8")
    assert out == f"intro\n{antitrust.BEGIN}\n| new |\n{antitrust.END}\noutro\n"


def test_whatif_table_has_the_generators_rows_and_columns() -> None:
    """The what-if section of docs/antitrust.md takes minutes of runs to regenerate, so the
    test checks its shape only: one column per `COLUMNS` entry and one row per `WHATIFS`
    entry, in order. Adding a what-if or a metric to the generator without `compute-market
    whatifs --write-docs docs/antitrust.md` fails here."""
    from experiments.docgen import antitrust

    text = (DOCS / "antitrust.md").read_text(encoding="utf-8")
    table = text.split(antitrust.BEGIN, 1)[1].split(antitrust.END, 1)[0]
    rows = [line for line in table.splitlines() if line.startswith("| ")]
    header = [cell.strip() for cell in rows[0].strip("|").split("|")]
    assert header[1:] == [title for title, _ in antitrust.COLUMNS], "whatifs section is stale"
    pairs = [re.findall(r"`([^`]+)`", line) for line in rows[1:] if line.startswith("| `")]
    expected = [(ref, var) for ref, var, _ in antitrust.WHATIFS]
    assert [tuple(reversed(p)) for p in pairs] == expected, "whatifs section is stale"
