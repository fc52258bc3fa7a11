"""N-channel capture: the virtual array through PyAV, the channel map, directions on the loop."""

from __future__ import annotations

import asyncio

import av
import numpy as np
import pytest

from appliance.errors import MediaError
from appliance.media.array_capture import ArrayCaptureTrack, open_array_capture
from appliance.media.array_front import ArrayFrontEnd
from appliance.media.engine import MediaCall
from appliance.media.mic_array import ArraySetup, DirectionFeed
from appliance.media.plan import CallType, MediaSettings
from appliance.media.processing import ProcessingSettings
from appliance.media.sources import DeviceSpec
from tests.support.array import FOUR_MIC, angle_error
from tests.support.media import FakeFarEnd
from tests.support.waiting import eventually

NO_PROCESSING = ProcessingSettings(False, False, False)


def _array_spec(
    device: str = "talker:40", feed: DirectionFeed | None = None, channels: int = 6
) -> DeviceSpec:
    setup = ArraySetup(FOUR_MIC, channels, (1, 2, 3, 4), directions=feed)
    return DeviceSpec("audio", "virtual", device, array=setup)


async def _open(spec: DeviceSpec) -> ArrayCaptureTrack:
    assert spec.array is not None
    return await open_array_capture(spec, ArrayFrontEnd(spec.array, NO_PROCESSING))


async def test_array_capture_delivers_one_mono_voice_in_20ms_frames() -> None:
    track = await _open(_array_spec())
    try:
        frames = [await asyncio.wait_for(track.recv(), 5) for _ in range(5)]
    finally:
        track.stop()
    assert all(isinstance(f, av.AudioFrame) for f in frames)
    assert {(f.layout.name, f.format.name, f.sample_rate, f.samples) for f in frames} == {
        ("mono", "s16", 48000, 960)
    }
    assert [f.pts for f in frames] == [0, 960, 1920, 2880, 3840]


async def test_array_capture_reads_every_device_channel_and_keeps_levels() -> None:
    track = await _open(_array_spec())
    try:
        for _ in range(25):
            await asyncio.wait_for(track.recv(), 5)
    finally:
        track.stop()
    assert track.channels_found == 6
    levels = track.levels
    # channels 0 and 5 are not microphones on this board: the virtual array leaves them silent
    assert levels[0] == 0.0 and levels[5] == 0.0 and min(levels[1:5]) > 0.0


async def test_array_capture_publishes_directions_on_the_loop() -> None:
    feed = DirectionFeed()
    estimates = feed.subscribe()
    track = await _open(_array_spec("talker:40", feed))
    drain = asyncio.create_task(_drain(track))
    try:
        found = [await asyncio.wait_for(anext(estimates), 5) for _ in range(4)]
    finally:
        track.stop()
        drain.cancel()
    assert np.median([angle_error(e.azimuth_deg, 40.0) for e in found]) <= 10.0
    assert feed.latest is found[-1]


async def _drain(track: ArrayCaptureTrack) -> None:
    while True:
        await track.recv()


async def test_array_capture_unknown_virtual_room_is_refused_by_name() -> None:
    with pytest.raises(MediaError, match="unknown virtual array scene 'office'"):
        await _open(_array_spec("office"))


async def test_array_capture_channel_map_outside_the_device_is_refused() -> None:
    with pytest.raises(ValueError, match=r"mic_channels \(1, 2, 3, 4\) outside 0..3"):
        _array_spec(channels=4)


async def test_array_capture_wrong_channel_count_names_both_counts() -> None:
    # a board that delivers 8 channels where the profile declares 6
    spec = DeviceSpec(
        "audio", "virtual", "talker:0", {"channels": "8"}, array=ArraySetup(FOUR_MIC, 6, (1, 2, 3, 4))
    )
    with pytest.raises(MediaError, match=r"delivers 8 channels; the profile's \[audio_array\] channels = 6"):
        await _open(spec)


@pytest.mark.media
async def test_array_call_sends_the_beam_and_feeds_the_far_end_to_the_array(far_end: FakeFarEnd) -> None:
    settings = MediaSettings(audio_source=_array_spec(), video_source=None, processing=ProcessingSettings())
    settings.call_type = CallType.AUDIOONLY
    call = MediaCall(far_end, settings)
    try:
        await call.start(CallType.AUDIOONLY)
        await eventually(lambda: far_end.received.get("0") is not None and far_end.received["0"].frames > 20)
        assert call.array_front is not None and call.processor is None
        await eventually(lambda: call.array_front is not None and call.array_front.capture_blocks > 20)
    finally:
        await call.close()


@pytest.mark.media
async def test_mono_call_keeps_todays_processor_and_no_array(far_end: FakeFarEnd) -> None:
    mono = DeviceSpec("audio", "lavfi", "sine=frequency=440:sample_rate=48000")
    call = MediaCall(
        far_end, MediaSettings(audio_source=mono, video_source=None, processing=ProcessingSettings())
    )
    try:
        await call.start(CallType.AUDIOONLY)
        await eventually(lambda: far_end.received.get("0") is not None and far_end.received["0"].frames > 20)
        assert call.array_front is None and call.processor is not None
        assert call.processor.capture_chunks > 0
    finally:
        await call.close()
