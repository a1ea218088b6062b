"""Unit tests, one or more per rule of the spec (shared/spec/price-model.md)."""

from __future__ import annotations

import pandas as pd
import pytest

from prismodell.calculation import (
    allocate,
    calculate,
    compare,
    full_cost,
    hourly_rates,
    internal_overhead_pool,
    key_pools,
    largest_remainder,
    price_list,
    round_half_up,
    unit_prices,
)
from prismodell.inputs import load_input

from .conftest import MINI


@pytest.fixture(scope="module")
def model():
    return load_input(MINI)


def test_rule1_direct_cost_components(model):
    costs = full_cost(model).set_index("service_area")
    # 10 × 600 000 + 2 × 750 000; 12 × 100 000 overhead; 250 000 scanning supplier
    assert costs.loc["leverantorsreskontra", "personnel"] == 7_500_000
    assert costs.loc["leverantorsreskontra", "administration_overhead"] == 1_200_000
    assert costs.loc["leverantorsreskontra", "other_costs"] == 250_000
    assert costs.loc["hyresadministration", "other_costs"] == 0
    assert list(costs.index) == ["leverantorsreskontra", "hyresadministration"]  # model order


def test_rule2_internal_overhead_pool_includes_its_overhead_and_other_costs(model):
    pool = internal_overhead_pool(model.staffing, model.cost_standards, 100_000, model.other_costs)
    assert pool == 1 * (1_000_000 + 100_000)
    other = pd.concat(
        [
            model.other_costs,
            pd.DataFrame(
                [{"service_area": "internt_overhead", "description": "x", "amount": 5_000.0}]
            ),
        ]
    )
    assert internal_overhead_pool(model.staffing, model.cost_standards, 100_000, other) == 1_105_000


def test_rule3_internal_overhead_split_by_fte(model):
    costs = full_cost(model).set_index("service_area")
    assert costs.loc["leverantorsreskontra", "internal_overhead"] == pytest.approx(880_000)
    assert costs.loc["hyresadministration", "internal_overhead"] == pytest.approx(220_000)


def test_rule4_full_cost_rounds_half_up():
    assert round_half_up(2.5) == 3
    assert round_half_up(1234.4999) == 1234  # not a half
    # Within a micro-krona of a half is float noise around an exact half: it rounds up.
    assert round_half_up(1234.4999999999) == 1235
    assert round_half_up(0.1 + 0.2 + 1233.2) == 1234  # 1233.5 despite float noise


def test_rule4_full_cost_is_sum_of_components(model):
    costs = full_cost(model)
    assert costs["full_cost"].tolist() == [9_830_000, 2_320_000]


def test_rule5_pools_are_cost_times_weight(model):
    pools = key_pools(full_cost(model), model.keys).set_index("key_id")["pool"]
    assert pools.to_dict() == pytest.approx(
        {
            "antal_fakturor": 4_915_000,
            "felaktiga_fakturor": 2_457_500,
            "antal_krav": 2_457_500,
            "aktiva_avtal": 2_320_000,
        }
    )


def test_rule6_allocation_by_volume_share(model):
    allocation = allocate(key_pools(full_cost(model), model.keys), model.volumes)
    krav = allocation[allocation["key_id"] == "antal_krav"].set_index("customer_id")
    assert krav["share"].to_dict() == pytest.approx({"FF01": 0.4, "SDF01": 0.3, "SDF02": 0.3})
    assert krav["amount"].sum() == pytest.approx(2_457_500)
    assert "B01" not in krav.index  # no volume, no row


def test_rule7_largest_remainder_tie_goes_to_smaller_id():
    exact = pd.Series({"SDF02": 2.4, "SDF01": 2.4, "FF01": 3.2})  # floors 7, total 8
    assert largest_remainder(exact, 8).to_dict() == {"SDF02": 2, "SDF01": 3, "FF01": 3}


def test_rule7_largest_remainder_largest_fraction_first():
    exact = pd.Series({"a": 1.1, "b": 1.7, "c": 1.2})  # floors 3, total 4
    assert largest_remainder(exact, 4).to_dict() == {"a": 1, "b": 2, "c": 1}


def test_rule7_exact_integers_need_no_remainder():
    exact = pd.Series({"a": 5.0, "b": 5.0000000001})
    assert largest_remainder(exact, 10).to_dict() == {"a": 5, "b": 5}


def test_rule7_price_list_sums_to_full_cost(model):
    costs = full_cost(model)
    prices = price_list(allocate(key_pools(costs, model.keys), model.volumes), costs)
    totals = prices.groupby("service_area")["amount"].sum()
    assert totals.to_dict() == {"hyresadministration": 2_320_000, "leverantorsreskontra": 9_830_000}
    lev = prices[prices["service_area"] == "leverantorsreskontra"].set_index("customer_id")
    # The spec's hand calculation: FF01 (.86) and SDF01 (tie at .40, smaller id) get a krona.
    assert lev["amount"].to_dict() == {
        "B01": 143_155,
        "FF01": 3_874_738,
        "SDF01": 2_906_054,
        "SDF02": 2_906_053,
    }


def test_rule8_unit_price_is_pool_over_volume(model):
    pools = key_pools(full_cost(model), model.keys)
    unit = unit_prices(pools, allocate(pools, model.volumes)).set_index("key_id")
    assert unit.loc["antal_krav", "unit_price"] == pytest.approx(2457.5)
    assert unit.loc["antal_fakturor", "total_volume"] == 103_000


def test_rule8_weight_zero_key_without_volume_has_no_unit_price():
    pools = pd.DataFrame(
        {
            "service_area": ["s", "s"],
            "key_id": ["a", "b"],
            "weight": [1.0, 0.0],
            "pool": [100.0, 0.0],
        }
    )
    volumes = pd.DataFrame({"customer_id": ["x"], "key_id": ["a"], "volume": [4.0]})
    unit = unit_prices(pools, allocate(pools, volumes)).set_index("key_id")
    assert unit.loc["a", "unit_price"] == 25
    assert pd.isna(unit.loc["b", "unit_price"])


def test_rule9_hourly_rates(model):
    rates = hourly_rates(model).set_index("staff_category")["hourly_rate"]
    # (600 000 + 100 000 + 1 100 000 / 15) / 1 600 = 483.33 → 483
    assert rates.to_dict() == {"ekonomiadministrator": 483, "ekonom": 577, "ledning": 733}


def test_rule10_comparison_with_and_without_changed_assignments(model):
    result = calculate(model)
    comparison = result.comparison
    assert comparison.previous_total == 11_700_000
    assert comparison.new_total == 12_150_000
    assert comparison.changed_assignments_total == 80_000
    assert comparison.change_including == pytest.approx(450_000 / 11_700_000)
    assert comparison.change_excluding == pytest.approx(370_000 / 11_700_000)


def test_rule10_customer_without_previous_charge_compares_from_zero():
    prices = pd.DataFrame(
        {"customer_id": ["a", "b"], "service_area": ["s", "s"], "amount": [10, 20]}
    )
    previous = pd.DataFrame(
        {"customer_id": ["a", "c"], "service_area": ["s", "s"], "amount": [5.0, 7.0]}
    )
    table = compare(prices, previous, None).by_customer_area.set_index("customer_id")
    assert table.loc["b", "previous"] == 0 and pd.isna(table.loc["b", "change"])
    assert table.loc["c", "new"] == 0 and table.loc["c", "change"] == -1
    assert table.loc["a", "change"] == 1


def test_rule10_comparison_by_area_follows_the_model_order(model):
    areas = calculate(model).comparison.by_area["service_area"].tolist()
    assert areas == ["leverantorsreskontra", "hyresadministration"]  # not alphabetical
