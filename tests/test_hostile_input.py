"""Hostile input (issue 7): nothing an analyst's folder holds may change a krona silently, expand
without bound or end in a traceback. Each class here was wrong with exit 0 (or hung, or crashed)
before; each must now be exit 2 with a Swedish message naming file and row, nothing written."""

from __future__ import annotations

import time
from pathlib import Path

import pandas as pd
import pytest

from prismodell.inputs import load_input
from prismodell.narrative import read_yaml
from prismodell.problems import InputError, Problem, load_yaml

from .test_bad_input import append, edit, run_bad

# --------------------------------------------------------------------------- YAML


def test_problem_and_input_error_are_still_importable_from_inputs():
    from prismodell import inputs

    assert inputs.Problem is Problem and inputs.InputError is InputError


def test_repeated_top_level_key_in_model_names_both_lines(mini: Path, tmp_path: Path, capsys):
    append(mini / "model.yml", "administration_overhead_per_fte: 140000")
    err = run_bad(mini, tmp_path, capsys)
    assert "'administration_overhead_per_fte' står två gånger" in err
    lines = (mini / "model.yml").read_text().splitlines()
    first = 1 + next(i for i, ln in enumerate(lines) if ln.startswith("administration_overhead"))
    assert f"rad {first} och rad {len(lines)}" in err


def test_repeated_service_area_is_not_silently_replaced(mini: Path, tmp_path: Path, capsys):
    append(
        mini / "model.yml",
        "  hyresadministration:\n    name: Igen\n    keys:\n"
        "      - {id: aktiva_avtal, name: Aktiva avtal, weight: 1, source: LOIS}",
    )
    err = run_bad(mini, tmp_path, capsys)
    assert "'hyresadministration' står två gånger" in err


def test_repeated_key_in_a_scenario_and_a_report_file(mini: Path):
    path = mini / "scenarios" / "exempel.yml"
    path.write_text(path.read_text() + "administration_overhead_per_fte: 50000\n")
    fields, problems = read_yaml(path, "scenarios/exempel.yml")
    assert fields is None and "står två gånger" in str(problems[0])
    path = mini / "rapport" / "other.yml"
    path.write_text(path.read_text() + "items: []\n")
    fields, problems = read_yaml(path, "rapport/other.yml")
    assert fields is None and "'items' står två gånger" in str(problems[0])


def test_repeated_key_inside_a_list_item():
    with pytest.raises(InputError) as caught:
        load_yaml("keys:\n  - {id: a, weight: 0.5, weight: 1}\n", "model.yml")
    assert "'weight' står två gånger" in str(caught.value)
    assert caught.value.problems[0].row == 2


ALIAS_BOMB = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [" + ", ".join([f"*{chr(97 + i)}"] * 9) + "]\n"
    for i in range(12)
)


def test_alias_bomb_is_refused_at_once(mini: Path, tmp_path: Path, capsys):
    (mini / "model.yml").write_text(
        (mini / "model.yml").read_text() + "\n" + ALIAS_BOMB.replace("a:", "x_a:", 1)
    )
    started = time.perf_counter()
    err = run_bad(mini, tmp_path, capsys)
    # refused in milliseconds; expanding the bomb would take hours, so the bound is generous
    assert time.perf_counter() - started < 30
    assert "YAML-ankare" in err


def test_anchors_and_aliases_are_refused_in_every_yaml_file(mini: Path):
    started = time.perf_counter()
    with pytest.raises(InputError) as caught:
        load_yaml(ALIAS_BOMB, "scenarios/x.yml")
    assert time.perf_counter() - started < 5  # expanded, the bomb would take hours
    assert "ankaret &a" in str(caught.value)
    with pytest.raises(InputError) as caught:
        load_yaml("a: 1\nb: *a\n", "x.yml")
    assert "hänvisningen *a" in str(caught.value) and caught.value.problems[0].row == 2
    path = mini / "rapport" / "other.yml"
    path.write_text(ALIAS_BOMB)
    fields, problems = read_yaml(path, "rapport/other.yml")
    assert fields is None and "YAML-ankare" in str(problems[0])


def test_huge_or_deeply_nested_yaml_is_a_problem_not_a_crash():
    with pytest.raises(InputError, match="för stor"):
        load_yaml("a: " + "x" * 2_000_000, "model.yml")
    with pytest.raises(InputError, match="nästlad|YAML"):
        load_yaml("[" * 100_000 + "]" * 100_000, "model.yml")


def test_line_map_is_unchanged():
    data, lines = load_yaml("a:\n  b: 1\n  c:\n    - x\n    - y\n", "t.yml")
    assert data == {"a": {"b": 1, "c": ["x", "y"]}}
    assert lines == {
        (): 1,
        ("a",): 1,
        ("a", "b"): 2,
        ("a", "c"): 3,
        ("a", "c", 0): 4,
        ("a", "c", 1): 5,
    }


# --------------------------------------------------------------------------- unknown fields


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            "administration_overhead_per_fte: 100000",
            "administration_overhead_per_fte: 100000\nadministration_overhed_per_fte: 140000",
            [
                "fältet 'administration_overhed_per_fte' finns inte",
                "Menade du 'administration_overhead_per_fte'?",
            ],
        ),
        (
            "    name: Hyresadministration",
            "    name: Hyresadministration\n    descripton: text",
            ["service_areas → hyresadministration → descripton", "Menade du 'description'?"],
        ),
        (
            "{id: aktiva_avtal, name: Aktiva avtal, weight: 1, source: LOIS}",
            "{id: aktiva_avtal, name: Aktiva avtal, wieght: 1, weight: 1, source: LOIS}",
            ["keys → 1 → wieght", "Menade du 'weight'?"],
        ),
        (
            "volume_period: {start: 2021-07, end: 2022-06}",
            "volume_period: {start: 2021-07, end: 2022-06, slut: 2022-05}",
            ["volume_period → slut", "Giltiga fält här: start, end"],
        ),
    ],
)
def test_unknown_fields_in_model_yml(mini, tmp_path, capsys, old, new, expected):
    edit(mini / "model.yml", old, new)
    err = run_bad(mini, tmp_path, capsys)
    for text in expected:
        assert text in err, err


# --------------------------------------------------------------------------- CSV


def test_quoted_decimal_comma_in_a_comma_file_names_both_readings(mini, tmp_path, capsys):
    edit(mini / "volumes.csv", "SDF01,antal_krav,300", 'SDF01,antal_krav,"40,105"')
    err = run_bad(mini, tmp_path, capsys)
    assert "volumes.csv, rad 4, kolumn 'volume'" in err
    assert "decimaltalet 40,105" in err and "talet 40105" in err


def test_comma_file_takes_only_a_decimal_point(mini, tmp_path, capsys):
    edit(mini / "staffing.csv", "ekonom,2", 'ekonom,"2,5"')
    err = run_bad(mini, tmp_path, capsys)
    assert "staffing.csv, rad 3, kolumn 'fte'" in err and "decimalpunkt" in err


def test_semicolon_file_takes_only_a_decimal_comma(mini, tmp_path, capsys):
    (mini / "staffing.csv").write_text(
        "service_area;staff_category;fte\nleverantorsreskontra;ekonomiadministrator;1.234\n"
        "leverantorsreskontra;ekonom;2,5\nhyresadministration;ekonomiadministrator;3\n"
        "internt_overhead;ledning;1\n"
    )
    err = run_bad(mini, tmp_path, capsys)
    assert "staffing.csv, rad 2, kolumn 'fte'" in err
    assert "decimaltalet 1,234" in err and "talet 1234" in err and "decimalkomma" in err
    assert "rad 3" not in err  # 2,5 is this file's way of writing two and a half


def test_semicolon_file_with_decimal_commas_is_read(mini):
    (mini / "staffing.csv").write_text(
        "service_area;staff_category;fte\nleverantorsreskontra;ekonomiadministrator;9,5\n"
        "leverantorsreskontra;ekonomiadministrator;0,5\nleverantorsreskontra;ekonom;2\n"
        "hyresadministration;ekonomiadministrator;3\ninternt_overhead;ledning;1\n"
    )
    assert load_input(mini).staffing["fte"].tolist() == [9.5, 0.5, 2.0, 3.0, 1.0]


def test_repeated_column_name_in_header(mini, tmp_path, capsys):
    (mini / "volumes.csv").write_text(
        (mini / "volumes.csv").read_text().replace("volume\n", "volume,volume\n", 1)
    )
    err = run_bad(mini, tmp_path, capsys)
    assert "volumes.csv, rad 1, kolumn 'volume'" in err and "står två gånger" in err


def test_repeated_column_name_in_xlsx_header(mini, tmp_path, capsys):
    frame = pd.read_csv(mini / "customers.csv")
    frame.columns = ["customer_id", "name", "name"]
    frame.to_excel(mini / "customers.xlsx", index=False)
    (mini / "customers.csv").unlink()
    err = run_bad(mini, tmp_path, capsys)
    assert "customers.xlsx, rad 1, kolumn 'name'" in err and "kolumn 2 och 3" in err


@pytest.mark.parametrize("quoted", [False, True])
def test_bare_carriage_return_never_makes_a_row(mini, tmp_path, capsys, quoted):
    name = '"Bromma\rsdf"' if quoted else "Bromma\rSDF99"
    text = (mini / "customers.csv").read_text()
    (mini / "customers.csv").write_text(text.replace("Bromma", name, 1), newline="")
    err = run_bad(mini, tmp_path, capsys)
    assert "customers.csv, rad 2" in err and "vagnretur" in err


def test_windows_line_ends_are_fine(mini):
    for name in ("customers.csv", "volumes.csv"):
        path = mini / name
        path.write_bytes(path.read_bytes().replace(b"\n", b"\r\n"))
    assert len(load_input(mini).customers) == 4


# --------------------------------------------------------------------------- no traceback


def test_unquoted_decimal_comma_in_one_row(mini, tmp_path, capsys):
    edit(
        mini / "staffing.csv",
        "hyresadministration,ekonomiadministrator,3",
        "hyresadministration,ekonomiadministrator,28,5",
    )
    err = run_bad(mini, tmp_path, capsys)
    assert "staffing.csv, rad 4: raden har 4 fält, fler än rubrikraden" in err
    assert "decimalkomma" in err and "Expected" not in err


def test_unquoted_decimal_comma_in_every_row_does_not_shift_columns(mini, tmp_path, capsys):
    path = mini / "staffing.csv"
    header, *rows = path.read_text().splitlines()
    path.write_text("\n".join([header, *(r + ",5" for r in rows)]) + "\n")
    err = run_bad(mini, tmp_path, capsys)
    assert "staffing.csv: raden har 4 fält, fler än rubrikraden" in err


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"", "filen är tom"),
        (b"\xd0\xcf\x11\xe0" + bytes(600), "filen är lösenordsskyddad (krypterad)"),
        (b"customer_id,name,type\nA,B,C\n", "filen är ingen Excel-arbetsbok"),
        (b"PK\x03\x04trasig", "filen kunde inte läsas som Excel-arbetsbok (den kan vara skadad)"),
    ],
)
def test_broken_xlsx_files(mini, tmp_path, capsys, content, expected):
    (mini / "customers.csv").unlink()
    (mini / "customers.xlsx").write_bytes(content)
    err = run_bad(mini, tmp_path, capsys)
    assert f"customers.xlsx: {expected}" in err
    assert "engine" not in err and "calamine" not in err


def test_empty_csv(mini, tmp_path, capsys):
    (mini / "other_costs.csv").write_bytes(b"")
    assert "other_costs.csv: filen är tom" in run_bad(mini, tmp_path, capsys)


def test_weights_a_hair_off_one_show_the_digits_that_differ(mini, tmp_path, capsys):
    edit(
        mini / "model.yml",
        "weight: 0.25, source: Agresso}\n      - {id: antal_krav",
        "weight: 0.2500001, source: Agresso}\n      - {id: antal_krav",
    )
    err = run_bad(mini, tmp_path, capsys)
    assert "summerar till 1.0000001, inte 1" in err


def test_header_only_customers_is_said_once(mini, tmp_path, capsys):
    (mini / "customers.csv").write_text("customer_id,name,type\n")
    err = run_bad(mini, tmp_path, capsys)
    assert "Giltiga värden: ." not in err
    # volumes only: a customer only in previous_charges.csv has left, which is no error
    assert err.count("customers.csv innehåller inga värden") == 1
    assert "ingen av 13 rader" in err


def test_many_valid_values_are_not_listed_on_every_row(mini, tmp_path, capsys):
    with (mini / "customers.csv").open("a") as handle:
        for i in range(30):
            handle.write(f"X{i:03d},Kund {i},bolag\n")
    append(mini / "volumes.csv", "QQQQQQ,antal_fakturor,5")
    err = run_bad(mini, tmp_path, capsys)
    assert "Se customers.csv för de 34 giltiga värdena" in err


def test_os_error_without_a_file_name_still_says_what(mini, tmp_path, capsys, monkeypatch):
    from prismodell import export

    def fail(*args, **kwargs):
        raise OSError(f"{tmp_path}/ut är skrivskyddad")

    monkeypatch.setattr(export, "write_outputs", fail)
    from .conftest import run_cli

    assert run_cli("calculate", mini, "--out", tmp_path / "ut") == 1
    err = capsys.readouterr().err
    assert "kunde inte skriva eller läsa en fil:" in err and "ut är skrivskyddad" in err
    assert "läsa :" not in err


# --------------------------------------------------------------------------- ranges


@pytest.mark.parametrize(
    ("file", "old", "new", "expected"),
    [
        ("staffing.csv", "ekonom,2", "ekonom,200000", "'200000' är orimligt stort (högst 100 000)"),
        (
            "other_costs.csv",
            "Skanningsleverantör,250000",
            "Skanningsleverantör,2e12",
            "'2e12' är orimligt stort (högst 1 000 000 000 000)",
        ),
        (
            "volumes.csv",
            "SDF01,antal_krav,300",
            "SDF01,antal_krav,1e400",
            "'1e400' är inte ett tal",
        ),
        ("staffing.csv", "ekonom,2", "ekonom,nan", "'nan' är inte ett tal"),
        ("model.yml", "ekonom: 750000", "ekonom: 7.5e15", "cost_standards → ekonom"),
        ("model.yml", "ekonom: 750000", "ekonom: " + "9" * 400, "talet är orimligt stort"),
        ("model.yml", "ekonom: 750000", "ekonom: .inf", "inf är inte tillåtet"),
        (
            "model.yml",
            "productive_hours_per_fte: 1600",
            "productive_hours_per_fte: 0",
            "productive_hours_per_fte: 0 är inte tillåtet",
        ),
        (
            "model.yml",
            "productive_hours_per_fte: 1600",
            "productive_hours_per_fte: 100000",
            "orimligt stort (högst 8 784)",
        ),
    ],
)
def test_numbers_outside_plausible_ranges(mini, tmp_path, capsys, file, old, new, expected):
    edit(mini / file, old, new)
    err = run_bad(mini, tmp_path, capsys)
    assert expected in err, err


def test_very_long_cell(mini, tmp_path, capsys):
    edit(mini / "customers.csv", "Bromma stadsdelsförvaltning", "B" * 10_000)
    err = run_bad(mini, tmp_path, capsys)
    assert "customers.csv, rad 2, kolumn 'name': cellen är för lång (10000 tecken" in err


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "volume_changes:\n  - {key_id: antal_krav, factor: 1.0e+300}\n",
            "orimligt stort (högst 1 000)",
        ),
        (
            "volume_changes:\n  - {key_id: antal_krav, factor: " + "9" * 400 + "}\n",
            "talet är orimligt",
        ),
        ("cost_standards: {ekonom: 1.0e+15}\n", "orimligt stort (högst 1 000 000 000 000)"),
        (
            "staffing:\n  - {service_area: hyresadministration, staff_category: ekonom, "
            "fte: 1.0e+9}\n",
            "orimligt stort (högst 100 000)",
        ),
        (
            "administration_overhead_per_fte: 1\nadministration_overhead_per_fte: 2\n",
            "står två gånger",
        ),
        ("a: &x 1\n", "YAML-ankare"),
    ],
)
def test_hostile_scenarios(mini, tmp_path, capsys, text, expected):
    (mini / "scenarios" / "fientligt.yml").write_text("description: test\n" + text)
    from .conftest import run_cli

    out = tmp_path / "out"
    code = run_cli("calculate", mini, "--scenario", "fientligt", "--out", out)
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err and not out.exists()
    assert expected in err.replace("\u00a0", " "), err


def test_table_file_over_the_size_limit(mini, tmp_path, capsys, monkeypatch):
    from prismodell import inputs

    monkeypatch.setattr(inputs, "MAX_TABLE_BYTES", 100)
    err = run_bad(mini, tmp_path, capsys)
    assert "volumes.csv: filen är för stor" in err


def test_new_year_reads_model_yml_with_the_strict_reader():
    from prismodell.new_year import new_model_text

    with pytest.raises(InputError, match="YAML-ankare"):
        new_model_text("price_list_year: &y 2024\n", 2025, ("2023-07", "2024-06"), "")
