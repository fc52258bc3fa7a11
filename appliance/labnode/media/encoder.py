"""Real-time video encoding for the lab node's outgoing tracks.

aiortc's own encoders use settings meant for quality, not for an MCU that
encodes one stream per listener on a small CPU: x264 at its default preset
(``medium``, ~8x the cost of ``ultrafast`` here) and libvpx at ``cpu-used
-6``. Our tracks therefore encode themselves with real-time settings and
hand aiortc ready :class:`av.Packet` objects, which its sender only
packetises. The price: aiortc's sender cannot force a keyframe on a PLI
for pre-encoded packets, so the encoders emit a keyframe every
``KEYFRAME_SECONDS`` and on every (re)start, which bounds recovery after
loss. The appliance's own camera encoders (``appliance/media/encoders.py``,
docs/media.md) are separate: they encode one camera for one call with the
quality settings a client wants, not one stream per listener.
"""

from __future__ import annotations

import asyncio
import fractions
from collections import deque
from concurrent.futures import Executor
from typing import Any, Final, Protocol

import av
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

from appliance.errors import NotSupported
from appliance.labnode.media.slot import AsyncLatestSlot, SlotClosed

TIME_BASE: Final = fractions.Fraction(1, 90000)
KEYFRAME_SECONDS: Final = 2
DEFAULT_KBPS: Final = 600
MIN_KBPS: Final = 150
AUDIO_KBPS: Final = 64  # what PexRTC reserves for audio out of the service cap
MAX_KBPS: Final = 2500


class FrameMaker(Protocol):
    """A queued picture that becomes a fresh ``VideoFrame`` this track alone owns."""

    def to_frame(self) -> av.VideoFrame: ...


class RealtimeVideoEncoder:
    """One VP8 or H.264 encoder with real-time settings; reopens on size change."""

    def __init__(self, codec: str, *, fps: int, kbps: int) -> None:
        codec = codec.lower()
        if codec not in ("vp8", "h264"):
            raise NotSupported(f"lab node encodes VP8 or H.264, not {codec}")
        self.codec = codec
        self.fps = fps
        self.kbps = max(MIN_KBPS, min(MAX_KBPS, kbps))
        self._ctx: av.VideoCodecContext | None = None
        self.frames = 0
        self.keyframes = 0
        self.bytes = 0

    def restart(self) -> None:
        """Start over with a keyframe (new presenter, new receiver)."""
        self._ctx = None

    def _open(self, width: int, height: int) -> av.VideoCodecContext:
        bit_rate = self.kbps * 1000
        if self.codec == "vp8":
            ctx = av.CodecContext.create("libvpx", "w")
            ctx.options = {
                "deadline": "realtime",
                "cpu-used": "12",
                "lag-in-frames": "0",
                "static-thresh": "1",
                "partitions": "0",
                "undershoot-pct": "100",
                "overshoot-pct": "15",
                "bufsize": str(bit_rate),
                "minrate": str(bit_rate),
                "maxrate": str(bit_rate),
            }
            ctx.qmin = 4
            ctx.qmax = 56
        else:
            ctx = av.CodecContext.create("libx264", "w")
            ctx.options = {
                "preset": "ultrafast",
                "tune": "zerolatency",
                "level": "31",
                "maxrate": str(bit_rate),
                "bufsize": str(bit_rate),
            }
            ctx.profile = "Baseline"
        ctx.width = width
        ctx.height = height
        ctx.pix_fmt = "yuv420p"
        ctx.bit_rate = bit_rate
        ctx.framerate = fractions.Fraction(self.fps, 1)
        ctx.time_base = TIME_BASE
        ctx.gop_size = self.fps * KEYFRAME_SECONDS
        ctx.thread_count = 1
        return ctx

    def encode(self, frame: av.VideoFrame) -> list[av.Packet[Any]]:
        if self._ctx is not None and (self._ctx.width != frame.width or self._ctx.height != frame.height):
            self._ctx = None
        if self._ctx is None:
            self._ctx = self._open(frame.width, frame.height)
        packets = list(self._ctx.encode(frame))
        self.frames += 1
        for packet in packets:
            packet.time_base = TIME_BASE
            if packet.is_keyframe:
                self.keyframes += 1
            self.bytes += packet.size
        return packets


def video_kbps(width: int, height: int, cap_kbps: int | None) -> int:
    """Target video rate: grows with picture size, never above the service cap less audio."""
    target = int(DEFAULT_KBPS * ((width * height) / (640 * 360)) ** 0.6)
    if cap_kbps is not None:
        target = min(target, cap_kbps - AUDIO_KBPS)
    return max(MIN_KBPS, min(MAX_KBPS, target))


def codec_from_mime(mime: str) -> str:
    return mime.rsplit("/", maxsplit=1)[-1].lower()


class EncodedVideoTrack(MediaStreamTrack):
    """An outgoing video track fed by a :class:`AsyncLatestSlot`, encoded off the event loop.

    The codec is the one the answer negotiated, known only after
    ``createAnswer``, so ``recv`` waits for :meth:`set_codec`.
    """

    kind = "video"

    def __init__(self, slot: AsyncLatestSlot[Any], executor: Executor, *, fps: int, kbps: int) -> None:
        super().__init__()
        self.slot = slot
        self._executor = executor
        self._fps = fps
        self._kbps = kbps
        self._codec_ready = asyncio.Event()
        self._encoder: RealtimeVideoEncoder | None = None
        self._pending: deque[av.Packet[Any]] = deque()
        self._start: float | None = None
        self.codec_name: str | None = None

    def set_codec(self, mime: str) -> None:
        name = codec_from_mime(mime)
        if self._encoder is None or self._encoder.codec != name:
            self._encoder = RealtimeVideoEncoder(name, fps=self._fps, kbps=self._kbps)
            self.codec_name = name
        self._codec_ready.set()

    def restart(self) -> None:
        if self._encoder is not None:
            self._encoder.restart()

    @property
    def encoder(self) -> RealtimeVideoEncoder | None:
        return self._encoder

    def _encode(self, item: FrameMaker, pts: int) -> list[av.Packet[Any]]:
        frame = item.to_frame()
        frame.pts = pts
        frame.time_base = TIME_BASE
        assert self._encoder is not None
        packets = self._encoder.encode(frame)
        for packet in packets:
            packet.pts = pts
        return packets

    async def recv(self) -> av.Packet[Any]:  # type: ignore[override]
        if self.readyState != "live":
            raise MediaStreamError
        await self._codec_ready.wait()
        loop = asyncio.get_running_loop()
        while not self._pending:
            try:
                item = await self.slot.get()
            except SlotClosed:
                raise MediaStreamError from None
            now = loop.time()
            if self._start is None:
                self._start = now
            pts = int((now - self._start) * 90000)
            self._pending.extend(await loop.run_in_executor(self._executor, self._encode, item, pts))
        return self._pending.popleft()

    def stop(self) -> None:
        self.slot.close()
        super().stop()
