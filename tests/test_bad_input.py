"""Every class of bad input: its own Swedish message naming file, row and column; exit code 2;
no traceback; nothing written to the output folder."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from .conftest import run_cli


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"fixture changed: {old!r} not in {path.name}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def append(path: Path, line: str) -> None:
    with path.open("a", encoding="utf-8") as handle:
        handle.write(line + "\n")


def run_bad(data: Path, tmp_path: Path, capsys) -> str:
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("analytikerns fil")
    code = run_cli("calculate", data, "--out", out)
    err = capsys.readouterr().err
    assert code == 2
    assert "Traceback" not in err
    assert sorted(p.name for p in out.iterdir()) == ["keep.txt"]  # nothing written
    assert (out / "keep.txt").read_text() == "analytikerns fil"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".out.")]  # no temp left
    return re.sub(r"\s+", " ", err)


CASES = {
    "missing_file": (
        lambda d: (d / "volumes.csv").unlink(),
        ["volumes.csv: filen saknas", "customer_id, key_id, volume"],
    ),
    "yaml_syntax": (
        lambda d: edit(
            d / "model.yml", "productive_hours_per_fte: 1600", "productive_hours_per_fte: [1600"
        ),
        ["model.yml, rad", "YAML-syntaxfel"],
    ),
    "misspelt_column": (
        lambda d: edit(
            d / "staffing.csv",
            "service_area,staff_category,fte",
            "service_area,staff_category,ftee",
        ),
        ["staffing.csv, rad 1, kolumn 'fte': kolumnen saknas", "heter 'ftee'"],
    ),
    "non_numeric_fte": (
        lambda d: edit(d / "staffing.csv", "ekonom,2", "ekonom,två"),
        ["staffing.csv, rad 3, kolumn 'fte': 'två' är inte ett tal"],
    ),
    "negative_volume": (
        lambda d: edit(d / "volumes.csv", "SDF01,antal_krav,300", "SDF01,antal_krav,-300"),
        ["volumes.csv, rad 4, kolumn 'volume': '-300' är negativt"],
    ),
    "empty_amount": (
        lambda d: edit(d / "other_costs.csv", "Skanningsleverantör,250000", "Skanningsleverantör,"),
        ["other_costs.csv, rad 2, kolumn 'amount': värdet saknas"],
    ),
    "bad_cost_standard": (
        lambda d: edit(d / "model.yml", "ekonom: 750000", "ekonom: -750000"),
        ["model.yml, rad 9, cost_standards → ekonom", "måste vara minst 0"],
    ),
    "non_numeric_cost_standard": (
        lambda d: edit(d / "model.yml", "ekonom: 750000", "ekonom: mycket"),
        ["cost_standards → ekonom", "'mycket' är inte ett tal"],
    ),
    "weights_not_one": (
        lambda d: edit(
            d / "model.yml",
            "weight: 0.25, source: Agresso}\n      - {id: antal_krav",
            "weight: 0.20, source: Agresso}\n      - {id: antal_krav",
        ),
        ["service_areas → leverantorsreskontra → keys", "summerar till 0.95, inte 1"],
    ),
    "duplicate_key_id": (
        lambda d: edit(d / "model.yml", "{id: aktiva_avtal", "{id: antal_fakturor"),
        ["nyckel-id 'antal_fakturor' används redan i leverantorsreskontra"],
    ),
    "unknown_service_area_in_staffing": (
        lambda d: append(d / "staffing.csv", "leverantorsreskontr,ekonom,1"),
        [
            "staffing.csv, rad 6, kolumn 'service_area'",
            "'leverantorsreskontr' finns inte",
            "Menade du 'leverantorsreskontra'?",
        ],
    ),
    "unknown_staff_category": (
        lambda d: append(d / "staffing.csv", "hyresadministration,jurist,1"),
        ["staffing.csv, rad 6, kolumn 'staff_category'", "'jurist' finns inte"],
    ),
    "unknown_customer_in_volumes": (
        lambda d: append(d / "volumes.csv", "SDF99,antal_fakturor,5"),
        ["volumes.csv, rad 15, kolumn 'customer_id'", "kunden 'SDF99' finns inte i customers.csv"],
    ),
    "unknown_key_in_volumes": (
        lambda d: append(d / "volumes.csv", "SDF01,antal_fakturr,5"),
        ["volumes.csv, rad 15, kolumn 'key_id'", "Menade du 'antal_fakturor'?"],
    ),
    "duplicate_volume_row": (
        lambda d: append(d / "volumes.csv", "SDF01,antal_krav,12"),
        [
            "volumes.csv, rad 15",
            "customer_id='SDF01', key_id='antal_krav' förekommer redan på rad 4",
        ],
    ),
    "positive_weight_without_volume": (
        lambda d: (d / "volumes.csv").write_text(
            "\n".join(
                ln for ln in (d / "volumes.csv").read_text().splitlines() if "antal_krav" not in ln
            )
            + "\n"
        ),
        ["nyckeln 'antal_krav' (leverantorsreskontra) har vikten 0.25 men ingen volym"],
    ),
    "service_area_without_fte": (
        lambda d: edit(d / "staffing.csv", "hyresadministration,ekonomiadministrator,3\n", ""),
        ["tjänsteområdet 'hyresadministration' har inga årsarbetare"],
    ),
    "duplicate_customer": (
        lambda d: append(d / "customers.csv", "SDF01,Bromma igen,stadsdelsförvaltning"),
        ["customers.csv, rad 6, kolumn 'customer_id'", "förekommer redan på rad 2"],
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_input_is_reported(case: str, mini: Path, tmp_path: Path, capsys):
    damage, expected = CASES[case]
    damage(mini)
    err = run_bad(mini, tmp_path, capsys)
    assert "Indata har" in err and "inget har skrivits" in err
    for text in expected:
        assert text in err, f"{text!r} missing from: {err}"


def test_all_errors_of_a_file_are_collected(mini: Path, tmp_path: Path, capsys):
    edit(mini / "staffing.csv", "ekonom,2", "ekonom,två")
    edit(mini / "staffing.csv", "ledning,1", "ledning,-1")
    append(mini / "volumes.csv", "SDF99,antal_fakturor,5")
    err = run_bad(mini, tmp_path, capsys)
    assert "Indata har 3 fel" in err
    assert "rad 3" in err and "rad 5" in err and "SDF99" in err


def test_missing_data_folder(tmp_path: Path, capsys):
    err = run_bad(tmp_path / "finns_inte", tmp_path, capsys)
    assert "mappen finns inte" in err


def test_csv_and_xlsx_of_the_same_table_is_ambiguous(mini: Path, tmp_path: Path, capsys):
    pd.read_csv(mini / "customers.csv").to_excel(mini / "customers.xlsx", index=False)
    err = run_bad(mini, tmp_path, capsys)
    assert "både customers.csv och customers.xlsx finns" in err


def test_output_folder_equal_to_data_folder_is_refused(mini: Path, capsys):
    before = sorted(p.name for p in mini.iterdir())
    assert run_cli("calculate", mini, "--out", mini) == 2
    assert "får inte vara samma som datamappen" in capsys.readouterr().err
    assert sorted(p.name for p in mini.iterdir()) == before


def test_not_utf8(mini: Path, tmp_path: Path, capsys):
    (mini / "customers.csv").write_bytes(
        "customer_id,name,type\nSDF01,Bromma stadsdelsförvaltning,x\n".encode("cp1252")
    )
    err = run_bad(mini, tmp_path, capsys)
    assert "customers.csv: filen är inte UTF-8" in err


def test_bad_billing_month(mini: Path, tmp_path: Path, capsys):
    append(mini / "model.yml", "billing: {month: 13}")
    err = run_bad(mini, tmp_path, capsys)
    assert "model.yml, rad" in err and "billing → month" in err and "heltal 1–12" in err


def test_changed_assignments_comment_column_is_optional_and_kept(mini: Path):
    from prismodell.inputs import load_input

    assert load_input(mini).changed_assignments["comment"].tolist() != []
    path = mini / "changed_assignments.csv"
    frame = pd.read_csv(path).drop(columns=["comment"], errors="ignore")
    frame.to_csv(path, index=False)
    assert set(load_input(mini).changed_assignments["comment"]) == {""}
