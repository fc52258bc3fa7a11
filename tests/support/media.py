"""Test support for the media engine: a plain-aiortc far end and paced synthetic sources.

``FakeFarEnd`` plays the node's part of call signalling (it satisfies
``appliance.media.signalling.CallSignalling``) with a plain aiortc
answerer, so engine tests need neither the Infinity client nor the lab
node. It sends a solid-colour picture and a 440 Hz tone, and records what
it receives, so tests read results from decoded pixels and audio energy.
"""

from __future__ import annotations

import asyncio
import contextlib
import fractions
import time
from dataclasses import dataclass, field
from typing import Any

import av
import numpy as np
from aiortc import RTCBundlePolicy, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack
from aiortc.sdp import candidate_from_sdp

from appliance.media.ice import rtc_configuration
from appliance.media.sdp import content_of
from appliance.media.signalling import CallAnswer
from appliance.media.sources import DeviceSpec


class ColourTrack(MediaStreamTrack):  # type: ignore[misc]
    """A paced solid-colour picture (yuv420p) at 15 fps whose colour tests can change: a camera."""

    kind = "video"

    def __init__(self, rgb: tuple[int, int, int] = (255, 0, 0), size: tuple[int, int] = (320, 240)) -> None:
        super().__init__()
        self.rgb = rgb
        self.size = size
        self.fps = 15
        self._start: float | None = None
        self._count = 0

    async def recv(self) -> av.VideoFrame:
        if self._start is None:
            self._start = time.monotonic()
        self._count += 1
        await asyncio.sleep(max(0.0, self._start + self._count / self.fps - time.monotonic()))
        width, height = self.size
        pixels = np.empty((height, width, 3), dtype=np.uint8)
        pixels[:] = self.rgb
        frame = av.VideoFrame.from_ndarray(pixels, format="rgb24").reformat(format="yuv420p")
        frame.pts = self._count * 6000
        frame.time_base = fractions.Fraction(1, 90000)
        return frame


class EndingTrack(ColourTrack):
    """A source that ends after a few frames, like a closed shared window."""

    def __init__(self, frames: int) -> None:
        super().__init__()
        self.left = frames

    async def recv(self) -> av.VideoFrame:
        if self.left <= 0:
            self.stop()
            raise MediaStreamError
        self.left -= 1
        return await super().recv()


class ToneTrack(MediaStreamTrack):  # type: ignore[misc]
    """A paced sine at ``pitch`` Hz (440 by default), s16 mono 48 kHz, 20 ms frames: a microphone."""

    kind = "audio"

    def __init__(self, pitch: float = 440.0, amplitude: int = 8000) -> None:
        super().__init__()
        self.pitch = pitch
        self.amplitude = amplitude
        self._start: float | None = None
        self._sent = 0

    async def recv(self) -> av.AudioFrame:
        if self._start is None:
            self._start = time.monotonic()
        await asyncio.sleep(max(0.0, self._start + self._sent / 48000 - time.monotonic()))
        t = (np.arange(960) + self._sent) / 48000
        samples = (self.amplitude * np.sin(2 * np.pi * self.pitch * t)).astype(np.int16)
        frame = av.AudioFrame.from_ndarray(samples.reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate = 48000
        frame.pts = self._sent
        frame.time_base = fractions.Fraction(1, 48000)
        self._sent += 960
        return frame


@dataclass
class Received:
    """What the far end decoded from one of our m-lines."""

    kind: str
    frames: int = 0
    last: Any = None
    rms: float = 0.0
    luma: float | None = None
    history: list[tuple[float, float]] = field(default_factory=list)  # (monotonic, luma or rms)


class FakeFarEnd:
    """A plain-aiortc far end speaking the engine's ``CallSignalling`` protocol."""

    def __init__(self, *, send_media: bool = True, direct_media: bool = False) -> None:
        self.send_media = send_media
        self.direct_media = direct_media
        self.pc: RTCPeerConnection | None = None
        self.log: list[tuple[str, Any]] = []
        self.received: dict[str, Received] = {}
        self.video = ColourTrack()
        self.tone = ToneTrack()
        self.presentation = ColourTrack((0, 0, 255))
        self.present = False
        self._tasks: set[asyncio.Task[None]] = set()
        self.calls_made = 0
        self.answer_kbps: int | None = None  # b=AS this end puts on its answer
        self._awake = asyncio.Event()  # cleared while the far end is frozen
        self._awake.set()
        self.turn: list[dict[str, Any]] = []  # TURN servers named in every calls answer

    # -- freezing, as a SIGSTOP'd node: requests arrive, nothing is answered until it thaws
    def freeze(self) -> None:
        self._awake.clear()

    def thaw(self) -> None:
        self._awake.set()

    # -- CallSignalling
    async def create_call(
        self, sdp: str, *, present: str | None = None, media_type: str = "video"
    ) -> CallAnswer:
        self.log.append(("calls", {"sdp": sdp, "present": present, "media_type": media_type}))
        await self._awake.wait()
        self.calls_made += 1
        call_uuid = f"call-{self.calls_made}"
        if self.direct_media:
            return CallAnswer(call_uuid, "", offer_ignored=True)
        await self._close_pc()
        self.pc = self._new_pc()
        answer = await self._answer(sdp)
        return CallAnswer(call_uuid, answer, turn=tuple(self.turn))

    async def ack(self, call_uuid: str, sdp: str | None = None) -> None:
        self.log.append(("ack", {"call_uuid": call_uuid, "sdp": sdp}))
        await self._awake.wait()
        if sdp is not None and self.pc is not None:
            await self.pc.setRemoteDescription(RTCSessionDescription(sdp=sdp, type="answer"))

    async def new_candidate(
        self,
        call_uuid: str,
        candidate: str,
        mid: str | None,
        ufrag: str | None = None,
        pwd: str | None = None,
    ) -> None:
        self.log.append(("new_candidate", {"candidate": candidate, "mid": mid, "ufrag": ufrag, "pwd": pwd}))
        await self._awake.wait()
        if self.pc is None:
            return
        if not candidate:
            await self.pc.addIceCandidate(None)
            return
        parsed = candidate_from_sdp(candidate.removeprefix("candidate:"))
        parsed.sdpMid = mid
        await self.pc.addIceCandidate(parsed)

    async def update(self, call_uuid: str, sdp: str) -> str:
        self.log.append(("update", {"call_uuid": call_uuid, "sdp": sdp}))
        assert self.pc is not None
        return await self._answer(sdp)

    async def disconnect_call(self, call_uuid: str) -> None:
        self.log.append(("disconnect", {"call_uuid": call_uuid}))
        await self._awake.wait()
        await self._close_pc()

    # -- direct media: the far end offers
    async def make_offer(self) -> str:
        """A Pexip-style offer (audio, video, slides) from the far end, with its candidates."""
        await self._close_pc()
        pc = self.pc = self._new_pc()
        pc.addTransceiver(self.tone, "sendrecv")
        pc.addTransceiver(self.video, "sendrecv")
        pc.addTransceiver("video", "recvonly")
        await pc.setLocalDescription(await pc.createOffer())
        from appliance.media.sdp import tag_content

        return tag_content(pc.localDescription.sdp, "2", "slides")

    def ops(self) -> list[str]:
        return [name for name, _ in self.log]

    # -- internals
    def _new_pc(self) -> RTCPeerConnection:
        configuration = rtc_configuration()
        # aiortc's default (balanced) strands the slides line on a transport it then drops
        configuration.bundlePolicy = RTCBundlePolicy.MAX_BUNDLE
        pc = RTCPeerConnection(configuration=configuration)

        @pc.on("track")
        def on_track(track: MediaStreamTrack) -> None:
            mid = next((t.mid for t in pc.getTransceivers() if t.receiver.track is track), "?")
            record = self.received.setdefault(str(mid), Received(track.kind))
            task = asyncio.ensure_future(self._drain(track, record))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

        return pc

    async def _answer(self, offer: str) -> str:
        pc = self.pc
        assert pc is not None
        await pc.setRemoteDescription(RTCSessionDescription(sdp=offer, type="offer"))
        for transceiver in pc.getTransceivers():
            # what the offer lets this end do (aiortc stores it already reversed)
            allowed = transceiver._offerDirection or "sendrecv"
            track = transceiver.sender.track
            if track is None and self.send_media and "send" in allowed:
                if transceiver.kind == "audio":
                    track = self.tone
                elif content_of(offer, str(transceiver.mid)) != "slides":
                    track = self.video
                elif self.present:
                    track = self.presentation
                if track is not None:
                    transceiver.sender.replaceTrack(track)
            send = track is not None and "send" in allowed
            recv = "recv" in allowed
            transceiver.direction = {
                (True, True): "sendrecv",
                (True, False): "sendonly",
                (False, True): "recvonly",
            }.get((send, recv), "inactive")
        await pc.setLocalDescription(await pc.createAnswer())
        answer = str(pc.localDescription.sdp)
        if self.answer_kbps is not None:
            from appliance.media.sdp import set_bandwidth

            answer = set_bandwidth(answer, self.answer_kbps)
        return answer

    async def _drain(self, track: MediaStreamTrack, record: Received) -> None:
        with contextlib.suppress(MediaStreamError):
            while True:
                frame = await track.recv()
                record.frames += 1
                record.last = frame
                if isinstance(frame, av.VideoFrame):
                    luma = float(np.asarray(frame.planes[0]).mean())
                    record.luma = luma
                    record.history.append((time.monotonic(), luma))
                else:
                    samples = frame.to_ndarray().astype(np.float64)
                    record.rms = float(np.sqrt(np.mean(samples**2)))
                    record.history.append((time.monotonic(), record.rms))

    async def _close_pc(self) -> None:
        pc, self.pc = self.pc, None
        if pc is not None:
            await pc.close()

    async def close(self) -> None:
        await self._close_pc()
        for task in list(self._tasks):
            task.cancel()


CAMERA = DeviceSpec("video", "lavfi", "testsrc2=size=320x240:rate=15")
RED_CAMERA = DeviceSpec("video", "lavfi", "color=c=red:size=320x240:rate=15")
BLUE_CAMERA = DeviceSpec("video", "lavfi", "color=c=blue:size=320x240:rate=15")
MICROPHONE = DeviceSpec("audio", "lavfi", "sine=frequency=440:sample_rate=48000")
SCREEN = DeviceSpec("video", "lavfi", "color=c=green:size=640x360:rate=30")


class NetworkOutage:
    """The loopback network going down and up: every datagram aioice receives is dropped while down.

    It acts on both ends of an in-process call (ICE consent checks, DTLS,
    RTP, RTCP all arrive through aioice's protocol), as a pulled cable or a
    Wi-Fi roam would; HTTP signalling (TCP) is untouched, as it would be when
    the node is reached over another path.
    """

    def __init__(self) -> None:
        import aioice.ice

        self.down = False
        self.dropped = 0
        self._protocol = aioice.ice.StunProtocol
        self._original = self._protocol.datagram_received
        outage = self

        def datagram_received(protocol: Any, data: bytes | str, addr: tuple[Any, ...]) -> None:
            if outage.down:
                outage.dropped += 1
                return
            outage._original(protocol, data, addr)

        self._protocol.datagram_received = datagram_received  # type: ignore[method-assign]

    def restore(self) -> None:
        self.down = False
        self._protocol.datagram_received = self._original  # type: ignore[method-assign]


class SpeechTrack(MediaStreamTrack):  # type: ignore[misc]
    """A paced speech-like far-end signal (echo_path.speech_like), s16 mono 48 kHz, 20 ms frames."""

    kind = "audio"

    def __init__(self, seconds: float = 30.0) -> None:
        from tests.support.echo_path import speech_like

        super().__init__()
        self.signal = (speech_like(2, int(48000 * seconds)) * 6000).astype(np.int16)
        self._start: float | None = None
        self._sent = 0

    async def recv(self) -> av.AudioFrame:
        if self._start is None:
            self._start = time.monotonic()
        await asyncio.sleep(max(0.0, self._start + self._sent / 48000 - time.monotonic()))
        offset = self._sent % (len(self.signal) - 960)
        frame = av.AudioFrame.from_ndarray(
            self.signal[offset : offset + 960].reshape(1, -1), format="s16", layout="mono"
        )
        frame.sample_rate = 48000
        frame.pts = self._sent
        frame.time_base = fractions.Fraction(1, 48000)
        self._sent += 960
        return frame
