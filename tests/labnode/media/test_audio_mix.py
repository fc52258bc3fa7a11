from __future__ import annotations

import math

import av
import numpy as np

from appliance.labnode.media.audio_mix import (
    FRAME_SAMPLES,
    AudioFifo,
    AudioMixer,
    VoiceActivityDetector,
    level_dbfs,
)


def _tone(level: float = 0.2, pitch: float = 440.0) -> np.ndarray:
    n = np.arange(FRAME_SAMPLES)
    return (level * 32767 * np.sin(2 * math.pi * pitch * n / 48000)).astype(np.int16)


class _Constant:
    def __init__(self, chunk: np.ndarray | None) -> None:
        self.chunk = chunk

    def pull(self) -> np.ndarray | None:
        return self.chunk


def _stereo_frame(value: int) -> av.AudioFrame:
    data = np.full((1, FRAME_SAMPLES * 2), value, dtype=np.int16)
    frame = av.AudioFrame.from_ndarray(data, format="s16", layout="stereo")
    frame.sample_rate = 48000
    return frame


def test_level_dbfs_of_full_scale_square_is_zero() -> None:
    assert abs(level_dbfs(np.full(960, 32767, dtype=np.int16))) < 0.01


def test_vad_starts_only_after_attack_chunks() -> None:
    vad = VoiceActivityDetector(attack=3, hangover=5)
    assert [vad.update(_tone()) for _ in range(3)] == [None, None, True]


def test_vad_ignores_a_single_click() -> None:
    vad = VoiceActivityDetector(attack=3, hangover=5)
    changes = [vad.update(c) for c in (_tone(), None, _tone(), None)]
    assert changes == [None] * 4 and not vad.speaking


def test_vad_holds_speech_through_short_gaps() -> None:
    vad = VoiceActivityDetector(attack=1, hangover=5)
    vad.update(_tone())
    changes = [vad.update(None) for _ in range(4)]
    assert changes == [None] * 4 and vad.speaking


def test_vad_ends_speech_after_hangover() -> None:
    vad = VoiceActivityDetector(attack=1, hangover=5)
    vad.update(_tone())
    assert [vad.update(None) for _ in range(5)][-1] is False


def test_vad_treats_quiet_noise_as_silence() -> None:
    vad = VoiceActivityDetector(attack=1)
    assert vad.update(_tone(level=0.001)) is None


def test_fifo_waits_for_priming_before_playing() -> None:
    fifo = AudioFifo(prime=2)
    fifo.push(_stereo_frame(100))
    assert fifo.pull() is None
    fifo.push(_stereo_frame(100))
    chunk = fifo.pull()
    assert chunk is not None and chunk.size == FRAME_SAMPLES and int(chunk[0]) == 100


def test_fifo_drops_oldest_beyond_limit() -> None:
    fifo = AudioFifo(prime=1, limit=2)
    for value in (1, 2, 3):
        fifo.push(_stereo_frame(value))
    assert [int(c[0]) for c in (fifo.pull(), fifo.pull())] == [2, 3]


def _mixer_with(sources: dict[str, np.ndarray | None]) -> tuple[AudioMixer, list[tuple[str, bool]]]:
    changes: list[tuple[str, bool]] = []
    mixer = AudioMixer(
        lambda uuid, speaking: changes.append((uuid, speaking)),
        run_clock=False,
        vad_factory=lambda: VoiceActivityDetector(attack=1),
    )
    for uuid, chunk in sources.items():
        mixer.add_source(uuid, _Constant(chunk))
    return mixer, changes


def test_mixer_listener_hears_others_but_not_itself() -> None:
    a, b = _tone(pitch=440), _tone(pitch=880)
    mixer, _ = _mixer_with({"a": a, "b": b})
    heard = mixer.add_listener("a")
    mixer.tick()
    assert np.array_equal(heard.take(), b)


def test_mixer_excludes_admin_muted_participant() -> None:
    mixer, _ = _mixer_with({"a": _tone(), "b": _tone()})
    mixer.set_audible("b", False)
    heard = mixer.add_listener("a")
    mixer.tick()
    assert not heard.take().any()


def test_mixer_gives_silence_to_a_listener_outside_the_meeting() -> None:
    mixer, _ = _mixer_with({"a": _tone(), "b": _tone()})
    mixer.set_hears("a", False)
    heard = mixer.add_listener("a")
    mixer.tick()
    assert not heard.take().any()


def test_mixer_reports_voice_activity_changes() -> None:
    mixer, changes = _mixer_with({"a": _tone(), "b": None})
    mixer.tick()
    assert changes == [("a", True)]


def test_mixer_ends_speech_of_a_muted_participant() -> None:
    mixer, changes = _mixer_with({"a": _tone()})
    mixer.tick()
    mixer.set_audible("a", False)
    mixer.tick()
    assert changes == [("a", True), ("a", False)]


def test_mixer_clips_instead_of_wrapping() -> None:
    loud = np.full(FRAME_SAMPLES, 30000, dtype=np.int16)
    mixer, _ = _mixer_with({"a": loud, "b": loud})
    heard = mixer.add_listener("c")
    mixer.tick()
    assert int(heard.take().min()) == 32767
