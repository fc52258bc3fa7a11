"""Device registrations on the lab node (reference §3.8): register, ring on dial, answer, cancel, auto-dial."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from appliance.labnode.app import LabNode
from appliance.labnode.state.registrar import ROOM_1_PASSWORD
from appliance.labnode.state.rooms import RoomConfig, builtin_rooms
from tests.support.labnode import Api, EventReader

REG = "/api/client/v2/registrations"


def basic(user: str, password: str) -> dict[str, str]:
    value = base64.urlsafe_b64encode(f"{user}:{password}".encode()).decode()
    return {"Authorization": f"x-pexip-basic {value}"}


async def register(api: Api, alias: str = "room-1", password: str = ROOM_1_PASSWORD) -> tuple[int, Any]:
    return await api.call("POST", f"{api.base}{REG}/{alias}/request_token", headers=basic(alias, password))


async def device_events(api: Api, token: str, alias: str = "room-1") -> EventReader:
    response = await api.session.get(
        f"{api.base}{REG}/{alias}/events?token={token}",
        timeout=aiohttp.ClientTimeout(total=None, sock_read=30),
    )
    assert response.status == 200, await response.text()
    reader = EventReader(response)
    api.readers.append(reader)
    return reader


async def test_registrar_builtin_room_1_registers_with_its_documented_password(api: Api) -> None:
    status, body = await register(api)
    assert status == 200
    result = body["result"]
    assert isinstance(result["token"], str) and isinstance(result["expires"], str)
    assert result["registration_uuid"] and result["version"]["version_id"] == "36"


async def test_registrar_wrong_password_is_401(api: Api) -> None:
    status, body = await register(api, password="not-the-password")
    assert (status, body["result"]) == (401, "Invalid credentials")


async def test_registrar_unknown_alias_is_404(api: Api) -> None:
    status, _body = await register(api, alias="nobody")
    assert status == 404


async def test_registrar_refresh_replaces_the_token(api: Api) -> None:
    _status, body = await register(api)
    old = body["result"]["token"]
    status, fresh = await api.call("POST", f"{api.base}{REG}/room-1/refresh_token", token=old)
    assert status == 200 and fresh["result"]["token"] != old
    status, _ = await api.call("POST", f"{api.base}{REG}/room-1/refresh_token", token=old)
    assert status == 403


async def test_registrar_directory_lists_the_devices(api: Api) -> None:
    _status, body = await register(api)
    status, found = await api.call("GET", f"{api.base}{REG}?q=room", token=body["result"]["token"])
    assert status == 200
    assert found["result"] == [{"alias": "room-1", "description": "Lab room 1", "username": "room-1"}]


async def test_registrar_restart_forgets_registrations(api: Api, node: LabNode) -> None:
    _status, body = await register(api)
    await node.control.restart()
    status, _ = await api.call("POST", f"{api.base}{REG}/room-1/refresh_token", token=body["result"]["token"])
    assert status == 403


async def test_registrar_dial_rings_the_registered_device(api: Api) -> None:
    _status, body = await register(api)
    device = await device_events(api, body["result"]["token"])
    host = await api.join("meet", "Host")
    await host.post("dial", {"destination": "room-1", "role": "GUEST"})
    incoming = await device.wait_for("incoming")
    assert incoming.data["conference_alias"] == "meet"
    assert incoming.data["remote_display_name"] == "Meet"
    assert incoming.data["token"]


async def test_registrar_answered_device_replaces_the_connecting_participant(api: Api) -> None:
    _status, body = await register(api)
    device = await device_events(api, body["result"]["token"])
    host = await api.join("meet", "Host")
    roster = await host.events()
    await roster.wait_for("stage")
    _s, dialled = await host.post("dial", {"destination": "sip:room-1", "role": "GUEST"})
    placeholder = dialled["result"][0]
    incoming = await device.wait_for("incoming")
    joined = await api.join(
        "meet", "Room 1", token=incoming.data["token"], registration_token=body["result"]["token"]
    )
    created = await roster.wait_for("participant_create", uuid=joined.uuid)
    assert created.data["call_direction"] == "out"
    await roster.wait_for("participant_delete", uuid=placeholder)


async def test_registrar_unanswered_offer_is_cancelled_after_the_dial_timeout(api: Api) -> None:
    _status, body = await register(api)
    device = await device_events(api, body["result"]["token"])
    host = await api.join("meet", "Host")
    roster = await host.events()
    await roster.wait_for("stage")
    _s, dialled = await host.post("dial", {"destination": "room-1", "role": "GUEST"})
    incoming = await device.wait_for("incoming")
    cancelled = await device.wait_for("incoming_cancelled")
    assert cancelled.data == {"token": incoming.data["token"]}
    await roster.wait_for("participant_delete", uuid=dialled["result"][0])
    status, _ = await api.request_token("meet", "Late", token=incoming.data["token"])
    assert status == 403


async def test_registrar_host_hanging_up_cancels_the_offer(api: Api) -> None:
    _status, body = await register(api)
    device = await device_events(api, body["result"]["token"])
    host = await api.join("meet", "Host")
    _s, dialled = await host.post("dial", {"destination": "room-1", "role": "GUEST"})
    await device.wait_for("incoming")
    await host.post(f"participants/{dialled['result'][0]}/disconnect")
    await device.wait_for("incoming_cancelled")


@pytest.fixture
async def auto_dial_api() -> AsyncIterator[Api]:
    rooms = (*builtin_rooms(), RoomConfig(alias="standup", name="Stand-up", auto_dial=("room-1",)))
    node = LabNode(host="127.0.0.1", port=0, media=False, rooms=rooms, dial_timeout=5.0)
    async with node, aiohttp.ClientSession() as session:
        api = Api(session, node.url)
        yield api
        for reader in api.readers:
            await reader.close()


async def test_registrar_auto_dial_rings_the_device_when_the_first_participant_joins(
    auto_dial_api: Api,
) -> None:
    api = auto_dial_api
    _status, body = await register(api)
    device = await device_events(api, body["result"]["token"])
    await api.join("standup", "First")
    incoming = await device.wait_for("incoming")
    assert incoming.data["conference_alias"] == "standup"


async def test_registrar_auto_dial_happens_once_per_meeting(auto_dial_api: Api) -> None:
    api = auto_dial_api
    _status, body = await register(api)
    device = await device_events(api, body["result"]["token"])
    await api.join("standup", "First")
    await device.wait_for("incoming")
    await api.join("standup", "Second")
    with pytest.raises(TimeoutError):
        await device.wait_for("incoming", within=0.5)
