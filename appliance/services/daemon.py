"""``appliance run``: the room as a long-running process under systemd.

One asyncio process: the site file, one :class:`RoomController`, the
notify protocol (:mod:`appliance.services.watchdog`) and the signals.

* It always starts. A missing site file or one without a meeting gives the
  set-up state; a broken one with no good one before it gives the ERROR
  state with the loader's exact message (file, key, expected, found). Both
  say READY=1: systemd has a healthy process showing what to fix, not a
  crash loop.
* The site file is read again on SIGHUP and when it changes on disk. A
  broken edit keeps the last good file running and says what is wrong (log
  line, ``ErrorRaised``, STATUS=); a good edit is taken (leave, start over).
* SIGTERM / SIGINT: ``STOPPING=1``, then a clean leave (token released,
  media hung up) within systemd's stop timeout, exit 0.

docs/daemon.md has the unit, the states and the journalctl recipes.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from dataclasses import dataclass
from pathlib import Path

from appliance.config.profile import HwProfile, load_profile
from appliance.config.site import ConferenceConfig, JoinPolicy, NodeConfig, SiteConfig, load_site
from appliance.errors import ConfigError
from appliance.log import get_logger
from appliance.services.clock import SYSTEM_CLOCK, Clock
from appliance.services.controller import RoomController
from appliance.services.room_api import StateChanged
from appliance.services.watchdog import Notifier

log = get_logger(__name__)


@dataclass(frozen=True, slots=True)
class SiteRead:
    site: SiteConfig | None
    problem: str = ""  # the loader's message when the file cannot be used
    stamp: tuple[float, int] | None = None  # (mtime, size) read


def unconfigured(path: Path, profile: str) -> SiteConfig:
    """The site of a room with nothing configured (its state says what is missing)."""
    return SiteConfig(
        file=path,
        profile=profile,
        node=NodeConfig(url=""),
        conference=ConferenceConfig(alias="", display_name=""),
        join=JoinPolicy(),
    )


def _stamp(path: Path) -> tuple[float, int] | None:
    try:
        info = path.stat()
    except OSError:
        return None
    return (info.st_mtime, info.st_size)


def read_site(path: Path) -> SiteRead:
    stamp = _stamp(path)
    if stamp is None:
        return SiteRead(None, f"{path}: no site file there (write one; see README, Configuration reference)")
    try:
        return SiteRead(load_site(path), stamp=stamp)
    except ConfigError as exc:
        return SiteRead(None, str(exc), stamp)


class Daemon:
    def __init__(
        self,
        site_path: Path,
        *,
        fallback_profile: str = "ci-virtual",
        notifier: Notifier | None = None,
        clock: Clock = SYSTEM_CLOCK,
        reload_poll_s: float = 2.0,
    ) -> None:
        self.site_path = site_path
        self.fallback_profile = fallback_profile
        self.notifier = notifier or Notifier()
        self.clock = clock
        self.reload_poll_s = reload_poll_s
        self.room: RoomController | None = None
        self._stop = asyncio.Event()
        self._stop_reason = ""
        self._reload = asyncio.Event()
        self._good: SiteConfig | None = None
        self._stamp: tuple[float, int] | None = None

    def request_stop(self, why: str) -> None:
        if not self._stop.is_set():
            self._stop_reason = why
            self.notifier.stopping(why)
            log.info("stopping: %s", why, extra={"context": {"event": "daemon.stopping", "why": why}})
            self._stop.set()

    def request_reload(self) -> None:
        self._reload.set()

    async def run(self) -> int:
        first = read_site(self.site_path)
        self._stamp = first.stamp
        self._good = first.site
        profile = self._profile(first)
        site = first.site or unconfigured(self.site_path, profile.name)
        room = self.room = RoomController(site, profile, clock=self.clock)
        loop = asyncio.get_running_loop()
        follower = loop.create_task(self._follow(room), name="daemon-status")
        signals = {signal.SIGTERM: "SIGTERM", signal.SIGINT: "SIGINT"}
        for signum, name in signals.items():  # before start: a SIGTERM mid-join is a clean stop too
            loop.add_signal_handler(signum, self.request_stop, name)
        loop.add_signal_handler(signal.SIGHUP, self.request_reload)
        try:
            await room.start()
            if first.problem and first.stamp is not None:
                log.error("site file rejected: %s", first.problem)
                room.configuration_problem(first.problem, usable=False)
            elif first.problem:
                log.warning("%s", first.problem)
            if not self._stop.is_set():  # a SIGTERM during start: straight to the clean stop
                self.notifier.ready(room.state)
                self.notifier.start_keepalives()
                await self._serve()
        finally:
            await self.notifier.stop_keepalives()
            await room.stop()
            for signum in (*signals, signal.SIGHUP):
                loop.remove_signal_handler(signum)
            follower.cancel()
            await asyncio.gather(follower, return_exceptions=True)
        log.info("stopped", extra={"context": {"event": "daemon.stopped", "why": self._stop_reason}})
        return 0

    def _profile(self, first: SiteRead) -> HwProfile:
        name = first.site.profile if first.site is not None else self.fallback_profile
        return load_profile(name)

    async def _follow(self, room: RoomController) -> None:
        async for event in room.subscribe(maxsize=64):
            if isinstance(event, StateChanged):
                self.notifier.status(event.new)

    async def _serve(self) -> None:
        while not self._stop.is_set():
            waits = [asyncio.ensure_future(self._stop.wait()), asyncio.ensure_future(self._reload.wait())]
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.reload_poll_s):
                    await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
            for wait in waits:
                wait.cancel()
            if self._stop.is_set():
                return
            if self._reload.is_set() or _stamp(self.site_path) != self._stamp:
                self._reload.clear()
                await self.reload()

    async def reload(self) -> None:
        """Read the site file again; keep the last good one when the new one is broken."""
        room = self.room
        assert room is not None
        read = read_site(self.site_path)
        self._stamp = read.stamp
        if read.site is None:
            usable = self._good is not None
            log.error(
                "site file rejected%s: %s",
                "; keeping the last good one" if usable else "",
                read.problem,
                extra={"context": {"event": "daemon.site", "ok": False, "kept": usable}},
            )
            room.configuration_problem(read.problem, usable=usable)
            return
        if read.site == self._good and room.state.error is None:
            return
        self._good = read.site
        log.info("site file loaded", extra={"context": {"event": "daemon.site", "ok": True}})
        await room.reconfigure(read.site)
