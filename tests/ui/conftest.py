"""The kiosk tests draw with SDL's dummy video driver: no display needed."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")


@pytest.fixture
def sdl_display():
    """An initialised dummy display (what pygame's event queue needs), closed afterwards."""
    import pygame

    pygame.display.init()
    pygame.font.init()
    pygame.display.set_mode((320, 180))
    yield pygame
    pygame.display.quit()
