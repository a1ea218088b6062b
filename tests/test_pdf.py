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


def test_the_pdf_input_digest_ignores_only_the_build_time(tmp_path, mini_model):
    model, _ = mini_model
    folder = tmp_path / "singlehtml"
    (folder / "_images").mkdir(parents=True)
    page = folder / "index.html"
    image = folder / "_images" / "figur.png"

    def digest(text: str, picture: bytes = b"png") -> str:
        page.write_text(text, encoding="utf-8")
        image.write_bytes(picture)
        return pdf.input_digest(folder, model)

    first = digest("<p>Totalt 1 234 kr</p><li>Byggd: 2026-11-30 14:05</li>")
    assert digest("<p>Totalt 1 234 kr</p><li>Byggd: 2027-01-02 08:00</li>") == first
    assert digest("<p>Totalt 1 235 kr</p><li>Byggd: 2026-11-30 14:05</li>") != first
    assert digest("<p>Totalt 1 234 kr</p><li>Byggd: 2026-11-30 14:05</li>", b"ny") != first
