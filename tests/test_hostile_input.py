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
    assert time.perf_counter() - started < 5  # the load itself: milliseconds
    assert "YAML-ankare" in err


def test_anchors_and_aliases_are_refused_in_every_yaml_file(mini: Path):
    started = time.perf_counter()
    with pytest.raises(InputError) as caught:
        load_yaml(ALIAS_BOMB, "scenarios/x.yml")
    assert time.perf_counter() - started < 0.5
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
