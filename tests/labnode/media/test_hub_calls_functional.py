"""Offer/answer, candidates, renegotiation and teardown of the hub's calls."""

from __future__ import annotations

import asyncio

import pytest
from aiortc import RTCRtpSender, RTCSessionDescription

from appliance.errors import MediaError
from appliance.labnode.media.hub import AiortcMediaHub
from appliance.media.sdp import media_lines
from tests.support.labnode_media import RecordingEvents, collect_audio, next_frame_where, tone_energy
from tests.support.waiting import eventually

pytestmark = pytest.mark.media


def _section(answer: str, mid: str) -> str:
    return next(s for s in answer.split("m=")[1:] if f"a=mid:{mid}\r\n" in s)


async def test_hub_answer_keeps_the_offer_mids(hub: AiortcMediaHub, clients) -> None:
    answer = await clients("Carol").join(hub)
    assert [m.mid for m in media_lines(answer)] == ["0", "1", "2"]


async def test_hub_answer_tags_the_slides_line(hub: AiortcMediaHub, clients) -> None:
    answer = await clients("Carol").join(hub)
    assert [m.content for m in media_lines(answer)] == [None, None, "slides"]


async def test_hub_answer_picks_vp8_when_the_offer_lists_it_first(hub: AiortcMediaHub, clients) -> None:
    answer = await clients("Carol").join(hub)  # aiortc offers VP8 before H.264
    assert "VP8/90000" in _section(answer, "1").split("a=rtpmap:")[1]


async def test_hub_answer_picks_h264_when_the_offer_lists_it_first(hub: AiortcMediaHub, clients) -> None:
    client = clients("Carol")
    codecs = RTCRtpSender.getCapabilities("video").codecs
    h264_first = sorted(codecs, key=lambda c: c.mimeType != "video/H264")
    for transceiver in client.transceivers[1:]:
        transceiver.setCodecPreferences(h264_first)
    answer = await client.join(hub)
    assert "H264/90000" in _section(answer, "1").split("a=rtpmap:")[1]


async def test_hub_answers_h264_to_an_h264_only_offer(hub: AiortcMediaHub, clients) -> None:
    hub.add_bot("bot-0", "Alice")
    client = clients("Carol")
    h264 = [c for c in RTCRtpSender.getCapabilities("video").codecs if c.mimeType == "video/H264"]
    for transceiver in client.transceivers[1:]:
        transceiver.setCodecPreferences(h264)
    answer = await client.join(hub)
    assert "VP8" not in answer
    await next_frame_where(client.received(1), lambda f: f.width == 640)


async def test_hub_audio_only_call_gets_inactive_video_lines(hub: AiortcMediaHub, clients) -> None:
    answer = await clients("Carol").join(hub, media_type="audio")
    assert [m.direction for m in media_lines(answer)] == ["sendrecv", "inactive", "inactive"]


async def test_hub_receive_only_client_gets_composed_video(hub: AiortcMediaHub, clients) -> None:
    hub.add_bot("bot-0", "Alice")
    client = clients("Watcher", camera=None, directions=("recvonly", "recvonly", "recvonly"))
    answer = await client.join(hub)
    assert [m.direction for m in media_lines(answer)] == ["sendonly"] * 3
    await next_frame_where(client.received(1), lambda f: f.width == 640)


async def test_hub_waiting_room_participant_hears_nothing(hub: AiortcMediaHub, clients) -> None:
    hub.add_bot("bot-0", "Alice")
    client = clients("Carol")
    hub.set_participant_media(
        client.participant_uuid,
        audio_muted=False,
        video_muted=False,
        receives_presentation=True,
        in_conference=False,
    )
    await client.join(hub)
    audio = await collect_audio(client.received(0), 1.0)
    assert tone_energy(audio, hub.bot_signature("bot-0").pitch_hz) < 5.0


async def test_hub_accepts_trickled_candidates(hub: AiortcMediaHub, clients) -> None:
    hub.add_bot("bot-0", "Alice")
    client = clients("Carol")
    offer = await client.offer()
    candidates = [line[2:] for line in offer.split("\r\n") if line.startswith("a=candidate:")]
    bare = "\r\n".join(
        line for line in offer.split("\r\n") if not line.startswith(("a=candidate:", "a=end-of-candidates"))
    )
    answer = await hub.answer(client.request(bare))
    await client.pc.setRemoteDescription(RTCSessionDescription(sdp=answer, type="answer"))
    for candidate in candidates:
        await hub.add_remote_candidate(client.call_uuid, {"candidate": candidate, "mid": "0"})
    await hub.add_remote_candidate(client.call_uuid, {"candidate": "", "mid": "0"})
    await next_frame_where(client.received(1), lambda f: f.width == 640)


async def test_hub_rejects_an_unreadable_candidate(hub: AiortcMediaHub, clients) -> None:
    client = clients("Carol")
    await client.join(hub)
    with pytest.raises(MediaError):
        await hub.add_remote_candidate(client.call_uuid, {"candidate": "candidate:garbage", "mid": "0"})


async def test_hub_update_renegotiates_and_media_keeps_flowing(hub: AiortcMediaHub, clients) -> None:
    hub.add_bot("bot-0", "Alice")
    client = clients("Carol")
    await client.join(hub)
    await next_frame_where(client.received(1), lambda f: True)
    answer = await hub.update(client.request(await client.offer()))
    await client.pc.setRemoteDescription(RTCSessionDescription(sdp=answer, type="answer"))
    assert [m.mid for m in media_lines(answer)] == ["0", "1", "2"]
    for _ in range(5):
        await next_frame_where(client.received(1), lambda f: True)


async def test_hub_update_of_an_unknown_call_is_an_error(hub: AiortcMediaHub, clients) -> None:
    client = clients("Carol")
    with pytest.raises(MediaError):
        await hub.update(client.request(await client.offer()))


async def test_hub_close_call_is_idempotent(hub: AiortcMediaHub, clients) -> None:
    client = clients("Carol")
    await client.join(hub)
    await hub.close_call(client.call_uuid)
    await hub.close_call(client.call_uuid)
    with pytest.raises(MediaError):
        hub.call_statistics(client.call_uuid)


async def test_hub_call_statistics_count_media_both_ways(hub: AiortcMediaHub, clients) -> None:
    hub.add_bot("bot-0", "Alice")
    client = clients("Carol")
    await client.join(hub)
    for _ in range(10):
        await next_frame_where(client.received(1), lambda f: True)
    await asyncio.sleep(1.1)  # one stats refresh
    stats = hub.call_statistics(client.call_uuid)
    assert stats["packets_in"] > 0 and stats["bytes_out"] > 0
    assert stats["frames_decoded"]["video"] > 0 and stats["video_frames_encoded"] >= 10
    assert stats["codecs"]["1"] == "video/VP8"


async def test_hub_reports_a_call_the_client_closed(hub: AiortcMediaHub, clients, events) -> None:
    client = clients("Carol")
    await client.join(hub)
    await next_frame_where(client.received(1), lambda f: True)
    await client.close()
    await eventually(lambda: bool(events.closed))
    assert events.closed[0][0] == client.call_uuid


async def test_hub_remove_participant_closes_its_calls(hub: AiortcMediaHub, clients) -> None:
    client = clients("Carol")
    await client.join(hub)
    await next_frame_where(client.received(1), lambda f: True)
    hub.remove_participant(client.participant_uuid)
    with pytest.raises(MediaError):
        hub.call_statistics(client.call_uuid)
    await eventually(lambda: client.pc.connectionState == "closed")


async def test_hub_close_leaves_no_running_tasks(clients) -> None:
    before = asyncio.all_tasks()
    hub = AiortcMediaHub(RecordingEvents())
    hub.add_bot("bot-0", "Alice")
    client = clients("Carol", slides=(255, 0, 0))
    await client.join(hub)
    hub.set_presenter(client.participant_uuid)
    await next_frame_where(client.received(1), lambda f: True)
    await client.close()
    await hub.close()
    await asyncio.sleep(0.1)
    leftover = {t for t in asyncio.all_tasks() - before if not t.done()}
    assert not leftover, [t.get_name() for t in leftover]


async def test_hub_update_tolerates_an_ice_restart_offer(hub: AiortcMediaHub, clients) -> None:
    hub.add_bot("bot-0", "Alice")
    client = clients("Carol")
    await client.join(hub)
    await next_frame_where(client.received(1), lambda f: True)
    offer = await client.offer()
    restarted = "\r\n".join(
        "a=ice-ufrag:rst1" if line.startswith("a=ice-ufrag:") else line for line in offer.split("\r\n")
    )
    answer = await hub.update(client.request(restarted))
    await client.pc.setRemoteDescription(RTCSessionDescription(sdp=answer, type="answer"))
    for _ in range(5):
        await next_frame_where(client.received(1), lambda f: True)


async def test_hub_answers_a_browser_style_pexip_offer(hub: AiortcMediaHub) -> None:
    from pathlib import Path

    from appliance.labnode.media_api import CallRequest

    offer = (Path(__file__).parent / "chrome_offer.sdp").read_text().replace("\n", "\r\n")
    answer = await hub.answer(CallRequest("p-1", "c-1", "Browser", offer))
    lines = media_lines(answer)
    assert [(m.mid, m.direction, m.content) for m in lines] == [
        ("0", "sendrecv", None),
        ("1", "sendrecv", None),
        ("2", "sendrecv", "slides"),
    ]
    assert "a=candidate:" in answer


async def test_hub_update_adds_a_slides_line_offered_later(hub: AiortcMediaHub) -> None:
    from aiortc import RTCBundlePolicy, RTCPeerConnection

    from appliance.labnode.media_api import CallRequest
    from appliance.media.ice import rtc_configuration
    from tests.support.media import ToneTrack

    config = rtc_configuration()
    config.bundlePolicy = RTCBundlePolicy.MAX_BUNDLE
    pc = RTCPeerConnection(configuration=config)
    try:
        pc.addTransceiver(ToneTrack(1200.0), direction="sendrecv")
        pc.addTransceiver("video", direction="recvonly")
        await pc.setLocalDescription(await pc.createOffer())
        answer = await hub.answer(CallRequest("p-1", "c-1", "Late", pc.localDescription.sdp))
        await pc.setRemoteDescription(RTCSessionDescription(sdp=answer, type="answer"))
        slides = pc.addTransceiver("video", direction="recvonly")
        await pc.setLocalDescription(await pc.createOffer())
        offer = pc.localDescription.sdp.replace("a=mid:2\r\n", "a=mid:2\r\na=content:slides\r\n")
        answer = await hub.update(CallRequest("p-1", "c-1", "Late", offer))
        await pc.setRemoteDescription(RTCSessionDescription(sdp=answer, type="answer"))
        assert hub.call_statistics("c-1")["roles"] == {"0": "audio", "1": "main", "2": "slides"}
        hub.add_bot("bot-0", "Alice")
        hub.set_presenter("bot-0")
        assert slides.receiver.track is not None
        await next_frame_where(slides.receiver.track, lambda f: f.width == 1280)
    finally:
        await pc.close()


async def test_hub_audio_only_offer_gets_the_mix(hub: AiortcMediaHub) -> None:
    from aiortc import RTCPeerConnection

    from appliance.labnode.media_api import CallRequest
    from appliance.media.ice import rtc_configuration
    from tests.support.media import ToneTrack

    pc = RTCPeerConnection(configuration=rtc_configuration())
    try:
        transceiver = pc.addTransceiver(ToneTrack(1200.0), direction="sendrecv")
        await pc.setLocalDescription(await pc.createOffer())
        request = CallRequest("p-1", "c-1", "Phone", pc.localDescription.sdp, media_type="audio")
        answer = await hub.answer(request)
        await pc.setRemoteDescription(RTCSessionDescription(sdp=answer, type="answer"))
        assert [m.kind for m in media_lines(answer)] == ["audio"]
        hub.add_bot("bot-0", "Alice")
        assert transceiver.receiver.track is not None
        audio = await collect_audio(transceiver.receiver.track, 1.0)
        assert tone_energy(audio, hub.bot_signature("bot-0").pitch_hz) > 100
    finally:
        await pc.close()
