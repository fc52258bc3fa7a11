"""RtmpPublisher: lavfi camera and microphone pushed to a PyAV RTMP listener and read back."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import av
import numpy as np
import pytest

from appliance.errors import MediaError
from appliance.media.rtmp import RtmpPublisher, RtmpSettings, describe_url, settings_for_bandwidth
from appliance.media.sources import DeviceSpec

RED_CAMERA = DeviceSpec("video", "lavfi", "color=c=0xff0000:size=320x240:rate=15")
TONE = DeviceSpec("audio", "lavfi", "sine=frequency=440:sample_rate=48000")
# the test's listener is one-shot, like ``ffmpeg -listen 1``: no reachability probe
SMALL = RtmpSettings(width=320, height=180, fps=15, video_kbps=300, connect_timeout=2.0, probe_first=False)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Received:
    sizes: set[tuple[int, int]] = field(default_factory=set)
    rgb_means: list[tuple[float, float, float]] = field(default_factory=list)
    audio_peaks: list[float] = field(default_factory=list)
    codecs: list[str] = field(default_factory=list)
    error: str = ""
    got_video: threading.Event = field(default_factory=threading.Event)
    done: threading.Event = field(default_factory=threading.Event)


class Listener:
    """A plain PyAV RTMP listener: what any RTMP server would see from us."""

    def __init__(self) -> None:
        self.port = _free_port()
        self.url = f"rtmp://127.0.0.1:{self.port}/live/test-key"
        self.received = Received()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        r = self.received
        try:
            # FFmpeg's own listen timeout, not PyAV's (whose callback needs the GIL)
            options = {"listen": "1", "timeout": "10", "probesize": "32", "analyzeduration": "0"}
            container: Any = av.open(self.url, format="flv", options=options)
        except (av.FFmpegError, OSError) as exc:
            r.error = str(exc)
            r.done.set()
            return
        r.codecs = [s.codec_context.name for s in container.streams]
        try:
            for frame in container.decode(*container.streams):
                if self._stop.is_set():
                    break
                if isinstance(frame, av.VideoFrame):
                    r.sizes.add((frame.width, frame.height))
                    rgb = frame.to_ndarray(format="rgb24").reshape(-1, 3).mean(axis=0)
                    r.rgb_means.append((float(rgb[0]), float(rgb[1]), float(rgb[2])))
                    r.got_video.set()
                elif isinstance(frame, av.AudioFrame):
                    r.audio_peaks.append(float(np.abs(frame.to_ndarray()).max()))
        except (av.FFmpegError, OSError):
            pass  # end of stream shows up as EIO
        finally:
            container.close()
            r.done.set()

    def close(self) -> None:
        """Stop reading and hang up (a listener still waiting is poked awake)."""
        self._stop.set()
        if self._thread.is_alive() and not self.received.codecs:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.port), timeout=1):
                pass
        self._thread.join(3)


@pytest.fixture
def listener() -> Iterator[Listener]:
    lst = Listener()
    yield lst
    lst.close()


async def _wait(event: threading.Event, seconds: float) -> None:
    if not await asyncio.to_thread(event.wait, seconds):
        raise TimeoutError(f"listener event not set within {seconds} s")


@pytest.mark.media
async def test_rtmp_publisher_sends_camera_at_configured_resolution_and_colour(listener: Listener) -> None:
    publisher = await RtmpPublisher.from_devices(listener.url, video=RED_CAMERA, audio=TONE, settings=SMALL)
    await publisher.start()
    await _wait(listener.received.got_video, 10)
    await asyncio.sleep(0.5)
    await publisher.stop()
    await _wait(listener.received.done, 5)
    r = listener.received
    assert r.codecs == ["h264", "aac"]
    assert r.sizes == {(320, 180)}
    red, green, blue = r.rgb_means[-1]
    assert red > 200 and green < 60 and blue < 60


@pytest.mark.media
async def test_rtmp_publisher_sends_audible_microphone(listener: Listener) -> None:
    publisher = await RtmpPublisher.from_devices(listener.url, video=RED_CAMERA, audio=TONE, settings=SMALL)
    await publisher.start()
    await _wait(listener.received.got_video, 10)
    await asyncio.sleep(0.8)
    await publisher.stop()
    await _wait(listener.received.done, 5)
    # lavfi's sine is at 1/8 full scale; AAC keeps its energy
    assert max(listener.received.audio_peaks) > 0.05


@pytest.mark.media
async def test_rtmp_publisher_audio_only_sends_no_video_stream(listener: Listener) -> None:
    settings = dataclasses.replace(settings_for_bandwidth(512, audio_only=True), probe_first=False)
    publisher = await RtmpPublisher.from_devices(
        listener.url, video=RED_CAMERA, audio=TONE, settings=settings
    )
    await publisher.start()
    await asyncio.sleep(1.0)
    await publisher.stop()
    await _wait(listener.received.done, 5)
    assert listener.received.codecs == ["aac"]
    assert publisher.stats.video_frames == 0 and publisher.stats.audio_frames > 0


@pytest.mark.media
async def test_rtmp_publisher_counts_what_it_sent(listener: Listener) -> None:
    publisher = await RtmpPublisher.from_devices(listener.url, video=RED_CAMERA, audio=TONE, settings=SMALL)
    await publisher.start()
    assert publisher.publishing
    await _wait(listener.received.got_video, 10)
    await publisher.stop()
    stats = publisher.stats
    assert stats.state == "stopped"
    assert stats.video_frames > 0 and stats.bytes_sent > 0


@pytest.mark.media
async def test_rtmp_publisher_sends_keyframes_only_at_the_gop_interval(listener: Listener) -> None:
    # lavfi marks every decoded frame I; the publisher must not pass that on to x264
    settings = dataclasses.replace(SMALL, keyframe_seconds=10.0)
    publisher = await RtmpPublisher.from_devices(
        listener.url, video=RED_CAMERA, audio=None, settings=settings
    )
    await publisher.start()
    for _ in range(200):
        if publisher.stats.video_frames >= 20:
            break
        await asyncio.sleep(0.05)
    await publisher.stop()
    assert publisher.stats.keyframes == 1


@pytest.mark.media
async def test_rtmp_publisher_reports_the_far_end_going_away(listener: Listener) -> None:
    ended: asyncio.Queue[str] = asyncio.Queue()
    publisher = await RtmpPublisher.from_devices(
        listener.url, video=RED_CAMERA, audio=TONE, settings=SMALL, on_ended=ended.put_nowait
    )
    await publisher.start()
    await _wait(listener.received.got_video, 10)
    # a listener that stops reading and closes: the next writes fail
    await asyncio.to_thread(listener.close)
    async with asyncio.timeout(15):
        reason = await ended.get()
    await publisher.stop()
    assert "RTMP connection failed" in reason
    assert publisher.stats.state == "failed"


async def test_rtmp_publisher_refuses_a_non_rtmp_url() -> None:
    with pytest.raises(MediaError, match="rtmp:// or rtmps://"):
        RtmpPublisher("http://127.0.0.1:1/live", video=None, audio=None)


async def test_rtmp_publisher_start_fails_fast_when_nobody_listens() -> None:
    url = f"rtmp://127.0.0.1:{_free_port()}/live/secret-publish-key"
    settings = dataclasses.replace(SMALL, probe_first=True, connect_timeout=0.5)
    publisher = await RtmpPublisher.from_devices(url, video=RED_CAMERA, audio=None, settings=settings)
    with pytest.raises(MediaError, match="cannot reach") as caught:
        await publisher.start()
    assert "secret-publish-key" not in str(caught.value)
    assert publisher.stats.state == "failed"


async def test_rtmp_publisher_start_names_an_encoder_that_cannot_open(listener: Listener) -> None:
    settings = dataclasses.replace(SMALL, video_encoder="no_such_h264_encoder")
    publisher = await RtmpPublisher.from_devices(
        listener.url, video=RED_CAMERA, audio=None, settings=settings
    )
    with pytest.raises(MediaError, match="failed to start"):
        await publisher.start()
    await publisher.stop()


def test_rtmp_describe_url_hides_the_stream_key() -> None:
    assert describe_url("rtmp://node.example.com/live/abc123") == "rtmp://node.example.com:1935"
    assert describe_url("rtmps://node.example.com/live/abc123") == "rtmps://node.example.com:443"


def test_rtmp_settings_for_bandwidth_picks_720p_from_1200_kbps_of_video() -> None:
    high = settings_for_bandwidth(2048)
    low = settings_for_bandwidth(256)
    assert (high.width, high.height) == (1280, 720)
    assert (low.width, low.height) == (320, 180)
    assert high.video_kbps + high.audio_kbps == 2048
