"""Benchmark of the weight sensitivity (not a timed test: run it and read the timings).

    uv run python benchmarks/bench_sensitivity.py [--repeat 5] [--vectors 10000]

Charges for 10,000 weight vectors of one service area over all its customers, as one matrix
product (W · C) @ S: on the example data's largest service area (31 customers) and on a
synthetic service area of 10,000 customers × 4 keys. Reported separately: building the share
matrix S, the 10,000 weight vectors (one key moved from −100 to +100 percentage points, the
others rescaled, clipped at 0 and 1), the matrix product, and the chapter's whole table
(every key × ±5/±10/±20 × every customer). Target (issue 4): the 10,000 vectors < 1 s.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from prismodell import sensitivity
from prismodell.calculation import calculate
from prismodell.inputs import load_input

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_calculate import make_folder  # noqa: E402


def timed(fn, repeat: int) -> tuple[list[float], object]:
    times, value = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        value = fn()
        times.append(time.perf_counter() - started)
    return times, value


def best(times: list[float]) -> str:
    return f"{min(times) * 1000:8.1f} ms (median {statistics.median(times) * 1000:.1f})"


def bench(name: str, folder: Path, vectors: int, repeat: int) -> None:
    model = load_input(folder)
    result = calculate(model)
    areas = sensitivity.sensitivity_areas(model, result)
    # the area with the most customers (the example's areas are of similar size)
    counts = result.price_list["service_area"].value_counts()
    area = max(areas, key=lambda a: counts.get(a, 0))
    weights = sensitivity.key_weights(model, area)
    cost = sensitivity.exact_full_cost(result, area)
    t_shares, shares = timed(lambda: sensitivity.share_matrix(model, result, area), repeat)
    movable = sensitivity.movable_keys(shares)
    key = weights.index[0]
    deltas = np.linspace(-100, 100, vectors)
    t_weights, scenarios = timed(
        lambda: sensitivity.weight_scenarios(weights, key, deltas, movable), repeat
    )
    matrix, s = scenarios.matrix, shares.to_numpy()
    t_charges, charges = timed(lambda: sensitivity.charges_for_weights(matrix, s, cost), repeat)
    assert charges.shape == (vectors, shares.shape[1])
    assert np.allclose(charges.sum(axis=1), cost, rtol=1e-9)
    t_table, table = timed(lambda: sensitivity.sensitivity_table(model, result, area), repeat)
    whole = [a + b + c for a, b, c in zip(t_shares, t_weights, t_charges, strict=True)]
    size = f"{shares.shape[1]:,} kunder × {len(weights)} nycklar".replace(",", " ")
    print(f"\n{name}: {area}, {size}")
    rows = [
        ("andelsmatris S", t_shares),
        (f"{vectors:,} viktvektorer W".replace(",", " "), t_weights),
        (f"priser (W · C) @ S: {charges.size:,} belopp".replace(",", " "), t_charges),
        ("S + W + priser", whole),
        (f"kapitlets tabell: {len(table):,} rader".replace(",", " "), t_table),
    ]
    for label, times in rows:
        print(f"  {label:<44}{best(times)}")
    print(f"  mål < 1 s för S + W + priser: {'uppfyllt' if min(whole) < 1 else 'INTE uppfyllt'}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--vectors", type=int, default=10_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        bench("exempeldata 2023", REPO / "data" / "2023", args.vectors, args.repeat)
        folder = make_folder(Path(tmp) / "l", 10_000, 4, 1)
        bench("syntetiskt tjänsteområde", folder, args.vectors, args.repeat)


if __name__ == "__main__":
    main()
