"""A fake room: what the panel and the kiosk are tested against (docs/room-api.md).

It implements :class:`appliance.services.room_api.Room` with no node and no
media: commands are recorded (and answered with a result the test chooses),
states and events are pushed by the test, and pictures are whatever the test
puts in. The controller's own tests check the real thing against the same
interface.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator, Callable
from typing import Any

from appliance.services.room_api import (
    ACCEPTED,
    CommandResult,
    Picture,
    RoomCommand,
    RoomEvent,
    RoomState,
    StateChanged,
)


class FakePictures:
    def __init__(self) -> None:
        self.pictures: dict[str, Picture] = {}

    def latest(self, stream: str) -> Picture | None:
        return self.pictures.pop(stream, None)


class FakeRoom:
    def __init__(self, state: RoomState | None = None) -> None:
        self._state = state or RoomState()
        self.commands: list[RoomCommand] = []
        self.answer: Callable[[RoomCommand], CommandResult] = lambda _command: ACCEPTED
        self._queues: list[asyncio.Queue[RoomEvent]] = []
        self._pictures = FakePictures()

    @property
    def state(self) -> RoomState:
        return self._state

    @property
    def pictures(self) -> FakePictures:
        return self._pictures

    async def submit(self, command: RoomCommand) -> CommandResult:
        self.commands.append(command)
        return self.answer(command)

    def subscribe(self, maxsize: int = 256) -> AsyncIterator[RoomEvent]:
        queue: asyncio.Queue[RoomEvent] = asyncio.Queue(maxsize)
        self._queues.append(queue)

        async def events() -> AsyncIterator[RoomEvent]:
            try:
                while True:
                    yield await queue.get()
            finally:
                self._queues.remove(queue)

        return events()

    def emit(self, event: RoomEvent) -> None:
        for queue in self._queues:
            if queue.full():
                queue.get_nowait()
            queue.put_nowait(event)

    def set_state(self, cause: str = "test", **changes: Any) -> RoomState:
        """Replace fields of the state and emit the matching ``StateChanged``."""
        old = self._state
        self._state = dataclasses.replace(old, **changes)
        self.emit(StateChanged(old, self._state, cause))
        return self._state
