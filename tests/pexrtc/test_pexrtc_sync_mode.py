"""PexRTC from a plain synchronous script that never touches asyncio."""

from __future__ import annotations

import queue
import threading
from typing import Any

import pytest

from appliance import PexRTC
from appliance.infinity.errors import NotHost

WAIT = 20.0


class Inbox:
    """Thread-safe record of callbacks for a synchronous test."""

    def __init__(self, rtc: PexRTC, *names: str) -> None:
        self.items: queue.Queue[tuple[str, tuple[Any, ...], str]] = queue.Queue()
        for name in names:
            setattr(rtc, name, self._handler(name))

    def _handler(self, name: str):  # type: ignore[no-untyped-def]
        def handler(*args: Any) -> None:
            self.items.put((name, args, threading.current_thread().name))

        return handler

    def wait_for(self, name: str) -> tuple[tuple[Any, ...], str]:
        while True:
            got, args, thread = self.items.get(timeout=WAIT)
            if got == name:
                return args, thread


def test_sync_script_joins_with_connect_called_inside_onsetup(threaded_node: str) -> None:
    rtc = PexRTC()
    inbox = Inbox(rtc, "onConnect", "onError")
    rtc.onSetup = lambda stream, pin_status: rtc.connect("1234" if pin_status != "none" else None)
    try:
        rtc.makeCall(threaded_node, "pinned", "Script", None, "none")
        args, _ = inbox.wait_for("onConnect")
        assert args == (None,)
        assert rtc.role == "HOST"
    finally:
        rtc.disconnect()


def test_sync_callbacks_run_on_the_one_callback_thread(threaded_node: str) -> None:
    rtc = PexRTC()
    inbox = Inbox(rtc, "onSetup", "onConnect")
    try:
        rtc.makeCall(threaded_node, "meet", "Script", None, "none")
        _, setup_thread = inbox.wait_for("onSetup")
        rtc.connect()
        _, connect_thread = inbox.wait_for("onConnect")
        assert setup_thread == connect_thread == "pexrtc-callbacks"
        assert threading.current_thread().name != setup_thread
    finally:
        rtc.disconnect()


def test_sync_fire_and_forget_methods_return_none(threaded_node: str) -> None:
    rtc = PexRTC()
    inbox = Inbox(rtc, "onSetup", "onConnect", "onParticipantUpdate")
    try:
        rtc.makeCall(threaded_node, "meet", "Script", None, "none")
        inbox.wait_for("onSetup")
        assert rtc.connect() is None
        inbox.wait_for("onConnect")
        assert rtc.setBuzz() is None
        (participant,), _ = inbox.wait_for("onParticipantUpdate")
        assert participant["buzz_time"] > 0
    finally:
        rtc.disconnect()


def test_sync_dialout_without_callback_blocks_and_returns_the_result(threaded_node: str) -> None:
    rtc = PexRTC()
    inbox = Inbox(rtc, "onSetup", "onConnect")
    try:
        rtc.makeCall(threaded_node, "meet", "Script", None, "none")
        inbox.wait_for("onSetup")
        rtc.connect()
        inbox.wait_for("onConnect")
        result = rtc.dialOut("sip:bob@example.com", "sip", "GUEST")
        assert isinstance(result["result"], list) and len(result["result"]) == 1
    finally:
        rtc.disconnect()


def test_sync_host_only_method_as_guest_raises_at_the_call(threaded_node: str) -> None:
    rtc = PexRTC()
    inbox = Inbox(rtc, "onSetup", "onConnect")
    try:
        rtc.makeCall(threaded_node, "pinned", "Script", None, "none")
        inbox.wait_for("onSetup")
        rtc.connect("5678")
        inbox.wait_for("onConnect")
        with pytest.raises(NotHost):
            rtc.setConferenceLock(True)
    finally:
        rtc.disconnect()


def test_sync_disconnect_blocks_until_left_and_stops_the_threads(threaded_node: str) -> None:
    rtc = PexRTC()
    inbox = Inbox(rtc, "onSetup", "onConnect")
    rtc.makeCall(threaded_node, "meet", "Script", None, "none")
    inbox.wait_for("onSetup")
    rtc.connect()
    inbox.wait_for("onConnect")
    assert rtc.disconnect() is None
    assert rtc.uuid is None
    names = {t.name for t in threading.enumerate()}
    assert "pexrtc-loop" not in names


def test_sync_makecall_after_disconnect_works_again(threaded_node: str) -> None:
    rtc = PexRTC()
    inbox = Inbox(rtc, "onSetup", "onConnect")
    for _ in range(2):
        rtc.makeCall(threaded_node, "meet", "Script", None, "none")
        inbox.wait_for("onSetup")
        rtc.connect()
        inbox.wait_for("onConnect")
        rtc.disconnect()
    assert rtc.uuid is None


def test_sync_coroutine_callbacks_are_run(threaded_node: str) -> None:
    rtc = PexRTC()
    done = threading.Event()

    async def on_setup(stream: Any, pin_status: str) -> None:
        done.set()

    rtc.onSetup = on_setup
    try:
        rtc.makeCall(threaded_node, "meet", "Script", None, "none")
        assert done.wait(WAIT)
    finally:
        rtc.close()


def test_sync_disconnectcall_blocks_and_keeps_the_participant(threaded_node: str) -> None:
    rtc = PexRTC()
    inbox = Inbox(rtc, "onSetup", "onConnect")
    try:
        rtc.makeCall(threaded_node, "meet", "Script", None, "none")
        inbox.wait_for("onSetup")
        rtc.connect()
        inbox.wait_for("onConnect")
        assert rtc.disconnectcall() is None
        assert rtc.uuid is not None
    finally:
        rtc.disconnect()
