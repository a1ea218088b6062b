"""The invoice basis (fakturaunderlag) of a price-list year: seed section 8, spec rule 11.

Base services: one invoice per customer a year in advance, on the base invoice date of
:mod:`billing` (the first working day of January unless ``billing.month`` says otherwise), one
line per service area at the price list's amount; the lines sum to the price list to the krona.

Hourly call-offs and add-on services (the optional ``calloffs.csv``): invoiced monthly in
arrears, on the first working day of the following month. The call-offs of a customer, month,
kind, service area, staff category, description and unit price are one line. Hourly lines are
priced at the year's hourly rates (rule 9). Rounding: the line's quantity (hundredths) times
its unit price (öre) is exact in integers, and is rounded once, half up, to whole kronor.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd

from . import style
from .billing import MONTHS_SV, arrears_schedule, base_invoice_date
from .calculation import PriceModelResult, hourly_rates
from .export import write_csv
from .inputs import CALLOFF_DECIMALS, PriceModelInput
from .report_tables import staff_category_label
from .workbook import Book, Col, write_sheet  # the price list's house-style sheet

KINDS = ("bastjanst", "timavrop", "tillaggstjanst")
KIND_LABELS = {
    "bastjanst": "Bastjänster",
    "timavrop": "Timavrop",
    "tillaggstjanst": "Tilläggstjänster",
}
LINE_COLUMNS = [
    "customer_id",
    "invoice_date",
    "period",
    "kind",
    "service_area",
    "description",
    "quantity",
    "unit_price",
    "amount",
]
REFERENCE = "reference"
LINES_FILE = "invoice_lines.csv"
WORKBOOK_FILE = "fakturaunderlag.xlsx"
_SCALE = 10**CALLOFF_DECIMALS  # quantities in hundredths, prices in öre
# Above this many lines of one kind, the workbook shows that kind per customer and invoice
# month instead of line by line (openpyxl needs minutes for a few hundred thousand styled
# rows); invoice_lines.csv always has every line.
DETAIL_LIMIT = 20_000


def round_line_amount(quantity_hundredths: np.ndarray, price_ore: np.ndarray) -> np.ndarray:
    """Whole kronor of quantity × unit price, rounded half up, computed exactly in integers.

    ``quantity_hundredths`` and ``price_ore`` are non-negative integers (the inputs × 100).
    """
    product = np.asarray(quantity_hundredths, dtype="int64") * np.asarray(price_ore, dtype="int64")
    half = _SCALE * _SCALE // 2
    return (product + half) // (_SCALE * _SCALE)


def _references(model: PriceModelInput) -> pd.Series | None:
    """Invoice reference per customer_id; None when customers.csv gives none at all."""
    customers = model.customers
    if REFERENCE not in customers or not (customers[REFERENCE] != "").any():
        return None
    return customers.set_index("customer_id")[REFERENCE]


def base_lines(model: PriceModelInput, result: PriceModelResult) -> pd.DataFrame:
    """One line per customer and service area of the price list, dated the base invoice date.

    Sorted by customer_id and the model's service-area order.
    """
    year = model.price_list_year
    areas = model.service_areas.set_index("service_area")["name"]
    order = {area: i for i, area in enumerate(areas.index)}
    prices = result.price_list.copy()
    prices["_order"] = prices["service_area"].map(order)
    prices = prices.sort_values(["customer_id", "_order"], ignore_index=True)
    amount = prices["amount"].astype("int64")
    return pd.DataFrame(
        {
            "customer_id": prices["customer_id"],
            "invoice_date": pd.Timestamp(base_invoice_date(model)),
            "period": str(year),
            "kind": "bastjanst",
            "service_area": prices["service_area"],
            "description": "Bastjänster "
            + prices["service_area"].map(areas).str.lower()
            + f", helår {year} (förskott)",
            "quantity": 1.0,
            "unit_price": amount.astype(float),
            "amount": amount,
        },
        columns=LINE_COLUMNS,
    )


def arrears_invoice_dates(year: int) -> dict[int, pd.Timestamp]:
    """Month of the year → invoice date in arrears (first working day of the month after)."""
    dates = arrears_schedule(year)["invoice_date"]  # one row per month, January first
    return {month: pd.Timestamp(day) for month, day in enumerate(dates, start=1)}


def calloff_lines(model: PriceModelInput, calloffs: pd.DataFrame | None) -> pd.DataFrame:
    """The monthly lines in arrears of validated call-offs (:func:`inputs.load_calloffs`).

    Sorted by invoice date, customer_id, kind, service area, description and unit price.
    """
    if calloffs is None or calloffs.empty:
        return pd.DataFrame({c: pd.Series(dtype=_LINE_DTYPES[c]) for c in LINE_COLUMNS})
    rates = hourly_rates(model).set_index("staff_category")["hourly_rate"]
    hourly = calloffs["kind"] == "timavrop"
    labels = calloffs["staff_category"].map(
        {c: staff_category_label(c).lower() for c in calloffs["staff_category"].unique()}
    )
    own = calloffs["description"]
    # "Timavrop ekonom: Bokslutsstöd"; the analyst's own text is kept as written
    hourly_text = "Timavrop " + labels + own.where(own == "", ": " + own)
    frame = pd.DataFrame(
        {
            "customer_id": calloffs["customer_id"],
            "month": calloffs["date"].dt.month,
            "kind": calloffs["kind"],
            "service_area": calloffs["service_area"],
            "description": own.where(~hourly, hourly_text),
            "price_ore": np.round(
                calloffs["unit_price"].where(~hourly, calloffs["staff_category"].map(rates))
                * _SCALE
            ).astype("int64"),
            "quantity_hundredths": np.round(calloffs["quantity"] * _SCALE).astype("int64"),
        }
    )
    keys = ["month", "customer_id", "kind", "service_area", "description", "price_ore"]
    lines = frame.groupby(keys, as_index=False, sort=True)["quantity_hundredths"].sum()
    year = model.price_list_year
    dates = arrears_invoice_dates(year)
    return pd.DataFrame(
        {
            "customer_id": lines["customer_id"],
            "invoice_date": lines["month"].map(dates).astype("datetime64[ns]"),
            "period": lines["month"].map({m: f"{year}-{m:02d}" for m in range(1, 13)}),
            "kind": lines["kind"],
            "service_area": lines["service_area"],
            "description": lines["description"],
            "quantity": lines["quantity_hundredths"] / _SCALE,
            "unit_price": lines["price_ore"] / _SCALE,
            "amount": round_line_amount(lines["quantity_hundredths"], lines["price_ore"]),
        },
        columns=LINE_COLUMNS,
    )


_LINE_DTYPES = {
    "customer_id": object,
    "invoice_date": "datetime64[ns]",
    "period": object,
    "kind": object,
    "service_area": object,
    "description": object,
    "quantity": float,
    "unit_price": float,
    "amount": "int64",
}


def invoice_lines(
    model: PriceModelInput, result: PriceModelResult, calloffs: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Every invoice line of the price-list year: the base lines, then the call-off lines.

    Columns: customer_id, invoice_date, period, kind, service_area, description, quantity,
    unit_price, amount (whole kronor), and reference when customers.csv gives references.
    """
    lines = pd.concat(
        [base_lines(model, result), calloff_lines(model, calloffs)], ignore_index=True
    ).astype(_LINE_DTYPES)
    references = _references(model)
    if references is not None:
        lines[REFERENCE] = lines["customer_id"].map(references).fillna("")
    return lines


def customer_summary(model: PriceModelInput, lines: pd.DataFrame) -> pd.DataFrame:
    """Per customer (by customer_id): name, reference, amount per kind and total."""
    wide = (
        lines.pivot_table(
            index="customer_id", columns="kind", values="amount", aggfunc="sum", fill_value=0
        )
        .reindex(columns=list(KINDS), fill_value=0)
        .astype("int64")
    )
    wide["total"] = wide.sum(axis=1)
    wide = wide.reset_index().rename_axis(columns=None)
    customers = model.customers.set_index("customer_id")
    wide.insert(1, "name", wide["customer_id"].map(customers["name"]))
    if REFERENCE in lines:
        wide.insert(2, REFERENCE, wide["customer_id"].map(customers[REFERENCE]))
    return wide


def invoice_count(lines: pd.DataFrame) -> pd.Series:
    """Invoices per invoice date: a customer's base invoice (in advance) and its invoice in
    arrears are separate invoices, even on the same day."""
    advance = lines["kind"] == "bastjanst"
    invoices = pd.DataFrame(
        {"customer_id": lines["customer_id"], "date": lines["invoice_date"], "advance": advance}
    ).drop_duplicates()
    return invoices.groupby("date").size()


def monthly_plan(lines: pd.DataFrame, year: int | None = None) -> pd.DataFrame:
    """The year's invoicing per invoice month: invoices and amount per kind.

    Columns: invoice_month (first day, datetime64), invoices, bastjanst, timavrop,
    tillaggstjanst, total; sorted by month. Given the price-list ``year``, every month from
    January of the year to January after it (December's arrears) is shown, with 0 when no
    invoice goes out; else only the months with invoices.
    """
    months = lines["invoice_date"].dt.to_period("M").dt.to_timestamp()
    amounts = (
        lines.assign(invoice_month=months)
        .pivot_table(
            index="invoice_month", columns="kind", values="amount", aggfunc="sum", fill_value=0
        )
        .reindex(columns=list(KINDS), fill_value=0)
        .astype("int64")
    )
    counts = invoice_count(lines)
    counts.index = counts.index.to_period("M").to_timestamp()
    amounts.insert(0, "invoices", counts.groupby(level=0).sum().astype("int64"))
    amounts["total"] = amounts[list(KINDS)].sum(axis=1)
    if year is not None:
        every = pd.date_range(f"{year}-01-01", f"{year + 1}-01-01", freq="MS")
        amounts = amounts.reindex(every.union(amounts.index), fill_value=0)
    amounts.index.name = "invoice_month"
    return amounts.reset_index().rename_axis(columns=None)


def month_label(day: pd.Timestamp | dt.date) -> str:
    """2024-01-01 → 'januari 2024'."""
    return f"{MONTHS_SV[day.month - 1]} {day.year}"


def monthly_plan_table(lines: pd.DataFrame, year: int | None = None) -> pd.DataFrame:
    """:func:`monthly_plan` for display: Swedish month names and a total row."""
    from .report_tables import with_total

    plan = monthly_plan(lines, year)
    plan["invoice_month"] = plan["invoice_month"].map(month_label)
    return with_total(plan, "invoice_month", ["invoices", *KINDS, "total"])


PLAN_FORMATS = {"invoices": "number", **{k: "kr" for k in KINDS}, "total": "kr"}
PLAN_HEADERS = {
    "invoice_month": "Fakturamånad",
    "invoices": "Antal fakturor",
    **KIND_LABELS,
    "total": "Totalt",
}


def plan_texts(lines: pd.DataFrame) -> dict[str, str]:
    """The numbers the billing chapter's prose cites, as Swedish text."""
    arrears = lines[lines["kind"] != "bastjanst"]
    if arrears.empty:
        arrears_text = (
            "Datamappen har inga avrop (ingen calloffs.csv), så underlaget har bara bastjänsterna."
        )
    else:
        arrears_text = (
            f"Av det är {style.format_kr(arrears['amount'].sum())} timavrop och "
            f"tilläggstjänster, på {style.format_number(len(arrears))} fakturarader under "
            f"{style.format_number(arrears['period'].nunique())} månader, som faktureras i "
            "efterskott."
        )
    return {
        "invoice_total": style.format_number(int(invoice_count(lines).sum())),
        "invoiced_amount": style.format_kr(lines["amount"].sum()),
        "arrears_text": arrears_text,
    }


# --------------------------------------------------------------------------- writing

LINE_HEADERS = {
    "customer_id": "Kund-id",
    "name": "Kund",
    REFERENCE: "Fakturareferens",
    "invoice_date": "Fakturadatum",
    "period": "Avser",
    "kind": "Typ",
    "service_area": "Tjänsteområde",
    "description": "Beskrivning",
    "quantity": "Antal",
    "unit_price": "À-pris",
    "amount": "Belopp",
}


def _csv_frame(lines: pd.DataFrame) -> pd.DataFrame:
    """The lines as the CSV shows them: ISO dates, two decimals for quantity and unit price."""
    out = lines.copy()
    out["invoice_date"] = out["invoice_date"].dt.strftime("%Y-%m-%d")
    for column in ("quantity", "unit_price"):
        out[column] = np.char.mod(f"%.{CALLOFF_DECIMALS}f", out[column].to_numpy(float))
    return out


def write_invoice_basis(model: PriceModelInput, lines: pd.DataFrame, stage: Path) -> list[Path]:
    """Write ``invoice_lines.csv`` and ``fakturaunderlag.xlsx`` into ``stage`` (a staging
    folder that the caller moves into place); return the files written."""
    stage = Path(stage)
    write_csv(_csv_frame(lines), stage / LINES_FILE)

    year = model.price_list_year
    names = model.customers.set_index("customer_id")["name"]
    areas = model.service_areas.set_index("service_area")["name"]
    subtitle = (
        f"Prislista {year}. Bastjänster faktureras årsvis i förskott, timavrop och "
        "tilläggstjänster månadsvis i efterskott."
    )
    if model.example_data:
        subtitle += f" {style.XLSX_EXAMPLE_DATA}"
    with Book(stage / WORKBOOK_FILE, f"Fakturaunderlag {year}") as book:
        _invoice_sheets(book, model, lines, subtitle, names, areas)
    return [stage / LINES_FILE, stage / WORKBOOK_FILE]


def _invoice_sheets(book: Book, model, lines, subtitle, names, areas) -> None:
    year = model.price_list_year

    summary = customer_summary(model, lines)
    reference = [Col(LINE_HEADERS[REFERENCE], REFERENCE, width=24)] if REFERENCE in lines else []
    kind_cols = [Col(KIND_LABELS[k], k, style.XLSX_KRONOR, 17) for k in KINDS]
    write_sheet(
        book,
        "Per kund",
        f"Fakturaunderlag {year} – belopp per kund och typ (kr)",
        subtitle,
        [
            Col("Kund-id", "customer_id", width=26),
            Col("Kund", "name", width=40),
            *reference,
            *kind_cols,
            Col("Totalt", "total", style.XLSX_KRONOR, 17),
        ],
        summary,
        {"name": "Summa", **{c: int(summary[c].sum()) for c in [*KINDS, "total"]}},
    )

    plan = monthly_plan(lines, year)
    plan["month"] = plan["invoice_month"].map(month_label)
    write_sheet(
        book,
        "Per månad",
        f"Fakturering per månad {year}",
        subtitle,
        [
            Col("Fakturamånad", "month", width=18),
            Col("Antal fakturor", "invoices", style.XLSX_NUMBER, 14),
            *kind_cols,
            Col("Totalt", "total", style.XLSX_KRONOR, 17),
        ],
        plan,
        {
            "month": "Summa",
            **{c: int(plan[c].sum()) for c in ["invoices", *KINDS, "total"]},
        },
    )

    for kind in KINDS:
        rows = lines[lines["kind"] == kind].copy()
        if rows.empty:
            continue
        if len(rows) > DETAIL_LIMIT:
            _kind_summary_sheet(book, model, rows, kind, subtitle, reference)
            continue
        rows["name"] = rows["customer_id"].map(names)
        rows["area"] = rows["service_area"].map(areas)
        rows["invoice_date"] = rows["invoice_date"].dt.date
        write_sheet(
            book,
            KIND_LABELS[kind],
            f"Fakturarader {year}: {KIND_LABELS[kind].lower()}",
            subtitle,
            [
                Col("Kund-id", "customer_id", width=26),
                Col("Kund", "name", width=36),
                *reference,
                Col("Fakturadatum", "invoice_date", "yyyy-mm-dd", 13),
                Col("Avser", "period", width=10),
                Col("Tjänsteområde", "area", width=22),
                Col("Beskrivning", "description", width=48),
                Col("Antal", "quantity", style.XLSX_DECIMALS, 10),
                Col("À-pris", "unit_price", style.XLSX_KRONOR_DECIMALS, 14),
                Col("Belopp", "amount", style.XLSX_KRONOR, 15),
            ],
            rows,
            {"name": "Summa", "amount": int(rows["amount"].sum())},
        )


def _kind_summary_sheet(
    book: Book,
    model: PriceModelInput,
    rows: pd.DataFrame,
    kind: str,
    subtitle: str,
    reference: list[Col],
) -> None:
    """One kind's lines as customers × invoice months (amounts), for a workbook too large to
    list them line by line."""
    rows = rows.assign(month=rows["invoice_date"].dt.to_period("M").dt.to_timestamp())
    wide = rows.pivot_table(
        index="customer_id", columns="month", values="amount", aggfunc="sum", fill_value=0
    ).astype("int64")
    months = list(wide.columns)
    wide.columns = [m.strftime("%Y-%m") for m in months]
    wide["total"] = wide.sum(axis=1)
    wide = wide.reset_index()
    customers = model.customers.set_index("customer_id")
    wide["name"] = wide["customer_id"].map(customers["name"])
    if reference:
        wide[REFERENCE] = wide["customer_id"].map(customers[REFERENCE])
    month_cols = [
        Col(f"Faktureras {month_label(m)}", m.strftime("%Y-%m"), style.XLSX_KRONOR, 16)
        for m in months
    ]
    count = style.plain_spaces(style.format_number(len(rows)))
    write_sheet(
        book,
        KIND_LABELS[kind],
        f"{KIND_LABELS[kind]} {model.price_list_year} per kund och fakturamånad (kr)",
        subtitle,
        [
            Col("Kund-id", "customer_id", width=26),
            Col("Kund", "name", width=36),
            *reference,
            *month_cols,
            Col("Totalt", "total", style.XLSX_KRONOR, 17),
        ],
        wide,
        {
            "name": "Summa",
            **{c.field: int(wide[c.field].sum()) for c in [*month_cols]},
            "total": int(wide["total"].sum()),
        },
        note=(
            f"Sammanfattad per kund och fakturamånad: {count} fakturarader är för många att "
            "lista i Excel. Alla rader finns i invoice_lines.csv."
        ),
    )
