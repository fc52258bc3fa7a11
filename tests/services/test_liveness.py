"""Media liveness: a packet counter that stops moving is a stall, on a clock the test moves."""

from __future__ import annotations

from datetime import UTC, datetime

from appliance.services.clock import ManualClock
from appliance.services.liveness import Stall, inbound_packets

NOW = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)


def _stats(audio: int, video: int) -> dict[str, object]:
    return {"incoming": {"audio": {"packets-received": audio}, "video": {"packets-received": video}}}


def test_liveness_inbound_packets_sums_every_incoming_stream() -> None:
    assert inbound_packets(_stats(10, 32)) == 42


def test_liveness_inbound_packets_is_none_before_the_first_sample() -> None:
    assert inbound_packets({}) is None


async def test_liveness_moving_counter_is_no_stall() -> None:
    clock = ManualClock(NOW)
    stall = Stall(clock, timeout_s=3.0)
    for count in range(10):
        await clock.advance(1.0)
        assert not stall.update(count)


async def test_liveness_still_counter_is_a_stall_after_the_timeout() -> None:
    clock = ManualClock(NOW)
    stall = Stall(clock, timeout_s=3.0)
    stall.update(100)
    await clock.advance(2.5)
    assert not stall.update(100)
    await clock.advance(0.5)
    assert stall.update(100)


async def test_liveness_no_samples_at_all_is_a_stall() -> None:
    clock = ManualClock(NOW)
    stall = Stall(clock, timeout_s=3.0)
    await clock.advance(3.0)
    assert stall.update(None)
