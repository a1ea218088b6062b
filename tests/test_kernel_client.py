"""The client that waits for a chapter's kernel to be ready (prismodell.kernel_provisioner),
against scripted channels: it is ready at the kernel's idle status for its own request – no
listening for silence after it – and asks again when the output channel missed that status."""

from __future__ import annotations

import asyncio
from queue import Empty

import pytest

from prismodell.kernel_provisioner import ReadyClient


def _status(state: str, request: str) -> dict:
    return {"msg_type": "status", "content": {"execution_state": state},
            "parent_header": {"msg_id": request}}


def _reply(request: str) -> dict:
    return {"msg_type": "kernel_info_reply", "content": {"protocol_version": "5.3"},
            "parent_header": {"msg_id": request}}


class _Channel:
    """A channel that hands out scripted messages; Empty (a timeout) where the script has
    None or has run out."""

    def __init__(self, script: list) -> None:
        self.script, self.asked = list(script), 0

    async def get_msg(self, timeout: float | None = None) -> dict:
        self.asked += 1
        message = self.script.pop(0) if self.script else None
        if message is None:
            raise Empty
        return message


class _ScriptedClient(ReadyClient):
    def __init__(self, shell: list, iopub: list, alive: bool = True) -> None:
        super().__init__()
        self._shell, self._iopub, self._alive = _Channel(shell), _Channel(iopub), alive
        self.requests: list[str] = []
        self.handled: list[dict] = []

    shell_channel = property(lambda self: self._shell)
    iopub_channel = property(lambda self: self._iopub)

    def kernel_info(self) -> str:
        self.requests.append(f"info-{len(self.requests) + 1}")
        return self.requests[-1]

    async def _async_is_alive(self) -> bool:
        return self._alive

    def _handle_kernel_info_reply(self, msg: dict) -> None:
        self.handled.append(msg)


def test_ready_at_the_idle_status_of_its_request_without_waiting_for_silence():
    client = _ScriptedClient(shell=[_reply("info-1")],
                             iopub=[_status("busy", "info-1"), _status("idle", "info-1")])
    asyncio.run(client.wait_for_ready(timeout=5))
    assert client.requests == ["info-1"]
    assert client.iopub_channel.asked == 2  # busy, idle: never a third, timed-out look
    assert client.handled == [_reply("info-1")]


def test_asks_again_when_the_output_channel_missed_the_status():
    # the first status went out before the output channel was connected (a slow joiner)
    client = _ScriptedClient(
        shell=[_reply("info-1"), _reply("info-2")],
        iopub=[None, _status("busy", "info-2"), _status("idle", "info-2")],
    )
    asyncio.run(client.wait_for_ready(timeout=5))
    assert client.requests == ["info-1", "info-2"]
    assert client.handled == [_reply("info-2")]


def test_replies_and_statuses_of_earlier_requests_are_passed_over():
    client = _ScriptedClient(
        shell=[None, _reply("info-1"), _reply("info-2")],
        iopub=[_status("idle", "info-1"), _status("idle", "info-2")],
    )
    asyncio.run(client.wait_for_ready(timeout=5))
    assert client.requests == ["info-1", "info-2"]
    assert client.handled == [_reply("info-2")]  # the late reply to info-1 was not taken


def test_a_kernel_that_died_before_replying_is_told():
    client = _ScriptedClient(shell=[], iopub=[], alive=False)
    with pytest.raises(RuntimeError, match="died"):
        asyncio.run(client.wait_for_ready(timeout=5))


def test_a_kernel_that_never_answers_times_out():
    client = _ScriptedClient(shell=[], iopub=[])
    with pytest.raises(RuntimeError, match="didn't respond"):
        asyncio.run(client.wait_for_ready(timeout=0))
