"""`prismodell new-year`: next year's data folder from this year's, never over an existing one."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
import yaml

from prismodell.calculation import calculate
from prismodell.export import write_csv
from prismodell.inputs import load_input
from prismodell.new_year import new_model_text

from .conftest import REPO, run_cli

DATA_2024 = REPO / "data" / "2024"


@pytest.fixture
def source(tmp_path: Path) -> Path:
    target = tmp_path / "data" / "2024"
    shutil.copytree(DATA_2024, target)
    return target


def test_new_year_creates_the_folder(source: Path, capsys):
    assert run_cli("new-year", 2025, "--from", source) == 0
    out = capsys.readouterr().out
    target = source.parent / "2025"
    assert sorted(p.name for p in target.iterdir()) == [
        "changed_assignments.csv",
        "customers.csv",
        "dedicated_services.csv",
        "model.yml",
        "other_costs.csv",
        "previous_charges.csv",
        "rapport",
        "staffing.csv",
        "volumes.csv",
    ]
    assert not (target / "customer_mapping.csv").exists()
    assert not [p for p in source.parent.iterdir() if p.name.startswith(".")]  # no temp left

    text = (target / "model.yml").read_text(encoding="utf-8")
    settings = yaml.safe_load(text)
    assert settings["price_list_year"] == 2025
    assert settings["volume_period"] == {"start": "2023-07", "end": "2024-06"}
    assert settings["example_data"] is True  # kept as it was
    old = yaml.safe_load((source / "model.yml").read_text(encoding="utf-8"))
    assert settings["cost_standards"] == old["cost_standards"]
    assert settings["service_areas"] == old["service_areas"]
    assert "# ILLUSTRATIVE EXAMPLE DATA" in text and "# July to June" in text  # comments kept
    assert text.startswith("# Skapad med prismodell new-year 2025")

    for name in ("staffing", "volumes", "other_costs", "changed_assignments"):
        assert len(pd.read_csv(target / f"{name}.csv")) == 0, name
    assert (target / "customers.csv").read_bytes() == (source / "customers.csv").read_bytes()
    # dedicated services usually go on: copied, with a reminder to check their FTEs
    assert (target / "dedicated_services.csv").read_bytes() == (
        source / "dedicated_services.csv"
    ).read_bytes()
    assert "dedicated_services.csv är kopierad" in out
    assert (target / "rapport" / "about.yml").read_bytes() == (
        source / "rapport" / "about.yml"
    ).read_bytes()
    previous = pd.read_csv(target / "previous_charges.csv")
    price_list = calculate(load_input(source)).price_list
    pd.testing.assert_frame_equal(previous, price_list, check_dtype=False)

    assert "staffing.csv" in out and "volumes.csv" in out and "2023-07 – 2024-06" in out
    assert "Fyll i härnäst" in out


def test_filled_new_year_calculates(source: Path, tmp_path: Path, capsys):
    assert run_cli("new-year", 2025, "--from", source) == 0
    target = source.parent / "2025"
    model_2024 = load_input(source)
    shutil.copy(source / "staffing.csv", target / "staffing.csv")
    shutil.copy(source / "other_costs.csv", target / "other_costs.csv")
    write_csv(model_2024.volumes, target / "volumes.csv")  # already on today's ids
    capsys.readouterr()
    assert run_cli("calculate", target, "--out", tmp_path / "ut") == 0
    out = capsys.readouterr().out
    assert "Prislista 2025 (volymperiod 2023-07 – 2024-06)" in out
    model = load_input(target)
    result = calculate(model)
    result_2024 = calculate(model_2024)
    assert result.comparison.previous_total == result_2024.total_full_cost
    # the same staffing, standards, other costs and volumes: the same price list as 2024
    pd.testing.assert_frame_equal(result.price_list, result_2024.price_list)


def test_existing_folder_is_never_overwritten(source: Path, capsys):
    target = source.parent / "2025"
    target.mkdir()
    (target / "anteckningar.txt").write_text("analytikerns")
    assert run_cli("new-year", 2025, "--from", source) == 2
    err = capsys.readouterr().err
    assert "2025: mappen finns redan och skrivs aldrig över" in err
    assert "Traceback" not in err
    assert [p.name for p in target.iterdir()] == ["anteckningar.txt"]
    assert not [p for p in source.parent.iterdir() if p.name.startswith(".")]


def test_second_run_is_refused(source: Path, capsys):
    assert run_cli("new-year", 2025, "--from", source) == 0
    before = (source.parent / "2025" / "model.yml").read_bytes()
    assert run_cli("new-year", 2025, "--from", source) == 2
    assert "mappen finns redan" in capsys.readouterr().err
    assert (source.parent / "2025" / "model.yml").read_bytes() == before


def test_year_must_be_later(source: Path, capsys):
    assert run_cli("new-year", 2024, "--from", source) == 2
    assert "måste vara senare än prislisteåret 2024" in capsys.readouterr().err
    assert sorted(p.name for p in source.parent.iterdir()) == ["2024"]


def test_bad_source_writes_nothing(source: Path, capsys):
    (source / "staffing.csv").write_text("service_area,staff_category,fte\n")
    assert run_cli("new-year", 2025, "--from", source) == 2
    assert "har inga årsarbetare" in capsys.readouterr().err
    assert sorted(p.name for p in source.parent.iterdir()) == ["2024"]


def test_out_option_and_two_years_on(source: Path, tmp_path: Path):
    target = tmp_path / "annan" / "prislista"
    assert run_cli("new-year", 2026, "--from", source, "--out", target) == 0
    settings = yaml.safe_load((target / "model.yml").read_text(encoding="utf-8"))
    assert settings["price_list_year"] == 2026
    assert settings["volume_period"] == {"start": "2024-07", "end": "2025-06"}


def test_model_text_block_style_and_fallback():
    block = (
        "# kommentar\nprice_list_year: 2024  # år\nvolume_period:\n"
        "  start: '2022-07'\n  end: \"2023-06\"\nexample_data: false\n"
    )
    text, kept = new_model_text(block, 2025, ("2023-07", "2024-06"), "# ny\n")
    assert kept and "# kommentar" in text and "# år" in text and text.startswith("# ny\n")
    assert yaml.safe_load(text)["volume_period"] == {"start": "2023-07", "end": "2024-06"}

    missing = "price_list_year: 2024\n"
    text, kept = new_model_text(missing, 2025, ("2023-07", "2024-06"), "# ny\n")
    assert not kept and "kunde inte behållas" in text
    assert yaml.safe_load(text)["volume_period"] == {"start": "2023-07", "end": "2024-06"}


@pytest.mark.parametrize("year", [1999, 2101, -5, 99999])
def test_years_outside_the_range_are_refused(source: Path, year: int, capsys):
    assert run_cli("new-year", year, "--from", source) == 2
    err = capsys.readouterr().err
    assert f"året {year} går inte att använda. Ange ett prislisteår från 2000 till 2100" in err
    assert "Traceback" not in err and "[" not in err
    assert sorted(p.name for p in source.parent.iterdir()) == ["2024"]


def test_symlink_out_of_the_data_folder_is_never_followed(source: Path, tmp_path: Path, capsys):
    secret = tmp_path / "hemligt"
    secret.mkdir()
    (secret / "lösenord.txt").write_text("hemlighet")
    (source / "rapport" / "bilagor").symlink_to(secret)
    assert run_cli("new-year", 2025, "--from", source) == 2
    err = capsys.readouterr().err
    assert f"rapport/bilagor: är en symbolisk länk till {secret}, utanför datamappen" in err
    assert "[" not in err and "Traceback" not in err
    assert sorted(p.name for p in source.parent.iterdir()) == ["2024"]
    # a link inside the data folder is copied as the file it points to
    (source / "rapport" / "bilagor").unlink()
    (source / "rapport" / "kopia.md").symlink_to(source / "rapport" / "README.md")
    assert run_cli("new-year", 2025, "--from", source) == 0
    copied = source.parent / "2025" / "rapport" / "kopia.md"
    assert not copied.is_symlink() and copied.read_bytes() == (
        source / "rapport" / "README.md"
    ).read_bytes()


def test_customers_link_out_of_the_folder_is_refused(source: Path, tmp_path: Path, capsys):
    outside = tmp_path / "kunder.csv"
    shutil.move(source / "customers.csv", outside)
    (source / "customers.csv").symlink_to(outside)
    assert run_cli("new-year", 2025, "--from", source) == 2
    assert "customers.csv: är en symbolisk länk till" in capsys.readouterr().err


def test_ids_survive_the_round_trip(mini: Path, tmp_path: Path):
    """Ids that a spreadsheet would take for a formula are written as they are, so the next
    calculate reads back exactly the ids it knows (no apostrophe added)."""
    data = tmp_path / "år"
    shutil.copytree(mini, data / "2023")
    odd = {"SDF01": "=SDF01", "SDF02": "+46 Farsta", "FF01": "-FF01", "B01": "@bolag"}
    for name in ("customers.csv", "volumes.csv", "previous_charges.csv"):
        frame = pd.read_csv(data / "2023" / name, dtype=str, keep_default_na=False)
        frame["customer_id"] = frame["customer_id"].map(odd)
        frame.to_csv(data / "2023" / name, index=False)
    assert run_cli("new-year", 2024, "--from", data / "2023") == 0
    new = data / "2024"
    shutil.copy(data / "2023" / "volumes.csv", new / "volumes.csv")
    shutil.copy(data / "2023" / "staffing.csv", new / "staffing.csv")
    model = load_input(new)
    assert set(model.previous_charges["customer_id"]) == set(odd.values())
    assert model.notices == ()  # no customer looks like it has left
    result = calculate(model)
    assert result.comparison.left == () and result.comparison.joined == ()


def test_header_year_is_moved_on(source: Path):
    assert run_cli("new-year", 2025, "--from", source) == 0
    text = (source.parent / "2025" / "model.yml").read_text(encoding="utf-8")
    assert "# Price list 2025:" in text and "# Price list 2024" not in text
    assert "merged on 2023-07-01" in text  # a date is history, not the price-list year
    assert yaml.safe_load(text)["price_list_year"] == 2025


def test_new_folder_inside_the_source_is_refused(source: Path, capsys):
    assert run_cli("new-year", 2025, "--from", source, "--out", source / "2025") == 2
    err = capsys.readouterr().err
    assert "den nya mappen kan inte ligga i förra årets datamapp" in err
    assert not (source / "2025").exists()
