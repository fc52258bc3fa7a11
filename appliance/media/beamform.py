"""One voice from many microphones: delay-and-sum steered at the talker, or the best channel.

Delay-and-sum adds the microphones after delaying each so that sound from
the steered direction lines up: the talker adds coherently, uncorrelated
noise and much of the room's reverberation do not, so with M microphones
the talker stands up to 10·log10(M) dB higher above that noise than on
one channel (docs/microphone-array.md has what the virtual rooms give).
Delays are whole samples at 48 kHz (20.8 µs, 7 mm of path): at speech
frequencies that costs a fraction of a dB against fractional delays and
keeps the work to one indexed sum per block. The latency is fixed (the
array's crossing time), so re-steering never shifts the stream; a change
of direction is cross-faded over one block so it does not click.

Where the array is too small to steer (``ArrayGeometry.steerable``), the
loudest channel over voiced speech is used instead, with a 2 dB margin
before switching so two similar channels do not flap.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

from appliance.media.mic_array import SPEED_OF_SOUND, ArrayGeometry

FloatArray = npt.NDArray[np.float64]
SWITCH_MARGIN_DB = 2.0
ENERGY_SMOOTHING = 0.05  # per voiced block


class DelayAndSum:
    """Steerable delay-and-sum over (M, n) blocks; call :meth:`steer` with an azimuth."""

    def __init__(self, geometry: ArrayGeometry, *, rate: int = 48_000, azimuth_deg: float = 0.0) -> None:
        self.geometry = geometry
        self.rate = rate
        # the longest arrival offset from the centre, in samples, plus one for rounding
        self.latency = (
            math.ceil(np.max(np.linalg.norm(geometry.points(), axis=1)) / SPEED_OF_SOUND * rate) + 1
        )
        self._history = np.zeros((geometry.count, 2 * self.latency))
        self._rows = np.arange(geometry.count)[:, None]
        self.azimuth_deg = azimuth_deg
        self._delays = self._delays_for(azimuth_deg)
        self._previous: npt.NDArray[np.intp] | None = None

    def _delays_for(self, azimuth_deg: float) -> npt.NDArray[np.intp]:
        arrival = self.geometry.arrival_s(azimuth_deg) * self.rate  # samples, relative to the centre
        delays: npt.NDArray[np.intp] = np.rint(self.latency - arrival).astype(np.intp)
        return delays

    def steer(self, azimuth_deg: float) -> None:
        """Point the beam at ``azimuth_deg`` from the next block on (cross-faded)."""
        delays = self._delays_for(azimuth_deg)
        if not np.array_equal(delays, self._delays):
            self._previous = self._delays
            self._delays = delays
        self.azimuth_deg = azimuth_deg

    def _sum(self, buffer: FloatArray, delays: npt.NDArray[np.intp], n: int) -> FloatArray:
        start = buffer.shape[1] - n - delays  # each channel read ``delay`` samples in the past
        index = start[:, None] + np.arange(n)[None, :]
        out: FloatArray = buffer[self._rows, index].mean(axis=0)
        return out

    def process(self, block: npt.ArrayLike) -> FloatArray:
        """(M, n) samples in, (n,) out, ``latency`` samples late."""
        data = np.asarray(block, dtype=np.float64)
        n = data.shape[1]
        buffer = np.concatenate([self._history, data], axis=1)
        out = self._sum(buffer, self._delays, n)
        if self._previous is not None:
            fade = (np.arange(n) + 0.5) / n
            out = fade * out + (1 - fade) * self._sum(buffer, self._previous, n)
            self._previous = None
        self._history = buffer[:, -self._history.shape[1] :]
        return out


class BestChannel:
    """The channel with the most voiced energy, for arrays too small to steer."""

    def __init__(self, channels: int) -> None:
        self._energy = np.zeros(channels)
        self.channel = 0
        self._previous: int | None = None
        self._margin = 10 ** (SWITCH_MARGIN_DB / 10)

    def process(self, block: npt.ArrayLike, voiced: bool = True) -> FloatArray:
        data = np.asarray(block, dtype=np.float64)
        if voiced:
            energy = np.mean(data**2, axis=1)
            self._energy += ENERGY_SMOOTHING * (energy - self._energy)
            best = int(np.argmax(self._energy))
            if best != self.channel and self._energy[best] > self._margin * self._energy[self.channel]:
                self._previous, self.channel = self.channel, best
        out: FloatArray = data[self.channel].copy()
        if self._previous is not None:
            fade = (np.arange(data.shape[1]) + 0.5) / data.shape[1]
            out = fade * out + (1 - fade) * data[self._previous]
            self._previous = None
        return out
