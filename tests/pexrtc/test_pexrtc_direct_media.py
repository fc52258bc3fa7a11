"""Two PexRTC participants in a direct-media room: media peer to peer, the node only relays.

The lab node here runs without media at all (``media=False``): a call that
reached its mixer would be refused, so media arriving proves it flowed
peer to peer. The two cameras tell the directions apart: Alice sends
``testsrc`` (many colours), Bob a solid red picture.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

import aiohttp
import numpy as np
import pytest

from appliance import PexRTC
from appliance.labnode.app import LabNode
from appliance.media.encoders import install_codecs
from appliance.media.ice import use_host_addresses
from tests.support.recorder import Recorder

pytestmark = pytest.mark.media

TONE = "sine=frequency=440:sample_rate=48000"
PATTERN = "testsrc=size=320x240:rate=15"
RED = "color=c=red:size=320x240:rate=15"
WAIT = 15.0


@dataclass
class Side:
    rtc: PexRTC
    rec: Recorder
    stream: Any


@dataclass
class Pair:
    node: LabNode
    alice: Side
    bob: Side


@pytest.fixture
async def direct_node() -> AsyncIterator[LabNode]:
    use_host_addresses(["127.0.0.1"])
    install_codecs()
    async with LabNode(host="127.0.0.1", port=0, media=False) as lab:
        yield lab


async def _join(node: LabNode, name: str, camera: str, made: list[PexRTC]) -> Side:
    rtc = PexRTC()
    made.append(rtc)
    rec = Recorder(rtc)
    rtc.audio_source, rtc.video_source, rtc.fecc_supported = TONE, camera, True
    rtc.makeCall(node.url, "direct", name, None, "video")
    await rec.wait_for("onSetup")
    rtc.connect()
    await rec.wait_for("onConnect", lambda stream: stream is None)
    (stream,) = await rec.wait_for("onConnect")
    return Side(rtc, rec, stream)


async def _media_up(side: Side) -> None:
    async with asyncio.timeout(WAIT):
        await side.rtc.conference.media.call.wait_connected()


@pytest.fixture
async def pair(direct_node: LabNode) -> AsyncIterator[Pair]:
    """Alice joins first (and waits), Bob second; both with media up."""
    made: list[PexRTC] = []
    try:
        alice = await _join(direct_node, "Alice", PATTERN, made)
        bob = await _join(direct_node, "Bob", RED, made)
        await _media_up(alice)
        await _media_up(bob)
        yield Pair(direct_node, alice, bob)
    finally:
        for rtc in made:
            await rtc.close()


async def _mean_colour(side: Side) -> np.ndarray[Any, Any]:
    """Mean RGB of a decoded frame from the far end (after the first few, once the picture settled)."""
    sink = side.stream.video
    async with asyncio.timeout(WAIT):
        await sink.frame_arrived.wait()
        frames = 0
        while frames < 5:
            shown = sink.slot.take_nowait()
            if shown is None:
                await asyncio.sleep(0.05)
                continue
            frames += 1
    rgb = shown.source_frame.to_ndarray(format="rgb24")
    return rgb.reshape(-1, 3).mean(axis=0)


async def test_direct_call_carries_media_without_the_nodes_mixer(pair: Pair) -> None:
    conference = pair.node.conference("direct")
    assert conference.hub is None
    assert conference.get(pair.alice.rtc.uuid).has_media and conference.get(pair.bob.rtc.uuid).has_media


async def test_direct_call_each_side_decodes_the_others_camera(pair: Pair) -> None:
    red, green, blue = await _mean_colour(pair.alice)  # Bob's solid red
    assert red > 200 and green < 60 and blue < 60
    red, green, blue = await _mean_colour(pair.bob)  # Alice's test pattern: every colour
    assert min(red, green, blue) > 60


async def test_direct_call_secure_check_codes_match_on_both_ends(pair: Pair) -> None:
    code = pair.alice.rtc.getSecureCheckCode()
    assert len(code) == 64 and code != "INVALID"
    assert pair.bob.rtc.getSecureCheckCode() == code


async def _channel_open(side: Side) -> None:
    async with asyncio.timeout(WAIT):
        await side.rtc.conference.media.data_channel_open()


async def test_direct_call_chat_goes_over_the_data_channel(pair: Pair) -> None:
    await _channel_open(pair.alice)
    await pair.alice.rtc.sendChatMessage("hello Bob")
    (message,) = await pair.bob.rec.wait_for("onChatMessage")
    assert (message["origin"], message["payload"], message["uuid"]) == (
        "Alice",
        "hello Bob",
        pair.alice.rtc.uuid,
    )
    assert message["type"] == "text/plain"


async def test_direct_call_application_message_goes_over_the_data_channel(pair: Pair) -> None:
    await _channel_open(pair.bob)
    await pair.bob.rtc.sendApplicationMessage({"slide": 3})
    (message,) = await pair.alice.rec.wait_for("onApplicationMessage")
    assert (message["type"], message["payload"]) == ("application/json", '{"slide": 3}')


async def test_direct_call_fecc_goes_over_the_data_channel(pair: Pair) -> None:
    await _channel_open(pair.alice)
    assert await pair.alice.rtc.sendFECC("start", "pan", "left", None, 500) is True
    (signal,) = await pair.bob.rec.wait_for("onFECC")
    assert signal == {"action": "start", "movement": [{"axis": "pan", "direction": "left"}], "timeout": 500}


async def test_direct_call_renegotiation_is_answered_by_the_peer(pair: Pair) -> None:
    code = pair.alice.rtc.getSecureCheckCode()
    alice_pc = pair.alice.rtc.conference.media.call.pc
    first_offer = alice_pc.remoteDescription.sdp
    await pair.bob.rtc.renegotiate(True)  # update -> update_sdp to Alice -> her answer in ack
    assert alice_pc.remoteDescription.sdp != first_offer
    await _channel_open(pair.bob)
    await pair.bob.rtc.sendChatMessage("still here")
    (message,) = await pair.alice.rec.wait_for("onChatMessage")
    assert message["payload"] == "still here"
    assert pair.bob.rtc.getSecureCheckCode() == code


async def test_direct_call_peer_leaving_sends_the_other_back_to_waiting(pair: Pair) -> None:
    await pair.bob.rtc.disconnect()
    (splash,) = await pair.alice.rec.wait_for("onSplashScreen", lambda p=None: p is not None)
    assert splash["screen_key"] == "direct_media_welcome"
    media = pair.alice.rtc.conference._media
    assert media is not None
    async with asyncio.timeout(WAIT):
        # no callback marks "called again, offer ignored": poll the media state
        while not (media.call_uuid is not None and not media.active):  # noqa: ASYNC110
            await asyncio.sleep(0.05)
    assert pair.alice.rtc.getSecureCheckCode() == "INVALID"


async def test_direct_call_newcomer_reconnects_to_the_waiting_side(pair: Pair, direct_node: LabNode) -> None:
    await pair.bob.rtc.disconnect()
    await pair.alice.rec.wait_for("onSplashScreen", lambda p=None: p is not None)
    made: list[PexRTC] = []
    try:
        carol = await _join(direct_node, "Carol", RED, made)
        await _media_up(carol)
        await _media_up(pair.alice)
        assert carol.rtc.getSecureCheckCode() == pair.alice.rtc.getSecureCheckCode() != "INVALID"
    finally:
        for rtc in made:
            await rtc.close()


async def test_onsplashscreen_background_is_a_theme_url_with_the_token(direct_node: LabNode) -> None:
    rtc = PexRTC()
    rec = Recorder(rtc)
    try:
        rtc.makeCall(direct_node.url, "direct", "Alone", None, "none")
        await rec.wait_for("onSetup")
        rtc.connect()
        (properties,) = await rec.wait_for("onSplashScreen")
        assert set(properties) == {"screen_key", "text", "background", "display_duration"}
        url = urlsplit(properties["background"])
        assert parse_qs(url.query)["token"] == [rtc.conference.session.token]
        async with aiohttp.ClientSession() as http, http.get(properties["background"]) as image:
            assert (image.status, image.content_type) == (200, "image/jpeg")
    finally:
        await rtc.close()
