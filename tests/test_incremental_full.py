"""The stale-page matrix (cases and check in test_incremental.py) over the fixture with every
input file a data folder may hold (tests/fixtures/mini_full: mini's files and a
reorganisation, a dedicated service, call-offs, the systems' extracts). A file of its own, so
that another test process runs the PDF rebuilds beside it."""

from __future__ import annotations

from pathlib import Path

import pytest

from .test_incremental import (  # noqa: F401 - fixed_build_time: the same fixed build time
    FULL_CASES,
    MINI,
    MINI_FULL,
    VOLUMES,
    _build_copy,
    _check_matrix,
    fixed_build_time,
)

pytestmark = pytest.mark.slow


def _files(folder: Path) -> set[str]:
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}


@pytest.fixture(scope="module")
def built_full(tmp_path_factory):
    """The fixture with every optional input copied and built once (HTML)."""
    return _build_copy(MINI_FULL, tmp_path_factory.mktemp("incremental_full"))


def test_every_optional_input_file_reaches_its_pages_and_only_its_chapters_rerun(built_full):
    data, _, first = built_full
    # every file of the small fixture is in this one too, so the matrix covers it
    assert _files(MINI) <= _files(MINI_FULL)
    assert VOLUMES in first.executed
    _check_matrix(*built_full, FULL_CASES)
