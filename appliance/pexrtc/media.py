"""The media call of one PexRTC participant, on top of :mod:`appliance.media`.

The media engine's :class:`~appliance.media.engine.MediaCall` does the
WebRTC work (one peer connection, three bundled m-lines, ``calls`` →
answer → trickle → ``ack``). This module is the PexRTC side of it:

* it turns the document's instance variables (:class:`MediaPreferences`,
  JavaScript semantics: ``audio_source=None`` means "default device",
  ``False`` means "do not capture") into the engine's settings;
* it hands out :class:`MediaStream` objects where JavaScript hands out a
  MediaStream (``onSetup``, ``onConnect``, ``onPresentationConnected``,
  ``onScreenshareConnected``);
* it keeps a statistics snapshot fresh once a second, because
  ``getMediaStatistics()`` is synchronous in the document while aiortc's
  ``getStats`` is a coroutine (pexrtc.js also samples on a timer);
* it takes and releases the floor around screen sharing.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from appliance.errors import MediaError
from appliance.infinity.calls import CallControl, CallInfo
from appliance.log import get_logger
from appliance.media.call_type import CallType
from appliance.media.encoders import current_selection, install_codecs
from appliance.media.engine import MediaCall
from appliance.media.plan import MediaSettings
from appliance.media.processing import ProcessingSettings
from appliance.media.rtmp_call import RTMP_CALL_TYPES
from appliance.media.signalling import CallAnswerLike
from appliance.media.sources import DeviceSpec
from appliance.pexrtc.datachannel import ChannelLink, PexChannel, Receiver
from appliance.pexrtc.variables import preference_default as _default
from appliance.pexrtc.variables import preference_values

_log = get_logger(__name__)

STATS_INTERVAL: Final = 1.0
# What "default device" means on a room system (audio_source / video_source = None).
DEFAULT_VIDEO: Final = DeviceSpec("video", "v4l2", "/dev/video0")
DEFAULT_AUDIO: Final = DeviceSpec("audio", "alsa", "default")


@dataclass(frozen=True, slots=True)
class MediaPreferences:
    """The document's media instance variables, snapshotted at makeCall / renegotiate.

    Defaults come from :data:`appliance.pexrtc.variables.VARIABLES`, the one
    table of instance variables; :meth:`of` reads a PexRTC object through it.
    """

    audio_source: Any = _default("audio_source")
    video_source: Any = _default("video_source")
    recv_audio: bool = _default("recv_audio")
    recv_video: bool = _default("recv_video")
    bandwidth_in: int = _default("bandwidth_in")
    bandwidth_out: int = _default("bandwidth_out")
    default_stun: str | None = _default("default_stun")
    turn_server: Mapping[str, Any] | None = _default("turn_server")
    echo_cancellation: bool = _default("echo_cancellation")
    noise_suppression: bool = _default("noise_suppression")
    auto_gain_control: bool = _default("auto_gain_control")
    h264_enabled: bool = _default("h264_enabled")
    vp8_enabled: bool = _default("vp8_enabled")
    # Kept for API parity; aiortc has no VP9, so it is never offered.
    vp9_enabled: bool = _default("vp9_enabled")
    screenshare_fps: int = _default("screenshare_fps")
    user_media_stream: Any = _default("user_media_stream")
    user_presentation_stream: Any = _default("user_presentation_stream")

    @classmethod
    def of(cls, source: object) -> MediaPreferences:
        """The preferences ``source`` (a PexRTC) holds in its instance variables now."""
        return cls(**preference_values(source))


@dataclass(frozen=True, slots=True)
class MediaOutputs:
    """Where received media goes on a room system; ``None`` = discard audio, private slots.

    ``audio_output`` is an :class:`~appliance.media.sinks.AudioOutput`;
    the slots are the :class:`~appliance.media.handoff.LatestSlot` objects
    the UI thread reads; ``display_size`` scales decoded video once, there.
    They belong to the caller: one client uses them for every media call it
    makes (a transfer's too) and never closes them; the caller closes the
    audio output when it is done with the client.
    """

    audio_output: Any = None
    main_slot: Any = None
    presentation_slot: Any = None
    display_size: tuple[int, int] | None = None
    self_slot: Any = None  # the camera as sent (self-view), at ``self_size``
    self_size: tuple[int, int] | None = None


@dataclass(frozen=True, slots=True)
class MediaStream:
    """Where JavaScript gives a MediaStream: the engine's audio and video objects.

    ``local``: ``audio``/``video`` are the outgoing relays (aiortc tracks).
    ``remote``: ``audio`` is an :class:`~appliance.media.sinks.AudioSink`,
    ``video`` a :class:`~appliance.media.sinks.VideoSink` whose ``slot`` is
    the latest decoded frame. ``presentation``: ``video`` is the
    presentation sink. ``screenshare``: ``video`` is the outgoing relay.
    """

    kind: str
    audio: Any = None
    video: Any = None

    def tracks(self) -> list[Any]:
        return [t for t in (self.audio, self.video) if t is not None]


def device_spec(kind: str, value: Any) -> DeviceSpec | None:
    """A PexRTC ``audio_source``/``video_source`` value → the device to open (``None``: none).

    ``None`` is the default device, ``False`` no capture; a string is a
    device the way FFmpeg names it: a lavfi graph (contains ``=``), a
    ``/dev/video*`` path, or an ALSA name such as ``hw:1``.
    """
    if value is False:
        return None
    if value is None:
        return DEFAULT_VIDEO if kind == "video" else DEFAULT_AUDIO
    if isinstance(value, DeviceSpec):
        return value
    if not isinstance(value, str) or not value:
        raise ValueError(f"{kind}_source: expected None, False, a device name or DeviceSpec, found {value!r}")
    if "=" in value or value in ("testsrc", "testsrc2", "sine", "anullsrc"):
        return DeviceSpec(kind, "lavfi", value)
    if kind == "video":
        return DeviceSpec(kind, "v4l2", value)
    return DeviceSpec(kind, "alsa", value)


def _tracks(value: Any) -> Sequence[Any] | None:
    if value is None:
        return None
    if isinstance(value, MediaStream):
        return value.tracks()
    if isinstance(value, (list, tuple)):
        return list(value)
    return [value]


def media_settings(prefs: MediaPreferences) -> MediaSettings:
    """The engine's settings for these preferences (call type set when the call starts)."""
    screen = prefs.user_presentation_stream
    screen_source = screen if isinstance(screen, DeviceSpec) else None
    if isinstance(screen, str):
        screen_source = device_spec("video", screen)
    return MediaSettings(
        bandwidth_in=prefs.bandwidth_in,
        bandwidth_out=prefs.bandwidth_out,
        h264_enabled=prefs.h264_enabled,
        vp8_enabled=prefs.vp8_enabled,
        vp9_enabled=prefs.vp9_enabled,
        recv_audio=prefs.recv_audio,
        recv_video=prefs.recv_video,
        default_stun=prefs.default_stun,
        turn_server=prefs.turn_server,
        audio_source=device_spec("audio", prefs.audio_source),
        video_source=device_spec("video", prefs.video_source),
        screen_source=screen_source,
        screenshare_fps=float(prefs.screenshare_fps),
        user_media_stream=_tracks(prefs.user_media_stream),
        user_presentation_stream=None if screen_source is not None else _tracks(screen),
        processing=ProcessingSettings(
            echo_cancellation=prefs.echo_cancellation,
            noise_suppression=prefs.noise_suppression,
            auto_gain_control=prefs.auto_gain_control,
        ),
    )


class _Signalling:
    """``session.calls`` plus PexRTC's ``fecc_supported`` flag on every ``calls`` request."""

    def __init__(self, calls: CallControl, fecc_supported: bool) -> None:
        self._calls = calls
        self._fecc_supported = fecc_supported

    async def create_call(
        self, sdp: str, *, present: str | None = None, media_type: str = "video"
    ) -> CallAnswerLike:
        return await self._calls.create_call(
            sdp, present=present, media_type=media_type, fecc_supported=self._fecc_supported
        )

    async def ack(self, call_uuid: str, sdp: str | None = None) -> None:
        await self._calls.ack(call_uuid, sdp)

    async def new_candidate(
        self,
        call_uuid: str,
        candidate: str,
        mid: str | None,
        ufrag: str | None = None,
        pwd: str | None = None,
    ) -> None:
        await self._calls.new_candidate(call_uuid, candidate, mid or "0", ufrag, pwd)

    async def update(self, call_uuid: str, sdp: str) -> str:
        return await self._calls.update(call_uuid, sdp, fecc_supported=self._fecc_supported)

    async def disconnect_call(self, call_uuid: str) -> None:
        await self._calls.disconnect_call(call_uuid)

    async def create_rtmp_call(
        self, *, streaming: bool, bandwidth_kbps: int | None = None, audio_only: bool = False
    ) -> CallInfo:
        return await self._calls.create_rtmp_call(
            streaming=streaming, bandwidth_kbps=bandwidth_kbps, audio_only=audio_only
        )


def _ignore(kind: str, body: dict[str, Any]) -> None:
    _log.debug("data channel %s message without a receiver", kind)


class CallMedia:
    """One participant's media: devices, the WebRTC call, presentation and screenshare."""

    def __init__(
        self,
        calls: CallControl,
        prefs: MediaPreferences,
        *,
        node_stun: Sequence[Mapping[str, Any]] = (),
        node_turn: Sequence[Mapping[str, Any]] = (),
        fecc_supported: bool = False,
        outputs: MediaOutputs | None = None,
        on_failure: Callable[[str], None] | None = None,
        channel_id: int | None = None,
        on_channel: Receiver | None = None,
    ) -> None:
        self._calls = calls
        self._on_failure = on_failure
        outputs = outputs or MediaOutputs()
        # channel_id (direct media's pex_datachannel_id): pexChannel on every peer connection
        self._channels = ChannelLink(channel_id, on_channel or _ignore) if channel_id is not None else None
        self.call = MediaCall(
            _Signalling(calls, fecc_supported),
            media_settings(prefs),
            node_stun=list(node_stun),
            node_turn=list(node_turn),
            audio_output=outputs.audio_output,
            main_slot=outputs.main_slot,
            presentation_slot=outputs.presentation_slot,
            display_size=outputs.display_size,
            self_slot=outputs.self_slot,
            self_size=outputs.self_size,
            on_event=self._on_event,
            on_connection=self._channels.attach if self._channels is not None else None,
        )
        self.receiving_presentation = False
        self.sharing_screen = False
        self._stats: dict[str, Any] = {"outgoing": {}, "incoming": {}}
        self._stats_task: asyncio.Task[None] | None = None

    @property
    def call_uuid(self) -> str | None:
        return self.call.call_uuid

    @property
    def active(self) -> bool:
        return self.call.active

    @property
    def local_stream(self) -> MediaStream:
        return MediaStream("local", self.call.audio_out, self.call.video_out)

    @property
    def remote_stream(self) -> MediaStream:
        return MediaStream("remote", self.call.audio, self.call.main_video)

    def _on_event(self, event: str, data: Mapping[str, Any]) -> None:
        if event == "failed" and self._on_failure is not None:
            self._on_failure(f"Media failed: {data.get('reason', 'ICE or DTLS failure')}")

    async def open_devices(self) -> MediaStream:
        """Open the configured camera and microphone before the call (onSetup's stream)."""
        await self.call.renegotiate(resend_sdp=False)
        return self.local_stream

    async def start(self, kind: str) -> MediaStream | None:
        """Make the call; returns what ``onConnect`` hands out for this call type."""
        if current_selection() is None:
            # A ported script never calls the engine's set-up; the appliance
            # installs its profile's codecs first and is left alone.
            install_codecs()
        engine_type = CallType(kind)
        if self.call.active:
            await self.call.add_call(engine_type)
        else:
            await self.call.start(engine_type)
        if self._stats_task is None:
            # One sample now, so getMediaStatistics() in onConnect already has
            # the document's whole structure (zeros until the first packets).
            await self._sample_once()
            self._stats_task = asyncio.get_running_loop().create_task(self._sample(), name="pexrtc-stats")
        if engine_type is CallType.SCREEN:
            return None
        if engine_type is CallType.PRESENTATION:
            return MediaStream("presentation", None, self.call.presentation_video)
        if engine_type in RTMP_CALL_TYPES:
            # nothing is received on an RTMP call: onConnect gets what is being published
            return MediaStream("rtmp", self.call.audio_out, self.call.video_out)
        return self.remote_stream

    async def renegotiate(self, prefs: MediaPreferences, *, resend_sdp: bool) -> None:
        """Apply the changeable instance variables, as PexRTC's ``renegotiate``."""
        fresh = media_settings(prefs)
        settings = self.call.settings
        settings.audio_source, settings.video_source = fresh.audio_source, fresh.video_source
        settings.bandwidth_in, settings.bandwidth_out = fresh.bandwidth_in, fresh.bandwidth_out
        settings.recv_audio, settings.recv_video = fresh.recv_audio, fresh.recv_video
        await self.call.renegotiate(resend_sdp=resend_sdp)

    async def get_presentation(self) -> MediaStream:
        """The slides m-line already carries the presentation: hand out its sink."""
        if not self.call.active:
            raise MediaError("getPresentation: there is no media call to receive presentation on")
        self.receiving_presentation = True
        return MediaStream("presentation", None, self.call.presentation_video)

    async def start_screenshare(self) -> MediaStream:
        """``take_floor`` (refusal raises ``FloorRefused``), then send on the slides m-line."""
        await self._calls.take_floor()
        try:
            await self.call.start_screenshare()
        except Exception:
            await self._calls.release_floor()
            raise
        self.sharing_screen = True
        return MediaStream("screenshare", None, self.call.screen_out)

    async def stop_screenshare(self, *, release_floor: bool) -> None:
        self.sharing_screen = False
        self.call.stop_screenshare()
        if release_floor:
            await self._calls.release_floor()

    def mute_audio(self, muted: bool) -> bool:
        return self.call.mute_audio(muted)

    def mute_video(self, muted: bool) -> bool:
        return self.call.mute_video(muted)

    async def send_dtmf(self, digits: str) -> bool:
        return await self._calls.send_dtmf(self._require_call("sendDTMF"), digits)

    async def send_fecc(self, action: str, axis: str, direction: str, timeout_ms: int) -> bool:
        channel = self.data_channel
        if channel is not None:  # direct media: straight to the far-end camera
            channel.send_fecc(action, [{"axis": axis, "direction": direction}], timeout_ms)
            return True
        call_uuid = self._require_call("sendFECC")
        return await self._calls.send_fecc(call_uuid, action, axis, direction, timeout_ms=timeout_ms)

    def _require_call(self, what: str) -> str:
        if self.call.call_uuid is None:
            raise MediaError(f"{what} without a uuid goes into the media call, and there is none")
        return self.call.call_uuid

    def statistics(self) -> dict[str, Any]:
        """The latest snapshot in the document's nested shape (refreshed every second)."""
        return {direction: dict(streams) for direction, streams in self._stats.items()}

    async def _sample_once(self) -> None:
        try:
            self._stats = await self.call.media_statistics()
        except Exception as exc:  # statistics must never take the call down
            _log.debug("media statistics unavailable: %s", exc)

    async def _sample(self) -> None:
        while True:
            await asyncio.sleep(STATS_INTERVAL)
            await self._sample_once()

    def secure_check_code(self) -> str:
        return self.call.secure_check_code()

    # -- direct media (reference §4.4) ----------------------------------------

    @property
    def data_channel(self) -> PexChannel | None:
        """The open ``pexChannel`` of the current call; ``None`` without one."""
        channel = self._channels.current if self._channels is not None else None
        return channel if channel is not None and channel.open and self.call.active else None

    async def data_channel_open(self) -> PexChannel:
        """Wait (in ``asyncio.timeout``) until the current call's ``pexChannel`` is open."""
        if self._channels is None:
            raise MediaError("no data channel: the conference is not direct media")
        while True:
            channel = self._channels.current
            if channel is not None:
                await channel.opened.wait()
                if channel is self._channels.current:
                    return channel
            else:
                raise MediaError("no data channel yet: the direct-media call has no peer")

    async def handle_remote_offer(self, sdp: str) -> None:
        """SSE ``new_offer`` / ``update_sdp``: answer in ``ack``."""
        await self.call.handle_remote_offer(sdp)

    async def add_remote_candidate(self, candidate: Mapping[str, Any]) -> None:
        await self.call.add_remote_candidate(candidate)

    async def call_again(self) -> None:
        """SSE ``peer_disconnect``: hang up and call again, as PexRTC; devices stay open."""
        call_type = self.call.call_type
        await self.call.disconnect_call()
        await self.call.start(call_type)

    async def close(self) -> None:
        """Hang up (``calls/{c}/disconnect``) and release every device."""
        task, self._stats_task = self._stats_task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self.sharing_screen:
            with contextlib.suppress(Exception):
                await self.stop_screenshare(release_floor=True)
        await self.call.close()
