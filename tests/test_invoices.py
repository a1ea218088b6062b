"""The invoice basis: base services a year in advance, call-offs and add-ons monthly in arrears,
whole kronor per line, the workbook and every bad call-off row."""

from __future__ import annotations

import re
import shutil
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook
from pandas.testing import assert_frame_equal

from prismodell import invoices
from prismodell.calculation import calculate
from prismodell.inputs import InputError, load_calloffs, load_input

from .conftest import GOLDEN, examples, run_cli
from .test_properties import models

HEADER = "customer_id,date,kind,service_area,staff_category,description,quantity,unit_price"
# Mini fixture call-offs: two rows of one line (summed before rounding), a December row
# (invoiced in January next year), an add-on with öre in its price.
CALLOFFS = f"""{HEADER}
SDF01,2023-01-10,timavrop,leverantorsreskontra,ekonom,Kontroll av representation,1.25,
SDF01,2023-01-24,timavrop,leverantorsreskontra,ekonom,Kontroll av representation,0.5,
SDF01,2023-01-24,timavrop,leverantorsreskontra,ekonomiadministrator,,2,
FF01,2023-04-30,tillaggstjanst,hyresadministration,,Administration av FoT-lägenheter,3,312.50
B01,2023-12-29,timavrop,leverantorsreskontra,ekonom,Bokslutsstöd,4.75,
"""
# Checked by hand: 1,75 h × 577 = 1 009,75 → 1 010; 2 h × 483 = 966; 3 × 312,50 = 937,50 → 938;
# 4,75 h × 577 = 2 740,75 → 2 741 (hourly rates of the mini fixture: ekonom 577, admin 483).
GOLDEN_LINES = GOLDEN / "invoices_mini" / "invoice_lines.csv"


@pytest.fixture
def mini_calloffs(mini: Path) -> Path:
    """The mini fixture with calloffs.csv and invoice references."""
    (mini / "calloffs.csv").write_text(CALLOFFS, encoding="utf-8")
    customers = mini / "customers.csv"
    lines = customers.read_text(encoding="utf-8").splitlines()
    refs = ["reference", "Bromma 4711", "", "UTB-ref 12", "=HYPERLINK(1)"]
    customers.write_text(
        "\n".join(f"{line},{ref}" for line, ref in zip(lines, refs, strict=True)) + "\n",
        encoding="utf-8",
    )
    return mini


def lines_for(folder: Path) -> tuple[pd.DataFrame, object, object]:
    model = load_input(folder)
    result = calculate(model)
    return invoices.invoice_lines(model, result, load_calloffs(model)), model, result


# --------------------------------------------------------------------------- rounding


@given(st.integers(0, 10**7), st.integers(0, 10**8))
def test_line_amount_is_the_exact_product_rounded_half_up(hundredths: int, ore: int):
    exact = Decimal(hundredths) / 100 * (Decimal(ore) / 100)
    expected = int(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP))
    assert invoices.round_line_amount(np.array([hundredths]), np.array([ore]))[0] == expected


def test_half_kronor_round_up():
    # 7.5 h × 603 kr = 4 522,50 kr → 4 523; 2.25 h × 647 = 1 455,75 → 1 456; 0.01 × 49 → 0
    amounts = invoices.round_line_amount(np.array([750, 225, 1]), np.array([60300, 64700, 4900]))
    assert amounts.tolist() == [4523, 1456, 0]


# --------------------------------------------------------------------------- base services


def test_base_lines_sum_to_the_price_list(mini_model):
    model, result = mini_model
    lines = invoices.invoice_lines(model, result)
    assert set(lines["kind"]) == {"bastjanst"}
    assert (lines["invoice_date"] == pd.Timestamp("2023-01-02")).all()  # 1 January: a Sunday
    per_customer = lines.groupby("customer_id")["amount"].sum()
    expected = result.price_list.groupby("customer_id")["amount"].sum()
    assert_frame_equal(per_customer.to_frame(), expected.to_frame(), check_exact=True)
    assert lines["amount"].sum() == result.total_full_cost
    assert (lines["amount"] == lines["unit_price"]).all() and (lines["quantity"] == 1).all()
    assert "reference" not in lines  # customers.csv gives none


def test_base_invoice_follows_the_billing_month(mini: Path):
    text = (mini / "model.yml").read_text(encoding="utf-8")
    (mini / "model.yml").write_text(text + "billing: {month: 4}\n", encoding="utf-8")
    lines, _, _ = lines_for(mini)
    assert set(lines["invoice_date"]) == {pd.Timestamp("2023-04-03")}  # 1 April: a Saturday


@settings(max_examples=examples(60), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(models())
def test_property_base_lines_equal_the_price_list_to_the_krona(model):
    result = calculate(model)
    lines = invoices.invoice_lines(model, result)
    got = lines.groupby(["customer_id", "service_area"])["amount"].sum().sort_index()
    want = result.price_list.set_index(["customer_id", "service_area"])["amount"].sort_index()
    assert got.astype("int64").equals(want.astype("int64"))
    assert int(lines["amount"].sum()) == result.total_full_cost
    summary = invoices.customer_summary(model, lines)
    assert int(summary["total"].sum()) == result.total_full_cost
    plan = invoices.monthly_plan(lines)
    assert plan["invoices"].tolist() == [result.price_list["customer_id"].nunique()]


# --------------------------------------------------------------------------- call-offs


def test_invoice_lines_match_the_golden_file(mini_calloffs: Path, tmp_path: Path):
    assert run_cli("invoices", mini_calloffs, "--out", tmp_path / "out") == 0
    actual = pd.read_csv(tmp_path / "out" / invoices.LINES_FILE, dtype=str, keep_default_na=False)
    expected = pd.read_csv(GOLDEN_LINES, dtype=str, keep_default_na=False)
    assert_frame_equal(actual, expected, check_exact=True)


def test_calloff_rules(mini_calloffs: Path):
    lines, model, result = lines_for(mini_calloffs)
    rates = result.hourly_rates.set_index("staff_category")["hourly_rate"]
    hourly = lines[lines["kind"] == "timavrop"]
    # priced at the year's hourly rate of the category
    ekonom = hourly[hourly["description"].str.contains("ekonom:")]
    assert (ekonom["unit_price"] == rates["ekonom"]).all()
    # two January rows of one category and description are one line, summed before rounding
    january = hourly[hourly["period"] == "2023-01"]
    assert sorted(january["quantity"]) == [1.75, 2.0]
    # December is invoiced on the first working day of the next year
    december = lines[lines["period"] == "2023-12"]
    assert december["invoice_date"].tolist() == [pd.Timestamp("2024-01-02")]
    # April's add-on: 1 May is a holiday
    april = lines[lines["period"] == "2023-04"]
    assert april["invoice_date"].tolist() == [pd.Timestamp("2023-05-02")]
    assert april["amount"].tolist() == [938]  # 3 × 312,50 = 937,50 → 938
    # references carried to every line of the customer
    assert set(lines.loc[lines["customer_id"] == "SDF01", "reference"]) == {"Bromma 4711"}
    assert set(lines.loc[lines["customer_id"] == "SDF02", "reference"]) == {""}
    # the base lines still equal the price list
    assert lines.loc[lines["kind"] == "bastjanst", "amount"].sum() == result.total_full_cost


@settings(max_examples=examples(60), deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["SDF01", "SDF02", "FF01"]),
            st.integers(1, 12),
            st.sampled_from(["ekonom", "ekonomiadministrator"]),
            st.integers(1, 5000),
        ),
        min_size=1,
        max_size=40,
    ),
    st.randoms(use_true_random=False),
)
def test_property_calloff_lines_are_whole_kronor_and_order_free(mini_model, rows, rnd):
    model, result = mini_model
    frame = pd.DataFrame(
        {
            "customer_id": [r[0] for r in rows],
            "date": pd.to_datetime([f"2023-{r[1]:02d}-15" for r in rows]),
            "kind": "timavrop",
            "service_area": "leverantorsreskontra",
            "staff_category": [r[2] for r in rows],
            "description": "",
            "quantity": [r[3] / 100 for r in rows],
            "unit_price": np.nan,
        }
    )
    lines = invoices.calloff_lines(model, frame)
    shuffled = frame.sample(frac=1, random_state=rnd.randint(0, 10**6)).reset_index(drop=True)
    assert_frame_equal(invoices.calloff_lines(model, shuffled), lines, check_exact=True)
    rates = result.hourly_rates.set_index("staff_category")["hourly_rate"]
    exact = frame["quantity"] * frame["staff_category"].map(rates)
    assert abs(lines["amount"].sum() - exact.sum()) <= 0.5 * len(lines) + 1e-6
    assert lines["quantity"].sum() == pytest.approx(frame["quantity"].sum())
    assert lines["amount"].dtype == "int64"


def test_example_data_calloffs(model_2023):
    model, result = model_2023
    calloffs = load_calloffs(model)
    assert calloffs is not None and set(calloffs["kind"]) == {"timavrop", "tillaggstjanst"}
    lines = invoices.invoice_lines(model, result, calloffs)
    plan = invoices.monthly_plan(lines)
    assert plan["total"].sum() == lines["amount"].sum()
    first = plan.iloc[0]
    assert first["invoice_month"] == pd.Timestamp("2023-01-01")
    assert first["invoices"] == result.price_list["customer_id"].nunique()
    assert first["bastjanst"] == result.total_full_cost
    assert plan.iloc[-1]["invoice_month"] == pd.Timestamp("2024-01-01")  # December's arrears


def test_year_plan_shows_every_invoice_month(model_2023):
    model, result = model_2023
    lines = invoices.invoice_lines(model, result, load_calloffs(model))
    plan = invoices.monthly_plan(lines, model.price_list_year)
    assert len(plan) == 13  # January to January: December's call-offs are invoiced then
    august = plan[plan["invoice_month"] == pd.Timestamp("2023-08-01")].iloc[0]
    assert august["invoices"] == 0 and august["total"] == 0  # no call-offs in July
    assert plan["total"].sum() == lines["amount"].sum()
    assert plan["invoices"].sum() == invoices.invoice_count(lines).sum()
    texts = invoices.plan_texts(lines)
    assert texts["invoice_total"] == str(plan["invoices"].sum())
    assert "timavrop och tilläggstjänster" in texts["arrears_text"]


def test_plan_text_without_calloffs(mini_model):
    model, result = mini_model
    texts = invoices.plan_texts(invoices.invoice_lines(model, result))
    assert "inga avrop" in texts["arrears_text"]


def test_monthly_plan_counts_base_and_arrears_invoices_separately(mini: Path):
    (mini / "model.yml").write_text(
        (mini / "model.yml").read_text(encoding="utf-8") + "billing: {month: 3}\n",
        encoding="utf-8",
    )
    (mini / "calloffs.csv").write_text(
        f"{HEADER}\nSDF01,2023-02-10,timavrop,leverantorsreskontra,ekonom,,1,\n", encoding="utf-8"
    )
    lines, _, result = lines_for(mini)
    plan = invoices.monthly_plan(lines)
    assert plan["invoice_month"].tolist() == [pd.Timestamp("2023-03-01")]
    assert plan["invoices"].tolist() == [result.price_list["customer_id"].nunique() + 1]
    table = invoices.monthly_plan_table(lines)
    assert table["invoice_month"].tolist() == ["mars 2023", "Totalt"]


def test_calloffs_from_xlsx_and_swedish_csv_give_the_same_lines(mini_calloffs: Path):
    expected, _, _ = lines_for(mini_calloffs)
    raw = pd.read_csv(mini_calloffs / "calloffs.csv", dtype=str, keep_default_na=False)
    (mini_calloffs / "calloffs.csv").unlink()
    excel = raw.assign(date=pd.to_datetime(raw["date"]), quantity=raw["quantity"].astype(float))
    excel.to_excel(mini_calloffs / "calloffs.xlsx", index=False)
    from_xlsx, _, _ = lines_for(mini_calloffs)
    assert_frame_equal(from_xlsx, expected, check_exact=True)

    (mini_calloffs / "calloffs.xlsx").unlink()
    swedish = raw.assign(
        quantity=raw["quantity"].str.replace(".", ",", regex=False),
        unit_price=raw["unit_price"].str.replace(".", ",", regex=False),
    )
    swedish.to_csv(mini_calloffs / "calloffs.csv", sep=";", index=False)
    from_csv, _, _ = lines_for(mini_calloffs)
    assert_frame_equal(from_csv, expected, check_exact=True)


# --------------------------------------------------------------------------- the command


def test_cli_writes_lines_and_workbook(mini_calloffs: Path, tmp_path: Path, capsys):
    out = tmp_path / "faktura"
    assert run_cli("invoices", mini_calloffs, "--out", out) == 0
    printed = capsys.readouterr().out
    assert "Fakturaunderlag 2023" in printed and "invoice_lines.csv" in printed
    assert sorted(p.name for p in out.iterdir()) == [
        ".prismodell-output",  # the marker of a folder this tool writes
        "fakturaunderlag.xlsx",
        "invoice_lines.csv",
    ]

    csv = pd.read_csv(out / "invoice_lines.csv", dtype=str, keep_default_na=False)
    assert list(csv.columns) == [*invoices.LINE_COLUMNS, "reference"]
    assert csv.loc[csv["customer_id"] == "B01", "reference"].iloc[0] == "'=HYPERLINK(1)"
    assert csv["invoice_date"].str.fullmatch(r"\d{4}-\d{2}-\d{2}").all()
    lines, model, result = lines_for(mini_calloffs)
    assert csv["amount"].astype(int).sum() == lines["amount"].sum()

    book = load_workbook(out / "fakturaunderlag.xlsx", data_only=True)
    assert book.sheetnames == [
        "Per kund",
        "Per månad",
        "Bastjänster",
        "Timavrop",
        "Tilläggstjänster",
    ]
    per_customer = book["Per kund"]
    header = [c.value for c in per_customer[4]]
    assert header[:3] == ["Kund-id", "Kund", "Fakturareferens"]
    total_row = [c.value for c in per_customer[per_customer.max_row]]
    assert total_row[1] == "Summa" and total_row[-1] == lines["amount"].sum()
    assert total_row[header.index("Bastjänster")] == result.total_full_cost
    references = [row[2].value for row in per_customer.iter_rows(min_row=5)]
    assert "'=HYPERLINK(1)" in references  # neutralised, not a formula
    base = book["Bastjänster"]
    assert base.cell(5, 4).number_format == "yyyy-mm-dd"
    assert base.cell(5, 4).value.date().isoformat() == "2023-01-02"


def test_cli_without_calloffs_invoices_the_base_services(mini: Path, tmp_path: Path, capsys):
    assert run_cli("invoices", mini, "--out", tmp_path / "f") == 0
    assert "ingen calloffs.csv" in capsys.readouterr().out
    book = load_workbook(tmp_path / "f" / "fakturaunderlag.xlsx", data_only=True)
    assert book.sheetnames == ["Per kund", "Per månad", "Bastjänster"]


def test_cli_refuses_to_write_into_the_data_folder(mini: Path, capsys):
    before = sorted(p.name for p in mini.iterdir())
    assert run_cli("invoices", mini, "--out", mini) == 2
    assert "datamappen" in capsys.readouterr().err
    assert sorted(p.name for p in mini.iterdir()) == before


# --------------------------------------------------------------------------- bad call-offs

BAD = {
    "unknown_customer": (
        "SDF09,2023-03-01,timavrop,leverantorsreskontra,ekonom,,2,",
        ["rad 3, kolumn 'customer_id'", "kunden 'SDF09' finns inte i customers.csv"],
    ),
    "unknown_area": (
        "SDF01,2023-03-01,timavrop,leverantorsreskontr,ekonom,,2,",
        ["kolumn 'service_area'", "Menade du 'leverantorsreskontra'?"],
    ),
    "internal_overhead_is_no_area": (
        "SDF01,2023-03-01,timavrop,internt_overhead,ekonom,,2,",
        ["tjänsteområdet 'internt_overhead' finns inte"],
    ),
    "unknown_category": (
        "SDF01,2023-03-01,timavrop,leverantorsreskontra,konsult,,2,",
        ["kolumn 'staff_category'", "personalkategorin 'konsult' finns inte"],
    ),
    "missing_category": (
        "SDF01,2023-03-01,timavrop,leverantorsreskontra,,,2,",
        ["kolumn 'staff_category'", "personalkategorin saknas för ett timavrop"],
    ),
    "date_outside_year": (
        "SDF01,2022-12-30,timavrop,leverantorsreskontra,ekonom,,2,",
        ["kolumn 'date'", "2022-12-30 ligger utanför prislisteåret 2023"],
    ),
    "not_a_date": (
        "SDF01,30/3 2023,timavrop,leverantorsreskontra,ekonom,,2,",
        ["kolumn 'date'", "'30/3 2023' är inget datum", "ÅÅÅÅ-MM-DD"],
    ),
    "impossible_date": (
        "SDF01,2023-02-30,timavrop,leverantorsreskontra,ekonom,,2,",
        ["kolumn 'date'", "'2023-02-30' är inget datum"],
    ),
    "negative_hours": (
        "SDF01,2023-03-01,timavrop,leverantorsreskontra,ekonom,,-2,",
        ["kolumn 'quantity'", "'-2' är negativt"],
    ),
    "zero_hours": (
        "SDF01,2023-03-01,timavrop,leverantorsreskontra,ekonom,,0,",
        ["kolumn 'quantity'", "antalet är 0"],
    ),
    "hours_not_a_number": (
        "SDF01,2023-03-01,timavrop,leverantorsreskontra,ekonom,,två,",
        ["kolumn 'quantity'", "'två' är inte ett tal"],
    ),
    "too_many_decimals": (
        "SDF01,2023-03-01,timavrop,leverantorsreskontra,ekonom,,1.125,",
        ["kolumn 'quantity'", "'1.125' har fler än 2 decimaler"],
    ),
    "price_with_too_many_decimals": (
        "SDF01,2023-03-01,tillaggstjanst,leverantorsreskontra,,Utredning,1,99.999",
        ["kolumn 'unit_price'", "'99.999' har fler än 2 decimaler"],
    ),
    "unknown_kind": (
        "SDF01,2023-03-01,timavrp,leverantorsreskontra,ekonom,,2,",
        ["kolumn 'kind'", "avropstypen 'timavrp' finns inte", "Menade du 'timavrop'?"],
    ),
    "base_service_is_no_calloff": (
        "SDF01,2023-03-01,bastjanst,leverantorsreskontra,ekonom,,2,",
        ["kolumn 'kind'", "Bastjänster faktureras från prislistan"],
    ),
    "missing_addon_price": (
        "SDF01,2023-03-01,tillaggstjanst,leverantorsreskontra,,Utredning,1,",
        ["kolumn 'unit_price'", "priset saknas för en tilläggstjänst"],
    ),
    "addon_price_not_a_number": (
        "SDF01,2023-03-01,tillaggstjanst,leverantorsreskontra,,Utredning,1,gratis",
        ["kolumn 'unit_price'", "'gratis' är inte ett tal"],
    ),
    "negative_addon_price": (
        "SDF01,2023-03-01,tillaggstjanst,leverantorsreskontra,,Utredning,1,-100",
        ["kolumn 'unit_price'", "'-100' är negativt"],
    ),
    "missing_addon_description": (
        "SDF01,2023-03-01,tillaggstjanst,leverantorsreskontra,,,1,100",
        ["kolumn 'description'", "beskrivningen saknas för en tilläggstjänst"],
    ),
    "hourly_with_own_price": (
        "SDF01,2023-03-01,timavrop,leverantorsreskontra,ekonom,,1,900",
        ["kolumn 'unit_price'", "timavrop prissätts med årets timpris"],
    ),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_calloff_row(case: str, mini: Path, tmp_path: Path, capsys):
    row, expected = BAD[case]
    (mini / "calloffs.csv").write_text(
        f"{HEADER}\nSDF01,2023-03-01,timavrop,leverantorsreskontra,ekonom,,1,\n{row}\n",
        encoding="utf-8",
    )
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("analytikerns fil")
    assert run_cli("invoices", mini, "--out", out) == 2
    err = re.sub(r"\s+", " ", capsys.readouterr().err)
    assert "Traceback" not in err and "inget har skrivits" in err
    for text in expected:
        assert text in err, (text, err)
    assert "rad 3" in err  # the bad row as the analyst sees it (header = row 1)
    assert "rad 2" not in err
    assert sorted(p.name for p in out.iterdir()) == ["keep.txt"]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".out.")]


def test_missing_calloff_column_is_named(mini: Path):
    (mini / "calloffs.csv").write_text(
        "customer_id,datum,kind,service_area,quantity\nSDF01,2023-03-01,timavrop,x,1\n",
        encoding="utf-8",
    )
    with pytest.raises(InputError) as error:
        load_calloffs(load_input(mini))
    assert "kolumn 'date': kolumnen saknas" in str(error.value)


def test_calloffs_csv_and_xlsx_both_present_is_an_error(mini_calloffs: Path):
    shutil.copy(mini_calloffs / "calloffs.csv", mini_calloffs / "calloffs.xlsx")
    with pytest.raises(InputError, match="både calloffs.csv och calloffs.xlsx"):
        load_calloffs(load_input(mini_calloffs))


def test_every_problem_of_the_file_is_reported_at_once(mini: Path):
    rows = "\n".join(r for r, _ in BAD.values())
    (mini / "calloffs.csv").write_text(f"{HEADER}\n{rows}\n", encoding="utf-8")
    with pytest.raises(InputError) as error:
        load_calloffs(load_input(mini))
    assert len(error.value.problems) >= len(BAD)
    rows_named = {p.row for p in error.value.problems}
    assert rows_named == set(range(2, len(BAD) + 2))


def test_build_stops_on_a_bad_calloffs_file(mini: Path, tmp_path: Path, capsys):
    (mini / "calloffs.csv").write_text(f"{HEADER}\nSDF01,2023-13-01,timavrop,x,ekonom,,1,\n")
    out = tmp_path / "_build"
    assert run_cli("build", "--data", mini, "--out", out, "--no-pdf") == 2
    err = capsys.readouterr().err
    assert "calloffs.csv, rad 2, kolumn 'date'" in err and "Traceback" not in err
    assert not out.exists()


def test_large_kinds_are_summarised_in_the_workbook(mini_calloffs: Path, tmp_path, monkeypatch):
    monkeypatch.setattr(invoices, "DETAIL_LIMIT", 3)  # timavrop has 3 lines, bastjänster 7
    out = tmp_path / "out"
    assert run_cli("invoices", mini_calloffs, "--out", out) == 0
    book = load_workbook(out / "fakturaunderlag.xlsx", data_only=True)
    base = book["Bastjänster"]
    assert "Sammanfattad per kund och fakturamånad: 7 fakturarader" in base["A3"].value
    header = [c.value for c in base[4]]
    assert header == ["Kund-id", "Kund", "Fakturareferens", "Faktureras januari 2023", "Totalt"]
    lines, _, result = lines_for(mini_calloffs)
    assert [c.value for c in base[base.max_row]][-1] == result.total_full_cost
    assert book["Timavrop"].max_row == 4 + 3 + 1  # still line by line, with its total
    csv = pd.read_csv(out / "invoice_lines.csv")
    assert len(csv) == len(lines)  # the CSV keeps every line


# --------------------------------------------------------------------------- invoice dates

WEEKDAY_HOLIDAYS = {  # from the calendar, by hand: weekdays off in Sweden
    2024: [
        "01-01",
        "03-29",
        "04-01",
        "05-01",
        "05-09",
        "06-06",
        "06-21",
        "12-24",
        "12-25",
        "12-26",
        "12-31",
    ],  # 6 January is a Saturday
    2025: [
        "01-01",
        "01-06",
        "04-18",
        "04-21",
        "05-01",
        "05-29",
        "06-06",
        "06-20",
        "12-24",
        "12-25",
        "12-26",
        "12-31",
    ],
}


@pytest.mark.parametrize("year", sorted(WEEKDAY_HOLIDAYS))
def test_weekday_holidays_match_the_calendar(year: int):
    from prismodell.billing import swedish_non_working_days

    got = sorted(d for d in swedish_non_working_days(year) if d.weekday() < 5)
    assert [d.strftime("%m-%d") for d in got] == WEEKDAY_HOLIDAYS[year]


def test_arrears_invoice_dates_2023():
    dates = invoices.arrears_invoice_dates(2023)
    expected = [
        "2023-02-01",
        "2023-03-01",
        "2023-04-03",
        "2023-05-02",
        "2023-06-01",
        "2023-07-03",
        "2023-08-01",
        "2023-09-01",
        "2023-10-02",
        "2023-11-01",
        "2023-12-01",
        "2024-01-02",
    ]  # 1 April a Saturday, 1 May and 1 January holidays
    assert [dates[m].strftime("%Y-%m-%d") for m in range(1, 13)] == expected
