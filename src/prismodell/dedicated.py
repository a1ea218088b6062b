"""Dedicated base services (rule 5) for the reader: the tables and sentences that the area
chapter, the customer pages, the workbook and the comparisons show.

A dedicated service is used by one customer alone, who bears its whole cost (section 2 of the
seed: "nyttjas enbart av utbildningsförvaltningen, som också bär hela kostnaden"). Every
function here reads ``PriceModelResult.dedicated_services``; nothing is recomputed.
"""

from __future__ import annotations

import pandas as pd

from . import report_tables as tables
from . import style
from .calculation import PriceModelResult
from .inputs import PriceModelInput

COLUMNS = [
    "service_area",
    "area",
    "service_id",
    "name",
    "customer_id",
    "customer",
    "staff_category",
    "category",
    "fte",
    "amount",
]
HEADERS = {
    "area": "Tjänsteområde",
    "name": "Tjänst",
    "customer": "Kund",
    "category": "Personalkategori",
    "fte": "Årsarbetare",
    "amount": "Kostnad",
}
FORMATS = {"fte": "decimal", "amount": "kr2"}  # FTEs of a service: 0,45
SHEET_HEADERS = {
    "area": "Tjänsteområde",
    "service_id": "Tjänst-id",
    "name": "Tjänst",
    "customer": "Kund",
    "category": "Personalkategori",
    "fte": "Årsarbetare",
    "amount": "Kostnad, kr",
}


def dedicated_table(
    model: PriceModelInput,
    result: PriceModelResult,
    service_area: str | None = None,
    customer_id: str | None = None,
) -> pd.DataFrame:
    """The dedicated services with display names, optionally of one area or one customer.

    Columns: COLUMNS (``amount`` is the exact d_j); in the calculation's order (model order of
    the areas, then service_id). Empty (with the columns) when there are none.
    """
    services = result.dedicated_services
    if services is None or services.empty:
        return pd.DataFrame(columns=COLUMNS)
    rows = services
    if service_area is not None:
        rows = rows[rows["service_area"] == service_area]
    if customer_id is not None:
        rows = rows[rows["customer_id"] == customer_id]
    table = rows.copy()
    table["area"] = table["service_area"].map(tables.area_names(model))
    table["customer"] = table["customer_id"].map(tables.customer_names(model))
    table["category"] = table["staff_category"].map(tables.staff_category_label)
    table["name"] = table["name"].where(table["name"] != "", table["service_id"])
    return table[COLUMNS].reset_index(drop=True)


def dedicated_display(
    model: PriceModelInput,
    result: PriceModelResult,
    service_area: str | None = None,
    customer_id: str | None = None,
) -> tuple[pd.DataFrame, dict[str, str], dict[str, str]]:
    """:func:`dedicated_table` with a total row, and its headers and formats, for a table in
    the book. The area column is left out for one area, the customer column for one customer."""
    table = dedicated_table(model, result, service_area, customer_id)
    columns = [
        c
        for c in HEADERS
        if not (c == "area" and service_area) and not (c == "customer" and customer_id)
    ]
    label = columns[0]
    table = tables.with_total(table[columns], label, ["fte", "amount"])
    return table, {c: HEADERS[c] for c in columns}, dict(FORMATS)


def area_text(model: PriceModelInput, result: PriceModelResult, service_area: str) -> str:
    """Markdown for the area chapter: who bears which dedicated services, what they cost and
    what the keys share instead. Empty when the area has none."""
    table = dedicated_table(model, result, service_area)
    if table.empty:
        return ""
    costs = result.full_cost.set_index("service_area").loc[service_area]
    customers = list(dict.fromkeys(table["customer"]))
    who = style.md_escape(tables.join_sv(customers))
    count = len(table)
    services = "en tjänst" if count == 1 else f"{tables.number_word(count)} tjänster"
    return (
        "### Särskilda tjänster\n\n"
        f"I tjänsteområdet finns {services} som bara {who} använder och som "
        f"{'den' if len(customers) == 1 else 'de'} därför bär hela kostnaden för: "
        f"{style.format_number(table['fte'].sum(), 2)} årsarbetare, "
        f"{style.format_kr(table['amount'].sum())}. Kostnaden räknas med tjänsteområdets "
        "kostnad per årsarbetare (kostnadsschablon och förvaltningsövergripande overhead) och "
        "samma andel av den interna overheaden per årsarbetare som tjänsteområdet; övriga "
        "kostnader stannar i tjänsteområdet. Fördelningsnycklarna fördelar resten av "
        f"självkostnaden, {style.format_kr(costs['keyed_cost'])}.\n"
    )


def customer_text(model: PriceModelInput, result: PriceModelResult, customer_id: str) -> str:
    """Markdown for a customer's price sheet: its dedicated services (heading, sentence).
    Empty when the customer has none; the table comes from :func:`dedicated_display`."""
    table = dedicated_table(model, result, customer_id=customer_id)
    if table.empty:
        return ""
    areas = style.md_escape(tables.join_sv(list(dict.fromkeys(table["area"]))))
    return (
        "## Särskilda tjänster\n\n"
        f"Kunden är ensam om att använda tjänsterna nedan ({areas}) och bär hela deras "
        f"kostnad, sammanlagt {style.format_kr(table['amount'].sum())}. Beloppet ingår i "
        "priset per tjänsteområde ovan; resten av priset kommer från fördelningsnycklarna.\n"
    )


def comparison_note(model: PriceModelInput, result: PriceModelResult, service_area: str) -> str:
    """A sentence for a comparison of charges: which customer's new price in the area holds
    how much for dedicated services. Empty when the area has none."""
    table = dedicated_table(model, result, service_area)
    if table.empty:
        return ""
    parts = [
        f"{style.md_escape(name)} {style.format_kr(amount)}"
        for name, amount in table.groupby("customer", sort=False)["amount"].sum().items()
    ]
    return (
        "I de nya priserna ingår kostnaden för särskilda tjänster som bara en kund använder: "
        f"{tables.join_sv(parts)}."
    )
