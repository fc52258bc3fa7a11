"""A virtual microphone array: synthetic rooms rendered with numpy, nothing fetched.

CI and the demo have no array, so they hear this one. A scene places
speech-like talkers at known angles and distances around the array, a
loudspeaker playing the far end's voice, and background noise at a chosen
signal-to-noise ratio, in a shoebox room with a reverberation time; each
microphone receives every source with its own delay and attenuation
(fractional delays, exact in the frequency domain), four first-order wall
reflections, and a late reverberant tail (a few hundred reflections from
random directions, decaying at the room's RT60). Components are returned
separately so tests and the benchmark can measure what each stage did to
the talker, the echo and the noise (docs/microphone-array.md).

The talkers are voiced: a glottal-rate harmonic series (80-250 Hz
fundamental with drift and jitter) shaped by two formants that change per
syllable, syllables of 120-320 ms between pauses, plus a little breath
noise. That is what the voice detector and the direction estimator look
for, unlike plain gated noise.

:func:`scene_wav` writes a rendering as a multi-channel WAV in memory,
which the array capture opens with PyAV like any other device (the
``virtual`` array format), so CI runs the same N-channel decode path.
"""

from __future__ import annotations

import io
import math
import wave
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from appliance.media.mic_array import SPEED_OF_SOUND, ArrayGeometry

FloatArray = npt.NDArray[np.float64]
RATE = 48_000
_SINC_HALF = 32  # half-length of the fractional-delay filters
_VOWELS = ((730, 1090), (270, 2290), (530, 1840), (570, 840), (440, 1020), (660, 1720), (300, 870))


def voiced_speech(seed: int, samples: int, rate: int = RATE) -> FloatArray:
    """A speech-like voice, RMS ≈ 1 while talking, silent in its pauses."""
    rng = np.random.default_rng(seed)
    envelope = np.zeros(samples)
    formant1 = np.full(samples, 500.0)
    formant2 = np.full(samples, 1500.0)
    position = int(rng.uniform(0.0, 0.1) * rate)
    while position < samples:
        length = int(rng.uniform(0.12, 0.32) * rate)
        end = min(samples, position + length)
        ramp = np.sin(np.pi * np.arange(end - position) / max(length, 1)) ** 0.5
        envelope[position:end] = ramp * rng.uniform(0.7, 1.0)
        f1, f2 = _VOWELS[int(rng.integers(len(_VOWELS)))]
        formant1[position:end], formant2[position:end] = f1, f2
        pause = rng.uniform(0.04, 0.2) if rng.random() > 0.12 else rng.uniform(0.4, 0.7)
        position = end + int(pause * rate)
    t = np.arange(samples) / rate
    base = 80.0 + 170.0 * rng.random()
    f0 = base * (1 + 0.08 * np.sin(2 * np.pi * 0.7 * t + rng.uniform(0, 6)) + 0.01 * rng.standard_normal())
    phase = 2 * np.pi * np.cumsum(f0) / rate + 0.3
    voice = np.zeros(samples)
    # harmonic k is the imaginary part of e^{jkφ}: one complex product per harmonic, no sin()
    step = np.exp(1j * phase)
    harmonic = np.ones(samples, dtype=np.complex128)
    for k in range(1, int(5500 / base) + 1):
        harmonic *= step
        freq = k * f0
        gain = 1 / (1 + ((freq - formant1) / 90) ** 2) + 0.6 / (1 + ((freq - formant2) / 120) ** 2)
        voice += (gain + 0.02) / math.sqrt(k) * harmonic.imag
    voice += 0.05 * rng.standard_normal(samples) * np.std(voice)
    voice *= envelope
    active = envelope > 0
    rms = float(np.sqrt(np.mean(voice[active] ** 2))) if active.any() else 1.0
    out: FloatArray = voice / max(rms, 1e-9)
    return out


@dataclass(frozen=True, slots=True)
class Talker:
    """A person at ``azimuth_deg`` speaking from ``start_s`` to ``end_s`` (None: to the end)."""

    azimuth_deg: float
    start_s: float = 0.0
    end_s: float | None = None
    distance_m: float = 1.8
    level: float = 3000.0  # RMS (int16 units) at 1 m while talking
    seed: int = 1


@dataclass(frozen=True, slots=True)
class Loudspeaker:
    """The far end's voice, played by the room's loudspeaker (usually below the screen, behind the array)."""

    azimuth_deg: float = 180.0
    distance_m: float = 0.6
    level: float = 6000.0  # RMS of the reference signal while talking
    start_s: float = 0.0
    end_s: float | None = None
    acoustic_gain: float = 0.3  # loudspeaker output at 1 m relative to the reference
    seed: int = 99


@dataclass(frozen=True, slots=True)
class RoomScene:
    geometry: ArrayGeometry
    seconds: float
    talkers: tuple[Talker, ...] = ()
    far_end: Loudspeaker | None = None
    snr_db: float = 30.0  # talker power (mic 0, while talking) over the background noise
    rt60_s: float = 0.3
    room_m: tuple[float, float, float] = (6.0, 5.0, 3.0)  # width (x), depth (y), height
    array_at_m: tuple[float, float] = (3.0, 1.0)  # the array on the table, 1 m from the screen wall
    rate: int = RATE
    seed: int = 0


@dataclass(frozen=True, slots=True)
class Rendering:
    """A scene at the microphones, by component (float, int16 scale, shape (M, n))."""

    scene: RoomScene
    near: FloatArray  # the talkers only
    echo: FloatArray  # the loudspeaker only
    noise: FloatArray
    far: FloatArray = field(repr=False)  # (n,) the far end's reference, as sent to the loudspeaker
    dry: tuple[FloatArray, ...] = field(default=(), repr=False)  # each talker's own signal, (n,)

    @property
    def mics(self) -> FloatArray:
        out: FloatArray = self.near + self.echo + self.noise
        return out

    def int16(self) -> npt.NDArray[np.int16]:
        return np.clip(np.rint(self.mics), -32768, 32767).astype(np.int16)

    def talking(self, index: int) -> npt.NDArray[np.bool_]:
        """Samples where talker ``index`` is between its start and end."""
        talker = self.scene.talkers[index]
        return _active(talker.start_s, talker.end_s, self.near.shape[1], self.scene.rate)


def _active(start_s: float, end_s: float | None, samples: int, rate: int) -> npt.NDArray[np.bool_]:
    t = np.arange(samples) / rate
    return (t >= start_s) & (t < (end_s if end_s is not None else math.inf))


def _position(scene: RoomScene, azimuth_deg: float, distance_m: float) -> FloatArray:
    theta = math.radians(azimuth_deg)
    pos = np.array(scene.array_at_m) + distance_m * np.array([math.sin(theta), math.cos(theta)])
    margin = 0.1
    if not (np.all(pos >= margin) and np.all(pos <= np.array(scene.room_m[:2]) - margin)):
        raise ValueError(
            f"a source at {azimuth_deg:g}° and {distance_m:g} m from the array is outside the "
            f"{scene.room_m[0]:g} x {scene.room_m[1]:g} m room (array at {scene.array_at_m})"
        )
    return pos


def _transfer(
    scene: RoomScene, source: FloatArray, n_fft: int, rng: np.random.Generator
) -> npt.NDArray[np.complex128]:
    """(M, n_fft//2+1) complex transfer from ``source`` (room coordinates) to each microphone."""
    rate = scene.rate
    mics = scene.geometry.points() + np.array(scene.array_at_m)
    width, depth, height = scene.room_m
    volume, surface = width * depth * height, 2 * (width * depth + width * height + depth * height)
    mean_free_s = 4 * volume / surface / SPEED_OF_SOUND
    beta = 10 ** (-60 * mean_free_s / scene.rt60_s / 20)  # amplitude kept per reflection
    images = [source, source * [-1, 1], source * [1, -1]]
    images += [np.array([2 * width - source[0], source[1]]), np.array([source[0], 2 * depth - source[1]])]
    distances = np.linalg.norm(np.stack(images)[:, None, :] - mics[None, :, :], axis=-1)  # (I, M)
    gains = np.where(np.arange(len(images))[:, None] == 0, 1.0, beta) / np.maximum(distances, 0.1)
    # direct path and wall images as fractional delays: windowed-sinc taps (exact below ~20 kHz)
    delays = distances * rate / SPEED_OF_SOUND  # (I, M) in samples
    taps_idx = np.floor(delays)[..., None].astype(np.intp) + np.arange(-_SINC_HALF + 1, _SINC_HALF + 1)
    offsets_frac = taps_idx - delays[..., None]
    window = 0.5 + 0.5 * np.cos(np.pi * offsets_frac / _SINC_HALF)
    sinc_taps = gains[..., None] * np.sinc(offsets_frac) * window  # (I, M, taps)
    # late tail: reflections from random directions, denser and weaker with time
    direct = float(distances[0].mean())
    count = 400
    times = direct / SPEED_OF_SOUND + 0.008 + scene.rt60_s * rng.random(count) ** 0.5
    angles = rng.uniform(-math.pi, math.pi, count)
    directions = np.stack([np.sin(angles), np.cos(angles)], axis=-1)
    offsets = -(directions @ scene.geometry.points().T) / SPEED_OF_SOUND  # (count, M)
    amplitude = (
        rng.choice([-1.0, 1.0], count)
        * np.exp(-6.9 * (times - direct / SPEED_OF_SOUND) / scene.rt60_s)
        * beta**2
        / max(direct, 0.1)
        * math.sqrt(60.0 / count)
    )
    length = int((scene.rt60_s + 0.05) * rate) + _SINC_HALF + 1
    taps = np.rint((times[:, None] + offsets) * rate).astype(np.intp)
    rirs = np.zeros((len(mics), length))
    for mic in range(len(mics)):
        keep = taps[:, mic] < length
        np.add.at(rirs[mic], taps[keep, mic], amplitude[keep])
        direct_taps = taps_idx[:, mic].reshape(-1)
        inside = (direct_taps >= 0) & (direct_taps < length)
        np.add.at(rirs[mic], direct_taps[inside], sinc_taps[:, mic].reshape(-1)[inside])
    transfer: npt.NDArray[np.complex128] = np.fft.rfft(rirs, n_fft, axis=1)
    return transfer


def render(scene: RoomScene) -> Rendering:
    """Render ``scene`` at the array's microphones.

    Each source is synthesised and convolved over its own span (plus the
    room's tail) only, so a long scene with many short turns stays cheap.
    """
    rate = scene.rate
    samples = round(scene.seconds * rate)
    mics = scene.geometry.count
    rng = np.random.default_rng(scene.seed)
    near = np.zeros((mics, samples))
    dry: list[FloatArray] = []
    for talker in scene.talkers:
        start, end = _span(talker.start_s, talker.end_s, samples, rate)
        voice = np.zeros(samples)
        voice[start:end] = voiced_speech(talker.seed, end - start, rate) * talker.level
        dry.append(voice)
        where = _position(scene, talker.azimuth_deg, talker.distance_m)
        _place(scene, near, voice[start:end], start, where, rng)
    echo = np.zeros((mics, samples))
    far = np.zeros(samples)
    if scene.far_end is not None:
        speaker = scene.far_end
        start, end = _span(speaker.start_s, speaker.end_s, samples, rate)
        far[start:end] = voiced_speech(speaker.seed, end - start, rate) * speaker.level
        where = _position(scene, speaker.azimuth_deg, speaker.distance_m)
        _place(scene, echo, far[start:end] * speaker.acoustic_gain, start, where, rng)
    noise = _background(rng, mics, samples)
    speech_power = _talk_power(scene, near, samples)
    noise *= math.sqrt(speech_power / 10 ** (scene.snr_db / 10)) if speech_power > 0 else 30.0
    return Rendering(scene=scene, near=near, echo=echo, noise=noise, far=far, dry=tuple(dry))


def _span(start_s: float, end_s: float | None, samples: int, rate: int) -> tuple[int, int]:
    start = min(samples, max(0, round(start_s * rate)))
    end = samples if end_s is None else min(samples, max(start, round(end_s * rate)))
    return start, end


def _place(
    scene: RoomScene,
    into: FloatArray,
    signal: FloatArray,
    offset: int,
    where: FloatArray,
    rng: np.random.Generator,
) -> None:
    """Add ``signal`` (starting at sample ``offset``), as heard at each microphone, into ``into``."""
    if not len(signal):
        return
    ring = int((scene.rt60_s + 0.05) * scene.rate)  # the tail and the longest propagation delay
    n_fft = 1 << math.ceil(math.log2(len(signal) + ring))
    heard = np.fft.irfft(np.fft.rfft(signal, n_fft)[None, :] * _transfer(scene, where, n_fft, rng), n_fft)
    keep = min(n_fft, into.shape[1] - offset)
    into[:, offset : offset + keep] += heard[:, :keep]


def _background(rng: np.random.Generator, mics: int, samples: int) -> FloatArray:
    """Unit-power pink-ish noise, independent per microphone (self-noise, HVAC, distant sources)."""
    white = rng.standard_normal((mics, samples))
    spectrum = np.fft.rfft(white, axis=1)
    freqs = np.fft.rfftfreq(samples, 1 / RATE)
    spectrum *= 1 / np.sqrt(np.maximum(freqs, 100.0) / 100.0)
    noise = np.fft.irfft(spectrum, samples, axis=1)
    out: FloatArray = noise / np.sqrt(np.mean(noise**2))
    return out


def _talk_power(scene: RoomScene, near: FloatArray, samples: int) -> float:
    active = np.zeros(samples, dtype=bool)
    for talker in scene.talkers:
        active |= _active(talker.start_s, talker.end_s, samples, scene.rate)
    if not active.any():
        return 0.0
    return float(np.mean(near[0, active] ** 2))


def scene_wav(rendering: Rendering, channels: int | None = None, mic_channels: tuple[int, ...] = ()) -> bytes:
    """The microphones as a 16-bit multi-channel WAV file in memory.

    ``channels`` and ``mic_channels`` lay the microphones out the way a real
    board does (a 6-mic HAT delivers 8 channels, two of them loopback);
    unused channels are silent.
    """
    pcm = rendering.int16()
    mics = pcm.shape[0]
    total = channels or mics
    layout = mic_channels or tuple(range(mics))
    interleaved = np.zeros((pcm.shape[1], total), dtype="<i2")
    for mic, channel in enumerate(layout):
        interleaved[:, channel] = pcm[mic]
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(total)
        out.setsampwidth(2)
        out.setframerate(rendering.scene.rate)
        out.writeframes(interleaved.tobytes())
    return buffer.getvalue()


def circular(count: int, radius_mm: float) -> ArrayGeometry:
    """``count`` microphones evenly on a circle (ReSpeaker 4-mic: 32 mm, 6-mic: 46.3 mm)."""
    angles = [2 * math.pi * k / count for k in range(count)]
    return ArrayGeometry(
        tuple((radius_mm / 1000 * math.sin(a), radius_mm / 1000 * math.cos(a)) for a in angles)
    )
