"""A conference ends with its last participant, and Guests leave with the last Host."""

from __future__ import annotations

import aiohttp

from appliance.labnode.app import LabNode
from appliance.labnode.state.rooms import RoomConfig, builtin_rooms, parse_rooms
from tests.support.labnode import Api


async def test_locked_room_is_unlocked_after_everyone_left(api: Api) -> None:
    host = await api.join("meet", "Host")
    await host.post("lock")
    await host.post("release_token")
    again = await api.join("meet", "Host again")
    assert again.result["current_service_type"] == "conference"


async def test_conference_state_resets_when_last_participant_leaves(api: Api, node: LabNode) -> None:
    host = await api.join("meet", "Host")
    await host.post("muteguests")
    await host.post("transform_layout", {"transforms": {"layout": "4:0"}})
    await host.post("set_classification_level", {"level": 2})
    await host.post("release_token")
    conference = node.conference("meet")
    assert (conference.guests_muted, conference.transforms, conference.classification_level) == (False, {}, 0)


async def test_lobby_is_not_started_again_after_everyone_left(api: Api, node: LabNode) -> None:
    host = await api.join("lobby", "Host", pin="1234")
    await host.post("start_conference")
    await host.post("release_token")
    guest = await api.join("lobby", "Guest", pin="none")
    assert guest.result["current_service_type"] == "waiting_room"


async def test_presentation_ends_with_the_conference(api: Api, node: LabNode) -> None:
    alice = await api.join("meet", "Alice")
    await alice.post(f"participants/{alice.uuid}/take_floor")
    await alice.post("release_token")
    assert node.conference("meet").presentation.presenter is None


async def test_state_stays_while_someone_remains(api: Api, node: LabNode) -> None:
    host = await api.join("meet", "Host")
    other = await api.join("meet", "Other")
    await host.post("lock")
    await other.post("release_token")
    assert node.conference("meet").locked is True


async def test_lobby_guests_disconnected_when_last_host_leaves(api: Api) -> None:
    host = await api.join("lobby", "Host", pin="1234")
    await host.post("start_conference")
    guest = await api.join("lobby", "Guest", pin="none")
    reader = await guest.events()
    await reader.wait_for("stage")
    await host.post("release_token")
    event = await reader.wait_for("disconnect")
    assert event.data == {"reason": "All conference hosts departed hosted conference"}


async def test_lobby_guest_token_refused_after_last_host_left(api: Api) -> None:
    host = await api.join("lobby", "Host", pin="1234")
    await host.post("start_conference")
    guest = await api.join("lobby", "Guest", pin="none")
    await host.post("release_token")
    status, _body = await guest.get("conference_status")
    assert status == 403


async def test_lobby_guests_stay_while_another_host_remains(api: Api, node: LabNode) -> None:
    host = await api.join("lobby", "Host", pin="1234")
    await api.join("lobby", "Host 2", pin="1234")
    await host.post("start_conference")
    guest = await api.join("lobby", "Guest", pin="none")
    await host.post("release_token")
    assert guest.uuid in node.conference("lobby").members


async def test_pinned_guests_stay_when_last_host_leaves_by_default(api: Api, node: LabNode) -> None:
    host = await api.join("pinned", "Host", pin="1234")
    guest = await api.join("pinned", "Guest", pin="5678")
    await host.post("release_token")
    assert guest.uuid in node.conference("pinned").members


async def test_room_setting_disconnects_guests_without_waiting_room() -> None:
    rooms = parse_rooms(
        {"rooms": {"board": {"host_pin": "1111", "guest_pin": "2222", "guests_leave_with_last_host": True}}}
    )
    async with LabNode(port=0, rooms=rooms, media=False) as node, aiohttp.ClientSession() as session:
        api = Api(session, node.url)
        host = await api.join("board", "Host", pin="1111")
        guest = await api.join("board", "Guest", pin="2222")
        await host.post("release_token")
        assert guest.uuid not in node.conference("board").members


def test_guests_leave_with_last_host_defaults_to_wait_for_host() -> None:
    lobby = next(r for r in builtin_rooms() if r.alias == "lobby")
    assert (lobby.ends_without_host, RoomConfig(alias="x", host_pin="1111").ends_without_host) == (
        True,
        False,
    )


async def test_room_with_bots_resets_when_last_client_leaves() -> None:
    async with LabNode(port=0, media=False, bots=2) as node, aiohttp.ClientSession() as session:
        api = Api(session, node.url)
        host = await api.join("meet", "Host")
        await host.post("lock")
        await host.post("release_token")
        again = await api.join("meet", "Host again")
        assert again.result["current_service_type"] == "conference"


async def test_disconnect_all_in_lobby_tells_guests_the_conference_was_terminated(api: Api) -> None:
    host = await api.join("lobby", "Host", pin="1234")
    await host.post("start_conference")
    guest = await api.join("lobby", "Guest", pin="none")
    reader = await guest.events()
    await reader.wait_for("stage")
    await host.post("disconnect")
    event = await reader.wait_for("disconnect")
    assert event.data == {"reason": "Conference terminated by another participant"}
