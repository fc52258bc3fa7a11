"""A clock the test moves by hand (appliance.hw.timing.Clock), so timers run without sleeping."""

from __future__ import annotations

import asyncio


class ManualClock:
    def __init__(self, start: float = 1000.0) -> None:
        self._now = start
        self._moved = asyncio.Condition()

    def monotonic(self) -> float:
        return self._now

    async def sleep(self, seconds: float) -> None:
        until = self._now + max(0.0, seconds)
        async with self._moved:
            await self._moved.wait_for(lambda: self._now >= until)

    async def advance(self, seconds: float) -> None:
        """Move time on and let every task whose sleep has ended run to its next wait."""
        self._now += seconds
        async with self._moved:
            self._moved.notify_all()
        for _ in range(5):
            await asyncio.sleep(0)
