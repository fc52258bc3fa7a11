from __future__ import annotations

import itertools

import pytest

from appliance.labnode.media.compositor_layout import tiles_for
from appliance.labnode.media_api import capacity, resolve_view


def _overlap(a, b) -> bool:
    return a.x < b.x + b.w and b.x < a.x + a.w and a.y < b.y + b.h and b.y < a.y + a.h


def test_layout_1_0_fills_the_frame() -> None:
    assert [(t.x, t.y, t.w, t.h) for t in tiles_for("1:0", 5, 640, 360)] == [(0, 0, 640, 360)]


def test_layout_1_7_has_a_large_main_tile_and_small_ones_below() -> None:
    tiles = tiles_for("1:7", 8, 640, 360)
    main, thumbs = tiles[0], tiles[1:]
    assert len(thumbs) == 7
    assert all(t.y >= main.y + main.h for t in thumbs)
    assert all(main.w * main.h > 20 * t.w * t.h for t in thumbs)


def test_layout_1_7_with_one_participant_is_full_frame() -> None:
    assert tiles_for("1:7", 1, 640, 360)[0].w == 640


@pytest.mark.parametrize(("view", "count"), [("4:0", 4), ("9:0", 9), ("1:7", 8)])
def test_layout_tiles_do_not_overlap(view: str, count: int) -> None:
    tiles = tiles_for(view, count, 640, 360)
    assert len(tiles) == count
    assert not any(_overlap(a, b) for a, b in itertools.combinations(tiles, 2))


@pytest.mark.parametrize("view", ["1:0", "1:7", "4:0", "9:0"])
def test_layout_tiles_are_chroma_aligned_and_inside_the_frame(view: str) -> None:
    for t in tiles_for(view, 9, 640, 360):
        assert t.x % 2 == t.y % 2 == t.w % 2 == t.h % 2 == 0
        assert t.x + t.w <= 640 and t.y + t.h <= 360


def test_layout_caps_participants_at_capacity() -> None:
    assert len(tiles_for("4:0", 9, 640, 360)) == capacity("4:0") == 4


@pytest.mark.parametrize(
    ("view", "drawn"), [("2:21", "1:7"), ("16:0", "9:0"), ("unknown", "1:7"), ("4:0", "4:0")]
)
def test_layout_unsupported_views_fall_back_to_nearest(view: str, drawn: str) -> None:
    assert resolve_view(view) == drawn
