"""PexRTC fixtures: a lab node, recorded participants and a joined session (roster-only).

``tests/pexrtc/conftest.py`` makes these fixtures available to its tests;
tests import the types (:data:`Join`, :class:`~tests.support.recorder.Recorder`)
from here, never from a conftest.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any

import pytest

from appliance import PexRTC
from appliance.labnode.app import LabNode
from appliance.pexrtc.sync import LoopThread
from tests.support.recorder import WAIT, Recorder

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
