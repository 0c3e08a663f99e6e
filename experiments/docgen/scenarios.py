"""The key tables of docs/scenarios.md, generated from the scenario schema (world/params.py).

    compute-market docs scenarios            # rewrite the generated part
    compute-market docs scenarios --check    # exit 2 if the file is stale

Only the part of docs/scenarios.md between the GENERATED markers is rewritten; the prose around
it is written by hand. Per key: type and valid range, default, unit and meaning (all read from
the pydantic schema, where `world.params.param` put them), and the value the shipped baseline
sets. tests/test_docs.py fails when the file differs from what `generate()` gives.
"""

from __future__ import annotations

import enum
import tomllib
import types
import typing
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from world import params as P

ROOT = Path(__file__).resolve().parent.parent.parent
DOC = ROOT / "docs" / "scenarios.md"
BASELINE = ROOT / "experiments" / "scenarios" / "baseline.toml"
BEGIN = "<!-- BEGIN GENERATED KEYS (compute-market docs scenarios) -->"
END = "<!-- END GENERATED KEYS -->"


def unit_of(info: FieldInfo) -> str:
    """Unit of a field, as declared with `world.params.param` ('-' when none)."""
    extra = info.json_schema_extra
    return str(extra.get("unit", "-")) if isinstance(extra, dict) else "-"


def meaning_of(info: FieldInfo) -> str:
    """Meaning of a field: its `doc` in `world.params.param` (pydantic's description)."""
    return " ".join((info.description or "").split())


def _bounds(meta: list[Any]) -> str:
    parts = []
    for m in meta:
        for attr, sym in (("ge", ">="), ("gt", ">"), ("le", "<="), ("lt", "<")):
            if getattr(m, attr, None) is not None:
                value = getattr(m, attr)
                parts.append(f"{sym} {value:g}" if isinstance(value, float) else f"{sym} {value}")
        if getattr(m, "pattern", None) == P.MONTH_RE.pattern:
            return "month `YYYY-MM`"
        if getattr(m, "min_length", None) is not None:
            parts.append(f"length >= {m.min_length}")
        if getattr(m, "max_length", None) is not None:
            parts.append(f"length <= {m.max_length}")
    return ", ".join(parts)


def describe_type(ann: Any, meta: list[Any] | None = None) -> str:
    """Type and valid range of an annotation in words."""
    meta = list(meta or [])
    origin = typing.get_origin(ann)
    if origin is typing.Annotated:
        base, *extra = typing.get_args(ann)
        inner = []
        for e in extra:
            inner += list(getattr(e, "metadata", [])) or [e]
        return describe_type(base, meta + inner)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(ann) if a is not type(None)]
        return " or ".join(describe_type(a, meta) for a in args) + " (optional)"
    if origin is typing.Literal:
        return "one of " + ", ".join(f"`{a}`" for a in typing.get_args(ann))
    if isinstance(ann, type) and issubclass(ann, enum.Enum):
        return "one of " + ", ".join(f"`{m.value}`" for m in ann)
    if origin is list:
        (item,) = typing.get_args(ann)
        text = f"list of {describe_type(item)}"
        b = _bounds(meta)
        return f"{text} ({b})" if b else text
    if origin is tuple:
        items = [describe_type(a) for a in typing.get_args(ann)]
        if len(items) == 2 and items[0] == "month `YYYY-MM`":
            return f"[month, {items[1]}] pairs"
        return "[" + ", ".join(items) + "]"
    if origin is dict:
        k, v = typing.get_args(ann)
        return f"table {describe_type(k)} -> {describe_type(v)}"
    if isinstance(ann, type) and issubclass(ann, BaseModel):
        return f"table ({ann.__name__})"
    name = getattr(ann, "__name__", str(ann))
    b = _bounds(meta)
    if b.startswith("month"):
        return b
    return f"{name} {b}" if b else name


def _fmt(value: Any) -> str:
    if value is PydanticUndefined:
        return "required"
    if isinstance(value, enum.Enum):
        value = value.value
    if isinstance(value, BaseModel):
        value = value.model_dump(mode="json")
    if isinstance(value, float):
        return f"`{value:g}`"
    if isinstance(value, dict):
        inner = ", ".join(f"{k} = {_fmt(v).strip('`')}" for k, v in value.items())
        return f"`{{{inner}}}`"
    if isinstance(value, list | tuple):
        text = str(list(value)).replace("'", '"')
        return f"`{text}`" if len(text) <= 60 else f"`{text[:57]}...`"
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "`true`" if value else "`false`"
    if value == "":
        return '`""`'
    return f"`{value}`" if not isinstance(value, str) else f'`"{value}"`'


def _default(info: Any) -> Any:
    if info.default_factory is not None:
        return info.default_factory()
    return info.default


def _baseline() -> dict[str, Any]:
    with BASELINE.open("rb") as fh:
        return tomllib.load(fh)


def field_table(cls: type[BaseModel], prefix: str, set_values: dict[str, Any] | None) -> list[str]:
    """Markdown rows: key, type/range, default, unit, baseline value, meaning."""
    rows = [
        "| key | type and valid range | default | unit | baseline | meaning |",
        "|---|---|---|---|---|---|",
    ]
    for name, info in cls.model_fields.items():
        if set_values is None:
            base = "(per entry)"
        elif name in set_values:
            base = "" if name == "source" else _fmt(set_values[name])
        else:
            base = "default"
        typ = describe_type(info.annotation, list(info.metadata))
        default = _fmt(_default(info))
        if _is_section(info.annotation):
            default, base = "(section)", "see below"
        rows.append(
            f"| `{prefix}{name}` | {typ} | {default} | {unit_of(info)} | {base} "
            f"| {meaning_of(info)} |"
        )
    return rows


def _is_section(ann: Any) -> bool:
    """True for a field holding a whole section (a table, a dict or a list of tables)."""
    args = [ann, *typing.get_args(ann)]
    return any(isinstance(a, type) and issubclass(a, BaseModel) for a in args)


def _source_line(section: dict[str, Any] | None) -> list[str]:
    src = (section or {}).get("source", "")
    return [f"Baseline source: {src}", ""] if src else ["Baseline source: none given.", ""]


def _class_doc(cls: type) -> str:
    doc = (cls.__doc__ or "").strip().split("\n\n")[0]
    return " ".join(doc.split())


def _top_level(base: dict[str, Any]) -> list[str]:
    top = {k: v for k, v in base.items() if not isinstance(v, dict | list)}
    return [
        "### Top level",
        "",
        *field_table(P.ScenarioParams, "", top),
        "| `replace_events` | bool (loader only) | `false` | - | default | In a child scenario:"
        " replace the parent's `[[events]]` instead of appending. |",
        "| `replace_interventions` | bool (loader only) | `false` | - | default | Same for"
        " `[[interventions]]`. |",
        "",
    ]


def _firms_section(section: str, cls: type[BaseModel], firms: dict[str, Any]) -> list[str]:
    """`[firms.<Name>]`: the key table, then the baseline's values firm by firm."""
    out = [f"### `[{section}.<Name>]`", "", _class_doc(cls), ""]
    out += field_table(cls, f"{section}.<Name>.", None)
    out += ["", "Baseline values by firm (blank = default; sources below):", ""]
    names = [n for n in P.FIRM_NAMES if n in firms]
    out += ["| key | " + " | ".join(names) + " |", "|---|" + "---|" * len(names)]
    for key in cls.model_fields:
        if key == "source" or not any(key in firms[n] for n in names):
            continue
        vals = [_fmt(firms[n][key]) if key in firms[n] else "" for n in names]
        out.append(f"| `{key}` | " + " | ".join(vals) + " |")
    return out + [""] + [f"- {n}: {firms[n].get('source', '')}" for n in names] + [""]


def _list_section(section: str, cls: type[BaseModel], entries: list[Any]) -> list[str]:
    """`[[events]]` and `[[interventions]]`: the key table and the baseline's entries."""
    out = [f"### `[[{section}]]`", "", _class_doc(cls), ""]
    out += field_table(cls, "", None)
    out += ["", f"Baseline: {len(entries)} entries."]
    if section == "events" and entries:
        out += [
            "",
            "| id | date | deal_kind | source_firm -> target_firm | stage | gw "
            "| value_usd_b | source |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for e in entries:
            out.append(
                f"| `{e.get('id', '')}` | {e['date']} | {e.get('deal_kind', '')} "
                f"| {e.get('source_firm', '')} -> {e.get('target_firm', '')} "
                f"| {e.get('stage', 'loi')} | {e.get('gw', 0)} "
                f"| {e.get('value_usd_b', 0)} | {e.get('source', '')} |"
            )
    return [*out, ""]


def _distributions(section: str, cls: type[BaseModel], sec: dict[str, Any]) -> list[str]:
    """The Distribution key table once, then each distribution's baseline value."""
    out = ["Each distribution is an inline table:", ""]
    out += field_table(P.Distribution, f"{section}.<dist>.", None)
    out += ["", "Baseline distributions (unit of the key; default if blank):", ""]
    for dname, dinfo in cls.model_fields.items():
        if dinfo.annotation is P.Distribution:
            got = sec.get(dname)
            shown = _fmt(got) if got else f"default {_fmt(_default(dinfo))}"
            out.append(f"- `{dname}`: {shown}")
    return [*out, ""]


def _entries(section: str, name: str, item: type[BaseModel], rows: list[Any]) -> list[str]:
    """A list of tables inside a section (`[[catalog.products]]`) and the baseline's rows."""
    out = [f"`[[{section}.{name}]]` entries:", ""]
    out += field_table(item, "", None)
    out += ["", f"Baseline: {len(rows)} products.", ""]
    if rows:
        keys = [k for k in item.model_fields if k != "source"]
        out += ["| " + " | ".join(keys) + " |", "|" + "---|" * len(keys)]
        out += ["| " + " | ".join(str(row.get(k, "")) for k in keys) + " |" for row in rows]
        out.append("")
    return out


def _table_section(section: str, cls: type[BaseModel], sec: dict[str, Any]) -> list[str]:
    """A plain `[section]`: its key table, distributions and nested lists of tables."""
    out = [f"### `[{section}]`", ""]
    out += [_class_doc(cls), ""] if _class_doc(cls) else []
    out += _source_line(sec)
    out += field_table(cls, "", sec)
    out.append("")
    dist_done = False
    for name, sub in cls.model_fields.items():
        if sub.annotation is P.Distribution and not dist_done:
            dist_done = True
            out += _distributions(section, cls, sec)
        if typing.get_origin(sub.annotation) is list:
            item = typing.get_args(sub.annotation)[0]
            if isinstance(item, type) and issubclass(item, BaseModel):
                out += _entries(section, name, item, sec.get(name, []))
    return out


def generate() -> str:
    """The generated part of docs/scenarios.md (between and including the markers)."""
    base = _baseline()
    out: list[str] = [BEGIN, "", *_top_level(base)]
    for section, info in P.ScenarioParams.model_fields.items():
        ann = info.annotation
        if typing.get_origin(ann) is dict:  # firms
            out += _firms_section(section, typing.get_args(ann)[1], base.get(section, {}))
        elif typing.get_origin(ann) is list:  # events, interventions
            out += _list_section(section, typing.get_args(ann)[0], base.get(section, []))
        elif isinstance(ann, type) and issubclass(ann, BaseModel):
            out += _table_section(section, ann, base.get(section, {}))
    out.append(END)
    return "\n".join(out)


def render(text: str) -> str:
    """`text` (the whole docs/scenarios.md) with its generated part replaced by `generate()`.

    Raises:
        ValueError: the markers are missing.
    """
    if BEGIN not in text or END not in text:
        raise ValueError(f"markers {BEGIN!r} and {END!r} not found")
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    return head + generate() + tail
