"""Benchmark of ``prismodell calculate``: the example data against ``python -c "import pandas"``,
and the calculation at scale (not a timed test: run it and compare ratios).

    uv run python benchmarks/bench_calculate.py [--baseline /path/to/other/checkout]
        [--pairs 9] [--repeat 3] [--large-only] [--example-only] [--no-bytecode-cache]

Example data: the CPU seconds (user + sys of the process) of the whole command on
``data/2023`` and of ``python -c "import pandas"``, run in alternating turns (``--pairs``
rounds of one run each), so a busy machine slows both alike; the medians and their ratio are
printed. Target (issue 10): the command within 1.5 × the pandas import.

Scale: 1,000 customers × 60 keys in 12 service areas, and 10,000 customers × 100 keys in 10
service areas (1 million volume rows). For each, the time to read and validate the folder and
to calculate (rules 1–10, in one process: the "core"), and the whole command (CSVs and
workbook) in a fresh process, wall and CPU. Targets (issues 2 and 10): the large calculation
≤ 1 s; the large command ≤ 20 s (43 s with the openpyxl workbook, 2026-11-30).

``--baseline`` runs the same measurements with another checkout's own environment (its
``.venv``; e.g. an untouched main) in the same turns, printed side by side ("före"/"nu").
Python's bytecode cache is on as on an analyst's machine, kept in a temporary folder so no
checkout is written to (``--no-bytecode-cache``: every run compiles the package's modules, as
with ``PYTHONDONTWRITEBYTECODE=1``); one unmeasured run of each command comes first.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

REPO = Path(__file__).resolve().parent.parent

# Run in a checkout's own interpreter: read and calculate ``repeat`` times, print the times.
_CORE = """
import json, sys, time
from pathlib import Path
from prismodell.calculation import calculate
from prismodell.inputs import load_input
folder, repeat = Path(sys.argv[1]), int(sys.argv[2])
read, calc = [], []
for _ in range(repeat):
    started = time.perf_counter()
    model = load_input(folder)
    read.append(time.perf_counter() - started)
    started = time.perf_counter()
    calculate(model)
    calc.append(time.perf_counter() - started)
print(json.dumps({"read": read, "calc": calc, "rows": len(model.volumes)}))
"""


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


def run(args: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall and CPU seconds (user + sys) of one process run to its end."""
    started = time.perf_counter()
    process = subprocess.Popen(
        args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env
    )
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"{' '.join(args)} failed:\n{process.stderr.read().decode()}")
    process.stderr.close()
    return wall, usage.ru_utime + usage.ru_stime


def turns(commands: dict[str, list[str]], rounds: int, env: dict[str, str]) -> dict:
    """Each command once per round, in alternating order; wall and CPU seconds per command."""
    for args in commands.values():
        run(args, env)  # unmeasured: fills the bytecode and file caches
    times: dict[str, dict[str, list[float]]] = {k: {"wall": [], "cpu": []} for k in commands}
    for i in range(rounds):
        order = list(commands) if i % 2 == 0 else list(reversed(commands))
        for name in order:
            wall, cpu = run(commands[name], env)
            times[name]["wall"].append(wall)
            times[name]["cpu"].append(cpu)
    return times


def median(values: list[float]) -> float:
    return statistics.median(values)


def seconds(values: list[float]) -> str:
    return f"{median(values):6.2f} s (min {min(values):.2f})"


def core(python: str, folder: Path, repeat: int, env: dict[str, str]) -> dict:
    output = subprocess.run(
        [python, "-c", _CORE, str(folder), str(repeat)],
        check=True, capture_output=True, text=True, env=env,
    )
    return json.loads(output.stdout)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--baseline", type=Path, help="en annan utcheckning med egen .venv")
    parser.add_argument("--pairs", type=int, default=9, help="omgångar för exempeldata")
    parser.add_argument("--repeat", type=int, default=3, help="omgångar för de stora fallen")
    parser.add_argument("--large-only", action="store_true", help="bara 10 000 × 100")
    parser.add_argument("--example-only", action="store_true", help="bara exempeldata")
    parser.add_argument("--no-bytecode-cache", action="store_true")
    options = parser.parse_args()

    checkouts = {"nu": REPO}
    if options.baseline:
        checkouts = {"före": options.baseline.resolve(), **checkouts}
    python = {name: str(root / ".venv" / "bin" / "python") for name, root in checkouts.items()}
    exe = {name: str(root / ".venv" / "bin" / "prismodell") for name, root in checkouts.items()}

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        env.pop("PYTHONPYCACHEPREFIX", None)
        if options.no_bytecode_cache:
            env["PYTHONDONTWRITEBYTECODE"] = "1"
        else:
            env["PYTHONPYCACHEPREFIX"] = str(tmp / "pycache")
        print(f"bytekodscache: {'av' if options.no_bytecode_cache else 'på'}; "
              f"{' / '.join(f'{k} = {v}' for k, v in checkouts.items())}")

        if not options.large_only:
            example = REPO / "data" / "2023"
            commands = {"import pandas": [python["nu"], "-c", "import pandas"]}
            for name in checkouts:
                commands[f"calculate ({name})"] = [
                    exe[name], "calculate", str(example), "--out", str(tmp / f"ex_{name}")
                ]
            times = turns(commands, options.pairs, env)
            pandas_cpu = median(times["import pandas"]["cpu"])
            print(f"\nexempeldata 2023, CPU-sekunder, median av {options.pairs} omgångar "
                  "(växelvis)")
            for name, t in times.items():
                ratio = median(t["cpu"]) / pandas_cpu
                print(f"  {name:<22}{median(t['cpu']):6.3f} s CPU "
                      f"(min {min(t['cpu']):.3f})  = {ratio:.2f} × import pandas")
        if options.example_only:
            return

        cases = {} if options.large_only else {
            "1 000 kunder × 60 nycklar × 12 områden": make_folder(tmp / "m", 1000, 60, 12),
        }
        cases["10 000 kunder × 100 nycklar × 10 områden"] = make_folder(
            tmp / "l", 10_000, 100, 10
        )
        for case, folder in cases.items():
            cores = {name: core(python[name], folder, options.repeat, env) for name in checkouts}
            commands = {
                name: [exe[name], "calculate", str(folder), "--out", str(tmp / f"ut_{name}")]
                for name in checkouts
            }
            whole = turns(commands, options.repeat, env)
            rows = next(iter(cores.values()))["rows"]
            print(f"\n{case} ({rows:,} volymrader)".replace(",", " "))
            for name in checkouts:
                print(f"  [{name}] läsa och kontrollera indata   {seconds(cores[name]['read'])}")
                print(f"  [{name}] beräkna (regel 1–10)          {seconds(cores[name]['calc'])}")
                print(f"  [{name}] hela kommandot (CSV + xlsx)   {seconds(whole[name]['wall'])}"
                      f", CPU {median(whole[name]['cpu']):.2f} s")


if __name__ == "__main__":
    main()
