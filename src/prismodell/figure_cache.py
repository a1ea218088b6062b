"""Rendered figures kept between builds: a chapter re-run draws only the figures that changed.

Rendering a figure to PNG (two matplotlib draws: the layout, then the pixels) is most of a
chapter's time. After one weight changes, the chapters that read the result run again, but
most of their figures show the same data as before (the other service areas, last year's
trends). While the pipeline runs a chapter it names a folder in :data:`ENV_FIGURES` (one per
version of the package's code); every figure function of :mod:`prismodell.figures` then gives
its figure a key, the digest of the function and all its arguments, and the PNG rendered for
that key is kept there and reused. Outside the pipeline (nbval, an analyst's Jupyter) nothing
is kept.

A figure changed after its function returned loses its key (matplotlib marks it stale), so it
is rendered as it is; an argument without a canonical digest gives no key either.

This module is imported by every notebook kernel: keep its imports light.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from . import context

ENV_FIGURES = "PRISMODELL_FIGURES"  # the folder of rendered figures, set by the pipeline
KEEP = 400  # rendered figures kept (the most recently used): a few builds' worth


def folder() -> Path | None:
    """The folder of rendered figures of this chapter run, None outside the pipeline."""
    value = os.environ.get(ENV_FIGURES)
    return Path(value) if value else None


def call_key(function: Callable, args: tuple, kwargs: dict) -> str | None:
    """The digest of a figure function's call, None when figures are not kept or an argument
    has no canonical digest (a lambda, say)."""
    if folder() is None:
        return None
    import matplotlib  # loaded already: the figure was drawn with it

    try:
        return context.digest([matplotlib.__version__, function.__module__,
                               function.__qualname__, list(args), sorted(kwargs.items())])
    except Exception:  # noqa: BLE001 - an argument pickle cannot take: draw it every time
        return None


def remember(fig: Any, key: str | None) -> None:
    """Give ``fig`` its key, dropped as soon as anything changes the figure."""
    fig.pm_key = key

    def changed(_fig: Any, stale: bool) -> None:
        if stale:
            fig.pm_key = None

    fig.stale_callback = changed if key else None


def _path(fig: Any, dpi: int) -> Path | None:
    key, where = getattr(fig, "pm_key", None), folder()
    if not key or where is None:
        return None
    return where / f"{hashlib.sha256(f'{key}:{dpi}'.encode()).hexdigest()}.png"


def png(fig: Any, dpi: int, render: Callable[[], bytes]) -> bytes:
    """The figure's PNG: the one kept for its key, else ``render()`` (kept for the next run)."""
    path = _path(fig, dpi)
    if path is None:
        return render()
    if path.is_file():
        os.utime(path)  # recently used: kept by :func:`prune`
        return path.read_bytes()
    data = render()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)  # two chapters rendering the same figure write the same bytes
    return data


def prune(root: Path, current: Path, keep: int = KEEP) -> None:
    """Remove the folders of other code versions under ``root`` and all but the ``keep``
    most recently used figures in ``current``."""
    if root.is_dir():
        for other in root.iterdir():
            if other != current and other.is_dir():
                for item in other.iterdir():
                    item.unlink()
                other.rmdir()
    if current.is_dir():
        files = sorted(current.glob("*.png"), key=lambda p: p.stat().st_mtime, reverse=True)
        for old in files[keep:]:
            old.unlink(missing_ok=True)
