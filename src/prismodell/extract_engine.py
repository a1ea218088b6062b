"""Counting the keys' volumes in the source systems' extracts with DuckDB.

Each file of an extract is read once into a temporary table holding only the columns the
configuration names (as trimmed text, empty = NULL), the month of the date column and the
numbers of the summed columns; then every key of the extract is one grouped query over those
tables. Safety: column names from the configuration only ever appear as quoted identifiers
(:func:`quote`), and file names, filter values and periods are bound parameters. No SQL text
comes from a data folder.

Row numbers in messages are the analyst's (header = row 1): a temporary table keeps the
file's order (DuckDB preserves insertion order), so ``rowid + 2`` is the row in the file.
"""

from __future__ import annotations

import csv
import difflib
import re
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

from .extracts import Extract, Filter, KeyRule, VolumeInput
from .inputs import InputError, Problem, read_raw_table

MAX_ROWS_SHOWN = 3  # bad values listed one by one per file and column; the rest are counted
COUNT_COLUMNS = ["org_code", "rows", "volume", "outside", "missing", "negative"]

# Helpers defined once per connection. The month (ÅÅÅÅMM as an integer) of a date text:
# ÅÅÅÅ-MM, ÅÅÅÅMM, ÅÅÅÅ-MM-DD (a time may follow) or ÅÅÅÅMMDD. A number as a Swedish export
# writes it: spaces as thousands separators, a decimal comma.
_MACROS = (
    "CREATE TEMP MACRO pm_month(c) AS COALESCE("
    "CASE WHEN regexp_full_match(c, '\\d{4}-?(0[1-9]|1[0-2])') "
    "THEN CAST(replace(c, '-', '') AS INTEGER) END, "
    "TRY_CAST(strftime(COALESCE(try_cast(c AS TIMESTAMP), try_strptime(c, '%Y%m%d')), '%Y%m') "
    "AS INTEGER))",
    "CREATE TEMP MACRO pm_decimal(s) AS TRY_CAST(CASE WHEN s LIKE '%,%' AND s NOT LIKE '%.%' "
    "THEN replace(s, ',', '.') ELSE s END AS DOUBLE)",
    "CREATE TEMP MACRO pm_finite(v) AS CASE WHEN isfinite(v) THEN v END",
    "CREATE TEMP MACRO pm_number(c) AS "
    "pm_finite(pm_decimal(regexp_replace(c, '[\\s\\x{00a0}\\x{202f}]', '', 'g')))",
)
_NUMERIC_TYPES = re.compile(
    r"^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|U\w*INT|FLOAT|DOUBLE|DECIMAL)"
)


def quote(identifier: str) -> str:
    """A SQL identifier, quoted: any text (quotes, semicolons, newlines) stays a name."""
    return '"' + identifier.replace('"', '""') + '"'


def connect() -> duckdb.DuckDBPyConnection:
    """An in-memory database that never reaches for the network (no extension downloads)."""
    con = duckdb.connect(
        config={"autoinstall_known_extensions": False, "autoload_known_extensions": False}
    )
    for macro in _MACROS:
        con.execute(macro)
    return con


@dataclass(frozen=True)
class KeyCounts:
    """One key's counts per organisation code (None = rows without a code)."""

    key_id: str
    extract: str
    by_org: pd.DataFrame  # COUNT_COLUMNS
    duplicates: int  # rows whose transaction id occurred before (0 without transaction_id)


@dataclass
class _Loaded:
    """One extract's files in temporary tables; ``columns`` maps a file column to its c<i>."""

    extract: Extract
    columns: dict[str, str]
    tables: list[tuple[str, str, Path]]  # table, row expression, file
    sums: dict[str, str]  # summed file column -> its number column


def _needed_columns(extract: Extract, rules: list[KeyRule]) -> list[str]:
    names = [extract.org_column, extract.date_column]
    if extract.transaction_id:
        names.append(extract.transaction_id)
    names += [f.column for f in extract.filters]
    for rule in rules:
        if rule.column:
            names.append(rule.column)
        names += [f.column for f in rule.filters]
    return list(dict.fromkeys(names))


def _display(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root))
    except ValueError:
        return path.name


def _csv_source(path: Path, encoding: str) -> tuple[str, list]:
    with path.open("rb") as handle:
        first = handle.readline()
    header = first.decode("utf-16" if encoding == "utf-16" else encoding, errors="replace")
    counts = {sep: header.count(sep) for sep in (";", ",", "\t")}
    delimiter = max(counts, key=lambda sep: counts[sep]) if any(counts.values()) else ","
    return (
        "read_csv(?, delim = ?, header = true, all_varchar = true, encoding = ?, quote = '\"')",
        [str(path), delimiter, encoding],
    )


def _csv_problem(error: Exception, path: Path, shown: str, encoding: str) -> Problem:
    """The analyst's version of a CSV that DuckDB could not read: find the row in Python
    (only on this error path) and say what is wrong with it."""
    codec = "utf-16" if encoding == "utf-16" else encoding
    if codec != "utf-16":
        with path.open("rb") as handle:
            for number, line in enumerate(handle, start=1):
                try:
                    line.decode(codec)
                except UnicodeDecodeError:
                    other = "latin-1" if encoding == "utf-8" else "utf-8"
                    return Problem(
                        shown,
                        f"filen är inte {encoding.upper()}-kodad. Spara om den som UTF-8, eller "
                        f"ange encoding: {other} för uttaget i extracts.yml.",
                        row=number,
                    )
    try:
        delimiter = _csv_source(path, encoding)[1][1]
        with path.open(encoding=codec, newline="") as handle:
            records = csv.reader(handle, delimiter=delimiter)
            width = len(next(records, []))
            for number, record in enumerate(records, start=2):
                if record and len(record) != width:
                    return Problem(
                        shown,
                        f"raden har {len(record)} fält men rubrikraden {width}. Kontrollera "
                        "avgränsare och citattecken på raden (eller exportera uttaget på nytt).",
                        row=number,
                    )
    except (UnicodeError, csv.Error):
        pass
    match = re.search(r"Line: (\d+)", str(error))
    return Problem(
        shown,
        "filen kunde inte läsas som CSV. Kontrollera att den har en rubrikrad och att "
        "fälten avgränsas med komma eller semikolon.",
        row=int(match.group(1)) if match else None,
    )


def _load_file(
    con: duckdb.DuckDBPyConnection,
    extract: Extract,
    path: Path,
    needed: list[str],
    table: str,
    sums: list[str],
    shown: str,
) -> tuple[str | None, dict[str, str], list[Problem]]:
    """Read one file into ``table``; returns the row expression, column kinds and problems."""
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        frame = read_raw_table(path)  # InputError names the file; index = Excel row
        frame = frame.assign(_row=frame.index.astype("int64"))
        con.register(f"{table}_df", frame)
        source, params, row_sql = f"{table}_df", [], "_row"
    elif suffix == ".parquet":
        source, params, row_sql = "read_parquet(?)", [str(path)], "rowid + 2"
    else:
        source, params = _csv_source(path, extract.encoding)
        row_sql = "rowid + 2"
    try:
        described = con.execute(f"DESCRIBE SELECT * FROM {source}", params).fetchall()
    except duckdb.Error as error:
        return None, {}, [_csv_problem(error, path, shown, extract.encoding)]
    types = {str(name).strip(): (str(name), str(kind)) for name, kind, *_ in described}
    missing = [c for c in needed if c not in types]
    if missing:
        have = [n for n in types if n != "_row"]
        problems = []
        for name in missing:
            hint = difflib.get_close_matches(name, have, n=1, cutoff=0.6)
            fix = (
                f"kolumnen heter {hint[0]!r} i filen – rätta namnet i extracts.yml."
                if hint
                else "filen har kolumnerna " + ", ".join(have) + "."
            )
            problems.append(Problem(shown, f"kolumnen saknas: {fix}", row=1, column=name))
        return None, {}, problems
    kinds = {
        c: "tal" if _NUMERIC_TYPES.match(types[c][1]) else "text"
        for c in needed
        if types[c][1] != "VARCHAR" or suffix != ".csv"
    }
    inner = ", ".join(
        f"NULLIF(trim(CAST({quote(types[c][0])} AS VARCHAR)), '') AS c{i}"
        for i, c in enumerate(needed)
    )
    if row_sql == "_row":
        inner += ", _row"
    date = f"c{needed.index(extract.date_column)}"
    derived = [f"pm_month({date}) AS m"]
    derived += [f"pm_number(c{needed.index(c)}) AS n{needed.index(c)}" for c in sums]
    try:
        con.execute(
            f"CREATE TEMP TABLE {table} AS SELECT *, {', '.join(derived)} "
            f"FROM (SELECT {inner} FROM {source})",
            params,
        )
    except duckdb.Error as error:
        return None, {}, [_csv_problem(error, path, shown, extract.encoding)]
    return row_sql, kinds, []


def _bad_values(
    con: duckdb.DuckDBPyConnection,
    table: str,
    row_sql: str,
    column: str,
    test: str,
    shown: str,
    name: str,
    message: str,
) -> list[Problem]:
    found = con.execute(
        f"SELECT count(*) OVER (), {row_sql} AS r, {column} FROM {table} WHERE {test} "
        f"ORDER BY r LIMIT {MAX_ROWS_SHOWN}"
    ).fetchall()
    problems = [Problem(shown, message.format(value=repr(v)), int(r), name) for _, r, v in found]
    if found and found[0][0] > MAX_ROWS_SHOWN:
        problems.append(
            Problem(
                shown,
                f"ytterligare {found[0][0] - MAX_ROWS_SHOWN} rader har samma fel i kolumnen.",
                column=name,
            )
        )
    return problems


def _load_extract(
    con: duckdb.DuckDBPyConnection, extract: Extract, rules: list[KeyRule], root: Path, n: int
) -> tuple[_Loaded | None, list[Problem]]:
    needed = _needed_columns(extract, rules)
    sums = list(dict.fromkeys(r.column for r in rules if r.count == "sum" and r.column))
    columns = {c: f"c{i}" for i, c in enumerate(needed)}
    problems: list[Problem] = []
    tables: list[tuple[str, str, Path]] = []
    kinds_seen: dict[str, tuple[str, str]] = {}  # column -> (kind, file) first seen
    for i, path in enumerate(extract.files):
        shown = _display(path, root)
        table = f"e{n}_f{i}"
        try:
            row_sql, kinds, found = _load_file(con, extract, path, needed, table, sums, shown)
        except InputError as error:
            problems += error.problems
            continue
        problems += found
        if row_sql is None:
            continue
        for column, kind in kinds.items():
            first = kinds_seen.setdefault(column, (kind, shown))
            if first[0] != kind:
                problems.append(
                    Problem(
                        shown,
                        f"kolumnen är {kind} här men {first[0]} i {first[1]}. Exportera "
                        "uttagets filer likadant (samma kolumntyper).",
                        row=1,
                        column=column,
                    )
                )
        date = columns[extract.date_column]
        problems += _bad_values(
            con,
            table,
            row_sql,
            date,
            f"{date} IS NOT NULL AND m IS NULL",
            shown,
            extract.date_column,
            "datumet {value} kan inte läsas. Ange det som ÅÅÅÅ-MM-DD (eller månaden som ÅÅÅÅ-MM).",
        )
        for column in sums:
            c = columns[column]
            problems += _bad_values(
                con,
                table,
                row_sql,
                c,
                f"{c} IS NOT NULL AND n{c[1:]} IS NULL",
                shown,
                column,
                "{value} är inte ett tal. Kolumnen summeras och ska bara innehålla tal.",
            )
        tables.append((table, row_sql, path))
    if problems:
        return None, problems
    return _Loaded(extract, columns, tables, {c: f"n{columns[c][1:]}" for c in sums}), []


def _filter_sql(filters: tuple[Filter, ...], columns: dict[str, str]) -> tuple[str, list]:
    parts, params = [], []
    for f in filters:
        c = columns[f.column]
        marks = ", ".join("?" for _ in f.values)
        if f.kind == "equals":
            parts.append(f"{c} = ?")
        elif f.kind == "one_of":
            parts.append(f"{c} IN ({marks})")
        else:
            parts.append(f"({c} IS NULL OR {c} NOT IN ({marks}))")
        params += list(f.values)
    return (" AND ".join(parts) or "TRUE"), params


def _month(text: str) -> int:
    return int(text.replace("-", ""))


def _count_key(con: duckdb.DuckDBPyConnection, loaded: _Loaded, rule: KeyRule) -> KeyCounts:
    extract, columns = loaded.extract, loaded.columns
    union = " UNION ALL ".join(
        f"SELECT * EXCLUDE (_row) FROM {t}" if r == "_row" else f"SELECT * FROM {t}"
        for t, r, _ in loaded.tables
    )
    where, params = _filter_sql(extract.filters + rule.filters, columns)
    org = columns[extract.org_column]
    value = columns[rule.column] if rule.column else None
    if rule.count == "rows":
        volume, absent, negative = "count(*) FILTER (WHERE inp)", "FALSE", "FALSE"
    elif rule.count == "distinct":
        volume = f"count(DISTINCT {value}) FILTER (WHERE inp)"
        absent, negative = f"{value} IS NULL", "FALSE"
    else:
        number = loaded.sums[rule.column]
        volume = f"coalesce(sum({number}) FILTER (WHERE inp AND {number} >= 0), 0)"
        absent, negative = f"{value} IS NULL", f"{number} < 0"
    start, end = (_month(p) for p in extract.period)
    sql = (
        f"SELECT {org} AS org_code, count(*) FILTER (WHERE inp) AS rows, {volume} AS volume, "
        "count(*) FILTER (WHERE m IS NOT NULL AND NOT inp) AS outside, "
        f"count(*) FILTER (WHERE m IS NULL OR (inp AND {absent})) AS missing, "
        f"count(*) FILTER (WHERE inp AND {negative}) AS negative "
        f"FROM (SELECT *, coalesce(m BETWEEN ? AND ?, FALSE) AS inp FROM ({union}) "
        f"WHERE {where}) GROUP BY {org} ORDER BY {org}"
    )
    by_org = con.execute(sql, [start, end, *params]).df()
    by_org.columns = COUNT_COLUMNS
    duplicates = 0
    if extract.transaction_id:
        tx = columns[extract.transaction_id]
        duplicates = con.execute(
            f"SELECT count({tx}) - count(DISTINCT {tx}) FROM ({union}) "
            f"WHERE ({where}) AND m BETWEEN ? AND ?",
            [*params, start, end],
        ).fetchone()[0]
    return KeyCounts(rule.key_id, extract.name, by_org, int(duplicates))


def count_volumes(model: VolumeInput) -> list[KeyCounts]:
    """Every key's counts per organisation code, in model key order. Raises InputError when
    a file cannot be used (missing column, encoding, dates or numbers that do not parse)."""
    root = Path(model.data_dir)
    con = connect()
    try:
        loaded: dict[str, _Loaded] = {}
        problems: list[Problem] = []
        used = list(dict.fromkeys(rule.extract for rule in model.rules))
        for n, name in enumerate(used):
            rules = [r for r in model.rules if r.extract == name]
            result, found = _load_extract(con, model.extracts[name], rules, root, n)
            problems += found
            if result is not None:
                loaded[name] = result
        if problems:
            raise InputError(problems)
        return [_count_key(con, loaded[rule.extract], rule) for rule in model.rules]
    finally:
        con.close()
