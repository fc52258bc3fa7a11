"""Echo cancellation, noise suppression and gain control act on real signals."""

from __future__ import annotations

import av
import numpy as np
import pytest

from appliance.media.processing import CHUNK, AudioProcessor, ProcessingSettings, erle_db
from tests.support.echo_path import RATE, echo_scene


def run(processor: AudioProcessor, far: np.ndarray, mic: np.ndarray) -> np.ndarray:
    out = np.empty_like(mic)
    for start in range(0, len(mic) - CHUNK + 1, CHUNK):
        processor.process_render_samples(far[start : start + CHUNK])
        out[start : start + CHUNK] = processor.process_capture_samples(mic[start : start + CHUNK])
    return out


def test_echo_canceller_removes_the_far_end_echo_after_convergence() -> None:
    far, mic, _ = echo_scene()
    processor = AudioProcessor(ProcessingSettings(True, False, False, stream_delay_ms=30))
    out = run(processor, far, mic)
    converged, single_talk_end = 2 * RATE, len(mic) // 2
    assert erle_db(mic[converged:single_talk_end], out[converged:single_talk_end]) > 6.0


def test_echo_canceller_keeps_near_end_speech_in_double_talk() -> None:
    far, mic, near = echo_scene()
    processor = AudioProcessor(ProcessingSettings(True, False, False, stream_delay_ms=30))
    out = run(processor, far, mic)
    double_talk = slice(len(mic) // 2 + RATE, len(mic))
    # most of the near-end energy survives: far less attenuation than on the echo alone
    assert erle_db(near[double_talk], out[double_talk]) < 10.0


def test_noise_suppression_lowers_stationary_noise() -> None:
    rng = np.random.default_rng(5)
    noise = (rng.standard_normal(4 * RATE) * 1500).astype(np.int16)
    processor = AudioProcessor(ProcessingSettings(False, True, False))
    out = np.concatenate(
        [processor.process_capture_samples(noise[i : i + CHUNK]) for i in range(0, len(noise), CHUNK)]
    )
    assert erle_db(noise[2 * RATE :], out[2 * RATE :]) > 6.0


def test_gain_control_raises_a_quiet_talker() -> None:
    from tests.support.echo_path import speech_like

    quiet = (speech_like(7, 6 * RATE) * 150).astype(np.int16)
    processor = AudioProcessor(ProcessingSettings(False, False, True))
    out = np.concatenate(
        [processor.process_capture_samples(quiet[i : i + CHUNK]) for i in range(0, len(quiet), CHUNK)]
    )
    assert erle_db(quiet[3 * RATE :], out[3 * RATE :]) < -3.0  # louder by more than 3 dB


def test_process_capture_keeps_frame_timing() -> None:
    processor = AudioProcessor(ProcessingSettings(True, True, True))
    frame = av.AudioFrame.from_ndarray(np.zeros((1, 960), dtype=np.int16), format="s16", layout="mono")
    frame.sample_rate, frame.pts = RATE, 4800
    out = processor.process_capture(frame)
    assert (out.samples, out.sample_rate, out.pts) == (960, RATE, 4800)


def test_process_capture_rejects_frames_that_are_not_10ms_multiples() -> None:
    processor = AudioProcessor(ProcessingSettings(False, True, False))
    with pytest.raises(ValueError, match="multiple of 480"):
        processor.process_capture_samples(np.zeros(500, dtype=np.int16))


def test_process_render_accepts_decoder_shaped_stereo_frames() -> None:
    processor = AudioProcessor(ProcessingSettings(True, False, False))
    stereo = av.AudioFrame.from_ndarray(np.zeros((1, 1920), dtype=np.int16), format="s16", layout="stereo")
    stereo.sample_rate = RATE
    processor.process_render(stereo)
    assert processor.render_chunks == 2
