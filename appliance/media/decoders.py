"""Which H.264 and VP8 decoders a call uses, each chosen once from a preference list.

A Raspberry Pi 4 decodes 1080p H.264 far cheaper in its ``h264_v4l2m2m``
block than on its cores, but the block is absent on a Pi 5, inside CI and
on this build machine, and FFmpeg only finds that out when the codec is
*opened*. So each name is opened once at start-up; the first that opens
wins and every rejected name is logged with FFmpeg's reason. The choice is
reported in the call statistics, so a support engineer can see that a room
fell back to software.

VP8 goes the same way: profiles list FFmpeg's native ``vp8`` decoder
before ``libvpx`` (aiortc's own), since the native one is ~5-20 % cheaper
per frame single-threaded (docs/media.md, the shared media notes).

The decoder class here is handed to aiortc by :mod:`appliance.media.encoders`,
the one place that touches aiortc's codec registry.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import av

from appliance.errors import MediaError
from appliance.log import get_logger

log = get_logger(__name__)

DEFAULT_H264_DECODERS: tuple[str, ...] = ("h264_v4l2m2m", "h264")
DEFAULT_VP8_DECODERS: tuple[str, ...] = ("vp8", "libvpx")


@dataclass(frozen=True, slots=True)
class DecoderChoice:
    """The decoder that opened, and why each earlier preference did not."""

    name: str
    rejected: tuple[tuple[str, str], ...] = field(default=())

    @property
    def fell_back(self) -> bool:
        return bool(self.rejected)


@dataclass(slots=True)
class DecodeInfo:
    """Attached to each decoded frame as ``frame.opaque``.

    aiortc decodes on a thread of its own that carries no call context, so
    per-frame facts travel with the frame to the sink, which owns the stats.
    """

    decoder: str
    decode_ms: float


def probe_decoder(name: str) -> str | None:
    """``None`` if ``name`` opens as a decoder here, else FFmpeg's reason."""
    try:
        context = av.CodecContext.create(name, "r")
        context.open()
    except (av.FFmpegError, ValueError, OSError) as exc:
        return f"{type(exc).__name__}: {exc}"
    return None


def select_decoder(preferences: Sequence[str], codec: str = "h264") -> DecoderChoice:
    """Open each preference in turn; the first that opens is the choice.

    Raises :class:`MediaError` when none opens, naming every reason, since a
    call that cannot decode video must not start silently.
    """
    rejected: list[tuple[str, str]] = []
    for name in preferences:
        reason = probe_decoder(name)
        if reason is None:
            choice = DecoderChoice(name, tuple(rejected))
            if rejected:
                log.warning(
                    f"{codec} decoder fallback",
                    extra={"context": {"chosen": name, "rejected": dict(rejected)}},
                )
            else:
                log.info(f"{codec} decoder", extra={"context": {"chosen": name}})
            return choice
        rejected.append((name, reason))
    reasons = "; ".join(f"{n}: {r}" for n, r in rejected) or "empty preference list"
    label = {"h264": "H.264", "vp8": "VP8"}.get(codec, codec)
    raise MediaError(f"no {label} decoder could be opened ({reasons})")


class TimedDecoder:
    """Wraps one of aiortc's own decoders (VP8, Opus) to tag video frames with :class:`DecodeInfo`."""

    def __init__(self, inner: Any, name: str) -> None:
        self.inner = inner
        self.name = name

    def decode(self, encoded_frame: Any) -> list[Any]:
        started = time.perf_counter()
        frames: list[Any] = self.inner.decode(encoded_frame)
        elapsed = (time.perf_counter() - started) * 1000.0
        for frame in frames:
            if isinstance(frame, av.VideoFrame):
                frame.opaque = DecodeInfo(self.name, elapsed)
        return frames


class PreferredDecoder:
    """aiortc ``Decoder`` for received H.264 or VP8, on the chosen FFmpeg decoder.

    Same contract as aiortc's ``H264Decoder`` and ``Vp8Decoder`` (one
    depacketised picture in, frames out), plus a :class:`DecodeInfo` on
    every frame.
    """

    def __init__(self, name: str) -> None:
        self.name = name
        # PyAV's default threading: frame threads would add a frame of delay per thread
        self.codec: Any = av.CodecContext.create(name, "r")

    def decode(self, encoded_frame: Any) -> list[av.VideoFrame]:
        from aiortc.mediastreams import VIDEO_TIME_BASE

        packet = av.Packet(encoded_frame.data)
        packet.pts = encoded_frame.timestamp
        packet.time_base = VIDEO_TIME_BASE
        started = time.perf_counter()
        frames: list[av.VideoFrame] = list(self.codec.decode(packet))
        elapsed = (time.perf_counter() - started) * 1000.0
        for frame in frames:
            frame.opaque = DecodeInfo(self.name, elapsed)
        return frames


PreferredH264Decoder = PreferredDecoder  # the name the H.264 path has always used
