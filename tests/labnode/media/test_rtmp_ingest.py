"""RtmpIngest: one call's RTMP listener, from waiting for a publisher to the end of its stream."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import av
import pytest

from appliance.labnode.media.rtmp_ingest import RtmpIngest
from appliance.media.rtmp import RtmpPublisher, RtmpSettings
from appliance.media.sources import DeviceSpec

pytestmark = pytest.mark.media

CAMERA = DeviceSpec("video", "lavfi", "color=c=0x8000ff:size=320x180:rate=15")
TONE = DeviceSpec("audio", "lavfi", "sine=frequency=440:sample_rate=48000")
SETTINGS = RtmpSettings(width=320, height=180, fps=15, video_kbps=300)


@dataclass
class Seen:
    video: list[av.VideoFrame] = field(default_factory=list)
    audio: int = 0
    ended: asyncio.Queue[str] = field(default_factory=asyncio.Queue)
    first_video: asyncio.Event = field(default_factory=asyncio.Event)

    def on_video(self, frame: av.VideoFrame) -> None:
        self.video.append(frame)
        self.first_video.set()

    def on_audio(self, frame: av.AudioFrame) -> None:
        self.audio += 1


async def _poke_when_listening(port: int) -> None:
    """Connect and hang up at once, as a port scanner would (the listener may still be starting)."""
    async with asyncio.timeout(5):
        while True:
            try:
                _reader, writer = await asyncio.open_connection("127.0.0.1", port)
            except ConnectionRefusedError:
                await asyncio.sleep(0.02)
                continue
            writer.close()
            return


@pytest.fixture
async def seen() -> Seen:
    return Seen()


@pytest.fixture
async def ingest(seen: Seen) -> AsyncIterator[RtmpIngest]:
    listener = RtmpIngest(
        "127.0.0.1", on_video=seen.on_video, on_audio=seen.on_audio, on_ended=seen.ended.put_nowait
    )
    listener.start()
    yield listener
    await listener.close()


async def test_rtmp_ingest_decodes_the_published_picture_and_sound(ingest: RtmpIngest, seen: Seen) -> None:
    publisher = await RtmpPublisher.from_devices(ingest.url, video=CAMERA, audio=TONE, settings=SETTINGS)
    await publisher.start()
    try:
        async with asyncio.timeout(10):
            await seen.first_video.wait()
    finally:
        await publisher.stop()
    frame = seen.video[0]
    assert (frame.width, frame.height) == (320, 180)
    red, green, blue = frame.to_ndarray(format="rgb24").reshape(-1, 3).mean(axis=0)
    assert red > 100 and green < 50 and blue > 200
    assert ingest.statistics()["codecs"] == {"video": "h264", "audio": "aac"}


async def test_rtmp_ingest_reports_the_end_of_the_stream(ingest: RtmpIngest, seen: Seen) -> None:
    publisher = await RtmpPublisher.from_devices(ingest.url, video=CAMERA, audio=None, settings=SETTINGS)
    await publisher.start()
    async with asyncio.timeout(10):
        await seen.first_video.wait()
    await publisher.stop()
    async with asyncio.timeout(10):
        assert await seen.ended.get() == "the RTMP stream ended"


async def test_rtmp_ingest_survives_a_connection_that_is_not_a_publisher(
    ingest: RtmpIngest, seen: Seen
) -> None:
    await _poke_when_listening(ingest.port)
    publisher = await RtmpPublisher.from_devices(ingest.url, video=CAMERA, audio=None, settings=SETTINGS)
    await publisher.start()
    try:
        async with asyncio.timeout(10):
            await seen.first_video.wait()
    finally:
        await publisher.stop()
    # the probe never counted as a publisher
    assert ingest.statistics()["connections"] == 1


async def test_rtmp_ingest_gives_up_when_nobody_publishes(seen: Seen) -> None:
    lonely = RtmpIngest(
        "127.0.0.1",
        on_video=seen.on_video,
        on_audio=seen.on_audio,
        on_ended=seen.ended.put_nowait,
        wait_seconds=1.0,
    )
    lonely.start()
    try:
        async with asyncio.timeout(10):
            assert await seen.ended.get() == "no RTMP stream arrived within 1 s"
    finally:
        await lonely.close()


async def test_rtmp_ingest_close_while_waiting_stops_quietly(seen: Seen) -> None:
    waiting = RtmpIngest(
        "127.0.0.1", on_video=seen.on_video, on_audio=seen.on_audio, on_ended=seen.ended.put_nowait
    )
    waiting.start()
    await asyncio.sleep(0.2)
    async with asyncio.timeout(5):
        await waiting.close()
    assert seen.ended.empty()
    with pytest.raises(OSError), socket.create_connection(("127.0.0.1", waiting.port), timeout=1):
        pass


async def test_rtmp_ingest_urls_name_the_same_port_and_key() -> None:
    made = RtmpIngest("127.0.0.1", on_video=print, on_audio=print, on_ended=print)
    assert made.url.startswith(f"rtmp://127.0.0.1:{made.port}/live/")
    assert made.secure_url == "rtmps" + made.url.removeprefix("rtmp")
