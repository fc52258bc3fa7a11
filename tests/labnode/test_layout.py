"""Layout rules: transforms, speaker order, per-listener views."""

from __future__ import annotations

import pytest

from appliance.infinity.models import LAYOUTS, Role
from appliance.labnode.media.compositor_layout import tiles_for
from appliance.labnode.media.mixer import mix_key_for
from appliance.labnode.state import layout


def test_merge_transforms_is_cumulative() -> None:
    merged = layout.merge_transforms({"layout": "4:0"}, {"enable_overlay_text": False}, auditorium=False)
    assert merged == {"layout": "4:0", "enable_overlay_text": False}


def test_merge_transforms_empty_request_resets() -> None:
    assert layout.merge_transforms({"layout": "4:0"}, {}, auditorium=False) == {}


def test_merge_transforms_guest_layout_needs_auditorium() -> None:
    with pytest.raises(layout.TransformError, match="Auditorium"):
        layout.merge_transforms({}, {"guest_layout": "1:0"}, auditorium=False)


def test_merge_transforms_rejects_unknown_key() -> None:
    with pytest.raises(layout.TransformError, match="Unknown transform"):
        layout.merge_transforms({}, {"zoom": 2}, auditorium=False)


def test_view_for_guest_uses_guest_layout() -> None:
    transforms = {"layout": "4:0", "guest_layout": "1:0"}
    assert layout.view_for(transforms, Role.GUEST, "1:7") == "1:0"
    assert layout.view_for(transforms, Role.HOST, "1:7") == "4:0"


def _speaker(uuid: str, *, spotlight: float = 0, speaking: bool = False, spoken: float = 0, start: float = 0):
    return layout.Speaker(uuid, spotlight, speaking, spoken, start)


def test_speaker_order_spotlight_beats_voice() -> None:
    order = layout.speaker_order([_speaker("a", speaking=True, spoken=5), _speaker("b", spotlight=1)])
    assert order == ["b", "a"]


def test_speaker_order_earlier_spotlight_first() -> None:
    order = layout.speaker_order([_speaker("a", spotlight=2), _speaker("b", spotlight=1)])
    assert order == ["b", "a"]


def test_speaker_order_most_recent_speaker_first() -> None:
    order = layout.speaker_order([_speaker("a", spoken=1), _speaker("b", spoken=2), _speaker("c")])
    assert order == ["b", "a", "c"]


def test_speaker_order_falls_back_to_join_time() -> None:
    assert layout.speaker_order([_speaker("late", start=2), _speaker("early", start=1)]) == ["early", "late"]


def test_visible_excludes_listener_and_cuts_to_capacity() -> None:
    order = [str(n) for n in range(10)]
    assert layout.visible(order, "0", "4:0") == ["1", "2", "3", "4"]


def test_layout_event_api_only_listener_gets_empty_list() -> None:
    body = layout.layout_event(
        view="1:7", order=["x"], listener="me", listener_has_media=False, transforms={}, default="1:7"
    )
    assert body["participants"] == []


def test_stage_marks_speakers_vad_100() -> None:
    assert layout.stage(["a", "b"], ["b"]) == [
        {"participant_uuid": "a", "stage_index": 0, "vad": 0},
        {"participant_uuid": "b", "stage_index": 1, "vad": 100},
    ]


def test_mix_state_carries_overlay_texts_of_shown_tiles() -> None:
    state = layout.mix_state(
        view="1:0", order=["me", "a", "b"], listener="me", overlay_texts={"a": "A"}, transforms={}
    )
    assert (state.view, tuple(state.order), dict(state.overlay_text)) == ("1:0", ("a",), {"a": "A"})


def test_view_for_undrawn_layout_is_the_layout_drawn() -> None:
    assert layout.view_for({"layout": "16:0"}, Role.HOST, "1:7") == "9:0"


def test_view_for_wide_thumbnail_layout_is_one_plus_seven() -> None:
    assert layout.view_for({"layout": "1:21"}, Role.HOST, "1:7") == "1:7"


@pytest.mark.parametrize("requested", sorted(LAYOUTS))
def test_layout_event_names_the_tiles_the_compositor_draws(requested: str) -> None:
    order = ["me", *(f"p{n}" for n in range(30))]
    view = layout.view_for({"layout": requested}, Role.HOST, "1:7")
    body = layout.layout_event(
        view=view, order=order, listener="me", listener_has_media=True, transforms={}, default="1:7"
    )
    mix = layout.mix_state(view=view, order=order, listener="me", overlay_texts={}, transforms={})
    key = mix_key_for("me", mix)
    drawn = len(tiles_for(key.view, 30, 640, 360))
    assert (body["view"], body["participants"]) == (key.view, list(key.order[:drawn]))
