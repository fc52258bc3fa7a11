"""The whole chain, end to end: the virtual array's room → capture → beamformer and DOA →
speaker tracking → VISCA preset recall → the fake camera turns to the talker."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import pytest

from appliance.config.profile import load_profile
from appliance.media.array_capture import ArrayCaptureTrack, open_array_capture
from appliance.media.array_front import ArrayFrontEnd
from appliance.media.mic_array import DirectionFeed
from appliance.media.processing import ProcessingSettings
from appliance.services.devices import microphone_device, speech_directions
from appliance.services.room_api import RecallPreset, RoomState
from appliance.services.tracking import run_speaker_tracking
from tests.support.ptz_room import PtzRoom
from tests.support.visca import camera_on
from tests.support.waiting import eventually

LEFT_PAN, CENTRE_PAN, RIGHT_PAN = -1200, 0, 1200


async def _drain(track: ArrayCaptureTrack) -> None:
    with contextlib.suppress(Exception):
        while True:
            await track.recv()


async def _forward(feed: DirectionFeed, room: PtzRoom) -> None:
    async for event in speech_directions(feed):
        room.emit(event)


@contextlib.asynccontextmanager
async def _running(*coroutines: object) -> AsyncIterator[None]:
    tasks = [asyncio.ensure_future(c) for c in coroutines]  # type: ignore[arg-type]
    try:
        yield
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


@pytest.mark.media
async def test_tracking_turns_the_fake_visca_camera_to_the_talker_on_the_left() -> None:
    profile = load_profile("ci-virtual")  # its virtual "meeting": a talker at -50° ("left") first
    assert profile.tracking is not None
    async with camera_on("serial") as (fake, camera, _presence):
        for preset, pan in ((1, LEFT_PAN), (2, CENTRE_PAN), (3, RIGHT_PAN)):
            await camera.move_to(pan, 0, 24, 20)
            await camera.preset_store(preset)
        await camera.move_to(CENTRE_PAN, 0, 24, 20)
        room = PtzRoom(camera, RoomState(speaker_tracking=True))
        feed = DirectionFeed()
        spec = microphone_device(profile, feed)
        assert spec.array is not None
        track = await open_array_capture(spec, ArrayFrontEnd(spec.array, ProcessingSettings()))
        try:
            async with _running(
                _drain(track), _forward(feed, room), run_speaker_tracking(room, profile.tracking)
            ):
                await eventually(lambda: fake.position()[0] <= LEFT_PAN + 50)
        finally:
            track.stop()
    assert room.commands[0] == RecallPreset(1, source="tracking")
