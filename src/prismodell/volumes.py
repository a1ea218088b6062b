"""``prismodell volumes``: the year's volumes from the source systems' extracts, and a report
on their quality.

The counts per organisation code (:mod:`prismodell.extract_engine`) become volumes per
customer through ``org_mapping.csv``; ``customer_mapping.csv`` then moves merged or split
administrations to today's ids (:mod:`prismodell.reorganisation`). The quality report lists
what the analyst should look at before using the volumes: rows outside the period, unknown
organisation codes, repeated transaction ids, missing and negative values, customers with
volume last year but none this year, and each key's total against last year's (the previous
year's folder beside the data folder), changes beyond ±25 % flagged.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .extract_engine import KeyCounts, count_volumes
from .extracts import (
    ORG_MAPPING,
    VolumeInput,
    extracts_fingerprint,
    has_extracts,
    load_volume_input,
)
from .inputs import InputError, PriceModelInput, load_input
from .reorganisation import apply_mapping

VOLUMES_FILE = "volumes.csv"
QUALITY_FILE = "volume_quality.csv"
WORKBOOK_FILE = "volymer.xlsx"
CHANGE_LIMIT = 0.25  # a key's total changing more than this against last year is flagged
LIMIT_TEXT = f"±{CHANGE_LIMIT * 100:.0f} %"  # as a Swedish reader writes it
QUALITY_COLUMNS = [
    "check",
    "key_id",
    "extract",
    "org_code",
    "customer_id",
    "rows",
    "volume",
    "previous_volume",
    "change",
    "flagged",
    "description",
]
# The checks, in the order the report lists them, with their Swedish headings.
CHECKS = {
    "utanfor_perioden": "Rader utanför perioden",
    "okand_organisationskod": "Organisationskoder utan kund",
    "dubbletter": "Upprepade transaktions-id",
    "saknat_varde": "Rader med saknade värden",
    "negativt_varde": "Negativa värden",
    "nyckel_utan_volym": "Nycklar med vikt men utan volym",
    "ingen_volym_i_ar": "Kunder utan volym i år som hade volym förra året",
    "total_mot_forra_aret": "Nyckelns total mot förra året",
    "forra_aret_olasbart": "Förra årets datamapp kunde inte läsas",
}


@dataclass(frozen=True)
class VolumeRun:
    """The volumes counted from the extracts and what was found on the way."""

    model: VolumeInput
    volumes: pd.DataFrame  # customer_id, key_id, volume (the data contract's volumes.csv)
    quality: pd.DataFrame  # QUALITY_COLUMNS
    totals: pd.DataFrame  # key_id, name, source, volume, previous_volume, change, flagged
    previous_year: int | None  # the year compared with (None: no previous folder found)


# --------------------------------------------------------------------------- pure steps


def customer_volumes(
    counts: list[KeyCounts], model: VolumeInput
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Volumes per customer and key on today's ids, and the counts of unmapped codes.

    Returns (volumes: customer_id, key_id, volume; unmapped: key_id, extract, org_code, rows,
    volume). Only positive volumes are rows of volumes.csv.
    """
    frames, unmapped = [], []
    for item in counts:
        source = model.extracts[item.extract].source
        codes = model.org_mapping.loc[model.org_mapping["source"] == source]
        by_org = item.by_org[item.by_org["org_code"].notna()]
        merged = by_org.merge(
            codes[["org_code", "customer_id"]], on="org_code", how="left", sort=False
        )
        lost = merged[merged["customer_id"].isna()]
        unmapped.append(
            lost.assign(key_id=item.key_id, extract=item.extract)[
                ["key_id", "extract", "org_code", "rows", "volume"]
            ]
        )
        found = merged[merged["customer_id"].notna()]
        frames.append(
            found.groupby("customer_id", sort=False, as_index=False)["volume"]
            .sum()
            .assign(key_id=item.key_id)
        )
    volumes = pd.concat(frames, ignore_index=True)[["customer_id", "key_id", "volume"]]
    volumes["volume"] = volumes["volume"].astype(float)
    volumes = apply_mapping(volumes, model.customer_mapping)
    return order_volumes(volumes[volumes["volume"] > 0], model), pd.concat(
        unmapped, ignore_index=True
    )


def order_volumes(volumes: pd.DataFrame, model: VolumeInput) -> pd.DataFrame:
    """customers.csv's order, then the keys' order in model.yml (as a data folder lists them)."""
    customer_rank = {c: i for i, c in enumerate(model.customers["customer_id"])}
    key_rank = {k: i for i, k in enumerate(model.keys["key_id"])}
    ranked = volumes.assign(
        _c=volumes["customer_id"].map(customer_rank).fillna(len(customer_rank)),
        _k=volumes["key_id"].map(key_rank),
    )
    ranked = ranked.sort_values(["_c", "customer_id", "_k"], kind="stable")
    return ranked[["customer_id", "key_id", "volume"]].reset_index(drop=True)


def key_totals(
    volumes: pd.DataFrame, previous: pd.DataFrame | None, model: VolumeInput
) -> pd.DataFrame:
    """Each key's total this year and last year; changes beyond ±CHANGE_LIMIT flagged."""
    keys = model.keys[["key_id", "name", "source"]].copy()
    keys["volume"] = keys["key_id"].map(volumes.groupby("key_id")["volume"].sum()).fillna(0.0)
    if previous is None:
        keys["previous_volume"] = np.nan
    else:
        keys["previous_volume"] = keys["key_id"].map(previous.groupby("key_id")["volume"].sum())
    previous_total = keys["previous_volume"].where(keys["previous_volume"] > 0)
    keys["change"] = keys["volume"] / previous_total - 1
    keys["flagged"] = keys["change"].abs() > CHANGE_LIMIT
    return keys.reset_index(drop=True)


def rows_text(n: int) -> str:
    """'1 rad', '12 rader', '1 234 rader'."""
    from .style import format_number, plain_spaces

    return plain_spaces(format_number(n)) + (" rad" if n == 1 else " rader")


def _row(check: str, description: str, **values) -> dict:
    return {"check": check, "flagged": True, "description": description, **values}


def quality_table(
    counts: list[KeyCounts],
    unmapped: pd.DataFrame,
    volumes: pd.DataFrame,
    previous: pd.DataFrame | None,
    totals: pd.DataFrame,
    model: VolumeInput,
) -> pd.DataFrame:
    """The findings, one row each (QUALITY_COLUMNS), in the order of CHECKS."""
    rows: list[dict] = []
    for item in counts:
        extract = model.extracts[item.extract]
        by_org = item.by_org
        period = f"{extract.period[0]} – {extract.period[1]}"
        outside = int(by_org["outside"].sum())
        if outside:
            rows.append(
                _row(
                    "utanfor_perioden",
                    f"{rows_text(outside)} med datum utanför perioden {period} räknas inte.",
                    key_id=item.key_id,
                    extract=item.extract,
                    rows=outside,
                )
            )
    for item in unmapped.itertuples():
        rows.append(
            _row(
                "okand_organisationskod",
                f"Koden finns inte i {ORG_MAPPING}.csv för {model.extracts[item.extract].source}"
                f"; {rows_text(int(item.rows))} räknas inte. Lägg till koden med rätt kund.",
                key_id=item.key_id,
                extract=item.extract,
                org_code=item.org_code,
                rows=int(item.rows),
                volume=float(item.volume),
            )
        )
    reported: set[str] = set()
    for item in counts:
        if item.duplicates and item.extract not in reported:
            reported.add(item.extract)  # the ids are the extract's, not one key's
            column = model.extracts[item.extract].transaction_id
            rows.append(
                _row(
                    "dubbletter",
                    f"{rows_text(item.duplicates)} i perioden med ett {column} som redan "
                    "förekommit för samma organisationskod (dubbletter i uttaget).",
                    extract=item.extract,
                    rows=item.duplicates,
                )
            )
    for item in counts:
        missing = int(item.by_org["missing"].sum())
        if missing:
            rows.append(
                _row(
                    "saknat_varde",
                    f"{rows_text(missing)} utan organisationskod, datum eller det värde som "
                    "räknas räknas inte.",
                    key_id=item.key_id,
                    extract=item.extract,
                    rows=missing,
                )
            )
    for item in counts:
        negative = int(item.by_org["negative"].sum())
        if negative:
            rows.append(
                _row(
                    "negativt_varde",
                    f"{rows_text(negative)} med negativt värde räknas inte. Rätta i källsystemet "
                    "om de är korrigeringar som ska dras av.",
                    key_id=item.key_id,
                    extract=item.extract,
                    rows=negative,
                )
            )
    from .style import format_percent, plain_spaces

    counted = set(volumes["key_id"])
    for key in model.keys.itertuples():
        if key.weight > 0 and key.key_id not in counted:
            rows.append(
                _row(
                    "nyckel_utan_volym",
                    f"Nyckeln har vikten {plain_spaces(format_percent(key.weight, 0))} men ingen "
                    "volym hos någon kund, så "
                    "prismodell calculate stoppar. Kontrollera uttaget och org_mapping.csv.",
                    key_id=key.key_id,
                    extract=next(r.extract for r in model.rules if r.key_id == key.key_id),
                )
            )
    if previous is not None:
        had = previous[previous["volume"] > 0]
        now = set(zip(volumes["customer_id"], volumes["key_id"], strict=True))
        for item in order_volumes(had, model).itertuples():
            if (item.customer_id, item.key_id) not in now:
                rows.append(
                    _row(
                        "ingen_volym_i_ar",
                        "Kunden hade volym på nyckeln förra året men har ingen i år.",
                        key_id=item.key_id,
                        customer_id=item.customer_id,
                        volume=0.0,
                        previous_volume=float(item.volume),
                    )
                )
        for item in totals.itertuples():
            rows.append(
                {
                    "check": "total_mot_forra_aret",
                    "key_id": item.key_id,
                    "volume": item.volume,
                    "previous_volume": item.previous_volume,
                    "change": item.change,
                    "flagged": bool(item.flagged),
                    "description": (
                        f"Förändringen är större än {LIMIT_TEXT}. Kontrollera uttaget."
                        if item.flagged
                        else ""
                    ),
                }
            )
    frame = pd.DataFrame(rows, columns=QUALITY_COLUMNS)
    frame["rows"] = frame["rows"].astype("Int64")
    frame["flagged"] = frame["flagged"].astype(bool)
    return frame


# --------------------------------------------------------------------------- the run


def previous_volumes(
    model: VolumeInput,
) -> tuple[int | None, pd.DataFrame | None, pd.DataFrame | None]:
    """Last year's volumes (the folder of the year before, beside this one) on today's ids:
    (year, volumes, None); (None, None, None) without such a folder; and (None, None, a
    quality row) when it exists but does not load – the comparison is a check, not a reason
    to stop.
    """
    year = model.price_list_year - 1
    folder = Path(model.data_dir).resolve().parent / str(year)
    if not folder.is_dir():
        return None, None, None
    try:
        earlier: PriceModelInput = load_input(folder)
    except InputError as error:
        return None, None, _unreadable(folder, error)
    return year, apply_mapping(earlier.volumes, model.customer_mapping), None


def _unreadable(folder: Path, error: InputError) -> pd.DataFrame:
    """The quality row saying why there is no comparison with last year."""
    return pd.DataFrame(
        [
            _row(
                "forra_aret_olasbart",
                f"{folder.name}/ har {len(error.problems)} fel i indata, så årets volymer "
                f"jämförs inte med förra årets. Kör prismodell calculate på {folder.name}/ "
                "för att se dem.",
            )
        ],
        columns=QUALITY_COLUMNS,
    )


def run_volumes(data_dir: Path | str) -> VolumeRun:
    """Count the volumes of a data folder from its extracts. Raises InputError on bad input."""
    model = load_volume_input(data_dir)
    counts = count_volumes(model)
    volumes, unmapped = customer_volumes(counts, model)
    year, previous, note = previous_volumes(model)
    totals = key_totals(volumes, previous, model)
    quality = quality_table(counts, unmapped, volumes, previous, totals, model)
    if note is not None:
        quality = pd.concat([quality, note.astype(quality.dtypes)], ignore_index=True)
    return VolumeRun(model, volumes, quality, totals, year)


# --------------------------------------------------------------------------- writing


def _volume_text(series: pd.Series) -> pd.Series:
    """Counts print as integers; a summed decimal keeps up to 6 decimals (no float noise)."""
    return series.map(lambda v: f"{float(v):.6f}".rstrip("0").rstrip("."))


def write_volume_outputs(run: VolumeRun, stage: Path) -> list[Path]:
    """Write volumes.csv, volume_quality.csv and volymer.xlsx into ``stage`` (a folder whose
    files the caller moves into place when all are written); return the files written."""
    from .export import write_csv

    stage = Path(stage)
    volumes = run.volumes.assign(volume=_volume_text(run.volumes["volume"]))
    write_csv(volumes, stage / VOLUMES_FILE)
    quality = run.quality.copy()
    for column in ("volume", "previous_volume"):
        present = quality[column].notna()
        quality[column] = quality[column].astype(object)
        quality.loc[present, column] = _volume_text(quality.loc[present, column])
    write_csv(quality, stage / QUALITY_FILE)
    write_volume_workbook(run, stage / WORKBOOK_FILE)
    return [stage / VOLUMES_FILE, stage / QUALITY_FILE, stage / WORKBOOK_FILE]


def write_volumes(run: VolumeRun, out_dir: Path, data_dir: Path | None = None) -> list[Path]:
    """All outputs into ``out_dir`` as a unit (see :mod:`prismodell.output_folder`)."""
    from .output_folder import output_folder

    with output_folder(out_dir, data_dir) as stage:
        names = [p.name for p in write_volume_outputs(run, stage)]
    return [Path(out_dir) / name for name in names]


def write_volume_workbook(run: VolumeRun, path: Path) -> None:
    """volymer.xlsx: the volumes per customer and key, the totals against last year and the
    quality findings, in the house style of prislista.xlsx."""
    from . import style
    from .workbook import Book

    model = run.model
    subtitle = f"Prislista {model.price_list_year}. Volymperiod {model.volume_period[0]} – " + (
        f"{model.volume_period[1]}."
    )
    if model.example_data:
        subtitle += f" {style.XLSX_EXAMPLE_DATA}"
    names = dict(zip(model.customers["customer_id"], model.customers["name"], strict=True))
    key_names = dict(zip(model.keys["key_id"], model.keys["name"], strict=True))
    with Book(path, f"Volymer {model.price_list_year}") as book:
        _volume_sheets(book, run, subtitle, names, key_names)


def _volume_sheets(book, run: VolumeRun, subtitle: str, names: dict, key_names: dict) -> None:
    from . import style
    from .workbook import Col, write_sheet

    volumes = run.volumes.assign(
        customer=run.volumes["customer_id"].map(names).fillna(run.volumes["customer_id"]),
        key=run.volumes["key_id"].map(key_names),
    )
    write_sheet(
        book,
        "Volymer",
        "Volymer per kund och fördelningsnyckel",
        subtitle,
        [
            Col("Kund", "customer", width=40),
            Col("customer_id", "customer_id", width=28),
            Col("Nyckel", "key", width=36),
            Col("key_id", "key_id", width=28),
            Col("Volym", "volume", style.XLSX_NUMBER, 14),
        ],
        volumes,
        note="Samma volymer som volumes.csv, efter org_mapping och customer_mapping.",
    )
    compared = f" mot {run.previous_year}" if run.previous_year else ""
    write_sheet(
        book,
        "Per nyckel",
        f"Volym per nyckel{compared}",
        subtitle,
        [
            Col("Nyckel", "name", width=36),
            Col("key_id", "key_id", width=28),
            Col("Källa", "source", width=12),
            Col("Volym", "volume", style.XLSX_NUMBER, 14),
            Col("Förra året", "previous_volume", style.XLSX_NUMBER, 14),
            Col("Förändring", "change", style.XLSX_PERCENT, 12),
            Col(f"Över {LIMIT_TEXT}", "flagged_text", width=12),
        ],
        run.totals.assign(flagged_text=run.totals["flagged"].map({True: "Ja", False: ""})),
    )
    quality = run.quality.assign(
        check_text=run.quality["check"].map(CHECKS),
        flagged_text=run.quality["flagged"].map({True: "Ja", False: ""}),
    )
    write_sheet(
        book,
        "Datakvalitet",
        "Datakvalitet i uttagen",
        subtitle,
        [
            Col("Kontroll", "check_text", width=36),
            Col("key_id", "key_id", width=26),
            Col("Uttag", "extract", width=20),
            Col("Org.kod", "org_code", width=12),
            Col("customer_id", "customer_id", width=26),
            Col("Rader", "rows", style.XLSX_NUMBER, 10),
            Col("Volym", "volume", style.XLSX_NUMBER, 12),
            Col("Förra året", "previous_volume", style.XLSX_NUMBER, 12),
            Col("Förändring", "change", style.XLSX_PERCENT, 12),
            Col("Att se över", "flagged_text", width=10),
            Col("Beskrivning", "description", width=70),
        ],
        quality.astype({"rows": object}).where(quality.notna(), None),
    )


# --------------------------------------------------------------------------- the book


def chapter_intro(run: VolumeRun | None, problems: list[str] | None = None) -> str:
    """The chapter's opening paragraphs (MyST Markdown, every number computed)."""
    from .style import format_number, md_escape

    if problems:
        return "\n".join(
            [
                md_escape(
                    "Källsystemens uttag kunde inte läsas, så volymerna kan inte kontrolleras "
                    "här. Analytikern behöver rätta följande och räkna om volymerna:"
                ),
                "",
                *(f"- {md_escape(p)}" for p in problems),
            ]
        )
    if run is None:
        return md_escape(
            "Årets volymer är inlästa som färdiga tal per kund och nyckel, utan källsystemens "
            "uttag, så det finns ingen kontroll av uttagen att redovisa."
        )
    model = run.model
    sources = sorted({e.source for e in model.extracts.values()})
    overrides = [e for e in model.extracts.values() if e.period != model.volume_period]
    findings = run.quality[run.quality["check"] != "total_mot_forra_aret"]
    parts = [
        f"Volymerna för de {len(run.totals)} fördelningsnycklarna är framräknade med "
        f"uttag från {_join(sources)} för volymperioden "
        f"{model.volume_period[0]} – {model.volume_period[1]}. Organisationskoderna i "
        "uttagen är kopplade till kunder med en kodtabell per källsystem"
        + (
            " och sammanslagna förvaltningar är flyttade till dagens kunder enligt "
            "omorganisationen."
            if model.customer_mapping is not None
            else "."
        )
    ]
    for extract in overrides:
        parts.append(
            f"Uttaget {extract.name} ({extract.source}) avser perioden {extract.period[0]} – "
            f"{extract.period[1]}."
        )
    if run.previous_year is None:
        parts.append(
            "Det finns ingen läsbar datamapp för förra året bredvid årets, så nycklarnas "
            "totaler kan inte jämföras med förra årets."
        )
    else:
        flagged = run.totals[run.totals["flagged"]]
        limit = LIMIT_TEXT.replace(" ", "\u00a0")
        if flagged.empty:
            parts.append(
                f"Ingen nyckels total skiljer sig mer än {limit} från {run.previous_year}."
            )
        else:
            parts.append(
                f"{len(flagged)} av {len(run.totals)} nycklar skiljer sig mer än {limit} från "
                f"{run.previous_year}: {_join(list(flagged['name']))}. Kontrollera deras uttag "
                "innan volymerna används."
            )
    parts.append(
        "Kontrollerna av uttagen gav inga anmärkningar."
        if findings.empty
        else f"Kontrollerna av uttagen gav {format_number(len(findings))} anmärkningar; de "
        "redovisas nedan och i kvalitetsrapporten. Rader som inte räknas påverkar inte "
        "volymerna."
    )
    return md_escape(" ".join(parts))


def _join(items: list[str]) -> str:
    from .report_tables import join_sv

    return join_sv(list(items))


TOTALS_HEADERS = {
    "area": "Tjänsteområde",
    "name": "Nyckel",
    "source": "Källa",
    "volume": "Volym",
    "previous_volume": "Förra året",
    "change": "Förändring",
    "flagged_text": f"Över {LIMIT_TEXT}".replace(" %", "\u00a0%"),
}
TOTALS_FORMATS = {"volume": "number", "previous_volume": "number", "change": "change"}
FINDINGS_HEADERS = {
    "check": "Kontroll",
    "key": "Nyckel",
    "where": "Var",
    "rows": "Rader",
    "description": "Beskrivning",
}
FINDINGS_FORMATS = {"rows": "number"}


def totals_table(run: VolumeRun) -> pd.DataFrame:
    """Each key's total against last year, for the chapter."""
    columns = ["area", "name", "source", "volume", "previous_volume", "change", "flagged_text"]
    if run.previous_year is None:
        columns = columns[:4]
    model = run.model
    areas = dict(zip(model.service_areas["service_area"], model.service_areas["name"], strict=True))
    key_areas = dict(zip(model.keys["key_id"], model.keys["service_area"], strict=True))
    return run.totals.assign(
        area=run.totals["key_id"].map(key_areas).map(areas),
        flagged_text=run.totals["flagged"].map({True: "Ja", False: ""}),
    )[columns]


def findings_table(run: VolumeRun) -> pd.DataFrame:
    """The findings (not the totals), by check, with names instead of ids."""
    findings = run.quality[run.quality["check"] != "total_mot_forra_aret"]
    keys = dict(zip(run.model.keys["key_id"], run.model.keys["name"], strict=True))
    customers = dict(
        zip(run.model.customers["customer_id"], run.model.customers["name"], strict=True)
    )

    def where(row) -> str:
        if isinstance(row.customer_id, str):
            return customers.get(row.customer_id, row.customer_id)
        place = f"uttaget {row.extract}" if isinstance(row.extract, str) else ""
        if isinstance(row.org_code, str):
            place += f", kod {row.org_code}"
        return place

    return pd.DataFrame(
        {
            "check": findings["check"].map(CHECKS),
            "key": [keys.get(k, "") if isinstance(k, str) else "" for k in findings["key_id"]],
            "where": [where(r) for r in findings.itertuples()],
            "rows": findings["rows"].astype(float),
            "description": findings["description"],
        }
    )


def load_chapter(data_dir: Path | str) -> tuple[VolumeRun | None, list[str]]:
    """The run for the chapter and the problems that stopped it (none: empty). No run and no
    problems when the folder has no extracts.yml. The book is about the price list, which
    uses volumes.csv: extracts that cannot be read are reported in the chapter, not fatal."""
    if not has_extracts(data_dir):
        return None, []
    # Read every extract once in Python: a book build records the files a chapter opens, and
    # DuckDB's own reads are invisible to it.
    extracts_fingerprint(data_dir)
    try:
        return run_volumes(data_dir), []
    except InputError as error:
        return None, [str(p) for p in error.problems]


def volume_report(run: VolumeRun) -> str:
    """The terminal summary of a run (Swedish, plain spaces)."""
    from .style import format_number, format_percent, plain_spaces

    model = run.model
    lines = [
        f"Volymer för prislista {model.price_list_year} (volymperiod {model.volume_period[0]} – "
        f"{model.volume_period[1]})" + (" – EXEMPELDATA" if model.example_data else ""),
        "Total per nyckel"
        + (
            f" mot {run.previous_year}:"
            if run.previous_year
            else " (inget förra år att jämföra med):"
        ),
    ]
    width = max(len(k) for k in run.totals["key_id"]) + 2
    for row in run.totals.itertuples():
        change = "" if pd.isna(row.change) else format_percent(row.change, signed=True)
        mark = f"  ← över {LIMIT_TEXT}" if row.flagged else ""
        lines.append(
            plain_spaces(
                f"  {row.key_id:<{width}}{format_number(row.volume):>14}  {change:>9}{mark}"
            )
        )
    findings = run.quality[run.quality["flagged"]]
    lines.append(f"Datakvalitet: {len(findings)} saker att se över (se volume_quality.csv):")
    for check, group in findings.groupby("check", sort=False):
        lines.append(f"  {CHECKS[check]}: {len(group)}")
    return "\n".join(lines)
