"""A real browser (Debian chromium driven by Playwright) uses the built HTML book as a reader
does: from the landing page it reaches every page only by clicking links that are visible on
screen (sidebar, "nästa", the customer index), at desktop and at phone width. On every page it
checks that the navigation is on screen (bounding boxes, not only in the DOM), that every table
stays inside the text column (a wide one scrolls there), that the console stays clean and, at
desktop width with axe-core, that the page meets WCAG 2.1 A/AA. With
``PRISMODELL_SCREENSHOTS=FOLDER`` the walks also save a full-page screenshot of every page there,
for a person to look at (a third of the walks' time, so not by default)."""

from __future__ import annotations

import functools
import os
import shutil
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlparse

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.browser]

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
SPHINX_PAGES = {"search.html", "genindex.html", "index.html"}


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:  # the test reports what matters
        pass


@pytest.fixture(scope="module")
def site(example_book):
    """The HTML book served on loopback, as a reader's browser would get it."""
    html = example_book[0] / "html"
    handler = functools.partial(QuietHandler, directory=str(html))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", example_book
    server.shutdown()


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail("chromium saknas: kör scripts/setup.sh (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield chromium
        chromium.close()


def reader(browser, base: str, viewport: dict):
    """A new tab at ``viewport`` size and the list its console errors, failed requests and
    script errors are written to."""
    page = browser.new_page(viewport=viewport)
    problems: list[str] = []

    def on_console(message) -> None:
        where = (message.location or {}).get("url", "")
        # The browser's own favicon request is not the book's (Sphinx has none to offer).
        if message.type == "error" and not where.endswith("favicon.ico"):
            problems.append(f"console {message.type} at {where}: {message.text}")

    page.on("console", on_console)
    page.on("response", lambda r: problems.append(f"HTTP {r.status}: {r.url}")
            if r.status >= 400 and not r.url.endswith("favicon.ico") else None)
    page.on("pageerror", lambda e: problems.append(f"pageerror: {e}"))
    # (a script's fetch the reader's own click cancels – the search page still fetching its
    # hits' summaries – is no failure; a missing file answers 404 above)
    page.on("requestfailed", lambda r: problems.append(f"failed: {r.url} {r.failure}")
            if r.url.startswith(base) and not (r.failure == "net::ERR_ABORTED"
                                               and r.resource_type in ("fetch", "xhr"))
            else None)
    return page, problems


def book_pages(out: Path) -> set[str]:
    """Every page a reader must be able to reach, as paths below the site root."""
    html = out / "html"
    pages = {p.relative_to(html).as_posix() for p in html.rglob("*.html")}
    return {p for p in pages if p not in SPHINX_PAGES and not p.startswith(("_", "."))}


def here(page, base: str) -> str:
    return urlparse(page.url).path.removeprefix(urlparse(base).path).lstrip("/")


# An element is on screen when it is rendered and not hidden (as Playwright's is_visible),
# with a real size, and at least partly inside the viewport's width.
ON_SCREEN = """(e) => {
  if (!e.checkVisibility({visibilityProperty: true})) return false;
  const b = e.getBoundingClientRect();
  return b.width > 10 && b.height > 5 && b.x < window.innerWidth && b.right > 0;
}"""


def on_screen(locator) -> bool:
    """The first element of ``locator`` is on screen (ON_SCREEN)."""
    return bool(locator.count()) and locator.first.evaluate(ON_SCREEN)


def axe_violations(page, within: list[str] | None = None) -> list[str]:
    """axe-core's WCAG 2.1 A/AA violations on the page, or only inside the ``within``
    selectors."""
    from axe_playwright_python.sync_playwright import Axe

    # no preload: axe would fetch the theme's stylesheets itself and resolve their @import
    # against the page, asking for a /basic.css that does not exist (a console error)
    options = {"runOnly": {"type": "tag", "values": WCAG_AA}, "resultTypes": ["violations"],
               "preload": False}
    context = {"include": [[selector] for selector in within]} if within else None
    results = Axe().run(page, context=context, options=options)
    return [f"{v['id']} ({v['impact']}): {v['help']} – "
            + "; ".join(n["target"][0] if isinstance(n["target"][0], str) else str(n["target"])
                        for n in v["nodes"][:3])
            for v in results.response["violations"]]


def shot(page, width: str, name: str) -> None:
    if not os.environ.get("PRISMODELL_SCREENSHOTS"):
        return
    folder = Path(os.environ["PRISMODELL_SCREENSHOTS"]) / width
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / (name.replace("/", "_").removesuffix(".html") + ".png")),
                    full_page=True)


# The boxes that must stay inside the text column: every table, or the outermost box around
# it that scrolls sideways (style.scroll_box) – a wide table scrolls there, not past the
# column. Tables hidden in a closed <details> have no box and are left out.
OUTSIDE_COLUMN = """() => {
  const out = [];
  const width = document.documentElement.scrollWidth;
  if (width > window.innerWidth) out.push(`sidan är ${width} px bred`);
  const column = document.querySelector('article.bd-article');
  if (!column) return out;
  const style = getComputedStyle(column);
  const rect = column.getBoundingClientRect();
  const left = rect.left + parseFloat(style.paddingLeft);
  const right = rect.right - parseFloat(style.paddingRight);
  for (const table of column.querySelectorAll('table')) {
    let box = table;
    for (let e = table.parentElement; e && e !== column; e = e.parentElement)
      if (['auto', 'scroll'].includes(getComputedStyle(e).overflowX)) box = e;
    const b = box.getBoundingClientRect();
    if (b.width && (b.left < left - 1 || b.right > right + 1))
      out.push(`${(table.caption ? table.caption.textContent : table.className).trim()
        .slice(0, 60)}: ${Math.round(b.left)}–${Math.round(b.right)} px, textspalten `
        + `${Math.round(left)}–${Math.round(right)} px`);
  }
  return out;
}"""


# What the two walks check on every page, in one call (each of Playwright's own queries is a
# round trip to the browser: about an eighth of the desktop walk). "On screen" is ON_SCREEN;
# None where there is no such element.
PAGE_FACTS = """() => {
  const onScreen = (selector) => {
    const e = document.querySelector(selector);
    return e ? (""" + ON_SCREEN + """)(e) : null;
  };
  const banner = document.querySelector('.bd-header-announcement');
  return {
    banner: onScreen('.bd-header-announcement') ? banner.innerText : null,
    navigation: onScreen('nav.bd-docs-nav'),
    search: onScreen('.bd-sidebar-primary .search-button-field'),
    headings: document.querySelectorAll('article h1').length,
    title: document.title,
    contents: document.querySelector('.bd-sidebar-secondary nav')
      ? onScreen('.bd-sidebar-secondary') : null,
    broken: [...document.querySelectorAll('article img')]
      .filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.src),
    sizes: [...document.querySelectorAll('article table')]
      .map(t => parseFloat(getComputedStyle(t).fontSize)),
    outside: (""" + OUTSIDE_COLUMN + """)(),
    next: onScreen('.prev-next-area a.right-next'),
  };
}"""


def test_a_reader_reaches_every_page_by_clicking_at_desktop_width(site, browser):
    base, (out, _, model, _) = site
    page, problems = reader(browser, base, DESKTOP)
    page.goto(f"{base}/index.html")  # the landing page forwards to the first chapter
    page.wait_for_url("**/om_rapporten.html")
    assert page.locator("html").get_attribute("lang") == "sv"
    assert f"Prismodell {model.price_list_year}" in page.title()
    expected = book_pages(out)
    seen: list[str] = []
    inaccessible: dict[str, list[str]] = {}
    outside: dict[str, list[str]] = {}
    sheets_checked = 0
    while True:
        current = here(page, base)
        assert current not in seen, f"nästa-länken går i cirkel vid {current}"
        seen.append(current)
        facts = page.evaluate(PAGE_FACTS)  # what a reader sees, asked in one round trip
        # the chrome a reader navigates by is on screen, not only in the DOM
        assert facts["banner"] and "Exempeldata" in facts["banner"], current
        assert facts["navigation"] and facts["search"], current
        assert facts["headings"] == 1 and facts["title"].strip(), current
        assert facts["contents"] in (None, True), current  # a right-hand column is on screen
        assert facts["broken"] == [], f"{current}: {facts['broken']}"
        # tables are set at a readable size (the print sheet once shrank them to 11.7 px)
        assert all(size >= 12 for size in facts["sizes"]), f"{current}: {facts['sizes']}"
        if facts["outside"]:  # a wide table scrolls in the column
            outside[current] = facts["outside"]
        # The price sheets share one template: axe checks the first whole and, on the others,
        # the sheet's text and its links to the previous and next page (header and sidebar
        # are those of every chapter, checked on each of them; the title is checked above)
        sheet = current.startswith("kunder/") and current != "kunder/index.html"
        violations = axe_violations(
            page, ["article", ".prev-next-area"] if sheet and sheets_checked else None)
        sheets_checked += sheet
        if violations:
            inaccessible[current] = violations
        shot(page, "desktop", current)
        if facts["next"] is None:
            break
        assert facts["next"], current  # on screen
        page.locator(".prev-next-area a.right-next").click()
        page.wait_for_load_state()
    assert inaccessible == {}
    assert outside == {}
    assert set(seen) == expected, sorted(expected - set(seen))
    assert problems == []


def test_every_chapter_is_one_click_away_in_the_sidebar(site, browser):
    base, (out, _, _, _) = site
    page, problems = reader(browser, base, DESKTOP)
    page.goto(f"{base}/om_rapporten.html")
    links = page.locator("nav.bd-docs-nav li.toctree-l1 > a.reference.internal")
    titles = [t.strip() for t in links.all_inner_texts()]
    assert len(titles) >= 13 + 2  # chapters, service areas, customer index, reproducibility
    for title in titles:
        link = page.locator("nav.bd-docs-nav li.toctree-l1 > a.reference.internal",
                            has_text=title).first
        link.scroll_into_view_if_needed()
        assert on_screen(link), title
        link.click()
        page.wait_for_load_state()
        assert title.split(". ", 1)[-1] in page.locator("article h1").inner_text(), title
    assert problems == []


def test_the_customer_index_links_every_customer(site, browser):
    base, (_, _, model, result) = site
    page, problems = reader(browser, base, DESKTOP)
    page.goto(f"{base}/om_rapporten.html")
    page.locator("nav.bd-docs-nav a", has_text="Prisblad per kund").click()
    page.wait_for_url("**/kunder/index.html")
    charged = result.price_list.groupby("customer_id")["amount"].sum()
    names = model.customers.set_index("customer_id").loc[charged.index, "name"]
    links = page.locator("article table a")
    assert sorted(links.all_inner_texts()) == sorted(names)
    first = links.first
    name = first.inner_text()
    first.click()
    page.wait_for_load_state()
    assert page.locator("article h1").inner_text().strip() == name
    # the customer's own page is highlighted in the sidebar's customer index
    assert on_screen(page.locator("nav.bd-docs-nav li.toctree-l2.current > a", has_text=name))
    # and the sheet is there to download as a PDF of its own
    link = page.get_by_role("link", name="Ladda ner prisbladet som PDF")
    assert on_screen(link)
    with page.expect_response(lambda r: r.url.endswith(".pdf")) as response:
        link.click()
    printed = site[1][0] / "prisblad" / response.value.url.rsplit("/", 1)[-1]
    assert response.value.status == 200
    assert response.value.header_value("content-type") == "application/pdf"
    # (the browser hands the PDF to its viewer: fetch the same address for the bytes)
    assert page.request.get(response.value.url).body() == printed.read_bytes()
    assert problems == []


def test_a_phone_reader_opens_the_menu_and_walks_the_book(site, browser):
    base, (out, _, _, _) = site
    page, problems = reader(browser, base, PHONE)
    page.goto(f"{base}/index.html")
    page.wait_for_url("**/om_rapporten.html")
    assert on_screen(page.locator(".bd-header-announcement"))
    toggle = page.locator("button.primary-toggle").locator("visible=true").first
    assert on_screen(toggle)
    toggle.click()
    # the theme moves the sidebar into a dialog on small screens
    menu = page.locator("nav.bd-docs-nav").locator("visible=true").first
    menu.wait_for(state="visible")
    chapter = menu.locator("a.reference.internal", has_text="Fördelningsnycklar").first
    assert on_screen(chapter)
    chapter.click()
    page.wait_for_url("**/fordelningsnycklar.html")
    seen = 0
    outside: dict[str, list[str]] = {}
    page.goto(f"{base}/om_rapporten.html")
    while True:
        current = here(page, base)
        seen += 1
        facts = page.evaluate(PAGE_FACTS)
        # nothing wider than the phone: a wide table scrolls inside the text column, the page
        # itself never sideways
        if facts["outside"]:
            outside[current] = facts["outside"]
        assert facts["headings"] == 1 and facts["broken"] == [], current
        assert all(size >= 12 for size in facts["sizes"]), f"{current}: {facts['sizes']}"
        shot(page, "phone", current)
        if facts["next"] is None:
            break
        assert facts["next"], current  # within the phone's width (the click scrolls to it)
        page.locator(".prev-next-area a.right-next").click()
        page.wait_for_load_state()
    assert outside == {}
    assert seen == len(book_pages(out))
    assert problems == []


def test_search_finds_a_customer_by_name(site, browser):
    base, (_, _, model, result) = site
    page, problems = reader(browser, base, DESKTOP)
    page.goto(f"{base}/om_rapporten.html")
    charged = result.price_list["customer_id"].iloc[0]
    name = model.customers.set_index("customer_id").at[charged, "name"]
    button = page.locator(".bd-sidebar-primary .search-button-field").first
    assert on_screen(button)
    button.click()
    field = page.locator("#pst-search-dialog input[name='q']")
    field.wait_for(state="visible")
    field.fill(name.split()[0])
    field.press("Enter")
    page.wait_for_url("**/search.html?q=*")
    hit = page.locator("#search-results li a", has_text=name).first
    hit.wait_for(state="visible", timeout=15_000)
    hit.click()
    page.wait_for_load_state()
    assert page.locator("article h1").inner_text().strip() == name
    assert axe_violations(page) == []
    assert problems == []


def test_keyboard_only_reader_skips_to_the_text_and_moves_on(site, browser):
    base, _ = site
    page, problems = reader(browser, base, DESKTOP)
    page.goto(f"{base}/om_rapporten.html")
    page.keyboard.press("Tab")
    skip = page.evaluate("document.activeElement.getAttribute('href')")
    assert skip == "#main-content"
    assert on_screen(page.locator(":focus"))  # the skip link shows when it has focus
    page.keyboard.press("Enter")
    assert page.url.endswith("#main-content")
    following = page.locator(".prev-next-area a.right-next")
    following.focus()
    page.keyboard.press("Enter")
    page.wait_for_url("**/uppdrag.html")
    assert problems == []


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_the_column_check_sees_a_table_past_the_column(site, browser, viewport):
    """The walks' check that wide tables scroll inside the text column (OUTSIDE_COLUMN) finds
    a table that runs past it: one sixty cells wide, put on a customer page without a scroll
    box."""
    from prismodell.customer_pages import page_name

    base, (_, _, _, result) = site
    page, problems = reader(browser, base, viewport)
    customer = f"kunder/{page_name(result.price_list['customer_id'].iloc[0])}.html"
    page.goto(f"{base}/{customer}")
    assert page.evaluate(OUTSIDE_COLUMN) == []
    page.evaluate("""() => {
      const table = document.createElement('table');
      table.className = 'pm-table';
      table.innerHTML = '<tr>' + '<td>1 234 567 kr</td>'.repeat(60) + '</tr>';
      document.querySelector('article.bd-article').appendChild(table);
    }""")
    assert page.evaluate(OUTSIDE_COLUMN) != []
    assert problems == []


def test_the_walk_sees_hidden_navigation_and_broken_images(site, browser):
    """The walks' page check (PAGE_FACTS) sees what a reader would miss: the
    navigation, the search field or the example-data banner hidden by a stylesheet (as a print
    stylesheet once did on screen), a broken image, no link onwards."""
    base, _ = site
    page, problems = reader(browser, base, DESKTOP)
    page.goto(f"{base}/sjalvkostnad.html")
    facts = page.evaluate(PAGE_FACTS)
    assert facts["navigation"] and facts["search"] and facts["next"]
    assert "Exempeldata" in facts["banner"] and facts["broken"] == []
    page.add_style_tag(content="nav.bd-docs-nav { display: none } "
                       ".search-button-field { visibility: hidden } "
                       ".bd-header-announcement { position: relative; left: 3000px }")
    page.evaluate("""() => {
      document.querySelector('article img').src = 'saknas.png';
      document.querySelector('.prev-next-area a.right-next').remove();
    }""")
    page.wait_for_function("() => document.querySelector('article img').complete")
    facts = page.evaluate(PAGE_FACTS)
    assert facts["navigation"] is False and facts["search"] is False
    assert facts["banner"] is None and facts["next"] is None
    assert len(facts["broken"]) == 1
    assert [p for p in problems if "saknas.png" not in p] == []


def test_scenario_tables_are_seen_whole_at_desktop_width(site, browser):
    """A scenario chapter compares the base year and the scenario side by side: at desktop
    width every column is on screen, none behind a sideways scroll (the scenario chapters, like
    the price sheets, have the page's width)."""
    base, (out, _, _, _) = site
    page, problems = reader(browser, base, DESKTOP)
    scenarios = sorted(p.name for p in (out / "html").glob("scenario_*.html"))
    assert scenarios
    hidden = {}
    for name in scenarios:
        page.goto(f"{base}/{name}")
        # (a figure's data table, folded away under its figure, may scroll when opened)
        boxes = page.eval_on_selector_all(
            "article .pm-scroll", "bs => bs.filter(b => !b.closest('details'))"
            ".filter(b => b.scrollWidth > b.clientWidth + 1)"
            ".map(b => b.getAttribute('aria-label'))")
        if boxes:
            hidden[name] = boxes
    assert hidden == {}
    assert problems == []


# Font size per heading level within an element, with one h4 and one h5 added to its deepest
# section, where Sphinx puts a fourth and fifth level.
HEADING_SIZES = """(root) => {
  const sections = root.querySelectorAll('section section section');
  const deepest = sections[sections.length - 1] || root;
  for (const level of [4, 5]) {
    const probe = document.createElement('h' + level);
    probe.textContent = 'Rubrik på nivå ' + level;
    deepest.appendChild(probe);
  }
  const sizes = {};
  for (const h of root.querySelectorAll('h1, h2, h3, h4, h5, h6')) {
    if (h.classList.contains('pdf-chapter')) continue;  // the PDF's chapter title (18 pt)
    const level = h.tagName.slice(1);
    (sizes[level] = sizes[level] || []).push(parseFloat(getComputedStyle(h).fontSize));
  }
  return sizes;
}"""


def assert_sizes_fall_by_level(sizes: dict[str, list[float]], where: str) -> None:
    """Every heading of a level is smaller than every heading of the level above."""
    levels = sorted(int(level) for level in sizes)
    assert {2, 3, 4, 5} <= set(levels), f"{where}: {sizes}"
    for upper, lower in zip(levels, levels[1:], strict=False):
        assert max(sizes[str(lower)]) < min(sizes[str(upper)]), f"{where}: {sizes}"


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_heading_sizes_fall_with_the_level_on_screen(site, browser, viewport):
    base, _ = site
    page, problems = reader(browser, base, viewport)
    page.goto(f"{base}/fordelningsnycklar.html")
    assert page.locator("article h3").count() > 0
    sizes = page.locator("article.bd-article").evaluate(HEADING_SIZES)
    assert_sizes_fall_by_level(sizes, f"fördelningsnycklar, {viewport['width']} px")
    assert problems == []


def test_heading_sizes_fall_with_the_level_in_print(site, browser):
    """The PDF's body with the print stylesheet, as the PDF step lays it out, in print media:
    the fördelningsnycklar chapter is an h2 there, its sections h3 and h4."""
    import re

    from prismodell import pdf

    _, (out, _, _, _) = site
    source = pdf.main_page(out / "singlehtml" / "_build" / "singlehtml")
    body, _ = pdf.mark_chapters(pdf._STYLESHEETS.sub("", source.read_text(encoding="utf-8")))
    page = browser.new_page()
    page.emulate_media(media="print")
    page.set_content(body, wait_until="domcontentloaded")
    page.add_style_tag(path=str(pdf.PRINT_CSS))
    title = page.locator("h2.pdf-chapter", has_text=re.compile(r"^\d+\.\s*Fördelningsnycklar"))
    chapter = title.locator("xpath=..")
    assert chapter.locator("h4").count() > 0  # the chapter has a fourth level of its own
    sizes = chapter.evaluate(HEADING_SIZES)
    # the first chapter's sections are h2 (the other chapters' titles are left out)
    sizes["2"] = page.eval_on_selector_all(
        "h2:not(.pdf-chapter)", "hs => hs.map(h => parseFloat(getComputedStyle(h).fontSize))")
    assert_sizes_fall_by_level(sizes, "PDF, fördelningsnycklar")
