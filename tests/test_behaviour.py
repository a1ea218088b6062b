"""Behaviour effects: a customer reducing one key's volume, short and long run, against a hand
calculation on the spec's worked example and against a full recalculation."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from prismodell import behaviour, figures
from prismodell.calculation import calculate
from prismodell.style import format_kr


def test_hand_calculation_on_the_spec_example(mini_model):
    """Leverantörsreskontra: full cost 9 830 000, pools 4 915 000 (antal_fakturor, 103 000
    invoices), 2 457 500 (felaktiga_fakturor, 3 000) and 2 457 500 (antal_krav, 1 000).
    FF01 has the most reminders (400 of 1 000) and sends 20 % fewer: 320, 80 saved, V = 920."""
    model, result = mini_model
    effects = behaviour.behaviour_example(model, result, "leverantorsreskontra", "antal_krav")
    rows = effects.set_index("customer_id")
    assert rows.loc["FF01", "actor"] and rows["actor"].sum() == 1
    assert rows.loc["FF01", "volume"] == 400 and rows.loc["FF01", "new_volume"] == 320

    # FF01 before: 4 915 000·40 000/103 000 + 2 457 500·1 200/3 000 + 2 457 500·400/1 000
    #            = 1 908 737.864078 + 983 000 + 983 000 = 3 874 737.864078
    invoices = 4_915_000 * 40_000 / 103_000
    assert rows.loc["FF01", "base"] == pytest.approx(invoices + 983_000 + 983_000, abs=1e-6)
    assert rows.loc["FF01", "base"] == pytest.approx(3_874_737.864078, abs=1e-6)

    # Short run: the reminder pool stays 2 457 500 over 920 reminders.
    # FF01: 2 457 500·320/920 = 854 782.608696, i.e. 983 000 − 854 782.608696 = 128 217.391304 less
    assert rows.loc["FF01", "short_change"] == pytest.approx(-128_217.391304, abs=1e-6)
    assert rows.loc["FF01", "short_run"] == pytest.approx(3_746_520.472773, abs=1e-6)
    # SDF01 and SDF02: 2 457 500·300/920 = 801 358.695652 against 2 457 500·300/1 000 = 737 250,
    # i.e. 64 108.695652 more each; B01 has no reminders and pays the same.
    for other in ("SDF01", "SDF02"):
        assert rows.loc[other, "short_change"] == pytest.approx(64_108.695652, abs=1e-6)
    assert rows.loc["B01", "short_change"] == pytest.approx(0, abs=1e-6)
    assert rows["short_run"].sum() == pytest.approx(9_830_000, abs=1e-6)

    # Long run: unit price 2 457 500 / 1 000 = 2 457.50 kr; saving 80 · 2 457.50 = 196 600.
    # The reminder pool becomes 2 260 900 over 920: still 2 457.50 per reminder, so FF01's
    # reminders cost 320 · 2 457.50 = 786 400 (−196 600) and the others pay as before.
    assert rows.loc["FF01", "long_change"] == pytest.approx(-196_600, abs=1e-6)
    assert rows.loc["FF01", "long_run"] == pytest.approx(invoices + 983_000 + 786_400, abs=1e-6)
    for other in ("SDF01", "SDF02", "B01"):
        assert rows.loc[other, "long_change"] == pytest.approx(0, abs=1e-6)
    assert rows["long_run"].sum() == pytest.approx(9_830_000 - 196_600, abs=1e-6)

    summary = behaviour.behaviour_summary(effects)
    assert summary["saved_units"] == 80
    assert summary["unit_price"] == pytest.approx(2_457.5)
    assert summary["long_run_saving"] == pytest.approx(196_600)
    assert summary["others_paying_more"] == 2
    assert summary["largest_increase"] == pytest.approx(64_108.695652, abs=1e-6)


def test_defaults_pick_the_dearest_key_and_the_largest_customer(mini_model, model_2023):
    model, result = mini_model
    assert behaviour.example_key(model, result, "leverantorsreskontra") == "antal_krav"
    assert behaviour.example_customer(model, "antal_krav") == "FF01"
    default = behaviour.behaviour_example(model, result, "leverantorsreskontra")
    explicit = behaviour.behaviour_effects(
        model, result, "leverantorsreskontra", "antal_krav", "FF01", 0.2
    )
    pd.testing.assert_frame_equal(default, explicit)
    model, result = model_2023
    for area in model.service_areas["service_area"]:
        key = behaviour.example_key(model, result, area)
        prices = behaviour.unit_savings(model, result, area).set_index("key_id")["unit_price"]
        assert prices[key] == prices.max()
        customer = behaviour.example_customer(model, key)
        volumes = model.volumes[model.volumes["key_id"] == key].set_index("customer_id")
        assert volumes.at[customer, "volume"] == volumes["volume"].max()


@pytest.mark.parametrize("reduction", [0.05, 0.2, 0.5, 1.0])
def test_totals_short_and_long_run(model_2023, reduction):
    model, result = model_2023
    prices = result.unit_prices.set_index("key_id")
    for area in model.service_areas["service_area"]:
        cost = result.full_cost.set_index("service_area").at[area, "exact_full_cost"]
        key = behaviour.example_key(model, result, area)
        effects = behaviour.behaviour_example(model, result, area, key, reduction=reduction)
        own = effects[effects["actor"]].iloc[0]
        saved = own["volume"] * reduction
        assert effects["base"].sum() == pytest.approx(cost, rel=1e-12)
        assert effects["short_run"].sum() == pytest.approx(cost, rel=1e-12)
        assert effects["base"].sum() - effects["long_run"].sum() == pytest.approx(
            saved * prices.at[key, "unit_price"], rel=1e-9
        )
        assert own["short_change"] < 0 and own["long_change"] <= own["short_change"]
        others = effects[~effects["actor"]]
        assert (others["short_change"] >= -1e-6).all()
        np.testing.assert_allclose(others["long_change"], 0, atol=1e-6)


def test_short_run_is_a_recalculation_with_the_reduced_volume(model_2023):
    model, result = model_2023
    area, key = "leverantorsreskontra", "antal_krav"
    customer = behaviour.example_customer(model, key)
    effects = behaviour.behaviour_effects(model, result, area, key, customer, 0.3)
    volumes = model.volumes.copy()
    mask = (volumes["customer_id"] == customer) & (volumes["key_id"] == key)
    volumes.loc[mask, "volume"] *= 0.7
    changed = calculate(dataclasses.replace(model, volumes=volumes)).allocation
    direct = changed[changed["service_area"] == area].groupby("customer_id")["amount"].sum()
    np.testing.assert_allclose(
        effects.set_index("customer_id")["short_run"].reindex(direct.index), direct, atol=1e-6
    )


def test_bad_requests_are_refused(mini_model):
    model, result = mini_model
    with pytest.raises(ValueError, match="ingen volym"):
        behaviour.behaviour_effects(model, result, "leverantorsreskontra", "antal_krav", "B01")
    with pytest.raises(ValueError, match="hör inte till"):
        behaviour.behaviour_effects(model, result, "leverantorsreskontra", "aktiva_avtal", "SDF01")
    with pytest.raises(ValueError, match="andel"):
        behaviour.behaviour_example(model, result, "leverantorsreskontra", reduction=20)
    with pytest.raises(ValueError, match="finns inte"):
        behaviour.behaviour_example(model, result, "okant_omrade", "antal_krav")


def test_unit_savings_are_the_unit_prices(model_2023):
    model, result = model_2023
    savings = behaviour.unit_savings(model, result)
    priced = result.unit_prices[result.unit_prices["total_volume"] > 0]
    np.testing.assert_allclose(savings["unit_price"], priced["unit_price"])
    assert list(savings["name"]) == list(
        model.keys.set_index("key_id").loc[savings["key_id"], "name"]
    )


def test_overview_and_text(mini_model):
    model, result = mini_model
    area, key = "leverantorsreskontra", "antal_krav"
    effects = behaviour.behaviour_example(model, result, area, key)
    overview = behaviour.effects_overview(effects)
    assert list(overview["label"]) == ["Utbildningsförvaltningen", "Övriga kunder (3)", "Totalt"]
    assert overview.iloc[2]["short_change"] == pytest.approx(0, abs=1e-6)
    assert overview.iloc[2]["long_change"] == pytest.approx(-196_600)
    text = behaviour.example_markdown(model, result, area, key, effects)
    plain = text.replace("\\", "")
    assert plain.startswith("## Leverantörsreskontra")
    for amount in (3_746_520.472773, 196_600, 3_678_137.864078):
        assert format_kr(amount) in plain
    fig = figures.behaviour_figure(overview)
    assert isinstance(fig, Figure)
    assert [len(c) for c in fig.axes[0].containers] == [3, 3]


def test_customer_savings_agree_with_the_full_reallocation(model_2023):
    from prismodell.behaviour import behaviour_effects, customer_savings

    model, result = model_2023
    customer = result.price_list["customer_id"].iloc[0]
    savings = customer_savings(model, result, customer)
    assert list(savings["unit_price"]) == sorted(savings["unit_price"], reverse=True)
    weights = model.keys.set_index("key_id")["weight"]
    assert (savings["key_id"].map(weights) > 0).all()  # zero-weight keys are left out
    assert len(savings) >= 3
    for row in savings.itertuples(index=False):
        for x in (0.1, 0.2):
            effects = behaviour_effects(model, result, row.service_area, row.key_id, customer, x)
            actor = effects[effects["actor"]].iloc[0]
            pct = round(x * 100)
            assert getattr(row, f"short_{pct}") == pytest.approx(-actor["short_change"])
            assert getattr(row, f"long_{pct}") == pytest.approx(-actor["long_change"])
            assert 0 <= getattr(row, f"short_{pct}") <= getattr(row, f"long_{pct}")
