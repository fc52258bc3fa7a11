"""Text on the kiosk: one font that covers every shipped language, rendered once and cached.

The font is pygame-ce's own (FreeSans Bold, ``freesansbold.ttf``, inside the
wheel): nothing is fetched at run time, and it covers the Latin scripts of the
shipped catalogues (tests/ui/test_i18n.py checks every translated character
has a glyph). Bold is what reads best across a room anyway. Rendered lines
are cached by (text, size, colour), since a kiosk redraws the same words
every frame; the cache is bounded so a chat flood cannot grow it for ever.
"""

from __future__ import annotations

import os
from collections import OrderedDict
from typing import Any

import pygame

from appliance.ui.theme import Colour

_CACHE_LINES = 512


def default_font_path() -> str:
    """pygame-ce's own FreeSans Bold, by path: ``Font(None, size)`` would shrink it to 0.6875 of ``size``."""
    return os.path.join(os.path.dirname(pygame.__file__), pygame.font.get_default_font())


class Fonts:
    """Fonts by pixel size and a bounded cache of rendered lines. SDL thread only."""

    def __init__(self, path: str | None = None) -> None:
        if not pygame.font.get_init():
            pygame.font.init()
        self._path = path or default_font_path()
        self._fonts: dict[int, pygame.font.Font] = {}
        self._lines: OrderedDict[tuple[str, int, Colour], pygame.Surface] = OrderedDict()

    def font(self, size: int) -> pygame.font.Font:
        font = self._fonts.get(size)
        if font is None:
            font = self._fonts[size] = pygame.font.Font(self._path, size)
        return font

    def render(self, text: str, size: int, colour: Colour) -> pygame.Surface:
        key = (text, size, colour)
        line = self._lines.get(key)
        if line is None:
            line = self.font(size).render(text, True, colour)
            self._lines[key] = line
            if len(self._lines) > _CACHE_LINES:
                self._lines.popitem(last=False)
        else:
            self._lines.move_to_end(key)
        return line

    def width(self, text: str, size: int) -> int:
        return int(self.font(size).size(text)[0])

    def line_height(self, size: int) -> int:
        return int(self.font(size).get_linesize())

    def wrap(self, text: str, size: int, max_width: int) -> list[str]:
        """Break ``text`` into lines no wider than ``max_width`` (a longer word gets its own line)."""
        lines: list[str] = []
        for paragraph in text.split("\n"):
            current = ""
            for word in paragraph.split():
                attempt = f"{current} {word}" if current else word
                if current and self.width(attempt, size) > max_width:
                    lines.append(current)
                    current = word
                else:
                    current = attempt
            lines.append(current)
        return lines

    def has_glyphs(self, text: str, size: int = 20) -> bool:
        """True when the font draws every character of ``text`` (no missing-glyph boxes)."""
        metrics: list[Any] = self.font(size).metrics(text)
        return all(m is not None for m in metrics)
