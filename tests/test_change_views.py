"""The one relative-change formula and the one 'change against last year' sentence: every
case (increase, decrease, no change, nothing last year, no previous year)."""

from __future__ import annotations

import dataclasses
import math

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from prismodell import narrative_views as views
from prismodell.calculation import Comparison
from prismodell.report_tables import relative_change
from prismodell.style import MINUS, NBSP


def plain(text: str) -> str:
    return text.replace(NBSP, " ").replace(MINUS, "-")


def test_relative_change_is_a_share_of_last_year():
    assert relative_change(110.0, 100.0) == pytest.approx(0.1)
    assert relative_change(75.0, 100.0) == pytest.approx(-0.25)
    assert relative_change(100.0, 100.0) == 0


@pytest.mark.parametrize("previous", [0, 0.0, -5.0, None, math.nan])
def test_relative_change_is_none_without_a_previous_amount(previous):
    assert relative_change(100.0, previous) is None


def test_relative_change_of_series_leaves_zero_previous_empty():
    change = relative_change(pd.Series([110.0, 50.0, 0.0]), pd.Series([100.0, 0.0, 0.0]))
    assert change.iloc[0] == pytest.approx(0.1)
    assert change.iloc[1:].isna().all()


@given(
    st.integers(min_value=0, max_value=10**9),
    st.integers(min_value=1, max_value=10**9),
)
def test_relative_change_brings_last_year_back_to_this_year(new, previous):
    assert previous * (1 + relative_change(new, previous)) == pytest.approx(new)


def test_increase_has_plus_on_kronor_and_per_cent():
    text = plain(views.change_text("priset", 110_000, 100_000))
    assert text == (
        "Jämfört med föregående år ökar priset från 100 000 kr till 110 000 kr, "
        "+10 000 kr (+10,0 %)."
    )


def test_decrease_has_minus_on_kronor_and_per_cent():
    text = plain(views.change_text("den totala debiteringen", 97_400, 100_000))
    assert text == (
        "Jämfört med föregående år minskar den totala debiteringen från 100 000 kr till "
        "97 400 kr, -2 600 kr (-2,6 %)."
    )


@pytest.mark.parametrize("amount", [0, 12_345])
def test_a_change_of_exactly_zero_kronor_is_no_change(amount):
    text = plain(views.change_text("priset", amount, amount))
    assert text == f"Jämfört med föregående år har priset inte förändrats: {amount:,} kr.".replace(
        ",", " "
    )
    assert "%" not in text and "ökar" not in text and "minskar" not in text


def test_nothing_last_year_makes_the_whole_amount_new_without_a_percentage():
    text = plain(views.change_text("priset", 5_000, 0))
    assert text == "Föregående år var priset 0 kr; hela beloppet 5 000 kr är nytt i år."


def test_no_previous_year_says_so():
    assert views.change_text("priset", 5_000, None) == views.NO_PREVIOUS_YEAR
    assert "ingen jämförelse" in views.NO_PREVIOUS_YEAR


def _totals(previous: float, new: float, changed: float) -> Comparison:
    empty = pd.DataFrame()
    return Comparison(empty, empty, empty, previous, new, changed)


def test_the_two_totals_of_rule_10_with_and_without_changed_assignments():
    # +10 % in all; 5 000 kr of it are new base services, so +5 % without them
    comparison = _totals(100_000, 110_000, 5_000)
    assert plain(views.totals_change_text(comparison)) == (
        "+5,0 % exklusive och +10,0 % inklusive förändrade uppdrag"
    )
    assert views.excluding_change(comparison) == pytest.approx(0.05)
    assert views.excluding_change(_totals(0, 110_000, 5_000)) is None


def test_the_landing_page_body_gives_both_totals_and_never_divides_by_nothing(mini_model):
    model, result = mini_model
    comparison = _totals(100_000, 110_000, 5_000)
    body = plain(views.change_sentence(model, dataclasses.replace(result, comparison=comparison)))
    assert body == (
        "Jämfört med föregående år är förändringen +5,0 % exklusive och +10,0 % inklusive "
        "förändrade uppdrag."
    )
    nothing = dataclasses.replace(result, comparison=_totals(0, 110_000, 0))
    assert plain(views.change_sentence(model, nothing)) == (
        "Föregående år var den totala debiteringen 0 kr; hela beloppet 110 000 kr är nytt i år."
    )
    alone = dataclasses.replace(result, comparison=None)
    assert views.change_sentence(model, alone) == views.NO_PREVIOUS_YEAR
