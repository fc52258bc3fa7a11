"""LatestSlot: the display always gets the newest picture, never a backlog."""

from __future__ import annotations

import threading

from appliance.media.handoff import LatestSlot


def test_latest_slot_keeps_only_the_newest_item() -> None:
    slot: LatestSlot[int] = LatestSlot()
    slot.put(1)
    slot.put(2)
    assert slot.take_nowait() == 2
    assert slot.dropped == 1


def test_latest_slot_take_times_out_empty() -> None:
    assert LatestSlot[int]().take(timeout=0.01) is None


def test_latest_slot_wakes_a_waiting_consumer() -> None:
    slot: LatestSlot[str] = LatestSlot()
    got: list[str | None] = []
    consumer = threading.Thread(target=lambda: got.append(slot.take(timeout=5)))
    consumer.start()
    slot.put("frame")
    consumer.join(5)
    assert got == ["frame"]


def test_latest_slot_close_releases_the_consumer_and_ignores_puts() -> None:
    slot: LatestSlot[int] = LatestSlot()
    slot.close()
    slot.put(1)
    assert slot.take(timeout=5) is None
    assert slot.closed
