"""Problems in an analyst's input, and the one YAML reader every YAML file of a data folder goes
through.

:class:`Problem` names the file, the row as the analyst sees it (header = row 1, or the line of a
YAML file), the column or field and what to fix, in Swedish. :class:`InputError` carries every
problem found, so one run shows the whole list.

YAML is read strictly, because PyYAML's ``safe_load`` lets a repeated key win silently (a second
``administration_overhead_per_fte`` changes a full cost without a word) and expands anchors and
aliases without bound (an "alias bomb" of a few lines grows to gigabytes). Here a repeated key is
an error naming both lines, and anchors and aliases are refused before anything is expanded.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import yaml

MODEL_FILE = "model.yml"
# A data folder's YAML files are a few kilobytes; anything this large is not one of them and
# would only cost memory and time to parse.
MAX_YAML_BYTES = 1_000_000


@dataclass(frozen=True)
class Problem:
    """One thing wrong in the input, worded for the analyst."""

    file: str
    message: str
    row: int | None = None
    column: str | None = None

    def __str__(self) -> str:
        where = self.file
        if self.row is not None:
            where += f", rad {self.row}"
        if self.column is not None:
            where += f", kolumn {self.column!r}" if self.file != MODEL_FILE else f", {self.column}"
        return f"{where}: {self.message}"


class InputError(Exception):
    """The input folder cannot be used; ``problems`` says why, every one of them."""

    def __init__(self, problems: Iterable[Problem]):
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class FieldProblem(Problem):
    """A problem in a YAML file: ``column`` holds the field path (e.g. ``forums → 3 → months``)."""

    def __str__(self) -> str:
        where = self.file
        if self.row is not None:
            where += f", rad {self.row}"
        if self.column is not None:
            where += f", fält {self.column}"
        return f"{where}: {self.message}"


# An id the analyst chooses (service area, key, forum): lower-case ASCII, digits and _ only,
# since ids become file names and column names.
SLUG = re.compile(r"^[a-z0-9_]+$")


def closest(value: str, known: list[str]) -> str | None:
    """The known value the analyst most likely meant (case and close spelling), or None."""
    same_case = [k for k in known if k.casefold() == value.casefold()]
    close = same_case or difflib.get_close_matches(value, known, n=1, cutoff=0.6)
    return close[0] if close else None


def known_value_hint(value: str, known: list[str], list_all: bool = True) -> str:
    """'Menade du 'x'?' for a near miss, else (with ``list_all``) the valid values."""
    match = closest(value, known)
    if match:
        return f"Menade du {match!r}?"
    return f"Giltiga värden: {', '.join(known)}." if known and list_all else ""


# --------------------------------------------------------------------------- YAML


class _Refused(yaml.YAMLError):
    def __init__(self, message: str, mark: Any):
        super().__init__(message)
        self.problem = message
        self.problem_mark = mark


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that refuses anchors and aliases when they are met, before any expansion."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent):
            raise _Refused(
                f"hänvisningen *{event.anchor} (YAML-alias) används inte i prismodellens filer – "
                "skriv ut värdet i stället",
                event.start_mark,
            )
        if getattr(event, "anchor", None) is not None:
            raise _Refused(
                f"ankaret &{event.anchor} (YAML-ankare) används inte i prismodellens filer – "
                "ta bort det och skriv ut värdena där de behövs",
                event.start_mark,
            )
        return super().compose_node(parent, index)


def yaml_lines(root: yaml.Node | None) -> dict[tuple, int]:
    """Line number (1-based) of every mapping value and list item, by its path."""
    lines: dict[tuple, int] = {}
    # Iterative, so a deeply nested file cannot exhaust the call stack here.
    stack: list[tuple[yaml.Node, tuple]] = [(root, ())] if root is not None else []
    while stack:
        node, path = stack.pop()
        lines.setdefault(path, node.start_mark.line + 1)
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                lines[path + (key.value,)] = key.start_mark.line + 1
                stack.append((value, path + (key.value,)))
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                stack.append((item, path + (i,)))
    return lines


def _repeated_keys(root: yaml.Node | None, label: str) -> list[Problem]:
    problems = []
    stack = [root] if root is not None else []
    while stack:
        node = stack.pop()
        if isinstance(node, yaml.MappingNode):
            seen: dict[Any, int] = {}
            for key, value in node.value:
                line = key.start_mark.line + 1
                name = key.value if isinstance(key, yaml.ScalarNode) else None
                if name is not None and name in seen:
                    problems.append(
                        Problem(
                            label,
                            f"fältet {name!r} står två gånger i samma avsnitt (rad {seen[name]} "
                            f"och rad {line}). Bara ett av dem kan gälla: ta bort det ena.",
                            row=line,
                        )
                    )
                elif name is not None:
                    seen[name] = line
                stack.append(value)
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)
    return sorted(problems, key=lambda p: p.row or 0)


def _syntax_problem(label: str, exc: yaml.YAMLError, hint: str) -> Problem:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    what = getattr(exc, "problem", None) or str(exc)
    if isinstance(exc, _Refused):
        return Problem(label, f"{what}.", row=mark.line + 1 if mark else None)
    return Problem(label, f"YAML-syntaxfel ({what}). {hint}", row=mark.line + 1 if mark else None)


def _too_large(text: str, label: str) -> InputError:
    size = f"{len(text):,} tecken, högst {MAX_YAML_BYTES:,}".replace(",", " ")
    return InputError(
        [
            Problem(
                label,
                f"filen är för stor ({size}). En inställningsfil är några kilobyte: "
                "kontrollera att det är rätt fil.",
            )
        ]
    )


def _load(text: str, label: str, hint: str, construct: bool) -> tuple[Any, yaml.Node | None]:
    if len(text) > MAX_YAML_BYTES:
        raise _too_large(text, label)
    loader = None
    try:
        loader = _StrictLoader(text)  # its reader refuses control characters at once
        root = loader.get_single_node()
        problems = _repeated_keys(root, label)
        if problems:
            raise InputError(problems)
        data = loader.construct_document(root) if construct and root is not None else None
    except yaml.reader.ReaderError as exc:
        raise InputError(
            [
                Problem(
                    label,
                    f"filen innehåller ett otillåtet kontrolltecken (U+{exc.character:04X}). "
                    "Ta bort det (det syns ofta inte i en texteditor).",
                    row=text.count("\n", 0, exc.position) + 1,
                )
            ]
        ) from None
    except yaml.YAMLError as exc:
        raise InputError([_syntax_problem(label, exc, hint)]) from None
    except RecursionError:
        raise InputError(
            [Problem(label, "filen är för djupt nästlad för att vara en inställningsfil.")]
        ) from None
    finally:
        if loader is not None:
            loader.dispose()
    return data, root


_HINT = "Kontrollera indrag, kolon och citattecken på raden."


def load_yaml(text: str, label: str, hint: str = _HINT) -> tuple[Any, dict[tuple, int]]:
    """Parse one YAML text strictly: the data and the line of every field (see ``yaml_lines``).

    Raises InputError (file ``label``) for a syntax error, a repeated key (naming both lines),
    an anchor or alias, a file that is too large or nested too deeply.
    """
    data, root = _load(text, label, hint, construct=True)
    return data, yaml_lines(root)


def compose_yaml(text: str, label: str) -> yaml.Node | None:
    """The node tree of a YAML text, with the same checks as ``load_yaml``."""
    return _load(text, label, _HINT, construct=False)[1]


def yaml_text_lines(text: str) -> dict[tuple, int]:
    """``yaml_lines`` of a text already read by ``load_yaml`` (empty when it cannot be read)."""
    try:
        return load_yaml(text, "")[1]
    except InputError:
        return {}


def field_path(path: tuple) -> str | None:
    """A field path as the analyst reads it: ``('forums', 2, 'months')`` → 'forums → 3 →
    months' (list items counted from 1); None for the whole file."""
    return " → ".join(str(p + 1 if isinstance(p, int) else p) for p in path) or None


class YamlChecker:
    """Collects the problems of one YAML file, each with the line of its field and the field
    path. A field that is missing has no line, so the nearest enclosing field's line is used."""

    problem_type: type[Problem] = Problem

    def __init__(self, label: str, text: str):
        self.label = label
        self.problems: list[Problem] = []
        self._text = text

    @cached_property
    def lines(self) -> dict[tuple, int]:
        # Parsed at the first problem: a file without any (the usual case) is not read twice.
        return yaml_text_lines(self._text) if self._text else {}

    def line(self, path: tuple) -> int | None:
        for cut in range(len(path), -1, -1):
            if path[:cut] in self.lines:
                return self.lines[path[:cut]]
        return None

    def add(self, path: tuple, message: str) -> None:
        where = self.line(path), field_path(path)
        self.problems.append(self.problem_type(self.label, message, *where))
