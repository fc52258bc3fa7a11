"""Direction of arrival of voiced speech: SRP-PHAT over the array's microphone pairs.

Why SRP-PHAT: the phase transform whitens each pair's cross-spectrum, so
the room's colouring and the talker's pitch do not bias the delay, and
summing every pair's generalised cross-correlation at the delays a
direction predicts (steered response power) uses the whole geometry at
once, where one pair's GCC-PHAT alone has front/back and aliasing
ambiguities. It is computed the cheap way (DiBiase's): one inverse FFT per
pair and interval, upsampled 4× by zero padding, then a table lookup per
candidate direction — no per-direction spectra (docs/microphone-array.md
has the cost on 4 and 6 channels).

Only voiced frames count (periodicity in the pitch range and energy above
a tracked noise floor), so fans, keyboards and the room's tail do not steer
the camera; and the caller pauses the estimator while the far end is
talking, because the loudspeaker would otherwise be the loudest talker in
the room. Estimates come at ``rate_hz`` (a few per second), each with a
confidence: the mean PHAT coherence at the peak (1 for one dry source,
lower with noise, reverberation or two talkers).
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

from appliance.media.mic_array import ArrayGeometry, DirectionEstimate

FloatArray = npt.NDArray[np.float64]

PITCH_HZ = (80.0, 400.0)
VOICING_THRESHOLD = 0.4  # normalised autocorrelation at the pitch lag
FLOOR_MARGIN_DB = 6.0  # voiced frames stand this far above the noise floor
FLOOR_RISE_DB_PER_S = 3.0  # the floor follows a rising noise this fast
ABSOLUTE_FLOOR = 20.0**2  # mean power (int16 units) below which nothing is speech
NOISE_SMOOTHING = 0.1  # per unvoiced frame, for the per-bin noise estimate


class VoiceDetector:
    """Is this frame voiced speech? Periodicity in the pitch range, above the noise floor."""

    def __init__(self, rate: int, frame: int) -> None:
        self.rate = rate
        self.frame = frame
        window = np.hanning(frame)
        self._window_ac = np.fft.irfft(np.abs(np.fft.rfft(window, 2 * frame)) ** 2)[:frame]
        self._lags = slice(int(rate / PITCH_HZ[1]), min(int(rate / PITCH_HZ[0]), frame - 1))
        self._rise = 10 ** (FLOOR_RISE_DB_PER_S * frame / rate / 10)
        self._margin = 10 ** (FLOOR_MARGIN_DB / 10)
        self.floor: float | None = None
        self.periodicity = 0.0

    def voiced(self, power_spectrum: FloatArray, energy: float) -> bool:
        """``power_spectrum``: |X|² of the Hann-windowed frame zero-padded to 2×frame."""
        self.floor = energy if self.floor is None else min(energy, self.floor * self._rise)
        ac = np.fft.irfft(power_spectrum)[: self.frame]
        if ac[0] <= 0:
            self.periodicity = 0.0
            return False
        normalised = (ac / ac[0]) / np.maximum(self._window_ac / self._window_ac[0], 1e-3)
        self.periodicity = float(np.max(normalised[self._lags]))
        loud = energy > max(self.floor * self._margin, ABSOLUTE_FLOOR)
        return loud and self.periodicity >= VOICING_THRESHOLD


class DoaEstimator:
    """Feed capture blocks (M, n); get a :class:`DirectionEstimate` every ``1/rate_hz`` of voice."""

    def __init__(
        self,
        geometry: ArrayGeometry,
        *,
        rate: int = 48_000,
        frame: int = 2048,
        rate_hz: float = 5.0,
        band_hz: tuple[float, float] = (300.0, 5000.0),
        upsample: int = 4,
        step_deg: float = 1.0,
    ) -> None:
        if not geometry.steerable:
            raise ValueError(
                f"an array {geometry.aperture_m * 1000:.1f} mm across cannot estimate a direction"
            )
        self.geometry = geometry
        self.rate = rate
        self.frame = frame
        self.far_end_active = False
        self._window = np.hanning(frame)
        self._frames_per_estimate = max(1, round(rate / rate_hz / frame))
        self._min_voiced = min(2, self._frames_per_estimate)
        low, high = (max(1, int(band_hz[0] * frame / rate)), int(band_hz[1] * frame / rate) + 1)
        self._band = slice(low, high)
        self._band_bins = high - low
        mics = geometry.count
        self._pairs = np.array([(i, j) for i in range(mics) for j in range(i + 1, mics)], dtype=np.intp)
        self._fft_up = frame * upsample
        span = 180.0 if not geometry.linear else 90.0
        start = -span if not geometry.linear else -90.0
        count = round((span - start) / step_deg) + (1 if geometry.linear else 0)
        self.grid_deg = start + step_deg * np.arange(count)
        arrivals = geometry.arrival_s(self.grid_deg)  # (grid, M)
        lags = (arrivals[:, self._pairs[:, 0]] - arrivals[:, self._pairs[:, 1]]) * rate * upsample
        self._lookup = (np.rint(lags).astype(np.intp) % self._fft_up).T  # (pairs, grid)
        self._pair_index = np.arange(len(self._pairs))[:, None]
        self.voice = VoiceDetector(rate, frame)
        self._noise: FloatArray | None = None  # per-bin noise power, learnt on unvoiced frames
        self._pending = np.zeros((mics, 0))
        self._sum = np.zeros((len(self._pairs), self._band_bins), dtype=np.complex128)
        self._weight = np.zeros(self._band_bins)
        self._frames = 0
        self._voiced = 0
        self.samples = 0
        self.frames_seen = 0
        self.frames_voiced = 0
        self.last_voiced = False

    def process(self, block: npt.ArrayLike) -> list[DirectionEstimate]:
        """Consume (M, n) samples of the microphones; return the estimates completed meanwhile."""
        data = np.asarray(block, dtype=np.float64)
        self._pending = np.concatenate([self._pending, data], axis=1) if self._pending.size else data
        estimates: list[DirectionEstimate] = []
        while self._pending.shape[1] >= self.frame:
            frame, self._pending = self._pending[:, : self.frame], self._pending[:, self.frame :]
            self.samples += self.frame
            estimate = self._frame(frame)
            if estimate is not None:
                estimates.append(estimate)
        return estimates

    def _frame(self, frame: FloatArray) -> DirectionEstimate | None:
        self.frames_seen += 1
        spectra = np.fft.rfft(frame * self._window, axis=1)
        padded = np.fft.rfft(frame.mean(axis=0) * self._window, 2 * self.frame)
        energy = float(np.mean(frame[0] ** 2))
        voiced = self.voice.voiced(np.abs(padded) ** 2, energy) and not self.far_end_active
        self.last_voiced = voiced
        band = spectra[:, self._band]
        power = np.mean(np.abs(band) ** 2, axis=0)
        if self._noise is None:
            self._noise = power.copy()
        elif not voiced:
            self._noise += NOISE_SMOOTHING * (power - self._noise)
        if voiced:
            self.frames_voiced += 1
            cross = band[self._pairs[:, 0]] * np.conj(band[self._pairs[:, 1]])
            # PHAT, then each bin weighted by how far it stands above the noise (Wiener-like)
            weight = np.clip(1.0 - self._noise / np.maximum(power, 1e-12), 0.0, 1.0)
            self._sum += cross / np.maximum(np.abs(cross), 1e-12) * weight
            self._weight += weight
            self._voiced += 1
        self._frames += 1
        if self._frames < self._frames_per_estimate:
            return None
        estimate = self._estimate() if self._voiced >= self._min_voiced else None
        self._frames = 0
        self._voiced = 0
        self._sum[:] = 0
        self._weight[:] = 0
        return estimate

    def _estimate(self) -> DirectionEstimate:
        mean = self._sum / max(float(self._weight.sum()) / self._band_bins, 1e-9)
        spectrum = np.zeros((len(self._pairs), self._fft_up // 2 + 1), dtype=np.complex128)
        spectrum[:, self._band] = mean
        # Σ_f Re(W e^{jωτ}) / |band|: 1 where every bin agrees on the delay τ
        gcc = np.fft.irfft(spectrum, self._fft_up, axis=1) * (self._fft_up / (2 * self._band_bins))
        srp = gcc[self._pair_index, self._lookup].mean(axis=0)
        best = int(np.argmax(srp))
        azimuth = float(self.grid_deg[best])
        return DirectionEstimate(
            azimuth_deg=math.remainder(azimuth, 360.0),
            confidence=float(np.clip(srp[best], 0.0, 1.0)),
            at_sample=self.samples,
        )
