"""Next year's data folder from this year's: ``prismodell new-year 2025 --from data/2024``.

The new folder gets ``model.yml`` with the year and the volume period moved on (comments
kept), the narrative folders (``rapport/``, ``scenarios/``), the customers and the dedicated
services copied, this
year's computed price list as ``previous_charges.csv``, and header-only tables for what the
analyst must fill in (staffing, volumes, other costs, changed assignments). A customer mapping
is not carried over: it belongs to the year of the reorganisation.

The folder is written into a temporary folder beside it and renamed into place when complete,
and an existing folder is never overwritten.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .calculation import calculate
from .inputs import MODEL_FILE, SCHEMAS, InputError, Problem, load_input
from .problems import compose_yaml, load_yaml
from .style import format_kr, plain_spaces

COPIED_FOLDERS = ("rapport", "scenarios")  # narrative data, copied as they are
EMPTY_TABLES = ("staffing", "volumes", "other_costs", "changed_assignments")
YEARS = (2000, 2100)  # the price-list years model.yml accepts


@dataclass
class NewYearReport:
    """What ``new_year`` wrote and what the analyst fills in next (Swedish lines)."""

    target: Path
    year: int
    volume_period: tuple[str, str]
    written: list[str] = field(default_factory=list)
    todo: list[str] = field(default_factory=list)
    model_comments_kept: bool = True


def shift_period(period: str, years: int) -> str:
    """'2022-07' moved ``years`` years on: '2023-07'."""
    year, month = period.split("-")
    return f"{int(year) + years:04d}-{month}"


def _scalar_spans(text: str) -> dict[tuple[str, ...], tuple[int, int]]:
    """Character spans of the scalars price_list_year, volume_period.start and .end."""
    spans: dict[tuple[str, ...], tuple[int, int]] = {}
    root = compose_yaml(text, MODEL_FILE)
    if not isinstance(root, yaml.MappingNode):
        return spans
    for key, value in root.value:
        if key.value == "price_list_year" and isinstance(value, yaml.ScalarNode):
            spans[("price_list_year",)] = (value.start_mark.index, value.end_mark.index)
        if key.value == "volume_period" and isinstance(value, yaml.MappingNode):
            for part, node in value.value:
                if part.value in ("start", "end") and isinstance(node, yaml.ScalarNode):
                    spans[("volume_period", part.value)] = (
                        node.start_mark.index,
                        node.end_mark.index,
                    )
    return spans


def move_header_year(text: str, old: int, new: int) -> str:
    """The comment lines at the top of model.yml with the price-list year ``old`` moved to
    ``new`` ("# Price list 2024: ..." → "# Price list 2025: ..."). Other years, and dates such
    as 2023-07-01, are history and stay; so does everything after the header."""
    lines = text.splitlines(keepends=True)
    year = re.compile(rf"(?<![\d-]){old}(?![\d-])")
    for i, line in enumerate(lines):
        if not line.lstrip().startswith("#"):
            break
        lines[i] = year.sub(str(new), line)
    return "".join(lines)


def new_model_text(text: str, year: int, period: tuple[str, str], header: str) -> tuple[str, bool]:
    """model.yml for ``year`` with ``period``: the old text with only those three values
    replaced (comments kept) and ``header`` (comment lines) on top. When the values cannot be
    found in the text, the settings are written anew with a header saying so; the flag
    tells which happened."""
    values = {
        ("price_list_year",): str(year),
        ("volume_period", "start"): period[0],
        ("volume_period", "end"): period[1],
    }
    spans = _scalar_spans(text)
    if set(spans) == set(values):
        new = text
        for path, (start, end) in sorted(spans.items(), key=lambda item: -item[1][0]):
            new = new[:start] + values[path] + new[end:]
        check, _ = load_yaml(new, MODEL_FILE)
        if check.get("price_list_year") == year and check.get("volume_period") == {
            "start": period[0],
            "end": period[1],
        }:
            return header + new, True
    raw: dict[str, Any] = load_yaml(text, MODEL_FILE)[0]
    raw["price_list_year"] = year
    raw["volume_period"] = {"start": period[0], "end": period[1]}
    note = (
        "# Kommentarerna i förra årets model.yml kunde inte behållas: inställningarna är\n"
        "# omskrivna av prismodell new-year. Jämför med förra årets fil.\n"
    )
    return header + note + yaml.safe_dump(raw, allow_unicode=True, sort_keys=False), False


def _header_only(name: str) -> str:
    columns = list(SCHEMAS[name].column_names)
    return ",".join(columns) + "\n"


def write_input_csv(frame, path: Path) -> None:
    """A table the next ``calculate`` reads back, written exactly: ids are not neutralised
    against spreadsheet formulas here (that is for display files) because the reader takes
    every cell as it is, so ``=x`` must stay ``=x`` to name the same customer."""
    frame.to_csv(path, index=False, encoding="utf-8", lineterminator="\n")


def links_out_of(source: Path, paths: list[Path]) -> list[Problem]:
    """A problem for every symbolic link among ``paths`` (and inside those folders) that
    leads out of ``source``: new-year never copies anything from outside the data folder."""
    root = source.resolve()
    problems = []

    def check(path: Path) -> None:
        if not path.is_symlink():
            return
        try:
            target = path.resolve(strict=True)
            inside = target.is_relative_to(root)
        except (OSError, RuntimeError):  # a broken link or a loop
            target, inside = None, False
        if not inside:
            where = f"till {target}" if target is not None else "som inte leder någonstans"
            problems.append(
                Problem(
                    str(path.relative_to(source)),
                    f"är en symbolisk länk {where}, utanför datamappen {source}. new-year "
                    "kopierar bara filer i datamappen: ersätt länken med en kopia av filen.",
                )
            )

    for path in paths:
        check(path)
        if path.is_dir() and not path.is_symlink():
            for folder, dirs, files in os.walk(path):
                for name in dirs + files:
                    check(Path(folder) / name)
    return problems


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def new_year(year: int, source: Path | str, target: Path | str | None = None) -> NewYearReport:
    """Create the data folder of ``year`` from ``source``. Raises InputError (nothing written)
    when the source does not load, the year is not later, or the target exists."""
    source = Path(source)
    if isinstance(year, bool) or not isinstance(year, int) or not YEARS[0] <= year <= YEARS[1]:
        raise InputError(
            [
                Problem(
                    "new-year",
                    f"året {year} går inte att använda. Ange ett prislisteår från {YEARS[0]} "
                    f"till {YEARS[1]}, t.ex. prismodell new-year 2025 --from data/2024.",
                )
            ]
        )
    target = Path(target) if target is not None else source.parent / str(year)
    model = load_input(source)  # the source must be complete: its price list is needed
    problems = links_out_of(
        source,
        [source / MODEL_FILE, model.files["customers"], *(source / f for f in COPIED_FOLDERS)],
    )
    if year <= model.price_list_year:
        problems.append(
            Problem(
                str(source / MODEL_FILE),
                f"det nya året {year} måste vara senare än prislisteåret "
                f"{model.price_list_year} i {source}. Ange t.ex. {model.price_list_year + 1}.",
            )
        )
    if source.resolve() in (target.resolve(), *target.resolve().parents):
        problems.append(
            Problem(
                str(target),
                f"den nya mappen kan inte ligga i förra årets datamapp {source}: den skulle "
                "räknas som en del av dess indata. Ange en mapp bredvid, t.ex. "
                f"{source.parent / str(year)}.",
            )
        )
    elif target.exists():
        problems.append(
            Problem(
                str(target),
                "mappen finns redan och skrivs aldrig över. Flytta eller byt namn på den "
                "befintliga mappen, eller ange en annan mapp med --out.",
            )
        )
    if problems:
        raise InputError(problems)

    shift = year - model.price_list_year
    period = (
        shift_period(model.volume_period[0], shift),
        shift_period(model.volume_period[1], shift),
    )
    result = calculate(model)
    report = NewYearReport(target=target, year=year, volume_period=period)
    header = (
        f"# Skapad med prismodell new-year {year} från {source}.\n"
        f"# Fyll i kostnadsschabloner, overhead och nycklarnas vikter för {year}"
        " (se data/README.md).\n"
    )

    target.parent.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        os.chmod(stage, 0o777 & ~_umask())
        text, kept = new_model_text(
            move_header_year(
                (source / MODEL_FILE).read_text(encoding="utf-8"), model.price_list_year, year
            ),
            year,
            period,
            header,
        )
        (stage / MODEL_FILE).write_text(text, encoding="utf-8")
        report.model_comments_kept = kept
        report.written.append(MODEL_FILE)
        for folder in COPIED_FOLDERS:
            if (source / folder).is_dir():
                shutil.copytree(source / folder, stage / folder)
                report.written.append(f"{folder}/")
        customers = model.files["customers"]
        shutil.copy2(customers, stage / customers.name)
        report.written.append(customers.name)
        # Dedicated services usually go on from year to year: the analyst checks their FTEs.
        dedicated = model.files.get("dedicated_services")
        if dedicated is not None:
            shutil.copy2(dedicated, stage / dedicated.name)
            report.written.append(dedicated.name)
        for name in EMPTY_TABLES:
            (stage / f"{name}.csv").write_text(_header_only(name), encoding="utf-8")
            report.written.append(f"{name}.csv")
        write_input_csv(result.price_list, stage / "previous_charges.csv")
        report.written.append("previous_charges.csv")
        if target.exists():  # appeared while we were writing: still never overwritten
            raise InputError([Problem(str(target), "mappen finns redan och skrivs aldrig över.")])
        os.rename(stage, target)
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        raise

    total = int(result.price_list["amount"].sum())
    report.todo = [
        f"staffing.csv: årsarbetare {year} per tjänsteområde och personalkategori, även "
        "internt_overhead.",
        f"volumes.csv: varje kunds volym per fördelningsnyckel för volymperioden "
        f"{period[0]} – {period[1]}.",
        f"model.yml: kostnadsschabloner och förvaltningsövergripande overhead för {year}, "
        "och nycklar och vikter om styrgruppen har ändrat dem.",
        "customers.csv: nya, sammanslagna eller delade förvaltningar och bolag. Vid en "
        "omorganisation: lägg till customer_mapping.csv (from_customer_id, to_customer_id, share).",
        "other_costs.csv: övriga direkta kostnader (skanning, licenser, …).",
        *(
            [
                "dedicated_services.csv är kopierad från förra året: kontrollera tjänsterna och "
                "deras årsarbetare (de ingår i staffing.csv)."
            ]
            if "dedicated_services" in model.files
            else []
        ),
        "changed_assignments.csv: nya och borttagna bastjänster med kostnadseffekt.",
        "rapport/: texterna för året (i fokus, restlista, ledtider) – se rapport/README.md.",
        f"previous_charges.csv är redan ifylld: prislistan {model.price_list_year} "
        f"({len(result.price_list)} rader, sammanlagt {plain_spaces(format_kr(total))}).",
    ]
    return report
