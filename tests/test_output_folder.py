"""Output folders are replaced as a unit: after any run, failure or kill the folder holds the
complete old set or the complete new set, never a mix, and never what the tool did not write."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from prismodell import export, output_folder
from prismodell.calculation import calculate
from prismodell.inputs import InputError, load_input
from prismodell.output_folder import MARKER, check_output_folder
from prismodell.workbook import write_workbook

from .conftest import run_cli

SRC = Path(__file__).resolve().parent.parent / "src"


def snapshot(folder: Path) -> dict[str, bytes] | None:
    """Every file's bytes (the workbook by name only: it carries its creation time)."""
    if not folder.exists():
        return None
    return {
        p.name: b"" if p.suffix == ".xlsx" else p.read_bytes() for p in sorted(folder.iterdir())
    }


def leftovers(out: Path) -> list[str]:
    """Staging and trash folders beside ``out`` (the lock file stays on purpose)."""
    return sorted(
        p.name for p in out.parent.iterdir() if p.name.startswith(f".{out.name}.") and p.is_dir()
    )


@pytest.fixture
def two_sets(mini: Path, tmp_path: Path):
    """The mini folder with last year's charges (7 files) and a copy without (no comparison)."""
    without = tmp_path / "utan"
    without.mkdir()
    for path in mini.rglob("*"):
        target = without / path.relative_to(mini)
        if path.is_dir():
            target.mkdir(exist_ok=True)
        elif path.name != "previous_charges.csv":
            target.write_bytes(path.read_bytes())
    return mini, without


def write(data: Path, out: Path) -> None:
    model = load_input(data)
    export.write_outputs(model, calculate(model), out, write_workbook, data_dir=data)


def reference_sets(two_sets, tmp_path: Path) -> tuple[dict, dict]:
    old, new = tmp_path / "ref_old", tmp_path / "ref_new"
    write(two_sets[0], old)
    write(two_sets[1], new)
    return snapshot(old), snapshot(new)


# --------------------------------------------------------------------------- refusals


@pytest.mark.parametrize(
    "where,fragment",
    [
        ("root", "filsystemets rot"),
        ("home", "hemmapp"),
        ("data", "datamappen"),
        ("inside data", "datamappen"),
        ("holds data", "innehåller datamappen"),
        ("foreign", "inte skrivits av prismodell"),
        ("file", "ingen mapp"),
        ("symlink", "symbolisk länk"),
    ],
)
def test_refused_output_folders_give_exit_2_and_touch_nothing(
    mini: Path, tmp_path: Path, capsys, where: str, fragment: str
):
    foreign = tmp_path / "mina_filer"
    foreign.mkdir()
    (foreign / "budget.xlsx").write_bytes(b"analytikerns fil")
    (tmp_path / "en_fil").write_text("x")
    (tmp_path / "länk").symlink_to(foreign)
    out = {
        "root": Path("/"),
        "home": Path.home(),
        "data": mini,
        "inside data": mini / "ut",
        "holds data": tmp_path,
        "foreign": foreign,
        "file": tmp_path / "en_fil",
        "symlink": tmp_path / "länk",
    }[where]
    before = sorted(str(p) for p in tmp_path.rglob("*"))
    assert run_cli("calculate", mini, "--out", out) == 2
    err = capsys.readouterr().err
    assert fragment in err and "Traceback" not in err
    assert sorted(str(p) for p in tmp_path.rglob("*")) == before
    assert (foreign / "budget.xlsx").read_bytes() == b"analytikerns fil"


def test_build_refuses_a_foreign_folder_before_building(mini: Path, tmp_path: Path, capsys):
    foreign = tmp_path / "rapport"
    foreign.mkdir()
    (foreign / "html").mkdir()
    (foreign / "html" / "index.html").write_text("min egen sida")
    assert run_cli("build", "--data", mini, "--out", foreign, "--no-pdf") == 2
    assert "inte skrivits av prismodell" in capsys.readouterr().err
    assert [p.name for p in foreign.iterdir()] == ["html"]
    assert (foreign / "html" / "index.html").read_text() == "min egen sida"
    assert run_cli("build", "--data", mini, "--out", mini / "bygg", "--no-pdf") == 2
    assert not (mini / "bygg").exists()


def test_build_with_an_input_error_leaves_no_empty_folder(mini: Path, tmp_path: Path):
    (mini / "staffing.csv").unlink()
    out = tmp_path / "bygg"
    assert run_cli("build", "--data", mini, "--out", out, "--no-pdf") == 2
    assert not out.exists()


def test_an_empty_existing_folder_and_our_own_folder_are_accepted(mini: Path, tmp_path: Path):
    empty = tmp_path / "tom"
    empty.mkdir()
    check_output_folder(empty, mini)
    assert run_cli("calculate", mini, "--out", empty) == 0
    assert (empty / MARKER).is_file()
    check_output_folder(empty, mini)  # now ours: may be replaced
    (empty / MARKER).unlink()
    with pytest.raises(InputError, match="inte skrivits av prismodell"):
        check_output_folder(empty, mini)


# --------------------------------------------------------------------------- the swap


def test_a_file_of_an_earlier_run_never_survives(two_sets, tmp_path: Path):
    with_charges, without = two_sets
    out = tmp_path / "ut"
    assert run_cli("calculate", with_charges, "--out", out) == 0
    assert (out / "comparison.csv").exists()
    (out / "egen_anteckning.txt").write_text("läggs inte här")
    assert run_cli("calculate", without, "--out", out) == 0
    names = sorted(p.name for p in out.iterdir())
    assert "comparison.csv" not in names and "egen_anteckning.txt" not in names
    assert names == sorted([MARKER, *export.OUTPUT_FILES, export.WORKBOOK_FILE])
    assert leftovers(out) == []


@pytest.mark.parametrize("exchange", [True, False], ids=["renameat2", "two-renames"])
def test_failure_at_every_write_and_rename_leaves_all_old_or_all_new(
    two_sets, tmp_path: Path, monkeypatch, exchange: bool
):
    old_set, new_set = reference_sets(two_sets, tmp_path)
    assert old_set != new_set and "comparison.csv" in old_set
    if not exchange:  # a filesystem without RENAME_EXCHANGE: the two-rename path
        monkeypatch.setattr(output_folder, "_exchange", lambda a, b: False)

    calls = {"n": 0, "fail_at": 0}

    def failing(fn):
        def wrapper(*args, **kwargs):
            calls["n"] += 1
            if calls["n"] == calls["fail_at"]:
                raise OSError(28, "No space left on device (injected)")
            return fn(*args, **kwargs)

        return wrapper

    for module, name in [
        (output_folder.os, "rename"),
        (output_folder.os, "replace"),
        (output_folder, "_exchange"),
        (export, "write_csv"),
        (output_folder.shutil, "rmtree"),
    ]:
        monkeypatch.setattr(module, name, failing(getattr(module, name)))
    writer = failing(write_workbook)

    # the writing is under test, not the calculation: each set is calculated once
    calculated = {data: (model := load_input(data), calculate(model)) for data in two_sets}

    def run(data: Path, out: Path) -> None:
        export.write_outputs(*calculated[data], out, writer, data_dir=data)

    seen_failures = 0
    for fail_at in range(1, 40):
        out = tmp_path / f"ut{fail_at}"
        calls.update(n=0, fail_at=0)
        run(two_sets[0], out)  # the old set, written without failures
        calls.update(n=0, fail_at=fail_at)
        try:
            run(two_sets[1], out)
        except OSError:
            seen_failures += 1
            assert snapshot(out) in (old_set, new_set), f"mixed set at step {fail_at}"
        else:
            assert snapshot(out) == new_set
            if calls["n"] < fail_at:
                break  # every step of a run has had its failure
        # The next run cleans whatever is left and writes the complete new set.
        calls.update(n=0, fail_at=0)
        run(two_sets[1], out)
        assert snapshot(out) == new_set and leftovers(out) == []
    assert seen_failures >= 6  # 5 CSVs and the workbook at least


def test_two_runs_at_once_wait_for_each_other(two_sets, tmp_path: Path):
    old_set, new_set = reference_sets(two_sets, tmp_path)
    out = tmp_path / "ut"
    exe = str(Path(sys.executable).with_name("prismodell"))
    for _ in range(2):
        runs = [
            subprocess.Popen(
                [exe, "calculate", str(data), "--out", str(out)],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
            )
            for data in two_sets
        ]
        assert [p.wait(timeout=120) for p in runs] == [0, 0]
        assert snapshot(out) in (old_set, new_set)
        assert leftovers(out) == []


_KILLER = textwrap.dedent(
    """
    import os, signal, sys
    sys.path.insert(0, {src!r})
    from prismodell import output_folder
    from prismodell.cli import main

    step, exchange = {step!r}, {exchange!r}
    if not exchange:
        output_folder._exchange = lambda a, b: False
    calls = {{"n": 0}}

    def killing(fn):
        def wrapper(*args, **kwargs):
            calls["n"] += 1
            if calls["n"] == step:
                os.kill(os.getpid(), signal.SIGKILL)
            return fn(*args, **kwargs)
        return wrapper

    output_folder.os.rename = killing(output_folder.os.rename)
    output_folder._exchange = killing(output_folder._exchange)
    output_folder.shutil.rmtree = killing(output_folder.shutil.rmtree)
    sys.exit(main(["calculate", {data!r}, "--out", {out!r}]))
    """
)


@pytest.mark.parametrize("exchange", [True, False], ids=["renameat2", "two-renames"])
@pytest.mark.parametrize("step", [1, 2, 3, 4])
def test_sigkill_at_a_rename_is_repaired_by_the_next_run(
    two_sets, tmp_path: Path, step: int, exchange: bool
):
    old_set, new_set = reference_sets(two_sets, tmp_path)
    out = tmp_path / "ut"
    assert run_cli("calculate", two_sets[0], "--out", out) == 0
    script = _KILLER.format(
        src=str(SRC), step=step, exchange=exchange, data=str(two_sets[1]), out=str(out)
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True)
    if done.returncode == -signal.SIGKILL:
        trash = [p for p in out.parent.iterdir() if ".trash-" in p.name]
        if out.exists():
            assert snapshot(out) in (old_set, new_set)
        else:  # killed between the two renames: the old set waits, complete, in the trash
            assert not exchange and len(trash) == 1 and snapshot(trash[0]) == old_set
    else:
        assert done.returncode == 0 and snapshot(out) == new_set
    assert run_cli("calculate", two_sets[0], "--out", out) == 0
    assert snapshot(out) == old_set and leftovers(out) == []


@pytest.mark.slow
def test_sigkill_at_any_moment_of_a_real_run(tmp_path: Path):
    """A whole command killed at several moments of a run big enough to take a while."""
    sys.path.insert(0, str(SRC.parent / "benchmarks"))
    from bench_calculate import make_folder

    data = make_folder(tmp_path / "data", 600, 20, 4)
    out = tmp_path / "ut"
    exe = str(Path(sys.executable).with_name("prismodell"))
    assert subprocess.run([exe, "calculate", str(data), "--out", str(out)]).returncode == 0
    complete = snapshot(out)
    started = time.perf_counter()
    subprocess.run([exe, "calculate", str(data), "--out", str(out)], check=True)
    duration = time.perf_counter() - started
    for fraction in (0.5, 0.8, 0.95):
        run = subprocess.Popen(
            [exe, "calculate", str(data), "--out", str(out)], stdout=subprocess.DEVNULL
        )
        time.sleep(duration * fraction)
        os.kill(run.pid, signal.SIGKILL)
        run.wait()
        assert set(snapshot(out)) == set(complete)  # never a partial or missing set
        sizes = {p.name: p.stat().st_size for p in out.iterdir() if p.suffix == ".csv"}
        assert sizes == {n: len(b) for n, b in complete.items() if n.endswith(".csv")}
    assert subprocess.run([exe, "calculate", str(data), "--out", str(out)]).returncode == 0
    assert leftovers(out) == []


# --------------------------------------------------------------------------- compare --out


def test_compare_never_overwrites_a_workbook_it_did_not_write(tmp_path: Path, capsys):
    from .conftest import DATA_2023

    target = tmp_path / "jämförelse.xlsx"
    target.write_bytes(b"PK analytikerns egen arbetsbok")
    args = ("compare", DATA_2023, "--scenario", "farsta_farre_krav", "--out", target)
    assert run_cli(*args) == 2
    assert "inte skrivits av prismodell" in capsys.readouterr().err
    assert target.read_bytes() == b"PK analytikerns egen arbetsbok"
    target.unlink()
    assert run_cli(*args) == 0
    assert output_folder.written_by_us(target)
    assert run_cli(*args) == 0  # its own file is replaced
    assert sorted(p.name for p in tmp_path.iterdir()) == ["jämförelse.xlsx"]


def test_compare_removes_temporary_files_of_killed_runs_only(tmp_path: Path):
    from .conftest import DATA_2023

    target = tmp_path / "j.xlsx"
    gone = subprocess.Popen(["true"])  # a process that has ended: its pid is free
    gone.wait()
    dead = tmp_path / f".j.xlsx.staging-{gone.pid}-dead"
    alive = tmp_path / f".j.xlsx.staging-{os.getpid()}-alive"
    dead.write_bytes(b"half")
    alive.write_bytes(b"half")
    args = ("compare", DATA_2023, "--scenario", "farsta_farre_krav", "--out", target)
    assert run_cli(*args) == 0
    assert not dead.exists() and alive.exists()
