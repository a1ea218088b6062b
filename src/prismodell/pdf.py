"""The PDF report: WeasyPrint prints the single-page HTML build with the print stylesheet,
after a title page and a contents page with page numbers are put in front."""

from __future__ import annotations

import hashlib
import html
import os
import re
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


def input_digest(singlehtml_dir: Path, model: PriceModelInput) -> str:
    """What the PDF is made of: the single page (its build time left out), its images, the
    print stylesheet, the title page's facts and the package. Equal digests give the same PDF,
    so an unchanged book keeps its PDF (which then shows the time it was made)."""
    from .pipeline import code_fingerprint

    digest = hashlib.sha256(code_fingerprint().encode())
    digest.update(_BUILD_TIME.sub("", _printed(main_page(singlehtml_dir))).encode())
    digest.update(PRINT_CSS.read_bytes())
    digest.update(repr((model.price_list_year, model.volume_period, model.example_data)).encode())
    for image in sorted((singlehtml_dir / "_images").glob("*")):
        digest.update(image.name.encode() + b"\0" + image.read_bytes())
    return digest.hexdigest()


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


def print_pdf(singlehtml_dir: Path, target: Path, model: PriceModelInput) -> Path:
    """Write the PDF report to ``target`` (atomically). Raises PdfUnavailable.

    The body and the front matter are laid out as two documents and joined: page numbers in
    the contents come from where the body's chapters actually landed. (CSS target-counter
    does the same in one pass but made WeasyPrint re-lay out 120 pages for minutes.)
    """
    try:
        from weasyprint import CSS, HTML
    except (ImportError, OSError) as missing:  # OSError: pango/harfbuzz libraries missing
        raise PdfUnavailable(
            f"WeasyPrint kunde inte laddas ({missing}). Installera projektets beroenden med "
            "`uv sync` och systembiblioteken med `apt-get install libpango-1.0-0 "
            "libpangoft2-1.0-0 libharfbuzz0b fonts-dejavu-core`, bygg sedan igen."
        ) from None
    source = main_page(singlehtml_dir)
    title = f"Prismodell {model.price_list_year}"
    subtitle = (
        f"Serviceförvaltningen, verksamhetsområde Ekonomi – självkostnad, fördelning och "
        f"prislista. Volymperiod {format_period(*model.volume_period)}."
    )
    banner = (
        '@page { @top-right { content: "Exempeldata"; color: #b00; '
        'font: bold 8.5pt "DejaVu Sans", sans-serif; } }'
        if model.example_data
        else ""
    )
    styles = [CSS(filename=str(PRINT_CSS)), CSS(string=banner)]
    body, chapters = mark_chapters(_printed(source))

    def front(numbers: list[str]):
        entries = [(a, t, n) for (a, t), n in zip(chapters, numbers, strict=True)]
        html_text = front_matter(title, subtitle, model.example_data, entries)
        return HTML(string=html_text, base_url=str(source.parent)).render(stylesheets=styles)

    front_pages = len(front(["000"] * len(chapters)).pages)  # numbers are fixed-width
    first = CSS(string=f"@page :first {{ counter-reset: page {front_pages + 1} }}")
    document = HTML(string=body, base_url=str(source.parent)).render(stylesheets=[*styles, first])
    landed = {}
    for number, page in enumerate(document.pages, start=front_pages + 1):
        for anchor in page.anchors:
            landed.setdefault(anchor, number)
    cover = front([str(landed.get(anchor, "")) for anchor, _ in chapters])
    tmp = target.with_name(f".{target.name}.tmp")
    combined = cover.copy([*cover.pages, *document.pages])
    describe_pdf(combined.metadata, model, title, subtitle)
    # PDF/UA-1: tagged (headings, tables, figures with their alt text) for screen readers
    combined.write_pdf(tmp, pdf_variant=PDF_VARIANT)
    os.replace(tmp, target)
    return target
