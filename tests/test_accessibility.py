"""The accessibility statement: a page in the appendix that says what was tested and how."""

from __future__ import annotations

from prismodell.accessibility import PAGE, accessibility_page
from prismodell.pipeline import table_of_contents


def test_statement_says_what_was_tested_how_and_the_known_gaps(model_2023):
    model, _ = model_2023
    text = accessibility_page(model)
    assert text.startswith("# Tillgänglighetsredogörelse\n")
    for heading in ("## Så har rapporten testats", "## Kända brister", "## Kontakt"):
        assert heading in text
    for fact in ("WCAG 2.1 nivå AA", "axe-core", "2018:1937", "PDF/UA-1", "mobilbredd",
                 f"prislistan {model.price_list_year}"):
        assert fact in text


def test_statement_is_the_last_page_of_the_appendix(model_2023):
    from prismodell.pipeline import plan_jobs

    from .conftest import DATA_2023

    model, result = model_2023
    toc = table_of_contents(model, plan_jobs(model, DATA_2023), ["kunder/index"])
    assert toc["parts"][-1]["chapters"][-1] == {"file": PAGE}
