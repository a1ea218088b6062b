"""Warm kernels for the chapter notebooks: start a chapter's kernel in milliseconds.

A fresh Jupyter kernel spends about a second before the notebook's first cell runs: starting
Python, importing ipykernel, then the chapter's own imports (pandas, matplotlib, the package).
Twenty chapters pay that twenty times. During a build a **kernel server** imports all of it
once and then forks one child per chapter; the child becomes an ordinary ipykernel with the
connection file Jupyter gave it. Each chapter still gets its own process, started from the
same untouched state, so no chapter sees another's variables; only the start-up work is shared.

Jupyter starts kernels through a *kernel provisioner*:
``kernel_provisioner.ForkProvisioner`` (registered as ``prismodell-fork``) asks the server for a
child instead of starting a process. It is named only by the kernel spec the build writes
(:func:`write_kernel_spec`), so any other use of Jupyter is unaffected, and without a server
(:data:`ENV_SERVER` unset or not answering) it starts the kernel the ordinary way.

Run as ``python -m prismodell.kernel_server SOCKET``; the build starts and stops it
(:func:`kernel_server`).
"""

from __future__ import annotations

import ast
import contextlib
import gc
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

ENV_SERVER = "PRISMODELL_KERNEL_SERVER"  # the server's socket, for the provisioner
ENV_COLD = "PRISMODELL_COLD_KERNELS"  # set (to anything): every chapter starts a new Python
KERNEL_NAME = "prismodell-python3"
PROVISIONER_NAME = "prismodell-fork"
# What every kernel imports before the chapter's first cell (see chapter_imports for the rest).
KERNEL_MODULES = (
    "ipykernel.kernelapp",
    "ipykernel.ipkernel",
    "ipykernel.debugger",  # debugpy: a fifth of an ordinary start
    # Imported by a chapter's first glue and first figure, not by its import lines: every
    # chapter paid about 0.15 s for them.
    "myst_nb.ext.glue",  # myst_nb.glue imports it when first called (nbformat, jsonschema …)
    "matplotlib.backends.backend_agg",
    "PIL.BmpImagePlugin",  # Pillow's plugins, loaded at the first PNG written
    "PIL.GifImagePlugin",
    "PIL.JpegImagePlugin",
    "PIL.PpmImagePlugin",
    "PIL.features",
)
# The backend an ordinary kernel gives matplotlib; set before matplotlib is imported, which
# reads it once.
INLINE_BACKEND = "module://matplotlib_inline.backend_inline"
_READY_SECONDS = 60.0


# --------------------------------------------------------------------------- the server


def serve(socket_path: str) -> None:
    """Import what the chapters need, then fork a kernel for every request until stopped."""
    import importlib

    os.environ.setdefault("MPLBACKEND", INLINE_BACKEND)
    import matplotlib

    ordinary = matplotlib.rcParams.copy()
    for name in (*KERNEL_MODULES, *chapter_imports(Path.cwd())):
        with contextlib.suppress(ImportError):  # the chapter's own kernel will say it
            importlib.import_module(name)
    # A kernel starts with matplotlib's settings as an ordinary kernel has them, whatever an
    # import set (the backend included, which rc_context would leave).
    dict.update(matplotlib.rcParams, ordinary)
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # children are reaped by the system
    # What is loaded now lives as long as every kernel: keep it out of the kernels' garbage
    # collections (which would otherwise walk, and so copy, all of it in each kernel).
    gc.collect()
    gc.freeze()
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(socket_path + ".tmp")
    listener.listen()
    os.replace(socket_path + ".tmp", socket_path)  # the socket appears when the server is ready
    parent = os.getppid()
    listener.settimeout(1.0)
    while os.getppid() == parent:  # a build killed outright leaves no server behind
        try:
            connection, _ = listener.accept()
        except TimeoutError:
            continue
        connection.settimeout(None)
        with connection:
            message = json.loads(_receive(connection))
            if message.get("stop"):
                break
            pid = os.fork()
            if pid == 0:  # the kernel
                listener.close()
                connection.close()
                _become_kernel(message)
            connection.sendall(json.dumps({"pid": pid}).encode())
    listener.close()
    with contextlib.suppress(FileNotFoundError):
        os.unlink(socket_path)


def chapter_imports(notebook_dir: Path) -> list[str]:
    """The modules the chapter notebooks in ``notebook_dir`` import (read from their code, so
    a new import in a chapter is preloaded too)."""
    modules: set[str] = set()
    for path in sorted(notebook_dir.glob("*.ipynb")):
        for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
            if cell["cell_type"] != "code":
                continue
            try:
                tree = ast.parse("".join(cell["source"]))
            except SyntaxError:  # a cell with IPython magic: nothing to preload from it
                continue
            for node in ast.walk(tree):
                if isinstance(node, ast.Import):
                    modules.update(alias.name for alias in node.names)
                elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                    modules.add(node.module)
                    if node.module == "prismodell":  # from prismodell import context, style
                        modules.update(f"prismodell.{alias.name}" for alias in node.names)
    return sorted(modules)


def _receive(connection: socket.socket) -> bytes:
    chunks = []
    while chunk := connection.recv(65536):
        chunks.append(chunk)
    return b"".join(chunks)


def _become_kernel(request: dict) -> None:
    """In the forked child: the process an ordinary kernel launch would have made."""
    code = 1
    try:
        os.setsid()  # its own process group, as Jupyter's launcher gives a kernel
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        os.environ.clear()
        os.environ.update(request["env"])
        os.environ.setdefault("MPLBACKEND", INLINE_BACKEND)
        os.chdir(request["cwd"])
        sys.argv = [sys.executable, *request["argv"]]
        from ipykernel import kernelapp

        kernelapp.launch_new_instance(argv=request["argv"])
        code = 0
    except SystemExit as exit_:
        code = exit_.code if isinstance(exit_.code, int) else 1
    except BaseException:
        import traceback

        traceback.print_exc()  # to the build's log
    finally:
        os._exit(code)  # never return into the server's loop


def request(socket_path: str, message: dict, timeout: float = 10.0) -> dict:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as client:
        client.settimeout(timeout)
        client.connect(socket_path)
        client.sendall(json.dumps(message).encode())
        client.shutdown(socket.SHUT_WR)
        answer = _receive(client)
    return json.loads(answer) if answer else {}


class Starting:
    """A kernel server started now (it imports for most of a second), waited for when the
    first chapter needs it; :meth:`stop` ends it, ready or not."""

    def __init__(self, log: Path, cwd: Path) -> None:
        # A private short folder: a socket path may not exceed 107 bytes.
        self._folder = tempfile.TemporaryDirectory(prefix="prismodell-")
        self.socket_path = os.path.join(self._folder.name, "kernels.sock")
        try:
            with open(log, "a") as errors:
                self.process = subprocess.Popen(
                    [sys.executable, "-m", "prismodell.kernel_server", self.socket_path],
                    stdin=subprocess.DEVNULL, stdout=errors, stderr=errors, cwd=cwd,
                )
        except BaseException:
            self._folder.cleanup()
            raise

    def ready(self) -> str | None:
        """The socket path once the server listens; None when it could not start (the
        chapters then get ordinary kernels)."""
        deadline = time.monotonic() + _READY_SECONDS
        while not os.path.exists(self.socket_path) and self.process.poll() is None:
            if time.monotonic() > deadline:
                break
            time.sleep(0.01)
        return self.socket_path if os.path.exists(self.socket_path) else None

    def stop(self) -> None:
        if self.process.poll() is None:
            if os.path.exists(self.socket_path):
                with contextlib.suppress(OSError, ValueError):
                    request(self.socket_path, {"stop": True}, timeout=2.0)
            else:  # still importing: nothing of it to wait for
                self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._folder.cleanup()


@contextlib.contextmanager
def starting(log: Path, cwd: Path) -> Iterator[Starting]:
    """A server starting for the duration of the block (see :class:`Starting`). Its kernels
    write to ``log`` and start in ``cwd`` (also the first entry of their import path, as for
    a kernel started there)."""
    server = Starting(log, cwd)
    try:
        yield server
    finally:
        server.stop()


@contextlib.contextmanager
def kernel_server(log: Path, cwd: Path) -> Iterator[str | None]:
    """A running server for the duration of the block; yields its socket path, or None when
    it could not start."""
    with starting(log, cwd) as server:
        yield server.ready()


_SHARED: Starting | None = None


def share(server: Starting | None) -> Starting | None:
    """Let every build in this process use ``server`` instead of starting one of its own (the
    test suite keeps one per test process: a build's own start is most of a second); None:
    each build starts its own again. Returns the server shared before. A server started from
    other code must not be shared: its kernels run the code it preloaded."""
    global _SHARED
    previous, _SHARED = _SHARED, server
    return previous


def shared() -> Starting | None:
    """The server shared by this process's builds, when one is and warm kernels are wanted."""
    return _SHARED if _SHARED is not None and available() else None


def available() -> bool:
    """Whether the build uses warm kernels: Jupyter can find the provisioner (the package is
    installed with its entry points) and :data:`ENV_COLD` is not set (to compare, or to rule
    the warm kernels out when a chapter behaves oddly)."""
    from importlib.metadata import entry_points

    if os.environ.get(ENV_COLD):
        return False
    return bool(entry_points(group="jupyter_client.kernel_provisioners", name=PROVISIONER_NAME))


def kernel_environment(kernel_specs: str, socket_path: str | None) -> dict[str, str]:
    """What a process puts in its environment so that the kernels it starts are forked from
    the server at ``socket_path``: the folder of :func:`write_kernel_spec` first on
    ``JUPYTER_PATH``, and the socket (None: the spec alone, and the provisioner starts an
    ordinary kernel)."""
    paths = (kernel_specs, os.environ.get("JUPYTER_PATH"))
    environment = {"JUPYTER_PATH": os.pathsep.join(p for p in paths if p)}
    if socket_path:
        environment[ENV_SERVER] = socket_path
    return environment


def write_kernel_spec(folder: Path) -> Path:
    """A kernel spec folder (to put on ``JUPYTER_PATH``) naming :data:`KERNEL_NAME`: the
    ordinary Python kernel, started by the ``prismodell-fork`` provisioner."""
    spec = {
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Python 3 (ipykernel)",
        "language": "python",
        "metadata": {"kernel_provisioner": {"provisioner_name": PROVISIONER_NAME}},
    }
    kernel_dir = folder / "kernels" / KERNEL_NAME
    kernel_dir.mkdir(parents=True, exist_ok=True)
    (kernel_dir / "kernel.json").write_text(json.dumps(spec, indent=1))
    return folder


if __name__ == "__main__":
    serve(sys.argv[1])
    # Stopped: leave without the interpreter's teardown of everything preloaded (a quarter of
    # a second at the end of every build that ran chapters); only its log output to flush.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)
