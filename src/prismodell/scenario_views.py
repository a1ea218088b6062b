"""A what-if scenario shown to people, in Swedish: what the scenario changes, the comparison
with the base year as tables and sentences for the book, as text for a terminal and as an Excel
workbook. The numbers come from :mod:`prismodell.scenario_comparison`.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from . import style
from .inputs import INTERNAL_OVERHEAD, PriceModelInput
from .report_tables import (
    TOTAL_LABEL,
    area_names,
    customer_names,
    key_names,
    relative_change,
    staff_category_label,
)
from .scenario_file import ALL_CUSTOMERS, Scenario

if TYPE_CHECKING:  # the comparison module builds its run with scenario_changes from here
    from .scenario_comparison import ScenarioComparison, ScenarioRun

# --------------------------------------------------------------------------- what changed

CHANGE_HEADERS = {
    "kind": "Ändring",
    "item": "Vad",
    "base": "Basår",
    "scenario": "Scenario",
}


def _share(value: float) -> str:
    for decimals in (0, 1, 2, 3):
        if abs(value * 100 - round(value * 100, decimals)) < 1e-9:
            break
    return style.format_percent(value, decimals)


def _quantity(value: float) -> str:
    return style.format_number(value, 0 if float(value).is_integer() else 2)


def _factor(value: float) -> str:
    return style.format_number(value, 2).rstrip("0").rstrip(",")


def scenario_change_values(model: PriceModelInput, scenario: Scenario) -> pd.DataFrame:
    """What the scenario changes in the base year ``model``, as numbers.

    Columns: kind, item (display text), base and scenario (numbers; base NaN for a staffing
    row the base year does not have), unit (``share``, ``kr``, ``fte``, ``fte2`` (two
    decimals) or ``volume``) and
    factor (volume changes, else NaN); one row per override, in the order of the file's
    sections.
    """
    areas, keys = area_names(model), key_names(model)
    customers = customer_names(model)
    key_area = dict(zip(model.keys["key_id"], model.keys["service_area"], strict=True))
    weights = dict(zip(model.keys["key_id"], model.keys["weight"], strict=True))
    nan = float("nan")
    rows = []
    for key, weight in scenario.weights.items():
        item = f"{areas[key_area[key]]}: {keys[key]}"
        rows.append(("Vikt", item, weights[key], weight, "share", nan))
    for category, value in scenario.cost_standards.items():
        item = f"{staff_category_label(category)}, kr per årsarbetare"
        rows.append(("Kostnadsschablon", item, model.cost_standards[category], value, "kr", nan))
    if scenario.administration_overhead_per_fte is not None:
        rows.append(
            (
                "Overhead",
                "Förvaltningsövergripande overhead, kr per årsarbetare",
                model.administration_overhead_per_fte,
                scenario.administration_overhead_per_fte,
                "kr",
                nan,
            )
        )
    staffing = model.staffing
    for change in scenario.staffing:
        base = staffing.loc[
            (staffing["service_area"] == change.service_area)
            & (staffing["staff_category"] == change.staff_category),
            "fte",
        ]
        area = (
            "Intern overhead"
            if change.service_area == INTERNAL_OVERHEAD
            else areas[change.service_area]
        )
        item = f"{area}: {staff_category_label(change.staff_category)}, årsarbetare"
        rows.append(
            ("Bemanning", item, base.sum() if len(base) else nan, change.fte, "fte", nan)
        )
    volumes = model.volumes
    for change in scenario.volume_changes:
        hit = volumes["key_id"] == change.key_id
        if change.customer_id is not None:
            hit &= volumes["customer_id"] == change.customer_id
        base = float(volumes.loc[hit, "volume"].sum())
        who = ALL_CUSTOMERS if change.customer_id is None else customers[change.customer_id]
        item = f"{who}: {areas[key_area[change.key_id]]} – {keys[change.key_id]}"
        rows.append(("Volym", item, base, base * change.factor, "volume", change.factor))
    if scenario.dedicated_services:
        services = model.dedicated_services.set_index("service_id")
        for change in scenario.dedicated_services:
            service = services.loc[change.service_id]
            label = service["name"] or change.service_id
            item = (
                f"{areas[service['service_area']]}: {label} "
                f"({customers[service['customer_id']]}), årsarbetare"
            )
            rows.append(
                ("Särskild tjänst", item, float(service["fte"]), change.fte, "fte2", nan)
            )
    columns = [*CHANGE_HEADERS, "unit", "factor"]
    return pd.DataFrame(rows, columns=columns).astype({"base": float, "scenario": float})


_CHANGE_TEXT = {
    "share": _share,
    "kr": style.format_kr,
    "fte": lambda value: style.format_number(value, 1),
    "fte2": lambda value: style.format_number(value, 2),  # dedicated services' FTEs
    "volume": _quantity,
}


def scenario_changes(model: PriceModelInput, scenario: Scenario) -> pd.DataFrame:
    """What the scenario changes in the base year ``model``, as display text.

    Columns: kind, item, base, scenario (see ``CHANGE_HEADERS``); one row per override, in the
    order of the file's sections (the numbers: :func:`scenario_change_values`).
    """
    values = scenario_change_values(model, scenario)
    rows = []
    for row in values.itertuples(index=False):
        text = _CHANGE_TEXT[row.unit]
        base = "– (ny rad)" if pd.isna(row.base) else text(row.base)
        new = text(row.scenario)
        if row.unit == "volume":
            new += f" (×{style.NBSP}{_factor(row.factor)})"
        rows.append((row.kind, row.item, base, new))
    return pd.DataFrame(rows, columns=list(CHANGE_HEADERS))


# --------------------------------------------------------------------------- display

AREA_HEADERS = {
    "area": "Tjänsteområde",
    "base": "Självkostnad basår",
    "scenario": "Självkostnad scenario",
    "cost_change": "Kostnadsförändring",
    "change": "Förändring %",
    "redistribution": "Omfördelning mellan kunder",
}
AREA_FORMATS = {
    "base": "kr",
    "scenario": "kr",
    "cost_change": "signed_kr",
    "change": "change",
    "redistribution": "kr",
}
CUSTOMER_AREA_HEADERS = {
    "name": "Kund",
    "area": "Tjänsteområde",
    "base": "Basår",
    "scenario": "Scenario",
    "difference": "Förändring",
    "change": "Förändring %",
}
CUSTOMER_AREA_FORMATS = {
    "base": "kr", "scenario": "kr", "difference": "signed_kr", "change": "change"
}
REDISTRIBUTION_NOTE = (
    "Omfördelningen är summan av kundernas ökningar och minskningar utöver tjänsteområdets "
    "kostnadsförändring (fördelad efter basårets andelar); varje omfördelad krona räknas både "
    "hos kunden som betalar mer och hos kunden som betalar mindre. Några kronor kan komma från "
    "avrundningen till hela kronor."
)


def area_table(comparison: ScenarioComparison) -> pd.DataFrame:
    """Full cost per service area in base and scenario, cost change and redistribution, with
    a total row."""
    table = comparison.by_area[list(AREA_HEADERS)].copy()
    total = {
        "area": TOTAL_LABEL,
        "base": comparison.base_total,
        "scenario": comparison.scenario_total,
        "cost_change": comparison.cost_change,
        "change": comparison.cost_change / comparison.base_total
        if comparison.base_total
        else np.nan,
        "redistribution": comparison.redistribution,
    }
    return pd.concat([table, pd.DataFrame([total])], ignore_index=True)


def top_changes(comparison: ScenarioComparison, n: int = 15) -> pd.DataFrame:
    """The ``n`` largest changes per customer and service area (rows without change left out)."""
    rows = comparison.by_customer_area
    rows = rows[rows["difference"] != 0].head(n)
    return rows[list(CUSTOMER_AREA_HEADERS)].reset_index(drop=True)


def changes_by_area_wide(run: ScenarioRun, n: int = 15) -> pd.DataFrame:
    """For the figure: the ``n`` customers with the largest total change (rows, display
    names), one column per service area (display names, model order), signed kronor."""
    comparison = run.comparison
    top = comparison.by_customer[comparison.by_customer["difference"] != 0].head(n)
    detail = comparison.by_customer_area
    rows = detail[detail["customer_id"].isin(top["customer_id"])]
    wide = rows.pivot_table(
        index="customer_id", columns="service_area", values="difference", aggfunc="sum"
    )
    order = list(run.base_model.service_areas["service_area"])
    wide = wide.reindex(index=top["customer_id"], columns=order).fillna(0.0)
    wide.index = top["name"].to_numpy()
    wide.columns = [area_names(run.base_model)[a] for a in order]
    return wide


def summary_text(run: ScenarioRun) -> str:
    """The scenario's effect in two or three Swedish sentences (for the book and the CLI)."""
    c = run.comparison
    parts = []
    if round(c.cost_change) == 0:
        parts.append(
            f"Scenariot ändrar inte den sammanlagda självkostnaden, "
            f"{style.format_kr(c.base_total)}."
        )
    else:
        change = relative_change(c.scenario_total, c.base_total)
        parts.append(
            f"Scenariot ändrar den sammanlagda självkostnaden från "
            f"{style.format_kr(c.base_total)} till {style.format_kr(c.scenario_total)}, en "
            f"kostnadsförändring på {style.format_signed_kr(c.cost_change)} "
            f"({style.format_percent(change, signed=True)})."
        )
    unchanged = c.by_area.loc[c.by_area["cost_change"] == 0, "area"].tolist()
    if unchanged and len(unchanged) < len(c.by_area):
        parts.append(
            "Självkostnaden är oförändrad för "
            + ", ".join(unchanged[:-1])
            + (" och " if len(unchanged) > 1 else "")
            + unchanged[-1]
            + "."
        )
    if round(c.redistribution) == 0:
        parts.append("Ingen kostnad omfördelas mellan kunderna.")
    else:
        parts.append(
            ("Mellan kunderna" if round(c.cost_change) == 0 else "Utöver kostnadsförändringen")
            + f" omfördelas {style.format_kr(c.redistribution)}"
            + (" mellan kunderna" if round(c.cost_change) else "")
            + " (summan av ökningar och minskningar)."
        )
    top = c.by_customer_area[c.by_customer_area["difference"] != 0]
    if len(top):
        first = top.iloc[0]
        parts.append(
            f"Störst blir förändringen för {first['name']} inom {first['area']}: "
            f"{style.format_signed_kr(first['difference'])}"
            + (
                f" ({style.format_percent(first['change'], signed=True)})."
                if pd.notna(first["change"])
                else "."
            )
        )
    return " ".join(parts)


def _text_table(header: list[str], rows: list[list[str]], right: set[int]) -> list[str]:
    cells = [header] + rows
    widths = [max(len(r[j]) for r in cells) for j in range(len(header))]
    lines = []
    for i, row in enumerate(cells):
        parts = [
            cell.rjust(widths[j]) if j in right else cell.ljust(widths[j])
            for j, cell in enumerate(row)
        ]
        lines.append("  " + "  ".join(parts).rstrip())
        if i == 0:
            lines.append("  " + "  ".join("-" * w for w in widths))
    return lines


def _short(text: str, width: int) -> str:
    text = str(text)
    return text if len(text) <= width else text[: width - 1] + "…"


def comparison_text(run: ScenarioRun, top: int = 15) -> str:
    """The comparison for a terminal: changes, totals per area, top changes (Swedish)."""

    def kr(value: float) -> str:
        return style.plain_spaces(style.format_kr(value))

    def signed(value: float) -> str:
        return style.plain_spaces(style.format_signed_kr(value))

    def pct(value: float) -> str:
        return style.plain_spaces(style.format_percent(value, signed=True))

    model, c = run.base_model, run.comparison
    lines = [
        f"Scenario {run.name}: {run.scenario.title}",
        f"Jämfört med basåret: prislista {model.price_list_year} i {model.data_dir}"
        + (" – EXEMPELDATA" if model.example_data else ""),
        "",
        "Ändringar mot basåret:",
    ]
    if run.changes.empty:
        lines.append("  (inga – scenariot ger basåret)")
    else:
        lines += _text_table(
            ["Ändring", "Vad", "Basår", "Scenario"],
            [[style.plain_spaces(str(v)) for v in row] for row in run.changes.to_numpy()],
            {2, 3},
        )
    lines += ["", "Per tjänsteområde (summan av kundernas priser = självkostnaden):"]
    table = area_table(c)
    lines += _text_table(
        ["Tjänsteområde", "Basår", "Scenario", "Kostnadsförändring", "%", "Omfördelning"],
        [
            [
                str(r.area),
                kr(r.base),
                kr(r.scenario),
                signed(r.cost_change),
                pct(r.change),
                kr(r.redistribution),
            ]
            for r in table.itertuples()
        ],
        {1, 2, 3, 4, 5},
    )
    lines += [
        "",
        f"Kostnadsförändring: {signed(c.cost_change)} (ändrad självkostnad).",
        f"Omfördelning mellan kunder: {kr(c.redistribution)}. {REDISTRIBUTION_NOTE}",
        "",
    ]
    changed = top_changes(c, len(c.by_customer_area))
    shown = changed.head(top)
    if shown.empty:
        lines.append("Ingen kund får ändrat pris.")
    else:
        lines.append(
            f"Största förändringar per kund och tjänsteområde ({len(shown)} av {len(changed)}):"
        )
        lines += _text_table(
            ["Kund", "Tjänsteområde", "Basår", "Scenario", "Förändring", "%"],
            [
                [
                    _short(r.name, 42),
                    str(r.area),
                    kr(r.base),
                    kr(r.scenario),
                    signed(r.difference),
                    pct(r.change),
                ]
                for r in shown.itertuples()
            ],
            {2, 3, 4, 5},
        )
    return "\n".join(lines)


# --------------------------------------------------------------------------- xlsx


def output_file_problem(data_dir: Path | str, out: Path | str) -> str | None:
    """Why ``out`` cannot take the comparison workbook (Swedish), or None."""
    from .output_folder import output_file_problem as problem

    out = Path(out)
    if out.suffix.lower() != ".xlsx":
        return f"{out.name} är ingen Excelfil. Ange en fil som slutar på .xlsx med --out."
    found = problem(out, Path(data_dir))
    return None if found is None else str(found)


# Numbers in the changes sheet keep their unit: a weight is a percentage, a standard kronor.
_CHANGE_XLSX_FORMATS = {
    "share": "0.0##%",  # as many decimals as the weight has, like the text
    "kr": style.XLSX_KRONOR,
    "fte": "#,##0.0",
    "fte2": style.XLSX_DECIMALS,
    "volume": style.XLSX_NUMBER,
}


def write_comparison_workbook(
    run: ScenarioRun, path: Path | str, data_dir: Path | str | None = None
) -> Path:
    """The comparison as an Excel file, written atomically (temp file + rename); never over a
    file this tool did not write."""
    from .output_folder import output_file
    from .workbook import Book, Col, write_sheet

    path = Path(path)
    c, model = run.comparison, run.base_model
    subtitle = f"Scenario {run.name} jämfört med basåret, prislista {model.price_list_year}." + (
        f" {style.XLSX_EXAMPLE_DATA}" if model.example_data else ""
    )
    kr = style.XLSX_KRONOR
    table = area_table(c)
    customer_area_cols = [
        Col("Kund-id", "customer_id", width=26),
        Col("Kund", "name", width=40),
        Col("Tjänsteområde", "area", width=22),
        Col("Basår", "base", kr, 16),
        Col("Scenario", "scenario", kr, 16),
        Col("Förändring", "difference", kr, 16),
        Col("Förändring %", "change", style.XLSX_PERCENT, 13, ratio=("difference", "base")),
        Col("Varav omfördelning", "redistribution", style.XLSX_KRONOR_DECIMALS, 18),
    ]
    totals = {
        "name": "Summa",
        "base": c.base_total,
        "scenario": c.scenario_total,
        "difference": c.cost_change,
        "change": c.cost_change / c.base_total if c.base_total else None,
    }
    footer = f"Scenario {run.name} – prislista {model.price_list_year}"
    with output_file(path, data_dir) as temporary, Book(temporary, footer) as book:
        write_sheet(
            book,
            "Per tjänsteområde",
            f"Scenario: {run.scenario.title}",
            subtitle,
            [
                Col("Tjänsteområde", "area", width=24),
                Col("Självkostnad basår", "base", kr, 18),
                Col("Självkostnad scenario", "scenario", kr, 18),
                Col("Kostnadsförändring", "cost_change", kr, 18),
                Col(
                    "Förändring %", "change", style.XLSX_PERCENT, 13,
                    ratio=("cost_change", "base"),
                ),
                Col("Omfördelning mellan kunder", "redistribution", kr, 20),
            ],
            table.iloc[:-1],
            {k: v for k, v in table.iloc[-1].items() if k != "service_area"},
            note=REDISTRIBUTION_NOTE,
        )
        write_sheet(
            book,
            "Per kund och område",
            "Förändring per kund och tjänsteområde, största först",
            subtitle,
            customer_area_cols,
            c.by_customer_area,
            totals,
        )
        write_sheet(
            book,
            "Per kund",
            "Förändring per kund, alla tjänsteområden, största först",
            subtitle,
            [col for col in customer_area_cols if col.field not in ("area", "redistribution")],
            c.by_customer,
            totals,
        )
        changes = scenario_change_values(run.base_model, run.scenario)
        changes["format"] = changes["unit"].map(_CHANGE_XLSX_FORMATS)
        write_sheet(
            book,
            "Ändringar",
            "Vad scenariot ändrar i basåret",
            subtitle,
            [
                Col(CHANGE_HEADERS["kind"], "kind", width=34),
                Col(CHANGE_HEADERS["item"], "item", width=60),
                Col(CHANGE_HEADERS["base"], "base", style.XLSX_DECIMALS, 18, format_field="format"),
                Col(
                    CHANGE_HEADERS["scenario"], "scenario", style.XLSX_DECIMALS, 18,
                    format_field="format",
                ),
                Col("Faktor", "factor", "0.00", 10),
            ],
            changes,
        )
    return path
