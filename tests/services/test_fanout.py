"""Room events fan out to every subscriber; a slow one loses its oldest, never blocks."""

from __future__ import annotations

import pytest

from appliance.services.fanout import EventFanout
from appliance.services.room_api import MutedByHost


async def test_fanout_delivers_each_event_to_every_subscriber() -> None:
    fanout = EventFanout()
    first, second = fanout.subscribe(), fanout.subscribe()
    fanout.publish(MutedByHost(True))
    assert await anext(first) == MutedByHost(True)
    assert await anext(second) == MutedByHost(True)


async def test_fanout_slow_subscriber_loses_its_oldest_events() -> None:
    fanout = EventFanout()
    slow = fanout.subscribe(maxsize=2)
    for muted in (True, False, True):
        fanout.publish(MutedByHost(muted))
    assert fanout.dropped == 1
    assert [await anext(slow), await anext(slow)] == [MutedByHost(False), MutedByHost(True)]


async def test_fanout_publish_returns_with_a_subscriber_that_never_reads() -> None:
    fanout = EventFanout()
    fanout.subscribe(maxsize=1)
    for _ in range(10_000):
        fanout.publish(MutedByHost(True))
    assert fanout.dropped == 9_999


async def test_fanout_closed_subscription_stops_receiving() -> None:
    fanout = EventFanout()
    events = fanout.subscribe()
    fanout.publish(MutedByHost(True))
    await anext(events)
    await events.aclose()  # type: ignore[attr-defined]
    assert fanout.subscribers == 0


def test_fanout_refuses_a_queue_of_no_size() -> None:
    with pytest.raises(ValueError, match="maxsize"):
        EventFanout().subscribe(maxsize=0)
