"""The generated ring tone: its cadence, and that stopping it silences it at once."""

from __future__ import annotations

import asyncio
from pathlib import Path

import av
import numpy as np

from appliance.media.ringtone import BURST_S, GAP_S, RATE, RingTone, ring_cycle, ring_frames
from appliance.media.sinks import AudioOutput


def _rms(samples: np.ndarray) -> float:
    return float(np.sqrt(np.mean(samples.astype(np.float64) ** 2)))


def test_ringtone_cycle_is_burst_gap_burst_pause() -> None:
    cycle = ring_cycle()
    burst, gap = int(BURST_S * RATE), int(GAP_S * RATE)
    assert _rms(cycle[RATE // 100 : burst - RATE // 100]) > 1000
    assert _rms(cycle[burst : burst + gap]) == 0
    assert _rms(cycle[burst + gap + RATE // 100 : 2 * burst + gap - RATE // 100]) > 1000
    assert _rms(cycle[2 * burst + gap :]) == 0


def test_ringtone_has_its_two_tones() -> None:
    burst = ring_cycle()[: int(BURST_S * RATE)].astype(np.float64)
    spectrum = np.abs(np.fft.rfft(burst))
    freqs = np.fft.rfftfreq(len(burst), 1 / RATE)
    top_two = sorted(freqs[np.argsort(spectrum)[-2:]])
    assert [round(f) for f in top_two] == [400, 450]


def test_ringtone_frames_are_20ms_stereo() -> None:
    frames = ring_frames()
    assert all(f.samples == 960 and f.layout.name == "stereo" for f in frames)


async def test_ringtone_stop_silences_at_once(tmp_path: Path) -> None:
    target = tmp_path / "ring.wav"
    output = AudioOutput(str(target), "wav")
    tone = RingTone(output)
    tone.start()
    await asyncio.sleep(0.3)
    await tone.stop()
    played = tone.frames_played
    await asyncio.sleep(0.1)
    assert tone.frames_played == played
    assert not tone.ringing
    output.close()
    with av.open(str(target)) as container:
        samples = sum(frame.samples for frame in container.decode(audio=0))
    assert samples == played * 960
