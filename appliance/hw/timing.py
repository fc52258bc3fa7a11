"""Time for the hardware layer, passed in (docs/hardware.md, "Time").

Gestures, LED blinking, the FECC stop-by-timeout and the VISCA reconnect
back-off read time from a clock they are given, never from ``time``
directly, so unit tests move a manual clock instead of sleeping. The
protocol is deliberately the ``monotonic()`` + ``sleep()`` part of the room
controller's clock: the controller passes its own clock straight in.
"""

from __future__ import annotations

import asyncio
import time
from typing import Protocol


class Clock(Protocol):
    def monotonic(self) -> float:
        """Seconds on a clock that never jumps."""
        ...

    async def sleep(self, seconds: float) -> None:
        """Wait ``seconds`` on this clock."""
        ...


class SystemClock:
    """The real clock: ``time.monotonic`` and ``asyncio.sleep``."""

    def monotonic(self) -> float:
        return time.monotonic()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds))


SYSTEM_CLOCK = SystemClock()
