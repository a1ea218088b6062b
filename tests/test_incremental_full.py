"""The stale-page matrix of test_incremental.py over the fixture with every optional input
(tests/fixtures/mini_full: reorganisation, dedicated service, call-offs, extracts). A file of
its own, so that a second test process runs it beside the first matrix."""

from __future__ import annotations

import pytest

from .test_incremental import (  # noqa: F401 - fixed_build_time: the same fixed build time
    FULL_CASES,
    MINI_FULL,
    VOLUMES,
    _build_copy,
    _check_matrix,
    fixed_build_time,
)

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def built_full(tmp_path_factory):
    """The fixture with every optional input copied and built once (HTML)."""
    return _build_copy(MINI_FULL, tmp_path_factory.mktemp("incremental_full"))


def test_every_optional_input_file_reaches_its_pages_and_only_its_chapters_rerun(built_full):
    data, _, first = built_full
    assert VOLUMES in first.executed
    _check_matrix(*built_full, FULL_CASES)
