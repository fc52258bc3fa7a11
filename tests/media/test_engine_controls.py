"""Mid-call controls on a live call: mute, device switch, renegotiation, ICE restart, direct media."""

from __future__ import annotations

import asyncio
import wave
from pathlib import Path

import numpy as np
import pytest

from appliance.errors import MediaError
from appliance.media.call_type import CallType
from appliance.media.engine import MediaCall
from appliance.media.plan import MediaSettings
from appliance.media.processing import ProcessingSettings
from appliance.media.sinks import AudioOutput
from tests.support.media import (
    BLUE_CAMERA,
    CAMERA,
    MICROPHONE,
    RED_CAMERA,
    ColourTrack,
    EndingTrack,
    FakeFarEnd,
    ToneTrack,
)
from tests.support.waiting import eventually

pytestmark = pytest.mark.media

NO_PROCESSING = ProcessingSettings(False, False, False)
BLACK_LUMA = 20.0  # limited-range black is 16


def settings(**overrides: object) -> MediaSettings:
    base = MediaSettings(audio_source=MICROPHONE, video_source=CAMERA, processing=NO_PROCESSING)
    for key, value in overrides.items():
        setattr(base, key, value)
    return base


def frames_of(far_end: FakeFarEnd, mid: str) -> int:
    record = far_end.received.get(mid)
    return record.frames if record else 0


@pytest.mark.parametrize("call_type", ["rtmp", "stream"])
async def test_rtmp_call_types_need_signalling_that_can_make_rtmp_calls(
    far_end: FakeFarEnd, call_type: str
) -> None:
    call = MediaCall(far_end, settings())
    try:
        with pytest.raises(MediaError, match="create_rtmp_call"):
            await call.start(call_type)
        assert far_end.log == [] and not call.active
    finally:
        await call.close()


# "Mute stops packets within 200 ms" is counted in packets, not wall time: a
# loaded CI machine delays delivery, but what can still leave after mute is
# pressed is the one frame already inside the encoder (a few RTP packets of
# it), and after that nothing at all while the camera/microphone keep running.
async def _rtp_packets_sent(call: MediaCall, kind: str) -> int:
    assert call.pc is not None
    relay = call.audio_out if kind == "audio" else call.video_out
    sender = next(t.sender for t in call.pc.getTransceivers() if t.sender.track is relay)
    report = await sender.getStats()
    return sum(stat.packetsSent for stat in report.values() if stat.type == "outbound-rtp")


async def _assert_mute_stops_rtp(call: MediaCall, kind: str) -> None:
    relay = call.audio_out if kind == "audio" else call.video_out
    sent_at_mute = relay.frames_sent
    held = relay.frames_held
    # once the relay has held back a frame, the frame before it has reached the encoder
    await eventually(lambda: relay.frames_held > held + 1)
    settled = await _rtp_packets_sent(call, kind)
    await eventually(lambda: relay.frames_held > held + 10)  # the device kept running...
    assert await _rtp_packets_sent(call, kind) == settled  # ...and not one packet left
    assert relay.frames_sent - sent_at_mute <= 1  # at most the frame already in flight


async def test_mute_video_stops_sending_rtp_after_the_frame_in_flight(far_end: FakeFarEnd) -> None:
    call = MediaCall(far_end, settings())
    try:
        await call.start()
        await eventually(lambda: frames_of(far_end, "1") > 3)
        assert call.mute_video(True) is True
        await _assert_mute_stops_rtp(call, "video")
    finally:
        await call.close()


async def test_mute_audio_stops_sending_rtp_after_the_frame_in_flight(far_end: FakeFarEnd) -> None:
    call = MediaCall(far_end, settings())
    try:
        await call.start()
        await eventually(lambda: frames_of(far_end, "0") > 3)
        assert call.mute_audio(True) is True
        await _assert_mute_stops_rtp(call, "audio")
    finally:
        await call.close()


async def _far_end_sender_report_time(far_end: FakeFarEnd, mid: str) -> object:
    assert far_end.pc is not None
    receiver = next(t.receiver for t in far_end.pc.getTransceivers() if t.mid == mid)
    report = await receiver.getStats()
    return next((s.remoteTimestamp for s in report.values() if s.type == "remote-outbound-rtp"), None)


async def test_muted_call_keeps_sending_rtcp_sender_reports(far_end: FakeFarEnd) -> None:
    call = MediaCall(far_end, settings())
    try:
        await call.start()
        await eventually(lambda: frames_of(far_end, "1") > 3)
        call.mute_audio(True)
        call.mute_video(True)
        await eventually(lambda: call.video_out.frames_held > 2)
        first = await _far_end_sender_report_time(far_end, "1")
        latest: list[object] = [first]

        async def newer() -> bool:
            latest[0] = await _far_end_sender_report_time(far_end, "1")
            return latest[0] is not None and latest[0] != first

        async with asyncio.timeout(15):
            while not await newer():  # noqa: ASYNC110 - aiortc stats have no event
                await asyncio.sleep(0.2)
        assert call.pc is not None and call.pc.connectionState == "connected"
    finally:
        await call.close()


async def test_unmute_video_resumes_with_a_keyframe_request(far_end: FakeFarEnd) -> None:
    call = MediaCall(far_end, settings(video_source=RED_CAMERA))
    try:
        await call.start()
        await eventually(lambda: frames_of(far_end, "1") > 3)
        assert call.pc is not None
        sender = next(t.sender for t in call.pc.getTransceivers() if t.sender.track is call.video_out)
        requests: list[bool] = []
        real = sender._send_keyframe
        sender._send_keyframe = lambda: (requests.append(True), real())[-1]
        call.mute_video(True)
        await eventually(lambda: call.video_out.frames_held > 3)
        received = frames_of(far_end, "1")
        assert call.mute_video(False) is False
        assert requests == [True]
        await eventually(lambda: frames_of(far_end, "1") > received + 3)
        assert (far_end.received["1"].luma or 0) > BLACK_LUMA + 20  # the camera, not black
    finally:
        await call.close()


async def test_switch_camera_changes_the_picture_without_an_update(far_end: FakeFarEnd) -> None:
    call = MediaCall(far_end, settings(video_source=RED_CAMERA))
    try:
        await call.start()
        await eventually(lambda: frames_of(far_end, "1") > 3)
        red_luma = far_end.received["1"].luma or 0
        assert await call.switch_camera(BLUE_CAMERA) is False
        await eventually(lambda: abs((far_end.received["1"].luma or 0) - red_luma) > 20)
        assert "update" not in far_end.ops()
    finally:
        await call.close()


async def test_adding_a_camera_mid_call_renegotiates_with_update_and_ack(far_end: FakeFarEnd) -> None:
    call = MediaCall(far_end, settings(video_source=None))
    try:
        await call.start()
        assert far_end.log[0][1]["sdp"].count("a=recvonly") == 1
        assert await call.switch_camera(CAMERA) is True
        assert far_end.ops()[-2:] == ["update", "ack"]
        await eventually(lambda: frames_of(far_end, "1") > 3)
    finally:
        await call.close()


async def test_switch_microphone_keeps_audio_flowing(far_end: FakeFarEnd) -> None:
    from appliance.media.sources import DeviceSpec

    call = MediaCall(far_end, settings())
    try:
        await call.start()
        await eventually(lambda: frames_of(far_end, "0") > 10)
        await call.switch_microphone(DeviceSpec("audio", "lavfi", "sine=frequency=880:sample_rate=48000"))
        before = frames_of(far_end, "0")
        await eventually(lambda: frames_of(far_end, "0") > before + 10)
    finally:
        await call.close()


async def test_renegotiate_with_resend_sdp_sends_update_then_ack(far_end: FakeFarEnd) -> None:
    call = MediaCall(far_end, settings())
    try:
        await call.start()
        assert await call.renegotiate(resend_sdp=True) is True
        assert far_end.ops()[-2:] == ["update", "ack"]
        before = frames_of(far_end, "1")
        await eventually(lambda: frames_of(far_end, "1") > before + 3)
    finally:
        await call.close()


async def test_renegotiate_without_changes_sends_nothing(far_end: FakeFarEnd) -> None:
    call = MediaCall(far_end, settings())
    try:
        await call.start()
        sent = len(far_end.log)
        assert await call.renegotiate(resend_sdp=False) is False
        assert len(far_end.log) == sent
    finally:
        await call.close()


async def test_restart_ice_brings_media_back_on_a_new_call(far_end: FakeFarEnd) -> None:
    call = MediaCall(far_end, settings())
    try:
        await call.start()
        first = call.call_uuid
        await call.restart_ice()
        assert call.call_uuid != first
        await call.wait_connected()
        before = call.main_video.stats.frames
        await eventually(lambda: call.main_video.stats.frames > before + 3)
        sent = frames_of(far_end, "1")  # and ours reaches the far end on the new connection
        await eventually(lambda: frames_of(far_end, "1") > sent + 3)
    finally:
        await call.close()


async def test_escalation_from_audioonly_to_video_adds_the_video_lines(far_end: FakeFarEnd) -> None:
    call = MediaCall(far_end, settings(call_type=CallType.AUDIOONLY))
    try:
        await call.start()
        await call.add_call(CallType.VIDEO)
        update = [body for name, body in far_end.log if name == "update"][-1]
        assert update["sdp"].count("m=video") == 2
        await eventually(lambda: frames_of(far_end, "1") > 3 and call.main_video.stats.frames > 3)
    finally:
        await call.close()


async def test_user_media_stream_tracks_are_sent_instead_of_devices(far_end: FakeFarEnd) -> None:
    green = ColourTrack((0, 255, 0))
    call = MediaCall(far_end, settings(user_media_stream=[ToneTrack(), green]))
    try:
        await call.start()
        await eventually(lambda: frames_of(far_end, "1") > 3 and far_end.received["0"].rms > 1000)
        assert call.video_out.source is green
    finally:
        await call.close()


async def test_screenshare_mid_call_sends_on_the_slides_line(far_end: FakeFarEnd) -> None:
    from tests.support.media import SCREEN

    call = MediaCall(far_end, settings(screen_source=SCREEN))
    try:
        await call.start()
        await call.start_screenshare()
        await eventually(lambda: frames_of(far_end, "2") > 2)
        assert "update" not in far_end.ops()
        call.stop_screenshare()
    finally:
        await call.close()


async def test_direct_media_answers_the_node_offer_in_ack(far_end: FakeFarEnd) -> None:
    far_end.direct_media = True
    call = MediaCall(far_end, settings())
    try:
        await call.start()
        assert not call.active
        offer = await far_end.make_offer()
        await call.handle_remote_offer(offer)
        ack = far_end.log[-1]
        assert ack[0] == "ack" and ack[1]["sdp"]
        await eventually(lambda: call.main_video.stats.frames > 3 and frames_of(far_end, "0") > 3)
        assert far_end.pc is not None
        assert call.secure_check_code() != "INVALID"
    finally:
        await call.close()


async def test_media_statistics_has_the_founding_document_shape(far_end: FakeFarEnd) -> None:
    call = MediaCall(far_end, settings())
    try:
        await call.start()
        await eventually(lambda: call.main_video.stats.frames > 10 and frames_of(far_end, "1") > 10)
        stats = await call.media_statistics()
        for direction in ("outgoing", "incoming"):
            for kind in ("audio", "video"):
                entry = stats[direction][kind]
                assert {"bitrate", "packets-lost", "packets-received", "percentage-lost"} <= set(entry)
        assert stats["incoming"]["video"]["packets-received"] > 0
        assert stats["incoming"]["video"]["resolution"] == "320x240"
        assert stats["outgoing"]["video"]["resolution"] == "320x240"
        assert stats["outgoing"]["video"]["packets-sent"] > 0
        assert stats["outgoing"]["video"]["bitrate"] > 0
        assert stats["incoming"]["video"]["decode-delay"] is not None
        assert stats["outgoing"]["video"]["decode-delay"] == 0  # the far end's is not reported
    finally:
        await call.close()


async def test_statistics_name_the_fallback_decoder(far_end: FakeFarEnd) -> None:
    # the session fixture prefers h264_v4l2m2m, which cannot open on this machine
    call = MediaCall(far_end, settings())
    try:
        await call.start()
        await eventually(lambda: call.main_video.stats.frames > 3)
        stats = await call.media_statistics()
        assert stats["incoming"]["video"]["decoder"] == "h264"
    finally:
        await call.close()


async def test_screenshare_source_ending_reports_screenshare_stopped(far_end: FakeFarEnd) -> None:
    events: list[str] = []
    call = MediaCall(far_end, settings(), on_event=lambda name, data: events.append(name))
    try:
        await call.start()
        await call.start_screenshare(EndingTrack(3))
        await eventually(lambda: "screenshare_stopped" in events)
        await call.start_screenshare(ColourTrack((0, 255, 0)))
        before = frames_of(far_end, "2")
        await eventually(lambda: frames_of(far_end, "2") > before + 2)
    finally:
        await call.close()


async def test_echo_cancelling_call_feeds_received_audio_as_the_reference(far_end: FakeFarEnd) -> None:
    call = MediaCall(far_end, settings(processing=ProcessingSettings(True, False, False)))
    try:
        await call.start()
        assert call.processor is not None
        processor = call.processor
        await eventually(lambda: processor.render_chunks > 20 and processor.capture_chunks > 20)
    finally:
        await call.close()


async def test_direct_media_takes_trickled_remote_candidates(far_end: FakeFarEnd) -> None:
    from appliance.media import sdp as sdp_text

    far_end.direct_media = True
    call = MediaCall(far_end, settings())
    try:
        await call.start()
        offer = await far_end.make_offer()
        await call.handle_remote_offer(sdp_text.strip_candidates(offer))
        for candidate in sdp_text.candidates(offer):
            await call.add_remote_candidate(candidate.to_wire())
        await call.add_remote_candidate({"candidate": "", "mid": "0"})
        await eventually(lambda: call.main_video.stats.frames > 3)
    finally:
        await call.close()


async def test_received_audio_is_played_to_the_output(far_end: FakeFarEnd, tmp_path: Path) -> None:
    target = tmp_path / "room-speaker.wav"
    output = AudioOutput(str(target), "wav")
    call = MediaCall(far_end, settings(), audio_output=output)
    try:
        await call.start()
        await eventually(lambda: call.audio.frames > 25)
    finally:
        await call.close()
        output.close()  # the output is the caller's: the call leaves it open
    with wave.open(str(target)) as played:
        samples = np.frombuffer(played.readframes(played.getnframes()), dtype=np.int16)
    assert samples.size > 48000 * 0.3
    assert float(np.sqrt(np.mean(samples.astype(np.float64) ** 2))) > 500


async def test_a_second_call_plays_into_the_output_the_first_call_used(
    far_end: FakeFarEnd, tmp_path: Path
) -> None:
    # a transfer: one client, one output, one call after the other
    target = tmp_path / "room-speaker.wav"
    output = AudioOutput(str(target), "wav")
    first = MediaCall(far_end, settings(), audio_output=output)
    try:
        await first.start()
        await eventually(lambda: first.audio.frames > 5)
    finally:
        await first.close()
    before = output.written
    second = MediaCall(far_end, settings(), audio_output=output)
    try:
        await second.start()
        await eventually(lambda: output.written > before + 48000 * 0.3)
    finally:
        await second.close()
        output.close()


async def test_a_refused_ack_leaves_no_call_behind(far_end: FakeFarEnd) -> None:
    from appliance.errors import InfinityError

    async def refuse(call_uuid: str, sdp: str | None = None) -> None:
        raise InfinityError("ack refused")

    far_end.ack = refuse  # type: ignore[method-assign]
    call = MediaCall(far_end, settings())
    with pytest.raises(InfinityError):
        await call.start()
    assert not call.active and call.call_uuid is None
    assert far_end.ops()[-1] == "disconnect"
    await call.close()


async def test_presentation_call_leaves_the_room_devices_closed(far_end: FakeFarEnd) -> None:
    call = MediaCall(far_end, settings(call_type=CallType.PRESENTATION))
    try:
        await call.start()
        assert call.audio_out.source is None and call.video_out.source is None
    finally:
        await call.close()


async def test_downgrade_to_audioonly_idles_the_video_lines(far_end: FakeFarEnd) -> None:
    from appliance.media import sdp as sdp_text

    call = MediaCall(far_end, settings())
    try:
        await call.start()
        await call.add_call(CallType.AUDIOONLY)
        update = [body for name, body in far_end.log if name == "update"][-1]
        assert sdp_text.directions(update["sdp"]) == {"0": "sendrecv", "1": "inactive", "2": "inactive"}
        assert call.video_out.source is None
    finally:
        await call.close()


async def test_user_presentation_stream_is_held_to_screenshare_fps(far_end: FakeFarEnd) -> None:
    fast = ColourTrack((0, 255, 0))
    fast.fps = 30
    call = MediaCall(far_end, settings(user_presentation_stream=[fast], screenshare_fps=5.0))
    try:
        await call.start()
        await call.start_screenshare()
        await eventually(lambda: fast._count >= 60)  # two seconds of the 30 fps source
        relayed = call.screen_out.frames_sent
        # 5 of every 30 frames pass (one more for the first and for pacing jitter)
        assert 0 < relayed <= fast._count * 5 / 30 + 2
        call.stop_screenshare()
        assert fast.readyState == "live"  # the caller's track is the caller's
    finally:
        await call.close()


async def test_a_track_given_to_start_screenshare_is_held_to_screenshare_fps(far_end: FakeFarEnd) -> None:
    fast = ColourTrack((0, 255, 0))
    fast.fps = 30
    call = MediaCall(far_end, settings(screenshare_fps=5.0))
    try:
        await call.start()
        await call.start_screenshare(fast)
        await eventually(lambda: fast._count >= 60)
        assert 0 < call.screen_out.frames_sent <= fast._count * 5 / 30 + 2
        call.stop_screenshare()
        assert fast.readyState == "ended"
    finally:
        await call.close()


async def test_media_statistics_before_any_packet_has_the_whole_structure(far_end: FakeFarEnd) -> None:
    call = MediaCall(far_end, settings())
    call.mute_audio(True)  # nothing will be sent, so the outgoing counters stay unread
    call.mute_video(True)
    try:
        await call.start()
        stats = await call.media_statistics()
        assert set(stats["outgoing"]) >= {"audio", "video"}
        assert stats["outgoing"]["video"]["packets-sent"] == 0
        assert stats["outgoing"]["audio"]["bitrate"] == 0
    finally:
        await call.close()


async def test_a_vp8_call_decodes_on_the_preferred_native_vp8_decoder(far_end: FakeFarEnd) -> None:
    # the session's codecs keep the default VP8 preference: FFmpeg's vp8, then libvpx
    call = MediaCall(far_end, settings(h264_enabled=False))
    try:
        await call.start()
        await eventually(lambda: call.main_video.stats.frames > 3)
        stats = await call.media_statistics()
        assert stats["incoming"]["video"]["decoder"] == "vp8"
        assert call.main_video.slot.take(timeout=1.0) is not None
    finally:
        await call.close()
