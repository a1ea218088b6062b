"""Benchmark of drawing the report's figures (not a timed test: run it and read the timings).

    uv run python benchmarks/bench_figures.py [--repeat 3]

Draws the figures of the example year as a build does – the full cost, the kronor flow, the
change per customer, the allocation of each service area (to PNG with a tight bounding box,
150 dpi: :func:`prismodell.figures.png_bytes`, never from the figure cache) and every
customer's price-sheet chart (one figure redrawn per customer, 120 dpi, as
:func:`prismodell.customer_pages.write_customer_pages` does) – and reports the processor time
of each kind. Drawing figures is most of a chapter's time and of the price sheets' (text
layout and rasterisation in matplotlib), so the matplotlib release matters: to compare two,
run this in two environments, e.g. ``uv run --with 'matplotlib==3.11.*' python
benchmarks/bench_figures.py`` beside the locked one, in turns.
"""

from __future__ import annotations

import argparse
import io
import statistics
import time
from pathlib import Path

import matplotlib

from prismodell import figures
from prismodell import report_tables as tables
from prismodell.calculation import calculate
from prismodell.customer_pages import IMAGE_DPI
from prismodell.inputs import load_input

REPO = Path(__file__).resolve().parent.parent


def report_figures(model, result) -> list:
    made = [
        figures.full_cost_figure(result.full_cost, tables.area_names(model)),
        figures.kronor_flow_figure(
            result.full_cost, result.unit_prices, result.allocation, tables.area_names(model),
            tables.key_names(model), tables.customer_names(model),
        ),
        figures.change_figure(tables.customer_comparison(model, result)),
    ]
    for area in model.service_areas["service_area"]:
        made.append(figures.allocation_figure(tables.area_allocation_by_key(model, result, area)))
    return made


def draw_report_figures(model, result) -> int:
    """The chapters' figures, built and rendered; the number drawn."""
    made = report_figures(model, result)
    for fig in made:
        figures.png_bytes(fig)
    return len(made)


def draw_customer_charts(model, result) -> int:
    """Every customer's chart, as the price sheets draw them; the number drawn."""
    fig = None
    customers = tables.customer_overview(model, result)["customer_id"]
    for customer in customers:
        fig = figures.customer_figure(tables.customer_charges(model, result, customer), fig=fig)
        with figures.house_style():
            fig.savefig(io.BytesIO(), format="png", dpi=IMAGE_DPI, bbox_inches=None,
                        facecolor="white")
    return len(customers)


def cpu_seconds(fn, *args) -> tuple[float, int]:
    started = time.process_time()
    count = fn(*args)
    return time.process_time() - started, count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--data", type=Path, default=REPO / "data" / "2023")
    options = parser.parse_args()
    model = load_input(options.data)
    result = calculate(model)
    draw_report_figures(model, result)  # fonts found and cached once, as in a warm kernel
    print(f"matplotlib {matplotlib.__version__}, {options.data}")
    for label, fn in (("chapter figures", draw_report_figures),
                      ("price-sheet charts", draw_customer_charts)):
        runs = [cpu_seconds(fn, model, result) for _ in range(options.repeat)]
        count = runs[0][1]
        seconds = [s for s, _ in runs]
        print(f"{label:20} {count:3} figures: median {statistics.median(seconds):6.2f} s CPU "
              f"({statistics.median(seconds) / count * 1000:5.0f} ms each; "
              f"min {min(seconds):.2f} s)")


if __name__ == "__main__":
    main()
