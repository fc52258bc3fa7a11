"""The ring tone of an incoming call: generated with numpy, played through the room's speaker.

Generated rather than shipped, so there is no audio file to license and
nothing to fetch: a double ring (two 0.4 s bursts of a 400 Hz + 450 Hz
pair, 0.2 s apart, then 2 s of silence), the cadence people recognise as
a telephone, with 10 ms raised-cosine edges so the bursts do not click.

:class:`RingTone` writes the tone to an :class:`~appliance.media.sinks.AudioOutput`
in 20 ms frames paced by the event loop, keeping at most a few frames
queued ahead, so :meth:`RingTone.stop` silences it within a frame or two:
a cancelled call stops ringing at once (docs/being-called.md).
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Final

import av
import numpy as np
import numpy.typing as npt

from appliance.media.sinks import AudioOutput

RATE: Final = 48_000
FRAME_SAMPLES: Final = 960  # 20 ms
TONES_HZ: Final = (400.0, 450.0)
BURST_S: Final = 0.4
GAP_S: Final = 0.2
PAUSE_S: Final = 2.0
EDGE_S: Final = 0.01
LEVEL: Final = 0.25  # of full scale: audible across a room, not startling
AHEAD_FRAMES: Final = 3


def _burst(rate: int) -> npt.NDArray[np.float64]:
    t = np.arange(int(BURST_S * rate)) / rate
    wave = sum(np.sin(2 * np.pi * f * t) for f in TONES_HZ) / len(TONES_HZ)
    edge = int(EDGE_S * rate)
    ramp = 0.5 - 0.5 * np.cos(np.linspace(0.0, np.pi, edge))
    envelope = np.ones_like(t)
    envelope[:edge] = ramp
    envelope[-edge:] = ramp[::-1]
    return np.asarray(wave * envelope, dtype=np.float64)


def ring_cycle(rate: int = RATE) -> npt.NDArray[np.int16]:
    """One ring cadence as mono s16 samples (burst, gap, burst, pause)."""
    burst = _burst(rate)
    gap = np.zeros(int(GAP_S * rate))
    pause = np.zeros(int(PAUSE_S * rate))
    cycle = np.concatenate([burst, gap, burst, pause]) * LEVEL
    return np.asarray(np.round(cycle * 32767), dtype=np.int16)


def ring_frames(rate: int = RATE) -> list[av.AudioFrame]:
    """The cycle cut into 20 ms stereo s16 frames, ready for an :class:`AudioOutput`."""
    mono = ring_cycle(rate)
    pad = (-len(mono)) % FRAME_SAMPLES
    mono = np.concatenate([mono, np.zeros(pad, dtype=np.int16)])
    frames = []
    for start in range(0, len(mono), FRAME_SAMPLES):
        chunk = mono[start : start + FRAME_SAMPLES]
        stereo = np.repeat(chunk, 2).reshape(1, -1)  # packed s16: L R L R ...
        frame = av.AudioFrame.from_ndarray(stereo, format="s16", layout="stereo")
        frame.sample_rate = rate
        frames.append(frame)
    return frames


class RingTone:
    """Plays the ring cycle in a loop on ``output`` while started; never blocks the caller."""

    def __init__(self, output: AudioOutput, *, rate: int = RATE) -> None:
        self._output = output
        self._frames = ring_frames(rate)
        self._period = FRAME_SAMPLES / rate
        self._task: asyncio.Task[None] | None = None
        self.frames_played = 0

    @property
    def ringing(self) -> bool:
        return self._task is not None and not self._task.done()

    def start(self) -> None:
        if not self.ringing:
            self._task = asyncio.get_running_loop().create_task(self._play(), name="ring-tone")

    async def stop(self) -> None:
        """Silence now: nothing more is written after this returns."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _play(self) -> None:
        loop = asyncio.get_running_loop()
        started = loop.time()
        index = 0
        while True:
            frame = self._frames[index % len(self._frames)]
            self._output.write(frame)
            self.frames_played += 1
            index += 1
            # Stay at most AHEAD_FRAMES ahead of real time.
            due = started + (index - AHEAD_FRAMES) * self._period
            await asyncio.sleep(max(0.0, due - loop.time()))
