"""The report's tables: selections of the input and the result, shaped for display.

The chapter notebooks and the customer pages only pick and show what these functions return,
so no figure of the book is computed in a notebook. Every function is pure (model and result
in, DataFrame or plain values out) and works for any set of service areas, keys and customers.
Column names stay the domain's identifiers; the ``*_HEADERS`` and ``*_FORMATS`` mappings give
the Swedish headings and the house-style formats for :func:`prismodell.style.table_html`.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from . import style
from .calculation import (
    CUSTOMER_LEFT,
    PriceModelResult,
    dedicated_charges,
    internal_overhead_pool,
)
from .inputs import INTERNAL_OVERHEAD, PriceModelInput

TOTAL_LABEL = "Totalt"
EXAMPLE_NOTE = " (exempeldata)"

# Display names of staff categories; an unknown category shows its id with a capital letter.
STAFF_CATEGORY_LABELS = {
    "ekonomiadministrator": "Ekonomiadministratör",
    "ekonom": "Ekonom",
    "systemforvaltare": "Systemförvaltare",
    "kundansvarig": "Kundansvarig",
    "verksamhetsutvecklare": "Verksamhetsutvecklare",
    "ledning": "Ledning",
}

# å, ä, ö come after z: mapped to the ASCII characters right after "z" ("{", "|", "}").
_SWEDISH_ORDER = str.maketrans(
    {
        "å": "{",
        "ä": "|",
        "æ": "|",
        "ö": "}",
        "ø": "}",
        "é": "e",
        "è": "e",
        "ü": "y",
        "à": "a",
    }
)


def sort_key_sv(text: str) -> str:
    """A sort key in Swedish alphabetical order (… x, y, z, å, ä, ö), case-insensitive."""
    return str(text).casefold().translate(_SWEDISH_ORDER)


def sort_by_name(frame: pd.DataFrame, column: str = "name") -> pd.DataFrame:
    """Rows in Swedish alphabetical order of ``column``."""
    return frame.sort_values(column, key=lambda s: s.map(sort_key_sv), kind="stable").reset_index(
        drop=True
    )


def staff_category_label(category: str) -> str:
    return STAFF_CATEGORY_LABELS.get(category, str(category).replace("_", " ").capitalize())


def area_names(model: PriceModelInput) -> dict[str, str]:
    """service_area id → display name, in model order."""
    return dict(zip(model.service_areas["service_area"], model.service_areas["name"], strict=True))


def key_names(model: PriceModelInput) -> dict[str, str]:
    return dict(zip(model.keys["key_id"], model.keys["name"], strict=True))


def customer_names(model: PriceModelInput) -> dict[str, str]:
    return dict(zip(model.customers["customer_id"], model.customers["name"], strict=True))


def caption(model: PriceModelInput, text: str) -> str:
    """A table or figure caption, marked as example data when the data are illustrative."""
    return text + (EXAMPLE_NOTE if model.example_data else "")


def with_total(
    frame: pd.DataFrame, label_column: str, sum_columns: list[str], label: str = TOTAL_LABEL
) -> pd.DataFrame:
    """``frame`` with a last row that sums ``sum_columns`` (other columns left empty)."""
    total = {c: None for c in frame.columns}
    total[label_column] = label
    for column in sum_columns:
        total[column] = frame[column].sum()
    return pd.concat([frame, pd.DataFrame([total])], ignore_index=True)


def relative_change(new, previous):
    """The change against last year as a share of last year: (new − previous) / previous,
    e.g. -0.026. None (in a Series: NaN) where last year is 0 kr or less, since no percentage
    can be taken of nothing. Works on numbers and on aligned Series.

    The one place the views compute it (it lives here, below narrative_views, because the
    tables need it too); format it with :func:`prismodell.style.format_percent`."""
    if isinstance(previous, pd.Series):
        return (new - previous) / previous.where(previous > 0)
    if previous is None or not previous > 0:
        return None
    return (new - previous) / previous


def _change(frame: pd.DataFrame) -> pd.DataFrame:
    frame["difference"] = frame["new"] - frame["previous"]
    frame["change"] = relative_change(frame["new"], frame["previous"])
    return frame


def total_row_change(table: pd.DataFrame, new: str = "new") -> pd.DataFrame:
    """Fill the relative change of a table's total row (the last, from :func:`with_total`);
    ``new`` names this year's column."""
    last = table.index[-1]
    table.at[last, "change"] = relative_change(table.at[last, new], table.at[last, "previous"])
    return table


def _with_total_change(frame: pd.DataFrame, label_column: str) -> pd.DataFrame:
    return total_row_change(with_total(frame, label_column, ["previous", "new", "difference"]))


# --------------------------------------------------------------------------- full cost

FULL_COST_HEADERS = {
    "name": "Tjänsteområde",
    "fte": "Årsarbetare",
    "personnel": "Personal",
    "administration_overhead": "Förvaltningsövergripande overhead",
    "internal_overhead": "Interna overheadkostnader",
    "other_costs": "Övriga kostnader",
    "full_cost": "Självkostnad",
}
FULL_COST_FORMATS = {
    "fte": "fte",
    "personnel": "kr",
    "administration_overhead": "kr",
    "internal_overhead": "kr",
    "other_costs": "kr",
    "full_cost": "kr",
}


def full_cost_table(model: PriceModelInput, result: PriceModelResult) -> pd.DataFrame:
    """Full cost per service area and its build-up, with a total row (rules 1–4)."""
    table = result.full_cost.copy()
    table.insert(0, "name", table["service_area"].map(area_names(model)))
    columns = ["name", *FULL_COST_FORMATS]
    return with_total(table[columns], "name", list(FULL_COST_FORMATS))


def overhead_summary(model: PriceModelInput, result: PriceModelResult) -> dict[str, float]:
    """The overhead parameters of the full cost (rules 2–3), as plain numbers.

    Keys: administration_overhead_per_fte, internal_overhead_pool, internal_overhead_fte,
    production_fte, internal_overhead_per_fte, total_full_cost, productive_hours_per_fte.
    """
    pool = internal_overhead_pool(
        model.staffing,
        model.cost_standards,
        model.administration_overhead_per_fte,
        model.other_costs,
    )
    internal = model.staffing[model.staffing["service_area"] == INTERNAL_OVERHEAD]
    production_fte = float(result.full_cost["fte"].sum())
    return {
        "administration_overhead_per_fte": float(model.administration_overhead_per_fte),
        "internal_overhead_pool": float(pool),
        "internal_overhead_fte": float(internal["fte"].sum()),
        "production_fte": production_fte,
        "internal_overhead_per_fte": float(pool / production_fte) if production_fte else 0.0,
        "total_full_cost": float(result.total_full_cost),
        "productive_hours_per_fte": float(model.productive_hours_per_fte),
    }


COST_STANDARD_HEADERS = {
    "label": "Personalkategori",
    "cost_standard": "Kostnadsschablon per årsarbetare",
    "production_fte": "Årsarbetare i tjänsteområdena",
    "internal_fte": "Årsarbetare i intern overhead",
}
COST_STANDARD_FORMATS = {
    "cost_standard": "kr",
    "production_fte": "fte",
    "internal_fte": "fte",
}


def cost_standards_table(model: PriceModelInput) -> pd.DataFrame:
    """Cost standard per staff category and the FTEs of that category, in model order."""
    staffing = model.staffing
    internal = staffing["service_area"] == INTERNAL_OVERHEAD
    production = staffing[~internal].groupby("staff_category")["fte"].sum()
    overhead = staffing[internal].groupby("staff_category")["fte"].sum()
    categories = model.cost_standards.index
    return pd.DataFrame(
        {
            "staff_category": categories,
            "label": [staff_category_label(c) for c in categories],
            "cost_standard": model.cost_standards.to_numpy(dtype=float),
            "production_fte": production.reindex(categories, fill_value=0.0).to_numpy(),
            "internal_fte": overhead.reindex(categories, fill_value=0.0).to_numpy(),
        }
    )


HOURLY_RATE_HEADERS = {
    "label": "Personalkategori",
    "cost_standard": "Kostnadsschablon",
    "administration_overhead": "Förvaltningsövergripande overhead",
    "internal_overhead": "Intern overhead",
    "cost_per_fte": "Kostnad per årsarbetare",
    "hourly_rate": "Timpris",
}
HOURLY_RATE_FORMATS = {
    "cost_standard": "kr",
    "administration_overhead": "kr",
    "internal_overhead": "kr",
    "cost_per_fte": "kr",
    "hourly_rate": "kr",
}


def hourly_rates_table(model: PriceModelInput, result: PriceModelResult) -> pd.DataFrame:
    """Rule 9 shown step by step: the yearly cost of one FTE per category and its hourly rate.

    The hourly rate itself is the calculation's (``result.hourly_rates``).
    """
    overhead = overhead_summary(model, result)
    table = cost_standards_table(model)[["staff_category", "label", "cost_standard"]]
    table["administration_overhead"] = overhead["administration_overhead_per_fte"]
    table["internal_overhead"] = overhead["internal_overhead_per_fte"]
    table["cost_per_fte"] = (
        table["cost_standard"] + table["administration_overhead"] + table["internal_overhead"]
    )
    rates = result.hourly_rates.set_index("staff_category")["hourly_rate"]
    table["hourly_rate"] = table["staff_category"].map(rates)
    return table


# --------------------------------------------------------------------------- one service area

KEY_HEADERS = {
    "name": "Fördelningsnyckel",
    "weight": "Vikt",
    "source": "Källa",
    "total_volume": "Total volym",
    "pool": "Andel av självkostnaden",
    "unit_price": "Pris per enhet",
}
KEY_FORMATS = {
    "weight": "weight",
    "total_volume": "number",
    "pool": "kr",
    "unit_price": "unit_price",
}


def area_keys_table(
    model: PriceModelInput, result: PriceModelResult, service_area: str
) -> pd.DataFrame:
    """The keys of one service area: weight, source, total volume, pool and unit price."""
    keys = model.keys[model.keys["service_area"] == service_area]
    prices = result.unit_prices.set_index("key_id")
    table = keys[["key_id", "name", "weight", "source"]].reset_index(drop=True)
    for column in ("total_volume", "pool", "unit_price"):
        table[column] = table["key_id"].map(prices[column])
    return table


def area_allocation(
    model: PriceModelInput, result: PriceModelResult, service_area: str
) -> pd.DataFrame:
    """Each charged customer of one service area: its volume per key (one column per key_id),
    the exact amount, the price-list charge in whole kronor and its share of the full cost.

    Sorted by charge, largest first (ties by name). Columns: customer_id, name, <key ids>,
    [dedicated,] exact_amount, charge, share; ``dedicated`` (the customer's dedicated services,
    rule 5, included in exact_amount) only when the area has any.
    """
    keys = list(model.keys.loc[model.keys["service_area"] == service_area, "key_id"])
    volumes = (
        model.volumes[model.volumes["key_id"].isin(keys)]
        .pivot_table(index="customer_id", columns="key_id", values="volume", aggfunc="sum")
        .reindex(columns=keys)
    )
    rows = result.allocation[result.allocation["service_area"] == service_area]
    own = dedicated_charges(result.dedicated_services, service_area)
    exact = rows.groupby("customer_id")["amount"].sum().add(own, fill_value=0.0)
    prices = result.price_list[result.price_list["service_area"] == service_area]
    table = prices[["customer_id", "amount"]].rename(columns={"amount": "charge"})
    table.insert(1, "name", table["customer_id"].map(customer_names(model)))
    for key in keys:
        table[key] = table["customer_id"].map(volumes[key]).fillna(0.0)
    table["exact_amount"] = table["customer_id"].map(exact)
    extra = []
    if not own.empty:
        table["dedicated"] = table["customer_id"].map(own).fillna(0.0)
        extra = ["dedicated"]
    table = table[["customer_id", "name", *keys, *extra, "exact_amount", "charge"]]
    total = table["charge"].sum()
    table["share"] = table["charge"] / total if total else 0.0
    table["_sort"] = table["name"].map(sort_key_sv)
    table = table.sort_values(["charge", "_sort"], ascending=[False, True], kind="stable")
    return table.drop(columns="_sort").reset_index(drop=True)


def area_allocation_table(
    model: PriceModelInput, result: PriceModelResult, service_area: str
) -> tuple[pd.DataFrame, dict[str, str], dict[str, str]]:
    """:func:`area_allocation` with a total row, and its headers and formats for display."""
    table = area_allocation(model, result, service_area)
    keys = [
        c
        for c in table.columns
        if c not in ("customer_id", "name", "dedicated", "exact_amount", "charge", "share")
    ]
    extra = [c for c in ("dedicated",) if c in table]
    table = with_total(table, "name", [*keys, *extra, "exact_amount", "charge", "share"])
    names = key_names(model)
    headers = {
        "name": "Kund",
        **{k: names[k] for k in keys},
        **{c: DEDICATED_LABEL for c in extra},
        "exact_amount": "Exakt belopp",
        "charge": "Pris enligt prislistan",
        "share": "Andel",
    }
    formats = {
        **{k: "number" for k in keys},
        **{c: "kr2" for c in extra},
        "exact_amount": "kr2",
        "charge": "kr",
        "share": "percent",
    }
    return table.drop(columns="customer_id"), headers, formats


DEDICATED_LABEL = "Särskilda tjänster"


def area_allocation_by_key(
    model: PriceModelInput, result: PriceModelResult, service_area: str
) -> pd.DataFrame:
    """Wide table for the allocation figure: index customer name, one column per key name
    (keys with a positive pool only), values the exact kronor from that key; a last column
    "Särskilda tjänster" when the area has dedicated services (rule 5)."""
    rows = result.allocation[result.allocation["service_area"] == service_area]
    pools = result.unit_prices[result.unit_prices["service_area"] == service_area]
    keys = list(pools.loc[pools["pool"] > 0, "key_id"])
    wide = (
        rows[rows["key_id"].isin(keys)]
        .pivot_table(index="customer_id", columns="key_id", values="amount", aggfunc="sum")
        .reindex(columns=keys)
        .fillna(0.0)
    )
    wide.columns = [key_names(model)[k] for k in wide.columns]
    own = dedicated_charges(result.dedicated_services, service_area)
    if not own.empty:
        wide = wide.reindex(wide.index.union(own.index), fill_value=0.0)
        wide[DEDICATED_LABEL] = own.reindex(wide.index, fill_value=0.0)
    wide.index = wide.index.map(customer_names(model))
    wide.index.name = None
    return wide


def area_charges_by_name(
    model: PriceModelInput, result: PriceModelResult, service_area: str
) -> pd.Series:
    """Price-list charge per customer name for one service area (labels of the figure)."""
    prices = result.price_list[result.price_list["service_area"] == service_area]
    return pd.Series(
        prices["amount"].to_numpy(dtype=float),
        index=prices["customer_id"].map(customer_names(model)).to_numpy(),
    )


def key_remarks(model: PriceModelInput, service_area: str) -> pd.DataFrame:
    """The narrative's remarks on the keys of one service area (``rapport/keys.yml``):
    columns key_id ("" for the whole area) and text. Empty when the data folder has no
    narrative folder."""
    from .context import narrative_of
    from .narrative import NARRATIVE_DIR

    if not (Path(model.data_dir) / NARRATIVE_DIR).is_dir():
        return pd.DataFrame({"key_id": pd.Series(dtype=str), "text": pd.Series(dtype=str)})
    remarks = narrative_of(model).keys.remarks
    rows = remarks[remarks["service_area"] == service_area]
    return rows[["key_id", "text"]].reset_index(drop=True)


def key_notes_text(model: PriceModelInput, result: PriceModelResult, service_area: str) -> str:
    """The remarks under a service area's key table, as one paragraph ("" when none).

    Keys with weight 0 get a sentence of their own unless a remark is about one of them.
    """
    keys = area_keys_table(model, result, service_area)
    remarks = key_remarks(model, service_area)
    sentences = list(remarks["text"])
    zero = keys[keys["weight"] == 0]
    if not zero.empty and not zero["key_id"].isin(remarks["key_id"]).any():
        sentences.append(
            f"{join_sv(list(zero['name']))} har vikten 0 % och påverkar inte priset; "
            "volymerna redovisas som information."
        )
    if not sentences:
        return ""
    return "Anmärkning: " + " ".join(str(t).strip() for t in sentences)


def largest_customers(
    model: PriceModelInput, result: PriceModelResult, service_area: str, n: int = 5
) -> pd.DataFrame:
    """The ``n`` customers with the largest charge for one service area (name, charge, share)."""
    return area_allocation(model, result, service_area)[["name", "charge", "share"]].head(n)


def price_list_check(result: PriceModelResult) -> pd.DataFrame:
    """The invariant Σ price list = full cost, per service area (in model order).

    Columns: service_area, full_cost, price_list_total, difference (0 when it holds).
    """
    sums = result.price_list.groupby("service_area")["amount"].sum()
    table = result.full_cost[["service_area", "full_cost"]].copy()
    table["price_list_total"] = table["service_area"].map(sums).fillna(0).astype("int64")
    table["difference"] = table["price_list_total"] - table["full_cost"]
    return table.reset_index(drop=True)


# --------------------------------------------------------------------------- comparison

COMPARISON_HEADERS = {
    "name": "Kund",
    "type": "Typ",
    "previous": "Föregående år",
    "new": "Ny prislista",
    "difference": "Förändring",
    "change": "Förändring, procent",
    "status": "Anmärkning",
}
COMPARISON_FORMATS = {"previous": "kr", "new": "kr", "difference": "signed_kr", "change": "change"}


def customer_comparison(model: PriceModelInput, result: PriceModelResult) -> pd.DataFrame | None:
    """Old against new charges per customer (rule 10), by name; None without previous charges.

    Columns: customer_id, name, type, previous, new, difference, change, status (``ny``, ``har
    lämnat`` or ''). A customer that has left is shown by its id: it is in no customers.csv.
    """
    if result.comparison is None:
        return None
    table = result.comparison.by_customer.merge(
        model.customers[["customer_id", "name", "type"]], on="customer_id", how="left"
    )
    table["name"] = table["name"].fillna(table["customer_id"])
    columns = ["customer_id", "name", "type", "previous", "new", "difference", "change", "status"]
    return sort_by_name(table[columns])


def customer_comparison_table(
    model: PriceModelInput, result: PriceModelResult
) -> pd.DataFrame | None:
    """:func:`customer_comparison` with a total row, for display."""
    table = customer_comparison(model, result)
    if table is None:
        return None
    return _with_total_change(table.drop(columns="customer_id"), "name")


def area_comparison_table(model: PriceModelInput, result: PriceModelResult) -> pd.DataFrame | None:
    """Old against new per service area in model order, with a total row."""
    if result.comparison is None:
        return None
    table = result.comparison.by_area[["service_area", "previous", "new"]].copy()
    table.insert(
        0, "name", table["service_area"].map(area_names(model)).fillna(table["service_area"])
    )
    table = _change(table.drop(columns="service_area"))
    return _with_total_change(table, "name")


def area_customer_comparison(
    model: PriceModelInput, result: PriceModelResult, service_area: str
) -> pd.DataFrame | None:
    """Old against new for one service area per customer (by name), with a total row."""
    if result.comparison is None:
        return None
    rows = result.comparison.by_customer_area
    rows = rows[rows["service_area"] == service_area]
    if rows.empty or rows["previous"].sum() == 0:
        return None
    table = rows[["customer_id", "previous", "new"]].copy()
    table.insert(
        1, "name", table["customer_id"].map(customer_names(model)).fillna(table["customer_id"])
    )
    table = sort_by_name(_change(table)).drop(columns="customer_id")
    return _with_total_change(table, "name")


def customer_changes_text(model: PriceModelInput, result: PriceModelResult) -> str:
    """One sentence on the customers that joined and left since last year ('' if none)."""
    comparison = result.comparison
    if comparison is None or not (comparison.joined or comparison.left):
        return ""
    names = customer_names(model)
    parts = []
    if comparison.joined:
        joined = sorted((names.get(c, c) for c in comparison.joined), key=sort_key_sv)
        parts.append(
            f"{'Ny kund' if len(joined) == 1 else 'Nya kunder'} i år: {join_sv(joined)}."
        )
    if comparison.left:
        left = sorted(comparison.left, key=sort_key_sv)
        parts.append(
            f"{'Kunden' if len(left) == 1 else 'Kunderna'} {join_sv(left)} "
            "har lämnat sedan föregående år: 0 kr i år, "
            "och förra årets debitering ingår i föregående års summa."
        )
    return " ".join(parts)


def comparison_summary(result: PriceModelResult) -> dict[str, float] | None:
    """Totals of rule 10: previous_total, new_total, changed_assignments_total,
    change_excluding, change_including (shares, e.g. -0.026); None without previous charges."""
    comparison = result.comparison
    if comparison is None:
        return None
    return {
        "previous_total": comparison.previous_total,
        "new_total": comparison.new_total,
        "changed_assignments_total": comparison.changed_assignments_total,
        "difference": comparison.new_total - comparison.previous_total,
        "change_excluding": comparison.change_excluding,
        "change_including": comparison.change_including,
    }


CHANGED_ASSIGNMENT_HEADERS = {
    "name": "Tjänsteområde",
    "change": "Förändring",
    "description": "Beskrivning",
    "comment": "Kommentar",
    "cost_effect": "Kostnadseffekt",
}
CHANGED_ASSIGNMENT_FORMATS = {"cost_effect": "signed_kr"}


def changed_assignments_table(model: PriceModelInput) -> pd.DataFrame | None:
    """New and removed base services with their cost effect, with a total row; None if none."""
    changes = model.changed_assignments
    if changes is None or changes.empty:
        return None
    table = changes.copy()
    table.insert(
        0, "name", table["service_area"].map(area_names(model)).fillna(table["service_area"])
    )
    columns = ["name", "change", "description"]
    if "comment" in table.columns:
        columns.append("comment")
    table = table[[*columns, "cost_effect"]].fillna({c: "" for c in columns})
    return with_total(table, "name", ["cost_effect"])


# --------------------------------------------------------------------------- customers


def customer_overview(model: PriceModelInput, result: PriceModelResult) -> pd.DataFrame:
    """Every customer with a price-list row, by name: customer_id, name, type, total and, with
    previous charges, previous, difference and change."""
    totals = result.price_list.groupby("customer_id")["amount"].sum()
    table = model.customers[model.customers["customer_id"].isin(totals.index)][
        ["customer_id", "name", "type"]
    ].copy()
    table["total"] = table["customer_id"].map(totals)
    if result.comparison is not None:
        by_customer = result.comparison.by_customer.set_index("customer_id")
        table["previous"] = table["customer_id"].map(by_customer["previous"]).fillna(0.0)
        table["difference"] = table["total"] - table["previous"]
        table["change"] = relative_change(table["total"], table["previous"])
    return sort_by_name(table)


def leaver_rows(result: PriceModelResult) -> pd.DataFrame:
    """The customers that have left, as rows beside :func:`customer_overview` (total 0 kr),
    so that a table of customers sums to the same previous total as the comparison. The name
    is the id with the status: a leaver is in no customers.csv."""
    columns = ["customer_id", "name", "type", "total", "previous", "difference", "change"]
    if result.comparison is None or not result.comparison.left:
        return pd.DataFrame(columns=columns)
    rows = result.comparison.by_customer
    rows = rows[rows["customer_id"].isin(result.comparison.left)].copy()
    rows["name"] = rows["customer_id"] + f" ({CUSTOMER_LEFT})"
    rows["type"] = ""
    rows["total"] = 0
    return sort_by_name(rows[columns])


def customer_charges(
    model: PriceModelInput, result: PriceModelResult, customer_id: str
) -> pd.DataFrame:
    """One customer's charge per service area in model order (areas it pays for now or paid
    for last year). Columns: service_area, label, new and, with previous charges, previous,
    difference, change."""
    prices = result.price_list[result.price_list["customer_id"] == customer_id]
    new = prices.set_index("service_area")["amount"]
    areas = list(model.service_areas["service_area"])
    table = pd.DataFrame({"service_area": areas})
    table["label"] = table["service_area"].map(area_names(model))
    table["new"] = table["service_area"].map(new).fillna(0.0)
    if result.comparison is not None:
        rows = result.comparison.by_customer_area
        rows = rows[rows["customer_id"] == customer_id].set_index("service_area")
        extra = [a for a in rows.index if a not in areas]
        if extra:
            table = pd.concat(
                [table, pd.DataFrame({"service_area": extra, "label": extra, "new": 0.0})],
                ignore_index=True,
            )
        table["previous"] = table["service_area"].map(rows["previous"]).fillna(0.0)
        table = _change(table)
        keep = (table["new"] > 0) | (table["previous"] > 0)
    else:
        keep = table["new"] > 0
    return table[keep].reset_index(drop=True)


def customer_volumes(
    model: PriceModelInput, result: PriceModelResult, customer_id: str
) -> pd.DataFrame:
    """One customer's volumes per key with the key's total, its share, unit price and the
    exact kronor it gives (keys in model order, only keys where the customer has volume).

    Columns: service_area, area, key_id, key, volume, total_volume, share, unit_price, amount.
    """
    volumes = model.volumes[
        (model.volumes["customer_id"] == customer_id) & (model.volumes["volume"] > 0)
    ]
    volume = volumes.groupby("key_id")["volume"].sum()
    prices = result.unit_prices[result.unit_prices["key_id"].isin(volume.index)].copy()
    rows = result.allocation[result.allocation["customer_id"] == customer_id]
    amount = rows.set_index("key_id")["amount"]
    prices["volume"] = prices["key_id"].map(volume)
    prices["share"] = prices["volume"] / prices["total_volume"].where(prices["total_volume"] > 0)
    prices["amount"] = prices["key_id"].map(amount).fillna(0.0)
    prices["area"] = prices["service_area"].map(area_names(model))
    prices["key"] = prices["key_id"].map(key_names(model))
    columns = [
        "service_area",
        "area",
        "key_id",
        "key",
        "volume",
        "total_volume",
        "share",
        "unit_price",
        "amount",
    ]
    return prices[columns].reset_index(drop=True)


# --------------------------------------------------------------------------- sentences

NUMBER_WORDS = {
    1: "en",
    2: "två",
    3: "tre",
    4: "fyra",
    5: "fem",
    6: "sex",
    7: "sju",
    8: "åtta",
    9: "nio",
    10: "tio",
}


def number_word(n: int) -> str:
    """3 → 'tre'; numbers above ten as digits (Swedish style for running text)."""
    return NUMBER_WORDS.get(n, style.format_number(n))


def join_sv(items: list[str]) -> str:
    """['a', 'b', 'c'] → 'a, b och c'."""
    items = [str(i) for i in items]
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " och " + items[-1]


def customer_count(result: PriceModelResult, service_area: str | None = None) -> int:
    """Customers with a price-list row (in one service area, or in any)."""
    prices = result.price_list
    if service_area is not None:
        prices = prices[prices["service_area"] == service_area]
    return int(prices["customer_id"].nunique())


def largest_customers_text(
    model: PriceModelInput, result: PriceModelResult, service_area: str, n: int = 5
) -> str:
    """A sentence naming the ``n`` customers that pay most for one service area."""
    top = largest_customers(model, result, service_area, n)
    if top.empty:
        return "Inga kunder har volymer inom tjänsteområdet."
    if len(top) == 1:
        row = top.iloc[0]
        return (
            f"Den enda kunden är {row['name']}, som betalar hela självkostnaden, "
            f"{style.format_kr(row['charge'])}."
        )
    parts = [f"{row.name} ({style.format_kr(row.charge)})" for row in top.itertuples()]
    if customer_count(result, service_area) <= n:
        return (
            f"Tjänsteområdets {number_word(len(top))} kunder är, från den som betalar mest, "
            f"{join_sv(parts)}."
        )
    share = style.format_percent(float(top["share"].sum()))
    return (
        f"De {number_word(len(top))} kunder som betalar mest är {join_sv(parts)}. "
        f"Tillsammans står de för {share} av tjänsteområdets självkostnad."
    )


def price_check_text(result: PriceModelResult, service_area: str | None = None) -> str:
    """Whether Σ price list = full cost holds (for one service area or all), in words."""
    check = price_list_check(result)
    if service_area is not None:
        check = check[check["service_area"] == service_area]
    difference = int(check["difference"].sum())
    if (check["difference"] == 0).all():
        return "Summan stämmer exakt: intäkterna är lika stora som kostnaderna."
    return (
        f"Summan stämmer inte: avvikelsen är {style.format_kr(difference)}. "
        "Prislistan ska inte publiceras förrän felet är utrett."
    )
