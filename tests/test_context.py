"""The build context: digests per field, and the reads a chapter records when it loads it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from prismodell import context
from prismodell.calculation import calculate
from prismodell.inputs import load_input
from prismodell.narrative import load_narrative
from prismodell.pipeline import NotebookJob, _up_to_date


def _write(data: Path, folder: Path) -> dict[str, str]:
    model = load_input(data)
    return context.write(folder, model, calculate(model), load_narrative(data, model))


def _set_weights(data: Path, first: str, second: str) -> None:
    model = data / "model.yml"
    text = model.read_text(encoding="utf-8")
    text = text.replace("antal_fakturor, name: Antal fakturor, weight: 0.5",
                        f"antal_fakturor, name: Antal fakturor, weight: {first}")
    text = text.replace("felaktiga_fakturor, name: Felaktiga fakturor, weight: 0.25",
                        f"felaktiga_fakturor, name: Felaktiga fakturor, weight: {second}")
    model.write_text(text, encoding="utf-8")


def test_digests_follow_the_content_of_each_field(mini: Path, tmp_path: Path):
    before = _write(mini, tmp_path / "a")
    assert _write(mini, tmp_path / "b") == before  # same inputs, same digests
    _set_weights(mini, "0.4", "0.35")
    after = _write(mini, tmp_path / "c")
    changed = {name for name in before if before[name] != after.get(name)}
    assert {"model.keys", "model.settings.service_areas", "result.price_list"} <= changed
    assert not {n for n in changed if n.startswith("narrative.")}
    assert "model.settings.billing" not in changed and "model.customers" not in changed


def test_digest_tells_frames_apart_by_content_and_type():
    import pandas as pd

    frame = pd.DataFrame({"a": [1, 2]})
    assert context.digest(frame) == context.digest(frame.copy())
    assert context.digest(frame) != context.digest(frame.astype(float))
    assert context.digest(frame) != context.digest(pd.DataFrame({"a": [2, 1]}))
    assert context.digest({"x": 1, "y": 2}) != context.digest({"y": 2, "x": 1})


def test_load_outside_the_pipeline_computes_the_year(monkeypatch):
    from .conftest import MINI

    monkeypatch.delenv(context.ENV_CONTEXT, raising=False)
    model, result, narrative = context.load(MINI)
    assert model.price_list_year == load_input(MINI).price_list_year
    assert result.total_full_cost == calculate(load_input(MINI)).total_full_cost
    assert narrative.other


CHAPTER = """
import sys
from prismodell import billing, context
from prismodell import report_tables as tables
model, result, narrative = context.load(sys.argv[1])
tables.key_notes_text(model, result, "leverantorsreskontra")
billing.base_invoice_date(model)
(context.Path(sys.argv[1]).parent / "2022" / "model.yml").read_text()
"""


def test_a_chapter_records_the_fields_and_files_it_reads(mini: Path, tmp_path: Path):
    (mini.parent / "2022").mkdir()
    (mini.parent / "2022" / "model.yml").write_text("price_list_year: 2022\n")
    folder = tmp_path / "_build" / "context"
    _write(mini, folder)
    reads_file = folder / "reads" / "chapter.json"
    reads_file.parent.mkdir()
    env = {**os.environ, context.ENV_CONTEXT: str(folder), context.ENV_READS: str(reads_file)}
    subprocess.run([sys.executable, "-c", CHAPTER, str(mini.resolve())], env=env, check=True)
    reads = set(json.loads(reads_file.read_text()))
    # the remark under the key table comes from rapport/keys.yml through the context (a
    # nested record's fields are read one by one)
    assert {"narrative.keys.remarks", "model.keys", "result.unit_prices"} <= reads
    assert "narrative.keys" not in reads and "narrative.keys.principles" not in reads
    assert "model.settings.billing" in reads and "model.settings" not in reads
    assert "file:2022/model.yml" in reads
    assert not {r for r in reads if r.startswith("file:data/")}  # the context, not the files
    assert "model.staffing" not in reads and "narrative.other" not in reads


AREA_CHAPTER = """
import sys
from prismodell import context
from prismodell import report_tables as tables
model, result, narrative = context.load(sys.argv[1], service_area="hyresadministration")
assert set(model.keys["service_area"]) == {"hyresadministration"}
assert len(model.customers) > 1  # no service_area column: the whole table
tables.area_customer_comparison(model, result, "hyresadministration")
"""


def test_a_service_area_chapter_reads_its_own_rows(mini: Path, tmp_path: Path):
    folder = tmp_path / "_build" / "context"
    digests = _write(mini, folder)
    reads_file = folder / "reads" / "area.json"
    reads_file.parent.mkdir()
    env = {**os.environ, context.ENV_CONTEXT: str(folder), context.ENV_READS: str(reads_file)}
    subprocess.run([sys.executable, "-c", AREA_CHAPTER, str(mini.resolve())], env=env,
                   check=True)
    reads = set(json.loads(reads_file.read_text()))
    assert {"model.keys[hyresadministration]", "model.customers", "result.comparison#record",
            "result.comparison.by_customer_area[hyresadministration]"} <= reads
    assert not {r for r in reads if "leverantorsreskontra" in r}
    assert "model.keys" not in reads and "result.comparison" not in reads
    fields = {r for r in reads if not r.startswith(("file:", "dir:"))}
    assert fields <= set(digests)
    # a weight of the other area changes the whole table's digest, not this area's rows
    _set_weights(mini, "0.4", "0.35")
    after = _write(mini, tmp_path / "after")
    assert after["model.keys"] != digests["model.keys"]
    assert after["model.keys[leverantorsreskontra]"] != digests["model.keys[leverantorsreskontra]"]
    assert {r for r in fields if after[r] != digests[r]} == set()


def test_a_nested_record_that_goes_away_is_a_changed_read(mini: Path, tmp_path: Path):
    """A chapter that only asks whether there is a comparison (last year's charges) runs
    again when the file goes."""
    before = _write(mini, tmp_path / "a")
    (mini / "previous_charges.csv").unlink()
    after = _write(mini, tmp_path / "b")
    assert before["result.comparison#record"] != after.get("result.comparison#record", "missing")


def test_an_unknown_service_area_is_named_with_the_known_ones(monkeypatch):
    from .conftest import MINI

    monkeypatch.delenv(context.ENV_CONTEXT, raising=False)
    with pytest.raises(ValueError, match="Tjänsteområdet 'hyra' finns inte i model.yml. "
                       "Tjänsteområden: leverantorsreskontra, hyresadministration"):
        context.load(MINI, service_area="hyra")


def test_a_service_area_outside_the_pipeline_gets_the_same_rows(monkeypatch):
    from .conftest import MINI

    monkeypatch.delenv(context.ENV_CONTEXT, raising=False)
    whole = context.load(MINI)
    area = context.load(MINI, service_area="leverantorsreskontra")
    keys = whole.model.keys
    assert area.model.keys.equals(
        keys[keys["service_area"] == "leverantorsreskontra"].reset_index(drop=True))
    rows = whole.result.comparison.by_customer_area
    assert area.result.comparison.by_customer_area.equals(
        rows[rows["service_area"] == "leverantorsreskontra"].reset_index(drop=True))
    assert area.result.comparison.by_customer.equals(whole.result.comparison.by_customer)


def test_the_build_folder_and_its_listing_are_no_reads(tmp_path: Path):
    """A build folder beside the data folder (``--out ../_build``) changes with every build:
    a chapter that lists the folders there must not depend on it."""
    build = tmp_path / "_build"
    build.mkdir()
    recorder = context._Recorder(build / "reads.json", tmp_path, (str(build),))
    recorder.path("dir", build)
    recorder.path("file", build / "cache.json")
    recorder.path("dir", tmp_path)
    recorder.path("dir", tmp_path / "_build2024")  # only a common prefix: an input
    recorder.path("file", tmp_path / "2023" / "volumes.csv")
    assert recorder.reads == {"dir:.", "dir:_build2024", "file:2023/volumes.csv"}

def test_current_digest_of_files_folders_and_fields(tmp_path: Path):
    (tmp_path / "2023").mkdir()
    path = tmp_path / "2023" / "a.csv"
    path.write_text("x\n")
    first = context.current_digest("file:2023/a.csv", {}, tmp_path)
    listing = context.current_digest("dir:2023", {}, tmp_path)
    path.write_text("y\n")
    assert context.current_digest("file:2023/a.csv", {}, tmp_path) != first
    assert context.current_digest("dir:2023", {}, tmp_path) == listing
    (tmp_path / "2023" / "b.csv").write_text("")
    assert context.current_digest("dir:2023", {}, tmp_path) != listing
    assert context.current_digest("file:2023/c.csv", {}, tmp_path) == "missing"
    assert context.current_digest("model.keys", {"model.keys": "k"}, tmp_path) == "k"
    assert context.current_digest("model.gone", {}, tmp_path) == "missing"


def test_a_chapter_is_up_to_date_only_when_everything_it_read_is_unchanged(tmp_path: Path):
    source = tmp_path / "source"
    source.mkdir()
    (source / "kapitel.ipynb").write_text("{}")
    job = NotebookJob("kapitel.ipynb", "kapitel", {}, "fp")
    entry = {"fingerprint": "fp", "reads": {"model.keys": "k1", "narrative.other": "o1"}}
    digests = {"model.keys": "k1", "narrative.other": "o1", "model.staffing": "s1"}
    assert _up_to_date(job, entry, digests, tmp_path, source)
    assert _up_to_date(job, entry, {**digests, "model.staffing": "s2"}, tmp_path, source)
    assert not _up_to_date(job, entry, {**digests, "narrative.other": "o2"}, tmp_path, source)
    assert not _up_to_date(job, {**entry, "fingerprint": "old"}, digests, tmp_path, source)
    assert not _up_to_date(job, {**entry, "reads": None}, digests, tmp_path, source)
    assert not _up_to_date(job, "fp", digests, tmp_path, source)  # an older cache format
    (source / "kapitel.ipynb").unlink()
    assert not _up_to_date(job, entry, digests, tmp_path, source)


def test_build_time_is_fixed_by_source_date_epoch(monkeypatch):
    from datetime import UTC, datetime

    from prismodell.pipeline import build_time

    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    assert build_time() == datetime(2023, 11, 14, 22, 13, 20, tzinfo=UTC)
    monkeypatch.delenv("SOURCE_DATE_EPOCH")
    assert abs((datetime.now() - build_time()).total_seconds()) < 60


@pytest.mark.slow
def test_a_service_area_chapter_shows_the_same_from_its_rows_as_from_the_whole_year(
    tmp_path, chapter_kernel
):
    """The service-area chapter loads its area's rows only (so that another area's change does
    not run it again): every output of every cell – texts, tables, figures – must be the same
    as when it loads the whole year, for every area of the example data and of the fixture
    with every optional input (dedicated services, a reorganisation). One kernel runs all,
    from a build context of each folder, as in a build. The figures are kept by their data
    (figure_cache), as in a build: the whole year's run draws a figure again unless it shows
    exactly the data the area's rows gave."""
    import nbformat
    from nbclient import NotebookClient

    from prismodell import figure_cache
    from prismodell.narrative import load_narrative
    from prismodell.pipeline import NOTEBOOK_DIR

    from .conftest import DATA_2023, MINI

    chapter = nbformat.read(NOTEBOOK_DIR / "tjansteomrade.ipynb", as_version=4)
    code = [c.source for c in chapter.cells
            if c.cell_type == "code" and "parameters" not in c.metadata.get("tags", [])]
    sliced = "context.load(data_dir, service_area=service_area)"
    assert sum(sliced in source for source in code) == 1
    runs, contexts = [], {}
    for data in (DATA_2023, MINI.parent / "mini_full"):
        model = load_input(data)
        contexts[data] = tmp_path / data.name
        context.write(contexts[data], model, calculate(model), load_narrative(data, model))
        for area in model.service_areas["service_area"]:
            for whole in (False, True):
                runs.append((data, area, whole))
    cells = []
    for data, area, whole in runs:
        cells.append(nbformat.v4.new_code_cell(
            f"import os\nos.environ[{context.ENV_CONTEXT!r}] = {str(contexts[data])!r}\n"
            f"os.environ[{figure_cache.ENV_FIGURES!r}] = {str(tmp_path / 'figures')!r}\n"
            f"data_dir = {str(data)!r}\nservice_area = {area!r}"))
        cells += [nbformat.v4.new_code_cell(
            s.replace(sliced, "context.load(data_dir)") if whole else s) for s in code]
    notebook = nbformat.v4.new_notebook(cells=cells, metadata=chapter.metadata)
    NotebookClient(notebook, timeout=300, kernel_name=chapter_kernel,
                   resources={"metadata": {"path": str(NOTEBOOK_DIR)}}).execute()
    per_run = len(code) + 1
    outputs = [[[{k: v for k, v in o.items() if k != "execution_count"} for o in c.outputs]
                for c in notebook.cells[i * per_run:(i + 1) * per_run]]
               for i in range(len(runs))]
    for i in range(0, len(runs), 2):
        assert outputs[i] == outputs[i + 1], runs[i]
        assert any(o for o in outputs[i]), runs[i]  # the chapter showed something
