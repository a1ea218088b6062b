"""Multi-year trends: the earlier years beside the data folder, each calculated on its own, and
the trend chapter that appears only when there is an earlier year."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from prismodell import figures, trends
from prismodell.calculation import calculate
from prismodell.inputs import load_input
from prismodell.pipeline import plan_jobs, table_of_contents

from .conftest import MINI, REPO

DATA = REPO / "data"
MERGED = {
    "sdf_rinkeby_kista": "sdf_jarva",
    "sdf_spanga_tensta": "sdf_jarva",
    "sdf_norrmalm": "sdf_norra_innerstaden",
    "sdf_ostermalm": "sdf_norra_innerstaden",
}


@pytest.fixture(scope="module")
def years():
    return trends.load_years(DATA / "2024")


@pytest.fixture(scope="module")
def own():
    """Each example year calculated on its own: year -> (model, result)."""
    out = {}
    for year in (2022, 2023, 2024):
        model = load_input(DATA / str(year))
        out[year] = (model, calculate(model))
    return out


def test_find_years_lists_earlier_loadable_siblings():
    assert [y for y, _ in trends.find_years(DATA / "2024")] == [2022, 2023]
    assert [y for y, _ in trends.find_years(DATA / "2023")] == [2022]  # 2024 is later
    assert trends.find_years(DATA / "2022") == []
    assert trends.find_years(MINI) == []


def test_broken_and_odd_siblings_are_left_out(tmp_path: Path):
    for year in ("2022", "2023", "2024"):
        shutil.copytree(DATA / year, tmp_path / year)
    (tmp_path / "2022" / "staffing.csv").write_text("service_area,staff_category,fte\n")
    (tmp_path / "gammalt").mkdir()
    shutil.copytree(DATA / "2023", tmp_path / "2019")
    assert [y for y, _ in trends.find_years(tmp_path / "2024")] == [2023]  # 2019 says 2023


def test_years_are_in_order_and_this_year_last(years):
    assert [y.year for y in years] == [2022, 2023, 2024]
    assert trends.year_columns(years) == ["2022", "2023", "2024"]


def test_full_cost_trend_equals_each_years_calculation(years, own):
    trend = trends.full_cost_trend(years).set_index("service_area")
    for year, (_, result) in own.items():
        expected = result.full_cost.set_index("service_area")["full_cost"].astype(float)
        pd.testing.assert_series_equal(
            trend[str(year)].reindex(expected.index), expected, check_names=False
        )
    assert trend["2023"].sum() == 127_019_200 and trend["2022"].sum() == 128_432_101


def test_unit_price_trend_matches_keys_by_id_with_gaps(years, own):
    trend = trends.unit_price_trend(years).set_index("key_id")
    for year, (_, result) in own.items():
        prices = result.unit_prices.set_index("key_id")["unit_price"]
        for key, price in prices.items():
            assert trend.at[key, str(year)] == pytest.approx(price, nan_ok=True)
    # huvudbokstransaktioner is a new key from 2023: a gap in 2022, not a zero
    assert np.isnan(trend.at["huvudbokstransaktioner", "2022"])
    assert trend.at["huvudbokstransaktioner", "2024"] > 0
    assert trend.at["vakanta_avtal", "2024"] == 0  # weight 0: price 0
    assert list(trend["area_name"].unique())[0] == "Leverantörsreskontra"


def test_fte_per_volume_uses_the_heaviest_key(years, own):
    trend = trends.fte_per_volume_trend(years).set_index("service_area")
    assert trend.at["leverantorsreskontra", "key_id"] == "antal_fakturor"
    assert trend.at["hyresadministration", "key_id"] == "aktiva_avtal"
    for year, (model, _) in own.items():
        staffing = model.staffing[model.staffing["service_area"] == "leverantorsreskontra"]
        volume = model.volumes.loc[model.volumes["key_id"] == "antal_fakturor", "volume"].sum()
        expected = staffing["fte"].sum() / (volume / 1000)
        assert trend.at["leverantorsreskontra", str(year)] == pytest.approx(expected)


def test_customer_charges_on_todays_ids(years, own):
    trend = trends.customer_charge_trend(years).set_index("customer_id")
    assert not set(trend.index) & set(MERGED)
    for year, (_, result) in own.items():
        assert trend[str(year)].sum() == result.total_full_cost  # nothing lost in the mapping
        totals = result.price_list.groupby(result.price_list["customer_id"].replace(MERGED))[
            "amount"
        ].sum()
        pd.testing.assert_series_equal(
            trend[str(year)].reindex(totals.index), totals.astype(float), check_names=False
        )
    _, result_2023 = own[2023]
    old = result_2023.price_list.set_index(["customer_id", "service_area"])["amount"]
    jarva = old["sdf_rinkeby_kista"].sum() + old["sdf_spanga_tensta"].sum()
    assert trend.at["sdf_jarva", "2023"] == jarva
    assert trend.at["sdf_jarva", "name"] == "Järva stadsdelsförvaltning"


def test_change_total_and_summary(years):
    table = trends.with_total_row(trends.with_change(trends.full_cost_trend(years), years), years)
    last = table.iloc[-1]
    assert last["name"] == "Totalt" and last["2024"] == 131_324_300
    assert last["change"] == pytest.approx(131_324_300 / 127_019_200 - 1)
    summary = trends.trend_summary(years)
    assert summary["first_year"] == 2022 and summary["last_year"] == 2024
    assert summary["change_span"] == pytest.approx(131_324_300 / 128_432_101 - 1)
    reorganisations = trends.reorganisation_table(years)
    assert len(reorganisations) == 4
    assert "Rinkeby-Kista stadsdelsförvaltning" in set(reorganisations["from_customer"])


def test_one_year_only():
    years = trends.load_years(MINI)
    assert len(years) == 1
    assert trends.with_change(trends.full_cost_trend(years), years)["change"].isna().all()


def test_trend_figures_draw(years):
    columns = trends.year_columns(years)
    cost = trends.full_cost_trend(years)
    unit = trends.unit_price_trend(years)
    titles = dict(zip(unit["key_id"], unit["name"], strict=True))
    charges = trends.customer_charge_trend(years)
    for fig in (
        figures.trend_lines_figure(cost, columns, title="Självkostnad"),
        figures.trend_panels_figure(unit, columns, titles, panel="key_id", unit="kr"),
        figures.trend_panels_figure(
            trends.fte_per_volume_trend(years),
            columns,
            dict(zip(cost.service_area, cost.name, strict=True)),
        ),
        figures.customer_trend_figure(charges, columns),
    ):
        assert isinstance(fig, Figure)
        assert figures.png_bytes(fig, dpi=50).startswith(b"\x89PNG")


# --------------------------------------------------------------------------- the book


def test_trend_chapter_only_with_earlier_years():
    model = load_input(DATA / "2024")
    jobs = plan_jobs(model, DATA / "2024")
    assert "trender" in [j.output for j in jobs]
    toc = table_of_contents(model, jobs, [])
    assert "trender" in str(toc)

    mini = load_input(MINI)
    jobs = plan_jobs(mini, MINI)
    assert "trender" not in [j.output for j in jobs]
    assert "trender" not in str(table_of_contents(mini, jobs, []))


@pytest.mark.slow
def test_trend_notebook_runs_on_three_years(tmp_path: Path, chapter_kernel: str):
    import papermill

    from prismodell.pipeline import NOTEBOOK_DIR

    out = tmp_path / "trender.ipynb"
    papermill.execute_notebook(
        str(NOTEBOOK_DIR / "trender.ipynb"),
        str(out),
        parameters={"data_dir": str(DATA / "2024")},
        cwd=str(NOTEBOOK_DIR),
        progress_bar=False,
        kernel_name=chapter_kernel,
    )
    text = out.read_text(encoding="utf-8")
    assert "Järva stadsdelsförvaltning" in text and "131\u00a0324\u00a0300\u00a0kr" in text


def test_a_broken_earlier_year_is_reported_not_dropped(tmp_path: Path):
    for year in ("2022", "2023", "2024"):
        shutil.copytree(DATA / year, tmp_path / year)
    (tmp_path / "2022" / "staffing.csv").write_text("service_area,staff_category,fte\n")
    shutil.copytree(DATA / "2023", tmp_path / "2019")
    skipped = trends.skipped_years(tmp_path / "2024")
    assert [s.year for s in skipped] == [2019, 2022]
    text = trends.skipped_years_text(skipped)
    assert "Året 2022 (2022/ bredvid årets datamapp) är inte med i jämförelsen" in text
    assert "staffing.csv" in text and "årsarbetare" in text
    assert "anger prislisteåret 2023, inte 2019" in text
    assert trends.skipped_years_text([]) == ""


def test_trend_chapter_is_built_when_the_only_earlier_year_is_broken(tmp_path: Path):
    for year in ("2023", "2024"):
        shutil.copytree(DATA / year, tmp_path / year)
    (tmp_path / "2023" / "volumes.csv").unlink()
    current = tmp_path / "2024"
    model = load_input(current)
    jobs = plan_jobs(model, current)
    assert "trender" in [j.output for j in jobs]


@pytest.mark.slow
def test_trend_notebook_tells_of_a_broken_year(tmp_path: Path, chapter_kernel: str):
    import papermill

    from prismodell.pipeline import NOTEBOOK_DIR

    for year in ("2023", "2024"):
        shutil.copytree(DATA / year, tmp_path / year)
    (tmp_path / "2023" / "volumes.csv").unlink()
    out = tmp_path / "trender.ipynb"
    papermill.execute_notebook(
        str(NOTEBOOK_DIR / "trender.ipynb"),
        str(out),
        parameters={"data_dir": str(tmp_path / "2024")},
        cwd=str(NOTEBOOK_DIR),
        progress_bar=False,
        kernel_name=chapter_kernel,
    )
    assert "Året 2023 (2023/ bredvid årets datamapp) är inte med" in out.read_text("utf-8")
