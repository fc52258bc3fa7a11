"""One back-off type for every retry loop of the appliance.

The client retries requests and reopens its event stream, the session
retries token refreshes, the media engine restarts ICE, and the room
daemon rejoins a lost meeting. Each needs the same four numbers -- the
first delay, how it grows, a cap and some jitter -- so each holds a
:class:`Backoff` instead of its own pair of ``*_initial`` / ``*_max``
fields (docs/infinity-client.md "Retries", docs/media.md "Automatic ICE
restart").

A :class:`Backoff` is a frozen value and pure: :meth:`Backoff.delay` takes
the attempt number and, when there is jitter, a random draw passed in, so
tests compute schedules without sleeping or patching.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Backoff:
    """Delay before attempt ``n`` (1-based): ``first``, growing by ``factor``, at most ``cap``.

    ``linear=True`` grows by ``first`` each attempt instead (``n x first``),
    the shape PexRTC uses for its request retries and event-stream reconnects
    (``n x 500 ms``, ``n x 1 s``). ``jitter`` spreads each delay uniformly
    over ``delay x (1 +- jitter)`` so many rooms restarted by one outage do
    not retry in step; the cap holds after jitter too.
    """

    first: float
    factor: float = 2.0
    cap: float = math.inf
    jitter: float = 0.0
    linear: bool = False

    def __post_init__(self) -> None:
        if self.first < 0:
            raise ValueError(f"Backoff.first: expected 0 or more seconds, found {self.first}")
        if self.factor < 1:
            raise ValueError(f"Backoff.factor: expected 1 or more, found {self.factor}")
        if self.cap < self.first:
            raise ValueError(f"Backoff.cap: expected at least first ({self.first}), found {self.cap}")
        if not 0 <= self.jitter <= 1:
            raise ValueError(f"Backoff.jitter: expected a fraction from 0 to 1, found {self.jitter}")

    def base(self, attempt: int) -> float:
        """The delay before ``attempt`` without the cap or jitter (for give-up rules)."""
        if attempt < 1:
            raise ValueError(f"attempt numbers start at 1, found {attempt}")
        if self.linear:
            return attempt * self.first
        try:
            return float(self.first * self.factor ** (attempt - 1))
        except OverflowError:  # attempt numbers far past any cap
            return math.inf

    def delay(self, attempt: int, draw: Callable[[], float] = random.random) -> float:
        """Seconds to wait before ``attempt``; ``draw`` gives a number in [0, 1) for the jitter."""
        delay = min(self.cap, self.base(attempt))
        if self.jitter:
            delay *= 1 + self.jitter * (2 * draw() - 1)
        return float(min(self.cap, max(0.0, delay)))

    def schedule(self, attempts: int) -> list[float]:
        """The delays before attempts 1..``attempts`` without jitter (for documentation and tests)."""
        return [min(self.cap, self.base(n)) for n in range(1, attempts + 1)]
