"""Token lifecycle: refresh, release, expiry, reaping and fault injection."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import aiohttp
import pytest

from appliance.labnode.app import LabNode
from tests.support.labnode import Api


async def test_request_token_expires_is_a_string(api: Api) -> None:
    joined = await api.join("meet")
    assert joined.result["expires"] == "120"
    assert joined.result["version"] == {"version_id": "36", "pseudo_version": "36.0.0-labnode"}


async def test_request_token_token_is_url_safe(api: Api) -> None:
    joined = await api.join("meet")
    assert all(c.isalnum() or c in "-_" for c in joined.token)


async def test_refresh_token_returns_new_token(api: Api) -> None:
    joined = await api.join("meet")
    status, body = await joined.post("refresh_token")
    assert status == 200
    assert body["result"]["token"] != joined.token
    assert body["result"]["expires"] == "120"


async def test_refresh_token_invalidates_old_token(api: Api) -> None:
    joined = await api.join("meet")
    old = joined.token
    _status, body = await joined.post("refresh_token")
    joined.token = old
    status, answer = await joined.get("participants")
    assert (status, answer) == (403, {"status": "failed", "result": "Invalid token"})
    joined.token = body["result"]["token"]
    assert (await joined.get("participants"))[0] == 200


async def test_token_accepted_in_query(api: Api) -> None:
    joined = await api.join("meet")
    status, _body = await api.call("GET", joined.url(f"conference_status?token={joined.token}"))
    assert status == 200


async def test_release_token_by_beacon_with_query_token(api: Api, node: LabNode) -> None:
    joined = await api.join("meet")
    status, _body = await api.call(
        "POST",
        joined.url(f"release_token?token={joined.token}"),
        raw=b'{"reason": "Browser closed"}',
        headers={"Content-Type": "text/plain"},
    )
    assert status == 200
    assert joined.uuid not in node.conference("meet").members


async def test_released_token_is_refused(api: Api) -> None:
    joined = await api.join("meet")
    await joined.post("release_token")
    status, body = await joined.post("refresh_token")
    assert (status, body["result"]) == (403, "Invalid token")


async def test_missing_token_is_403(api: Api) -> None:
    status, body = await api.call("GET", f"{api.base}/api/client/v2/conferences/meet/participants")
    assert (status, body) == (403, {"status": "failed", "result": "Invalid token"})


@pytest.fixture
async def short_lived() -> AsyncIterator[tuple[LabNode, Api]]:
    async with (
        LabNode(port=0, media=False, token_lifetime=0.4) as node,
        aiohttp.ClientSession() as session,
    ):
        client = Api(session, node.url)
        yield node, client
        for reader in client.readers:
            await reader.close()


async def test_expired_token_is_refused(short_lived: tuple[LabNode, Api]) -> None:
    _node, api = short_lived
    joined = await api.join("meet")
    await asyncio.sleep(0.6)
    status, body = await joined.get("participants")
    assert (status, body["result"]) == (403, "Invalid token")


async def test_vanished_participant_is_reaped_with_participant_delete(
    short_lived: tuple[LabNode, Api],
) -> None:
    node, api = short_lived
    watcher = await api.join("meet", "Watcher")
    vanishing = await api.join("meet", "Vanishing")
    reader = await watcher.events()
    await reader.wait_for("stage")

    async def keep_refreshing() -> None:
        while True:
            _status, body = await watcher.post("refresh_token")
            watcher.token = body["result"]["token"]
            await asyncio.sleep(0.1)

    refresher = asyncio.create_task(keep_refreshing())
    try:
        deleted = await reader.wait_for("participant_delete", uuid=vanishing.uuid)
    finally:
        refresher.cancel()
    assert deleted.data == {"uuid": vanishing.uuid}
    assert watcher.uuid in node.conference("meet").members


async def test_control_expire_token_refuses_token_and_reaps(api: Api, node: LabNode) -> None:
    joined = await api.join("meet")
    assert node.control.expire_token(joined.uuid)
    status, _body = await joined.get("participants")
    assert status == 403
    assert joined.uuid not in node.conference("meet").members


async def test_control_kick_sends_disconnect(api: Api, node: LabNode) -> None:
    joined = await api.join("meet")
    reader = await joined.events()
    await reader.wait_for("stage")
    assert node.control.kick(joined.uuid)
    event = await reader.wait_for("disconnect")
    assert event.data == {"reason": "Disconnected by an administrator"}


async def test_control_restart_drops_tokens_and_streams(api: Api, node: LabNode) -> None:
    joined = await api.join("meet")
    reader = await joined.events()
    await reader.wait_for("stage")
    await node.control.restart()
    assert await reader.ended()
    status, body = await joined.get("participants")
    assert (status, body["result"]) == (403, "Invalid token")
    assert node.conference("meet").members == {}


async def test_control_restart_node_accepts_new_joins(api: Api, node: LabNode) -> None:
    await api.join("meet")
    await node.control.restart()
    joined = await api.join("meet")
    assert joined.uuid in node.conference("meet").members


async def test_refuse_tokens_answers_503_to_new_joins(node: LabNode, api: Api) -> None:
    node.control.refuse_tokens(30.0)
    status, body = await api.request_token("meet")
    assert status == 503 and "not accepting new sessions" in body["result"]


async def test_refuse_tokens_answers_503_to_refresh(node: LabNode, api: Api) -> None:
    joined = await api.join("meet")
    node.control.refuse_tokens(30.0)
    status, _ = await joined.post("refresh_token")
    assert status == 503


async def test_refuse_tokens_ends_after_the_window(node: LabNode, api: Api) -> None:
    node.control.refuse_tokens(0.0)
    status, _ = await api.request_token("meet")
    assert status == 200


async def test_media_faults_without_a_call_impair_nothing(node: LabNode, api: Api) -> None:
    joined = await api.join("meet")
    assert node.control.stop_media(joined.uuid) == 0
    assert node.control.black_hole_media(joined.uuid) == 0
