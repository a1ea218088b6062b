"""The report's figures: each function returns a matplotlib Figure with the expected bars and
labels, on the small fixture and without errors on the 2023 example data."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import matplotlib
import numpy as np
import pytest
from matplotlib.figure import Figure
from matplotlib.patches import PathPatch, Rectangle

from prismodell import figures
from prismodell import report_tables as tables
from prismodell.style import DECREASE_COLOUR, INCREASE_COLOUR


def _ytick_labels(ax) -> list[str]:
    return [t.get_text().replace("\n", " ") for t in ax.get_yticklabels()]


def test_full_cost_figure_has_one_segment_per_area_and_component(mini_model):
    model, result = mini_model
    fig = figures.full_cost_figure(result.full_cost, tables.area_names(model))
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    assert len(ax.containers) == 4  # personnel, administration and internal overhead, other
    assert all(len(c) == len(model.service_areas) for c in ax.containers)
    assert _ytick_labels(ax) == list(model.service_areas["name"])
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == list(figures.style.COST_COMPONENT_LABELS.values())
    # the stacked segments end at each area's full cost
    ends = np.sum([[bar.get_width() for bar in c] for c in ax.containers], axis=0)
    np.testing.assert_allclose(ends, result.full_cost["exact_full_cost"])


def test_figures_are_a4_wide(mini_model):
    model, result = mini_model
    fig = figures.full_cost_figure(result.full_cost, tables.area_names(model))
    assert fig.get_size_inches()[0] == pytest.approx(16 / 2.54)


def test_allocation_figure_sorted_and_stacked_by_key(mini_model):
    model, result = mini_model
    area = "leverantorsreskontra"
    by_key = tables.area_allocation_by_key(model, result, area)
    totals = tables.area_charges_by_name(model, result, area)
    fig = figures.allocation_figure(by_key, totals=totals)
    ax = fig.axes[0]
    assert len(ax.containers) == 3  # three keys
    assert all(len(c) == 4 for c in ax.containers)  # four customers
    labels = _ytick_labels(ax)
    expected = list(by_key.sum(axis=1).sort_values(ascending=False, kind="stable").index)
    assert labels == expected
    # the amounts written at the bar ends are the price-list charges
    texts = {t.get_text().strip() for t in ax.texts}
    assert {figures.style.format_kr(v) for v in totals} <= texts


def test_change_figure_diverges_with_colours(mini_model):
    model, result = mini_model
    comparison = tables.customer_comparison(model, result)
    fig = figures.change_figure(comparison)
    ax = fig.axes[0]
    bars = ax.containers[0]
    assert len(bars) == len(comparison)
    widths = [bar.get_width() for bar in bars]
    assert widths == sorted(widths, reverse=True)
    for bar in bars:
        colour = INCREASE_COLOUR if bar.get_width() > 0 else DECREASE_COLOUR
        assert bar.get_facecolor()[:3] == pytest.approx(
            tuple(int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5))
        )
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == ["Ökning", "Minskning"]


def test_customer_figure_this_year_against_last_and_reuse(mini_model):
    model, result = mini_model
    charges = tables.customer_charges(model, result, "SDF01")
    fig = figures.customer_figure(charges, title="Bromma")
    ax = fig.axes[0]
    assert len(ax.containers) == 2
    assert all(len(c) == len(charges) for c in ax.containers)
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["Föregående år", "I år"]
    # redraw into the same figure without previous charges: one bar per area
    again = figures.customer_figure(charges.drop(columns="previous"), fig=fig)
    assert again is fig
    assert len(fig.axes) == 1
    assert len(fig.axes[0].containers) == 1


def test_kronor_flow_links_keep_every_krona(model_2023):
    model, result = model_2023
    links = figures.kronor_flow_links(
        result.full_cost,
        result.unit_prices,
        result.allocation,
        top_n=5,
        dedicated=result.dedicated_services,
    )
    total = result.full_cost["exact_full_cost"].sum()
    for level in range(3):
        assert links.loc[links["level"] == level, "amount"].sum() == pytest.approx(total)
    customers = set(links.loc[links["level"] == 2, "target"])
    assert len(customers) == 6 and figures.OTHERS in customers
    assert (links["amount"] > 0).all()
    # Utbildningsförvaltningen's dedicated services flow to it alone, beside the keys.
    dedicated = links[links["source"] == f"{figures.DEDICATED_NODE}:avgiftshantering"]
    assert set(dedicated["target"]) == {"utbildningsforvaltningen"}
    assert dedicated["amount"].sum() == pytest.approx(result.dedicated_services["amount"].sum())


def test_kronor_flow_figure_nodes_and_labels(mini_model):
    model, result = mini_model
    fig = figures.kronor_flow_figure(
        result.full_cost,
        result.unit_prices,
        result.allocation,
        tables.area_names(model),
        tables.key_names(model),
        tables.customer_names(model),
    )
    ax = fig.axes[0]
    nodes = [p for p in ax.patches if isinstance(p, Rectangle)]
    ribbons = [p for p in ax.patches if isinstance(p, PathPatch)]
    keys_with_pool = int((result.unit_prices["pool"] > 0).sum())
    customers = result.allocation["customer_id"].nunique()
    assert len(nodes) == 4 + len(model.service_areas) + keys_with_pool + customers
    assert len(ribbons) > 0
    text = " ".join(t.get_text().replace("\n", " ") for t in ax.texts)
    for name in model.customers["name"]:
        assert name in text
    for heading in figures.FLOW_LEVEL_TITLES:
        assert heading in text


def test_every_figure_runs_on_2023_data(model_2023):
    model, result = model_2023
    made = [
        figures.full_cost_figure(result.full_cost, tables.area_names(model)),
        figures.kronor_flow_figure(
            result.full_cost,
            result.unit_prices,
            result.allocation,
            tables.area_names(model),
            tables.key_names(model),
            tables.customer_names(model),
        ),
        figures.change_figure(tables.customer_comparison(model, result)),
    ]
    for area in model.service_areas["service_area"]:
        made.append(figures.allocation_figure(tables.area_allocation_by_key(model, result, area)))
    first = tables.customer_overview(model, result)["customer_id"].iloc[0]
    made.append(figures.customer_figure(tables.customer_charges(model, result, first)))
    assert all(isinstance(f, Figure) for f in made)
    text = " ".join(t.get_text() for t in made[1].axes[0].texts)
    assert "Övriga (" in text  # 31 customers are grouped into the largest + "Övriga"
    assert figures.png_bytes(made[0], dpi=50).startswith(b"\x89PNG")


def test_amount_axis_uses_swedish_formats():
    formatter, label = figures.amount_formatter(30e6)
    assert label == "miljoner kronor"
    assert formatter(25e6, 0) == "25"
    formatter, label = figures.amount_formatter(500_000)
    assert label == "kronor"
    assert formatter(250_000, 0) == "250\u00a0000"


def assert_described(fig: Figure) -> None:
    """A figure carries a Swedish alt text and its data; as_image shows both."""
    import re

    alt = fig.pm_alt
    data = fig.pm_data[0]
    assert len(alt) > 40 and alt.endswith(".") and "nan" not in alt, alt
    assert "_images" not in alt and not alt.startswith(("Figure", "<"))
    assert len(data) > 0
    html = as_image_html(fig)
    assert f'alt="{alt}"' in html.replace("&quot;", '"') or "&" in alt
    assert html.count("<tr") == len(data) + 1  # header row and one per data row
    assert '<th scope="col">' in html and "<caption>" in html and "<summary>" in html
    assert re.search(r'src="data:image/png;base64,[A-Za-z0-9+/=]{100,}"', html)


def as_image_html(fig: Figure) -> str:
    bundle = figures.as_image(fig, dpi=30)._repr_mimebundle_()
    return bundle["text/html"]


def test_every_figure_has_a_text_alternative(model_2023):
    import pandas as pd

    model, result = model_2023
    made = [
        figures.full_cost_figure(result.full_cost, tables.area_names(model)),
        figures.kronor_flow_figure(
            result.full_cost, result.unit_prices, result.allocation, tables.area_names(model),
            tables.key_names(model), tables.customer_names(model),
        ),
        figures.change_figure(tables.customer_comparison(model, result)),
        figures.allocation_figure(tables.area_allocation_by_key(
            model, result, model.service_areas["service_area"].iloc[0])),
        figures.customer_figure(tables.customer_charges(
            model, result, result.price_list["customer_id"].iloc[0])),
    ]
    paired = pd.DataFrame({"label": ["A", "B"], "change_down": [-5.0, 2.0],
                           "change_up": [5.0, -2.0], "short_change": [1.0, -1.0],
                           "long_change": [3.0, 0.0]})
    made.append(figures.tornado_figure(paired, "Vikten −10 %", "Vikten +10 %"))
    made.append(figures.behaviour_figure(paired))
    made.append(figures.scenario_change_figure(
        pd.DataFrame({"Område 1": [100.0, -50.0], "Område 2": [20.0, 0.0]}, index=["K1", "K2"])))
    years = ["2022", "2023"]
    trend = pd.DataFrame({"name": ["A", "B"], "group": ["g", "h"], "2022": [1.0, 2.0],
                          "2023": [1.5, None]})
    made.append(figures.trend_lines_figure(trend, years))
    made.append(figures.trend_panels_figure(trend, years, {"g": "Grupp G", "h": "Grupp H"},
                                            panel="group"))
    made.append(figures.customer_trend_figure(trend, years))
    meetings = pd.DataFrame({"row": ["Råd"], "group": ["Möte"], "month": [3],
                             "illustrative": [True]})
    events = pd.DataFrame({"row": ["Faktura"], "month": [1], "illustrative": [False]})
    made.append(figures.annual_cycle_figure(meetings, events))
    for fig in made:
        assert_described(fig)
    assert "störst ökning" in made[2].pm_alt
    assert "antagande" in as_image_html(made[-1])  # an assumed month is said to be one


def test_a_figure_without_text_alternative_is_refused():
    fig = figures.new_figure(5)
    with pytest.raises(ValueError, match="alternativtext"):
        figures.as_image(fig)


# --------------------------------------------------------------------------- no global state


def test_importing_the_figures_changes_no_matplotlib_setting():
    # a fresh interpreter: this test process has imported the module long ago
    code = (
        "import matplotlib, json\n"
        "before = {k: repr(v) for k, v in matplotlib.rcParams.items()}\n"
        "import prismodell.figures\n"
        "after = {k: repr(v) for k, v in matplotlib.rcParams.items()}\n"
        "print(json.dumps(sorted(k for k in before if before[k] != after[k])))\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
    )
    assert json.loads(out.stdout) == []  # the backend is an rcParam too


def test_a_figure_and_its_rendering_leave_the_settings_as_they_were(mini_model):
    model, result = mini_model
    before = dict(matplotlib.rcParams)
    fig = figures.full_cost_figure(result.full_cost, tables.area_names(model))
    figures.png_bytes(fig)
    assert dict(matplotlib.rcParams) == before
    ax = fig.axes[0]  # ... yet the figure has the house style
    assert ax.title.get_fontweight() == "bold" and not ax.spines["top"].get_visible()
    assert {t.get_fontsize() for t in ax.get_yticklabels()} == {8}


def test_a_callers_settings_do_not_change_the_figure(mini_model):
    model, result = mini_model

    def png() -> bytes:
        fig = figures.full_cost_figure(result.full_cost, tables.area_names(model))
        return figures.png_bytes(fig)

    plain = png()
    with matplotlib.rc_context({"font.size": 20, "xtick.labelsize": 20, "axes.grid": False}):
        assert png() == plain
