"""The Jupyter side of the chapters' kernels: the kernel provisioner of the build's warm kernels
(see :mod:`prismodell.kernel_server`) – Jupyter asks it to start a chapter's kernel, and it asks
the kernel server for a forked child instead of starting a new Python – and the client that
waits for a kernel to be ready (:class:`ReadyClient`). Kept apart from the server so that the
CLI's start-up does not import Jupyter."""

from __future__ import annotations

import asyncio
import math
import os
import signal
import subprocess
import time
from queue import Empty
from typing import Any

from jupyter_client.asynchronous import AsyncKernelClient
from jupyter_client.provisioning import LocalProvisioner
from jupyter_core.utils import ensure_async

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

    async def kill(self, restart: bool = False) -> None:
        await super().kill(restart)
        # Jupyter looks once right after the signal and, the kernel not yet gone, sleeps a
        # tenth of a second before looking again: wait for it here in steps of milliseconds.
        if isinstance(self.process, _ForkedKernel):
            for _ in range(500):
                if self.process.poll() is not None:
                    break
                await asyncio.sleep(0.002)


class ReadyClient(AsyncKernelClient):
    """A kernel client that knows a kernel is ready as soon as it is.

    Jupyter's own wait asks for the kernel's info and then listens to the output channel until
    it has been quiet for 0.2 s – a fifth of a second of nothing per chapter. The kernel
    announces on that channel when it is done with a request ("idle", naming the request), so
    this one waits for exactly that: the reply on the shell channel and the idle status on the
    output channel prove both connected and the output channel drained. If the output channel
    was not yet connected when the status went out, it asks again, as Jupyter's wait does.
    """

    async def wait_for_ready(self, timeout: float | None = None) -> None:
        deadline = time.monotonic() + (math.inf if timeout is None else timeout)
        while True:
            request = self.kernel_info()
            reply = await self._reply_to(request)
            if reply is not None and await self._idle_after(request):
                self._handle_kernel_info_reply(reply)
                return
            if not await self._async_is_alive():
                raise RuntimeError("Kernel died before replying to kernel_info")
            if time.monotonic() > deadline:
                raise RuntimeError(f"Kernel didn't respond in {timeout:.0f} seconds")

    async def _reply_to(self, request: str) -> dict | None:
        while True:
            try:
                message = await ensure_async(self.shell_channel.get_msg(timeout=1))
            except Empty:
                return None
            if message["parent_header"].get("msg_id") == request:
                return message

    async def _idle_after(self, request: str) -> bool:
        while True:
            try:
                message = await ensure_async(self.iopub_channel.get_msg(timeout=0.2))
            except Empty:
                return False
            if (message["msg_type"] == "status"
                    and message["content"].get("execution_state") == "idle"
                    and message["parent_header"].get("msg_id") == request):
                return True
