"""draw_frame: the window's (and the benchmark's) one way of putting a frame on a surface."""

from __future__ import annotations

import fractions

import av
import numpy as np
import pygame
import pytest

from appliance.media.sinks import DisplayConverter, DisplayFrame, VideoSink
from appliance.ui.window import draw_frame


@pytest.fixture(autouse=True)
def dummy_sdl(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SDL_VIDEODRIVER", "dummy")


def _sink_frame(
    rgb: tuple[int, int, int], size: tuple[int, int], display: tuple[int, int] | None = None
) -> DisplayFrame:
    width, height = size
    pixels = np.zeros((height, width, 3), dtype=np.uint8)
    pixels[:] = rgb
    frame = av.VideoFrame.from_ndarray(pixels, format="rgb24").reformat(format="yuv420p")
    frame.pts, frame.time_base = 0, fractions.Fraction(1, 90000)
    sink = VideoSink("main", size=display)
    sink.deliver(frame)
    shown = sink.slot.take_nowait()
    assert shown is not None
    return shown


def _bgrx_surface(size: tuple[int, int]) -> pygame.Surface:
    return pygame.Surface(size, 0, 32, (0xFF0000, 0xFF00, 0xFF, 0))


def test_draw_frame_writes_a_decoded_frame_into_a_surface_of_its_layout() -> None:
    surface = _bgrx_surface((64, 48))
    draw_frame(pygame, surface, _sink_frame((200, 30, 90), (64, 48)))
    colour = surface.get_at((32, 24))
    assert abs(colour.r - 200) <= 3 and abs(colour.g - 30) <= 3 and abs(colour.b - 90) <= 3


def test_draw_frame_scales_a_frame_of_another_size_onto_the_surface() -> None:
    surface = _bgrx_surface((64, 48))
    draw_frame(pygame, surface, _sink_frame((20, 160, 40), (32, 24)))
    colour = surface.get_at((60, 44))
    assert abs(colour.r - 20) <= 3 and abs(colour.g - 160) <= 3 and abs(colour.b - 40) <= 3


def test_draw_frame_converts_for_a_surface_of_another_layout() -> None:
    surface = pygame.Surface((64, 48), 0, 24)
    draw_frame(pygame, surface, _sink_frame((200, 30, 90), (64, 48)))
    colour = surface.get_at((32, 24))
    assert abs(colour.r - 200) <= 3 and abs(colour.g - 30) <= 3 and abs(colour.b - 90) <= 3


def test_draw_frame_converts_mismatched_frames_through_one_cached_converter_per_stream() -> None:
    surface = _bgrx_surface((64, 48))
    converters: dict[str, DisplayConverter] = {}
    for rgb in ((20, 160, 40), (160, 20, 40), (40, 20, 160)):
        draw_frame(pygame, surface, _sink_frame(rgb, (32, 24)), converters)
    assert list(converters) == ["main"]
    assert converters["main"].conversions == 3
    colour = surface.get_at((60, 44))
    assert abs(colour.r - 40) <= 3 and abs(colour.g - 20) <= 3 and abs(colour.b - 160) <= 3


def test_draw_frame_keeps_a_converter_for_each_stream() -> None:
    surface = pygame.Surface((64, 48), 0, 24)  # another layout: every frame takes the fallback
    converters: dict[str, DisplayConverter] = {}
    main = _sink_frame((200, 30, 90), (64, 48))
    draw_frame(pygame, surface, main, converters)
    presentation = _sink_frame((30, 200, 90), (64, 48))
    presentation.stream = "presentation"
    draw_frame(pygame, surface, presentation, converters)
    assert set(converters) == {"main", "presentation"}
    assert converters["main"] is not converters["presentation"]
