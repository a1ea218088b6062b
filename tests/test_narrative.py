"""The narrative data (``DATA_DIR/rapport/``): a happy-path load of the example year and the
fixture, one test per class of bad input (Swedish message naming file, row or YAML line, column
or field), and the escaping and shape of what the chapters show."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest
from matplotlib.figure import Figure

from prismodell import figures
from prismodell import narrative_views as views
from prismodell.calculation import calculate
from prismodell.inputs import InputError, Problem, load_input
from prismodell.narrative import (
    NARRATIVE_DIR,
    NEW_SERVICE,
    OVERALL,
    RATINGS,
    REMOVED_SERVICE,
    Bullet,
    load_narrative,
)
from prismodell.style import format_kr, format_number, format_signed_kr, md_escape

from .conftest import DATA_2023, MINI, REPO

DATA_2022 = REPO / "data" / "2022"


def load(folder: Path):
    return load_narrative(folder, load_input(folder))


def problems_of(folder: Path) -> list[Problem]:
    with pytest.raises(InputError) as caught:
        load(folder)
    return caught.value.problems


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"fixture changed: {old!r} not in {path.name}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def line_of(path: Path, text: str) -> int:
    """1-based line number of the first line of ``path`` containing ``text``."""
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if text in line:
            return number
    raise AssertionError(f"{text!r} not in {path.name}")


def rapport(folder: Path, name: str) -> Path:
    return folder / NARRATIVE_DIR / name


def one(problems: list[Problem], file: str) -> Problem:
    found = [p for p in problems if p.file == file]
    assert len(found) == 1, [str(p) for p in problems]
    return found[0]


# --------------------------------------------------------------------------- happy path


@pytest.mark.parametrize("folder", [DATA_2023, DATA_2022], ids=["2023", "2022"])
def test_example_years_load(folder: Path):
    model = load_input(folder)
    narrative = load_narrative(folder, model)
    areas = model.service_areas["service_area"].tolist()
    assert list(narrative.service_areas) == areas  # one text per service area, model order
    assert narrative.about.title == "Inriktningar och principer för prismodellen"
    assert len(narrative.about.goals) == 6
    # 4 sources × 7 criteria, each rated short and long term with a known word
    assert len(narrative.keys.sources) == 4 and len(narrative.keys.criteria) == 7
    assert len(narrative.source_evaluation) == 28
    ratings = narrative.source_evaluation[["short_term", "long_term"]].stack()
    assert set(ratings) <= set(RATINGS)
    agresso = narrative.source_evaluation.set_index(["source", "criterion"]).loc["agresso"]
    assert agresso.loc["rattvisande", "short_term"] == "Delvis"
    # governance: every forum has a convener and as many months as meetings
    forums = narrative.governance.forums
    assert [f.name for f in forums][:3] == [
        "Strategiska rådet",
        "Verksamhetsråd Ekonomi",
        "Beredningsgrupp",
    ]
    assert all(len(f.conveners) == 1 for f in forums)
    assert all(len(f.months) == f.meetings_per_year for f in forums)
    assert forums[2].conveners == ("Representant för processägare, SLK",)
    assert narrative.annual_cycle["month"].between(1, 12).all()
    # the remainder list of the seed
    assert narrative.remainders.updated == dt.date(2022, 5, 25)
    assert narrative.remainders.lists["activities"].tolist() == [10, 22]
    assert narrative.remainder_list["nr"].tolist() == list(range(1, 8))
    assert narrative.lead_times["illustrative"].all()
    assert narrative.lead_times["lead_time_days"].dtype == "int64"
    assert narrative.development_activities["year"].dtype == "int64"
    # the avgiftshantering contradiction is named where the keys are shown
    remarks = narrative.keys.remarks
    remark = remarks.loc[remarks["service_area"] == "avgiftshantering", "text"].iloc[0]
    assert "Familjer med maxtaxa" in remark and "Antal familjer, ej maxtaxa" in remark
    assert len(narrative.summary.advantages) == 6 and len(narrative.other) == 5


def test_changed_assignments_get_their_comments():
    narrative = load(DATA_2023)
    changed = narrative.changed_assignments
    assert list(changed.columns) == [
        "service_area",
        "change",
        "description",
        "cost_effect",
        "comment",
    ]
    assert len(changed) == 10
    assert set(changed["change"]) == {NEW_SERVICE, REMOVED_SERVICE}
    assert changed["cost_effect"].sum() == 1_926_000
    assert (changed["comment"] != "").all()
    # no changed assignments at all (2022): an empty table with the same columns
    assert load(DATA_2022).changed_assignments.empty


def test_fixture_loads():
    model = load_input(MINI)
    narrative = load_narrative(MINI, model)
    assert list(narrative.service_areas) == ["leverantorsreskontra", "hyresadministration"]
    assert narrative.about.goals[1] == Bullet(
        "Ökad tydlighet och transparens i styrningen av",
        ("prismodellen", "serviceförvaltningens uppdrag."),
    )
    assert OVERALL in set(narrative.development_activities["service_area"])
    assert narrative.lead_times["illustrative"].tolist() == [True, True, True, False]
    assert narrative.development_activities["quality"].tolist() == [False, True, False, True]


def test_a_table_may_be_an_excel_file(mini: Path):
    csv = rapport(mini, "lead_times.csv")
    pd.read_csv(csv, dtype=str).to_excel(csv.with_suffix(".xlsx"), index=False)
    csv.unlink()
    narrative = load(mini)
    assert narrative.lead_times["lead_time_days"].tolist() == [3, 2, 5, 2]


# --------------------------------------------------------------------------- bad input


def test_missing_folder(mini: Path):
    shutil.rmtree(mini / NARRATIVE_DIR)
    (problem,) = problems_of(mini)
    assert problem.file == "rapport/"
    assert "mappen med rapportens texter saknas" in problem.message


def test_missing_yaml_file(mini: Path):
    rapport(mini, "keys.yml").unlink()
    problems = problems_of(mini)
    problem = one(problems, "rapport/keys.yml")
    assert "filen saknas" in problem.message
    # the tables that refer to keys.yml are not reported as broken because of it
    assert not [p for p in problems if p.file == "rapport/source_evaluation.csv"]


def test_missing_csv_file(mini: Path):
    rapport(mini, "lead_times.csv").unlink()
    problem = one(problems_of(mini), "rapport/lead_times.csv")
    assert "filen saknas" in problem.message
    assert "service_area, service, lead_time_days, illustrative" in problem.message


def test_misspelt_column(mini: Path):
    path = rapport(mini, "source_evaluation.csv")
    edit(path, "source,criterion,short_term,long_term", "source,criterion,shortterm,long_term")
    problem = one(problems_of(mini), "rapport/source_evaluation.csv")
    assert (problem.row, problem.column) == (1, "short_term")
    assert "kolumnen saknas" in problem.message and "'shortterm'" in problem.message


def test_yaml_syntax_error_names_the_line(mini: Path):
    path = rapport(mini, "about.yml")
    edit(path, "  version: Test", "  version: [Test")
    problem = one(problems_of(mini), "rapport/about.yml")
    assert "YAML-syntaxfel" in problem.message
    assert problem.row is not None and problem.row >= line_of(path, "version: [Test")


def test_unknown_service_area_in_a_table(mini: Path):
    path = rapport(mini, "development_activities.csv")
    edit(path, "hyresadministration,Digitala", "hyresadministraton,Digitala")
    problem = one(problems_of(mini), "rapport/development_activities.csv")
    assert (problem.row, problem.column) == (5, "service_area")
    assert "'hyresadministraton' finns inte i model.yml" in problem.message
    assert "Menade du 'hyresadministration'?" in problem.message


def test_unknown_and_missing_service_area_in_assignments(mini: Path):
    path = rapport(mini, "assignments.yml")
    edit(path, "  hyresadministration:\n    contents:", "  hyresadmin:\n    contents:")
    problems = [p for p in problems_of(mini) if p.file == "rapport/assignments.yml"]
    unknown, missing = problems
    assert unknown.row == line_of(path, "  hyresadmin:")
    assert unknown.column == "service_areas → hyresadmin"
    assert "'hyresadmin' finns inte i model.yml" in unknown.message
    assert "'hyresadministration' i model.yml saknar text här" in missing.message
    assert str(unknown).startswith(f"rapport/assignments.yml, rad {unknown.row}, fält ")


def test_empty_required_text(mini: Path):
    path = rapport(mini, "assignments.yml")
    edit(path, "    statistics: Varje år", "    statistics:\n    x_statistics: Varje år")
    problems = [p for p in problems_of(mini) if p.file == "rapport/assignments.yml"]
    by_field = {p.column: p for p in problems}
    empty = by_field["service_areas → hyresadministration → statistics"]
    assert empty.row == line_of(path, "x_statistics") - 1
    assert "texten saknas" in empty.message
    assert (
        "okänt fält 'x_statistics'"
        in by_field["service_areas → hyresadministration → x_statistics"].message
    )


def test_misspelt_rating(mini: Path):
    path = rapport(mini, "source_evaluation.csv")
    edit(path, "agresso,rattvisande,Delvis,Delvis", "agresso,rattvisande,Dlevis,Delvis")
    problem = one(problems_of(mini), "rapport/source_evaluation.csv")
    assert (problem.row, problem.column) == (2, "short_term")
    assert "'Dlevis' är inte en giltig bedömning (Ja, Delvis, Nej, Varierar)" in problem.message
    assert "Menade du 'Delvis'?" in problem.message


def test_rating_is_case_sensitive(mini: Path):
    path = rapport(mini, "source_evaluation.csv")
    edit(path, "agresso,matbara,Ja,Ja", "agresso,matbara,Ja,ja")
    problem = one(problems_of(mini), "rapport/source_evaluation.csv")
    assert (problem.row, problem.column) == (3, "long_term")
    assert "Menade du 'Ja'?" in problem.message


def test_incomplete_or_repeated_evaluation(mini: Path):
    path = rapport(mini, "source_evaluation.csv")
    edit(path, "annan_statistik,matbara,Nej,Varierar", "annan_statistik,rattvisande,Nej,Nej")
    problems = [p for p in problems_of(mini) if p.file == "rapport/source_evaluation.csv"]
    messages = " ".join(p.message for p in problems)
    assert "förekommer redan på rad 4" in messages
    assert "raden för källan 'annan_statistik' och kriteriet 'matbara' saknas" in messages


def test_unknown_source_and_criterion(mini: Path):
    path = rapport(mini, "source_evaluation.csv")
    edit(path, "agresso,matbara,Ja,Ja", "agreso,matbar,Ja,Ja")
    problems = [p for p in problems_of(mini) if p.file == "rapport/source_evaluation.csv"]
    columns = {p.column: p for p in problems if p.row == 3}
    assert "Menade du 'agresso'?" in columns["source"].message
    assert "Menade du 'matbara'?" in columns["criterion"].message


def test_month_outside_1_to_12_in_the_annual_cycle(mini: Path):
    path = rapport(mini, "annual_cycle.csv")
    edit(path, "10,Prislistan", "13,Prislistan")
    problem = one(problems_of(mini), "rapport/annual_cycle.csv")
    assert (problem.row, problem.column) == (3, "month")
    assert "'13' är inte en månad" in problem.message and "mellan 1 och 12" in problem.message


def test_month_outside_1_to_12_in_a_forum(mini: Path):
    path = rapport(mini, "governance.yml")
    edit(path, "months: [3, 9]", "months: [3, 0]")
    problem = one(problems_of(mini), "rapport/governance.yml")
    assert problem.column == "forums → 3 → months → 2"
    assert problem.row == line_of(path, "months: [3, 0]")
    assert "0 är inte en månad" in problem.message


def test_months_must_match_meetings_per_year(mini: Path):
    path = rapport(mini, "governance.yml")
    edit(path, "months: [2, 5, 9, 11]", "months: [2, 5, 9]")
    problem = one(problems_of(mini), "rapport/governance.yml")
    assert problem.column == "forums → 1 → months"
    assert "3 månader angivna men meetings_per_year är 4" in problem.message


def test_unquoted_comma_in_a_participant(mini: Path):
    path = rapport(mini, "governance.yml")
    edit(
        path,
        '{name: "Representant för processägare, SLK", convener: true}',
        "{name: Representant för processägare, SLK, convener: true}",
    )
    problem = one(problems_of(mini), "rapport/governance.yml")
    assert problem.column == "forums → 2 → participants → 1 → SLK"
    assert "okänt fält 'SLK'" in problem.message and "citattecken" in problem.message


def test_unknown_references_in_governance(mini: Path):
    path = rapport(mini, "governance.yml")
    edit(path, "escalates_to: verksamhetsrad", "escalates_to: verksamhetsråd")
    edit(path, "kind: samverkan", "kind: samverkn")
    edit(path, "service_areas: [hyresadministration]", "service_areas: [avgiftshantering]")
    problems = {p.column: p for p in problems_of(mini) if p.file == "rapport/governance.yml"}
    assert "Menade du 'verksamhetsrad'?" in problems["forums → 2 → escalates_to"].message
    assert "Menade du 'samverkan'?" in problems["forums → 3 → kind"].message
    assert (
        "'avgiftshantering' finns inte i model.yml"
        in problems["forums → 3 → service_areas → 1"].message
    )


def test_remark_on_a_key_of_another_service_area(mini: Path):
    path = rapport(mini, "keys.yml")
    edit(path, "key_id: aktiva_avtal", "key_id: antal_fakturor")
    problem = one(problems_of(mini), "rapport/keys.yml")
    assert problem.row == line_of(path, "key_id: antal_fakturor")
    assert "'antal_fakturor' hör inte till tjänsteområdet 'hyresadministration'" in problem.message


def test_misspelt_change_in_changed_assignments(mini: Path):
    edit(
        mini / "changed_assignments.csv",
        "hyresadministration,borttagen bastjänst",
        "hyresadministration,borttagen bastjanst",
    )
    problem = one(problems_of(mini), "changed_assignments.csv")
    assert (problem.row, problem.column) == (3, "change")
    assert "Menade du 'borttagen bastjänst'?" in problem.message


def test_yes_no_mark_and_integer_cells(mini: Path):
    edit(rapport(mini, "lead_times.csv"), "Supportärende,2,nej", "Supportärende,två,kanske")
    edit(
        rapport(mini, "development_activities.csv"),
        "Omorganisation,,X,2021",
        "Omorganisation,,ja,20x1",
    )
    problems = {(p.file, p.row, p.column): p.message for p in problems_of(mini)}
    assert (
        "'två' är inte ett antal dagar" in problems[("rapport/lead_times.csv", 5, "lead_time_days")]
    )
    assert (
        "'kanske' ska vara ja eller nej" in problems[("rapport/lead_times.csv", 5, "illustrative")]
    )
    assert "Skriv X" in problems[("rapport/development_activities.csv", 2, "efficiency")]
    assert "'20x1' är inte ett årtal" in problems[("rapport/development_activities.csv", 2, "year")]


def test_every_problem_is_reported_at_once(mini: Path):
    edit(rapport(mini, "annual_cycle.csv"), "10,Prislistan", "13,Prislistan")
    edit(rapport(mini, "source_evaluation.csv"), "agresso,matbara,Ja,Ja", "agresso,matbara,Ja,Jo")
    edit(rapport(mini, "remainders.yml"), "updated: 2022-05-25", "updated: 25 maj")
    with pytest.raises(InputError) as caught:
        load(mini)
    files = [p.file for p in caught.value.problems]
    assert files == sorted(files)  # grouped file by file
    assert set(files) == {
        "rapport/annual_cycle.csv",
        "rapport/remainders.yml",
        "rapport/source_evaluation.csv",
    }
    text = str(caught.value)
    assert "rapport/remainders.yml, rad" in text and "ÅÅÅÅ-MM-DD" in text
    assert "rapport/annual_cycle.csv, rad 3, kolumn 'month'" in text


# --------------------------------------------------------------------------- what the chapters show


@pytest.fixture(scope="module")
def example():
    model = load_input(DATA_2023)
    return model, calculate(model), load_narrative(DATA_2023, model)


def test_markdown_from_data_is_escaped():
    markdown = views.bullets_markdown([Bullet("<script>alert(1)</script>", ("*x* [a](b)",))])
    assert "<script>" not in markdown and "\\<script\\>" in markdown
    assert "\\*x\\*" in markdown and "\\[a\\]\\(b\\)" in markdown
    assert markdown.splitlines()[1].startswith("  - ")
    assert md_escape("1. rad\nnästa") == "1\\. rad nästa"


def test_forum_and_matrix_are_escaped(mini: Path):
    path = rapport(mini, "governance.yml")
    edit(path, "name: Beredningsgrupp", "name: <script>alert(1)</script>")
    edit(rapport(mini, "keys.yml"), "name: Agresso", 'name: "<b>Agresso</b> & co"')
    model = load_input(mini)
    narrative = load_narrative(mini, model)
    forum = narrative.governance.forums[1]
    assert "<script>" not in views.forum_markdown(forum, narrative, model)
    html = views.evaluation_matrix_html(narrative)
    assert "<b>" not in html and "&lt;b&gt;Agresso&lt;/b&gt; &amp; co" in html
    table = views.forums_table(narrative)
    assert table.loc[1, "name"] == "<script>alert(1)</script>"  # escaped by table_html


def test_evaluation_matrix_cells_carry_class_colour_and_word(example):
    _, _, narrative = example
    html = views.evaluation_matrix_html(narrative)
    cells = re.findall(r'<td class="pm-rating (pm-rating-\w+)"[^>]*>(\w+)</td>', html)
    assert len(cells) == 4 * 7 * 2
    assert all(cls == "pm-rating-" + word.lower() for cls, word in cells)
    assert html.count('colspan="2"') == 7


def test_chosen_keys_table_marks_the_remarks(example):
    model, result, narrative = example
    table = views.chosen_keys_table(narrative, model, result)
    assert len(table) == len(model.keys)
    marked = table.set_index("name").loc["Familjer med maxtaxa", "remark"]
    remarks = views.remarks_markdown(narrative, model)
    assert f"{marked}. **Avgiftshantering – Familjer med maxtaxa:**" in remarks
    # The keys share the full cost less the dedicated services (rule 5).
    dedicated = result.dedicated_services["amount"].sum()
    assert table["pool"].sum() + dedicated == pytest.approx(
        result.full_cost["exact_full_cost"].sum()
    )


def test_changed_services_and_sentences(example):
    model, result, narrative = example
    new = views.changed_services(narrative, model, NEW_SERVICE)
    assert len(new) == 7 and new["area"].iloc[0] == "Leverantörsreskontra"
    assert new["comment"].iloc[0].endswith("Samlad leverantörskontakt.")
    assert views.areas_without_change(narrative, model, NEW_SERVICE) == ["Hyresadministration"]
    sentence = views.changes_sentence(narrative, model)
    assert sentence.startswith("Till prislistan 2023 tillkommer 7 nya bastjänster")
    assert "1\u00a0926\u00a0000\u00a0kr" in sentence
    facts = views.report_facts(model, result)
    assert facts["total_full_cost"] == "127\u00a0019\u00a0200\u00a0kr"
    assert "\u22122,6\u00a0%" in facts["change_sentence"]


def test_annual_cycle_includes_the_model_calendar(example):
    model, _, narrative = example
    events = views.cycle_events(narrative, model)
    calendar = events[events["row"] == views.MODEL_CALENDAR]
    assert calendar["month"].tolist() == [1, 6]  # base invoice in January, volume period ends June
    table = views.cycle_table(narrative, model)
    assert len(table) == 12 and table.loc[6, "meetings"] == "–"  # no meetings in July
    fig = figures.annual_cycle_figure(views.cycle_meetings(narrative), events, "Årshjul")
    assert isinstance(fig, Figure)
    assert views.escalation_chains(narrative) == [
        "Beredningsgrupp → Verksamhetsråd Ekonomi → Strategiska rådet"
    ]


# --------------------------------------------------------------------------- the first page


def test_key_message_is_two_sentences_from_the_engine(example):
    model, result, _ = example
    message = views.key_message(model, result)
    comparison = result.comparison
    difference = comparison.new_total - comparison.previous_total
    assert message.count(". ") == 2 and message.endswith(".")
    assert format_kr(result.total_full_cost) in message
    assert format_signed_kr(difference) in message
    assert views.change_text(
        "den totala debiteringen", comparison.new_total, comparison.previous_total
    ) in message
    areas = comparison.by_area
    by_area = areas.assign(d=areas["new"] - areas["previous"])
    largest = by_area.loc[by_area["d"].abs().idxmax()]
    name = model.service_areas.set_index("service_area").at[largest["service_area"], "name"]
    assert f"{name.lower()} ({format_signed_kr(largest['d'])})" in message
    raised = int((comparison.by_customer["new"] > comparison.by_customer["previous"]).sum())
    assert f"{raised} av {len(comparison.by_customer)} kunder" in message
    alone = views.key_message(model, dataclasses.replace(result, comparison=None))
    assert "ingen jämförelse" in alone and alone.count(". ") == 1


def test_decisions_name_the_price_list_the_keys_and_the_open_questions(example):
    model, result, narrative = example
    text = views.decisions_markdown(narrative, model, result)
    assert f"Prislistan {model.price_list_year}" in text
    assert md_escape(format_kr(result.total_full_cost)) in text or format_kr(
        result.total_full_cost) in text
    questions = views.open_questions(narrative, model)
    assert len(questions) == 2  # the two key names the source spells two ways
    assert questions[0].startswith("Ekonomiservice – Antal oidentifierade poster")
    assert "insättningar" in questions[0] and "maxtaxa" in questions[1]
    for question in questions:
        assert md_escape(question) in text
    quiet = dataclasses.replace(
        narrative,
        keys=dataclasses.replace(
            narrative.keys, remarks=narrative.keys.remarks.assign(open_question=False)
        ),
    )
    assert "Öppna frågor" not in views.decisions_markdown(quiet, model, result)


def test_open_question_must_be_true_or_false(mini: Path):
    keys = rapport(mini, "keys.yml")
    edit(keys, "remarks:\n  - service_area: ",
         "remarks:\n  - open_question: kanske\n    service_area: ")
    problems = problems_of(mini)
    assert any("'kanske' ska vara true eller false" in p.message for p in problems)


def test_customer_meetings_count_once_per_administration(example):
    model, _, narrative = example
    forums = narrative.governance.forums
    per_administration = [f for f in forums if f.per_administration]
    assert [f.id for f in per_administration] == ["kundmote"]
    administrations = int(model.customers["type"].str.endswith("förvaltning").sum())
    assert administrations == 27  # 14 fackförvaltningar and 13 stadsdelsförvaltningar
    others = sum(f.meetings_per_year for f in forums if not f.per_administration)
    assert views.meetings_per_year(narrative, model) == others + 2 * administrations
    facts = views.governance_facts(narrative, model)
    assert facts["meetings"] == format_number(others + 2 * administrations)
