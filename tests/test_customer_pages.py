"""The appendix: one MyST price sheet per charged customer, totals equal to the price list, and
every text from the data shown literally (never as Markdown or HTML)."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
from docutils.core import publish_string
from myst_parser.parsers.docutils_ import Parser

from prismodell import style
from prismodell.calculation import calculate
from prismodell.customer_pages import INDEX, page_name, write_customer_pages
from prismodell.inputs import load_input
from prismodell.report_tables import sort_key_sv

EVIL = "<script>alert(1)</script>"
STARS = "*x* [länk](http://example.org) {glue:text}`k`"


def render_html(markdown: str) -> str:
    """The page as docutils renders MyST (raw HTML blocks pass through, like in the book)."""
    return publish_string(
        markdown,
        writer_name="html5",
        parser=Parser(),
        settings_overrides={"output_encoding": "unicode", "report_level": 5},
    )


@pytest.fixture
def evil_data(mini: Path) -> Path:
    customers = pd.read_csv(mini / "customers.csv", dtype=str)
    customers.loc[customers["customer_id"] == "SDF01", "name"] = EVIL
    customers.loc[customers["customer_id"] == "B01", "name"] = STARS
    customers.loc[customers["customer_id"] == "B01", "type"] = "<b>bolag</b>"
    customers.to_csv(mini / "customers.csv", index=False)
    return mini


def test_one_page_per_charged_customer_in_name_order(mini: Path, tmp_path: Path):
    model = load_input(mini)
    result = calculate(model)
    docs = write_customer_pages(model, result, tmp_path / "source")
    charged = model.customers[model.customers["customer_id"].isin(result.price_list["customer_id"])]
    by_name = sorted(charged.itertuples(), key=lambda c: sort_key_sv(c.name))
    assert docs == [INDEX] + [f"kunder/{c.customer_id}" for c in by_name]
    for doc in docs:
        assert (tmp_path / "source" / f"{doc}.md").is_file()
    for c in by_name:
        image = tmp_path / "source" / "kunder" / "bilder" / f"{c.customer_id}.png"
        assert image.read_bytes().startswith(b"\x89PNG")
        page = (tmp_path / "source" / f"kunder/{c.customer_id}.md").read_text(encoding="utf-8")
        assert f"](bilder/{c.customer_id}.png)" in page


def test_page_totals_equal_the_price_list(mini: Path, tmp_path: Path):
    model = load_input(mini)
    result = calculate(model)
    write_customer_pages(model, result, tmp_path)
    for customer_id, rows in result.price_list.groupby("customer_id"):
        page = (tmp_path / "kunder" / f"{customer_id}.md").read_text(encoding="utf-8")
        total = style.format_kr(rows["amount"].sum())
        assert f"**{total}**" in page
        html = render_html(page)
        total_row = re.search(r'<tr class="total">(.*?)</tr>', html).group(1)
        assert f'<td class="num">{total}</td>' in total_row
        for amount in rows["amount"]:
            assert style.format_kr(amount) in html
        previous = model.previous_charges
        old = previous.loc[previous["customer_id"] == customer_id, "amount"].sum()
        assert style.format_kr(old) in html
    index = (tmp_path / "kunder" / "index.md").read_text(encoding="utf-8")
    assert index.startswith("# Prisblad per kund\n")
    assert style.format_kr(result.total_full_cost) in index


def test_names_from_data_are_escaped(evil_data: Path, tmp_path: Path):
    model = load_input(evil_data)
    result = calculate(model)
    write_customer_pages(model, result, tmp_path)
    for doc in ("SDF01", "B01", "index"):
        page = (tmp_path / "kunder" / f"{doc}.md").read_text(encoding="utf-8")
        # never as markup in the Markdown itself, only escaped or inside escaped HTML tables
        assert "<script>" not in page
        assert "<b>bolag" not in page
        html = render_html(page)
        assert "<script" not in html
        assert "<b>bolag" not in html
        if doc != "index":
            # the only links are the sheet's own section links, to anchors on the page
            nav = re.search(r'<nav class="pm-sections".*?</nav>', html, re.DOTALL)
            links = re.findall(r'<a href="([^"]*)"', nav.group()) if nav else []
            assert links and all(link.startswith("#") for link in links)
            rest = html.replace(nav.group(), "")
            assert "<em>" not in rest and "<a " not in rest
    evil = render_html((tmp_path / "kunder" / "SDF01.md").read_text(encoding="utf-8"))
    assert '<h1 class="title">&lt;script&gt;alert(1)&lt;/script&gt;</h1>' in evil
    stars = render_html((tmp_path / "kunder" / "B01.md").read_text(encoding="utf-8"))
    assert "*x* [länk](http://example.org) {glue:text}`k`" in stars.replace("&quot;", '"')
    assert "&lt;b&gt;bolag&lt;/b&gt;" in stars


def test_md_escape_keeps_text_literal():
    assert style.md_escape("*x*") == r"\*x\*"
    assert style.md_escape(EVIL) == r"\<script\>alert\(1\)\<\/script\>"
    assert style.md_escape("rad 1\nrad 2") == "rad 1 rad 2"
    assert style.md_escape("Åre kommun") == "Åre kommun"
    assert style.md_escape(None) == ""


def test_page_names_are_safe_and_unique():
    assert page_name("sdf_bromma") == "sdf_bromma"
    odd = page_name("a/b c")
    assert re.fullmatch(r"[A-Za-z0-9_-]+", odd)
    assert odd != page_name("a b/c")
    assert page_name("index") != "index"


@pytest.fixture(scope="module")
def pages_2023(tmp_path_factory, model_2023):
    """The 2023 example's pages, written once for the tests that only read them:
    (folder, document names, model, result)."""
    model, result = model_2023
    out = tmp_path_factory.mktemp("pages_2023")
    return out, write_customer_pages(model, result, out), model, result


def test_2023_pages_are_complete(pages_2023):
    # their time is measured by benchmarks/bench_build.py, not here (a shared machine is noisy)
    out, docs, _, result = pages_2023
    assert len(docs) == 1 + result.price_list["customer_id"].nunique()
    page = (out / "kunder" / "sdf_bromma.md").read_text(encoding="utf-8")
    assert page.startswith("# Bromma stadsdelsförvaltning\n")
    assert "Volymperiod juli 2021 – juni 2022" in page


def test_the_index_links_every_customer_to_its_page(mini: Path, tmp_path: Path):
    model = load_input(mini)
    result = calculate(model)
    docs = write_customer_pages(model, result, tmp_path)
    index = (tmp_path / f"{INDEX}.md").read_text(encoding="utf-8")
    links = re.findall(r'<a href="([^"]+)">([^<]+)</a>', index)
    pages = {f"{doc.split('/')[-1]}.html" for doc in docs[1:]}
    assert {href for href, _ in links} == pages
    names = model.customers.set_index("customer_id")["name"]
    assert sorted(n for _, n in links) == sorted(names[result.price_list["customer_id"].unique()])
    assert '<a href="None">' not in index  # the total row has no page


def test_a_link_in_a_table_is_escaped_like_its_text():
    frame = pd.DataFrame({"name": [EVIL, "B"], "total": [1.0, 2.0]})
    html = style.table_html(frame, {"total": "kr"}, links={"name": ['x".html', None]})
    assert '<a href="x&quot;.html">&lt;script&gt;' in html
    assert "<td>B</td>" in html and EVIL not in html


def test_tables_scroll_in_a_named_focusable_box_and_headers_have_scope():
    html = style.table_html(pd.DataFrame({"a": [1]}), caption="Pris <per> kund")
    assert html.startswith('<div class="pm-scroll" role="region" tabindex="0" '
                           'aria-label="Pris &lt;per&gt; kund"><table')
    assert html.endswith("</table></div>")
    assert '<th scope="col">a</th>' in html


@pytest.mark.parametrize(
    ("value", "text"),
    [(12345, "+12 345 kr"), (-12345, "−12 345 kr"), (0, "0 kr"), (0.4, "0 kr"), (1, "+1 kr")],
)
def test_signed_kronor_carry_plus_on_increases(value, text):
    assert style.format_signed_kr(value).replace(style.NBSP, " ") == text


@pytest.mark.parametrize(
    ("value", "text"),
    [(True, "ja"), (False, "nej"), (118000, "118 000"), (0.25, "0,25"), (1600.0, "1 600"),
     ("2021-07", "2021-07")],
)
def test_settings_read_as_swedish_text_not_python_values(value, text):
    assert style.format_value(value).replace(style.NBSP, " ") == text


def test_a_price_sheet_answers_what_can_we_do_and_leaves_out_zero_weight_keys(pages_2023):
    from prismodell.behaviour import customer_savings

    out, _, model, result = pages_2023
    customer = "aldreforvaltningen"
    text = (out / "kunder" / f"{page_name(customer)}.md").read_text(encoding="utf-8")
    html = render_html(text)
    tables = pd.read_html(__import__("io").StringIO(html), thousands="\u00a0", decimal=",")
    volumes = next(t for t in tables if "Total volym" in t.columns)
    zero = model.keys.loc[model.keys["weight"] == 0, "name"]
    assert not set(zero) & set(volumes["Fördelningsnyckel"])
    assert "Nycklar med vikten 0" in text
    savings = next(t for t in tables if "10 % färre, kort sikt" in t.columns)
    expected = customer_savings(model, result, customer)
    assert list(savings["Fördelningsnyckel"]) == list(expected["name"])
    first = style.format_kr(expected["long_20"].iloc[0]).replace("\u00a0", " ")
    assert first in html.replace("\u00a0", " ")
    assert "## Timpriser" in text and "Timpris" in html
    why = next(t for t in tables if "Egen volym" in t.columns)
    total = why.iloc[-1]
    assert total["Tjänsteområde"] == "Totalt"
    change = result.comparison.by_customer.set_index("customer_id").at[customer, "difference"]
    assert style.format_signed_kr(change).replace("\u00a0", " ") in html.replace("\u00a0", " ")
    assert "sex delar som summerar exakt till förändringen" in text
    # the changed weights have their own column (2022 → 2023 moves leverantörsreskontra's)
    assert "Ändrad vikt i modellen" in why.columns and "Kostnad och total volym" in why.columns
    from prismodell.decomposition import change_parts, in_whole_kronor, previous_year

    parts = in_whole_kronor(change_parts(model, result, previous_year(model), customer))
    weight = parts["weight"].sum()
    assert round(weight) != 0
    shown = str(total["Ändrad vikt i modellen"]).replace("\u00a0", " ")
    assert shown == style.format_signed_kr(weight).replace("\u00a0", " ")
    assert "{doc}`/beteende`" in text and "antagande" in text


def test_without_last_years_folder_the_sheet_says_so(mini: Path, tmp_path: Path):
    model = load_input(mini)
    result = calculate(model)
    docs = write_customer_pages(model, result, tmp_path)
    text = (tmp_path / f"{docs[1]}.md").read_text(encoding="utf-8")
    assert "### Varför har priset ändrats?" in text
    assert f"Datamappen för {model.price_list_year - 1} finns inte" in text


def test_each_customer_can_download_its_own_price_sheet(mini: Path, tmp_path: Path):
    from openpyxl import load_workbook

    customers = pd.read_csv(mini / "customers.csv", dtype=str)
    customers.loc[customers["customer_id"] == "SDF01", "name"] = "=HYPERLINK(1)"
    customers.to_csv(mini / "customers.csv", index=False)
    model = load_input(mini)
    result = calculate(model)
    docs = write_customer_pages(model, result, tmp_path)
    totals = result.price_list.groupby("customer_id")["amount"].sum()
    for doc in docs[1:]:
        name = doc.split("/")[-1]
        text = (tmp_path / f"{doc}.md").read_text(encoding="utf-8")
        assert f"{{download}}`Ladda ner prisbladet som Excelfil <bilder/{name}.xlsx>`" in text
        book = load_workbook(tmp_path / "kunder" / "bilder" / f"{name}.xlsx", data_only=True)
        assert book.sheetnames == ["Pris", "Volymer"]
        rows = list(book["Pris"].iter_rows(values_only=True))
        assert rows[-1][0] == "Totalt"
        customer = next(c for c in totals.index if page_name(c) == name)
        assert rows[-1][1] == totals[customer]
    sheet = load_workbook(
        tmp_path / "kunder" / "bilder" / f"{page_name('SDF01')}.xlsx", data_only=True
    )["Pris"]
    assert sheet["A1"].value.startswith("'=HYPERLINK(1)")  # text, never a formula


def test_section_links_point_at_the_headings_anchors():
    from prismodell.customer_pages import section_links

    nav = section_links(["Pris per tjänsteområde", "Vad kan kunden påverka?", "<b>x</b>"])
    assert 'href="#pris-per-tjansteomrade"' in nav
    assert 'href="#vad-kan-kunden-paverka"' in nav
    assert "&lt;b&gt;x&lt;/b&gt;" in nav and "<b>" not in nav
