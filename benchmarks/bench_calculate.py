"""Benchmark of the calculation at scale (not a timed test: run it and compare ratios).

    uv run python benchmarks/bench_calculate.py [--repeat 3] [--large-only]

Cases: the bundled example data; 1,000 customers × 60 keys in 12 service areas; 10,000
customers × 100 keys in 10 service areas (1 million volume rows). For each it reports the time
to read and validate the folder, to calculate, and the whole `prismodell calculate` command
(CSVs and workbook included) in a fresh process, next to `python -c "import pandas"`.
Targets (issues 2 and 10): the large calculation < 1 s; the example command within 1.5× the
pandas start-up; the large command ≤ 20 s (43 s with the openpyxl workbook, 2026-11-30).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from prismodell.calculation import calculate
from prismodell.inputs import load_input

REPO = Path(__file__).resolve().parent.parent


def make_folder(folder: Path, customers: int, keys: int, areas: int, seed: int = 1) -> Path:
    """A synthetic but valid input folder: every customer has a volume on every key."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    per_area = keys // areas
    service_areas = {}
    for a in range(areas):
        weights = rng.dirichlet(np.ones(per_area)).round(6)
        weights[-1] = round(1 - weights[:-1].sum(), 6)
        service_areas[f"omrade_{a:02d}"] = {
            "name": f"Område {a}",
            "keys": [{"id": f"nyckel_{a:02d}_{k:02d}", "name": f"Nyckel {a}.{k}",
                      "weight": float(w), "source": "syntetisk"} for k, w in enumerate(weights)]}
    model = {"price_list_year": 2023, "volume_period": {"start": "2021-07", "end": "2022-06"},
             "productive_hours_per_fte": 1600, "administration_overhead_per_fte": 95000,
             "cost_standards": {"ekonomiadministrator": 610000, "ekonom": 760000,
                                "ledning": 1050000},
             "service_areas": service_areas}
    (folder / "model.yml").write_text(yaml.safe_dump(model, allow_unicode=True))
    staffing = [(a, c, round(float(rng.uniform(2, 30)), 1)) for a in service_areas
                for c in ("ekonomiadministrator", "ekonom")]
    staffing.append(("internt_overhead", "ledning", 6.0))
    pd.DataFrame(staffing, columns=["service_area", "staff_category", "fte"]).to_csv(
        folder / "staffing.csv", index=False)
    ids = [f"kund_{i:05d}" for i in range(customers)]
    pd.DataFrame({"customer_id": ids, "name": [f"Kund {i}" for i in range(customers)],
                  "type": "förvaltning"}).to_csv(folder / "customers.csv", index=False)
    key_ids = [k["id"] for a in service_areas.values() for k in a["keys"]]
    pd.DataFrame({"customer_id": np.repeat(ids, len(key_ids)),
                  "key_id": np.tile(key_ids, customers),
                  "volume": rng.integers(1, 5000, customers * len(key_ids))}).to_csv(
        folder / "volumes.csv", index=False)
    return folder


def best(times: list[float]) -> str:
    return f"{min(times):6.2f} s (median {statistics.median(times):.2f})"


def timed(fn, repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return times


def command(args: list[str], repeat: int) -> list[float]:
    return timed(lambda: subprocess.run(args, check=True, capture_output=True), repeat)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--large-only", action="store_true", help="bara 10 000 × 100")
    options = parser.parse_args()
    repeat = options.repeat
    exe = str(Path(sys.executable).with_name("prismodell"))
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        cases = {} if options.large_only else {
            "exempeldata 2023": REPO / "data" / "2023",
            "1 000 kunder × 60 nycklar × 12 områden": make_folder(tmp / "m", 1000, 60, 12),
        }
        cases["10 000 kunder × 100 nycklar × 10 områden"] = make_folder(
            tmp / "l", 10_000, 100, 10
        )
        startup = command([sys.executable, "-c", "import pandas"], repeat + 2)
        print(f"python -c 'import pandas'            {best(startup)}")
        for name, folder in cases.items():
            model = load_input(folder)
            rows = len(model.volumes)
            read = timed(lambda f=folder: load_input(f), repeat)
            calc = timed(lambda m=model: calculate(m), repeat)
            whole = command([exe, "calculate", str(folder), "--out", str(tmp / "ut")], repeat)
            print(f"\n{name} ({rows:,} volymrader)".replace(",", " "))
            print(f"  läsa och kontrollera indata        {best(read)}")
            print(f"  beräkna (regel 1–10)               {best(calc)}")
            print(f"  hela kommandot (CSV + xlsx)        {best(whole)}"
                  f"   = {min(whole) / min(startup):.2f} × pandas-start")


if __name__ == "__main__":
    main()
