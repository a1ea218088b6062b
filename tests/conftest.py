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
def example_book(tmp_path_factory):
    """The report built once from the example data: (out, build report, model, result)."""
    from prismodell.calculation import calculate
    from prismodell.inputs import load_input
    from prismodell.pipeline import build_book

    out = tmp_path_factory.mktemp("book") / "_build"
    report = build_book(DATA_2023, out, pdf=True, show=lambda _: None)
    model = load_input(DATA_2023)
    return out, report, model, calculate(model)


def run_cli(*args: str | Path) -> int:
    return main([str(a) for a in args])
