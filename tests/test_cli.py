"""`prismodell calculate` as an analyst runs it: outputs, summary, workbook, input formats."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook

from .conftest import DATA_2023, run_cli

OUTPUTS = [
    ".prismodell-output",
    "allocation.csv",
    "comparison.csv",
    "full_cost.csv",
    "hourly_rates.csv",
    "price_list.csv",
    "prislista.xlsx",
    "unit_prices.csv",
]


def test_calculate_writes_outputs_and_prints_summary(mini: Path, tmp_path: Path, capsys):
    out = tmp_path / "ut"
    assert run_cli("calculate", mini, "--out", out) == 0
    assert sorted(p.name for p in out.iterdir()) == OUTPUTS
    text = capsys.readouterr().out.replace("\u00a0", " ")
    assert "Leverantörsreskontra" in text and "9 830 000 kr" in text
    assert "Totalt" in text and "12 150 000 kr" in text
    assert "Kunder med debitering: 4" in text
    assert "exklusive" in text and "inklusive förändrade uppdrag" in text
    assert str(out) in text


def test_rerun_replaces_outputs_and_never_deletes_foreign_files(mini: Path, tmp_path: Path):
    out = tmp_path / "ut"
    out.mkdir()
    (out / "anteckningar.txt").write_text("mina")
    assert run_cli("calculate", mini, "--out", out) == 2  # not ours: never replaced
    assert [p.name for p in out.iterdir()] == ["anteckningar.txt"]
    fresh = tmp_path / "ny"
    assert run_cli("calculate", mini, "--out", fresh) == 0
    assert run_cli("calculate", mini, "--out", fresh) == 0
    assert sorted(p.name for p in fresh.iterdir()) == OUTPUTS
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".ny.")] == [".ny.lock"]


def test_console_script_runs_without_traceback(mini: Path, tmp_path: Path):
    exe = Path(sys.executable).with_name("prismodell")
    done = subprocess.run(
        [str(exe), "calculate", str(mini / "saknas"), "--out", str(tmp_path / "x")],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 2
    assert "mappen finns inte" in done.stderr and "Traceback" not in done.stderr


def test_workbook_sheets_totals_and_formats(tmp_path: Path):
    out = tmp_path / "ut"
    assert run_cli("calculate", DATA_2023, "--out", out) == 0
    book = load_workbook(out / "prislista.xlsx", data_only=True)  # totals: cached results
    assert book.sheetnames == [
        "Prislista",
        "Självkostnad",
        "Fördelning",
        "Styckpriser",
        "Särskilda tjänster",  # data/2023 has dedicated services (rule 5)
        "Timpriser",
        "Jämförelse",
    ]
    sheet = book["Prislista"]
    assert sheet["A1"].value.startswith("Prislista 2023")
    assert "EXEMPELDATA" in sheet["A2"].value
    header = [c.value for c in sheet[4]]
    assert header[:3] == ["Kund-id", "Kund", "Typ"] and header[-1] == "Totalt"
    rows = list(sheet.iter_rows(min_row=5, values_only=True))
    total_row = rows[-1]
    assert total_row[1] == "Summa"
    full_cost = pd.read_csv(out / "full_cost.csv")["full_cost"]
    assert total_row[-1] == int(full_cost.sum())
    assert sum(r[-1] for r in rows[:-1]) == int(full_cost.sum())
    assert sheet.cell(row=5, column=4).number_format == '#,##0 "kr"'
    assert sheet.freeze_panes == "A5"
    assert book["Jämförelse"]["A2"].value.startswith("Totalt -2,6 % exklusive och -1,1 %")


def test_formula_like_text_is_neutralised(mini: Path, tmp_path: Path):
    customers = mini / "customers.csv"
    customers.write_text(
        customers.read_text(encoding="utf-8").replace(
            "Exempelbolaget AB", '=HYPERLINK("http://x")'
        ),
        encoding="utf-8",
    )
    out = tmp_path / "ut"
    assert run_cli("calculate", mini, "--out", out) == 0
    names = [
        r[1]
        for r in load_workbook(out / "prislista.xlsx")["Prislista"].iter_rows(
            min_row=5, values_only=True
        )
    ]
    assert '\'=HYPERLINK("http://x")' in names


def test_xlsx_inputs_give_the_same_price_list(mini: Path, tmp_path: Path):
    assert run_cli("calculate", mini, "--out", tmp_path / "csv") == 0
    for name in ["staffing", "customers", "volumes", "other_costs", "previous_charges"]:
        pd.read_csv(mini / f"{name}.csv").to_excel(mini / f"{name}.xlsx", index=False)
        (mini / f"{name}.csv").unlink()
    assert run_cli("calculate", mini, "--out", tmp_path / "xlsx") == 0
    pd.testing.assert_frame_equal(
        pd.read_csv(tmp_path / "csv" / "price_list.csv"),
        pd.read_csv(tmp_path / "xlsx" / "price_list.csv"),
    )


def test_swedish_excel_csv_with_semicolons_and_decimal_commas(mini: Path, tmp_path: Path):
    assert run_cli("calculate", mini, "--out", tmp_path / "a") == 0
    (mini / "staffing.csv").write_text(
        "\ufeffservice_area;staff_category;fte\nleverantorsreskontra;ekonomiadministrator;9,5\n"
        "leverantorsreskontra;ekonomiadministrator;0,5\nleverantorsreskontra;ekonom;2\n"
        "hyresadministration;ekonomiadministrator;3\n\ninternt_overhead;ledning;1\n",
        encoding="utf-8",
    )
    assert run_cli("calculate", mini, "--out", tmp_path / "b") == 0
    pd.testing.assert_frame_equal(
        pd.read_csv(tmp_path / "a" / "full_cost.csv"), pd.read_csv(tmp_path / "b" / "full_cost.csv")
    )


@pytest.mark.parametrize(
    "text,value",
    [
        ("1 234,5", 1234.5),
        ("2,5", 2.5),
        ("1234.5", 1234.5),
        ("\u00a012\u00a0000", 12000.0),
        ("abc", None),
        ("", None),
        ("nan", None),
        ("inf", None),
    ],
)
def test_parse_number(text: str, value):
    from prismodell.inputs import parse_number

    assert parse_number(text) == value


def test_csv_cells_that_look_like_formulas_are_neutralised(mini: Path, tmp_path: Path):
    for name in ["customers.csv", "volumes.csv", "previous_charges.csv"]:
        path = mini / name
        path.write_text(path.read_text(encoding="utf-8").replace("B01", "@B01"), encoding="utf-8")
    out = tmp_path / "ut"
    assert run_cli("calculate", mini, "--out", out) == 0
    prices = (out / "price_list.csv").read_text(encoding="utf-8")
    assert "'@B01,leverantorsreskontra,143155" in prices
    assert "\n@B01" not in prices


def test_pdf_without_weasyprint_says_how_to_get_it(monkeypatch, tmp_path: Path):
    from prismodell import pipeline
    from prismodell.pipeline import build_book

    from .conftest import MINI

    # the chapters show no PDF link: not run here (most of this test's time otherwise)
    monkeypatch.setattr(pipeline, "execute_notebooks", lambda *_args, **_kwargs: [])
    monkeypatch.setitem(sys.modules, "weasyprint", None)  # as if it could not be imported
    report = build_book(MINI, tmp_path / "ut", html=False, show=lambda _: None)
    assert report.pdf is None and "apt-get install libpango" in report.pdf_note
    # the price sheets then link no PDF that will never be printed
    sheet = (tmp_path / "ut" / "source" / "kunder" / "SDF01.md").read_text(encoding="utf-8")
    assert "Ladda ner prisbladet som Excelfil" in sheet and ".pdf" not in sheet
    monkeypatch.delitem(sys.modules, "weasyprint")
    build_book(MINI, tmp_path / "ut", html=False, show=lambda _: None)
    sheet = (tmp_path / "ut" / "source" / "kunder" / "SDF01.md").read_text(encoding="utf-8")
    assert '<a href="../prisblad/prisblad-2023-SDF01.pdf">' in sheet


def test_large_allocation_is_summarised_in_the_workbook(mini: Path, tmp_path: Path, monkeypatch):
    from prismodell import workbook

    monkeypatch.setattr(workbook, "ALLOCATION_DETAIL_LIMIT", 5)  # the fixture has 13 key rows
    out = tmp_path / "ut"
    assert run_cli("calculate", mini, "--out", out) == 0
    sheet = load_workbook(out / "prislista.xlsx", data_only=True)["Fördelning"]
    assert sheet["A3"].value == (
        "Sammanfattad per kund och tjänsteområde: fördelningen har 13 "
        "rader per nyckel, för många för Excel. Alla rader finns i "
        "allocation.csv."
    )
    assert [c.value for c in sheet[4]] == [
        "Kund-id",
        "Kund",
        "Leverantörsreskontra",
        "Hyresadministration",
        "Totalt",
    ]
    rows = list(sheet.iter_rows(min_row=5, values_only=True))
    assert len(rows) == 4 + 1  # a row per customer, and the total row
    assert rows[-1][-1] == pytest.approx(12_150_000)
    exact = pd.read_csv(out / "allocation.csv").groupby("customer_id")["amount"].sum()
    for row in rows[:-1]:
        assert sum(row[2:4]) == pytest.approx(row[4])
        assert row[4] == pytest.approx(exact[row[0]], abs=0.01 * 4)  # the CSV rounds to öre
