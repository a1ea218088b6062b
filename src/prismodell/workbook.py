"""The Excel price list (``prislista.xlsx``) a controller opens: Swedish headings, number
formats, widths, frozen headers and filters on every sheet."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from . import style
from .calculation import PriceModelResult
from .export import neutralise_text
from .inputs import PriceModelInput

# Above this many allocation rows the sheet lists customer × service area instead of every
# key row: a million rows would take minutes to write and nobody reads them in Excel.
ALLOCATION_DETAIL_LIMIT = 100_000

_TITLE = Font(bold=True, size=14)
_HEADER = Font(bold=True, color="FFFFFF")
_HEADER_FILL = PatternFill("solid", fgColor=style.XLSX_HEADER_FILL)
_BOLD = Font(bold=True)
_HEADER_ROW = 4  # rows 1–2: title and subtitle, row 3 empty


@dataclass(frozen=True)
class Col:
    header: str
    field: str
    number_format: str | None = None
    width: float = 14


def _sheet(
    book: Workbook,
    name: str,
    title: str,
    subtitle: str,
    columns: list[Col],
    rows: pd.DataFrame,
    totals: dict[str, object] | None = None,
    note: str | None = None,
) -> None:
    """One sheet: title, subtitle, optional note, a styled header row, the rows, a total row.

    The workbook is write-only (streamed): a 10,000-customer price list stays fast and small.
    """
    sheet = book.create_sheet(name)
    for j, col in enumerate(columns, start=1):
        sheet.column_dimensions[get_column_letter(j)].width = col.width
    sheet.freeze_panes = f"A{_HEADER_ROW + 1}"
    last = _HEADER_ROW + len(rows)
    sheet.auto_filter.ref = f"A{_HEADER_ROW}:{get_column_letter(len(columns))}{last}"
    sheet.row_dimensions[_HEADER_ROW].height = 32

    def cell(value, font=None, number_format=None, fill=None, alignment=None):
        c = WriteOnlyCell(sheet, value=value)
        if font:
            c.font = font
        if number_format:
            c.number_format = number_format
        if fill:
            c.fill = fill
        if alignment:
            c.alignment = alignment
        return c

    sheet.append([cell(title, _TITLE)])
    sheet.append([subtitle])
    sheet.append([cell(note, Font(italic=True))] if note else [])
    wrap = Alignment(wrap_text=True, vertical="center")
    sheet.append([cell(col.header, _HEADER, fill=_HEADER_FILL, alignment=wrap) for col in columns])
    values = [rows[col.field].tolist() for col in columns]
    formats = [col.number_format for col in columns]
    for record in zip(*values, strict=True):
        line = []
        for value, number_format in zip(record, formats, strict=True):
            if isinstance(value, float) and pd.isna(value):
                value = None
            line.append(
                cell(value, number_format=number_format)
                if number_format
                else neutralise_text(value)
            )
        sheet.append(line)
    if totals:
        sheet.append(
            [
                cell(
                    totals[col.field],
                    _BOLD,
                    None if isinstance(totals[col.field], str) else col.number_format,
                )
                if col.field in totals
                else None
                for col in columns
            ]
        )


def _names(model: PriceModelInput) -> tuple[pd.Series, pd.Series, pd.Series]:
    customers = model.customers.set_index("customer_id")
    areas = model.service_areas.set_index("service_area")["name"]
    keys = model.keys.set_index("key_id")["name"]
    return customers["name"], areas, keys


def write_workbook(
    model: PriceModelInput, result: PriceModelResult, path: Path, label: str | None = None
) -> None:
    """Write the price list workbook to ``path``; ``label`` (e.g. a scenario) leads every
    sheet's subtitle."""
    customer_names, area_names, key_names = _names(model)
    year = model.price_list_year
    period = f"Volymperiod {model.volume_period[0]} – {model.volume_period[1]}"
    if model.example_data:
        period += ". EXEMPELDATA – inte stadens verkliga siffror."
    if label:
        period = f"{label}. {period}"
    book = Workbook(write_only=True)

    # Prislista: customers × service areas, row and column totals.
    wide = (
        result.price_list.pivot(index="customer_id", columns="service_area", values="amount")
        .reindex(columns=model.service_areas["service_area"])
        .fillna(0)
        .astype("int64")
    )
    wide["total"] = wide.sum(axis=1)
    wide = wide.reset_index()
    wide["name"] = wide["customer_id"].map(customer_names)
    wide["type"] = wide["customer_id"].map(model.customers.set_index("customer_id")["type"])
    area_cols = [Col(area_names[a], a, style.XLSX_KRONOR, 17) for a in area_names.index]
    totals = {a: int(wide[a].sum()) for a in list(area_names.index) + ["total"]}
    _sheet(
        book,
        "Prislista",
        f"Prislista {year} – årsavgift per kund och tjänsteområde (kr)",
        period + " Bastjänster faktureras årsvis i förskott.",
        [
            Col("Kund-id", "customer_id", width=26),
            Col("Kund", "name", width=40),
            Col("Typ", "type", width=22),
            *area_cols,
            Col("Totalt", "total", style.XLSX_KRONOR, 17),
        ],
        wide,
        {"name": "Summa", **totals},
    )

    costs = result.full_cost.copy()
    costs["name"] = costs["service_area"].map(area_names)
    money = ["personnel", "administration_overhead", "internal_overhead", "other_costs"]
    _sheet(
        book,
        "Självkostnad",
        f"Självkostnad per tjänsteområde {year} (kr)",
        period,
        [
            Col("Tjänsteområde", "name", width=26),
            Col("Årsarbetare", "fte", style.XLSX_DECIMALS, 12),
            *[
                Col(style.COST_COMPONENT_LABELS[m], m, style.XLSX_KRONOR_DECIMALS, 20)
                for m in money
            ],
            Col("Självkostnad", "full_cost", style.XLSX_KRONOR, 18),
        ],
        costs,
        {
            "name": "Summa",
            "fte": float(costs["fte"].sum()),
            **{m: float(costs[m].sum()) for m in money},
            "full_cost": int(costs["full_cost"].sum()),
        },
    )

    allocation = result.allocation
    if len(allocation) <= ALLOCATION_DETAIL_LIMIT:
        detail = allocation.copy()
        detail["name"] = detail["customer_id"].map(customer_names)
        detail["area"] = detail["service_area"].map(area_names)
        detail["key"] = detail["key_id"].map(key_names)
        _sheet(
            book,
            "Fördelning",
            f"Fördelning per kund och nyckel {year}",
            period,
            [
                Col("Kund-id", "customer_id", width=26),
                Col("Kund", "name", width=36),
                Col("Tjänsteområde", "area", width=22),
                Col("Nyckel", "key", width=34),
                Col("Volym", "volume", style.XLSX_NUMBER),
                Col("Andel", "share", style.XLSX_SHARE),
                Col("Belopp", "amount", style.XLSX_KRONOR_DECIMALS, 18),
            ],
            detail,
            {"name": "Summa", "amount": float(detail["amount"].sum())},
        )
    else:
        summary = allocation.groupby(["customer_id", "service_area"], as_index=False)[
            "amount"
        ].sum()
        summary["name"] = summary["customer_id"].map(customer_names)
        summary["area"] = summary["service_area"].map(area_names)
        _sheet(
            book,
            "Fördelning",
            f"Fördelning per kund och tjänsteområde {year}",
            period,
            [
                Col("Kund-id", "customer_id", width=26),
                Col("Kund", "name", width=36),
                Col("Tjänsteområde", "area", width=22),
                Col("Exakt belopp", "amount", style.XLSX_KRONOR_DECIMALS, 18),
            ],
            summary,
            {"name": "Summa", "amount": float(summary["amount"].sum())},
            note=(
                "Sammanfattad per kund och tjänsteområde: fördelningen har "
                f"{style.plain_spaces(style.format_number(len(allocation)))} rader per nyckel, "
                "för många för Excel. Alla rader finns i allocation.csv."
            ),
        )

    unit = result.unit_prices.copy()
    unit["area"] = unit["service_area"].map(area_names)
    unit["key"] = unit["key_id"].map(key_names)
    _sheet(
        book,
        "Styckpriser",
        f"Styckpris per fördelningsnyckel {year}",
        period + " Styckpriset är vad en enhet till (faktura, krav, avtal) kostar kunden.",
        [
            Col("Tjänsteområde", "area", width=22),
            Col("Nyckel", "key", width=34),
            Col("Nyckel-id", "key_id", width=26),
            Col("Vikt", "weight", style.XLSX_PERCENT, 9),
            Col("Pott", "pool", style.XLSX_KRONOR_DECIMALS, 18),
            Col("Total volym", "total_volume", style.XLSX_NUMBER),
            Col("Styckpris", "unit_price", style.XLSX_UNIT_PRICE, 16),
        ],
        unit,
    )

    _sheet(
        book,
        "Timpriser",
        f"Timpris per personalkategori {year}",
        "Tjänster som avropas per timme. Faktureras månadsvis i efterskott.",
        [
            Col("Personalkategori", "staff_category", width=26),
            Col("Timpris", "hourly_rate", style.XLSX_KRONOR, 14),
        ],
        result.hourly_rates,
    )

    if result.comparison is not None:
        _comparison_sheet(book, result, customer_names, area_names, year)
    book.save(path)


def _pct(value: float) -> str:
    return style.plain_spaces(style.format_percent(value, signed=True))


def _comparison_sheet(
    book: Workbook,
    result: PriceModelResult,
    customer_names: pd.Series,
    area_names: pd.Series,
    year: int,
) -> None:
    comparison = result.comparison
    table = comparison.by_customer_area.copy()
    table["name"] = table["customer_id"].map(customer_names).fillna(table["customer_id"])
    table["area"] = table["service_area"].map(area_names).fillna(table["service_area"])
    _sheet(
        book,
        "Jämförelse",
        f"Jämförelse {year - 1} och {year} per kund och tjänsteområde",
        f"Totalt {_pct(comparison.change_excluding)} exklusive och "
        f"{_pct(comparison.change_including)}"
        " inklusive förändrade uppdrag "
        f"({style.plain_spaces(style.format_kr(comparison.changed_assignments_total))}).",
        [
            Col("Kund-id", "customer_id", width=26),
            Col("Kund", "name", width=36),
            Col("Tjänsteområde", "area", width=22),
            Col(f"Debitering {year - 1}", "previous", style.XLSX_KRONOR, 17),
            Col(f"Prislista {year}", "new", style.XLSX_KRONOR, 17),
            Col("Förändring", "difference", style.XLSX_KRONOR, 16),
            Col("Förändring %", "change", style.XLSX_PERCENT, 13),
        ],
        table,
        {
            "name": "Summa",
            "previous": comparison.previous_total,
            "new": comparison.new_total,
            "difference": comparison.new_total - comparison.previous_total,
            "change": comparison.change_including,
        },
    )


def write_customer_workbook(
    model: PriceModelInput,
    charges: pd.DataFrame,
    volumes: pd.DataFrame,
    name: str,
    path: Path,
) -> None:
    """One customer's own price sheet as a workbook (the download on its page): the price per
    service area against last year, and its volumes and unit prices per key.

    ``charges`` and ``volumes`` are :func:`report_tables.customer_charges` and
    :func:`report_tables.customer_volumes` for the customer."""
    year = model.price_list_year
    period = f"Volymperiod {model.volume_period[0]} – {model.volume_period[1]}"
    if model.example_data:
        period += ". EXEMPELDATA – inte stadens verkliga siffror."
    name = str(neutralise_text(name))  # a name from the data is never a formula
    book = Workbook(write_only=True)
    columns = [
        Col("Tjänsteområde", "label", width=26),
        Col(f"Prislista {year}", "new", style.XLSX_KRONOR, 16),
    ]
    totals: dict[str, object] = {"label": "Totalt", "new": int(charges["new"].sum())}
    if "previous" in charges:
        columns += [
            Col("Föregående år", "previous", style.XLSX_KRONOR, 16),
            Col("Förändring", "difference", style.XLSX_KRONOR, 16),
        ]
        totals |= {
            "previous": int(charges["previous"].sum()),
            "difference": int(charges["difference"].sum()),
        }
    _sheet(book, "Pris", f"{name} – pris per tjänsteområde {year}", period, columns, charges,
           totals)
    _sheet(
        book,
        "Volymer",
        f"{name} – volymer och pris per enhet {year}",
        "Beloppet är kundens exakta andel före avrundningen till hela kronor i prislistan.",
        [
            Col("Tjänsteområde", "area", width=24),
            Col("Fördelningsnyckel", "key", width=40),
            Col("Volym", "volume", style.XLSX_NUMBER, 12),
            Col("Total volym", "total_volume", style.XLSX_NUMBER, 14),
            Col("Andel", "share", style.XLSX_SHARE, 10),
            Col("Pris per enhet", "unit_price", style.XLSX_UNIT_PRICE, 16),
            Col("Belopp", "amount", style.XLSX_KRONOR_DECIMALS, 16),
        ],
        volumes,
    )
    book.save(path)
