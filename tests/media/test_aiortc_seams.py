"""The four places we reach into aiortc/aioice, each checked against the installed version.

The media engine replaces module-level names that aiortc and aioice look
up at call time (docs/media.md, "aiortc seams"): the codec lookups
``aiortc.rtcrtpsender.get_encoder`` / ``aiortc.rtcrtpreceiver.get_decoder``,
the receivers' ``aiortc.rtcrtpreceiver.JitterBuffer``, aioice's
``get_host_addresses``, and it calls the private
``RTCRtpSender._send_keyframe``. A release that imported those names
differently, renamed them or stopped honouring them would silently drop
our encoders, buffers or loopback candidates. Each test below runs a real
loopback call through the installed aiortc with a spy on one seam and
fails if aiortc no longer goes through it. pyproject.toml pins aiortc to
the minor series these tests were last run against.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import aioice.ice
import aiortc.rtcrtpreceiver
import aiortc.rtcrtpsender
import pytest
from aiortc import RTCBundlePolicy, RTCPeerConnection, RTCRtpSender, RTCSessionDescription
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

from appliance.media.encoders import RealtimeH264Encoder, RealtimeVp8Encoder
from appliance.media.ice import rtc_configuration
from appliance.media.jitter import AudioJitterBuffer, MarkerJitterBuffer
from tests.support.media import ColourTrack, ToneTrack
from tests.support.waiting import eventually

pytestmark = pytest.mark.media


@dataclass
class Spy:
    """Calls through to the replaced function and records each call and result."""

    original: Callable[..., Any]
    calls: list[tuple[tuple[Any, ...], dict[str, Any], Any]] = field(default_factory=list)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        result = self.original(*args, **kwargs)
        self.calls.append((args, kwargs, result))
        return result

    def results(self) -> list[Any]:
        return [result for _, _, result in self.calls]


def spy_on(monkeypatch: pytest.MonkeyPatch, owner: Any, name: str) -> Spy:
    spy = Spy(getattr(owner, name))
    monkeypatch.setattr(owner, name, spy)
    return spy


@dataclass
class Loopback:
    caller: RTCPeerConnection
    callee: RTCPeerConnection
    frames: dict[str, int]

    def sender(self, kind: str) -> RTCRtpSender:
        return next(t.sender for t in self.caller.getTransceivers() if t.kind == kind)


def _peer() -> RTCPeerConnection:
    configuration = rtc_configuration()
    configuration.bundlePolicy = RTCBundlePolicy.MAX_BUNDLE
    return RTCPeerConnection(configuration=configuration)


@pytest.fixture
async def loopback_call() -> AsyncIterator[Callable[[], Any]]:
    """Start (on demand, after the test set its spies) a caller sending video and audio to a callee."""
    made: list[Loopback] = []
    drains: list[asyncio.Task[None]] = []

    async def start() -> Loopback:
        caller, callee = _peer(), _peer()
        frames = {"audio": 0, "video": 0}

        async def drain(track: MediaStreamTrack) -> None:
            try:
                while True:
                    await track.recv()
                    frames[track.kind] += 1
            except MediaStreamError:
                pass

        @callee.on("track")
        def on_track(track: MediaStreamTrack) -> None:
            drains.append(asyncio.ensure_future(drain(track)))

        caller.addTrack(ToneTrack())
        caller.addTrack(ColourTrack())
        await caller.setLocalDescription(await caller.createOffer())
        await callee.setRemoteDescription(caller.localDescription)
        await callee.setLocalDescription(await callee.createAnswer())
        await caller.setRemoteDescription(
            RTCSessionDescription(sdp=callee.localDescription.sdp, type="answer")
        )
        call = Loopback(caller, callee, frames)
        made.append(call)
        await eventually(lambda: frames["video"] > 3 and frames["audio"] > 3, within=20)
        return call

    yield start
    for call in made:
        await call.caller.close()
        await call.callee.close()
    for task in drains:
        task.cancel()


async def test_aiortc_sender_and_receiver_build_their_codecs_through_our_lookups(
    monkeypatch: pytest.MonkeyPatch, loopback_call: Callable[[], Any]
) -> None:
    encoders = spy_on(monkeypatch, aiortc.rtcrtpsender, "get_encoder")
    decoders = spy_on(monkeypatch, aiortc.rtcrtpreceiver, "get_decoder")
    await loopback_call()
    assert any(isinstance(e, (RealtimeH264Encoder, RealtimeVp8Encoder)) for e in encoders.results())
    video_mimes = {args[0].mimeType.lower() for args, _, _ in decoders.calls}
    assert video_mimes & {"video/h264", "video/vp8"}


async def test_aiortc_receivers_build_their_jitter_buffers_through_ours(
    monkeypatch: pytest.MonkeyPatch, loopback_call: Callable[[], Any]
) -> None:
    buffers = spy_on(monkeypatch, aiortc.rtcrtpreceiver, "JitterBuffer")
    await loopback_call()
    built = buffers.results()
    assert any(isinstance(b, MarkerJitterBuffer) for b in built)
    assert any(isinstance(b, AudioJitterBuffer) for b in built)


async def test_aioice_gathers_host_candidates_through_our_address_list(
    monkeypatch: pytest.MonkeyPatch, loopback_call: Callable[[], Any]
) -> None:
    addresses = spy_on(monkeypatch, aioice.ice, "get_host_addresses")
    call = await loopback_call()
    assert addresses.calls and all(result == ["127.0.0.1"] for result in addresses.results())
    hosts = {line.split()[4] for line in call.caller.localDescription.sdp.splitlines() if " typ host" in line}
    assert hosts == {"127.0.0.1"}


async def test_aiortc_send_keyframe_makes_the_next_frame_a_keyframe(
    monkeypatch: pytest.MonkeyPatch, loopback_call: Callable[[], Any]
) -> None:
    forced: list[bool] = []
    for encoder in (RealtimeH264Encoder, RealtimeVp8Encoder):
        original = encoder.encode

        def encode(self: Any, frame: Any, force_keyframe: bool = False, _original: Any = original) -> Any:
            forced.append(force_keyframe)
            return _original(self, frame, force_keyframe)

        monkeypatch.setattr(encoder, "encode", encode)
    call = await loopback_call()
    await eventually(lambda: len(forced) > 5)
    seen = len(forced)
    call.sender("video")._send_keyframe()  # what MediaCall does when video is unmuted
    await eventually(lambda: True in forced[seen:], within=5)
