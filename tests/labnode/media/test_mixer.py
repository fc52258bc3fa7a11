from __future__ import annotations

import av
import numpy as np

from appliance.labnode.media.mixer import Compositor, mix_key_for
from appliance.labnode.media_api import MixState


def _state(view: str, order: list[str], enabled: bool = True) -> MixState:
    return MixState(view, order, {u: u.upper() for u in order}, overlay_text_enabled=enabled)


def _solid(rgb: tuple[int, int, int]) -> av.VideoFrame:
    image = np.empty((180, 320, 3), dtype=np.uint8)
    image[:] = rgb
    return av.VideoFrame.from_ndarray(image, format="rgb24").reformat(format="yuv420p")


def test_mix_key_excludes_the_listener_from_own_layout() -> None:
    assert mix_key_for("me", _state("1:7", ["a", "me", "b"])).order == ("a", "b")


def test_mix_key_is_shared_by_listeners_seeing_the_same_thing() -> None:
    assert mix_key_for("x", _state("4:0", ["a", "b"])) == mix_key_for("y", _state("4:0", ["a", "b"]))


def test_mix_key_truncates_order_to_layout_capacity() -> None:
    assert len(mix_key_for("me", _state("4:0", list("abcdef"))).order) == 4


def test_mix_key_drops_labels_when_overlay_text_disabled() -> None:
    assert mix_key_for("me", _state("4:0", ["a", "b"], enabled=False)).labels == ("", "")


def test_mix_key_resolves_unsupported_view() -> None:
    assert mix_key_for("me", _state("2:21", ["a"])).view == "1:7"


def test_compositor_places_each_participant_in_its_tile() -> None:
    frames = {"r": _solid((220, 50, 50)), "b": _solid((40, 90, 230))}
    compositor = Compositor(640, 360, frames.get)
    data = compositor.compose(mix_key_for("me", _state("4:0", ["r", "b"])))
    rgb = av.VideoFrame.from_ndarray(data, format="yuv420p").to_ndarray(format="rgb24")
    assert rgb[90, 160, 0] > 180 and rgb[90, 160, 2] < 90
    assert rgb[90, 480, 2] > 180 and rgb[90, 480, 0] < 90


def test_compositor_draws_name_card_without_video() -> None:
    compositor = Compositor(640, 360, lambda uuid: None)
    data = compositor.compose(mix_key_for("me", _state("1:0", ["alice"])))
    luma = data[:360]
    assert luma.max() > 200  # the name is written
    assert np.median(luma) < 80  # on a dark card


def test_compositor_writes_overlay_text_into_the_tile() -> None:
    frames = {"a": _solid((40, 90, 230))}
    plain = Compositor(640, 360, frames.get).compose(mix_key_for("me", _state("1:0", ["a"], enabled=False)))
    named = Compositor(640, 360, frames.get).compose(mix_key_for("me", _state("1:0", ["a"])))
    assert not np.array_equal(plain[300:360], named[300:360])
    assert np.array_equal(plain[:200], named[:200])


def test_compositor_reuses_scaled_tile_for_an_unchanged_frame() -> None:
    frames = {"a": _solid((40, 90, 230))}
    compositor = Compositor(640, 360, frames.get)
    key = mix_key_for("me", _state("1:0", ["a"]))
    assert compositor.inputs(key) == compositor.inputs(key)
    first = compositor.compose(key)
    assert np.array_equal(first, compositor.compose(key))


def test_compositor_crops_a_4_3_camera_to_fill_a_16_9_tile() -> None:
    image = np.empty((240, 320, 3), dtype=np.uint8)
    image[:] = (40, 90, 230)
    image[:30] = (220, 50, 50)  # a red band the crop must cut away
    frame = av.VideoFrame.from_ndarray(image, format="rgb24").reformat(format="yuv420p")
    data = Compositor(640, 360, {"a": frame}.get).compose(
        mix_key_for("me", _state("1:0", ["a"], enabled=False))
    )
    rgb = av.VideoFrame.from_ndarray(data, format="yuv420p").to_ndarray(format="rgb24")
    assert rgb[2, 320, 2] > 180 and rgb[2, 320, 0] < 90
