"""From a hardware profile to the media engine's devices.

The profile (``hw_profiles/*.toml``) says what the box has in declarative
terms; the media engine takes PyAV device descriptions. This module is the
one place that translates, so the demo and the room daemon open exactly the
same devices the same way.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

from appliance.config.array import ArraySpec
from appliance.config.profile import CaptureSpec, HwProfile, PlaybackSpec
from appliance.media.encoders import CodecSettings, install_codecs
from appliance.media.mic_array import ArrayGeometry, ArraySetup, DirectionFeed
from appliance.media.sinks import AudioOutput
from appliance.media.sources import DeviceSpec
from appliance.media.viewport import ViewSource
from appliance.services.room_api import DeviceRole, DeviceStatus, SpeechDirection

# PyAV output format for each playback kind the profile allows.
_PLAYBACK_FORMATS = {"alsa": "alsa", "pulse": "pulse", "file": "wav", "null": "null"}


def capture_device(kind: str, capture: CaptureSpec, view: ViewSource | None = None) -> DeviceSpec:
    """A profile's capture section as the media engine's device description.

    A ``ptz_view`` (the ``ci-virtual`` profile's virtual PTZ camera) sends a
    window of the picture moved by ``view`` (the fake VISCA camera's
    ``FakeViscaCamera.view``); without one the window stays centred.
    """
    return DeviceSpec(
        kind, capture.format, capture.device, dict(capture.options), view_size=capture.ptz_view, view=view
    )


def array_device(array: ArraySpec, directions: DirectionFeed | None = None) -> DeviceSpec:
    """A profile's ``[audio_array]`` as the media engine's device (docs/microphone-array.md)."""
    geometry = ArrayGeometry(
        tuple((x / 1000.0, y / 1000.0) for x, y in array.positions_mm), orientation_deg=array.orientation_deg
    )
    setup = ArraySetup(
        geometry,
        channels=array.channels,
        mic_channels=array.mic_channels,
        aec=array.aec,
        doa_rate_hz=array.doa_rate_hz,
        directions=directions,
    )
    return DeviceSpec("audio", array.format, array.device, dict(array.options), array=setup)


def microphone_device(profile: HwProfile, directions: DirectionFeed | None = None) -> DeviceSpec:
    """The room's microphone for calls: the array where the profile has one, else ``[audio_capture]``."""
    if profile.audio_array is not None:
        return array_device(profile.audio_array, directions)
    return capture_device("audio", profile.audio_capture)


async def speech_directions(feed: DirectionFeed) -> AsyncIterator[SpeechDirection]:
    """The array's direction estimates as room events, for the controller to publish (docs/room-api.md)."""
    async for estimate in feed.subscribe():
        yield SpeechDirection(azimuth_deg=estimate.azimuth_deg, confidence=estimate.confidence)


def playback_output(playback: PlaybackSpec) -> AudioOutput:
    """Open the profile's loudspeaker (or a WAV file, or FFmpeg's null sink)."""
    target = playback.device or "/dev/null"
    return AudioOutput(target, _PLAYBACK_FORMATS[playback.format])


def install_profile_codecs(profile: HwProfile) -> None:
    """Real-time encoders and the profile's decoder preference, once per process."""
    install_codecs(
        CodecSettings(
            h264_encoders=profile.encoders["h264"],
            h264_decoders=profile.decoders["h264"],
            vp8_decoders=profile.decoders["vp8"],
        )
    )


def _present(capture: CaptureSpec) -> tuple[bool, str]:
    # A device node names a device that is there or not; lavfi sources and sound
    # server names (ALSA, PulseAudio) exist as long as the system does.
    if capture.device.startswith("/dev/"):
        if Path(capture.device).exists():
            return True, ""
        return False, f"{capture.device} is missing"
    return True, ""


def check_devices(profile: HwProfile) -> tuple[DeviceStatus, ...]:
    """What the profile expects, present or not: the room's device list at start (READY=1 waits for it)."""
    found = []
    for role, capture in (
        (DeviceRole.CAMERA, profile.video_capture),
        (DeviceRole.MICROPHONE, profile.audio_capture),
    ):
        present, detail = _present(capture)
        found.append(DeviceStatus(role, present, f"{capture.format}:{capture.device}", detail))
    playback = profile.audio_playback
    found.append(DeviceStatus(DeviceRole.SPEAKER, True, f"{playback.format}:{playback.device or ''}"))
    return tuple(found)
