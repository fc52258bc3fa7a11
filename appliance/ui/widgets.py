"""Drawing pieces every screen shares: text, wrapped text, panels, pills, buttons.

A :class:`Painter` wraps one target surface with the theme, the fonts and
the room language, and collects the touch :class:`~appliance.ui.keymap.Button`
targets drawn on it, so a screen is a plain function of the model.
"""

from __future__ import annotations

from typing import Literal

import pygame

from appliance.ui.i18n import Translator
from appliance.ui.keymap import Button
from appliance.ui.text import Fonts
from appliance.ui.theme import ACCENT, DARK_TEXT, PANEL, TEXT, Colour, Theme

Anchor = Literal["topleft", "midtop", "topright", "center", "midleft", "midright", "bottomleft", "midbottom"]


class Painter:
    """Draws on ``surface``; ``buttons`` collects the touch targets drawn."""

    def __init__(self, surface: pygame.Surface, theme: Theme, fonts: Fonts, tr: Translator) -> None:
        self.surface = surface
        self.theme = theme
        self.fonts = fonts
        self.tr = tr
        self.buttons: list[Button] = []
        self._panels: dict[tuple[int, int, Colour, int, int], pygame.Surface] = {}

    def text(
        self, text: str, size: int, colour: Colour, pos: tuple[int, int], anchor: Anchor = "topleft"
    ) -> pygame.Rect:
        line = self.fonts.render(text, size, colour)
        rect = line.get_rect(**{anchor: pos})
        self.surface.blit(line, rect)
        return rect

    def wrapped(
        self,
        text: str,
        size: int,
        colour: Colour,
        x: int,
        y: int,
        width: int,
        *,
        centre: bool = False,
        max_lines: int = 0,
    ) -> int:
        """Draw ``text`` wrapped to ``width``; answers the y under the last line."""
        lines = self.fonts.wrap(text, size, width)
        if max_lines and len(lines) > max_lines:
            lines = [*lines[: max_lines - 1], lines[max_lines - 1] + " …"]
        step = self.fonts.line_height(size)
        for line in lines:
            if centre:
                self.text(line, size, colour, (x + width // 2, y), "midtop")
            else:
                self.text(line, size, colour, (x, y))
            y += step
        return y

    def panel(
        self, rect: pygame.Rect, colour: Colour = PANEL, alpha: int = 255, radius: int | None = None
    ) -> None:
        """A rounded box; translucent ones are cached by size (blitting is cheap, building is not)."""
        radius = self.theme.radius if radius is None else radius
        if alpha >= 255:
            pygame.draw.rect(self.surface, colour, rect, border_radius=radius)
            return
        key = (rect.width, rect.height, colour, alpha, radius)
        box = self._panels.get(key)
        if box is None:
            box = pygame.Surface(rect.size, pygame.SRCALPHA)
            pygame.draw.rect(box, (*colour, alpha), box.get_rect(), border_radius=radius)
            self._panels[key] = box
        self.surface.blit(box, rect)

    def pill(
        self, text: str, colour: Colour, text_colour: Colour, x: int, y: int, height: int
    ) -> pygame.Rect:
        """A coloured label (status indicators); ``x, y`` is its top-left corner."""
        size = self.theme.text_small
        pad = height // 2
        rect = pygame.Rect(x, y, self.fonts.width(text, size) + 2 * pad, height)
        pygame.draw.rect(self.surface, colour, rect, border_radius=height // 2)
        self.text(text, size, text_colour, rect.center, "center")
        return rect

    def button(
        self,
        rect: pygame.Rect,
        label: str,
        key: int,
        char: str = "",
        *,
        primary: bool = False,
        colour: Colour | None = None,
    ) -> Button:
        fill = colour if colour is not None else (ACCENT if primary else PANEL)
        pygame.draw.rect(self.surface, fill, rect, border_radius=self.theme.radius)
        pygame.draw.rect(
            self.surface, ACCENT, rect, width=max(1, self.theme.vh(0.3)), border_radius=self.theme.radius
        )
        text_colour = DARK_TEXT if primary else TEXT
        self.text(label, self.theme.text_body, text_colour, rect.center, "center")
        button = Button(rect, label, key, char)
        self.buttons.append(button)
        return button

    def button_width(self, label: str) -> int:
        return self.fonts.width(label, self.theme.text_body) + 2 * self.theme.margin
