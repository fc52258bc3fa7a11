"""Conference-level control: lock, waiting rooms, guests, layouts, classification, chat."""

from __future__ import annotations

from appliance.labnode.app import LabNode
from tests.support.labnode import Api


async def test_lock_holds_new_guest_in_waiting_room(api: Api) -> None:
    host = await api.join("pinned", "Host", pin="1234")
    assert (await host.post("lock"))[0] == 200
    guest = await api.join("pinned", "Guest", pin="5678")
    assert guest.result["current_service_type"] == "waiting_room"


async def test_lock_lets_host_with_pin_in(api: Api) -> None:
    host = await api.join("pinned", "Host", pin="1234")
    await host.post("lock")
    other = await api.join("pinned", "Host 2", pin="1234")
    assert other.result["current_service_type"] == "conference"


async def test_lock_sends_conference_update(api: Api) -> None:
    host = await api.join("meet", "Host")
    reader = await host.events()
    await reader.wait_for("stage")
    await host.post("lock")
    update = await reader.wait_for("conference_update")
    assert update.data["locked"] is True


async def test_unlock_participant_admits_waiting_joiner(api: Api) -> None:
    host = await api.join("pinned", "Host", pin="1234")
    await host.post("lock")
    guest = await api.join("pinned", "Guest", pin="5678")
    reader = await host.events()
    await reader.wait_for("stage")
    status, _body = await host.post(f"participants/{guest.uuid}/unlock")
    assert status == 200
    update = await reader.wait_for("participant_update", uuid=guest.uuid)
    assert update.data["service_type"] == "conference"


async def test_lobby_guest_waits_for_host(api: Api) -> None:
    guest = await api.join("lobby", "Guest", pin="none")
    assert guest.result["current_service_type"] == "waiting_room"


async def test_lobby_start_conference_admits_guests(api: Api) -> None:
    guest = await api.join("lobby", "Guest", pin="none")
    reader = await guest.events()
    await reader.wait_for("stage")
    host = await api.join("lobby", "Host", pin="1234")
    assert (await host.post("start_conference"))[0] == 200
    update = await reader.wait_for("participant_update", uuid=guest.uuid)
    assert update.data["service_type"] == "conference"


async def test_lobby_conference_update_reports_not_started(api: Api) -> None:
    guest = await api.join("lobby", "Guest", pin="none")
    status, body = await guest.get("conference_status")
    assert status == 200
    assert body["result"]["started"] is False


async def test_guest_calling_host_operation_is_403_envelope(api: Api) -> None:
    guest = await api.join("pinned", "Guest", pin="5678")
    status, body = await guest.post("lock")
    assert status == 403
    assert body["status"] == "failed"
    assert isinstance(body["result"], str)


async def test_mute_guests_mutes_existing_guests(api: Api, node: LabNode) -> None:
    host = await api.join("pinned", "Host", pin="1234")
    guest = await api.join("pinned", "Guest", pin="5678")
    reader = await host.events()
    await reader.wait_for("stage")
    await host.post("muteguests")
    update = await reader.wait_for("participant_update", uuid=guest.uuid)
    assert update.data["is_muted"] == "YES"
    assert node.conference("pinned").members[host.uuid].participant.is_muted is False


async def test_mute_guests_mutes_later_guests(api: Api) -> None:
    host = await api.join("pinned", "Host", pin="1234")
    await host.post("muteguests")
    guest = await api.join("pinned", "Guest", pin="5678")
    _status, body = await host.get("participants")
    mine = next(p for p in body["result"] if p["uuid"] == guest.uuid)
    assert mine["is_muted"] == "YES"


async def test_guest_cannot_lift_mute_guests_while_guests_may_not_unmute(api: Api) -> None:
    host = await api.join("pinned", "Host", pin="1234")
    guest = await api.join("pinned", "Guest", pin="5678")
    await host.post("set_guests_can_unmute", {"setting": False})
    await host.post("muteguests")
    status, _body = await guest.post(f"participants/{guest.uuid}/unmute")
    assert status == 403


async def test_guest_lifts_mute_guests_when_guests_may_unmute(api: Api, node: LabNode) -> None:
    host = await api.join("pinned", "Host", pin="1234")
    guest = await api.join("pinned", "Guest", pin="5678")
    await host.post("muteguests")
    status, _body = await guest.post(f"participants/{guest.uuid}/unmute")
    assert status == 200
    assert node.conference("pinned").members[guest.uuid].participant.is_muted is False


async def test_set_guests_can_unmute_shows_in_conference_update(api: Api) -> None:
    host = await api.join("pinned", "Host", pin="1234")
    reader = await host.events()
    await reader.wait_for("stage")
    await host.post("set_guests_can_unmute", {"setting": False})
    update = await reader.wait_for("conference_update")
    assert update.data["guests_can_unmute"] is False


async def test_transform_layout_changes_view(api: Api) -> None:
    host = await api.join("meet", "Host")
    reader = await host.events()
    await reader.wait_for("stage")
    status, body = await host.post("transform_layout", {"transforms": {"layout": "4:0"}})
    assert (status, body["result"]) == (200, True)
    layout = await reader.wait_for("layout")
    assert layout.data["view"] == "4:0"


async def test_transform_layout_is_cumulative(api: Api, node: LabNode) -> None:
    host = await api.join("meet", "Host")
    await host.post("transform_layout", {"transforms": {"layout": "4:0"}})
    await host.post("transform_layout", {"transforms": {"enable_overlay_text": False}})
    assert node.conference("meet").transforms == {"layout": "4:0", "enable_overlay_text": False}


async def test_transform_layout_empty_resets(api: Api, node: LabNode) -> None:
    host = await api.join("meet", "Host")
    await host.post("transform_layout", {"transforms": {"layout": "4:0"}})
    await host.post("transform_layout", {"transforms": {}})
    assert node.conference("meet").transforms == {}


async def test_transform_layout_guest_layout_outside_auditorium_is_400(api: Api) -> None:
    host = await api.join("meet", "Host")
    status, body = await host.post("transform_layout", {"transforms": {"guest_layout": "1:0"}})
    assert status == 400
    assert body["status"] == "failed"
    assert "Auditorium" in body["result"]


async def test_transform_layout_guest_layout_in_auditorium_sets_guest_view(api: Api) -> None:
    host = await api.join("auditorium", "Host", pin="1234")
    guest = await api.join("auditorium", "Guest", pin="none")
    reader = await guest.events()
    await reader.wait_for("stage")
    status, _body = await host.post("transform_layout", {"transforms": {"guest_layout": "1:0"}})
    assert status == 200
    layout = await reader.wait_for("layout")
    assert layout.data["view"] == "1:0"
    assert layout.data["requested_layout"]["primary_screen"]["guest_layout"] == "1:0"


async def test_transform_layout_unknown_layout_is_400(api: Api) -> None:
    host = await api.join("meet", "Host")
    status, _body = await host.post("transform_layout", {"transforms": {"layout": "7:7"}})
    assert status == 400


async def test_classification_set_and_get(api: Api) -> None:
    host = await api.join("meet", "Host")
    assert (await host.post("set_classification_level", {"level": 2}))[0] == 200
    status, body = await host.get("get_classification_level")
    assert status == 200
    assert body["result"]["current"] == 2
    assert body["result"]["levels"]["2"] == "SECRET"


async def test_classification_unknown_level_is_400(api: Api) -> None:
    host = await api.join("meet", "Host")
    status, _body = await host.post("set_classification_level", {"level": 9})
    assert status == 400


async def test_message_broadcast_reaches_others_not_sender(api: Api) -> None:
    alice = await api.join("meet", "Alice")
    bob = await api.join("meet", "Bob")
    bob_events = await bob.events()
    await bob_events.wait_for("stage")
    await alice.post("message", {"type": "text/plain", "payload": "hello"})
    message = await bob_events.wait_for("message_received")
    assert message.data == {
        "origin": "Alice",
        "uuid": alice.uuid,
        "type": "text/plain",
        "payload": "hello",
        "direct": False,
    }


async def test_message_direct_reaches_only_target(api: Api) -> None:
    alice = await api.join("meet", "Alice")
    bob = await api.join("meet", "Bob")
    carol = await api.join("meet", "Carol")
    bob_events = await bob.events()
    carol_events = await carol.events()
    await bob_events.wait_for("stage")
    await carol_events.wait_for("stage")
    await alice.post(f"participants/{bob.uuid}/message", {"type": "text/plain", "payload": "psst"})
    await alice.post("message", {"type": "text/plain", "payload": "all"})
    direct = await bob_events.wait_for("message_received")
    assert (direct.data["payload"], direct.data["direct"]) == ("psst", True)
    first_for_carol = await carol_events.wait_for("message_received")
    assert first_for_carol.data["payload"] == "all"


async def test_message_application_type_passes_through(api: Api) -> None:
    alice = await api.join("meet", "Alice")
    bob = await api.join("meet", "Bob")
    reader = await bob.events()
    await reader.wait_for("stage")
    await alice.post("message", {"type": "application/json", "payload": '{"x": 1}'})
    message = await reader.wait_for("message_received")
    assert (message.data["type"], message.data["payload"]) == ("application/json", '{"x": 1}')


async def test_message_without_payload_is_400(api: Api) -> None:
    alice = await api.join("meet", "Alice")
    status, body = await alice.post("message", {"type": "text/plain"})
    assert (status, body["status"]) == (400, "failed")


async def test_clearallbuzz_lowers_every_hand(api: Api, node: LabNode) -> None:
    host = await api.join("pinned", "Host", pin="1234")
    guest = await api.join("pinned", "Guest", pin="5678")
    await guest.post(f"participants/{guest.uuid}/buzz")
    assert node.conference("pinned").members[guest.uuid].participant.buzz_time > 0
    await host.post("clearallbuzz")
    assert node.conference("pinned").members[guest.uuid].participant.buzz_time == 0


async def test_disconnect_all_sends_disconnect_to_everyone(api: Api, node: LabNode) -> None:
    host = await api.join("meet", "Host")
    other = await api.join("meet", "Other")
    reader = await other.events()
    await reader.wait_for("stage")
    assert (await host.post("disconnect"))[0] == 200
    event = await reader.wait_for("disconnect")
    assert isinstance(event.data["reason"], str)
    assert await reader.ended()
    assert node.conference("meet").members == {}


async def test_available_layouts_lists_layout_ids(api: Api) -> None:
    host = await api.join("meet", "Host")
    status, body = await host.get("available_layouts")
    assert status == 200
    assert "1:7" in body["result"]


async def test_theme_without_direct_media_is_204(api: Api) -> None:
    host = await api.join("meet", "Host")
    async with api.session.get(host.url(f"theme/?token={host.token}")) as response:
        assert response.status == 204


async def test_theme_in_direct_media_room_maps_screens(api: Api) -> None:
    host = await api.join("direct", "Host")
    status, body = await host.get("theme/")
    assert status == 200
    assert body["result"]["direct_media_welcome"]["layout_type"] == "direct_media"
    async with api.session.get(host.url(f"theme/background.jpg?token={host.token}")) as response:
        assert response.content_type == "image/jpeg"
        assert (await response.read())[:2] == b"\xff\xd8"


async def test_unlock_conference_admits_everyone_held_by_the_lock(api: Api, node: LabNode) -> None:
    host = await api.join("pinned", "Host", pin="1234")
    await host.post("lock")
    guest = await api.join("pinned", "Guest", pin="5678")
    await host.post("unlock")
    assert node.conference("pinned").members[guest.uuid].participant.service_type == "conference"


async def test_transform_layout_to_undrawn_layout_reports_layout_drawn(api: Api) -> None:
    host = await api.join("meet", "Host")
    reader = await host.events()
    await reader.wait_for("stage")
    await host.post("transform_layout", {"transforms": {"layout": "16:0"}})
    layout = await reader.wait_for("layout")
    assert (layout.data["view"], layout.data["requested_layout"]["primary_screen"]["chair_layout"]) == (
        "9:0",
        "16:0",
    )
