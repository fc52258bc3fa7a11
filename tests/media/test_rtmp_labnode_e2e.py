"""RTMP end to end: a client publishes into the lab node, another participant sees it in the mix."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import av
import numpy as np
import pytest
from aiortc import RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

from appliance.infinity import InfinitySession, TokenGrant
from appliance.infinity.models import Participant
from appliance.labnode.app import LabNode
from appliance.media.call_type import CallType
from appliance.media.engine import MediaCall
from appliance.media.ice import rtc_configuration
from appliance.media.plan import MediaSettings
from appliance.media.processing import ProcessingSettings
from appliance.media.rtmp import RtmpPublisher, RtmpSettings
from appliance.media.sources import DeviceSpec
from tests.support.waiting import eventually

pytestmark = pytest.mark.media

VIOLET = (128, 0, 255)  # far from every bot colour in the lab node's palette
VIOLET_CAMERA = DeviceSpec("video", "lavfi", "color=c=0x8000ff:size=320x180:rate=15")
# 1 kHz: apart from every bot's pitch (300 Hz and up in 140 Hz steps, the first bot at 300)
TONE = DeviceSpec("audio", "lavfi", "sine=frequency=1000:sample_rate=48000")
SETTINGS = RtmpSettings(width=320, height=180, fps=15, video_kbps=300)


def violet_share(frame: av.VideoFrame) -> float:
    """Share of the picture within a codec's rounding of the publisher's colour."""
    rgb = frame.to_ndarray(format="rgb24").astype(np.int16)
    close = np.all(np.abs(rgb - np.array(VIOLET, dtype=np.int16)) < 45, axis=2)
    return float(close.mean())


@dataclass
class Viewer:
    """A plain aiortc WebRTC participant: receives the composed picture, sends nothing."""

    session: InfinitySession
    pc: RTCPeerConnection
    video: asyncio.Queue[MediaStreamTrack]
    audio: asyncio.Queue[MediaStreamTrack]
    track: MediaStreamTrack | None = None
    audio_track: MediaStreamTrack | None = None

    @classmethod
    async def join(cls, session: InfinitySession) -> Viewer:
        pc = RTCPeerConnection(configuration=rtc_configuration([], []))
        video: asyncio.Queue[MediaStreamTrack] = asyncio.Queue()
        audio: asyncio.Queue[MediaStreamTrack] = asyncio.Queue()
        pc.on("track", lambda track: (video if track.kind == "video" else audio).put_nowait(track))
        pc.addTransceiver("audio", direction="recvonly")
        pc.addTransceiver("video", direction="recvonly")
        await pc.setLocalDescription(await pc.createOffer())
        info = await session.calls.create_call(pc.localDescription.sdp)
        await pc.setRemoteDescription(RTCSessionDescription(sdp=info.sdp, type="answer"))
        await session.calls.ack(info.call_uuid)
        return cls(session, pc, video, audio)

    async def frame_where(self, predicate: Any, within: float = 15.0) -> av.VideoFrame:
        async with asyncio.timeout(within):
            if self.track is None:
                self.track = await self.video.get()
            while True:
                try:
                    frame = await self.track.recv()
                except MediaStreamError:
                    raise AssertionError("the composed video ended") from None
                if predicate(frame):
                    return frame

    async def listen(self, seconds: float) -> np.ndarray:
        """The mix this viewer hears, as mono samples at 48 kHz."""
        samples: list[np.ndarray] = []
        async with asyncio.timeout(seconds + 10):
            if self.audio_track is None:
                self.audio_track = await self.audio.get()
            total = 0
            while total < seconds * 48000:
                frame = await self.audio_track.recv()
                data = frame.to_ndarray().reshape(-1, len(frame.layout.channels))[:, 0]
                samples.append(data.astype(np.float64))
                total += data.size
        return np.concatenate(samples)


def tone_prominence(samples: np.ndarray, hz: float) -> float:
    """Energy at ``hz`` over the spectrum's median: far above 1 when the tone is there."""
    spectrum = np.abs(np.fft.rfft(samples * np.hanning(samples.size)))
    freqs = np.fft.rfftfreq(samples.size, 1 / 48000)
    peak = spectrum[np.abs(freqs - hz) < 5].max()
    return float(peak / (np.median(spectrum) + 1e-9))


@dataclass
class Meeting:
    node: LabNode
    publisher_session: InfinitySession
    viewer: Viewer


@pytest.fixture
async def meeting() -> AsyncIterator[Meeting]:
    async with (
        LabNode(host="127.0.0.1", port=0, bots=1) as node,
        InfinitySession(node.url, "meet") as publisher_session,
        InfinitySession(node.url, "meet") as viewer_session,
    ):
        assert isinstance(await publisher_session.join("RTMP camera"), TokenGrant)
        assert isinstance(await viewer_session.join("Viewer"), TokenGrant)
        await viewer_session.control.transform_layout({"layout": "4:0"})
        viewer = await Viewer.join(viewer_session)
        try:
            yield Meeting(node, publisher_session, viewer)
        finally:
            await viewer.pc.close()


def _seen_by_viewer(meeting: Meeting) -> Participant | None:
    uuid = meeting.publisher_session.participant_uuid
    return meeting.viewer.session.state.participants.get(uuid or "")


def _port_refuses(url: str) -> bool:
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname or "", parts.port or 1935), timeout=1):
            return False
    except OSError:
        return True


@contextlib.asynccontextmanager
async def publishing(url: str, on_ended: Any = None) -> AsyncIterator[RtmpPublisher]:
    publisher = await RtmpPublisher.from_devices(
        url, video=VIOLET_CAMERA, audio=TONE, settings=SETTINGS, on_ended=on_ended
    )
    await publisher.start()
    try:
        yield publisher
    finally:
        await publisher.stop()


async def test_rtmp_call_answers_with_urls_on_the_node(meeting: Meeting) -> None:
    info = await meeting.publisher_session.calls.create_rtmp_call(streaming=False, bandwidth_kbps=800)
    assert info.call_uuid and info.sdp == ""
    assert info.url.startswith("rtmp://127.0.0.1:") and info.secure_url.startswith("rtmps://127.0.0.1:")
    await meeting.publisher_session.calls.disconnect_call(info.call_uuid)


async def test_rtmp_published_colour_appears_in_the_viewers_composed_picture(meeting: Meeting) -> None:
    info = await meeting.publisher_session.calls.create_rtmp_call(streaming=False, bandwidth_kbps=800)
    async with publishing(info.url):
        frame = await meeting.viewer.frame_where(lambda f: violet_share(f) > 0.05)
    # in 4:0 with a bot, the viewer and the publisher, the publisher fills one quarter
    assert 0.1 < violet_share(frame) < 0.4


async def test_rtmp_participant_shows_protocol_rtmp_with_media(meeting: Meeting) -> None:
    info = await meeting.publisher_session.calls.create_rtmp_call(streaming=False)
    await eventually(lambda: (p := _seen_by_viewer(meeting)) is not None and p.has_media)
    seen = _seen_by_viewer(meeting)
    assert seen is not None and seen.protocol == "rtmp" and not seen.is_streaming_conference
    await meeting.publisher_session.calls.disconnect_call(info.call_uuid)


async def test_rtmp_stream_call_marks_the_participant_streaming(meeting: Meeting) -> None:
    await meeting.publisher_session.calls.create_rtmp_call(streaming=True)
    await eventually(lambda: (p := _seen_by_viewer(meeting)) is not None and p.is_streaming_conference)


async def test_rtmp_call_disconnect_tears_down_media_and_listener(meeting: Meeting) -> None:
    info = await meeting.publisher_session.calls.create_rtmp_call(streaming=False)
    ended: list[str] = []
    async with publishing(info.url, on_ended=ended.append):
        await meeting.viewer.frame_where(lambda f: violet_share(f) > 0.05)
        await meeting.publisher_session.calls.disconnect_call(info.call_uuid)
        await eventually(lambda: (p := _seen_by_viewer(meeting)) is not None and not p.has_media)
        await eventually(lambda: bool(ended), within=10)
    assert _port_refuses(info.url)
    await meeting.viewer.frame_where(lambda f: violet_share(f) < 0.01)


async def test_rtmp_publisher_stopping_ends_the_call_on_the_node(meeting: Meeting) -> None:
    info = await meeting.publisher_session.calls.create_rtmp_call(streaming=False)
    async with publishing(info.url):
        await meeting.viewer.frame_where(lambda f: violet_share(f) > 0.05)
    await eventually(lambda: (p := _seen_by_viewer(meeting)) is not None and not p.has_media)


async def test_rtmp_token_release_closes_the_listener(meeting: Meeting) -> None:
    info = await meeting.publisher_session.calls.create_rtmp_call(streaming=False)
    await meeting.publisher_session.release_token()
    await eventually(lambda: _seen_by_viewer(meeting) is None)
    await eventually(lambda: _port_refuses(info.url), within=5)


async def test_rtmp_engine_call_publishes_the_camera_into_the_mix(meeting: Meeting) -> None:
    settings = MediaSettings(
        call_type=CallType.RTMP,
        audio_source=TONE,
        video_source=VIOLET_CAMERA,
        bandwidth_out=512,
        processing=ProcessingSettings(False, False, False),
    )
    call = MediaCall(meeting.publisher_session.calls, settings)
    try:
        await call.start()
        assert call.active and call.call_uuid is not None
        await meeting.viewer.frame_where(lambda f: violet_share(f) > 0.05)
        stats = await call.media_statistics()
        assert stats["outgoing"]["video"]["frames-sent"] > 0 and stats["incoming"] == {}
    finally:
        await call.close()
    await eventually(lambda: (p := _seen_by_viewer(meeting)) is not None and not p.has_media)


async def test_rtmp_engine_video_mute_publishes_black(meeting: Meeting) -> None:
    settings = MediaSettings(
        call_type=CallType.STREAM,
        audio_source=TONE,
        video_source=VIOLET_CAMERA,
        processing=ProcessingSettings(False, False, False),
    )
    call = MediaCall(meeting.publisher_session.calls, settings)
    try:
        await call.start()
        await meeting.viewer.frame_where(lambda f: violet_share(f) > 0.05)
        call.mute_video(True)
        await meeting.viewer.frame_where(lambda f: violet_share(f) < 0.01)
    finally:
        await call.close()


async def test_rtmp_published_sound_is_heard_by_the_viewer(meeting: Meeting) -> None:
    info = await meeting.publisher_session.calls.create_rtmp_call(streaming=False)
    async with publishing(info.url):
        await meeting.viewer.frame_where(lambda f: violet_share(f) > 0.05)
        heard = await meeting.viewer.listen(1.0)
    assert tone_prominence(heard, 1000.0) > 1000  # about 4e5 with the publisher, 3 without
