"""Cameras, microphones and test sources as aiortc tracks, and the relay the senders hold.

Capture goes through PyAV, whatever the device: V4L2 cameras, ALSA or
PulseAudio microphones, X11 screens, and the FFmpeg ``lavfi`` test sources
CI uses. PyAV's reads block, so each :class:`CaptureTrack` owns one named
reader thread (the one bridge for that device) that hands frames to the
event loop with ``call_soon_threadsafe``; the loop never waits on a device.

Audio is normalised in the reader thread to what the rest of the media
layer assumes: s16 mono 48 kHz in 20 ms frames, processed by the
:class:`~appliance.media.processing.AudioProcessor` when one is given.

Senders never hold a capture track directly but an :class:`OutgoingTrack`
relay. Muting a WebRTC relay holds back every frame from the next one on,
so aiortc's sender has nothing to encode and sends no RTP media at all
(its RTCP task keeps running, so the connection and its consent checks stay
up), while the device stays open and keeps being drained, so unmute is
instant. An RTMP publish needs an unbroken FLV timeline, so its relays
replace frames with black or silence instead (``pause_when_muted=False``).
Switching device swaps the relay's source without a gap in the sender.
"""

from __future__ import annotations

import asyncio
import contextlib
import fractions
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import av
import numpy as np
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

from appliance.aio import in_own_thread
from appliance.errors import MediaError
from appliance.log import get_logger
from appliance.media.mic_array import ArraySetup
from appliance.media.processing import AudioProcessor
from appliance.media.viewport import ViewportTrack, ViewSource, centred

log = get_logger(__name__)

VIDEO_CLOCK = 90_000
AUDIO_RATE = 48_000
AUDIO_FRAME_SAMPLES = 960  # 20 ms
# sources that produce frames as fast as they are read, and so must be paced
_UNPACED_FORMATS = frozenset({"lavfi", ""})


@dataclass(frozen=True, slots=True)
class DeviceSpec:
    """A capture device as FFmpeg names it.

    ``DeviceSpec("video", "v4l2", "/dev/video0", {"input_format": "mjpeg",
    "video_size": "1280x720", "framerate": "30"})``,
    ``DeviceSpec("audio", "alsa", "hw:1")``,
    ``DeviceSpec("video", "lavfi", "testsrc2=size=1280x720:rate=30")``.
    An audio device with ``array`` set is a microphone array: the engine opens
    it through :mod:`appliance.media.array_capture` (docs/microphone-array.md).
    """

    kind: str  # "audio" | "video"
    format: str
    device: str
    options: Mapping[str, str] = field(default_factory=dict)
    array: ArraySetup | None = None
    # video: send a view_size window of the picture, moved by view() (a virtual PTZ camera;
    # appliance.media.viewport); None sends the picture as captured
    view_size: tuple[int, int] | None = None
    view: ViewSource | None = field(default=None, compare=False)

    def describe(self) -> str:
        return f"{self.format}:{self.device}"


# A camera or microphone that has not opened by then is reported, not waited for.
DEVICE_OPEN_DEADLINE_S = 10.0


class CaptureTrack(MediaStreamTrack):  # type: ignore[misc]
    """A device read on its own thread, delivered on the loop."""

    def __init__(
        self,
        spec: DeviceSpec,
        *,
        max_fps: float | None = None,
        processor: AudioProcessor | None = None,
    ) -> None:
        super().__init__()
        self.kind = spec.kind
        self.spec = spec
        self._max_fps = max_fps
        self._processor = processor
        self._queue: asyncio.Queue[av.VideoFrame | av.AudioFrame | None] = asyncio.Queue(
            maxsize=2 if spec.kind == "video" else 50
        )
        self._event_loop = asyncio.get_running_loop()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._container: Any = None
        self.frames_read = 0

    async def open(self, deadline_s: float = DEVICE_OPEN_DEADLINE_S) -> CaptureTrack:
        """Open the device on a thread of its own, within ``deadline_s``, and start reading.

        V4L2/ALSA opens can take a while, and some never return (a camera
        that hangs, a pipe nobody writes): the call set-up must end with an
        error naming the device instead of waiting for ever.
        """
        try:
            self._container = await in_own_thread(
                self._open_container,
                deadline_s=deadline_s,
                name=f"open-{self.spec.kind}-{self.spec.format}",
                abandon=lambda container: container.close(),
            )
        except TimeoutError:
            raise MediaError(
                f"the {self.spec.kind} device {self.spec.describe()} did not open within {deadline_s:g} s"
            ) from None
        except (av.FFmpegError, OSError, ValueError) as exc:
            raise MediaError(f"cannot open {self.spec.kind} device {self.spec.describe()}: {exc}") from exc
        self._thread = threading.Thread(
            target=self._read, name=f"capture-{self.spec.kind}-{self.spec.format}", daemon=True
        )
        self._thread.start()
        return self

    def _open_container(self) -> Any:
        return av.open(self.spec.device, format=self.spec.format or None, options=dict(self.spec.options))

    def _deliver(self, frame: av.VideoFrame | av.AudioFrame | None) -> None:
        if self._queue.full() and frame is not None and self.kind == "video":
            # a late consumer gets the newest picture, not a backlog
            with contextlib.suppress(asyncio.QueueEmpty):
                self._queue.get_nowait()
        with contextlib.suppress(asyncio.QueueFull):
            self._queue.put_nowait(frame)

    def _read(self) -> None:
        container = self._container
        paced = self.spec.format in _UNPACED_FORMATS
        resampler = (
            av.AudioResampler(format="s16", layout="mono", rate=AUDIO_RATE, frame_size=AUDIO_FRAME_SAMPLES)
            if self.kind == "audio"
            else None
        )
        started = time.monotonic()
        first_time: float | None = None
        last_sent = -1e9
        samples = 0
        try:
            stream = container.streams.video[0] if self.kind == "video" else container.streams.audio[0]
            for frame in container.decode(stream):
                if self._stop.is_set():
                    break
                if paced and frame.time is not None:
                    first_time = frame.time if first_time is None else first_time
                    delay = started + (frame.time - first_time) - time.monotonic()
                    if delay > 0 and self._stop.wait(delay):
                        break
                now = time.monotonic()
                if resampler is None:
                    if self._max_fps and now - last_sent < 1.0 / self._max_fps - 0.002:
                        continue
                    last_sent = now
                    frame.pts = int((now - started) * VIDEO_CLOCK)
                    frame.time_base = fractions.Fraction(1, VIDEO_CLOCK)
                    self._hand_over(frame)
                    continue
                for resampled in resampler.resample(frame):
                    chunk = resampled
                    if self._processor is not None:
                        chunk = self._processor.process_capture(resampled)
                    chunk.pts = samples
                    chunk.time_base = fractions.Fraction(1, AUDIO_RATE)
                    samples += chunk.samples
                    self._hand_over(chunk)
        except (av.FFmpegError, OSError) as exc:
            if not self._stop.is_set():
                log.warning(
                    "capture ended", extra={"context": {"device": self.spec.describe(), "error": str(exc)}}
                )
        finally:
            container.close()
            if not self._event_loop.is_closed():
                with contextlib.suppress(RuntimeError):
                    self._event_loop.call_soon_threadsafe(self._deliver, None)

    def _hand_over(self, frame: av.VideoFrame | av.AudioFrame) -> None:
        self.frames_read += 1
        try:
            self._event_loop.call_soon_threadsafe(self._deliver, frame)
        except RuntimeError:  # loop closed under us
            self._stop.set()

    async def recv(self) -> av.VideoFrame | av.AudioFrame:
        if self.readyState != "live":
            raise MediaStreamError
        frame = await self._queue.get()
        if frame is None:
            self.stop()
            raise MediaStreamError
        return frame

    def stop(self) -> None:
        self._stop.set()
        super().stop()

    def join(self, timeout: float = 1.0) -> bool:
        """Wait (blocking) for the reader thread to close the device; ``True`` if it did."""
        if self._thread is None:
            return True
        self._thread.join(timeout)
        return not self._thread.is_alive()


async def open_capture(
    spec: DeviceSpec,
    *,
    max_fps: float | None = None,
    processor: AudioProcessor | None = None,
    deadline_s: float = DEVICE_OPEN_DEADLINE_S,
) -> CaptureTrack | ViewportTrack:
    """Open ``spec`` and return a live track; :class:`MediaError` names the device if it fails.

    A spec with a ``view_size`` is a virtual PTZ camera: the track sends the
    window of the captured picture that ``spec.view`` points at.
    """
    track = await CaptureTrack(spec, max_fps=max_fps, processor=processor).open(deadline_s)
    if spec.kind == "video" and spec.view_size is not None:
        return ViewportTrack(track, spec.view or centred, spec.view_size)
    return track


class ThrottledTrack(MediaStreamTrack):  # type: ignore[misc]
    """A caller's video track passed on at no more than ``max_fps``.

    ``screenshare_fps`` must hold for a presentation whatever its source:
    capture devices drop frames in their reader thread, and a caller's track
    (``user_presentation_stream``, ``present(stream)``) goes through this.
    Frames in between are read and dropped, so the source never backs up.
    The caller owns its track: stopping this stops it only when ``owns_source``.
    """

    kind = "video"

    def __init__(self, source: MediaStreamTrack, max_fps: float, *, owns_source: bool = False) -> None:
        super().__init__()
        self.source = source
        self.interval = 1.0 / max_fps if max_fps > 0 else 0.0
        self.owns_source = owns_source
        self._last: float | None = None
        self.frames_dropped = 0

    async def recv(self) -> av.VideoFrame:
        while True:
            if self.readyState != "live":
                raise MediaStreamError
            frame = await self.source.recv()
            if not isinstance(frame, av.VideoFrame):
                raise MediaError(f"presentation source yielded {type(frame).__name__}, not a video frame")
            now = time.monotonic()
            # 2 ms of slack so a source paced at exactly max_fps is not halved by jitter
            if self._last is not None and now - self._last < self.interval - 0.002:
                self.frames_dropped += 1
                continue
            self._last = now
            return frame

    def stop(self) -> None:
        super().stop()
        if self.owns_source:
            self.source.stop()


def black_frame(width: int, height: int) -> av.VideoFrame:
    """A black yuv420p picture (limited-range Y = 16)."""
    frame = av.VideoFrame(width, height, "yuv420p")
    for index, plane in enumerate(frame.planes):
        value = 16 if index == 0 else 128
        plane.update(np.full(plane.buffer_size, value, dtype=np.uint8).tobytes())
    return frame


def silent_frame(like: av.AudioFrame) -> av.AudioFrame:
    """Silence shaped like ``like`` (same samples, format, layout, rate)."""
    frame = av.AudioFrame(format=like.format.name, layout=like.layout.name, samples=like.samples)
    frame.sample_rate = like.sample_rate
    for plane in frame.planes:
        plane.update(bytes(plane.buffer_size))
    return frame


class OutgoingTrack(MediaStreamTrack):  # type: ignore[misc]
    """The track a sender holds: a mutable, swappable relay of a source track."""

    def __init__(
        self,
        kind: str,
        source: MediaStreamTrack | None = None,
        *,
        on_source_ended: Callable[[MediaStreamTrack], None] | None = None,
        on_unmuted: Callable[[], None] | None = None,
    ) -> None:
        super().__init__()
        self.kind = kind
        # True: muted means no frames (no RTP); False: black/silence (RTMP's FLV timeline)
        self.pause_when_muted = True
        # the engine asks the sender for a keyframe here, so the far end's picture
        # comes back with the first frame after unmute instead of at the next PLI
        self.on_unmuted = on_unmuted
        self.frames_held = 0
        # a source that ends (device unplugged, shared window closed) leaves the relay
        # waiting for a new one, so the sender and the call survive it
        self.on_source_ended = on_source_ended
        self._source = source
        self._has_source = asyncio.Event()
        if source is not None:
            self._has_source.set()
        self._muted = False
        self._black: av.VideoFrame | None = None
        self.frames_sent = 0
        self.resolution: tuple[int, int] | None = None
        # sees each video frame that is sent (never while muted): the room's self-view
        self.preview: Callable[[av.VideoFrame], None] | None = None

    @property
    def source(self) -> MediaStreamTrack | None:
        return self._source

    @property
    def muted(self) -> bool:
        return self._muted

    def set_muted(self, muted: bool) -> bool:
        """Hold back (or black out) media from the next frame on, or resume it; returns the new state."""
        was_muted, self._muted = self._muted, muted
        if was_muted and not muted and self.on_unmuted is not None:
            self.on_unmuted()
        return self._muted

    def set_source(self, source: MediaStreamTrack | None) -> MediaStreamTrack | None:
        """Relay ``source`` from the next frame on; returns the previous source (caller stops it)."""
        previous, self._source = self._source, source
        if source is None:
            self._has_source.clear()
        else:
            self._has_source.set()
        return previous

    async def recv(self) -> av.VideoFrame | av.AudioFrame:
        while True:
            if self.readyState != "live":
                raise MediaStreamError
            source = self._source
            if source is None:
                await self._has_source.wait()
                continue
            try:
                received = await source.recv()
            except MediaStreamError:
                if source is self._source:
                    self.set_source(None)
                    if self.on_source_ended is not None:
                        self.on_source_ended(source)
                continue
            if source is not self._source and self._source is not None:
                continue
            if not isinstance(received, av.VideoFrame | av.AudioFrame):
                raise MediaError(f"{self.kind} source yielded {type(received).__name__}, not a decoded frame")
            frame: av.VideoFrame | av.AudioFrame = received
            if self._muted and self.pause_when_muted:
                # drained and dropped: the device keeps running, the sender gets nothing
                self.frames_held += 1
                continue
            self.frames_sent += 1
            if self._muted:
                frame = self._replacement(frame)
            if isinstance(frame, av.VideoFrame):
                self.resolution = (frame.width, frame.height)
                if self.preview is not None and not self._muted:
                    self.preview(frame)
            return frame

    def _replacement(self, frame: av.VideoFrame | av.AudioFrame) -> av.VideoFrame | av.AudioFrame:
        if isinstance(frame, av.VideoFrame):
            if self._black is None or (self._black.width, self._black.height) != (frame.width, frame.height):
                self._black = black_frame(frame.width, frame.height)
            black = self._black
            black.pts, black.time_base = frame.pts, frame.time_base
            return black
        silence = silent_frame(frame)
        silence.pts, silence.time_base = frame.pts, frame.time_base
        return silence

    def stop(self) -> None:
        """A sender letting go: the relay stays live for the next connection.

        aiortc stops its sender's track whenever that sender ends (hang-up,
        a transport that died, an ICE restart's old connection). The relay
        must outlive connections, or every re-call would send nothing, so
        only :meth:`close` ends it.
        """

    def close(self) -> None:
        """End the relay for good (the call is closed)."""
        super().stop()
        self._has_source.set()
