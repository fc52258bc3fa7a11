"""The engine through the Infinity client against the lab node: the real signalling path."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from appliance.infinity import InfinitySession, TokenGrant
from appliance.labnode.app import LabNode
from appliance.media.call_type import CallType
from appliance.media.engine import MediaCall
from appliance.media.plan import MediaSettings
from appliance.media.processing import ProcessingSettings
from tests.support.media import CAMERA, MICROPHONE
from tests.support.waiting import eventually

pytestmark = pytest.mark.media


@pytest.fixture
async def session() -> AsyncIterator[InfinitySession]:
    async with LabNode(host="127.0.0.1", port=0) as node, InfinitySession(node.url, "meet") as joined:
        outcome = await joined.join("Room 4")
        assert isinstance(outcome, TokenGrant)
        yield joined


def media_settings(**overrides: object) -> MediaSettings:
    settings = MediaSettings(
        audio_source=MICROPHONE, video_source=CAMERA, processing=ProcessingSettings(False, False, False)
    )
    for key, value in overrides.items():
        setattr(settings, key, value)
    return settings


async def test_labnode_call_delivers_the_conference_picture(session: InfinitySession) -> None:
    call = MediaCall(session.calls, media_settings())
    try:
        await call.start()
        await eventually(lambda: call.main_video.stats.frames > 3)
        shown = call.main_video.slot.take(timeout=1.0)
        assert shown is not None and shown.pixel_format == "bgra"
        stats = await call.media_statistics()
        assert stats["outgoing"]["video"]["packets-sent"] > 0
        assert stats["incoming"]["video"]["decoder"] in {"h264", "libvpx"}
    finally:
        await call.close()


async def test_labnode_secure_check_code_is_a_sha256(session: InfinitySession) -> None:
    call = MediaCall(session.calls, media_settings())
    try:
        await call.start()
        code = call.secure_check_code()
        assert len(code) == 64 and int(code, 16) >= 0
    finally:
        await call.close()


async def test_labnode_disconnect_call_keeps_the_participant_and_allows_a_new_call(
    session: InfinitySession,
) -> None:
    call = MediaCall(session.calls, media_settings())
    try:
        await call.start()
        await call.disconnect_call()
        assert not call.active
        assert session.state.me is not None
        await call.add_call(CallType.VIDEO)
        await eventually(lambda: call.main_video.stats.frames > 3)
    finally:
        await call.close()


async def test_labnode_roster_only_escalates_to_audio_and_video(session: InfinitySession) -> None:
    call = MediaCall(session.calls, media_settings(call_type=CallType.NONE))
    try:
        await call.start()
        assert not call.active
        await call.add_call(CallType.VIDEO)
        await eventually(lambda: call.main_video.stats.frames > 3 and call.audio.frames > 3)
    finally:
        await call.close()
