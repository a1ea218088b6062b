"""The build pipeline of the yearly report: validate the data folder, execute the chapter
notebooks with papermill (only those whose inputs changed), write the generated pages, build
the HTML book with Jupyter Book and print it to PDF.

Layout of the build folder (``--out``, default ``_build``)::

    source/            the book's sources: _config.yml, _toc.yml, executed notebooks, pages
    context/           the year computed once, loaded by the notebooks (prismodell.context),
                       and reads/: what each notebook read when it last ran
    html/              the HTML book (open html/index.html), with the price sheets' PDFs
    prismodell-ÅR.pdf  the PDF report (the price sheets left out: a PDF of their own each)
    prisblad/          one PDF per customer: prisblad-ÅR-KUND.pdf
    pdf.json           per PDF: the digest of what it was printed from
    singlehtml/        the book as one page, built beside the HTML, printed to PDF
    cache.json         per executed notebook: its fingerprint and the digests of its reads
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import multiprocessing
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import KW_ONLY, dataclass, field
from importlib import metadata
from pathlib import Path

import pandas as pd
import yaml

from . import context, figure_cache, kernel_server
from .accessibility import PAGE as ACCESSIBILITY_DOC
from .accessibility import accessibility_page
from .assets import asset_dir, repository_dir
from .calculation import calculate
from .inputs import InputError, PriceModelInput, load_calloffs, load_input
from .output_folder import build_time, output_folder
from .pdf import SHEET_FOLDER, PdfUnavailable, require_weasyprint
from .trends import find_years, skipped_years

PACKAGE_DIR = Path(__file__).resolve().parent
# paths are built from the package, never the cwd: the checkout's assets or the wheel's copy
ASSET_DIR = asset_dir()
REPO_DIR = repository_dir()  # None when installed from a wheel
NOTEBOOK_DIR = ASSET_DIR / "notebooks"
BOOK_DIR = ASSET_DIR / "book"
CONFIG_FILE = ASSET_DIR / "_config.yml"
SINGLE_PAGE = "singlehtml"  # the build folder's Jupyter Book build of the page the PDF prints
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

    What a chapter shows is not declared here: the notebook loads the year through
    :func:`prismodell.context.load`, which records what it reads, and the chapter is re-executed
    when any of that changed (see :func:`execute_notebooks`).
    """

    template: str
    _: KW_ONLY  # the rest by name (a former positional list of inputs now fails loudly)
    per_service_area: bool = False
    caption: str | None = None  # a part caption in the table of contents before it
    condition: Callable[[Path], bool] | None = None  # left out when False for the data folder


CHAPTERS = (
    Chapter("om_rapporten.ipynb"),
    Chapter("uppdrag.ipynb"),
    Chapter("ledtider.ipynb"),
    Chapter("sjalvkostnad.ipynb"),
    Chapter("fordelningsnycklar.ipynb"),
    Chapter("volymer.ipynb"),
    Chapter("tjansteomrade.ipynb", per_service_area=True, caption="Tjänsteområden"),
    Chapter("sammanfattning.ipynb", caption="Prismodellen i sin helhet"),
    Chapter("kanslighet.ipynb"),
    Chapter("beteende.ipynb"),
    # a broken earlier year is told too
    Chapter("trender.ipynb", condition=lambda d: bool(find_years(d) or skipped_years(d))),
    Chapter("styrmodell.ipynb"),
    Chapter("restlista.ipynb"),
    Chapter("ovrigt.ipynb"),
)
APPENDIX_CAPTION = "Bilagor"
REPRODUCIBILITY_PAGE = "reproducerbarhet"
ACCESSIBILITY_PAGE = ACCESSIBILITY_DOC
SCENARIO_TEMPLATE = "scenario.ipynb"  # one chapter per scenario asked for (build --scenario)
SCENARIO_CAPTION = "Scenarier"
CONTEXT_DIR = "context"  # in the build folder: the year computed once (prismodell.context)


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def input_files(data_dir: Path) -> list[Path]:
    """Every file of the data folder that the report reads (tables, model, narrative)."""
    return sorted(
        p for p in Path(data_dir).rglob("*") if p.is_file() and not p.name.startswith(".")
    )


@functools.cache  # the code this process runs: asked by every chapter, sheet and PDF
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


def _job(template: str, output: str, params: dict, code: str) -> NotebookJob:
    """A job whose fingerprint covers the notebook, its parameters and the package; what the
    notebook reads of the year is fingerprinted after it ran (its recorded reads)."""
    fingerprint = _sha256(b"\0".join(
        [(NOTEBOOK_DIR / template).read_bytes(), json.dumps(params).encode(), code.encode()]
    ))
    return NotebookJob(template, output, params, fingerprint)


def plan_jobs(model: PriceModelInput, data_dir: Path) -> list[NotebookJob]:
    """The notebook executions of the book, in table-of-contents order."""
    data_dir = Path(data_dir).resolve()
    code = code_fingerprint()
    jobs = []
    for chapter in CHAPTERS:
        if chapter.condition is not None and not chapter.condition(data_dir):
            continue
        stem = chapter.template.removesuffix(".ipynb")
        if chapter.per_service_area:
            for area in model.service_areas["service_area"]:
                params = {"data_dir": str(data_dir), "service_area": area}
                jobs.append(_job(chapter.template, f"{stem}_{area}", params, code))
        else:
            jobs.append(_job(chapter.template, stem, {"data_dir": str(data_dir)}, code))
    return jobs


def plan_scenario_jobs(data_dir: Path, scenarios: tuple[str, ...]) -> list[NotebookJob]:
    """One job per scenario (output ``scenario_<name>``)."""
    from .scenario_file import scenario_file

    data_dir = Path(data_dir).resolve()
    code = code_fingerprint()
    jobs = []
    for path in dict.fromkeys(scenario_file(data_dir, name) for name in scenarios):
        params = {"data_dir": str(data_dir), "scenario": path.stem}
        jobs.append(_job(SCENARIO_TEMPLATE, f"scenario_{path.stem}", params, code))
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


def book_config(model: PriceModelInput, full_width: list[str] = ()) -> str:
    """The repo's ``_config.yml`` with this year's title and, for example data, the banner.

    The pages named in ``full_width`` (the price sheets, their sections linked at the top of
    each sheet, and the scenario chapters: the book's widest tables) get no contents column on
    the right."""
    config = yaml.safe_load(CONFIG_FILE.read_text(encoding="utf-8"))
    config["title"] = f"Prismodell {model.price_list_year} – Serviceförvaltningen, Ekonomi"
    if full_width:
        options = config["sphinx"]["config"].setdefault("html_theme_options", {})
        options["secondary_sidebar_items"] = {
            "**": ["page-toc.html"], **{doc: [] for doc in full_width}
        }
    if model.example_data:
        config.setdefault("html", {})["announcement"] = (
            "Exempeldata – siffrorna i rapporten är påhittade och inte stadens verkliga."
        )
    return yaml.safe_dump(config, allow_unicode=True, sort_keys=False)


def _quiet_worker(log_file: str, server: str | None, kernel_specs: str | None) -> None:
    """Kernels inherit the worker's stderr: send their chatter to a log, not the analyst.
    With a kernel server, the worker's kernels are forked from it (prismodell.kernel_server)."""
    handle = open(log_file, "a")  # noqa: SIM115 - lives as long as the worker process
    os.dup2(handle.fileno(), 2)
    if server and kernel_specs:
        os.environ.update(kernel_server.kernel_environment(kernel_specs, server))


def _import_papermill() -> None:
    """What every chapter job imports first, imported before the workers are forked (while
    the kernel server starts): each worker has it then instead of importing it itself."""
    import papermill  # noqa: F401
    from traitlets.config import Config  # noqa: F401


def _execute(
    job: NotebookJob, source: str, context_dir: str, figures_dir: str | None = None
) -> tuple[str, float, str | None]:
    """Run one notebook with papermill (in a worker process); return (name, seconds, error).

    The kernel inherits the environment: it tells ``context.load`` where the build context is
    and where to record what this chapter reads, and the figures where rendered ones are kept
    (``figures_dir``, :mod:`prismodell.figure_cache`)."""
    import papermill
    from traitlets.config import Config

    started = time.perf_counter()
    target = Path(source) / f"{job.output}.ipynb"
    tmp = target.with_name(f".{target.name}.tmp.ipynb")
    reads = _reads_file(Path(context_dir), job)
    reads.parent.mkdir(parents=True, exist_ok=True)
    reads.unlink(missing_ok=True)
    os.environ[context.ENV_CONTEXT] = context_dir
    os.environ[context.ENV_READS] = str(reads)
    if figures_dir:
        os.environ[figure_cache.ENV_FIGURES] = figures_dir
    else:
        os.environ.pop(figure_cache.ENV_FIGURES, None)
    # The kernel's channels are Unix sockets in a folder of its own, not TCP ports: kernels
    # started at once in several processes (the two workers, a second build) could otherwise
    # be given the same free port. A short path: a socket's may not exceed 107 bytes.
    sockets = tempfile.mkdtemp(prefix="pm-")
    channels = Config({"KernelManager": {
        "transport": "ipc",
        "ip": os.path.join(sockets, "k"),
        "client_class": "prismodell.kernel_provisioner.ReadyClient",  # no idle 0.2 s at start
    }})
    try:
        papermill.execute_notebook(
            str(NOTEBOOK_DIR / job.template),
            str(tmp),
            parameters=job.parameters,
            kernel_name=(
                kernel_server.KERNEL_NAME if os.environ.get(kernel_server.ENV_SERVER) else "python3"
            ),
            cwd=str(NOTEBOOK_DIR),
            progress_bar=False,
            log_output=False,
            # written once when done, not after every cell (a 0.5 MB notebook, validated)
            request_save_on_cell_execute=False,
            config=channels,
            # the chapter is done and its reads are on disk: stop its kernel, do not ask it to
            shutdown_kernel="immediate",
        )
    except Exception as exc:  # the notebook's own error, reported per chapter
        tmp.unlink(missing_ok=True)
        message = getattr(exc, "evalue", None) or str(exc).strip().splitlines()[-1]
        return job.output, time.perf_counter() - started, f"{getattr(exc, 'ename', '')} {message}"
    finally:
        shutil.rmtree(sockets, ignore_errors=True)
    tmp.write_text(_without_timing(tmp.read_text(encoding="utf-8")), encoding="utf-8")
    os.replace(tmp, target)
    return job.output, time.perf_counter() - started, None


_TIMING = ("start_time", "end_time", "duration")


def _without_timing(text: str) -> str:
    """The executed notebook without the times papermill and nbclient record in it (and the
    temporary file it was written to): the same inputs then give the same file, and the same
    pages (the notebooks are published too)."""
    notebook = json.loads(text)
    notebook.get("metadata", {}).get("papermill", {}).pop("output_path", None)  # a temporary file
    for cell in notebook["cells"]:  # papermill gives the cell it adds a random id
        if "injected-parameters" in cell.get("metadata", {}).get("tags", []):
            cell["id"] = "injected-parameters"
    for meta in [notebook.get("metadata", {}), *(c.get("metadata", {}) for c in notebook["cells"])]:
        meta.pop("execution", None)
        for key in _TIMING:
            meta.get("papermill", {}).pop(key, None)
    return json.dumps(notebook, indent=1, ensure_ascii=False) + "\n"


def _reads_file(context_dir: Path, job: NotebookJob) -> Path:
    return context_dir / "reads" / f"{job.output}.json"


def _up_to_date(job: NotebookJob, entry: dict | None, digests: dict[str, str], watch: Path,
                source: Path) -> bool:
    """Unchanged notebook, parameters and code, and every recorded read unchanged."""
    if not isinstance(entry, dict) or entry.get("fingerprint") != job.fingerprint:
        return False  # never ran, or ran from another notebook, parameters or code
    if entry.get("reads") is None:
        return False
    if not (source / f"{job.output}.ipynb").is_file():
        return False
    return all(
        context.current_digest(read, digests, watch) == value
        for read, value in entry["reads"].items()
    )


def execute_notebooks(
    jobs: list[NotebookJob],
    source: Path,
    context_dir: Path,
    digests: dict[str, str],
    watch: Path,
    force: bool,
    report: Callable[[str], None],
    workers: int = 2,
    server: kernel_server.Starting | None = None,
) -> list[str]:
    """Execute the jobs that are not up to date; return the names executed.

    ``cache.json`` beside ``source`` keeps, per notebook, its fingerprint and the digest of
    every read it recorded when it last ran (``watch``: the folder file reads are relative to).
    ``server``: a kernel server the build started early (else the process's shared one, else
    one is started here when warm kernels are available)."""
    cache_file = source.parent / "cache.json"
    cache = json.loads(cache_file.read_text()) if cache_file.is_file() and not force else {}
    todo = [j for j in jobs if force or not _up_to_date(j, cache.get(j.output), digests, watch,
                                                         source)]
    wanted = {f"{j.output}.ipynb" for j in jobs}
    for stale in source.glob("*.ipynb"):  # chapters of service areas no longer in the data
        if stale.name not in wanted:
            stale.unlink()
    cache = {j.output: cache[j.output] for j in jobs if j.output in cache}
    if not todo:
        cache_file.write_text(json.dumps(cache, indent=1, sort_keys=True))
        return []
    errors = []
    log = source.parent / "papermill.log"
    # rendered figures are kept per version of the code (a figure function may have changed)
    figures_dir = context_dir / "figures" / code_fingerprint()[:16]
    figure_cache.prune(context_dir / "figures", figures_dir)
    with contextlib.ExitStack() as stack:
        if server is None:  # not started early by the build: the shared one or one of its own
            log.write_text("")
            server = kernel_server.shared()
            if server is None and kernel_server.available():
                server = stack.enter_context(kernel_server.starting(log, NOTEBOOK_DIR))
        specs = str(kernel_server.write_kernel_spec(context_dir / "jupyter")) if server else None
        _import_papermill()  # while the server imports (the workers are forked with it)
        socket_path = server.ready() if server else None
        pool = stack.enter_context(ProcessPoolExecutor(
            max_workers=min(workers, len(todo)),
            initializer=_quiet_worker,
            initargs=(str(log), socket_path, specs),
        ))
        futures = [
            pool.submit(_execute, job, str(source), str(context_dir), str(figures_dir))
            for job in todo
        ]
        for job, future in zip(todo, futures, strict=True):
            name, seconds, error = future.result()
            if error:
                errors.append(f"{name}: {error}")
                cache.pop(name, None)
            else:
                reads = context.read_digests(_reads_file(context_dir, job), digests, watch)
                cache[name] = {"fingerprint": job.fingerprint, "reads": reads}
                report(f"    {name} ({seconds:.1f} s)")
    cache_file.write_text(json.dumps(cache, indent=1, sort_keys=True))
    if errors:
        raise BuildError("kapitel kunde inte köras:\n" + "\n".join(f"  {e}" for e in errors))
    return [j.output for j in todo]


def git_commit() -> str:
    if REPO_DIR is None:
        return "okänd (installerat paket, ingen git-information)"
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
    from .notices import notices_section
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
            f"- Byggd: {build_time().strftime('%Y-%m-%d %H:%M')}",
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
            *notices_section(model),
            "## Programversioner",
            "",
            "```{raw} html",
            table_html(pd.DataFrame(versions)),
            "```",
            "",
        ]
    )


def _jupyter_book_arguments(source: Path, out: Path, builder: str) -> list[str]:
    """``jupyter-book build``'s arguments: warnings as errors (-W -n) but all of them reported
    (--keep-going), so one run lists every broken reference."""
    return ["build", str(source), "--path-output", str(out), "--builder", builder,
            "-W", "-n", "--keep-going"]


class BookRunner:
    """Jupyter Book started before its sources are ready (:mod:`prismodell.book_runner`): it
    imports while the inputs are read and the chapters run, and builds when asked once."""

    def __init__(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "prismodell.book_runner"], stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )

    def build(self, source: Path, out: Path, builder: str) -> subprocess.CompletedProcess:
        arguments = _jupyter_book_arguments(source, out, builder)
        stdout, stderr = self.process.communicate(json.dumps(arguments) + "\n")
        return subprocess.CompletedProcess(arguments, self.process.returncode, stdout, stderr)

    def stop(self) -> None:
        """End it if it was not asked to build (it has written nothing)."""
        if self.process.poll() is None:
            self.process.kill()
            self.process.communicate()


@contextlib.contextmanager
def book_runner() -> Iterator[BookRunner]:
    runner = BookRunner()
    try:
        yield runner
    finally:
        runner.stop()


def jupyter_book(
    source: Path, out: Path, builder: str, runner: BookRunner | None = None
) -> subprocess.CompletedProcess:
    """``jupyter-book build`` of ``source`` into ``out`` (by ``runner`` when one was started)."""
    if runner is not None:
        return runner.build(source, out, builder)
    executable = Path(sys.executable).with_name("jupyter-book")
    command = [str(executable) if executable.exists() else "jupyter-book",
               *_jupyter_book_arguments(source, out, builder)]
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
    sheets: list[Path] = field(default_factory=list)  # one PDF per customer
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


def _since_last_build(data_dir: Path, out: Path) -> str | None:
    """"changed" when a file of the data folder is newer than the last build's chapter cache,
    "unchanged" when none is, None before a first build."""
    cache = out / "cache.json"
    if not cache.is_file():
        return None
    built = cache.stat().st_mtime_ns
    newer = any(p.stat().st_mtime_ns > built for p in Path(data_dir).rglob("*") if p.is_file())
    return "changed" if newer else "unchanged"


def build_book(
    data_dir: Path,
    out: Path,
    force: bool = False,
    pdf: bool = True,
    show: Callable[[str], None] = print,
    scenarios: tuple[str, ...] = (),
    html: bool = True,
) -> BuildReport:
    """Build the report for ``data_dir`` into ``out``. Raises InputError or BuildError.

    ``html=False`` stops after the book's sources (executed notebooks, pages): no Jupyter Book,
    no PDF."""
    out = Path(out).resolve()
    if Path(data_dir).resolve() in (out, *out.parents):
        raise BuildError(
            "byggmappen får inte ligga i datamappen (indata ska aldrig skrivas "
            "över). Ange en annan mapp med --out."
        )
    # What the build will need first starts now and imports while the inputs are read: after
    # an input changed (the analyst's loop), the chapters' kernel server; after none did (a
    # rebuild to publish, or for the PDF), Jupyter Book, once per builder. (Neither before a
    # first build, where bad inputs must leave no folder behind; Jupyter Book not beside the
    # chapters, whose two processes have the two cores.)
    since = _since_last_build(data_dir, out)
    with contextlib.ExitStack() as early:
        server = None
        if since == "changed" and kernel_server.available() and not kernel_server.shared():
            (out / "papermill.log").write_text("")
            server = early.enter_context(
                kernel_server.starting(out / "papermill.log", NOTEBOOK_DIR))
        builders = (("html", "singlehtml") if pdf else ("html",)) if html else ()
        runners = {builder: early.enter_context(book_runner())
                   for builder in builders if since == "unchanged"}
        return _build_book(data_dir, out, force, pdf, show, scenarios, html, server, runners)


def _build_book(
    data_dir: Path,
    out: Path,
    force: bool,
    pdf: bool,
    show: Callable[[str], None],
    scenarios: tuple[str, ...],
    html: bool,
    server: kernel_server.Starting | None,
    runners: dict[str, BookRunner],
) -> BuildReport:
    from .narrative import load_narrative
    from .notices import all_notices, notice_lines

    source = out / "source"
    report = BuildReport()
    with _step(report, "Läser och kontrollerar indata", show):
        model = load_input(data_dir)
        narrative = load_narrative(data_dir, model)
        load_calloffs(model)  # the billing chapter shows them: bad rows stop the build here
        for line in notice_lines(all_notices(model)):
            show(line)
        result = calculate(model)
        if scenarios:
            from .scenario_file import load_scenarios

            load_scenarios(data_dir, scenarios, model)
        digests = context.write(out / CONTEXT_DIR, model, result, narrative)

    if pdf:
        try:  # known before the pages are written: a customer page links its sheet's PDF
            require_weasyprint()
        except PdfUnavailable as missing:
            pdf, report.pdf_note = False, str(missing)
    sheet_pdfs = pdf
    source.mkdir(parents=True, exist_ok=True)
    # The price sheets need no chapter: unless they are unchanged, a process of their own
    # writes them while the chapters run. A plain forked process, started before the
    # chapters' workers: no thread is left in this one to be forked with those.
    writer = None
    if _kept_customer_pages(source, digests, sheet_pdfs) is None:
        writer = multiprocessing.get_context("fork").Process(
            target=_write_customer_pages, args=(model, result, source, digests, sheet_pdfs)
        )
        writer.start()
    try:
        with _step(report, "Kör kapitlens notebooks (papermill)", show):
            jobs = plan_jobs(model, data_dir)
            jobs += plan_scenario_jobs(data_dir, tuple(scenarios))
            watch = Path(data_dir).resolve().parent  # file reads: this year and its siblings
            report.executed = execute_notebooks(
                jobs, source, out / CONTEXT_DIR, digests, watch, force, show, server=server
            )
            show(
                f"    {len(report.executed)} av {len(jobs)} notebooks kördes"
                + (" (övriga oförändrade)" if len(report.executed) < len(jobs) else "")
            )
    finally:
        with _step(report, "Skriver prisblad per kund", show):
            if writer is not None:
                writer.join()
    if server is not None:  # idle from here on (build_book stops it on an error too)
        server.stop()
    customer_docs = _kept_customer_pages(source, digests, sheet_pdfs)
    if customer_docs is None:  # the writer failed: again here, where its error is told
        customer_docs = _write_customer_pages(model, result, source, digests, sheet_pdfs)

    with _step(report, "Skriver bilagor och bokens inställningar", show):
        write_if_changed(
            source / f"{REPRODUCIBILITY_PAGE}.md", reproducibility_page(model, data_dir)
        )
        write_if_changed(source / f"{ACCESSIBILITY_PAGE}.md", accessibility_page(model))
        sheets = [doc for doc in customer_docs if doc != customer_docs[0]]  # not the index
        # the scenario chapters' tables compare base year and scenario side by side: like the
        # price sheets, they get the page's width (no contents column to scroll past)
        scenario_docs = [j.output for j in jobs if j.template == SCENARIO_TEMPLATE]
        write_if_changed(source / "_config.yml", book_config(model, sheets + scenario_docs))
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

    if not html:
        return report
    with _step(report, "Bygger HTML (Jupyter Book)", show):
        # Sphinx builds on one core: the single page the PDF is printed from is built beside
        # it, from the same sources, in a folder of its own (two builds cannot share one)
        with ThreadPoolExecutor(1) as beside:
            single = (beside.submit(jupyter_book, source, out / SINGLE_PAGE, "singlehtml",
                                    runners.get("singlehtml")) if pdf else None)
            completed = jupyter_book(source, out, "html", runners.get("html"))
        if completed.returncode != 0:
            raise _build_failure("HTML-bygget", completed, out / "html-build.log")
    shutil.rmtree(out / "_build" / SINGLE_PAGE, ignore_errors=True)  # where it was before
    if pdf:
        with _step(report, "Skriver PDF (WeasyPrint)", show):
            report.pdf, report.sheets = _build_pdf(model, single.result(), out, show)
    with _step(report, "Publicerar webbrapporten", show):
        html_dir = out / "html"
        # Sphinx keeps the pages of chapters that are gone (a scenario no longer asked for,
        # a customer who left): publish only the pages of this build's sources.
        built = out / "_build" / "html"
        documents = {p.relative_to(source).with_suffix("").as_posix()
                     for p in [*source.rglob("*.ipynb"), *source.rglob("*.md")]}
        with output_folder(html_dir) as staging:  # the published HTML is swapped as a unit
            shutil.copytree(
                built, staging, ignore=_stale_pages(built, documents), dirs_exist_ok=True
            )
            for sheet in report.sheets:  # each customer page links its price sheet's PDF
                target = staging / SHEET_FOLDER / sheet.name
                target.parent.mkdir(exist_ok=True)
                shutil.copyfile(sheet, target)
        report.html = html_dir / "index.html"
    return report


def _customer_pages_stamp(
    source: Path, digests: dict[str, str], sheet_pdfs: bool
) -> tuple[Path, str]:
    stamp = _sha256(
        json.dumps([code_fingerprint(), sorted(digests.items()), sheet_pdfs]).encode()
    )
    return source.parent / "customer_pages.json", stamp


def _kept_customer_pages(
    source: Path, digests: dict[str, str], sheet_pdfs: bool
) -> list[str] | None:
    """The customer pages' document names when nothing in the build context (nor the code)
    changed since they were written, else None."""
    from .customer_pages import FOLDER

    stamp_file, stamp = _customer_pages_stamp(source, digests, sheet_pdfs)
    if stamp_file.is_file() and (source / FOLDER).is_dir():
        kept = json.loads(stamp_file.read_text())
        if kept.get("stamp") == stamp:
            return kept["docs"]
    return None


def _write_customer_pages(
    model: PriceModelInput, result, source: Path, digests: dict[str, str], sheet_pdfs: bool
) -> list[str]:
    """The customer pages, written beside the book's sources and copied in only where they
    changed: Sphinx re-reads a page whose file time moved, and a customer who left is gone."""
    from .customer_pages import FOLDER, write_customer_pages

    stamp_file, stamp = _customer_pages_stamp(source, digests, sheet_pdfs)
    stamp_file.unlink(missing_ok=True)
    fresh = source.parent / "customer_pages"
    if fresh.exists():
        shutil.rmtree(fresh)
    docs = write_customer_pages(model, result, fresh, sheet_pdfs)
    _sync_folder(fresh / FOLDER, source / FOLDER)
    shutil.rmtree(fresh)
    stamp_file.write_text(json.dumps({"stamp": stamp, "docs": docs}))
    return docs


def _sync_folder(new: Path, target: Path) -> None:
    """Make ``target`` hold exactly the files of ``new``, rewriting only those that differ."""
    wanted = {p.relative_to(new) for p in new.rglob("*") if p.is_file()}
    for path in sorted(target.rglob("*")) if target.exists() else []:
        if path.is_file() and path.relative_to(target) not in wanted:
            path.unlink()
    for relative in sorted(wanted):
        write_if_changed(target / relative, (new / relative).read_bytes())


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


def _build_pdf(
    model: PriceModelInput,
    single: subprocess.CompletedProcess,
    out: Path,
    show: Callable[[str], None],
) -> tuple[Path, list[Path]]:
    """The report and the customers' price sheets as PDF from the single-page build (each
    re-printed only if it changed); the sheets for the web report too."""
    from .pdf import print_report

    if single.returncode != 0:
        raise _build_failure("Bygget av enkelsidig HTML för PDF", single, out / "pdf-build.log")
    book, sheets, printed = print_report(out / SINGLE_PAGE / "_build" / "singlehtml", out, model)
    total = 1 + len(sheets)
    if printed < total:
        show(f"    {printed} av {total} PDF:er skrevs (övriga oförändrade sedan förra bygget)")
    return book, sheets


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
        # Checked, locked and marked: never a folder this tool did not write.
        with output_folder(out, data_dir, replace=False):
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
        if report.sheets:
            print(f"      och {len(report.sheets)} prisblad i {report.sheets[0].parent}")
    elif report.pdf_note:
        print(f"PDF:  skapades inte – {report.pdf_note}")
    return 0
