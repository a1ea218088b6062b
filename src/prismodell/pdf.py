"""The PDFs: WeasyPrint prints the single-page HTML build with the print stylesheet – the
report (a title page and a contents page with page numbers in front, the price sheets left
out) and each customer's price sheet as a PDF of its own, in parallel, each only when what
it shows changed."""

from __future__ import annotations

import hashlib
import html
import json
import multiprocessing
import os
import re
from dataclasses import dataclass
from pathlib import Path

from .assets import asset_dir
from .inputs import PriceModelInput
from .narrative_views import format_period

PRINT_CSS = asset_dir() / "book" / "print.css"

_REDIRECT = re.compile(r'http-equiv="refresh"[^>]*url=([^"]+)"', re.IGNORECASE)
_DOCUMENT = re.compile(r'<span id="document-([^"]+)"></span>')
# The book's first page has no marker: its chapter is the section around the first h1.
_ROOT = re.compile(r'<section id="([^"]+)">\s*(?=<h1)')
_HEADING = re.compile(r"<h([1-6])([^>]*)>(.*?)</h\1>", re.DOTALL)
_NEAR = 300  # a chapter's heading follows its marker within a few tags
_TAGS = re.compile(r"<[^>]+>")
# The theme's stylesheets are dropped for print: their nested flex layout makes WeasyPrint
# crawl (minutes for 100 pages) and the print stylesheet styles everything that is shown.
_STYLESHEETS = re.compile(
    r"<link[^>]+rel=\"stylesheet\"[^>]*>|<style.*?</style>|<script.*?</script>",
    re.DOTALL | re.IGNORECASE,
)


PDF_VARIANT = "pdf/ua-1"
PDF_LANGUAGE = "sv-SE"
PDF_AUTHOR = "Serviceförvaltningen, verksamhetsområde Ekonomi"


def describe_pdf(metadata, model: PriceModelInput, title: str, subtitle: str) -> None:
    """The document information a PDF reader, an archive and a screen reader show: title,
    language, author, subject and keywords."""
    metadata.title = f"{title} – {PDF_AUTHOR}"
    metadata.lang = PDF_LANGUAGE
    metadata.authors = [PDF_AUTHOR]
    metadata.description = subtitle
    metadata.keywords = ["prismodell", "självkostnad", "prislista", str(model.price_list_year)]
    metadata.generator = "prismodell"


class PdfUnavailable(Exception):
    """No PDF could be made on this machine; the message says how to get one."""


# The one line of the book that differs between two builds of the same inputs.
_BUILD_TIME = re.compile(r"Byggd: \d{4}-\d\d-\d\d \d\d:\d\d")


def _printed(page: Path) -> str:
    """The page as it is printed: without the theme's stylesheets and scripts (Sphinx also
    versions their links differently from one build to the next)."""
    return _STYLESHEETS.sub("", page.read_text(encoding="utf-8"))


def main_page(singlehtml_dir: Path) -> Path:
    """The real page of the single-page build (index.html may only redirect to it)."""
    index = singlehtml_dir / "index.html"
    match = _REDIRECT.search(index.read_text(encoding="utf-8"))
    return singlehtml_dir / match.group(1).split("#")[0] if match else index


def _text(fragment: str) -> str:
    fragment = re.sub(r'<a class="headerlink".*?</a>', "", fragment, flags=re.DOTALL)
    return html.unescape(_TAGS.sub("", fragment)).strip()


def mark_chapters(page: str) -> tuple[str, list[tuple[str, str]]]:
    """Give every chapter heading a clean ``data-title`` (running header) and a print class;
    return the page and its chapters as (anchor, title).

    In the single-page build every chapter starts with Sphinx's empty ``document-NAME`` marker
    followed closely by its heading (h1 on the first page, h2 or deeper for nested chapters).
    """
    chapters: list[tuple[str, str]] = []
    pieces: list[str] = []
    position = 0
    markers = [(f"document-{m.group(1)}", m.end()) for m in _DOCUMENT.finditer(page)]
    root = _ROOT.search(page)
    if root and (not markers or root.end() < markers[0][1]):
        markers.insert(0, (root.group(1), root.end()))  # "Om rapporten" in the contents too
    for anchor, end in markers:
        heading = _HEADING.search(page, end)
        if not heading or heading.start() > end + _NEAR:  # a long title may end later
            continue
        text = _text(heading.group(3))
        chapters.append((anchor, text))
        level, attrs, inner = heading.group(1), heading.group(2), heading.group(3)
        pieces.append(page[position : heading.start()])
        pieces.append(
            f'<h{level}{attrs} class="pdf-chapter" data-title="{html.escape(text)}">'
            f"{inner}</h{level}>"
        )
        position = heading.end()
    pieces.append(page[position:])
    return "".join(pieces), chapters


def front_matter(
    title: str, subtitle: str, example_data: bool, chapters: list[tuple[str, str, str]]
) -> str:
    """Title page and contents as a small HTML document; chapters are (anchor, title, page)."""
    items = "".join(
        f'<li><a href="#{html.escape(anchor)}"><span class="pdf-entry">{html.escape(text)}</span>'
        f'<span class="pdf-page">{html.escape(page)}</span></a></li>'
        for anchor, text, page in chapters
    )
    example = (
        '<p class="pdf-example">Exempeldata – siffrorna är påhittade och inte stadens verkliga.</p>'
        if example_data
        else ""
    )
    return (
        '<!DOCTYPE html><html lang="sv"><head><meta charset="utf-8"></head><body>'
        f'<section class="pdf-title-page"><h1 class="pdf-title">{html.escape(title)}</h1>'
        f'<p class="pdf-subtitle">{html.escape(subtitle)}</p>{example}</section>'
        f'<nav class="pdf-contents"><h2>Innehåll</h2><ol>{items}</ol></nav></body></html>'
    )


def require_weasyprint():
    """WeasyPrint's HTML and CSS classes. Raises PdfUnavailable with what to install."""
    try:
        from weasyprint import CSS, HTML
    except (ImportError, OSError) as missing:  # OSError: pango/harfbuzz libraries missing
        raise PdfUnavailable(
            f"WeasyPrint kunde inte laddas ({missing}). Installera projektets beroenden med "
            "`uv sync` och systembiblioteken med `apt-get install libpango-1.0-0 "
            "libpangoft2-1.0-0 libharfbuzz0b fonts-dejavu-core`, bygg sedan igen."
        ) from None
    return HTML, CSS


# ------------------------------------------------------------------ the book and the sheets

SHEET_FOLDER = "prisblad"
_SECTION = re.compile(r"<(/?)section\b")
_LINK = re.compile(r'<a\b[^>]*?\bhref="#([^"]*)"[^>]*>(.*?)</a>', re.DOTALL)
_ID = re.compile(r'\bid="([^"]+)"')
_HEAD = re.compile(r"<head>.*?</head>", re.DOTALL)
_HEADING_TAG = re.compile(r"<(/?)h([1-6])\b")
_IMAGE = re.compile(r'<img\b[^>]*?\bsrc="(?!data:)([^"]+)"')


def sheet_file_name(year: int, document: str) -> str:
    """``prisblad-2023-sdf_bromma.pdf`` for the document ``kunder/sdf_bromma``."""
    return f"prisblad-{year}-{document.rsplit('/', 1)[-1]}.pdf"


def _section_end(page: str, start: int) -> int:
    """Where the ``<section>`` element opening first at or after ``start`` ends."""
    depth = 0
    for tag in _SECTION.finditer(page, start):
        depth += -1 if tag.group(1) else 1
        if depth == 0:
            return page.index(">", tag.end()) + 1
    raise ValueError("osluten <section> i den enkelsidiga HTML-sidan")


def cut_documents(page: str, folder: str, keep: str) -> tuple[str, dict[str, str]]:
    """Cut every document under ``folder`` but ``keep`` (its marker and its section) out of
    the single page; return the rest and the cut documents by name, in page order."""
    pieces: list[str] = []
    cut: dict[str, str] = {}
    position = 0
    for marker in _DOCUMENT.finditer(page):
        document = marker.group(1)
        if not document.startswith(f"{folder}/") or document == keep:
            continue
        end = _section_end(page, marker.end())
        pieces.append(page[position : marker.start()])
        cut[document] = page[marker.start() : end]
        position = end
    pieces.append(page[position:])
    return "".join(pieces), cut


def without_dangling_links(fragment: str) -> str:
    """Links to a place that is not in ``fragment`` (a chapter of the book, in a sheet; a
    sheet, in the book) become their text: a PDF link that leads nowhere helps nobody."""
    ids = set(_ID.findall(fragment))
    return _LINK.sub(
        lambda link: link.group(0) if html.unescape(link.group(1)) in ids else link.group(2),
        fragment,
    )


def top_level_headings(fragment: str) -> str:
    """Headings renumbered so the first is h1: a sheet nested under the appendix in the book
    is a document of its own in its PDF (PDF/UA wants no skipped heading level)."""
    levels = [int(level) for _, level in _HEADING_TAG.findall(fragment)]
    shift = min(levels, default=1) - 1
    return _HEADING_TAG.sub(lambda tag: f"<{tag.group(1)}h{int(tag.group(2)) - shift}", fragment)


@dataclass(frozen=True)
class PrintJob:
    """One PDF to print: the report itself or one customer's price sheet."""

    target: Path
    page: str  # the HTML, as printed
    base_url: str
    title: str
    subtitle: str
    front_matter: bool  # title page and contents (the report) or none (a sheet)


def print_jobs(singlehtml_dir: Path, out: Path, model: PriceModelInput) -> list[PrintJob]:
    """The report (without the price sheets) and one job per price sheet, from the single page."""
    from .customer_pages import FOLDER, INDEX

    source = main_page(singlehtml_dir)
    page = _printed(source)
    year = model.price_list_year
    book, sheets = cut_documents(page, FOLDER, INDEX)
    if sheets:
        book = _with_sheet_note(book, INDEX, sheet_file_name(year, next(iter(sheets))))
    jobs = [
        PrintJob(
            out / f"prismodell-{year}.pdf",
            without_dangling_links(book),
            str(source.parent),
            f"Prismodell {year}",
            "Serviceförvaltningen, verksamhetsområde Ekonomi – självkostnad, fördelning och "
            f"prislista. Volymperiod {format_period(*model.volume_period)}.",
            True,
        )
    ]
    for document, fragment in sheets.items():
        sheet = top_level_headings(without_dangling_links(fragment))
        _, [(_, name)] = mark_chapters(sheet)
        sheet = _DOCUMENT.sub("", sheet, count=1)  # its page break would leave page 1 blank
        jobs.append(
            PrintJob(
                out / SHEET_FOLDER / sheet_file_name(year, document),
                _alone(page, sheet),
                str(source.parent),
                f"Prisblad {year} – {name}",
                f"Vad {name} betalar för Serviceförvaltningens bastjänster enligt prislistan "
                f"{year}.",
                False,
            )
        )
    return jobs


def _alone(page: str, fragment: str) -> str:
    """``fragment`` as a page of its own: the single page's head, none of its navigation
    (hidden in print, and a sheet must not change when another customer's name does)."""
    head = _HEAD.search(page)
    return (
        f'<!DOCTYPE html><html lang="sv">{head.group(0) if head else ""}<body>'
        f'<main class="bd-main"><article class="bd-article">{fragment}</article></main>'
        "</body></html>"
    )


def _with_sheet_note(book: str, index: str, example: str) -> str:
    """Tell the report's reader where the price sheets went: a PDF of their own each."""
    marker = book.index(f'<span id="document-{index}"></span>')
    heading_end = _HEADING.search(book, marker).end()
    note = (
        '<p class="pdf-sheet-note">I PDF-versionen av rapporten är varje kunds prisblad en '
        f"egen PDF-fil i mappen <code>{SHEET_FOLDER}</code> bredvid rapporten (till exempel "
        f"<code>{html.escape(example)}</code>). I webbrapporten laddas prisbladet ner som PDF "
        "från kundens sida.</p>"
    )
    return book[:heading_end] + note + book[heading_end:]


def job_digest(job: PrintJob, model: PriceModelInput) -> str:
    """What one PDF is made of: its page (the build time left out), the images it shows, the
    print stylesheet, its title and the package. Equal digests give the same PDF, so an
    unchanged report or sheet is kept (and keeps the time it was made)."""
    from .pipeline import code_fingerprint

    digest = hashlib.sha256(code_fingerprint().encode())
    digest.update(_BUILD_TIME.sub("", job.page).encode())
    digest.update(PRINT_CSS.read_bytes())
    facts = (job.title, job.subtitle, job.front_matter, model.example_data)
    digest.update(repr(facts).encode())
    for source in sorted(set(_IMAGE.findall(job.page))):
        image = Path(job.base_url) / html.unescape(source)
        digest.update(source.encode() + b"\0" + (image.read_bytes() if image.is_file() else b""))
    return digest.hexdigest()


def print_job(job: PrintJob, model: PriceModelInput) -> Path:
    """Write one PDF (atomically). Raises PdfUnavailable.

    The report's body and its front matter are laid out as two documents and joined: page
    numbers in the contents come from where the body's chapters actually landed. (CSS
    target-counter does the same in one pass but made WeasyPrint re-lay out 120 pages for
    minutes.)
    """
    HTML, CSS = require_weasyprint()
    corner = ('{ @top-right { content: "Exempeldata"; color: #b00; '
              'font: bold 8.5pt "DejaVu Sans", sans-serif; } }')
    # a sheet travels alone: its first page says "Exempeldata" too
    banner = (f"@page {corner}" + ("" if job.front_matter else f" @page :first {corner}")
              if model.example_data else "")
    styles = [CSS(filename=str(PRINT_CSS)), CSS(string=banner)]
    body, chapters = mark_chapters(job.page)
    if job.front_matter:

        def front(numbers: list[str]):
            entries = [(a, t, n) for (a, t), n in zip(chapters, numbers, strict=True)]
            text = front_matter(job.title, job.subtitle, model.example_data, entries)
            return HTML(string=text, base_url=job.base_url).render(stylesheets=styles)

        front_pages = len(front(["000"] * len(chapters)).pages)  # numbers are fixed-width
        first = CSS(string=f"@page :first {{ counter-reset: page {front_pages + 1} }}")
        document = HTML(string=body, base_url=job.base_url).render(
            stylesheets=[*styles, first]
        )
        landed = {}
        for number, page in enumerate(document.pages, start=front_pages + 1):
            for anchor in page.anchors:
                landed.setdefault(anchor, number)
        cover = front([str(landed.get(anchor, "")) for anchor, _ in chapters])
        document = cover.copy([*cover.pages, *document.pages])
    else:
        document = HTML(string=body, base_url=job.base_url).render(stylesheets=styles)
    describe_pdf(document.metadata, model, job.title, job.subtitle)
    job.target.parent.mkdir(parents=True, exist_ok=True)
    tmp = job.target.with_name(f".{job.target.name}.tmp")
    # PDF/UA-1: tagged (headings, tables, figures with their alt text) for screen readers
    document.write_pdf(tmp, pdf_variant=PDF_VARIANT)
    os.replace(tmp, job.target)
    return job.target


def print_report(
    singlehtml_dir: Path, out: Path, model: PriceModelInput, workers: int | None = None
) -> tuple[Path, list[Path], int]:
    """Print the report and every price sheet into ``out`` (sheets in ``out/prisblad``),
    each only if what it is made of changed since it was printed; in parallel, one process
    per core. Return the report, the sheets and how many PDFs were printed. Raises
    PdfUnavailable."""
    require_weasyprint()  # imported here once, before the printers are forked
    jobs = print_jobs(singlehtml_dir, out, model)
    stamp_file = out / "pdf.json"
    stamps = json.loads(stamp_file.read_text()) if stamp_file.is_file() else {}
    names = {job.target: job.target.relative_to(out).as_posix() for job in jobs}
    digests = {names[job.target]: job_digest(job, model) for job in jobs}
    todo = [job for job in jobs if not job.target.is_file()
            or stamps.get(names[job.target]) != digests[names[job.target]]]
    stamp_file.unlink(missing_ok=True)  # a stop half-way must not keep a stale PDF
    for stale in sorted((out / SHEET_FOLDER).glob("*.pdf")):
        if stale not in names:
            stale.unlink()
    workers = min(workers or len(os.sched_getaffinity(0)), len(todo))
    if workers > 1:
        # forked before any thread is started here; the report (the longest) goes first
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            pool.starmap(print_job, [(job, model) for job in todo], chunksize=1)
    else:
        for job in todo:
            print_job(job, model)
    stamp_file.write_text(json.dumps(digests, indent=1, sort_keys=True))
    return jobs[0].target, [job.target for job in jobs[1:]], len(todo)
