"""Room events to every subscriber, without letting a slow one hold up the call.

Each subscriber has its own bounded queue. Publishing never waits: when a
queue is full its oldest event is dropped (and counted) to make room, so a
stalled kiosk or a forgotten iterator costs memory bounded by ``maxsize``
and never blocks the controller (docs/room-api.md, "RoomEvent").
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from appliance.services.room_api import RoomEvent


class _Subscriber:
    __slots__ = ("dropped", "queue")

    def __init__(self, maxsize: int) -> None:
        self.queue: asyncio.Queue[RoomEvent] = asyncio.Queue(maxsize)
        self.dropped = 0


class EventFanout:
    def __init__(self) -> None:
        self._subscribers: list[_Subscriber] = []

    @property
    def subscribers(self) -> int:
        return len(self._subscribers)

    @property
    def dropped(self) -> int:
        """Events dropped so far across the current subscribers (slow ones)."""
        return sum(s.dropped for s in self._subscribers)

    def publish(self, event: RoomEvent) -> None:
        for subscriber in self._subscribers:
            queue = subscriber.queue
            if queue.full():
                queue.get_nowait()
                subscriber.dropped += 1
            queue.put_nowait(event)

    def subscribe(self, maxsize: int = 256) -> AsyncIterator[RoomEvent]:
        """Events published from this call on; the subscription ends when the iterator is closed.

        The queue exists from this call, not from the first ``__anext__``,
        so nothing published in between is missed.
        """
        if maxsize < 1:
            raise ValueError(f"maxsize: expected a whole number >= 1, found {maxsize}")
        subscriber = _Subscriber(maxsize)
        self._subscribers.append(subscriber)
        return self._iterate(subscriber)

    async def _iterate(self, subscriber: _Subscriber) -> AsyncIterator[RoomEvent]:
        try:
            while True:
                yield await subscriber.queue.get()
        finally:
            if subscriber in self._subscribers:
                self._subscribers.remove(subscriber)
