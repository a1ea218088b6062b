"""The shared YAML line checker of problems.py, and the layering rule that no module of the
package reaches into another module's private names."""

from __future__ import annotations

import ast
from pathlib import Path

from prismodell import problems
from prismodell.problems import (
    FieldProblem,
    Problem,
    YamlChecker,
    closest,
    field_path,
    known_value_hint,
)

PACKAGE = Path(problems.__file__).parent

TEXT = """\
price_list_year: 2023
service_areas:
  lonekontor:
    name: Lönekontor
    keys:
      - id: antal_lonespecifikationer
        weight: 1
"""


def test_field_path_counts_list_items_from_one():
    assert field_path(("service_areas", "lonekontor", "keys", 0, "weight")) == (
        "service_areas → lonekontor → keys → 1 → weight"
    )
    assert field_path(()) is None


def test_a_problem_has_the_line_of_its_field():
    check = YamlChecker("model.yml", TEXT)
    check.add(("service_areas", "lonekontor", "keys", 0, "weight"), "fel vikt")
    assert check.problems == [
        Problem("model.yml", "fel vikt", 7, "service_areas → lonekontor → keys → 1 → weight")
    ]


def test_a_missing_field_takes_the_line_of_the_nearest_field_around_it():
    check = YamlChecker("model.yml", TEXT)
    assert check.line(("service_areas", "lonekontor", "keys", 0, "source")) == 6
    assert check.line(("service_areas", "lonekontor", "description")) == 3
    assert check.line(("billing", "month")) == 1  # the file itself


def test_an_empty_or_unreadable_text_gives_problems_without_lines():
    for text in ("", "a: [1,\n"):
        check = YamlChecker("x.yml", text)
        check.add(("a",), "saknas")
        assert check.problems[0].row is None and check.problems[0].column == "a"


def test_the_problem_type_decides_how_the_field_is_named():
    class Fields(YamlChecker):
        problem_type = FieldProblem

    check = Fields("rapport/about.yml", "title: x\n")
    check.add(("title",), "för kort")
    assert isinstance(check.problems[0], FieldProblem)
    assert str(check.problems[0]) == "rapport/about.yml, rad 1, fält title: för kort"


def test_the_hint_prefers_the_same_word_in_another_case_then_a_close_spelling():
    known = ["Lonekontor", "lonekontoret", "kundfakturor"]
    assert closest("lonekontor", known) == "Lonekontor"
    assert known_value_hint("kundfaktura", known) == "Menade du 'kundfakturor'?"
    assert known_value_hint("xyz", known) == (
        "Giltiga värden: Lonekontor, lonekontoret, kundfakturor."
    )
    assert known_value_hint("xyz", known, list_all=False) == ""


def _private_reaches(source: str) -> list[str]:
    """Private names a module takes from another module of the package."""
    tree = ast.parse(source)
    modules = set()
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level >= 1:
            for alias in node.names:
                if alias.name.startswith("_") and not alias.name.startswith("__"):
                    found.append(f"from .{node.module} import {alias.name}")
                if node.module is None:  # from . import report_tables as tables
                    modules.add(alias.asname or alias.name)
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id in modules
            and node.attr.startswith("_")
            and not node.attr.startswith("__")
        ):
            found.append(f"{node.value.id}.{node.attr}")
    return found


def test_the_checker_finds_a_private_reach():
    assert _private_reaches("from .a import _x\nfrom . import b\nb._y()\n") == [
        "from .a import _x",
        "b._y",
    ]


def test_no_module_reaches_into_another_modules_private_names():
    reaches = {
        path.name: found
        for path in sorted(PACKAGE.glob("*.py"))
        if (found := _private_reaches(path.read_text(encoding="utf-8")))
    }
    assert reaches == {}
