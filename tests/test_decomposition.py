"""Why a customer's price changed: parts per service area that sum exactly to the change."""

from __future__ import annotations

import pandas as pd
import pytest

from prismodell.decomposition import PARTS, change_parts, previous_year


@pytest.fixture(scope="module")
def last_year(model_2023):
    model, _ = model_2023
    found = previous_year(model)
    assert found is not None  # data/2022 lies beside data/2023
    assert found[0].price_list_year == model.price_list_year - 1
    return found


def test_parts_sum_exactly_to_the_change_for_every_customer(model_2023, last_year):
    model, result = model_2023
    for customer in result.comparison.by_customer["customer_id"]:
        table = change_parts(model, result, last_year, customer)
        total = table[list(PARTS)].sum(axis=1)
        pd.testing.assert_series_equal(total, table["difference"], check_names=False,
                                       rtol=0, atol=1e-6)
        # rounding to whole kronor moves each amount by less than a krona, and last year's
        # invoice is last year's model: what is left is rounding
        assert (table["rounding"].abs() < 1).all(), customer


def test_volume_and_price_effects_follow_their_definition(model_2023, last_year):
    model, result = model_2023
    _, before = last_year
    customer, area = "aldreforvaltningen", "leverantorsreskontra"

    def rows(res):
        a = res.allocation
        r = a[(a["customer_id"] == customer) & (a["service_area"] == area)]
        return r.set_index("key_id").assign(price=lambda f: f["amount"] / f["volume"])

    now, then = rows(result), rows(before)
    shared = now.index.intersection(then.index)
    assert len(shared) == 3
    volume = ((now.loc[shared, "volume"] - then.loc[shared, "volume"])
              * then.loc[shared, "price"]).sum()
    price = (now.loc[shared, "volume"] * (now.loc[shared, "price"] - then.loc[shared, "price"])
             ).sum()
    table = change_parts(model, result, last_year, customer).set_index("service_area")
    assert table.at[area, "volume"] == pytest.approx(volume)
    assert table.at[area, "unit_price"] == pytest.approx(price)
    # a key new this year (ekonomiservice's huvudbokstransaktioner) is a key change
    new_key = result.allocation.query(
        "customer_id == @customer and key_id == 'huvudbokstransaktioner'")["amount"].sum()
    assert new_key > 0
    assert table.at["ekonomiservice", "keys"] == pytest.approx(new_key)


def test_no_previous_year_beside_the_folder(mini_model):
    model, _ = mini_model
    assert previous_year(model) is None


def test_without_last_years_invoice_there_is_nothing_to_explain(model_2023, last_year):
    import dataclasses

    model, result = model_2023
    with pytest.raises(ValueError, match="föregående år"):
        change_parts(model, dataclasses.replace(result, comparison=None), last_year, "x")


def test_new_dedicated_services_are_their_own_part(model_2023, last_year):
    """2023's new dedicated services of Utbildningsförvaltningen (none in 2022) explain their
    whole cost, not the rounding."""
    model, result = model_2023
    table = change_parts(model, result, last_year, "utbildningsforvaltningen")
    row = table.set_index("service_area").loc["avgiftshantering"]
    own = result.dedicated_services
    assert row["dedicated"] == pytest.approx(own["amount"].sum(), abs=1e-6)
    assert abs(row["rounding"]) < 1
    assert (table.set_index("service_area").drop("avgiftshantering")["dedicated"] == 0).all()
