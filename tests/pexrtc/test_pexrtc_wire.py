"""Our client on the wire, recorded between it and the lab node, next to what pexrtc.js sends."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from appliance.labnode.app import LabNode
from appliance.media.encoders import install_codecs
from appliance.media.ice import use_host_addresses
from appliance.pexrtc.core import Conference
from appliance.pexrtc.media import MediaPreferences
from tests.support.recorder import Recorder
from tests.support.wire import RecordingProxy, WireRequest

TONE = "sine=frequency=440:sample_rate=48000"
PATTERN = "testsrc=size=320x180:rate=15"
PREFS = MediaPreferences(audio_source=TONE, video_source=PATTERN)


@pytest.fixture
async def wire() -> AsyncIterator[RecordingProxy]:
    """A lab node with media behind a recording proxy."""
    use_host_addresses(["127.0.0.1"])
    install_codecs()
    async with (
        LabNode(host="127.0.0.1", port=0, media=True, width=320, height=180, fps=10) as node,
        RecordingProxy(node.url) as proxy,
    ):
        yield proxy


async def join(
    proxy: RecordingProxy, recorder: Recorder, call_type: str = "none", **mute: bool
) -> Conference:
    conference = Conference(recorder)
    conference.mute_audio(mute.get("audio", False))
    conference.mute_video(mute.get("video", False))
    await conference.make_call(proxy.url, "meet", "Alice", call_type=call_type, prefs=PREFS)
    await recorder.wait_for("onSetup")
    await conference.connect()
    for _ in range(1 if call_type == "none" else 2):  # a media call reports onConnect twice
        await recorder.wait_for("onConnect")
    return conference


async def eventually_sent(proxy: RecordingProxy, suffix: str, within: float = 10.0) -> list[WireRequest]:
    async with asyncio.timeout(within):
        while not proxy.to(suffix):  # noqa: ASYNC110 - the proxy has no event to wait on
            await asyncio.sleep(0.02)
    return proxy.to(suffix)


async def test_wire_request_token_claims_no_breakout_rooms(wire: RecordingProxy) -> None:
    conference = await join(wire, Recorder())
    try:
        (request,) = wire.to("/request_token")
        body = request.json()
        assert "breakout_capable" not in body and "breakout_rooms" not in body
    finally:
        await conference.close()


async def test_wire_request_token_node_has_host_and_port(wire: RecordingProxy) -> None:
    conference = await join(wire, Recorder())
    try:
        (request,) = wire.to("/request_token")
        assert request.json()["node"] == wire.hostport
    finally:
        await conference.close()


async def test_wire_empty_posts_carry_no_content_type(wire: RecordingProxy) -> None:
    conference = await join(wire, Recorder())
    try:
        await conference.session.refresh_token()
        await conference.control.client_mute()
        empty = [r for r in wire.requests if r.method == "POST" and not r.body]
        assert {r.operation.rsplit("/", 1)[-1] for r in empty} >= {"refresh_token", "client_mute"}
        assert [r.path for r in empty if "Content-Type" in r.headers] == []
    finally:
        await conference.close()


async def test_wire_posts_with_a_body_say_json(wire: RecordingProxy) -> None:
    conference = await join(wire, Recorder())
    try:
        with_body = [r for r in wire.requests if r.method == "POST" and r.body]
        assert with_body  # request_token at least
        assert {r.headers.get("Content-Type") for r in with_body} == {"application/json"}
    finally:
        await conference.close()


@pytest.mark.media
async def test_wire_offer_declares_trickle_ice(wire: RecordingProxy) -> None:
    conference = await join(wire, Recorder(), call_type="video")
    try:
        (calls,) = wire.to("/calls")
        offer = calls.json()["sdp"]
        assert "a=candidate:" not in offer
        sections = offer.split("\r\nm=")[1:]
        assert sections and all("a=ice-options:trickle" in section for section in sections)
    finally:
        await conference.close()


@pytest.mark.media
async def test_wire_bundled_candidates_are_posted_once_on_the_first_mid(wire: RecordingProxy) -> None:
    conference = await join(wire, Recorder(), call_type="video")
    try:
        posted = [r.json() for r in wire.to("/new_candidate")]
        found = [p for p in posted if p["candidate"]]
        ended = [p for p in posted if not p["candidate"]]
        assert found and {p["mid"] for p in found} == {"0"}
        assert len({p["candidate"] for p in found}) == len(found)  # each candidate once
        assert [p["mid"] for p in ended] == ["0"]  # one end-of-candidates, on the same mid
        assert posted[-1] in ended  # after the last candidate
    finally:
        await conference.close()


@pytest.mark.media
async def test_wire_mute_set_before_the_call_is_told_when_it_connects(wire: RecordingProxy) -> None:
    conference = await join(wire, Recorder(), call_type="video", audio=True, video=True)
    try:
        await eventually_sent(wire, "/video_muted")
        await eventually_sent(wire, "/client_mute")
        assert not wire.to("/video_unmuted")
    finally:
        await conference.close()


@pytest.mark.media
async def test_wire_an_unmuted_call_says_video_unmuted_when_it_connects(wire: RecordingProxy) -> None:
    conference = await join(wire, Recorder(), call_type="video")
    try:
        await eventually_sent(wire, "/video_unmuted")
        assert not wire.to("/client_mute") and not wire.to("/video_muted")
    finally:
        await conference.close()
