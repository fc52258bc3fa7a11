"""Call types become m-line directions and codec lists."""

from __future__ import annotations

import pytest

from appliance.errors import MediaError
from appliance.media.call_type import CallType
from appliance.media.plan import MediaSettings, plan_lines, present_field, video_codecs


def directions(call_type: CallType, **kwargs: bool) -> list[str]:
    flags = {"can_send_audio": True, "can_send_video": True} | kwargs
    return [line.direction for line in plan_lines(call_type, MediaSettings(), **flags)]


def test_plan_video_call_is_three_sendrecv_lines_with_slides_last() -> None:
    lines = plan_lines(CallType.VIDEO, MediaSettings(), can_send_audio=True, can_send_video=True)
    assert [(line.mid, line.kind, line.direction, line.content) for line in lines] == [
        ("0", "audio", "sendrecv", None),
        ("1", "video", "sendrecv", None),
        ("2", "video", "sendrecv", "slides"),
    ]


def test_plan_video_call_without_camera_receives_video_only() -> None:
    assert directions(CallType.VIDEO, can_send_video=False)[1] == "recvonly"


def test_plan_recv_audio_false_makes_audio_sendonly() -> None:
    settings = MediaSettings(recv_audio=False)
    lines = plan_lines(CallType.VIDEO, settings, can_send_audio=True, can_send_video=True)
    assert lines[0].direction == "sendonly"


def test_plan_call_types_map_to_directions() -> None:
    assert directions(CallType.RECVONLY) == ["recvonly", "recvonly", "recvonly"]
    assert directions(CallType.PRESENTATION) == ["recvonly"]
    assert directions(CallType.SCREEN) == ["sendonly"]
    assert directions(CallType.AUDIOONLY) == ["sendrecv"]
    assert directions(CallType.NONE) == []


def test_plan_separate_presentation_calls_offer_one_video_line_tagged_slides() -> None:
    for call_type in (CallType.PRESENTATION, CallType.SCREEN):
        (line,) = plan_lines(call_type, MediaSettings(), can_send_audio=True, can_send_video=True)
        assert (line.kind, line.content) == ("video", "slides")


def test_plan_separate_presentation_calls_name_their_present_field() -> None:
    assert present_field(CallType.PRESENTATION) == "receive"
    assert present_field(CallType.SCREEN) == "send"
    assert present_field(CallType.VIDEO) is None


@pytest.mark.parametrize("call_type", [CallType.RTMP, CallType.STREAM])
def test_plan_rtmp_has_no_m_lines(call_type: CallType) -> None:
    with pytest.raises(MediaError, match="RTMP URL"):
        plan_lines(call_type, MediaSettings(), can_send_audio=True, can_send_video=True)


def test_video_codecs_put_h264_first_and_never_vp9() -> None:
    names = [codec.mimeType for codec in video_codecs(MediaSettings(vp9_enabled=True))]
    assert names[0] == "video/H264"
    assert "video/VP8" in names
    assert not any("VP9" in name for name in names)


def test_video_codecs_with_every_codec_disabled_is_an_error() -> None:
    with pytest.raises(MediaError, match="no video codec"):
        video_codecs(MediaSettings(h264_enabled=False, vp8_enabled=False))
