"""Benchmark of the book build (not a timed test: run it and read the split by step).

    uv run python benchmarks/bench_build.py [--data data/2023]

1. a clean HTML build of the data folder (every notebook executed);
2. a rebuild after one weight of one service area changed (only what depends on it runs);
3. the PDF on top (single-page HTML + WeasyPrint), nothing else changed.
Targets (issue 3): clean HTML < 30 s, rebuild < 10 s, PDF < 15 s more.
"""

from __future__ import annotations

import argparse
import re
import shutil
import tempfile
import time
from pathlib import Path

from prismodell.pipeline import build_book

REPO = Path(__file__).resolve().parent.parent


def show(report, label: str, seconds: float) -> None:
    print(f"\n{label}: {seconds:.1f} s")
    for step, step_seconds in report.steps:
        print(f"  {step:<44}{step_seconds:6.1f} s")
    print(f"  notebooks körda: {len(report.executed)} {report.executed}")


def change_one_weight(model_file: Path) -> None:
    """Move 5 percentage points between the first two keys of the first service area."""
    text = model_file.read_text(encoding="utf-8")
    weights = list(re.finditer(r"weight: ([0-9.]+)", text))
    first, second = (float(weights[0].group(1)), float(weights[1].group(1)))
    spans = [(weights[1].span(1), f"{second + 0.05:.2f}"),
             (weights[0].span(1), f"{first - 0.05:.2f}")]
    for (start, end), value in spans:  # right to left keeps the spans valid
        text = text[:start] + value + text[end:]
    model_file.write_text(text, encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", type=Path, default=REPO / "data" / "2023")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / args.data.name
        shutil.copytree(args.data, data)
        out = Path(tmp) / "_build"
        quiet = lambda _: None  # noqa: E731

        started = time.perf_counter()
        report = build_book(data, out, pdf=False, show=quiet)
        show(report, "1. Rent HTML-bygge", time.perf_counter() - started)

        change_one_weight(data / "model.yml")
        started = time.perf_counter()
        report = build_book(data, out, pdf=False, show=quiet)
        show(report, "2. Ombygge efter en ändrad vikt", time.perf_counter() - started)

        started = time.perf_counter()
        report = build_book(data, out, pdf=True, show=quiet)
        pdf_step = dict(report.steps).get("Skriver PDF (WeasyPrint)", 0.0)
        show(report, "3. Samma bygge med PDF", time.perf_counter() - started)
        print(f"\nPDF-steget: {pdf_step:.1f} s ({report.pdf})")


if __name__ == "__main__":
    main()
