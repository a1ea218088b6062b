"""Reading and validating what ``prismodell volumes`` needs: ``extracts.yml`` (how each key's
volume is counted from the source systems' extracts), ``org_mapping.csv`` (organisation codes
to customers) and the parts of the data folder it shares with ``calculate`` (model.yml,
customers, customer_mapping).

``extracts.yml`` describes each extract once and each key by the extract it counts::

    extracts:
      leverantorsfakturor:                 # a name of your choice (a–z, 0–9, _)
        source: Agresso                    # as in org_mapping.csv's source column
        files: agresso_lev_*.csv           # under DATA_DIR/extracts/; a name, a pattern or a list
        org_column: Ansvar                 # the organisation code
        date_column: Period                # ÅÅÅÅ-MM, ÅÅÅÅMM, ÅÅÅÅ-MM-DD (a time may follow)
        transaction_id: Fakturanr          # optional: repeated ids are reported
        encoding: utf-8                    # optional: utf-8 (default), latin-1 or utf-16
        period: {start: 2022-08, end: 2023-07}   # optional; default model.yml's volume_period
        filters:                           # optional, for every key of this extract
          - {column: Status, not_one_of: [Makulerad]}
    keys:
      antal_fakturor: {extract: leverantorsfakturor, count: {sum: Antal}}
      felaktiga_fakturor:
        extract: leverantorsfakturor
        count: rows                        # rows | {distinct: COLUMN} | {sum: COLUMN}
        filters: [{column: Felaktig, equals: Ja}]

Problems are :class:`~prismodell.inputs.Problem` (file, line or row, column, what to fix) and
raised together as :class:`~prismodell.inputs.InputError`, as for every other input.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from .inputs import (
    MODEL_FILE,
    SCHEMAS,
    Column,
    InputError,
    Problem,
    TableSchema,
    duplicate_problems,
    find_table_file,
    read_model_file,
    read_raw_table,
    unknown_problems,
    validate_table,
)
from .problems import SLUG, YamlChecker, known_value_hint, load_yaml

EXTRACTS_FILE = "extracts.yml"
EXTRACTS_DIR = "extracts"
ORG_MAPPING = "org_mapping"
ORG_SCHEMA = TableSchema(
    ORG_MAPPING,
    (Column("source", "text"), Column("org_code", "text"), Column("customer_id", "text")),
    "organisationskoder per källsystem och den kund (customer_id) de hör till",
)
COUNT_KINDS = ("rows", "distinct", "sum")
FILTER_KINDS = ("equals", "one_of", "not_one_of")
ENCODINGS = ("utf-8", "latin-1", "utf-16")
EXTRACT_SUFFIXES = (".csv", ".xlsx", ".parquet")
_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


@dataclass(frozen=True)
class Filter:
    """Keep a row when its ``column`` equals / is one of / is not one of ``values`` (text)."""

    column: str
    kind: str  # one of FILTER_KINDS
    values: tuple[str, ...]


@dataclass(frozen=True)
class Extract:
    """One export of a source system: its files and which columns mean what."""

    name: str
    source: str
    files: tuple[Path, ...]  # resolved, sorted, each under DATA_DIR/extracts
    org_column: str
    date_column: str
    period: tuple[str, str]  # ÅÅÅÅ-MM, inclusive
    encoding: str = "utf-8"
    transaction_id: str | None = None
    filters: tuple[Filter, ...] = ()


@dataclass(frozen=True)
class KeyRule:
    """How one allocation key's volume is counted from an extract."""

    key_id: str
    extract: str
    count: str  # "rows", "distinct" or "sum"
    column: str | None = None  # for distinct and sum
    filters: tuple[Filter, ...] = ()


@dataclass(frozen=True)
class VolumeInput:
    """A validated data folder for ``prismodell volumes``."""

    data_dir: Path
    price_list_year: int
    volume_period: tuple[str, str]
    example_data: bool
    service_areas: pd.DataFrame  # service_area, name, description; in model order
    keys: pd.DataFrame  # service_area, key_id, name, weight, source; in model order
    customers: pd.DataFrame  # customer_id, name, type
    extracts: dict[str, Extract]
    rules: tuple[KeyRule, ...]  # in model key order
    org_mapping: pd.DataFrame  # source, org_code, customer_id
    customer_mapping: pd.DataFrame | None  # from_customer_id, to_customer_id, share


# --------------------------------------------------------------------------- safe YAML


def read_yaml_strict(path: Path) -> tuple[Any, str, list[Problem]]:
    """Parse a YAML file with the package's one strict reader (``problems.load_yaml``: no
    repeated keys, anchors or aliases). Returns (data, text, problems); data is None when there
    are problems."""
    name = path.name
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        return None, "", [Problem(name, "filen är inte UTF-8. Spara om den som UTF-8.")]
    try:
        return load_yaml(text, name)[0], text, []
    except InputError as error:
        return None, text, list(error.problems)


# --------------------------------------------------------------------------- extracts.yml


class _Checker(YamlChecker):
    """Problems in extracts.yml, each with its line and the path of the setting."""

    def __init__(self, text: str):
        super().__init__(EXTRACTS_FILE, text)

    def text(self, value: Any, path: tuple, what: str) -> str | None:
        if isinstance(value, bool) or not isinstance(value, str | int) or not str(value).strip():
            self.add(path, f"{what} saknas. Ange kolumnens namn som det står i filens rubrikrad.")
            return None
        return str(value).strip()


def _filters(raw: Any, path: tuple, check: _Checker) -> tuple[Filter, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        check.add(path, "filters ska vara en lista, t.ex. [{column: Status, equals: Bokförd}].")
        return ()
    found = []
    for i, item in enumerate(raw):
        where = path + (i,)
        kinds = [k for k in FILTER_KINDS if isinstance(item, dict) and k in item]
        extra = [k for k in item if k not in FILTER_KINDS + ("column",)] if kinds else []
        if len(kinds) != 1 or extra:
            check.add(
                where,
                "ett filter ska ha column och precis ett av equals, one_of eller not_one_of, "
                "t.ex. {column: Status, one_of: [Bokförd, Attesterad]}.",
            )
            continue
        column = check.text(item.get("column"), where + ("column",), "kolumnen (column)")
        kind = kinds[0]
        value = item[kind]
        values = value if kind != "equals" else [value]
        if (
            not isinstance(values, list)
            or not values
            or any(isinstance(v, bool | dict | list) or v is None for v in values)
        ):
            check.add(
                where + (kind,),
                f"{kind} ska vara "
                + ("ett värde" if kind == "equals" else "en lista med värden, t.ex. [A, B]")
                + ". Värden är text eller tal.",
            )
            continue
        if column is not None:
            found.append(Filter(column, kind, tuple(str(v).strip() for v in values)))
    return tuple(found)


def _period(raw: Any, path: tuple, check: _Checker) -> tuple[str, str] | None:
    if (
        isinstance(raw, dict)
        and set(raw) == {"start", "end"}
        and all(isinstance(raw[k], str) and _MONTH.match(raw[k]) for k in ("start", "end"))
        and raw["start"] <= raw["end"]
    ):
        return raw["start"], raw["end"]
    check.add(
        path,
        "perioden ska anges som {start: ÅÅÅÅ-MM, end: ÅÅÅÅ-MM} med start före slut, "
        "t.ex. {start: 2022-08, end: 2023-07}.",
    )
    return None


def _files(raw: Any, path: tuple, folder: Path, check: _Checker) -> tuple[Path, ...]:
    patterns = raw if isinstance(raw, list) else [raw]
    if not patterns or any(not isinstance(p, str) or not p.strip() for p in patterns):
        check.add(
            path,
            f"files ska vara ett filnamn i {EXTRACTS_DIR}/ (eller ett mönster som "
            "agresso_*.csv, eller en lista av sådana).",
        )
        return ()
    found: list[Path] = []
    for pattern in patterns:
        pattern = pattern.strip()
        parts = Path(pattern).parts
        if Path(pattern).is_absolute() or ".." in parts:
            check.add(
                path,
                f"{pattern!r} pekar utanför {EXTRACTS_DIR}/. Lägg filen i mappen "
                f"{EXTRACTS_DIR}/ och ange sökvägen inom den.",
            )
            continue
        matches = sorted(p for p in folder.glob(pattern) if p.is_file())
        if not matches:
            check.add(
                path,
                f"ingen fil i {EXTRACTS_DIR}/ matchar {pattern!r}. Kontrollera filnamnet.",
            )
            continue
        for match in matches:
            if not match.resolve().is_relative_to(folder.resolve()):  # a link leading out
                check.add(
                    path,
                    f"{match.name} pekar utanför {EXTRACTS_DIR}/. Lägg själva filen i mappen.",
                )
            elif match.suffix.lower() not in EXTRACT_SUFFIXES:
                check.add(
                    path,
                    f"{match.name} är varken .csv, .xlsx eller .parquet. Exportera uttaget "
                    "i något av de formaten.",
                )
            elif match not in found:
                found.append(match)
    return tuple(found)


def parse_extracts_config(
    raw: Any,
    text: str,
    data_dir: Path,
    volume_period: tuple[str, str] | None,
    key_ids: list[str],
) -> tuple[dict[str, Extract], tuple[KeyRule, ...], list[Problem]]:
    """Check the parsed extracts.yml; return the extracts, the key rules and the problems."""
    check = _Checker(text)
    folder = Path(data_dir) / EXTRACTS_DIR
    if not isinstance(raw, dict) or not isinstance(raw.get("extracts"), dict):
        check.add(
            ("extracts",),
            "filen ska ha avsnitten extracts (källsystemens uttag) och keys (hur varje "
            "nyckel räknas). Se exemplet i data/2024/extracts.yml.",
        )
        return {}, (), check.problems
    unknown = [k for k in raw if k not in ("extracts", "keys")]
    for name in unknown:
        check.add((name,), f"okänt avsnitt {name!r}. Filen har bara extracts och keys.")

    extracts: dict[str, Extract] = {}
    has_folder = folder.is_dir()
    if not has_folder:
        check.add(("extracts",), f"mappen {EXTRACTS_DIR}/ med uttagen saknas i {data_dir}.")
    fields = {
        "source",
        "files",
        "org_column",
        "date_column",
        "transaction_id",
        "encoding",
        "period",
        "filters",
    }
    for name, item in raw["extracts"].items():
        base = ("extracts", name)
        if not isinstance(name, str) or not SLUG.match(name):
            check.add(base, f"{name!r} kan inte vara namn på ett uttag: använd a–z, 0–9 och _.")
            continue
        if not isinstance(item, dict):
            check.add(base, "uttaget ska ha source, files, org_column och date_column.")
            continue
        for extra in sorted(set(item) - fields, key=str):
            check.add(
                base + (extra,),
                f"okänd inställning {extra!r}. Tillåtna: {', '.join(sorted(fields))}.",
            )
        source = item.get("source")
        if not isinstance(source, str) or not source.strip():
            check.add(base + ("source",), "source saknas: ange källsystemet, t.ex. Agresso.")
            source = None
        files = _files(item.get("files"), base + ("files",), folder, check) if has_folder else ()
        org = check.text(item.get("org_column"), base + ("org_column",), "org_column")
        date = check.text(item.get("date_column"), base + ("date_column",), "date_column")
        encoding = item.get("encoding", "utf-8")
        if encoding not in ENCODINGS:
            check.add(
                base + ("encoding",),
                f"encoding ska vara en av {', '.join(ENCODINGS)}, inte {encoding!r}.",
            )
        transaction = item.get("transaction_id")
        if transaction is not None:
            transaction = check.text(transaction, base + ("transaction_id",), "transaction_id")
        period = (
            _period(item["period"], base + ("period",), check)
            if "period" in item
            else volume_period
        )
        filters = _filters(item.get("filters"), base + ("filters",), check)
        if org and date and period and files and source:
            extracts[name] = Extract(
                name=name,
                source=source.strip(),
                files=files,
                org_column=org,
                date_column=date,
                period=period,
                encoding=encoding if encoding in ENCODINGS else "utf-8",
                transaction_id=transaction,
                filters=filters,
            )

    rules: dict[str, KeyRule] = {}
    keys = raw.get("keys")
    if not isinstance(keys, dict):
        check.add(
            ("keys",), "avsnittet keys saknas: ange för varje nyckel vilket uttag den räknas ur."
        )
        keys = {}
    for key_id, item in keys.items():
        base = ("keys", key_id)
        if key_id not in key_ids:
            fix = known_value_hint(str(key_id), key_ids, list_all=False)
            fix = fix or "Nycklarna står i model.yml."
            check.add(base, f"nyckeln {key_id!r} finns inte i model.yml. {fix}")
            continue
        if not isinstance(item, dict):
            check.add(base, "nyckeln ska anges som {extract: ..., count: ...}.")
            continue
        for extra in sorted(set(item) - {"extract", "count", "filters"}, key=str):
            check.add(
                base + (extra,), f"okänd inställning {extra!r}. Tillåtna: extract, count, filters."
            )
        extract = item.get("extract")
        if extract not in raw["extracts"]:
            check.add(
                base + ("extract",),
                f"uttaget {extract!r} finns inte under extracts. Ange ett av: "
                f"{', '.join(map(str, raw['extracts']))}.",
            )
        count, column = _count(item.get("count"), base + ("count",), check)
        filters = _filters(item.get("filters"), base + ("filters",), check)
        if extract in extracts and count:
            rules[key_id] = KeyRule(key_id, extract, count, column, filters)
    for key_id in key_ids:
        if key_id not in keys:
            check.add(
                ("keys",),
                f"nyckeln {key_id!r} i model.yml saknas. Ange vilket uttag den räknas ur, så "
                "att volumes.csv blir komplett.",
            )
    ordered = tuple(rules[k] for k in key_ids if k in rules)
    return extracts, ordered, check.problems


def _count(raw: Any, path: tuple, check: _Checker) -> tuple[str | None, str | None]:
    if raw == "rows":
        return "rows", None
    if isinstance(raw, dict) and len(raw) == 1:
        ((kind, column),) = raw.items()
        if kind in ("distinct", "sum"):
            column = check.text(column, path + (kind,), f"kolumnen för {kind}")
            return (kind, column) if column else (None, None)
    check.add(
        path,
        "count ska vara rows (antal rader), {distinct: KOLUMN} (antal olika värden) eller "
        "{sum: KOLUMN} (summan av en kolumn).",
    )
    return None, None


# --------------------------------------------------------------------------- the folder


def _read_table(
    data_dir: Path, schema: TableSchema, required: bool
) -> tuple[pd.DataFrame | None, str, list[Problem]]:
    path, problem = find_table_file(data_dir, schema.name)
    if problem:
        return None, f"{schema.name}.csv", [problem]
    if path is None:
        missing = Problem(
            f"{schema.name}.csv",
            f"filen saknas i {data_dir}. Lägg till {schema.name}.csv (eller .xlsx) med "
            f"{schema.what}, kolumner: {', '.join(schema.column_names)}.",
        )
        return None, f"{schema.name}.csv", [missing] if required else []
    try:
        raw = read_raw_table(path)
    except InputError as exc:
        return None, path.name, exc.problems
    table, problems = validate_table(raw, schema, path.name)
    return table, path.name, problems


def extracts_fingerprint(data_dir: Path | str) -> bytes:
    """What the volumes chapter shows depends on: extracts.yml, the extracts, org_mapping and
    the previous year's volumes."""
    data_dir = Path(data_dir)
    digest = hashlib.sha256()
    files = [data_dir / EXTRACTS_FILE, *sorted((data_dir / EXTRACTS_DIR).rglob("*"))]
    files += [data_dir / f"{ORG_MAPPING}{suffix}" for suffix in (".csv", ".xlsx")]
    files += sorted(data_dir.resolve().parent.glob("*/volumes.*"))
    for path in files:
        if path.is_file():
            digest.update(str(path.name).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest().encode()


def has_extracts(data_dir: Path | str) -> bool:
    """Whether the data folder describes its extracts (the volumes chapter has content)."""
    return (Path(data_dir) / EXTRACTS_FILE).is_file()


def load_volume_input(data_dir: Path | str) -> VolumeInput:
    """Read and validate what ``prismodell volumes`` needs. Raises InputError with every problem.

    volumes.csv is not needed (it is what the command makes); staffing is not read either.
    """
    from .reorganisation import mapped_away, mapping_problems

    data_dir = Path(data_dir)
    if not data_dir.is_dir():
        raise InputError(
            [Problem(str(data_dir), "mappen finns inte. Ange en datamapp, t.ex. data/2024.")]
        )
    problems: list[Problem] = []
    params: dict[str, Any] = {}
    if (data_dir / MODEL_FILE).is_file():
        params, found = read_model_file(data_dir / MODEL_FILE)
        problems += found
    else:
        problems.append(Problem(MODEL_FILE, f"filen saknas i {data_dir}."))

    config_path = data_dir / EXTRACTS_FILE
    extracts: dict[str, Extract] = {}
    rules: tuple[KeyRule, ...] = ()
    if not config_path.is_file():
        problems.append(
            Problem(
                EXTRACTS_FILE,
                f"filen saknas i {data_dir}. Den beskriver källsystemens uttag i "
                f"{EXTRACTS_DIR}/ och hur varje nyckel räknas (se data/2024/extracts.yml).",
            )
        )
    else:
        raw, text, found = read_yaml_strict(config_path)
        problems += found
        if not found:
            keys = params.get("keys")
            extracts, rules, found = parse_extracts_config(
                raw,
                text,
                data_dir,
                params.get("volume_period"),
                keys["key_id"].tolist() if keys is not None else [],
            )
            problems += found

    customers, customers_file, found = _read_table(data_dir, SCHEMAS["customers"], True)
    problems += found
    org, org_file, found = _read_table(data_dir, ORG_SCHEMA, True)
    problems += found
    mapping, mapping_file, found = _read_table(data_dir, SCHEMAS["customer_mapping"], False)
    problems += found

    customer_ids = customers["customer_id"].tolist() if customers is not None else None
    if customers is not None:
        problems += duplicate_problems(customers, ["customer_id"], customers_file)
    if org is not None:
        problems += duplicate_problems(org, ["source", "org_code"], org_file)
        if customer_ids is not None:
            problems += unknown_problems(
                org,
                "customer_id",
                customer_ids + mapped_away(mapping),
                org_file,
                "kunden",
                customers_file,
            )
        if extracts:
            sources = sorted({e.source for e in extracts.values()})
            problems += unknown_problems(
                org, "source", sources, org_file, "källsystemet", f"{EXTRACTS_FILE} (source)"
            )
    if mapping is not None and org is not None:
        problems += mapping_problems(
            mapping,
            mapping_file,
            customer_ids,
            customers_file,
            set(org["customer_id"]),
            [org_file],
        )
    if problems:
        raise InputError(problems)
    return VolumeInput(
        data_dir=data_dir,
        price_list_year=params["price_list_year"],
        volume_period=params["volume_period"],
        example_data=params["example_data"],
        service_areas=params["service_areas"],
        keys=params["keys"],
        customers=customers.reset_index(drop=True),
        extracts=extracts,
        rules=rules,
        org_mapping=org.reset_index(drop=True),
        customer_mapping=None
        if mapping is None or mapping.empty
        else mapping.reset_index(drop=True),
    )
