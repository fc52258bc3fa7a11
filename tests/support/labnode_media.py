"""Pexip-style client peers and pixel/spectrum helpers for the lab node media tests.

Clients are plain aiortc peer connections that offer what Pexip's browser
client offers (audio, main video and a video line tagged ``a=content:slides``,
all sendrecv), so the hub is exercised exactly as the REST layer will drive it.
"""

from __future__ import annotations

import asyncio
import math
import uuid as uuidlib
from collections.abc import Callable
from dataclasses import dataclass, field

import av
import numpy as np
from aiortc import RTCBundlePolicy, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamTrack

from appliance.labnode.media.bots import PALETTE
from appliance.labnode.media.hub import AiortcMediaHub
from appliance.labnode.media_api import CallRequest
from appliance.media.ice import rtc_configuration
from tests.support.media import ColourTrack, ToneTrack

AUDIO_RATE = 48000
# A client camera in these tests: 16:9 like a webcam, small enough for two cores.
CAMERA_SIZE = (320, 180)


@dataclass
class RecordingEvents:
    """MediaEvents that remember every callback, for assertions."""

    voice: list[tuple[str, bool]] = field(default_factory=list)
    stills: list[tuple[bytes, bytes]] = field(default_factory=list)
    closed: list[tuple[str, str]] = field(default_factory=list)

    def on_voice_activity(self, participant_uuid: str, speaking: bool) -> None:
        self.voice.append((participant_uuid, speaking))

    def on_presentation_still(self, jpeg: bytes, high_jpeg: bytes) -> None:
        self.stills.append((jpeg, high_jpeg))

    def on_call_closed(self, call_uuid: str, reason: str) -> None:
        self.closed.append((call_uuid, reason))


class PexipClient:
    """One participant's browser-like peer: audio, main video and a slides video m-line."""

    def __init__(
        self,
        name: str,
        *,
        pitch: float = 1200.0,
        camera: tuple[int, int, int] | None = (128, 128, 128),
        slides: tuple[int, int, int] | None = None,
        directions: tuple[str, str, str] = ("sendrecv", "sendrecv", "sendrecv"),
    ) -> None:
        self.participant_uuid = str(uuidlib.uuid4())
        self.call_uuid = str(uuidlib.uuid4())
        self.name = name
        config = rtc_configuration()
        # Max-bundle, as browsers do: aiortc's balanced policy loses the slides line under BUNDLE.
        config.bundlePolicy = RTCBundlePolicy.MAX_BUNDLE
        self.pc = RTCPeerConnection(configuration=config)
        self._tracks: list[MediaStreamTrack | str] = [
            ToneTrack(pitch) if directions[0] != "recvonly" else "audio",
            ColourTrack(camera, CAMERA_SIZE) if camera and directions[1] != "recvonly" else "video",
            ColourTrack(slides, (640, 360)) if slides else "video",
        ]
        self.transceivers = [
            self.pc.addTransceiver(track, direction=direction)
            for track, direction in zip(self._tracks, directions, strict=True)
        ]

    async def offer(self) -> str:
        await self.pc.setLocalDescription(await self.pc.createOffer())
        sdp = self.pc.localDescription.sdp
        lines = sdp.split("\r\n")
        out = []
        for line in lines:
            out.append(line)
            if line == "a=mid:2":
                out.append("a=content:slides")
        return "\r\n".join(out)

    def request(self, sdp: str, **extra: object) -> CallRequest:
        return CallRequest(
            participant_uuid=self.participant_uuid,
            call_uuid=self.call_uuid,
            display_name=self.name,
            sdp=sdp,
            **extra,  # type: ignore[arg-type]
        )

    async def join(self, hub: AiortcMediaHub, **extra: object) -> str:
        answer = await hub.answer(self.request(await self.offer(), **extra))
        await self.pc.setRemoteDescription(RTCSessionDescription(sdp=answer, type="answer"))
        return answer

    def received(self, index: int) -> MediaStreamTrack:
        track = self.transceivers[index].receiver.track
        assert track is not None
        return track

    async def close(self) -> None:
        await self.pc.close()


async def next_frame_where(
    track: MediaStreamTrack, predicate: Callable[[av.VideoFrame], bool], within: float = 8.0
) -> av.VideoFrame:
    """The first decoded frame satisfying ``predicate``; fails after ``within`` seconds."""
    async with asyncio.timeout(within):
        while True:
            frame = await track.recv()
            if predicate(frame):
                return frame


def region_rgb(frame: av.VideoFrame, x: int, y: int, half: int = 12) -> tuple[int, int, int]:
    """Median colour of a square around (x, y) of a decoded frame."""
    rgb = frame.to_ndarray(format="rgb24")
    patch = rgb[y - half : y + half, x - half : x + half].reshape(-1, 3)
    r, g, b = np.median(patch, axis=0)
    return int(r), int(g), int(b)


def nearest_palette(rgb: tuple[int, int, int]) -> int:
    """Index of the bot colour closest to ``rgb`` (-1 when nothing is close)."""
    distances = [math.dist(rgb, c) for c in PALETTE]
    best = min(range(len(PALETTE)), key=distances.__getitem__)
    return best if distances[best] < 60 else -1


async def collect_audio(track: MediaStreamTrack, seconds: float) -> np.ndarray:
    """Mono int16 samples received over ``seconds`` of audio."""
    chunks = []
    total = 0
    async with asyncio.timeout(seconds + 5):
        while total < seconds * AUDIO_RATE:
            frame = await track.recv()
            data = frame.to_ndarray().reshape(-1)
            if frame.layout.name == "stereo":
                data = data.reshape(-1, 2)[:, 0]
            chunks.append(data)
            total += data.size
    return np.concatenate(chunks).astype(np.float64)


def tone_energy(samples: np.ndarray, pitch: float) -> float:
    """Goertzel-style energy of ``samples`` at ``pitch`` Hz, normalised per sample."""
    n = np.arange(samples.size)
    phasor = np.exp(-2j * math.pi * pitch * n / AUDIO_RATE)
    return float(abs(np.dot(samples, phasor)) / samples.size)
