"""A real browser (Debian chromium driven by Playwright) reads the built HTML book: it walks
the table of contents, checks that tables and figures render and that the console stays
clean, and saves a screenshot of every chapter."""

from __future__ import annotations

import functools
import shutil
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.browser]

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]


@pytest.fixture(scope="module")
def site(example_book):
    """The HTML book served on loopback, as a reader's browser would get it."""
    html = example_book[0] / "html"
    handler = functools.partial(SimpleHTTPRequestHandler, directory=str(html))
    handler.log_message = lambda *args: None
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


def test_walk_the_table_of_contents(site, browser):
    base, (out, _, model, _) = site
    shots = out / "screenshots"
    shots.mkdir(exist_ok=True)
    page = browser.new_page(viewport={"width": 1280, "height": 900})
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
    page.on("requestfailed", lambda r: problems.append(f"failed: {r.url}")
            if r.url.startswith(base) else None)

    page.goto(f"{base}/index.html")  # redirects to the first chapter
    page.wait_for_url("**/om_rapporten.html")
    assert "Prismodell 2023" in page.title()
    links = page.eval_on_selector_all(
        "nav.bd-docs-nav a.reference.internal", "els => els.map(e => e.getAttribute('href'))")
    chapters = [link for link in dict.fromkeys(links) if "#" not in link]
    customers = int(model.customers.shape[0])
    assert len(chapters) >= 13 + 1  # chapters, customer index, reproducibility
    visited = 0
    for href in chapters:
        page.goto(f"{base}/{href}")
        visited += 1
        assert page.locator("article h1").count() == 1, href
        assert "Exempeldata" in page.locator(".bd-header-announcement").inner_text()
        broken = page.eval_on_selector_all(
            "article img", "imgs => imgs.filter(i => !(i.complete && i.naturalWidth > 0))"
            ".map(i => i.src)")
        assert broken == [], f"{href}: {broken}"
        if not href.startswith("kunder/") or href == "kunder/index.html":
            page.screenshot(path=str(shots / (href.replace("/", "_") + ".png")), full_page=True)
    assert visited == len(chapters)
    assert problems == []
    assert customers > 0


def test_tables_and_figures_render(site, browser):
    base, _ = site
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(f"{base}/sjalvkostnad.html")
    tables = page.locator("article table.pm-table")
    assert tables.count() >= 2
    box = tables.first.bounding_box()
    assert box and box["width"] > 300 and box["height"] > 50
    figures = page.locator("article img")
    assert figures.count() >= 2
    assert figures.first.evaluate("i => i.naturalWidth") > 400
    text = tables.first.inner_text()
    assert " kr" in text.replace("\u00a0", " ")


def test_search_finds_a_customer(site, browser):
    base, (_, _, model, _) = site
    name = model.customers["name"].iloc[0]
    page = browser.new_page()
    page.goto(f"{base}/search.html?q={name.split()[0]}")
    page.wait_for_selector("#search-results li", timeout=15_000)
    assert page.locator("#search-results li").count() >= 1
