"""``prismodell volumes``: counting keys in the source systems' extracts, the quality report,
the outputs and every class of bad input."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pandas.testing import assert_frame_equal

from prismodell.cli import main
from prismodell.inputs import InputError, load_input
from prismodell.volumes import (
    QUALITY_COLUMNS,
    order_volumes,
    run_volumes,
    write_volume_outputs,
)

from .conftest import REPO, examples

DATA_2024 = REPO / "data" / "2024"

MODEL = """\
price_list_year: 2024
volume_period: {start: 2022-07, end: 2023-06}
productive_hours_per_fte: 1600
administration_overhead_per_fte: 100000
cost_standards: {ekonom: 700000}
service_areas:
  lev:
    name: Leverantörsreskontra
    keys:
      - {id: fakturor, name: Fakturor, weight: 0.6, source: Agresso}
      - {id: krav, name: Krav, weight: 0.4, source: Agresso}
"""
CUSTOMERS = "customer_id,name,type\na,A-förvaltningen,fack\nb,B-förvaltningen,fack\nc,C AB,bolag\n"
ORG = "source,org_code,customer_id\nAgresso,100,a\nAgresso,101,a\nAgresso,200,b\nAgresso,300,c\n"
CONFIG = """\
extracts:
  lev:
    source: Agresso
    files: lev.csv
    org_column: Ansvar
    date_column: Datum
    transaction_id: Nr
keys:
  fakturor: {extract: lev, count: {distinct: Nr}}
  krav: {extract: lev, count: rows, filters: [{column: Typ, equals: Krav}]}
"""
LEV = """\
Nr,Ansvar,Datum,Typ
1,100,2022-07-01,Faktura
2,101,2022-08-15,Krav
3,200,2023-06-30,Krav
3,200,2023-06-30,Krav
4,300,2023-07-01,Faktura
5,999,2022-09-01,Faktura
6,,2022-09-01,Faktura
"""


def make_folder(root: Path, files: dict[str, str | bytes], name: str = "2024") -> Path:
    """A data folder for ``volumes``: the defaults above, ``files`` added or replaced."""
    folder = root / name
    (folder / "extracts").mkdir(parents=True, exist_ok=True)
    defaults = {
        "model.yml": MODEL,
        "customers.csv": CUSTOMERS,
        "org_mapping.csv": ORG,
        "extracts.yml": CONFIG,
        "extracts/lev.csv": LEV,
    }
    for path, content in {**defaults, **files}.items():
        if content is None:
            continue
        target = folder / path
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            target.write_bytes(content)
        else:
            target.write_text(content, encoding="utf-8")
    return folder


def volumes_of(folder: Path) -> dict[tuple[str, str], float]:
    run = run_volumes(folder)
    return {(r.customer_id, r.key_id): r.volume for r in run.volumes.itertuples()}


def problems_of(folder: Path) -> list[str]:
    with pytest.raises(InputError) as error:
        run_volumes(folder)
    return [str(p) for p in error.value.problems]


def write_parquet(frame: pd.DataFrame, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    con.register("frame", frame)
    con.execute("COPY frame TO ? (FORMAT parquet)", [str(path)])
    con.close()


# --------------------------------------------------------------------------- the example


def test_example_reproduces_the_2024_volumes():
    """The committed extracts give exactly the volumes the model reads from volumes.csv
    (customer_mapping applied: the merged districts are on today's ids)."""
    run = run_volumes(DATA_2024)
    model = load_input(DATA_2024)
    expected = order_volumes(model.volumes, run.model)
    assert_frame_equal(run.volumes, expected, check_exact=True)


def test_example_extracts_stay_small():
    files = [p for p in (DATA_2024 / "extracts").rglob("*") if p.is_file()]
    assert {p.suffix for p in files} == {".csv", ".xlsx", ".parquet"}
    assert sum(p.stat().st_size for p in files) <= 5_000_000


def test_example_quality_findings():
    quality = run_volumes(DATA_2024).quality
    findings = quality[quality["check"] != "total_mot_forra_aret"]
    summary = {
        (
            r.check,
            None if pd.isna(r.key_id) else r.key_id,
            None if pd.isna(r.org_code) else r.org_code,
        ): int(r.rows)
        for r in findings.itertuples()
    }
    # The flaws scripts/generate_extracts.py puts into the example on purpose.
    assert summary == {
        ("utanfor_perioden", "antal_fakturor", None): 1,
        ("utanfor_perioden", "felaktiga_fakturor", None): 1,
        ("utanfor_perioden", "antal_krav", None): 15,
        ("utanfor_perioden", "totalt_antal_familjer", None): 40,
        ("utanfor_perioden", "familjer_med_maxtaxa", None): 33,
        ("okand_organisationskod", "antal_fakturor", "9990"): 1,
        ("okand_organisationskod", "felaktiga_fakturor", "9990"): 1,
        ("dubbletter", None, None): 6,
        ("saknat_varde", "antal_krav", None): 2,
    }
    totals = quality[quality["check"] == "total_mot_forra_aret"]
    assert len(totals) == 12 and not totals["flagged"].any()


def test_cli_writes_the_three_outputs_and_the_volumes_calculate_the_same_price_list(
    tmp_path, capsys
):
    from prismodell.calculation import calculate

    out = tmp_path / "out"
    assert main(["volumes", str(DATA_2024), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "Total per nyckel mot 2023:" in printed
    assert "  antal_fakturor                   1 170 728     +2,3 %" in printed
    assert "Datakvalitet: 9 saker att se över" in printed
    assert sorted(p.name for p in out.iterdir()) == [
        ".prismodell-output",  # the marker of a folder this tool writes
        "volume_quality.csv",
        "volumes.csv",
        "volymer.xlsx",
    ]
    quality = pd.read_csv(out / "volume_quality.csv")
    assert list(quality.columns) == QUALITY_COLUMNS
    sheets = pd.ExcelFile(out / "volymer.xlsx").sheet_names
    assert sheets == ["Volymer", "Per nyckel", "Datakvalitet"]

    copy = tmp_path / "data" / "2024"
    shutil.copytree(DATA_2024, copy)
    shutil.copy(out / "volumes.csv", copy / "volumes.csv")
    ours, theirs = calculate(load_input(copy)), calculate(load_input(DATA_2024))
    assert_frame_equal(ours.price_list, theirs.price_list, check_exact=True)


# --------------------------------------------------------------------------- counting rules


def test_rows_distinct_filters_period_and_many_codes_per_customer(tmp_path):
    found = volumes_of(make_folder(tmp_path, {}))
    # a: Nr 1 (code 100) and 2 (code 101); b: Nr 3 twice = one invoice; c: outside the period;
    # 999 unmapped; the row without a code is not counted.
    assert found == {("a", "fakturor"): 2, ("a", "krav"): 1, ("b", "fakturor"): 1, ("b", "krav"): 2}


def test_sum_of_a_swedish_semicolon_csv_with_month_columns(tmp_path):
    config = (
        CONFIG.replace("files: lev.csv", "files: lev_*.csv")
        .replace(
            "fakturor: {extract: lev, count: {distinct: Nr}}",
            "fakturor: {extract: lev, count: {sum: Antal fakturor}}",
        )
        .replace("    transaction_id: Nr\n", "")
    )
    first = "Ansvar;Datum;Antal fakturor;Typ\n100;2022-07;1 200;Faktura\n200;202301;2,5;Krav\n"
    second = "Ansvar;Datum;Antal fakturor;Typ\n100;2023-06-30 12:00:00;0,5;Faktura\n"
    folder = make_folder(
        tmp_path,
        {
            "extracts.yml": config,
            "extracts/lev.csv": None,
            "extracts/lev_1.csv": first,
            "extracts/lev_2.csv": second,
        },
    )
    assert volumes_of(folder) == {
        ("a", "fakturor"): 1200.5,
        ("b", "fakturor"): 2.5,
        ("b", "krav"): 1,
    }


def test_an_excel_csv_with_byte_order_mark_semicolons_and_crlf(tmp_path):
    text = ("\ufeff" + LEV.replace(",", ";")).replace("\n", "\r\n")
    found = volumes_of(make_folder(tmp_path, {"extracts/lev.csv": text.encode("utf-8")}))
    assert found == {("a", "fakturor"): 2, ("a", "krav"): 1, ("b", "fakturor"): 1, ("b", "krav"): 2}


def test_one_of_not_one_of_and_a_period_override(tmp_path):
    config = CONFIG.replace(
        "    transaction_id: Nr\n",
        "    transaction_id: Nr\n    period: {start: 2022-08, end: 2023-07}\n",
    ).replace(
        "filters: [{column: Typ, equals: Krav}]",
        "filters: [{column: Typ, one_of: [Krav, Faktura]}, {column: Ansvar, not_one_of: [101]}]",
    )
    found = volumes_of(make_folder(tmp_path, {"extracts.yml": config}))
    # 2022-07 (Nr 1) is before the override; 2023-07 (Nr 4, c) is inside it.
    assert found == {
        ("a", "fakturor"): 1,
        ("b", "fakturor"): 1,
        ("b", "krav"): 2,
        ("c", "fakturor"): 1,
        ("c", "krav"): 1,
    }


def test_xlsx_and_parquet_extracts(tmp_path):
    frame = pd.DataFrame(
        {
            "Nr": [1, 2, 3],
            "Ansvar": [100, 200, 300],
            "Datum": ["2022-07-01"] * 3,
            "Typ": ["Krav", "Faktura", "Krav"],
        }
    )
    folder = make_folder(tmp_path, {})
    frame.to_excel(folder / "extracts" / "lev.xlsx", index=False)
    write_parquet(
        frame.assign(Datum=pd.to_datetime(frame["Datum"]).dt.date),
        folder / "extracts" / "lev.parquet",
    )
    expected = {
        ("a", "fakturor"): 1,
        ("a", "krav"): 1,
        ("b", "fakturor"): 1,
        ("c", "fakturor"): 1,
        ("c", "krav"): 1,
    }
    for name in ("lev.xlsx", "lev.parquet"):
        (folder / "extracts.yml").write_text(CONFIG.replace("lev.csv", name), encoding="utf-8")
        assert volumes_of(folder) == expected, name


def test_latin1_extract_when_the_configuration_says_so(tmp_path):
    text = LEV.replace("Krav", "Påminnelse")
    config = CONFIG.replace("    transaction_id: Nr\n", "    encoding: latin-1\n").replace(
        "equals: Krav", "equals: Påminnelse"
    )
    found = volumes_of(
        make_folder(tmp_path, {"extracts.yml": config, "extracts/lev.csv": text.encode("latin-1")})
    )
    assert found[("b", "krav")] == 2


def test_customer_mapping_moves_merged_customers(tmp_path):
    folder = make_folder(
        tmp_path,
        {"customer_mapping.csv": "from_customer_id,to_customer_id,share\nb,a,1\n"},
    )
    assert volumes_of(folder) == {("a", "fakturor"): 3, ("a", "krav"): 3}


def test_hostile_column_names_and_values_stay_data(tmp_path):
    column = 'Typ"; DROP TABLE x; --'
    value = "Krav'); SELECT 1; --"
    lev = LEV.replace("Typ", f'"{column.replace(chr(34), chr(34) * 2)}"').replace(
        "Krav", f'"{value}"'
    )
    config = CONFIG.replace(
        "filters: [{column: Typ, equals: Krav}]",
        f"filters: [{{column: '{column}', equals: \"{value}\"}}]",
    )
    found = volumes_of(make_folder(tmp_path, {"extracts.yml": config, "extracts/lev.csv": lev}))
    assert found[("b", "krav")] == 2 and found[("a", "krav")] == 1


def test_values_and_files_never_enter_the_sql_text(tmp_path, monkeypatch):
    """Filter values, periods and file names are bound parameters; a column name appears
    only as a quoted identifier."""
    from prismodell import extract_engine

    seen: list[str] = []
    real = extract_engine.connect

    class Recording:
        def __init__(self):
            self.con = real()

        def execute(self, sql, *args):
            seen.append(sql)
            return self.con.execute(sql, *args)

        def __getattr__(self, name):
            return getattr(self.con, name)

    monkeypatch.setattr(extract_engine, "connect", Recording)
    value = "Krav'); DROP TABLE x; --"
    config = CONFIG.replace(
        "filters: [{column: Typ, equals: Krav}]",
        f"filters: [{{column: 'Typ', one_of: [\"{value}\", Krav]}}]",
    )
    volumes_of(make_folder(tmp_path, {"extracts.yml": config}))
    assert seen
    text = "\n".join(seen)
    assert value not in text and "Krav" not in text and "lev.csv" not in text
    assert '"Typ"' in text and "2022" not in text


@settings(
    max_examples=examples(25),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["100", "101", "200", "300", "999", ""]),
            st.sampled_from(["2022-06", "2022-07", "2022-12", "2023-06", "2023-07"]),
            st.integers(min_value=-5, max_value=50),
        ),
        min_size=1,
        max_size=40,
    )
)
def test_every_row_is_counted_once_or_reported(tmp_path_factory, rows):
    """Invariant: the volumes plus the reported rows (unmapped, outside, missing, negative)
    account for every row of the extract, and the volumes equal a direct count."""
    root = tmp_path_factory.mktemp("prop")
    lev = "Ansvar,Datum,Antal\n" + "".join(f"{o},{d},{v}\n" for o, d, v in rows)
    config = (
        "extracts:\n  lev: {source: Agresso, files: lev.csv, org_column: Ansvar, "
        "date_column: Datum}\nkeys:\n  fakturor: {extract: lev, count: {sum: Antal}}\n"
        "  krav: {extract: lev, count: rows}\n"
    )
    run = run_volumes(make_folder(root, {"extracts.yml": config, "extracts/lev.csv": lev}))
    codes = {"100": "a", "101": "a", "200": "b", "300": "c"}
    inside = [(codes.get(o), v) for o, d, v in rows if "2022-07" <= d <= "2023-06" and o]
    expected_rows: dict[str, int] = {}
    expected_sum: dict[str, int] = {}
    for customer, value in inside:
        if customer:
            expected_rows[customer] = expected_rows.get(customer, 0) + 1
            expected_sum[customer] = expected_sum.get(customer, 0) + max(value, 0)
    got = {(r.key_id, r.customer_id): r.volume for r in run.volumes.itertuples()}
    assert {c: v for (k, c), v in got.items() if k == "krav"} == expected_rows
    assert {c: v for (k, c), v in got.items() if k == "fakturor"} == {
        c: v for c, v in expected_sum.items() if v > 0
    }
    quality = run.quality[run.quality["key_id"] == "krav"]
    reported = int(quality.loc[quality["check"] != "okand_organisationskod", "rows"].sum())
    unmapped = int(quality.loc[quality["check"] == "okand_organisationskod", "rows"].sum())
    assert sum(expected_rows.values()) + reported + unmapped == len(rows)


# --------------------------------------------------------------------------- quality report


def test_previous_year_comparison_and_lost_customers(tmp_path):
    previous = make_folder(tmp_path, {}, "2023")
    (previous / "model.yml").write_text(
        MODEL.replace("2024", "2023").replace("2022-07", "2021-07").replace("2023-06", "2022-06"),
        encoding="utf-8",
    )
    (previous / "staffing.csv").write_text("service_area,staff_category,fte\nlev,ekonom,1\n")
    (previous / "volumes.csv").write_text(
        "customer_id,key_id,volume\na,fakturor,2\nb,fakturor,1\nc,fakturor,1\nb,krav,2\n"
    )
    run = run_volumes(make_folder(tmp_path, {}))
    assert run.previous_year == 2023
    totals = run.totals.set_index("key_id")
    assert totals.loc["fakturor", "previous_volume"] == 4
    assert totals.loc["fakturor", "change"] == pytest.approx(3 / 4 - 1)
    assert not totals.loc["fakturor", "flagged"]
    assert totals.loc["krav", "change"] == pytest.approx(3 / 2 - 1)
    assert totals.loc["krav", "flagged"]
    lost = run.quality[run.quality["check"] == "ingen_volym_i_ar"]
    assert list(zip(lost["customer_id"], lost["key_id"], strict=True)) == [("c", "fakturor")]
    from prismodell.volumes import chapter_intro

    assert "1 av 2 nycklar skiljer sig mer än ±25\u00a0% från 2023: Krav." in chapter_intro(
        run
    ).replace("\\", "")


def test_a_weighted_key_without_any_volume_is_flagged(tmp_path):
    lev = LEV.replace("Krav", "Faktura")
    run = run_volumes(make_folder(tmp_path, {"extracts/lev.csv": lev}))
    flagged = run.quality[run.quality["check"] == "nyckel_utan_volym"]
    assert flagged["key_id"].tolist() == ["krav"]
    assert flagged["description"].iloc[0].startswith("Nyckeln har vikten 40 % men ingen volym")


def test_a_broken_previous_folder_is_noted_not_fatal(tmp_path):
    make_folder(tmp_path, {}, "2023")  # no staffing.csv, no volumes.csv: does not load
    run = run_volumes(make_folder(tmp_path, {}))
    assert run.previous_year is None
    note = run.quality[run.quality["check"] == "forra_aret_olasbart"]
    assert note["description"].str.startswith("2023/ har ").tolist() == [True]


def test_quality_lists_unmapped_duplicates_missing_and_outside(tmp_path):
    quality = run_volumes(make_folder(tmp_path, {})).quality
    rows = {(r.check, r.key_id): int(r.rows) for r in quality.itertuples()}
    assert rows[("okand_organisationskod", "fakturor")] == 1
    duplicates = quality[quality["check"] == "dubbletter"]
    assert duplicates["extract"].tolist() == ["lev"] and duplicates["rows"].tolist() == [1]
    assert rows[("saknat_varde", "fakturor")] == 1
    assert rows[("utanfor_perioden", "fakturor")] == 1
    assert "total_mot_forra_aret" not in set(quality["check"])  # no 2023 folder beside it


def test_a_row_missing_both_its_code_and_its_value_is_one_missing_row(tmp_path):
    lev = LEV + "7,,2022-10-01,Krav\n,,2022-10-01,Krav\n"
    quality = run_volumes(make_folder(tmp_path, {"extracts/lev.csv": lev})).quality
    missing = quality[quality["check"] == "saknat_varde"].set_index("key_id")["rows"]
    assert missing.to_dict() == {"fakturor": 3, "krav": 2}


def test_negative_values_are_reported_and_not_counted(tmp_path):
    config = (
        "extracts:\n  lev: {source: Agresso, files: lev.csv, org_column: Ansvar, "
        "date_column: Datum}\nkeys:\n  fakturor: {extract: lev, count: {sum: Antal}}\n"
        "  krav: {extract: lev, count: rows}\n"
    )
    lev = "Ansvar,Datum,Antal\n100,2022-07,5\n100,2022-08,-2\n"
    run = run_volumes(make_folder(tmp_path, {"extracts.yml": config, "extracts/lev.csv": lev}))
    assert volumes_of(run.model.data_dir)[("a", "fakturor")] == 5
    negative = run.quality[run.quality["check"] == "negativt_varde"]
    assert negative["rows"].tolist() == [1]


def test_outputs_are_written_through_one_staging_function(tmp_path):
    run = run_volumes(make_folder(tmp_path, {}))
    stage = tmp_path / "stage"
    stage.mkdir()
    written = write_volume_outputs(run, stage)
    assert [p.name for p in written] == ["volumes.csv", "volume_quality.csv", "volymer.xlsx"]
    assert (stage / "volumes.csv").read_text() == (
        "customer_id,key_id,volume\na,fakturor,2\na,krav,1\nb,fakturor,1\nb,krav,2\n"
    )


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        (
            {"extracts/lev.csv": LEV.replace("Ansvar", "Ansvarskod")},
            "extracts/lev.csv, rad 1, kolumn 'Ansvar': kolumnen saknas: kolumnen heter "
            "'Ansvarskod'",
        ),
        (
            {"extracts/lev.csv": LEV.replace("2022-08-15", "15/8 2022")},
            "extracts/lev.csv, rad 3, kolumn 'Datum': datumet '15/8 2022' kan inte läsas",
        ),
        (
            {
                "extracts/lev.csv": LEV.replace("Påminnelse", "x")
                .replace("Krav", "Kr\xe5v")
                .encode("latin-1")
            },
            "extracts/lev.csv, rad 3: filen är inte UTF-8-kodad",
        ),
        (
            {"extracts/lev.csv": LEV.replace("3,200,2023-06-30,Krav\n3", "3,200,2023-06-30\n3")},
            "extracts/lev.csv, rad 4: raden har 3 fält men rubrikraden 4",
        ),
        (
            {"extracts.yml": CONFIG + "keys: {}\n"},
            "extracts.yml, rad 11: fältet 'keys' står två gånger i samma avsnitt (rad 8 och",
        ),
        (
            {"extracts.yml": CONFIG.replace("  lev:\n", "  lev: &x\n") + "  y: *x\n"},
            "extracts.yml, rad 2: ankaret &x (YAML-ankare) används inte",
        ),
        (
            {"extracts.yml": CONFIG.replace("files: lev.csv", "files: ../lev.csv")},
            "extracts.yml, rad 4, kolumn 'extracts → lev → files': '../lev.csv' pekar utanför",
        ),
        (
            {"extracts.yml": CONFIG.replace("files: lev.csv", "files: saknas.csv")},
            "ingen fil i extracts/ matchar 'saknas.csv'",
        ),
        (
            {"extracts.yml": CONFIG.replace("  krav:", "  kraav:")},
            "nyckeln 'kraav' finns inte i model.yml. Menade du 'krav'?",
        ),
        (
            {"extracts.yml": CONFIG.replace("count: rows", "count: {max: Nr}")},
            "count ska vara rows",
        ),
        (
            {"extracts.yml": CONFIG.replace("equals: Krav", "equals: [Krav]")},
            "equals ska vara ett värde",
        ),
        (
            {"org_mapping.csv": ORG + "Agresso,400,d\n"},
            "org_mapping.csv, rad 6, kolumn 'customer_id': kunden 'd' finns inte i customers.csv",
        ),
        (
            {"org_mapping.csv": ORG + "Agresso,100,b\n"},
            "org_mapping.csv, rad 6, kolumn 'org_code': source='Agresso', org_code='100' "
            "förekommer redan på rad 2",
        ),
        (
            {"org_mapping.csv": ORG + "Agreso,400,b\n"},
            "källsystemet 'Agreso' finns inte i extracts.yml (source). Menade du 'Agresso'?",
        ),
        ({"extracts.yml": None, "model.yml": MODEL}, "extracts.yml: filen saknas"),
        (
            {"extracts.yml": CONFIG.split("  krav:")[0]},
            "nyckeln 'krav' i model.yml saknas. Ange vilket uttag den räknas ur",
        ),
        ({"org_mapping.csv": None}, "org_mapping.csv: filen saknas"),
    ],
)
def test_bad_input_names_file_row_and_column(tmp_path, files, expected):
    folder = make_folder(tmp_path, files)
    for name, content in files.items():
        if content is None:
            (folder / name).unlink(missing_ok=True)
    found = problems_of(folder)
    assert any(expected in p for p in found), found


def test_unparseable_numbers_and_type_conflicts_between_files(tmp_path):
    config = (
        "extracts:\n  lev: {source: Agresso, files: 'lev*.parquet', org_column: Ansvar, "
        "date_column: Datum}\n  tal: {source: Agresso, files: tal.csv, org_column: Ansvar, "
        "date_column: Datum}\nkeys:\n  fakturor: {extract: lev, count: {sum: Antal}}\n"
        "  krav: {extract: tal, count: {sum: Antal}}\n"
    )
    folder = make_folder(
        tmp_path,
        {"extracts.yml": config, "extracts/tal.csv": "Ansvar,Datum,Antal\n100,2022-07,tolv\n"},
    )
    base = pd.DataFrame({"Ansvar": ["100"], "Datum": ["2022-07"]})
    write_parquet(base.assign(Antal=[12]), folder / "extracts" / "lev1.parquet")
    write_parquet(base.assign(Antal=["12"]), folder / "extracts" / "lev2.parquet")
    found = problems_of(folder)
    assert any(
        p.startswith("extracts/tal.csv, rad 2, kolumn 'Antal': 'tolv' är inte ett tal")
        for p in found
    )
    assert any(
        p.startswith(
            "extracts/lev2.parquet, rad 1, kolumn 'Antal': kolumnen är text här men tal i "
            "extracts/lev1.parquet"
        )
        for p in found
    ), found


def test_a_file_that_is_not_parquet_and_a_header_in_another_encoding(tmp_path):
    config = CONFIG.replace("files: lev.csv", "files: [lev.parquet, lev.csv]")
    folder = make_folder(
        tmp_path,
        {
            "extracts.yml": config,
            "extracts/lev.parquet": b"PAR1 not really",
            "extracts/lev.csv": "Nr,Ansvar,Datum,Typ,Förvaltning\n".encode("latin-1"),
        },
    )
    assert problems_of(folder) == [
        "extracts/lev.parquet: filen kunde inte läsas som parquet. Exportera uttaget på nytt "
        "(eller som CSV).",
        "extracts/lev.csv, rad 1: filen är inte UTF-8-kodad. Spara om den som UTF-8, eller "
        "ange encoding: latin-1 för uttaget i extracts.yml.",
    ]


def test_a_link_out_of_the_extracts_folder_is_refused(tmp_path):
    folder = make_folder(tmp_path, {})
    (tmp_path / "secret.csv").write_text(LEV, encoding="utf-8")
    (folder / "extracts" / "lev.csv").unlink()
    (folder / "extracts" / "lev.csv").symlink_to(tmp_path / "secret.csv")
    assert any("lev.csv pekar utanför extracts/" in p for p in problems_of(folder))


def test_many_bad_dates_are_counted_not_listed_one_by_one(tmp_path):
    lev = "Nr,Ansvar,Datum,Typ\n" + "".join(f"{i},100,igår,Krav\n" for i in range(10))
    found = problems_of(make_folder(tmp_path, {"extracts/lev.csv": lev}))
    assert len(found) == 4
    assert (
        found[-1]
        == "extracts/lev.csv, kolumn 'Datum': ytterligare 7 rader har samma fel i kolumnen."
    )


def test_cli_bad_input_exit_2_and_nothing_written(tmp_path, capsys):
    folder = make_folder(tmp_path, {"extracts/lev.csv": LEV.replace("2022-08-15", "x")})
    out = tmp_path / "out"
    assert main(["volumes", str(folder), "--out", str(out)]) == 2
    assert not out.exists()
    err = capsys.readouterr().err
    assert "Indata har 1 fel – inget har skrivits" in err and "Traceback" not in err


def test_cli_refuses_to_write_into_the_data_folder(tmp_path):
    folder = make_folder(tmp_path, {})
    assert main(["volumes", str(folder), "--out", str(folder)]) == 2
    assert not (folder / "volume_quality.csv").exists()


# --------------------------------------------------------------------------- the book chapter


def test_chapter_texts_and_tables_of_the_2024_example():
    from prismodell.volumes import chapter_intro, findings_table, load_chapter, totals_table

    run, problems = load_chapter(DATA_2024)
    assert problems == []
    intro = chapter_intro(run, problems).replace("\\", "")
    assert "Volymerna för de 12 fördelningsnycklarna" in intro
    assert "Uttaget familjer (BER) avser perioden 2022-08 – 2023-07." in intro
    assert "Ingen nyckels total skiljer sig mer än ±25\u00a0% från 2023." in intro
    assert "gav 9 anmärkningar" in intro
    totals = totals_table(run)
    assert list(totals.columns) == [
        "area",
        "name",
        "source",
        "volume",
        "previous_volume",
        "change",
        "flagged_text",
    ]
    assert totals["volume"].sum() == run.volumes["volume"].sum()
    findings = findings_table(run)
    assert len(findings) == 9
    assert "uttaget leverantorsreskontra, kod 9990" in set(findings["where"])


def test_chapter_without_extracts_or_with_bad_extracts(tmp_path):
    from prismodell.volumes import chapter_intro, load_chapter

    from .conftest import MINI

    assert load_chapter(MINI) == (None, [])
    assert chapter_intro(None, []).startswith("Årets volymer är inlästa som färdiga tal")
    folder = make_folder(tmp_path, {"extracts/lev.csv": LEV.replace("Ansvar", "Ansvarskod")})
    run, problems = load_chapter(folder)
    assert run is None and len(problems) == 1
    text = chapter_intro(run, problems)
    assert "kunde inte läsas" in text and "Ansvarskod" in text


@pytest.mark.slow
def test_the_chapter_notebook_runs_on_the_2024_example(tmp_path, chapter_kernel):
    import papermill

    out = tmp_path / "volymer.ipynb"
    papermill.execute_notebook(
        str(REPO / "notebooks" / "volymer.ipynb"),
        str(out),
        parameters={"data_dir": str(DATA_2024)},
        cwd=str(REPO / "notebooks"),
        progress_bar=False,
        kernel_name=chapter_kernel,
    )
    text = out.read_text(encoding="utf-8")
    assert "Volym per fördelningsnyckel" in text and "Anmärkningar i källsystemens uttag" in text


@pytest.mark.parametrize(
    ("text", "month"),
    [
        ("2022-07", 202207),
        ("202207", 202207),
        ("2022-07-15", 202207),
        ("2022-07-15 10:30:00", 202207),
        ("2022-07-15T10:30", 202207),
        ("20220715", 202207),
        ("2022-13", None),
        ("2022-00", None),
        ("2022-02-30", None),
        ("+20207", None),
        ("2022-+7", None),
        ("15/7 2022", None),
        ("infinity", None),
    ],
)
def test_month_of_a_date_text(text, month):
    from prismodell.extract_engine import connect

    con = connect()
    assert con.execute("SELECT pm_month(?)", [text]).fetchone()[0] == month


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("1 234", 1234.0),
        ("1\u00a0234,5", 1234.5),
        ("12.5", 12.5),
        ("-3", -3.0),
        ("1,234,5", None),
        ("tolv", None),
        ("inf", None),
    ],
)
def test_number_as_a_swedish_export_writes_it(text, number):
    from prismodell.extract_engine import connect

    assert connect().execute("SELECT pm_number(?)", [text]).fetchone()[0] == number
