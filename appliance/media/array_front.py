"""The array's chain: N microphones in, one clean voice and directions of arrival out.

Per 20 ms capture block (docs/microphone-array.md has the diagram and the
measurements behind each choice):

1. **Direction of arrival** on the raw microphones (:mod:`appliance.media.doa`),
   paused while the far end is talking (the loudspeaker would be the loudest
   "talker"); a confident estimate re-steers the beam.
2. **Echo cancellation**, placed by ``ArraySetup.aec``:

   * ``per-channel`` (default): one WebRTC APM cancels the echo on every
     microphone (AEC3 runs one linear filter per capture channel against the
     shared far-end reference), then the beam is formed from echo-free
     channels. Re-steering does not disturb the canceller, since each
     microphone's echo path stays what it was. Measured on the virtual rooms
     (bench ``array`` (c)): better mean ERLE in 4 of 6 windows and, on the
     4-mic array, worst cases 8-13 dB better than after the beamformer, for
     +0.2 ms of CPU per 10 ms.
   * ``after-beamformer``: one mono canceller on the beam. Cheaper, but every
     re-steer changes the echo path it sees, and it must re-converge.

3. **Beamformer** (:mod:`appliance.media.beamform`): delay-and-sum steered at
   the talker, or the best channel where the array is too small to steer.
4. **Noise suppression and gain control**: the same
   :class:`~appliance.media.processing.AudioProcessor` a mono microphone gets,
   on the one beam.

With every processing setting off, the chain is beamformer and DOA only.
"""

from __future__ import annotations

import threading
from typing import Any

import av
import numpy as np
import numpy.typing as npt

from appliance.media.beamform import BestChannel, DelayAndSum
from appliance.media.doa import DoaEstimator
from appliance.media.mic_array import AEC_PER_CHANNEL, ArraySetup, DirectionEstimate
from appliance.media.processing import CHUNK, SAMPLE_RATE, AudioProcessor, ProcessingSettings, load_apm

# Re-steer only on estimates at least this coherent (a noisy estimate would swing the beam).
STEER_CONFIDENCE = 0.25
# The beam follows the circular mean of this many confident estimates (one alone jitters by several degrees).
STEER_AVERAGE = 3
# The far end counts as talking while its reference is above this RMS (int16 units, ≈ -50 dBFS)...
FAR_END_RMS = 100.0
# ...and for this long after, while its echo rings out in the room.
FAR_END_HANGOVER_S = 0.3


def circular_mean(azimuths_deg: list[float]) -> float:
    """The mean direction of angles (−170° and 170° average to 180°, not 0°)."""
    radians = np.radians(azimuths_deg)
    return float(np.degrees(np.arctan2(np.mean(np.sin(radians)), np.mean(np.cos(radians)))))


class MultiChannelEchoCanceller:
    """AEC3 on every microphone at once: one APM, N capture channels, one far-end reference."""

    def __init__(self, channels: int, stream_delay_ms: int) -> None:
        rtc = load_apm()
        self._rtc = rtc
        self.channels = channels
        self.stream_delay_ms = stream_delay_ms
        self._apm = rtc.AudioProcessingModule(
            echo_cancellation=True, noise_suppression=False, high_pass_filter=True, auto_gain_control=False
        )
        self._apm.set_stream_delay_ms(stream_delay_ms)
        self._lock = threading.Lock()

    def process(self, block: npt.NDArray[np.int16]) -> npt.NDArray[np.int16]:
        """(N, n) int16 with n a multiple of 10 ms; returns a new (N, n) array."""
        interleaved = np.ascontiguousarray(block.T)
        out = np.empty_like(interleaved)
        for start in range(0, interleaved.shape[0], CHUNK):
            frame = self._rtc.AudioFrame(
                interleaved[start : start + CHUNK].tobytes(), SAMPLE_RATE, self.channels, CHUNK
            )
            with self._lock:
                self._apm.set_stream_delay_ms(self.stream_delay_ms)
                self._apm.process_stream(frame)
            out[start : start + CHUNK] = np.frombuffer(frame.data, dtype=np.int16).reshape(CHUNK, -1)
        result: npt.NDArray[np.int16] = out.T
        return result

    def render(self, chunk: npt.NDArray[np.int16]) -> None:
        frame = self._rtc.AudioFrame(chunk.tobytes(), SAMPLE_RATE, 1, CHUNK)
        with self._lock:
            self._apm.process_reverse_stream(frame)


class ArrayFrontEnd:
    """DOA, echo cancellation, beamforming, NS and AGC for one array (docstring of this module)."""

    def __init__(self, setup: ArraySetup, processing: ProcessingSettings | None = None) -> None:
        self.setup = setup
        self.processing = processing or ProcessingSettings()
        geometry = setup.geometry
        self.doa = DoaEstimator(geometry, rate_hz=setup.doa_rate_hz) if geometry.steerable else None
        self.beam: DelayAndSum | BestChannel = (
            DelayAndSum(geometry) if geometry.steerable else BestChannel(geometry.count)
        )
        settings = self.processing
        self.echo: MultiChannelEchoCanceller | None = None
        post = settings
        if settings.echo_cancellation and setup.aec == AEC_PER_CHANNEL:
            self.echo = MultiChannelEchoCanceller(geometry.count, settings.stream_delay_ms)
            post = ProcessingSettings(
                echo_cancellation=False,
                noise_suppression=settings.noise_suppression,
                auto_gain_control=settings.auto_gain_control,
                stream_delay_ms=settings.stream_delay_ms,
            )
        self.post = AudioProcessor(post) if post.any else None
        self._render_resampler = av.AudioResampler(
            format="s16", layout="mono", rate=SAMPLE_RATE, frame_size=CHUNK
        )
        self._recent: list[float] = []  # the last confident azimuths, averaged for steering
        self._far_hold = 0  # capture samples left during which the far end counts as talking
        self.estimates = 0
        self.capture_blocks = 0

    @property
    def far_end_active(self) -> bool:
        return self._far_hold > 0

    # ------------------------------------------------------------------ far end
    def process_render_samples(self, samples: npt.NDArray[np.int16]) -> None:
        """Far-end mono 48 kHz samples (a multiple of 10 ms): the echo reference and the DOA gate."""
        for start in range(0, len(samples) - CHUNK + 1, CHUNK):
            chunk = samples[start : start + CHUNK]
            if float(np.sqrt(np.mean(chunk.astype(np.float64) ** 2))) > FAR_END_RMS:
                self._far_hold = int(FAR_END_HANGOVER_S * SAMPLE_RATE)
            if self.echo is not None:
                self.echo.render(chunk)
            elif self.post is not None and self.post.settings.echo_cancellation:
                self.post.process_render_samples(chunk)

    def process_render(self, frame: av.AudioFrame) -> None:
        """One far-end frame of any layout and rate (what the call's audio sink plays)."""
        for chunk in self._render_resampler.resample(frame):
            self.process_render_samples(chunk.to_ndarray().reshape(-1).astype(np.int16, copy=False))

    # ------------------------------------------------------------------ capture
    def process_capture_block(
        self, block: npt.NDArray[Any]
    ) -> tuple[npt.NDArray[np.int16], list[DirectionEstimate]]:
        """(M, n) int16 microphones, n a multiple of 10 ms → (n,) int16 voice and new estimates."""
        mics = np.asarray(block)
        if mics.shape[0] != self.setup.geometry.count or mics.shape[1] % CHUNK:
            raise ValueError(
                f"capture block must be ({self.setup.geometry.count}, k*{CHUNK}), got {tuple(mics.shape)}"
            )
        self.capture_blocks += 1
        estimates: list[DirectionEstimate] = []
        far_end = self.far_end_active
        if self.doa is not None:
            self.doa.far_end_active = far_end
            estimates = self.doa.process(mics)
            confident = [e.azimuth_deg for e in estimates if e.confidence >= STEER_CONFIDENCE]
            if confident and isinstance(self.beam, DelayAndSum):
                self._recent = (self._recent + confident)[-STEER_AVERAGE:]
                self.beam.steer(circular_mean(self._recent))
            self.estimates += len(estimates)
        self._far_hold = max(0, self._far_hold - mics.shape[1])
        cleaned = self.echo.process(mics.astype(np.int16, copy=False)) if self.echo is not None else mics
        if isinstance(self.beam, DelayAndSum):
            voice = self.beam.process(cleaned)
        else:
            voice = self.beam.process(cleaned, voiced=not far_end)
        out = np.clip(np.rint(voice), -32768, 32767).astype(np.int16)
        if self.post is not None:
            out = self.post.process_capture_samples(out)
        return out, estimates
