"""Text drawn into yuv420p planes: tile name overlays and name cards.

pygame's font module (SDL_ttf with pygame's bundled font) renders the glyphs;
only ``pygame.font`` is initialised, never a display, so it works headless.
Rendered masks are cached per (text, size) because the same names are drawn
on every composed frame and rendering is the expensive step.
"""

from __future__ import annotations

import os
from functools import lru_cache

import numpy as np
import numpy.typing as npt

os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
import pygame.font
import pygame.surfarray

Plane = npt.NDArray[np.uint8]

_WHITE_Y = 235
_MAX_CHARS = 40


@lru_cache(maxsize=16)
def _font(size: int) -> pygame.font.Font:
    if not pygame.font.get_init():
        pygame.font.init()
    return pygame.font.Font(None, size)


@lru_cache(maxsize=512)
def text_mask(text: str, size: int) -> npt.NDArray[np.float32]:
    """Coverage (0..1) of ``text`` rendered ``size`` pixels high, shape (h, w)."""
    text = text[:_MAX_CHARS] or " "
    surface = _font(max(size, 6)).render(text, True, (255, 255, 255))
    alpha = pygame.surfarray.array_alpha(surface)
    return np.ascontiguousarray(alpha.T, dtype=np.float32) / 255.0


def _blend_text(y: Plane, mask: npt.NDArray[np.float32], x0: int, y0: int) -> None:
    h = min(mask.shape[0], y.shape[0] - y0)
    w = min(mask.shape[1], y.shape[1] - x0)
    if h <= 0 or w <= 0:
        return
    m = mask[:h, :w]
    region = y[y0 : y0 + h, x0 : x0 + w].astype(np.float32)
    y[y0 : y0 + h, x0 : x0 + w] = (region * (1.0 - m) + _WHITE_Y * m).astype(np.uint8)


def draw_label(y: Plane, u: Plane, v: Plane, text: str) -> None:
    """Darken a strip along the bottom of a tile's planes and write ``text`` on it."""
    height = y.shape[0]
    size = max(10, min(24, height // 8))
    mask = text_mask(text, size)
    strip_h = min(height, (mask.shape[0] + 4) & ~1)
    top = height - strip_h
    band = y[top:, :]
    band[:] = (band.astype(np.uint16) * 2 // 5).astype(np.uint8)
    u[top // 2 :, :] = (u[top // 2 :, :].astype(np.int16) - 128) // 2 + 128
    v[top // 2 :, :] = (v[top // 2 :, :].astype(np.int16) - 128) // 2 + 128
    _blend_text(y, mask, 4, top + 2)


def draw_centred(y: Plane, text: str, size: int) -> None:
    """Write ``text`` centred on a luma plane (name cards, waiting screens)."""
    height, width = y.shape
    mask = text_mask(text, size)
    x0 = max(0, (width - mask.shape[1]) // 2)
    y0 = max(0, (height - mask.shape[0]) // 2)
    _blend_text(y, mask, x0, y0)
