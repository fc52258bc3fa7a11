"""The kiosk's picture: which screen, which overlays, and where the video goes.

:meth:`KioskView.draw_ui` draws everything that is not video onto a target
surface (the screen itself in the software path, a transparent overlay in
the GPU path) and answers the touch buttons drawn; :meth:`video_layout`
says where each stream goes. The display path (:mod:`appliance.ui.display`)
puts both on screen.
"""

from __future__ import annotations

import datetime

import pygame

from appliance.ui.i18n import Translator
from appliance.ui.keymap import Button
from appliance.ui.model import KioskModel, Screen
from appliance.ui.screens.entry import draw_entry
from appliance.ui.screens.error import draw_error
from appliance.ui.screens.idle import draw_incoming, draw_joining, draw_setup, draw_splash, draw_standby
from appliance.ui.screens.in_call import VideoPlace, draw_in_call, video_layout
from appliance.ui.screens.overlays import draw_help, draw_roster
from appliance.ui.text import Fonts
from appliance.ui.theme import Theme
from appliance.ui.widgets import Painter

VIDEO_SCREENS = (Screen.IN_CALL, Screen.PRESENTATION)


class KioskView:
    """Draws a :class:`KioskModel` at one display size in one language. SDL thread only."""

    def __init__(self, size: tuple[int, int], translator: Translator, fonts: Fonts | None = None) -> None:
        self.theme = Theme.for_display(size)
        self.tr = translator
        self.fonts = fonts or Fonts()
        self._painters: dict[int, Painter] = {}

    def has_video(self, model: KioskModel) -> bool:
        return model.screen in VIDEO_SCREENS and model.splash is None

    def video_layout(
        self, model: KioskModel, sizes: dict[str, tuple[int, int]], now: float
    ) -> list[VideoPlace]:
        if not self.has_video(model):
            return []
        return video_layout(self.theme, model, sizes, now)

    def draw_ui(
        self, target: pygame.Surface, model: KioskModel, now: float, wall: datetime.datetime
    ) -> list[Button]:
        """Draw the screen (or, in a call, what goes over the video) onto ``target``."""
        painter = self._painter(target)
        painter.buttons = []
        screen = model.screen
        if screen is Screen.SPLASH:
            draw_splash(painter, model)
        elif screen is Screen.SETUP:
            draw_setup(painter, model)
        elif screen is Screen.STANDBY:
            draw_standby(painter, model, wall)
        elif screen is Screen.JOINING:
            draw_joining(painter, model, now)
        elif screen in (Screen.PIN, Screen.EXTENSION):
            draw_entry(painter, model)
        elif screen is Screen.INCOMING:
            draw_incoming(painter, model)
        elif screen is Screen.ERROR:
            draw_error(painter, model)
        else:
            draw_in_call(painter, model, now)
        if model.roster_open and screen in VIDEO_SCREENS:
            draw_roster(painter, model)
        if model.help_open:
            painter.buttons = []  # help covers the screen: any key or tap closes it
            draw_help(painter, model)
        return painter.buttons

    def _painter(self, target: pygame.Surface) -> Painter:
        painter = self._painters.get(id(target))
        if painter is None or painter.surface is not target:
            painter = self._painters[id(target)] = Painter(target, self.theme, self.fonts, self.tr)
        return painter
