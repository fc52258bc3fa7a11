"""Where each participant's tile goes on the composed picture.

Pure geometry, kept apart from pixels so the layouts can be checked without
media. Every rectangle is aligned to even pixels because the canvas is
yuv420p: a tile starting on an odd row or column would straddle chroma
samples of its neighbour. Which views exist and how many tiles each shows is
part of the seam (:mod:`appliance.labnode.media_api`): the conference needs it too.
"""

from __future__ import annotations

from dataclasses import dataclass

from appliance.labnode.media_api import THUMBS_1_7, capacity, resolve_view


@dataclass(frozen=True, slots=True)
class Tile:
    x: int
    y: int
    w: int
    h: int


def _even(value: float) -> int:
    return int(value) & ~1


def tiles_for(view: str, count: int, width: int, height: int) -> list[Tile]:
    """Rectangles for the first ``count`` participants of ``view``, in screen order."""
    view = resolve_view(view)
    count = min(count, capacity(view))
    if count <= 0:
        return []
    if view == "1:0" or (view == "1:7" and count == 1):
        return [Tile(0, 0, _even(width), _even(height))]
    if view == "1:7":
        return _one_plus_row(count, width, height)
    side = 2 if view == "4:0" else 3
    return _grid(side, count, width, height)


def _one_plus_row(count: int, width: int, height: int) -> list[Tile]:
    thumb_w = _even(width / THUMBS_1_7)
    thumb_h = _even(thumb_w * 9 / 16)
    main_h = _even(height - thumb_h)
    main_w = min(_even(main_h * 16 / 9), _even(width))
    tiles = [Tile(_even((width - main_w) / 2), 0, main_w, main_h)]
    thumbs = count - 1
    start = _even((width - thumbs * thumb_w) / 2)
    tiles += [Tile(start + i * thumb_w, main_h, thumb_w, thumb_h) for i in range(thumbs)]
    return tiles


def _grid(side: int, count: int, width: int, height: int) -> list[Tile]:
    tile_w = _even(width / side)
    tile_h = _even(height / side)
    off_x = _even((width - side * tile_w) / 2)
    off_y = _even((height - side * tile_h) / 2)
    return [
        Tile(off_x + (i % side) * tile_w, off_y + (i // side) * tile_h, tile_w, tile_h) for i in range(count)
    ]
