"""The billing routine (seed section 8, spec rule 11) as a computed billing plan.

Base services are invoiced once a year in advance: each customer's price-list total on the
first working day of the billing month (January of the price-list year unless ``model.yml``
says otherwise under ``billing: {month: N}``). Services called off per hour (at the hourly
rates of rule 9) and add-on services are invoiced monthly in arrears, on the first working day
of the following month.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import pandas as pd

from .calculation import PriceModelResult
from .inputs import PriceModelInput

MONTHS_SV = (
    "januari",
    "februari",
    "mars",
    "april",
    "maj",
    "juni",
    "juli",
    "augusti",
    "september",
    "oktober",
    "november",
    "december",
)
DEFAULT_BILLING_MONTH = 1
ARREARS_NOTE = (
    "Tjänster som avropas per timme (enligt timprislistan) och tilläggstjänster faktureras "
    "månadsvis i efterskott."
)


def easter_sunday(year: int) -> dt.date:
    """Easter Sunday of the Gregorian calendar (anonymous Gregorian algorithm)."""
    a = year % 19
    b, c = divmod(year, 100)
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    m = (32 + 2 * e + 2 * i - h - k) % 7
    n = (a + 11 * h + 22 * m) // 451
    month, day = divmod(h + m - 7 * n + 114, 31)
    return dt.date(year, month, day + 1)


def swedish_non_working_days(year: int) -> set[dt.date]:
    """Public holidays on weekdays in Sweden, plus the eves that are days off in practice
    (midsommarafton, julafton, nyårsafton)."""
    easter = easter_sunday(year)
    midsummer_eve = next(
        dt.date(year, 6, d) for d in range(19, 26) if dt.date(year, 6, d).weekday() == 4
    )
    return {
        dt.date(year, 1, 1),  # nyårsdagen
        dt.date(year, 1, 6),  # trettondedag jul
        easter - dt.timedelta(days=2),  # långfredagen
        easter + dt.timedelta(days=1),  # annandag påsk
        dt.date(year, 5, 1),  # första maj
        easter + dt.timedelta(days=39),  # Kristi himmelsfärdsdag
        dt.date(year, 6, 6),  # nationaldagen
        midsummer_eve,
        dt.date(year, 12, 24),
        dt.date(year, 12, 25),
        dt.date(year, 12, 26),
        dt.date(year, 12, 31),
    }


def first_working_day(year: int, month: int) -> dt.date:
    """The first weekday of the month that is not a Swedish public holiday."""
    day = dt.date(year, month, 1)
    closed = swedish_non_working_days(year)
    while day.weekday() >= 5 or day in closed:
        day += dt.timedelta(days=1)
    return day


def billing_month(settings: Mapping[str, Any]) -> int:
    """The month of the yearly base-service invoice: ``billing.month`` in model.yml, else 1."""
    billing = settings.get("billing") or {}
    if not isinstance(billing, Mapping):
        raise ValueError("model.yml: billing ska vara en tabell, t.ex. billing: {month: 1}")
    month = billing.get("month", DEFAULT_BILLING_MONTH)
    if isinstance(month, bool) or not isinstance(month, int) or not 1 <= month <= 12:
        raise ValueError(f"model.yml: billing.month ska vara ett heltal 1–12, inte {month!r}")
    return month


def format_date_sv(day: dt.date) -> str:
    """2023-01-02 → '2 januari 2023'."""
    return f"{day.day} {MONTHS_SV[day.month - 1]} {day.year}"


def base_invoice_date(model: PriceModelInput) -> dt.date:
    """Date of the yearly base-service invoice of the price-list year."""
    return first_working_day(model.price_list_year, billing_month(model.settings))


def billing_plan(model: PriceModelInput, result: PriceModelResult) -> pd.DataFrame:
    """Per customer with a price-list row (by customer_id): the yearly base-service invoice.

    Columns: customer_id, name, amount (the price-list total, whole kronor), invoice_date
    (``datetime.date``), period (the price-list year) and note (hourly and add-on services are
    invoiced monthly in arrears). The amounts sum to the total full cost.
    """
    totals = result.price_list.groupby("customer_id", as_index=False)["amount"].sum()
    names = dict(zip(model.customers["customer_id"], model.customers["name"], strict=True))
    plan = totals.sort_values("customer_id", ignore_index=True)
    plan.insert(1, "name", plan["customer_id"].map(names).fillna(plan["customer_id"]))
    plan["amount"] = plan["amount"].astype("int64")
    plan["invoice_date"] = base_invoice_date(model)
    plan["period"] = f"helår {model.price_list_year}"
    plan["note"] = ARREARS_NOTE
    return plan


def arrears_schedule(year: int) -> pd.DataFrame:
    """Monthly invoicing in arrears for a year: each month's services are invoiced on the first
    working day of the following month. Columns: period, invoice_date."""
    rows = []
    for month in range(1, 13):
        next_year, next_month = (year + 1, 1) if month == 12 else (year, month + 1)
        rows.append(
            {
                "period": f"{MONTHS_SV[month - 1]} {year}",
                "invoice_date": first_working_day(next_year, next_month),
            }
        )
    return pd.DataFrame(rows)


def billing_plan_table(model: PriceModelInput, result: PriceModelResult) -> pd.DataFrame:
    """:func:`billing_plan` for display: by customer name, Swedish dates and a total row.

    Columns: name, period, invoice_date (text), amount.
    """
    from .report_tables import sort_by_name, with_total

    plan = sort_by_name(billing_plan(model, result))
    plan["invoice_date"] = plan["invoice_date"].map(format_date_sv)
    return with_total(plan[["name", "period", "invoice_date", "amount"]], "name", ["amount"])


def arrears_schedule_table(year: int) -> pd.DataFrame:
    """:func:`arrears_schedule` with the invoice dates as Swedish text."""
    schedule = arrears_schedule(year)
    schedule["invoice_date"] = schedule["invoice_date"].map(format_date_sv)
    return schedule
