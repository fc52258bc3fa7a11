"""Hardware profile sections become the media engine's devices."""

from __future__ import annotations

import asyncio
import dataclasses
import time
from pathlib import Path

import av
import numpy as np
import pytest

from appliance.config.profile import CaptureSpec, PlaybackSpec, load_profile
from appliance.media.encoders import current_selection, uninstall_codecs
from appliance.media.mic_array import DirectionEstimate, DirectionFeed
from appliance.media.sources import open_capture
from appliance.services.devices import (
    capture_device,
    install_profile_codecs,
    microphone_device,
    playback_output,
    speech_directions,
)
from appliance.services.room_api import SpeechDirection


def test_devices_capture_section_maps_to_a_device_spec() -> None:
    spec = capture_device("video", load_profile("rpi4-usbcam").video_capture)
    assert (spec.kind, spec.format, spec.device) == ("video", "v4l2", "/dev/video0")
    assert spec.options == {"input_format": "mjpeg", "video_size": "1280x720", "framerate": "30"}


def test_devices_ci_virtual_capture_opens_the_test_source() -> None:
    capture = load_profile("ci-virtual").video_capture
    with av.open(capture.device, format=capture.format, options=dict(capture.options)) as container:
        frame = next(container.decode(video=0))
    assert (frame.width, frame.height) == (1280, 720)


async def test_devices_ci_virtual_sends_the_ptz_view_of_its_test_source() -> None:
    spec = capture_device("video", load_profile("ci-virtual").video_capture, view=lambda: (0.5, 0.0, 0.0))
    track = await open_capture(spec)
    try:
        frame = await track.recv()
        assert (frame.width, frame.height) == (640, 360)
    finally:
        track.stop()


def test_devices_file_playback_writes_a_wav_file(tmp_path: Path) -> None:
    target = tmp_path / "speaker.wav"
    output = playback_output(PlaybackSpec(format="file", device=str(target)))
    tone = (np.sin(np.arange(960) / 10.0) * 8000).astype(np.int16).reshape(1, -1)
    frame = av.AudioFrame.from_ndarray(tone, format="s16", layout="mono")
    frame.sample_rate = 48000
    for _ in range(10):
        output.write(frame)
    deadline = time.monotonic() + 5
    while output.written < 10 and time.monotonic() < deadline:
        time.sleep(0.01)
    output.close()
    with av.open(str(target)) as container:
        samples = sum(f.samples for f in container.decode(audio=0))
    assert samples >= 9600


def test_devices_null_playback_consumes_every_frame_written() -> None:
    output = playback_output(PlaybackSpec(format="null"))
    frame = av.AudioFrame.from_ndarray(np.zeros((1, 960), np.int16), format="s16", layout="mono")
    frame.sample_rate = 48000
    for _ in range(5):
        output.write(frame)
    deadline = time.monotonic() + 5
    while output.written < 5 * 960 and time.monotonic() < deadline:
        time.sleep(0.01)
    output.close()
    assert output.written == 5 * 960  # samples encoded and muxed into FFmpeg's null sink


def test_devices_capture_keeps_options_as_given() -> None:
    spec = capture_device("audio", CaptureSpec("alsa", "hw:1", {"sample_rate": "48000"}))
    assert spec.options == {"sample_rate": "48000"}


def test_devices_profile_vp8_decoder_preference_is_installed() -> None:
    profile = load_profile("ci-virtual")
    decoders = {**profile.decoders, "vp8": ("libvpx",)}  # not the engine's default order
    try:
        install_profile_codecs(dataclasses.replace(profile, decoders=decoders))
        selection = current_selection()
        assert selection is not None
        assert selection.vp8_decoder.name == "libvpx"
        assert selection.h264_decoder.name == "h264"
    finally:
        uninstall_codecs()


def test_devices_profile_vp8_decoder_falls_back_with_the_reason(caplog: pytest.LogCaptureFixture) -> None:
    profile = load_profile("ci-virtual")
    decoders = {**profile.decoders, "vp8": ("vp8_v4l2m2m", "vp8")}
    try:
        with caplog.at_level("WARNING", logger="appliance.media.decoders"):
            install_profile_codecs(dataclasses.replace(profile, decoders=decoders))
        selection = current_selection()
        assert selection is not None and selection.vp8_decoder.name == "vp8"
        assert dict(selection.vp8_decoder.rejected).keys() == {"vp8_v4l2m2m"}
        assert any(r.getMessage() == "vp8 decoder fallback" for r in caplog.records)
    finally:
        uninstall_codecs()


def test_devices_mono_profile_microphone_is_todays_capture_device() -> None:
    profile = load_profile("rpi4-usbcam")
    spec = microphone_device(profile)
    assert spec == capture_device("audio", profile.audio_capture)
    assert spec.array is None


def test_devices_array_profile_microphone_is_the_array_in_metres() -> None:
    spec = microphone_device(load_profile("ci-virtual"))
    assert (spec.format, spec.device) == ("virtual", "meeting")
    assert spec.array is not None
    assert spec.array.channels == 6 and spec.array.mic_channels == (1, 2, 3, 4)
    assert spec.array.geometry.positions_m[1] == (0.032, 0.0)
    assert spec.array.geometry.steerable


async def test_devices_speech_directions_become_room_events() -> None:
    feed = DirectionFeed()
    events = speech_directions(feed)
    pending = asyncio.ensure_future(anext(events))
    await asyncio.sleep(0)
    feed.publish(DirectionEstimate(-42.0, 0.7))
    assert await asyncio.wait_for(pending, 1) == SpeechDirection(-42.0, 0.7)
