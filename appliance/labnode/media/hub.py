"""The lab node's media hub: a small transcoding MCU on aiortc.

Each call's offer is answered by its own ``RTCPeerConnection``; what flows
out is decided per participant, as an MCU does: one composed video (shared
with every listener who should see the same thing, see :mod:`mixer`), one
audio mix without the listener's own voice (:mod:`audio_mix`), and the
current presentation on the slides m-line (:mod:`presentation_media`).
The conference side drives it through :class:`MediaHub` and hears back
through :class:`MediaEvents`; nothing here knows about tokens or REST.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Coroutine, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Final

import av
from aiortc import RTCBundlePolicy, RTCConfiguration, RTCPeerConnection, RTCRtpSender, RTCSessionDescription
from aiortc.mediastreams import MediaStreamTrack
from aiortc.rtcrtpparameters import RTCRtpCodecCapability
from aiortc.sdp import candidate_from_sdp

from appliance.errors import MediaError
from appliance.labnode.media.audio_mix import AudioFifo, AudioMixer, MixedAudioTrack
from appliance.labnode.media.bots import BotSignature, BotSource
from appliance.labnode.media.call import HubCall
from appliance.labnode.media.encoder import EncodedVideoTrack, video_kbps
from appliance.labnode.media.faults import impair
from appliance.labnode.media.mixer import Compositor, MixKey, VideoMixer, mix_key_for
from appliance.labnode.media.mline_roles import MLineRole, assign_roles
from appliance.labnode.media.presentation_relay import MAX_FORWARD_SIZE, PresentationRelay
from appliance.labnode.media.rtmp_ingest import RtmpIngest
from appliance.labnode.media.slot import AsyncLatestSlot
from appliance.labnode.media_api import CallRequest, MediaEvents, MixState, RtmpCallRequest, RtmpEndpoint
from appliance.log import get_logger
from appliance.media.ice import rtc_configuration
from appliance.media.sdp import (
    MLine,
    bundles_everything,
    media_lines,
    negotiated_codecs,
    offered_video_codecs,
    sanitize_offer,
    tag_content,
)

log = get_logger(__name__)

STALE_VIDEO_SECONDS: Final = 2.0
WAITING_NOTICE: Final = "Waiting for the meeting to start"


@dataclass(slots=True)
class _Participant:
    uuid: str
    display_name: str = ""
    audio_muted: bool = False
    video_muted: bool = False
    receives_presentation: bool = True
    in_conference: bool = True
    bot: BotSource | None = None
    video: av.VideoFrame | None = None
    video_at: float = 0.0
    audio: AudioFifo | None = None
    mix_state: MixState | None = None
    calls: set[str] = field(default_factory=set)


@dataclass(slots=True)
class _RtmpCall:
    """An RTMP call's listener and the mixer source its audio feeds."""

    participant_uuid: str
    ingest: RtmpIngest
    fifo: AudioFifo


def _video_preferences(offered: Sequence[str]) -> list[RTCRtpCodecCapability]:
    """H.264 and VP8 in the offerer's order (RTX kept for retransmission).

    The client's first choice wins, as on a real node: our appliance and
    PexRTC offer H.264 first, which a Pi 4 decodes in hardware and which is
    also the cheaper of the two for the node to encode (x264 ultrafast).
    """
    codecs = RTCRtpSender.getCapabilities("video").codecs
    order = [name for name in offered if name in ("video/h264", "video/vp8")]
    order += [name for name in ("video/h264", "video/vp8") if name not in order]
    rank = {name: index for index, name in enumerate(order)}
    rank["video/rtx"] = len(order)
    return sorted((c for c in codecs if c.mimeType.lower() in rank), key=lambda c: rank[c.mimeType.lower()])


class AiortcMediaHub:
    """:class:`appliance.labnode.media_api.MediaHub` on aiortc; see the module docstring."""

    def __init__(
        self,
        events: MediaEvents,
        *,
        width: int = 640,
        height: int = 360,
        fps: int = 15,
        ice_servers: Sequence[Mapping[str, Any]] = (),
    ) -> None:
        self._events = events
        self.fps = fps
        stun = [s for s in ice_servers if not s.get("username")]
        turn = [s for s in ice_servers if s.get("username")]
        self._rtc_config = rtc_configuration(stun, turn)
        self._executor = ThreadPoolExecutor(max_workers=2, thread_name_prefix="labnode-media")
        self._participants: dict[str, _Participant] = {}
        self._calls: dict[str, HubCall] = {}
        self._rtmp: dict[str, _RtmpCall] = {}
        self._compositor = Compositor(width, height, self._tile_frame)
        self._video = VideoMixer(self._compositor, fps=fps)
        self._audio = AudioMixer(events.on_voice_activity)
        self._relay = PresentationRelay(
            events.on_presentation_still, self._executor, may_receive=self._may_receive_presentation
        )
        self._tasks: set[asyncio.Task[None]] = set()
        self._bots = 0
        self._closed = False

    # -- MediaHub: calls ------------------------------------------------------

    async def answer(self, request: CallRequest) -> str:
        if self._closed:
            raise MediaError("media hub is closed")
        if request.call_uuid in self._calls:
            raise MediaError(f"call {request.call_uuid} already has media; use update")
        participant = self._participant(request.participant_uuid)
        if request.display_name:
            participant.display_name = request.display_name
        call = HubCall(request, RTCPeerConnection(configuration=self._configuration(request.sdp)))
        self._calls[call.call_uuid] = call
        participant.calls.add(call.call_uuid)
        call.pc.on("track", lambda track: self._on_track(call, track))
        call.pc.on("connectionstatechange", lambda: self._on_connection_state(call))
        try:
            answer = await self._negotiate(call, request)
        except Exception as exc:
            await self._drop_call(call)
            raise MediaError(f"cannot answer call {request.call_uuid}: {type(exc).__name__}: {exc}") from exc
        call.spawn(call.poll_stats(), f"labnode-stats-{call.call_uuid}")
        log.info(
            "call %s answered: %s",
            call.call_uuid,
            ", ".join(f"{mid}={role}" for mid, role in call.roles.items()),
        )
        self._refresh_mixes()
        return answer

    async def ingest_rtmp(self, request: RtmpCallRequest) -> RtmpEndpoint:
        """Listen for the participant's RTMP publish; its pictures and voice mix like a WebRTC call's."""
        call_uuid = request.call_uuid
        if self._closed:
            raise MediaError("media hub is closed")
        if call_uuid in self._calls or call_uuid in self._rtmp:
            raise MediaError(f"call {call_uuid} already has media")
        participant = self._participant(request.participant_uuid)
        if request.display_name:
            participant.display_name = request.display_name
        fifo = AudioFifo()
        try:
            ingest = RtmpIngest(
                request.host,
                on_video=lambda frame: self._store_video(participant, frame),
                on_audio=fifo.push,
                on_ended=lambda reason: self._rtmp_ended(call_uuid, reason),
            )
        except OSError as exc:
            raise MediaError(f"cannot open an RTMP listener on {request.host}: {exc}") from exc
        self._rtmp[call_uuid] = _RtmpCall(participant.uuid, ingest, fifo)
        participant.calls.add(call_uuid)
        participant.audio = fifo
        self._audio.add_source(participant.uuid, fifo)
        ingest.start()
        log.info("RTMP call %s listening on port %s", call_uuid, ingest.port)
        self._refresh_mixes()
        return RtmpEndpoint(url=ingest.url, secure_url=ingest.secure_url)

    def _rtmp_ended(self, call_uuid: str, reason: str) -> None:
        if call_uuid in self._rtmp:
            self._spawn(self._drop_rtmp(call_uuid), f"labnode-drop-{call_uuid}")
            self._events.on_call_closed(call_uuid, reason)

    async def _drop_rtmp(self, call_uuid: str) -> None:
        call = self._rtmp.pop(call_uuid, None)
        if call is None:
            return
        participant = self._participants.get(call.participant_uuid)
        if participant is not None:
            participant.calls.discard(call_uuid)
            if participant.audio is call.fifo:
                self._audio.remove_source(participant.uuid)
                participant.audio = None
            participant.video = None
        await call.ingest.close()
        self._refresh_mixes()

    def _configuration(self, offer: str) -> RTCConfiguration:
        """Max-bundle when the offer bundles everything, as every WebRTC client does.

        aiortc's default (balanced) policy gives the second video transceiver
        the first one's transport and marks it bundled; when the offer then
        bundles all three m-lines onto the audio transport, that second
        video line is skipped and left on a transport aiortc stops, so the
        slides m-line would carry nothing.
        """
        if bundles_everything(offer):
            return dataclasses.replace(self._rtc_config, bundlePolicy=RTCBundlePolicy.MAX_BUNDLE)
        return self._rtc_config

    async def update(self, request: CallRequest) -> str:
        call = self._calls.get(request.call_uuid)
        if call is None:
            raise MediaError(f"no media for call {request.call_uuid} to update")
        try:
            return await self._negotiate(call, request)
        except Exception as exc:
            raise MediaError(f"cannot update call {request.call_uuid}: {type(exc).__name__}: {exc}") from exc

    async def _negotiate(self, call: HubCall, request: CallRequest) -> str:
        offer = sanitize_offer(request.sdp)
        lines = media_lines(offer)
        roles = assign_roles(lines, present=request.present, media_type=request.media_type)
        offered = offered_video_codecs(offer)
        for line, role in zip(lines, roles, strict=True):
            if line.mid not in call.roles and line.kind in ("audio", "video"):
                self._add_transceiver(call, line, role, offered)
        await call.pc.setRemoteDescription(RTCSessionDescription(sdp=offer, type="offer"))
        await call.pc.setLocalDescription(await call.pc.createAnswer())
        local = call.pc.localDescription.sdp
        call.codecs = negotiated_codecs(local)
        for mid, track in call.out_tracks.items():
            if isinstance(track, EncodedVideoTrack) and mid in call.codecs:
                track.set_codec(call.codecs[mid])
        for mid, role in call.roles.items():
            if role in (MLineRole.SLIDES, MLineRole.PRESENT_OUT):
                local = tag_content(local, mid, "slides")  # as Pexip's node tags its answer
        return local

    def _add_transceiver(self, call: HubCall, line: MLine, role: MLineRole, offered: Sequence[str]) -> None:
        uuid = call.participant_uuid
        track: MediaStreamTrack | None = None
        kbps = video_kbps(self._compositor.width, self._compositor.height, call.kbps_cap)
        if role is MLineRole.AUDIO:
            track = MixedAudioTrack(self._audio.add_listener(uuid))
        elif role is MLineRole.MAIN:
            track = EncodedVideoTrack(AsyncLatestSlot(), self._executor, fps=self.fps, kbps=kbps)
        elif role in (MLineRole.SLIDES, MLineRole.PRESENT_OUT):
            slides_kbps = video_kbps(*MAX_FORWARD_SIZE, call.kbps_cap)
            track = EncodedVideoTrack(AsyncLatestSlot(), self._executor, fps=self.fps, kbps=slides_kbps)
            self._relay.subscribe(track, uuid)
        transceiver = call.pc.addTransceiver(track or line.kind, direction=role.direction)
        if line.kind == "video":
            transceiver.setCodecPreferences(_video_preferences(offered))
        call.roles[line.mid] = role
        if track is not None:
            call.out_tracks[line.mid] = track

    def _on_track(self, call: HubCall, track: MediaStreamTrack) -> None:
        mid = next((t.mid for t in call.pc.getTransceivers() if t.receiver.track is track), None)
        role = call.roles.get(mid or "", MLineRole.OFF)
        participant = self._participants.get(call.participant_uuid)
        if participant is None:
            return
        name = f"labnode-rx-{call.call_uuid}-{mid}"
        if role is MLineRole.AUDIO:
            fifo = participant.audio = call.audio_fifo = AudioFifo()
            self._audio.add_source(participant.uuid, fifo)
            call.spawn(call.drain(track, "audio", fifo.push), name)
        elif role is MLineRole.MAIN:
            call.spawn(call.drain(track, "video", lambda f: self._store_video(participant, f)), name)
        elif role in (MLineRole.SLIDES, MLineRole.PRESENT_IN):
            call.spawn(
                call.drain(track, "presentation", lambda f: self._relay.push(participant.uuid, f)), name
            )

    def _store_video(self, participant: _Participant, frame: av.VideoFrame) -> None:
        participant.video = frame
        participant.video_at = asyncio.get_running_loop().time()

    def _on_connection_state(self, call: HubCall) -> None:
        state = call.pc.connectionState
        if state in ("failed", "closed") and self._calls.get(call.call_uuid) is call:
            log.info("call %s media ended: connection %s", call.call_uuid, state)
            self._spawn(self._drop_call(call), f"labnode-drop-{call.call_uuid}")
            self._events.on_call_closed(call.call_uuid, f"connection {state}")

    async def add_remote_candidate(self, call_uuid: str, candidate: Mapping[str, Any]) -> None:
        call = self._calls.get(call_uuid)
        if call is None:
            log.debug("candidate for unknown call %s ignored", call_uuid)
            return
        line = str(candidate.get("candidate") or "").strip()
        if not line:
            await call.pc.addIceCandidate(None)
            return
        if line.startswith("a="):
            line = line[2:]
        if line.startswith("candidate:"):
            line = line[len("candidate:") :]
        try:
            parsed = candidate_from_sdp(line)
        except (ValueError, IndexError, AssertionError) as exc:
            raise MediaError(f"unreadable ICE candidate for call {call_uuid}: {exc}") from exc
        mid = candidate.get("mid", candidate.get("sdpMid"))
        parsed.sdpMid = str(mid) if mid is not None else next(iter(call.roles), "0")
        await call.pc.addIceCandidate(parsed)

    async def close_call(self, call_uuid: str) -> None:
        if call_uuid in self._rtmp:
            await self._drop_rtmp(call_uuid)
            return
        call = self._calls.get(call_uuid)
        if call is not None:
            await self._drop_call(call)

    async def _drop_call(self, call: HubCall) -> None:
        if self._calls.get(call.call_uuid) is call:
            del self._calls[call.call_uuid]
        participant = self._participants.get(call.participant_uuid)
        for track in call.out_tracks.values():
            if isinstance(track, MixedAudioTrack):
                self._audio.remove_listener(track.listener)
            elif isinstance(track, EncodedVideoTrack):
                self._relay.unsubscribe(track)
        if call.main_key is not None:
            for track in call.video_tracks(MLineRole.MAIN):
                self._video.unsubscribe(call.main_key, track.slot)
        if participant is not None:
            participant.calls.discard(call.call_uuid)
            if call.audio_fifo is not None and participant.audio is call.audio_fifo:
                self._audio.remove_source(participant.uuid)
                participant.audio = None
        await call.close()

    # -- MediaHub: what to mix ------------------------------------------------

    def set_mix(self, participant_uuid: str, state: MixState) -> None:
        self._participant(participant_uuid).mix_state = state
        self._refresh_mixes()

    def set_participant_media(
        self,
        participant_uuid: str,
        *,
        audio_muted: bool,
        video_muted: bool,
        receives_presentation: bool,
        in_conference: bool,
    ) -> None:
        p = self._participant(participant_uuid)
        p.audio_muted = audio_muted
        p.video_muted = video_muted
        p.receives_presentation = receives_presentation
        p.in_conference = in_conference
        self._audio.set_audible(participant_uuid, in_conference and not audio_muted)
        self._audio.set_hears(participant_uuid, in_conference)
        self._refresh_mixes()

    def set_presenter(self, participant_uuid: str | None) -> None:
        bot = self._participants[participant_uuid].bot if participant_uuid in self._participants else None
        self._relay.set_presenter(participant_uuid, bot)

    def add_bot(self, participant_uuid: str, display_name: str) -> None:
        p = self._participant(participant_uuid)
        p.display_name = display_name
        p.bot = BotSource(self._bots, display_name, fps=self.fps)
        self._bots += 1
        self._audio.add_source(participant_uuid, p.bot)
        self._refresh_mixes()

    def bot_signature(self, participant_uuid: str) -> BotSignature:
        """How a bot shows up in the media (its colour and pitch), for tests and the demo."""
        p = self._participants.get(participant_uuid)
        if p is None or p.bot is None:
            raise MediaError(f"{participant_uuid} is not a bot")
        return p.bot.signature

    def remove_participant(self, participant_uuid: str) -> None:
        p = self._participants.pop(participant_uuid, None)
        if p is None:
            return
        for call_uuid in list(p.calls):
            if call_uuid in self._rtmp:
                self._spawn(self._drop_rtmp(call_uuid), f"labnode-drop-{call_uuid}")
                continue
            # Forget the call now, so nothing sees it while its close runs.
            call = self._calls.pop(call_uuid, None)
            if call is not None:
                self._spawn(self._drop_call(call), f"labnode-drop-{call_uuid}")
        self._audio.remove_source(participant_uuid)
        self._compositor.forget(participant_uuid)
        if self._relay.presenter == participant_uuid:
            self._relay.set_presenter(None)
        self._refresh_mixes()

    def _participant(self, uuid: str) -> _Participant:
        p = self._participants.get(uuid)
        if p is None:
            p = self._participants[uuid] = _Participant(uuid)
        return p

    def _may_receive_presentation(self, uuid: str) -> bool:
        p = self._participants.get(uuid)
        return p is not None and p.receives_presentation and p.in_conference

    def _tile_frame(self, uuid: str) -> av.VideoFrame | None:
        p = self._participants.get(uuid)
        if p is None or not p.in_conference or p.video_muted:
            return None
        now = asyncio.get_running_loop().time()
        if p.bot is not None:
            return p.bot.video_frame(now)
        if p.video is not None and now - p.video_at < STALE_VIDEO_SECONDS:
            return p.video
        return None

    def _key_for(self, p: _Participant) -> MixKey:
        if not p.in_conference:
            return MixKey("1:0", (), (), notice=WAITING_NOTICE)
        state = p.mix_state
        if state is None:
            present = [q for q in self._participants.values() if q.in_conference and (q.bot or q.calls)]
            state = MixState(
                view="1:7",
                order=[q.uuid for q in present],
                overlay_text={q.uuid: q.display_name for q in present},
            )
        return mix_key_for(p.uuid, state)

    def _refresh_mixes(self) -> None:
        """Move every main video track onto the composition its participant should see now."""
        for call in self._calls.values():
            p = self._participants.get(call.participant_uuid)
            tracks = call.video_tracks(MLineRole.MAIN)
            if p is None or not tracks:
                continue
            key = self._key_for(p)
            if key == call.main_key:
                continue
            for track in tracks:
                if call.main_key is not None:
                    self._video.unsubscribe(call.main_key, track.slot)
                self._video.subscribe(key, track.slot)
            call.main_key = key

    # -- diagnostics and shutdown --------------------------------------------

    def impair(self, participant_uuid: str, fault: str) -> int:
        calls = [c for c in self._calls.values() if c.participant_uuid == participant_uuid]
        for call in calls:
            impair(call.pc, fault)
        return len(calls)

    def call_statistics(self, call_uuid: str) -> Mapping[str, Any]:
        if call_uuid in self._rtmp:
            return self._rtmp[call_uuid].ingest.statistics()
        call = self._calls.get(call_uuid)
        if call is None:
            raise MediaError(f"no media for call {call_uuid}")
        stats = call.statistics()
        stats["active_compositions"] = self._video.active_mixes
        return stats

    def _spawn(self, coro: Coroutine[Any, Any, None], name: str) -> None:
        task = asyncio.get_running_loop().create_task(coro, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        for call in list(self._calls.values()):
            await self._drop_call(call)
        for call_uuid in list(self._rtmp):
            await self._drop_rtmp(call_uuid)
        if self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)
        await self._relay.close()
        await self._video.close()
        await self._audio.close()
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, self._executor.shutdown)
        log.info("media hub closed")
