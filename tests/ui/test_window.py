"""The video window: frames from the slot reach the screen (SDL dummy driver)."""

from __future__ import annotations

import time

import av
import numpy as np
import pytest

from appliance.media.sinks import DisplayFrame
from appliance.ui.window import VideoWindow, display_available


@pytest.fixture(autouse=True)
def dummy_sdl(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SDL_VIDEODRIVER", "dummy")


def _frame(rgb: tuple[int, int, int], size: tuple[int, int]) -> DisplayFrame:
    width, height = size
    array = np.zeros((height, width, 3), dtype=np.uint8)
    array[:, :] = rgb
    source = av.VideoFrame.from_ndarray(array, format="rgb24")
    shown = source.reformat(format="bgra")
    return DisplayFrame("main", shown, width, height, "bgra", source)


def _wait(predicate, timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return False


def test_window_shows_the_newest_frame() -> None:
    window = VideoWindow((320, 180))
    window.start()
    try:
        window.show(_frame((200, 30, 30), (320, 180)))
        assert _wait(lambda: window.centre_pixel == (200, 30, 30)), window.centre_pixel
        window.show(_frame((30, 30, 200), (320, 180)))
        assert _wait(lambda: window.centre_pixel == (30, 30, 200)), window.centre_pixel
    finally:
        window.stop()
    assert window.error is None


def test_window_scales_a_frame_of_another_size() -> None:
    window = VideoWindow((320, 180))
    window.start()
    try:
        window.show(_frame((20, 160, 40), (64, 36)))
        assert _wait(lambda: window.centre_pixel == (20, 160, 40)), window.centre_pixel
    finally:
        window.stop()


def test_window_stop_ends_the_sdl_thread() -> None:
    window = VideoWindow((64, 36))
    window.start()
    window.stop()
    assert window.closed.is_set()


def test_window_dummy_driver_is_not_a_display() -> None:
    assert display_available() is False
