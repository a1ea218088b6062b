"""Benchmark of the invoice basis at scale (run it and read the medians; not a timed test).

    uv run python benchmarks/bench_invoices.py [--repeat 3] [--customers 10000] [--calloffs 200000]

A synthetic folder (bench_calculate's, 10 keys in 5 service areas) with a calloffs.csv of
hourly call-offs and add-on services spread over the year. Reported: reading and validating
calloffs.csv, building the invoice lines, writing invoice_lines.csv and fakturaunderlag.xlsx,
and the whole `prismodell invoices` command in a fresh process.

Measured 2026-11-30 on the shared 2-core machine (load average 11–12, so wall times are about
4–5× inflated), 10 000 customers, 200 000 call-offs → 241 541 invoice lines, medians of 3:
reading and validating 2.8 s, invoice lines 1.6 s, writing CSV + xlsx 30.6 s, whole command
31.8 s. CPU time of the whole command ≈ 11.6 s (writing ≈ 8.8 s of it: openpyxl; the CSV 1.6 s).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
from bench_calculate import make_folder  # run as a script: benchmarks/ is on sys.path
from bench_sensitivity import timed

from prismodell.calculation import calculate
from prismodell.inputs import load_calloffs, load_input
from prismodell.invoices import invoice_lines, write_invoice_basis
from prismodell.output_folder import output_folder

ADDONS = {
    "Utreda fakturamottagare": 450.0,
    "Administration av FoT-lägenhet": 312.5,
    "Avstämning av interna mellanhavanden": 1250.0,
    "Extra betalningspåminnelse": 95.75,
}


def write_calloffs(folder: Path, rows: int, seed: int = 2) -> None:
    rng = np.random.default_rng(seed)
    customers = pd.read_csv(folder / "customers.csv")["customer_id"].to_numpy()
    areas = pd.read_csv(folder / "staffing.csv")["service_area"].unique()
    areas = areas[areas != "internt_overhead"]
    hourly = rng.random(rows) < 0.7
    addon = rng.choice(list(ADDONS), rows)
    days = pd.Timestamp("2023-01-01") + pd.to_timedelta(rng.integers(0, 365, rows), unit="D")
    pd.DataFrame(
        {
            "customer_id": rng.choice(customers, rows),
            "date": days.strftime("%Y-%m-%d"),
            "kind": np.where(hourly, "timavrop", "tillaggstjanst"),
            "service_area": rng.choice(areas, rows),
            "staff_category": np.where(
                hourly, rng.choice(["ekonomiadministrator", "ekonom"], rows), ""
            ),
            "description": np.where(hourly, "", addon),
            "quantity": rng.integers(25, 4000, rows) / 100,
            "unit_price": np.where(hourly, "", pd.Series(addon).map(ADDONS).astype(str)),
        }
    ).to_csv(folder / "calloffs.csv", index=False)


def show(label: str, times: list[float]) -> None:
    print(f"  {label:<34}median {statistics.median(times):6.2f} s  (best {min(times):.2f})")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--customers", type=int, default=10_000)
    parser.add_argument("--calloffs", type=int, default=200_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = make_folder(Path(tmp) / "data", args.customers, keys=10, areas=5)
        write_calloffs(folder, args.calloffs)
        model = load_input(folder)
        result = calculate(model)
        print(
            f"{args.customers} kunder, {len(result.price_list)} prislisterader, "
            f"{args.calloffs} avropsrader"
        )
        t_read, calloffs = timed(lambda: load_calloffs(model), args.repeat)
        show("läsa och kontrollera calloffs.csv", t_read)
        t_lines, lines = timed(lambda: invoice_lines(model, result, calloffs), args.repeat)
        show("fakturarader", t_lines)
        print(f"    {len(lines)} fakturarader, {lines['amount'].sum()} kr")

        def write() -> None:
            with output_folder(Path(tmp) / "out") as stage:
                write_invoice_basis(model, lines, stage)

        show("skriva CSV och xlsx", timed(write, args.repeat)[0])
        command = [sys.executable, "-m", "prismodell.cli", "invoices", str(folder)]
        command += ["--out", str(Path(tmp) / "cmd")]
        t_cmd, _ = timed(
            lambda: subprocess.run(command, check=True, capture_output=True), args.repeat
        )
        show("hela kommandot (ny process)", t_cmd)


if __name__ == "__main__":
    main()
