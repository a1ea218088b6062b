"""The book's own Sphinx extension (named in ``_config.yml``): a rebuilt book is the book
built afresh – no stale page, no page that differs – and its pages are written faster.

**The navigation on every page: rewritten when it changes, reused when it does not.** Every
page carries the whole book's navigation in its sidebar: every chapter's number and title and
every customer's name. Sphinx rewrites only the pages whose own source changed, so after a
customer is renamed or a scenario title changes, the other pages would keep the old sidebar –
stale pages. And the theme builds the sidebar afresh for every page it writes (Sphinx resolves
the whole table of contents, the theme reworks it with BeautifulSoup): about half the time of
writing a page.

Both come from one digest of everything the navigation is made of – each document's title,
table of contents (its toctrees, their entries, captions and numbering), section numbers and
metadata, the configuration, the book's templates and the theme's versions – compared with the
last build's (kept in the doctree folder):

- when it changed, every page is written again (and its sidebar built anew);
- when it did not, a page's sidebar is the one built for the same page and navigation in an
  earlier build. The theme's output is kept exactly: the page is the same as without this.

**myst-nb's stylesheet is in place before the pages are written.** myst-nb copies it only at
the end of a build, and Sphinx adds a checksum to a stylesheet's link only when the file is
already there: a fresh build linked it without, a rebuild with – two builds of the same inputs
gave different pages. Likewise the search index: Sphinx takes a rewritten page out of it but
keeps the words only that page had, with no page; they are dropped.

**Each word is stemmed once per build** for the search index (Sphinx stems per page, and the
customer pages share their words: a fifth of the time of writing them).
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
from importlib.metadata import version
from typing import Any

CACHE_FILE = "prismodell-navigation.json"  # in the doctree folder, per builder
PACKAGES = ("sphinx", "pydata-sphinx-theme", "sphinx-book-theme", "beautifulsoup4")


def navigation_digest(app: Any, env: Any) -> str:
    """A digest of what the sidebar of any page is made of (deliberately wide: a change
    anywhere in a document's title or table of contents rewrites every page)."""
    h = hashlib.sha256()

    def feed(*parts: object) -> None:
        for part in parts:
            h.update(repr(part).encode())
            h.update(b"\0")

    for folder in app.config.templates_path:  # the sidebar template is the book's own
        for root, dirs, files in sorted(os.walk(os.path.join(str(app.srcdir), folder))):
            dirs.sort()
            for name in sorted(files):
                with open(os.path.join(root, name), "rb") as file:
                    feed(os.path.relpath(os.path.join(root, name), str(app.srcdir)), file.read())
    # the whole configuration and the build's tags (Sphinx's own digests of them: the theme,
    # the language, the link suffixes ...), the theme's versions and the root document
    build_info = getattr(app.builder, "build_info", None)
    feed(app.builder.name, [version(p) for p in PACKAGES], app.config.root_doc,
         app.config.language, sorted(app.config.html_theme_options.items(), key=str),
         getattr(build_info, "config_hash", None), getattr(build_info, "tags_hash", None),
         sorted(env.numbered_toctrees), sorted(env.glob_toctrees))
    for doc in sorted(env.all_docs):  # every document's title, contents, numbers, metadata
        title, toc = env.titles.get(doc), env.tocs.get(doc)
        feed(doc, title.pformat() if title is not None else None,
             toc.pformat() if toc is not None else None, env.toctree_includes.get(doc),
             sorted(env.toc_secnumbers.get(doc, {}).items()),
             sorted(env.metadata.get(doc, {}).items(), key=str))
    return h.hexdigest()


class _State:
    def __init__(self) -> None:
        self.digest = ""
        self.kept: dict[str, str] = {}  # sidebars of the last build with the same digest
        self.made: dict[str, str] = {}  # sidebars of this build


def _cache_path(app: Any) -> str:
    return os.path.join(str(app.doctreedir), f"{app.builder.name}-{CACHE_FILE}")


def _changed_navigation(app: Any, env: Any) -> list[str]:
    """``env-get-updated``: every document when the navigation changed since the last build."""
    state = app.prismodell_navigation = _State()
    state.digest = navigation_digest(app, env)
    try:
        with open(_cache_path(app), encoding="utf-8") as file:
            saved = json.load(file)
    except (OSError, ValueError):
        saved = {}
    if saved.get("digest") == state.digest:
        state.kept = saved.get("sidebars", {})
        return []
    return sorted(env.found_docs)


def _offer_sidebar(app: Any, pagename: str, templatename: str, context: dict, doctree) -> None:
    """``html-page-context``: the sidebar template (``pm-sidebar-nav.html``) asks
    ``pm_navigation()`` for the page's kept sidebar (None: build it) and hands a built one to
    ``pm_keep_navigation``."""
    state: _State | None = getattr(app, "prismodell_navigation", None)
    if state is None:
        return

    def pm_navigation() -> str | None:
        return state.made.get(pagename) or state.kept.get(pagename)

    def pm_keep_navigation(html: str) -> str:
        state.made[pagename] = str(html)
        return html

    context["pm_navigation"] = pm_navigation
    context["pm_keep_navigation"] = pm_keep_navigation


def _save(app: Any, exception: Exception | None) -> None:
    state: _State | None = getattr(app, "prismodell_navigation", None)
    if exception is not None or state is None:
        return
    # the sidebars of pages not written this build stay valid while the digest holds
    sidebars = {**state.kept, **state.made}
    path = _cache_path(app)
    tmp = f"{path}.tmp"
    with open(tmp, "w", encoding="utf-8") as file:
        json.dump({"digest": state.digest, "sidebars": sidebars}, file)
    os.replace(tmp, path)


def _stylesheets_first(app: Any, env: Any) -> None:
    """``env-updated``: copy myst-nb's stylesheet now, not after the pages are written."""
    from myst_nb.sphinx_ext import add_global_html_resources

    if app.builder.format != "html":
        return
    os.makedirs(os.path.join(str(app.builder.outdir), "_static"), exist_ok=True)
    add_global_html_resources(app, None)


def _drop_words_of_no_page(app: Any) -> list:
    """``html-collect-pages`` (after the pages are written, before the search index is
    saved): the words no page has any more are not in a fresh build's index either."""
    indexer = getattr(app.builder, "indexer", None)
    for mapping in (getattr(indexer, "_mapping", {}), getattr(indexer, "_title_mapping", {})):
        for word in [word for word, pages in mapping.items() if not pages]:
            del mapping[word]
    return []


def _swedish_stemmed_once() -> type:
    from sphinx.search.sv import SearchSwedish

    class SwedishStemmedOnce(SearchSwedish):
        def init(self, options: dict[str, str]) -> None:
            super().init(options)
            self.stem = functools.cache(self.stem)  # the same word gives the same stem

    return SwedishStemmedOnce


def setup(app: Any) -> dict:
    app.add_search_language(_swedish_stemmed_once())
    # after the section numbers are assigned (Sphinx's own handler, priority 500)
    app.connect("env-get-updated", _changed_navigation, priority=900)
    app.connect("html-page-context", _offer_sidebar)
    app.connect("build-finished", _save)
    app.connect("env-updated", _stylesheets_first)
    app.connect("html-collect-pages", _drop_words_of_no_page)
    return {"parallel_read_safe": True, "parallel_write_safe": False}
