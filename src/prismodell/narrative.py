"""Reading and validating the report's narrative data: the folder ``DATA_DIR/rapport/``.

The texts and tables of the report's narrative chapters (purpose, assignments, lead times,
principles for the allocation keys, governance, remainder list) are data that next year's
analyst edits, like the price-model input. This module reads them into a typed
:class:`Narrative` and checks them with the same care as :mod:`prismodell.inputs`: every problem
names the file, the row as seen in Excel (header = row 1) or the YAML line, the column or field,
and what to fix, in Swedish; all problems of all files are collected before
:class:`~prismodell.inputs.InputError` is raised.

Service areas are referenced by their ids in ``model.yml``; ``overgripande`` stands for the
business area as a whole (verksamhetsområde Ekonomi). The file format is documented for analysts
in ``data/2023/rapport/README.md``.
"""

from __future__ import annotations

import datetime as dt
import difflib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from .inputs import (
    Column,
    InputError,
    PriceModelInput,
    Problem,
    TableSchema,
    duplicate_problems,
    find_table_file,
    parse_number,
    read_raw_table,
    validate_table,
)
from .problems import SLUG, FieldProblem, YamlChecker, known_value_hint, load_yaml

NARRATIVE_DIR = "rapport"
OVERALL = "overgripande"  # the whole business area, where a service area id is expected
OVERALL_NAME = "Övergripande"
RATINGS = ("Ja", "Delvis", "Nej", "Varierar")
NEW_SERVICE = "ny bastjänst"
REMOVED_SERVICE = "borttagen bastjänst"
CHANGES = (NEW_SERVICE, REMOVED_SERVICE)
YES, NO = "ja", "nej"


# --------------------------------------------------------------------------- typed result


@dataclass(frozen=True)
class Bullet:
    """A list item, optionally with sub-items (one level)."""

    text: str
    items: tuple[str, ...] = ()


@dataclass(frozen=True)
class About:
    title: str
    subtitle: str
    version: str
    purpose: tuple[Bullet, ...]
    scope_note: str
    context: pd.DataFrame  # group, document (in file order)
    goals: tuple[Bullet, ...]
    audience_within_project: tuple[str, ...]
    audience_others: tuple[str, ...]
    audience_note: str


@dataclass(frozen=True)
class BusinessArea:
    heading: str
    description: str
    principles: tuple[Bullet, ...]
    quote_source: str
    quotes: tuple[str, ...]
    focus: tuple[Bullet, ...]
    lookback: tuple[Bullet, ...]


@dataclass(frozen=True)
class ServiceAreaText:
    service_area: str
    contents: tuple[str, ...]
    statistics: str
    focus: tuple[Bullet, ...]
    lookback: tuple[Bullet, ...]


@dataclass(frozen=True)
class Source:
    id: str
    name: str
    points: tuple[Bullet, ...]


@dataclass(frozen=True)
class KeyPrinciples:
    principles: tuple[Bullet, ...]
    per_service_area: tuple[Bullet, ...]
    per_service_area_summary: str
    sources: tuple[Source, ...]
    criteria: pd.DataFrame  # criterion, name (matrix column order)
    evaluation_conclusion: str
    volume_principles: tuple[Bullet, ...]
    behaviour_reflections: tuple[Bullet, ...]
    behaviour_conclusion: tuple[Bullet, ...]
    remarks: pd.DataFrame  # service_area, key_id ("" = the whole area), text, open_question

    def source_names(self) -> dict[str, str]:
        return {s.id: s.name for s in self.sources}


@dataclass(frozen=True)
class Participant:
    name: str
    convener: bool = False


@dataclass(frozen=True)
class Forum:
    id: str
    name: str
    kind: str
    purpose: tuple[Bullet, ...]
    participants: tuple[Participant, ...]
    frequency: str
    meetings_per_year: int
    months: tuple[int, ...]
    schedule_illustrative: bool = False
    service_areas: tuple[str, ...] = ()
    decisions: tuple[Bullet, ...] = ()
    communication: tuple[Bullet, ...] = ()
    agenda: tuple[Bullet, ...] = ()
    escalates_to: str = ""
    # meetings_per_year counts one administration's meetings ("2 ggr/år och förvaltning")
    per_administration: bool = False

    @property
    def conveners(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.participants if p.convener)


@dataclass(frozen=True)
class Governance:
    meeting_kinds: pd.DataFrame  # kind, name, description
    forums: tuple[Forum, ...]
    illustrative_note: str
    cycle_categories: pd.DataFrame  # category, name

    def forum(self, forum_id: str) -> Forum:
        return next(f for f in self.forums if f.id == forum_id)


@dataclass(frozen=True)
class Remainders:
    intro: tuple[Bullet, ...]
    lists: pd.DataFrame  # name, activities
    example_title: str
    example_list: str
    updated: dt.date


@dataclass(frozen=True)
class Summary:
    advantages: tuple[Bullet, ...]
    disadvantages: tuple[Bullet, ...]
    disadvantages_note: str
    price_list_notes: tuple[Bullet, ...]


@dataclass(frozen=True)
class OtherItem:
    id: str
    title: str
    text: str


@dataclass(frozen=True)
class Narrative:
    """Everything in ``rapport/`` (and the comments of ``changed_assignments``), validated."""

    data_dir: Path
    about: About
    business_area: BusinessArea
    service_areas: dict[str, ServiceAreaText]  # in model order
    development_activities: pd.DataFrame  # service_area, activity, quality, efficiency, year
    changed_assignments: pd.DataFrame  # service_area, change, description, cost_effect, comment
    lead_time_principles: tuple[Bullet, ...]
    lead_time_note: str
    lead_times: pd.DataFrame  # service_area, service, lead_time_days, illustrative
    keys: KeyPrinciples
    source_evaluation: pd.DataFrame  # source, criterion, short_term, long_term
    behaviour_keys: pd.DataFrame  # source, suitability, comment
    governance: Governance
    annual_cycle: pd.DataFrame  # month, activity, category, illustrative
    remainders: Remainders
    remainder_list: pd.DataFrame  # nr, service_area, proposal, status, responsible, ...
    summary: Summary
    other: tuple[OtherItem, ...]
    files: dict[str, Path] = field(default_factory=dict)


# --------------------------------------------------------------------------- YAML fields


MISSING = object()  # a field that is not in the file (None is a field left empty)


class YamlFields(YamlChecker):
    """Typed access to one parsed YAML file; every problem carries its line and field path."""

    problem_type = FieldProblem

    def __init__(self, label: str, text: str, data: Any):
        super().__init__(label, text)
        self.data = data

    def get(self, path: tuple) -> Any:
        node = self.data
        for part in path:
            if isinstance(part, int) and isinstance(node, list) and part < len(node):
                node = node[part]
            elif isinstance(part, str) and isinstance(node, dict) and part in node:
                node = node[part]
            else:
                return MISSING
        return node

    def text(self, path: tuple, required: bool = True, default: str = "") -> str:
        value = self.get(path)
        if value is MISSING or value is None or (isinstance(value, str) and not value.strip()):
            if required:
                self.add(path, "texten saknas. Fyll i en text.")
            return default
        if isinstance(value, dict | list):
            self.add(path, "ska vara en text, inte en lista. Skriv texten direkt efter kolon.")
            return default
        return " ".join(str(value).split())

    def texts(self, path: tuple, required: bool = True) -> tuple[str, ...]:
        """A list of plain texts."""
        return tuple(b.text for b in self.bullets(path, required, nested=False))

    def bullets(
        self, path: tuple, required: bool = True, nested: bool = True
    ) -> tuple[Bullet, ...]:
        """A list whose items are texts or (if ``nested``) ``{text: ..., items: [...]}``."""
        value = self.get(path)
        if value is MISSING or value is None or value == []:
            if required:
                self.add(path, "listan saknas eller är tom. Ange minst en punkt: '- text'.")
            return ()
        if not isinstance(value, list):
            self.add(path, "ska vara en lista med punkter, en per rad som börjar med '- '.")
            return ()
        bullets = []
        for i, item in enumerate(value):
            item_path = path + (i,)
            if nested and isinstance(item, dict):
                text = self.text(item_path + ("text",))
                subs = self.texts(item_path + ("items",), required=False)
                unknown = set(item) - {"text", "items"}
                if unknown:
                    self.add(
                        item_path,
                        f"okänt fält {sorted(unknown)[0]!r}. En punkt med underpunkter har "
                        "fälten text och items.",
                    )
                if text:
                    bullets.append(Bullet(text, subs))
            elif isinstance(item, dict | list) or item is None or not str(item).strip():
                self.add(
                    item_path,
                    "punkten ska vara en text"
                    + (" (eller {text: ..., items: [...]})." if nested else "."),
                )
            else:
                bullets.append(Bullet(" ".join(str(item).split())))
        return tuple(bullets)

    def mapping(self, path: tuple, what: str, required: bool = True) -> dict:
        value = self.get(path)
        if value is MISSING or value is None:
            if required:
                self.add(path, f"saknas. Ange {what}.")
            return {}
        if not isinstance(value, dict):
            self.add(path, f"ska vara {what} (fält på formen 'namn: värde').")
            return {}
        return value

    def fields(self, path: tuple, allowed: Iterable[str]) -> None:
        """Report every field of the mapping at ``path`` that is not in ``allowed`` (a typo, or
        a text with a comma inside {...} that was not put in quotes)."""
        value = self.get(path)
        if not isinstance(value, dict):
            return
        allowed = list(allowed)
        for key in value:
            if str(key) not in allowed:
                close = difflib.get_close_matches(str(key), allowed, n=1, cutoff=0.6)
                fix = (
                    f"Menade du {close[0]!r}?"
                    if close
                    else f"Tillåtna fält: {', '.join(allowed)}. En text med kommatecken inom "
                    '{...} måste stå inom citattecken, t.ex. {name: "A, B"}.'
                )
                self.add(path + (key,), f"okänt fält {key!r}. {fix}")

    def items(
        self, path: tuple, what: str, required: bool = True, allowed: Iterable[str] = ()
    ) -> list[tuple[tuple, dict]]:
        """A list of mappings: (path of the item, item) for each well-formed one. With
        ``allowed``, unknown fields of each item are reported."""
        value = self.get(path)
        if value is MISSING or value is None or value == []:
            if required:
                self.add(path, f"listan saknas eller är tom. Ange minst en {what}.")
            return []
        if not isinstance(value, list):
            self.add(path, f"ska vara en lista, med en {what} per punkt ('- ...').")
            return []
        found = []
        for i, item in enumerate(value):
            if isinstance(item, dict):
                if allowed:
                    self.fields(path + (i,), allowed)
                found.append((path + (i,), item))
            else:
                self.add(path + (i,), f"ska vara en {what} med fält (namn: värde), inte {item!r}.")
        return found

    def slug(self, path: tuple, seen: set[str]) -> str:
        value = self.text(path)
        if not value:
            return ""
        if not SLUG.match(value):
            self.add(path, f"id {value!r} får bara innehålla a–z, 0–9 och _ (inga å, ä, ö).")
        elif value in seen:
            self.add(path, f"id {value!r} används redan. Varje id måste vara unikt i listan.")
        seen.add(value)
        return value

    def integer(self, path: tuple, low: int, high: int, required: bool = True) -> int | None:
        value = self.get(path)
        if value is MISSING or value is None:
            if required:
                self.add(path, f"värdet saknas. Ange ett heltal mellan {low} och {high}.")
            return None
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            self.add(path, f"{value!r} är inte ett heltal mellan {low} och {high}.")
            return None
        return value

    def boolean(self, path: tuple, default: bool = False) -> bool:
        value = self.get(path)
        if value is MISSING or value is None:
            return default
        if not isinstance(value, bool):
            self.add(path, f"{value!r} ska vara true eller false.")
            return default
        return value

    def one_of(self, path: tuple, known: Iterable[str], what: str, where: str) -> str:
        value = self.text(path)
        known = list(known)
        if value and value not in known:
            hint = known_value_hint(value, known)
            self.add(path, f"{what} {value!r} finns inte i {where}. {hint}")
        return value


def read_yaml(path: Path, label: str) -> tuple[YamlFields | None, list[Problem]]:
    """Parse one YAML file of the narrative; a syntax error is one problem with its line."""
    try:
        text = path.read_text(encoding="utf-8")
        data, _ = load_yaml(
            text,
            label,
            "Kontrollera indrag, kolon och citattecken på raden "
            "(en text som innehåller kolon behöver citattecken).",
        )
    except UnicodeDecodeError:
        return None, [Problem(label, "filen är inte UTF-8. Spara om den som UTF-8.")]
    except InputError as exc:
        return None, exc.problems
    if not isinstance(data, dict):
        return None, [
            Problem(label, "filen ska innehålla fält på formen 'namn: värde' (se README.md).")
        ]
    return YamlFields(label, text, data), []


# --------------------------------------------------------------------------- CSV tables


def _text_schema(name: str, what: str, required: Iterable[str], optional: Iterable[str] = ()):
    columns = tuple(Column(c, "text", True) for c in required) + tuple(
        Column(c, "text", False) for c in optional
    )
    return TableSchema(name, columns, what)


TABLES: dict[str, TableSchema] = {
    s.name: s
    for s in (
        _text_schema(
            "development_activities",
            "utvecklingsaktiviteter per tjänsteområde",
            ["service_area", "activity", "year"],
            ["quality", "efficiency"],
        ),
        _text_schema(
            "lead_times",
            "ledtider per tjänsteområde och tjänst",
            ["service_area", "service", "lead_time_days", "illustrative"],
        ),
        _text_schema(
            "source_evaluation",
            "utvärderingen av källor per kriterium på kort och lång sikt",
            ["source", "criterion", "short_term", "long_term"],
        ),
        _text_schema(
            "behaviour_keys",
            "källornas lämplighet som beteendenyckel",
            ["source", "suitability"],
            ["comment"],
        ),
        _text_schema(
            "annual_cycle",
            "årshjulets händelser per månad",
            ["month", "activity", "category", "illustrative"],
        ),
        _text_schema(
            "remainders",
            "restlistans rader",
            ["nr", "service_area", "proposal", "status", "responsible", "decided_by"],
            ["comment"],
        ),
    )
}
YAML_FILES = (
    "about",
    "assignments",
    "lead_times",
    "keys",
    "governance",
    "remainders",
    "summary",
    "other",
)


def _label(name: str) -> str:
    return f"{NARRATIVE_DIR}/{name}"


def read_table(folder: Path, schema: TableSchema) -> tuple[pd.DataFrame | None, str, list[Problem]]:
    """A narrative table as text columns (index = Excel row), its file label and problems."""
    path, problem = find_table_file(folder, schema.name)
    label = _label(f"{schema.name}.csv")
    if problem:
        return None, label, [Problem(label, problem.message)]
    if path is None:
        return (
            None,
            label,
            [
                Problem(
                    label,
                    f"filen saknas i {folder}. Lägg till {schema.name}.csv (eller .xlsx) med "
                    f"{schema.what}, kolumner: {', '.join(schema.column_names)}.",
                )
            ],
        )
    label = _label(path.name)
    try:
        raw = read_raw_table(path)
    except InputError as exc:
        return None, label, [Problem(label, p.message, p.row, p.column) for p in exc.problems]
    typed, problems = validate_table(raw, schema, label)  # all columns stay text
    return typed, label, problems


def integer_column(
    table: pd.DataFrame, column: str, label: str, low: int, high: int, what: str
) -> tuple[pd.Series, list[Problem]]:
    """Whole numbers in ``low..high``; a bad or empty cell gives a problem (value 0)."""
    problems = []
    values = []
    for row, text in table[column].items():
        value = parse_number(text)  # "2021", "2 021", "3,0" and Excel's "3.0" all count
        number = int(value) if value is not None and value.is_integer() else None
        if text == "":
            values.append(0)
            continue  # validate_table has reported the empty cell
        if number is None or not low <= number <= high:
            problems.append(
                Problem(
                    label,
                    f"{text!r} är inte {what}. Ange ett heltal mellan {low} och {high}.",
                    row,
                    column,
                )
            )
            number = 0
        values.append(number)
    return pd.Series(values, index=table.index, dtype="int64"), problems


def choice_column(
    table: pd.DataFrame, column: str, label: str, allowed: Iterable[str], what: str
) -> list[Problem]:
    """Each non-empty cell must be one of ``allowed``, spelt exactly; suggests the closest.

    ``what`` completes "'x' är inte ...", e.g. "en giltig bedömning". Empty cells of required
    columns are reported by ``validate_table``."""
    allowed = list(allowed)
    return [
        Problem(
            label,
            (
                f"{value!r} är inte {what} ({', '.join(allowed)}). "
                + known_value_hint(value, allowed, list_all=False)
            ).strip(),
            row,
            column,
        )
        for row, value in table[column].items()
        if value and value not in allowed
    ]


def yes_no_column(table: pd.DataFrame, column: str, label: str) -> tuple[pd.Series, list[Problem]]:
    lowered = table[column].str.lower()
    problems = [
        Problem(label, f"{text!r} ska vara {YES} eller {NO}.", row, column)
        for row, text in table[column].items()
        if text and lowered[row] not in (YES, NO)
    ]
    return lowered == YES, problems


def mark_column(table: pd.DataFrame, column: str, label: str) -> tuple[pd.Series, list[Problem]]:
    """An 'X' column: X (or x) for yes, empty for no."""
    problems = [
        Problem(label, f"{text!r} är inte tillåtet. Skriv X, eller lämna cellen tom.", row, column)
        for row, text in table[column].items()
        if text not in ("", "X", "x")
    ]
    return table[column].str.upper() == "X", problems


def area_problems(
    table: pd.DataFrame, column: str, areas: list[str], label: str, overall: bool = True
) -> list[Problem]:
    """Service-area ids that are not in model.yml (``overgripande`` allowed if ``overall``)."""
    known = areas + ([OVERALL] if overall else [])
    problems = []
    for row, value in table[column].items():
        if value and value not in known:
            problems.append(
                Problem(
                    label,
                    f"tjänsteområdet {value!r} finns inte i model.yml (service_areas)"
                    + (f" och är inte {OVERALL!r}" if overall else "")
                    + f". {known_value_hint(value, known)}",
                    row,
                    column,
                )
            )
    return problems


# --------------------------------------------------------------------------- the files


def _about(f: YamlFields) -> About:
    context = []
    f.fields((), ["document", "purpose", "scope_note", "context", "goals", "audience"])
    f.fields(("document",), ["title", "subtitle", "version"])
    f.fields(("audience",), ["within_project", "others", "note"])
    items = f.items(
        ("context",),
        "dokumentgrupp ({group: ..., documents: [...]})",
        allowed=["group", "documents"],
    )
    for path, _ in items:
        name = f.text(path + ("group",))
        for document in f.texts(path + ("documents",)):
            context.append({"group": name, "document": document})
    f.mapping(("audience",), "målgrupperna (within_project, others, note)")
    return About(
        title=f.text(("document", "title")),
        subtitle=f.text(("document", "subtitle"), required=False),
        version=f.text(("document", "version"), required=False),
        purpose=f.bullets(("purpose",)),
        scope_note=f.text(("scope_note",), required=False),
        context=pd.DataFrame(context, columns=["group", "document"]),
        goals=f.bullets(("goals",)),
        audience_within_project=f.texts(("audience", "within_project")),
        audience_others=f.texts(("audience", "others")),
        audience_note=f.text(("audience", "note"), required=False),
    )


def _assignments(f: YamlFields, areas: list[str]) -> tuple[BusinessArea, dict]:
    base = ("business_area",)
    f.fields((), ["business_area", "service_areas"])
    f.mapping(base, "verksamhetsområdets uppdrag (heading, description, principles, ...)")
    f.fields(
        base,
        ["heading", "description", "principles", "quote_source", "quotes", "focus", "lookback"],
    )
    business = BusinessArea(
        heading=f.text(base + ("heading",), required=False, default="Uppdraget"),
        description=f.text(base + ("description",)),
        principles=f.bullets(base + ("principles",)),
        quote_source=f.text(base + ("quote_source",), required=False),
        quotes=f.texts(base + ("quotes",), required=False),
        focus=f.bullets(base + ("focus",), required=False),
        lookback=f.bullets(base + ("lookback",), required=False),
    )
    given = f.mapping(("service_areas",), "ett avsnitt per tjänsteområde i model.yml")
    texts = {}
    for area in given:
        if str(area) not in areas:
            f.add(
                ("service_areas", area),
                f"tjänsteområdet {area!r} finns inte i model.yml (service_areas). "
                f"{known_value_hint(str(area), areas)} Ta bort avsnittet eller rätta id:t.",
            )
    for area in areas:
        path = ("service_areas", area)
        if area not in given:
            if given:
                f.add(
                    ("service_areas",),
                    f"tjänsteområdet {area!r} i model.yml saknar text här. Lägg till "
                    f"'{area}:' med contents, statistics, focus och lookback.",
                )
            continue
        f.fields(path, ["contents", "statistics", "focus", "lookback"])
        texts[area] = ServiceAreaText(
            service_area=area,
            contents=f.texts(path + ("contents",)),
            statistics=f.text(path + ("statistics",)),
            focus=f.bullets(path + ("focus",), required=False),
            lookback=f.bullets(path + ("lookback",), required=False),
        )
    return business, texts


def _keys(f: YamlFields, model: PriceModelInput) -> KeyPrinciples:
    seen: set[str] = set()
    sources = []
    f.fields((), KEYS_FIELDS)
    f.fields(("behaviour",), ["reflections", "conclusion"])
    source_items = f.items(
        ("sources",),
        "källa ({id: ..., name: ..., points: [...]})",
        allowed=["id", "name", "points"],
    )
    for path, _ in source_items:
        sources.append(
            Source(
                f.slug(path + ("id",), seen),
                f.text(path + ("name",)),
                f.bullets(path + ("points",)),
            )
        )
    seen = set()
    criteria = [
        {"criterion": f.slug(path + ("id",), seen), "name": f.text(path + ("name",))}
        for path, _ in f.items(
            ("criteria",), "kriterium ({id: ..., name: ...})", allowed=["id", "name"]
        )
    ]
    areas = model.service_areas["service_area"].tolist()
    area_of_key = dict(zip(model.keys["key_id"], model.keys["service_area"], strict=True))
    remarks = []
    remark_items = f.items(
        ("remarks",),
        "anmärkning",
        required=False,
        allowed=["service_area", "key_id", "text", "open_question"],
    )
    for path, _ in remark_items:
        area = f.one_of(path + ("service_area",), areas, "tjänsteområdet", "model.yml")
        key_id = f.text(path + ("key_id",), required=False)
        if key_id and area in areas and area_of_key.get(key_id) != area:
            own = [k for k, a in area_of_key.items() if a == area]
            f.add(
                path + ("key_id",),
                f"nyckeln {key_id!r} hör inte till tjänsteområdet {area!r} i model.yml. "
                f"{known_value_hint(key_id, own)}",
            )
        remarks.append(
            {
                "service_area": area,
                "key_id": key_id,
                "text": f.text(path + ("text",)),
                # a question the steering group must settle (shown on the first page)
                "open_question": f.boolean(path + ("open_question",)),
            }
        )
    return KeyPrinciples(
        principles=f.bullets(("principles",)),
        per_service_area=f.bullets(("per_service_area",), required=False),
        per_service_area_summary=f.text(("per_service_area_summary",), required=False),
        sources=tuple(sources),
        criteria=pd.DataFrame(criteria, columns=["criterion", "name"]),
        evaluation_conclusion=f.text(("evaluation_conclusion",)),
        volume_principles=f.bullets(("volume_principles",)),
        behaviour_reflections=f.bullets(("behaviour", "reflections")),
        behaviour_conclusion=f.bullets(("behaviour", "conclusion")),
        remarks=pd.DataFrame(
            remarks, columns=["service_area", "key_id", "text", "open_question"]
        ),
    )


KEYS_FIELDS = [
    "principles",
    "per_service_area",
    "per_service_area_summary",
    "sources",
    "criteria",
    "evaluation_conclusion",
    "volume_principles",
    "behaviour",
    "remarks",
]
FORUM_FIELDS = [
    "id",
    "name",
    "kind",
    "service_areas",
    "purpose",
    "decisions",
    "communication",
    "participants",
    "agenda",
    "frequency",
    "meetings_per_year",
    "months",
    "schedule_illustrative",
    "escalates_to",
    "per_administration",
]


def _participants(f: YamlFields, path: tuple) -> tuple[Participant, ...]:
    value = f.get(path)
    if not isinstance(value, list) or not value:
        f.add(path, "listan med deltagare saknas. Ange en deltagare per rad ('- namn').")
        return ()
    found = []
    for i, item in enumerate(value):
        if isinstance(item, dict):
            f.fields(path + (i,), ["name", "convener"])
            name = f.text(path + (i, "name"))
            convener = f.boolean(path + (i, "convener"))
            if name:
                found.append(Participant(name, convener))
        elif isinstance(item, str) and item.strip():
            found.append(Participant(" ".join(item.split())))
        else:
            f.add(path + (i,), "deltagaren ska vara en text eller {name: ..., convener: true}.")
    return tuple(found)


def _governance(f: YamlFields, areas: list[str]) -> Governance:
    seen: set[str] = set()
    kinds = [
        {
            "kind": f.slug(path + ("id",), seen),
            "name": f.text(path + ("name",)),
            "description": f.text(path + ("description",), required=False),
        }
        for path, _ in f.items(
            ("meeting_kinds",),
            "mötestyp ({id: ..., name: ...})",
            allowed=["id", "name", "description"],
        )
    ]
    kind_ids = [k["kind"] for k in kinds if k["kind"]]
    seen = set()
    categories = [
        {"category": f.slug(path + ("id",), seen), "name": f.text(path + ("name",))}
        for path, _ in f.items(
            ("cycle_categories",), "kategori ({id: ..., name: ...})", allowed=["id", "name"]
        )
    ]
    seen = set()
    forums = []
    escalations = []
    f.fields((), ["meeting_kinds", "illustrative_note", "forums", "cycle_categories"])
    for path, _ in f.items(("forums",), "forum", allowed=FORUM_FIELDS):
        forum_id = f.slug(path + ("id",), seen)
        kind = f.one_of(path + ("kind",), kind_ids, "mötestypen", "meeting_kinds")
        served = f.texts(path + ("service_areas",), required=False)
        for i, area in enumerate(served):
            if area not in areas:
                f.add(
                    path + ("service_areas", i),
                    f"tjänsteområdet {area!r} finns inte i model.yml (service_areas). "
                    f"{known_value_hint(area, areas)}",
                )
        count = f.integer(path + ("meetings_per_year",), 1, 52)
        months = _months(f, path + ("months",))
        if count is not None and months is not None and len(months) != count:
            f.add(
                path + ("months",),
                f"{len(months)} månader angivna men meetings_per_year är {count}. Ange en "
                "månad per möte (samma månad två gånger för två möten).",
            )
        escalates_to = f.text(path + ("escalates_to",), required=False)
        if escalates_to:
            escalations.append((path + ("escalates_to",), escalates_to))
        forums.append(
            Forum(
                id=forum_id,
                name=f.text(path + ("name",)),
                kind=kind,
                purpose=f.bullets(path + ("purpose",)),
                participants=_participants(f, path + ("participants",)),
                frequency=f.text(path + ("frequency",)),
                meetings_per_year=count or 0,
                months=tuple(months or ()),
                schedule_illustrative=f.boolean(path + ("schedule_illustrative",)),
                per_administration=f.boolean(path + ("per_administration",)),
                service_areas=tuple(a for a in served if a in areas),
                decisions=f.bullets(path + ("decisions",), required=False),
                communication=f.bullets(path + ("communication",), required=False),
                agenda=f.bullets(path + ("agenda",), required=False),
                escalates_to=escalates_to,
            )
        )
    forum_ids = [forum.id for forum in forums]
    for path, target in escalations:
        if target not in forum_ids:
            hint = known_value_hint(target, forum_ids)
            f.add(path, f"forumet {target!r} finns inte bland forums. {hint}")
    return Governance(
        meeting_kinds=pd.DataFrame(kinds, columns=["kind", "name", "description"]),
        forums=tuple(forums),
        illustrative_note=f.text(
            ("illustrative_note",), required=any(fo.schedule_illustrative for fo in forums)
        ),
        cycle_categories=pd.DataFrame(categories, columns=["category", "name"]),
    )


def _months(f: YamlFields, path: tuple) -> list[int] | None:
    value = f.get(path)
    if not isinstance(value, list) or not value:
        f.add(path, "månaderna saknas. Ange dem som en lista av månadsnummer, t.ex. [2, 5, 9, 11].")
        return None
    months = []
    for i, month in enumerate(value):
        if isinstance(month, bool) or not isinstance(month, int) or not 1 <= month <= 12:
            f.add(path + (i,), f"{month!r} är inte en månad. Ange ett månadsnummer 1–12.")
        else:
            months.append(month)
    return months if len(months) == len(value) else None


def _remainders(f: YamlFields) -> Remainders:
    lists = [
        {"name": f.text(path + ("name",)), "activities": f.integer(path + ("activities",), 0, 999)}
        for path, _ in f.items(
            ("lists",), "restlista ({name: ..., activities: ...})", allowed=["name", "activities"]
        )
    ]
    f.fields((), ["intro", "lists", "example"])
    f.fields(("example",), ["title", "list", "updated"])
    names = [entry["name"] for entry in lists]
    example_list = f.one_of(("example", "list"), names, "restlistan", "lists")
    updated = f.get(("example", "updated"))
    if isinstance(updated, dt.datetime):
        updated = updated.date()
    elif isinstance(updated, str):
        try:
            updated = dt.date.fromisoformat(updated.strip())
        except ValueError:
            updated = None
    if not isinstance(updated, dt.date):
        f.add(("example", "updated"), "datumet saknas eller är fel. Skriv det som ÅÅÅÅ-MM-DD.")
        updated = dt.date(1900, 1, 1)
    return Remainders(
        intro=f.bullets(("intro",), required=False),
        lists=pd.DataFrame(lists, columns=["name", "activities"]),
        example_title=f.text(("example", "title")),
        example_list=example_list,
        updated=updated,
    )


def _summary(f: YamlFields) -> Summary:
    f.fields((), ["advantages", "disadvantages", "disadvantages_note", "price_list_notes"])
    return Summary(
        advantages=f.bullets(("advantages",)),
        disadvantages=f.bullets(("disadvantages",)),
        disadvantages_note=f.text(("disadvantages_note",), required=False),
        price_list_notes=f.bullets(("price_list_notes",), required=False),
    )


def _other(f: YamlFields) -> tuple[OtherItem, ...]:
    f.fields((), ["items"])
    seen: set[str] = set()
    return tuple(
        OtherItem(f.slug(path + ("id",), seen), f.text(path + ("title",)), f.text(path + ("text",)))
        for path, _ in f.items(
            ("items",), "punkt ({id: ..., title: ..., text: ...})", allowed=["id", "title", "text"]
        )
    )


# --------------------------------------------------------------------------- tables


def _development_activities(table, label, areas) -> tuple[pd.DataFrame, list[Problem]]:
    problems = area_problems(table, "service_area", areas, label)
    quality, found = mark_column(table, "quality", label)
    problems += found
    efficiency, found = mark_column(table, "efficiency", label)
    problems += found
    year, found = integer_column(table, "year", label, 1900, 2100, "ett årtal")
    problems += found
    typed = table[["service_area", "activity"]].assign(
        quality=quality, efficiency=efficiency, year=year
    )
    return typed, problems


def _lead_times(table, label, areas) -> tuple[pd.DataFrame, list[Problem]]:
    problems = area_problems(table, "service_area", areas, label)
    days, found = integer_column(table, "lead_time_days", label, 1, 365, "ett antal dagar")
    problems += found
    illustrative, found = yes_no_column(table, "illustrative", label)
    problems += found
    problems += duplicate_problems(table, ["service_area", "service"], label)
    typed = table[["service_area", "service"]].assign(
        lead_time_days=days, illustrative=illustrative
    )
    return typed, problems


def _source_evaluation(table, label, keys: KeyPrinciples) -> list[Problem]:
    source_ids = [s.id for s in keys.sources]
    criteria = keys.criteria["criterion"].tolist()
    problems = _id_problems(table, "source", source_ids, label, "källan", "keys.yml (sources)")
    problems += _id_problems(
        table, "criterion", criteria, label, "kriteriet", "keys.yml (criteria)"
    )
    for column in ("short_term", "long_term"):
        problems += choice_column(table, column, label, RATINGS, "en giltig bedömning")
    problems += duplicate_problems(table, ["source", "criterion"], label)
    present = set(zip(table["source"], table["criterion"], strict=True))
    for source in source_ids:
        for criterion in criteria:
            if source and criterion and (source, criterion) not in present:
                problems.append(
                    Problem(
                        label,
                        f"raden för källan {source!r} och kriteriet {criterion!r} saknas. "
                        "Lägg till den, så att matrisen blir komplett.",
                        column="criterion",
                    )
                )
    return problems


def _id_problems(table, column, known, label, what, where) -> list[Problem]:
    return [
        Problem(
            label,
            f"{what} {value!r} finns inte i {where}. {known_value_hint(value, known)}",
            row,
            column,
        )
        for row, value in table[column].items()
        if value and value not in known
    ]


def _annual_cycle(table, label, governance: Governance) -> tuple[pd.DataFrame, list[Problem]]:
    month, problems = integer_column(table, "month", label, 1, 12, "en månad")
    problems += _id_problems(
        table,
        "category",
        governance.cycle_categories["category"].tolist(),
        label,
        "kategorin",
        "governance.yml (cycle_categories)",
    )
    illustrative, found = yes_no_column(table, "illustrative", label)
    problems += found
    typed = table[["activity", "category"]].assign(month=month, illustrative=illustrative)
    return typed[["month", "activity", "category", "illustrative"]], problems


def _remainder_list(table, label, areas) -> tuple[pd.DataFrame, list[Problem]]:
    problems = area_problems(table, "service_area", areas, label)
    number, found = integer_column(table, "nr", label, 1, 9999, "ett radnummer")
    problems += found
    typed = table.assign(nr=number)
    problems += duplicate_problems(typed[typed["nr"] > 0], ["nr"], label)
    return typed, problems


def _changed_assignments(
    model: PriceModelInput,
) -> tuple[pd.DataFrame, list[Problem]]:
    """``model.changed_assignments`` with the optional ``comment`` column read back from the
    file (the price-model reader ignores extra columns); ``change`` must be a known value."""
    columns = ["service_area", "change", "description", "cost_effect", "comment"]
    changes = model.changed_assignments
    path = model.files.get("changed_assignments")
    if changes is None or path is None:
        return pd.DataFrame(
            {c: pd.Series(dtype=float if c == "cost_effect" else str) for c in columns}
        ), []
    raw = read_raw_table(path)  # already read once without error by load_input
    comment = raw["comment"] if "comment" in raw.columns else pd.Series("", index=raw.index)
    table = changes.assign(comment=comment.to_numpy())
    checked = table.set_axis(raw.index)  # Excel row numbers for the messages
    problems = choice_column(checked, "change", path.name, CHANGES, "en giltig förändring")
    return table[columns], problems


# --------------------------------------------------------------------------- the folder


def load_narrative(data_dir: Path | str, model: PriceModelInput) -> Narrative:
    """Read and validate ``DATA_DIR/rapport/`` against the validated ``model``.

    Raises :class:`InputError` listing every problem of every file.
    """
    data_dir = Path(data_dir)
    folder = data_dir / NARRATIVE_DIR
    if not folder.is_dir():
        raise InputError(
            [
                Problem(
                    NARRATIVE_DIR + "/",
                    f"mappen med rapportens texter saknas i {data_dir}. Kopiera mappen "
                    f"{NARRATIVE_DIR}/ från förra årets datamapp och uppdatera texterna "
                    "(se README.md i mappen).",
                )
            ]
        )
    areas = model.service_areas["service_area"].tolist()
    problems: list[Problem] = []
    files: dict[str, Path] = {}

    fields: dict[str, YamlFields | None] = {}
    for name in YAML_FILES:
        path = folder / f"{name}.yml"
        label = _label(f"{name}.yml")
        if not path.is_file():
            problems.append(
                Problem(label, f"filen saknas i {folder}. Lägg till {name}.yml (se README.md).")
            )
            fields[name] = None
            continue
        files[name] = path
        fields[name], found = read_yaml(path, label)
        problems += found

    def parsed(name, parse, *args, default=None):
        if fields[name] is None:
            return default
        return parse(fields[name], *args)

    about = parsed("about", _about)
    business, area_texts = parsed("assignments", _assignments, areas, default=(None, {}))
    keys = parsed("keys", _keys, model)
    governance = parsed("governance", _governance, areas)
    remainders = parsed("remainders", _remainders)
    summary = parsed("summary", _summary)
    other = parsed("other", _other, default=())
    lead_fields = fields["lead_times"]
    lead_principles = lead_fields.bullets(("principles",)) if lead_fields else ()
    if lead_fields:
        lead_fields.fields((), ["principles", "illustrative_note"])
    lead_note = ""

    tables: dict[str, pd.DataFrame | None] = {}
    for name, schema in TABLES.items():
        table, label, found = read_table(folder, schema)
        problems += found
        if table is None:
            tables[name] = None
            continue
        files[f"{name}.csv"] = folder / Path(label).name
        if name == "development_activities":
            table, found = _development_activities(table, label, areas)
        elif name == "lead_times":
            table, found = _lead_times(table, label, areas)
            if lead_fields is not None:
                lead_note = lead_fields.text(
                    ("illustrative_note",), required=bool(table["illustrative"].any())
                )
        elif name == "source_evaluation":
            found = _source_evaluation(table, label, keys) if keys else []
        elif name == "behaviour_keys":
            known = [s.id for s in keys.sources] if keys else []
            found = _id_problems(table, "source", known, label, "källan", "keys.yml (sources)")
        elif name == "annual_cycle":
            if governance is not None:
                table, found = _annual_cycle(table, label, governance)
            else:
                found = []
        elif name == "remainders":
            table, found = _remainder_list(table, label, areas)
        problems += found
        tables[name] = table

    changed, found = _changed_assignments(model)
    problems += found
    problems += [p for f in fields.values() if f is not None for p in f.problems]
    if problems:
        problems.sort(key=lambda p: p.file)  # stable: file by file, each in its own order
        raise InputError(problems)

    def clean(name: str) -> pd.DataFrame:
        return tables[name].reset_index(drop=True)

    return Narrative(
        data_dir=data_dir,
        about=about,
        business_area=business,
        service_areas=area_texts,
        development_activities=clean("development_activities"),
        changed_assignments=changed.reset_index(drop=True),
        lead_time_principles=lead_principles,
        lead_time_note=lead_note,
        lead_times=clean("lead_times"),
        keys=keys,
        source_evaluation=clean("source_evaluation"),
        behaviour_keys=clean("behaviour_keys"),
        governance=governance,
        annual_cycle=clean("annual_cycle"),
        remainders=remainders,
        remainder_list=clean("remainders"),
        summary=summary,
        other=other,
        files=files,
    )
