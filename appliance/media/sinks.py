"""Remote media out of the call: pictures to the display, sound to the loudspeaker.

Video: the receiver's track is drained as soon as a frame is decoded and
the frame is put into a :class:`~appliance.media.handoff.LatestSlot`,
where the display thread finds the newest picture. The conversion into
the display's pixel layout and size is done once, by ONE cached
converter per stream (``threads=1``: a fresh or auto-threaded SwsContext
costs 1x-20x more under load, see the media notes), when the picture is
shown: the window has libswscale write straight into its surface (no
intermediate frame, no copy, no numpy round trip); frames the display
never took are never converted.

Audio: frames go to an :class:`AudioOutput` (an FFmpeg output device or
file opened through PyAV) on a writer thread, because ALSA and PulseAudio
writes block at the sound card's pace; on the way, each frame is fed to
the call's echo canceller as the far-end reference.
"""

from __future__ import annotations

import abc
import asyncio
import contextlib
import ctypes
import errno
import os
import queue
import stat
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import av
import numpy as np
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack
from av.video.reformatter import VideoReformatter

from appliance.errors import MediaError, NotSupported
from appliance.log import get_logger
from appliance.media.decoders import DecodeInfo
from appliance.media.handoff import LatestSlot
from appliance.media.processing import EchoReference
from appliance.media.swscale import DirectScaler

log = get_logger(__name__)

DISPLAY_FORMAT = "bgra"


class DisplayConverter:
    """One stream's cached conversion into the display's layout and size.

    Shared by the frames of one stream, which may be converted on the event
    loop (tests, screenshots) or on the display thread (the window), hence
    the lock around the cached SwsContexts.
    """

    def __init__(self, pixel_format: str = DISPLAY_FORMAT) -> None:
        self.pixel_format = pixel_format
        self._reformatter = VideoReformatter()
        self._direct: DirectScaler | None = None
        self._direct_unavailable = False
        self._lock = threading.Lock()
        self.conversions = 0  # frames converted through the cached contexts

    def convert(
        self, frame: av.VideoFrame, width: int | None = None, height: int | None = None
    ) -> av.VideoFrame:
        with self._lock:
            self.conversions += 1
            return self._reformatter.reformat(frame, width, height, self.pixel_format, threads=1)

    def convert_into(self, frame: av.VideoFrame, address: int, pitch: int, width: int, height: int) -> bool:
        """Convert ``frame`` straight into caller memory (no intermediate frame).

        ``False`` when libswscale cannot be reached here: the caller then
        converts with :meth:`convert` and copies.
        """
        with self._lock:
            if self._direct is None and not self._direct_unavailable:
                try:
                    self._direct = DirectScaler(self.pixel_format)
                except NotSupported as exc:
                    self._direct_unavailable = True
                    log.warning(
                        "direct display conversion unavailable", extra={"context": {"error": str(exc)}}
                    )
            if self._direct is None:
                return False
            self._direct.scale_into(frame, address, pitch, width, height)
            return True


@dataclass(slots=True)
class VideoStats:
    """What the statistics need from a received video stream."""

    frames: int = 0
    resolution: tuple[int, int] | None = None
    decoder: str | None = None
    decode_ms_total: float = 0.0
    decode_samples: int = 0

    @property
    def decode_ms(self) -> float | None:
        return self.decode_ms_total / self.decode_samples if self.decode_samples else None


class DisplayFrame:
    """A picture for the display: ``width`` x ``height`` in ``pixel_format``.

    Conversion is deferred to whoever shows the frame, for two reasons
    measured in bench (a'): the window converts straight into its surface
    (:meth:`draw_into`), which saves a full-frame copy (~0.35 ms at 720p),
    and frames replaced in the :class:`LatestSlot` before anyone looked at
    them are never converted at all. It also takes the conversion off the
    event loop, which carries the RTP of every stream. :attr:`frame` still
    gives the converted ``av.VideoFrame`` on demand (converted once).
    """

    __slots__ = ("_converter", "_frame", "height", "pixel_format", "source_frame", "stream", "width")

    def __init__(
        self,
        stream: str,
        frame: av.VideoFrame | None,
        width: int,
        height: int,
        pixel_format: str,
        source_frame: av.VideoFrame,
        converter: DisplayConverter | None = None,
    ) -> None:
        if frame is None and converter is None:
            raise ValueError("a DisplayFrame needs its converted frame or a converter")
        self.stream = stream  # "main" | "presentation"
        self.width = width
        self.height = height
        self.pixel_format = pixel_format
        self.source_frame = source_frame
        self._frame = frame
        self._converter = converter

    def __repr__(self) -> str:
        return f"DisplayFrame({self.stream!r}, {self.width}x{self.height} {self.pixel_format})"

    @property
    def frame(self) -> av.VideoFrame:
        """The picture as an ``av.VideoFrame`` of ``pixel_format`` (converted on first use)."""
        if self._frame is None:
            assert self._converter is not None
            self._frame = self._converter.convert(self.source_frame, self.width, self.height)
        return self._frame

    def draw_into(self, address: int, pitch: int) -> None:
        """Write the picture into ``height`` rows of ``pitch`` bytes at ``address`` (a surface).

        A not yet converted frame is converted straight into that memory;
        otherwise (or without libswscale) the converted plane is copied row
        by row. The caller guarantees the memory holds ``height * pitch``
        bytes in ``pixel_format``.
        """
        converter = self._converter if self._frame is None else None
        if converter is not None and converter.convert_into(
            self.source_frame, address, pitch, self.width, self.height
        ):
            return
        plane = self.frame.planes[0]
        if plane.buffer_size < plane.line_size * self.height:
            raise ValueError(f"{self!r} holds fewer than its {self.height} rows")
        if plane.line_size == pitch:
            ctypes.memmove(address, plane.buffer_ptr, pitch * self.height)
            return
        row = min(pitch, plane.line_size)
        for y in range(self.height):
            ctypes.memmove(address + y * pitch, plane.buffer_ptr + y * plane.line_size, row)


class TrackDrain(abc.ABC):
    """Reads a remote track as fast as it delivers, on one task, until detached.

    aiortc buffers received media until someone calls ``recv()``; a sink that
    stopped reading would let latency build up, so each sink drains at once
    and keeps only what it needs. Subclasses say what one frame means.
    """

    task_name = "sink"

    def __init__(self) -> None:
        self._task: asyncio.Task[None] | None = None

    def attach(self, track: MediaStreamTrack) -> None:
        """Start draining ``track`` (a previous track is let go)."""
        self.detach()
        self._task = asyncio.get_running_loop().create_task(self._drain(track), name=self.task_name)

    def detach(self) -> None:
        if self._task is not None:
            self._task.cancel()
            self._task = None

    async def _drain(self, track: MediaStreamTrack) -> None:
        with contextlib.suppress(MediaStreamError):
            while True:
                self.handle(await track.recv())

    @abc.abstractmethod
    def handle(self, frame: Any) -> None:
        """What one received frame means to this sink."""


class VideoSink(TrackDrain):
    """Drains one remote video track into a :class:`LatestSlot` of :class:`DisplayFrame`."""

    def __init__(
        self,
        stream: str,
        slot: LatestSlot[DisplayFrame] | None = None,
        *,
        convert: bool = True,
        size: tuple[int, int] | None = None,
        pixel_format: str = DISPLAY_FORMAT,
    ) -> None:
        super().__init__()
        self.task_name = f"sink-{stream}"
        self.stream = stream
        self.slot: LatestSlot[DisplayFrame] = slot if slot is not None else LatestSlot()
        self.stats = VideoStats()
        self._convert = convert
        self._size = size
        self._converter = DisplayConverter(pixel_format)
        self.frame_arrived = asyncio.Event()

    def handle(self, frame: Any) -> None:
        if isinstance(frame, av.VideoFrame):
            self.deliver(frame)

    def deliver(self, frame: av.VideoFrame) -> None:
        """Account for and hand over one decoded frame (public for benchmarks and tests)."""
        stats = self.stats
        stats.frames += 1
        stats.resolution = (frame.width, frame.height)
        info = frame.opaque
        if isinstance(info, DecodeInfo):
            stats.decoder = info.decoder
            stats.decode_ms_total += info.decode_ms
            stats.decode_samples += 1
        if self._convert:
            width, height = self._size if self._size else (frame.width, frame.height)
            shown = DisplayFrame(
                self.stream, None, width, height, self._converter.pixel_format, frame, self._converter
            )
        else:
            shown = DisplayFrame(self.stream, frame, frame.width, frame.height, frame.format.name, frame)
        self.slot.put(shown)
        self.frame_arrived.set()


class AudioOutput:
    """Writes s16 audio to an FFmpeg output (``alsa``/``pulse`` device, ``wav`` file, ``null``).

    Writes happen on one named thread fed by a bounded queue; if the card
    stalls, the oldest audio is dropped rather than piling up latency.

    A file-backed target (a file, or a named pipe such as a loopback
    microphone) is opened here, in Python, within ``open_timeout`` seconds,
    and handed to FFmpeg as a file object. FFmpeg would otherwise open it
    at the first packet inside PyAV *while holding the GIL*: a pipe with no
    reader then freezes the whole process, event loop and watchdog
    keep-alives included (docs/media.md, "Devices that never open").
    """

    def __init__(
        self,
        target: str = "/dev/null",
        format: str = "null",
        *,
        options: Mapping[str, str] | None = None,
        rate: int = 48_000,
        layout: str = "stereo",
        open_timeout: float = 5.0,
    ) -> None:
        self._file: Any = None
        try:
            if not av.ContainerFormat(format, "w").no_file:
                self._file = open_for_writing(target, open_timeout)
            self._container: Any = av.open(
                self._file or target, "w", format=format, options=dict(options or {})
            )
            self._stream: Any = self._container.add_stream("pcm_s16le", rate=rate, layout=layout)
        except (av.FFmpegError, OSError, ValueError) as exc:
            if self._file is not None:
                self._file.close()
            raise MediaError(f"cannot open audio output {format}:{target}: {exc}") from exc
        self._resampler = av.AudioResampler(format="s16", layout=layout, rate=rate)
        self._queue: queue.Queue[av.AudioFrame | None] = queue.Queue(maxsize=25)
        self._thread = threading.Thread(target=self._write, name=f"audio-out-{format}", daemon=True)
        self._thread.start()
        self.written = 0
        self._pts = 0

    def write(self, frame: av.AudioFrame) -> None:
        """Queue ``frame`` for playback; never blocks."""
        try:
            self._queue.put_nowait(frame)
        except queue.Full:
            with contextlib.suppress(queue.Empty):
                self._queue.get_nowait()
            with contextlib.suppress(queue.Full):
                self._queue.put_nowait(frame)

    def _write(self) -> None:
        try:
            while (frame := self._queue.get()) is not None:
                for chunk in self._resampler.resample(frame):
                    chunk.pts = self._pts
                    self._pts += chunk.samples
                    for packet in self._stream.encode(chunk):
                        self._container.mux(packet)
                    self.written += chunk.samples
        except (av.FFmpegError, OSError) as exc:
            log.warning("audio output failed", extra={"context": {"error": str(exc)}})
        finally:
            with contextlib.suppress(av.FFmpegError, OSError):
                self._container.close()
            if self._file is not None:
                with contextlib.suppress(OSError):
                    self._file.close()

    def close(self, timeout: float = 2.0) -> None:
        with contextlib.suppress(queue.Full):
            self._queue.put(None, timeout=timeout)
        self._thread.join(timeout)


def open_for_writing(path: str, timeout: float) -> Any:
    """``path`` opened for binary writing; a named pipe waits at most ``timeout`` s for its reader.

    A plain ``open()`` of a pipe blocks until a reader comes, possibly for
    ever; opening with ``O_NONBLOCK`` fails at once (``ENXIO``) instead, so
    it is retried until the deadline, then the descriptor is made blocking
    again for the writes (which release the GIL).
    """
    try:
        is_pipe = stat.S_ISFIFO(os.stat(path).st_mode)
    except FileNotFoundError:
        is_pipe = False
    if not is_pipe:
        return open(path, "wb")  # closed by AudioOutput
    deadline = time.monotonic() + timeout
    while True:
        try:
            fd = os.open(path, os.O_WRONLY | os.O_NONBLOCK)
            break
        except OSError as exc:
            if exc.errno != errno.ENXIO:
                raise
            if time.monotonic() >= deadline:
                raise MediaError(f"nobody opened the pipe {path} for reading within {timeout:g} s") from exc
            time.sleep(0.01)
    os.set_blocking(fd, True)
    return os.fdopen(fd, "wb", buffering=0)


class AudioSink(TrackDrain):
    """Drains the remote audio track to an output, feeding the echo canceller on the way."""

    task_name = "sink-audio"

    def __init__(self, output: AudioOutput | None = None, processor: EchoReference | None = None) -> None:
        super().__init__()
        self.output = output
        self.processor = processor
        self.frames = 0
        self.rms = 0.0  # of the last frame, full scale = 32768

    def handle(self, frame: Any) -> None:
        if isinstance(frame, av.AudioFrame):
            self.deliver(frame)

    def deliver(self, frame: av.AudioFrame) -> None:
        """Measure, feed the echo canceller's far-end input, and play one frame."""
        self.frames += 1
        samples = frame.to_ndarray()
        self.rms = float(np.sqrt(np.mean(samples.astype(np.float64) ** 2)))
        if self.processor is not None:
            self.processor.process_render(frame)
        if self.output is not None:
            self.output.write(frame)

    def close(self) -> None:
        """Stop playing. The output stays open: it belongs to whoever opened it.

        A room hands one output to a PexRTC client for all of that client's
        media calls; a transfer ends one call and starts the next on the same
        output, so closing it here left the transferred call playing into a
        closed output (silence). The opener (the room controller) closes it.
        """
        self.detach()
