"""Microphone array benchmarks on the virtual array's simulated rooms, never asserted.

(a) DOA error (median, p95, share within ±10°) by SNR, 4-mic (32 mm radius) and 6-mic (46.3 mm)
(b) beamformer: talker-to-noise ratio of the beam over one channel (dB), and the talker's level
(c) ERLE with the array: AEC per channel vs after the beamformer, across a re-steer; one mono mic alongside
(d) CPU per 10 ms of audio for the whole chain (DOA, AEC, beamformer, NS, AGC) on 4 and 6 channels,
    as a ratio of today's mono chain (APM AEC+NS+AGC on one microphone) in the same run

Rooms: 6 x 5 x 3 m, RT60 0.3 s, the array 1 m from the screen wall, talkers 1.8 m away,
the loudspeaker 0.6 m behind the array (docs/microphone-array.md).
``python -m bench --only array`` (~3 min on a shared machine); ``-- --long`` for more angles and longer rooms.
"""

from __future__ import annotations

import argparse
import math
import time
from dataclasses import replace

import numpy as np

from appliance.media.array_front import ArrayFrontEnd
from appliance.media.beamform import DelayAndSum
from appliance.media.doa import DoaEstimator
from appliance.media.mic_array import AEC_AFTER_BEAMFORMER, AEC_PER_CHANNEL, ArrayGeometry, ArraySetup
from appliance.media.processing import CHUNK, AudioProcessor, ProcessingSettings, erle_db
from appliance.media.virtual_array import Loudspeaker, RoomScene, Talker, circular, render

RATE = 48_000
BLOCK = 960
ARRAYS = {"4-mic": circular(4, 32.0), "6-mic": circular(6, 46.3)}


def _setup(geometry: ArrayGeometry, aec: str = AEC_AFTER_BEAMFORMER) -> ArraySetup:
    return ArraySetup(geometry, geometry.count, tuple(range(geometry.count)), aec=aec)


def _error(a: float, b: float) -> float:
    return abs(math.remainder(a - b, 360.0))


def doa_by_snr(long: bool) -> None:
    print("(a) DOA error by SNR (single talker, every estimate counted)")
    angles = (-70, -45, -20, 0, 25, 50, 70) if long else (-65, -30, 0, 20, 55)
    seconds = 6.0 if long else 3.0
    for name, geometry in ARRAYS.items():
        for snr in (30.0, 20.0, 10.0, 5.0, 0.0):
            errors: list[float] = []
            for index, azimuth in enumerate(angles):
                scene = RoomScene(
                    geometry, seconds, (Talker(azimuth, seed=index + 1),), snr_db=snr, seed=index
                )
                mics = render(scene).int16()
                doa = DoaEstimator(geometry)
                for start in range(0, mics.shape[1], BLOCK):
                    errors += [
                        _error(e.azimuth_deg, azimuth) for e in doa.process(mics[:, start : start + BLOCK])
                    ]
            if not errors:
                print(f"    {name} SNR {snr:4.0f} dB: no voiced estimate")
                continue
            within = sum(e <= 10.0 for e in errors) / len(errors)
            print(
                f"    {name} SNR {snr:4.0f} dB: median {np.median(errors):5.1f}°"
                f"  p95 {np.percentile(errors, 95):5.1f}°"
                f"  within ±10° {within:4.0%}  ({len(errors)} estimates, {len(angles)} angles)"
            )


def beamformer_gain() -> None:
    print("(b) beamformer over one channel (steered by the DOA, uncorrelated noise + reverberation)")
    for name, geometry in ARRAYS.items():
        gains, levels = [], []
        for index, azimuth in enumerate((-50.0, -10.0, 30.0, 60.0)):
            rendering = render(
                RoomScene(geometry, 4.0, (Talker(azimuth, seed=index + 3),), snr_db=10.0, seed=index)
            )
            front = ArrayFrontEnd(_setup(geometry), ProcessingSettings(False, False, False))
            mics = rendering.int16()
            for start in range(0, mics.shape[1], BLOCK):  # let the DOA steer the beam
                front.process_capture_block(mics[:, start : start + BLOCK])
            assert isinstance(front.beam, DelayAndSum)
            steer = front.beam.azimuth_deg
            near = _beam(geometry, steer, rendering.near)
            noise = _beam(geometry, steer, rendering.noise)
            single_snr = 10 * np.log10(np.mean(rendering.near[0] ** 2) / np.mean(rendering.noise[0] ** 2))
            beam_snr = 10 * np.log10(np.mean(near**2) / np.mean(noise**2))
            gains.append(beam_snr - single_snr)
            levels.append(10 * np.log10(np.mean(near**2) / np.mean(rendering.near[0] ** 2)))
        print(
            f"    {name}: talker-to-noise +{np.mean(gains):.1f} dB over one channel "
            f"(range {min(gains):.1f}..{max(gains):.1f}; ideal {10 * np.log10(geometry.count):.1f}), "
            f"talker level {np.mean(levels):+.1f} dB"
        )


def _beam(geometry: ArrayGeometry, azimuth: float, signal: np.ndarray) -> np.ndarray:
    beam = DelayAndSum(geometry, azimuth_deg=azimuth)
    out = np.concatenate([beam.process(signal[:, i : i + BLOCK]) for i in range(0, signal.shape[1], BLOCK)])
    return out[beam.latency :]


def _echo_scene(geometry: ArrayGeometry, long: bool, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Talker A, far end, talker B (beam re-steers), far end again: mics, far reference, echo at mic 0."""
    scale = 2.0 if long else 1.0
    a, f1, b, f2, end = (3 * scale, 9 * scale, 12 * scale, 18 * scale, 18 * scale)
    side = 1 if seed % 2 else -1
    talkers = (Talker(-45.0 * side, 0.0, a, seed=3 + seed), Talker(40.0 * side, f1, b, seed=5 + seed))
    base = RoomScene(geometry, end, talkers, snr_db=25.0, seed=seed)
    speech = render(base)
    first = render(replace(base, talkers=(), far_end=Loudspeaker(start_s=a, end_s=f1, seed=90 + seed)))
    second = render(replace(base, talkers=(), far_end=Loudspeaker(start_s=b, end_s=f2, seed=70 + seed)))
    echo = first.echo + second.echo
    mics = np.clip(np.rint(speech.near + speech.noise + echo), -32768, 32767).astype(np.int16)
    return mics, first.far + second.far, echo[0]


def erle_with_array(long: bool) -> None:
    print("(c) ERLE with the array (far end alone; the beam re-steered between the two far-end turns)")
    print("    render and capture interleaved every 10 ms (bursts of 20 ms cost AEC3 ~13 dB here, mono too)")
    scale = 2.0 if long else 1.0
    windows = {
        "1st turn, last 3 s": (9 * scale - 3, 9 * scale),
        "2nd turn, first 1 s": (12 * scale, 12 * scale + 1),
        "2nd turn, last 3 s": (18 * scale - 3, 18 * scale),
    }
    seeds = range(10 if long else 6)
    print(f"    mean (worst) over {len(seeds)} rooms")
    for name, geometry in ARRAYS.items():
        results: dict[str, list[list[float]]] = {}
        for seed in seeds:
            mics, far, echo = _echo_scene(geometry, long, seed)
            far16 = np.clip(far, -32768, 32767).astype(np.int16)
            for placement in (AEC_PER_CHANNEL, AEC_AFTER_BEAMFORMER):
                front = ArrayFrontEnd(_setup(geometry, placement), ProcessingSettings(True, False, False))
                out = np.concatenate(
                    [_step(front, far16, mics, i, CHUNK) for i in range(0, mics.shape[1] - CHUNK + 1, CHUNK)]
                )
                results.setdefault(placement, []).append(
                    [erle_db(echo[_span(w)], out[_span(w)]) for w in windows.values()]
                )
            mono = AudioProcessor(ProcessingSettings(True, False, False))
            single = np.empty(mics.shape[1], dtype=np.int16)
            for i in range(0, mics.shape[1] - CHUNK + 1, CHUNK):
                mono.process_render_samples(far16[i : i + CHUNK])
                single[i : i + CHUNK] = mono.process_capture_samples(mics[0, i : i + CHUNK])
            results.setdefault("one mic (today)", []).append(
                [erle_db(echo[_span(w)], single[_span(w)]) for w in windows.values()]
            )
        for label, rows in results.items():
            table = np.array(rows)
            cells = "  ".join(
                f"{w}: {m:5.1f} ({lo:5.1f}) dB"
                for w, m, lo in zip(windows, table.mean(0), table.min(0), strict=True)
            )
            print(f"    {name} {label:<17} {cells}")


def _span(window: tuple[float, float]) -> slice:
    return slice(int(window[0] * RATE), int(window[1] * RATE))


def _step(
    front: ArrayFrontEnd, far: np.ndarray, mics: np.ndarray, start: int, block: int = BLOCK
) -> np.ndarray:
    front.process_render_samples(far[start : start + block])
    voice, _ = front.process_capture_block(mics[:, start : start + block])
    return voice


def cpu_per_10ms(long: bool) -> None:
    print("(d) CPU per 10 ms of audio, whole chain (process time; ratio to today's mono chain in this run)")
    seconds = 20.0 if long else 8.0
    mono_ms = None
    for name, geometry in ARRAYS.items():
        rendering = render(
            RoomScene(
                geometry, seconds, (Talker(20.0, 0.0, seconds / 2),), far_end=Loudspeaker(start_s=seconds / 2)
            )
        )
        mics, far = rendering.int16(), np.clip(rendering.far, -32768, 32767).astype(np.int16)
        if mono_ms is None:
            mono = AudioProcessor(ProcessingSettings())
            started = time.process_time()
            for i in range(0, mics.shape[1] - BLOCK + 1, BLOCK):
                mono.process_render_samples(far[i : i + BLOCK])
                mono.process_capture_samples(mics[0, i : i + BLOCK])
            mono_ms = (time.process_time() - started) / (mics.shape[1] / CHUNK) * 1000
            print(
                f"    mono mic, APM AEC+NS+AGC (today): {mono_ms:.3f} ms per 10 ms"
                f" ({mono_ms / 10:.1%} of a core)"
            )
        for placement in (AEC_AFTER_BEAMFORMER, AEC_PER_CHANNEL):
            front = ArrayFrontEnd(_setup(geometry, placement), ProcessingSettings())
            started = time.process_time()
            for i in range(0, mics.shape[1] - BLOCK + 1, BLOCK):
                _step(front, far, mics, i)
            ms = (time.process_time() - started) / (mics.shape[1] / CHUNK) * 1000
            print(
                f"    {name} ({geometry.count} ch) AEC {placement:<16}: {ms:.3f} ms per 10 ms "
                f"({ms / 10:.1%} of a core), {ms / mono_ms:.2f}x the mono chain"
            )
        doa = DoaEstimator(geometry)
        beam = DelayAndSum(geometry)
        started = time.process_time()
        for i in range(0, mics.shape[1] - BLOCK + 1, BLOCK):
            doa.process(mics[:, i : i + BLOCK])
            beam.process(mics[:, i : i + BLOCK])
        ms = (time.process_time() - started) / (mics.shape[1] / CHUNK) * 1000
        print(f"    {name} DOA + beamformer alone (numpy): {ms:.3f} ms per 10 ms ({ms / 10:.2%} of a core)")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench --only array", description=__doc__.splitlines()[0])
    parser.add_argument("--long", action="store_true", help="more angles, longer rooms")
    args = parser.parse_args(argv)
    doa_by_snr(args.long)
    beamformer_gain()
    erle_with_array(args.long)
    cpu_per_10ms(args.long)
    return 0
