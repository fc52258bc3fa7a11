"""Recorders: what a PexRTC reported (:class:`Recorder`), what an Infinity session delivered (:class:`EventLog`).

Pass a recorder as ``Conference(emit=recorder)``, or attach it to a
:class:`~appliance.PexRTC` with ``Recorder(rtc)``; tests then wait for the
callbacks they expect. Each ``wait_for`` consumes the callback it returns,
so two waits for ``onConnect`` return the first and the second; a wait that
runs out fails naming the callback and listing every one seen.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from appliance import PexRTC
from appliance.pexrtc.facade import CALLBACKS

WAIT = 20.0


def _any(*args: Any) -> bool:
    return True


class Recorder:
    """Records every callback; ``wait_for`` hands each out once."""

    def __init__(self, rtc: PexRTC | None = None) -> None:
        self.rtc = rtc
        self.events: list[tuple[str, tuple[Any, ...]]] = []
        self._used: set[int] = set()
        self._changed = asyncio.Event()
        if rtc is not None:
            for name in CALLBACKS:
                setattr(rtc, name, self._handler(name))

    def __call__(self, name: str, *args: Any) -> None:
        """The emit function of :class:`appliance.pexrtc.core.Conference`."""
        self.events.append((name, args))
        self._changed.set()

    def _handler(self, name: str) -> Callable[..., Awaitable[None]]:
        async def handler(*args: Any) -> None:
            self(name, *args)

        return handler

    def _find(self, name: str, where: Callable[..., bool]) -> int | None:
        for index, (event, args) in enumerate(self.events):
            if index not in self._used and event == name and where(*args):
                return index
        return None

    async def wait_for(
        self, name: str, where: Callable[..., bool] = _any, within: float = WAIT
    ) -> tuple[Any, ...]:
        """The first not yet consumed ``name`` callback whose arguments satisfy ``where``."""
        try:
            async with asyncio.timeout(within):
                while (index := self._find(name, where)) is None:
                    self._changed.clear()
                    await self._changed.wait()
        except TimeoutError:
            raise AssertionError(f"no {name} within {within:g} s; callbacks so far: {self.names()}") from None
        self._used.add(index)
        return self.events[index][1]

    def mark_seen(self) -> None:
        """Consume every callback recorded so far: later waits see only what happens next."""
        self._used.update(range(len(self.events)))

    def names(self) -> list[str]:
        return [name for name, _ in self.events]

    def count(self, name: str) -> int:
        return self.names().count(name)


class EventLog:
    """Typed Infinity events as a session or registration delivers them (``session.subscribe(log)``).

    Unlike :class:`Recorder` it does not consume: ``wait_for`` returns the
    first event so far that matches, and :attr:`events` keeps them all for
    assertions on order and count.
    """

    def __init__(self) -> None:
        self.events: list[Any] = []

    def __call__(self, event: Any) -> None:
        self.events.append(event)

    def names(self) -> list[str]:
        return [event.name or type(event).__name__ for event in self.events]

    async def wait_for(self, predicate: Callable[[Any], bool], within: float = 5.0) -> Any:
        """The first event that satisfies ``predicate``, waiting up to ``within`` s for it."""
        try:
            async with asyncio.timeout(within):
                while True:
                    for event in self.events:
                        if predicate(event):
                            return event
                    await asyncio.sleep(0.005)
        except TimeoutError:
            raise AssertionError(
                f"no matching event within {within:g} s; events so far: {self.names()}"
            ) from None
