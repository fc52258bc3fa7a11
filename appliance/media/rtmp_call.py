"""PexRTC's call types "rtmp" and "stream" as the media engine runs them.

An RTMP call has no peer connection and no SDP: ``calls`` with
``call_type: "RTMP"`` returns a URL (reference §4.1), and the engine's
outgoing relays (the same :class:`~appliance.media.sources.OutgoingTrack`
objects a WebRTC call sends, so mute and device switching work the same)
are published there by :class:`~appliance.media.rtmp.RtmpPublisher`.
Nothing comes back: the far end's picture is not part of an RTMP call.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final, Protocol, runtime_checkable

from aiortc.mediastreams import MediaStreamTrack

from appliance.errors import MediaError
from appliance.log import get_logger
from appliance.media.call_type import CallType
from appliance.media.rtmp import RtmpPublisher, RtmpSettings, settings_for_bandwidth

log = get_logger(__name__)

RTMP_CALL_TYPES: Final = frozenset({CallType.RTMP, CallType.STREAM})


class RtmpAnswerLike(Protocol):
    @property
    def call_uuid(self) -> str: ...
    @property
    def url(self) -> str: ...
    @property
    def secure_url(self) -> str: ...


@runtime_checkable
class RtmpSignalling(Protocol):
    """What an RTMP call needs beyond :class:`~appliance.media.signalling.CallSignalling`."""

    async def create_rtmp_call(
        self, *, streaming: bool, bandwidth_kbps: int | None = None, audio_only: bool = False
    ) -> RtmpAnswerLike: ...

    async def disconnect_call(self, call_uuid: str) -> None: ...


class RtmpCall:
    """One RTMP call: the node's call and our publisher, up together and down together."""

    def __init__(self, call_uuid: str, publisher: RtmpPublisher) -> None:
        self.call_uuid = call_uuid
        self.publisher = publisher

    @classmethod
    async def start(
        cls,
        signalling: Any,
        call_type: CallType,
        *,
        video: MediaStreamTrack | None,
        audio: MediaStreamTrack | None,
        bandwidth_kbps: int | None,
        on_ended: Callable[[str], None],
        prefer_secure: bool = False,
        settings: RtmpSettings | None = None,
    ) -> RtmpCall:
        """Ask the node for a URL, then publish; a failed publish hangs the node's call up again."""
        if call_type not in RTMP_CALL_TYPES:
            raise MediaError(f"call_type {call_type.value!r} is not an RTMP call")
        if not isinstance(signalling, RtmpSignalling):
            raise MediaError(f"{type(signalling).__name__} cannot make RTMP calls (no create_rtmp_call)")
        if video is None and audio is None:
            raise MediaError("an RTMP call needs a camera or a microphone to publish")
        answer = await signalling.create_rtmp_call(
            streaming=call_type is CallType.STREAM,
            bandwidth_kbps=bandwidth_kbps,
            audio_only=video is None,
        )
        url = answer.secure_url if prefer_secure and answer.secure_url else answer.url or answer.secure_url
        publisher = RtmpPublisher(
            url,
            video=video,
            audio=audio,
            settings=settings or settings_for_bandwidth(bandwidth_kbps, audio_only=video is None),
            on_ended=on_ended,
        )
        try:
            await publisher.start()
        except MediaError:
            try:
                await signalling.disconnect_call(answer.call_uuid)
            except Exception as exc:  # the publish error is the one the caller needs
                log.warning("could not drop the RTMP call", extra={"context": {"error": str(exc)}})
            raise
        return cls(answer.call_uuid, publisher)

    async def stop(self) -> None:
        await self.publisher.stop()

    def statistics(self) -> dict[str, Any]:
        """``getMediaStatistics()`` for an RTMP call: what we published; nothing is received."""
        s = self.publisher.stats
        settings = self.publisher.settings
        outgoing: dict[str, Any] = {}
        if settings.send_video:
            outgoing["video"] = {
                "protocol": "rtmp",
                "codec": "H264",
                "resolution": f"{settings.width}x{settings.height}",
                "frames-sent": s.video_frames,
                "frames-dropped": s.video_dropped,
                "keyframes": s.keyframes,
                "bytes-sent": s.bytes_sent,
                "state": s.state,
                "configured-bitrate": f"{settings.video_kbps}kbps",
            }
        if settings.send_audio:
            outgoing["audio"] = {
                "protocol": "rtmp",
                "codec": "AAC",
                "frames-sent": s.audio_frames,
                "configured-bitrate": f"{settings.audio_kbps}kbps",
                "state": s.state,
            }
        return {"outgoing": outgoing, "incoming": {}}
