"""End-to-end: `prismodell build` turns a data folder into the HTML book and the PDF.

Builds the example data once (slow: every notebook is executed), the small fixture with bad
input and the reorganised 2024 example. Incremental rebuilds: test_incremental.py.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from html import unescape
from pathlib import Path

import pytest

from prismodell.customer_pages import page_name
from prismodell.pipeline import CHAPTERS, build_book
from prismodell.style import format_kr

from .conftest import MINI

pytestmark = pytest.mark.slow


def page_text(path: Path) -> str:
    text = re.sub(r"<[^>]+>", " ", path.read_text(encoding="utf-8"))
    return re.sub(r"\s+", " ", unescape(text)).replace("\u00a0", " ")


def test_every_chapter_page_exists(example_book):
    out, report, model, _ = example_book
    html = out / "html"
    for chapter in CHAPTERS:
        stem = chapter.template.removesuffix(".ipynb")
        if chapter.per_service_area:
            for area in model.service_areas["service_area"]:
                assert (html / f"{stem}_{area}.html").is_file()
        else:
            assert (html / f"{stem}.html").is_file()
    assert (html / "reproducerbarhet.html").is_file()
    assert (html / "tillganglighet.html").is_file()  # the accessibility statement
    assert (html / "trender.html").is_file()  # data/2022 lies beside data/2023
    for name in ("tyngre_vikt_felaktiga_fakturor", "farsta_farre_krav"):
        assert (html / f"scenario_{name}.html").is_file()
    assert report.html == html / "index.html" and report.html.is_file()


def test_glued_total_equals_the_engine(example_book):
    out, _, _, result = example_book
    total = format_kr(result.total_full_cost).replace("\u00a0", " ")
    assert total in page_text(out / "html" / "om_rapporten.html")
    assert total in page_text(out / "html" / "sjalvkostnad.html")


def test_a_page_per_charged_customer_with_its_total(example_book):
    out, _, model, result = example_book
    totals = result.price_list.groupby("customer_id")["amount"].sum()
    for customer_id, total in totals.items():
        page = out / "html" / "kunder" / f"{customer_id}.html"
        assert page.is_file(), customer_id
        assert format_kr(total).replace("\u00a0", " ") in page_text(page)


def test_example_data_banner_on_every_page(example_book):
    out = example_book[0]
    pages = [*(out / "html").glob("*.html"), *(out / "html" / "kunder").glob("*.html")]
    assert len(pages) > 40
    for page in pages:
        text = page.read_text(encoding="utf-8")
        if page.name in {"search.html", "genindex.html"} or 'http-equiv="Refresh"' in text:
            continue  # Sphinx's own pages and the redirect to the first chapter
        assert "Exempeldata" in text, page


def test_pdf_holds_every_chapter_title_and_a_customer_total(example_book):
    out, report, model, result = example_book
    assert report.pdf is not None and report.pdf.is_file()
    text = subprocess.run(["pdftotext", "-layout", str(report.pdf), "-"], capture_output=True,
                          text=True, check=True).stdout.replace("\u00a0", " ")
    titles = re.findall(r"<h1>(.*?)<a class=\"headerlink\"",
                        "".join(p.read_text() for p in (out / "html").glob("*.html")))
    assert len(titles) >= len(CHAPTERS)
    for title in titles:
        clean = re.sub(r"<[^>]+>", "", unescape(title)).strip()
        assert clean in text, clean
    first = result.price_list.groupby("customer_id")["amount"].sum().iloc[0]
    assert format_kr(first).replace("\u00a0", " ") in text
    assert "Exempeldata" in text and "Innehåll" in text


@pytest.fixture
def mini_copy(tmp_path: Path) -> Path:
    target = tmp_path / "data"
    shutil.copytree(MINI, target)
    return target


# Incremental rebuilds and escaping: test_incremental.py.


def test_bad_input_builds_nothing(mini_copy, tmp_path, capsys):
    from prismodell.cli import main

    (mini_copy / "staffing.csv").write_text("service_area,staff_category,fte\n")
    out = tmp_path / "_build"
    assert main(["build", "--data", str(mini_copy), "--out", str(out), "--no-pdf"]) == 2
    assert "har inga årsarbetare" in capsys.readouterr().err
    assert not out.exists()


def test_reorganised_2024_builds_with_a_three_year_trend(tmp_path):
    data_2024 = MINI.parent.parent.parent / "data" / "2024"
    out = tmp_path / "_build"
    report = build_book(data_2024, out, pdf=False, show=lambda _: None)
    assert "trender" in report.executed
    trend = page_text(out / "html" / "trender.html")
    assert all(year in trend for year in ("2022", "2023", "2024"))
    record = page_text(out / "html" / "reproducerbarhet.html")
    assert "Järva" in record and "sdf_rinkeby_kista" in record  # the mapping applied is listed
    volumes = page_text(out / "html" / "volymer.html")  # counted from the systems' extracts
    assert "framräknade med uttag från" in volumes and "Volym per fördelningsnyckel" in volumes


def test_the_volumes_chapter_claims_no_extracts_the_year_has_not(example_book):
    """2023 has its volumes as ready numbers: the chapter says so, and neither claims nor shows
    a count from the systems' extracts (a fixed opening paragraph once did)."""
    volumes = page_text(example_book[0] / "html" / "volymer.html")
    assert "utan källsystemens uttag" in volumes
    assert "uttag från" not in volumes and "räknas fram ur" not in volumes
    assert "Volym per fördelningsnyckel" not in volumes


# --------------------------------------------------------------------------- the PDF as printed

PRINT_CSS = MINI.parent.parent.parent / "book" / "print.css"
MM = 72 / 25.4  # points per millimetre
_WORD = re.compile(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">'
                   r"(.*?)</word>")


Word = tuple[float, float, float, float, str]  # xMin, yMin, xMax, yMax (points), text


def pdf_pages(path: Path) -> list[tuple[float, float, list[Word]]]:
    """Every page's width, height and word boxes (from the top left), from `pdftotext -bbox`."""
    text = subprocess.run(["pdftotext", "-bbox", str(path), "-"], capture_output=True,
                          text=True, check=True).stdout.replace("\n", " ")
    pages = []
    for width, height, body in re.findall(
        r'<page width="([\d.]+)" height="([\d.]+)">(.*?)</page>', text
    ):
        words = [(float(a), float(b), float(c), float(d), unescape(w))
                 for a, b, c, d, w in _WORD.findall(body)]
        pages.append((float(width), float(height), words))
    return pages


def pdf_objects(path: Path) -> bytes:
    """The PDF's objects as text, object streams unpacked (the catalog, with /Lang, is
    compressed in one)."""
    import zlib

    raw = path.read_bytes()
    parts = [raw]
    for start in re.finditer(rb"stream\r?\n", raw):
        # up to the keyword, not up to the line break before it: compressed data may itself
        # end in a carriage return (then a pattern stopping at "\r\nendstream" cut it, and
        # the catalog went unread in about one PDF in ten); the decompressor stops at its end
        data = raw[start.end():raw.find(b"endstream", start.end())]
        try:
            parts.append(zlib.decompressobj().decompress(data))
        except zlib.error:
            continue  # images and fonts in other encodings
    return b"\n".join(parts)


def page_margins_mm() -> tuple[float, float, float, float]:
    """top, right, bottom, left of the print stylesheet's @page rule."""
    found = re.search(r"@page\s*{[^}]*?margin:\s*([\d.]+)mm\s+([\d.]+)mm\s+([\d.]+)mm\s+([\d.]+)mm",
                      PRINT_CSS.read_text(encoding="utf-8"))
    assert found, "print.css har ingen @page-marginal"
    top, right, bottom, left = (float(v) for v in found.groups())
    return top, right, bottom, left


def printed(report) -> list[tuple[Path, int]]:
    """Every PDF of the build with the number of pages before its body: the report (title
    page and contents) and each customer's price sheet (none)."""
    assert report.sheets, "bygget skrev inga prisblad som PDF"
    return [(report.pdf, 2), *((sheet, 0) for sheet in report.sheets)]


def test_pdf_nothing_runs_past_the_margins(example_book):
    _, report, _, _ = example_book
    top, right, bottom, left = page_margins_mm()
    outside = []
    assert len(pdf_pages(report.pdf)) > 50
    for path, _ in printed(report):
        for number, (width, height, words) in enumerate(pdf_pages(path), start=1):
            for x0, y0, x1, y1, word in words:
                # running header and page number sit in the margin boxes, inside the sides
                if x0 < left * MM - 1 or x1 > width - right * MM + 1 or y0 < 0 or y1 > height:
                    outside.append(f"{path.name} s. {number}: {word!r} x {x0:.0f}–{x1:.0f}")
    assert outside == []


def test_every_customer_gets_a_price_sheet_pdf_of_its_own(example_book):
    """The report leaves the sheets out (and says where they are); each customer's sheet is a
    PDF of its own beside it and on the customer's web page, with the customer's total."""
    out, report, model, result = example_book
    names = dict(zip(model.customers["customer_id"], model.customers["name"], strict=True))
    totals = result.price_list.groupby("customer_id")["amount"].sum()
    assert len(report.sheets) == len(totals)
    for customer_id, total in totals.items():
        document = page_name(customer_id)
        sheet = out / "prisblad" / f"prisblad-{model.price_list_year}-{document}.pdf"
        text = " ".join(subprocess.run(["pdftotext", str(sheet), "-"], capture_output=True,
                                       text=True, check=True).stdout.split())
        assert names[customer_id] in text and format_kr(total).replace("\u00a0", " ") in text
        assert "Exempeldata" in text.split(names[customer_id])[0]  # on its first page too
        page = (out / "html" / "kunder" / f"{document}.html").read_text(encoding="utf-8")
        link = re.search(r'<a href="([^"]+\.pdf)">Ladda ner prisbladet som PDF</a>', page)
        assert link, customer_id
        published = (out / "html" / "kunder" / link.group(1)).resolve()
        assert published.read_bytes() == sheet.read_bytes()
    book = " ".join(subprocess.run(["pdftotext", str(report.pdf), "-"], capture_output=True,
                                   text=True, check=True).stdout.split())
    assert "varje kunds prisblad en egen PDF-fil i mappen prisblad" in book
    assert "Typ: stadsdelsförvaltning · Prislista" not in book  # the first line of a sheet


def test_pdf_is_tagged_described_and_has_bookmarks_per_chapter(example_book):
    out, report, model, _ = example_book
    info = subprocess.run(["pdfinfo", str(report.pdf)], capture_output=True, text=True,
                          check=True).stdout
    fields = dict(line.split(":", 1) for line in info.splitlines() if ":" in line)
    fields = {k.strip(): v.strip() for k, v in fields.items()}
    assert fields["Tagged"] == "yes"
    assert fields["Title"].startswith(f"Prismodell {model.price_list_year}")
    assert fields["Author"] == "Serviceförvaltningen, verksamhetsområde Ekonomi"
    assert "Volymperiod" in fields["Subject"]
    meta = subprocess.run(["pdfinfo", "-meta", str(report.pdf)], capture_output=True,
                          text=True, check=True).stdout
    assert 'pdfuaid:part="1"' in meta or "<pdfuaid:part>1</pdfuaid:part>" in meta  # PDF/UA-1
    assert re.search(rb"/Lang\s*\(sv-SE\)", pdf_objects(report.pdf))
    outline = subprocess.run(["pdftohtml", "-xml", "-i", "-stdout", "-q", str(report.pdf)],
                             capture_output=True, text=True, check=True).stdout
    top = re.search(r"<outline>(.*?)</outline>", outline, re.DOTALL)
    assert top, "PDF:en saknar bokmärken"
    bookmarks = [unescape(t) for t in re.findall(r">([^<>]+)</item>", outline)]
    chapters = re.findall(r'<li class="toctree-l1"><a class="reference internal" href="[^"]+">'
                          r"([^<]+)</a>", (out / "html" / "om_rapporten.html").read_text())
    for title in ["Om rapporten", *chapters[:5]]:
        assert any(title.strip() in b for b in bookmarks), title
    for sheet in report.sheets:
        info, meta = (subprocess.run(["pdfinfo", *option, str(sheet)], capture_output=True,
                                     text=True, check=True).stdout for option in ([], ["-meta"]))
        assert re.search(r"^Tagged: +yes$", info, re.MULTILINE), sheet.name
        assert re.search(rf"^Title: +Prisblad {model.price_list_year} – \S", info, re.MULTILINE)
        assert 'pdfuaid:part="1"' in meta or "<pdfuaid:part>1</pdfuaid:part>" in meta
        assert re.search(rb"/Lang\s*\(sv-SE\)", pdf_objects(sheet)), sheet.name


def test_pdf_title_page_has_no_number_and_the_contents_list_om_rapporten(example_book):
    _, report, _, _ = example_book
    pages = pdf_pages(report.pdf)
    first = " ".join(w for *_, w in pages[0][2])
    assert "Sida" not in first
    assert "Sida" in " ".join(w for *_, w in pages[2][2])
    contents = " ".join(" ".join(w for *_, w in p[2]) for p in pages[1:4])
    assert "Innehåll" in contents and "Om rapporten" in contents


def test_no_heading_alone_at_the_bottom_of_a_pdf_page(example_book):
    """The last line of text above the page number is never a heading: headings are set in a
    larger type (print.css: 11 pt and up, word boxes from 12.8 pt) than body text (10 pt,
    11.6 pt boxes), tables and captions (8 pt)."""
    _, report, _, _ = example_book
    alone = [f"{path.name} s. {number}: {' '.join(w[4] for w in line)}"
             for path, front in printed(report)
             for number, line in last_body_lines(path, front)
             if min(w[3] - w[1] for w in line) > 12.2]
    assert alone == []


def last_body_lines(pdf: Path, front: int = 2):
    """Per page after the ``front`` pages (title and contents): its number and the word boxes
    of the last line of text above the page number (left to right); pages without body text
    are skipped."""
    top, _, bottom, _ = page_margins_mm()
    for number, (_, height, words) in enumerate(pdf_pages(pdf)[front:], start=front + 1):
        body = [w for w in words if top * MM - 2 < w[1] and w[3] < height - bottom * MM + 2]
        if body:
            last = max(w[3] for w in body)
            yield number, sorted((w for w in body if abs(w[3] - last) < 2), key=lambda w: w[0])


def test_no_table_caption_alone_at_the_bottom_of_a_pdf_page(example_book):
    """A table's caption is never the last line of a page (its rows on the next)."""
    out, report, _, _ = example_book
    html = "".join(p.read_text(encoding="utf-8") for p in (out / "html").rglob("*.html"))
    captions = {re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", "", c))).strip()
                for c in re.findall(r"<caption>(.*?)</caption>", html, re.DOTALL)}
    assert len(captions) > 20
    alone = []
    for path, front in printed(report):
        for number, words in last_body_lines(path, front):
            line = " ".join(w[4] for w in words)
            if any(caption.endswith(line) for caption in captions if len(line) > 10):
                alone.append(f"{path.name} s. {number}: {line}")
    assert alone == []


TECHNICAL = re.compile(
    r"\.(?:csv|yml|xlsx|ipynb)\b|\bprismodell (?:build|calculate|compare|new-year)\b"
    r"|\b(?:True|False|None|nan|NaN)\b"
)


def test_reader_pages_carry_no_file_names_commands_ids_or_python_values(example_book):
    out, _, model, _ = example_book
    scenarios = (MINI.parent.parent.parent / "data" / "2023" / "scenarios").glob("*.yml")
    ids = re.compile("|".join(re.escape(p.stem) for p in scenarios))
    found = []
    pages = [p for p in (out / "html").rglob("*.html")
             if p.name not in {"search.html", "genindex.html", "reproducerbarhet.html"}]
    for page in pages:
        text = page.read_text(encoding="utf-8")
        article = re.search(r"<article.*?</article>", text, re.DOTALL)
        if not article:
            continue
        words = re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", article.group(0))))
        for match in [*TECHNICAL.finditer(words), *ids.finditer(words)]:
            found.append(f"{page.name}: {words[max(0, match.start() - 30):match.end() + 30]}")
    assert found == []


def test_sensitivity_tables_sign_every_change_like_the_charts(example_book):
    """An increase in kronor carries "+" like the charts' bar labels, a decrease "−"."""
    from io import StringIO

    import pandas as pd

    out = example_book[0]
    html = (out / "html" / "kanslighet.html").read_text(encoding="utf-8")
    tables = [t for t in pd.read_html(StringIO(html)) if "Största förändring" in t.columns]
    assert tables
    for table in tables:
        for column in ("−20", "−10", "−5", "+5", "+10", "+20"):
            cells = table[column].astype(str).str.replace("\u00a0", " ")
            assert cells.str.match(r"^([+−]\d|0 kr)").all(), (column, list(cells))


def test_pdf_offers_no_download_it_cannot_hand_over(example_book):
    """The customer's Excel price sheet is a download of the web report only."""
    out, report, _, _ = example_book
    assert "Ladda ner prisbladet" in page_text(out / "html" / "kunder" / "sdf_bromma.html")
    text = "\n".join(" ".join(w[4] for w in words)
                     for path, _ in printed(report) for _, _, words in pdf_pages(path))
    assert "Ladda ner prisbladet" not in text
    assert "Prisbladet som fil" not in text


def test_price_sheets_link_their_sections_and_have_the_full_width(example_book):
    """The sheets have no contents column; the links under the title lead to their sections."""
    out = example_book[0]
    sheets = sorted(p for p in (out / "html" / "kunder").glob("*.html") if p.name != "index.html")
    assert sheets
    for sheet in sheets:
        text = sheet.read_text(encoding="utf-8")
        nav = re.search(r'<nav class="pm-sections"[^>]*>(.*?)</nav>', text, re.DOTALL)
        assert nav, sheet.name
        targets = re.findall(r'href="#([^"]+)"', nav.group(1))
        assert len(targets) >= 5, sheet.name
        for target in targets:
            assert f'id="{target}"' in text, (sheet.name, target)
        assert "bd-sidebar-secondary" not in text, sheet.name
    assert "bd-sidebar-secondary" in (out / "html" / "sjalvkostnad.html").read_text()
