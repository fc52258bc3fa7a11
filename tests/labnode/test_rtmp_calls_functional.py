"""``calls`` with ``call_type: "RTMP"`` on the wire: where to publish, and the roster that follows."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest

from appliance.labnode.app import LabNode
from tests.support.labnode import Api

pytestmark = pytest.mark.media


@pytest.fixture
async def media_node() -> AsyncIterator[tuple[LabNode, Api]]:
    async with LabNode(port=0, media=True) as node, aiohttp.ClientSession() as session:
        client = Api(session, node.url)
        yield node, client
        for reader in client.readers:
            await reader.close()


async def test_rtmp_call_answers_call_uuid_url_and_secure_url(media_node: tuple[LabNode, Api]) -> None:
    _node, api = media_node
    alice = await api.join("meet", "Alice")
    status, body = await alice.post(
        f"participants/{alice.uuid}/calls", {"call_type": "RTMP", "streaming": False}
    )
    assert status == 200 and body["status"] == "success"
    assert set(body["result"]) == {"call_uuid", "url", "secure_url"}
    assert body["result"]["url"].startswith("rtmp://127.0.0.1:")
    assert body["result"]["secure_url"].startswith("rtmps://127.0.0.1:")


async def test_rtmp_call_sends_a_participant_update_with_protocol_rtmp(
    media_node: tuple[LabNode, Api],
) -> None:
    _node, api = media_node
    alice = await api.join("meet", "Alice")
    reader = await alice.events()
    await reader.wait_for("participant_sync_end")
    await alice.post(f"participants/{alice.uuid}/calls", {"call_type": "RTMP", "streaming": True})
    update = await reader.wait_for("participant_update", uuid=alice.uuid, protocol="rtmp")
    assert update.data["has_media"] is True
    assert update.data["is_streaming_conference"] is True


async def test_rtmp_call_accepts_old_pexrtc_string_flags(media_node: tuple[LabNode, Api]) -> None:
    node, api = media_node
    alice = await api.join("meet", "Alice")
    body = {"call_type": "RTMP", "streaming": "true", "audioonly": "false", "bandwidth": 1280}
    status, _answer = await alice.post(f"participants/{alice.uuid}/calls", body)
    assert status == 200
    participant = node.conference("meet").members[alice.uuid].participant
    assert participant.is_streaming_conference and participant.is_video_call


async def test_rtmp_call_refuses_a_streaming_flag_that_is_not_a_boolean(
    media_node: tuple[LabNode, Api],
) -> None:
    _node, api = media_node
    alice = await api.join("meet", "Alice")
    status, body = await alice.post(
        f"participants/{alice.uuid}/calls", {"call_type": "RTMP", "streaming": 42}
    )
    assert status == 400 and "streaming" in body["result"]


async def test_rtmp_call_disconnect_clears_media_and_streaming(media_node: tuple[LabNode, Api]) -> None:
    node, api = media_node
    alice = await api.join("meet", "Alice")
    _status, body = await alice.post(
        f"participants/{alice.uuid}/calls", {"call_type": "RTMP", "streaming": True}
    )
    call_uuid = body["result"]["call_uuid"]
    status, _ = await alice.post(f"participants/{alice.uuid}/calls/{call_uuid}/disconnect", {})
    participant = node.conference("meet").members[alice.uuid].participant
    assert status == 200 and not participant.has_media and not participant.is_streaming_conference


async def test_rtmp_call_on_a_node_without_media_is_503(api: Api) -> None:
    alice = await api.join("meet", "Alice")
    status, body = await alice.post(
        f"participants/{alice.uuid}/calls", {"call_type": "RTMP", "streaming": False}
    )
    assert status == 503 and "media" in body["result"]
