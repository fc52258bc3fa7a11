"""Readable across a room: text sizes relative to the display, and contrast that reads on a TV."""

from __future__ import annotations

import pygame
import pytest

from appliance.ui import theme
from appliance.ui.i18n import Translator
from appliance.ui.text import Fonts
from appliance.ui.theme import Theme
from appliance.ui.view import KioskView
from tests.support.contrast import contrast
from tests.support.kiosk import NOW, SIZES, WALL, model_of, scenes


class RecordingFonts(Fonts):
    """Fonts that remember every size text was drawn at."""

    def __init__(self) -> None:
        super().__init__()
        self.sizes: set[int] = set()

    def render(self, text: str, size: int, colour: tuple[int, int, int]) -> pygame.Surface:
        self.sizes.add(size)
        return super().render(text, size, colour)


def _smallest_text_drawn(size: tuple[int, int]) -> tuple[int, int]:
    """The smallest font size any screen uses at ``size``, and the height of its capital H in pixels."""
    fonts = RecordingFonts()
    translator = Translator("en")
    view = KioskView(size, translator, fonts)
    surface = pygame.Surface(size)
    for name in scenes():
        model, _ = model_of(name, translator)
        view.draw_ui(surface, model, NOW, WALL)
    smallest = min(fonts.sizes)
    cap = fonts.font(smallest).metrics("H")[0][3]  # maxy: the glyph's height above the baseline
    return smallest, cap


def test_theme_smallest_text_at_720p() -> None:
    size, cap = _smallest_text_drawn(SIZES["720p"])
    assert size >= 21  # 3 vh
    assert cap >= 15  # capitals 15 px tall: ~2 vh


def test_theme_smallest_text_at_1080p() -> None:
    size, cap = _smallest_text_drawn(SIZES["1080p"])
    assert size >= 32
    assert cap >= 23


def test_theme_sizes_scale_with_the_display_height() -> None:
    assert (
        abs(Theme.for_display(SIZES["4k"]).text_small - 2 * Theme.for_display(SIZES["1080p"]).text_small) <= 1
    )


def test_theme_refuses_a_display_too_small_to_read() -> None:
    with pytest.raises(ValueError, match="too small"):
        Theme.for_display((120, 80))


@pytest.mark.parametrize(
    ("fg", "bg"),
    [
        (theme.TEXT, theme.BACKGROUND),
        (theme.TEXT, theme.PANEL),
        (theme.TEXT_DIM, theme.BACKGROUND),
        (theme.TEXT_DIM, theme.PANEL),
        (theme.ACCENT, theme.BACKGROUND),
        (theme.WARNING, theme.BACKGROUND),
        (theme.DARK_TEXT, theme.OK),
        (theme.DARK_TEXT, theme.WARNING),
        (theme.DARK_TEXT, theme.ACCENT),
    ],
)
def test_theme_text_contrast_is_at_least_7_to_1(fg: tuple[int, int, int], bg: tuple[int, int, int]) -> None:
    assert contrast(fg, bg) >= 7.0


def test_theme_alert_pills_reach_large_text_contrast() -> None:
    assert contrast(theme.ALERT_TEXT, theme.ALERT) >= 4.5
    assert contrast(theme.TEXT, theme.ALERT) >= 4.5
