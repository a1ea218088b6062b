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
BAD_DATE = "datumet {value} kan inte läsas. Ange det som ÅÅÅÅ-MM-DD (eller månaden som ÅÅÅÅ-MM)."
BAD_NUMBER = "{value} är inte ett tal. Kolumnen summeras och ska bara innehålla tal."
NOT_PARQUET = "filen kunde inte läsas som parquet. Exportera uttaget på nytt (eller som CSV)."
COUNT_COLUMNS = ["org_code", "rows", "volume", "outside", "missing", "negative"]

# Helpers defined once per connection. The month (ÅÅÅÅMM as an integer) of a date text:
# ÅÅÅÅ-MM, ÅÅÅÅMM, ÅÅÅÅ-MM-DD (a time may follow) or ÅÅÅÅMMDD. A number as a Swedish export
# writes it: spaces as thousands separators, a decimal comma.
_MACROS = (
    # A date (a time may follow) or ÅÅÅÅMMDD, as a timestamp; NULL for anything else.
    "CREATE TEMP MACRO pm_ts(c) AS COALESCE(try_cast(c AS TIMESTAMP), try_strptime(c, '%Y%m%d'))",
    # ÅÅÅÅ-MM and ÅÅÅÅMM by position (much cheaper than a regular expression per row); a
    # non-digit makes TRY_CAST give NULL.
    "CREATE TEMP MACRO pm_ym(y, m) AS CASE WHEN y BETWEEN '1000' AND '9999' AND length(y) = 4 "
    "AND m BETWEEN '01' AND '12' AND length(m) = 2 "
    "THEN TRY_CAST(y AS INTEGER) * 100 + TRY_CAST(m AS INTEGER) END",
    "CREATE TEMP MACRO pm_month(c) AS CASE "
    "WHEN length(c) = 7 AND substr(c, 5, 1) = '-' THEN pm_ym(substr(c, 1, 4), substr(c, 6, 2)) "
    "WHEN length(c) = 6 THEN pm_ym(substr(c, 1, 4), substr(c, 5, 2)) "
    "ELSE year(pm_ts(c)) * 100 + month(pm_ts(c)) END",
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
        config={
            "autoinstall_known_extensions": False,
            "autoload_known_extensions": False,
        }
    )
    try:
        con.execute("SET enable_progress_bar = false")  # no bar on the analyst's terminal
    except duckdb.Error:
        pass  # in a notebook DuckDB refuses the setting without ipywidgets, and shows no bar
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


def _delimiter(path: Path, encoding: str) -> str:
    """The header line's most frequent separator (a Swedish Excel writes semicolons)."""
    with path.open("rb") as handle:
        first = handle.readline()
    header = first.decode("utf-16" if encoding == "utf-16" else encoding, errors="replace")
    counts = {sep: header.count(sep) for sep in (";", ",", "\t")}
    return max(counts, key=lambda sep: counts[sep]) if any(counts.values()) else ","


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
        delimiter = _delimiter(path, encoding)
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


@dataclass(frozen=True)
class _File:
    """One file of an extract: how to read it (SQL with named parameters) and its columns."""

    path: Path
    shown: str  # as the analyst names it: relative to the data folder
    source: str  # a table function call or a registered view
    params: dict
    names: dict[str, str]  # configured column -> the column's name in the file
    row_sql: str  # the analyst's row number in a table made from ``source``


def _describe(
    con: duckdb.DuckDBPyConnection,
    extract: Extract,
    path: Path,
    tag: str,
    needed: list[str],
    shown: str,
) -> tuple[_File | None, dict[str, str], list[Problem]]:
    """How to read one file, the kinds (tal/text) of its typed columns, and its problems."""
    suffix = path.suffix.lower()
    params: dict = {}
    if suffix == ".xlsx":
        frame = read_raw_table(path)  # InputError names the file; index = Excel row
        frame = frame.assign(_row=frame.index.astype("int64"))
        con.register(f"x{tag}", frame)
        source, row_sql = f"x{tag}", "_row"
    elif suffix == ".parquet":
        source, row_sql = f"read_parquet($file{tag})", "rowid + 2"
        params = {f"file{tag}": str(path)}
    else:
        source = (
            f"read_csv($file{tag}, delim = $delim{tag}, header = true, all_varchar = true, "
            f"encoding = $enc{tag}, quote = '\"')"
        )
        params = {
            f"file{tag}": str(path),
            f"delim{tag}": _delimiter(path, extract.encoding),
            f"enc{tag}": extract.encoding,
        }
        row_sql = "rowid + 2"
    try:
        described = con.execute(f"DESCRIBE SELECT * FROM {source}", params).fetchall()
    except duckdb.Error as error:
        if suffix == ".parquet":
            return None, {}, [Problem(shown, NOT_PARQUET)]
        return None, {}, [_csv_problem(error, path, shown, extract.encoding)]
    types = {str(name).strip(): (str(name), str(kind)) for name, kind, *_ in described}
    types.pop("_row", None)
    missing = [c for c in needed if c not in types]
    if missing:
        problems = []
        for name in missing:
            hint = difflib.get_close_matches(name, list(types), n=1, cutoff=0.6)
            fix = (
                f"kolumnen heter {hint[0]!r} i filen – rätta namnet i extracts.yml."
                if hint
                else "filen har kolumnerna " + ", ".join(types) + "."
            )
            problems.append(Problem(shown, f"kolumnen saknas: {fix}", row=1, column=name))
        return None, {}, problems
    kinds = {
        c: "tal" if _NUMERIC_TYPES.match(types[c][1]) else "text"
        for c in needed
        if suffix == ".parquet"
    }
    names = {c: types[c][0] for c in needed}
    return _File(path, shown, source, params, names, row_sql), kinds, []


def _columns_sql(file: _File, needed: list[str]) -> str:
    """The configured columns of a file as trimmed text (empty = NULL), named c0, c1, …"""
    return ", ".join(
        f"NULLIF(trim(CAST({quote(file.names[c])} AS VARCHAR)), '') AS c{j}"
        for j, c in enumerate(needed)
    )


def _derived_sql(extract: Extract, needed: list[str], sums: list[str]) -> str:
    """The month of the date column (m) and the numbers of the summed columns (n<j>)."""
    parts = [f"pm_month(c{needed.index(extract.date_column)}) AS m"]
    parts += [f"pm_number(c{needed.index(c)}) AS n{needed.index(c)}" for c in sums]
    return ", ".join(parts)


def _filter_sql(filters: tuple[Filter, ...], needed: list[str], params: dict) -> str:
    """Filters as SQL over c<j> with their values added to ``params`` (named, bound)."""
    parts = []
    for f in filters:
        c = f"c{needed.index(f.column)}"
        names = []
        for value in f.values:
            name = f"v{len(params)}"
            params[name] = value
            names.append(f"${name}")
        if f.kind == "equals":
            parts.append(f"{c} = {names[0]}")
        elif f.kind == "one_of":
            parts.append(f"{c} IN ({', '.join(names)})")
        else:
            parts.append(f"({c} IS NULL OR {c} NOT IN ({', '.join(names)}))")
    return " AND ".join(parts) or "TRUE"


def _month(text: str) -> int:
    return int(text.replace("-", ""))


def _bad_rows(
    con: duckdb.DuckDBPyConnection,
    file: _File,
    extract: Extract,
    needed: list[str],
    sums: list[str],
    column: str,
    test: str,
    message: str,
) -> list[Problem]:
    """Only when the counting found bad values: the first rows with them, by row number.

    The file goes into a table first: its rowid is then the position in the file.
    """
    table = f"bad_{abs(hash((file.path, column))) % 10**9}"
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {table} AS SELECT *, {_derived_sql(extract, needed, sums)} "
        f"FROM (SELECT {_columns_sql(file, needed)}"
        + (", _row" if file.row_sql == "_row" else "")
        + f" FROM {file.source})",
        file.params,
    )
    params: dict = {}
    where = _filter_sql(extract.filters, needed, params)
    c = f"c{needed.index(column)}"
    found = con.execute(
        f"SELECT count(*) OVER (), {file.row_sql} AS r, {c} FROM {table} "
        f"WHERE ({where}) AND {test.format(c=c, n=c.replace('c', 'n'))} "
        f"ORDER BY r LIMIT {MAX_ROWS_SHOWN}",
        params,
    ).fetchall()
    con.execute(f"DROP TABLE {table}")
    problems = [
        Problem(file.shown, message.format(value=repr(v)), int(r), column) for _, r, v in found
    ]
    if found and found[0][0] > MAX_ROWS_SHOWN:
        problems.append(
            Problem(
                file.shown,
                f"ytterligare {found[0][0] - MAX_ROWS_SHOWN} rader har samma fel i kolumnen.",
                column=column,
            )
        )
    return problems


def _count_extract(
    con: duckdb.DuckDBPyConnection, extract: Extract, rules: list[KeyRule], root: Path, n: int
) -> tuple[list[KeyCounts], list[Problem]]:
    """All keys of one extract in one pass over its files (grouped by organisation code)."""
    needed = _needed_columns(extract, rules)
    sums = list(dict.fromkeys(r.column for r in rules if r.count == "sum" and r.column))
    problems: list[Problem] = []
    files: list[_File] = []
    kinds_seen: dict[str, tuple[str, str]] = {}  # column -> (kind, file) where first seen
    for i, path in enumerate(extract.files):
        shown = _display(path, root)
        try:
            file, kinds, found = _describe(con, extract, path, f"{n}_{i}", needed, shown)
        except InputError as error:
            problems += error.problems
            continue
        problems += found
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
        if file is not None:
            files.append(file)
    if problems:
        return [], problems

    params: dict = {"ps": _month(extract.period[0]), "pe": _month(extract.period[1])}
    for file in files:
        params.update(file.params)
    union = " UNION ALL ".join(
        f"SELECT {i} AS f, {_columns_sql(file, needed)} FROM {file.source}"
        for i, file in enumerate(files)
    )
    where = _filter_sql(extract.filters, needed, params)
    org = f"c{needed.index(extract.org_column)}"
    aggregates = []
    for k, rule in enumerate(rules):
        only = _filter_sql(rule.filters, needed, params)
        # Written the same way as the duplicate count below when a key has no filter of its
        # own, so DuckDB computes a shared distinct count once.
        inside = "inp" if only == "TRUE" else f"inp AND {only}"
        value = f"c{needed.index(rule.column)}" if rule.column else None
        if rule.count == "rows":
            volume, absent, negative = f"count(*) FILTER (WHERE {inside})", "FALSE", "FALSE"
        elif rule.count == "distinct":
            volume = f"count(DISTINCT {value}) FILTER (WHERE {inside})"
            absent, negative = f"{value} IS NULL", "FALSE"
        else:
            number = f"n{needed.index(rule.column)}"
            volume = f"coalesce(sum({number}) FILTER (WHERE {inside} AND {number} >= 0), 0)"
            absent, negative = f"{value} IS NULL", f"{number} < 0"
        aggregates += [
            f"count(*) FILTER (WHERE {inside}) AS rows_{k}",
            f"{volume} AS volume_{k}",
            f"count(*) FILTER (WHERE m IS NOT NULL AND NOT inp AND {only}) AS outside_{k}",
            f"count(*) FILTER (WHERE ({only}) AND (m IS NULL OR "
            f"(inp AND ({absent} OR {org} IS NULL)))) AS missing_{k}",
            f"count(*) FILTER (WHERE {inside} AND {negative}) AS negative_{k}",
        ]
    checks: list[tuple[int, str, str, str]] = []  # file, column, test ({c}, {n}), message
    for i in range(len(files)):
        checks.append((i, extract.date_column, "{c} IS NOT NULL AND m IS NULL", BAD_DATE))
        checks += [(i, c, "{c} IS NOT NULL AND {n} IS NULL", BAD_NUMBER) for c in sums]
    for j, (i, column, test, _) in enumerate(checks):
        c = f"c{needed.index(column)}"
        aggregates.append(
            f"count(*) FILTER (WHERE f = {i} AND {test.format(c=c, n=c.replace('c', 'n'))}) "
            f"AS bad_{j}"
        )
    if extract.transaction_id:
        # Repeated within one organisation code: the same row exported twice. (One invoice
        # coded to two codes is not a duplicate; it counts for both.)
        tx = f"c{needed.index(extract.transaction_id)}"
        aggregates.append(
            f"count({tx}) FILTER (WHERE inp) - count(DISTINCT {tx}) FILTER (WHERE inp) AS dups"
        )
    sql = (
        f"SELECT {org} AS org_code, {', '.join(aggregates)} "
        f"FROM (SELECT *, coalesce(m BETWEEN $ps AND $pe, FALSE) AS inp FROM "
        f"(SELECT *, {_derived_sql(extract, needed, sums)} FROM ({union})) WHERE {where}) "
        f"GROUP BY {org} ORDER BY org_code"
    )
    try:
        result = con.execute(sql, params).df()
    except duckdb.Error:  # a row deep in a file that DESCRIBE did not see
        for file in files:
            try:
                con.execute(f"SELECT count(*) FROM {file.source}", file.params).fetchall()
            except duckdb.Error as own:
                problems.append(
                    Problem(file.shown, NOT_PARQUET)
                    if file.path.suffix.lower() == ".parquet"
                    else _csv_problem(own, file.path, file.shown, extract.encoding)
                )
        if not problems:
            raise
        return [], problems

    by_org = result
    for j, (i, column, test, message) in enumerate(checks):
        if by_org[f"bad_{j}"].sum() > 0:
            problems += _bad_rows(con, files[i], extract, needed, sums, column, test, message)
    if problems:
        return [], problems

    duplicates = int(by_org["dups"].sum()) if extract.transaction_id else 0
    counts = []
    for k, rule in enumerate(rules):
        frame = by_org[
            [
                "org_code",
                f"rows_{k}",
                f"volume_{k}",
                f"outside_{k}",
                f"missing_{k}",
                f"negative_{k}",
            ]
        ].copy()
        frame.columns = COUNT_COLUMNS
        frame["org_code"] = frame["org_code"].astype(object).where(frame["org_code"].notna(), None)
        frame["volume"] = frame["volume"].astype(float)
        counts.append(
            KeyCounts(rule.key_id, extract.name, frame.reset_index(drop=True), duplicates)
        )
    return counts, []


def count_volumes(model: VolumeInput) -> list[KeyCounts]:
    """Every key's counts per organisation code, in model key order. Raises InputError when
    a file cannot be used (missing column, encoding, dates or numbers that do not parse)."""
    root = Path(model.data_dir)
    con = connect()
    try:
        found: dict[str, KeyCounts] = {}
        problems: list[Problem] = []
        used = list(dict.fromkeys(rule.extract for rule in model.rules))
        for n, name in enumerate(used):
            rules = [r for r in model.rules if r.extract == name]
            counts, more = _count_extract(con, model.extracts[name], rules, root, n)
            problems += more
            found.update({c.key_id: c for c in counts})
        if problems:
            raise InputError(problems)
        return [found[rule.key_id] for rule in model.rules]
    finally:
        con.close()
