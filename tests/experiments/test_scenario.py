"""Scenario loading: name resolution, extends/merge rules, --set overrides, validation, hash."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from experiments.errors import ScenarioError
from experiments.scenario.loader import (
    list_scenarios,
    load_scenario,
    parse_override,
    resolve_scenario_path,
    scenario_hash,
)

MakeScenario = Callable[..., Path]


# --------------------------------------------------------------------------- resolution


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("baseline", "baseline.toml"),
        ("baseline.toml", "baseline.toml"),
        ("what_if/no_vendor_financing", "what_if/no_vendor_financing.toml"),
        ("no_vendor_financing", "what_if/no_vendor_financing.toml"),
        ("cournot", "docking/cournot.toml"),
    ],
    ids=["name", "name-with-suffix", "folder-name", "bare-stem", "bare-stem-docking"],
)
def test_resolve_shipped_names(shipped_dir: Path, name: str, expected: str) -> None:
    assert resolve_scenario_path(name).resolve() == (shipped_dir / expected).resolve()


def test_resolve_a_path_to_an_existing_file(tmp_scenario: MakeScenario) -> None:
    path = tmp_scenario()
    assert resolve_scenario_path(str(path)) == path


def test_resolve_unknown_name_says_how_to_list(shipped_dir: Path) -> None:
    with pytest.raises(ScenarioError, match="compute-market scenarios") as err:
        resolve_scenario_path("no_such_thing")
    assert "no_such_thing" in str(err.value)


def test_resolve_ambiguous_stem_is_an_error(shipped_dir: Path) -> None:
    (shipped_dir / "docking" / "no_vendor_financing.toml").write_text('extends = "baseline"\n')
    with pytest.raises(ScenarioError, match="ambiguous"):
        resolve_scenario_path("no_vendor_financing")


def test_list_scenarios_names_and_inherited_descriptions(shipped_dir: Path) -> None:
    rows = dict(list_scenarios())
    assert set(rows) == {"baseline", "what_if/no_vendor_financing", "docking/cournot"}
    assert rows["docking/cournot"] == "Cournot docking case"
    assert rows["what_if/no_vendor_financing"] == rows["baseline"] != ""


# --------------------------------------------------------------------------- extends / merge


def test_name_defaults_to_stem_relative_to_the_shipped_folder(shipped_dir: Path) -> None:
    assert load_scenario("baseline").name == "baseline"
    child = load_scenario("no_vendor_financing")
    assert child.name == "what_if/no_vendor_financing"  # not inherited from the parent
    assert load_scenario("cournot").simulation.mode == "cournot"


def test_name_of_a_file_outside_is_its_stem_unless_set(tmp_scenario: MakeScenario) -> None:
    assert load_scenario(tmp_scenario(name="my_world")).name == "my_world"
    named = tmp_scenario('extends = "base.toml"\nname = "custom"\n', name="other")
    assert load_scenario(named).name == "custom"


def test_tables_merge_key_by_key(tmp_scenario: MakeScenario) -> None:
    path = tmp_scenario('extends = "base.toml"\n[firms.Nvidia]\ncash_usd_b = 99.0\n')
    params = load_scenario(path)
    assert params.firms["Nvidia"].cash_usd_b == 99.0
    assert params.firms["Nvidia"].role == "vendor"  # kept from the parent's table
    assert params.firms["Amazon"].powered_gw == 2.0  # other firms untouched
    assert params.simulation.steps == 6 and params.seed == 7


def test_lists_replace(tmp_scenario: MakeScenario) -> None:
    path = tmp_scenario(
        'extends = "base.toml"\n[firms.OpenAI]\ncompute_ambition_gw = [["2025-06", 5.0]]\n'
    )
    assert load_scenario(path).firms["OpenAI"].compute_ambition_gw == [("2025-06", 5.0)]


EVENT = """
[[events]]
id = "amd_oai"
date = "2025-05"
deal_kind = "supply"
source_firm = "AMD"
target_firm = "OpenAI"
"""


def test_events_and_interventions_append(tmp_scenario: MakeScenario) -> None:
    path = tmp_scenario(
        'extends = "base.toml"\n' + EVENT + '\n[[interventions]]\nkind = "ban_exclusivity"\n'
    )
    params = load_scenario(path)
    assert [e.id for e in params.events] == ["nv_oai", "amd_oai"]
    assert [i.kind for i in params.interventions] == ["ban_exclusivity"]


def test_replace_events_replaces_and_is_stripped(tmp_scenario: MakeScenario) -> None:
    path = tmp_scenario('extends = "base.toml"\nreplace_events = true\n' + EVENT)
    params = load_scenario(path)
    assert [e.id for e in params.events] == ["amd_oai"]
    assert "replace_events" not in params.model_dump()


def test_extends_is_recursive_and_appends_at_every_level(tmp_scenario: MakeScenario) -> None:
    tmp_scenario('extends = "base.toml"\n' + EVENT, name="middle")
    leaf = tmp_scenario(
        'extends = "middle.toml"\n[simulation]\nsteps = 12\n'
        + EVENT.replace("amd_oai", "ms_oai").replace('"AMD"', '"Microsoft"'),
        name="leaf",
    )
    params = load_scenario(leaf)
    assert [e.id for e in params.events] == ["nv_oai", "amd_oai", "ms_oai"]
    assert params.simulation.steps == 12
    assert params.simulation.start == "2025-01"


def test_extends_cycle_is_an_error(tmp_scenario: MakeScenario) -> None:
    tmp_scenario('extends = "b.toml"\n', name="a")
    b = tmp_scenario('extends = "a.toml"\n', name="b")
    with pytest.raises(ScenarioError, match="cycle") as err:
        load_scenario(b)
    assert err.value.key == "extends"


def test_extends_of_a_missing_parent_names_the_child(tmp_scenario: MakeScenario) -> None:
    path = tmp_scenario('extends = "nowhere"\n', name="orphan")
    with pytest.raises(ScenarioError) as err:
        load_scenario(path)
    assert err.value.file is not None and err.value.file.endswith("orphan.toml")
    assert err.value.key == "extends"


def test_error_in_parent_names_the_parent_file(tmp_scenario: MakeScenario) -> None:
    tmp_scenario(
        (Path(tmp_scenario()).read_text()).replace("powered_gw = 2.0", "powered_gw = -2.0"),
        name="bad_parent",
    )
    child = tmp_scenario('extends = "bad_parent.toml"\n[simulation]\nsteps = 8\n', name="kid")
    with pytest.raises(ScenarioError) as err:
        load_scenario(child)
    assert err.value.file is not None and err.value.file.endswith("bad_parent.toml")
    assert err.value.key == "firms.Amazon.powered_gw"


# --------------------------------------------------------------------------- overrides


@pytest.mark.parametrize(
    ("text", "path", "value"),
    [
        ("seed=50", ["seed"], 50),
        ("foundry.yield_frac=0.5", ["foundry", "yield_frac"], 0.5),
        ("market.exclusivity_allowed=false", ["market", "exclusivity_allowed"], False),
        ('sites.regions=["a", "b"]', ["sites", "regions"], ["a", "b"]),
        ("x.y=[10,20,30]", ["x", "y"], [10, 20, 30]),
        ('name="quoted"', ["name"], "quoted"),
        ("foundry.allocation_rule=uniform", ["foundry", "allocation_rule"], "uniform"),
        ("simulation.start=2026-03", ["simulation", "start"], "2026-03"),
        ("events[3].target_firm=AMD", ["events", 3, "target_firm"], "AMD"),
        ("events.3.gw = 2", ["events", 3, "gw"], 2),
    ],
    ids=[
        "int",
        "float",
        "bool",
        "string-list",
        "int-list",
        "quoted",
        "bare-word",
        "month",
        "index-brackets",
        "index-dotted",
    ],
)
def test_parse_override(text: str, path: list[Any], value: Any) -> None:
    assert parse_override(text) == (path, value)


def test_parse_override_needs_an_equals_sign() -> None:
    with pytest.raises(ScenarioError, match="key=value"):
        parse_override("firms.Nvidia.cash_usd_b")


def test_overrides_apply_to_nested_tables_and_lists(tmp_scenario: MakeScenario) -> None:
    params = load_scenario(
        tmp_scenario(),
        ["firms.Nvidia.cash_usd_b=50", "events[0].gw=2.5", "foundry.allocation_rule=uniform"],
        seed=11,
        steps=24,
    )
    assert params.firms["Nvidia"].cash_usd_b == 50.0
    assert params.events[0].gw == 2.5
    assert params.foundry.allocation_rule == "uniform"
    assert (params.seed, params.simulation.steps) == (11, 24)


def test_override_can_fill_a_nested_table_absent_from_the_file(tmp_scenario: MakeScenario) -> None:
    params = load_scenario(tmp_scenario(), ["sites.grid_power_gw.mean=1.2"])
    assert params.sites.grid_power_gw.mean == 1.2
    assert params.sites.grid_power_gw.high == 5.0  # rest of the default kept


def test_steps_shortens_the_run_and_drops_later_events(tmp_scenario: MakeScenario) -> None:
    path = tmp_scenario('extends = "base.toml"\n' + EVENT)  # events in 2025-03 and 2025-05
    assert [e.id for e in load_scenario(path, steps=4).events] == ["nv_oai"]
    assert load_scenario(path, steps=4).simulation.steps == 4
    assert [e.id for e in load_scenario(path, steps=5).events] == ["nv_oai", "amd_oai"]


def test_steps_does_not_hide_an_event_outside_the_written_horizon(
    tmp_scenario: MakeScenario,
) -> None:
    path = tmp_scenario('extends = "base.toml"\n' + EVENT.replace("2025-05", "2040-01"))
    with pytest.raises(ScenarioError, match="outside the horizon"):
        load_scenario(path, steps=2)


@pytest.mark.parametrize(
    ("override", "key"),
    [
        ("firms.Nvidia.cashh=3", "firms.Nvidia.cashh"),
        ("simulaton.steps=3", "simulaton"),
        ("firms.Intel.cash_usd_b=3", "firms.Intel"),
        ("seed.x=1", "seed.x"),
        ("events[5].gw=1", "events[5]"),
    ],
    ids=["unknown-field", "unknown-section", "unknown-firm", "below-a-value", "index-range"],
)
def test_bad_override_key_is_named(tmp_scenario: MakeScenario, override: str, key: str) -> None:
    with pytest.raises(ScenarioError) as err:
        load_scenario(tmp_scenario(), [override])
    assert err.value.key == key
    assert err.value.file is not None and err.value.file.startswith("--set")


def test_bad_override_value_blames_the_override(tmp_scenario: MakeScenario) -> None:
    with pytest.raises(ScenarioError) as err:
        load_scenario(tmp_scenario(), ["firms.Nvidia.cash_usd_b=-5"])
    assert err.value.file == "--set firms.Nvidia.cash_usd_b=-5"
    assert err.value.key == "firms.Nvidia.cash_usd_b"
    assert "greater than or equal to 0" in str(err.value)


# --------------------------------------------------------------------------- validation


@pytest.mark.parametrize(
    ("snippet", "key", "words"),
    [
        ("[firms.Nvidia]\ncash_usd = 3\n", "firms.Nvidia.cash_usd", "unknown key"),
        ('[simulation]\nsteps = "many"\n', "simulation.steps", "valid integer"),
        ("[firms.Amazon]\npowered_gw = -1\n", "firms.Amazon.powered_gw", "greater than or equal"),
        (
            "[firms.OpenAI]\nmax_supplier_share = 1.5\n",
            "firms.OpenAI.max_supplier_share",
            "less than or equal to 1",
        ),
        ("[foundry]\nyield_frac = 2.0\n", "foundry.yield_frac", "less than or equal to 1"),
        (
            '[[events]]\ndate = "2040-01"\ndeal_kind = "equity"\nsource_firm = "Nvidia"\n'
            'target_firm = "OpenAI"\n',
            "events[1].date",
            "outside the horizon",
        ),
        (
            '[[events]]\ndate = "2025-06"\ndeal_kind = "equity"\nsource_firm = "Nvidia"\n'
            'target_firm = "Google"\n',
            "events[1].target_firm",
            "unknown firm",
        ),
        (
            '[firms.OpenAI]\ncompute_ambition_gw = [["2026-01", 1.0], ["2025-01", 2.0]]\n',
            "firms.OpenAI.compute_ambition_gw[1]",
            "increasing order",
        ),
        (
            '[[events]]\nid = "nv_oai"\ndate = "2025-06"\ndeal_kind = "supply"\n'
            'source_firm = "AMD"\ntarget_firm = "OpenAI"\n',
            "events[1].id",
            "already used",
        ),
        (
            '[[interventions]]\nkind = "block_deal"\ndeal_id = "nope"\n',
            "interventions[0].deal_id",
            "no event has id",
        ),
    ],
    ids=[
        "unknown-key",
        "wrong-type",
        "negative-power",
        "share-above-1",
        "yield-above-1",
        "date-outside-horizon",
        "event-unknown-firm",
        "unsorted-series",
        "duplicate-event-id",
        "intervention-unknown-deal",
    ],
)
def test_invalid_scenarios_name_file_and_key(
    tmp_scenario: MakeScenario, snippet: str, key: str, words: str
) -> None:
    path = tmp_scenario('extends = "base.toml"\n' + snippet, name="broken")
    with pytest.raises(ScenarioError) as err:
        load_scenario(path)
    message = str(err.value)
    assert err.value.key == key
    assert err.value.file is not None and err.value.file.endswith("broken.toml")
    assert words in message
    assert "\n" not in message


def test_toml_syntax_error_names_file_and_line(tmp_scenario: MakeScenario) -> None:
    path = tmp_scenario("[simulation]\nsteps = = 3\n", name="syntax")
    with pytest.raises(ScenarioError, match="TOML syntax error") as err:
        load_scenario(path)
    assert err.value.file is not None and err.value.file.endswith("syntax.toml:2")


# --------------------------------------------------------------------------- hash


def test_hash_is_stable_and_order_independent(tmp_scenario: MakeScenario) -> None:
    text = tmp_scenario().read_text()
    a = load_scenario(tmp_scenario())
    b = load_scenario(tmp_scenario())
    nvidia = '[firms.Nvidia]\nrole = "vendor"\ncash_usd_b = 40.0\n\n'
    reordered = 'name = "scn"\n' + text.replace(
        'start = "2025-01"\nsteps = 6\n', 'steps = 6\nstart = "2025-01"\n'
    ).replace(nvidia, "").replace("[firms.Oracle]", nvidia + "[firms.Oracle]")
    assert reordered != text
    c = load_scenario(tmp_scenario(reordered, name="reordered"))
    assert list(c.firms) != list(a.firms)  # really in another order
    assert len(scenario_hash(a)) == 64
    assert scenario_hash(a) == scenario_hash(b) == scenario_hash(c)


def test_hash_changes_with_any_value(tmp_scenario: MakeScenario) -> None:
    base = scenario_hash(load_scenario(tmp_scenario()))
    assert scenario_hash(load_scenario(tmp_scenario(), ["firms.AMD.cash_usd_b=1"])) != base
    assert scenario_hash(load_scenario(tmp_scenario(), seed=8)) != base
