"""The virtual PTZ picture: which window of the pattern a pan/tilt/zoom sees (appliance.media.viewport)."""

from __future__ import annotations

import av
import numpy as np
import pytest

from appliance.media.sources import DeviceSpec, open_capture
from appliance.media.viewport import ViewportTrack, crop_window, view_frame

SOURCE = (1280, 720)


def test_viewport_wide_centre_is_the_middle_half() -> None:
    assert crop_window(SOURCE, (0.0, 0.0, 0.0), 16 / 9) == (320, 180, 640, 360)


def test_viewport_pan_right_moves_the_window_right() -> None:
    assert crop_window(SOURCE, (1.0, 0.0, 0.0), 16 / 9)[0] == 640


def test_viewport_tilt_up_moves_the_window_up() -> None:
    assert crop_window(SOURCE, (0.0, 1.0, 0.0), 16 / 9)[1] == 0


def test_viewport_zoom_tele_narrows_the_window() -> None:
    assert crop_window(SOURCE, (0.0, 0.0, 1.0), 16 / 9)[2:] == (160, 90)


def test_viewport_out_of_range_views_are_clamped() -> None:
    assert crop_window(SOURCE, (5.0, -5.0, 9.0), 16 / 9) == crop_window(SOURCE, (1.0, -1.0, 1.0), 16 / 9)


def _gradient_frame() -> av.VideoFrame:
    """Brightness rising left to right, so the mean luma says where the window is."""
    rgb = np.zeros((720, 1280, 3), dtype=np.uint8)
    rgb[:, :, :] = np.linspace(0, 255, 1280, dtype=np.uint8)[None, :, None]
    return av.VideoFrame.from_ndarray(rgb, format="rgb24").reformat(format="yuv420p")


def _mean_luma(frame: av.VideoFrame) -> float:
    return float(frame.to_ndarray(format="gray").mean())


def test_viewport_frame_is_scaled_to_the_view_size() -> None:
    out = view_frame(_gradient_frame(), (0.0, 0.0, 0.5), (640, 360))
    assert (out.width, out.height) == (640, 360)


def test_viewport_frame_panned_right_is_brighter_on_a_rising_gradient() -> None:
    left = view_frame(_gradient_frame(), (-1.0, 0.0, 0.0), (640, 360))
    right = view_frame(_gradient_frame(), (1.0, 0.0, 0.0), (640, 360))
    assert _mean_luma(right) > _mean_luma(left) + 60


async def test_viewport_capture_spec_with_a_view_size_opens_a_moving_view() -> None:
    views = iter([(-1.0, 0.0, 0.0), (1.0, 0.0, 0.0)])
    spec = DeviceSpec(
        "video", "lavfi", "testsrc2=size=1280x720:rate=15", view_size=(320, 180), view=lambda: next(views)
    )
    track = await open_capture(spec)
    try:
        assert isinstance(track, ViewportTrack)
        first = await track.recv()
        assert (first.width, first.height) == (320, 180)
        assert track.last_window == (0, 180, 640, 360)
        await track.recv()
        assert track.last_window == (640, 180, 640, 360)
    finally:
        track.stop()


@pytest.mark.parametrize("view", [(0.0, 0.0, 0.0), (0.3, -0.7, 0.9)])
def test_viewport_window_stays_inside_the_source(view: tuple[float, float, float]) -> None:
    x, y, w, h = crop_window(SOURCE, view, 16 / 9)
    assert x >= 0 and x + w <= SOURCE[0] and y >= 0 and y + h <= SOURCE[1]
