"""Benchmark of ``prismodell volumes`` on extracts at the source's real sizes.

    uv run python benchmarks/bench_volumes.py [--scale 1.07] [--runs 5]

Generates a data folder with scripts/generate_extracts.py (row-level: about 1.1 M supplier
invoices, 11 000 reminders, 680 000 fee invoices, 90 000 contracts, times --scale; the
example's monthly aggregates for the other keys) beside the 2023 example folder (so the
comparison with last year runs too), then times the whole command in a new process each
run: Python start, imports, reading and counting, writing the three outputs.
Target (issue 9): 2 M extract rows to volumes.csv in at most 3 s.

Wall time depends on what else the machine runs; the CPU time (user + sys, all threads) is
printed beside it so a run on a busy machine can still be judged.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb

REPO = Path(__file__).resolve().parent.parent


def extract_rows(data: Path) -> int:
    """Data rows in every extract file (CSV, parquet; xlsx via its row count)."""
    con = duckdb.connect()
    total = 0
    for path in sorted((data / "extracts").rglob("*")):
        if path.suffix == ".csv":
            total += sum(1 for _ in path.open(encoding="utf-8")) - 1
        elif path.suffix == ".parquet":
            total += con.execute("SELECT count(*) FROM read_parquet(?)", [str(path)]).fetchone()[0]
        elif path.suffix == ".xlsx":
            from openpyxl import load_workbook

            total += load_workbook(path, read_only=True).active.max_row - 1
    return total


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", type=float, default=1.07, help="1.07 gives about 2 M rows")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    script = Path(sys.executable).with_name("prismodell")  # the installed command itself
    command = [str(script) if script.is_file() else "prismodell", "volumes"]
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "2024"
        shutil.copytree(REPO / "data" / "2023", Path(tmp) / "2023")
        subprocess.run(
            [
                sys.executable,
                str(REPO / "scripts" / "generate_extracts.py"),
                "benchmark",
                str(data),
                "--scale",
                str(args.scale),
                "--from",
                str(REPO / "data" / "2024"),
            ],
            check=True,
        )
        rows = extract_rows(data)
        size = sum(p.stat().st_size for p in (data / "extracts").rglob("*") if p.is_file())
        print(f"Uttag: {rows:,} rader".replace(",", " ") + f", {size / 1e6:.1f} MB")
        walls, cpus = [], []
        for run in range(args.runs):
            out = Path(tmp) / f"out{run}"
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            started = time.perf_counter()
            subprocess.run(
                [*command, str(data), "--out", str(out)], check=True, stdout=subprocess.DEVNULL
            )
            walls.append(time.perf_counter() - started)
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
            print(f"  körning {run + 1}: {walls[-1]:.2f} s (cpu {cpus[-1]:.2f} s)")
        load = os.getloadavg()[0]
        print(
            f"Median: {statistics.median(walls):.2f} s hela kommandot "
            f"(cpu {statistics.median(cpus):.2f} s; {os.cpu_count()} kärnor, "
            f"belastning {load:.1f})"
        )


if __name__ == "__main__":
    main()
