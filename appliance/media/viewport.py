"""A virtual PTZ camera's picture: a view cropped and scaled from a larger one by pan/tilt/zoom.

The ``ci-virtual`` profile has no camera; its picture comes from an FFmpeg
test pattern. So that far-end camera control is visible in the video a
conference receives, the picture sent is a window onto that pattern which
the fake VISCA camera's position moves (``[video_capture] ptz_view`` in the
profile; docs/hardware.md, "The virtual PTZ camera"). The media layer knows
nothing of VISCA: it is given a plain callable returning
``(pan, tilt, zoom)`` — pan and tilt from -1 (left, down) to +1 (right,
up), zoom from 0 (wide) to 1 (tele) — and reads it once per frame.
"""

from __future__ import annotations

from collections.abc import Callable

import av
import numpy as np
import numpy.typing as npt
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

from appliance.errors import MediaError

ViewSource = Callable[[], tuple[float, float, float]]

WIDE_FRACTION = 0.5  # at the widest zoom the view shows half the pattern's width and height
ZOOM_RATIO = 4.0  # tele end is this much narrower than the wide end


def centred(_: None = None) -> tuple[float, float, float]:
    """A camera that never moves: the centre of the pattern at the wide end."""
    return 0.0, 0.0, 0.0


def crop_window(
    source: tuple[int, int], view: tuple[float, float, float], aspect: float
) -> tuple[int, int, int, int]:
    """``(x, y, width, height)`` of the part of a ``source``-sized picture that ``view`` sees.

    Pure and exact so the pixel tests can predict it. The window keeps the
    output's ``aspect``; pan and tilt move it across the whole picture
    (tilt up moves it towards the top), zoom narrows it.
    """
    src_w, src_h = source
    pan, tilt, zoom = (
        max(-1.0, min(1.0, view[0])),
        max(-1.0, min(1.0, view[1])),
        max(0.0, min(1.0, view[2])),
    )
    fraction = WIDE_FRACTION / (1.0 + (ZOOM_RATIO - 1.0) * zoom)
    width = max(2, min(src_w, round(src_w * fraction)))
    height = max(2, min(src_h, round(width / aspect)))
    width -= width % 2
    height -= height % 2
    x = round((src_w - width) / 2 * (1 + pan))
    y = round((src_h - height) / 2 * (1 - tilt))
    return x - x % 2, y - y % 2, width, height


def view_frame(
    frame: av.VideoFrame, view: tuple[float, float, float], size: tuple[int, int]
) -> av.VideoFrame:
    """``frame`` as seen through ``view``, scaled to ``size`` (a new yuv420p frame, same timestamp)."""
    x, y, width, height = crop_window((frame.width, frame.height), view, size[0] / size[1])
    planes = frame.to_ndarray(format="yuv420p")  # (h * 3/2, w): Y then U then V, planar
    h, w = frame.height, frame.width
    luma = planes[:h]
    chroma = planes[h:].reshape(2, h // 2, w // 2)
    cy, cx, ch, cw = y // 2, x // 2, height // 2, width // 2
    packed: npt.NDArray[np.uint8] = np.ascontiguousarray(
        np.concatenate(
            (
                luma[y : y + height, x : x + width].ravel(),
                chroma[0, cy : cy + ch, cx : cx + cw].ravel(),
                chroma[1, cy : cy + ch, cx : cx + cw].ravel(),
            )
        ).reshape(height * 3 // 2, width),
        dtype=np.uint8,
    )
    cropped = av.VideoFrame.from_ndarray(packed, format="yuv420p")
    out = cropped.reformat(width=size[0], height=size[1], format="yuv420p")
    out.pts = frame.pts
    if frame.time_base is not None:
        out.time_base = frame.time_base
    return out


class ViewportTrack(MediaStreamTrack):  # type: ignore[misc]
    """A video track showing ``view()``'s window onto ``source``, at ``size``."""

    kind = "video"

    def __init__(self, source: MediaStreamTrack, view: ViewSource, size: tuple[int, int]) -> None:
        super().__init__()
        self.source = source
        self.view = view
        self.size = size
        self.last_window: tuple[int, int, int, int] | None = None

    async def recv(self) -> av.VideoFrame:
        if self.readyState != "live":
            raise MediaStreamError
        frame = await self.source.recv()
        if not isinstance(frame, av.VideoFrame):
            raise MediaError(f"PTZ view source yielded {type(frame).__name__}, not a video frame")
        view = self.view()
        self.last_window = crop_window((frame.width, frame.height), view, self.size[0] / self.size[1])
        return view_frame(frame, view, self.size)

    def stop(self) -> None:
        super().stop()
        self.source.stop()
