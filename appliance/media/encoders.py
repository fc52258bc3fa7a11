"""The ONE place where the appliance changes aiortc's codecs.

Why this exists (figures in docs/media.md and the shared media notes):

* aiortc's H.264 encoder runs libx264 at its default preset (medium): about
  8x the CPU of ``ultrafast`` + ``zerolatency`` at the same target bit rate,
  more than a Raspberry Pi has. We use ``ultrafast``/``zerolatency``,
  Constrained Baseline, or ``h264_v4l2m2m`` when the hardware profile names
  an encoder block and it really opens (else we fall back and log why).
* aiortc's VP8 encoder runs libvpx at ``cpu-used -6``; ``16`` is ~1.8x
  cheaper. The speed is a setting.
* aiortc rebuilds an encoder (new instance, forced keyframe) whenever the
  receiver's estimate moves the target by more than 10 %. During a ramp
  that is every couple of seconds. Neither libx264 nor libvpx picks up a
  new ``bit_rate`` on an open context through PyAV (measured: output size
  unchanged), so we keep the rebuild but with hysteresis: only when the
  target moved by more than ``rebuild_ratio`` and at most once per
  ``rebuild_interval_s``.
* Received H.264 and VP8 go to the decoders chosen from the profile's
  preference lists (:mod:`appliance.media.decoders`), so a Pi 4 uses its
  decoder block and VP8 uses FFmpeg's native ``vp8`` where it opens.
* Received frames leave aiortc's jitter buffers sooner: video on the RTP
  marker bit, audio with a prefetch of one packet instead of four
  (:mod:`appliance.media.jitter`, installed from here; ``receive=None``
  keeps aiortc's buffers).

How: aiortc's sender and receiver look codecs up through the module-level
names ``aiortc.rtcrtpsender.get_encoder`` and
``aiortc.rtcrtpreceiver.get_decoder``. :func:`install_codecs` replaces those
two names (process-wide, as aiortc's registry is) with factories that build
the classes below and defer to aiortc for everything else (Opus, G.711).

Per-call limits (``bandwidth_out`` and the answer's ``b=AS``) reach the
encoders through a context variable: aiortc creates a sender's task inside
``setLocalDescription``/``setRemoteDescription``, so the task inherits the
context of the engine coroutine that made those calls, and the encoder,
created inside that task, finds its call's :class:`EncoderBudget`.
"""

from __future__ import annotations

import contextvars
import fractions
import multiprocessing
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import aiortc.codecs as aiortc_codecs
import aiortc.rtcrtpreceiver as aiortc_receiver
import aiortc.rtcrtpsender as aiortc_sender
import av
from aiortc.codecs.h264 import H264Encoder
from aiortc.codecs.vpx import Vp8Encoder, number_of_threads
from aiortc.mediastreams import VIDEO_TIME_BASE, convert_timebase

from appliance.errors import MediaError
from appliance.log import get_logger
from appliance.media.decoders import (
    DEFAULT_H264_DECODERS,
    DEFAULT_VP8_DECODERS,
    DecoderChoice,
    PreferredDecoder,
    TimedDecoder,
    select_decoder,
)
from appliance.media.jitter import ReceiveTuning, install_receive_tuning, uninstall_receive_tuning

log = get_logger(__name__)

MAX_FRAME_RATE = 30


@dataclass(frozen=True, slots=True)
class CodecSettings:
    """What the hardware profile and site say about codecs."""

    # first that opens wins; put "h264_v4l2m2m" first only where the profile names an encoder block
    h264_encoders: Sequence[str] = ("libx264",)
    h264_decoders: Sequence[str] = DEFAULT_H264_DECODERS
    vp8_decoders: Sequence[str] = DEFAULT_VP8_DECODERS
    x264_preset: str = "ultrafast"
    vp8_cpu_used: int = 16
    rebuild_ratio: float = 0.3
    rebuild_interval_s: float = 5.0
    receive: ReceiveTuning | None = field(default_factory=ReceiveTuning)  # None: aiortc's own buffers


@dataclass(frozen=True, slots=True)
class CodecSelection:
    """What :func:`install_codecs` found on this machine."""

    settings: CodecSettings
    h264_encoder: str
    h264_encoder_rejected: tuple[tuple[str, str], ...]
    h264_decoder: DecoderChoice
    vp8_decoder: DecoderChoice


@dataclass
class EncoderBudget:
    """Per-call encoder limits and counters, shared by that call's senders."""

    max_bitrate: int | None = None  # bit/s; None = aiortc's own cap
    rebuilds: int = 0
    encoders: dict[str, str] = field(default_factory=dict)  # codec -> encoder name
    bitrates: dict[str, int] = field(default_factory=dict)  # codec -> bit/s in use

    def cap(self, target: int) -> int:
        return target if self.max_bitrate is None else min(target, self.max_bitrate)


_budget: contextvars.ContextVar[EncoderBudget | None] = contextvars.ContextVar(
    "appliance_encoder_budget", default=None
)
_selection: CodecSelection | None = None
_lock = threading.Lock()


def bind_budget(budget: EncoderBudget) -> None:
    """Make ``budget`` the one encoders created from the current context will use."""
    _budget.set(budget)


def current_selection() -> CodecSelection | None:
    return _selection


def probe_encoder(name: str) -> str | None:
    """``None`` if ``name`` opens as a 640x360 encoder here, else FFmpeg's reason."""
    try:
        context: Any = av.CodecContext.create(name, "w")
        context.width, context.height = 640, 360
        context.pix_fmt = "yuv420p"
        context.time_base = fractions.Fraction(1, MAX_FRAME_RATE)
        context.framerate = fractions.Fraction(MAX_FRAME_RATE, 1)
        context.bit_rate = 500_000
        context.open()
    except (av.FFmpegError, ValueError, OSError) as exc:
        return f"{type(exc).__name__}: {exc}"
    return None


def install_codecs(settings: CodecSettings | None = None) -> CodecSelection:
    """Probe encoders and decoders, then route aiortc's codec lookups through ours.

    Idempotent; calling it again with other settings replaces the selection
    for encoders and decoders created from then on.
    """
    global _selection
    settings = settings or CodecSettings()
    rejected: list[tuple[str, str]] = []
    chosen: str | None = None
    for name in settings.h264_encoders:
        reason = probe_encoder(name)
        if reason is None:
            chosen = name
            break
        rejected.append((name, reason))
    if chosen is None:
        reasons = "; ".join(f"{n}: {r}" for n, r in rejected) or "empty preference list"
        raise MediaError(f"no H.264 encoder could be opened ({reasons})")
    if rejected:
        log.warning(
            "h264 encoder fallback", extra={"context": {"chosen": chosen, "rejected": dict(rejected)}}
        )
    decoder = select_decoder(settings.h264_decoders, "h264")
    vp8_decoder = select_decoder(settings.vp8_decoders, "vp8")
    selection = CodecSelection(settings, chosen, tuple(rejected), decoder, vp8_decoder)
    with _lock:
        _selection = selection
        setattr(aiortc_sender, "get_encoder", _get_encoder)  # noqa: B010 - module-level registry name
        setattr(aiortc_receiver, "get_decoder", _get_decoder)  # noqa: B010
    if settings.receive is None:
        uninstall_receive_tuning()
    else:
        install_receive_tuning(settings.receive)
    return selection


def uninstall_codecs() -> None:
    """Give aiortc back its own codec lookups and jitter buffers (the benchmark's stock baseline)."""
    global _selection
    with _lock:
        _selection = None
        setattr(aiortc_sender, "get_encoder", aiortc_codecs.get_encoder)  # noqa: B010
        setattr(aiortc_receiver, "get_decoder", aiortc_codecs.get_decoder)  # noqa: B010
    uninstall_receive_tuning()


def _get_encoder(codec: Any) -> Any:
    selection = _selection
    mime = codec.mimeType.lower()
    if selection is not None and mime == "video/h264":
        return RealtimeH264Encoder(selection.h264_encoder, selection.settings, _budget.get())
    if selection is not None and mime == "video/vp8":
        return RealtimeVp8Encoder(selection.settings, _budget.get())
    return aiortc_codecs.get_encoder(codec)


def _get_decoder(codec: Any) -> Any:
    selection = _selection
    mime = codec.mimeType.lower()
    if selection is not None and mime == "video/h264":
        return PreferredDecoder(selection.h264_decoder.name)
    if selection is not None and mime == "video/vp8":
        return PreferredDecoder(selection.vp8_decoder.name)
    if mime == "video/vp8":
        return TimedDecoder(aiortc_codecs.get_decoder(codec), "libvpx")
    return aiortc_codecs.get_decoder(codec)


class _RebuildPolicy:
    """Hysteresis on encoder rebuilds: big moves only, and not too often."""

    def __init__(self, settings: CodecSettings, budget: EncoderBudget | None) -> None:
        self._ratio = settings.rebuild_ratio
        self._interval = settings.rebuild_interval_s
        self._budget = budget
        self._built_at = 0.0

    def effective(self, target: int) -> int:
        return self._budget.cap(target) if self._budget is not None else target

    def should_rebuild(self, current: int, target: int, now: float) -> bool:
        wanted = self.effective(target)
        if current <= 0:
            return True
        moved = abs(wanted - current) / current
        # a cap that drops (bandwidth_out lowered) is obeyed at once
        over_cap = self._budget is not None and self._budget.max_bitrate is not None and current > wanted
        return over_cap or (moved > self._ratio and now - self._built_at >= self._interval)

    def rebuild_for(self, codec: Any, frame: Any, target: int, now: float) -> bool:
        """Whether the open ``codec`` context must be rebuilt for ``frame``: a new size, or a bitrate move."""
        return codec is not None and (
            frame.width != codec.width
            or frame.height != codec.height
            or self.should_rebuild(codec.bit_rate or 0, target, now)
        )

    def built(self, codec: str, name: str, bitrate: int, now: float, *, rebuild: bool) -> None:
        self._built_at = now
        if self._budget is not None:
            self._budget.encoders[codec] = name
            self._budget.bitrates[codec] = bitrate
            if rebuild:
                self._budget.rebuilds += 1


class RealtimeH264Encoder(H264Encoder):  # type: ignore[misc]
    """aiortc's H.264 packetiser with a real-time encoder behind it."""

    def __init__(self, name: str, settings: CodecSettings, budget: EncoderBudget | None) -> None:
        super().__init__()
        self.options: dict[str, str] = {}  # what the open encoder was asked for (FFmpeg empties its copy)
        self.encoder_name = name
        self._settings = settings
        self._policy = _RebuildPolicy(settings, budget)

    def _open(self, frame: av.VideoFrame) -> Any:
        context: Any = av.CodecContext.create(self.encoder_name, "w")
        context.width = frame.width
        context.height = frame.height
        context.bit_rate = self._policy.effective(self.target_bitrate)
        context.pix_fmt = "yuv420p"
        context.framerate = fractions.Fraction(MAX_FRAME_RATE, 1)
        context.time_base = fractions.Fraction(1, MAX_FRAME_RATE)
        if self.encoder_name == "libx264":
            self.options = {"preset": self._settings.x264_preset, "tune": "zerolatency", "level": "31"}
            context.options = dict(self.options)
            context.profile = "Baseline"
        context.gop_size = 3000
        return context

    def _encode_frame(self, frame: av.VideoFrame, force_keyframe: bool) -> Iterator[bytes]:
        now = time.monotonic()
        rebuild = self._policy.rebuild_for(self.codec, frame, self.target_bitrate, now)
        if rebuild:
            self.buffer_data = b""
            self.buffer_pts = None
            self.codec = None
        if frame.format.name != "yuv420p":
            frame = frame.reformat(format="yuv420p")
        frame.pict_type = av.video.frame.PictureType.I if force_keyframe else av.video.frame.PictureType.NONE
        if self.codec is None:
            self.codec = self._open(frame)
            self._policy.built("H264", self.encoder_name, self.codec.bit_rate or 0, now, rebuild=rebuild)
        data = b"".join(bytes(packet) for packet in self.codec.encode(frame))
        if data:
            yield from self._split_bitstream(data)


class RealtimeVp8Encoder(Vp8Encoder):  # type: ignore[misc]
    """aiortc's VP8 packetiser with libvpx at a real-time speed."""

    def __init__(self, settings: CodecSettings, budget: EncoderBudget | None) -> None:
        super().__init__()
        self.options: dict[str, str] = {}
        self._settings = settings
        self._policy = _RebuildPolicy(settings, budget)

    def _open(self, frame: av.VideoFrame) -> Any:
        bitrate = self._policy.effective(self.target_bitrate)
        context: Any = av.CodecContext.create("libvpx", "w")
        context.width = frame.width
        context.height = frame.height
        context.bit_rate = bitrate
        context.pix_fmt = "yuv420p"
        context.gop_size = 3000
        context.qmin = 2
        context.qmax = 56
        self.options = {
            "bufsize": str(bitrate),
            "cpu-used": str(self._settings.vp8_cpu_used),
            "deadline": "realtime",
            "lag-in-frames": "0",
            "minrate": str(bitrate),
            "maxrate": str(bitrate),
            "noise-sensitivity": "4",
            "overshoot-pct": "15",
            "partitions": "0",
            "static-thresh": "1",
            "undershoot-pct": "100",
        }
        context.options = dict(self.options)
        context.thread_count = number_of_threads(frame.width * frame.height, multiprocessing.cpu_count())
        return context

    def encode(self, frame: Any, force_keyframe: bool = False) -> tuple[list[bytes], int]:
        if frame.format.name != "yuv420p":
            frame = frame.reformat(format="yuv420p")
        now = time.monotonic()
        rebuild = self._policy.rebuild_for(self.codec, frame, self.target_bitrate, now)
        if rebuild:
            self.codec = None
        if force_keyframe:
            frame.pict_type = av.video.frame.PictureType.I
        if self.codec is None:
            self.codec = self._open(frame)
            self._policy.built("VP8", "libvpx", self.codec.bit_rate or 0, now, rebuild=rebuild)
        data = b"".join(bytes(packet) for packet in self.codec.encode(frame))
        payloads: list[bytes] = self._packetize(data, self.picture_id)
        timestamp = convert_timebase(frame.pts, frame.time_base, VIDEO_TIME_BASE)
        self.picture_id = (self.picture_id + 1) % (1 << 15)
        return payloads, timestamp
