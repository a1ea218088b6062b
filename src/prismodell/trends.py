"""Multi-year trends: this year's price list beside the earlier years' ones.

Earlier years are the sibling folders of the data folder whose names are years before this
year's ``price_list_year`` (``data/2022`` and ``data/2023`` beside ``data/2024``) and that load
without errors. Each year is calculated by the same rules as this one, so every number of the
trend chapter equals that year's own calculation.

Matching across years is by id: service areas by ``service_area``, keys by ``key_id`` (a key
missing in a year is a gap, NaN), customers by today's ``customer_id`` – an earlier year's
charges of an administration that has since merged or split are moved to today's ids by the
``customer_mapping`` of every later year, in order (see :mod:`prismodell.reorganisation`).

Every table is wide: the id and name columns, then one column per year (named by the year as
text, oldest first). Pure functions apart from :func:`find_years` and :func:`load_years`,
which read the folders.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .calculation import PriceModelResult, calculate
from .inputs import MODEL_FILE, InputError, PriceModelInput, load_input
from .problems import load_yaml
from .reorganisation import apply_mapping_to_charges, mapping_table
from .report_tables import relative_change

_YEAR = re.compile(r"^\d{4}$")
NARRATIVE_DIR = "rapport"  # the report's texts: not part of any trend
PER_VOLUME = 1000  # FTE per this many volume units


@dataclass(frozen=True)
class YearData:
    """One price-list year: its validated input and its calculation."""

    year: int
    model: PriceModelInput
    result: PriceModelResult


# --------------------------------------------------------------------------- the folders


def _current_year(data_dir: Path) -> int | None:
    """This year: ``price_list_year`` of model.yml, else the folder's name if it is a year."""
    try:
        raw, _ = load_yaml((data_dir / MODEL_FILE).read_text(encoding="utf-8"), MODEL_FILE)
        year = raw.get("price_list_year") if isinstance(raw, dict) else None
    except (OSError, UnicodeDecodeError, InputError):
        year = None
    if isinstance(year, int) and not isinstance(year, bool):
        return year
    return int(data_dir.name) if _YEAR.match(data_dir.name) else None


def _candidate_folders(data_dir: Path) -> list[tuple[int, Path]]:
    """Sibling folders named by a year before this year, oldest first (not yet loaded)."""
    data_dir = Path(data_dir).resolve()
    year = _current_year(data_dir)
    if year is None or not data_dir.parent.is_dir():
        return []
    found = [
        (int(p.name), p)
        for p in data_dir.parent.iterdir()
        if p.is_dir() and _YEAR.match(p.name) and int(p.name) < year and p != data_dir
    ]
    return sorted(found)


@dataclass(frozen=True)
class SkippedYear:
    """An earlier year's folder that the trend leaves out, and why (Swedish)."""

    year: int
    folder: Path
    reason: str


def _scan_earlier(
    data_dir: Path,
) -> tuple[list[tuple[int, Path, PriceModelInput]], list[SkippedYear]]:
    models, skipped = [], []
    for year, path in _candidate_folders(data_dir):
        try:
            model = load_input(path)
        except InputError as error:
            # Not an error of this year's report, but never silently left out: the trend
            # chapter says which year is missing and its first problem.
            first = error.problems[0] if error.problems else "okänt fel"
            more = len(error.problems) - 1
            reason = f"datamappen har fel ({first}" + (
                f", och {more} fel till)" if more > 0 else ")"
            )
            skipped.append(SkippedYear(year, path, reason))
            continue
        if model.price_list_year == year:
            models.append((year, path, model))
        else:
            skipped.append(
                SkippedYear(
                    year,
                    path,
                    f"model.yml i mappen anger prislisteåret {model.price_list_year}, inte {year}",
                )
            )
    return models, skipped


def _earlier_models(data_dir: Path) -> list[tuple[int, Path, PriceModelInput]]:
    return _scan_earlier(data_dir)[0]


def skipped_years(data_dir: Path | str) -> list[SkippedYear]:
    """The earlier years' folders beside ``data_dir`` that cannot be part of the trend."""
    return _scan_earlier(Path(data_dir))[1]


def skipped_years_text(skipped: list[SkippedYear]) -> str:
    """A Swedish sentence per year left out of the trend (empty when none), each starting with
    a space so that it can follow the chapter's introduction."""
    return "".join(
        f" Året {s.year} ({s.folder.name}/ bredvid årets datamapp) är inte med i jämförelsen: "
        f"{s.reason}. Rätta mappen och bygg om rapporten."
        for s in skipped
    )


def find_years(data_dir: Path | str) -> list[tuple[int, Path]]:
    """The earlier years beside ``data_dir``: (year, folder), oldest first.

    A sibling folder counts when its name is a year before this year's ``price_list_year``,
    it loads without errors and its own ``price_list_year`` is that year.
    """
    return [(year, path) for year, path, _ in _earlier_models(Path(data_dir))]


def load_years(data_dir: Path | str, model: PriceModelInput | None = None) -> list[YearData]:
    """The earlier years and this one, each calculated; oldest first, this year last."""
    data_dir = Path(data_dir)
    current = model if model is not None else load_input(data_dir)
    years = [YearData(y, m, calculate(m)) for y, _, m in _earlier_models(data_dir)]
    years.append(YearData(current.price_list_year, current, calculate(current)))
    return years


# --------------------------------------------------------------------------- helpers


def year_columns(years: list[YearData]) -> list[str]:
    """The year columns of the trend tables, oldest first."""
    return [str(y.year) for y in years]


def _ordered(items: list[tuple[str, dict]]) -> dict[str, dict]:
    """Rows by id, in order of the latest year first, then ids that only older years have.

    ``items`` are (id, row) pairs from the newest year to the oldest; the newest row wins.
    """
    rows: dict[str, dict] = {}
    for key, row in items:
        rows.setdefault(key, row)
    return rows


def _wide(rows: dict[str, dict], values: dict[str, dict[str, float]], columns: list[str]):
    frame = pd.DataFrame(list(rows.values()))
    for column in columns:
        frame[column] = [values[column].get(key, np.nan) for key in rows]
    return frame


# --------------------------------------------------------------------------- trends


def full_cost_trend(years: list[YearData]) -> pd.DataFrame:
    """Full cost F_s (whole kronor) per service area and year.

    Columns: service_area, name, one per year (NaN where the area did not exist).
    """
    items = []
    values: dict[str, dict[str, float]] = {}
    for y in reversed(years):
        names = dict(
            zip(y.model.service_areas["service_area"], y.model.service_areas["name"], strict=True)
        )
        for area in y.model.service_areas["service_area"]:
            items.append((area, {"service_area": area, "name": names[area]}))
        values[str(y.year)] = dict(
            zip(
                y.result.full_cost["service_area"],
                y.result.full_cost["full_cost"].astype(float),
                strict=True,
            )
        )
    return _wide(_ordered(items), values, year_columns(years))


def unit_price_trend(years: list[YearData]) -> pd.DataFrame:
    """Unit price (kr per unit, rule 8) per key and year; keys matched by ``key_id``.

    Columns: service_area, area_name, key_id, name, one per year (NaN where the key did not
    exist or had no volume that year).
    """
    items = []
    values: dict[str, dict[str, float]] = {}
    for y in reversed(years):
        for key in y.model.keys.itertuples():
            items.append(
                (
                    key.key_id,
                    {"service_area": key.service_area, "key_id": key.key_id, "name": key.name},
                )
            )
        prices = y.result.unit_prices
        values[str(y.year)] = dict(zip(prices["key_id"], prices["unit_price"], strict=True))
    rows = _ordered(items)
    frame = _wide(rows, values, year_columns(years))
    areas = full_cost_trend(years)
    area_names = dict(zip(areas["service_area"], areas["name"], strict=True))
    frame.insert(1, "area_name", frame["service_area"].map(area_names))
    # keys grouped by service area, in the order the areas appear
    areas = list(dict.fromkeys(frame["service_area"]))
    order = frame["service_area"].map({a: i for i, a in enumerate(areas)})
    return frame.iloc[np.argsort(order.to_numpy(), kind="stable")].reset_index(drop=True)


def reference_keys(years: list[YearData]) -> dict[str, str]:
    """The volume unit of each service area: its key with the largest weight in the latest
    year that has the area (the first such key on a tie)."""
    chosen: dict[str, str] = {}
    for y in reversed(years):
        for area, keys in y.model.keys.groupby("service_area", sort=False):
            if area not in chosen:
                chosen[area] = keys.loc[keys["weight"].idxmax(), "key_id"]
    return chosen


def fte_per_volume_trend(years: list[YearData], per: int = PER_VOLUME) -> pd.DataFrame:
    """FTEs of a service area per ``per`` units of its reference key's volume, per year.

    The volume unit is the area's key with the largest weight (see :func:`reference_keys`),
    the same key in every year; the FTEs are the area's own (internal overhead excluded).
    Columns: service_area, name, key_id, key_name, one per year (NaN where the area or the
    key did not exist or the key had no volume).
    """
    reference = reference_keys(years)
    key_names: dict[str, str] = {}
    for y in reversed(years):
        for key in y.model.keys.itertuples():
            key_names.setdefault(key.key_id, key.name)
    trend = full_cost_trend(years)[["service_area", "name"]]
    trend["key_id"] = trend["service_area"].map(reference)
    trend["key_name"] = trend["key_id"].map(key_names)
    for y in years:
        fte = y.result.full_cost.set_index("service_area")["fte"]
        volume = y.result.unit_prices.set_index("key_id")["total_volume"]
        column = []
        for area, key in zip(trend["service_area"], trend["key_id"], strict=True):
            units = float(volume.get(key, 0.0)) / per
            column.append(float(fte[area]) / units if area in fte and units > 0 else np.nan)
        trend[str(y.year)] = column
    return trend


def _charges_today(years: list[YearData], index: int) -> pd.DataFrame:
    """Year ``index``'s price list moved to today's ids by every later year's mapping."""
    charges = years[index].result.price_list
    for later in years[index + 1 :]:
        charges = apply_mapping_to_charges(charges, later.model.customer_mapping)
    return charges


def customer_charge_trend(years: list[YearData]) -> pd.DataFrame:
    """Each customer's total charge (all service areas, kronor) per year, on today's ids.

    Earlier years' charges of merged or split administrations are moved to today's ids with
    the later years' customer mappings, so a merged district's history is the sum of its
    predecessors'. Rows: this year's customers in customers.csv order, then customers of
    earlier years only. Columns: customer_id, name, type, one per year (NaN: no charge).
    """
    items = []
    for y in reversed(years):
        for c in y.model.customers.itertuples():
            items.append(
                (c.customer_id, {"customer_id": c.customer_id, "name": c.name, "type": c.type})
            )
    values: dict[str, dict[str, float]] = {}
    charged: set[str] = set()
    for i, y in enumerate(years):
        totals = _charges_today(years, i).groupby("customer_id")["amount"].sum()
        values[str(y.year)] = totals.astype(float).to_dict()
        charged |= set(totals.index)
    rows = {k: v for k, v in _ordered(items).items() if k in charged}
    for customer in sorted(charged - set(rows)):  # charged but in no customers.csv any more
        rows[customer] = {"customer_id": customer, "name": customer, "type": ""}
    return _wide(rows, values, year_columns(years))


# --------------------------------------------------------------------------- for display


def with_change(frame: pd.DataFrame, years: list[YearData]) -> pd.DataFrame:
    """``frame`` with a column ``change``: the last year against the year before (a share)."""
    frame = frame.copy()
    if len(years) < 2:
        frame["change"] = np.nan
        return frame
    last, before = str(years[-1].year), str(years[-2].year)
    frame["change"] = relative_change(frame[last], frame[before])
    return frame


def with_total_row(frame: pd.DataFrame, years: list[YearData], label_column: str = "name"):
    """``frame`` with a total row per year (a year with a gap sums what it has)."""
    columns = year_columns(years)
    total = {c: None for c in frame.columns}
    total[label_column] = "Totalt"
    for column in columns:
        total[column] = frame[column].sum(min_count=1)
    table = pd.concat([frame, pd.DataFrame([total])], ignore_index=True)
    if "change" in table and len(columns) > 1:
        last, before = (
            table.at[table.index[-1], columns[-1]],
            table.at[table.index[-1], columns[-2]],
        )
        change = relative_change(last, before)
        table.at[table.index[-1], "change"] = np.nan if change is None else change
    return table


def trend_summary(years: list[YearData]) -> dict[str, float | int | str | None]:
    """Headline numbers of the chapter: first and last year, total full cost in each, the
    change over the whole span and over the last year (shares; None without a year to compare
    with or when it was 0 kr)."""
    totals = [float(y.result.total_full_cost) for y in years]
    summary: dict[str, float | int | str | None] = {
        "first_year": years[0].year,
        "last_year": years[-1].year,
        "year_count": len(years),
        "first_total": totals[0],
        "last_total": totals[-1],
        "change_span": relative_change(totals[-1], totals[0]),
        "change_last": relative_change(totals[-1], totals[-2]) if len(totals) > 1 else None,
    }
    return summary


def mapped_customers(years: list[YearData]) -> pd.DataFrame:
    """The reorganisations the customer trend applies: (year, from_customer_id,
    to_customer_id, share) of every loaded year's customer mapping."""
    frames = [
        y.model.customer_mapping.assign(year=y.year)
        for y in years
        if y.model.customer_mapping is not None
    ]
    columns = ["year", "from_customer_id", "to_customer_id", "share"]
    if not frames:
        return pd.DataFrame(columns=columns)
    return pd.concat(frames, ignore_index=True)[columns]


def reorganisation_table(years: list[YearData]) -> pd.DataFrame | None:
    """The reorganisations behind the customer trend, for display: year, tidigare kund, ny
    kund, andel – old customers by the name they had in the latest year that knew them."""
    mapped = mapped_customers(years)
    if mapped.empty:
        return None
    names: dict[str, str] = {}
    for y in reversed(years):
        for c in y.model.customers.itertuples():
            names.setdefault(c.customer_id, c.name)
    table = mapping_table(mapped, names)
    table.insert(0, "year", mapped["year"].astype(str).to_numpy())
    return table
