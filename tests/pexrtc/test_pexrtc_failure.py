"""A failed call: onError at once, the tidy-up after it, bounded."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from appliance.backoff import Backoff
from appliance.infinity.errors import CaFileUnreadable
from appliance.infinity.options import ClientOptions, ReconnectPolicy
from appliance.labnode.app import LabNode
from appliance.media.encoders import install_codecs
from appliance.media.ice import use_host_addresses
from appliance.pexrtc.core import Conference
from appliance.pexrtc.media import MediaPreferences
from tests.support.recorder import Recorder

pytestmark = pytest.mark.media

TONE = "sine=frequency=440:sample_rate=48000"
PATTERN = "testsrc=size=320x180:rate=15"
# The event stream gives up within half a second of the node going away; requests
# keep PexRTC's ten retries, which a hang-up to a dead node used to spend first.
OPTIONS = ClientOptions(reconnect=ReconnectPolicy(backoff=Backoff(0.05, linear=True), max_delay=0.2))


@pytest.fixture
async def media_node() -> AsyncIterator[LabNode]:
    use_host_addresses(["127.0.0.1"])
    install_codecs()
    lab = LabNode(host="127.0.0.1", port=0, media=True, width=320, height=180, fps=10)
    await lab.start()
    yield lab
    await lab.close()


async def joined_with_media(node: LabNode, recorder: Recorder) -> Conference:
    conference = Conference(recorder, options=OPTIONS)
    await conference.make_call(
        node.url,
        "meet",
        "Alice",
        call_type="video",
        prefs=MediaPreferences(audio_source=TONE, video_source=PATTERN),
    )
    await recorder.wait_for("onSetup")
    await conference.connect()
    for _ in range(2):  # a media call reports onConnect twice
        await recorder.wait_for("onConnect")
    return conference


async def test_conference_reports_onerror_before_hanging_up_at_a_node_that_is_gone(
    media_node: LabNode,
) -> None:
    recorder = Recorder()
    conference = await joined_with_media(media_node, recorder)
    try:
        await media_node.close()
        # ten retries of calls/{c}/disconnect to the dead node would take ~27 s first
        (message,) = await recorder.wait_for("onError", within=8.0)
        assert "event stream" in message
    finally:
        await conference.close()


async def test_conference_tidy_up_after_a_failure_ends_and_releases_the_devices(media_node: LabNode) -> None:
    recorder = Recorder()
    conference = await joined_with_media(media_node, recorder)
    media = conference.media
    try:
        await media_node.close()
        await recorder.wait_for("onError", within=30.0)
        async with asyncio.timeout(10.0):
            await conference.tidied_up()
        assert media.call.audio_out.source is None and media.call.video_out.source is None
        assert not media.active
    finally:
        await conference.close()


async def test_conference_with_a_missing_ca_file_reports_onerror_naming_it(tmp_path: Path) -> None:
    recorder = Recorder()
    path = str(tmp_path / "site-ca.pem")
    conference = Conference(recorder, ca_file=path)
    try:
        await conference.make_call("https://127.0.0.1:9", "meet", "Alice", call_type="none")
        (message,) = await recorder.wait_for("onError", within=5.0)
        assert path in message and "no such file" in message
        assert isinstance(conference.last_error, CaFileUnreadable)
    finally:
        await conference.close()
