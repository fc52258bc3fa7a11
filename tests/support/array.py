"""Helpers for the microphone-array tests: the virtual array's geometries and block-wise runs."""

from __future__ import annotations

import math

import numpy as np

from appliance.media.array_front import ArrayFrontEnd
from appliance.media.doa import DoaEstimator
from appliance.media.mic_array import DirectionEstimate
from appliance.media.virtual_array import Rendering, circular

BLOCK = 960  # 20 ms, what the capture thread hands over
FOUR_MIC = circular(4, 32.0)  # ReSpeaker USB array
SIX_MIC = circular(6, 46.3)  # ReSpeaker 6-mic HAT


def angle_error(a: float, b: float) -> float:
    return abs(math.remainder(a - b, 360.0))


def estimate_directions(
    rendering: Rendering, estimator: DoaEstimator | None = None
) -> list[DirectionEstimate]:
    """Feed a rendering to a direction estimator in capture-sized blocks."""
    doa = estimator or DoaEstimator(rendering.scene.geometry)
    mics = rendering.int16()
    found: list[DirectionEstimate] = []
    for start in range(0, mics.shape[1], BLOCK):
        found += doa.process(mics[:, start : start + BLOCK])
    return found


def run_front_end(
    front: ArrayFrontEnd, mics: np.ndarray, far: np.ndarray | None = None
) -> tuple[np.ndarray, list[DirectionEstimate]]:
    """Play the far end and capture the microphones block by block, as a call would."""
    out: list[np.ndarray] = []
    found: list[DirectionEstimate] = []
    far16 = None if far is None else np.clip(far, -32768, 32767).astype(np.int16)
    usable = mics.shape[1] - mics.shape[1] % BLOCK
    for start in range(0, usable, BLOCK):
        if far16 is not None:
            front.process_render_samples(far16[start : start + BLOCK])
        voice, estimates = front.process_capture_block(mics[:, start : start + BLOCK])
        out.append(voice)
        found += estimates
    return np.concatenate(out), found
