"""The engine against a plain aiortc far end on loopback: real media, read back from pixels and energy."""

from __future__ import annotations

import numpy as np
import pytest

from appliance.media import sdp as sdp_text
from appliance.media.call_type import CallType
from appliance.media.engine import MediaCall
from appliance.media.plan import MediaSettings
from appliance.media.processing import ProcessingSettings
from tests.support.media import CAMERA, MICROPHONE, FakeFarEnd
from tests.support.waiting import eventually

pytestmark = pytest.mark.media

NO_PROCESSING = ProcessingSettings(False, False, False)


def settings(**overrides: object) -> MediaSettings:
    base = MediaSettings(audio_source=MICROPHONE, video_source=CAMERA, processing=NO_PROCESSING)
    for key, value in overrides.items():
        setattr(base, key, value)
    return base


def pixel_bgra(call: MediaCall) -> tuple[int, int, int]:
    shown = call.main_video.slot.take(timeout=1.0)
    assert shown is not None
    assert shown.pixel_format == "bgra"
    plane = np.frombuffer(shown.frame.planes[0], dtype=np.uint8)
    row = shown.frame.planes[0].line_size
    offset = (shown.height // 2) * row + (shown.width // 2) * 4
    b, g, r = plane[offset : offset + 3]
    return int(b), int(g), int(r)


async def test_video_call_sends_and_receives_audio_and_video(far_end: FakeFarEnd) -> None:
    call = MediaCall(far_end, settings())
    try:
        await call.start()
        await eventually(lambda: far_end.received.get("1") is not None and far_end.received["1"].frames > 5)
        await eventually(lambda: far_end.received.get("0") is not None and far_end.received["0"].rms > 500)
        await eventually(lambda: call.main_video.stats.frames > 5 and call.audio.rms > 500)
        b, g, r = pixel_bgra(call)
        assert r > 200 and g < 60 and b < 60  # the far end sends red
    finally:
        await call.close()


async def test_offer_is_pexip_style_three_bundled_mlines_with_slides_tag(far_end: FakeFarEnd) -> None:
    call = MediaCall(far_end, settings())
    try:
        await call.start()
        offer = far_end.log[0][1]["sdp"]
        assert sdp_text.kinds_by_mid(offer) == {"0": "audio", "1": "video", "2": "video"}
        assert "a=group:BUNDLE 0 1 2" in offer
        assert sdp_text.content_of(offer, "2") == "slides"
        assert sdp_text.content_of(offer, "1") is None
    finally:
        await call.close()


async def test_offer_has_no_inline_candidates_and_carries_bandwidth_in(far_end: FakeFarEnd) -> None:
    call = MediaCall(far_end, settings(bandwidth_in=768))
    try:
        await call.start()
        offer = far_end.log[0][1]["sdp"]
        assert "a=candidate:" not in offer
        assert sdp_text.bandwidth_kbps(offer, "video") == 768
        assert "b=TIAS:768000" in offer
    finally:
        await call.close()


async def test_candidates_are_trickled_after_the_answer_and_before_ack(far_end: FakeFarEnd) -> None:
    call = MediaCall(far_end, settings())
    try:
        await call.start()
        ops = far_end.ops()
        assert ops[0] == "calls"
        assert ops[-1] == "ack"
        trickled = [body for name, body in far_end.log if name == "new_candidate"]
        assert len(trickled) >= 2
        assert all(body["candidate"].startswith("candidate:") for body in trickled[:-1])
        assert all(body["ufrag"] and body["pwd"] for body in trickled[:-1])
        assert trickled[-1] == {"candidate": "", "mid": "0", "ufrag": None, "pwd": None}
    finally:
        await call.close()


async def test_h264_disabled_offers_vp8_only_and_vp9_never(far_end: FakeFarEnd) -> None:
    call = MediaCall(far_end, settings(h264_enabled=False, vp9_enabled=True))
    try:
        await call.start()
        offer = far_end.log[0][1]["sdp"]
        assert "VP8/90000" in offer
        assert "H264/90000" not in offer
        assert "VP9" not in offer
        await eventually(lambda: call.main_video.stats.frames > 3)
        assert call.budget.encoders.get("VP8") == "libvpx"
    finally:
        await call.close()


async def test_h264_is_preferred_and_sent_with_realtime_encoder(far_end: FakeFarEnd) -> None:
    call = MediaCall(far_end, settings())
    try:
        await call.start()
        offer = far_end.log[0][1]["sdp"]
        assert offer.index("H264/90000") < offer.index("VP8/90000")
        await eventually(lambda: far_end.received.get("1") is not None and far_end.received["1"].frames > 3)
        assert call.budget.encoders["H264"] == "libx264"
    finally:
        await call.close()


async def test_bandwidth_out_caps_the_encoder_bit_rate(far_end: FakeFarEnd) -> None:
    call = MediaCall(far_end, settings(bandwidth_out=300))
    try:
        await call.start()
        await eventually(lambda: "H264" in call.budget.bitrates)
        assert call.budget.bitrates["H264"] <= 300_000
    finally:
        await call.close()


async def test_audioonly_call_offers_one_audio_line_and_sends_audio(far_end: FakeFarEnd) -> None:
    call = MediaCall(far_end, settings(call_type=CallType.AUDIOONLY))
    try:
        await call.start()
        body = far_end.log[0][1]
        assert body["media_type"] == "audio"
        assert sdp_text.kinds_by_mid(body["sdp"]) == {"0": "audio"}
        await eventually(lambda: far_end.received.get("0") is not None and far_end.received["0"].rms > 500)
        assert "1" not in far_end.received
    finally:
        await call.close()


async def test_recvonly_call_receives_video_and_sends_nothing(far_end: FakeFarEnd) -> None:
    call = MediaCall(far_end, settings(call_type=CallType.RECVONLY))
    try:
        await call.start()
        offer = far_end.log[0][1]["sdp"]
        assert set(sdp_text.directions(offer).values()) == {"recvonly"}
        await eventually(lambda: call.main_video.stats.frames > 3)
        assert all(record.frames == 0 for record in far_end.received.values())
    finally:
        await call.close()


async def test_presentation_call_receives_only_the_presentation(far_end: FakeFarEnd) -> None:
    far_end.present = True
    call = MediaCall(far_end, settings(call_type=CallType.PRESENTATION))
    try:
        await call.start()
        body = far_end.log[0][1]
        assert body["present"] == "receive"
        assert sdp_text.directions(body["sdp"]) == {"0": "recvonly"}  # one video line, tagged slides
        assert sdp_text.content_of(body["sdp"], "0") == "slides"
        await eventually(lambda: call.presentation_video.stats.frames > 3)
        shown = call.presentation_video.slot.take(timeout=1.0)
        assert shown is not None
        blue = shown.frame.to_ndarray()[..., 0].mean()  # bgra: the far end's blue presentation
        assert blue > 200
        assert call.main_video.stats.frames == 0
    finally:
        await call.close()


async def test_screen_call_sends_only_presentation_from_the_screen_source(far_end: FakeFarEnd) -> None:
    from tests.support.media import SCREEN

    call = MediaCall(far_end, settings(call_type=CallType.SCREEN, screen_source=SCREEN, screenshare_fps=5))
    try:
        await call.start_screenshare()
        await call.start()
        body = far_end.log[0][1]
        assert body["present"] == "send"
        assert sdp_text.directions(body["sdp"]) == {"0": "sendonly"}  # one video line, tagged slides
        await eventually(lambda: far_end.received.get("0") is not None and far_end.received["0"].frames > 2)
        assert far_end.received["0"].last.width == 640
        assert set(far_end.received) == {"0"}
    finally:
        await call.close()


async def test_roster_only_call_makes_no_media_request_until_escalated(far_end: FakeFarEnd) -> None:
    call = MediaCall(far_end, settings(call_type=CallType.NONE))
    try:
        await call.start()
        assert far_end.log == []
        assert not call.active
        await call.add_call(CallType.VIDEO)
        assert far_end.ops()[0] == "calls"
        await eventually(lambda: call.main_video.stats.frames > 3)
    finally:
        await call.close()


async def test_disconnect_call_drops_media_and_a_new_call_can_follow(far_end: FakeFarEnd) -> None:
    call = MediaCall(far_end, settings())
    try:
        await call.start()
        first = call.call_uuid
        await call.disconnect_call()
        assert ("disconnect", {"call_uuid": first}) in far_end.log
        assert not call.active and call.call_uuid is None
        await call.add_call(CallType.VIDEO)
        assert call.call_uuid not in (None, first)
        await eventually(lambda: call.main_video.stats.frames > 3)
    finally:
        await call.close()


async def test_secure_check_code_is_the_same_on_both_ends(far_end: FakeFarEnd) -> None:
    call = MediaCall(far_end, settings())
    try:
        await call.start()
        assert far_end.pc is not None
        theirs = sdp_text.secure_check_code(far_end.pc.localDescription.sdp, far_end.pc.remoteDescription.sdp)
        assert call.secure_check_code() == theirs
        assert len(theirs) == 64
    finally:
        await call.close()


async def test_secure_check_code_is_invalid_without_a_call(far_end: FakeFarEnd) -> None:
    assert MediaCall(far_end, settings()).secure_check_code() == "INVALID"


async def test_answer_bandwidth_below_bandwidth_out_caps_the_encoder(far_end: FakeFarEnd) -> None:
    far_end.answer_kbps = 400
    call = MediaCall(far_end, settings(bandwidth_out=1280))
    try:
        await call.start()
        assert call.budget.max_bitrate == 400_000
        await eventually(lambda: "H264" in call.budget.bitrates)
        assert call.budget.bitrates["H264"] <= 400_000
    finally:
        await call.close()
