"""Presentation: forwarded on the slides m-line and turned into JPEG stills."""

from __future__ import annotations

import av
import pytest
from aiortc import RTCPeerConnection, RTCSessionDescription

from appliance.labnode.media.bots import PALETTE
from appliance.labnode.media.hub import AiortcMediaHub
from appliance.labnode.media_api import CallRequest
from appliance.media.ice import rtc_configuration
from tests.support.labnode_media import nearest_palette, next_frame_where, region_rgb
from tests.support.media import ColourTrack
from tests.support.waiting import eventually

pytestmark = pytest.mark.media

CYAN = PALETTE.index((40, 205, 215))


def _decode_jpeg(data: bytes) -> av.VideoFrame:
    ctx = av.CodecContext.create("mjpeg", "r")
    frames = ctx.decode(av.Packet(data))
    assert frames, "not a decodable JPEG"
    return frames[0]


async def _wait_for_still(events, within: float = 5.0) -> tuple[bytes, bytes]:
    await eventually(lambda: bool(events.stills), within=within)
    return events.stills[-1]


async def test_hub_forwards_presenters_slides_to_another_client(hub: AiortcMediaHub, clients) -> None:
    presenter = clients("Presenter", slides=PALETTE[CYAN])
    viewer = clients("Viewer")
    await presenter.join(hub)
    await viewer.join(hub)
    hub.set_presenter(presenter.participant_uuid)
    frame = await next_frame_where(
        viewer.received(2), lambda f: nearest_palette(region_rgb(f, 320, 180)) == CYAN
    )
    assert (frame.width, frame.height) == (640, 360)


async def test_hub_makes_jpeg_stills_of_the_presentation(hub: AiortcMediaHub, clients, events) -> None:
    presenter = clients("Presenter", slides=PALETTE[CYAN])
    await presenter.join(hub)
    hub.set_presenter(presenter.participant_uuid)
    jpeg, high = await _wait_for_still(events)
    normal, large = _decode_jpeg(jpeg), _decode_jpeg(high)
    assert jpeg[:2] == b"\xff\xd8" and jpeg[-2:] == b"\xff\xd9"
    assert (normal.width, normal.height) == (640, 360) and large.width >= normal.width


async def test_hub_bot_presenter_sends_slides(hub: AiortcMediaHub, clients, events) -> None:
    hub.add_bot("bot-0", "Alice")
    viewer = clients("Viewer")
    await viewer.join(hub)
    hub.set_presenter("bot-0")
    frame = await next_frame_where(viewer.received(2), lambda f: True)
    assert (frame.width, frame.height) == (1280, 720)
    _, high = await _wait_for_still(events)
    assert _decode_jpeg(high).width == 1280


async def test_hub_withholds_presentation_from_a_client_that_does_not_receive_it(
    hub: AiortcMediaHub, clients
) -> None:
    presenter = clients("Presenter", slides=PALETTE[CYAN])
    viewer = clients("Viewer")
    hub.set_participant_media(
        viewer.participant_uuid,
        audio_muted=False,
        video_muted=False,
        receives_presentation=False,
        in_conference=True,
    )
    await presenter.join(hub)
    await viewer.join(hub)
    hub.set_presenter(presenter.participant_uuid)
    with pytest.raises(TimeoutError):
        await next_frame_where(viewer.received(2), lambda f: True, within=1.5)


async def test_hub_separate_send_and_receive_presentation_calls(hub: AiortcMediaHub) -> None:
    sender = RTCPeerConnection(configuration=rtc_configuration())
    receiver = RTCPeerConnection(configuration=rtc_configuration())
    try:
        sender.addTransceiver(ColourTrack(PALETTE[CYAN], (640, 360)), direction="sendonly")
        incoming = receiver.addTransceiver("video", direction="recvonly")
        for pc, uuid, present in ((sender, "p-send", "send"), (receiver, "p-recv", "receive")):
            await pc.setLocalDescription(await pc.createOffer())
            request = CallRequest(uuid, f"call-{uuid}", uuid, pc.localDescription.sdp, present=present)
            answer = await hub.answer(request)
            await pc.setRemoteDescription(RTCSessionDescription(sdp=answer, type="answer"))
        hub.set_presenter("p-send")
        await next_frame_where(
            incoming.receiver.track, lambda f: nearest_palette(region_rgb(f, 320, 180)) == CYAN
        )
    finally:
        await sender.close()
        await receiver.close()
