"""A size-one hand-off between a producer and one asyncio consumer.

Media producers (the composition clock, the presentation relay) run at their
own pace and must never be held back by a slow consumer (an encoder that
fell behind): a consumer that misses pictures only ever wants the newest
one, so the slot keeps one value and overwrites it.
"""

from __future__ import annotations

import asyncio
from typing import Generic, TypeVar

T = TypeVar("T")


class SlotClosed(Exception):
    """The slot was closed while a consumer waited; its track is ending."""


class AsyncLatestSlot(Generic[T]):
    """Keeps only the newest value; ``get`` waits for one newer than the last taken.

    For one event loop only; the thread-safe slot between the loop and a
    display thread is :class:`appliance.media.handoff.LatestSlot`.
    """

    def __init__(self) -> None:
        self._value: T | None = None
        self._fresh = False
        self._closed = False
        self._event = asyncio.Event()
        self.dropped = 0

    def put(self, value: T) -> None:
        if self._closed:
            return
        if self._fresh:
            self.dropped += 1
        self._value = value
        self._fresh = True
        self._event.set()

    async def get(self) -> T:
        while not self._fresh:
            if self._closed:
                raise SlotClosed
            self._event.clear()
            await self._event.wait()
        if self._closed:
            raise SlotClosed
        self._fresh = False
        value = self._value
        assert value is not None
        return value

    def close(self) -> None:
        self._closed = True
        self._event.set()

    @property
    def closed(self) -> bool:
        return self._closed
