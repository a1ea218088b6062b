"""Dedicated base services (rule 5 of the spec): their cost, the key pools of the rest, the
price-list rows, the output file, every bad input, scenarios and what the report shows."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook

from prismodell import customer_pages, dedicated
from prismodell import report_tables as tables
from prismodell.calculation import calculate, dedicated_costs, full_cost, key_pools
from prismodell.inputs import InputError, load_input
from prismodell.scenario_comparison import run_scenario
from prismodell.scenario_file import load_scenario
from prismodell.scenario_views import scenario_changes

from .conftest import DATA_2023, REPO, run_cli
from .test_bad_input import append, edit, run_bad
from .test_properties import as_dict, exact_price_list
from .test_scenarios import write_scenario

HEADER = "service_area,service_id,name,customer_id,staff_category,fte"
# In the spec's worked example (tests/fixtures/mini): one ekonomiadministratör of
# leverantörsreskontra and half of one in hyresadministration work for B01 alone. B01 has no
# volume in hyresadministration.
SERVICES = [
    "leverantorsreskontra,lev_sarskild,Särskild kontroll,B01,ekonomiadministrator,1",
    "hyresadministration,hyres_sarskild,Särskild avtalshantering,B01,ekonomiadministrator,0.5",
]


@pytest.fixture
def with_services(mini: Path) -> Path:
    (mini / "dedicated_services.csv").write_text(
        "\n".join([HEADER, *SERVICES]) + "\n", encoding="utf-8"
    )
    return mini


@pytest.fixture
def model(with_services: Path):
    return load_input(with_services)


# --------------------------------------------------------------------------- rule 5


def test_rule5_cost_of_a_dedicated_service(model):
    costs = dedicated_costs(model).set_index("service_id")["amount"]
    # 1 × (600 000 + 100 000) + P · 1 / 15 with P = 1 100 000: 773 333.33
    assert costs["lev_sarskild"] == pytest.approx(700_000 + 1_100_000 / 15, abs=1e-6)
    # 0.5 × 700 000 + 1 100 000 · 0.5 / 15 = 386 666.67
    assert costs["hyres_sarskild"] == pytest.approx(350_000 + 1_100_000 * 0.5 / 15, abs=1e-6)


def test_rule5_keys_share_the_rest_and_the_full_cost_is_unchanged(model, mini_model):
    base_model, base = mini_model
    table = full_cost(model).set_index("service_area")
    before = base.full_cost.set_index("service_area")
    pd.testing.assert_series_equal(table["full_cost"], before["full_cost"])
    lev = table.loc["leverantorsreskontra"]
    assert lev["exact_full_cost"] == pytest.approx(9_830_000)
    assert lev["dedicated"] == pytest.approx(773_333.3333, abs=1e-3)
    assert lev["keyed_cost"] == pytest.approx(9_830_000 - 773_333.3333, abs=1e-3)
    pools = key_pools(full_cost(model), model.keys).set_index("key_id")["pool"]
    assert pools["antal_fakturor"] == pytest.approx(lev["keyed_cost"] * 0.5)
    # Without the file K_s = C_s.
    assert (before["keyed_cost"] == before["exact_full_cost"]).all()
    assert base.dedicated_services is None


def test_calculate_computes_the_dedicated_and_exact_costs_once(model, monkeypatch):
    from prismodell import calculation

    calls = {"dedicated": 0, "exact": 0}

    def counted(name, function):
        def wrapper(*args, **kwargs):
            calls[name] += 1
            return function(*args, **kwargs)

        return wrapper

    monkeypatch.setattr(
        calculation, "dedicated_costs", counted("dedicated", calculation.dedicated_costs)
    )
    monkeypatch.setattr(
        calculation, "exact_full_costs", counted("exact", calculation.exact_full_costs)
    )
    result = calculation.calculate(model)
    assert calls == {"dedicated": 1, "exact": 1}
    # what full_cost computes alone is what calculate passed it
    pd.testing.assert_frame_equal(result.full_cost, full_cost(model), check_exact=True)


def test_rules6_7_the_customer_pays_its_services_and_gets_a_row_without_volume(model):
    result = calculate(model)
    prices = as_dict(result.price_list)
    # hyresadministration: K = 1 933 333.33 over 2 201 contracts. Exact: B01 386 666.67 (its
    # service, no volume), SDF01 1 054 066.33, SDF02 878 388.61, FF01 878.39; floors sum to
    # 2 319 998, the two kronor go to .67 (B01) and .61 (SDF02).
    assert prices[("B01", "hyresadministration")] == 386_667
    assert prices[("SDF02", "hyresadministration")] == 878_389
    assert prices[("SDF01", "hyresadministration")] == 1_054_066
    assert prices[("FF01", "hyresadministration")] == 878
    sums = result.price_list.groupby("service_area")["amount"].sum()
    published = result.full_cost.set_index("service_area")["full_cost"]
    assert sums.reindex(published.index).tolist() == published.tolist()
    assert prices == exact_price_list(model)
    # Unit prices follow from the pools: B01's service does not make an invoice dearer.
    unit = result.unit_prices.set_index("key_id")
    assert unit.at["aktiva_avtal", "unit_price"] == pytest.approx(
        (2_320_000 - 386_666.6667) / 2_201, abs=1e-6
    )


def test_output_file(with_services: Path, tmp_path: Path):
    out = tmp_path / "ut"
    assert run_cli("calculate", with_services, "--out", out) == 0
    written = pd.read_csv(out / "dedicated_services.csv")
    assert list(written.columns) == ["service_area", "service_id", "customer_id", "fte", "amount"]
    assert written.set_index("service_id")["amount"].to_dict() == {
        "lev_sarskild": 773_333.33,
        "hyres_sarskild": 386_666.67,
    }
    text = (out / "dedicated_services.csv").read_text(encoding="utf-8")
    assert "hyresadministration,hyres_sarskild,B01,0.50,386666.67" in text


def test_header_only_file_changes_nothing(mini: Path, mini_model):
    (mini / "dedicated_services.csv").write_text(HEADER + "\n", encoding="utf-8")
    result = calculate(load_input(mini))
    pd.testing.assert_frame_equal(result.price_list, mini_model[1].price_list)
    assert result.dedicated_services is not None and result.dedicated_services.empty


# --------------------------------------------------------------------------- bad input


BAD = {
    "unknown_customer": (
        lambda d: edit(
            d / "dedicated_services.csv",
            ",B01,ekonomiadministrator,1",
            ",B02,ekonomiadministrator,1",
        ),
        ["dedicated_services.csv, rad 2, kolumn 'customer_id': kunden 'B02' finns inte"],
    ),
    "unknown_area": (
        lambda d: edit(
            d / "dedicated_services.csv", "leverantorsreskontra,lev", "internt_overhead,lev"
        ),
        ["rad 2, kolumn 'service_area': tjänsteområdet 'internt_overhead' finns inte"],
    ),
    "unknown_category": (
        lambda d: edit(
            d / "dedicated_services.csv", "B01,ekonomiadministrator,0.5", "B01,ekonomi,0.5"
        ),
        [
            "rad 3, kolumn 'staff_category': personalkategorin 'ekonomi' finns inte",
            "Menade du 'ekonom'?",
        ],
    ),
    "duplicate_service_id": (
        lambda d: append(
            d / "dedicated_services.csv",
            "leverantorsreskontra,lev_sarskild,Igen,FF01,ekonom,1",
        ),
        ["rad 4, kolumn 'service_id': service_id='lev_sarskild' förekommer redan på rad 2"],
    ),
    "above_staffing": (
        # hyresadministration has 3 ekonomiadministratörer; 0.5 + 2.75 is more.
        lambda d: append(
            d / "dedicated_services.csv",
            "hyresadministration,hyres_mer,Mer,FF01,ekonomiadministrator,2.75",
        ),
        [
            "rad 4, kolumn 'fte'",
            "har 3.25 årsarbetare ekonomiadministrator (rad 3, 4)",
            "staffing.csv har bara 3",
        ],
    ),
    "category_not_staffed": (
        lambda d: edit(
            d / "dedicated_services.csv", "B01,ekonomiadministrator,0.5", "B01,ekonom,0.5"
        ),
        ["rad 3, kolumn 'fte'", "har 0.5 årsarbetare ekonom", "har bara 0"],
    ),
    "zero_fte": (
        lambda d: edit(
            d / "dedicated_services.csv", "ekonomiadministrator,0.5", "ekonomiadministrator,0"
        ),
        ["rad 3, kolumn 'fte': 0 årsarbetare är inte tillåtet"],
    ),
    "negative_fte": (
        lambda d: edit(
            d / "dedicated_services.csv", "ekonomiadministrator,0.5", "ekonomiadministrator,-0.5"
        ),
        ["rad 3, kolumn 'fte': '-0.5' är negativt"],
    ),
    "missing_column": (
        lambda d: edit(
            d / "dedicated_services.csv", "staff_category,fte", "staff_category,årsarbetare"
        ),
        ["dedicated_services.csv, rad 1, kolumn 'fte': kolumnen saknas"],
    ),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_dedicated_services(with_services: Path, tmp_path: Path, capsys, case: str):
    change, fragments = BAD[case]
    change(with_services)
    err = run_bad(with_services, tmp_path, capsys)
    for fragment in fragments:
        assert fragment in err, err


# --------------------------------------------------------------------------- scenarios


def test_scenario_changes_dedicated_ftes(with_services: Path, model):
    write_scenario(
        with_services,
        "sarskild",
        "dedicated_services:\n"
        "  - {service_id: lev_sarskild, fte: 2}\n"
        "  - {service_id: hyres_sarskild, fte: 0}\n",
    )
    run = run_scenario(with_services, "sarskild", model)
    costs = run.result.dedicated_services.set_index("service_id")["amount"]
    assert list(costs.index) == ["lev_sarskild"]  # 0 FTE: back in the key pools
    assert costs["lev_sarskild"] == pytest.approx(2 * (700_000 + 1_100_000 / 15))
    prices = as_dict(run.result.price_list)
    assert ("B01", "hyresadministration") not in prices  # no volume, no service: no row
    assert run.comparison.cost_change == 0
    changes = scenario_changes(model, run.scenario)
    row = changes[changes["kind"] == "Särskild tjänst"].iloc[0]
    assert "Särskild kontroll (Exempelbolaget AB)" in row["item"]
    assert (row["base"], row["scenario"]) == ("1,00", "2,00")


@pytest.mark.parametrize(
    ("text", "path", "fragment"),
    [
        (
            "dedicated_services:\n  - {service_id: lev_okand, fte: 1}\n",
            "dedicated_services → 1 → service_id",
            "den särskilda tjänsten 'lev_okand' finns inte i dedicated_services.csv",
        ),
        (
            "dedicated_services:\n  - {service_id: lev_sarskild, fte: -1}\n",
            "dedicated_services → 1 → fte",
            "negativt",
        ),
        (
            "dedicated_services:\n  - {service_id: lev_sarskild, fte: 1}\n"
            "  - {service_id: lev_sarskild, fte: 2}\n",
            "dedicated_services → 2",
            "anges redan i punkt 1",
        ),
        (
            "dedicated_services:\n  - {service_id: lev_sarskild, fte: 10.5}\n",
            "dedicated_services → 1 → fte",
            "får 10.5 årsarbetare ekonomiadministrator efter scenariot, men bemanningen har "
            "bara 10",
        ),
        (
            # lowering the staffing below the dedicated FTEs points at the staffing row
            "staffing:\n  - {service_area: hyresadministration, staff_category: "
            "ekonomiadministrator, fte: 0.25}\n",
            "staffing → 1 → fte",
            "(hyres_sarskild) får 0.5 årsarbetare",
        ),
        (
            "dedicated_services:\n  - {service_id: lev_sarskild, ftee: 1}\n",
            "dedicated_services → 1 → ftee",
            "",
        ),
    ],
)
def test_scenario_errors(with_services: Path, model, text: str, path: str, fragment: str):
    write_scenario(with_services, "fel", text)
    with pytest.raises(InputError) as caught:
        load_scenario(with_services, "fel", model)
    problems = {p.column: p.message for p in caught.value.problems}
    assert path in problems, problems
    assert fragment in problems[path]


# --------------------------------------------------------------------------- the report


@pytest.fixture(scope="module")
def year_2023():
    model = load_input(DATA_2023)
    return model, calculate(model)


def test_example_services_match_the_recorded_cost_effect(year_2023):
    model, result = year_2023
    services = result.dedicated_services
    assert set(services["customer_id"]) == {"utbildningsforvaltningen"}
    assert set(services["service_area"]) == {"avgiftshantering"}
    changed = model.changed_assignments
    effect = changed.loc[
        changed["description"].str.contains("utbildningsförvaltningen"), "cost_effect"
    ]
    # FTEs in steps of 0.05: the closest is 1.15 ekonomiadministratörer (see data/README.md).
    step = float(result.dedicated_services["amount"].sum() / services["fte"].sum()) * 0.05
    assert abs(services["amount"].sum() - effect.sum()) < step / 2


@pytest.mark.parametrize("year", ["2023", "2024"])
def test_example_data_agree_with_exact_arithmetic(year: str):
    model = load_input(REPO / "data" / year)
    assert as_dict(calculate(model).price_list) == exact_price_list(model)


def test_area_chapter_texts_and_tables(year_2023):
    model, result = year_2023
    text = dedicated.area_text(model, result, "avgiftshantering")
    assert "fyra tjänster som bara Utbildningsförvaltningen använder" in text
    assert "1,15 årsarbetare, 941\u00a0672\u00a0kr" in text
    keyed = result.full_cost.set_index("service_area").at["avgiftshantering", "keyed_cost"]
    assert f"resten av självkostnaden, {dedicated.style.format_kr(keyed)}" in text
    assert dedicated.area_text(model, result, "kundreskontra") == ""
    table, headers, formats = dedicated.dedicated_display(model, result, "avgiftshantering")
    assert "area" not in table.columns and set(headers) == set(table.columns)
    assert table["amount"].iloc[-1] == pytest.approx(result.dedicated_services["amount"].sum())
    allocation = tables.area_allocation(model, result, "avgiftshantering").set_index("customer_id")
    utbf = allocation.loc["utbildningsforvaltningen"]
    assert utbf["dedicated"] == pytest.approx(result.dedicated_services["amount"].sum())
    assert utbf["charge"] == 9_636_510  # golden price list
    assert allocation["exact_amount"].sum() == pytest.approx(allocation["charge"].sum(), abs=0.5)
    wide = tables.area_allocation_by_key(model, result, "avgiftshantering")
    assert wide.to_numpy().sum() == pytest.approx(allocation["charge"].sum(), abs=0.5)
    note = dedicated.comparison_note(model, result, "avgiftshantering")
    assert "Utbildningsförvaltningen 941\u00a0672\u00a0kr" in note


def test_customer_page_and_workbook(year_2023, tmp_path: Path):
    model, result = year_2023
    customers = model.customers.set_index("customer_id", drop=False)
    page = customer_pages.customer_page(
        model, result, customers.loc["utbildningsforvaltningen"], "b.png"
    )
    assert "## Särskilda tjänster" in page and "Hantering av fritidsklubbar" in page
    other = customer_pages.customer_page(model, result, customers.loc["sdf_bromma"], "b.png")
    assert "Särskilda tjänster" not in other

    out = tmp_path / "ut"
    assert run_cli("calculate", DATA_2023, "--out", out) == 0
    # data_only: the total row is a SUM formula; read its cached value
    sheet = load_workbook(out / "prislista.xlsx", data_only=True)["Särskilda tjänster"]
    rows = list(sheet.iter_rows(min_row=5, values_only=True))
    assert len(rows) == 5 and rows[-1][0] == "Summa"
    assert rows[-1][-1] == pytest.approx(result.dedicated_services["amount"].sum())


def test_sensitivity_and_behaviour_keep_the_dedicated_cost_fixed(model):
    from prismodell import behaviour, sensitivity

    result = calculate(model)
    area = "leverantorsreskontra"
    cost = sensitivity.exact_full_cost(result, area)
    table = sensitivity.sensitivity_table(model, result, area)
    sums = table.groupby(["key_id", "delta"])["charge"].sum()
    assert sums.to_numpy() == pytest.approx(cost, rel=1e-12)  # keys and dedicated: all of C_s
    b01 = table[table["customer_id"] == "B01"]
    # B01's own service (773 333.33) is in every charge and never moves with a weight
    assert (b01["charge"] > 773_333.33).all()
    key = behaviour.example_key(model, result, area)
    effects = behaviour.behaviour_example(model, result, area, key)
    assert effects["base"].sum() == pytest.approx(cost, rel=1e-12)
    assert effects["short_run"].sum() == pytest.approx(cost, rel=1e-12)
