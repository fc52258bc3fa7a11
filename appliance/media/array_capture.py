"""N-channel capture from a microphone array: the array's one bridge into the event loop.

An :class:`ArrayCaptureTrack` is a :class:`~appliance.media.sources.CaptureTrack`
whose reader thread decodes every channel the device delivers (PyAV,
``alsa`` or ``pulse`` — PipeWire's Pulse server — with ``channels=N``, or
the ``virtual`` array: a rendered room in a WAV file in memory), checks
the channel count against the profile once at start, picks the
microphones by the profile's channel map, and runs the
:class:`~appliance.media.array_front.ArrayFrontEnd` chain. What leaves the
thread is what a mono microphone's thread hands over — s16 mono 48 kHz in
20 ms frames — plus the direction estimates, which cross into the loop the
same way (``call_soon_threadsafe``) and land in the set-up's
:class:`~appliance.media.mic_array.DirectionFeed`.

No resampler ever remixes channels: the resampler keeps the device's own
layout, so channel k stays microphone k's channel.
"""

from __future__ import annotations

import contextlib
import fractions
import functools
import io
import math
import threading
import time
from dataclasses import dataclass
from typing import Any

import av
import numpy as np
import numpy.typing as npt

from appliance.errors import MediaError
from appliance.log import get_logger
from appliance.media.array_front import ArrayFrontEnd
from appliance.media.mic_array import ArrayGeometry, ArraySetup, DirectionEstimate
from appliance.media.sources import (
    AUDIO_FRAME_SAMPLES,
    AUDIO_RATE,
    DEVICE_OPEN_DEADLINE_S,
    CaptureTrack,
    DeviceSpec,
)
from appliance.media.virtual_array import RoomScene, Talker, render, scene_wav

log = get_logger(__name__)

VIRTUAL = "virtual"
# Rendering the 30 s virtual meeting takes ~1.5 s of CPU; on a loaded machine it may take
# far longer than a real device's open deadline, so the virtual array gets this instead.
VIRTUAL_RENDER_DEADLINE_S = 60.0


def virtual_scene(name: str, geometry: ArrayGeometry) -> RoomScene:
    """The rooms the ``virtual`` array format can play, by device name.

    ``meeting``: 30 s, looped — a talker on the left, then the centre, then
    the right, each for 6 s, then left and right taking quick turns, then
    quiet. ``talker:DEG``: one talker at DEG degrees for 4 s, looped.
    """
    if name == "meeting":
        talkers = (
            Talker(-50.0, 0.0, 6.0, seed=11),
            Talker(0.0, 7.0, 13.0, seed=12, distance_m=2.2),
            Talker(50.0, 14.0, 20.0, seed=13),
            *(Talker(-50.0 if k % 2 == 0 else 50.0, 21.0 + k, 21.8 + k, seed=14 + k) for k in range(6)),
        )
        return RoomScene(geometry, 30.0, talkers, snr_db=25.0, seed=7)
    if name.startswith("talker:"):
        try:
            azimuth = float(name.removeprefix("talker:"))
        except ValueError:
            raise MediaError(f"virtual array {name!r}: expected talker:DEGREES, e.g. talker:30") from None
        return RoomScene(geometry, 4.0, (Talker(azimuth, seed=21),), snr_db=25.0, seed=8)
    raise MediaError(f"unknown virtual array scene {name!r} (known: meeting, talker:DEGREES)")


_RENDERING = threading.Lock()  # one render at a time: a second caller waits for the first's result


def virtual_wav(name: str, geometry: ArrayGeometry, channels: int, mic_channels: tuple[int, ...]) -> bytes:
    """The virtual room ``name`` as the board's WAV; rendered once per process (a 30 s room takes ~1.5 s)."""
    with _RENDERING:
        return _rendered(name, geometry, channels, mic_channels)


@functools.lru_cache(maxsize=4)
def _rendered(name: str, geometry: ArrayGeometry, channels: int, mic_channels: tuple[int, ...]) -> bytes:
    return scene_wav(render(virtual_scene(name, geometry)), channels, mic_channels)


def prepare_array(spec: DeviceSpec) -> None:
    """Render a virtual array's room ahead (blocking; cached), so a call's set-up does not wait for it.

    Real devices need nothing: this returns at once for them.
    """
    if spec.array is not None and spec.format == VIRTUAL:
        delivered = int(spec.options.get("channels", spec.array.channels))
        virtual_wav(spec.device, spec.array.geometry, delivered, spec.array.mic_channels)


def open_array_container(spec: DeviceSpec) -> Any:
    """Open the array's device with PyAV (blocking) and check its channel count against the profile."""
    setup = spec.array
    if setup is None:
        raise MediaError(f"{spec.describe()} is not declared as an array")
    if spec.format == VIRTUAL:
        # options["channels"] stands for a board delivering another count than declared
        delivered = int(spec.options.get("channels", setup.channels))
        wav = virtual_wav(spec.device, setup.geometry, delivered, setup.mic_channels)
        container = av.open(io.BytesIO(wav), format="wav")
    else:
        wanted = {"channels": str(setup.channels), "sample_rate": str(AUDIO_RATE)}
        container = av.open(spec.device, format=spec.format, options={**wanted, **spec.options})
    found = container.streams.audio[0].codec_context.channels
    if found != setup.channels:
        container.close()
        raise ValueError(
            f"the device delivers {found} channels; the profile's [audio_array] channels = {setup.channels}"
        )
    return container


@dataclass(frozen=True, slots=True)
class ArrayProbe:
    """What ``appliance doctor`` reports of an array: its channels and how loud each one is."""

    channels: int
    levels_dbfs: tuple[float, ...]  # per device channel over the probe, -inf for digital silence
    seconds: float


def probe_array(spec: DeviceSpec, seconds: float = 0.5) -> ArrayProbe:
    """Open the array (blocking, as the call would), read ``seconds`` of every channel, measure levels."""
    container = open_array_container(spec)
    try:
        stream = container.streams.audio[0]
        resampler: av.AudioResampler | None = None
        blocks: list[npt.NDArray[np.float64]] = []
        total = 0
        for frame in container.decode(stream):
            if resampler is None:
                resampler = av.AudioResampler(format="s16p", layout=frame.layout, rate=AUDIO_RATE)
            for block in resampler.resample(frame):
                blocks.append(block.to_ndarray().astype(np.float64))
                total += block.samples
            if total >= seconds * AUDIO_RATE:
                break
    finally:
        container.close()
    if not blocks:
        raise MediaError(f"{spec.describe()} gave no audio")
    pcm = np.concatenate(blocks, axis=1)
    rms = np.sqrt(np.mean(pcm**2, axis=1))
    levels = tuple(float(20 * np.log10(r / 32768.0)) if r > 0 else -math.inf for r in rms)
    return ArrayProbe(channels=pcm.shape[0], levels_dbfs=levels, seconds=total / AUDIO_RATE)


class ArrayCaptureTrack(CaptureTrack):
    """A microphone array read on its own thread; one voice and directions delivered on the loop."""

    def __init__(self, spec: DeviceSpec, front_end: ArrayFrontEnd) -> None:
        if spec.array is None:
            raise MediaError(f"{spec.describe()} is not declared as an array")
        super().__init__(spec)
        self.setup: ArraySetup = spec.array
        self.front_end = front_end
        # RMS per device channel over the last block (int16 units), for `appliance doctor`
        self.levels: tuple[float, ...] = ()
        self.channels_found: int | None = None

    async def open(self, deadline_s: float = DEVICE_OPEN_DEADLINE_S) -> ArrayCaptureTrack:
        """Open as any capture device does; a virtual room is rendered first, which is work, not a hang."""
        if self.spec.format == VIRTUAL:
            deadline_s = max(deadline_s, VIRTUAL_RENDER_DEADLINE_S)
        await super().open(deadline_s)
        return self

    def _open_container(self) -> Any:
        return open_array_container(self.spec)

    def _read(self) -> None:
        container = self._container
        paced = self.spec.format == VIRTUAL
        started = time.monotonic()
        produced = 0
        try:
            while not self._stop.is_set():
                produced = self._drain(container, started, produced, paced)
                if not paced or self._stop.is_set():
                    break
                container.close()  # the virtual room loops
                container = self._container = self._open_container()
        except (av.FFmpegError, OSError, MediaError, ValueError) as exc:
            if not self._stop.is_set():
                log.warning(
                    "array capture ended",
                    extra={"context": {"device": self.spec.describe(), "error": str(exc)}},
                )
        finally:
            self._container.close()
            if not self._event_loop.is_closed():
                with contextlib.suppress(RuntimeError):
                    self._event_loop.call_soon_threadsafe(self._deliver, None)

    def _drain(self, container: Any, started: float, produced: int, paced: bool) -> int:
        stream = container.streams.audio[0]
        resampler: av.AudioResampler | None = None
        for frame in container.decode(stream):
            if self._stop.is_set():
                break
            channels = len(frame.layout.channels)
            if channels != self.setup.channels:
                raise MediaError(
                    f"{self.spec.describe()} delivers {channels} channels; the profile's "
                    f"[audio_array] channels = {self.setup.channels}"
                )
            self.channels_found = channels
            if resampler is None:
                # the device's own layout on both sides: resampled, never remixed
                resampler = av.AudioResampler(
                    format="s16p", layout=frame.layout, rate=AUDIO_RATE, frame_size=AUDIO_FRAME_SAMPLES
                )
            for block in resampler.resample(frame):
                if paced:
                    delay = started + produced / AUDIO_RATE - time.monotonic()
                    if delay > 0 and self._stop.wait(delay):
                        return produced
                pcm: npt.NDArray[np.int16] = block.to_ndarray().astype(np.int16, copy=False)
                self.levels = tuple(float(v) for v in np.sqrt(np.mean(pcm.astype(np.float64) ** 2, axis=1)))
                voice, estimates = self.front_end.process_capture_block(pcm[list(self.setup.mic_channels)])
                out = av.AudioFrame.from_ndarray(voice.reshape(1, -1), format="s16", layout="mono")
                out.sample_rate = AUDIO_RATE
                out.pts = produced
                out.time_base = fractions.Fraction(1, AUDIO_RATE)
                produced += out.samples
                self._hand_over(out)
                for estimate in estimates:
                    self._publish(estimate)
        return produced

    def _publish(self, estimate: DirectionEstimate) -> None:
        feed = self.setup.directions
        if feed is None:
            return
        with contextlib.suppress(RuntimeError):  # loop closed under us
            self._event_loop.call_soon_threadsafe(feed.publish, estimate)


async def open_array_capture(spec: DeviceSpec, front_end: ArrayFrontEnd) -> ArrayCaptureTrack:
    """Open the array in ``spec`` and return a live track; :class:`MediaError` names the device."""
    track = ArrayCaptureTrack(spec, front_end)
    await track.open()
    return track
