"""The array's chain on simulated rooms: beamformer gain, echo cancellation, steering."""

from __future__ import annotations

import numpy as np
import pytest

from appliance.media.array_front import ArrayFrontEnd
from appliance.media.beamform import BestChannel, DelayAndSum
from appliance.media.mic_array import AEC_AFTER_BEAMFORMER, AEC_PER_CHANNEL, ArrayGeometry, ArraySetup
from appliance.media.processing import ProcessingSettings, erle_db
from appliance.media.virtual_array import Loudspeaker, RoomScene, Talker, render
from tests.support.array import BLOCK, FOUR_MIC, SIX_MIC, angle_error, run_front_end

RATE = 48_000
NO_PROCESSING = ProcessingSettings(False, False, False)


def _beam(geometry: ArrayGeometry, azimuth: float, signal: np.ndarray) -> np.ndarray:
    beam = DelayAndSum(geometry, azimuth_deg=azimuth)
    return np.concatenate([beam.process(signal[:, i : i + BLOCK]) for i in range(0, signal.shape[1], BLOCK)])


def _snr_gain_db(geometry: ArrayGeometry, azimuth: float, steer: float) -> float:
    rendering = render(RoomScene(geometry, 3.0, (Talker(azimuth),), snr_db=10.0, rt60_s=0.2))
    latency = DelayAndSum(geometry).latency
    near, noise = _beam(geometry, steer, rendering.near), _beam(geometry, steer, rendering.noise)
    single = 10 * np.log10(np.mean(rendering.near[0] ** 2) / np.mean(rendering.noise[0] ** 2))
    beamed = 10 * np.log10(np.mean(near[latency:] ** 2) / np.mean(noise[latency:] ** 2))
    return float(beamed - single)


@pytest.mark.parametrize(("geometry", "at_least_db"), [(FOUR_MIC, 4.0), (SIX_MIC, 5.5)])
def test_beamformer_raises_the_talker_over_noise_against_one_channel(
    geometry: ArrayGeometry, at_least_db: float
) -> None:
    assert _snr_gain_db(geometry, 30.0, 30.0) >= at_least_db


def test_beamformer_steered_at_the_talker_keeps_more_of_the_voice_than_steered_away() -> None:
    rendering = render(RoomScene(SIX_MIC, 2.0, (Talker(-40.0),), snr_db=40.0, rt60_s=0.1))
    towards = float(np.mean(_beam(SIX_MIC, -40.0, rendering.near) ** 2))
    away = float(np.mean(_beam(SIX_MIC, 140.0, rendering.near) ** 2))
    assert 10 * np.log10(towards / away) > 1.0


def test_beamformer_resteering_does_not_jump_the_stream() -> None:
    tone = np.sin(2 * np.pi * 300 * np.arange(4 * BLOCK) / RATE) * 1000
    mics = np.tile(tone, (FOUR_MIC.count, 1))  # broadside-ish: every microphone alike
    beam = DelayAndSum(FOUR_MIC, azimuth_deg=0.0)
    first = beam.process(mics[:, :BLOCK])
    beam.steer(90.0)
    second = beam.process(mics[:, BLOCK : 2 * BLOCK])
    assert abs(second[0] - first[-1]) < 100.0  # a 300 Hz tone moves ~40 per sample at this level


def test_best_channel_picks_the_loudest_microphone_of_a_tiny_array() -> None:
    rng = np.random.default_rng(1)
    quiet, loud = rng.standard_normal(BLOCK) * 100, rng.standard_normal(BLOCK) * 1000
    chooser = BestChannel(2)
    for _ in range(60):
        out = chooser.process(np.stack([quiet, loud]))
    assert chooser.channel == 1 and np.allclose(out, loud)


def test_array_front_end_steers_the_beam_at_the_talker() -> None:
    rendering = render(RoomScene(FOUR_MIC, 3.0, (Talker(45.0),), snr_db=20.0))
    front = ArrayFrontEnd(ArraySetup(FOUR_MIC, 4, (0, 1, 2, 3)), NO_PROCESSING)
    _, estimates = run_front_end(front, rendering.int16())
    assert estimates and isinstance(front.beam, DelayAndSum)
    assert angle_error(front.beam.azimuth_deg, 45.0) <= 10.0


def test_array_front_end_on_a_tiny_array_uses_one_channel_and_estimates_nothing() -> None:
    tiny = ArrayGeometry(((0.0, 0.005), (0.0, -0.005)))
    rendering = render(RoomScene(tiny, 1.0, (Talker(0.0),)))
    front = ArrayFrontEnd(ArraySetup(tiny, 2, (0, 1)), NO_PROCESSING)
    voice, estimates = run_front_end(front, rendering.int16())
    assert front.doa is None and isinstance(front.beam, BestChannel)
    assert estimates == [] and len(voice) == rendering.near.shape[1]


def _echo_room() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A talker, then the far end alone for 5 s: (microphones int16, far end, echo at mic 0)."""
    rendering = render(
        RoomScene(
            FOUR_MIC,
            8.0,
            (Talker(-30.0, 0.0, 2.5),),
            far_end=Loudspeaker(start_s=3.0),
            snr_db=30.0,
        )
    )
    return rendering.int16(), rendering.far, rendering.echo[0]


@pytest.mark.parametrize("placement", [AEC_PER_CHANNEL, AEC_AFTER_BEAMFORMER])
def test_array_front_end_cancels_the_far_end_echo(placement: str) -> None:
    mics, far, echo = _echo_room()
    front = ArrayFrontEnd(
        ArraySetup(FOUR_MIC, 4, (0, 1, 2, 3), aec=placement), ProcessingSettings(True, False, False)
    )
    voice, _ = run_front_end(front, mics, far)
    converged = slice(5 * RATE, 8 * RATE)
    assert erle_db(echo[converged], voice[converged]) > 10.0


def test_array_front_end_does_not_steer_at_the_loudspeaker() -> None:
    mics, far, _ = _echo_room()
    front = ArrayFrontEnd(ArraySetup(FOUR_MIC, 4, (0, 1, 2, 3)), ProcessingSettings(True, False, False))
    _, estimates = run_front_end(front, mics, far)
    assert isinstance(front.beam, DelayAndSum)
    assert angle_error(front.beam.azimuth_deg, -30.0) <= 10.0
    assert all(angle_error(e.azimuth_deg, 180.0) > 30.0 for e in estimates)


def test_array_front_end_rejects_a_block_of_the_wrong_shape() -> None:
    front = ArrayFrontEnd(ArraySetup(FOUR_MIC, 4, (0, 1, 2, 3)), NO_PROCESSING)
    with pytest.raises(ValueError, match=r"capture block must be \(4, k\*480\)"):
        front.process_capture_block(np.zeros((3, BLOCK), dtype=np.int16))
