"""Shared test helpers: the fixture folders and a way to run the CLI in-process."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from prismodell.cli import main

TESTS = Path(__file__).resolve().parent
REPO = TESTS.parent
MINI = TESTS / "fixtures" / "mini"
GOLDEN = TESTS / "golden"
DATA_2023 = REPO / "data" / "2023"


@pytest.fixture
def mini(tmp_path: Path) -> Path:
    """A writable copy of the small fixture folder (the spec's worked example)."""
    target = tmp_path / "data"
    shutil.copytree(MINI, target)
    return target


@pytest.fixture(scope="session")
def mini_model():
    """The small fixture, loaded and calculated: (model, result)."""
    from prismodell.calculation import calculate
    from prismodell.inputs import load_input

    model = load_input(MINI)
    return model, calculate(model)


@pytest.fixture(scope="session")
def model_2023():
    """The 2023 example data, loaded and calculated: (model, result)."""
    from prismodell.calculation import calculate
    from prismodell.inputs import load_input

    model = load_input(DATA_2023)
    return model, calculate(model)


@pytest.fixture(scope="session")
def example_book(tmp_path_factory):
    """The report built once from the example data: (out, build report, model, result)."""
    from prismodell.calculation import calculate
    from prismodell.inputs import load_input
    from prismodell.pipeline import build_book
    from prismodell.scenario_file import list_scenarios

    out = tmp_path_factory.mktemp("book") / "_build"
    scenarios = tuple(list_scenarios(DATA_2023))  # the example scenarios build in CI too
    report = build_book(DATA_2023, out, pdf=True, scenarios=scenarios, show=lambda _: None)
    model = load_input(DATA_2023)
    return out, report, model, calculate(model)


def run_cli(*args: str | Path) -> int:
    return main([str(a) for a in args])


def pytest_collection_modifyitems(config, items):
    """Group the tests for the two test processes (``pytest -n``): every test of a file in one
    process – a notebook's cells run in order in one kernel, a module's fixtures are made once –
    and every test of the example book in one, so that it is built once."""
    for item in items:
        if item.get_closest_marker("xdist_group"):
            continue
        group = "example_book" if "example_book" in getattr(item, "fixturenames", ()) else (
            str(item.path)
        )
        item.add_marker(pytest.mark.xdist_group(group))
