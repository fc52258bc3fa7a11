"""The notify protocol: keep-alives come from the event loop, so a stalled loop stops them."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from appliance.services.room_api import CallState, ErrorKind, Meeting, RoomError, RoomState
from appliance.services.watchdog import Notifier, keepalive_interval, status_line
from tests.support.notify import NotifySocket


@pytest.fixture
def notify(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> NotifySocket:
    socket = NotifySocket(tmp_path)
    monkeypatch.setenv("NOTIFY_SOCKET", socket.path)
    return socket


async def test_watchdog_keepalives_stop_while_the_event_loop_is_stalled(notify: NotifySocket) -> None:
    notifier = Notifier(interval_s=0.02)
    notifier.start_keepalives()
    await notify.wait_for(lambda line: line == "WATCHDOG=1")
    notify.drain()
    time.sleep(0.5)  # noqa: ASYNC251 - the stall under test: a blocking call on the loop (25 intervals)
    assert notify.drain() == []
    notify.messages.clear()
    await notify.wait_for(lambda line: line == "WATCHDOG=1", within=5)  # the loop runs again: so do they
    await notifier.stop_keepalives()


async def test_watchdog_ready_carries_the_first_status(notify: NotifySocket) -> None:
    Notifier(interval_s=None).ready(RoomState(call=CallState.IDLE))
    assert notify.drain() == ["READY=1\nSTATUS=idle"]


async def test_watchdog_status_is_sent_only_when_it_changes(notify: NotifySocket) -> None:
    notifier = Notifier(interval_s=None)
    state = RoomState(call=CallState.IN_CALL, meeting=Meeting(alias="meet"))
    notifier.status(state)
    notifier.status(state)
    assert notify.drain() == ["STATUS=in-call: meet"]


async def test_watchdog_stopping_is_said_with_the_reason(notify: NotifySocket) -> None:
    Notifier(interval_s=None).stopping("SIGTERM")
    assert notify.drain() == ["STOPPING=1\nSTATUS=stopping: SIGTERM"]


def test_watchdog_without_notify_socket_sends_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NOTIFY_SOCKET", raising=False)
    notifier = Notifier(interval_s=None)
    notifier.ready(RoomState())
    assert not notifier.enabled


def test_watchdog_interval_is_half_of_watchdog_usec() -> None:
    assert keepalive_interval({"WATCHDOG_USEC": "30000000"}) == 15.0


def test_watchdog_interval_ignores_another_process_watchdog() -> None:
    assert keepalive_interval({"WATCHDOG_USEC": "30000000", "WATCHDOG_PID": str(os.getpid() + 1)}) is None


def test_watchdog_interval_none_without_a_watchdog() -> None:
    assert keepalive_interval({}) is None


def test_watchdog_status_line_names_the_error() -> None:
    state = RoomState(call=CallState.ERROR, error=RoomError(ErrorKind.CONFIGURATION, "site.toml: bad"))
    assert status_line(state) == "error: site.toml: bad"


def test_needs_attention_message_says_what_to_do() -> None:
    from appliance.services.attention_cli import message

    text = message("appliance.service", ["site.toml: [node] address: expected a node address"])
    assert text.startswith("NEEDS ATTENTION: appliance.service failed repeatedly")
    assert "  site.toml: [node] address" in text
    assert "systemctl reset-failed appliance.service && systemctl start appliance.service" in text
