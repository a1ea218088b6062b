"""The build pipeline of the yearly report: validate the data folder, execute the chapter
notebooks with papermill (only those whose inputs changed), write the generated pages, build
the HTML book with Jupyter Book and print it to PDF.

Layout of the build folder (``--out``, default ``_build``)::

    source/            the book's sources: _config.yml, _toc.yml, executed notebooks, pages
    html/              the HTML book (open html/index.html)
    prismodell-ÅR.pdf  the PDF report
    cache.json         fingerprint of every executed notebook, for incremental rebuilds
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from importlib import metadata
from pathlib import Path

import pandas as pd
import yaml

from .accessibility import PAGE as ACCESSIBILITY_DOC
from .accessibility import accessibility_page
from .calculation import PriceModelResult, calculate
from .inputs import InputError, PriceModelInput, load_input
from .trends import find_years, years_fingerprint

PACKAGE_DIR = Path(__file__).resolve().parent
REPO_DIR = PACKAGE_DIR.parent.parent  # paths are built from the package, never the cwd
NOTEBOOK_DIR = REPO_DIR / "notebooks"
BOOK_DIR = REPO_DIR / "book"
CONFIG_FILE = REPO_DIR / "_config.yml"
EXIT_FAILURE = 1


class BuildError(Exception):
    """A build step failed for a reason the analyst can act on (message in Swedish)."""


# --------------------------------------------------------------------------- chapters


@dataclass(frozen=True)
class NotebookJob:
    """One execution of a notebook template with its parameters."""

    template: str  # file name in notebooks/
    output: str  # document name in the book source (without .ipynb)
    parameters: dict
    fingerprint: str = ""


@dataclass(frozen=True)
class Chapter:
    """A chapter of the book: a notebook run once, or once per service area.

    ``depends`` names the parts of the input and result it shows (see ``SLICES``): it is
    re-executed only when one of them changed. A per-service-area chapter depends on its own
    area's slice (``area_fingerprint``).
    """

    template: str
    depends: tuple[str, ...] = ()
    per_service_area: bool = False
    caption: str | None = None  # a part caption in the table of contents before it
    condition: Callable[[Path], bool] | None = None  # left out when False for the data folder


CHAPTERS = (
    Chapter("om_rapporten.ipynb", ("meta", "narrative", "costs", "charged", "comparison")),
    Chapter("uppdrag.ipynb", ("meta", "narrative", "comparison")),
    Chapter("ledtider.ipynb", ("meta", "narrative")),
    Chapter("sjalvkostnad.ipynb", ("meta", "costs", "keys", "charges")),
    Chapter("fordelningsnycklar.ipynb", ("meta", "narrative", "keys")),
    Chapter("tjansteomrade.ipynb", per_service_area=True, caption="Tjänsteområden"),
    Chapter(
        "sammanfattning.ipynb",
        ("meta", "narrative", "charges", "comparison"),
        caption="Prismodellen i sin helhet",
    ),
    Chapter("kanslighet.ipynb", ("meta", "keys", "charges")),
    Chapter("beteende.ipynb", ("meta", "keys", "charges", "costs")),
    Chapter("trender.ipynb", ("meta", "years"), condition=lambda d: bool(find_years(d))),
    Chapter("styrmodell.ipynb", ("meta", "narrative")),
    Chapter("restlista.ipynb", ("meta", "narrative")),
    Chapter("ovrigt.ipynb", ("meta", "narrative", "costs", "charges")),
)
APPENDIX_CAPTION = "Bilagor"
REPRODUCIBILITY_PAGE = "reproducerbarhet"
ACCESSIBILITY_PAGE = ACCESSIBILITY_DOC
SCENARIO_TEMPLATE = "scenario.ipynb"  # one chapter per scenario asked for (build --scenario)
SCENARIO_CAPTION = "Scenarier"


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _frame_bytes(frame: pd.DataFrame | None) -> bytes:
    if frame is None:
        return b"-"
    return frame.to_csv(index=False).encode()


def input_files(data_dir: Path) -> list[Path]:
    """Every file of the data folder that the report reads (tables, model, narrative)."""
    return sorted(
        p for p in Path(data_dir).rglob("*") if p.is_file() and not p.name.startswith(".")
    )


def code_fingerprint() -> str:
    """The package version and its source: a code change re-executes every notebook."""
    digest = hashlib.sha256(_package_version().encode())
    for path in sorted(PACKAGE_DIR.glob("*.py")):
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _package_version() -> str:
    try:
        return metadata.version("prismodell")
    except metadata.PackageNotFoundError:
        return "okänd"


def area_fingerprint(model: PriceModelInput, result: PriceModelResult, area: str) -> str:
    """What a service-area chapter shows: its keys, volumes, cost, charges and comparison.

    Another area's weights or volumes leave it unchanged, so that chapter is not re-executed.
    """
    keys = model.keys[model.keys["service_area"] == area]
    parts = [
        json.dumps([model.price_list_year, list(model.volume_period), model.example_data]).encode(),
        _frame_bytes(model.service_areas[model.service_areas["service_area"] == area]),
        _frame_bytes(keys),
        _frame_bytes(model.customers),
        _frame_bytes(model.volumes[model.volumes["key_id"].isin(keys["key_id"])]),
        _frame_bytes(result.full_cost[result.full_cost["service_area"] == area]),
        _frame_bytes(result.price_list[result.price_list["service_area"] == area]),
    ]
    if model.previous_charges is not None:
        parts.append(
            _frame_bytes(model.previous_charges[model.previous_charges["service_area"] == area])
        )
    return _sha256(b"\0".join(parts))


def _narrative_bytes(data_dir: Path) -> bytes:
    folder = Path(data_dir) / "rapport"
    if not folder.is_dir():
        return b"-"
    return b"".join(
        str(p.relative_to(folder)).encode() + b"\0" + p.read_bytes() for p in input_files(folder)
    )


def _join(*parts: bytes) -> bytes:
    return b"\0".join(parts)


# The parts of input and result a chapter can show, each turned into bytes to fingerprint.
SLICES: dict[str, Callable[[PriceModelInput, PriceModelResult, Path], bytes]] = {
    "meta": lambda m, r, d: _join(
        json.dumps([m.price_list_year, list(m.volume_period), m.example_data]).encode(),
        _frame_bytes(m.service_areas),
        _frame_bytes(m.customers),
    ),
    "narrative": lambda m, r, d: _narrative_bytes(d),
    "years": lambda m, r, d: years_fingerprint(d),
    "costs": lambda m, r, d: _join(
        _frame_bytes(r.full_cost),
        _frame_bytes(r.hourly_rates),
        _frame_bytes(m.staffing),
        _frame_bytes(m.other_costs),
        _frame_bytes(m.cost_standards.reset_index()),
        json.dumps(m.settings.get("billing"), default=str).encode(),
    ),
    "keys": lambda m, r, d: _join(_frame_bytes(m.keys), _frame_bytes(r.unit_prices)),
    "charged": lambda m, r, d: " ".join(sorted(set(r.price_list["customer_id"]))).encode(),
    "charges": lambda m, r, d: _join(_frame_bytes(r.price_list), _frame_bytes(r.allocation)),
    "comparison": lambda m, r, d: _join(
        _frame_bytes(m.previous_charges),
        _frame_bytes(m.changed_assignments),
        json.dumps(
            [r.comparison.previous_total, r.comparison.new_total] if r.comparison else None
        ).encode(),
    ),
}


def plan_jobs(
    model: PriceModelInput, result: PriceModelResult, data_dir: Path
) -> list[NotebookJob]:
    """The notebook executions of the book, each with the fingerprint that decides a rerun."""
    data_dir = Path(data_dir).resolve()
    code = code_fingerprint()
    slices: dict[str, bytes] = {}

    def depends(chapter: Chapter) -> list[bytes]:
        for name in chapter.depends:
            if name not in slices:
                slices[name] = _sha256(SLICES[name](model, result, data_dir)).encode()
        return [slices[name] for name in chapter.depends]

    jobs = []
    for chapter in CHAPTERS:
        if chapter.condition is not None and not chapter.condition(data_dir):
            continue
        template = (NOTEBOOK_DIR / chapter.template).read_bytes()
        stem = chapter.template.removesuffix(".ipynb")
        if chapter.per_service_area:
            for area in model.service_areas["service_area"]:
                params = {"data_dir": str(data_dir), "service_area": area}
                own = area_fingerprint(model, result, area).encode()
                fingerprint = _sha256(
                    _join(template, json.dumps(params).encode(), code.encode(), own)
                )
                jobs.append(NotebookJob(chapter.template, f"{stem}_{area}", params, fingerprint))
        else:
            params = {"data_dir": str(data_dir)}
            fingerprint = _sha256(
                _join(template, json.dumps(params).encode(), code.encode(), *depends(chapter))
            )
            jobs.append(NotebookJob(chapter.template, stem, params, fingerprint))
    return jobs


def plan_scenario_jobs(
    model: PriceModelInput, data_dir: Path, scenarios: tuple[str, ...]
) -> list[NotebookJob]:
    """One job per scenario (output ``scenario_<name>``). Fingerprint: the template, the
    parameters, the code, the scenario file and every input table of the base year."""
    from .scenarios import scenario_file

    data_dir = Path(data_dir).resolve()
    if not scenarios:
        return []
    template = (NOTEBOOK_DIR / SCENARIO_TEMPLATE).read_bytes()
    code = code_fingerprint().encode()
    tables = [
        name.encode() + b"\0" + Path(path).read_bytes()
        for name, path in sorted(model.files.items())
    ]
    jobs = []
    for path in dict.fromkeys(scenario_file(data_dir, name) for name in scenarios):
        name, own = path.stem, path.read_bytes()
        params = {"data_dir": str(data_dir), "scenario": name}
        fingerprint = _sha256(_join(template, json.dumps(params).encode(), code, own, *tables))
        jobs.append(NotebookJob(SCENARIO_TEMPLATE, f"scenario_{name}", params, fingerprint))
    return jobs


def table_of_contents(
    model: PriceModelInput, jobs: list[NotebookJob], customer_docs: list[str]
) -> dict:
    """The ``_toc.yml`` of the book: chapters in order, parts where a caption is given."""
    parts: list[dict] = []
    current: list[dict] = []
    parts.append({"numbered": True, "chapters": current})
    by_template: dict[str, list[str]] = {}
    for job in jobs:
        by_template.setdefault(job.template, []).append(job.output)
    root = by_template[CHAPTERS[0].template][0]
    for chapter in CHAPTERS:
        if chapter.caption:
            current = []
            parts.append({"caption": chapter.caption, "numbered": True, "chapters": current})
        for doc in by_template.get(chapter.template, []):
            if doc != root:
                current.append({"file": doc})
    scenario_docs = by_template.get(SCENARIO_TEMPLATE, [])
    if scenario_docs:
        chapters = [{"file": doc} for doc in scenario_docs]
        parts.append({"caption": SCENARIO_CAPTION, "numbered": True, "chapters": chapters})
    appendix: list[dict] = []
    if customer_docs:
        index, *pages = customer_docs
        appendix.append({"file": index, "sections": [{"file": p} for p in pages]})
    appendix.append({"file": REPRODUCIBILITY_PAGE})
    appendix.append({"file": ACCESSIBILITY_PAGE})
    parts.append({"caption": APPENDIX_CAPTION, "chapters": appendix})
    return {"format": "jb-book", "root": root, "parts": [p for p in parts if p.get("chapters")]}


# --------------------------------------------------------------------------- steps


def write_if_changed(path: Path, content: str | bytes) -> bool:
    """Write only when the content differs, so Sphinx sees unchanged files as unchanged."""
    data = content.encode() if isinstance(content, str) else content
    if path.is_file() and path.read_bytes() == data:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)
    return True


def book_config(model: PriceModelInput) -> str:
    """The repo's ``_config.yml`` with this year's title and, for example data, the banner."""
    config = yaml.safe_load(CONFIG_FILE.read_text(encoding="utf-8"))
    config["title"] = f"Prismodell {model.price_list_year} – Serviceförvaltningen, Ekonomi"
    if model.example_data:
        config.setdefault("html", {})["announcement"] = (
            "Exempeldata – siffrorna i rapporten är påhittade och inte stadens verkliga."
        )
    return yaml.safe_dump(config, allow_unicode=True, sort_keys=False)


def _quiet_worker(log_file: str) -> None:
    """Kernels inherit the worker's stderr: send their chatter to a log, not the analyst."""
    handle = open(log_file, "a")  # noqa: SIM115 - lives as long as the worker process
    os.dup2(handle.fileno(), 2)


def _execute(job: NotebookJob, source: str) -> tuple[str, float, str | None]:
    """Run one notebook with papermill (in a worker process); return (name, seconds, error)."""
    import papermill

    started = time.perf_counter()
    target = Path(source) / f"{job.output}.ipynb"
    tmp = target.with_name(f".{target.name}.tmp.ipynb")
    try:
        papermill.execute_notebook(
            str(NOTEBOOK_DIR / job.template),
            str(tmp),
            parameters=job.parameters,
            kernel_name="python3",
            cwd=str(NOTEBOOK_DIR),
            progress_bar=False,
            log_output=False,
        )
    except Exception as exc:  # the notebook's own error, reported per chapter
        tmp.unlink(missing_ok=True)
        message = getattr(exc, "evalue", None) or str(exc).strip().splitlines()[-1]
        return job.output, time.perf_counter() - started, f"{getattr(exc, 'ename', '')} {message}"
    os.replace(tmp, target)
    return job.output, time.perf_counter() - started, None


def execute_notebooks(
    jobs: list[NotebookJob],
    source: Path,
    cache_file: Path,
    force: bool,
    report: Callable[[str], None],
    workers: int = 2,
) -> list[str]:
    """Execute the jobs whose fingerprint changed; return the names executed."""
    cache = json.loads(cache_file.read_text()) if cache_file.is_file() and not force else {}
    todo = [
        j
        for j in jobs
        if force
        or cache.get(j.output) != j.fingerprint
        or not (source / f"{j.output}.ipynb").is_file()
    ]
    wanted = {f"{j.output}.ipynb" for j in jobs}
    for stale in source.glob("*.ipynb"):  # chapters of service areas no longer in the data
        if stale.name not in wanted:
            stale.unlink()
    if not todo:
        return []
    errors = []
    log = source.parent / "papermill.log"
    log.write_text("")
    with ProcessPoolExecutor(
        max_workers=min(workers, len(todo)), initializer=_quiet_worker, initargs=(str(log),)
    ) as pool:
        futures = [pool.submit(_execute, job, str(source)) for job in todo]
        for job, future in zip(todo, futures, strict=True):
            name, seconds, error = future.result()
            if error:
                errors.append(f"{name}: {error}")
                cache.pop(name, None)
            else:
                cache[name] = job.fingerprint
                report(f"    {name} ({seconds:.1f} s)")
    cache_file.write_text(json.dumps(cache, indent=1, sort_keys=True))
    if errors:
        raise BuildError("kapitel kunde inte köras:\n" + "\n".join(f"  {e}" for e in errors))
    return [j.output for j in todo]


def git_commit() -> str:
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=REPO_DIR, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain"],
            cwd=REPO_DIR,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "okänd (ingen git-information)"
    return commit + (" (med ändringar som inte är incheckade)" if dirty else "")


REPORTED_PACKAGES = (
    "prismodell",
    "pandas",
    "numpy",
    "matplotlib",
    "openpyxl",
    "jupyter-book",
    "sphinx",
    "myst-nb",
    "papermill",
    "weasyprint",
)


def reproducibility_page(model: PriceModelInput, data_dir: Path) -> str:
    """The appendix page that lets next year's analyst rebuild exactly this report."""
    from .reorganisation import mapping_section
    from .style import format_value, table_html

    data_dir = Path(data_dir).resolve()
    files = pd.DataFrame(
        [
            {"Fil": str(p.relative_to(data_dir)), "SHA-256": _sha256(p.read_bytes())}
            for p in input_files(data_dir)
        ]
    )
    settings = {k: v for k, v in model.settings.items() if not isinstance(v, dict | list)}
    settings["volume_period"] = f"{model.volume_period[0]} – {model.volume_period[1]}"
    params = pd.DataFrame(
        {"Parameter": list(settings), "Värde": [format_value(v) for v in settings.values()]}
    )
    versions = [{"Paket": "python", "Version": platform.python_version()}]
    for name in REPORTED_PACKAGES:
        try:
            versions.append({"Paket": name, "Version": metadata.version(name)})
        except metadata.PackageNotFoundError:
            versions.append({"Paket": name, "Version": "saknas"})
    return "\n".join(
        [
            "# Reproducerbarhet",
            "",
            "Rapporten är byggd av `prismodell build` från datamappen nedan. Med samma indatafiler "
            "(kontrollsummorna SHA-256), samma parametrar och samma paketversioner (låsta i "
            "`uv.lock`) ger en ny körning samma kronor.",
            "",
            f"- Datamapp: `{data_dir.name}`",
            f"- Git-version av prismodell: `{git_commit()}`",
            f"- Byggd: {datetime.now().strftime('%Y-%m-%d %H:%M')}",
            "",
            "## Indatafiler",
            "",
            "```{raw} html",
            table_html(files),
            "```",
            "",
            "## Parametrar i model.yml",
            "",
            "```{raw} html",
            table_html(params),
            "```",
            "",
            "Kostnadsschabloner, tjänsteområden och nycklar redovisas i kapitlen om självkostnad "
            "och fördelningsnycklar.",
            "",
            *mapping_section(model),
            "## Programversioner",
            "",
            "```{raw} html",
            table_html(pd.DataFrame(versions)),
            "```",
            "",
        ]
    )


def jupyter_book(source: Path, out: Path, builder: str) -> subprocess.CompletedProcess:
    """``jupyter-book build`` with warnings as errors (-W -n) but all of them reported
    (--keep-going), so one run lists every broken reference."""
    executable = Path(sys.executable).with_name("jupyter-book")
    command = [
        str(executable) if executable.exists() else "jupyter-book",
        "build",
        str(source),
        "--path-output",
        str(out),
        "--builder",
        builder,
        "-W",
        "-n",
        "--keep-going",
    ]
    return subprocess.run(command, capture_output=True, text=True)


def _build_failure(step: str, completed: subprocess.CompletedProcess, log: Path) -> BuildError:
    log.write_text(completed.stdout + "\n" + completed.stderr, encoding="utf-8")
    lines = [
        ln
        for ln in (completed.stdout + completed.stderr).splitlines()
        if "WARNING" in ln or "ERROR" in ln
    ]
    detail = "\n".join(f"  {ln}" for ln in lines[:15]) or "  (se loggen)"
    return BuildError(
        f"{step} misslyckades (kod {completed.returncode}). Hela loggen: {log}\n{detail}"
    )


# --------------------------------------------------------------------------- build


@dataclass
class BuildReport:
    steps: list[tuple[str, float]] = field(default_factory=list)
    executed: list[str] = field(default_factory=list)
    html: Path | None = None
    pdf: Path | None = None
    pdf_note: str | None = None


def _step(report: BuildReport, name: str, show: Callable[[str], None]):
    class _Timer:
        def __enter__(self):
            show(f"▸ {name} …")
            self.started = time.perf_counter()
            return self

        def __exit__(self, *exc):
            report.steps.append((name, time.perf_counter() - self.started))
            return False

    return _Timer()


def build_book(
    data_dir: Path,
    out: Path,
    force: bool = False,
    pdf: bool = True,
    show: Callable[[str], None] = print,
    scenarios: tuple[str, ...] = (),
) -> BuildReport:
    """Build the report for ``data_dir`` into ``out``. Raises InputError or BuildError."""
    from .customer_pages import write_customer_pages
    from .narrative import load_narrative

    out = Path(out).resolve()
    if Path(data_dir).resolve() in (out, *out.parents):
        raise BuildError(
            "byggmappen får inte ligga i datamappen (indata ska aldrig skrivas "
            "över). Ange en annan mapp med --out."
        )
    source = out / "source"
    report = BuildReport()
    with _step(report, "Läser och kontrollerar indata", show):
        model = load_input(data_dir)
        load_narrative(data_dir, model)
        result = calculate(model)
        if scenarios:
            from .scenarios import load_scenarios

            load_scenarios(data_dir, scenarios, model)

    with _step(report, "Kör kapitlens notebooks (papermill)", show):
        source.mkdir(parents=True, exist_ok=True)
        jobs = plan_jobs(model, result, data_dir)
        jobs += plan_scenario_jobs(model, data_dir, tuple(scenarios))
        report.executed = execute_notebooks(jobs, source, out / "cache.json", force, show)
        show(
            f"    {len(report.executed)} av {len(jobs)} notebooks kördes"
            + (" (övriga oförändrade)" if len(report.executed) < len(jobs) else "")
        )

    with _step(report, "Skriver prisblad per kund och bilagor", show):
        pages_dir = source / "kunder"
        if pages_dir.exists():
            shutil.rmtree(pages_dir)
        customer_docs = write_customer_pages(model, result, source)
        write_if_changed(
            source / f"{REPRODUCIBILITY_PAGE}.md", reproducibility_page(model, data_dir)
        )
        write_if_changed(source / f"{ACCESSIBILITY_PAGE}.md", accessibility_page(model))
        write_if_changed(source / "_config.yml", book_config(model))
        toc = table_of_contents(model, jobs, customer_docs)
        write_if_changed(
            source / "_toc.yml", yaml.safe_dump(toc, allow_unicode=True, sort_keys=False)
        )
        for folder in ("_static", "_templates"):
            # Jupyter Book links every stylesheet in _static into every page: one left from an
            # older build (the print sheet once lived there) would restyle the screen.
            for stale in sorted((source / folder).glob("*")):
                if not (BOOK_DIR / folder / stale.name).exists():
                    stale.unlink()
            for asset in sorted((BOOK_DIR / folder).glob("*")):
                write_if_changed(source / folder / asset.name, asset.read_bytes())

    with _step(report, "Bygger HTML (Jupyter Book)", show):
        completed = jupyter_book(source, out, "html")
        if completed.returncode != 0:
            raise _build_failure("HTML-bygget", completed, out / "html-build.log")
        html_dir = out / "html"
        if html_dir.exists():
            shutil.rmtree(html_dir)
        # Sphinx keeps the pages of chapters that are gone (a scenario no longer asked for,
        # a customer who left): publish only the pages of this build's sources.
        built = out / "_build" / "html"
        documents = {p.relative_to(source).with_suffix("").as_posix()
                     for p in [*source.rglob("*.ipynb"), *source.rglob("*.md")]}
        shutil.copytree(built, html_dir, ignore=_stale_pages(built, documents))
        report.html = html_dir / "index.html"

    if pdf:
        with _step(report, "Skriver PDF (WeasyPrint)", show):
            report.pdf, report.pdf_note = _build_pdf(model, source, out)
    return report


_SPHINX_PAGES = {"index", "genindex", "search"}


def _stale_pages(built: Path, documents: set[str]) -> Callable[[str, list[str]], set[str]]:
    """A ``copytree`` ignore function that leaves out HTML pages without a source."""

    def ignore(folder: str, names: list[str]) -> set[str]:
        relative = Path(folder).relative_to(built)
        if relative.parts[:1] in (("_static",), ("_images",), ("_sources",)):
            return set()
        return {n for n in names if n.endswith(".html")
                and (relative / n).with_suffix("").as_posix() not in documents | _SPHINX_PAGES}

    return ignore


def _build_pdf(model: PriceModelInput, source: Path, out: Path) -> tuple[Path | None, str | None]:
    from .pdf import PdfUnavailable, print_pdf

    completed = jupyter_book(source, out, "singlehtml")
    if completed.returncode != 0:
        raise _build_failure("Bygget av enkelsidig HTML för PDF", completed, out / "pdf-build.log")
    target = out / f"prismodell-{model.price_list_year}.pdf"
    try:
        print_pdf(out / "_build" / "singlehtml", target, model)
    except PdfUnavailable as missing:
        return None, str(missing)
    return target, None


def build(
    data_dir: Path,
    out: Path,
    force: bool = False,
    pdf: bool = True,
    scenarios: tuple[str, ...] = (),
) -> int:
    """CLI entry: build, print progress and a summary; return the exit code."""
    started = time.perf_counter()
    try:
        report = build_book(data_dir, out, force=force, pdf=pdf, scenarios=scenarios)
    except BuildError as error:
        print(f"Bygget avbröts: {error}", file=sys.stderr)
        return EXIT_FAILURE
    except InputError:
        raise
    total = time.perf_counter() - started
    print("\nKlart. Tid per steg:")
    for name, seconds in report.steps:
        print(f"  {name:<42}{seconds:6.1f} s")
    print(f"  {'Totalt':<42}{total:6.1f} s")
    print(f"HTML: {report.html}")
    if report.pdf:
        print(f"PDF:  {report.pdf}")
    elif report.pdf_note:
        print(f"PDF:  skapades inte – {report.pdf_note}")
    return 0
