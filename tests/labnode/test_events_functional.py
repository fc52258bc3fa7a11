"""The event stream: sync block, ordering and the §13 wire encodings."""

from __future__ import annotations

from appliance.labnode.app import LabNode
from tests.support.labnode import Api


async def test_events_stream_starts_with_sync_block_then_state(api: Api) -> None:
    alice = await api.join("meet", "Alice")
    reader = await alice.events()
    names = [(await reader.next()).name for _ in range(6)]
    assert names == [
        "participant_sync_begin",
        "participant_create",
        "participant_sync_end",
        "conference_update",
        "layout",
        "stage",
    ]


async def test_events_every_event_has_a_data_line(api: Api) -> None:
    alice = await api.join("meet", "Alice")
    reader = await alice.events()
    for _ in range(6):
        event = await reader.next()
        assert any(line.startswith("data:") for line in event.raw)


async def test_events_sync_markers_carry_data_null(api: Api) -> None:
    alice = await api.join("meet", "Alice")
    reader = await alice.events()
    begin = await reader.next()
    assert begin.raw[-1] == "data: null"


async def test_events_sync_block_repeats_on_reconnect(api: Api) -> None:
    alice = await api.join("meet", "Alice")
    first = await alice.events()
    await first.wait_for("stage")
    await first.close()
    second = await alice.events()
    assert (await second.next()).name == "participant_sync_begin"


async def test_events_participant_object_uses_wire_encodings(api: Api) -> None:
    alice = await api.join("meet", "Alice")
    reader = await alice.events()
    created = await reader.wait_for("participant_create")
    p = created.data
    assert p["is_muted"] == "NO"
    assert p["is_presenting"] == "NO"
    assert p["mute_supported"] == "YES"
    assert p["rx_presentation_policy"] == "ALLOW"
    assert p["encryption"] == "On"
    assert p["role"] == "chair"
    assert p["has_media"] is False
    assert p["is_video_muted"] is False
    assert isinstance(p["start_time"], float)
    assert p["buzz_time"] == 0


async def test_events_new_participant_announced_to_others(api: Api) -> None:
    alice = await api.join("meet", "Alice")
    reader = await alice.events()
    await reader.wait_for("stage")
    bob = await api.join("meet", "Bob")
    created = await reader.wait_for("participant_create", uuid=bob.uuid)
    assert created.data["display_name"] == "Bob"


async def test_events_release_token_sends_participant_delete(api: Api) -> None:
    alice = await api.join("meet", "Alice")
    bob = await api.join("meet", "Bob")
    reader = await alice.events()
    await reader.wait_for("stage")
    status, body = await bob.post("release_token")
    assert (status, body) == (200, {"status": "success", "result": True})
    deleted = await reader.wait_for("participant_delete")
    assert deleted.data == {"uuid": bob.uuid}


async def test_events_conference_update_carries_classification(api: Api) -> None:
    alice = await api.join("meet", "Alice")
    reader = await alice.events()
    update = await reader.wait_for("conference_update")
    assert update.data["classification"]["current"] == 0
    assert "levels" in update.data["classification"]
    assert update.data["locked"] is False


async def test_events_layout_event_shape(api: Api) -> None:
    alice = await api.join("meet", "Alice")
    reader = await alice.events()
    layout = await reader.wait_for("layout")
    assert layout.data["view"] == "1:7"
    assert layout.data["participants"] == []
    assert layout.data["requested_layout"] == {
        "primary_screen": {"chair_layout": "1:7", "guest_layout": "1:7"}
    }
    assert layout.data["overlay_text_enabled"] is True


async def test_events_stage_is_an_array_ordered_by_voice(api: Api, node: LabNode) -> None:
    async with LabNode(port=0, media=False, bots=2) as with_bots:
        api.base = with_bots.url
        alice = await api.join("meet", "Alice")
        reader = await alice.events()
        stage = await reader.wait_for("stage")
        assert isinstance(stage.data, list)
        assert [entry["vad"] for entry in stage.data] == [0, 0]
        bot2 = stage.data[1]["participant_uuid"]
        with_bots.conference("meet").on_voice_activity(bot2, True)
        spoken = await reader.wait_for("stage")
        assert spoken.data[0] == {"participant_uuid": bot2, "stage_index": 0, "vad": 100}
        await reader.close()


async def test_events_refresh_token_event_from_control_has_data_null(api: Api, node: LabNode) -> None:
    alice = await api.join("meet", "Alice")
    reader = await alice.events()
    await reader.wait_for("stage")
    assert node.control.request_token_refresh(alice.uuid)
    event = await reader.wait_for("refresh_token")
    assert event.raw[-1] == "data: null"


async def test_events_presentation_frame_has_sse_id_and_data_id(api: Api, node: LabNode) -> None:
    alice = await api.join("meet", "Alice")
    bob = await api.join("meet", "Bob")
    reader = await bob.events()
    await reader.wait_for("stage")
    await alice.post(f"participants/{alice.uuid}/take_floor")
    await reader.wait_for("presentation_start")
    node.conference("meet").on_presentation_still(b"\xff\xd8small", b"\xff\xd8large")
    frame = await reader.wait_for("presentation_frame")
    assert frame.id == "1"
    assert frame.data == {"id": "1"}


async def test_events_presentation_still_served_with_query_token(api: Api, node: LabNode) -> None:
    alice = await api.join("meet", "Alice")
    await alice.post(f"participants/{alice.uuid}/take_floor")
    node.conference("meet").on_presentation_still(b"\xff\xd8small", b"\xff\xd8large")
    async with api.session.get(alice.url(f"presentation_high.jpeg?id=1&token={alice.token}")) as response:
        assert response.status == 200
        assert response.content_type == "image/jpeg"
        assert await response.read() == b"\xff\xd8large"


async def test_events_with_invalid_token_is_403_json(api: Api) -> None:
    status, body = await api.call("GET", f"{api.base}/api/client/v2/conferences/meet/events?token=nope")
    assert (status, body) == (403, {"status": "failed", "result": "Invalid token"})


async def test_events_cut_by_control_ends_stream(api: Api, node: LabNode) -> None:
    alice = await api.join("meet", "Alice")
    reader = await alice.events()
    await reader.wait_for("stage")
    assert node.control.cut_event_streams() == 1
    assert await reader.ended()


async def test_events_splash_screen_in_direct_media_room(api: Api) -> None:
    alice = await api.join("direct", "Alice")
    reader = await alice.events()
    splash = await reader.wait_for("splash_screen")
    assert splash.data["screen_key"] == "direct_media_welcome"
    await api.join("direct", "Bob")
    cleared = await reader.wait_for("splash_screen")
    assert cleared.data is None
    assert cleared.raw[-1] == "data: null"


async def test_events_joiner_during_presentation_gets_current_frame(api: Api, node: LabNode) -> None:
    alice = await api.join("meet", "Alice")
    await alice.post(f"participants/{alice.uuid}/take_floor")
    node.conference("meet").on_presentation_still(b"\xff\xd8small", b"\xff\xd8large")
    bob = await api.join("meet", "Bob")
    reader = await bob.events()
    await reader.wait_for("presentation_start")
    frame = await reader.next()
    assert (frame.name, frame.id, frame.data) == ("presentation_frame", "1", {"id": "1"})


async def test_events_joiner_before_first_still_gets_no_frame(api: Api, node: LabNode) -> None:
    alice = await api.join("meet", "Alice")
    await alice.post(f"participants/{alice.uuid}/take_floor")
    bob = await api.join("meet", "Bob")
    reader = await bob.events()
    await reader.wait_for("presentation_start")
    await alice.post("message", {"type": "text/plain", "payload": "next"})
    assert (await reader.next()).name == "message_received"
