"""Reading and validating an analyst's input folder (one folder per price-list year).

Every problem is collected as a :class:`Problem` that names the file, the row as the analyst
sees it in Excel (header = row 1), the column and what to fix, in Swedish. All problems of all
files are gathered before :class:`InputError` is raised, so one run shows the whole list.
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

# Problem and InputError live in problems.py; other modules keep importing them from here.
from .problems import MODEL_FILE, SLUG, InputError, Problem, YamlChecker, load_yaml

INTERNAL_OVERHEAD = "internt_overhead"
WEIGHT_TOLERANCE = 1e-9


@dataclass(frozen=True)
class Column:
    name: str
    kind: str  # "text", "amount" (number >= 0) or "signed" (any number)
    required: bool = True  # text: must not be empty
    optional: bool = False  # the column itself may be left out (then empty)


@dataclass(frozen=True)
class TableSchema:
    name: str
    columns: tuple[Column, ...]
    what: str  # Swedish description, used in "file missing" messages

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]


def _text(name: str, required: bool = True) -> Column:
    return Column(name, "text", required)


SCHEMAS: dict[str, TableSchema] = {
    s.name: s
    for s in (
        TableSchema(
            "staffing",
            (_text("service_area"), _text("staff_category"), Column("fte", "amount")),
            "bemanning i årsarbetare per tjänsteområde och personalkategori",
        ),
        TableSchema(
            "customers",
            (
                _text("customer_id"),
                _text("name"),
                _text("type", required=False),
                # carried to the invoice lines (prismodell invoices)
                Column("reference", "text", required=False, optional=True),
            ),
            "kunderna (förvaltningar och bolag)",
        ),
        TableSchema(
            "volumes",
            (_text("customer_id"), _text("key_id"), Column("volume", "amount")),
            "volymer per kund och fördelningsnyckel",
        ),
        TableSchema(
            "other_costs",
            (
                _text("service_area"),
                _text("description", required=False),
                Column("amount", "amount"),
            ),
            "övriga direkta kostnader per tjänsteområde",
        ),
        TableSchema(
            "previous_charges",
            (_text("customer_id"), _text("service_area"), Column("amount", "amount")),
            "förra årets debiteringar per kund och tjänsteområde",
        ),
        TableSchema(
            "changed_assignments",
            (
                _text("service_area"),
                _text("change"),
                _text("description", required=False),
                Column("cost_effect", "signed"),
                Column("comment", "text", required=False, optional=True),
            ),
            "förändrade uppdrag (nya och borttagna bastjänster) med kostnadseffekt",
        ),
        TableSchema(
            "customer_mapping",
            (_text("from_customer_id"), _text("to_customer_id"), Column("share", "amount")),
            "omorganisationer: andel av en tidigare kunds volymer och debiteringar som flyttas "
            "till en ny kund",
        ),
        TableSchema(
            "dedicated_services",
            (
                _text("service_area"),
                _text("service_id"),
                _text("name", required=False),
                _text("customer_id"),
                _text("staff_category"),
                Column("fte", "amount"),
            ),
            "bastjänster som bara en kund använder och bär hela kostnaden för",
        ),
    )
}
REQUIRED_TABLES = ("staffing", "customers", "volumes")
OPTIONAL_TABLES = (
    "other_costs",
    "previous_charges",
    "changed_assignments",
    "customer_mapping",
    "dedicated_services",
)


@dataclass(frozen=True)
class PriceModelInput:
    """A validated input folder: the parameters of ``model.yml`` and the tables, typed."""

    data_dir: Path
    price_list_year: int
    volume_period: tuple[str, str]
    productive_hours_per_fte: float
    administration_overhead_per_fte: float
    cost_standards: pd.Series  # kr per FTE and year, index staff_category, in model order
    service_areas: pd.DataFrame  # service_area, name, description; in model order
    keys: pd.DataFrame  # service_area, key_id, name, weight, source; in model order
    staffing: pd.DataFrame  # service_area, staff_category, fte
    customers: pd.DataFrame  # customer_id, name, type
    volumes: pd.DataFrame  # customer_id, key_id, volume
    other_costs: pd.DataFrame  # service_area, description, amount
    previous_charges: pd.DataFrame | None = None  # customer_id, service_area, amount
    changed_assignments: pd.DataFrame | None = (
        None  # service_area, change, description, cost_effect
    )
    example_data: bool = False
    settings: Mapping[str, Any] = field(default_factory=dict)  # the whole model.yml, as read
    files: Mapping[str, Path] = field(default_factory=dict)  # table name -> file read
    # from_customer_id, to_customer_id, share: applied to volumes and previous_charges above
    customer_mapping: pd.DataFrame | None = None
    # service_area, service_id, name, customer_id, staff_category, fte: rule 5's dedicated services
    dedicated_services: pd.DataFrame | None = None
    # Warnings that do not stop the run (a file read as Windows-1252, a customer that has
    # left, an empty table beside a filled one), worded like problems.
    notices: tuple[Problem, ...] = ()


# --------------------------------------------------------------------------- tables


def find_table_file(data_dir: Path, name: str) -> tuple[Path | None, Problem | None]:
    """The ``NAME.csv`` or ``NAME.xlsx`` of a table; a problem when both exist."""
    candidates = [p for p in (data_dir / f"{name}.csv", data_dir / f"{name}.xlsx") if p.is_file()]
    if len(candidates) > 1:
        return None, Problem(
            f"{name}.csv",
            f"både {name}.csv och {name}.xlsx finns. Ta bort eller byt namn på den ena så att "
            "det är entydigt vilken som gäller.",
        )
    return (candidates[0] if candidates else None), None


def table_file_of_year(
    data_dir: Path, name: str, notices: list[Problem]
) -> tuple[Path | None, Problem | None]:
    """:func:`find_table_file`, except that an empty file (a header row and nothing else, as
    ``new-year`` writes them) gives way to a filled file of the same table, with a notice."""
    path, problem = find_table_file(data_dir, name)
    if problem is None:
        return path, None
    both = (data_dir / f"{name}.csv", data_dir / f"{name}.xlsx")
    filled = [p for p in both if not _is_empty_table(p)]
    if len(filled) != 1:
        return None, problem
    (empty,) = [p for p in both if p not in filled]
    notices.append(
        Problem(
            empty.name,
            f"filen är tom (bara rubrikrad) och används inte: {filled[0].name} läses. "
            f"Ta bort {empty.name} när du är klar.",
        )
    )
    return filled[0], None


def _is_empty_table(path: Path) -> bool:
    """True for a file with a header row and no data rows; False if it has rows or is unreadable
    (then reading it gives the problem)."""
    try:
        return read_raw_table(path).empty
    except InputError:
        return False


# Limits of what an input table may hold (README, "Decimal mark and input limits"): far above
# any real table (the 10 000 customers × 100 keys benchmark is a 30 MB file), low enough that
# a wrong file is refused with a message instead of filling the memory.
MAX_TABLE_BYTES = 200_000_000
MAX_CELL_CHARS = 2_000
MAX_AMOUNT = 1e12  # kr, volumes and shares too: no Swedish public body has more
MAX_FTE = 1e5
HOURS_PER_YEAR = 8784  # a leap year: no FTE has more productive hours
_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # encrypted xlsx and the old .xls format


def _file_problem(path: Path) -> Problem | None:
    """What makes a table file unreadable before it is parsed: size, emptiness, not really an
    Excel file, a bare carriage return (which would split a row in two)."""
    size = path.stat().st_size
    if size == 0:
        return Problem(path.name, "filen är tom. Den ska ha en rubrikrad med kolumnnamnen.")
    if size > MAX_TABLE_BYTES:
        return Problem(
            path.name,
            f"filen är för stor ({size / 1e6:.0f} MB, högst {MAX_TABLE_BYTES / 1e6:.0f} MB). "
            "Kontrollera att det är rätt fil.",
        )
    with path.open("rb") as handle:
        head = handle.read(4)
        data = None if path.suffix == ".xlsx" else head + handle.read()
    if data is None:
        if head == _OLE_MAGIC:
            return Problem(
                path.name,
                "filen är lösenordsskyddad (krypterad) eller i det gamla Excel-formatet .xls. "
                "Spara den utan lösenord som Excel-arbetsbok (.xlsx).",
            )
        if head != _ZIP_MAGIC:
            return Problem(
                path.name,
                "filen är ingen Excel-arbetsbok (.xlsx) trots namnet. Spara den som "
                "Excel-arbetsbok eller som CSV.",
            )
        return None
    bare = re.search(rb"\r(?!\n)", data)
    if bare:
        return Problem(
            path.name,
            "raden innehåller en ensam vagnretur (CR, ett radbyte från Mac eller inuti en cell). "
            "Den skulle dela raden i två: ta bort radbytet ur cellen eller spara om filen "
            "som CSV UTF-8.",
            row=data.count(b"\n", 0, bare.start()) + 1,
        )
    return None


def _separator(header: str) -> str:
    """A Swedish Excel saves "CSV" with semicolons (and decimal commas): accept it as such."""
    return ";" if header.count(";") > header.count(",") else ","


def _decimal_mark(path: Path) -> str:
    """The file's one decimal mark: a comma in a semicolon file, a point everywhere else."""
    if path.suffix == ".xlsx":
        return "."
    with path.open("rb") as handle:
        header = handle.readline(100_000).decode("latin-1")
    return "," if _separator(header) == ";" else "."


def _repeated_columns(names: list[str], file_name: str) -> list[Problem]:
    """pandas renames a repeated header name to NAME.1 and uses one of them: refuse instead."""
    problems, seen = [], {}
    for position, name in enumerate(names, start=1):
        mangled = re.fullmatch(r"(.+)\.(\d+)", name)
        base = mangled.group(1) if mangled and mangled.group(1) in names else name
        if base and base in seen:
            problems.append(
                Problem(
                    file_name,
                    f"kolumnen {base!r} står två gånger i rubrikraden (kolumn {seen[base]} och "
                    f"{position}). Ta bort eller byt namn på den ena, annars är det oklart "
                    "vilken som gäller.",
                    row=1,
                    column=base,
                )
            )
        elif base:
            seen[base] = position
    return problems


def _stripped(frame: pd.DataFrame) -> pd.DataFrame:
    """Every cell as text without surrounding spaces.

    A file is almost always clean: a check over the Python strings finds that at a fraction
    of what pandas' string methods cost (per column for a small table, per cell for a million
    rows), and the frame is kept as it was read."""
    text = pd.StringDtype(na_value=np.nan)  # what ``astype(str)`` gives
    if all(dtype == text for dtype in frame.dtypes):
        try:
            if all(v == v.strip() for c in frame.columns for v in frame[c].tolist()):
                return frame
        except AttributeError:  # a missing value (not a string): pandas' way handles it
            pass
    return frame.apply(lambda col: col.astype(str).str.strip())


def _long_cells(frame: pd.DataFrame, file_name: str) -> list[Problem]:
    try:  # the usual answer (none) in one pass over the Python strings
        if all(max(map(len, frame[c].tolist()), default=0) <= MAX_CELL_CHARS for c in frame):
            return []
    except TypeError:  # a missing value: counted the pandas way below
        pass
    problems = []
    for column in frame.columns:
        lengths = frame[column].str.len()
        for row in lengths.index[lengths > MAX_CELL_CHARS][:10]:
            problems.append(
                Problem(
                    file_name,
                    f"cellen är för lång ({lengths[row]} tecken, högst {MAX_CELL_CHARS}). "
                    "Korta texten.",
                    row,
                    column,
                )
            )
    return problems


def _extra_fields_problem(file_name: str, fields: int, row: int | None) -> Problem:
    return Problem(
        file_name,
        f"raden har {fields} fält, fler än rubrikraden. Oftast är det ett tal med "
        "decimalkomma i en kommaavgränsad fil (28,5 blir två fält): skriv 28.5, eller "
        "sätt citattecken kring texter som innehåller komma.",
        row=row,
    )


def _parser_problem(file_name: str, exc: Exception) -> Problem:
    found = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", str(exc))
    if found:
        return _extra_fields_problem(file_name, int(found.group(3)), int(found.group(2)))
    return Problem(
        file_name,
        "filen kunde inte läsas som CSV (oftast ett citattecken som inte avslutas). "
        f"Kontrollera citattecknen (teknisk orsak: {str(exc).strip()}).",
    )


def read_raw_table(path: Path, notices: list[Problem] | None = None) -> pd.DataFrame:
    """All cells as stripped text; index = Excel row number (header = row 1). Raises InputError.

    A semicolon file that is not UTF-8 is read as Windows-1252 (what a Swedish Excel's "CSV
    (semikolonavgränsad)" is), with a notice in ``notices``.

    ``attrs["decimal"]`` is the file's decimal mark (see ``_decimal_mark``).
    """
    problem = _file_problem(path)
    if problem:
        raise InputError([problem])
    try:
        if path.suffix == ".xlsx":
            frame = pd.read_excel(path, sheet_name=0, dtype=str, na_filter=False)
        else:
            try:
                frame = _read_csv_text(path)
            except UnicodeDecodeError:
                if not _semicolon_header(path):
                    raise
                frame = _read_csv_text(path, EXCEL_ENCODING)
                if notices is not None:
                    notices.append(Problem(path.name, EXCEL_ENCODING_NOTICE))
    except InputError:
        raise
    except UnicodeDecodeError:
        raise InputError(
            [
                Problem(
                    path.name,
                    'filen är inte UTF-8. Spara om den som "CSV UTF-8 (kommaavgränsad)" i Excel.',
                )
            ]
        ) from None
    except pd.errors.ParserError as exc:
        raise InputError([_parser_problem(path.name, exc)]) from None
    except Exception as exc:  # pandas/openpyxl parse errors carry no row we can trust
        what = "som Excel-arbetsbok (den kan vara skadad) " if path.suffix == ".xlsx" else ""
        raise InputError(
            [
                Problem(
                    path.name,
                    f"filen kunde inte läsas {what}(teknisk orsak: {exc}). Kontrollera att "
                    "den är en CSV- eller Excel-fil med en rubrikrad.",
                )
            ]
        ) from None
    if not isinstance(frame.index, pd.RangeIndex):
        # Every row had one field more than the header: pandas would silently take the first
        # column as row labels and shift every value one column.
        raise InputError([_extra_fields_problem(path.name, len(frame.columns) + 1, None)])
    frame.columns = [str(c).strip() for c in frame.columns]
    repeated = _repeated_columns(list(frame.columns), path.name)
    if repeated:
        raise InputError(repeated)
    frame = frame.loc[:, [c for c in frame.columns if c and not c.startswith("Unnamed:")]]
    frame = _stripped(frame)
    frame.index = frame.index + 2
    long_cells = _long_cells(frame, path.name)
    if long_cells:
        raise InputError(long_cells)
    # Rows left completely empty (often at the end of an Excel export) are not data.
    frame = frame[(frame != "").any(axis=1)]
    frame.attrs["decimal"] = _decimal_mark(path)
    return frame


EXCEL_ENCODING = "cp1252"
EXCEL_ENCODING_NOTICE = (
    'filen är inte UTF-8 och lästes som Windows-1252 (Excels "CSV (semikolonavgränsad)"). '
    'Kontrollera att å, ä och ö ser rätt ut, eller spara som "CSV UTF-8" för att slippa varningen.'
)


def _semicolon_header(path: Path) -> bool:
    with path.open("rb") as handle:
        header = handle.readline()
    return _separator(header.decode("latin-1")) == ";"


def _read_csv_text(path: Path, encoding: str = "utf-8-sig") -> pd.DataFrame:
    with path.open(encoding=encoding) as handle:
        header = handle.readline()
    sep = _separator(header)
    return pd.read_csv(
        path,
        sep=sep,
        dtype=str,
        keep_default_na=False,
        skip_blank_lines=False,
        encoding=encoding,
    )


_NUMBER_SPACES = re.compile(r"[\s\u00a0\u202f]")


def parse_number(text: str) -> float | None:
    """A number as an analyst types it ("1 234,5", "1234.5", "2,5"); None if it is none."""
    cleaned = _NUMBER_SPACES.sub("", text)
    if cleaned.count(",") == 1 and "." not in cleaned:
        cleaned = cleaned.replace(",", ".")
    try:
        value = float(cleaned)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def parse_numbers(values: pd.Series) -> pd.Series:
    """``parse_number`` for a whole column; the plain cases in one vectorised pass."""
    numbers = pd.to_numeric(values, errors="coerce").astype(float)
    odd = ~np.isfinite(numbers)
    if odd.any():
        numbers[odd] = values[odd].map(parse_number).astype(float)
    return numbers


def _readings(text: str, decimal: str) -> list[str]:
    """The ways ``text`` can be read when it uses the other mark than the file's ``decimal``:
    with that mark as decimal separator, or as a thousands separator (Swedish wording)."""
    other = "," if decimal == "." else "."
    cleaned = _NUMBER_SPACES.sub("", text)
    readings = []
    as_decimal = re.fullmatch(rf"([+-]?\d*){re.escape(other)}(\d+)", cleaned)
    if as_decimal:
        readings.append(f"decimaltalet {as_decimal.group(1) or '0'},{as_decimal.group(2)}")
    grouped = rf"[+-]?\d{{1,3}}(?:{re.escape(other)}\d{{3}})+(?:{re.escape(decimal)}\d+)?"
    if re.fullmatch(grouped, cleaned):
        whole = cleaned.replace(other, "")
        readings.append(f"talet {whole.replace('.', ',')} (med {other!r} som tusentalsavgränsare)")
    return readings


def _decimal_problem(text: str, decimal: str) -> str:
    readings = _readings(text, decimal)
    if decimal == ".":
        rule = (
            "I en kommaavgränsad fil skrivs tal med decimalpunkt och utan tusentalsavgränsare "
            "(t.ex. 1234.5)"
        )
    else:
        rule = (
            "I en semikolonavgränsad fil (svensk Excel) skrivs tal med decimalkomma och utan "
            "punkt (t.ex. 1234,5)"
        )
    if len(readings) > 1:
        what = f"{text!r} kan läsas på två sätt: som {readings[0]} eller som {readings[1]}."
    elif readings:
        what = f"{text!r} skulle läsas som {readings[0]}."
    else:
        what = f"{text!r} är inte ett tal."
    return f"{what} {rule}: skriv talet så att det bara kan läsas på ett sätt."


def parse_table_numbers(values: pd.Series, decimal: str) -> tuple[pd.Series, pd.Series]:
    """A column of numbers by the file's one decimal mark (README, "Decimaltecken").

    Returns the numbers (NaN where there is none) and a mask of the cells that use the other
    mark: those could be read two ways, so they are not read at all.
    """
    if decimal == ".":
        # The plain numbers in one vectorised pass; only the rest is looked at for commas.
        numbers = pd.to_numeric(values, errors="coerce").astype(float)
        mixed = pd.Series(False, index=values.index)
        odd = ~np.isfinite(numbers)
        if odd.any():
            mixed[odd] = values[odd].str.contains(",", regex=False)
            numbers[odd] = parse_numbers(values[odd].where(~mixed[odd], ""))
        return numbers, mixed
    mixed = values.str.contains(".", regex=False)
    return parse_numbers(values.where(~mixed, "").str.replace(",", ".", regex=False)), mixed


def _limit(column: str) -> float:
    return MAX_FTE if column == "fte" else MAX_AMOUNT


def validate_table(
    frame: pd.DataFrame, schema: TableSchema, file_name: str
) -> tuple[pd.DataFrame | None, list[Problem]]:
    """Check columns and cell types; return the typed table (or None) and the problems."""
    decimal = frame.attrs.get("decimal", ".")
    for col in schema.columns:
        if col.optional and col.name not in frame.columns:
            frame = frame.assign(**{col.name: ""})
    missing = [c for c in schema.column_names if c not in frame.columns]
    if missing:
        extra = [c for c in frame.columns if c not in schema.column_names]
        problems = []
        for name in missing:
            hint = difflib.get_close_matches(name, extra, n=1, cutoff=0.6)
            fix = (
                f"kolumnen heter {hint[0]!r} i filen – byt namn till {name!r}."
                if hint
                else "lägg till kolumnen. Rubrikraden ska innehålla: "
                + ", ".join(schema.column_names)
                + "."
            )
            problems.append(Problem(file_name, f"kolumnen saknas: {fix}", row=1, column=name))
        return None, problems

    problems: list[Problem] = []
    typed = pd.DataFrame(index=frame.index)
    for col in schema.columns:
        values = frame[col.name]
        if col.kind == "text":
            if col.required:
                for row in values.index[values == ""]:
                    problems.append(Problem(file_name, "värdet saknas. Fyll i det.", row, col.name))
            typed[col.name] = values
            continue
        numbers, mixed = parse_table_numbers(values, decimal)
        limit = _limit(col.name)
        # Only the rows in trouble are visited one by one (a volume file has a million rows).
        for row in values.index[numbers.isna() | (numbers < 0) | (numbers.abs() > limit)]:
            text = values[row]
            if mixed[row]:
                problems.append(Problem(file_name, _decimal_problem(text, decimal), row, col.name))
            elif text == "":
                problems.append(
                    Problem(file_name, "värdet saknas. Fyll i ett tal (0 om inget).", row, col.name)
                )
            elif pd.isna(numbers[row]):
                problems.append(
                    Problem(
                        file_name,
                        f"{text!r} är inte ett tal. Skriv ett tal, t.ex. 1250 eller 2,5.",
                        row,
                        col.name,
                    )
                )
            elif abs(numbers[row]) > limit:
                problems.append(
                    Problem(
                        file_name,
                        f"{text!r} är orimligt stort (högst {limit:,.0f}). ".replace(",", " ")
                        + "Kontrollera talet och enheten (kronor, årsarbetare).",
                        row,
                        col.name,
                    )
                )
            elif col.kind == "amount":
                problems.append(
                    Problem(
                        file_name,
                        f"{text!r} är negativt. Värdet måste vara 0 eller större.",
                        row,
                        col.name,
                    )
                )
        typed[col.name] = numbers.astype(float)
    return typed, problems


def duplicate_problems(table: pd.DataFrame, columns: list[str], file_name: str) -> list[Problem]:
    """One problem per repeated row of ``columns`` (naming the first occurrence)."""
    dupes = table[table.duplicated(columns, keep=False)]
    problems = []
    for _, group in dupes.groupby(columns, sort=False):
        first, *rest = group.index
        label = ", ".join(f"{c}={group.iloc[0][c]!r}" for c in columns)
        for row in rest:
            problems.append(
                Problem(
                    file_name,
                    f"{label} förekommer redan på rad {first}. Slå ihop eller ta bort dubbletten.",
                    row,
                    columns[-1],
                )
            )
    return problems


def _edit_distance(a: str, b: str) -> int:
    """Levenshtein distance (insertions, deletions, substitutions)."""
    previous = list(range(len(b) + 1))
    for i, char_a in enumerate(a, start=1):
        current = [i]
        for j, char_b in enumerate(b, start=1):
            current.append(
                min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (char_a != char_b))
            )
        previous = current
    return previous[-1]


def close_match(value: str, known: Iterable[str]) -> str | None:
    """The known value ``value`` is most likely a typo of, or None when none is close.

    Close means a few letters differ (at most one in four) or one is the start of the other,
    ignoring case: ids that share only a prefix such as ``sdf_`` are not suggested.
    """
    folded = {str(k).casefold(): str(k) for k in known}
    value_cf = value.casefold()
    # difflib narrows thousands of ids to a few candidates fast; the rule below decides.
    candidates = difflib.get_close_matches(value_cf, list(folded), n=5, cutoff=0.6)
    best, best_distance = None, None
    for other in candidates:
        distance = _edit_distance(value_cf, other)
        shorter = min(len(value_cf), len(other))
        prefix = shorter >= 3 and (other.startswith(value_cf) or value_cf.startswith(other))
        if distance <= max(len(value_cf), len(other)) // 4 or prefix:
            if best_distance is None or distance < best_distance:
                best, best_distance = folded[other], distance
    return best


def rows_text(rows: list[int], shown: int = 5) -> str:
    """[3, 7, 9] → 'rad 3, 7 och 9'; long lists end with 'och N rader till'."""
    numbers = [str(r) for r in rows]
    if len(numbers) > shown:
        return f"rad {', '.join(numbers[:shown])} och {len(numbers) - shown} rader till"
    if len(numbers) == 1:
        return f"rad {numbers[0]}"
    return f"rad {', '.join(numbers[:-1])} och {numbers[-1]}"


LISTED_VALUES = 10  # more valid values than this are not listed in a message, but named by file


def unknown_problems(
    table: pd.DataFrame,
    column: str,
    known: Iterable[str],
    file_name: str,
    what: str,
    where: str,
    hints: Mapping[str, str] | None = None,
) -> list[Problem]:
    """One problem per unknown value (not per row), at its first row, naming the other rows.

    ``hints`` replaces the suggestion for particular values (e.g. an id a reorganisation moved).
    """
    known = list(dict.fromkeys(known))
    values = table[column]
    unknown = values[(values != "") & ~values.isin(known)]
    problems = []
    if not known and len(unknown):
        # Said once, not once per value: every value is unknown because there are none.
        return [
            Problem(
                file_name,
                f"{where} innehåller inga värden (bara en rubrikrad), så ingen av "
                f"{len(unknown)} rader kan kopplas. Fyll i {where} först.",
                unknown.index[0],
                column,
            )
        ]
    for value, rows in unknown.groupby(unknown, sort=False).groups.items():
        rows = list(rows)
        hint = (hints or {}).get(value)
        if hint is None:
            close = close_match(value, known)
            if close is not None:
                hint = f"Menade du {close!r}?"
            elif not known:
                hint = f"{where} har inga värden."
            elif len(known) <= LISTED_VALUES:
                hint = f"Giltiga värden: {', '.join(known)}."
            else:
                hint = f"Se {where} för de {len(known)} giltiga värdena."
        also = f" Samma värde finns även på {rows_text(rows[1:])}." if len(rows) > 1 else ""
        problems.append(
            Problem(
                file_name, f"{what} {value!r} finns inte i {where}. {hint}{also}", rows[0], column
            )
        )
    return problems


# --------------------------------------------------------------------------- model.yml


class _ModelChecker(YamlChecker):
    """Collects problems in model.yml, each with its line and field path."""

    def __init__(self, text: str):
        super().__init__(MODEL_FILE, text)

    def number(
        self,
        value: Any,
        path: tuple,
        minimum: float = 0.0,
        strict: bool = False,
        maximum: float = MAX_AMOUNT,
    ) -> float | None:
        if isinstance(value, bool) or not isinstance(value, int | float):
            shown = "saknas" if value is None else f"{value!r} är inte ett tal"
            self.add(path, f"värdet {shown}. Ange ett tal.")
            return None
        try:
            number = float(value)
        except OverflowError:  # an integer with hundreds of digits
            number = math.inf if value > 0 else -math.inf
        if abs(number) > maximum and (math.isfinite(number) or isinstance(value, int)):
            shown = f"{number:.6g}" if math.isfinite(number) else "talet"
            self.add(
                path,
                f"{shown} är orimligt stort (högst {maximum:,.0f}). ".replace(",", " ")
                + "Kontrollera talet och enheten.",
            )
            return None
        if number < minimum or (strict and number == minimum) or not math.isfinite(number):
            self.add(
                path,
                f"{value!r} är inte tillåtet. Värdet måste vara "
                f"{'större än' if strict else 'minst'} {minimum:g}.",
            )
            return None
        return number

    def text(self, value: Any, path: tuple) -> str | None:
        if value is None or (isinstance(value, str) and not value.strip()):
            self.add(path, "värdet saknas. Fyll i en text.")
            return None
        return str(value).strip()

    def unknown_fields(self, value: Any, path: tuple, known: tuple[str, ...]) -> None:
        """A field the model does not know would be ignored, so a typo silently becomes the
        default: every unknown field is a problem, with the closest known one."""
        if not isinstance(value, dict):
            return
        for name in value:
            if str(name) in known:
                continue
            hint = difflib.get_close_matches(str(name), known, n=1, cutoff=0.6)
            fix = f"Menade du {hint[0]!r}?" if hint else f"Giltiga fält här: {', '.join(known)}."
            self.add(path + (name,), f"fältet {str(name)!r} finns inte i prismodellen. {fix}")

    def mapping(self, value: Any, path: tuple, what: str) -> dict | None:
        if not isinstance(value, dict) or not value:
            self.add(
                path,
                f"ska vara {what} (en lista av namn: värde), men är "
                f"{'tom eller saknas' if not value else repr(value)}.",
            )
            return None
        return value


# The fields model.yml may have, per level (cost_standards and service_areas are keyed by the
# analyst's own ids).
MODEL_FIELDS = (
    "price_list_year",
    "volume_period",
    "example_data",
    "productive_hours_per_fte",
    "administration_overhead_per_fte",
    "cost_standards",
    "service_areas",
    "billing",
)
PERIOD_FIELDS = ("start", "end")
BILLING_FIELDS = ("month",)
AREA_FIELDS = ("name", "description", "keys")
KEY_FIELDS = ("id", "name", "weight", "source")

_PERIOD = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


def read_model_file(path: Path) -> tuple[dict[str, Any], list[Problem]]:
    """Parse and check ``model.yml``; returns the parsed parameters and problems."""
    try:
        text = path.read_text(encoding="utf-8")
        raw, _ = load_yaml(text, MODEL_FILE)
    except UnicodeDecodeError:
        return {}, [Problem(MODEL_FILE, "filen är inte UTF-8. Spara om den som UTF-8.")]
    except InputError as exc:
        return {}, exc.problems
    if not isinstance(raw, dict):
        return {}, [
            Problem(
                MODEL_FILE,
                "filen ska innehålla inställningar på formen 'namn: värde' (se exemplet i data/).",
            )
        ]
    check = _ModelChecker(text)
    check.unknown_fields(raw, (), MODEL_FIELDS)
    check.unknown_fields(raw.get("volume_period"), ("volume_period",), PERIOD_FIELDS)
    check.unknown_fields(raw.get("billing"), ("billing",), BILLING_FIELDS)
    params: dict[str, Any] = {"settings": raw, "example_data": bool(raw.get("example_data", False))}

    year = raw.get("price_list_year")
    if isinstance(year, bool) or not isinstance(year, int) or not 2000 <= year <= 2100:
        check.add(
            ("price_list_year",), f"prislisteåret ska vara ett årtal, t.ex. 2023 (nu: {year!r})."
        )
    params["price_list_year"] = year

    period = raw.get("volume_period")
    if (
        isinstance(period, dict)
        and all(
            isinstance(period.get(k), str) and _PERIOD.match(period[k]) for k in ("start", "end")
        )
        and period["start"] <= period["end"]
    ):
        params["volume_period"] = (period["start"], period["end"])
    else:
        check.add(
            ("volume_period",),
            "volymperioden ska anges som {start: ÅÅÅÅ-MM, end: ÅÅÅÅ-MM} "
            "med start före slut, t.ex. {start: 2021-07, end: 2022-06}.",
        )

    params["productive_hours_per_fte"] = check.number(
        raw.get("productive_hours_per_fte"),
        ("productive_hours_per_fte",),
        strict=True,
        maximum=HOURS_PER_YEAR,
    )
    params["administration_overhead_per_fte"] = check.number(
        raw.get("administration_overhead_per_fte"), ("administration_overhead_per_fte",)
    )

    standards: dict[str, float] = {}
    mapping = check.mapping(
        raw.get("cost_standards"), ("cost_standards",), "kostnadsschabloner per personalkategori"
    )
    for category, value in (mapping or {}).items():
        number = check.number(value, ("cost_standards", category))
        if number is not None:
            standards[str(category)] = number
    params["cost_standards"] = standards
    # A category with a bad value is still known: its staffing rows are not reported twice.
    params["staff_categories"] = [str(c) for c in (mapping or {})]

    billing = raw.get("billing")
    if billing is not None:
        month = billing.get("month") if isinstance(billing, dict) else None
        if isinstance(month, bool) or not isinstance(month, int) or not 1 <= month <= 12:
            check.add(
                ("billing", "month"),
                "fakturamånaden ska anges som billing: {month: N} "
                "där N är ett heltal 1–12 (1 = januari).",
            )

    params["service_areas"], params["keys"] = _service_areas(raw, check)
    return params, check.problems


def _differing_from_one(total: float) -> str:
    """The sum with as many digits as it takes to see that it is not 1 (not "1, inte 1")."""
    for digits in range(6, 18):
        shown = f"{total:.{digits}g}"
        if shown != "1":
            return shown
    return repr(total)


def _service_areas(raw: dict, check: _ModelChecker) -> tuple[pd.DataFrame, pd.DataFrame]:
    areas, keys = [], []
    seen_keys: dict[str, str] = {}
    mapping = check.mapping(raw.get("service_areas"), ("service_areas",), "tjänsteområden")
    for area_id, area in (mapping or {}).items():
        base = ("service_areas", area_id)
        area_id = str(area_id)
        if area_id == INTERNAL_OVERHEAD or not SLUG.match(area_id):
            check.add(
                base,
                f"{area_id!r} kan inte vara id för ett tjänsteområde: använd små "
                f"bokstäver a–z, siffror och _ (och inte {INTERNAL_OVERHEAD!r}).",
            )
        if not isinstance(area, dict):
            check.add(base, "tjänsteområdet ska ha name och keys.")
            continue
        check.unknown_fields(area, base, AREA_FIELDS)
        name = check.text(area.get("name"), base + ("name",))
        areas.append(
            {
                "service_area": area_id,
                "name": name or area_id,
                "description": str(area.get("description") or "").strip(),
            }
        )
        area_keys = area.get("keys")
        if not isinstance(area_keys, list) or not area_keys:
            check.add(
                base + ("keys",),
                "tjänsteområdet saknar fördelningsnycklar. Ange minst en "
                "nyckel: {id: ..., name: ..., weight: ..., source: ...}.",
            )
            continue
        total, weights_ok = 0.0, True
        for i, key in enumerate(area_keys):
            path = base + ("keys", i)
            if not isinstance(key, dict):
                check.add(
                    path, "nyckeln ska anges som {id: ..., name: ..., weight: ..., source: ...}."
                )
                weights_ok = False
                continue
            check.unknown_fields(key, path, KEY_FIELDS)
            key_id = check.text(key.get("id"), path + ("id",))
            weight = check.number(key.get("weight"), path + ("weight",))
            if weight is not None and weight > 1:
                check.add(
                    path + ("weight",),
                    f"vikten {weight:g} är större än 1. Ange vikten som "
                    "andel, t.ex. 0.25 för 25 %.",
                )
            if weight is None:
                weights_ok = False
            else:
                total += weight
            if key_id is None:
                continue
            if key_id in seen_keys:
                check.add(
                    path + ("id",),
                    f"nyckel-id {key_id!r} används redan i "
                    f"{seen_keys[key_id]}. Nyckel-id måste vara unika i hela modellen.",
                )
                continue
            seen_keys[key_id] = area_id
            keys.append(
                {
                    "service_area": area_id,
                    "key_id": key_id,
                    "name": str(key.get("name") or key_id).strip(),
                    "weight": weight if weight is not None else 0.0,
                    "source": str(key.get("source") or "").strip(),
                }
            )
        if weights_ok and abs(total - 1.0) > WEIGHT_TOLERANCE:
            check.add(
                base + ("keys",),
                f"vikterna för {area_id} summerar till {_differing_from_one(total)}, inte 1. "
                "Justera vikterna så att de blir 1 (100 %) tillsammans.",
            )
    return (
        pd.DataFrame(areas, columns=["service_area", "name", "description"]),
        pd.DataFrame(keys, columns=["service_area", "key_id", "name", "weight", "source"]),
    )


# --------------------------------------------------------------------------- the folder


def load_input(data_dir: Path | str) -> PriceModelInput:
    """Read and validate a whole input folder. Raises InputError listing every problem."""
    data_dir = Path(data_dir)
    if not data_dir.is_dir():
        raise InputError(
            [Problem(str(data_dir), "mappen finns inte. Ange en datamapp, t.ex. data/2023.")]
        )
    problems: list[Problem] = []
    model_path = data_dir / MODEL_FILE
    if model_path.is_file():
        params, found = read_model_file(model_path)
        problems += found
    else:
        params = {}
        problems.append(
            Problem(
                MODEL_FILE,
                f"filen saknas i {data_dir}. Den anger prislisteår, "
                "kostnadsschabloner och tjänsteområden med nycklar.",
            )
        )

    tables: dict[str, pd.DataFrame | None] = {}
    files: dict[str, Path] = {}
    notices: list[Problem] = []
    for name in REQUIRED_TABLES + OPTIONAL_TABLES:
        schema = SCHEMAS[name]
        path, problem = table_file_of_year(data_dir, name, notices)
        if problem:
            problems.append(problem)
            tables[name] = None
            continue
        if path is None:
            if name in REQUIRED_TABLES:
                problems.append(
                    Problem(
                        f"{name}.csv",
                        f"filen saknas i {data_dir}. Lägg till "
                        f"{name}.csv (eller .xlsx) med {schema.what}, kolumner: "
                        f"{', '.join(schema.column_names)}.",
                    )
                )
            tables[name] = None
            continue
        files[name] = path
        try:
            raw = read_raw_table(path, notices)
        except InputError as exc:
            problems += exc.problems
            tables[name] = None
            continue
        tables[name], found = validate_table(raw, schema, path.name)
        problems += found

    problems += _cross_checks(params, tables, files, data_dir, notices)
    if problems:
        raise InputError(problems)

    files = {"model": model_path, **files}
    empty_other = pd.DataFrame(
        {
            "service_area": pd.Series(dtype=str),
            "description": pd.Series(dtype=str),
            "amount": pd.Series(dtype=float),
        }
    )
    from .reorganisation import apply_mapping, apply_mapping_to_charges

    mapping = _clean(tables["customer_mapping"])
    mapping = None if mapping is None or mapping.empty else mapping
    return PriceModelInput(
        data_dir=data_dir,
        price_list_year=params["price_list_year"],
        volume_period=params["volume_period"],
        productive_hours_per_fte=params["productive_hours_per_fte"],
        administration_overhead_per_fte=params["administration_overhead_per_fte"],
        cost_standards=pd.Series(
            params["cost_standards"], name="cost_standard", dtype=float
        ).rename_axis("staff_category"),
        service_areas=params["service_areas"],
        keys=params["keys"],
        staffing=_clean(tables["staffing"]),
        customers=_clean(tables["customers"]),
        volumes=apply_mapping(_clean(tables["volumes"]), mapping),
        other_costs=_clean(tables["other_costs"])
        if tables["other_costs"] is not None
        else empty_other,
        previous_charges=apply_mapping_to_charges(_clean(tables["previous_charges"]), mapping),
        changed_assignments=_clean(tables["changed_assignments"]),
        example_data=params["example_data"],
        settings=params["settings"],
        files=files,
        customer_mapping=mapping,
        dedicated_services=_clean(tables["dedicated_services"]),
        notices=tuple(notices),
    )


def _clean(table: pd.DataFrame | None) -> pd.DataFrame | None:
    return None if table is None else table.reset_index(drop=True)


def earlier_mappings(data_dir: Path, year: Any) -> dict[str, tuple[list[str], Path]]:
    """Reorganisations of earlier years: old id → (new ids, the customer_mapping file that
    moved it), from the year folders beside ``data_dir`` (latest year wins). Unreadable files
    are skipped: they are those years' problems, not this one's."""
    if isinstance(year, bool) or not isinstance(year, int):
        return {}
    found: dict[str, tuple[list[str], Path]] = {}
    try:
        folders = sorted(
            p
            for p in data_dir.resolve().parent.iterdir()
            if p.name.isdigit() and len(p.name) == 4 and int(p.name) < year and p.is_dir()
        )
    except OSError:
        return {}
    for folder in folders:
        path, problem = find_table_file(folder, "customer_mapping")
        if path is None or problem is not None:
            continue
        try:
            raw = read_raw_table(path)
        except InputError:
            continue
        if {"from_customer_id", "to_customer_id"} <= set(raw.columns):
            for old, rows in raw.groupby("from_customer_id", sort=False):
                found[old] = (list(dict.fromkeys(rows["to_customer_id"])), path)
    return found


def _mapping_hints(
    history: Mapping[str, tuple[list[str], Path]], data_dir: Path
) -> dict[str, str]:
    """old id → the hint that it was moved by an earlier year's customer_mapping."""
    hints = {}
    for old, (new, path) in history.items():
        shown = f"{path.parent.name}/{path.name}"
        hints[old] = (
            f"Den slogs ihop eller delades till {' och '.join(repr(n) for n in new)} enligt "
            f"{shown}. Använd det nya id:t, eller flytta den med en rad i "
            f"customer_mapping.csv i {data_dir.name}/ (from_customer_id, to_customer_id, share)."
        )
    return hints


def _left_hint(previous_file: str, customers_file: str) -> str:
    return (
        f"Den fanns förra året ({previous_file}). Har den gått upp i en annan kund: lägg till "
        f"customer_mapping.csv (from_customer_id, to_customer_id, share); finns den kvar: lägg "
        f"tillbaka den i {customers_file}; har den lämnat: ta bort dess volymer."
    )


def leaver_notices(
    previous: pd.DataFrame, known: list[str], file_name: str, customers_file: str
) -> list[Problem]:
    """One notice per customer of last year that is not in customers.csv: it has left."""
    ids = previous["customer_id"]
    gone = ids[(ids != "") & ~ids.isin(known)]
    notices = []
    for customer, rows in gone.groupby(gone, sort=False).groups.items():
        close = close_match(customer, known)
        hint = f" Menade du {close!r}?" if close else ""
        notices.append(
            Problem(
                file_name,
                f"kunden {customer!r} finns inte i {customers_file} och räknas som en kund som "
                f"har lämnat: 0 kr i år, förra årets debitering ingår i jämförelsen.{hint}",
                rows[0],
                "customer_id",
            )
        )
    return notices


def _cross_checks(
    params: dict,
    tables: dict[str, pd.DataFrame | None],
    files: dict[str, Path],
    data_dir: Path,
    notices: list[Problem],
) -> list[Problem]:
    """Checks across files: ids that must exist, duplicates, empty service areas and keys.

    Without a usable model.yml (``params`` lacks service areas and keys) the checks between
    the tables still run, so one run shows every file's problems.
    """
    problems: list[Problem] = []
    model_ok = params.get("service_areas") is not None and params.get("keys") is not None
    areas = params["service_areas"]["service_area"].tolist() if model_ok else None
    keys: pd.DataFrame | None = params["keys"] if model_ok else None
    categories = params.get("staff_categories") or []
    staffing, customers, volumes = tables["staffing"], tables["customers"], tables["volumes"]

    def name(table: str) -> str:
        return files[table].name if table in files else f"{table}.csv"

    if staffing is not None and areas is not None:
        problems += unknown_problems(
            staffing,
            "service_area",
            areas + [INTERNAL_OVERHEAD],
            name("staffing"),
            "tjänsteområdet",
            "model.yml (service_areas)",
        )
        if categories:
            problems += unknown_problems(
                staffing,
                "staff_category",
                categories,
                name("staffing"),
                "personalkategorin",
                "model.yml (cost_standards)",
            )
        fte = staffing.groupby("service_area")["fte"].sum()
        for area in areas:
            if not fte.get(area, 0) > 0:
                problems.append(
                    Problem(
                        name("staffing"),
                        f"tjänsteområdet {area!r} har inga "
                        "årsarbetare. Lägg till dess bemanning (service_area, "
                        "staff_category, fte) – utan årsarbetare kan ingen "
                        "självkostnad beräknas.",
                        column="fte",
                    )
                )

    customer_ids: list[str] = []
    if customers is not None:
        problems += duplicate_problems(customers, ["customer_id"], name("customers"))
        customer_ids = customers["customer_id"].tolist()
    # Old ids that customer_mapping moves to new ones need not be in customers.csv.
    from .reorganisation import mapped_away, mapping_problems

    mapping = tables.get("customer_mapping")
    moved = mapped_away(mapping)

    # Ids that an earlier year's customer_mapping moved: named as such wherever they appear.
    merged_hints = _mapping_hints(
        earlier_mappings(data_dir, params.get("price_list_year")), data_dir
    )
    previous = tables["previous_charges"]
    last_year = set(previous["customer_id"]) if previous is not None else set()
    if volumes is not None:
        if customers is not None:
            hints = {
                **dict.fromkeys(last_year, _left_hint(name("previous_charges"), name("customers"))),
                **merged_hints,
            }
            problems += unknown_problems(
                volumes,
                "customer_id",
                customer_ids + moved,
                name("volumes"),
                "kunden",
                name("customers"),
                hints,
            )
        if keys is not None:
            problems += unknown_problems(
                volumes,
                "key_id",
                keys["key_id"],
                name("volumes"),
                "nyckeln",
                "model.yml (service_areas → keys)",
            )
        problems += duplicate_problems(volumes, ["customer_id", "key_id"], name("volumes"))
        totals = volumes.groupby("key_id")["volume"].sum()
        for key in keys.itertuples() if keys is not None else ():
            if key.weight > 0 and not totals.get(key.key_id, 0) > 0:
                problems.append(
                    Problem(
                        name("volumes"),
                        f"nyckeln {key.key_id!r} "
                        f"({key.service_area}) har vikten {key.weight:g} men "
                        "ingen volym hos någon kund. Lägg in volymerna eller sätt "
                        "vikten till 0 i model.yml.",
                        column="volume",
                    )
                )

    other = tables["other_costs"]
    if other is not None and areas is not None:
        problems += unknown_problems(
            other,
            "service_area",
            areas + [INTERNAL_OVERHEAD],
            name("other_costs"),
            "tjänsteområdet",
            "model.yml (service_areas)",
        )
    if previous is not None:
        if customers is not None:
            # A customer of last year that is not in customers.csv has left (a notice, not an
            # error), unless an earlier reorganisation moved it: then the mapping is missing.
            merged = set(merged_hints)
            problems += unknown_problems(
                previous[previous["customer_id"].isin(merged)],
                "customer_id",
                customer_ids + moved,
                name("previous_charges"),
                "kunden",
                name("customers"),
                merged_hints,
            )
            notices += leaver_notices(
                previous[~previous["customer_id"].isin(merged)],
                customer_ids + moved,
                name("previous_charges"),
                name("customers"),
            )
        if areas is not None:
            problems += unknown_problems(
                previous,
                "service_area",
                areas,
                name("previous_charges"),
                "tjänsteområdet",
                "model.yml (service_areas)",
            )
        problems += duplicate_problems(
            previous, ["customer_id", "service_area"], name("previous_charges")
        )
    changed = tables["changed_assignments"]
    if changed is not None and areas is not None:
        problems += unknown_problems(
            changed,
            "service_area",
            areas,
            name("changed_assignments"),
            "tjänsteområdet",
            "model.yml (service_areas)",
        )
    dedicated = tables.get("dedicated_services")
    if dedicated is not None:
        problems += dedicated_problems(
            dedicated,
            name("dedicated_services"),
            areas,
            categories,
            customer_ids if customers is not None else None,
            name("customers") if customers is not None else "customers.csv",
            staffing,
            name("staffing") if staffing is not None else "staffing.csv",
        )
    if mapping is not None:
        users = [t for t in ("volumes", "previous_charges") if tables.get(t) is not None]
        problems += mapping_problems(
            mapping,
            name("customer_mapping"),
            customer_ids if customers is not None else None,
            files["customers"].name if "customers" in files else "customers.csv",
            set().union(*(tables[t]["customer_id"] for t in users)),
            [name(t) for t in users],
        )
    return problems


# --------------------------------------------------------------------------- calloffs.csv

CALLOFFS = "calloffs"
CALLOFF_KINDS = ("timavrop", "tillaggstjanst")  # hourly call-offs, add-on services
CALLOFFS_SCHEMA = TableSchema(
    CALLOFFS,
    (
        _text("customer_id"),
        _text("date"),
        _text("kind"),
        _text("service_area"),
        Column("staff_category", "text", required=False, optional=True),
        Column("description", "text", required=False, optional=True),
        Column("quantity", "amount"),
        # text here: empty for hourly call-offs (priced by the hourly rates), a number for add-ons
        Column("unit_price", "text", required=False, optional=True),
    ),
    "avrop per timme och tilläggstjänster att fakturera månadsvis i efterskott",
)
# Hours, quantities and prices with at most two decimals (hundredths of an hour, öre): the
# invoice amount is then an exact product, rounded once to whole kronor.
CALLOFF_DECIMALS = 2
_ISO_DATE = re.compile(r"^(\d{4}-\d{2}-\d{2})(?:[ T]00:00(?::00)?)?$")  # xlsx dates read as text


def _decimal_problems(
    numbers: pd.Series, texts: pd.Series, file_name: str, column: str
) -> list[Problem]:
    scaled = numbers * 10**CALLOFF_DECIMALS
    bad = numbers.notna() & ((scaled - scaled.round()).abs() > 1e-6)
    return [
        Problem(
            file_name,
            f"{texts[row]!r} har fler än {CALLOFF_DECIMALS} decimaler. Avrunda till högst "
            f"{CALLOFF_DECIMALS} decimaler (hundradels timmar, ören).",
            row,
            column,
        )
        for row in numbers.index[bad]
    ]


def _calloff_dates(values: pd.Series, year: int, file_name: str) -> tuple[pd.Series, list[Problem]]:
    iso = values.str.extract(_ISO_DATE, expand=False)
    dates = pd.to_datetime(iso, format="%Y-%m-%d", errors="coerce")
    problems = []
    for row in values.index[dates.isna()]:
        problems.append(
            Problem(
                file_name,
                f"{values[row]!r} är inget datum. Skriv datumet som ÅÅÅÅ-MM-DD, "
                f"t.ex. {year}-03-14.",
                row,
                "date",
            )
        )
    for row in values.index[dates.notna() & (dates.dt.year != year)]:
        problems.append(
            Problem(
                file_name,
                f"datumet {iso[row]} ligger utanför prislisteåret {year}. Ett avrop faktureras "
                "med det års timpriser då det gjordes: flytta raden till det årets calloffs.csv.",
                row,
                "date",
            )
        )
    return dates, problems


def _calloff_problems(
    table: pd.DataFrame, model: PriceModelInput, file_name: str
) -> tuple[pd.Series, list[Problem]]:
    """Cross-checks of calloffs.csv against the model; returns the parsed unit prices too."""
    customers_file = Path(model.files.get("customers", "customers.csv")).name
    problems = unknown_problems(
        table, "customer_id", model.customers["customer_id"], file_name, "kunden", customers_file
    )
    problems += unknown_problems(
        table,
        "service_area",
        model.service_areas["service_area"],
        file_name,
        "tjänsteområdet",
        "model.yml (service_areas)",
    )
    kinds = table["kind"]
    for row, value in kinds[(kinds != "") & ~kinds.isin(CALLOFF_KINDS)].items():
        # "bastjanst" is a kind of invoice line, but never a call-off: say so, not a near miss
        hint = difflib.get_close_matches(value, ("bastjanst", *CALLOFF_KINDS), n=1, cutoff=0.6)
        fix = (
            f"Menade du {hint[0]!r}?"
            if hint and hint[0] != "bastjanst"
            else "Bastjänster faktureras från prislistan och ska inte stå här."
        )
        problems.append(
            Problem(
                file_name,
                f"avropstypen {value!r} finns inte. Giltiga typer: "
                f"{', '.join(CALLOFF_KINDS)} (timavrop = per timme, tillaggstjanst = "
                f"tilläggstjänst). {fix}",
                row,
                "kind",
            )
        )
    hourly, addon = kinds == "timavrop", kinds == "tillaggstjanst"
    categories = list(model.cost_standards.index)
    category = table["staff_category"]
    for row in table.index[hourly & (category == "")]:
        problems.append(
            Problem(
                file_name,
                "personalkategorin saknas för ett timavrop. Ange den, t.ex. "
                f"{categories[0]!r}: timpriset beror på den.",
                row,
                "staff_category",
            )
        )
    problems += unknown_problems(
        table,
        "staff_category",
        categories,
        file_name,
        "personalkategorin",
        "model.yml (cost_standards)",
    )
    for row in table.index[addon & (table["description"] == "")]:
        problems.append(
            Problem(
                file_name,
                "beskrivningen saknas för en tilläggstjänst. Skriv vad som levererats – den "
                "står på fakturan.",
                row,
                "description",
            )
        )
    texts = table["unit_price"]
    given = texts != ""
    prices = pd.Series(np.nan, index=texts.index)
    prices[given] = parse_numbers(texts[given])  # most rows (timavrop) have no price
    for row in table.index[hourly & (texts != "")]:
        problems.append(
            Problem(
                file_name,
                "timavrop prissätts med årets timpris för personalkategorin. Lämna unit_price "
                "tom (eller ange raden som tillaggstjanst med eget pris).",
                row,
                "unit_price",
            )
        )
    for row in table.index[addon & (texts == "")]:
        problems.append(
            Problem(
                file_name,
                "priset saknas för en tilläggstjänst. Ange styckpriset i kronor, t.ex. 1500.",
                row,
                "unit_price",
            )
        )
    for row in table.index[(texts != "") & prices.isna()]:
        problems.append(
            Problem(
                file_name,
                f"{texts[row]!r} är inte ett tal. Skriv priset i kronor, t.ex. 1500 eller 1250,50.",
                row,
                "unit_price",
            )
        )
    for row in table.index[prices < 0]:
        problems.append(
            Problem(
                file_name,
                f"{texts[row]!r} är negativt. Priset måste vara 0 eller större; en kreditering "
                "görs i ekonomisystemet, inte här.",
                row,
                "unit_price",
            )
        )
    quantity = table["quantity"]
    for row in table.index[quantity == 0]:
        problems.append(
            Problem(
                file_name,
                "antalet är 0: raden ger ingen fakturarad. Ange antalet timmar eller enheter, "
                "eller ta bort raden.",
                row,
                "quantity",
            )
        )
    problems += _decimal_problems(quantity, table["quantity_text"], file_name, "quantity")
    problems += _decimal_problems(prices, texts, file_name, "unit_price")
    return prices, problems


def load_calloffs(model: PriceModelInput) -> pd.DataFrame | None:
    """The optional ``calloffs.csv`` (or .xlsx) of the data folder, validated against the model.

    Returns None when the folder has none, else one row per call-off: customer_id, date
    (datetime64), kind (timavrop | tillaggstjanst), service_area, staff_category, description,
    quantity (hours for timavrop) and unit_price (NaN for timavrop: the hourly rate applies).
    Raises InputError listing every problem.
    """
    path, problem = find_table_file(model.data_dir, CALLOFFS)
    if problem:
        raise InputError([problem])
    if path is None:
        return None
    raw = read_raw_table(path)
    typed, problems = validate_table(raw, CALLOFFS_SCHEMA, path.name)
    if typed is None:
        raise InputError(problems)
    # The quantity's own text, for the decimal message: validate_table keeps only the number.
    typed["quantity_text"] = raw["quantity"]
    dates, found = _calloff_dates(typed["date"], model.price_list_year, path.name)
    problems += found
    prices, found = _calloff_problems(typed, model, path.name)
    problems += found
    if problems:
        raise InputError(sorted(problems, key=lambda p: (p.row or 0, p.column or "")))
    typed["date"] = dates
    typed["unit_price"] = prices.astype(float)
    return _clean(typed[CALLOFFS_SCHEMA.column_names])
def dedicated_problems(
    dedicated: pd.DataFrame,
    file_name: str,
    areas: list[str],
    categories: list[str],
    customer_ids: list[str] | None,
    customers_file: str,
    staffing: pd.DataFrame | None,
    staffing_file: str,
) -> list[Problem]:
    """Checks of ``dedicated_services``: known ids, unique service_id, FTEs > 0 that are part
    of the area's staffing (rule 5: a dedicated FTE is not added to staffing.csv)."""
    problems = unknown_problems(
        dedicated, "service_area", areas, file_name, "tjänsteområdet", "model.yml (service_areas)"
    )
    if categories:
        problems += unknown_problems(
            dedicated,
            "staff_category",
            categories,
            file_name,
            "personalkategorin",
            "model.yml (cost_standards)",
        )
    if customer_ids is not None:
        problems += unknown_problems(
            dedicated, "customer_id", customer_ids, file_name, "kunden", customers_file
        )
    problems += duplicate_problems(dedicated, ["service_id"], file_name)
    for row in dedicated.index[dedicated["fte"] == 0]:
        problems.append(
            Problem(
                file_name,
                "0 årsarbetare är inte tillåtet: en särskild tjänst måste ha fler än 0 "
                "årsarbetare. Rätta värdet, eller ta bort raden om tjänsten inte längre finns.",
                row,
                "fte",
            )
        )
    if staffing is None:
        return problems
    for area, category, total, available, rows in dedicated_over_staffing(dedicated, staffing):
        problems.append(
            Problem(
                file_name,
                f"de särskilda tjänsterna i {area!r} har {total:g} årsarbetare "
                f"{category} (rad {', '.join(str(r) for r in rows)}), men {staffing_file} har "
                f"bara {available:g}. Deras årsarbetare ingår i bemanningen och läggs inte till: "
                f"minska fte här eller öka bemanningen i {staffing_file}.",
                int(rows[-1]),
                "fte",
            )
        )
    return problems


def dedicated_over_staffing(
    dedicated: pd.DataFrame, staffing: pd.DataFrame
) -> list[tuple[str, str, float, float, list]]:
    """(service_area, staff_category, dedicated FTE, staffed FTE, index labels of the
    dedicated rows) for each pair whose dedicated services need more FTEs than it has."""
    staffed = staffing.groupby(["service_area", "staff_category"])["fte"].sum()
    wanted = dedicated[dedicated["fte"] > 0].groupby(["service_area", "staff_category"], sort=False)
    found = []
    for (area, category), group in wanted:
        available = float(staffed.get((area, category), 0.0))
        total = float(group["fte"].sum())
        if total > available + WEIGHT_TOLERANCE:
            found.append((area, category, total, available, list(group.index)))
    return found
