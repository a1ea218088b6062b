"""Why a customer's price changed: parts per service area that sum exactly to the change."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from prismodell.decomposition import PARTS, change_parts, previous_year

from .conftest import examples


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
    # the unit-price movement, split into the changed weight and the rest
    assert table.at[area, "weight"] + table.at[area, "unit_price"] == pytest.approx(price)
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


# --------------------------------------------------------------------------- changed weights

AREA = "leverantorsreskontra"
CUSTOMER = "aldreforvaltningen"


def _last_year_as(model, **changes):
    """This year's model with ``changes`` standing in for last year: (model, result)."""
    import dataclasses

    from prismodell.calculation import calculate

    before = dataclasses.replace(model, **changes)
    return before, calculate(before)


def _with_weights(keys: pd.DataFrame, area: str, weights: list[float]) -> pd.DataFrame:
    keys = keys.copy()
    keys.loc[keys["service_area"] == area, "weight"] = weights
    return keys


def _amount_change(result, before, customer, area):
    def amount(res):
        a = res.allocation
        return a.loc[(a["customer_id"] == customer) & (a["service_area"] == area), "amount"].sum()

    return amount(result) - amount(before)


def test_only_a_weight_changed_the_whole_unit_price_movement_is_the_weight(model_2023):
    model, result = model_2023
    # this year 0.50 / 0.25 / 0.25; "last year" 0.60 / 0.20 / 0.20, same cost and volumes
    last = _last_year_as(model, keys=_with_weights(model.keys, AREA, [0.6, 0.2, 0.2]))
    table = change_parts(model, result, last, CUSTOMER).set_index("service_area")
    moved = _amount_change(result, last[1], CUSTOMER, AREA)
    assert moved != pytest.approx(0)
    assert table.at[AREA, "weight"] == pytest.approx(moved, abs=1e-6)
    assert table.at[AREA, "unit_price"] == pytest.approx(0, abs=1e-6)
    assert table.at[AREA, "volume"] == 0
    assert (table.drop(AREA)[["weight", "unit_price"]].abs() < 1e-6).all().all()


def test_the_weight_part_by_hand(model_2023):
    """v₁·(w₁ − w₀)·K₀/V₀ for each key, worked from the customer's volumes."""
    model, result = model_2023
    last = _last_year_as(model, keys=_with_weights(model.keys, AREA, [0.6, 0.2, 0.2]))
    cost = result.full_cost.set_index("service_area").at[AREA, "keyed_cost"]
    volumes = model.volumes[model.volumes["volume"] > 0]
    total = volumes.groupby("key_id")["volume"].sum()
    own = volumes[volumes["customer_id"] == CUSTOMER].set_index("key_id")["volume"]
    expected = (
        own["antal_fakturor"] * (0.5 - 0.6) * cost / total["antal_fakturor"]
        + own["felaktiga_fakturor"] * (0.25 - 0.2) * cost / total["felaktiga_fakturor"]
        + own["antal_krav"] * (0.25 - 0.2) * cost / total["antal_krav"]
    )
    table = change_parts(model, result, last, CUSTOMER).set_index("service_area")
    assert table.at[AREA, "weight"] == pytest.approx(expected, rel=1e-12)


def test_only_the_cost_changed_the_weight_part_is_zero(model_2023):
    model, result = model_2023
    other = model.other_costs.copy()
    other["amount"] = other["amount"] * 0.9
    last = _last_year_as(model, other_costs=other)
    table = change_parts(model, result, last, CUSTOMER).set_index("service_area")
    assert (table["weight"] == 0).all()
    moved = _amount_change(result, last[1], CUSTOMER, AREA)
    assert moved > 0
    assert table.at[AREA, "unit_price"] == pytest.approx(moved, abs=1e-6)


def test_a_weight_going_to_zero_or_from_zero_is_all_weight(model_2023):
    """No division by the weight: a key at weight 0 last year (p₀ = 0) still gets its part."""
    model, result = model_2023
    area, keys = "hyresadministration", ["aktiva_avtal", "skapade_avtal", "vakanta_avtal"]
    assert model.keys.set_index("key_id").loc[keys, "weight"].tolist() == [1.0, 0.0, 0.0]
    customer = next(
        c for c in model.volumes.query("key_id == 'skapade_avtal' and volume > 0")["customer_id"]
    )
    # last year 0.5 / 0.5 / 0: this year's 0 → 1 and 0.5 → 0 moves are weight alone
    last = _last_year_as(model, keys=_with_weights(model.keys, area, [0.5, 0.5, 0.0]))
    table = change_parts(model, result, last, customer).set_index("service_area")
    moved = _amount_change(result, last[1], customer, area)
    assert table.at[area, "weight"] == pytest.approx(moved, abs=1e-6)
    assert table.at[area, "unit_price"] == pytest.approx(0, abs=1e-6)


def test_the_example_data_changes_weights_between_the_years(model_2023, last_year):
    """2022 → 2023 moves several keys' weights (e.g. leverantörsreskontra 0.80 → 0.50): the
    weight part is not 0 there, and every customer's parts still sum to the change."""
    model, result = model_2023
    table = change_parts(model, result, last_year, CUSTOMER).set_index("service_area")
    assert table.at[AREA, "weight"] != pytest.approx(0)
    # avgiftshantering's weights did not change
    table = change_parts(model, result, last_year, "utbildningsforvaltningen")
    assert table.set_index("service_area").at["avgiftshantering", "weight"] == 0


@settings(max_examples=examples(25), deadline=None)
@given(
    weights=st.lists(st.floats(0, 1), min_size=3, max_size=3).filter(lambda w: sum(w) > 0),
    cost=st.floats(0.5, 2),
    customer=st.sampled_from(
        ["aldreforvaltningen", "utbildningsforvaltningen", "kulturforvaltningen"]
    ),
)
def test_any_weights_and_cost_the_parts_sum_to_the_change(model_2023, weights, cost, customer):
    model, result = model_2023
    weights = [w / sum(weights) for w in weights]
    other = model.other_costs.assign(amount=model.other_costs["amount"] * cost)
    last = _last_year_as(
        model, keys=_with_weights(model.keys, AREA, weights), other_costs=other
    )
    table = change_parts(model, result, last, customer)
    total = table[list(PARTS)].sum(axis=1)
    pd.testing.assert_series_equal(total, table["difference"], check_names=False,
                                   rtol=0, atol=1e-6)
    # the weight part and the rest add up to v1·(p1 − p0): the exact amounts' change
    row = table.set_index("service_area").loc[AREA]
    moved = _amount_change(result, last[1], customer, AREA)
    assert row["weight"] + row["unit_price"] == pytest.approx(moved, abs=1e-6)
    if cost == 1:
        assert row["unit_price"] == pytest.approx(0, abs=1e-6)


def test_in_whole_kronor_the_shown_parts_add_up(model_2023, last_year):
    """Each part moves by less than a krona and every row, and so the total row, sums to
    the change in whole kronor (Äldreförvaltningen's rounding was 0 kr in every row but
    −1 kr in the total)."""
    from prismodell.decomposition import in_whole_kronor

    model, result = model_2023
    for customer in result.comparison.by_customer["customer_id"]:
        exact = change_parts(model, result, last_year, customer)
        whole = in_whole_kronor(exact)
        parts = whole[list(PARTS)]
        assert (parts == parts.round()).all().all(), customer
        assert ((parts - exact[list(PARTS)]).abs() < 1).all().all(), customer
        pd.testing.assert_series_equal(parts.sum(axis=1), whole["difference"],
                                       check_names=False, check_dtype=False)
        assert parts.sum().sum() == whole["difference"].sum()
    exact = change_parts(model, result, last_year, "aldreforvaltningen")
    assert round(exact["rounding"].sum()) != exact["rounding"].round().sum()  # the case
    assert (in_whole_kronor(exact)["rounding"] == 0).all()
