"""systemd's notify protocol for the room daemon: READY, STATUS, WATCHDOG and STOPPING.

Through the maintained ``sdnotify`` package (no socket code of ours). The
rules (docs/daemon.md, "systemd"):

* ``READY=1`` only once the site file is loaded and the devices checked, so
  ``systemctl start`` and units ordered after ours wait for a room that
  knows what it is;
* ``STATUS=`` follows the room's call state, so ``systemctl status
  appliance`` says "in-call: meet" or "waiting-to-rejoin: network";
* ``WATCHDOG=1`` is sent by a task *on the event loop itself*: a loop that
  stalls (a blocking call, a busy coroutine) stops the keep-alives and
  systemd restarts the process after ``WatchdogSec``;
* ``STOPPING=1`` as soon as SIGTERM arrives, before the clean leave.

Without ``NOTIFY_SOCKET`` (run by hand, in tests) every call does nothing.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Mapping

import sdnotify

from appliance.log import get_logger
from appliance.services.room_api import RoomState

log = get_logger(__name__)


def keepalive_interval(environ: Mapping[str, str] | None = None) -> float | None:
    """Half of systemd's ``WatchdogSec`` (from ``WATCHDOG_USEC``), or None when no watchdog asks.

    ``WATCHDOG_PID`` names the process the watchdog is meant for; another
    process (a child that inherited the environment) must not answer for it.
    """
    env = os.environ if environ is None else environ
    usec = env.get("WATCHDOG_USEC")
    if not usec:
        return None
    pid = env.get("WATCHDOG_PID")
    if pid and pid != str(os.getpid()):
        return None
    try:
        seconds = int(usec) / 1_000_000
    except ValueError:
        log.warning("WATCHDOG_USEC is not a number: %r; no keep-alives", usec)
        return None
    return seconds / 2 if seconds > 0 else None


def status_line(state: RoomState) -> str:
    """What ``systemctl status`` shows, e.g. ``in-call: meet`` or ``error: <what is wrong>``."""
    details = []
    if state.meeting.alias:
        details.append(state.meeting.alias)
    if state.recovering:
        details.append(f"recovering {state.recovering}")
    if state.setup_missing:
        details.append("needs " + ", ".join(state.setup_missing))
    if state.error is not None:
        details.append(state.error.message)
    return state.call.value + (": " + " | ".join(details) if details else "")


class Notifier:
    """One process's messages to systemd."""

    def __init__(self, interval_s: float | None = None) -> None:
        self._notifier = sdnotify.SystemdNotifier()
        self.enabled = bool(os.environ.get("NOTIFY_SOCKET"))
        self.interval_s = interval_s if interval_s is not None else keepalive_interval()
        self._last_status = ""
        self._task: asyncio.Task[None] | None = None
        self.keepalives = 0

    def _send(self, message: str) -> None:
        if self.enabled:
            self._notifier.notify(message)

    def ready(self, state: RoomState) -> None:
        self._last_status = status_line(state)
        self._send(f"READY=1\nSTATUS={self._last_status}")
        log.info("ready", extra={"context": {"event": "daemon.ready", "status": self._last_status}})

    def status(self, state: RoomState) -> None:
        line = status_line(state)
        if line != self._last_status:
            self._last_status = line
            self._send(f"STATUS={line}")

    def stopping(self, why: str) -> None:
        self._send(f"STOPPING=1\nSTATUS=stopping: {why}")

    def start_keepalives(self) -> None:
        """Send WATCHDOG=1 from the event loop every ``interval_s`` until stopped."""
        if self.interval_s is None or self._task is not None:
            return
        self._task = asyncio.get_running_loop().create_task(self._keepalive(self.interval_s), name="watchdog")

    async def _keepalive(self, interval: float) -> None:
        while True:
            self._send("WATCHDOG=1")
            self.keepalives += 1
            await asyncio.sleep(interval)

    async def stop_keepalives(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
