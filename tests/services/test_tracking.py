"""Speaker tracking against the fake room: which presets it recalls, when, and when it keeps still."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from appliance.config.array import SeatZone, TrackingSpec
from appliance.services.clock import ManualClock
from appliance.services.room_api import CommandResult, RecallPreset, RoomState, SpeechDirection
from appliance.services.tracking import SpeakerTracker, run_speaker_tracking
from tests.support.room import FakeRoom

LEFT, CENTRE, RIGHT = -50.0, 0.0, 50.0
SPEC = TrackingSpec(
    zones=(
        SeatZone("left", -75.0, -25.0, 1),
        SeatZone("centre", -25.0, 25.0, 2),
        SeatZone("right", 25.0, 75.0, 3),
    ),
    wide_preset=0,
    dwell_s=1.5,
    hysteresis_deg=8.0,
    hysteresis_s=0.5,
    hold_off_s=10.0,
    min_confidence=0.3,
    window_s=8.0,
    gap_s=0.8,
)
RATE_HZ = 5.0  # what the array publishes while someone talks


class Meeting:
    """A fake room with tracking running on a clock the test moves."""

    def __init__(self, room: FakeRoom) -> None:
        self.room = room
        self.clock = ManualClock(datetime(2026, 12, 4, 9, 0, tzinfo=UTC))

    @property
    def now(self) -> float:
        return self.clock.monotonic()

    async def settle(self) -> None:
        for _ in range(5):
            await asyncio.sleep(0)

    async def speak(self, azimuth: float, seconds: float, confidence: float = 0.8) -> None:
        for _ in range(round(seconds * RATE_HZ)):
            await self.clock.advance(1 / RATE_HZ)
            self.room.emit(SpeechDirection(azimuth, confidence))
            await self.settle()

    async def set_state(self, **changes: object) -> None:
        self.room.set_state(**changes)
        await self.settle()

    @property
    def presets(self) -> list[int]:
        return [c.preset for c in self.room.commands if isinstance(c, RecallPreset)]


async def _meeting(spec: TrackingSpec, state: RoomState) -> AsyncIterator[Meeting]:
    meeting = Meeting(FakeRoom(state))
    task = asyncio.create_task(run_speaker_tracking(meeting.room, spec, clock=meeting.clock))
    await meeting.settle()
    try:
        yield meeting
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


@pytest.fixture
async def meeting() -> AsyncIterator[Meeting]:
    async for m in _meeting(SPEC, RoomState(speaker_tracking=True)):
        yield m


@pytest.fixture
async def slow_meeting() -> AsyncIterator[Meeting]:
    async for m in _meeting(dataclasses.replace(SPEC, hysteresis_s=4.0), RoomState(speaker_tracking=True)):
        yield m


async def test_tracking_recalls_nothing_before_the_dwell(meeting: Meeting) -> None:
    await meeting.speak(LEFT, 1.2)
    assert meeting.presets == []


async def test_tracking_talker_moving_zone_to_zone_recalls_each_preset_after_the_dwell(
    meeting: Meeting,
) -> None:
    await meeting.speak(LEFT, 1.8)
    assert meeting.presets == [1]
    await meeting.speak(CENTRE, 1.2)
    assert meeting.presets == [1]
    await meeting.speak(CENTRE, 0.8)
    assert meeting.presets == [1, 2]
    await meeting.speak(RIGHT, 2.0)
    assert meeting.presets == [1, 2, 3]


async def test_tracking_commands_say_they_come_from_tracking(meeting: Meeting) -> None:
    await meeting.speak(RIGHT, 2.0)
    assert meeting.room.commands == [RecallPreset(3, source="tracking")]


async def test_tracking_alternating_talkers_within_the_hysteresis_do_not_move_the_camera(
    meeting: Meeting,
) -> None:
    await meeting.speak(20.0, 2.0)  # centre
    for _ in range(5):  # 30° is in "right", but within 8° of centre's edge
        await meeting.speak(30.0, 1.6)
        await meeting.speak(20.0, 1.6)
    assert meeting.presets == [2]


async def test_tracking_two_zones_taking_turns_get_the_wide_preset(meeting: Meeting) -> None:
    for _ in range(2):
        await meeting.speak(LEFT, 1.0)
        await meeting.speak(RIGHT, 1.0)
    assert meeting.presets == [0]


async def test_tracking_no_two_moves_closer_than_hysteresis_s(slow_meeting: Meeting) -> None:
    await slow_meeting.speak(LEFT, 2.0)  # moved at 1.6 s
    await slow_meeting.speak(CENTRE, 3.4)  # centre holds from 3.6 s on, too soon after the last move
    assert slow_meeting.presets == [1]
    await slow_meeting.speak(CENTRE, 0.6)  # 4 s after the first move
    assert slow_meeting.presets == [1, 2]


async def test_tracking_fecc_in_progress_suspends_tracking(meeting: Meeting) -> None:
    await meeting.set_state(fecc_active=True)
    await meeting.speak(LEFT, 4.0)
    assert meeting.presets == []


async def test_tracking_waits_the_hold_off_after_fecc_ends(meeting: Meeting) -> None:
    await meeting.set_state(fecc_active=True)
    await meeting.set_state(fecc_active=False)
    await meeting.speak(LEFT, 9.0)
    assert meeting.presets == []
    await meeting.speak(LEFT, 1.2)
    assert meeting.presets == [1]


async def test_tracking_waits_the_hold_off_after_a_person_recalls_a_preset(meeting: Meeting) -> None:
    await meeting.speak(LEFT, 2.0)
    await meeting.set_state(camera_moved_at=meeting.now)  # a preset button
    await meeting.speak(RIGHT, 9.6)
    assert meeting.presets == [1]
    await meeting.speak(RIGHT, 0.6)
    assert meeting.presets == [1, 3]


async def test_tracking_after_a_manual_move_recalls_even_the_same_zone_again(meeting: Meeting) -> None:
    await meeting.speak(LEFT, 2.0)
    await meeting.set_state(camera_moved_at=meeting.now)
    await meeting.clock.advance(11.0)
    await meeting.speak(LEFT, 2.0)
    assert meeting.presets == [1, 1]


async def test_tracking_switched_off_recalls_nothing() -> None:
    async for meeting in _meeting(SPEC, RoomState(speaker_tracking=False)):
        await meeting.speak(LEFT, 3.0)
        assert meeting.presets == []


async def test_tracking_switched_on_by_state_starts_tracking() -> None:
    async for meeting in _meeting(SPEC, RoomState(speaker_tracking=False)):
        await meeting.set_state(speaker_tracking=True)
        await meeting.speak(LEFT, 2.0)
        assert meeting.presets == [1]


async def test_tracking_ignores_low_confidence_directions(meeting: Meeting) -> None:
    await meeting.speak(LEFT, 3.0, confidence=0.1)
    assert meeting.presets == []


async def test_tracking_ignores_speech_outside_every_zone(meeting: Meeting) -> None:
    await meeting.speak(120.0, 3.0)
    assert meeting.presets == []


async def test_tracking_one_stray_estimate_does_not_break_a_turn(meeting: Meeting) -> None:
    await meeting.speak(LEFT, 0.8)
    await meeting.speak(RIGHT, 0.2)  # one estimate from elsewhere (a cough, a reflection)
    await meeting.speak(LEFT, 0.8)
    assert meeting.presets == [1]


async def test_tracking_refused_recall_does_not_stop_tracking(meeting: Meeting) -> None:
    meeting.room.answer = lambda _command: CommandResult(False, "camera busy")
    await meeting.speak(LEFT, 2.0)
    await meeting.speak(RIGHT, 2.0)
    assert meeting.presets == [1, 3]


async def test_tracker_without_wide_preset_follows_each_long_turn() -> None:
    clock = ManualClock(datetime(2026, 12, 4, 9, 0, tzinfo=UTC))
    tracker = SpeakerTracker(dataclasses.replace(SPEC, wide_preset=None), clock=clock)
    tracker.observe_state(RoomState(speaker_tracking=True))
    recalled = []
    for azimuth in (LEFT, RIGHT, LEFT):
        for _ in range(10):
            await clock.advance(0.2)
            command = tracker.observe(SpeechDirection(azimuth, 0.9))
            if command is not None:
                recalled.append(command.preset)
    assert recalled == [1, 3, 1]


async def test_tracker_says_why_it_is_suspended() -> None:
    clock = ManualClock(datetime(2026, 12, 4, 9, 0, tzinfo=UTC))
    tracker = SpeakerTracker(SPEC, clock=clock)
    assert tracker.suspended() == "off"
    tracker.observe_state(RoomState(speaker_tracking=True, fecc_active=True))
    assert tracker.suspended() == "far-end camera control"
    tracker.observe_state(RoomState(speaker_tracking=True))
    assert tracker.suspended() == "hold-off"
    await clock.advance(10.5)
    assert tracker.suspended() == ""
