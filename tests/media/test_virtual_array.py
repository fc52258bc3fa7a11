"""The virtual array renders rooms the way sound behaves: delays by geometry, levels as asked."""

from __future__ import annotations

import io
import wave

import numpy as np
import pytest

from appliance.media.virtual_array import Loudspeaker, RoomScene, Talker, render, scene_wav, voiced_speech
from tests.support.array import FOUR_MIC

RATE = 48_000


def _lag(a: np.ndarray, b: np.ndarray) -> int:
    """Samples by which ``a`` lags ``b`` (peak of their cross-correlation)."""
    n = len(a) + len(b)
    corr = np.fft.irfft(np.fft.rfft(a, n) * np.conj(np.fft.rfft(b, n)), n)
    lag = int(np.argmax(corr))
    return lag if lag < n // 2 else lag - n


def test_virtual_array_talker_on_the_right_reaches_the_right_microphone_first() -> None:
    rendering = render(RoomScene(FOUR_MIC, 1.0, (Talker(90.0),), snr_db=60.0, rt60_s=0.05))
    right, left = rendering.near[1], rendering.near[3]  # microphones at x = +32 mm and x = -32 mm
    # 64 mm at 343 m/s is 187 µs: 9 samples at 48 kHz
    assert _lag(left, right) == pytest.approx(9, abs=1)


def test_virtual_array_noise_is_scaled_to_the_scene_snr() -> None:
    rendering = render(RoomScene(FOUR_MIC, 2.0, (Talker(0.0),), snr_db=10.0))
    snr = 10 * np.log10(np.mean(rendering.near[0] ** 2) / np.mean(rendering.noise[0] ** 2))
    assert snr == pytest.approx(10.0, abs=0.5)


def test_virtual_array_loudspeaker_is_only_in_the_echo_component() -> None:
    rendering = render(RoomScene(FOUR_MIC, 1.0, (), far_end=Loudspeaker()))
    assert not rendering.near.any()
    assert np.sqrt(np.mean(rendering.echo**2)) > 100 and np.sqrt(np.mean(rendering.far**2)) > 1000


def test_virtual_array_source_outside_the_room_is_refused() -> None:
    with pytest.raises(ValueError, match="outside the 6 x 5 m room"):
        render(RoomScene(FOUR_MIC, 0.5, (Talker(180.0, distance_m=3.0),)))


def test_virtual_array_voice_pauses_between_syllables() -> None:
    voice = voiced_speech(4, 3 * RATE)
    frames = voice[: len(voice) // 480 * 480].reshape(-1, 480)
    quiet = np.mean(np.sqrt(np.mean(frames**2, axis=1)) < 0.01)
    assert 0.1 < quiet < 0.6  # talk with pauses, not continuous noise


def test_virtual_array_wav_puts_each_microphone_on_its_channel() -> None:
    rendering = render(RoomScene(FOUR_MIC, 0.5, (Talker(0.0),)))
    data = scene_wav(rendering, channels=6, mic_channels=(1, 2, 3, 4))
    with wave.open(io.BytesIO(data)) as wav:
        assert (wav.getnchannels(), wav.getframerate(), wav.getsampwidth()) == (6, RATE, 2)
        pcm = np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2").reshape(-1, 6)
    assert not pcm[:, 0].any() and not pcm[:, 5].any()
    assert np.array_equal(pcm[:, 1], rendering.int16()[0])
