"""Where each participant's tile goes on the composed picture.

Pure geometry, kept apart from pixels so the layouts can be checked without
media. Every rectangle is aligned to even pixels because the canvas is
yuv420p: a tile starting on an odd row or column would straddle chroma
samples of its neighbour.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

SUPPORTED_VIEWS: Final = ("1:0", "1:7", "4:0", "9:0")

# Pexip layouts we do not draw, mapped to the nearest one we do.
_FALLBACKS: Final = {
    "1:21": "1:7",
    "2:21": "1:7",
    "1:33": "1:7",
    "1:4": "1:7",
    "5:7": "1:7",
    "teams": "1:7",
    "ac": "9:0",
    "ac_presentation_in_mix": "9:0",
    "ac_presentation_in_mix_group": "9:0",
    "16:0": "9:0",
    "25:0": "9:0",
}

_THUMBS_1_7: Final = 7


@dataclass(frozen=True, slots=True)
class Tile:
    x: int
    y: int
    w: int
    h: int


def resolve_view(view: str) -> str:
    """The layout actually drawn for ``view`` (itself when supported)."""
    if view in SUPPORTED_VIEWS:
        return view
    return _FALLBACKS.get(view, "1:7")


def capacity(view: str) -> int:
    """How many participants the (resolved) layout shows at most."""
    return {"1:0": 1, "1:7": 1 + _THUMBS_1_7, "4:0": 4, "9:0": 9}[resolve_view(view)]


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
    thumb_w = _even(width / _THUMBS_1_7)
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
