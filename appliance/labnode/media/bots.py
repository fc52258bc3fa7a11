"""Synthetic participants: a coloured moving test pattern and a speech-like tone.

Bots make the lab node useful without a second real client, and they make
the media checkable by machine: each bot's picture is dominated by its own
colour (a test tells from the pixels whose tile is where) and each bot talks
at its own pitch in staggered spurts (a test tells from the spectrum who is
heard, and the conference sees the active speaker change).
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from typing import Final

import av
import numpy as np
import numpy.typing as npt

from appliance.labnode.media.audio_mix import FRAME_SAMPLES, SAMPLE_RATE, Chunk
from appliance.labnode.media.compositor_text import text_mask

PALETTE: Final[tuple[tuple[int, int, int], ...]] = (
    (220, 50, 50),  # red
    (40, 90, 230),  # blue
    (40, 190, 70),  # green
    (235, 215, 50),  # yellow
    (215, 60, 205),  # magenta
    (40, 205, 215),  # cyan
    (245, 140, 30),  # orange
    (120, 60, 180),  # purple
    (250, 165, 195),  # pink
    (125, 105, 35),  # olive
)
BASE_PITCH_HZ: Final = 300.0
PITCH_STEP_HZ: Final = 140.0
VIDEO_SIZE: Final = (320, 180)
SLIDE_SIZE: Final = (1280, 720)
SLIDE_SECONDS: Final = 4.0
_AMPLITUDE: Final = 0.2 * 32767
_SYLLABLE_HZ: Final = 4.0
_BOX: Final = 24


@dataclass(frozen=True, slots=True)
class BotSignature:
    """How a bot can be recognised in the media: its colour and its pitch."""

    rgb: tuple[int, int, int]
    pitch_hz: float


def signature_for(index: int) -> BotSignature:
    return BotSignature(
        rgb=PALETTE[index % len(PALETTE)],
        pitch_hz=BASE_PITCH_HZ + PITCH_STEP_HZ * (index % len(PALETTE)),
    )


def rgb_to_yuv(rgb: tuple[int, int, int]) -> tuple[int, int, int]:
    """BT.601 limited range, the colorimetry decoders assume for untagged streams."""
    r, g, b = rgb
    y = 16 + 0.257 * r + 0.504 * g + 0.098 * b
    u = 128 - 0.148 * r - 0.291 * g + 0.439 * b
    v = 128 + 0.439 * r - 0.368 * g - 0.071 * b
    return round(y), round(u), round(v)


class SpeechPattern:
    """Alternating talk spurts (1–3 s) and pauses, seeded per bot, first spurt staggered."""

    def __init__(self, index: int) -> None:
        self._rng = random.Random(7919 * index + 1)
        # (start_sample, end_sample) of talk spurts, extended lazily.
        self._spurts: list[tuple[int, int]] = []
        self._next_start = int(index * 1.7 * SAMPLE_RATE)

    def talking(self, sample: int) -> bool:
        while not self._spurts or self._spurts[-1][1] <= sample:
            length = int(self._rng.uniform(1.0, 3.0) * SAMPLE_RATE)
            self._spurts.append((self._next_start, self._next_start + length))
            self._next_start += length + int(self._rng.uniform(1.5, 4.0) * SAMPLE_RATE)
            if len(self._spurts) > 4:
                del self._spurts[0]
        return any(start <= sample < end for start, end in self._spurts)


class BotSource:
    """One bot's video and audio, generated on demand by the clocks that consume them."""

    def __init__(self, index: int, name: str, *, fps: int = 15) -> None:
        self.index = index
        self.name = name
        self.fps = fps
        self.signature = signature_for(index)
        self.frames_made = 0
        self._speech = SpeechPattern(index)
        self._sample = 0
        self._omega = 2 * math.pi * self.signature.pitch_hz / SAMPLE_RATE
        self._base = self._background()
        self._frame_key = -1
        self._frame: av.VideoFrame | None = None
        self._slide_key = -1
        self._slide: av.VideoFrame | None = None

    # -- video --------------------------------------------------------------

    def _background(self) -> npt.NDArray[np.uint8]:
        w, h = VIDEO_SIZE
        y, u, v = rgb_to_yuv(self.signature.rgb)
        buf = np.empty((h * 3 // 2, w), dtype=np.uint8)
        buf[:h] = y
        buf[h:] = np.uint8(0)
        chroma = buf[h:].reshape(-1)
        quarter = w * h // 4
        chroma[:quarter] = u
        chroma[quarter:] = v
        mask = text_mask(self.name, 28)
        mh, mw = min(mask.shape[0], h - 8), min(mask.shape[1], w - 8)
        region = buf[8 : 8 + mh, 8 : 8 + mw].astype(np.float32)
        buf[8 : 8 + mh, 8 : 8 + mw] = (region * (1 - mask[:mh, :mw]) + 235 * mask[:mh, :mw]).astype(np.uint8)
        return buf

    def video_frame(self, now: float) -> av.VideoFrame:
        """The pattern at time ``now`` (seconds); one new frame per 1/fps."""
        key = int(now * self.fps)
        if key == self._frame_key and self._frame is not None:
            return self._frame
        w, h = VIDEO_SIZE
        buf = self._base.copy()
        span = w - _BOX
        pos = key * 6 % (2 * span)
        x = pos if pos < span else 2 * span - pos
        top = h - _BOX - 40
        buf[top : top + _BOX, x : x + _BOX] = 235
        chroma = buf[h:].reshape(2, h // 2, w // 2)  # U then V planes
        chroma[:, top // 2 : (top + _BOX) // 2, x // 2 : (x + _BOX) // 2] = 128
        self._frame = av.VideoFrame.from_ndarray(buf, format="yuv420p")
        self._frame_key = key
        self.frames_made += 1
        return self._frame

    def slide_frame(self, now: float) -> av.VideoFrame:
        """A slide deck for when a bot holds the floor: a new slide every few seconds."""
        key = int(now / SLIDE_SECONDS)
        if key == self._slide_key and self._slide is not None:
            return self._slide
        w, h = SLIDE_SIZE
        y, u, v = rgb_to_yuv(self.signature.rgb)
        buf = np.empty((h * 3 // 2, w), dtype=np.uint8)
        buf[:h] = 235
        buf[: h // 6] = y
        chroma_u = buf[h : h + h // 4].reshape(h // 2, w // 2)
        chroma_v = buf[h + h // 4 :].reshape(h // 2, w // 2)
        chroma_u[:] = 128
        chroma_v[:] = 128
        chroma_u[: h // 12] = u
        chroma_v[: h // 12] = v
        mask = text_mask(f"{self.name}: slide {key % 100 + 1}", 72)
        mh, mw = min(mask.shape[0], h // 2), min(mask.shape[1], w - 80)
        top = h // 2 - mh // 2
        region = buf[top : top + mh, 40 : 40 + mw].astype(np.float32)
        buf[top : top + mh, 40 : 40 + mw] = (region * (1 - mask[:mh, :mw]) + 16 * mask[:mh, :mw]).astype(
            np.uint8
        )
        self._slide = av.VideoFrame.from_ndarray(buf, format="yuv420p")
        self._slide_key = key
        return self._slide

    # -- audio --------------------------------------------------------------

    def pull(self) -> Chunk | None:
        """The next 20 ms of speech-like tone, or ``None`` during a pause."""
        start = self._sample
        self._sample += FRAME_SAMPLES
        if not self._speech.talking(start):
            return None
        n = np.arange(start, start + FRAME_SAMPLES, dtype=np.float64)
        envelope = 0.6 + 0.4 * np.sin(2 * math.pi * _SYLLABLE_HZ * n / SAMPLE_RATE)
        return (_AMPLITUDE * envelope * np.sin(self._omega * n)).astype(np.int16)
