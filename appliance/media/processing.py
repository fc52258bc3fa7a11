"""Echo cancellation, noise suppression and gain control for the room microphone.

A room system plays the far end through loudspeakers a metre from its
microphone; without echo cancellation the far end hears itself. Browsers
get this from getUserMedia; aiortc has none. We use WebRTC's own
AudioProcessingModule (AEC3, NS, AGC2) as shipped in the ``livekit`` wheel
(``livekit.rtc.AudioProcessingModule``): it is maintained, prebuilt for
x86-64 and aarch64, and measured here at ~0.1 ms per 10 ms frame with
> 30 dB ERLE on a simulated echo path. ``webrtc-audio-processing`` (2019)
does not build against current toolchains (see docs/media.md).

The module works on 10 ms frames of 16-bit PCM. Capture frames (ours are
20 ms, s16 mono 48 kHz, see :mod:`appliance.media.sources`) are processed
in two halves in place; far-end frames arrive in whatever shape the
decoder makes and are resampled and re-chunked first.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any, Protocol

import av
import numpy as np
import numpy.typing as npt

from appliance.errors import NotSupported

SAMPLE_RATE = 48_000
CHUNK = SAMPLE_RATE // 100  # 10 ms


@dataclass(frozen=True, slots=True)
class ProcessingSettings:
    """PexRTC's ``echoCancellation`` / ``noiseSuppression`` / ``autoGainControl`` (all default on)."""

    echo_cancellation: bool = True
    noise_suppression: bool = True
    auto_gain_control: bool = True
    # render-to-capture delay the AEC starts from (loudspeaker + room + ALSA buffers)
    stream_delay_ms: int = 40

    @property
    def any(self) -> bool:
        return self.echo_cancellation or self.noise_suppression or self.auto_gain_control


class EchoReference(Protocol):
    """What the playback path feeds with the far end's audio (this module's processor, or an array's)."""

    def process_render(self, frame: av.AudioFrame) -> None: ...


def load_apm() -> Any:
    try:
        from livekit import rtc
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise NotSupported(
            "audio processing (echoCancellation/noiseSuppression/autoGainControl) needs the "
            f"'livekit' package, which is not importable here: {exc}"
        ) from exc
    return rtc


class AudioProcessor:
    """One WebRTC APM shared by a call's capture path and its playback path."""

    def __init__(self, settings: ProcessingSettings) -> None:
        rtc = load_apm()
        self._rtc = rtc
        self.settings = settings
        self._apm = rtc.AudioProcessingModule(
            echo_cancellation=settings.echo_cancellation,
            noise_suppression=settings.noise_suppression,
            high_pass_filter=settings.echo_cancellation or settings.noise_suppression,
            auto_gain_control=settings.auto_gain_control,
        )
        self._lock = threading.Lock()
        if settings.echo_cancellation:
            self._apm.set_stream_delay_ms(settings.stream_delay_ms)
        self._render_resampler = av.AudioResampler(
            format="s16", layout="mono", rate=SAMPLE_RATE, frame_size=CHUNK
        )
        self.capture_chunks = 0
        self.render_chunks = 0

    def process_capture_samples(self, samples: npt.NDArray[np.int16]) -> npt.NDArray[np.int16]:
        """Process near-end mono 48 kHz samples (a multiple of 10 ms); returns a new array."""
        if len(samples) % CHUNK:
            raise ValueError(f"capture audio must be a multiple of {CHUNK} samples, got {len(samples)}")
        out = np.empty_like(samples)
        for start in range(0, len(samples), CHUNK):
            frame = self._rtc.AudioFrame(samples[start : start + CHUNK].tobytes(), SAMPLE_RATE, 1, CHUNK)
            with self._lock:
                if self.settings.echo_cancellation:
                    self._apm.set_stream_delay_ms(self.settings.stream_delay_ms)
                self._apm.process_stream(frame)
            out[start : start + CHUNK] = np.frombuffer(frame.data, dtype=np.int16)
            self.capture_chunks += 1
        return out

    def process_render_samples(self, samples: npt.NDArray[np.int16]) -> None:
        """Feed far-end mono 48 kHz samples (a multiple of 10 ms) as the echo reference."""
        for start in range(0, len(samples) - CHUNK + 1, CHUNK):
            frame = self._rtc.AudioFrame(samples[start : start + CHUNK].tobytes(), SAMPLE_RATE, 1, CHUNK)
            with self._lock:
                self._apm.process_reverse_stream(frame)
            self.render_chunks += 1

    def process_capture(self, frame: av.AudioFrame) -> av.AudioFrame:
        """Process one capture frame (s16 mono 48 kHz, 10 ms multiple) into a new frame."""
        samples = frame.to_ndarray().reshape(-1).astype(np.int16, copy=False)
        processed = self.process_capture_samples(samples)
        out = av.AudioFrame.from_ndarray(processed.reshape(1, -1), format="s16", layout="mono")
        out.sample_rate = SAMPLE_RATE
        out.pts = frame.pts
        if frame.time_base is not None:
            out.time_base = frame.time_base
        return out

    def process_render(self, frame: av.AudioFrame) -> None:
        """Feed one far-end frame of any layout/rate as the echo reference."""
        for chunk in self._render_resampler.resample(frame):
            self.process_render_samples(chunk.to_ndarray().reshape(-1).astype(np.int16, copy=False))


def erle_db(mic: npt.NDArray[Any], processed: npt.NDArray[Any]) -> float:
    """Echo return loss enhancement: how much quieter the echo got, in dB."""
    power_in = float(np.mean(np.asarray(mic, dtype=np.float64) ** 2))
    power_out = float(np.mean(np.asarray(processed, dtype=np.float64) ** 2))
    return 10.0 * float(np.log10(power_in / max(power_out, 1e-9)))
