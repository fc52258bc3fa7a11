"""makeCall(..., "rtmp" / "stream"): PexRTC publishes camera and microphone to the node's RTMP URL."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from appliance import PexRTC
from appliance.labnode.app import LabNode
from appliance.labnode.state.roster import Member
from tests.support.recorder import Recorder

pytestmark = pytest.mark.media

Make = Callable[..., tuple[PexRTC, Recorder]]
CAMERA = "color=c=0x8000ff:size=320x180:rate=15"
TONE = "sine=frequency=440:sample_rate=48000"


@pytest.fixture
async def node() -> AsyncIterator[LabNode]:
    """This module needs the node's media (its RTMP ingest), unlike the package's default node."""
    async with LabNode(host="127.0.0.1", port=0) as lab:
        yield lab


async def _until(predicate: Callable[[], bool], within: float = 10.0) -> None:
    async with asyncio.timeout(within):
        while not predicate():  # noqa: ASYNC110 - node state has no event to wait on
            await asyncio.sleep(0.05)


async def _streamer(node: LabNode, participant: Make, call_type: str) -> tuple[PexRTC, Recorder, Any]:
    rtc, rec = participant()
    rtc.audio_source, rtc.video_source = TONE, CAMERA
    rtc.makeCall(node.url, "meet", "Streamer", None, call_type)
    await rec.wait_for("onSetup")
    rtc.connect(None)
    # the roster-only onConnect(None) comes first, then the call's
    (stream,) = await rec.wait_for("onConnect", lambda s: s is not None)
    return rtc, rec, stream


def _member(node: LabNode, rtc: PexRTC) -> Member:
    return node.conference("meet").get(rtc.uuid)


def _video_frames_ingested(node: LabNode, member: Member) -> int:
    hub = node.conference("meet").hub
    if hub is None or not member.calls:
        return 0
    stats = hub.call_statistics(next(iter(member.calls)))
    return int(stats["frames_decoded"]["video"])


async def test_makecall_rtmp_publishes_video_the_node_decodes(node: LabNode, participant: Make) -> None:
    rtc, _rec, stream = await _streamer(node, participant, "rtmp")
    member = _member(node, rtc)
    assert stream.kind == "rtmp" and stream.video is not None
    await _until(lambda: _video_frames_ingested(node, member) > 5)
    assert member.participant.protocol == "rtmp" and not member.participant.is_streaming_conference


async def test_makecall_stream_marks_the_participant_streaming(node: LabNode, participant: Make) -> None:
    rtc, _rec, _stream = await _streamer(node, participant, "stream")
    assert _member(node, rtc).participant.is_streaming_conference


async def test_rtmp_statistics_report_what_was_published(node: LabNode, participant: Make) -> None:
    rtc, _rec, _stream = await _streamer(node, participant, "rtmp")
    await _until(
        lambda: (rtc.getMediaStatistics().get("outgoing", {}).get("video") or {}).get("frames-sent", 0) > 0
    )
    assert rtc.getMediaStatistics()["incoming"] == {}


async def test_disconnectcall_ends_the_rtmp_call_and_keeps_the_participant(
    node: LabNode, participant: Make
) -> None:
    rtc, _rec, _stream = await _streamer(node, participant, "rtmp")
    member = _member(node, rtc)
    await _until(lambda: _video_frames_ingested(node, member) > 0)
    await rtc.disconnectcall()
    assert not member.participant.has_media and not member.calls
    assert _member(node, rtc) is member
