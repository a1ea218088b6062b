"""Writing the calculation's outputs: the spec's CSV files and the Excel price list.

The whole set is written to a staging folder beside the output folder and swapped in as a
unit (:mod:`prismodell.output_folder`), so a failure never leaves a half-written or mixed
output. Every text cell is neutralised against formula injection.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from .calculation import FULL_COST_COLUMNS, PriceModelResult
from .inputs import PriceModelInput
from .output_folder import output_folder

OUTPUT_FILES = (
    "full_cost.csv",
    "price_list.csv",
    "allocation.csv",
    "unit_prices.csv",
    "hourly_rates.csv",
)
COMPARISON_FILE = "comparison.csv"
DEDICATED_FILE = "dedicated_services.csv"
DEDICATED_OUTPUT_COLUMNS = ["service_area", "service_id", "customer_id", "fte", "amount"]
WORKBOOK_FILE = "prislista.xlsx"

# OWASP's CSV-injection list, with the full-width forms some spreadsheets also accept.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")
# Characters XML 1.0 cannot hold (so no xlsx can): replaced by U+FFFD, visibly.
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def neutralise_text(value: object) -> object:
    """A text cell made safe to open: characters XML cannot hold become U+FFFD, and text a
    spreadsheet would run as a formula gets a leading apostrophe. Other values pass."""
    if not isinstance(value, str):
        return value
    value = _XML_ILLEGAL.sub("\ufffd", value)
    return "'" + value if value.startswith(_FORMULA_STARTS) else value


def neutralise_column(series: pd.Series) -> pd.Series:
    """:func:`neutralise_text` over a column, computed once per distinct value (a million
    allocation rows have only a few thousand distinct ids and names)."""
    if pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series):
        return series
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    uniques = np.asarray(uniques, dtype=object)
    cleaned = [neutralise_text(v) for v in uniques]
    if cleaned == list(uniques):
        return series  # nothing to change: keep the column (and its dtype) as it is
    values = np.array([*cleaned, None], dtype=object)  # code -1 (missing) takes the None
    return pd.Series(values.take(codes), index=series.index, name=series.name)


def _neutralise_frame(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.copy()
    for column in frame.columns:
        values = frame[column]
        cleaned = neutralise_column(values)
        if cleaned is not values:  # usually nothing changed: skip pandas' assignment
            frame[column] = cleaned
    return frame


def _integral(series: pd.Series) -> pd.Series:
    """Volumes and FTEs print as integers when they are whole (30000, not 30000.0)."""
    if (series.dropna() % 1 == 0).all():
        return series.astype("int64") if series.notna().all() else series.astype("Int64")
    return series


def output_tables(result: PriceModelResult) -> dict[str, pd.DataFrame]:
    """The spec's output tables with their exact columns and roundings, by file name."""
    full_cost = result.full_cost[FULL_COST_COLUMNS].copy()
    for column in ["personnel", "administration_overhead", "internal_overhead", "other_costs"]:
        full_cost[column] = full_cost[column].round(2)
    full_cost["fte"] = _integral(full_cost["fte"].round(6))

    allocation = result.allocation.copy()
    allocation["volume"] = _integral(allocation["volume"])
    allocation["share"] = allocation["share"].round(6)
    allocation["amount"] = allocation["amount"].round(2)

    unit = result.unit_prices.copy()
    unit["pool"] = unit["pool"].round(2)
    unit["total_volume"] = _integral(unit["total_volume"])
    unit["unit_price"] = unit["unit_price"].round(4)

    tables = {
        "full_cost.csv": full_cost,
        "price_list.csv": result.price_list,
        "allocation.csv": allocation,
        "unit_prices.csv": unit,
        "hourly_rates.csv": result.hourly_rates,
    }
    if result.dedicated_services is not None:
        dedicated = result.dedicated_services[DEDICATED_OUTPUT_COLUMNS].copy()
        dedicated["fte"] = _integral(dedicated["fte"].round(6))
        dedicated["amount"] = dedicated["amount"].round(2)
        tables[DEDICATED_FILE] = dedicated
    if result.comparison is not None:
        comparison = result.comparison.by_customer_area.copy()
        comparison["change"] = comparison["change"].round(6)
        tables[COMPARISON_FILE] = comparison
    return tables


# Decimals each float column is written with (the spec: amounts 2, unit prices 4).
CSV_DECIMALS = {
    "fte": 2,
    "personnel": 2,
    "administration_overhead": 2,
    "internal_overhead": 2,
    "other_costs": 2,
    "share": 6,
    "amount": 2,
    "pool": 2,
    "unit_price": 4,
    "previous": 2,
    "new": 2,
    "difference": 2,
    "change": 6,
}


def write_csv(frame: pd.DataFrame, path: Path) -> None:
    frame = _neutralise_frame(frame)
    for column, decimals in CSV_DECIMALS.items():
        if column in frame and pd.api.types.is_float_dtype(frame[column]):
            values = frame[column].to_numpy(dtype=float)
            pattern = f"%.{decimals}f"
            # The same printf formatting as np.char.mod, three times faster on a million rows.
            text = np.array([pattern % v for v in values.tolist()], dtype=object)
            text[np.isnan(values)] = ""
            frame[column] = text
    frame.to_csv(path, index=False, encoding="utf-8", lineterminator="\n")


def write_outputs(
    model: PriceModelInput,
    result: PriceModelResult,
    out_dir: Path,
    workbook_writer: Callable[[PriceModelInput, PriceModelResult, Path], None] | None = None,
    data_dir: Path | None = None,
) -> list[Path]:
    """Write the CSVs (and the workbook) into ``out_dir``, replacing its whole earlier set
    (see :mod:`prismodell.output_folder`); return the files."""
    written = []
    with output_folder(out_dir, data_dir) as stage:
        for name, frame in output_tables(result).items():
            write_csv(frame, stage / name)
            written.append(Path(out_dir) / name)
        if workbook_writer is not None:
            workbook_writer(model, result, stage / WORKBOOK_FILE)
            written.append(Path(out_dir) / WORKBOOK_FILE)
    return written
