"""Reading a table file: every cell as text without surrounding spaces, whichever way it is
found (the one pass over a clean file, or pandas' string methods when a cell needs it)."""

from __future__ import annotations

import csv

import numpy as np
import openpyxl
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pandas.testing import assert_frame_equal

from prismodell.inputs import InputError, read_raw_table

TEXT = pd.StringDtype(na_value=np.nan)

cells = st.text(alphabet=st.sampled_from("ab1 ,\u00a0\t;"), max_size=6)


def reference(frame: pd.DataFrame) -> pd.DataFrame:
    """pandas' own strip of every cell, as the reader did it for every file before."""
    frame = frame.apply(lambda col: col.astype(str).str.strip())
    frame.index = frame.index + 2
    return frame[(frame != "").any(axis=1)]


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(st.tuples(cells, cells), min_size=0, max_size=6))
def test_cells_are_stripped_as_pandas_strips_them(tmp_path, rows):
    path = tmp_path / "t.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, lineterminator="\n").writerows([("a", "b"), *rows])
    raw = pd.read_csv(path, dtype=str, keep_default_na=False, skip_blank_lines=False)
    found = read_raw_table(path)
    assert_frame_equal(found, reference(raw), check_exact=True)
    assert list(found.dtypes) == [TEXT, TEXT]


def test_clean_and_padded_files_read_alike(tmp_path):
    clean, padded = tmp_path / "clean.csv", tmp_path / "padded.csv"
    clean.write_text("customer_id,name\nk1,Kund 1\nk2,Kund 2\n", encoding="utf-8")
    padded.write_text("customer_id,name\n k1 ,Kund 1\nk2,\u00a0Kund 2\t\n", encoding="utf-8")
    assert_frame_equal(read_raw_table(clean), read_raw_table(padded), check_exact=True)


def test_xlsx_blank_and_number_cells_become_text(tmp_path):
    path = tmp_path / "t.xlsx"
    book = openpyxl.Workbook()
    for row in (["a", "b"], [" x", 1.5], [None, None], ["y ", 2]):
        book.active.append(row)
    book.save(path)
    found = read_raw_table(path)
    assert found.to_dict("list") == {"a": ["x", "y"], "b": ["1.5", "2"]}
    assert found.index.tolist() == [2, 4]


@pytest.mark.parametrize("cell", ["x" * 2001, " " + "x" * 2001])
def test_a_long_cell_is_refused_either_way(tmp_path, cell):
    path = tmp_path / "t.csv"
    path.write_text(f"a,b\nok,1\n{cell},2\n", encoding="utf-8")
    with pytest.raises(InputError) as error:
        read_raw_table(path)
    assert [str(p) for p in error.value.problems] == [
        "t.csv, rad 3, kolumn 'a': cellen är för lång (2001 tecken, högst 2000). Korta texten."
    ]
