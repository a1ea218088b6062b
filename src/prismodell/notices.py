"""Warnings that do not stop a run: what the analyst may have forgotten to update.

``new-year`` copies last year's cost standards, overhead per FTE, key weights and report
texts. A year whose values are still identical to the previous year's folder beside it
(``data/2024`` beside ``data/2025``) gets one Swedish warning per item, printed by
``calculate`` and ``build`` and listed on the report's reproducibility page. The warnings of
reading the input (a file read as Windows-1252, a customer that has left) come along from
:func:`prismodell.inputs.load_input` as ``model.notices``.

Warnings are :class:`prismodell.inputs.Problem` objects, so they name the file like errors do.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml

from .inputs import MODEL_FILE, PriceModelInput, Problem

NARRATIVE_DIR = "rapport"
NARRATIVE_README = "README.md"  # the folder's instructions: the same every year on purpose
ASSIGNMENTS_FILE = "assignments.yml"


def previous_year_folder(model: PriceModelInput) -> Path | None:
    """The folder of the year before beside the data folder (``data/2024`` for 2025), if any."""
    folder = Path(model.data_dir).resolve().parent / str(model.price_list_year - 1)
    return folder if folder.is_dir() else None


# Only compared, never shown with a line number: libyaml's parser (when PyYAML has it) gives
# the same data as safe_load in a tenth of the time, which counts in every `calculate`.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _read_yaml(path: Path) -> Any:
    try:
        return yaml.load(path.read_text(encoding="utf-8"), Loader=_LOADER)
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return None


def _weights(settings: Any) -> dict[tuple[str, str], Any]:
    """(service_area, key_id) → weight, as written in a model.yml."""
    weights: dict[tuple[str, str], Any] = {}
    areas = settings.get("service_areas") if isinstance(settings, dict) else None
    for area, spec in (areas or {}).items() if isinstance(areas, dict) else ():
        keys = spec.get("keys") if isinstance(spec, dict) else None
        for key in keys if isinstance(keys, list) else ():
            if isinstance(key, dict):
                weights[(str(area), str(key.get("id")))] = key.get("weight")
    return weights


def _focus(assignments: Any) -> Any:
    """The 'ÅÅÅÅ i fokus' texts of rapport/assignments.yml: the business area's and each
    service area's ``focus``."""
    if not isinstance(assignments, dict):
        return None
    business = assignments.get("business_area")
    areas = assignments.get("service_areas")
    return {
        "business_area": business.get("focus") if isinstance(business, dict) else None,
        **{
            str(area): text.get("focus")
            for area, text in (areas.items() if isinstance(areas, dict) else ())
            if isinstance(text, dict)
        },
    }


def unchanged_focus(model: PriceModelInput) -> list[str]:
    """The sections of rapport/assignments.yml (``business_area`` or a service-area id) whose
    'ÅÅÅÅ i fokus' texts are the previous year's, word for word; the report marks them."""
    folder = previous_year_folder(model)
    if folder is None:
        return []
    now = _focus(_read_yaml(Path(model.data_dir) / NARRATIVE_DIR / ASSIGNMENTS_FILE)) or {}
    before = _focus(_read_yaml(folder / NARRATIVE_DIR / ASSIGNMENTS_FILE)) or {}
    return [section for section, text in now.items() if text and text == before.get(section)]


def _section_names(model: PriceModelInput, sections: list[str]) -> list[str]:
    names = dict(zip(model.service_areas["service_area"], model.service_areas["name"], strict=True))
    return [
        "verksamhetsområdet" if s == "business_area" else names.get(s, s) for s in sections
    ]


def stale_focus_note(model: PriceModelInput) -> str:
    """The line the report shows under an 'ÅÅÅÅ i fokus' list that is last year's."""
    return (
        f"*Obs: samma punkter som under {model.price_list_year - 1} i fokus i förra årets "
        "rapport – texterna är inte uppdaterade.*"
    )


def unchanged_notices(model: PriceModelInput) -> list[Problem]:
    """One warning per item still identical to the previous year's folder: cost standards,
    overhead per FTE, key weights, the focus texts and the other report texts."""
    folder = previous_year_folder(model)
    if folder is None:
        return []
    before = _read_yaml(folder / MODEL_FILE)
    if not isinstance(before, dict):
        return []
    now = model.settings
    year = model.price_list_year - 1
    question = f"är oförändrade från {year} – stämmer det?"
    notices = []
    if now.get("cost_standards") == before.get("cost_standards"):
        notices.append(
            Problem(MODEL_FILE, f"kostnadsschablonerna (cost_standards) {question}")
        )
    if now.get("administration_overhead_per_fte") == before.get(
        "administration_overhead_per_fte"
    ):
        notices.append(
            Problem(
                MODEL_FILE,
                "den förvaltningsövergripande overheaden per årsarbetare "
                f"(administration_overhead_per_fte) är oförändrad från {year} – stämmer det?",
            )
        )
    if _weights(now) and _weights(now) == _weights(before):
        notices.append(Problem(MODEL_FILE, f"fördelningsnycklarnas vikter {question}"))
    notices += _narrative_notices(model, folder, year, question)
    return notices


def _narrative_notices(
    model: PriceModelInput, folder: Path, year: int, question: str
) -> list[Problem]:
    here, there = Path(model.data_dir) / NARRATIVE_DIR, folder / NARRATIVE_DIR
    if not here.is_dir() or not there.is_dir():
        return []
    notices = []
    stale = unchanged_focus(model)
    if stale:
        notices.append(
            Problem(
                f"{NARRATIVE_DIR}/{ASSIGNMENTS_FILE}",
                f"texterna under '{model.price_list_year} i fokus' (focus) är samma som "
                f"under '{year} i fokus' ({', '.join(_section_names(model, stale))}) – "
                "stämmer det?",
            )
        )
    same = sorted(
        path.relative_to(here).as_posix()
        for path in here.rglob("*")
        if path.is_file()
        and path.name != NARRATIVE_README
        and (there / path.relative_to(here)).is_file()
        and path.read_bytes() == (there / path.relative_to(here)).read_bytes()
    )
    if same:
        notices.append(
            Problem(
                f"{NARRATIVE_DIR}/",
                f"rapportens texter i {', '.join(same)} {question}",
            )
        )
    return notices


def previous_total_notices(model: PriceModelInput) -> list[Problem]:
    """A warning when previous_charges.csv does not sum to the price list that the previous
    year's folder gives: the summary compares with the one, the trend chapter shows the other,
    and the report would give two figures for last year."""
    from .calculation import calculate
    from .inputs import InputError, load_input
    from .style import format_kr, plain_spaces

    folder = previous_year_folder(model)
    if folder is None or model.previous_charges is None:
        return []
    try:
        before = load_input(folder)
    except InputError:
        return []  # that year's problems are reported by the trend chapter's own checks
    if before.price_list_year != model.price_list_year - 1:
        return []
    charged = float(model.previous_charges["amount"].sum())
    computed = calculate(before).total_full_cost
    if round(charged) == computed:
        return []
    name = model.files.get("previous_charges", Path("previous_charges.csv")).name
    return [
        Problem(
            name,
            f"summerar till {plain_spaces(format_kr(charged))}, men prislistan "
            f"{before.price_list_year} beräknad ur {folder.name}/ summerar till "
            f"{plain_spaces(format_kr(computed))}. Jämförelsen med föregående år utgår från "
            f"{name}, kapitlet om utvecklingen över åren från {folder.name}/. Skriv om filen "
            f"med förra årets price_list.csv, eller rätta {folder.name}/.",
        )
    ]


def all_notices(model: PriceModelInput, report: bool = True) -> list[Problem]:
    """Every warning of a run: reading the input, what was not updated and, for the report
    (``build``), previous charges that disagree with the trend chapter. ``calculate`` leaves
    that last check out: it calculates the previous year again, and the trend is the
    report's."""
    notices = [*model.notices, *unchanged_notices(model)]
    return notices + previous_total_notices(model) if report else notices


def notice_lines(notices: Iterable[Problem]) -> list[str]:
    """The warnings as printed by ``calculate`` and ``build`` (empty when there are none)."""
    notices = list(notices)
    if not notices:
        return []
    return [f"Varningar ({len(notices)}) – körningen fortsätter:"] + [
        f"  • {notice}" for notice in notices
    ]


def notices_section(model: PriceModelInput) -> list[str]:
    """Markdown lines for the reproducibility page: the warnings of this build."""
    from .style import md_escape

    notices = all_notices(model)
    lines = ["## Varningar vid bygget", ""]
    if not notices:
        return lines + ["Bygget gav inga varningar.", ""]
    lines += [
        "Bygget gav följande varningar. De stoppar inte beräkningen, men den som ansvarar för "
        "underlaget bör ha kontrollerat dem:",
        "",
    ]
    return lines + [f"- {md_escape(str(notice))}" for notice in notices] + [""]
