"""Jupyter Book, started before it is needed: ``python -m prismodell.book_runner``.

Jupyter Book spends most of a second importing itself, Sphinx, the theme and the extensions
before it looks at the book. The build starts this process early (the chapters run meanwhile)
and hands it the command line of ``jupyter-book`` as one JSON line on standard input when the
book's sources are ready; it then runs exactly that command. An empty input (the build stopped
before its book) ends it without building anything.
"""

from __future__ import annotations

import json
import sys


def main() -> int:
    # Jupyter Book, and what every build of the book loads (Sphinx would import it only after
    # the command is given).
    import myst_nb.sphinx_ext  # noqa: F401
    import pydata_sphinx_theme  # noqa: F401
    import sphinx.builders.html  # noqa: F401
    import sphinx_book_theme  # noqa: F401
    from jupyter_book.cli.main import main as jupyter_book

    from . import sphinx_extension  # noqa: F401

    line = sys.stdin.readline()
    if not line.strip():
        return 0
    # click ends the process with the build's exit code
    jupyter_book(args=json.loads(line), prog_name="jupyter-book")
    return 0


if __name__ == "__main__":
    sys.exit(main())
