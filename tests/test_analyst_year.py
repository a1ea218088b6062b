"""The analyst's year (issue 11): customers that leave, join and merge; Excel's own files;
warnings for what was not updated; and the walk-through of docs/arsrutin.md end to end."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from prismodell import report_tables as tables
from prismodell import style, trends
from prismodell.calculation import CUSTOMER_JOINED, CUSTOMER_LEFT, calculate, compare
from prismodell.inputs import (
    EXCEL_ENCODING_NOTICE,
    InputError,
    close_match,
    load_input,
    unknown_problems,
)
from prismodell.notices import (
    all_notices,
    notices_section,
    previous_total_notices,
    unchanged_notices,
)
from prismodell.pipeline import reproducibility_page

from .conftest import REPO, examples, run_cli

DATA = REPO / "data"


def _problems(folder: Path) -> list[str]:
    with pytest.raises(InputError) as caught:
        load_input(folder)
    return [str(p) for p in caught.value.problems]


# --------------------------------------------------------------------------- §1 leavers


def test_leaver_is_not_an_error_but_a_notice(mini: Path):
    customers = pd.read_csv(mini / "customers.csv")
    customers[customers["customer_id"] != "B01"].to_csv(mini / "customers.csv", index=False)
    volumes = pd.read_csv(mini / "volumes.csv")
    volumes[volumes["customer_id"] != "B01"].to_csv(mini / "volumes.csv", index=False)

    model = load_input(mini)
    [notice] = model.notices
    assert notice.file == "previous_charges.csv" and notice.row == 5
    assert "'B01' finns inte i customers.csv och räknas som en kund som har lämnat" in str(notice)
    assert "Menade du" not in str(notice)  # no id is close to B01

    result = calculate(model)
    comparison = result.comparison
    previous = pd.read_csv(mini / "previous_charges.csv")
    assert comparison.previous_total == previous["amount"].sum()  # the leaver stays in it
    assert comparison.left == ("B01",) and comparison.joined == ()
    row = comparison.by_customer.set_index("customer_id").loc["B01"]
    assert (row["previous"], row["new"], row["status"]) == (300000, 0, CUSTOMER_LEFT)

    table = tables.customer_comparison(model, result)
    assert table.set_index("customer_id").at["B01", "status"] == "har lämnat"
    assert tables.customer_comparison_table(model, result)["previous"].iloc[-1] == (
        previous["amount"].sum()
    )
    assert "B01 har lämnat sedan föregående år" in tables.customer_changes_text(model, result)


def test_leaver_with_a_close_id_gets_a_suggestion(mini: Path):
    previous = (mini / "previous_charges.csv").read_text(encoding="utf-8")
    (mini / "previous_charges.csv").write_text(previous.replace("FF01,", "FF1,"), "utf-8")
    model = load_input(mini)
    [notice] = model.notices
    assert "kunden 'FF1'" in notice.message and "Menade du 'FF01'?" in notice.message


def test_status_marks_joiners_and_leavers():
    prices = pd.DataFrame(
        {"customer_id": ["A", "NY"], "service_area": ["x", "x"], "amount": [10, 5]}
    )
    previous = pd.DataFrame(
        {"customer_id": ["A", "GAMMAL"], "service_area": ["x", "x"], "amount": [8.0, 7.0]}
    )
    comparison = compare(prices, previous, None, ["x"], ["A", "NY"])
    assert comparison.status.to_dict() == {"A": "", "GAMMAL": CUSTOMER_LEFT, "NY": CUSTOMER_JOINED}
    assert comparison.previous_total == 15 and comparison.new_total == 15
    assert comparison.joined == ("NY",) and comparison.left == ("GAMMAL",)
    # a customer still listed but without charges this year has not left
    assert compare(prices, previous, None, ["x"], ["A", "NY", "GAMMAL"]).left == ()


def test_workbook_marks_leavers(mini: Path, tmp_path: Path):
    from openpyxl import load_workbook

    customers = pd.read_csv(mini / "customers.csv")
    customers[customers["customer_id"] != "B01"].to_csv(mini / "customers.csv", index=False)
    volumes = pd.read_csv(mini / "volumes.csv")
    volumes[volumes["customer_id"] != "B01"].to_csv(mini / "volumes.csv", index=False)
    assert run_cli("calculate", mini, "--out", tmp_path / "ut") == 0
    sheet = load_workbook(tmp_path / "ut" / "prislista.xlsx")["Jämförelse"]
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    header = next(r for r in rows if r and r[0] == "Kund-id")
    status = header.index("Anmärkning")
    assert {r[status] for r in rows if r and r[0] == "B01"} == {"har lämnat"}


# --------------------------------------------------------------------------- §1 messages


def test_close_match_only_when_close():
    assert close_match("SDF1", ["SDF01", "SDF02"]) == "SDF01"
    assert close_match("hyresadmin", ["hyresadministration"]) == "hyresadministration"
    assert close_match("antal_krv", ["antal_krav", "antal_fakturor"]) == "antal_krav"
    # ids that share only the prefix sdf_ are not a suggestion
    assert close_match("sdf_ostermalm", ["sdf_norrmalm", "sdf_norra_innerstaden"]) is None
    assert close_match("sdf_skarholmen", ["sdf_skarpnack"]) is None


def test_unknown_value_reported_once_with_its_rows():
    table = pd.DataFrame({"customer_id": ["X", "A", "X", "X"]}, index=[2, 3, 4, 5])
    known = [f"kund_{i:02d}" for i in range(29)] + ["A"]
    [problem] = unknown_problems(table, "customer_id", known, "volumes.csv", "kunden", "k.csv")
    assert problem.row == 2
    assert "Samma värde finns även på rad 4 och 5." in problem.message
    assert "kund_00" not in problem.message  # 30 valid ids are not listed in every message
    assert "Se k.csv för de 30 giltiga värdena." in problem.message
    short = unknown_problems(table, "customer_id", ["A", "B"], "v.csv", "kunden", "k.csv")
    assert "Giltiga värden: A, B." in short[0].message


def test_merged_district_points_to_the_mapping_file(tmp_path: Path):
    data = tmp_path / "data"
    shutil.copytree(DATA / "2024", data / "2024")
    assert run_cli("new-year", 2025, "--from", data / "2024") == 0
    folder = data / "2025"
    model_2024 = load_input(data / "2024")
    shutil.copy(data / "2024" / "staffing.csv", folder / "staffing.csv")
    # last year's raw volumes, on the ids before the merger: 4 ids on 28 rows
    shutil.copy(data / "2024" / "volumes.csv", folder / "volumes.csv")
    old_charges = pd.read_csv(folder / "previous_charges.csv")
    old_charges.loc[old_charges["customer_id"] == "sdf_jarva", "customer_id"] = "sdf_spanga_tensta"
    old_charges.to_csv(folder / "previous_charges.csv", index=False)

    problems = _problems(folder)
    merged = ["sdf_rinkeby_kista", "sdf_spanga_tensta", "sdf_norrmalm", "sdf_ostermalm"]
    volume_problems = [p for p in problems if p.startswith("volumes.csv")]
    assert len(volume_problems) == len(merged)  # once per id, not once per row
    for problem in volume_problems:
        assert "2024/customer_mapping.csv" in problem and "'sdf_" in problem
        assert "Giltiga värden" not in problem and "Menade du" not in problem
    assert any(
        "kunden 'sdf_norrmalm'" in p and "'sdf_norra_innerstaden'" in p and "rad " in p
        for p in volume_problems
    )
    [charges] = [p for p in problems if p.startswith("previous_charges.csv")]
    assert "'sdf_spanga_tensta'" in charges and "2024/customer_mapping.csv" in charges
    assert len(model_2024.customers) == 29


def test_volumes_of_a_customer_that_was_removed(mini: Path):
    customers = pd.read_csv(mini / "customers.csv")
    customers[customers["customer_id"] != "B01"].to_csv(mini / "customers.csv", index=False)
    [problem] = _problems(mini)
    assert problem.startswith("volumes.csv, rad 11, kolumn 'customer_id': kunden 'B01'")
    assert "Den fanns förra året (previous_charges.csv)" in problem
    assert "customer_mapping.csv" in problem


def test_errors_in_one_file_do_not_hide_the_others(mini: Path):
    (mini / "model.yml").write_text("price_list_year: [2023\n", encoding="utf-8")
    volumes = (mini / "volumes.csv").read_text(encoding="utf-8")
    (mini / "volumes.csv").write_text(volumes.replace("B01,", "B99,"), encoding="utf-8")
    (mini / "customers.csv").write_text(
        (mini / "customers.csv").read_text(encoding="utf-8") + "SDF01,Dubblett,\n", "utf-8"
    )
    problems = _problems(mini)
    assert any(p.startswith("model.yml") and "YAML-syntaxfel" in p for p in problems)
    assert any(p.startswith("volumes.csv") and "'B99'" in p for p in problems)
    assert any(p.startswith("customers.csv") and "förekommer redan" in p for p in problems)


# --------------------------------------------------------------------------- §2 Excel's files


def _excel_csv(frame: pd.DataFrame, path: Path) -> None:
    """As Swedish Excel's "CSV (semikolonavgränsad)" writes: cp1252, CRLF, ';', decimal comma."""
    lines = [";".join(frame.columns)]
    for row in frame.itertuples(index=False):
        lines.append(";".join(str(v).replace(".", ",") if isinstance(v, float) else str(v)
                              for v in row))
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("cp1252"))


def test_excel_semicolon_file_in_windows_1252(mini: Path):
    customers = pd.read_csv(mini / "customers.csv")
    customers.loc[0, "name"] = "Hägersten-Älvsjö, Östermalm & Spånga"
    _excel_csv(customers, mini / "customers.csv")
    staffing = pd.read_csv(mini / "staffing.csv")
    staffing["fte"] = staffing["fte"].astype(float) + 0.5
    _excel_csv(staffing, mini / "staffing.csv")
    assert b"\xe4" in (mini / "customers.csv").read_bytes()  # ä in cp1252, not UTF-8

    model = load_input(mini)
    assert model.customers.loc[0, "name"] == "Hägersten-Älvsjö, Östermalm & Spånga"
    assert model.staffing["fte"].tolist() == staffing["fte"].tolist()  # decimal commas
    assert [(n.file, n.message) for n in model.notices] == [
        ("customers.csv", EXCEL_ENCODING_NOTICE)  # staffing.csv is plain ASCII: valid UTF-8
    ]


def test_comma_file_that_is_not_utf8_is_still_refused(mini: Path):
    text = (mini / "customers.csv").read_text(encoding="utf-8")
    (mini / "customers.csv").write_bytes(text.encode("cp1252"))
    [problem] = _problems(mini)
    assert problem.startswith("customers.csv: filen är inte UTF-8")


def test_empty_template_gives_way_to_a_filled_workbook(mini: Path):
    volumes = pd.read_csv(mini / "volumes.csv")
    volumes.to_excel(mini / "volumes.xlsx", index=False)
    (mini / "volumes.csv").write_text("customer_id,key_id,volume\n", encoding="utf-8")
    model = load_input(mini)
    assert model.files["volumes"].name == "volumes.xlsx"
    assert len(model.volumes) == len(volumes)
    [notice] = model.notices
    assert str(notice).startswith("volumes.csv: filen är tom (bara rubrikrad) och används inte")

    volumes.to_csv(mini / "volumes.csv", index=False)  # both filled: still ambiguous
    assert any("både volumes.csv och volumes.xlsx finns" in p for p in _problems(mini))


# --------------------------------------------------------------------------- §3 warnings


@pytest.fixture
def year_2025(tmp_path: Path) -> Path:
    """data/2024 beside a fresh data/2025 made by new-year and filled like last year."""
    data = tmp_path / "data"
    shutil.copytree(DATA / "2024", data / "2024")
    assert run_cli("new-year", 2025, "--from", data / "2024") == 0
    folder = data / "2025"
    model_2024 = load_input(data / "2024")
    for name in ("staffing", "other_costs"):
        shutil.copy(data / "2024" / f"{name}.csv", folder / f"{name}.csv")
    model_2024.volumes.to_csv(folder / "volumes.csv", index=False)  # on today's ids
    return folder


def test_unchanged_items_warn_once_each(year_2025: Path, capsys):
    model = load_input(year_2025)
    messages = [str(n) for n in unchanged_notices(model)]
    assert messages[:3] == [
        "model.yml: kostnadsschablonerna (cost_standards) är oförändrade från 2024 – stämmer det?",
        "model.yml: den förvaltningsövergripande overheaden per årsarbetare "
        "(administration_overhead_per_fte) är oförändrad från 2024 – stämmer det?",
        "model.yml: fördelningsnycklarnas vikter är oförändrade från 2024 – stämmer det?",
    ]
    assert "'2025 i fokus' (focus) är samma som under '2024 i fokus' (verksamhetsområdet" in (
        messages[3]
    )
    assert messages[4].startswith("rapport/: rapportens texter i about.yml,")
    assert "README.md" not in messages[4]
    assert len(messages) == 5

    capsys.readouterr()
    assert run_cli("calculate", year_2025, "--out", year_2025.parent / "ut") == 0
    err = capsys.readouterr().err
    assert "Varningar (5) – körningen fortsätter:" in err
    assert err.count("stämmer det?") == 5

    page = reproducibility_page(model, year_2025)
    assert "## Varningar vid bygget" in page and page.count("stämmer det") == 5


def test_updated_items_do_not_warn(year_2025: Path):
    settings = yaml.safe_load((year_2025 / "model.yml").read_text(encoding="utf-8"))
    text = (year_2025 / "model.yml").read_text(encoding="utf-8")
    text = text.replace(
        f"ekonom: {settings['cost_standards']['ekonom']}",
        f"ekonom: {settings['cost_standards']['ekonom'] + 12000}",
    ).replace(
        f"administration_overhead_per_fte: {settings['administration_overhead_per_fte']}",
        "administration_overhead_per_fte: 125000",
    )
    (year_2025 / "model.yml").write_text(text, encoding="utf-8")
    assignments = year_2025 / "rapport" / "assignments.yml"
    raw = yaml.safe_load(assignments.read_text(encoding="utf-8"))
    raw["business_area"]["focus"] = ["Ny kundstruktur 2025."]
    assignments.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    model = load_input(year_2025)
    messages = " ".join(str(n) for n in unchanged_notices(model))
    assert "kostnadsschablonerna" not in messages and "overheaden" not in messages
    assert "(verksamhetsområdet" not in messages  # the service areas' focus is still stale
    [focus] = [n.message for n in unchanged_notices(model) if "i fokus" in n.message]
    assert "Leverantörsreskontra" in focus and "Hyresadministration" in focus
    assert "assignments.yml," not in messages  # no longer the same file as last year's
    assert "vikter" in messages  # the weights were not changed


def test_no_previous_year_no_warnings(mini: Path):
    model = load_input(mini)
    assert unchanged_notices(model) == []
    assert notices_section(model)[-2] == "Bygget gav inga varningar."


# --------------------------------------------------------------------------- the walk-through


def test_analyst_year_end_to_end(year_2025: Path, capsys):
    """docs/arsrutin.md: new-year from data/2024, fill in a joiner, a leaver and a changed
    base service, one calculate succeeds, and the report's previous totals agree."""
    folder = year_2025
    # a joiner: a new administration with volumes
    customers = pd.read_csv(folder / "customers.csv")
    joiner = {"customer_id": "klimatforvaltningen", "name": "Klimatförvaltningen",
              "type": "fackförvaltning"}
    customers = pd.concat([customers, pd.DataFrame([joiner])])
    # a leaver: a company that no longer buys, removed from customers.csv and volumes.csv
    leaver = "bolag_stockholms_hamn"
    assert leaver in set(customers["customer_id"])
    _excel_csv(customers[customers["customer_id"] != leaver], folder / "customers.csv")
    volumes = pd.read_csv(folder / "volumes.csv")
    volumes = volumes[volumes["customer_id"] != leaver]
    (folder / "volumes.csv").write_text("customer_id,key_id,volume\n", encoding="utf-8")
    new_rows = pd.DataFrame({"customer_id": ["klimatforvaltningen"] * 2,
                             "key_id": ["antal_fakturor", "aktiva_avtal"],
                             "volume": [5400, 120]})
    pd.concat([volumes, new_rows]).to_excel(folder / "volumes.xlsx", index=False)  # beside
    # the empty volumes.csv that new-year wrote: the filled workbook is read
    # a changed base service
    pd.DataFrame(
        [{"service_area": "kundreskontra", "change": "ny bastjänst",
          "description": "Påminnelser via e-faktura", "cost_effect": 250000}]
    ).to_csv(folder / "changed_assignments.csv", index=False)

    capsys.readouterr()
    assert run_cli("calculate", folder, "--out", folder.parent / "ut") == 0
    out, err = capsys.readouterr()
    assert "Nya kunder: 1, kunder som har lämnat: 1" in out
    assert f"kunden '{leaver}' finns inte i customers.csv och räknas som en kund som har " in err
    assert "customers.csv: filen är inte UTF-8 och lästes som Windows-1252" in err
    assert "volumes.csv: filen är tom (bara rubrikrad) och används inte" in err

    model = load_input(folder)
    result = calculate(model)
    previous_total = float(pd.read_csv(folder / "previous_charges.csv")["amount"].sum())
    comparison = result.comparison
    assert comparison.previous_total == previous_total
    assert model.customers.set_index("customer_id").at["klimatforvaltningen", "name"] == (
        "Klimatförvaltningen"
    )
    assert comparison.left == (leaver,) and comparison.joined == ("klimatforvaltningen",)
    assert tables.comparison_summary(result)["previous_total"] == previous_total
    assert tables.customer_comparison_table(model, result)["previous"].iloc[-1] == previous_total
    assert tables.area_comparison_table(model, result)["previous"].iloc[-1] == previous_total
    assert comparison.changed_assignments_total == 250000
    # the trend chapter's 2024 column is 2024's own price list: the same total
    years = trends.load_years(folder, model)
    assert [y.year for y in years] == [2024, 2025]
    charges = trends.with_total_row(trends.customer_charge_trend(years), years)
    assert charges["2024"].iloc[-1] == previous_total
    assert charges.set_index("customer_id").at[leaver, "2024"] > 0
    text = tables.customer_changes_text(model, result)
    assert "Ny kund i år: Klimatförvaltningen." in text and f"{leaver} har lämnat" in text
    assert len(all_notices(model)) >= 2


def test_previous_charges_that_disagree_with_last_year_warn(year_2025: Path):
    model = load_input(year_2025)
    assert previous_total_notices(model) == []  # new-year wrote last year's price list
    charges = pd.read_csv(year_2025 / "previous_charges.csv")
    charges = charges.iloc[1:]  # the analyst deleted a row
    charges.to_csv(year_2025 / "previous_charges.csv", index=False)
    model = load_input(year_2025)
    [notice] = previous_total_notices(model)
    assert notice in all_notices(model)  # build and the reproducibility page
    assert notice not in all_notices(model, report=False)  # calculate
    assert style.md_escape(str(notice)) in " ".join(notices_section(model))
    assert "men prislistan 2024 beräknad ur 2024/ summerar till 131 324 300 kr" in str(notice)


def test_customer_index_keeps_the_previous_total(mini: Path):
    from prismodell.customer_pages import index_page

    customers = pd.read_csv(mini / "customers.csv")
    customers[customers["customer_id"] != "B01"].to_csv(mini / "customers.csv", index=False)
    volumes = pd.read_csv(mini / "volumes.csv")
    volumes[volumes["customer_id"] != "B01"].to_csv(mini / "volumes.csv", index=False)
    model = load_input(mini)
    result = calculate(model)
    page = index_page(model, result, tables.customer_overview(model, result))
    assert "B01 (har lämnat)" in page
    total = tables.leaver_rows(result)
    assert total["previous"].tolist() == [300000] and total["total"].tolist() == [0]
    expected = style.format_kr(result.comparison.previous_total)
    assert expected in page.split('class="total"')[1]


def test_walk_through_is_linked_and_its_scenario_example_is_valid(tmp_path: Path):
    from prismodell.scenario_file import SCENARIO_FIELDS, load_scenario

    assert "(docs/arsrutin.md)" in (REPO / "README.md").read_text(encoding="utf-8")
    text = (REPO / "docs" / "arsrutin.md").read_text(encoding="utf-8")
    example = text.split("```yaml\n", 1)[1].split("```", 1)[0]
    assert set(yaml.safe_load(example)) == set(SCENARIO_FIELDS)  # an example of every field
    folder = tmp_path / "2024"
    shutil.copytree(DATA / "2024", folder)
    (folder / "scenarios").mkdir()
    (folder / "scenarios" / "exempel.yml").write_text(example, encoding="utf-8")
    scenario = load_scenario(folder, "exempel", load_input(folder))
    assert scenario.title == "Tyngre vikt på felaktiga fakturor"


_IDS = st.sampled_from(["A", "B", "C", "D", "E"])
_AREAS = st.sampled_from(["x", "y"])


def _charges(draw_rows):
    frame = pd.DataFrame(draw_rows, columns=["customer_id", "service_area", "amount"])
    return frame.drop_duplicates(["customer_id", "service_area"]).reset_index(drop=True)


@settings(max_examples=examples(80), deadline=None)
@given(
    st.lists(st.tuples(_IDS, _AREAS, st.integers(0, 10**9)), max_size=10),
    st.lists(st.tuples(_IDS, _AREAS, st.integers(0, 10**9)), max_size=10),
    st.sets(_IDS),
)
def test_comparison_keeps_totals_and_marks_every_leaver(new_rows, old_rows, customers):
    prices, previous = _charges(new_rows), _charges(old_rows).astype({"amount": float})
    prices = prices[prices["customer_id"].isin(customers)]  # only this year's customers charged
    comparison = compare(prices, previous, None, ["x", "y"], sorted(customers))
    assert comparison.previous_total == previous["amount"].sum()
    assert comparison.new_total == prices["amount"].sum()
    paid_before = previous.groupby("customer_id")["amount"].sum()
    paid_now = prices.groupby("customer_id")["amount"].sum()
    assert set(comparison.left) == {
        c for c, amount in paid_before.items() if amount > 0 and c not in customers
    }
    assert set(comparison.joined) == {
        c for c, amount in paid_now.items() if amount > 0 and paid_before.get(c, 0) == 0
    }
    assert not set(comparison.left) & set(comparison.joined)


def test_stale_focus_is_marked_in_the_chapter(year_2025: Path):
    from prismodell import narrative_views as views
    from prismodell.narrative import load_narrative
    from prismodell.notices import stale_focus_note, unchanged_focus

    model = load_input(year_2025)
    narrative = load_narrative(year_2025, model)
    stale = unchanged_focus(model)
    assert "business_area" in stale
    note = stale_focus_note(model)
    assert "samma punkter som under 2024 i fokus" in note
    text = views.business_area_markdown(narrative, model, note)
    focus = text.split("**2025 i fokus**", 1)[1].split("**En tillbakablick**", 1)[0]
    assert note in focus
    assert note not in views.business_area_markdown(narrative, model)

    assignments = year_2025 / "rapport" / "assignments.yml"
    raw = yaml.safe_load(assignments.read_text(encoding="utf-8"))
    raw["business_area"]["focus"] = ["Ny kundstruktur 2025."]
    assignments.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    assert "business_area" not in unchanged_focus(load_input(year_2025))
