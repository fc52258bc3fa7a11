"""Sizes and colours of the kiosk, in units of the display so it reads across a room.

A room display is watched from 2-5 m. Every size here is a fraction of the
display's height (``vh``: 1 vh = height / 100), so a 720p, 1080p and 4K
screen show the same layout at the same proportions; nothing is in pixels.
The smallest text the kiosk ever draws is :attr:`Theme.text_small` (3 vh:
22 px at 720p, 32 px at 1080p, 65 px at 4K; capitals 16, 24 and 48 px tall), which subtends about the same
angle from 3 m on a 55" TV as 10-point print does from reading distance
(docs/kiosk.md, "Readable across a room"). Colours are light on a near
black ground, at a contrast ratio of at least 7:1 for text (WCAG AAA; 4.5:1 for the
large bold words on coloured pills, AAA for large text),
because TVs crush dark greys and bloom bright whites.
"""

from __future__ import annotations

from dataclasses import dataclass

Colour = tuple[int, int, int]

# Text and ground: contrast ratios computed in tests/ui/test_theme.py.
BACKGROUND: Colour = (16, 20, 28)
PANEL: Colour = (30, 36, 48)
TEXT: Colour = (240, 242, 245)
TEXT_DIM: Colour = (176, 184, 196)
ACCENT: Colour = (90, 170, 255)
OK: Colour = (70, 200, 120)
WARNING: Colour = (255, 196, 60)
ALERT: Colour = (190, 30, 30)
ALERT_TEXT: Colour = (255, 255, 255)
DARK_TEXT: Colour = (16, 20, 28)
SHADE_ALPHA = 200  # overlays darken the video under them to this alpha (of 255)


@dataclass(frozen=True, slots=True)
class Theme:
    """Every size the screens use, for one display size."""

    width: int
    height: int

    @classmethod
    def for_display(cls, size: tuple[int, int]) -> Theme:
        width, height = size
        if width < 160 or height < 90:
            raise ValueError(f"a kiosk display of {width}x{height} is too small (at least 160x90)")
        return cls(width, height)

    def vh(self, amount: float) -> int:
        """``amount`` hundredths of the display height, in pixels (at least 1)."""
        return max(1, round(self.height * amount / 100.0))

    # text sizes (pixel height of the font) -------------------------------------------------
    @property
    def text_huge(self) -> int:  # the clock on standby
        return self.vh(16)

    @property
    def text_title(self) -> int:  # screen titles, the PIN digits
        return self.vh(6)

    @property
    def text_body(self) -> int:  # explanations, remedies
        return self.vh(3.8)

    @property
    def text_small(self) -> int:  # status bar, toasts, hints: the smallest text drawn
        return self.vh(3)

    # layout ----------------------------------------------------------------------------------
    @property
    def margin(self) -> int:
        return self.vh(4)

    @property
    def gap(self) -> int:
        return self.vh(1.5)

    @property
    def status_bar_height(self) -> int:
        return self.vh(6)

    @property
    def banner_height(self) -> int:
        return self.vh(4.5)

    @property
    def radius(self) -> int:
        return self.vh(1.2)

    @property
    def pip_width(self) -> int:
        """Self-view width: a fifth of the screen width, 16:9."""
        return round(self.width / 5)

    @property
    def button_height(self) -> int:
        """Touch targets: 9 vh is 65 px at 720p, above the ~48 px a fingertip needs."""
        return self.vh(9)
