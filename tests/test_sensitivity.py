"""Weight sensitivity: the vectorised charges agree with a full recalculation, the weight
scenarios stay valid weights, and the chapter's helpers and figure work on any data."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from matplotlib.figure import Figure

from prismodell import figures, sensitivity
from prismodell.calculation import calculate

from .conftest import examples


def _with_weights(model, weights: pd.Series):
    """The model with some keys' weights replaced (the rest of the input unchanged)."""
    keys = model.keys.copy()
    keys["weight"] = keys["key_id"].map(weights).fillna(keys["weight"])
    return dataclasses.replace(model, keys=keys)


def _direct_charges(model, area: str) -> pd.Series:
    """Exact charges by a full recalculation: the allocation's amounts summed per customer,
    plus the customer's dedicated services in the area (rule 6)."""
    result = calculate(model)
    allocation = result.allocation
    keyed = allocation[allocation["service_area"] == area].groupby("customer_id")["amount"].sum()
    dedicated = result.dedicated_services
    if dedicated is None:
        return keyed
    own = dedicated[dedicated["service_area"] == area].groupby("customer_id")["amount"].sum()
    return keyed.add(own, fill_value=0.0)


@pytest.mark.parametrize(
    ("area", "key", "delta"),
    [
        ("leverantorsreskontra", "antal_krav", -20),
        ("leverantorsreskontra", "felaktiga_fakturor", 5),
        ("kundreskontra", "antal_kundfakturor", 10),  # clipped at 100 % at +20, not at +10
        ("kundreskontra", "antal_aterbetalningar", -20),  # clipped at 0 %
        ("ekonomiservice", "huvudbokstransaktioner", 20),
        ("hyresadministration", "aktiva_avtal", -10),  # the others have weight 0
        ("hyresadministration", "vakanta_avtal", 5),
        ("avgiftshantering", "familjer_med_maxtaxa", -5),
    ],
)
def test_table_agrees_with_a_full_recalculation(model_2023, area, key, delta):
    model, result = model_2023
    table = sensitivity.sensitivity_table(model, result, area)
    rows = table[(table["key_id"] == key) & (table["delta"] == delta)]
    weights = sensitivity.weight_scenarios(
        sensitivity.key_weights(model, area),
        key,
        [delta],
        sensitivity.movable_keys(sensitivity.share_matrix(model, result, area)),
    ).weights.iloc[0]
    direct = _direct_charges(_with_weights(model, weights), area)
    charges = rows.set_index("customer_id")["charge"]
    assert set(charges.index) == set(direct.index)
    np.testing.assert_allclose(charges.sort_index(), direct.sort_index(), rtol=0, atol=1e-6)
    base = _direct_charges(model, area)
    np.testing.assert_allclose(
        rows.set_index("customer_id")["base_charge"].sort_index(), base.sort_index(), atol=1e-6
    )


def test_mini_example_against_a_recalculation(mini_model):
    model, result = mini_model
    area = "leverantorsreskontra"
    table = sensitivity.sensitivity_table(model, result, area, deltas=(-10, 10))
    for key in ("antal_fakturor", "antal_krav"):
        for delta in (-10, 10):
            rows = table[(table["key_id"] == key) & (table["delta"] == delta)]
            weights = rows.iloc[0]["weight"]
            # the other two keys keep their 2:1 or 1:1 proportions
            others = sensitivity.key_weights(model, area).drop(key)
            new = pd.concat([pd.Series({key: weights}), others * (1 - weights) / others.sum()])
            direct = _direct_charges(_with_weights(model, new), area)
            got = rows.set_index("customer_id")["charge"].reindex(direct.index)
            np.testing.assert_allclose(got, direct, atol=1e-6)


def test_each_scenario_keeps_the_full_cost(model_2023):
    model, result = model_2023
    for area in sensitivity.sensitivity_areas(model, result):
        table = sensitivity.sensitivity_table(model, result, area)
        sums = table.groupby(["key_id", "delta"])["charge"].sum()
        np.testing.assert_allclose(sums, sensitivity.exact_full_cost(result, area), rtol=1e-12)
        changes = table.groupby(["key_id", "delta"])["change_kr"].sum()
        assert (changes.abs() < 1e-5).all()


def test_base_weights_give_the_allocation(model_2023):
    model, result = model_2023
    area = "leverantorsreskontra"
    shares = sensitivity.share_matrix(model, result, area)
    weights = sensitivity.key_weights(model, area)
    charges = sensitivity.charges_for_weights(
        weights.to_numpy(), shares, sensitivity.exact_full_cost(result, area)
    )
    assert charges.shape == (1, len(shares.columns))
    expected = _direct_charges(model, area).reindex(shares.columns)
    np.testing.assert_allclose(charges[0], expected, atol=1e-6)


def test_charges_for_many_weight_vectors_at_once(mini_model):
    model, result = mini_model
    area = "leverantorsreskontra"
    shares = sensitivity.share_matrix(model, result, area)
    weights = np.random.default_rng(3).dirichlet(np.ones(len(shares)), size=500)
    cost = sensitivity.exact_full_cost(result, area)
    charges = sensitivity.charges_for_weights(weights, shares, cost)
    assert charges.shape == (500, len(shares.columns))
    np.testing.assert_allclose(charges.sum(axis=1), cost, rtol=1e-12)
    one = sensitivity.charges_for_weights(weights[17], shares, cost)
    np.testing.assert_allclose(one[0], charges[17])
    with pytest.raises(ValueError):
        sensitivity.charges_for_weights(weights[:, :2], shares, cost)


@settings(max_examples=examples(200), deadline=None)
@given(
    raw=st.lists(st.floats(0, 1), min_size=2, max_size=6).filter(lambda w: sum(w) > 1e-3),
    position=st.integers(0, 5),
    deltas=st.lists(st.floats(-150, 150), min_size=1, max_size=20),
)
def test_weights_sum_to_one_and_stay_in_range(raw, position, deltas):
    weights = pd.Series(np.array(raw) / sum(raw), index=[f"k{i}" for i in range(len(raw))])
    key = weights.index[position % len(raw)]
    scenarios = sensitivity.weight_scenarios(weights, key, deltas)
    matrix = scenarios.matrix
    np.testing.assert_allclose(matrix.sum(axis=1), 1.0, atol=1e-12)
    assert (matrix >= 0).all() and (matrix <= 1 + 1e-12).all()
    target = weights[key] + np.asarray(deltas) / 100
    expected_clip = (target < -1e-9) | (target > 1 + 1e-9)
    assert (scenarios.clipped == expected_clip).all()
    np.testing.assert_allclose(
        scenarios.weights[key], weights[key] + scenarios.applied / 100, atol=1e-12
    )
    # the other keys keep their proportions where they had weight
    rest = weights.drop(key)
    if rest.sum() > 1e-9:
        others = scenarios.weights.drop(columns=key).to_numpy()
        np.testing.assert_allclose(
            others, np.outer(1 - matrix[:, position % len(raw)], rest / rest.sum()), atol=1e-12
        )


def test_clipping_is_reported():
    weights = pd.Series({"a": 0.9, "b": 0.1, "c": 0.0})
    up = sensitivity.weight_scenarios(weights, "a", [5, 10, 20])
    assert list(up.clipped) == [False, False, True]
    np.testing.assert_allclose(up.applied, [5, 10, 10])
    np.testing.assert_allclose(up.weights.loc[2], [1.0, 0.0, 0.0])
    down = sensitivity.weight_scenarios(weights, "c", [-5, 5])
    assert list(down.clipped) == [True, False]
    np.testing.assert_allclose(down.weights.loc[0], weights)
    np.testing.assert_allclose(down.weights.loc[1], [0.9 * 0.95 / 1.0, 0.1 * 0.95, 0.05])


def test_weight_of_one_shares_the_freed_weight_equally_among_keys_with_volume():
    weights = pd.Series({"a": 1.0, "b": 0.0, "c": 0.0, "d": 0.0})
    movable = pd.Series({"a": True, "b": True, "c": False, "d": True})
    scenarios = sensitivity.weight_scenarios(weights, "a", [-10], movable)
    np.testing.assert_allclose(scenarios.weights.loc[0], [0.9, 0.05, 0.0, 0.05])
    with pytest.raises(ValueError, match="ingen volym"):
        sensitivity.weight_scenarios(weights, "c", [5], movable)


def test_areas_with_one_key_are_left_out(mini_model):
    model, result = mini_model
    assert sensitivity.sensitivity_areas(model, result) == ["leverantorsreskontra"]
    table = sensitivity.sensitivity_table(model, result, "hyresadministration")
    assert table.empty and list(table.columns) == sensitivity.TABLE_COLUMNS
    assert sensitivity.most_exposed(table, 5).empty
    with pytest.raises(ValueError, match="finns inte"):
        sensitivity.sensitivity_table(model, result, "okant_omrade")


def test_table_shape_and_columns(model_2023):
    model, result = model_2023
    area = "leverantorsreskontra"
    table = sensitivity.sensitivity_table(model, result, area)
    customers = result.price_list[result.price_list["service_area"] == area]
    assert list(table.columns) == sensitivity.TABLE_COLUMNS
    assert len(table) == 3 * len(sensitivity.DELTAS) * len(customers)
    assert not table["clipped"].any()
    row = table.iloc[0]
    assert row["change_kr"] == pytest.approx(row["charge"] - row["base_charge"])
    assert row["change_pct"] == pytest.approx(row["change_kr"] / row["base_charge"])


def test_most_exposed_is_sorted_one_row_per_customer(model_2023):
    model, result = model_2023
    table = sensitivity.sensitivity_table(model, result, "leverantorsreskontra")
    top = sensitivity.most_exposed(table, 7)
    assert len(top) == 7 and top["customer_id"].is_unique
    assert top["exposure"].is_monotonic_decreasing
    largest = table["change_kr"].abs().max()
    assert top.iloc[0]["exposure"] == pytest.approx(largest)
    wide = sensitivity.exposure_table(table, top)
    assert list(wide["name"]) == list(top["name"])
    np.testing.assert_allclose(wide["change_-20"], top["change_down"])
    np.testing.assert_allclose(wide["change_20"], top["change_up"])


def test_mirrored_keys_pick_the_first_key(model_2023):
    model, result = model_2023
    table = sensitivity.sensitivity_table(model, result, "avgiftshantering")
    top = sensitivity.most_exposed(table, 50)
    assert set(top["key_id"]) == {"totalt_antal_familjer"}


def test_clipping_is_noted_in_the_table_and_text(model_2023):
    model, result = model_2023
    table = sensitivity.sensitivity_table(model, result, "hyresadministration")
    limits = sensitivity.clipped_keys(table)
    assert set(limits["key_id"]) == {"aktiva_avtal", "vakanta_avtal", "skapade_avtal"}
    top = sensitivity.most_exposed(table, 5)
    wide = sensitivity.exposure_table(table, top)
    assert wide["clipped"].str.startswith("Vikten stannar vid").all()
    text = sensitivity.area_markdown(model, "hyresadministration", table, top)
    assert text.startswith("## Hyresadministration")
    assert "delas då lika" in text


def test_example_sentence_names_a_customer_and_amount(model_2023):
    model, result = model_2023
    tables = {
        a: sensitivity.sensitivity_table(model, result, a)
        for a in sensitivity.sensitivity_areas(model, result)
    }
    text = sensitivity.example_sentence(model, result, tables)
    assert text.startswith("Ett exempel:") and "procentenheter" in text and "kr" in text


def test_tornado_figure_has_two_bars_per_row(model_2023):
    model, result = model_2023
    table = sensitivity.sensitivity_table(model, result, "kundreskontra")
    top = sensitivity.most_exposed(table, 6)
    fig = figures.tornado_figure(
        top.assign(label=top["name"]), "Vikten −20 procentenheter", "Vikten +20 procentenheter"
    )
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    assert [len(c) for c in ax.containers] == [6, 6]
    widths = [[bar.get_width() for bar in c] for c in ax.containers]
    np.testing.assert_allclose(widths[0], top["change_down"])
    np.testing.assert_allclose(widths[1], top["change_up"])
    labels = [t.get_text().replace("\n", " ") for t in ax.get_yticklabels()]
    assert labels == list(top["name"])
    assert len(fig.legends[0].get_texts()) == 2


def test_tornado_labels_of_three_lines_do_not_overlap(model_2023):
    """Ekonomiservice's key name is long: "customer – key" wraps to three lines."""
    model, result = model_2023
    table = sensitivity.sensitivity_table(model, result, "ekonomiservice")
    top = sensitivity.most_exposed(table, 10)
    fig = figures.tornado_figure(
        top.assign(label=top["name"] + " – " + top["key_name"]), "Ned", "Upp"
    )
    ax = fig.axes[0]
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    renderer = FigureCanvasAgg(fig).get_renderer()
    fig.draw(renderer)
    labels = ax.get_yticklabels()
    assert max(t.get_text().count("\n") for t in labels) >= 2  # three lines or more
    boxes = [t.get_window_extent(renderer) for t in labels]
    for upper, lower in zip(boxes, boxes[1:], strict=False):  # first row on top
        assert lower.y1 <= upper.y0, (upper, lower)


def test_scope_sentence_names_what_is_left_out(mini_model, model_2023):
    model, result = mini_model
    text = sensitivity.scope_sentence(model, result)
    assert "Leverantörsreskontra, det enda" in text
    assert "Hyresadministration har bara en nyckel" in text
    model, result = model_2023
    assert sensitivity.scope_sentence(model, result).startswith("Det gäller alla fem")
