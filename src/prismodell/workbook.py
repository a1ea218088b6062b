"""The Excel price list (``prislista.xlsx``) a controller opens and prints: Swedish headings,
number formats, widths, frozen headers and filters on every sheet; page setup for A4 landscape
with repeated headers and a footer; totals as ``SUM`` formulas over the rows.

Written with XlsxWriter in constant-memory mode (rows are streamed to disk): a 10,000-customer
price list stays fast and small. Strings are never turned into formulas (the writer's options
forbid it and every text is neutralised): the only formulas are the totals the tool writes.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import compress
from pathlib import Path

import numpy as np
import pandas as pd
import xlsxwriter
from xlsxwriter.utility import xl_col_to_name

from . import dedicated, style
from .calculation import PriceModelResult
from .export import neutralise_column, neutralise_text
from .inputs import PriceModelInput
from .narrative_views import totals_change_text
from .output_folder import WORKBOOK_CREATOR, build_time
from .report_tables import staff_category_label

# Above this many allocation rows the sheet lists customer × service area instead of every
# key row: a million rows would take minutes to write and nobody reads them in Excel.
ALLOCATION_DETAIL_LIMIT = 100_000

_HEADER_ROW = 4  # 1-based: rows 1–2 title and subtitle, row 3 a note or empty
_PERCENT_FORMATS = (style.XLSX_PERCENT, style.XLSX_SHARE)


@dataclass(frozen=True)
class Col:
    """One column: Swedish header, the field it shows, its number format (None: text) and
    width. ``row_sum`` (first, last field) makes each cell a SUM over those columns of its
    row; ``ratio`` (numerator, denominator field) makes the total row's cell their quotient
    instead of a sum (a percentage)."""

    header: str
    field: str
    number_format: str | None = None
    width: float = 14
    row_sum: tuple[str, str] | None = None
    ratio: tuple[str, str] | None = None
    format_field: str | None = None  # a column of ``rows`` with each row's number format


class Book:
    """An XlsxWriter workbook with the house formats; ``footer`` leads every page footer."""

    def __init__(self, path: Path, footer: str):
        self.workbook = xlsxwriter.Workbook(
            str(path),
            {
                "constant_memory": True,
                # Text from the data stays text: no formulas, links or numbers made of it.
                "strings_to_formulas": False,
                "strings_to_urls": False,
                "strings_to_numbers": False,
            },
        )
        # author: see written_by_us; created (also the zip's timestamps): reproducible builds
        created = build_time().replace(tzinfo=None)
        self.workbook.set_properties({"author": WORKBOOK_CREATOR, "created": created})
        self.footer = footer
        self._formats: dict[tuple, object] = {}

    def format(self, number_format: str | None = None, **properties):
        key = (number_format, *sorted(properties.items()))
        if key not in self._formats:
            spec = dict(properties)
            if number_format:
                spec["num_format"] = number_format
            self._formats[key] = self.workbook.add_format(spec)
        return self._formats[key]

    def __enter__(self) -> Book:
        return self

    def __exit__(self, kind, error, trace) -> None:
        if kind is None:
            self.workbook.close()
        else:  # the caller discards the file; keep the writer's destructor from writing it
            self.workbook.fileclosed = True


def _footer_text(text: str) -> str:
    return str(neutralise_text(text)).replace("&", "&&")


def _page_setup(sheet, book: Book) -> None:
    """A4 landscape, every column on the page width, the header row on every page."""
    sheet.set_paper(9)
    sheet.set_landscape()
    sheet.fit_to_pages(1, 0)
    sheet.set_margins(left=0.5, right=0.5, top=0.6, bottom=0.7)
    sheet.repeat_rows(_HEADER_ROW - 1)
    sheet.set_footer(f"&L{_footer_text(book.footer)}&C&A&RSida &P av &N")


_MAX_TEXT_WIDTH = 60


def _width(col: Col, data: pd.Series) -> float:
    """Wide enough for the header's longest word in bold (a heading wraps between words,
    never inside one) and for a text column's longest text up to a limit, so that printing
    cuts no id or name short."""
    longest = max((len(word) for word in str(col.header).split()), default=0)
    width = max(col.width, longest * 1.15 + 2)
    if col.number_format is None and len(data):
        # Over Python values, not pandas' string methods: a sheet has a few hundred rows and a
        # pandas call costs more than the loop (the price list is written in every run).
        present = compress(data.tolist(), data.notna().tolist())
        text = max((len(str(value)) for value in present), default=0)
        width = max(width, min(float(text) + 2, _MAX_TEXT_WIDTH))
    return round(width, 1)


def _cell_values(series: pd.Series) -> list:
    """A column as Python values for the writer: any text neutralised (a number column
    passes as it is), missing as None."""
    values = neutralise_column(series)
    cells = values.tolist()
    for i in np.flatnonzero(values.isna().to_numpy()).tolist():
        cells[i] = None
    return cells


def write_sheet(
    book: Book,
    name: str,
    title: str,
    subtitle: str,
    columns: list[Col],
    rows: pd.DataFrame,
    totals: dict[str, object] | None = None,
    note: str | None = None,
) -> None:
    """One sheet: title, subtitle, optional note, a styled header row, the rows, a total row.

    In ``totals`` a text is written as a label; for a number column any value asks for the
    total formula (a SUM over the rows, or the column's ``ratio``), with that value as the
    cached result a reader sees before recalculating.
    """
    sheet = book.workbook.add_worksheet(name)
    _page_setup(sheet, book)
    letter = {col.field: xl_col_to_name(j) for j, col in enumerate(columns)}
    values = [_cell_values(rows[col.field]) for col in columns]
    for j, col in enumerate(columns):
        fmt = book.format(col.number_format) if col.number_format else None
        sheet.set_column(j, j, _width(col, rows[col.field]), fmt)
    first, last = _HEADER_ROW + 1, _HEADER_ROW + len(rows)  # 1-based data rows
    sheet.freeze_panes(_HEADER_ROW, 0)
    sheet.autofilter(_HEADER_ROW - 1, 0, max(last, _HEADER_ROW) - 1, len(columns) - 1)

    sheet.write_string(0, 0, neutralise_text(title), book.format(bold=True, font_size=14))
    sheet.write_string(1, 0, neutralise_text(subtitle))
    if note:
        sheet.write_string(2, 0, neutralise_text(note), book.format(italic=True))
    sheet.set_row(_HEADER_ROW - 1, 32)
    header = book.format(
        bold=True,
        font_color="#FFFFFF",
        bg_color="#" + style.XLSX_HEADER_FILL,
        text_wrap=True,
        valign="vcenter",
    )
    for j, col in enumerate(columns):
        sheet.write_string(_HEADER_ROW - 1, j, neutralise_text(col.header), header)

    sums = [(j, col) for j, col in enumerate(columns) if col.row_sum]
    mixed = [
        (j, rows[col.format_field].tolist()) for j, col in enumerate(columns) if col.format_field
    ]
    for i, record in enumerate(zip(*values, strict=True)):
        sheet.write_row(first - 1 + i, 0, record)
        for j, formats in mixed:
            if record[j] is not None:
                sheet.write_number(first - 1 + i, j, record[j], book.format(formats[i]))
        for j, col in sums:  # overwrite the value with its traceable formula, same result
            row = first + i
            a, b = (letter[f] for f in col.row_sum)
            sheet.write_formula(row - 1, j, f"=SUM({a}{row}:{b}{row})", None, record[j])
    if totals:
        _total_row(sheet, book, columns, totals, letter, first, last)


def _total_row(sheet, book, columns, totals, letter, first, last) -> None:
    row = last + 1
    bold = book.format(bold=True)
    for j, col in enumerate(columns):
        if col.field not in totals:
            continue
        value = totals[col.field]
        if isinstance(value, str) or col.number_format is None:
            sheet.write_string(row - 1, j, str(neutralise_text(value)), bold)
            continue
        cached = None if value is None or pd.isna(value) else float(value)
        fmt = book.format(col.number_format, bold=True)
        if col.ratio:
            top, bottom = (f"{letter[f]}{row}" for f in col.ratio)
            formula = f'=IF({bottom}=0,"",{top}/{bottom})'
        elif col.number_format in _PERCENT_FORMATS:
            sheet.write(row - 1, j, cached, fmt)  # a percentage does not add up
            continue
        elif last < first:
            formula = "=0"
        else:
            formula = f"=SUM({letter[col.field]}{first}:{letter[col.field]}{last})"
        sheet.write_formula(row - 1, j, formula, fmt, "" if cached is None else cached)


def _names(model: PriceModelInput) -> tuple[pd.Series, pd.Series, pd.Series]:
    customers = model.customers.set_index("customer_id")
    areas = model.service_areas.set_index("service_area")["name"]
    keys = model.keys.set_index("key_id")["name"]
    return customers["name"], areas, keys


def period_subtitle(model: PriceModelInput) -> str:
    """A price-list sheet's subtitle: the volume period, and the example-data warning."""
    period = f"Volymperiod {model.volume_period[0]} – {model.volume_period[1]}"
    return f"{period}. {style.XLSX_EXAMPLE_DATA}" if model.example_data else period


def write_workbook(
    model: PriceModelInput, result: PriceModelResult, path: Path, label: str | None = None
) -> None:
    """Write the price list workbook to ``path``; ``label`` (e.g. a scenario) leads every
    sheet's subtitle."""
    customer_names, area_names, key_names = _names(model)
    year = model.price_list_year
    period = period_subtitle(model)
    if label:
        period = f"{label}. {period}"
    footer = f"{label.split(':')[0]} – prislista {year}" if label else f"Prislista {year}"
    with Book(path, footer) as book:
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
        write_sheet(
            book,
            "Prislista",
            f"Prislista {year} – årsavgift per kund och tjänsteområde (kr)",
            period + " Bastjänster faktureras årsvis i förskott.",
            [
                Col("Kund-id", "customer_id", width=26),
                Col("Kund", "name", width=40),
                Col("Typ", "type", width=22),
                *area_cols,
                Col(
                    "Totalt",
                    "total",
                    style.XLSX_KRONOR,
                    17,
                    row_sum=(area_names.index[0], area_names.index[-1]),
                ),
            ],
            wide,
            {"name": "Summa", **totals},
        )

        costs = result.full_cost.copy()
        costs["name"] = costs["service_area"].map(area_names)
        money = ["personnel", "administration_overhead", "internal_overhead", "other_costs"]
        write_sheet(
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
            write_sheet(
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
            # One row per customer, a column per service area: the exact (unrounded)
            # amounts behind the price list, in a tenth of the cells of a long table.
            summary = (
                allocation.pivot_table(
                    index="customer_id", columns="service_area", values="amount", aggfunc="sum"
                )
                .reindex(columns=area_names.index)
                .fillna(0.0)
            )
            summary["total"] = summary.sum(axis=1)
            summary = summary.reset_index()
            summary["name"] = summary["customer_id"].map(customer_names)
            kr = style.XLSX_KRONOR_DECIMALS
            write_sheet(
                book,
                "Fördelning",
                f"Fördelning per kund och tjänsteområde {year}, exakta belopp (kr)",
                period,
                [
                    Col("Kund-id", "customer_id", width=26),
                    Col("Kund", "name", width=36),
                    *[Col(area_names[a], a, kr, 18) for a in area_names.index],
                    Col(
                        "Totalt",
                        "total",
                        kr,
                        18,
                        row_sum=(area_names.index[0], area_names.index[-1]),
                    ),
                ],
                summary,
                {"name": "Summa", **summary[[*area_names.index, "total"]].sum().to_dict()},
                note=(
                    "Sammanfattad per kund och tjänsteområde: fördelningen har "
                    f"{style.plain_spaces(style.format_number(len(allocation)))} rader per nyckel, "
                    "för många för Excel. Alla rader finns i allocation.csv."
                ),
            )

        unit = result.unit_prices.copy()
        unit["area"] = unit["service_area"].map(area_names)
        unit["key"] = unit["key_id"].map(key_names)
        write_sheet(
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

        _dedicated_sheet(book, model, result, period)

        write_sheet(
            book,
            "Timpriser",
            f"Timpris per personalkategori {year}",
            "Tjänster som avropas per timme. Faktureras månadsvis i efterskott.",
            [
                Col("Personalkategori", "category", width=26),
                Col("Timpris", "hourly_rate", style.XLSX_KRONOR, 14),
            ],
            result.hourly_rates.assign(
                category=result.hourly_rates["staff_category"].map(staff_category_label)
            ),
        )

        if result.comparison is not None:
            _comparison_sheet(book, result, customer_names, area_names, year)


def _comparison_sheet(
    book: Book,
    result: PriceModelResult,
    customer_names: pd.Series,
    area_names: pd.Series,
    year: int,
) -> None:
    comparison = result.comparison
    table = comparison.by_customer_area.copy()
    table["name"] = table["customer_id"].map(customer_names).fillna(table["customer_id"])
    table["area"] = table["service_area"].map(area_names).fillna(table["service_area"])
    table["status"] = table["customer_id"].map(comparison.status).fillna("")
    write_sheet(
        book,
        "Jämförelse",
        f"Jämförelse {year - 1} och {year} per kund och tjänsteområde",
        f"Totalt {style.plain_spaces(totals_change_text(comparison))} "
        f"({style.plain_spaces(style.format_kr(comparison.changed_assignments_total))}).",
        [
            Col("Kund-id", "customer_id", width=26),
            Col("Kund", "name", width=36),
            Col("Tjänsteområde", "area", width=22),
            Col(f"Debitering {year - 1}", "previous", style.XLSX_KRONOR, 17),
            Col(f"Prislista {year}", "new", style.XLSX_KRONOR, 17),
            Col("Förändring", "difference", style.XLSX_KRONOR, 16),
            Col("Förändring %", "change", style.XLSX_PERCENT, 13, ratio=("difference", "previous")),
            Col("Anmärkning", "status", width=14),
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


def _dedicated_sheet(
    book: Book, model: PriceModelInput, result: PriceModelResult, period: str
) -> None:
    """Rule 5's dedicated services, when the input has any: what each customer bears alone."""
    table = dedicated.dedicated_table(model, result)
    if table.empty:
        return
    write_sheet(
        book,
        "Särskilda tjänster",
        f"Särskilda tjänster {model.price_list_year} – bärs helt av en kund (kr)",
        period + " Kostnaden ingår i kundens pris för tjänsteområdet; nycklarna fördelar resten.",
        [
            Col(dedicated.SHEET_HEADERS["area"], "area", width=22),
            Col(dedicated.SHEET_HEADERS["service_id"], "service_id", width=26),
            Col(dedicated.SHEET_HEADERS["name"], "name", width=44),
            Col(dedicated.SHEET_HEADERS["customer"], "customer", width=32),
            Col(dedicated.SHEET_HEADERS["category"], "category", width=22),
            Col(dedicated.SHEET_HEADERS["fte"], "fte", style.XLSX_DECIMALS, 12),
            Col(dedicated.SHEET_HEADERS["amount"], "amount", style.XLSX_KRONOR_DECIMALS, 18),
        ],
        table,
        {"area": "Summa", "fte": float(table["fte"].sum()), "amount": float(table["amount"].sum())},
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
    period = period_subtitle(model)
    name = str(neutralise_text(name))  # a name from the data is never a formula
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
    with Book(path, f"{name} – prislista {year}") as book:
        _customer_sheets(book, name, year, period, columns, charges, totals, volumes)


def _customer_sheets(book, name, year, period, columns, charges, totals, volumes) -> None:
    write_sheet(
        book, "Pris", f"{name} – pris per tjänsteområde {year}", period, columns, charges, totals
    )
    write_sheet(
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
