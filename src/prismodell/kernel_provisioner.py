"""The kernel provisioner of the build's warm kernels (see :mod:`prismodell.kernel_server`):
Jupyter asks it to start a chapter's kernel, and it asks the kernel server for a forked child
instead of starting a new Python. Kept apart from the server so that the CLI's start-up does not
import Jupyter."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from typing import Any

from jupyter_client.provisioning import LocalProvisioner

from .kernel_server import ENV_SERVER, request


class _ForkedKernel:
    """The subset of :class:`subprocess.Popen` that :class:`LocalProvisioner` uses, for a
    kernel that is the server's child, not ours (the server reaps it)."""

    stdin = stdout = stderr = None

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.returncode: int | None = None

    def poll(self) -> int | None:
        if self.returncode is None:
            try:
                os.kill(self.pid, 0)
            except ProcessLookupError:
                self.returncode = 0  # gone; its exit status went to the server
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            if deadline is not None and time.monotonic() > deadline:
                raise subprocess.TimeoutExpired(str(self.pid), timeout)
            time.sleep(0.02)
        return self.returncode or 0

    def send_signal(self, signum: int) -> None:
        os.kill(self.pid, signum)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)


class ForkProvisioner(LocalProvisioner):
    """Starts the kernel as a child of the kernel server when one is running."""

    async def launch_kernel(self, cmd: list[str], **kwargs: Any) -> Any:
        socket_path = os.environ.get(ENV_SERVER)
        if not socket_path or not os.path.exists(socket_path) or cmd[1:3] != [
            "-m", "ipykernel_launcher"
        ]:
            return await super().launch_kernel(cmd, **kwargs)
        env = kwargs.get("env") or dict(os.environ)
        message = {
            "argv": cmd[3:],
            "env": {k: v for k, v in env.items() if k != ENV_SERVER},
            "cwd": os.path.abspath(kwargs.get("cwd") or os.getcwd()),
        }
        try:
            # Asked in the event loop's own thread (a few milliseconds): the loop's thread pool
            # may be one inherited through a fork, whose threads do not exist in this process.
            answer = request(socket_path, message)
        except (OSError, ValueError):
            return await super().launch_kernel(cmd, **kwargs)
        self.process = _ForkedKernel(int(answer["pid"]))
        self.pid = self.pgid = self.process.pid  # the child called setsid()
        self.cwd = message["cwd"]
        return self.connection_info
