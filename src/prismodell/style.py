"""House style of every table and figure: Swedish number formats, colours, spreadsheet formats.

Formatting here is plain string work (no locale, no babel): the OS Swedish locale is not
installed on the build machines, and the CLI must start fast.
"""

from __future__ import annotations

import math
import string

NBSP = "\u00a0"  # keeps "1 234 567 kr" on one line in HTML and PDF
MINUS = "\u2212"  # typographic minus, as in Swedish print

# Colours: one per service area in model order, then neutrals. Chosen to stay apart in
# greyscale print and for the common colour-vision deficiencies (Okabe–Ito based).
AREA_COLOURS = [
    "#0072B2",
    "#E69F00",
    "#009E73",
    "#CC79A7",
    "#56B4E9",
    "#D55E00",
    "#F0E442",
    "#000000",
]
COST_COMPONENT_COLOURS = {
    "personnel": "#0072B2",
    "administration_overhead": "#56B4E9",
    "internal_overhead": "#E69F00",
    "other_costs": "#999999",
}
COST_COMPONENT_LABELS = {
    "personnel": "Personal",
    "administration_overhead": "Förvaltningsövergripande overhead",
    "internal_overhead": "Interna overheadkostnader",
    "other_costs": "Övriga kostnader",
}
INCREASE_COLOUR = "#D55E00"
DECREASE_COLOUR = "#009E73"
NEUTRAL_COLOUR = "#666666"

# Spreadsheet number formats; Excel shows "," as the locale's thousands separator (a space
# in Swedish Excel) and "." as its decimal sign.
XLSX_KRONOR = '#,##0 "kr"'
XLSX_KRONOR_DECIMALS = '#,##0.00 "kr"'
XLSX_NUMBER = "#,##0"
XLSX_DECIMALS = "#,##0.00"
# Under the title of every workbook sheet made from example data.
XLSX_EXAMPLE_DATA = "EXEMPELDATA – inte stadens verkliga siffror."
XLSX_UNIT_PRICE = '#,##0.0000 "kr"'
XLSX_PERCENT = "0.0%"
XLSX_SHARE = "0.0000%"
XLSX_HEADER_FILL = "1F3864"


def _group(integer_text: str) -> str:
    groups = []
    while len(integer_text) > 3:
        groups.insert(0, integer_text[-3:])
        integer_text = integer_text[:-3]
    groups.insert(0, integer_text)
    return NBSP.join(groups)


def format_number(value: float, decimals: int = 0) -> str:
    """1234567.891 → '1 234 567,89' (decimals=2): space thousands, decimal comma."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    text = f"{abs(value):.{decimals}f}"
    integer, _, fraction = text.partition(".")
    sign = MINUS if value < 0 and float(text) != 0 else ""
    return sign + _group(integer) + ("," + fraction if fraction else "")


def format_kr(value: float, decimals: int = 0) -> str:
    """1234567 → '1 234 567 kr'."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return f"{format_number(value, decimals)}{NBSP}kr"


def format_signed_kr(value: float) -> str:
    """An amount of change: 12345 → '+12 345 kr', like the signed percentages beside it."""
    text = format_kr(value)
    return "+" + text if value is not None and value > 0 and text[0] != "0" else text


def format_mkr(value: float, decimals: int = 1) -> str:
    """123456789 → '123,5 mnkr' (for chart axes and headlines)."""
    return f"{format_number(value / 1e6, decimals)}{NBSP}mnkr"


def format_percent(value: float, decimals: int = 1, signed: bool = False) -> str:
    """-0.0263 → '−2,6 %' (signed adds '+' to increases)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    text = format_number(value * 100, decimals)
    if signed and value > 0 and text.strip("0,") != "":
        text = "+" + text
    return f"{text}{NBSP}%"


def format_value(value) -> str:
    """A setting as a reader reads it: True → 'ja', 118000 → '118 000', 0.25 → '0,25'."""
    if isinstance(value, bool):
        return "ja" if value else "nej"
    if isinstance(value, int):
        return format_number(value)
    if isinstance(value, float):
        text = f"{value:.6f}".rstrip("0").rstrip(".")
        decimals = len(text.partition(".")[2])
        return format_number(value, decimals)
    return str(value)


def plain_spaces(text: str) -> str:
    """For terminals and plain-text comparisons: non-breaking spaces and minus as ASCII."""
    return text.replace(NBSP, " ").replace(MINUS, "-")


# --------------------------------------------------------------------------- tables

_FORMATTERS = {
    "kr": lambda v: format_kr(v),
    "kr2": lambda v: format_kr(v, 2),
    "unit_price": lambda v: format_kr(v, 2),
    "number": lambda v: format_number(v),
    "decimal": lambda v: format_number(v, 2),
    "percent": lambda v: format_percent(v),
    "change": lambda v: format_percent(v, signed=True),
    "signed_kr": lambda v: format_signed_kr(v),
    "weight": lambda v: format_percent(v, 0),
}


def table_html(
    frame,
    formats: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
    caption: str | None = None,
    total_row: bool = False,
    links: dict[str, list[str | None]] | None = None,
) -> str:
    """A house-style HTML table. Every text cell is HTML-escaped (data are never markup).

    ``formats`` maps a column to one of: kr, kr2, unit_price, number, decimal, percent, change,
    weight; those columns are formatted the Swedish way and right-aligned. ``headers`` renames
    columns for display. ``total_row`` sets the last row in bold. ``links`` maps a text column
    to one address per row (None: no link), e.g. the customer index's names to their pages.
    """
    from html import escape

    formats = formats or {}
    headers = headers or {}
    links = links or {}
    parts = ['<table class="pm-table">']
    if caption:
        parts.append(f"<caption>{escape(caption)}</caption>")
    parts.append("<thead><tr>")
    for column in frame.columns:
        cls = ' class="num"' if column in formats else ""
        parts.append(f'<th{cls} scope="col">{escape(str(headers.get(column, column)))}</th>')
    parts.append("</tr></thead><tbody>")
    rows = frame.itertuples(index=False, name=None)
    for i, row in enumerate(rows):
        last = total_row and i == len(frame) - 1
        parts.append('<tr class="total">' if last else "<tr>")
        for column, value in zip(frame.columns, row, strict=True):
            if column in formats:
                text = _FORMATTERS[formats[column]](value)
                parts.append(f'<td class="num">{escape(text)}</td>')
            else:
                empty = value is None or (isinstance(value, float) and math.isnan(value))
                text = escape("" if empty else str(value))
                href = links[column][i] if column in links else None
                if href:
                    text = f'<a href="{escape(href)}">{text}</a>'
                parts.append(f"<td>{text}</td>")
        parts.append("</tr>")
    parts.append("</tbody></table>")
    return scroll_box("".join(parts), caption, wide=len(frame.columns) >= WIDE_COLUMNS)


WIDE_COLUMNS = 8  # from this many columns a table is printed on a landscape page


def scroll_box(table: str, label: str | None = None, wide: bool = False) -> str:
    """A table in a box that scrolls sideways when the screen is narrower than the table (a
    phone), so the page itself never does. A box that scrolls must be reachable and named for
    keyboard and screen-reader users (WCAG 2.1.1, axe "scrollable-region-focusable")."""
    from html import escape

    name = escape(label or "Tabell")
    classes = "pm-scroll pm-wide" if wide else "pm-scroll"
    return f'<div class="{classes}" role="region" tabindex="0" aria-label="{name}">{table}</div>'



def show_table(
    frame,
    formats: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
    caption: str | None = None,
    total_row: bool = False,
):
    """``table_html`` wrapped for display in a notebook."""
    from IPython.display import HTML

    return HTML(table_html(frame, formats, headers, caption, total_row))


# --------------------------------------------------------------------------- markdown

_MD_SPECIAL = frozenset(string.punctuation)  # all ASCII punctuation


def md_escape(text) -> str:
    """Text from data made literal in MyST Markdown: every ASCII punctuation character is
    backslash-escaped (CommonMark allows that for all of them), so ``<script>``, ``*x*``,
    roles, links and HTML entities show as written. Line breaks become spaces."""
    text = "" if text is None else str(text)
    text = " ".join(text.split("\n"))
    return "".join("\\" + ch if ch in _MD_SPECIAL else ch for ch in text)


# One decimal, for FTEs (årsarbetare) in tables: table_html(..., formats={"fte": "fte"}).
_FORMATTERS["fte"] = lambda v: format_number(v, 1)

# Three decimals, for small ratios such as FTEs per 1 000 volume units (trend chapter).
_FORMATTERS["decimal3"] = lambda v: format_number(v, 3)
