"""Where the book's assets are: the chapter notebooks (``notebooks/``), the book's stylesheets
and templates (``book/``) and ``_config.yml``.

In a checkout they are the repository's own files, edited there. An installed wheel carries a
copy as package data (``prismodell/_assets``, see ``force-include`` in pyproject.toml), found
through :mod:`importlib.resources`, so a build needs no repository two folders above the
package.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
# src/prismodell → the repository, when the package runs from a checkout
CHECKOUT_DIR = PACKAGE_DIR.parent.parent
PACKAGED = "_assets"


def is_checkout(root: Path) -> bool:
    """Whether ``root`` is the repository with the book's assets (not, say, a site-packages
    folder that happens to sit two levels above an installed package)."""
    return (
        (root / "pyproject.toml").is_file()
        and (root / "_config.yml").is_file()
        and (root / "notebooks").is_dir()
        and (root / "book").is_dir()
    )


def asset_dir() -> Path:
    """The folder holding ``notebooks/``, ``book/`` and ``_config.yml``."""
    if is_checkout(CHECKOUT_DIR):
        return CHECKOUT_DIR
    # a wheel is installed unpacked, so the resource is a real folder
    return Path(str(resources.files(__package__) / PACKAGED))


def repository_dir() -> Path | None:
    """The checkout the package runs from, or None for an installed package."""
    return CHECKOUT_DIR if is_checkout(CHECKOUT_DIR) else None
