"""Issue 10's targets measured side by side with the main the issue was measured on (not a
timed test: run it and read the ratios).

    git worktree add --detach ../baseline 6d65084
    (cd ../baseline && uv sync --frozen --compile-bytecode)
    uv run python benchmarks/bench_against_baseline.py --baseline ../baseline \
        [--pairs 2] [--only build] [--only rebuild] [--only suite]

The issue gave its targets in seconds, measured on a quiet machine; this machine's speed
drifts by a factor of two over a day, so one reading in seconds says little. Here each
measure is the whole command as its user meets it, run for this checkout ("nu") and the
baseline ("före") in turn (nu, före, före, nu, ...), and the median of the pairs' ratios is set
against the target's own ratio (target ÷ the issue's measurement of the same thing):

- build:   a clean `prismodell build` of data/2023, HTML and PDF, with the three example
           scenarios (the issue: 121 s for `make report`, whose `calculate` takes about a
           second; target ≤ 30 s);
- rebuild: after one weight changed (on a copy of data/, after one unmeasured build), HTML with
           the three scenarios (the issue: about 65 s, target ≤ 10 s);
- suite:   each checkout's own test command, the `uv run pytest …` line of its Makefile's
           `test` target (the issue: about 5 minutes, target ≤ 3 minutes).
"""

from __future__ import annotations

import argparse
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench_build import change_one_weight  # run as a script: benchmarks/ is on sys.path

REPO = Path(__file__).resolve().parent.parent
SCENARIOS = ("tyngre_vikt_felaktiga_fakturor", "hogre_schablon_ekonomiadministrator",
             "farsta_farre_krav")
# (issue 10's measurement on its main, 6d65084, and its target; seconds)
TARGETS = {"build": (121, 30), "rebuild": (65, 10), "suite": (300, 180)}
LABELS = {"build": "rent bygge, HTML + PDF", "rebuild": "ombygge efter en ändrad vikt, HTML",
          "suite": "hela testsviten"}


def suite_command(checkout: Path) -> list[str]:
    """The checkout's own test command: what follows `uv run` on the `uv run pytest` line of
    its Makefile's test target."""
    recipe = re.search(r"^test:.*\n((?:\t.*\n)+)", (checkout / "Makefile").read_text(), re.M)
    line = next((line.split()[2:] for line in recipe.group(1).splitlines()
                 if line.split()[:3] == ["uv", "run", "pytest"]), None) if recipe else None
    if line is None:
        raise SystemExit(f"{checkout / 'Makefile'}: ingen rad 'uv run pytest' under test:")
    return [*line, "-q", "-p", "no:cacheprovider"]


def uv_run(checkout: Path, *args: str | Path) -> list[str]:
    """A command in the checkout's own locked environment, run from the checkout."""
    return ["uv", "run", "--frozen", "--directory", str(checkout), *map(str, args)]


def build(checkout: Path, data: Path, out: Path, *options: str) -> list[str]:
    scenarios = [arg for name in SCENARIOS for arg in ("--scenario", name)]
    return uv_run(checkout, "prismodell", "build", "--data", data, "--out", out, *options,
                  *scenarios)


def run(args: list[str], log: Path) -> float:
    """Wall seconds of one command run to its end; what it prints goes to ``log``."""
    with log.open("a") as output:
        started = time.perf_counter()
        done = subprocess.run(args, stdout=output, stderr=subprocess.STDOUT)
        wall = time.perf_counter() - started
    if done.returncode != 0:
        sys.exit(f"{' '.join(args)} misslyckades (kod {done.returncode}), se {log}")
    return wall


def in_turns(prepare, pairs: int, log: Path) -> dict[str, list[float]]:
    """Wall seconds of each checkout's command, ``pairs`` times, in alternating order.
    ``prepare(name)`` readies an unmeasured state and returns the command to time."""
    times: dict[str, list[float]] = {"nu": [], "före": []}
    for i in range(pairs):
        for name in ("nu", "före") if i % 2 == 0 else ("före", "nu"):
            times[name].append(run(prepare(name), log))
    return times


def report(measure: str, times: dict[str, list[float]]) -> None:
    ratios = [now / before for now, before in zip(times["nu"], times["före"], strict=True)]
    issue, target = TARGETS[measure]
    ratio = statistics.median(ratios)
    print(f"\n{LABELS[measure]} ({len(ratios)} par)")
    for name in ("före", "nu"):
        print(f"  {name:<5}median {statistics.median(times[name]):7.1f} s  "
              f"({', '.join(f'{t:.1f}' for t in times[name])})")
    print(f"  kvot nu/före {ratio:.2f} (parens: {', '.join(f'{r:.2f}' for r in ratios)}); "
          f"målet {target} s av ärendets {issue} s är kvoten {target / issue:.2f}: "
          + ("nått" if ratio <= target / issue else "inte nått"))


def preparation(measure: str, checkouts: dict[str, Path], tmp: Path, log: Path):
    """For ``measure``: a function that readies a checkout's unmeasured state and returns its
    command to time."""
    if measure == "suite":
        return lambda name: uv_run(checkouts[name], *suite_command(checkouts[name]))
    if measure == "build":
        def clean_build(name: str) -> list[str]:
            shutil.rmtree(tmp / f"bygge_{name}", ignore_errors=True)
            return build(checkouts[name], checkouts[name] / "data" / "2023",
                         tmp / f"bygge_{name}")
        return clean_build
    for name, checkout in checkouts.items():
        # the earlier years beside it too, so the trend chapter is built as usual
        shutil.copytree(checkout / "data", tmp / f"data_{name}")
        run(build(checkout, tmp / f"data_{name}" / "2023", tmp / f"om_{name}", "--no-pdf"), log)
    changes = dict.fromkeys(checkouts, 0)

    def weight_rebuild(name: str) -> list[str]:
        changes[name] += 1  # back and forth: any number of pairs keeps the weights valid
        change_one_weight(tmp / f"data_{name}" / "2023" / "model.yml",
                          0.05 if changes[name] % 2 else -0.05)
        return build(checkouts[name], tmp / f"data_{name}" / "2023", tmp / f"om_{name}",
                     "--no-pdf")
    return weight_rebuild


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--baseline", type=Path, required=True,
                        help="en annan utcheckning med egen .venv (t.ex. 6d65084)")
    parser.add_argument("--pairs", type=int, default=2)
    parser.add_argument("--only", action="append", choices=sorted(TARGETS))
    options = parser.parse_args()
    checkouts = {"nu": REPO, "före": options.baseline.resolve()}
    log = Path(tempfile.gettempdir()) / "bench_against_baseline.log"  # kept after a failure
    log.write_text("")
    with tempfile.TemporaryDirectory() as tmp:
        for measure in options.only or TARGETS:
            prepare = preparation(measure, checkouts, Path(tmp), log)
            report(measure, in_turns(prepare, options.pairs, log))


if __name__ == "__main__":
    main()
