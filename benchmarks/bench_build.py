"""Benchmark of the book build (not a timed test: run it and read the split by step).

    uv run python benchmarks/bench_build.py [--data data/2023] [--scenario NAME ...] [--pdf]

1. a clean HTML build of the data folder (every notebook executed), with the median of the
   notebooks' execution times;
2. a rebuild with nothing changed (no notebook runs);
3. a rebuild after one weight of one service area changed (only the chapters that read
   something that changed run);
4. with --pdf: the PDF on top (single-page HTML + WeasyPrint), nothing else changed, and
5. a rebuild with PDF after one more weight change (the report and every price sheet are
   printed again).
Targets (issue 10): one notebook <= 1.5 s, rebuild after one weight <= 10 s, clean HTML + PDF
<= 30 s. The machine is shared: read the CPU seconds beside the wall seconds. With warm
kernels (prismodell.kernel_server) the chapters' kernels are the kernel server's children and
their CPU time is not in the CPU figure; compare wall seconds side by side (against
PRISMODELL_COLD_KERNELS=1 or an older checkout) in one quiet window.
"""

from __future__ import annotations

import argparse
import re
import resource
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from prismodell.pipeline import build_book

REPO = Path(__file__).resolve().parent.parent
NOTEBOOK_LINE = re.compile(r"^ {4}(\S+) \(([\d.]+) s\)$")


def cpu_seconds() -> float:
    """CPU time of this process and of the finished children (workers, kernels, Sphinx)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def timed(label: str, **kwargs) -> None:
    lines: list[str] = []
    started, cpu = time.perf_counter(), cpu_seconds()
    report = build_book(show=lines.append, **kwargs)
    wall, used = time.perf_counter() - started, cpu_seconds() - cpu
    print(f"\n{label}: {wall:.1f} s (CPU {used:.1f} s)")
    for step, seconds in report.steps:
        print(f"  {step:<44}{seconds:6.1f} s")
    notebooks = {m.group(1): float(m.group(2)) for m in map(NOTEBOOK_LINE.match, lines) if m}
    if notebooks:
        times = list(notebooks.values())
        print(f"  notebooks körda: {len(times)}, median {statistics.median(times):.1f} s"
              f" (min {min(times):.1f}, max {max(times):.1f})")
        slowest = sorted(notebooks.items(), key=lambda item: -item[1])
        print("    " + ", ".join(f"{name} {seconds:.1f}" for name, seconds in slowest))
    else:
        print("  notebooks körda: 0")


def change_one_weight(model_file: Path, step: float = 0.05) -> None:
    """Move ``step`` (5 percentage points) from the first key of the first service area to the
    second (a negative step moves it back)."""
    text = model_file.read_text(encoding="utf-8")
    weights = list(re.finditer(r"weight: ([0-9.]+)", text))
    first, second = (float(weights[0].group(1)), float(weights[1].group(1)))
    spans = [(weights[1].span(1), f"{second + step:.2f}"),
             (weights[0].span(1), f"{first - step:.2f}")]
    for (start, end), value in spans:  # right to left keeps the spans valid
        text = text[:start] + value + text[end:]
    model_file.write_text(text, encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", type=Path, default=REPO / "data" / "2023")
    parser.add_argument("--scenario", action="append", default=[])
    parser.add_argument("--pdf", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data" / args.data.name
        # the earlier years beside it too, so the trend chapter is built as in the repository
        shutil.copytree(args.data.parent, data.parent)
        out = Path(tmp) / "_build"
        build = {"data_dir": data, "out": out, "pdf": False, "scenarios": tuple(args.scenario)}

        timed("1. Rent HTML-bygge", **build)
        timed("2. Ombygge utan ändring", **build)
        change_one_weight(data / "model.yml")
        timed("3. Ombygge efter en ändrad vikt", **build)
        if args.pdf:
            timed("4. Samma bygge med PDF", **{**build, "pdf": True})
            change_one_weight(data / "model.yml")  # the report and every sheet change
            timed("5. Ombygge med PDF efter ännu en ändrad vikt", **{**build, "pdf": True})


if __name__ == "__main__":
    main()
