"""What a call offers: PexRTC call types and settings turned into m-lines and codecs.

Pexip expects a PexRTC offer of three bundled m-lines (reference §4.2 and
§13): mid 0 audio, mid 1 main video, mid 2 presentation video tagged
``a=content:slides``. Each PexRTC ``call_type`` is a choice of directions
on those lines; this module decides them, and the codec list, as pure
functions of the settings so they can be read and tested on their own.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from aiortc import RTCRtpSender
from aiortc.rtcrtpparameters import RTCRtpCodecCapability

from appliance.errors import MediaError
from appliance.media.call_type import CallType
from appliance.media.processing import ProcessingSettings
from appliance.media.sources import DeviceSpec

AUDIO_MID, VIDEO_MID, SLIDES_MID = "0", "1", "2"


def check_webrtc(call_type: CallType) -> None:
    """RTMP calls publish to a URL (see :mod:`appliance.media.rtmp_call`): they have no m-lines."""
    if call_type in (CallType.RTMP, CallType.STREAM):
        raise MediaError(
            f"call_type {call_type.value!r} publishes to an RTMP URL and has no SDP m-lines; "
            "MediaCall.start runs it without a peer connection"
        )


@dataclass
class MediaSettings:
    """PexRTC's media instance variables, as the engine reads them (snake_case)."""

    call_type: CallType = CallType.VIDEO
    bandwidth_in: int | None = 1280  # kbps we accept (b=AS/TIAS in our offer)
    bandwidth_out: int | None = 1280  # kbps we send at most (encoder cap)
    h264_enabled: bool = True
    vp8_enabled: bool = True
    # aiortc has no VP9 encoder or decoder: never offered, whatever this says
    vp9_enabled: bool = True
    recv_audio: bool = True
    recv_video: bool = True
    default_stun: str | None = None
    turn_server: Mapping[str, Any] | None = None
    audio_source: DeviceSpec | None = None  # None: do not capture audio
    video_source: DeviceSpec | None = None
    screen_source: DeviceSpec | None = None
    screenshare_fps: float = 5.0
    # caller-provided tracks replace capture (and audio processing) when set
    user_media_stream: Sequence[Any] | None = None
    user_presentation_stream: Sequence[Any] | None = None
    processing: ProcessingSettings = field(default_factory=ProcessingSettings)


@dataclass(frozen=True, slots=True)
class LinePlan:
    """One m-line of the offer."""

    mid: str
    kind: str
    direction: str
    content: str | None = None


def _direction(send: bool, recv: bool) -> str:
    return {(True, True): "sendrecv", (True, False): "sendonly", (False, True): "recvonly"}.get(
        (send, recv), "inactive"
    )


def plan_lines(
    call_type: CallType,
    settings: MediaSettings,
    *,
    can_send_audio: bool,
    can_send_video: bool,
    sending_presentation: bool = False,
) -> list[LinePlan]:
    """The offer's m-lines for ``call_type``; empty for roster-only.

    The slides line stays ``sendrecv`` on a video call, as PexRTC offers it,
    so starting a screenshare needs no renegotiation; it is ``recvonly``
    when the call only receives.
    """
    check_webrtc(call_type)
    audio_recv, video_recv = settings.recv_audio, settings.recv_video
    if call_type is CallType.NONE:
        return []
    if call_type is CallType.AUDIOONLY:
        return [LinePlan(AUDIO_MID, "audio", _direction(can_send_audio, audio_recv))]
    if call_type in (CallType.PRESENTATION, CallType.SCREEN):
        # a separate presentation call (PexRTC's old present:"receive"/"send") offers its
        # one video line, tagged slides: a node that takes the first video line of such a
        # call (the lab node) and one that looks for the slides tag (Infinity) agree on it
        direction = "recvonly" if call_type is CallType.PRESENTATION else "sendonly"
        return [LinePlan(AUDIO_MID, "video", direction, content="slides")]
    if call_type is CallType.RECVONLY:
        lines = (_direction(False, audio_recv), _direction(False, video_recv), "recvonly")
    elif call_type is CallType.RECVONLYVIDEO:
        lines = (_direction(can_send_audio, audio_recv), _direction(False, video_recv), "recvonly")
    else:
        lines = (
            _direction(can_send_audio, audio_recv),
            _direction(can_send_video, video_recv),
            "sendrecv" if video_recv or sending_presentation else "sendonly",
        )
    return [
        LinePlan(AUDIO_MID, "audio", lines[0]),
        LinePlan(VIDEO_MID, "video", lines[1]),
        LinePlan(SLIDES_MID, "video", lines[2], content="slides"),
    ]


def present_field(call_type: CallType) -> str | None:
    """``present`` in the ``calls`` body: separate presentation calls say which way (§4.1)."""
    return {CallType.PRESENTATION: "receive", CallType.SCREEN: "send"}.get(call_type)


def media_type(call_type: CallType) -> str:
    return "audio" if call_type is CallType.AUDIOONLY else "video"


def video_codecs(settings: MediaSettings) -> list[RTCRtpCodecCapability]:
    """Video codecs to offer, H.264 first (Pexip's preference), RTX kept.

    VP9 is never in the list: aiortc 1.16 has neither encoder nor decoder.
    """
    capabilities = RTCRtpSender.getCapabilities("video").codecs
    wanted: list[RTCRtpCodecCapability] = []
    if settings.h264_enabled:
        wanted += [c for c in capabilities if c.mimeType.lower() == "video/h264"]
    if settings.vp8_enabled:
        wanted += [c for c in capabilities if c.mimeType.lower() == "video/vp8"]
    if not wanted:
        raise MediaError("no video codec enabled: set h264_enabled or vp8_enabled (aiortc has no VP9)")
    wanted += [c for c in capabilities if c.mimeType.lower() == "video/rtx"]
    return wanted
