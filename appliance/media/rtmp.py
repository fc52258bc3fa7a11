"""Publishing our camera and microphone to an RTMP URL (PexRTC call types "rtmp" and "stream").

For an RTMP call the node answers ``calls`` with a URL instead of an SDP
answer (reference §4.1); the client then pushes FLV (H.264 + AAC) there.
PyAV does all of it: libx264 ``ultrafast``/``zerolatency`` (8x cheaper
than aiortc's x264 settings on this hardware), FFmpeg's AAC encoder, the
FLV muxer and FFmpeg's own RTMP protocol.

PyAV's muxing calls block, so one worker thread owns the container and
both encoders, and the event loop only reads the source tracks and hands
frames over through a bounded queue. A late worker loses video frames,
never audio and never the loop's time.

Two PyAV facts shape the code. The RTMP connect runs inside
``avio_open``, which PyAV calls *holding the GIL*: an unreachable host
would freeze the whole process for a TCP timeout, so :meth:`start`
first proves the port answers with an asyncio connect (bounded by
``connect_timeout``). And output containers get no I/O timeout, so a node
that stops reading can leave the worker stuck in a write: :meth:`stop`
waits at most ``stop_timeout`` for it and then leaves the (daemon) thread
behind, logging that it did.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import fractions
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import urlsplit

import av
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack
from av.video.frame import PictureType
from av.video.reformatter import VideoReformatter

from appliance.errors import MediaError
from appliance.log import get_logger
from appliance.media.sources import DeviceSpec, open_capture

log = get_logger(__name__)

RTMP_SCHEMES: Final = ("rtmp", "rtmps")
_MS: Final = fractions.Fraction(1, 1000)
AUDIO_RATE: Final = 48_000
_AUDIO_TB: Final = fractions.Fraction(1, AUDIO_RATE)
_REFUSED_RETRY_SECONDS: Final = 0.05
_VIDEO_BACKLOG: Final = 4
_AUDIO_BACKLOG: Final = 100
# flush an interleaving stall quickly: a muted or absent stream must not delay the other by 10 s
_MAX_INTERLEAVE_US: Final = "300000"


@dataclass(frozen=True, slots=True)
class RtmpSettings:
    """What to encode; :func:`settings_for_bandwidth` derives it from the call's kbps."""

    width: int = 640
    height: int = 360
    fps: int = 15
    video_kbps: int = 700
    audio_kbps: int = 64
    keyframe_seconds: float = 2.0
    # any FFmpeg H.264 encoder: "h264_v4l2m2m" on a Pi 4 (media-performance.md §3.3)
    video_encoder: str = "libx264"
    send_video: bool = True
    send_audio: bool = True
    connect_timeout: float = 5.0
    stop_timeout: float = 3.0
    # prove the port answers before PyAV connects holding the GIL; a one-shot
    # listener (``ffmpeg -listen 1``) counts the probe as its one connection: turn it off there
    probe_first: bool = True


def settings_for_bandwidth(kbps: int | None, *, audio_only: bool = False) -> RtmpSettings:
    """Fit the picture to the call's bandwidth the way the WebRTC path does: 720p from 1.2 Mbit/s."""
    total = kbps if kbps and kbps > 0 else 1024
    audio_kbps = 64
    video_kbps = max(total - audio_kbps, 96)
    if audio_only:
        return RtmpSettings(send_video=False, video_kbps=0, audio_kbps=audio_kbps)
    if video_kbps >= 1200:
        return RtmpSettings(width=1280, height=720, fps=30, video_kbps=video_kbps, audio_kbps=audio_kbps)
    if video_kbps >= 400:
        return RtmpSettings(width=640, height=360, fps=25, video_kbps=video_kbps, audio_kbps=audio_kbps)
    return RtmpSettings(width=320, height=180, fps=15, video_kbps=video_kbps, audio_kbps=audio_kbps)


def default_port(scheme: str) -> int:
    return 443 if scheme == "rtmps" else 1935


def describe_url(url: str) -> str:
    """The URL without its path: the stream name may be a secret publish key."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.hostname}:{parts.port or default_port(parts.scheme)}"


@dataclass(slots=True)
class PublishStats:
    video_frames: int = 0
    audio_frames: int = 0
    video_dropped: int = 0
    keyframes: int = 0
    bytes_sent: int = 0
    state: str = "new"  # new | connecting | publishing | stopped | failed
    error: str = ""


@dataclass(slots=True)
class _Item:
    kind: str
    frame: av.VideoFrame | av.AudioFrame
    at: float  # seconds since the publisher started


class _Muxer:
    """The worker thread's state: container, streams and the clock that stamps frames."""

    def __init__(self, url: str, settings: RtmpSettings, stats: PublishStats) -> None:
        self.settings = settings
        self.stats = stats
        self.container: Any = av.open(
            url,
            mode="w",
            format="flv",
            container_options={
                "max_interleave_delta": _MAX_INTERLEAVE_US,
                "flvflags": "no_duration_filesize",
            },
        )
        self.video: Any = None
        self.audio: Any = None
        if settings.send_video:
            x264 = settings.video_encoder == "libx264"
            video: Any = self.container.add_stream(
                settings.video_encoder,
                rate=settings.fps,
                options={"preset": "ultrafast", "tune": "zerolatency"} if x264 else {},
            )
            video.width, video.height, video.pix_fmt = settings.width, settings.height, "yuv420p"
            video.bit_rate = settings.video_kbps * 1000
            video.codec_context.time_base = _MS
            video.codec_context.gop_size = max(1, round(settings.fps * settings.keyframe_seconds))
            self.video = video
        if settings.send_audio:
            audio = self.container.add_stream("aac", rate=AUDIO_RATE)
            audio.layout = "mono"
            audio.bit_rate = settings.audio_kbps * 1000
            self.audio = audio
        self.reformatter = VideoReformatter()
        self.last_video_pts = -1
        self.audio_next: int | None = None

    def connect(self) -> None:
        """Open the encoders, connect and write the FLV header, so failures surface in start()."""
        self.container.start_encoding()

    def feed(self, item: _Item) -> None:
        if item.kind == "video" and self.video is not None and isinstance(item.frame, av.VideoFrame):
            self._mux(self.video.encode(self._video_frame(item.frame, item.at)))
        elif item.kind == "audio" and self.audio is not None and isinstance(item.frame, av.AudioFrame):
            frame = item.frame
            if self.audio_next is None:
                # audio joins the shared clock where it arrived, then counts samples
                self.audio_next = round(item.at * AUDIO_RATE)
            samples = round(frame.samples * AUDIO_RATE / (frame.sample_rate or AUDIO_RATE))
            frame.pts, frame.time_base = self.audio_next, _AUDIO_TB
            self.audio_next += samples
            self.stats.audio_frames += 1
            self._mux(self.audio.encode(frame))

    def _video_frame(self, frame: av.VideoFrame, at: float) -> av.VideoFrame:
        s = self.settings
        out = self.reformatter.reformat(frame, s.width, s.height, "yuv420p")
        pts = max(round(at * 1000), self.last_video_pts + 1)
        self.last_video_pts = pts
        out.pts, out.time_base = pts, _MS
        # decoded sources mark every frame I (lavfi, MJPEG cameras): x264 would obey and send only keyframes
        out.pict_type = PictureType.NONE
        self.stats.video_frames += 1
        return out

    def _mux(self, packets: list[Any]) -> None:
        for packet in packets:
            if packet.is_keyframe and packet.stream is self.video:
                self.stats.keyframes += 1
            self.stats.bytes_sent += packet.size
            self.container.mux(packet)

    def finish(self) -> None:
        """Drain both encoders and close: the node sees a clean end of stream."""
        try:
            for stream in (self.video, self.audio):
                if stream is not None:
                    self._mux(stream.encode(None))
        finally:
            self.container.close()

    def abandon(self) -> None:
        with contextlib.suppress(av.FFmpegError, OSError, ValueError):
            self.container.close()


class RtmpPublisher:
    """Encode two aiortc tracks and push them to ``url`` until :meth:`stop`.

    ``video`` and ``audio`` are any tracks yielding decoded frames (a
    :class:`~appliance.media.sources.CaptureTrack`, an ``OutgoingTrack``
    relay whose mute sends black/silence). ``on_ended(reason)`` runs on the
    loop once if publishing ends by itself (node closed the connection,
    source ended), never after :meth:`stop`.
    """

    def __init__(
        self,
        url: str,
        *,
        video: MediaStreamTrack | None,
        audio: MediaStreamTrack | None,
        settings: RtmpSettings | None = None,
        on_ended: Callable[[str], None] | None = None,
        owned_tracks: tuple[MediaStreamTrack, ...] = (),
    ) -> None:
        parts = urlsplit(url)
        if parts.scheme not in RTMP_SCHEMES or not parts.hostname:
            raise MediaError(f"RTMP publish: expected an rtmp:// or rtmps:// URL, found {parts.scheme!r}")
        base = settings or RtmpSettings()
        self.url = url
        self.settings = dataclasses.replace(
            base,
            send_video=base.send_video and video is not None,
            send_audio=base.send_audio and audio is not None,
        )
        if not (self.settings.send_video or self.settings.send_audio):
            raise MediaError("RTMP publish: nothing to send (no video and no audio track)")
        self._tracks = {
            "video": video if self.settings.send_video else None,
            "audio": audio if self.settings.send_audio else None,
        }
        self._owned = owned_tracks
        self._on_ended = on_ended
        self.stats = PublishStats()
        self._queue: queue.Queue[_Item | None] = queue.Queue(maxsize=_VIDEO_BACKLOG + _AUDIO_BACKLOG)
        self._video_waiting = 0
        self._count_lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._pumps: list[asyncio.Task[None]] = []
        self._started_at = 0.0
        self._stopping = False
        self._ended = False
        self._loop: asyncio.AbstractEventLoop | None = None

    @classmethod
    async def from_devices(
        cls,
        url: str,
        *,
        video: DeviceSpec | None,
        audio: DeviceSpec | None,
        settings: RtmpSettings | None = None,
        on_ended: Callable[[str], None] | None = None,
    ) -> RtmpPublisher:
        """Open the devices (sources.py's capture, one reader thread each); stop() closes them."""
        s = settings or RtmpSettings()
        opened: list[MediaStreamTrack] = []
        try:
            v = await open_capture(video, max_fps=s.fps) if video is not None and s.send_video else None
            if v is not None:
                opened.append(v)
            a = await open_capture(audio) if audio is not None and s.send_audio else None
            if a is not None:
                opened.append(a)
        except MediaError:
            for track in opened:
                track.stop()
            raise
        return cls(url, video=v, audio=a, settings=s, on_ended=on_ended, owned_tracks=tuple(opened))

    @property
    def publishing(self) -> bool:
        return self.stats.state == "publishing"

    async def start(self) -> None:
        """Connect and write the header; :class:`MediaError` says why if the node is not there."""
        if self._thread is not None:
            raise MediaError("RTMP publisher already started")
        self._loop = asyncio.get_running_loop()
        where = describe_url(self.url)
        self.stats.state = "connecting"
        if self.settings.probe_first:
            await self._probe(where)
        connected: asyncio.Future[None] = self._loop.create_future()
        self._started_at = time.monotonic()
        self._thread = threading.Thread(
            target=self._work, args=(connected,), name="rtmp-publish", daemon=True
        )
        self._thread.start()
        try:
            await connected
        except MediaError:
            self.stats.state = "failed"
            await self._close_owned()
            raise
        self.stats.state = "publishing"
        for kind, track in self._tracks.items():
            if track is not None:
                self._pumps.append(asyncio.create_task(self._pump(kind, track), name=f"rtmp-pump-{kind}"))
        log.info("RTMP publishing started", extra={"context": {"to": where, "settings": repr(self.settings)}})

    async def _probe(self, where: str) -> None:
        parts = urlsplit(self.url)
        port = parts.port or default_port(parts.scheme)
        try:
            async with asyncio.timeout(self.settings.connect_timeout):
                writer = await _connect_when_listening(parts.hostname or "", port)
        except (OSError, TimeoutError) as exc:
            self.stats.state, self.stats.error = "failed", f"cannot reach {where}"
            await self._close_owned()
            raise MediaError(f"RTMP publish: cannot reach {where}: {exc or 'timed out'}") from None
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()

    def _work(self, connected: asyncio.Future[None]) -> None:
        loop = self._loop
        assert loop is not None
        try:
            muxer = self._connect()
        except (av.FFmpegError, OSError, ValueError) as exc:
            error = MediaError(
                f"RTMP publish to {describe_url(self.url)} failed to start: {type(exc).__name__}"
            )
            loop.call_soon_threadsafe(_settle, connected, error)
            return
        loop.call_soon_threadsafe(_settle, connected, None)
        reason = ""
        try:
            while True:
                item = self._queue.get()
                if item is None:
                    break
                if item.kind == "video":
                    self._release_video_slot()
                muxer.feed(item)
            muxer.finish()
        except (av.FFmpegError, OSError, ValueError) as exc:
            # never str(exc): FFmpeg's errors end with the URL, whose path may be a publish key
            reason = f"the RTMP connection failed: {getattr(exc, 'strerror', None) or type(exc).__name__}"
            muxer.abandon()
        with contextlib.suppress(RuntimeError):
            loop.call_soon_threadsafe(self._worker_done, reason)

    def _connect(self) -> _Muxer:
        """Connect, retrying refusals: a node re-arming its listener after our probe refuses briefly."""
        deadline = time.monotonic() + self.settings.connect_timeout
        while True:
            muxer = _Muxer(self.url, self.settings, self.stats)
            try:
                muxer.connect()
                return muxer
            except ConnectionRefusedError:
                muxer.abandon()
                if time.monotonic() >= deadline or self._stopping:
                    raise
                time.sleep(_REFUSED_RETRY_SECONDS)
            except (av.FFmpegError, OSError, ValueError):
                muxer.abandon()
                raise

    def _worker_done(self, reason: str) -> None:
        if reason:
            self.stats.state, self.stats.error = "failed", reason
            log.warning("RTMP publishing failed", extra={"context": {"error": reason}})
            self._end(reason)

    async def _pump(self, kind: str, track: MediaStreamTrack) -> None:
        min_gap = 1.0 / self.settings.fps if kind == "video" else 0.0
        last = -1e9
        while True:
            try:
                frame = await track.recv()
            except MediaStreamError:
                if not self._stopping:
                    self._end(f"the {kind} source ended")
                return
            if not isinstance(frame, av.VideoFrame | av.AudioFrame):
                self._end(f"the {kind} track yielded {type(frame).__name__}, not decoded frames")
                return
            at = time.monotonic() - self._started_at
            if kind == "video":
                if at - last < min_gap - 0.002:
                    continue
                last = at
                if not self._reserve_video_slot():
                    self.stats.video_dropped += 1
                    continue
            try:
                self._queue.put_nowait(_Item(kind, frame, at))
            except queue.Full:  # the worker is stuck; stop() or the failure report will follow
                if kind == "video":
                    self._release_video_slot()

    def _reserve_video_slot(self) -> bool:
        """At most a few pictures wait for the encoder: a late worker drops video, not audio."""
        with self._count_lock:
            if self._video_waiting >= _VIDEO_BACKLOG:
                return False
            self._video_waiting += 1
            return True

    def _release_video_slot(self) -> None:
        with self._count_lock:
            self._video_waiting -= 1

    def _end(self, reason: str) -> None:
        if self._ended or self._stopping:
            return
        self._ended = True
        if self._on_ended is not None:
            self._on_ended(reason)

    async def stop(self) -> None:
        """Flush the encoders, close the connection cleanly, stop owned devices; idempotent."""
        if self._stopping:
            return
        self._stopping = True
        for task in self._pumps:
            task.cancel()
        for task in self._pumps:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        thread = self._thread
        if thread is not None:
            self._put_sentinel()
            await asyncio.get_running_loop().run_in_executor(None, thread.join, self.settings.stop_timeout)
            if thread.is_alive():
                log.warning(
                    "RTMP worker still blocked in a write after stop; leaving the daemon thread",
                    extra={"context": {"to": describe_url(self.url)}},
                )
        if self.stats.state != "failed":
            self.stats.state = "stopped"
        await self._close_owned()

    def _put_sentinel(self) -> None:
        while True:
            try:
                self._queue.put_nowait(None)
                return
            except queue.Full:
                with contextlib.suppress(queue.Empty):
                    self._queue.get_nowait()

    async def _close_owned(self) -> None:
        for track in self._owned:
            track.stop()
        joins = [getattr(t, "join", None) for t in self._owned]
        loop = asyncio.get_running_loop()
        for join in joins:
            if callable(join):
                await loop.run_in_executor(None, join, 1.0)
        self._owned = ()


async def _connect_when_listening(host: str, port: int) -> asyncio.StreamWriter:
    """Refusals are retried: a node hands out the URL a moment before its listener is up."""
    while True:
        try:
            _reader, writer = await asyncio.open_connection(host, port)
            return writer
        except ConnectionRefusedError:
            await asyncio.sleep(_REFUSED_RETRY_SECONDS)


def _settle(future: asyncio.Future[None], error: BaseException | None) -> None:
    if future.done():
        return
    if error is None:
        future.set_result(None)
    else:
        future.set_exception(error)


__all__ = [
    "PublishStats",
    "RtmpPublisher",
    "RtmpSettings",
    "describe_url",
    "settings_for_bandwidth",
]
