"""Capture tracks, the outgoing relay, and the display/playback sinks, without a call."""

from __future__ import annotations

import asyncio
import fractions
import wave
from pathlib import Path

import av
import numpy as np
import pytest

from appliance.errors import MediaError
from appliance.media.handoff import LatestSlot
from appliance.media.sinks import AudioOutput, DisplayConverter, DisplayFrame, VideoSink
from appliance.media.sources import DeviceSpec, OutgoingTrack, open_capture
from tests.support.media import MICROPHONE, ColourTrack, EndingTrack
from tests.support.waiting import eventually


async def test_capture_normalises_audio_to_20ms_s16_mono_48k() -> None:
    track = await open_capture(MICROPHONE)
    try:
        async with asyncio.timeout(5):
            first, second = await track.recv(), await track.recv()
        assert (first.format.name, first.layout.name, first.sample_rate, first.samples) == (
            "s16",
            "mono",
            48000,
            960,
        )
        assert second.pts - first.pts == 960
    finally:
        track.stop()


async def test_capture_limits_a_screen_source_to_screenshare_fps() -> None:
    track = await open_capture(DeviceSpec("video", "lavfi", "testsrc2=size=320x240:rate=30"), max_fps=5)
    try:
        async with asyncio.timeout(5):
            stamps = [(await track.recv()).time for _ in range(4)]
        gaps = np.diff(stamps)
        assert float(np.min(gaps)) > 0.15  # 30 fps would be 0.033 s apart
    finally:
        track.stop()


async def test_open_capture_names_the_device_that_failed() -> None:
    with pytest.raises(MediaError, match="/dev/video99"):
        await open_capture(DeviceSpec("video", "v4l2", "/dev/video99"))


async def test_outgoing_track_mute_holds_back_frames_while_draining_the_source() -> None:
    relay = OutgoingTrack("video", ColourTrack((255, 255, 255)))
    async with asyncio.timeout(5):
        await relay.recv()
        relay.set_muted(True)
        pending = asyncio.ensure_future(relay.recv())
        await eventually(lambda: relay.frames_held >= 3)
        assert not pending.done()
        relay.set_muted(False)
        assert np.asarray((await pending).planes[0]).mean() > 200


async def test_outgoing_track_unmute_calls_on_unmuted_once() -> None:
    calls: list[bool] = []
    relay = OutgoingTrack("video", ColourTrack(), on_unmuted=lambda: calls.append(True))
    relay.set_muted(False)
    relay.set_muted(True)
    relay.set_muted(False)
    relay.set_muted(False)
    assert calls == [True]


async def test_outgoing_track_mute_replaces_frames_with_black_for_rtmp() -> None:
    relay = OutgoingTrack("video", ColourTrack((255, 255, 255)))
    relay.pause_when_muted = False
    async with asyncio.timeout(5):
        assert np.asarray((await relay.recv()).planes[0]).mean() > 200
        assert relay.set_muted(True) is True
        assert np.asarray((await relay.recv()).planes[0]).mean() < 20


async def test_outgoing_track_preview_sees_each_video_frame_sent() -> None:
    seen: list[av.VideoFrame] = []
    relay = OutgoingTrack("video", ColourTrack((255, 255, 255)))
    relay.preview = seen.append
    async with asyncio.timeout(5):
        sent = await relay.recv()
    assert seen == [sent]


async def test_outgoing_track_preview_sees_nothing_while_muted() -> None:
    seen: list[av.VideoFrame] = []
    relay = OutgoingTrack("video", ColourTrack((255, 255, 255)))
    relay.pause_when_muted = False  # black frames still go out (RTMP): the self-view must not show them
    relay.preview = seen.append
    relay.set_muted(True)
    async with asyncio.timeout(5):
        await relay.recv()
    assert seen == []


async def test_outgoing_track_switches_source_on_the_next_frame() -> None:
    relay = OutgoingTrack("video", ColourTrack((255, 255, 255)))
    async with asyncio.timeout(5):
        await relay.recv()
        old = relay.set_source(ColourTrack((0, 0, 0)))
        assert old is not None
        assert np.asarray((await relay.recv()).planes[0]).mean() < 30


async def test_outgoing_track_mute_audio_gives_silence_of_the_same_shape_for_rtmp() -> None:
    source = await open_capture(MICROPHONE)
    relay = OutgoingTrack("audio", source)
    relay.pause_when_muted = False
    try:
        relay.set_muted(True)
        async with asyncio.timeout(5):
            frame = await relay.recv()
        assert frame.samples == 960
        assert not np.any(frame.to_ndarray())
    finally:
        source.stop()


def yuv_frame(rgb: tuple[int, int, int], size: tuple[int, int] = (64, 48)) -> av.VideoFrame:
    pixels = np.empty((size[1], size[0], 3), dtype=np.uint8)
    pixels[:] = rgb
    frame = av.VideoFrame.from_ndarray(pixels, format="rgb24").reformat(format="yuv420p")
    frame.pts, frame.time_base = 0, fractions.Fraction(1, 90000)
    return frame


def test_display_converter_gives_bgra_in_the_requested_size() -> None:
    shown = DisplayConverter().convert(yuv_frame((255, 0, 0)), 32, 24)
    assert (shown.format.name, shown.width, shown.height) == ("bgra", 32, 24)
    b, g, r, _ = np.frombuffer(shown.planes[0], dtype=np.uint8)[:4]
    assert r > 200 and g < 60 and b < 60


async def test_video_sink_hands_over_only_the_newest_frame() -> None:
    slot: LatestSlot[DisplayFrame] = LatestSlot()
    sink = VideoSink("main", slot)
    sink.deliver(yuv_frame((255, 0, 0)))
    sink.deliver(yuv_frame((0, 0, 255)))
    shown = slot.take_nowait()
    assert shown is not None and shown.stream == "main"
    b, _, r, _ = np.frombuffer(shown.frame.planes[0], dtype=np.uint8)[:4]
    assert b > 200 and r < 60
    assert slot.dropped == 1
    assert sink.stats.frames == 2 and sink.stats.resolution == (64, 48)


def test_audio_output_writes_a_wav_file(tmp_path: Path) -> None:
    target = tmp_path / "far-end.wav"
    output = AudioOutput(str(target), "wav", layout="mono")
    frame = av.AudioFrame.from_ndarray(np.full((1, 960), 1000, dtype=np.int16), format="s16", layout="mono")
    frame.sample_rate = 48000
    for _ in range(5):
        output.write(frame)
    output.close()
    with wave.open(str(target)) as recorded:
        assert recorded.getnframes() == 5 * 960
        assert recorded.getframerate() == 48000


def test_audio_output_names_a_device_it_cannot_open() -> None:
    with pytest.raises(MediaError, match="no_such_format"):
        AudioOutput("x", "no_such_format")


async def test_outgoing_track_survives_its_source_ending_and_reports_it() -> None:
    ended: list[object] = []
    first = EndingTrack(1)
    relay = OutgoingTrack("video", first, on_source_ended=ended.append)
    async with asyncio.timeout(5):
        await relay.recv()
        waiting = asyncio.ensure_future(relay.recv())
        await eventually(lambda: bool(ended))
        assert ended == [first] and relay.source is None and relay.readyState == "live"
        relay.set_source(ColourTrack((0, 0, 0)))
        assert np.asarray((await waiting).planes[0]).mean() < 30


async def test_capture_thread_ends_after_stop() -> None:
    track = await open_capture(MICROPHONE)
    async with asyncio.timeout(5):
        await track.recv()
    track.stop()
    assert await asyncio.get_running_loop().run_in_executor(None, track.join, 2.0)


async def test_outgoing_track_survives_a_sender_stopping_it() -> None:
    # aiortc stops its sender's track when the connection closes; the next connection reuses the relay
    relay = OutgoingTrack("video", ColourTrack((255, 255, 255)))
    relay.stop()
    assert relay.readyState == "live"
    async with asyncio.timeout(5):
        assert np.asarray((await relay.recv()).planes[0]).mean() > 200
    relay.close()
    assert relay.readyState == "ended"
