"""Reorganisations: customer_mapping.csv moves an old administration's volumes and previous
charges to today's ids before the allocation (merges and splits), validated like every input."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from prismodell.calculation import calculate
from prismodell.inputs import load_input
from prismodell.pipeline import reproducibility_page
from prismodell.reorganisation import apply_mapping, apply_mapping_to_charges

from .conftest import DATA_2023, REPO, run_cli

DATA_2024 = REPO / "data" / "2024"
MERGED = {
    "sdf_rinkeby_kista": "sdf_jarva",
    "sdf_spanga_tensta": "sdf_jarva",
    "sdf_norrmalm": "sdf_norra_innerstaden",
    "sdf_ostermalm": "sdf_norra_innerstaden",
}


def mapping_frame(rows: list[tuple[str, str, float]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["from_customer_id", "to_customer_id", "share"])


# --------------------------------------------------------------------------- pure functions


def test_split_shares_and_merge_keep_every_key_total():
    volumes = pd.DataFrame(
        {
            "customer_id": ["OLD", "OLD", "A", "B", "OLD2"],
            "key_id": ["k1", "k2", "k1", "k2", "k1"],
            "volume": [1001.0, 7.0, 500.0, 20.0, 333.0],
        }
    )
    mapping = mapping_frame([("OLD", "A", 0.3), ("OLD", "B", 0.7), ("OLD2", "A", 1.0)])
    after = apply_mapping(volumes, mapping)
    before_totals = volumes.groupby("key_id")["volume"].sum()
    after_totals = after.groupby("key_id")["volume"].sum()
    pd.testing.assert_series_equal(before_totals, after_totals, rtol=1e-12)
    assert set(after["customer_id"]) == {"A", "B"}
    got = after.set_index(["customer_id", "key_id"])["volume"]
    assert got["A", "k1"] == pytest.approx(500 + 0.3 * 1001 + 333)
    assert got["B", "k1"] == pytest.approx(0.7 * 1001)
    assert got["A", "k2"] == pytest.approx(0.3 * 7)
    assert got["B", "k2"] == pytest.approx(20 + 0.7 * 7)
    assert not after.duplicated(["customer_id", "key_id"]).any()
    assert list(after.columns) == ["customer_id", "key_id", "volume"]


def test_thirds_lose_nothing_to_rounding():
    volumes = pd.DataFrame({"customer_id": ["OLD"], "key_id": ["k"], "volume": [1.0]})
    mapping = mapping_frame([("OLD", "A", 1 / 3), ("OLD", "B", 1 / 3), ("OLD", "C", 1 / 3)])
    after = apply_mapping(volumes, mapping)
    assert after["volume"].sum() == 1.0  # the last target takes what is left: exact
    assert len(after) == 3


def test_no_mapping_leaves_the_table_as_it_is():
    volumes = pd.DataFrame({"customer_id": ["A"], "key_id": ["k"], "volume": [3.0]})
    pd.testing.assert_frame_equal(apply_mapping(volumes, None), volumes)
    assert apply_mapping_to_charges(None, mapping_frame([("A", "B", 1.0)])) is None


def test_previous_charges_move_with_their_service_area():
    previous = pd.DataFrame(
        {
            "customer_id": ["OLD", "OLD", "A"],
            "service_area": ["s1", "s2", "s1"],
            "amount": [1000.0, 10.0, 5.0],
        }
    )
    after = apply_mapping_to_charges(
        previous, mapping_frame([("OLD", "A", 0.5), ("OLD", "B", 0.5)])
    )
    got = after.set_index(["customer_id", "service_area"])["amount"]
    assert got["A", "s1"] == 505 and got["B", "s1"] == 500 and got["A", "s2"] == 5
    assert after["amount"].sum() == previous["amount"].sum()


# --------------------------------------------------------------------------- load_input


def reorganise(data: Path, mapping: str) -> None:
    """An old district SDF_GAMMAL (not in customers.csv) with volumes and charges, mapped."""
    with (data / "volumes.csv").open("a", encoding="utf-8") as handle:
        handle.write("SDF_GAMMAL,antal_fakturor,5000\nSDF_GAMMAL,aktiva_avtal,400\n")
    with (data / "previous_charges.csv").open("a", encoding="utf-8") as handle:
        handle.write("SDF_GAMMAL,leverantorsreskontra,500000\n")
    (data / "customer_mapping.csv").write_text(mapping, encoding="utf-8")


SPLIT = "from_customer_id,to_customer_id,share\nSDF_GAMMAL,SDF01,0.6\nSDF_GAMMAL,SDF02,0.4\n"


def test_load_input_applies_the_mapping_before_allocation(mini: Path):
    reorganise(mini, SPLIT)
    raw = pd.read_csv(mini / "volumes.csv")
    raw_previous = pd.read_csv(mini / "previous_charges.csv")
    model = load_input(mini)
    assert "SDF_GAMMAL" not in set(model.volumes["customer_id"])
    assert "SDF_GAMMAL" not in set(model.previous_charges["customer_id"])
    pd.testing.assert_series_equal(
        raw.groupby("key_id")["volume"].sum().astype(float),
        model.volumes.groupby("key_id")["volume"].sum(),
        check_like=True,
    )
    volume = model.volumes.set_index(["customer_id", "key_id"])["volume"]
    assert volume["SDF01", "antal_fakturor"] == 30000 + 3000
    assert volume["SDF02", "antal_fakturor"] == 30000 + 2000
    assert volume["SDF01", "aktiva_avtal"] == pytest.approx(1200 + 240)
    previous = model.previous_charges.set_index(["customer_id", "service_area"])["amount"]
    assert previous["SDF01", "leverantorsreskontra"] == 2700000 + 300000
    assert previous["SDF02", "leverantorsreskontra"] == 2650000 + 200000
    assert model.customer_mapping["share"].tolist() == [0.6, 0.4]
    result = calculate(model)
    assert "SDF_GAMMAL" not in set(result.price_list["customer_id"])
    assert result.comparison.previous_total == raw_previous["amount"].sum()  # nothing lost


def run_bad(data: Path, tmp_path: Path, capsys) -> str:
    out = tmp_path / "out"
    code = run_cli("calculate", data, "--out", out)
    err = capsys.readouterr().err
    assert code == 2
    assert "Traceback" not in err
    assert not out.exists()  # nothing written
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".out.")]
    return re.sub(r"\s+", " ", err)


HEADER = "from_customer_id,to_customer_id,share\n"
MAPPING_CASES = {
    "shares_do_not_sum_to_one": (
        HEADER + "SDF_GAMMAL,SDF01,0.6\nSDF_GAMMAL,SDF02,0.3\n",
        [
            "customer_mapping.csv, rad 2, kolumn 'share'",
            "andelarna för 'SDF_GAMMAL' (raderna 2, 3) summerar till 0,9, inte 1",
        ],
    ),
    "share_zero": (
        HEADER + "SDF_GAMMAL,SDF01,1\nSDF_GAMMAL,SDF02,0\n",
        ["customer_mapping.csv, rad 3, kolumn 'share': andelen är 0"],
    ),
    "share_above_one": (
        HEADER + "SDF_GAMMAL,SDF01,1.5\n",
        ["customer_mapping.csv, rad 2, kolumn 'share': andelen 1,5 är större än 1"],
    ),
    "share_negative": (
        HEADER + "SDF_GAMMAL,SDF01,1.4\nSDF_GAMMAL,SDF02,-0.4\n",
        ["customer_mapping.csv, rad 3, kolumn 'share': '-0.4' är negativt"],
    ),
    "share_not_a_number": (
        HEADER + "SDF_GAMMAL,SDF01,hälften\nSDF_GAMMAL,SDF02,0.5\n",
        ["customer_mapping.csv, rad 2, kolumn 'share': 'hälften' är inte ett tal"],
    ),
    "target_not_a_customer": (
        HEADER + "SDF_GAMMAL,SDF01,0.5\nSDF_GAMMAL,SDF03,0.5\n",
        [
            "customer_mapping.csv, rad 3, kolumn 'to_customer_id'",
            "den nya kunden 'SDF03' finns inte i customers.csv",
            "Menade du",
        ],
    ),
    "old_id_not_used": (
        SPLIT + "SDF_ANNAN,SDF01,1\n",
        [
            "customer_mapping.csv, rad 4, kolumn 'from_customer_id'",
            "kunden 'SDF_ANNAN' används inte",
            "varken i volumes.csv eller i previous_charges.csv",
        ],
    ),
    "chain": (
        SPLIT + "SDF01,FF01,1\n",
        [
            "customer_mapping.csv, rad 2, kolumn 'to_customer_id'",
            "kunden 'SDF01' flyttas själv vidare (rad 4)",
            "Kedjor är inte tillåtna",
        ],
    ),
    "mapped_to_itself": (
        HEADER + "SDF_GAMMAL,SDF_GAMMAL,1\n",
        ["customer_mapping.csv, rad 2, kolumn 'to_customer_id'", "flyttas till sig själv"],
    ),
    "duplicate_row": (
        SPLIT + "SDF_GAMMAL,SDF01,0.6\n",
        [
            "customer_mapping.csv, rad 4",
            "from_customer_id='SDF_GAMMAL', to_customer_id='SDF01' förekommer redan på rad 2",
        ],
    ),
    "misspelt_column": (
        "from_customer_id,to_customer,share\nSDF_GAMMAL,SDF01,1\n",
        [
            "customer_mapping.csv, rad 1, kolumn 'to_customer_id': kolumnen saknas",
            "heter 'to_customer'",
        ],
    ),
    "empty_target": (
        HEADER + "SDF_GAMMAL,,1\n",
        ["customer_mapping.csv, rad 2, kolumn 'to_customer_id': värdet saknas"],
    ),
}


@pytest.mark.parametrize("case", sorted(MAPPING_CASES))
def test_bad_mapping_is_reported(case: str, mini: Path, tmp_path: Path, capsys):
    mapping, expected = MAPPING_CASES[case]
    reorganise(mini, mapping)
    err = run_bad(mini, tmp_path, capsys)
    assert "inget har skrivits" in err
    for text in expected:
        assert text in err, f"{text!r} missing from: {err}"


def test_unmapped_unknown_customer_is_still_an_error(mini: Path, tmp_path: Path, capsys):
    reorganise(mini, SPLIT)
    with (mini / "volumes.csv").open("a", encoding="utf-8") as handle:
        handle.write("SDF_OKAND,antal_fakturor,10\n")
    err = run_bad(mini, tmp_path, capsys)
    assert "volumes.csv, rad 17, kolumn 'customer_id': kunden 'SDF_OKAND' finns inte" in err


def test_old_id_without_mapping_is_an_unknown_customer(mini: Path, tmp_path: Path, capsys):
    reorganise(mini, SPLIT)
    (mini / "customer_mapping.csv").unlink()
    err = run_bad(mini, tmp_path, capsys)
    assert "kunden 'SDF_GAMMAL' finns inte i customers.csv" in err


def test_all_mapping_problems_are_collected(mini: Path, tmp_path: Path, capsys):
    reorganise(mini, HEADER + "SDF_GAMMAL,SDF01,0.5\nSDF_GAMMAL,SDF09,0.2\nSDF_X,SDF02,1\n")
    err = run_bad(mini, tmp_path, capsys)
    assert "Indata har 3 fel" in err
    assert (
        "summerar till 0,7" in err and "'SDF09' finns inte" in err and "'SDF_X' används inte" in err
    )


def test_header_only_mapping_is_no_mapping(mini: Path):
    (mini / "customer_mapping.csv").write_text(HEADER, encoding="utf-8")
    assert load_input(mini).customer_mapping is None


# --------------------------------------------------------------------------- data/2024


@pytest.fixture(scope="module")
def year_2024():
    model = load_input(DATA_2024)
    return model, calculate(model)


def test_2024_previous_charges_are_2023s_price_list(model_2023):
    price_list_2023 = model_2023[1].price_list
    previous = pd.read_csv(DATA_2024 / "previous_charges.csv")
    pd.testing.assert_frame_equal(previous, price_list_2023, check_dtype=False)


def test_2024_calculates_and_compares_on_todays_ids(year_2024, model_2023):
    model, result = year_2024
    assert model.price_list_year == 2024 and model.example_data
    assert model.volume_period == ("2022-07", "2023-06")
    customers = set(model.customers["customer_id"])
    assert not customers & set(MERGED)
    assert {"sdf_jarva", "sdf_norra_innerstaden"} <= customers
    assert (model.customers["type"] == "stadsdelsförvaltning").sum() == 11
    assert set(result.price_list["customer_id"]) <= customers
    sums = result.price_list.groupby("service_area")["amount"].sum()
    full_cost = result.full_cost.set_index("service_area")["full_cost"]
    assert (sums.reindex(full_cost.index) == full_cost).all()

    price_list_2023 = model_2023[1].price_list
    comparison = result.comparison
    assert comparison.previous_total == price_list_2023["amount"].sum()
    old = price_list_2023.assign(customer_id=price_list_2023["customer_id"].replace(MERGED))
    expected = old.groupby("customer_id")["amount"].sum()
    got = comparison.by_customer.set_index("customer_id")["previous"]
    for customer in ("sdf_jarva", "sdf_norra_innerstaden", "sdf_bromma"):
        assert got[customer] == expected[customer]
    assert 0.01 < comparison.change_including < 0.06  # a few per cent dearer


def test_2024_volumes_are_conserved_by_the_mapping(year_2024):
    model, _ = year_2024
    raw = pd.read_csv(DATA_2024 / "volumes.csv")
    assert set(MERGED) <= set(raw["customer_id"])  # recorded under the old ids
    pd.testing.assert_series_equal(
        raw.groupby("key_id")["volume"].sum().astype(float).sort_index(),
        model.volumes.groupby("key_id")["volume"].sum().sort_index(),
    )
    jarva = model.volumes[model.volumes["customer_id"] == "sdf_jarva"].set_index("key_id")
    old = raw[raw["customer_id"].isin(["sdf_rinkeby_kista", "sdf_spanga_tensta"])]
    assert jarva["volume"].to_dict() == old.groupby("key_id")["volume"].sum().to_dict()


def test_reproducibility_page_lists_the_mapping(year_2024):
    model, _ = year_2024
    page = reproducibility_page(model, DATA_2024)
    assert "## Omorganisationer" in page
    assert "Järva stadsdelsförvaltning" in page and "sdf_rinkeby_kista" in page
    assert "Omorganisationer" not in reproducibility_page(load_input(DATA_2023), DATA_2023)
