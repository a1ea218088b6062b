"""Fuzzing the readers (issue 7, §7): arbitrary bytes and structures in the CSV, xlsx and YAML
files of a data folder. ``prismodell calculate`` must end in exit 0 (complete output) or exit 2
(an input error, nothing written): never another exception, never a partial output."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pandas as pd
import yaml
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from prismodell.cli import main
from prismodell.export import OUTPUT_FILES, WORKBOOK_FILE

from .conftest import MINI

TABLES = (
    "staffing",
    "customers",
    "volumes",
    "other_costs",
    "previous_charges",
    "changed_assignments",
)
HOSTILE = ',;"\r\n .-+e0123456789\t\x00é\ufeff='
# CI runs a few fixed examples per test; a longer random campaign:
#   PRISMODELL_FUZZ_EXAMPLES=500 uv run pytest tests/test_fuzz_readers.py
CAMPAIGN = int(os.environ.get("PRISMODELL_FUZZ_EXAMPLES", "0"))
FUZZ = settings(
    max_examples=CAMPAIGN or 10,
    deadline=None,
    derandomize=not CAMPAIGN,  # the same examples in CI every time: a failure is reproducible
    phases=(Phase.explicit, Phase.generate),  # bounded time; a failure shows its example
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def run_calculate(prepare, *options: str) -> None:
    """Copy the mini folder, let ``prepare`` damage it, run the CLI and check the outcome."""
    with tempfile.TemporaryDirectory() as tmp:
        data, out = Path(tmp) / "data", Path(tmp) / "out"
        shutil.copytree(MINI, data)
        prepare(data)
        code = main(["calculate", str(data), "--out", str(out), *options])
        assert code in (0, 2)
        if code == 0:
            assert set(OUTPUT_FILES) | {WORKBOOK_FILE} <= {p.name for p in out.iterdir()}
        else:
            assert not out.exists()  # nothing written, not even an empty folder
        # no staging or trash folder left behind (the lock file stays by design)
        leftovers = [p for p in Path(tmp).iterdir() if p.name.startswith(".out")]
        assert [p.name for p in leftovers] in ([], [".out.lock"])


def mutated(text: str, data) -> str:
    """The text with a few characters from the hostile alphabet inserted or replaced."""
    for _ in range(data.draw(st.integers(1, 4))):
        at = data.draw(st.integers(0, len(text)))
        piece = data.draw(st.text(alphabet=HOSTILE, min_size=1, max_size=3))
        cut = data.draw(st.integers(0, 2))
        text = text[:at] + piece + text[at + cut :]
    return text


@FUZZ
@given(st.sampled_from(TABLES), st.data())
def test_mutated_csv(table, data):
    def prepare(folder: Path) -> None:
        path = folder / f"{table}.csv"
        path.write_bytes(mutated(path.read_text(encoding="utf-8"), data).encode("utf-8"))

    run_calculate(prepare)


@FUZZ
@given(st.sampled_from(TABLES), st.binary(max_size=400), st.sampled_from([".csv", ".xlsx"]))
def test_arbitrary_bytes_as_a_table(table, content, suffix):
    def prepare(folder: Path) -> None:
        (folder / f"{table}.csv").unlink()
        (folder / f"{table}{suffix}").write_bytes(content)

    run_calculate(prepare)


CELLS = st.one_of(
    st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=8),
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(-(10**15), 10**15),
    st.none(),
)


@FUZZ
@given(st.sampled_from(TABLES), st.data())
def test_xlsx_with_arbitrary_cells(table, data):
    def prepare(folder: Path) -> None:
        frame = pd.read_csv(folder / f"{table}.csv", dtype=str, keep_default_na=False)
        frame = frame.astype(object)
        for _ in range(data.draw(st.integers(1, 3))):
            row = data.draw(st.integers(0, max(len(frame) - 1, 0)))
            column = data.draw(st.sampled_from(list(frame.columns)))
            if len(frame):
                frame.loc[frame.index[row], column] = data.draw(CELLS)
        if data.draw(st.booleans()):
            frame.columns = [*frame.columns[:-1], data.draw(st.sampled_from(list(frame.columns)))]
        (folder / f"{table}.csv").unlink()
        frame.to_excel(folder / f"{table}.xlsx", index=False)

    run_calculate(prepare)


SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**20), 10**20),
    st.floats(),
    st.text(max_size=10),
)
STRUCTURES = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=8,
)


def model_paths(node, path=()):
    yield path
    if isinstance(node, dict):
        for key, value in node.items():
            yield from model_paths(value, path + (key,))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from model_paths(value, path + (i,))


@FUZZ
@given(st.data())
def test_model_yml_with_arbitrary_structures(data):
    def prepare(folder: Path) -> None:
        model = yaml.safe_load((folder / "model.yml").read_text(encoding="utf-8"))
        path = data.draw(st.sampled_from([p for p in model_paths(model) if p]))
        node = model
        for part in path[:-1]:
            node = node[part]
        node[path[-1]] = data.draw(STRUCTURES)
        (folder / "model.yml").write_text(yaml.safe_dump(model, allow_unicode=True))

    run_calculate(prepare)


@FUZZ
@given(st.data())
def test_model_yml_as_mutated_text(data):
    def prepare(folder: Path) -> None:
        path = folder / "model.yml"
        text = mutated(path.read_text(encoding="utf-8"), data)
        extra = data.draw(st.sampled_from(["", "&a ", "*a", "<<: *a\n", ": :", "- -", "{[", "\t"]))
        path.write_text(text + extra, encoding="utf-8")

    run_calculate(prepare)


@FUZZ
@given(
    st.one_of(
        STRUCTURES,
        st.dictionaries(
            st.sampled_from(
                [
                    "description",
                    "weights",
                    "cost_standards",
                    "administration_overhead_per_fte",
                    "staffing",
                    "volume_changes",
                    "x",
                ]
            ),
            STRUCTURES,
            max_size=4,
        ),
    ),
    st.binary(max_size=200),
    st.booleans(),
)
def test_scenario_with_arbitrary_structures_or_bytes(structure, content, as_bytes):
    def prepare(folder: Path) -> None:
        path = folder / "scenarios" / "exempel.yml"
        if as_bytes:
            path.write_bytes(content)
        else:
            path.write_text(yaml.safe_dump(structure, allow_unicode=True), encoding="utf-8")

    run_calculate(prepare, "--scenario", "exempel")


@FUZZ
@given(
    st.sampled_from(sorted(p.name for p in (MINI / "rapport").glob("*.yml"))),
    STRUCTURES,
    st.binary(max_size=200),
    st.booleans(),
)
def test_report_texts_with_arbitrary_structures_or_bytes(name, structure, content, as_bytes):
    from prismodell.inputs import load_input
    from prismodell.narrative import load_narrative
    from prismodell.problems import InputError

    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        shutil.copytree(MINI, data)
        path = data / "rapport" / name
        if as_bytes:
            path.write_bytes(content)
        else:
            path.write_text(yaml.safe_dump(structure, allow_unicode=True), encoding="utf-8")
        try:
            load_narrative(data, load_input(data))
        except InputError as error:
            assert error.problems and all("rapport/" in p.file for p in error.problems)
