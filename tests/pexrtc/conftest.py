"""Fixtures: a lab node, and PexRTC participants whose callbacks are recorded."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any

import pytest

from appliance import PexRTC
from appliance.labnode.app import LabNode
from appliance.pexrtc.facade import CALLBACKS
from appliance.pexrtc.sync import LoopThread

WAIT = 20.0


class Recorder:
    """Records every callback of one PexRTC; tests wait for the ones they expect."""

    def __init__(self, rtc: PexRTC) -> None:
        self.rtc = rtc
        self.events: list[tuple[str, tuple[Any, ...]]] = []
        self._used: set[int] = set()
        self._changed = asyncio.Condition()
        for name in CALLBACKS:
            setattr(rtc, name, self._handler(name))

    def _handler(self, name: str) -> Callable[..., Awaitable[None]]:
        async def handler(*args: Any) -> None:
            async with self._changed:
                self.events.append((name, args))
                self._changed.notify_all()

        return handler

    def _find(self, name: str, where: Callable[..., bool]) -> int | None:
        for index, (event, args) in enumerate(self.events):
            if index not in self._used and event == name and where(*args):
                return index
        return None

    async def wait_for(
        self, name: str, where: Callable[..., bool] = lambda *a: True, within: float = WAIT
    ) -> tuple[Any, ...]:
        """The first not yet consumed ``name`` callback whose arguments satisfy ``where``."""
        async with asyncio.timeout(within), self._changed:
            await self._changed.wait_for(lambda: self._find(name, where) is not None)
            index = self._find(name, where)
            assert index is not None
            self._used.add(index)
            return self.events[index][1]

    def mark_seen(self) -> None:
        """Consume every callback recorded so far: later waits see only what happens next."""
        self._used.update(range(len(self.events)))

    def names(self) -> list[str]:
        return [name for name, _ in self.events]

    def count(self, name: str) -> int:
        return self.names().count(name)


Join = Callable[..., Awaitable[tuple[PexRTC, Recorder]]]


@pytest.fixture
async def node() -> AsyncIterator[LabNode]:
    async with LabNode(host="127.0.0.1", port=0, media=False, dial_answer_delay=0.2) as lab:
        yield lab


@pytest.fixture
async def participant(node: LabNode) -> AsyncIterator[Callable[..., tuple[PexRTC, Recorder]]]:
    """A fresh asyncio-mode PexRTC with a recorder; closed at the end of the test."""
    made: list[PexRTC] = []

    def make(**kwargs: Any) -> tuple[PexRTC, Recorder]:
        rtc = PexRTC(**kwargs)
        made.append(rtc)
        return rtc, Recorder(rtc)

    yield make
    for rtc in made:
        await rtc.close()


@pytest.fixture
async def join(node: LabNode, participant: Callable[..., tuple[PexRTC, Recorder]]) -> Join:
    """Join ``alias`` roster-only as ``name`` (answering a PIN challenge with ``pin``)."""

    async def run(
        alias: str = "meet", name: str = "Alice", pin: str | None = None, **variables: Any
    ) -> tuple[PexRTC, Recorder]:
        rtc, rec = participant()
        for key, value in variables.items():
            setattr(rtc, key, value)
        rtc.makeCall(node.url, alias, name, None, "none")
        await rec.wait_for("onSetup")
        rtc.connect(pin)
        await rec.wait_for("onConnect")
        return rtc, rec

    return run


@pytest.fixture
def threaded_node() -> Iterator[str]:
    """A lab node on its own loop thread, for tests written as plain synchronous scripts."""
    runner = LoopThread(name="labnode-loop")
    lab = LabNode(host="127.0.0.1", port=0, media=False)
    runner.run(lab.start(), timeout=WAIT)
    try:
        yield lab.url
    finally:
        runner.run(lab.close(), timeout=WAIT)
        runner.stop()
