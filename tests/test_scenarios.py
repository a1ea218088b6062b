"""What-if scenarios: merging, checking, comparing, the CLI and the book's job plan.

Fast on purpose (no book build): the end-to-end build of a scenario chapter belongs to the
book test.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook

from prismodell import figures
from prismodell.calculation import calculate
from prismodell.inputs import InputError, load_input
from prismodell.scenario_comparison import compare_results, run_scenario
from prismodell.scenario_file import (
    Scenario,
    StaffingChange,
    VolumeChange,
    apply_scenario,
    list_scenarios,
    load_scenario,
)
from prismodell.scenario_views import changes_by_area_wide, summary_text

from .conftest import DATA_2023, MINI, run_cli

EXAMPLES_2023 = [
    "farsta_farre_krav",
    "hogre_schablon_ekonomiadministrator",
    "tyngre_vikt_felaktiga_fakturor",
]


def write_scenario(data_dir: Path, name: str, text: str) -> Path:
    path = data_dir / "scenarios" / f"{name}.yml"
    path.parent.mkdir(exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def mini_model():
    return load_input(MINI)


@pytest.fixture(scope="module")
def model_2023():
    return load_input(DATA_2023)


@pytest.fixture
def data_2023(tmp_path: Path) -> Path:
    """A writable copy of the example data."""
    target = tmp_path / "data2023"
    shutil.copytree(DATA_2023, target)
    return target


# --------------------------------------------------------------------------- files


def test_list_scenarios():
    assert list_scenarios(MINI) == ["exempel"]
    assert list_scenarios(DATA_2023) == EXAMPLES_2023
    assert list_scenarios(MINI / "rapport") == []


@pytest.mark.parametrize("name", EXAMPLES_2023)
def test_example_scenarios_load_and_change_something(model_2023, name):
    scenario = load_scenario(DATA_2023, name, model_2023)
    assert scenario.description
    run = run_scenario(DATA_2023, name, model_2023)
    assert len(run.changes) >= 1
    assert run.comparison.by_customer_area["difference"].abs().sum() > 0


def test_mini_scenario_has_every_field(mini_model):
    scenario = load_scenario(MINI, "exempel", mini_model)
    assert scenario == Scenario(
        name="exempel",
        description="Exempelscenario med tyngre vikt på felaktiga fakturor",
        weights={"antal_fakturor": 0.4, "felaktiga_fakturor": 0.35},
        cost_standards={"ekonom": 780000.0},
        administration_overhead_per_fte=90000.0,
        staffing=(StaffingChange("hyresadministration", "ekonom", 1.0),),
        volume_changes=(VolumeChange("antal_krav", 0.5, "SDF01"),),
        path=MINI / "scenarios" / "exempel.yml",
    )


# --------------------------------------------------------------------------- merging


def test_weights_merge_and_leave_the_base_alone(mini_model):
    before = mini_model.keys.copy()
    merged = apply_scenario(
        mini_model, Scenario("s", weights={"antal_fakturor": 0.4, "felaktiga_fakturor": 0.35})
    )
    weights = merged.keys.set_index("key_id")["weight"]
    assert weights.to_dict() == {
        "antal_fakturor": 0.4,
        "felaktiga_fakturor": 0.35,
        "antal_krav": 0.25,
        "aktiva_avtal": 1.0,
    }
    pd.testing.assert_frame_equal(mini_model.keys, before)  # pure
    assert merged.settings["service_areas"]["leverantorsreskontra"]["keys"][0]["weight"] == 0.4
    assert mini_model.settings["service_areas"]["leverantorsreskontra"]["keys"][0]["weight"] == 0.5


def test_cost_standards_and_overhead_merge(mini_model):
    merged = apply_scenario(
        mini_model,
        Scenario("s", cost_standards={"ekonom": 780000}, administration_overhead_per_fte=90000),
    )
    assert merged.cost_standards.to_dict() == {
        "ekonomiadministrator": 600000.0,
        "ekonom": 780000.0,
        "ledning": 1000000.0,
    }
    assert merged.administration_overhead_per_fte == 90000.0
    assert mini_model.cost_standards["ekonom"] == 750000.0
    assert mini_model.administration_overhead_per_fte == 100000.0
    # Rules 1-4 by hand: leverantorsreskontra 10 ekonomiadministratörer + 2 ekonomer, 250 000
    # other costs, the internal overhead pool (1 ledning) shared by FTE 12 of 15.
    costs = calculate(merged).full_cost.set_index("service_area")
    pool = 1 * (1_000_000 + 90_000)
    expected = 10 * 600_000 + 2 * 780_000 + 12 * 90_000 + 250_000 + pool * 12 / 15
    assert costs.at["leverantorsreskontra", "full_cost"] == round(expected)


def test_staffing_replaces_a_row_and_adds_a_pair(mini_model):
    merged = apply_scenario(
        mini_model,
        Scenario(
            "s",
            staffing=(
                StaffingChange("leverantorsreskontra", "ekonomiadministrator", 12),
                StaffingChange("hyresadministration", "ekonom", 1),
            ),
        ),
    )
    fte = merged.staffing.set_index(["service_area", "staff_category"])["fte"]
    assert fte[("leverantorsreskontra", "ekonomiadministrator")] == 12
    assert fte[("hyresadministration", "ekonom")] == 1
    assert len(merged.staffing) == len(mini_model.staffing) + 1
    assert fte[("leverantorsreskontra", "ekonom")] == 2  # untouched


def test_volume_changes_per_customer_all_customers_and_combined(mini_model):
    merged = apply_scenario(
        mini_model,
        Scenario(
            "s",
            volume_changes=(
                VolumeChange("antal_krav", 0.5, "SDF01"),
                VolumeChange("antal_krav", 2.0),
                VolumeChange("aktiva_avtal", 0.0, "FF01"),
            ),
        ),
    )
    volume = merged.volumes.set_index(["customer_id", "key_id"])["volume"]
    assert volume[("SDF01", "antal_krav")] == 300  # 300 · 0.5 · 2
    assert volume[("SDF02", "antal_krav")] == 600
    assert volume[("FF01", "antal_krav")] == 800
    assert volume[("FF01", "aktiva_avtal")] == 0
    assert volume[("SDF01", "antal_fakturor")] == 30000
    prices = calculate(merged).price_list
    assert not (
        (prices["customer_id"] == "FF01") & (prices["service_area"] == "hyresadministration")
    ).any()


def test_base_values_reproduce_the_base_to_the_krona(data_2023: Path, model_2023):
    write_scenario(
        data_2023,
        "samma",
        """description: Basårets värden
weights: {antal_fakturor: 0.50, felaktiga_fakturor: 0.25, antal_krav: 0.25}
cost_standards: {ekonom: 742000, ekonomiadministrator: 596000}
administration_overhead_per_fte: 118000
staffing:
  - {service_area: leverantorsreskontra, staff_category: ekonomiadministrator, fte: 28.5}
  - {service_area: internt_overhead, staff_category: ledning, fte: 6}
volume_changes:
  - {customer_id: sdf_bromma, key_id: antal_krav, factor: 1}
  - {key_id: antal_kundfakturor, factor: 1.0}
""",
    )
    run = run_scenario(data_2023, "samma")
    base = calculate(model_2023)
    pd.testing.assert_frame_equal(run.result.price_list, base.price_list)
    pd.testing.assert_frame_equal(run.result.full_cost, base.full_cost)
    assert (run.comparison.by_customer_area["difference"] == 0).all()
    assert run.comparison.cost_change == 0 and run.comparison.redistribution == 0
    assert "Ingen kostnad omfördelas" in summary_text(run)


# --------------------------------------------------------------------------- errors

ERRORS = [
    # (scenario text, line, field path, fragments of the message)
    (
        "weights: {antal_fakturor: 0.5, felaktiga_faktur: 0.25}\n",
        1,
        "weights → felaktiga_faktur",
        ["nyckeln 'felaktiga_faktur' finns inte", "Menade du 'felaktiga_fakturor'?"],
    ),
    (
        "description: x\nvolume_changes:\n  - {customer_id: SDF1, key_id: antal_krav, factor: 1}\n",
        3,
        "volume_changes → 1 → customer_id",
        ["kunden 'SDF1' finns inte i customers.csv", "Menade du"],
    ),
    (
        "volume_changes:\n  - {key_id: antal_krv, factor: 0.5}\n",
        2,
        "volume_changes → 1 → key_id",
        ["nyckeln 'antal_krv' finns inte", "Menade du 'antal_krav'?"],
    ),
    (
        "staffing:\n  - {service_area: hyresadmin, staff_category: ekonom, fte: 1}\n",
        2,
        "staffing → 1 → service_area",
        ["tjänsteområdet 'hyresadmin' finns inte", "Menade du 'hyresadministration'?"],
    ),
    (
        "cost_standards: {ekonm: 780000}\n",
        1,
        "cost_standards → ekonm",
        ["personalkategorin 'ekonm' finns inte", "Menade du 'ekonom'?"],
    ),
    (
        "staffing:\n  - {service_area: hyresadministration, staff_category: ekonomen, fte: 1}\n",
        2,
        "staffing → 1 → staff_category",
        ["personalkategorin 'ekonomen' finns inte", "Menade du 'ekonom'?"],
    ),
    (
        "description: x\nweights:\n  antal_fakturor: 0.6\n",
        3,
        "weights → antal_fakturor",
        [
            "vikterna för tjänsteområdet leverantorsreskontra summerar till 1.1",
            "från basåret: felaktiga_fakturor 0.25, antal_krav 0.25",
        ],
    ),
    (
        "administration_overhead_per_fte: -1000\n",
        1,
        "administration_overhead_per_fte",
        ["-1000 är negativt", "0 eller större"],
    ),
    (
        "cost_standards: {ekonom: -5}\n",
        1,
        "cost_standards → ekonom",
        ["-5 är negativt"],
    ),
    (
        "volume_changes:\n  - {key_id: antal_krav, factor: -0.5}\n",
        2,
        "volume_changes → 1 → factor",
        ["-0.5 är negativt"],
    ),
    (
        "cost_standards: {ekonom: 790 000}\n",
        1,
        "cost_standards → ekonom",
        ["'790 000' är inte ett tal", "utan mellanslag"],
    ),
    (
        "description: x\nvolume_change:\n  - {key_id: antal_krav, factor: 0.5}\n",
        2,
        "volume_change",
        ["okänt fält 'volume_change'", "Menade du 'volume_changes'?"],
    ),
    (
        "staffing:\n  - {service_area: hyresadministration, staff_category: ekonom, ftes: 1}\n",
        2,
        "staffing → 1 → ftes",
        ["okänt fält 'ftes'", "Menade du 'fte'?"],
    ),
    (
        "staffing:\n"
        "  - {service_area: hyresadministration, staff_category: ekonomiadministrator, fte: 0}\n",
        2,
        "staffing → 1 → fte",
        ["'hyresadministration' har inga årsarbetare efter scenariot"],
    ),
    (
        "volume_changes:\n  - {key_id: aktiva_avtal, factor: 0}\n",
        2,
        "volume_changes → 1",
        ["nyckeln 'aktiva_avtal' (hyresadministration) har vikten 1 men ingen volym"],
    ),
    (
        "volume_changes:\n  - {customer_id: B01, key_id: antal_krav, factor: 0.5}\n",
        2,
        "volume_changes → 1",
        ["'B01' har ingen volym av nyckeln 'antal_krav'"],
    ),
    (
        "weights: {antal_fakturor: 1.5, felaktiga_fakturor: 0, antal_krav: 0}\n",
        1,
        "weights → antal_fakturor",
        ["vikten 1.5 är större än 1"],
    ),
    (
        "weights: [1, 2\n",
        2,
        None,
        ["YAML-syntaxfel"],
    ),
]


@pytest.mark.parametrize(("text", "line", "path", "fragments"), ERRORS)
def test_each_error_names_file_line_field_and_fix(
    mini: Path, tmp_path: Path, capsys, text, line, path, fragments
):
    write_scenario(mini, "fel", text)
    with pytest.raises(InputError) as caught:
        load_scenario(mini, "fel", load_input(mini))
    problems = caught.value.problems
    problem = next((p for p in problems if p.column == path), None)
    assert problem is not None, [str(p) for p in problems]
    assert problem.file == "scenarios/fel.yml"
    assert problem.row == line
    for fragment in fragments:
        assert fragment in problem.message
    # The command line: exit code 2, the same message, nothing written.
    out = tmp_path / "ut"
    assert run_cli("calculate", mini, "--scenario", "fel", "--out", out) == 2
    assert run_cli("compare", mini, "--scenario", "fel", "--out", tmp_path / "j.xlsx") == 2
    assert not out.exists() and not (tmp_path / "j.xlsx").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]
    err = capsys.readouterr().err
    assert "inget har skrivits" in err
    assert f"scenarios/fel.yml, rad {line}" in err and fragments[0] in err


def test_all_problems_are_collected_in_line_order(mini: Path):
    write_scenario(
        mini,
        "fel",
        """description: Många fel
weights: {antal_fakturr: 0.5}
cost_standards: {ekonm: 1, ledning: -1}
staffing:
  - {service_area: x, staff_category: ekonom, fte: 1, extra: 2}
volume_changes:
  - {customer_id: SDF01, key_id: antal_krav}
okand: 1
""",
    )
    with pytest.raises(InputError) as caught:
        load_scenario(mini, "fel", load_input(mini))
    rows = [p.row for p in caught.value.problems]
    assert rows == sorted(rows)
    assert len(rows) == 7
    text = str(caught.value)
    assert "okänt fält 'okand'" in text and "okänt fält 'extra'" in text
    assert "volume_changes → 1 → factor: värdet saknas" in text


def test_unknown_scenario_lists_the_available_ones(mini: Path, tmp_path: Path, capsys):
    write_scenario(mini, "annat", "description: x\n")
    with pytest.raises(InputError) as caught:
        load_scenario(mini, "exempl", load_input(mini))
    message = str(caught.value)
    assert "scenariot 'exempl' finns inte" in message
    assert "Menade du 'exempel'?" in message
    assert "Tillgängliga scenarier: annat, exempel." in message
    assert run_cli("compare", mini, "--scenario", "exempl") == 2
    assert "Tillgängliga scenarier" in capsys.readouterr().err
    shutil.rmtree(mini / "scenarios")
    with pytest.raises(InputError, match="Datamappen har inga scenarier"):
        load_scenario(mini, "exempel", load_input(mini))


def test_scenario_names_must_be_slugs(mini: Path):
    write_scenario(mini, "Med Mellanslag", "description: x\n")
    with pytest.raises(InputError, match="får bara innehålla a–z"):
        load_scenario(mini, "Med Mellanslag", load_input(mini))


# --------------------------------------------------------------------------- comparison


@pytest.mark.parametrize("name", EXAMPLES_2023)
def test_compare_totals_equal_full_cost(model_2023, name):
    base = calculate(model_2023)
    scenario = load_scenario(DATA_2023, name, model_2023)
    scen_model = apply_scenario(model_2023, scenario)
    scen = calculate(scen_model)
    comparison = compare_results(model_2023, base, scen_model, scen)
    by_area = comparison.by_area.set_index("service_area")
    base_cost = base.full_cost.set_index("service_area")["full_cost"]
    scen_cost = scen.full_cost.set_index("service_area")["full_cost"]
    assert (by_area["base"] == base_cost).all()
    assert (by_area["scenario"] == scen_cost).all()
    assert (by_area["cost_change"] == scen_cost - base_cost).all()
    assert comparison.base_total == base.total_full_cost
    assert comparison.scenario_total == scen.total_full_cost
    detail = comparison.by_customer_area
    assert (
        detail.groupby("service_area")["difference"]
        .sum()
        .reindex(by_area.index)
        .equals(by_area["cost_change"])
    )
    # Redistribution: Σ|difference| where the full cost is unchanged; sums to 0 per area.
    unchanged = by_area.index[by_area["cost_change"] == 0]
    for area in unchanged:
        own = detail[detail["service_area"] == area]
        assert by_area.at[area, "redistribution"] == pytest.approx(own["difference"].abs().sum())
    sums = detail.groupby("service_area")["redistribution"].sum()
    assert sums.abs().max() < 1e-6
    # Sorted by the largest absolute change.
    sizes = detail["difference"].abs().to_numpy()
    assert (sizes[:-1] >= sizes[1:]).all()
    assert comparison.by_customer["difference"].sum() == comparison.cost_change


def test_behaviour_change_only_redistributes(model_2023):
    run = run_scenario(DATA_2023, "farsta_farre_krav", model_2023)
    c = run.comparison
    assert c.cost_change == 0
    assert c.by_customer_area.iloc[0]["customer_id"] == "sdf_farsta"
    assert c.by_customer_area.iloc[0]["difference"] < 0
    area = c.by_area.set_index("service_area")
    assert area.loc["leverantorsreskontra", "redistribution"] > 0
    assert (area.drop("leverantorsreskontra")["redistribution"] == 0).all()


def test_cost_standard_change_is_a_cost_change_not_a_redistribution(model_2023):
    c = run_scenario(DATA_2023, "hogre_schablon_ekonomiadministrator", model_2023).comparison
    assert c.cost_change > 0
    # Only the rounding to whole kronor is left as redistribution: at most a krona a row ...
    rows = c.by_customer_area[c.by_customer_area["service_area"] != "avgiftshantering"]
    assert rows["redistribution"].sum() <= len(rows)
    # ... except where a dedicated service (all ekonomiadministratörer) grows faster than its
    # area's full cost, which also holds other costs: there its customer pays a larger share.
    utbf = c.by_customer_area.set_index(["customer_id", "service_area"]).loc[
        ("utbildningsforvaltningen", "avgiftshantering")
    ]
    assert utbf["redistribution"] > 1000


def test_figure_of_changes(model_2023):
    run = run_scenario(DATA_2023, "tyngre_vikt_felaktiga_fakturor", model_2023)
    wide = changes_by_area_wide(run, 10)
    assert len(wide) == 10 and list(wide.columns) == list(model_2023.service_areas["name"])
    fig = figures.scenario_change_figure(wide)
    assert figures.png_bytes(fig, dpi=50).startswith(b"\x89PNG")


# --------------------------------------------------------------------------- CLI


def test_cli_calculate_with_scenario(tmp_path: Path, capsys, model_2023):
    out = tmp_path / "ut"
    name = "tyngre_vikt_felaktiga_fakturor"
    assert run_cli("calculate", DATA_2023, "--scenario", name, "--out", out) == 0
    text = capsys.readouterr().out
    assert f"Scenario {name}: Tyngre vikt på felaktiga fakturor" in text
    expected = calculate(apply_scenario(model_2023, load_scenario(DATA_2023, name, model_2023)))
    written = pd.read_csv(out / "price_list.csv")
    pd.testing.assert_frame_equal(written, expected.price_list, check_dtype=False)
    assert int(pd.read_csv(out / "full_cost.csv")["full_cost"].sum()) == 126_256_200
    book = load_workbook(out / "prislista.xlsx", read_only=True)
    assert book["Prislista"]["A2"].value.startswith(f"SCENARIO {name}")


def test_cli_compare_prints_table_and_writes_xlsx(tmp_path: Path, capsys):
    target = tmp_path / "jämförelse" / "farsta.xlsx"
    args = ("compare", DATA_2023, "--scenario", "farsta_farre_krav", "--out", target)
    assert run_cli(*args) == 0
    text = capsys.readouterr().out.replace("\u00a0", " ")
    assert "Scenario farsta_farre_krav: Farsta stadsdelsförvaltning får 20 % färre krav" in text
    assert "Ändringar mot basåret:" in text
    assert "Per tjänsteområde (summan av kundernas priser = självkostnaden):" in text
    assert "Totalt                127 019 200 kr  127 019 200 kr" in text
    assert "Kostnadsförändring: 0 kr" in text
    assert "Omfördelning mellan kunder: 213 560 kr" in text
    assert "Största förändringar per kund och tjänsteområde (15 av 31):" in text
    assert "-106 780 kr  -7,4 %" in text
    assert f"Skrev {target}" in text
    book = load_workbook(target, data_only=True)  # totals are formulas: read their results
    assert book.sheetnames == ["Per tjänsteområde", "Per kund och område", "Per kund", "Ändringar"]
    sheet = book["Per tjänsteområde"]
    assert sheet["A1"].value == "Scenario: Farsta stadsdelsförvaltning får 20 % färre krav"
    assert sheet["A3"].value.startswith("Omfördelningen är summan")
    assert [c.value for c in sheet[4]][:2] == ["Tjänsteområde", "Självkostnad basår"]
    rows = list(sheet.iter_rows(min_row=5, values_only=True))
    assert rows[-1][:3] == ("Totalt", 127_019_200, 127_019_200)
    assert rows[-1][5] == pytest.approx(213_560)
    detail = list(book["Per kund och område"].iter_rows(min_row=5, values_only=True))
    assert detail[0][0] == "sdf_farsta" and detail[0][5] == -106_780
    assert not [p for p in target.parent.iterdir() if p.name != "farsta.xlsx"]  # no temp left


def test_cli_compare_never_writes_into_the_data_folder(data_2023: Path, tmp_path: Path, capsys):
    before = sorted(p.name for p in data_2023.rglob("*"))
    for out in (data_2023 / "jämförelse.xlsx", data_2023 / "scenarios" / "x.xlsx"):
        assert run_cli("compare", data_2023, "--scenario", "farsta_farre_krav", "--out", out) == 2
    assert "får inte ligga i datamappen" in capsys.readouterr().err
    assert (
        run_cli(
            "compare", data_2023, "--scenario", "farsta_farre_krav", "--out", tmp_path / "a.csv"
        )
        == 2
    )
    assert "slutar på .xlsx" in capsys.readouterr().err
    assert sorted(p.name for p in data_2023.rglob("*")) == before


# --------------------------------------------------------------------------- book plan


def test_book_jobs_and_toc_for_scenarios(data_2023: Path):
    from prismodell.pipeline import (
        APPENDIX_CAPTION,
        SCENARIO_CAPTION,
        plan_jobs,
        plan_scenario_jobs,
        table_of_contents,
    )

    model = load_input(data_2023)
    names = ("tyngre_vikt_felaktiga_fakturor", "farsta_farre_krav")
    jobs = plan_scenario_jobs(data_2023, names)
    assert [j.output for j in jobs] == [f"scenario_{n}" for n in names]
    assert jobs[0].parameters == {"data_dir": str(data_2023.resolve()), "scenario": names[0]}
    toc = table_of_contents(model, plan_jobs(model, data_2023) + jobs, [])
    captions = [p.get("caption") for p in toc["parts"]]
    assert captions.index(SCENARIO_CAPTION) == captions.index(APPENDIX_CAPTION) - 1
    part = toc["parts"][captions.index(SCENARIO_CAPTION)]
    assert [c["file"] for c in part["chapters"]] == [j.output for j in jobs]
    # which files a scenario chapter depends on is recorded when it runs (test_context.py)


def test_build_validates_scenarios_first(mini: Path, tmp_path: Path):
    from prismodell.pipeline import build_book

    write_scenario(mini, "fel", "weights: {antal_fakturr: 1}\n")
    out = tmp_path / "bygg"
    with pytest.raises(InputError) as caught:
        build_book(mini, out, pdf=False, show=lambda _: None, scenarios=("fel", "saknas"))
    text = str(caught.value)
    assert "scenarios/fel.yml, rad 1" in text and "scenariot 'saknas' finns inte" in text
    assert not (out / "source").exists()
