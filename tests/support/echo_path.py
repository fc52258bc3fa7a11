"""A simulated room echo path for echo-canceller tests and the benchmark.

The far end's speech-like signal is played into the room and reaches the
microphone delayed and attenuated, mixed with near-end speech that starts
halfway through (far-end single talk first, then double talk).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

RATE = 48_000


def speech_like(seed: int, samples: int) -> npt.NDArray[np.float64]:
    """Band-limited noise, syllable-gated at ~3 Hz: enough like speech for AEC and NS."""
    rng = np.random.default_rng(seed)
    noise = np.convolve(rng.standard_normal(samples), np.ones(8) / 8, "same")
    envelope = (np.sin(2 * np.pi * 3 * np.arange(samples) / RATE + seed) > 0) * 0.8 + 0.2
    return noise * envelope


def echo_scene(
    seconds: float = 6.0, delay_ms: float = 30.0, echo_gain: float = 0.5
) -> tuple[npt.NDArray[np.int16], npt.NDArray[np.int16], npt.NDArray[np.int16]]:
    """(far end, microphone, near end alone) as int16; near-end talk only in the second half."""
    samples = int(RATE * seconds)
    far = speech_like(2, samples) * 6000
    near = speech_like(3, samples) * 3000
    near[: samples // 2] = 0
    delay = int(RATE * delay_ms / 1000)
    echo = np.zeros(samples)
    echo[delay:] = far[:-delay] * echo_gain
    mic = np.clip(echo + near, -32768, 32767)
    return far.astype(np.int16), mic.astype(np.int16), near.astype(np.int16)
