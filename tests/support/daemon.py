"""Helpers for the room controller's tests: a site for a lab node, and waiting on room states."""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from appliance.config.profile import HwProfile, PlaybackSpec, load_profile
from appliance.config.secrets import Secrets
from appliance.config.site import ConferenceConfig, JoinPolicy, NodeConfig, SiteConfig
from appliance.services.clock import SystemClock
from appliance.services.controller import RoomController
from appliance.services.liveness import LivenessSettings
from appliance.services.room_api import RoomState

WAIT = 30.0  # generous: two cores shared by several media calls


def lab_site(
    node_url: str,
    alias: str = "meet",
    *,
    name: str = "Room 4",
    call_type: str = "video",
    pin: str | None = None,
    extension: str | None = None,
    identity_provider: str | None = None,
    **join: Any,
) -> SiteConfig:
    """A site file's content for a lab-node room, as the loader would build it."""
    policy = dataclasses.replace(JoinPolicy(backoff_initial_s=0.2, backoff_max_s=1.0), **join)
    return SiteConfig(
        file=Path("test-site.toml"),
        profile="ci-virtual",
        node=NodeConfig(url=node_url),
        conference=ConferenceConfig(
            alias=alias,
            display_name=name,
            call_type=call_type,
            bandwidth_in=512,
            bandwidth_out=512,
            extension=extension,
            identity_provider=identity_provider,
        ),
        join=policy,
        room_name="Test room",
        secrets=Secrets(pin=pin),
    )


class ClockFrom(SystemClock):
    """Real time (sleeps, durations), but the wall clock starts at ``start``.

    A schedule's window opens a few seconds into a test instead of at
    07:00: the room's wait for it is a real wait, only the date is chosen.
    """

    def __init__(self, start: datetime) -> None:
        self._start = start
        self._t0 = time.monotonic()

    def wall(self) -> datetime:
        return self._start + timedelta(seconds=time.monotonic() - self._t0)


class StateWatch:
    """Every state a controller goes through, from the moment it is made."""

    def __init__(self, room: RoomController) -> None:
        self.room = room
        self.states: list[RoomState] = [room.state]
        self.causes: list[str] = []
        self._changed = asyncio.Condition()
        self._events = room.subscribe(maxsize=10_000)
        self.events: list[Any] = []
        self._task = asyncio.get_running_loop().create_task(self._follow())

    async def _follow(self) -> None:
        from appliance.services.room_api import StateChanged

        async for event in self._events:
            async with self._changed:
                self.events.append(event)
                if isinstance(event, StateChanged):
                    self.states.append(event.new)
                    self.causes.append(event.cause)
                self._changed.notify_all()

    async def until(self, predicate: Callable[[RoomState], bool], within: float = WAIT) -> RoomState:
        """Wait until the newest state seen satisfies ``predicate``."""
        async with asyncio.timeout(within), self._changed:
            await self._changed.wait_for(lambda: predicate(self.states[-1]))
        return self.states[-1]

    async def until_event(self, predicate: Callable[[Any], bool], within: float = WAIT) -> Any:
        async with asyncio.timeout(within), self._changed:
            await self._changed.wait_for(lambda: any(predicate(e) for e in self.events))
        return next(e for e in self.events if predicate(e))

    def calls(self) -> list[str]:
        """The call states in order, repeats collapsed."""
        seen: list[str] = []
        for state in self.states:
            if not seen or seen[-1] != state.call.value:
                seen.append(state.call.value)
        return seen

    async def close(self) -> None:
        self._task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)


@asynccontextmanager
async def running_room(
    site: SiteConfig, profile: HwProfile | None = None, **kwargs: Any
) -> AsyncIterator[tuple[RoomController, StateWatch]]:
    """A started controller with a watch on its states; stopped (clean leave) at the end."""
    kwargs.setdefault("liveness", LivenessSettings(timeout_s=2.0, poll_s=0.25, recover_s=10.0))
    room = RoomController(site, profile or load_profile(site.profile), **kwargs)
    watch = StateWatch(room)
    try:
        await room.start()
        yield room, watch
    finally:
        await room.stop()
        await watch.close()


def speaker_file_profile(path: Path, name: str = "ci-virtual") -> HwProfile:
    """A profile whose loudspeaker is a WAV file: what the room played can be measured."""
    return dataclasses.replace(load_profile(name), audio_playback=PlaybackSpec("file", str(path)))


async def fresh_picture(room: RoomController, within: float = WAIT) -> None:
    """Wait for a decoded picture newer than any already waiting: media is flowing now."""
    room.pictures.latest("main")
    async with asyncio.timeout(within):
        while room.pictures.latest("main") is None:  # noqa: ASYNC110 - a LatestSlot has no awaitable side
            await asyncio.sleep(0.05)


def self_uuid(state: RoomState) -> str:
    return next(p.uuid for p in state.participants if p.is_self)
