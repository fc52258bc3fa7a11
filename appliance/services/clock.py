"""Time for the room daemon, passed in so timers and the rejoin schedule are tested without sleeping.

The controller, the rejoin policy and the watchdog take a :class:`Clock`
instead of reading ``time`` themselves (docs/daemon.md): unit tests pass a
:class:`ManualClock` and move it, functional tests and the device use
:data:`SYSTEM_CLOCK`.
"""

from __future__ import annotations

import asyncio
import time
from datetime import datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def monotonic(self) -> float:
        """Seconds on a clock that never jumps (durations, deadlines)."""
        ...

    def wall(self) -> datetime:
        """Local wall-clock time with its time zone (the rejoin schedule)."""
        ...

    async def sleep(self, seconds: float) -> None:
        """Wait ``seconds`` on this clock."""
        ...


class SystemClock:
    def monotonic(self) -> float:
        return time.monotonic()

    def wall(self) -> datetime:
        return datetime.now().astimezone()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds))


SYSTEM_CLOCK = SystemClock()


class ManualClock:
    """A clock a test moves by hand; ``sleep`` returns once the test has advanced past it."""

    def __init__(self, wall: datetime, monotonic: float = 1000.0) -> None:
        self._wall = wall
        self._monotonic = monotonic
        self._moved = asyncio.Condition()

    def monotonic(self) -> float:
        return self._monotonic

    def wall(self) -> datetime:
        return self._wall

    async def advance(self, seconds: float) -> None:
        self._monotonic += seconds
        self._wall += timedelta(seconds=seconds)
        async with self._moved:
            self._moved.notify_all()
        await asyncio.sleep(0)

    async def sleep(self, seconds: float) -> None:
        until = self._monotonic + max(0.0, seconds)
        async with self._moved:
            await self._moved.wait_for(lambda: self._monotonic >= until)
