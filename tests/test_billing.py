"""The billing routine: yearly base-service invoices in advance, monthly invoices in arrears."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from prismodell import billing
from prismodell.calculation import calculate
from prismodell.inputs import load_input

from .conftest import MINI


@pytest.fixture(scope="module")
def mini_model():
    model = load_input(MINI)
    return model, calculate(model)


@pytest.mark.parametrize(
    ("year", "easter"),
    [(2023, dt.date(2023, 4, 9)), (2024, dt.date(2024, 3, 31)), (2025, dt.date(2025, 4, 20))],
)
def test_easter_sunday(year, easter):
    assert billing.easter_sunday(year) == easter


@pytest.mark.parametrize(
    ("year", "month", "expected"),
    [
        (2023, 1, dt.date(2023, 1, 2)),  # 1 January is a Sunday
        (2024, 1, dt.date(2024, 1, 2)),  # nyårsdagen on a Monday
        (2022, 1, dt.date(2022, 1, 3)),  # weekend
        (2021, 1, dt.date(2021, 1, 4)),  # nyårsdagen on a Friday
        (2023, 3, dt.date(2023, 3, 1)),
        (2024, 4, dt.date(2024, 4, 2)),  # annandag påsk on 1 April
        (2023, 5, dt.date(2023, 5, 2)),  # första maj
    ],
)
def test_first_working_day(year, month, expected):
    assert billing.first_working_day(year, month) == expected


def test_non_working_days_include_the_moveable_ones():
    days = billing.swedish_non_working_days(2023)
    assert dt.date(2023, 4, 7) in days  # långfredagen
    assert dt.date(2023, 5, 18) in days  # Kristi himmelsfärdsdag
    assert dt.date(2023, 6, 23) in days  # midsommarafton


def test_billing_plan_invoices_the_price_list_in_january(mini_model):
    model, result = mini_model
    plan = billing.billing_plan(model, result)
    totals = result.price_list.groupby("customer_id")["amount"].sum()
    assert list(plan["customer_id"]) == sorted(totals.index)
    assert dict(zip(plan["customer_id"], plan["amount"], strict=True)) == totals.to_dict()
    assert plan["amount"].sum() == result.total_full_cost
    assert (plan["invoice_date"] == dt.date(2023, 1, 2)).all()
    assert plan["note"].str.contains("månadsvis i efterskott").all()
    assert plan.loc[plan["customer_id"] == "SDF01", "name"].item() == (
        "Bromma stadsdelsförvaltning"
    )


def test_billing_month_from_model_settings(mini_model):
    model, result = mini_model
    march = dataclasses.replace(model, settings={**model.settings, "billing": {"month": 3}})
    plan = billing.billing_plan(march, result)
    assert (plan["invoice_date"] == dt.date(2023, 3, 1)).all()


@pytest.mark.parametrize("month", [0, 13, "mars", 2.5, True])
def test_invalid_billing_month_is_explained(month):
    with pytest.raises(ValueError, match="billing.month"):
        billing.billing_month({"billing": {"month": month}})


def test_billing_month_default():
    assert billing.billing_month({}) == 1
    assert billing.billing_month({"billing": None}) == 1


def test_arrears_schedule_invoices_the_following_month():
    schedule = billing.arrears_schedule(2023)
    assert len(schedule) == 12
    assert schedule["period"].iloc[0] == "januari 2023"
    assert schedule["invoice_date"].iloc[0] == dt.date(2023, 2, 1)
    assert schedule["invoice_date"].iloc[-1] == dt.date(2024, 1, 2)
    table = billing.arrears_schedule_table(2023)
    assert table["invoice_date"].iloc[0] == "1 februari 2023"


def test_billing_plan_table_has_total_row_on_2023_data(model_2023):
    model, result = model_2023
    table = billing.billing_plan_table(model, result)
    assert table["name"].iloc[-1] == "Totalt"
    assert table["amount"].iloc[-1] == result.total_full_cost
    assert len(table) == result.price_list["customer_id"].nunique() + 1
    assert table["invoice_date"].iloc[0] == "2 januari 2023"
