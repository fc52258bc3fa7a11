"""Call endpoints wired to the real media hub: offer, answer, ack, roster and layout."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiortc import RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamTrack

from appliance.labnode.app import LabNode
from appliance.media.ice import rtc_configuration, use_host_addresses
from tests.support.labnode import Api, Joined

pytestmark = pytest.mark.media


@pytest.fixture
async def media_node() -> AsyncIterator[tuple[LabNode, Api]]:
    use_host_addresses(["127.0.0.1"])
    async with (
        LabNode(port=0, media=True, bots=1) as node,
        aiohttp.ClientSession() as session,
    ):
        if not node.media_enabled:
            pytest.skip(node.state.media_unavailable)
        client = Api(session, node.url)
        yield node, client
        for reader in client.readers:
            await reader.close()


async def _call(joined: Joined) -> tuple[RTCPeerConnection, str, asyncio.Queue[MediaStreamTrack]]:
    pc = RTCPeerConnection(configuration=rtc_configuration())
    tracks: asyncio.Queue[MediaStreamTrack] = asyncio.Queue()
    pc.on("track", tracks.put_nowait)
    pc.addTransceiver("audio", direction="recvonly")
    pc.addTransceiver("video", direction="recvonly")
    await pc.setLocalDescription(await pc.createOffer())
    status, body = await joined.post(
        f"participants/{joined.uuid}/calls",
        {"call_type": "WEBRTC", "sdp": pc.localDescription.sdp, "media_type": "video"},
    )
    assert status == 200, body
    await pc.setRemoteDescription(RTCSessionDescription(sdp=body["result"]["sdp"], type="answer"))
    ack_status, _ack = await joined.post(
        f"participants/{joined.uuid}/calls/{body['result']['call_uuid']}/ack"
    )
    assert ack_status == 200
    return pc, body["result"]["call_uuid"], tracks


async def test_calls_answer_marks_participant_with_media(media_node: tuple[LabNode, Api]) -> None:
    node, api = media_node
    alice = await api.join("meet", "Alice")
    pc, _call_uuid, _tracks = await _call(alice)
    try:
        assert node.conference("meet").members[alice.uuid].participant.has_media
    finally:
        await pc.close()


async def test_calls_media_listener_layout_shows_the_bot(media_node: tuple[LabNode, Api]) -> None:
    node, api = media_node
    alice = await api.join("meet", "Alice")
    reader = await alice.events()
    await reader.wait_for("stage")
    pc, _call_uuid, _tracks = await _call(alice)
    try:
        bot = next(m.uuid for m in node.conference("meet").members.values() if m.kind == "bot")
        layout = await reader.wait_for("layout")
        assert layout.data["participants"] == [bot]
    finally:
        await pc.close()


async def test_calls_deliver_composed_video(media_node: tuple[LabNode, Api]) -> None:
    _node, api = media_node
    alice = await api.join("meet", "Alice")
    pc, _call_uuid, tracks = await _call(alice)
    try:
        async with asyncio.timeout(20):
            while (track := await tracks.get()).kind != "video":
                pass
            frame = await track.recv()
        assert frame.width > 0
    finally:
        await pc.close()


async def test_calls_disconnect_clears_has_media(media_node: tuple[LabNode, Api]) -> None:
    node, api = media_node
    alice = await api.join("meet", "Alice")
    pc, call_uuid, _tracks = await _call(alice)
    try:
        status, body = await alice.post(f"participants/{alice.uuid}/calls/{call_uuid}/disconnect", {})
        assert (status, body["result"]) == (200, None)
        assert not node.conference("meet").members[alice.uuid].participant.has_media
    finally:
        await pc.close()


async def test_calls_disconnect_of_an_ended_call_is_answered_200(media_node: tuple[LabNode, Api]) -> None:
    # Pexip's clients close their peer connection before POSTing calls/{c}/disconnect,
    # so the node may already have ended the call: the late request must not be a 404.
    _node, api = media_node
    alice = await api.join("meet", "Alice")
    pc, call_uuid, _tracks = await _call(alice)
    try:
        path = f"participants/{alice.uuid}/calls/{call_uuid}/disconnect"
        assert (await alice.post(path, {}))[0] == 200
        status, body = await alice.post(path, {})
        assert (status, body["result"]) == (200, None)
    finally:
        await pc.close()


async def test_calls_disconnect_of_an_unknown_call_is_404(media_node: tuple[LabNode, Api]) -> None:
    _node, api = media_node
    alice = await api.join("meet", "Alice")
    status, body = await alice.post(f"participants/{alice.uuid}/calls/no-such-call/disconnect", {})
    assert status == 404
    assert body["status"] == "failed"


async def test_calls_host_media_starts_lobby(media_node: tuple[LabNode, Api]) -> None:
    node, api = media_node
    guest = await api.join("lobby", "Guest", pin="none")
    host = await api.join("lobby", "Host", pin="1234")
    pc, _call_uuid, _tracks = await _call(host)
    try:
        assert node.conference("lobby").started
        assert node.conference("lobby").members[guest.uuid].participant.service_type == "conference"
    finally:
        await pc.close()
