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
