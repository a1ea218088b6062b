"""The PDF step's pure parts: chapters found in the single-page build (the first page
included), the document information, and the word-box check of the margins."""

from __future__ import annotations

from types import SimpleNamespace

from prismodell import pdf

PAGE = (
    '<article class="bd-article"><section id="om-rapporten">\n'
    '<h1>Om rapporten<a class="headerlink" href="#om-rapporten">#</a></h1><p>Text</p>'
    '<span id="document-uppdrag"></span><section id="uppdrag">'
    "<h1>1. Uppdrag &amp; tjänster</h1></section>"
    '<span id="document-kunder/index"></span><p>' + "x" * 400 + "</p><h2>Fel rubrik</h2>"
    "</section></article>"
)


def test_chapters_include_the_first_page_and_get_running_titles():
    page, chapters = pdf.mark_chapters(PAGE)
    assert chapters == [("om-rapporten", "Om rapporten"), ("document-uppdrag",
                                                           "1. Uppdrag & tjänster")]
    assert page.count('class="pdf-chapter"') == 2
    assert 'data-title="Om rapporten"' in page
    assert 'data-title="1. Uppdrag &amp; tjänster"' in page
    assert "<h2>Fel rubrik</h2>" in page  # too far from its marker: not a chapter title


def test_document_information_for_readers_and_archives():
    metadata = SimpleNamespace()
    model = SimpleNamespace(price_list_year=2023)
    pdf.describe_pdf(metadata, model, "Prismodell 2023", "Självkostnad och prislista.")
    assert metadata.title == "Prismodell 2023 – Serviceförvaltningen, verksamhetsområde Ekonomi"
    assert metadata.lang == "sv-SE"
    assert metadata.authors == ["Serviceförvaltningen, verksamhetsområde Ekonomi"]
    assert metadata.description == "Självkostnad och prislista."
    assert "2023" in metadata.keywords


SKELETON = (
    '<html><head><meta charset="utf-8"></head><body><nav>meny</nav>'
    '<article class="bd-article">{}</article></body></html>'
)
SINGLE_PAGE = SKELETON.format(
    '<section id="om-rapporten"><h1>Om rapporten</h1><p>Se <a class="reference internal" '
    'href="#document-kunder/SDF01">Bromma</a> och <a href="#document-uppdrag">uppdraget</a>.'
    "</p>"
    '<span id="document-uppdrag"></span><section id="uppdrag"><h2>1. Uppdrag</h2></section>'
    '<div class="toctree-wrapper compound">'
    '<span id="document-kunder/index"></span><section id="prisblad-per-kund">'
    "<h2>Prisblad per kund</h2><table><tr><td>"
    '<a class="reference internal" href="#document-kunder/SDF01">Bromma</a></td></tr></table>'
    '<div class="toctree-wrapper compound">'
    '<span id="document-kunder/SDF01"></span><section id="bromma">'
    "<h3>Bromma &amp; co</h3><p>4 170 934 kr</p>"
    '<section id="pris"><h4>Pris</h4><img src="_images/SDF01.png" alt="diagram">'
    '<a class="headerlink" href="#pris">#</a></section>'
    '<p>Se <a class="reference internal" href="#document-uppdrag">Uppdrag</a>.</p></section>'
    '<span id="document-kunder/FF01"></span><section id="ff">'
    "<h3>Fackförvaltningen</h3><section><h4>Pris</h4></section></section>"
    "</div></section></div>"
    '<span id="document-tillganglighet"></span><section id="tillganglighet">'
    "<h2>Tillgänglighetsredogörelse</h2></section></section>"
)


def test_the_price_sheets_are_cut_out_of_the_report_whole():
    book, sheets = pdf.cut_documents(SINGLE_PAGE, "kunder", "kunder/index")
    assert list(sheets) == ["kunder/SDF01", "kunder/FF01"]
    assert sheets["kunder/SDF01"].startswith('<span id="document-kunder/SDF01"></span>')
    assert sheets["kunder/SDF01"].endswith("Uppdrag</a>.</p></section>")  # nested sections
    assert sheets["kunder/FF01"].count("<section") == sheets["kunder/FF01"].count("</section>")
    assert "Bromma &amp; co" not in book and "Fackförvaltningen" not in book
    assert "Prisblad per kund" in book and "Tillgänglighetsredogörelse" in book
    assert book.count("<section") == book.count("</section>")


def test_links_to_what_a_pdf_does_not_hold_become_text():
    book, sheets = pdf.cut_documents(SINGLE_PAGE, "kunder", "kunder/index")
    book = pdf.without_dangling_links(book)
    assert "Se Bromma och " in book and "<td>Bromma</td>" in book  # the sheet is not in it
    assert '<a href="#document-uppdrag">uppdraget</a>' in book  # the chapter is
    sheet = pdf.without_dangling_links(sheets["kunder/SDF01"])
    assert "<p>Se Uppdrag.</p>" in sheet
    assert '<a class="headerlink" href="#pris">#</a>' in sheet


def test_a_sheet_of_its_own_starts_at_heading_level_one():
    sheet = pdf.top_level_headings("<h3>Bromma</h3><section><h4>Pris</h4><h5>x</h5></section>")
    assert sheet == "<h1>Bromma</h1><section><h2>Pris</h2><h3>x</h3></section>"
    assert pdf.top_level_headings("<p>ingen rubrik</p>") == "<p>ingen rubrik</p>"


def single_page(tmp_path, text=SINGLE_PAGE, picture=b"png"):
    folder = tmp_path / "singlehtml"
    (folder / "_images").mkdir(parents=True, exist_ok=True)
    (folder / "index.html").write_text(text, encoding="utf-8")
    (folder / "_images" / "SDF01.png").write_bytes(picture)
    return folder


def test_one_report_and_one_sheet_per_customer_to_print(tmp_path, mini_model):
    model, _ = mini_model
    jobs = pdf.print_jobs(single_page(tmp_path), tmp_path / "ut", model)
    book, *sheets = jobs
    assert book.target == tmp_path / "ut" / "prismodell-2023.pdf" and book.front_matter
    assert "I PDF-versionen av rapporten är varje kunds prisblad en egen PDF-fil" in book.page
    assert "prisblad-2023-SDF01.pdf" in book.page
    assert [s.target.name for s in sheets] == ["prisblad-2023-SDF01.pdf", "prisblad-2023-FF01.pdf"]
    assert all(s.target.parent == tmp_path / "ut" / "prisblad" for s in sheets)
    assert [s.title for s in sheets] == ["Prisblad 2023 – Bromma & co",
                                         "Prisblad 2023 – Fackförvaltningen"]
    first = sheets[0].page
    assert "meny" not in first  # none of the book's navigation (hidden in print anyway)
    assert pdf.mark_chapters(first)[1] == [("bromma", "Bromma & co")]  # its running title
    assert "document-kunder/SDF01" not in first  # its marker breaks the page before it
    assert "Tillgänglighetsredogörelse" not in first and "Fackförvaltningen" not in first
    assert not any(s.front_matter for s in sheets)


def test_a_pdf_digest_ignores_only_the_build_time(tmp_path, mini_model):
    model, _ = mini_model

    def digests(text: str, picture: bytes = b"png") -> list[str]:
        folder = single_page(tmp_path, SINGLE_PAGE.replace("<h1>Om", f"{text}<h1>Om"), picture)
        return [pdf.job_digest(job, model) for job in pdf.print_jobs(folder, tmp_path, model)]

    first = digests("<li>Byggd: 2026-11-30 14:05</li>")
    assert digests("<li>Byggd: 2027-01-02 08:00</li>") == first
    changed = digests("<li>Byggd: 2026-11-30 14:05 (ny)</li>")  # in the report only
    assert [a == b for a, b in zip(changed, first, strict=True)] == [False, True, True]
    picture = digests("<li>Byggd: 2026-11-30 14:05</li>", b"ny")
    # only the sheet that shows the picture is printed again
    assert [a == b for a, b in zip(picture, first, strict=True)] == [True, False, True]
