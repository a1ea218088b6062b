"""Incremental builds are correct: a page is rebuilt whenever something it shows changed, and
only then; two builds of the same inputs give the same HTML.

The stale-page matrix (run in test_incremental_full.py, over the fixture that holds every
input file a data folder may have) changes something visible in every input file, one file at
a time, rebuilds the book's sources and checks that the pages showing it now show the new
text, that the chapters reading it re-ran and that the others did not; at the end the rebuilt
book must equal, byte for byte, the book built afresh from the same inputs in another folder.
The expectations are written from what each chapter shows (its notebook), not copied from a
build. This file holds the cases and the check, and the PDFs' own incremental tests.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path

import duckdb
import pytest

from prismodell.pipeline import build_book

from .conftest import MINI
from .test_book import page_text

pytestmark = pytest.mark.slow

AREAS = ("tjansteomrade_leverantorsreskontra", "tjansteomrade_hyresadministration")
ANY = frozenset({"*"})  # a table every numeric chapter may read


@dataclass(frozen=True)
class Case:
    file: str  # in the data folder
    old: str  # text replaced (must occur in the file)
    new: str  # by this; "" means: appended to the file
    shows: frozenset[str] = frozenset()  # documents that must show `mark` afterwards
    reruns: frozenset[str] = frozenset()  # notebooks that must re-run
    may: frozenset[str] = frozenset()  # notebooks that may re-run too (ANY: every one)
    mark: str = ""  # the visible text (default: the first word of `new`)
    gone: str = ""  # text the documents showed before and must not show afterwards
    stays: frozenset[str] = frozenset()  # notebooks that must not re-run (even with ANY)

    @property
    def shown(self) -> str:
        return self.mark or re.match(r"\w+", self.new).group()


def case(file, old, new, shows=(), reruns=(), may=(), mark="", gone="", stays=()):
    return Case(file, old, new, frozenset(shows), frozenset(reruns), frozenset(may), mark, gone,
                frozenset(stays))


CASES = [
    # the narrative: each file is shown by its own chapters, and only they re-run
    case("rapport/other.yml", "Förvaltningarnas engagemang är fortsatt viktigt.",
         "MARKOTHER engagemang.", shows={"ovrigt"}, reruns={"ovrigt"}),
    case("rapport/keys.yml", "Tidigare fördelades kostnaden efter volym.",
         "MARKREMARK volym.", shows={AREAS[0]}, reruns={AREAS[0]},
         # the first page lists the remarks marked as open questions
         may={AREAS[1], "fordelningsnycklar", "om_rapporten"}),
    case("rapport/keys.yml", "Agresso är den mest lämpliga källan på kort sikt.",
         "MARKEVAL kort sikt.", shows={"fordelningsnycklar"}, reruns={"fordelningsnycklar"},
         may={*AREAS, "om_rapporten"}),
    case("rapport/about.yml", "Testdata för två tjänsteområden", "MARKABOUT",
         shows={"om_rapporten"}, reruns={"om_rapporten"}),
    case("rapport/summary.yml", "Underlättar budget- och prognosarbetet.", "MARKSUMMARY.",
         shows={"sammanfattning"}, reruns={"sammanfattning"}),
    case("rapport/governance.yml", "Förvaltningar deltar för samverkan.", "MARKGOV.",
         shows={"styrmodell"}, reruns={"styrmodell"}),
    case("rapport/assignments.yml", "Fortsatt fokus på ökad kundnöjdhet", "MARKASSIGN",
         shows={"uppdrag"}, reruns={"uppdrag"}),
    case("rapport/remainders.csv", "Utreda FoT som bastjänst", "MARKREST",
         shows={"restlista"}, reruns={"restlista"}),
    case("rapport/lead_times.csv", "Supportärende", "MARKLEAD",
         shows={"ledtider"}, reruns={"ledtider"}),
    case("rapport/annual_cycle.csv", "Restlistan sammanställs", "MARKCYCLE",
         shows={"styrmodell"}, reruns={"styrmodell"}),
    case("rapport/development_activities.csv", "Utbetalningsunderlag på webben", "MARKDEV",
         shows={"uppdrag"}, reruns={"uppdrag"}),
    case("rapport/behaviour_keys.csv", "Handläggningstiden per transaktion varierar.",
         "MARKBEHAVIOUR.", shows={"fordelningsnycklar"}, reruns={"fordelningsnycklar"}),
    case("rapport/source_evaluation.csv", "agresso,matbara,Ja,Ja", "agresso,matbara,Ja,Nej",
         reruns={"fordelningsnycklar"}),
    case("rapport/lead_times.yml", "", "\n# only a comment: nothing shown changes\n"),
    case("rapport/remainders.yml", "", "\n# only a comment\n"),
    # model.yml: the invoice month is shown in the billing plan and the annual cycle (the
    # schedule of call-offs already shows 1 March: the January date must go)
    case("model.yml", "", "billing: {month: 3}\n", shows={"ovrigt"},
         reruns={"ovrigt", "styrmodell"}, mark="1 mars 2023", gone="2 januari 2023"),
    case("model.yml", "weight: 0.5, source: Agresso}\n      - {id: felaktiga_fakturor, "
         "name: Felaktiga fakturor, weight: 0.25", "weight: 0.4, source: Agresso}\n      - "
         "{id: felaktiga_fakturor, name: Felaktiga fakturor, weight: 0.35",
         # the other service area's chapter reads its own rows only
         reruns={AREAS[0], "fordelningsnycklar"}, may=ANY, stays={AREAS[1]}),
    # tables: a customer's name is on every page that lists customers (escaped)
    case("customers.csv", "Bromma stadsdelsförvaltning",
         "MARKKUND <script>alert(1)</script>",
         shows={*AREAS[:1], "sammanfattning", "ovrigt", "kunder/index"},
         reruns={AREAS[0], "sammanfattning", "ovrigt"}, may=ANY, mark="MARKKUND"),
    # (the internal overhead is shared by full-time equivalents: every area's cost moves)
    case("staffing.csv", "leverantorsreskontra,ekonom,2", "leverantorsreskontra,ekonom,3",
         reruns={"sjalvkostnad", *AREAS}, may=ANY),
    case("other_costs.csv", "Skanningsleverantör", "MARKCOST", reruns={"sjalvkostnad"},
         may=ANY, stays={AREAS[1]}),
    case("previous_charges.csv", "SDF01,leverantorsreskontra,2700000",
         "SDF01,leverantorsreskontra,2800000", reruns={"sammanfattning", AREAS[0]}, may=ANY,
         stays={AREAS[1]}),
    case("changed_assignments.csv", "Manuell avisering på papper", "MARKCHANGE",
         shows={"uppdrag", "sammanfattning"}, reruns={"uppdrag", "sammanfattning"}, may=ANY),
    case("volumes.csv", "SDF01,felaktiga_fakturor,900", "SDF01,felaktiga_fakturor,901",
         reruns={AREAS[0]}, may=ANY),
    # no scenario chapter is asked for: a scenario file changes nothing in the book
    case("scenarios/exempel.yml", "", "\n# a comment\n"),
]

# The matrix's fixture: mini with every optional input a data folder may hold
# (docs/price-model.md, README): a reorganisation, a dedicated service, call-offs and the
# systems' extracts. Its cases are those of mini's files above and those of the optional ones.
MINI_FULL = MINI.parent / "mini_full"
VOLUMES = "volymer"  # the chapter counting the extracts (DuckDB: its reads are not audited)
# The volumes chapter reads model.yml, customers.csv and the volumes beside the extracts itself
# (prismodell volumes), not through the build context: a change there may re-run it too.
VOLUMES_READS = {"model.yml", "customers.csv", "volumes.csv"}
FULL_CASES = [
    replace(c, may=c.may | {VOLUMES}) if c.file in VOLUMES_READS and c.may != ANY else c
    for c in CASES
] + [
    # the merged district's last-year charges move to another customer: the rental area's
    # comparison now lists the company, which had no rental charges before
    case("customer_mapping.csv", "SDF09,SDF02,1", "SDF09,B01,1", shows={AREAS[1]},
         reruns={AREAS[1], "sammanfattning", VOLUMES}, may=ANY, mark="Exempelbolaget AB"),
    # a dedicated service's name: in its area's chapter and on its customer's price sheet; the
    # chapters that recompute prices (sensitivity, behaviour) read the dedicated services too
    case("dedicated_services.csv", "Särskild attestkontroll", "MARKDEDIC attestkontroll",
         shows={AREAS[0], "kunder/FF01"}, reruns={AREAS[0]},
         may={AREAS[1], "sjalvkostnad", "kanslighet", "beteende"}),
    # call-offs are invoiced in arrears: the billing chapter's monthly plan
    case("calloffs.csv", "Extra leverantörsrapport,1,12345", "Extra leverantörsrapport,1,54321",
         shows={"ovrigt"}, reruns={"ovrigt"}, mark="54 321 kr"),
    # the extracts reach the volumes chapter alone: its counts, its findings and its periods
    case("extracts.yml", "files: lois.parquet\n", "files: lois.parquet\n    period: {start: "
         "2022-01, end: 2022-12}\n", shows={VOLUMES}, reruns={VOLUMES},
         mark="Uttaget lois"),
    case("extracts/agresso.csv", "400,2022-01,3000,0,0", "400,2022-01,3500,0,0",
         shows={VOLUMES}, reruns={VOLUMES}, mark="103 500"),
    # a code mapped to no customer is a finding (its rows are not counted) ...
    case("org_mapping.csv", "LOIS,L3,FF01", "LOIS,L4,FF01", shows={VOLUMES},
         reruns={VOLUMES}, mark="kod L3"),
    # ... so the contracts' total is 2 200 until this change (a parquet file: DuckDB reads it,
    # not Python, so only the chapter's own fingerprint of the extracts records it)
    case("extracts/lois.parquet", "L1,2022-01-01,1200", "L1,2022-01-01,1207", shows={VOLUMES},
         reruns={VOLUMES}, mark="2 207"),
]


def _change(path: Path, c: Case) -> None:
    """Make the case's change; a parquet file is changed in its CSV form, types kept."""
    if path.suffix == ".parquet":
        return _change_parquet(path, c)
    text = path.read_text(encoding="utf-8")
    if c.old:
        assert c.old in text, c
        path.write_text(text.replace(c.old, c.new), encoding="utf-8")
    else:
        path.write_text(text + c.new, encoding="utf-8")


def _change_parquet(path: Path, c: Case) -> None:
    con = duckdb.connect()
    types = {row[0]: row[1] for row in con.execute(
        "DESCRIBE SELECT * FROM read_parquet($file)", {"file": str(path)}).fetchall()}
    with tempfile.TemporaryDirectory() as folder:  # not in the data folder: no stray input
        as_csv = Path(folder) / "table.csv"
        con.execute("COPY (SELECT * FROM read_parquet($file)) TO '" + str(as_csv) + "'",
                    {"file": str(path)})
        text = as_csv.read_text(encoding="utf-8")
        assert c.old and c.old in text, (c, text)
        as_csv.write_text(text.replace(c.old, c.new), encoding="utf-8")
        con.execute("COPY (SELECT * FROM read_csv($csv, header = true, columns = $types)) TO '"
                    + str(path) + "' (FORMAT parquet)", {"csv": str(as_csv), "types": types})


def _source_text(source: Path, doc: str) -> str:
    for suffix in (".ipynb", ".md"):
        if (source / f"{doc}{suffix}").is_file():
            # amounts are written with no-break spaces
            text = (source / f"{doc}{suffix}").read_text(encoding="utf-8")
            return text.replace("\u00a0", " ")
    raise AssertionError(f"no source for {doc}")


@pytest.fixture(scope="module", autouse=True)
def fixed_build_time():
    """The build time on the reproducibility page, the one thing not made from the inputs."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SOURCE_DATE_EPOCH", "1700000000")
        yield


def _build_copy(fixture: Path, root: Path):
    """``fixture`` copied to ``root/data`` and built once (HTML): (data, out, report)."""
    data = root / "data"
    shutil.copytree(fixture, data)
    out = root / "_build"
    report = build_book(data, out, pdf=False, show=lambda _: None)
    return data, out, report


def _html_differences(first: Path, second: Path) -> dict[str, object]:
    """The published files that differ between two HTML folders: the first differing line of
    each, "length" when the line counts differ, "missing" when only one folder has it."""
    files = [{p.relative_to(f) for p in f.rglob("*") if p.is_file()} for f in (first, second)]
    differ: dict[str, object] = {str(p): "missing" for p in files[0] ^ files[1]}
    for path in sorted(files[0] & files[1]):
        lines = [(f / path).read_bytes().decode("utf-8", "replace").splitlines()
                 for f in (first, second)]
        if lines[0] != lines[1]:
            differ[str(path)] = next(
                (a, b) for a, b in zip(*lines, strict=False) if a != b
            ) if len(lines[0]) == len(lines[1]) else "length"
    return differ


def _check_matrix(data: Path, out: Path, first, cases: list[Case]) -> None:
    """Change each case's file in turn, rebuild the sources, check who re-ran and what shows;
    then build the HTML of the last state once."""
    chapters = set(first.executed)
    files = {p.relative_to(data).as_posix() for p in data.rglob("*") if p.is_file()}
    assert files == {c.file for c in cases}  # the matrix covers every input file
    unchanged = build_book(data, out, pdf=False, show=lambda _: None, html=False)
    assert unchanged.executed == []
    for c in cases:
        for doc in c.shows:  # what shows afterwards cannot show before the change
            before = _source_text(out / "source", doc)
            assert c.gone in before if c.gone else c.shown not in before, (c.file, doc)
        _change(data / c.file, c)
        report = build_book(data, out, pdf=False, show=lambda _: None, html=False)
        executed = set(report.executed)
        allowed = chapters if c.may == ANY else c.reruns | c.may
        assert c.reruns <= executed, (c.file, c.new, executed)
        allowed = allowed - c.stays  # not -=: `allowed` may be `chapters` itself
        assert executed <= allowed, (c.file, c.new, executed - allowed)
        for doc in c.shows:
            after = _source_text(out / "source", doc)
            assert c.shown in after and not (c.gone and c.gone in after), (c.file, doc)
    # and the HTML of the last state shows every change, escaped
    build_book(data, out, pdf=False, show=lambda _: None)
    html = out / "html"
    for c in cases:
        for doc in c.shows:
            page = page_text(html / f"{doc}.html")
            assert c.shown in page and not (c.gone and c.gone in page), (c.file, doc)
    raw = "".join(p.read_text(encoding="utf-8") for p in html.rglob("*.html"))
    assert "<script>alert(1)</script>" not in raw
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in raw
    # no stale page anywhere, also where no check above looks (every page's sidebar lists
    # every customer): the rebuilt book is the book built afresh from the same inputs, in
    # another folder – so two builds of the same inputs give the same HTML, byte for byte
    clean = out.parent / "_clean"
    build_book(data, clean, pdf=False, show=lambda _: None)
    assert _html_differences(html, clean / "html") == {}


def test_only_the_pdfs_whose_pages_changed_are_printed_again(tmp_path):
    """The report and each customer's price sheet are printed only when what they show
    changed; the sheet of a customer no longer charged is removed."""
    data = tmp_path / "data"
    shutil.copytree(MINI, data)
    out = tmp_path / "_build"
    first = build_book(data, out, pdf=True, show=lambda _: None)
    assert sorted(p.name for p in first.sheets) == [
        "prisblad-2023-B01.pdf", "prisblad-2023-FF01.pdf", "prisblad-2023-SDF01.pdf",
        "prisblad-2023-SDF02.pdf"]

    def printed() -> dict[str, int]:
        return {p.name: p.stat().st_mtime_ns for p in [first.pdf, *first.sheets] if p.exists()}

    def rebuilt(messages: list[str] | None = None) -> set[str]:
        before = printed()
        build_book(data, out, pdf=True, show=[].append if messages is None else messages.append)
        return {name for name, made in printed().items() if before.get(name) != made}

    gone = out / "prisblad" / "prisblad-2023-GONE.pdf"
    gone.write_bytes(b"%PDF")  # as if printed for a customer who has left since
    messages: list[str] = []
    assert rebuilt(messages) == set()
    assert not gone.exists() and not (out / "html" / "prisblad" / gone.name).exists()
    assert "    0 av 5 PDF:er skrevs (övriga oförändrade sedan förra bygget)" in messages
    # shown in the report only
    path = data / "changed_assignments.csv"
    path.write_text(path.read_text(encoding="utf-8").replace(
        "Manuell avisering på papper", "Avisering via nytt system"), encoding="utf-8")
    assert rebuilt() == {"prismodell-2023.pdf"}
    text = subprocess.run(["pdftotext", str(first.pdf), "-"], capture_output=True, text=True,
                          check=True).stdout
    assert "Avisering via nytt system" in " ".join(text.split())
    # a customer's name: the report (its lists) and that customer's sheet
    path = data / "customers.csv"
    path.write_text(path.read_text(encoding="utf-8").replace(
        "Bromma stadsdelsförvaltning", "Bromma SDF"), encoding="utf-8")
    assert rebuilt() == {"prismodell-2023.pdf", "prisblad-2023-SDF01.pdf"}
    sheet = out / "prisblad" / "prisblad-2023-SDF01.pdf"
    text = subprocess.run(["pdftotext", str(sheet), "-"], capture_output=True, text=True,
                          check=True).stdout
    assert "Bromma SDF" in text
    assert (out / "html" / "prisblad" / sheet.name).read_bytes() == sheet.read_bytes()


def test_a_failing_price_sheet_writer_is_told_and_its_pages_are_not_kept(tmp_path, monkeypatch):
    """The sheets are written in a process of their own; its error still reaches the analyst,
    and the next build writes them (no stamp of a half-written set)."""
    import prismodell.customer_pages

    data = tmp_path / "data"
    shutil.copytree(MINI, data)

    def broken(*_args, **_kwargs):
        raise ValueError("prisbladen kunde inte skrivas")

    monkeypatch.setattr(prismodell.customer_pages, "write_customer_pages", broken)
    with pytest.raises(ValueError, match="prisbladen kunde inte skrivas"):
        build_book(data, tmp_path / "_build", pdf=False, html=False, show=lambda _: None)
    assert not (tmp_path / "_build" / "customer_pages.json").exists()
    monkeypatch.undo()
    build_book(data, tmp_path / "_build", pdf=False, html=False, show=lambda _: None)
    assert (tmp_path / "_build" / "source" / "kunder" / "index.md").is_file()
