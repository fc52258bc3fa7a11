"""A panel button can switch speaker tracking on and off (docs/microphone-array.md)."""

from __future__ import annotations

import dataclasses

from appliance.config.profile import GpioSpec
from appliance.services.room_api import CallState, RoomState, SpeakerTracking
from tests.support.panel import ci_gpio, panel_bench
from tests.support.room import FakeRoom


def _tracking_button() -> GpioSpec:
    """ci-virtual's panel with its hand button turned into a speaker-tracking button."""
    gpio = ci_gpio()
    hand = dataclasses.replace(gpio.buttons["hand"], action="speaker_tracking")
    return dataclasses.replace(gpio, buttons={**gpio.buttons, "hand": hand})


async def test_panel_tracking_press_switches_tracking_on() -> None:
    room = FakeRoom(RoomState(call=CallState.IN_CALL, speaker_tracking=False))
    async with panel_bench(room, _tracking_button()) as bench:
        await bench.tap("hand")
        assert bench.room.commands == [SpeakerTracking(True)]


async def test_panel_tracking_press_when_on_switches_it_off() -> None:
    room = FakeRoom(RoomState(call=CallState.IDLE, speaker_tracking=True))
    async with panel_bench(room, _tracking_button()) as bench:
        await bench.tap("hand")
        assert bench.room.commands == [SpeakerTracking(False)]
