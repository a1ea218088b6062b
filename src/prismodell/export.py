"""Writing the calculation's outputs: the spec's CSV files and the Excel price list.

Everything is first written to a temporary folder beside the output folder and moved into
place only when all files are complete, so a failure never leaves a half-written output.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pandas as pd

from .calculation import FULL_COST_COLUMNS, PriceModelResult
from .inputs import PriceModelInput

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

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise_text(value: object) -> object:
    """A text cell that a spreadsheet would run as a formula gets a leading apostrophe."""
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value


def _neutralise_frame(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.copy()
    for column in frame.columns:
        if not pd.api.types.is_numeric_dtype(frame[column]):
            frame[column] = frame[column].map(neutralise_text)
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
            text = np.char.mod(f"%.{decimals}f", values).astype(object)
            text[np.isnan(values)] = ""
            frame[column] = text
    frame.to_csv(path, index=False, encoding="utf-8", lineterminator="\n")


@contextmanager
def staged_output(out_dir: Path):
    """Yield a temporary folder; on success move its files into ``out_dir``, else discard it."""
    out_dir = Path(out_dir)
    parent = out_dir.resolve().parent
    parent.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", dir=parent))
    try:
        yield stage
        out_dir.mkdir(parents=True, exist_ok=True)
        for item in sorted(stage.iterdir()):
            target = out_dir / item.name
            if target.is_dir() and not item.is_dir():
                raise IsADirectoryError(target)
            os.replace(item, target)
    finally:
        shutil.rmtree(stage, ignore_errors=True)


def write_outputs(
    model: PriceModelInput,
    result: PriceModelResult,
    out_dir: Path,
    workbook_writer: Callable[[PriceModelInput, PriceModelResult, Path], None] | None = None,
) -> list[Path]:
    """Write the CSVs (and the workbook) atomically into ``out_dir``; return the files."""
    written = []
    with staged_output(out_dir) as stage:
        for name, frame in output_tables(result).items():
            write_csv(frame, stage / name)
            written.append(Path(out_dir) / name)
        if workbook_writer is not None:
            workbook_writer(model, result, stage / WORKBOOK_FILE)
            written.append(Path(out_dir) / WORKBOOK_FILE)
    return written
