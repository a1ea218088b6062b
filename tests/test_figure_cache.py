"""Rendered figures kept between a build's chapter runs: the same figure call gives the same
PNG without drawing again; any other call, a changed figure or a run outside the pipeline is
drawn."""

from __future__ import annotations

import os
import time

import pytest
from matplotlib.figure import Figure

from prismodell import figure_cache, figures
from prismodell import report_tables as tables


@pytest.fixture
def kept(tmp_path, monkeypatch):
    folder = tmp_path / "figures"
    monkeypatch.setenv(figure_cache.ENV_FIGURES, str(folder))
    return folder


@pytest.fixture
def draws(monkeypatch):
    """How many times a figure was really rendered."""
    calls = []
    savefig = Figure.savefig

    def counting(self, *args, **kwargs):
        calls.append(self)
        return savefig(self, *args, **kwargs)

    monkeypatch.setattr(Figure, "savefig", counting)
    return calls


def _allocation(model, result, area):
    return figures.allocation_figure(
        tables.area_allocation_by_key(model, result, area),
        title="",
        totals=tables.area_charges_by_name(model, result, area),
    )


def test_the_same_call_is_drawn_once_and_gives_the_same_bytes(mini_model, kept, draws,
                                                               monkeypatch):
    model, result = mini_model
    area = model.service_areas["service_area"].iloc[0]
    first = figures.png_bytes(_allocation(model, result, area))
    again = figures.png_bytes(_allocation(model, result, area))
    assert len(draws) == 1
    assert again == first
    assert len(list(kept.glob("*.png"))) == 1
    monkeypatch.delenv(figure_cache.ENV_FIGURES)  # drawn anew outside the pipeline: same bytes
    assert figures.png_bytes(_allocation(model, result, area)) == first
    assert len(draws) == 2


def test_other_data_or_another_resolution_is_drawn(mini_model, kept, draws):
    model, result = mini_model
    first, second = model.service_areas["service_area"].iloc[:2]
    figures.png_bytes(_allocation(model, result, first))
    figures.png_bytes(_allocation(model, result, second))
    figures.png_bytes(_allocation(model, result, first), dpi=100)
    assert len(draws) == 3
    title = figures.full_cost_figure(result.full_cost, tables.area_names(model), title="A")
    other = figures.full_cost_figure(result.full_cost, tables.area_names(model), title="B")
    assert title.pm_key != other.pm_key


def test_a_figure_changed_after_its_function_is_drawn_as_it_is(mini_model, kept, draws):
    model, result = mini_model
    area = model.service_areas["service_area"].iloc[0]
    plain = figures.png_bytes(_allocation(model, result, area))
    changed = _allocation(model, result, area)
    changed.axes[0].set_title("Ändrad efteråt")
    assert changed.pm_key is None
    assert figures.png_bytes(changed) != plain
    assert len(draws) == 2


def test_no_key_outside_the_pipeline_or_for_an_argument_without_digest(mini_model, kept,
                                                                        monkeypatch):
    model, result = mini_model
    assert figure_cache.call_key(figures.full_cost_figure, (result.full_cost,), {}) is not None
    assert figure_cache.call_key(figures.full_cost_figure, (lambda: 1,), {}) is None
    monkeypatch.delenv(figure_cache.ENV_FIGURES)
    fig = figures.full_cost_figure(result.full_cost, tables.area_names(model))
    assert fig.pm_key is None


def test_prune_keeps_this_codes_most_recent_figures(tmp_path):
    root = tmp_path / "figures"
    old_code, current = root / "old", root / "current"
    old_code.mkdir(parents=True)
    (old_code / "a.png").write_bytes(b"x")
    current.mkdir()
    now = time.time()
    for age in range(5):
        path = current / f"{age}.png"
        path.write_bytes(b"x")
        os.utime(path, (now - age * 60, now - age * 60))
    figure_cache.prune(root, current, keep=3)
    assert not old_code.exists()
    assert sorted(p.name for p in current.iterdir()) == ["0.png", "1.png", "2.png"]
