"""Direction of arrival on the virtual array: where a single talker is, within ±10°."""

from __future__ import annotations

import numpy as np
import pytest

from appliance.media.doa import DoaEstimator
from appliance.media.mic_array import ArrayGeometry
from appliance.media.virtual_array import Loudspeaker, RoomScene, Talker, render
from tests.support.array import FOUR_MIC, SIX_MIC, angle_error, estimate_directions


@pytest.mark.parametrize("snr_db", [20.0, 10.0, 5.0])
@pytest.mark.parametrize("azimuth", [-65.0, -30.0, 0.0, 20.0, 55.0])
def test_doa_single_talker_is_found_within_ten_degrees(azimuth: float, snr_db: float) -> None:
    scene = RoomScene(FOUR_MIC, 3.0, (Talker(azimuth, seed=int(azimuth) % 5 + 1),), snr_db=snr_db, seed=3)
    estimates = estimate_directions(render(scene))
    assert len(estimates) >= 5
    assert angle_error(float(np.median([e.azimuth_deg for e in estimates])), azimuth) <= 10.0


@pytest.mark.parametrize("azimuth", [-40.0, 35.0])
def test_doa_six_mic_array_finds_the_talker_too(azimuth: float) -> None:
    estimates = estimate_directions(render(RoomScene(SIX_MIC, 3.0, (Talker(azimuth),), snr_db=10.0)))
    assert angle_error(float(np.median([e.azimuth_deg for e in estimates])), azimuth) <= 10.0


def test_doa_most_estimates_are_close_at_twenty_db() -> None:
    estimates = estimate_directions(render(RoomScene(FOUR_MIC, 3.0, (Talker(30.0),), snr_db=20.0)))
    close = [e for e in estimates if angle_error(e.azimuth_deg, 30.0) <= 10.0]
    assert len(close) >= 0.8 * len(estimates)


def test_doa_confidence_is_lower_in_noise() -> None:
    clean = estimate_directions(render(RoomScene(FOUR_MIC, 3.0, (Talker(10.0),), snr_db=30.0)))
    noisy = estimate_directions(render(RoomScene(FOUR_MIC, 3.0, (Talker(10.0),), snr_db=3.0)))
    assert np.median([e.confidence for e in clean]) > np.median([e.confidence for e in noisy])


def test_doa_noise_alone_gives_no_estimate() -> None:
    # background noise only: nothing voiced, nothing to point the camera at
    scene = RoomScene(FOUR_MIC, 3.0, (Talker(0.0, level=0.0),), snr_db=0.0)
    rendering = render(scene)
    assert estimate_directions(rendering) == []


def test_doa_far_end_activity_pauses_estimation() -> None:
    scene = RoomScene(FOUR_MIC, 3.0, (), far_end=Loudspeaker(level=8000.0))
    doa = DoaEstimator(FOUR_MIC)
    doa.far_end_active = True
    assert estimate_directions(render(scene), doa) == []


def test_doa_loudspeaker_alone_is_heard_behind_the_array() -> None:
    # without the far-end pause, the loudspeaker (180°) is what the array hears
    estimates = estimate_directions(render(RoomScene(FOUR_MIC, 3.0, (), far_end=Loudspeaker(level=8000.0))))
    assert estimates and angle_error(float(np.median([e.azimuth_deg for e in estimates])), 180.0) <= 15.0


def test_doa_estimates_come_at_the_configured_rate() -> None:
    rendering = render(RoomScene(FOUR_MIC, 4.0, (Talker(0.0),), snr_db=30.0))
    slow = estimate_directions(rendering, DoaEstimator(FOUR_MIC, rate_hz=2.0))
    fast = estimate_directions(rendering, DoaEstimator(FOUR_MIC, rate_hz=8.0))
    assert len(slow) <= 8 and len(fast) > 2 * len(slow)


def test_doa_array_too_small_is_refused() -> None:
    tiny = ArrayGeometry(((0.0, 0.005), (0.0, -0.005)))
    with pytest.raises(ValueError, match="cannot estimate a direction"):
        DoaEstimator(tiny)


def test_doa_linear_array_answers_in_front_only() -> None:
    line = ArrayGeometry(((-0.05, 0.0), (0.0, 0.0), (0.05, 0.0)))
    estimates = estimate_directions(render(RoomScene(line, 3.0, (Talker(40.0),), snr_db=20.0)))
    azimuths = [e.azimuth_deg for e in estimates]
    assert all(-90.0 <= a <= 90.0 for a in azimuths)
    assert angle_error(float(np.median(azimuths)), 40.0) <= 10.0
