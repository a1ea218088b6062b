"""Warm kernels (prismodell.kernel_server): a chapter run in a kernel forked from the kernel
server gives the same notebook as in an ordinary kernel, chapters never see each other's
state, and without a server the build's kernel spec still starts an ordinary kernel."""

from __future__ import annotations

import json
import os
from pathlib import Path

import nbformat
import papermill
import pytest

from prismodell import kernel_server
from prismodell.pipeline import _without_timing

pytestmark = pytest.mark.slow  # each test starts kernels (a few seconds)

# The first notebook changes a module's state and a global; the second reports what it sees.
WRITER = [
    "import os\nfrom prismodell import style\n",
    "style.WARM_KERNEL_PROBE = os.getpid()\nprobe = 'satt'\n",
]
READER = [
    "import os\nfrom prismodell import style\n",
    "print(getattr(style, 'WARM_KERNEL_PROBE', 'ingen'), 'probe' in globals(), os.getcwd(),"
    " os.environ.get('PRISMODELL_PROBE_ENV'))\n",
    "import matplotlib\nprint(matplotlib.get_backend())\n",
]


def _notebook(folder: Path, name: str, cells: list[str]) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(source) for source in cells]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    path = folder / f"{name}.ipynb"
    nbformat.write(nb, path)
    return path


def _run(path: Path, out: Path, kernel: str, cwd: Path) -> list[str]:
    papermill.execute_notebook(str(path), str(out), kernel_name=kernel, cwd=str(cwd),
                               progress_bar=False, log_output=False)
    nb = json.loads(out.read_text(encoding="utf-8"))
    # what each cell printed (a print may arrive in more than one stream message; a warning
    # on stderr is not what the cell printed)
    printed = ["".join("".join(o.get("text", "")) for o in c.get("outputs", [])
                       if o.get("name") == "stdout") for c in nb["cells"]]
    return [text for text in printed if text]


@pytest.fixture
def warm(tmp_path: Path, monkeypatch):
    """A running server and its kernel spec on JUPYTER_PATH: (kernel name, server process
    folder)."""
    specs = kernel_server.write_kernel_spec(tmp_path / "jupyter")
    monkeypatch.setenv("JUPYTER_PATH", str(specs))
    with kernel_server.kernel_server(tmp_path / "kernels.log", tmp_path) as socket_path:
        assert socket_path is not None, (tmp_path / "kernels.log").read_text()
        monkeypatch.setenv(kernel_server.ENV_SERVER, socket_path)
        yield kernel_server.KERNEL_NAME
    assert not os.path.exists(socket_path)  # the server stopped with the block


def test_the_provisioner_is_registered():
    assert kernel_server.available()


def test_the_server_preloads_what_the_chapters_import():
    from prismodell.pipeline import NOTEBOOK_DIR

    modules = kernel_server.chapter_imports(NOTEBOOK_DIR)
    assert {"prismodell.context", "prismodell.figures", "myst_nb", "IPython.display"} <= set(
        modules
    )
    assert "prismodell.scenario_views" in modules  # from prismodell import scenario_views


def test_chapters_in_warm_kernels_see_no_state_of_earlier_chapters(tmp_path, warm, monkeypatch):
    monkeypatch.setenv("PRISMODELL_PROBE_ENV", "från byggets miljö")
    work = tmp_path / "work"
    work.mkdir()
    writer = _notebook(tmp_path, "writer", WRITER)
    reader = _notebook(tmp_path, "reader", READER)
    _run(writer, tmp_path / "w.ipynb", warm, work)
    seen, backend = _run(reader, tmp_path / "r.ipynb", warm, work)
    # a fresh module, no global, the kernel's own folder and the environment of the launch
    assert seen.split() == ["ingen", "False", str(work), "från", "byggets", "miljö"]
    assert backend.strip() == "module://matplotlib_inline.backend_inline"


def test_a_warm_kernel_gives_the_same_notebook_as_an_ordinary_one(tmp_path, warm, monkeypatch):
    """A real chapter on the small fixture: the executed notebooks are identical."""
    from prismodell.pipeline import NOTEBOOK_DIR

    from .conftest import MINI

    params = {"data_dir": str(MINI)}
    outputs = []
    for kernel in (warm, "python3"):
        if kernel == "python3":
            monkeypatch.delenv(kernel_server.ENV_SERVER)
        out = tmp_path / f"{kernel}.ipynb"
        papermill.execute_notebook(str(NOTEBOOK_DIR / "restlista.ipynb"), str(out),
                                   parameters=params, kernel_name=kernel,
                                   cwd=str(NOTEBOOK_DIR), progress_bar=False, log_output=False)
        nb = json.loads(_without_timing(out.read_text(encoding="utf-8")))
        nb["metadata"]["papermill"].pop("input_path", None)
        outputs.append([(c["source"], c.get("outputs")) for c in nb["cells"]])
    assert outputs[0] == outputs[1]
    assert any(o for _, o in outputs[0])  # the chapter did show something


def test_without_a_server_the_build_kernel_starts_the_ordinary_way(tmp_path, monkeypatch):
    specs = kernel_server.write_kernel_spec(tmp_path / "jupyter")
    monkeypatch.setenv("JUPYTER_PATH", str(specs))
    monkeypatch.delenv(kernel_server.ENV_SERVER, raising=False)
    reader = _notebook(tmp_path, "reader", READER)
    seen, _ = _run(reader, tmp_path / "r.ipynb", kernel_server.KERNEL_NAME, tmp_path)
    assert seen.split()[:3] == ["ingen", "False", str(tmp_path)]


def test_cold_kernels_when_asked(monkeypatch):
    monkeypatch.setenv(kernel_server.ENV_COLD, "1")
    assert not kernel_server.available()


def test_a_build_killed_outright_leaves_no_server_behind(tmp_path):
    import signal
    import subprocess
    import sys
    import time

    script = (
        "import time\nfrom pathlib import Path\nfrom prismodell import kernel_server as ks\n"
        f"with ks.kernel_server(Path({str(tmp_path / 'log')!r}), Path({str(tmp_path)!r})) as s:\n"
        "    print(s, flush=True)\n    time.sleep(120)\n"
    )
    build = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    socket_path = build.stdout.readline().strip()
    assert socket_path
    servers = [int(p.name) for p in Path("/proc").iterdir()
               if p.name.isdigit() and socket_path.encode() in _cmdline(p)]
    assert len(servers) == 1
    build.send_signal(signal.SIGKILL)
    build.wait()
    deadline = time.monotonic() + 20
    while Path(f"/proc/{servers[0]}").exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    status = Path(f"/proc/{servers[0]}/status")
    assert not status.exists() or "zombie" in status.read_text()


def _cmdline(process: Path) -> bytes:
    try:
        return (process / "cmdline").read_bytes()
    except OSError:  # gone meanwhile
        return b""


def _run_in_fork(path: str, out: str, kernel: str, cwd: str) -> None:
    _run(Path(path), Path(out), kernel, Path(cwd))


def test_a_process_forked_after_a_warm_kernel_starts_one_too(tmp_path, warm):
    """The build forks its notebook workers from a process that may have started kernels
    before (the tests, a benchmark building twice): what it inherited must not hang them."""
    import multiprocessing

    reader = _notebook(tmp_path, "reader", READER)
    _run(reader, tmp_path / "first.ipynb", warm, tmp_path)  # warm kernel in this process
    child = multiprocessing.get_context("fork").Process(
        target=_run_in_fork,
        args=(str(reader), str(tmp_path / "second.ipynb"), warm, str(tmp_path)),
    )
    child.start()
    child.join(timeout=120)
    if child.is_alive():
        child.kill()
        child.join()
        pytest.fail("the forked process never got its kernel")
    assert child.exitcode == 0
    assert (tmp_path / "second.ipynb").is_file()


def test_a_server_stopped_while_it_still_starts_leaves_nothing(tmp_path):
    """A rebuild starts the server before it reads the inputs; bad inputs stop it at once."""
    server = kernel_server.Starting(tmp_path / "kernels.log", tmp_path)
    server.stop()
    assert server.process.poll() is not None
    assert not os.path.exists(os.path.dirname(server.socket_path))


def test_a_build_knows_whether_an_input_changed_since_the_last_build(tmp_path):
    """What it starts early: the kernel server after a change, Jupyter Book without one."""
    from prismodell.pipeline import _since_last_build

    data, out = tmp_path / "data", tmp_path / "_build"
    data.mkdir()
    (data / "model.yml").write_text("price_list_year: 2023\n")
    assert _since_last_build(data, out) is None  # a first build: no folder before the inputs
    out.mkdir()
    (out / "cache.json").write_text("{}")
    os.utime(data / "model.yml", ns=(1, 1))
    assert _since_last_build(data, out) == "unchanged"
    os.utime(data / "model.yml")
    os.utime(out / "cache.json", ns=(1, 1))
    assert _since_last_build(data, out) == "changed"


@pytest.mark.skipif(not kernel_server.available(), reason="the provisioner is not installed")
def test_share_and_shared_name_the_server_of_this_process(tmp_path, monkeypatch):
    with kernel_server.starting(tmp_path / "kernels.log", tmp_path) as server:
        before = kernel_server.share(server)  # the test process's own, if it keeps one
        try:
            assert kernel_server.shared() is server
            monkeypatch.setenv(kernel_server.ENV_COLD, "1")  # cold kernels: no server at all
            assert kernel_server.shared() is None
        finally:
            assert kernel_server.share(before) is server


def test_jupyter_book_started_early_answers_as_the_command_does(tmp_path):
    """A rebuild of unchanged inputs starts Jupyter Book before its sources are ready."""
    from prismodell.pipeline import book_runner, jupyter_book

    missing = tmp_path / "saknas"
    with book_runner() as runner:
        early = jupyter_book(missing, tmp_path / "a", "html", runner)
    plain = jupyter_book(missing, tmp_path / "b", "html")
    assert early.returncode == plain.returncode == 2  # click: the source does not exist
    assert "saknas" in early.stderr and early.stderr == plain.stderr.replace(
        str(tmp_path / "b"), str(tmp_path / "a"))
    with book_runner() as unused:
        pass
    assert unused.process.returncode is not None  # stopped, and it wrote nothing
    assert sorted(p.name for p in tmp_path.iterdir()) == []
