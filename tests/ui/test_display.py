"""The software display path: the UI layer over moving video (docs/kiosk.md, "Display paths")."""

from __future__ import annotations

from typing import Any

import pygame

from appliance.ui.display import SoftwareDisplay, UiLayer
from appliance.ui.pictures import PictureStore
from appliance.ui.screens.in_call import VideoPlace
from tests.support.kiosk import main_picture

SIZE = (640, 360)
BAR = pygame.Rect(0, 0, 640, 30)
TOAST = pygame.Rect(20, 300, 200, 40)


def _draw_bar_and_toast(target: pygame.Surface) -> None:
    target.fill((250, 250, 250), BAR)
    target.fill((30, 200, 30), TOAST)


def _store_with_main() -> PictureStore:
    store = PictureStore()
    store.put("main", main_picture(SIZE))
    return store


def test_ui_layer_regions_hold_everything_drawn_and_little_else(sdl_display: Any) -> None:
    layer = UiLayer(SIZE)
    layer.redraw(_draw_bar_and_toast)
    covered = layer.regions
    assert any(r.contains(BAR) for r in covered)
    assert any(r.contains(TOAST) for r in covered)
    assert sum(r.width * r.height for r in covered) < SIZE[0] * SIZE[1] // 4


def test_software_display_draws_the_ui_only_when_it_changed(sdl_display: Any) -> None:
    display = SoftwareDisplay(SIZE)
    store = _store_with_main()
    places = [VideoPlace("main", pygame.Rect((0, 0), SIZE))]
    calls: list[int] = []

    def draw_ui(target: pygame.Surface) -> None:
        calls.append(1)
        _draw_bar_and_toast(target)

    display.present(places, store, draw_ui, True)
    for _ in range(3):
        store.put("main", main_picture(SIZE))
        display.present(places, store, draw_ui, False)
    assert len(calls) == 1


def test_software_display_keeps_the_unchanged_ui_over_each_new_picture(sdl_display: Any) -> None:
    display = SoftwareDisplay(SIZE)
    store = _store_with_main()
    places = [VideoPlace("main", pygame.Rect((0, 0), SIZE))]
    display.present(places, store, _draw_bar_and_toast, True)
    store.put("main", main_picture(SIZE))
    display.present(places, store, _draw_bar_and_toast, False)
    shown = display.snapshot()
    assert shown.get_at(TOAST.center)[:3] == (30, 200, 30)
    assert shown.get_at(BAR.center)[:3] == (250, 250, 250)
    assert shown.get_at((SIZE[0] // 2, SIZE[1] // 3))[:3] != (0, 0, 0)  # the picture itself
