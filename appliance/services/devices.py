"""From a hardware profile to the media engine's devices.

The profile (``hw_profiles/*.toml``) says what the box has in declarative
terms; the media engine takes PyAV device descriptions. This module is the
one place that translates, so the demo and the room daemon open exactly the
same devices the same way.
"""

from __future__ import annotations

from appliance.config.profile import CaptureSpec, HwProfile, PlaybackSpec
from appliance.media.encoders import CodecSettings, install_codecs
from appliance.media.sinks import AudioOutput
from appliance.media.sources import DeviceSpec

# PyAV output format for each playback kind the profile allows.
_PLAYBACK_FORMATS = {"alsa": "alsa", "pulse": "pulse", "file": "wav", "null": "null"}


def capture_device(kind: str, capture: CaptureSpec) -> DeviceSpec:
    """A profile's capture section as the media engine's device description."""
    return DeviceSpec(kind, capture.format, capture.device, dict(capture.options))


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
