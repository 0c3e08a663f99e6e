"""Scenario files: find, read, merge (`extends`), override (`--set`), validate, hash.

A scenario is a TOML file mapping one-to-one onto `world.params.ScenarioParams`. Loading goes:

1. `resolve_scenario_path`: a path to a file, or a shipped name (`baseline`,
   `what_if/no_vendor_financing`, or just `no_vendor_financing`).
2. Read the TOML; follow `extends` recursively (a name or a path relative to the child file),
   deep-merging the child over the parent: tables merge key by key, lists replace, except
   `events` and `interventions`, which append to the parent's. A child may set
   ``replace_events = true`` (or ``replace_interventions = true``) at top level to replace the
   parent's list instead (by its own entries, or by none); both keys are stripped before
   validation. A parent is a shipped scenario name or a ``.toml`` file in the child's folder or
   below it, nothing else.
3. Apply ``--set a.b.c=value`` overrides (`experiments.scenario.overrides`: the value is parsed as a
   TOML value; bare words are strings), then the explicit ``--seed`` and ``--steps``.
4. Validate with pydantic, then check what the schema cannot express
   (`experiments.scenario.checks`).

Every failure is a `ScenarioError` naming the file (the one that set the offending key, parents
included) and the dotted key, with the remedy.
"""

from __future__ import annotations

import copy
import difflib
import re
import tomllib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from experiments.errors import ScenarioError
from experiments.scenario.checks import (
    KeyPath,
    check_extra,
    find_bool_numbers,
    origin_of,
    validation_error,
)
from experiments.scenario.hashing import scenario_hash, scenario_hashes_by_seed
from experiments.scenario.merging import (
    APPEND_LISTS,
    deep_merge,
    mark_origin,
    merge_child,
    pop_replace_flags,
)
from experiments.scenario.overrides import apply_override, format_key, parse_override
from world.params import ScenarioParams, month_index

__all__ = [
    "SCENARIOS_DIR",
    "list_scenarios",
    "load_scenario",
    "parse_override",
    "resolve_scenario_path",
    "scenario_hash",
    "scenario_hashes_by_seed",
]

SCENARIOS_DIR = Path(__file__).resolve().parent.parent / "scenarios"
"""Folder of the shipped scenarios (baseline.toml, what_if/, docking/)."""

LIST_SCENARIOS_HINT = "run `compute-market scenarios` to see the shipped names, or give a path"


# --------------------------------------------------------------------------- finding files


def _display(path: Path) -> str:
    """Show a path relative to the working directory when it is below it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def _shipped_files() -> list[Path]:
    return sorted(SCENARIOS_DIR.rglob("*.toml")) if SCENARIOS_DIR.is_dir() else []


def _shipped_name(path: Path) -> str | None:
    """`what_if/x` for a file under the scenarios folder, None for any other file."""
    try:
        rel = path.resolve().relative_to(SCENARIOS_DIR.resolve())
    except ValueError:
        return None
    return rel.with_suffix("").as_posix()


def resolve_scenario_path(name_or_path: str | Path, *, relative_to: Path | None = None) -> Path:
    """Find the scenario file meant by a path or a shipped name.

    Args:
        name_or_path: a path to an existing TOML file, or the name of a shipped scenario:
            ``baseline``, ``what_if/no_vendor_financing``, or a bare stem such as
            ``no_vendor_financing`` when it is unique among the shipped scenarios.
        relative_to: folder against which a relative path is tried first (the folder of a
            child scenario resolving its `extends`).

    Returns:
        The path of the scenario file.

    Raises:
        ScenarioError: if nothing matches, or a bare stem matches several shipped files.
    """
    text = str(name_or_path).strip()
    if not text:
        raise ScenarioError("empty scenario name", remedy=LIST_SCENARIOS_HINT)
    given = Path(text)
    candidates: list[Path] = []
    if relative_to is not None and not given.is_absolute():
        candidates += [relative_to / given, relative_to / f"{text}.toml"]
    candidates += [given, Path(f"{text}.toml")]
    for cand in candidates:
        if cand.is_file():
            return cand
        if cand.is_dir():
            raise ScenarioError(
                f"{text!r} is a directory, not a scenario file",
                remedy="give a .toml file or a shipped scenario name",
            )
    name = text.removesuffix(".toml").replace("\\", "/")
    shipped = SCENARIOS_DIR / f"{name}.toml"
    if shipped.is_file():
        return shipped
    if "/" not in name:
        matches = [f for f in _shipped_files() if f.stem == name]
        if len(matches) == 1:
            return matches[0]
        if len(matches) > 1:
            names = ", ".join(_shipped_name(m) or str(m) for m in matches)
            raise ScenarioError(
                f"scenario name {name!r} is ambiguous: {names}",
                remedy="use the full name with its folder",
            )
    known = [_shipped_name(f) or "" for f in _shipped_files()]
    close = difflib.get_close_matches(name, known, n=1)
    hint = f"did you mean {close[0]!r}? " if close else ""
    raise ScenarioError(
        f"unknown scenario {text!r}: no such file and no shipped scenario of that name",
        remedy=f"{hint}{LIST_SCENARIOS_HINT} to a .toml file",
    )


# --------------------------------------------------------------------------- reading, merging


def _read_toml(path: Path) -> dict[str, Any]:
    shown = _display(path)
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
        if not data:
            raise ScenarioError(
                "the file is empty (no key, only comments or blanks)",
                file=shown,
                remedy='write the scenario\'s keys, or at least extends = "baseline"',
            )
        return data
    except tomllib.TOMLDecodeError as exc:
        msg = str(exc)
        where = re.search(r"line (\d+), column (\d+)", msg)
        problem = re.sub(r"\s*\(at .*\)\s*$", "", msg).strip() or "invalid TOML"
        problem = problem[0].lower() + problem[1:]
        if where:
            shown, problem = f"{shown}:{where.group(1)}", f"{problem} at column {where.group(2)}"
        raise ScenarioError(
            f"TOML syntax error: {problem}",
            file=shown,
            remedy='fix the syntax at that line (strings need quotes, months as "YYYY-MM")',
        ) from None
    except UnicodeDecodeError:
        raise ScenarioError(
            "file is not UTF-8 text", file=shown, remedy="save it as UTF-8 TOML"
        ) from None
    except OSError as exc:
        raise ScenarioError(
            f"cannot read the file ({exc.strerror})", file=shown, remedy="check the path"
        ) from None


def _inside(path: Path, folder: Path) -> bool:
    try:
        path.resolve().relative_to(folder.resolve())
    except ValueError:
        return False
    return True


def _check_parent_place(parent: Path, child: Path, ref: str, shown: str) -> None:
    """A parent (`extends`) is a ``.toml`` file among the shipped scenarios, or in the child's
    folder or below it: a scenario cannot make the program read other files on the disk."""
    if parent.suffix != ".toml" or not (
        _inside(parent, SCENARIOS_DIR) or _inside(parent, child.parent)
    ):
        raise ScenarioError(
            f"{ref!r} is not allowed as a parent: a parent is a shipped scenario name or a "
            f".toml file in {_display(child.parent) or '.'} or a folder below it",
            file=shown,
            key="extends",
            remedy="copy the parent next to the scenario, or use a shipped name "
            "(`compute-market scenarios` lists them)",
        )


def _load_merged(
    path: Path, chain: tuple[Path, ...] = ()
) -> tuple[dict[str, Any], dict[KeyPath, str]]:
    """Read `path` and its `extends` ancestors; return the merged data and key origins."""
    real = path.resolve()
    shown = _display(path)
    if real in chain:
        cycle = " -> ".join(_display(p) for p in (*chain, real))
        raise ScenarioError(
            f"`extends` goes round in a cycle: {cycle}",
            file=shown,
            key="extends",
            remedy="make one of these files stop extending the other",
        )
    data = _read_toml(path)
    replace = pop_replace_flags(data, shown)
    parent_ref = data.get("extends", "")
    if not isinstance(parent_ref, str):
        raise ScenarioError(
            f"expected a scenario name or path in quotes, got {parent_ref!r}",
            file=shown,
            key="extends",
            remedy='write e.g. extends = "baseline"',
        )
    if not parent_ref:
        origin: dict[KeyPath, str] = {}
        mark_origin(data, (), shown, origin)
        return data, origin
    try:
        parent_path = resolve_scenario_path(parent_ref, relative_to=path.parent)
    except ScenarioError as exc:
        raise ScenarioError(exc.problem, file=shown, key="extends", remedy=exc.remedy) from None
    _check_parent_place(parent_path, path, parent_ref, shown)
    parent, origin = _load_merged(parent_path, (*chain, real))
    return merge_child(parent, origin, data, replace, shown)


def _set(
    data: dict[str, Any], path: list[str | int], value: Any, label: str, origin: dict[KeyPath, str]
) -> None:
    """Apply one override and remember that `label` set the key (for error messages)."""
    apply_override(data, path, value, label)
    mark_origin(value, tuple(path), label, origin)


# --------------------------------------------------------------------------- public API


def load_scenario(
    name_or_path: str | Path,
    overrides: Sequence[str] = (),
    seed: int | None = None,
    steps: int | None = None,
) -> ScenarioParams:
    """Load, merge, override and validate a scenario.

    Args:
        name_or_path: a shipped scenario name or a path to a TOML file (see
            `resolve_scenario_path`).
        overrides: ``key=value`` strings (``--set``); keys are dotted paths into the scenario
            (``firms.Nvidia.cash_usd_b=50``, ``events[0].gw=2``), values TOML values.
        seed: if given, replaces the scenario's seed.
        steps: if given, replaces ``simulation.steps`` after the scenario has been validated
            as written; events and interventions dated after the shortened horizon are then
            dropped (they could not happen in the run).

    Returns:
        The validated parameters. ``name`` defaults to the file's name relative to the shipped
        scenarios folder (``what_if/no_vendor_financing``) or to its stem.

    Raises:
        ScenarioError: for a missing file, bad TOML, an `extends` cycle, an unknown key, a wrong
            type or an out-of-range value; the message names the file and the key.
    """
    path = resolve_scenario_path(name_or_path)
    shown = _display(path)
    own = _read_toml(path)
    data, origin = _load_merged(path)
    # Schema defaults are the bottom layer, so a partial nested table (``[sites.grid_power_gw]
    # mean = 1.2``) keeps the field's other default values instead of the class defaults.
    data = deep_merge(ScenarioParams().model_dump(mode="json"), copy.deepcopy(data))
    if "name" not in own:
        data["name"] = _shipped_name(path) or path.stem
        origin[("name",)] = shown
    for text in overrides:
        key_path, value = parse_override(text)
        _set(data, key_path, value, f"--set {text}", origin)
    if seed is not None:
        _set(data, ["seed"], seed, "--seed", origin)
    params = _validate(data, origin, shown)
    if steps is not None:
        # A shorter run of a valid scenario: validated in full above, then dated inputs that
        # fall after the new last month are dropped (they could never happen in the run).
        _set(data, ["simulation", "steps"], steps, "--steps", origin)
        if isinstance(steps, int) and steps >= 1:
            end = month_index(params.simulation.start) + steps
            for lst in APPEND_LISTS:
                data[lst] = [
                    item
                    for item, parsed in zip(data.get(lst, []), getattr(params, lst), strict=True)
                    if parsed.date is None or month_index(parsed.date) < end
                ]
        # the extra checks passed on the whole scenario; dropping entries adds no new fault
        params = _validate(data, origin, shown, extra=False)
    return params


def _validate(
    data: dict[str, Any], origin: dict[KeyPath, str], shown: str, extra: bool = True
) -> ScenarioParams:
    flag = find_bool_numbers(data)
    if flag is not None:
        raise ScenarioError(
            f"expected a number, got {str(_get(data, flag)).lower()}",
            file=origin_of(flag, origin, shown),
            key=format_key(flag),
            remedy="write a number (true and false are not numbers)",
        )
    try:
        params = ScenarioParams.model_validate(data)
    except ValidationError as exc:
        raise validation_error(exc, origin, shown) from None
    if extra:
        check_extra(params, origin, shown)
    return params


def _get(data: Any, path: Sequence[str | int]) -> Any:
    for seg in path:
        data = data[seg]
    return data


def list_scenarios() -> list[tuple[str, str]]:
    """List the shipped scenarios.

    Returns:
        ``(name, description)`` pairs sorted by name; the description is the first line of
        ``simulation.description`` (inherited through `extends`), or a note if the file cannot
        be read.
    """
    out = []
    for path in _shipped_files():
        name = _shipped_name(path) or path.stem
        try:
            data, _ = _load_merged(path)
            sim = data.get("simulation", {})
            desc = str(sim.get("description", "")) if isinstance(sim, dict) else ""
            desc = desc.strip().splitlines()[0] if desc.strip() else ""
        except ScenarioError as exc:
            desc = f"(cannot be read: {exc})"
        out.append((name, desc))
    return out
