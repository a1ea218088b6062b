"""Shared test helpers: the fixture folders and a way to run the CLI in-process."""

from __future__ import annotations

import contextlib
import shutil
from pathlib import Path

import pytest
from hypothesis import settings

from prismodell.cli import main

TESTS = Path(__file__).resolve().parent
REPO = TESTS.parent
MINI = TESTS / "fixtures" / "mini"
GOLDEN = TESTS / "golden"
DATA_2023 = REPO / "data" / "2023"

# The edit loop (`make test-fast`, `--hypothesis-profile=edit`) tries fewer random examples per
# property; the whole suite and CI keep each test's own count (see `examples`).
EDIT_EXAMPLES = 12
settings.register_profile("edit", max_examples=EDIT_EXAMPLES)


def examples(full: int) -> int:
    """A property test's example count: ``full`` in the whole suite, at most EDIT_EXAMPLES in
    the edit loop's profile (read when the test module is imported, after the profile is
    loaded)."""
    if settings.get_current_profile_name() == "edit":
        return min(full, EDIT_EXAMPLES)
    return full


# The longest files first, in this order (pyproject: --no-loadscope-reorder), so that the two
# test processes start them at once and the many short files fill in at the end; pytest-xdist
# would send the files with the most tests first and a one-test file of a minute last, alone.
# test_book builds the example book the browser tests then use. Only the order changes.
LONGEST_FIRST = ("test_book.py", "test_incremental_full.py", "test_browser.py",
                 "test_incremental.py", "test_wheel.py")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    rank = {name: i for i, name in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))  # stable: files stay whole


class WarmKernels:
    """One kernel server per test process (prismodell.kernel_server): the books built in it,
    nbval's notebooks and the tests that run a chapter themselves get their kernels forked from
    it instead of each starting a Python and importing pandas, matplotlib and the package (most
    of a second per kernel). A build in a subprocess (the CLI as an analyst runs it, the
    installed wheel) still starts its own: the server's socket is in this process's environment
    only while nbval sets up a notebook and during a test that asks for ``chapter_kernel``."""

    def __init__(self, config: pytest.Config) -> None:
        from prismodell import kernel_server
        from prismodell.pipeline import NOTEBOOK_DIR

        # pytest keeps the last runs' temporary folders: a kernel's crash is told in this log
        folder = config._tmp_path_factory.mktemp("kernel_server")
        with contextlib.ExitStack() as stack:
            self.server = stack.enter_context(
                kernel_server.starting(folder / "kernels.log", NOTEBOOK_DIR))
            stack.callback(kernel_server.share, kernel_server.share(self.server))
            self._specs = str(kernel_server.write_kernel_spec(folder / "jupyter"))
            self._stack = stack.pop_all()  # closed by close(), or now if the above failed
        if config.option.nbval_kernel_name is None:  # unless asked for another one
            # nbval starts the chapters' kernel (the fork provisioner's spec), not python3
            config.option.nbval_kernel_name = kernel_server.KERNEL_NAME

    def offer(self, patch: pytest.MonkeyPatch) -> None:
        """Let the kernels started now be forked: the kernel spec and the server's socket in
        this process's environment, until ``patch`` is undone."""
        from prismodell.kernel_server import kernel_environment

        # (ready() is None if the server could not start: the kernels are then ordinary)
        for name, value in kernel_environment(self._specs, self.server.ready()).items():
            patch.setenv(name, value)

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_setup(self, item: pytest.Item):
        """nbval starts a notebook's kernel while its first cell is set up."""
        if item.path.suffix != ".ipynb":
            yield
            return
        with pytest.MonkeyPatch.context() as patch:
            self.offer(patch)
            yield

    def close(self) -> None:
        self._stack.close()


def pytest_collection_finish(session: pytest.Session) -> None:
    """Start the warm kernels when this process's tests build books or run notebooks."""
    from prismodell import kernel_server

    config = session.config
    if config.option.collectonly or session.testsfailed:  # nothing will run
        return
    kernels = any(item.get_closest_marker("slow") or item.path.suffix == ".ipynb"
                  for item in session.items)
    if kernels and kernel_server.available() and not hasattr(config, "_warm_kernels"):
        config._warm_kernels = WarmKernels(config)
        config.pluginmanager.register(config._warm_kernels, "prismodell-warm-kernels")


def pytest_unconfigure(config: pytest.Config) -> None:
    if hasattr(config, "_warm_kernels"):
        config._warm_kernels.close()


@pytest.fixture
def chapter_kernel(request, monkeypatch) -> str:
    """The kernel name for a test that runs a chapter notebook itself (papermill or nbclient):
    a warm kernel, as in a build, when this process keeps them (the socket is then in the
    environment for the whole test: such a test must start no build in a subprocess); else
    Jupyter's own python3."""
    warm = getattr(request.config, "_warm_kernels", None)
    if warm is None:
        return "python3"
    from prismodell.kernel_server import KERNEL_NAME

    warm.offer(monkeypatch)
    return KERNEL_NAME


@pytest.fixture
def mini(tmp_path: Path) -> Path:
    """A writable copy of the small fixture folder (the spec's worked example)."""
    target = tmp_path / "data"
    shutil.copytree(MINI, target)
    return target


@pytest.fixture(scope="session")
def mini_model():
    """The small fixture, loaded and calculated: (model, result)."""
    from prismodell.calculation import calculate
    from prismodell.inputs import load_input

    model = load_input(MINI)
    return model, calculate(model)


@pytest.fixture(scope="session")
def model_2023():
    """The 2023 example data, loaded and calculated: (model, result)."""
    from prismodell.calculation import calculate
    from prismodell.inputs import load_input

    model = load_input(DATA_2023)
    return model, calculate(model)


@pytest.fixture(scope="session")
def example_book(tmp_path_factory, worker_id):
    """The report built once from the example data: (out, build report, model, result).

    Once per test run, also when the tests run in several processes (``pytest -n``): the first
    process to need it builds it, the others wait for it and read its build report."""
    import fcntl
    import pickle

    from prismodell.calculation import calculate
    from prismodell.inputs import load_input
    from prismodell.pipeline import build_book
    from prismodell.scenario_file import list_scenarios

    shared = tmp_path_factory.getbasetemp()
    if worker_id != "master":  # the run's folder, above each process's own
        shared = shared.parent
    out = shared / "example_book" / "_build"
    saved = shared / "example_book" / "report.pickle"
    out.parent.mkdir(exist_ok=True)
    with open(shared / "example_book.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if saved.is_file():
            report = pickle.loads(saved.read_bytes())
        else:
            scenarios = tuple(list_scenarios(DATA_2023))  # the example scenarios build in CI too
            report = build_book(DATA_2023, out, pdf=True, scenarios=scenarios,
                                show=lambda _: None)
            saved.write_bytes(pickle.dumps(report))
    model = load_input(DATA_2023)
    return out, report, model, calculate(model)


def run_cli(*args: str | Path) -> int:
    return main([str(a) for a in args])

