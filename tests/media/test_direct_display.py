"""Pictures reach display memory straight from the decoder's frame: same pixels as PyAV, no extra frame."""

from __future__ import annotations

import fractions

import av
import numpy as np
import pytest

from appliance.media.handoff import LatestSlot
from appliance.media.sinks import DisplayConverter, DisplayFrame, VideoSink
from appliance.media.swscale import DirectScaler


def yuv_frame(rgb: tuple[int, int, int], size: tuple[int, int] = (64, 48)) -> av.VideoFrame:
    width, height = size
    pixels = np.zeros((height, width, 3), dtype=np.uint8)
    pixels[:] = rgb
    pixels[: height // 2, : width // 2] = (
        255 - rgb[0],
        255 - rgb[1],
        255 - rgb[2],
    )  # not flat: scaling shows
    frame = av.VideoFrame.from_ndarray(pixels, format="rgb24").reformat(format="yuv420p")
    frame.pts, frame.time_base = 0, fractions.Fraction(1, 90000)
    return frame


def scale_into_array(frame: av.VideoFrame, width: int, height: int, pitch: int) -> np.ndarray:
    memory = np.full((height, pitch), 7, dtype=np.uint8)
    DirectScaler("bgra").scale_into(frame, memory.ctypes.data, pitch, width, height)
    return memory


def test_direct_scaler_gives_the_same_pixels_as_pyav() -> None:
    frame = yuv_frame((200, 30, 90))
    memory = scale_into_array(frame, 64, 48, 64 * 4)
    expected = frame.reformat(format="bgra").to_ndarray()
    assert np.array_equal(memory.reshape(48, 64, 4), expected)


def test_direct_scaler_follows_a_bt709_tag_as_pyav_does() -> None:
    frame = yuv_frame((200, 30, 90))
    frame.colorspace = 1  # BT.709
    memory = scale_into_array(frame, 64, 48, 64 * 4)
    expected = frame.reformat(format="bgra").to_ndarray()
    assert np.array_equal(memory.reshape(48, 64, 4), expected)


def test_direct_scaler_scales_into_the_requested_size() -> None:
    frame = yuv_frame((200, 30, 90))
    memory = scale_into_array(frame, 32, 24, 32 * 4)
    expected = frame.reformat(32, 24, "bgra").to_ndarray().astype(int)
    assert np.abs(memory.reshape(24, 32, 4).astype(int) - expected).max() <= 2


def test_direct_scaler_leaves_row_padding_alone() -> None:
    memory = scale_into_array(yuv_frame((200, 30, 90)), 64, 48, 64 * 4 + 16)
    assert (memory[:, 64 * 4 :] == 7).all()


def test_direct_scaler_refuses_a_pitch_too_small_for_a_row() -> None:
    memory = np.zeros(64 * 48 * 4, dtype=np.uint8)
    with pytest.raises(ValueError, match="pitch"):
        DirectScaler("bgra").scale_into(yuv_frame((1, 2, 3)), memory.ctypes.data, 64 * 4 - 4, 64, 48)


def test_video_sink_converts_only_the_frame_that_is_shown(monkeypatch: pytest.MonkeyPatch) -> None:
    converted: list[int] = []
    original = DisplayConverter.convert

    def counting(
        self: DisplayConverter, frame: av.VideoFrame, width: int | None = None, height: int | None = None
    ) -> av.VideoFrame:
        converted.append(frame.width)
        return original(self, frame, width, height)

    monkeypatch.setattr(DisplayConverter, "convert", counting)
    slot: LatestSlot[DisplayFrame] = LatestSlot()
    sink = VideoSink("main", slot)
    for _ in range(3):
        sink.deliver(yuv_frame((10, 200, 10)))
    shown = slot.take_nowait()
    assert shown is not None and converted == []
    assert shown.frame.format.name == "bgra"
    assert converted == [64]


def test_display_frame_draw_into_writes_the_picture_into_memory() -> None:
    sink = VideoSink("main", size=(32, 24))
    sink.deliver(yuv_frame((10, 200, 10)))
    shown = sink.slot.take_nowait()
    assert shown is not None
    memory = np.zeros((24, 32 * 4), dtype=np.uint8)
    shown.draw_into(memory.ctypes.data, 32 * 4)
    b, g, r, _ = memory.reshape(24, 32, 4)[18, 24]
    assert g > 180 and r < 40 and b < 40


def test_display_frame_draw_into_copies_a_frame_already_converted() -> None:
    sink = VideoSink("main")
    sink.deliver(yuv_frame((10, 200, 10)))
    shown = sink.slot.take_nowait()
    assert shown is not None
    expected = shown.frame.to_ndarray()  # converted now: draw_into must copy this one
    memory = np.zeros((48, 64 * 4 + 32), dtype=np.uint8)
    shown.draw_into(memory.ctypes.data, 64 * 4 + 32)
    assert np.array_equal(memory[:, : 64 * 4].reshape(48, 64, 4), expected)


def test_display_frame_needs_a_picture_or_a_converter() -> None:
    source = yuv_frame((1, 2, 3))
    with pytest.raises(ValueError, match="converter"):
        DisplayFrame("main", None, 64, 48, "bgra", source)
