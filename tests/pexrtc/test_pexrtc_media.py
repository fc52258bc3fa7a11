"""PexRTC media calls against the lab node with real WebRTC (aiortc) on 127.0.0.1."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Callable
from typing import Any

import aiohttp
import pytest

from appliance import PexRTC
from appliance.labnode.app import LabNode
from appliance.media.encoders import install_codecs
from appliance.media.handoff import LatestSlot
from appliance.media.ice import use_host_addresses
from appliance.pexrtc.facade import CALLBACK_ARGUMENTS
from appliance.pexrtc.media import STATS_INTERVAL, MediaOutputs, MediaStream
from tests.support.recorder import Recorder

pytestmark = pytest.mark.media

TONE = "sine=frequency=440:sample_rate=48000"
PATTERN = "testsrc=size=320x180:rate=15"
SLIDES = "testsrc2=size=640x360:rate=5"

Call = Callable[..., Any]


@pytest.fixture
async def media_node() -> AsyncIterator[LabNode]:
    use_host_addresses(["127.0.0.1"])
    install_codecs()
    async with LabNode(host="127.0.0.1", port=0, media=True, width=320, height=180, fps=10) as lab:
        yield lab


@pytest.fixture
async def call(media_node: LabNode) -> AsyncIterator[Call]:
    """Join ``meet`` with a media call from lavfi test sources; returns (rtc, recorder, remote stream)."""
    made: list[PexRTC] = []

    async def run(
        name: str = "Alice", call_type: str = "video", outputs_slot: Any = None, **variables: Any
    ) -> tuple[PexRTC, Recorder, Any]:
        rtc = PexRTC(outputs=MediaOutputs(main_slot=outputs_slot))
        made.append(rtc)
        rec = Recorder(rtc)
        rtc.audio_source = TONE
        rtc.video_source = PATTERN
        for key, value in variables.items():
            setattr(rtc, key, value)
        rtc.makeCall(media_node.url, "meet", name, None, call_type)
        await rec.wait_for("onSetup")
        rtc.connect()
        await rec.wait_for("onConnect", lambda stream: stream is None)
        (stream,) = await rec.wait_for("onConnect")
        return rtc, rec, stream

    yield run
    for rtc in made:
        await rtc.close()


async def test_video_call_onsetup_carries_the_local_stream(media_node: LabNode) -> None:
    rtc = PexRTC()
    rec = Recorder(rtc)
    rtc.audio_source, rtc.video_source = TONE, PATTERN
    try:
        rtc.makeCall(media_node.url, "meet", "Alice", None, "video")
        stream, pin_status, _, _ = await rec.wait_for("onSetup")
        assert isinstance(stream, MediaStream) and stream.kind == "local"
        assert stream.audio is not None and stream.video is not None
        assert pin_status == "none"
    finally:
        await rtc.close()


async def test_video_call_onconnect_first_without_then_with_the_remote_stream(call: Call) -> None:
    _, rec, stream = await call()
    assert next(args for name, args in rec.events if name == "onConnect") == (None,)
    assert isinstance(stream, MediaStream) and stream.kind == "remote"


async def test_video_call_receives_decoded_frames_of_the_mix(call: Call) -> None:
    _, _, stream = await call()
    async with asyncio.timeout(15):
        await stream.video.frame_arrived.wait()
    assert stream.video.slot.take_nowait() is not None


async def test_video_call_is_seen_by_others_as_a_media_participant(call: Call, media_node: LabNode) -> None:
    rtc, _, _ = await call()
    assert media_node.conference("meet").get(rtc.uuid).has_media


# getMediaStatistics()'s return value in the document, key for key.
DOCUMENT_STATISTICS = {
    direction: {
        "audio": {"bitrate", "packets-lost", "packets-received", "percentage-lost"},
        "video": {
            "decode-delay",
            "bitrate",
            "packets-lost",
            "packets-received",
            "percentage-lost",
            "resolution",
        },
    }
    for direction in ("outgoing", "incoming")
}


def _missing_statistics(stats: dict[str, Any]) -> dict[str, set[str]]:
    """Every document key absent from ``stats``, by ``direction.kind``."""
    missing = {}
    for direction, kinds in DOCUMENT_STATISTICS.items():
        for kind, keys in kinds.items():
            absent = keys - set(stats.get(direction, {}).get(kind, {}))
            if absent:
                missing[f"{direction}.{kind}"] = absent
    return missing


async def test_getmediastatistics_has_the_document_nested_shape(call: Call) -> None:
    rtc, _, stream = await call()
    async with asyncio.timeout(15):
        await stream.video.frame_arrived.wait()
    for _ in range(30):  # statistics are sampled every STATS_INTERVAL
        stats = rtc.getMediaStatistics()
        if stats["incoming"].get("video", {}).get("resolution") and stats["outgoing"]["video"]["bitrate"]:
            break
        await asyncio.sleep(STATS_INTERVAL / 2)
    assert _missing_statistics(stats) == {}
    assert stats["incoming"]["video"]["resolution"] == "320x180"
    assert stats["outgoing"]["video"]["resolution"] == "320x180"
    assert stats["incoming"]["audio"]["packets-received"] > 0


async def test_getmediastatistics_has_the_whole_structure_as_soon_as_onconnect_gives_the_stream(
    media_node: LabNode,
) -> None:
    rtc = PexRTC()
    rec = Recorder(rtc)
    rtc.audio_source, rtc.video_source = TONE, PATTERN
    seen: list[dict[str, Any]] = []
    connected = asyncio.Event()

    def on_connect(stream: Any) -> None:
        if stream is not None:
            seen.append(rtc.getMediaStatistics())
            connected.set()

    try:
        rtc.makeCall(media_node.url, "meet", "Alice", None, "video")
        await rec.wait_for("onSetup")
        rtc.onConnect = on_connect
        rtc.connect()
        async with asyncio.timeout(15):
            await connected.wait()
        assert _missing_statistics(seen[0]) == {}
    finally:
        await rtc.close()


async def test_getsecurecheckcode_is_a_sha256_hex_during_a_call(call: Call) -> None:
    rtc, _, _ = await call()
    assert re.fullmatch(r"[0-9a-f]{64}", rtc.getSecureCheckCode())


async def test_getsecurecheckcode_is_invalid_without_media(media_node: LabNode) -> None:
    rtc = PexRTC()
    assert rtc.getSecureCheckCode() == "INVALID"
    assert rtc.getMediaStatistics() == {}
    await rtc.close()


async def test_disconnectcall_drops_media_and_keeps_the_participant(call: Call, media_node: LabNode) -> None:
    rtc, _, _ = await call()
    await rtc.disconnectcall()
    member = media_node.conference("meet").get(rtc.uuid)
    assert not member.calls
    assert rtc.getMediaStatistics() == {}


async def test_addcall_escalates_a_roster_only_participant_to_video(media_node: LabNode) -> None:
    rtc = PexRTC()
    rec = Recorder(rtc)
    rtc.audio_source, rtc.video_source = TONE, PATTERN
    try:
        rtc.makeCall(media_node.url, "meet", "Alice", None, "none")
        await rec.wait_for("onSetup")
        rtc.connect()
        await rec.wait_for("onConnect")
        rtc.addCall(None)
        (stream,) = await rec.wait_for("onConnect")
        assert stream.kind == "remote"
        assert media_node.conference("meet").get(rtc.uuid).calls
    finally:
        await rtc.close()


async def test_renegotiate_with_resend_sdp_returns_when_the_update_is_done(call: Call) -> None:
    rtc, _, _ = await call()
    rtc.bandwidth_out = 512
    await rtc.renegotiate(True)
    assert rtc.conference.media.call.settings.bandwidth_out == 512


async def test_muteaudio_sends_silence_from_the_local_relay(call: Call) -> None:
    rtc, _, _ = await call()
    assert rtc.muteAudio(True) is True
    assert rtc.conference.media.call.audio_out.muted


async def test_senddtmf_without_uuid_goes_into_the_call(call: Call, media_node: LabNode) -> None:
    rtc, _, _ = await call()
    await rtc.sendDTMF("1234#")
    assert media_node.conference("meet").get(rtc.uuid).dtmf_sent == ["1234#"]


async def test_onstageupdate_lists_media_participants(call: Call) -> None:
    rtc, rec, _ = await call()
    (stage,) = await rec.wait_for(
        "onStageUpdate", lambda s: any(e["participant_uuid"] == rtc.uuid for e in s)
    )
    assert {"participant_uuid", "stage_index", "vad"} <= set(stage[0])


async def test_present_screen_fires_onscreenshareconnected_and_others_see_onpresentation(call: Call) -> None:
    presenter, presenter_rec, _ = await call("Presenter", user_presentation_stream=SLIDES)
    _, viewer_rec, _ = await call("Viewer")
    presenter.present("screen")
    (share,) = await presenter_rec.wait_for("onScreenshareConnected")
    assert share.kind == "screenshare"
    _setting, label, uuid, _source = await viewer_rec.wait_for("onPresentation", lambda s, *r: s is True)
    assert label.startswith("Presenter") and uuid == presenter.uuid


async def test_present_none_stops_the_share(call: Call) -> None:
    presenter, presenter_rec, _ = await call("Presenter", user_presentation_stream=SLIDES)
    _, viewer_rec, _ = await call("Viewer")
    presenter.present("screen")
    await presenter_rec.wait_for("onScreenshareConnected")
    presenter.present(None)
    await presenter_rec.wait_for("onScreenshareStopped")
    assert await viewer_rec.wait_for("onPresentation", lambda s, *r: s is False) == (False, None, None, None)


async def test_another_presenter_stops_our_screenshare(call: Call) -> None:
    first, first_rec, _ = await call("First", user_presentation_stream=SLIDES)
    second, second_rec, _ = await call("Second", user_presentation_stream=SLIDES)
    first.present("screen")
    await first_rec.wait_for("onScreenshareConnected")
    second.present("screen")
    await second_rec.wait_for("onScreenshareConnected")
    (reason,) = await first_rec.wait_for("onScreenshareStopped")
    assert "another" in reason


async def test_onpresentationreload_gives_a_fetchable_jpeg_url(call: Call) -> None:
    presenter, presenter_rec, _ = await call("Presenter", user_presentation_stream=SLIDES)
    _, viewer_rec, _ = await call("Viewer")
    presenter.present("screen")
    await presenter_rec.wait_for("onScreenshareConnected")
    (url,) = await viewer_rec.wait_for("onPresentationReload")
    async with aiohttp.ClientSession() as http, http.get(url) as response:
        assert response.status == 200
        assert (await response.read())[:2] == b"\xff\xd8"


async def test_getpresentation_fires_onpresentationconnected(call: Call) -> None:
    presenter, _presenter_rec, _ = await call("Presenter", user_presentation_stream=SLIDES)
    viewer, viewer_rec, _ = await call("Viewer")
    presenter.present("screen")
    await viewer_rec.wait_for("onPresentation", lambda s, *r: s is True)
    viewer.getPresentation()
    (stream,) = await viewer_rec.wait_for("onPresentationConnected")
    assert stream.kind == "presentation"
    async with asyncio.timeout(15):
        await stream.video.frame_arrived.wait()


async def test_presentation_stop_fires_onpresentationdisconnected_for_a_receiving_viewer(call: Call) -> None:
    presenter, _presenter_rec, _ = await call("Presenter", user_presentation_stream=SLIDES)
    viewer, viewer_rec, _ = await call("Viewer")
    presenter.present("screen")
    await viewer_rec.wait_for("onPresentation", lambda s, *r: s is True)
    viewer.getPresentation()
    await viewer_rec.wait_for("onPresentationConnected")
    presenter.present(None)
    assert await viewer_rec.wait_for("onPresentationDisconnected")


async def test_missing_default_camera_is_fatal_onerror(media_node: LabNode) -> None:
    rtc = PexRTC()
    rec = Recorder(rtc)
    rtc.video_source = "/dev/video-that-does-not-exist"
    rtc.audio_source = False
    try:
        rtc.makeCall(media_node.url, "meet", "Alice", None, "video")
        (err,) = await rec.wait_for("onError")
        assert "camera or microphone" in err
        assert rec.count("onSetup") == 0
    finally:
        await rtc.close()


async def test_renegotiate_without_resend_sdp_switches_the_camera(call: Call) -> None:
    rtc, _, _ = await call()
    rtc.video_source = "testsrc2=size=320x180:rate=15"
    await rtc.renegotiate()
    assert rtc.conference.media.call.video_out.source.spec.device == "testsrc2=size=320x180:rate=15"


async def test_sendfecc_without_target_goes_into_the_call(call: Call) -> None:
    rtc, _, _ = await call(fecc_supported=True)
    # The lab node has no gateway far end, so it accepts and reports "not acted on".
    assert await rtc.sendFECC("start", "zoom", "in", None, 200) is False


async def test_outputs_route_decoded_video_into_the_callers_slot(call: Call) -> None:
    slot: LatestSlot[Any] = LatestSlot()
    _, _, stream = await call(outputs_slot=slot)
    assert stream.video.slot is slot
    async with asyncio.timeout(15):
        await stream.video.frame_arrived.wait()
    assert slot.take_nowait() is not None


async def _receiving_presentation(call: Call) -> tuple[PexRTC, Recorder]:
    """A viewer receiving a presenter's screen in full frame rate (getPresentation)."""
    presenter, _presenter_rec, _ = await call("Presenter", user_presentation_stream=SLIDES)
    viewer, viewer_rec, _ = await call("Viewer")
    presenter.present("screen")
    await viewer_rec.wait_for("onPresentation", lambda s, *r: s is True)
    viewer.getPresentation()
    await viewer_rec.wait_for("onPresentationConnected")
    return viewer, viewer_rec


async def test_disconnectcall_while_receiving_a_presentation_fires_onpresentationdisconnected(
    call: Call,
) -> None:
    viewer, viewer_rec = await _receiving_presentation(call)
    await viewer.disconnectcall()
    assert await viewer_rec.wait_for("onPresentationDisconnected") == ("Call disconnected",)


async def test_disconnect_while_receiving_a_presentation_fires_onpresentationdisconnected(
    call: Call,
) -> None:
    viewer, viewer_rec = await _receiving_presentation(call)
    await viewer.disconnect()
    assert await viewer_rec.wait_for("onPresentationDisconnected") == ("Call disconnected",)


async def test_node_disconnect_while_receiving_a_presentation_fires_onpresentationdisconnected_first(
    call: Call, media_node: LabNode
) -> None:
    viewer, viewer_rec = await _receiving_presentation(call)
    assert media_node.control.kick(viewer.uuid, "Disconnected by an administrator")
    await viewer_rec.wait_for("onDisconnect")
    ended = viewer_rec.names()
    assert ended.index("onPresentationDisconnected") < ended.index("onDisconnect")
    assert ("onPresentationDisconnected", ("Disconnected by an administrator",)) in viewer_rec.events


async def test_presentation_callbacks_carry_exactly_the_declared_arguments(call: Call) -> None:
    # The recorder's handlers take *args, so they see everything emitted.
    viewer, viewer_rec = await _receiving_presentation(call)
    await viewer.disconnectcall()
    await viewer_rec.wait_for("onPresentationDisconnected")
    for name, args in viewer_rec.events:
        if name in ("onPresentation", "onLayoutUpdate", "onSetup", "onPresentationConnected"):
            assert len(args) == len(CALLBACK_ARGUMENTS[name]), name


RED = "color=c=red:size=320x180:rate=15"


def _has_media(uuid: str | None, media: bool) -> Callable[[dict[str, Any]], bool]:
    return lambda p: p["uuid"] == uuid and p["has_media"] is media


async def test_disconnectcall_is_seen_by_another_participant_as_the_media_ending(call: Call) -> None:
    _, observer, _ = await call("Observer")
    rtc, _, _ = await call("Alice")
    (member,) = await observer.wait_for("onParticipantUpdate", _has_media(rtc.uuid, True))
    assert member["is_video_call"] == "YES"
    observer.mark_seen()
    await rtc.disconnectcall()
    (member,) = await observer.wait_for("onParticipantUpdate", _has_media(rtc.uuid, False))
    assert member["is_video_call"] == "NO"
    assert member["service_type"] == "conference"  # still in the roster, roster-only


async def test_addcall_is_seen_by_another_participant_as_media_starting(
    call: Call, media_node: LabNode
) -> None:
    _, observer, _ = await call("Observer")
    rtc = PexRTC()
    rec = Recorder(rtc)
    rtc.audio_source, rtc.video_source = TONE, PATTERN
    try:
        rtc.makeCall(media_node.url, "meet", "Alice", None, "none")
        await rec.wait_for("onSetup")
        rtc.connect()
        await rec.wait_for("onConnect")
        await observer.wait_for("onParticipantCreate", _has_media(rtc.uuid, False))
        observer.mark_seen()
        rtc.addCall("video")
        (member,) = await observer.wait_for("onParticipantUpdate", _has_media(rtc.uuid, True))
        assert member["is_video_call"] == "YES"
    finally:
        await rtc.close()


def _red_share(frame: Any) -> float:
    rgb = frame.source_frame.to_ndarray(format="rgb24").astype(int)
    red = (rgb[..., 0] > 170) & (rgb[..., 1] < 90) & (rgb[..., 2] < 90)
    return float(red.mean())


async def _red_share_seen(stream: Any, above: float, frames: int) -> float:
    """The largest share of red pixels among the next ``frames`` decoded frames (stops early above it)."""
    best = 0.0
    seen = 0
    async with asyncio.timeout(30):
        while seen < frames and best <= above:
            shown = stream.video.slot.take_nowait()
            if shown is None:
                await asyncio.sleep(0.02)
                continue
            seen += 1
            best = max(best, _red_share(shown))
    return best


async def test_renegotiate_with_resend_sdp_sends_the_new_camera_to_the_others(call: Call) -> None:
    _, _, observer_stream = await call("Observer")
    rtc, _, _ = await call("Alice")
    assert await _red_share_seen(observer_stream, 0.3, 20) < 0.3  # Alice's test pattern
    rtc.video_source = RED
    await rtc.renegotiate(True)
    assert await _red_share_seen(observer_stream, 0.3, 100) > 0.3  # Alice's tile in the mix is red now
