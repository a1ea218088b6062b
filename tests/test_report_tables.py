"""The tables and sentences the chapters show: selections of the result that keep its sums."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import pandas as pd
import pytest

from prismodell import report_tables as tables
from prismodell import style
from prismodell.calculation import calculate, round_half_up
from prismodell.inputs import load_input

from .conftest import DATA_2023, MINI


@pytest.fixture(scope="module")
def without_previous(tmp_path_factory):
    folder = tmp_path_factory.mktemp("no_previous") / "data"
    shutil.copytree(MINI, folder)
    (folder / "previous_charges.csv").unlink()
    (folder / "changed_assignments.csv").unlink()
    model = load_input(folder)
    return model, calculate(model)


def test_swedish_alphabetical_order():
    names = ["Östermalm", "Älvsjö", "Åre", "Zeta", "alfa", "Ängby", "Enskede"]
    assert sorted(names, key=tables.sort_key_sv) == [
        "alfa",
        "Enskede",
        "Zeta",
        "Åre",
        "Älvsjö",
        "Ängby",
        "Östermalm",
    ]


def test_full_cost_table_total_row(model_2023):
    model, result = model_2023
    table = tables.full_cost_table(model, result)
    assert list(table["name"]) == [*model.service_areas["name"], "Totalt"]
    assert table["full_cost"].iloc[-1] == result.total_full_cost
    assert table["fte"].iloc[-1] == pytest.approx(result.full_cost["fte"].sum())
    assert set(tables.FULL_COST_HEADERS) == set(table.columns)


def test_overhead_summary_and_hourly_rates(model_2023):
    model, result = model_2023
    overhead = tables.overhead_summary(model, result)
    assert overhead["internal_overhead_pool"] == pytest.approx(
        result.full_cost["internal_overhead"].sum()
    )
    assert overhead["internal_overhead_per_fte"] * overhead["production_fte"] == pytest.approx(
        overhead["internal_overhead_pool"]
    )
    rates = tables.hourly_rates_table(model, result)
    recomputed = round_half_up(rates["cost_per_fte"] / model.productive_hours_per_fte)
    assert list(recomputed.astype(int)) == list(rates["hourly_rate"])
    standards = tables.cost_standards_table(model)
    assert standards["production_fte"].sum() + standards["internal_fte"].sum() == pytest.approx(
        model.staffing["fte"].sum()
    )
    assert "Ekonomiadministratör" in set(standards["label"])
    assert tables.staff_category_label("ny_kategori") == "Ny kategori"


def test_area_allocation_sums_to_full_cost(model_2023):
    model, result = model_2023
    costs = result.full_cost.set_index("service_area")["full_cost"]
    for area, cost in costs.items():
        allocation = tables.area_allocation(model, result, area)
        assert allocation["charge"].sum() == cost
        assert allocation["exact_amount"].sum() == pytest.approx(cost, abs=0.5)
        assert allocation["share"].sum() == pytest.approx(1)
        assert list(allocation["charge"]) == sorted(allocation["charge"], reverse=True)
        keys = list(model.keys.loc[model.keys["service_area"] == area, "key_id"])
        totals = result.unit_prices.set_index("key_id")["total_volume"]
        for key in keys:
            assert allocation[key].sum() <= totals[key]
        table, headers, formats = tables.area_allocation_table(model, result, area)
        assert table["name"].iloc[-1] == "Totalt"
        assert table["charge"].iloc[-1] == cost
        assert set(headers) == set(table.columns)
        assert set(formats) <= set(table.columns)
        wide = tables.area_allocation_by_key(model, result, area)
        assert wide.to_numpy().sum() == pytest.approx(cost, abs=0.5)
        charges = tables.area_charges_by_name(model, result, area)
        assert charges.sum() == cost


def test_area_keys_table(mini_model):
    model, result = mini_model
    keys = tables.area_keys_table(model, result, "leverantorsreskontra")
    assert list(keys["name"]) == [
        "Antal fakturor",
        "Felaktiga fakturor",
        "Antal krav (påminnelser, inkasso)",
    ]
    assert keys["pool"].sum() == pytest.approx(result.full_cost["exact_full_cost"].iloc[0])
    assert (keys["unit_price"] * keys["total_volume"]).sum() == pytest.approx(keys["pool"].sum())


def test_price_list_check_holds(model_2023):
    model, result = model_2023
    check = tables.price_list_check(result)
    assert (check["difference"] == 0).all()
    assert tables.price_check_text(result).startswith("Summan stämmer exakt")
    broken = dataclasses.replace(
        result, price_list=result.price_list.assign(amount=result.price_list["amount"] + 1)
    )
    assert "stämmer inte" in tables.price_check_text(broken, "kundreskontra")


def test_comparisons_keep_the_totals(model_2023):
    model, result = model_2023
    comparison = result.comparison
    by_customer = tables.customer_comparison_table(model, result)
    total = by_customer.iloc[-1]
    assert total["name"] == "Totalt"
    assert total["previous"] == comparison.previous_total
    assert total["new"] == comparison.new_total
    assert total["change"] == pytest.approx(comparison.change_including)
    by_area = tables.area_comparison_table(model, result)
    assert list(by_area["name"]) == [*model.service_areas["name"], "Totalt"]
    assert by_area["difference"].iloc[-1] == pytest.approx(total["difference"])
    summary = tables.comparison_summary(result)
    assert summary["change_excluding"] == pytest.approx(-0.026, abs=5e-4)
    assert summary["change_including"] == pytest.approx(-0.011, abs=5e-4)
    area = tables.area_customer_comparison(model, result, "avgiftshantering")
    assert (
        area["new"].iloc[-1]
        == result.full_cost.set_index("service_area").at["avgiftshantering", "full_cost"]
    )


def test_changed_assignments_table_with_comment(model_2023):
    model, _ = model_2023
    table = tables.changed_assignments_table(model)
    assert table["cost_effect"].iloc[-1] == model.changed_assignments["cost_effect"].sum()
    if "comment" in model.changed_assignments.columns:
        assert "comment" in table.columns
    assert table["name"].iloc[0] in set(model.service_areas["name"])


def test_without_previous_charges(without_previous):
    model, result = without_previous
    assert tables.customer_comparison_table(model, result) is None
    assert tables.area_comparison_table(model, result) is None
    assert tables.area_customer_comparison(model, result, "leverantorsreskontra") is None
    assert tables.comparison_summary(result) is None
    assert tables.changed_assignments_table(model) is None
    overview = tables.customer_overview(model, result)
    assert "previous" not in overview.columns
    charges = tables.customer_charges(model, result, "SDF01")
    assert "previous" not in charges.columns


def test_customer_tables(mini_model):
    model, result = mini_model
    overview = tables.customer_overview(model, result)
    assert list(overview["name"]) == sorted(overview["name"], key=tables.sort_key_sv)
    assert overview["total"].sum() == result.total_full_cost
    charges = tables.customer_charges(model, result, "FF01")
    assert list(charges["service_area"]) == ["leverantorsreskontra", "hyresadministration"]
    assert charges.loc[1, "previous"] == 0  # new in hyresadministration this year
    volumes = tables.customer_volumes(model, result, "FF01")
    assert list(volumes["key_id"]) == [
        "antal_fakturor",
        "felaktiga_fakturor",
        "antal_krav",
        "aktiva_avtal",
    ]
    by_area = volumes.groupby("service_area")["amount"].sum()
    for row in charges.itertuples():
        assert by_area[row.service_area] == pytest.approx(row.new, abs=1)
    assert list(volumes["amount"]) == pytest.approx(list(volumes["volume"] * volumes["unit_price"]))


def test_sentences(mini_model, model_2023):
    model, result = model_2023
    text = tables.largest_customers_text(model, result, "avgiftshantering")
    assert text.startswith("De fem kunder som betalar mest är Utbildningsförvaltningen (")
    assert "Tillsammans står de för" in text
    model, result = mini_model
    text = tables.largest_customers_text(model, result, "hyresadministration")
    assert text.startswith("Tjänsteområdets tre kunder är")
    assert tables.join_sv(["a", "b", "c"]) == "a, b och c"
    assert tables.join_sv(["a"]) == "a"
    assert tables.number_word(5) == "fem"
    assert tables.number_word(31) == "31"
    assert tables.customer_count(result) == 4
    assert tables.customer_count(result, "hyresadministration") == 3


def test_key_notes(model_2023, tmp_path: Path):
    model, result = model_2023
    notes = tables.key_notes_text(model, result, "avgiftshantering")
    assert "maxtaxa" in notes  # the seed's naming discrepancy is named at the keys
    hyres = tables.key_notes_text(model, result, "hyresadministration")
    assert hyres.count("vikten 0") == 1
    # without a narrative folder: only the computed sentence on zero-weight keys
    folder = tmp_path / "data"
    shutil.copytree(DATA_2023, folder, ignore=shutil.ignore_patterns("rapport"))
    plain = load_input(folder)
    text = tables.key_notes_text(plain, calculate(plain), "hyresadministration")
    assert text == (
        "Anmärkning: Vakanta avtal och Skapade avtal har vikten 0 % och påverkar inte priset; "
        "volymerna redovisas som information."
    )
    assert tables.key_notes_text(plain, calculate(plain), "kundreskontra") == ""


def test_caption_marks_example_data(mini_model):
    model, _ = mini_model
    assert tables.caption(model, "Tabell") == "Tabell (exempeldata)"
    real = dataclasses.replace(model, example_data=False)
    assert tables.caption(real, "Tabell") == "Tabell"


def test_tables_render_in_house_style(mini_model):
    model, result = mini_model
    html = style.table_html(
        tables.full_cost_table(model, result),
        tables.FULL_COST_FORMATS,
        tables.FULL_COST_HEADERS,
        total_row=True,
    )
    assert '<tr class="total"><td>Totalt</td><td class="num">15,0</td>' in html
    assert "nan" not in html
    assert isinstance(
        tables.with_total(pd.DataFrame({"a": ["x"], "b": [1]}), "a", ["b"]), pd.DataFrame
    )
