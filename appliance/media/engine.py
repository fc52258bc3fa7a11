"""One media call: everything PexRTC does with its RTCPeerConnection.

:class:`MediaCall` owns the peer connection of the participant's call and
its lifecycle against the node (§4.2): offer → ``calls`` → answer →
trickled candidates → ``ack``; ``update`` for renegotiation; node offers
(direct media, §4.4) answered in ``ack``; ``disconnect`` to hang up the
media while the participant stays in the roster. The outgoing tracks are
:class:`~appliance.media.sources.OutgoingTrack` relays that outlive
peer connections, so mute state and devices survive an escalation, a
re-call or an ICE restart; the sinks outlive them too, so the display keeps
one :class:`~appliance.media.handoff.LatestSlot` for the whole session.

aiortc 1.16 gathers every candidate inside ``setLocalDescription`` and
cannot restart ICE on an existing connection (no ``iceRestart`` offer
option, no new credentials on a live transport). So trickling means sending
the gathered candidates one by one after the ``calls`` answer and before
``ack`` (what PexRTC does, §13), and :meth:`MediaCall.restart_ice` builds a
fresh connection and call (new ``call_uuid``); both are documented in
docs/media.md.

PexRTC restarts ICE by itself when its connection fails; so does this
engine, through :class:`~appliance.media.recovery.IceRecovery` (the loop,
its back-off and its bounds live there); this module supplies the restart
itself. Consent checks are tightened so a dead path is noticed in seconds
(:func:`appliance.media.ice.set_consent_checks`).

The module is longer than the project's 500-line aim because set-up,
renegotiation, the direct-media answer, restart and hang-up all change the
one peer connection under one lock, and their invariants (which connection
is ours, which call the node holds) are easier to keep in one place; what
needs only a callback (the recovery loop) lives in its own module.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, TypeVar

from aiortc import (
    RTCBundlePolicy,
    RTCConfiguration,
    RTCIceCandidate,
    RTCPeerConnection,
    RTCSessionDescription,
)
from aiortc.mediastreams import MediaStreamTrack
from aiortc.sdp import candidate_from_sdp

from appliance.errors import MediaError
from appliance.log import get_logger
from appliance.media import sdp as sdp_text
from appliance.media.array_capture import open_array_capture
from appliance.media.array_front import ArrayFrontEnd
from appliance.media.call_type import CallType
from appliance.media.encoders import EncoderBudget, bind_budget, current_selection
from appliance.media.handoff import LatestSlot
from appliance.media.ice import rtc_configuration, set_consent_checks
from appliance.media.plan import (
    SLIDES_MID,
    LinePlan,
    MediaSettings,
    media_type,
    plan_lines,
    present_field,
    video_codecs,
)
from appliance.media.processing import AudioProcessor
from appliance.media.recovery import IceRecovery, IceRestartPolicy
from appliance.media.rtmp_call import RTMP_CALL_TYPES, RtmpCall
from appliance.media.signalling import CallSignalling, awaits_node_offer
from appliance.media.sinks import AudioOutput, AudioSink, DisplayFrame, VideoSink
from appliance.media.sources import CaptureTrack, DeviceSpec, OutgoingTrack, ThrottledTrack, open_capture
from appliance.media.stats import StatsTracker
from appliance.media.transceivers import add_lines, apply_lines, attach_to_offer

log = get_logger(__name__)

EventCallback = Callable[[str, Mapping[str, Any]], None]
T = TypeVar("T")

# Every step of a call's set-up ends within this, or the call fails naming the step: an
# appliance nobody watches must never wait for ever (docs/media.md, "Deadlines").
SETUP_STEP_DEADLINE_S = 30.0


async def within(step: str, awaitable: Awaitable[T], deadline_s: float = SETUP_STEP_DEADLINE_S) -> T:
    """``await awaitable``, or :class:`MediaError` naming ``step`` after ``deadline_s`` seconds."""
    deadline = asyncio.timeout(deadline_s)
    try:
        async with deadline:
            return await awaitable
    except TimeoutError:
        if not deadline.expired():
            raise  # the step's own timeout, with its own message
        raise MediaError(f"call set-up: {step} did not finish within {deadline_s:g} s") from None


class MediaCall:
    """The media of one participant: at most one peer connection at a time."""

    def __init__(
        self,
        signalling: CallSignalling,
        settings: MediaSettings | None = None,
        *,
        node_stun: Sequence[str | Mapping[str, Any]] = (),
        node_turn: Sequence[Mapping[str, Any]] = (),
        audio_output: AudioOutput | None = None,
        main_slot: LatestSlot[DisplayFrame] | None = None,
        presentation_slot: LatestSlot[DisplayFrame] | None = None,
        display_size: tuple[int, int] | None = None,
        self_slot: LatestSlot[DisplayFrame] | None = None,
        self_size: tuple[int, int] | None = None,
        on_event: EventCallback | None = None,
        on_connection: Callable[[RTCPeerConnection], None] | None = None,
        ice_restart: IceRestartPolicy | None = None,
    ) -> None:
        self.signalling = signalling
        self.ice_restart = ice_restart or IceRestartPolicy()
        set_consent_checks(self.ice_restart.consent_interval_s, self.ice_restart.consent_failures)
        self._connected = asyncio.Event()
        self._recovery = IceRecovery(
            self.ice_restart, self._restart_once, self._connected, self._recovery_event
        )
        # Called with each new peer connection once its media lines exist, before
        # its first offer or answer: where PexRTC's negotiated data channel goes
        # (aiortc stops a bundle whose first transport was the SCTP one).
        self._on_connection = on_connection
        self.settings = settings or MediaSettings()
        self._node_stun = list(node_stun)
        self._node_turn = list(node_turn)
        self._on_event = on_event
        self.pc: RTCPeerConnection | None = None
        # call types "rtmp"/"stream": no peer connection, our relays published to a URL
        self.rtmp: RtmpCall | None = None
        self.call_uuid: str | None = None
        self.budget = EncoderBudget()
        self.processor: AudioProcessor | None = None
        self.array_front: ArrayFrontEnd | None = None  # the open microphone array's chain, if any
        self.audio_out = OutgoingTrack("audio", on_source_ended=self._device_lost)
        self.video_out = OutgoingTrack(
            "video", on_source_ended=self._device_lost, on_unmuted=self._request_keyframe
        )
        self.screen_out = OutgoingTrack("video", on_source_ended=self._screenshare_ended)
        self._relays = (self.audio_out, self.video_out, self.screen_out)  # mid 0, 1, 2
        self.main_video = VideoSink("main", main_slot, size=display_size)
        self.presentation_video = VideoSink("presentation", presentation_slot, size=display_size)
        # the camera as sent, for the room's self-view (converted, at self_size, only if shown)
        self.self_view: VideoSink | None = None
        if self_slot is not None:
            self.self_view = VideoSink("self", self_slot, size=self_size)
            self.video_out.preview = self.self_view.deliver
        self.audio = AudioSink(audio_output)
        self._sources: dict[str, DeviceSpec | None] = {"audio": None, "video": None}
        self._lines: list[LinePlan] = []
        # mids whose received video is the presentation: ours is mid 2; a node's own
        # offer (direct media) says which by a=content:slides
        self._slides_mids: set[str] = {SLIDES_MID}
        self._stats = StatsTracker()
        self._lock = asyncio.Lock()
        if self.settings.vp9_enabled:
            log.info("vp9_enabled ignored: aiortc has no VP9 codec, it is never offered")

    # ----------------------------------------------------------------- state
    @property
    def active(self) -> bool:
        return self.pc is not None or self.rtmp is not None

    @property
    def call_type(self) -> CallType:
        return self.settings.call_type

    @property
    def ice_restarts(self) -> int:
        """Restarts made by automatic recovery (for statistics and tests)."""
        return self._recovery.restarts

    def _emit(self, event: str, **data: Any) -> None:
        if self._on_event is not None:
            self._on_event(event, data)

    def _recovery_event(self, event: str, **data: Any) -> None:
        if event == "ice_restarted":
            data["call_uuid"] = self.call_uuid
        self._emit(event, **data)

    def _device_lost(self, track: MediaStreamTrack) -> None:
        # the relay now sends nothing; hot-plug (services) switches to another device
        self._sources[track.kind] = None
        log.warning("capture source ended", extra={"context": {"kind": track.kind}})
        self._emit("device_lost", kind=track.kind)

    def _request_keyframe(self) -> None:
        # after a video mute the far end's decoder has nothing to predict from
        pc = self.pc
        if pc is None:
            return
        for transceiver in pc.getTransceivers():
            if transceiver.sender.track is self.video_out:
                transceiver.sender._send_keyframe()

    def _pause_when_muted(self, pause: bool) -> None:
        # WebRTC: mute sends no RTP; RTMP: black/silence keep the FLV timeline unbroken
        self.audio_out.pause_when_muted = pause
        self.video_out.pause_when_muted = pause

    def _screenshare_ended(self, track: MediaStreamTrack) -> None:
        self._emit("screenshare_stopped", reason="track ended")

    # --------------------------------------------------------------- devices
    def _processor_for_capture(self) -> AudioProcessor | None:
        processing = self.settings.processing
        if not processing.any:
            return None
        if self.processor is None:
            self.processor = AudioProcessor(processing)
            self.audio.processor = self.processor
        return self.processor

    async def _open_array(self, spec: DeviceSpec) -> MediaStreamTrack:
        """A microphone array: its own chain (AEC, beamformer, DOA, NS, AGC) and the far end fed to it."""
        assert spec.array is not None
        front = ArrayFrontEnd(spec.array, self.settings.processing)
        track = await open_array_capture(spec, front)
        self.array_front = front
        self.audio.processor = front
        return track

    async def _acquire_devices(self) -> None:
        """Open the configured devices that are not open yet (or changed); idempotent."""
        user = self.settings.user_media_stream
        if user is not None:
            for track in user:
                relay = self.audio_out if track.kind == "audio" else self.video_out
                if relay.source is not track and track.readyState == "live":
                    relay.set_source(track)
            return
        call_type = self.settings.call_type
        sends_video = call_type is CallType.VIDEO or call_type in RTMP_CALL_TYPES
        sends_audio = sends_video or call_type in (CallType.AUDIOONLY, CallType.RECVONLYVIDEO)
        # a receive-only or presentation-only call leaves the room's devices to the main call
        wanted = {
            "audio": self.settings.audio_source if sends_audio else None,
            "video": self.settings.video_source if sends_video else None,
        }
        for kind, spec in wanted.items():
            relay = self.audio_out if kind == "audio" else self.video_out
            source = relay.source
            if spec == self._sources[kind] and (spec is None or (source and source.readyState == "live")):
                continue
            new: MediaStreamTrack | None = None
            if spec is not None and spec.array is not None:
                new = await self._open_array(spec)
            elif spec is not None:
                processor = self._processor_for_capture() if kind == "audio" else None
                if kind == "audio" and processor is not None:
                    self.audio.processor = processor
                new = await open_capture(spec, processor=processor)
            old = relay.set_source(new)
            if old is not None:
                old.stop()
            self._sources[kind] = spec

    def _can_send(self, kind: str) -> bool:
        relay = self.audio_out if kind == "audio" else self.video_out
        return relay.source is not None

    def _plan(self) -> list[LinePlan]:
        return plan_lines(
            self.settings.call_type,
            self.settings,
            can_send_audio=self._can_send("audio"),
            can_send_video=self._can_send("video"),
            sending_presentation=self.screen_out.source is not None,
        )

    # ------------------------------------------------------------ call setup
    def ice_configuration(self) -> RTCConfiguration:
        """The servers this call may use: the node's, the site's, nothing else.

        Never ``iceServers=None`` (aiortc's public STUN default); TURN servers
        learnt from ``calls`` answers are kept once each, however many times
        the call is restarted.
        """
        stun: list[str | Mapping[str, Any]] = list(self._node_stun)
        if self.settings.default_stun:
            stun.append(self.settings.default_stun)
        turn = list(self._node_turn)
        if self.settings.turn_server:
            turn.append(self.settings.turn_server)
        configuration = rtc_configuration(stun, turn)
        # one transport for all m-lines, as Pexip expects (§13): aiortc's default
        # (balanced) gives audio its own transport and strands the slides line
        configuration.bundlePolicy = RTCBundlePolicy.MAX_BUNDLE
        return configuration

    def _new_peer_connection(self) -> RTCPeerConnection:
        configuration = self.ice_configuration()
        pc = RTCPeerConnection(configuration=configuration)

        @pc.on("track")
        def on_track(track: MediaStreamTrack) -> None:
            self._route_track(pc, track)

        @pc.on("connectionstatechange")
        async def on_state() -> None:
            log.info("connection state", extra={"context": {"state": pc.connectionState}})
            # "closed" while still ours: aiortc closed it itself because its transport
            # died (consent expired, DTLS ended); we forget a connection before closing it
            if pc.connectionState in ("failed", "disconnected", "closed") and pc is self.pc:
                self._connection_lost(pc.connectionState)
            elif pc.connectionState == "connected" and pc is self.pc:
                self._connected.set()
                self._emit("media_connected")

        return pc

    # -------------------------------------------------------------- recovery
    def _connection_lost(self, state: str) -> None:
        self._recovery.connection_lost(state)

    async def _restart_once(self) -> None:
        """Drop the dead connection and its node call (bounded), then call the node again."""
        async with self._lock:
            call_uuid, self.call_uuid = self.call_uuid, None
            pc = self._forget_pc()
            await self._drop_call(call_uuid)
            await self._close_pc(pc)
            try:
                await self._call()
            except (Exception, asyncio.CancelledError):
                await self._abandon()
                raise

    async def _drop_call(self, call_uuid: str | None) -> None:
        """Hang up ``call_uuid`` at the node, giving up after ``drop_timeout_s``.

        A dead or frozen node cannot answer; the call is ours to forget
        either way (the node drops an unused call by itself).
        """
        if call_uuid is None:
            return
        try:
            async with asyncio.timeout(self.ice_restart.drop_timeout_s):
                await self.signalling.disconnect_call(call_uuid)
        except Exception as exc:  # the node may already have dropped it, or be gone
            log.info(
                "call not dropped at the node",
                extra={"context": {"call": call_uuid, "error": str(exc) or type(exc).__name__}},
            )

    def _route_track(self, pc: RTCPeerConnection, track: MediaStreamTrack) -> None:
        mid = next((t.mid for t in pc.getTransceivers() if t.receiver.track is track), None)
        if track.kind == "audio":
            self.audio.attach(track)
        elif mid in self._slides_mids:
            self.presentation_video.attach(track)
        else:
            self.main_video.attach(track)

    def _offer_text(self, pc: RTCPeerConnection) -> str:
        """Our local offer as the node should see it: slides tagged, limits set, trickled candidates."""
        text = sdp_text.declare_trickle(sdp_text.strip_candidates(pc.localDescription.sdp))
        for line in self._lines:
            if line.content:
                text = sdp_text.tag_content(text, line.mid, line.content)
        return sdp_text.set_bandwidth(text, self.settings.bandwidth_in)

    def _apply_send_cap(self, remote_sdp: str) -> None:
        caps = [c for c in (self.settings.bandwidth_out, sdp_text.bandwidth_kbps(remote_sdp)) if c]
        self.budget.max_bitrate = min(caps) * 1000 if caps else None

    async def start(self, call_type: CallType | str | None = None) -> None:
        """Make the call: offer, ``calls``, answer, trickle, ``ack`` (nothing for roster-only)."""
        await self._stop_recovery()  # a call the user starts supersedes one being recovered
        async with self._lock:
            if call_type is not None:
                self.settings.call_type = CallType(call_type)
            if self.active:
                raise MediaError(f"a media call is already up (call {self.call_uuid}); use add_call")
            if self.settings.call_type is CallType.NONE:
                return
            try:
                if self.settings.call_type in RTMP_CALL_TYPES:
                    await self._publish_rtmp()
                    return
                await self._call()
            except (Exception, asyncio.CancelledError):
                await self._abandon()
                raise

    async def _abandon(self) -> None:
        """A call that failed half-way leaves nothing behind: no peer connection, no node call."""
        call_uuid, self.call_uuid = self.call_uuid, None
        pc = self._forget_pc()
        await self._drop_call(call_uuid)
        await self._close_pc(pc)

    async def _publish_rtmp(self) -> None:
        self._pause_when_muted(False)
        await self._acquire_devices()
        self.rtmp = await RtmpCall.start(
            self.signalling,
            self.settings.call_type,
            video=self.video_out if self._can_send("video") else None,
            audio=self.audio_out if self._can_send("audio") else None,
            bandwidth_kbps=self.settings.bandwidth_out,
            on_ended=lambda reason: self._emit("failed", reason=reason),
        )
        self.call_uuid = self.rtmp.call_uuid
        self._emit("connected", call_uuid=self.call_uuid)

    async def _call(self) -> None:
        self._pause_when_muted(True)
        bind_budget(self.budget)
        if current_selection() is None:
            log.warning("install_codecs() was not called: aiortc's stock encoder settings are in use")
        await self._acquire_devices()  # each open has its own deadline (sources.DEVICE_OPEN_DEADLINE_S)
        self._lines = self._plan()
        self._slides_mids = {line.mid for line in self._lines if line.content == "slides"}
        pc = self.pc = self._new_peer_connection()
        add_lines(pc, self._lines, self._relays, video_codecs(self.settings))
        if self._on_connection is not None:
            self._on_connection(pc)
        await within("gathering ICE candidates", pc.setLocalDescription(await pc.createOffer()))
        offer = self._offer_text(pc)
        answer = await within(
            "the node's answer to calls",
            self.signalling.create_call(
                offer,
                present=present_field(self.settings.call_type),
                media_type=media_type(self.settings.call_type),
            ),
        )
        self.call_uuid = answer.call_uuid
        for server in answer.turn or ():
            if server not in self._node_turn:  # each restart's answer names them again
                self._node_turn.append(server)
        if awaits_node_offer(answer):
            log.info("node will offer (direct media)", extra={"context": {"call": answer.call_uuid}})
            # forget it first: a second aiortc close() of a connection whose first
            # close was cancelled waits forever (``_abandon`` on cancellation)
            self.pc = None
            await pc.close()
            return
        await within(
            "applying the node's answer",
            pc.setRemoteDescription(RTCSessionDescription(sdp=answer.sdp, type="answer")),
        )
        self._apply_send_cap(answer.sdp)
        await within("sending our candidates", self._trickle(pc, answer.call_uuid))
        await within("ack", self.signalling.ack(answer.call_uuid))
        self._emit("connected", call_uuid=answer.call_uuid)

    async def _trickle(self, pc: RTCPeerConnection, call_uuid: str) -> None:
        local = pc.localDescription.sdp
        for candidate in sdp_text.candidates(local):
            await self.signalling.new_candidate(
                call_uuid, candidate.candidate, candidate.mid, candidate.ufrag, candidate.pwd
            )
        # gathering ends once per transport: under BUNDLE that is the bundle's first mid alone
        for mid in sdp_text.transport_mids(local):
            await self.signalling.new_candidate(call_uuid, "", mid)

    async def handle_remote_offer(self, offer_sdp: str) -> None:
        """A node-relayed offer (SSE ``new_offer`` / ``update_sdp``): answer it in ``ack``."""
        async with self._lock:
            if self.call_uuid is None:
                raise MediaError("a node offer arrived but no call exists (POST calls first)")
            bind_budget(self.budget)
            await self._acquire_devices()
            pc = self.pc
            fresh = pc is None
            if pc is None:
                pc = self.pc = self._new_peer_connection()
            self._slides_mids = {
                mid for mid in sdp_text.mids(offer_sdp) if sdp_text.content_of(offer_sdp, mid) == "slides"
            }
            await pc.setRemoteDescription(RTCSessionDescription(sdp=offer_sdp, type="offer"))
            attach_to_offer(
                pc,
                offer_sdp,
                audio=self.audio_out if self._can_send("audio") else None,
                video=self.video_out if self._can_send("video") else None,
                screen=self.screen_out,
            )
            if fresh and self._on_connection is not None:
                self._on_connection(pc)
            await pc.setLocalDescription(await pc.createAnswer())
            self._apply_send_cap(offer_sdp)
            await self.signalling.ack(self.call_uuid, pc.localDescription.sdp)
            self._emit("connected", call_uuid=self.call_uuid)

    async def add_remote_candidate(self, candidate: Mapping[str, Any]) -> None:
        """A node candidate (SSE ``new_candidate``); an empty ``candidate`` ends the list."""
        pc = self.pc
        if pc is None:
            return
        text = str(candidate.get("candidate") or "")
        if not text:
            await pc.addIceCandidate(None)
            return
        parsed: RTCIceCandidate = candidate_from_sdp(text.removeprefix("candidate:"))
        parsed.sdpMid = str(candidate.get("mid", "0"))
        await pc.addIceCandidate(parsed)

    # --------------------------------------------------------- renegotiation
    async def add_call(self, call_type: CallType | str | None = None) -> None:
        """Escalate (``addCall``): start media if there is none, else renegotiate to ``call_type``."""
        new_type = CallType(call_type or CallType.VIDEO)
        if not self.active:
            await self.start(new_type)
            return
        if self.rtmp is not None or new_type in RTMP_CALL_TYPES:
            raise MediaError(
                f"cannot turn a {self.settings.call_type.value!r} call into {new_type.value!r}: "
                "an RTMP publish has no SDP to renegotiate; disconnect the call first"
            )
        self.settings.call_type = new_type
        await self.renegotiate(resend_sdp=True)

    async def renegotiate(self, resend_sdp: bool = False) -> bool:
        """Apply settings mid-call; returns whether an ``update`` was sent.

        ``False``: re-acquire devices and send an ``update`` only if an
        m-line's direction changed. ``True``: always send a new offer.
        """
        async with self._lock:
            pc = self.pc
            if pc is None or self.call_uuid is None:
                await self._acquire_devices()
                return False
            bind_budget(self.budget)
            await self._acquire_devices()
            lines = self._plan()
            if not resend_sdp and lines == self._lines:
                return False
            self._lines = lines
            apply_lines(pc, lines, self._relays, video_codecs(self.settings))
            await pc.setLocalDescription(await pc.createOffer())
            answer = await self.signalling.update(self.call_uuid, self._offer_text(pc))
            await pc.setRemoteDescription(RTCSessionDescription(sdp=answer, type="answer"))
            self._apply_send_cap(answer)
            await self.signalling.ack(self.call_uuid)
            return True

    async def restart_ice(self) -> None:
        """Re-establish media on a fresh peer connection (new ``call_uuid``).

        aiortc cannot restart ICE in place; a new connection and call give
        the same outcome (new candidates, new credentials, TURN servers
        learnt since) at the cost of a new DTLS handshake. The automatic
        recovery uses the same path, without the ``disconnected`` event.
        """
        await self._stop_recovery()
        if self.pc is None or self.rtmp is not None:  # no WebRTC call (yet): hang up what is there, call
            await self.disconnect_call()
            await self.start()
            return
        await self._restart_once()

    async def switch_camera(self, spec: DeviceSpec | None) -> bool:
        """Use another camera (``None``: stop sending video); renegotiates if directions change."""
        self.settings.video_source = spec
        return await self.renegotiate(resend_sdp=False)

    async def switch_microphone(self, spec: DeviceSpec | None) -> bool:
        self.settings.audio_source = spec
        return await self.renegotiate(resend_sdp=False)

    # ------------------------------------------------------------- controls
    def mute_audio(self, muted: bool) -> bool:
        """Stop sending audio RTP from the next frame on (RTMP: silence); returns the new state."""
        return self.audio_out.set_muted(muted)

    def mute_video(self, muted: bool) -> bool:
        """Stop sending video RTP from the next frame on (RTMP: black); returns the new state.

        Unmute asks the sender for a keyframe, so the picture returns at once.
        """
        return self.video_out.set_muted(muted)

    async def start_screenshare(self, source: DeviceSpec | MediaStreamTrack | None = None) -> None:
        """Send presentation on the slides m-line (the facade takes the floor first).

        Every source is held to ``screenshare_fps``: a device in its reader
        thread, a caller's track (``user_presentation_stream`` or ``source``)
        through a :class:`ThrottledTrack`.
        """
        fps = self.settings.screenshare_fps
        if isinstance(source, DeviceSpec) or source is None:
            spec = source or self.settings.screen_source
            if spec is None and self.settings.user_presentation_stream:
                # the caller keeps owning its stream: stopping the share leaves it live
                track: MediaStreamTrack = ThrottledTrack(self.settings.user_presentation_stream[0], fps)
            elif spec is None:
                raise MediaError("no screen source: set screen_source or user_presentation_stream")
            else:
                track = await open_capture(spec, max_fps=fps)
        else:
            # a track handed to present() is ours to stop when the share ends, as before
            track = ThrottledTrack(source, fps, owns_source=True)
        old = self.screen_out.set_source(track)
        if old is not None and old is not track:
            old.stop()
        if self.pc is not None and self._lines and "send" not in self._lines[-1].direction:
            await self.renegotiate(resend_sdp=False)

    def stop_screenshare(self) -> None:
        old = self.screen_out.set_source(None)
        if old is not None:
            old.stop()

    # ------------------------------------------------------------- hang-up
    async def _stop_recovery(self) -> None:
        await self._recovery.stop()

    async def disconnect_call(self) -> None:
        """Hang up the media (``disconnectcall``); the participant stays in the roster."""
        await self._stop_recovery()
        async with self._lock:
            call_uuid, self.call_uuid = self.call_uuid, None
            pc = self._forget_pc()
            rtmp, self.rtmp = self.rtmp, None
            if rtmp is not None:
                await rtmp.stop()  # flush and close the stream before the node drops the call
            # the media goes down whatever the node says, and without waiting for a node that is gone
            await self._drop_call(call_uuid)
            await self._close_pc(pc)
            self._emit("disconnected", call_uuid=call_uuid)

    def _forget_pc(self) -> RTCPeerConnection | None:
        """Stop treating the connection as ours before telling the node we hang up.

        The node's side closes at once, and aiortc then closes ours by itself;
        a connection still in :attr:`pc` would look lost and be restarted.
        """
        pc, self.pc = self.pc, None
        return pc

    async def _close_pc(self, pc: RTCPeerConnection | None = None) -> None:
        if pc is None:
            pc = self._forget_pc()
        self._connected.clear()
        self.main_video.detach()
        self.presentation_video.detach()
        self.audio.detach()
        if pc is not None:
            await pc.close()

    async def close(self) -> None:
        """Hang up and release every device; the audio output is left to whoever opened it."""
        await self.disconnect_call()
        loop = asyncio.get_running_loop()
        for relay in (self.audio_out, self.video_out, self.screen_out):
            old = relay.set_source(None)
            if old is not None:
                old.stop()
            if isinstance(old, CaptureTrack) and not await loop.run_in_executor(None, old.join, 2.0):
                log.warning("capture thread still busy after 2 s", extra={"context": {"kind": old.kind}})
        self._sources = {"audio": None, "video": None}
        self.audio.close()

    # ----------------------------------------------------------- statistics
    async def media_statistics(self) -> dict[str, Any]:
        """``getMediaStatistics()``: the founding document's nested dictionary."""
        if self.rtmp is not None:
            return self.rtmp.statistics()
        if self.pc is None:
            return {"outgoing": {}, "incoming": {}}
        return await self._stats.collect(
            self.pc.getTransceivers(),
            sent=(self.video_out.resolution, self.screen_out.resolution),
            received=(self.main_video.stats, self.presentation_video.stats),
            encoder=next(iter(self.budget.encoders.values()), None),
            names=[
                "presentation" if line.content == "slides" else "audio" if line.kind == "audio" else "video"
                for line in self._lines
            ]
            or ("audio", "video", "presentation"),
        )

    def secure_check_code(self) -> str:
        """``getSecureCheckCode()``: equal on both ends of an end-to-end encrypted call."""
        pc = self.pc
        if pc is None or pc.localDescription is None or pc.remoteDescription is None:
            return "INVALID"
        return sdp_text.secure_check_code(pc.localDescription.sdp, pc.remoteDescription.sdp)

    async def wait_connected(self) -> None:
        """Until DTLS is up (wrap in ``asyncio.timeout``): for callers that need media flowing."""
        await self._connected.wait()
