"""Participant-level operations: roles, floor, FECC, DTMF, transfer, dial-out, disconnect."""

from __future__ import annotations

import asyncio

import aiohttp

from appliance.labnode.app import LabNode
from tests.support.labnode import Api


async def test_role_change_shows_in_participant_update(api: Api) -> None:
    host = await api.join("pinned", "Host", pin="1234")
    guest = await api.join("pinned", "Guest", pin="5678")
    reader = await host.events()
    await reader.wait_for("stage")
    assert (await host.post(f"participants/{guest.uuid}/role", {"role": "chair"}))[0] == 200
    update = await reader.wait_for("participant_update", uuid=guest.uuid)
    assert update.data["role"] == "chair"


async def test_role_change_shows_in_refresh_token_role(api: Api) -> None:
    host = await api.join("pinned", "Host", pin="1234")
    guest = await api.join("pinned", "Guest", pin="5678")
    await host.post(f"participants/{guest.uuid}/role", {"role": "chair"})
    status, body = await guest.post("refresh_token")
    assert (status, body["result"]["role"]) == (200, "HOST")


async def test_role_with_unknown_value_is_400(api: Api) -> None:
    host = await api.join("meet", "Host")
    status, _body = await host.post(f"participants/{host.uuid}/role", {"role": "admin"})
    assert status == 400


async def test_guest_changing_anothers_role_is_403(api: Api) -> None:
    host = await api.join("pinned", "Host", pin="1234")
    guest = await api.join("pinned", "Guest", pin="5678")
    status, body = await guest.post(f"participants/{host.uuid}/role", {"role": "guest"})
    assert (status, body["status"]) == (403, "failed")


async def test_unknown_participant_is_404_envelope(api: Api) -> None:
    host = await api.join("meet", "Host")
    status, body = await host.post("participants/00000000-0000-0000-0000-000000000000/mute")
    assert (status, body["status"]) == (404, "failed")


async def test_spotlight_sets_spotlight_time(api: Api) -> None:
    host = await api.join("meet", "Host")
    reader = await host.events()
    await reader.wait_for("stage")
    await host.post(f"participants/{host.uuid}/spotlighton")
    update = await reader.wait_for("participant_update")
    assert update.data["spotlight"] > 0


async def test_buzz_sets_and_clearbuzz_clears_hand(api: Api) -> None:
    alice = await api.join("meet", "Alice")
    reader = await alice.events()
    await reader.wait_for("stage")
    await alice.post(f"participants/{alice.uuid}/buzz")
    raised = await reader.wait_for("participant_update")
    await alice.post(f"participants/{alice.uuid}/clearbuzz")
    lowered = await reader.wait_for("participant_update")
    assert raised.data["buzz_time"] > 0
    assert lowered.data["buzz_time"] == 0


async def test_take_floor_announces_presentation_to_others(api: Api) -> None:
    alice = await api.join("meet", "Alice")
    bob = await api.join("meet", "Bob")
    reader = await bob.events()
    await reader.wait_for("stage")
    status, body = await alice.post(f"participants/{alice.uuid}/take_floor")
    assert (status, body) == (200, {"status": "success", "result": None})
    start = await reader.wait_for("presentation_start")
    assert start.data["presenter_uuid"] == alice.uuid
    assert start.data["presenter_name"] == "Alice"


async def test_release_floor_sends_presentation_stop_with_data_null(api: Api) -> None:
    alice = await api.join("meet", "Alice")
    bob = await api.join("meet", "Bob")
    reader = await bob.events()
    await reader.wait_for("stage")
    await alice.post(f"participants/{alice.uuid}/take_floor")
    await alice.post(f"participants/{alice.uuid}/release_floor")
    stop = await reader.wait_for("presentation_stop")
    assert stop.raw[-1] == "data: null"


async def test_take_floor_marks_presenter_in_roster(api: Api, node: LabNode) -> None:
    alice = await api.join("meet", "Alice")
    await alice.post(f"participants/{alice.uuid}/take_floor")
    assert node.conference("meet").presentation.presenter == alice.uuid
    assert node.conference("meet").members[alice.uuid].participant.is_presenting


async def test_take_floor_from_presenter_tells_previous_presenter(api: Api) -> None:
    alice = await api.join("meet", "Alice")
    bob = await api.join("meet", "Bob")
    reader = await alice.events()
    await reader.wait_for("stage")
    await alice.post(f"participants/{alice.uuid}/take_floor")
    await bob.post(f"participants/{bob.uuid}/take_floor")
    start = await reader.wait_for("presentation_start")
    assert start.data["presenter_uuid"] == bob.uuid


async def test_fecc_is_relayed_to_target(api: Api) -> None:
    alice = await api.join("meet", "Alice")
    bob = await api.join("meet", "Bob")
    reader = await bob.events()
    await reader.wait_for("stage")
    signal = {"action": "start", "movement": [{"axis": "pan", "direction": "left"}], "timeout": 1000}
    assert (await alice.post(f"participants/{bob.uuid}/fecc", signal))[0] == 200
    event = await reader.wait_for("fecc")
    assert event.data == signal


async def test_fecc_with_bad_direction_is_400(api: Api) -> None:
    alice = await api.join("meet", "Alice")
    body = {"action": "start", "movement": [{"axis": "pan", "direction": "up"}]}
    status, _body = await alice.post(f"participants/{alice.uuid}/fecc", body)
    assert status == 400


async def test_dtmf_recorded_on_target(api: Api, node: LabNode) -> None:
    host = await api.join("meet", "Host")
    _status, body = await host.post(
        "dial", {"destination": "sip:ivr@example.com", "protocol": "sip", "role": "GUEST"}
    )
    dialled = body["result"][0]
    assert (await host.post(f"participants/{dialled}/dtmf", {"digits": "1234#"}))[0] == 200
    assert node.conference("meet").members[dialled].dtmf_received == ["1234#"]


async def test_dtmf_with_bad_digits_is_400(api: Api) -> None:
    host = await api.join("meet", "Host")
    status, _body = await host.post(f"participants/{host.uuid}/dtmf", {"digits": "12x"})
    assert status == 400


async def test_transfer_sends_refer_with_one_time_token(api: Api) -> None:
    host = await api.join("meet", "Host")
    other = await api.join("meet", "Other")
    reader = await other.events()
    await reader.wait_for("stage")
    body = {"conference_alias": "pinned", "role": "guest"}
    assert (await host.post(f"participants/{other.uuid}/transfer", body))[0] == 200
    refer = await reader.wait_for("refer")
    assert refer.data["alias"] == "pinned"
    joined = await api.join("pinned", "Other", token=refer.data["token"])
    assert joined.result["role"] == "GUEST"


async def test_transfer_one_time_token_works_only_once(api: Api) -> None:
    host = await api.join("meet", "Host")
    other = await api.join("meet", "Other")
    reader = await other.events()
    await reader.wait_for("stage")
    await host.post(f"participants/{other.uuid}/transfer", {"conference_alias": "pinned", "role": "host"})
    refer = await reader.wait_for("refer")
    await api.join("pinned", "Other", token=refer.data["token"])
    status, body = await api.request_token("pinned", "Other", token=refer.data["token"])
    assert (status, body["result"]) == (403, "Invalid token")


async def test_dial_creates_connecting_participant(api: Api, node: LabNode) -> None:
    host = await api.join("meet", "Host")
    reader = await host.events()
    await reader.wait_for("stage")
    status, body = await host.post(
        "dial", {"destination": "sip:bob@example.com", "protocol": "sip", "role": "GUEST"}
    )
    assert status == 200
    created = await reader.wait_for("participant_create", uuid=body["result"][0])
    assert (created.data["service_type"], created.data["call_direction"]) == ("connecting", "out")


async def test_dial_answers_after_delay(api: Api) -> None:
    host = await api.join("meet", "Host")
    reader = await host.events()
    await reader.wait_for("stage")
    _status, body = await host.post(
        "dial", {"destination": "sip:bob@example.com", "protocol": "sip", "role": "GUEST"}
    )
    answered = await reader.wait_for("participant_update", uuid=body["result"][0])
    assert answered.data["service_type"] == "conference"
    assert answered.data["has_media"] is True


async def test_dial_unanswered_times_out_with_participant_delete(api: Api) -> None:
    host = await api.join("meet", "Host")
    reader = await host.events()
    await reader.wait_for("stage")
    _status, body = await host.post("dial", {"destination": "noanswer@example.com", "role": "GUEST"})
    deleted = await reader.wait_for("participant_delete", uuid=body["result"][0])
    assert deleted.data == {"uuid": body["result"][0]}


async def test_dial_by_guest_is_403(api: Api) -> None:
    guest = await api.join("pinned", "Guest", pin="5678")
    status, _body = await guest.post("dial", {"destination": "sip:x@example.com", "role": "GUEST"})
    assert status == 403


async def test_disconnect_participant_sends_disconnect_then_delete(api: Api) -> None:
    host = await api.join("meet", "Host")
    other = await api.join("meet", "Other")
    other_events = await other.events()
    host_events = await host.events()
    await other_events.wait_for("stage")
    await host_events.wait_for("stage")
    assert (await host.post(f"participants/{other.uuid}/disconnect"))[0] == 200
    event = await other_events.wait_for("disconnect")
    assert event.data["reason"] == "Disconnected by another participant"
    await host_events.wait_for("participant_delete", uuid=other.uuid)
    status, _body = await other.get("participants")
    assert status == 403


async def test_calls_without_media_is_503_with_reason(api: Api) -> None:
    alice = await api.join("meet", "Alice")
    status, body = await alice.post(
        f"participants/{alice.uuid}/calls", {"call_type": "WEBRTC", "sdp": "v=0\r\n"}
    )
    assert status == 503
    assert body["status"] == "failed"
    assert "media" in body["result"]


async def test_mute_by_host_sets_yes_encoding(api: Api) -> None:
    host = await api.join("pinned", "Host", pin="1234")
    guest = await api.join("pinned", "Guest", pin="5678")
    await host.post(f"participants/{guest.uuid}/mute")
    _status, body = await guest.get("participants")
    assert next(p for p in body["result"] if p["uuid"] == guest.uuid)["is_muted"] == "YES"


async def test_dial_answer_does_not_block_other_requests(api: Api) -> None:
    host = await api.join("meet", "Host")
    await host.post("dial", {"destination": "noanswer@example.com", "role": "GUEST"})
    async with asyncio.timeout(2):
        status, _body = await host.get("participants")
    assert status == 200


async def test_jpeg_presenting_frame_announced_and_served(api: Api) -> None:
    alice = await api.join("meet", "Alice")
    bob = await api.join("meet", "Bob")
    reader = await bob.events()
    await reader.wait_for("stage")
    await alice.post(f"participants/{alice.uuid}/take_floor", {"jpegs": True})
    form = aiohttp.FormData()
    form.add_field("frame", b"\xff\xd8slide", filename="slide.jpg", content_type="image/jpeg")
    async with api.session.post(
        alice.url("presentation"), data=form, headers={"token": alice.token}
    ) as response:
        assert response.status == 200
    frame = await reader.wait_for("presentation_frame")
    async with api.session.get(bob.url(f"presentation.jpeg?id={frame.id}&token={bob.token}")) as still:
        assert await still.read() == b"\xff\xd8slide"


async def test_jpeg_presenting_without_floor_is_403(api: Api) -> None:
    alice = await api.join("meet", "Alice")
    form = aiohttp.FormData()
    form.add_field("frame", b"\xff\xd8slide", filename="slide.jpg", content_type="image/jpeg")
    async with api.session.post(
        alice.url("presentation"), data=form, headers={"token": alice.token}
    ) as response:
        assert response.status == 403
        assert (await response.json())["status"] == "failed"


async def test_guest_muting_another_is_403(api: Api) -> None:
    host = await api.join("pinned", "Host", pin="1234")
    guest = await api.join("pinned", "Guest", pin="5678")
    status, body = await guest.post(f"participants/{host.uuid}/mute")
    assert (status, body["status"]) == (403, "failed")


async def test_guest_client_mute_sets_is_client_muted(api: Api, node: LabNode) -> None:
    guest = await api.join("pinned", "Guest", pin="5678")
    assert (await guest.post(f"participants/{guest.uuid}/client_mute"))[0] == 200
    assert node.conference("pinned").members[guest.uuid].participant.is_client_muted


async def test_transfer_into_reception_is_400(api: Api) -> None:
    host = await api.join("meet", "Host")
    other = await api.join("meet", "Other")
    status, _body = await host.post(f"participants/{other.uuid}/transfer", {"conference_alias": "reception"})
    assert status == 400


async def test_transfer_into_locked_room_is_not_held(api: Api) -> None:
    target_host = await api.join("pinned", "Target host", pin="1234")
    await target_host.post("lock")
    host = await api.join("meet", "Host")
    other = await api.join("meet", "Other")
    reader = await other.events()
    await reader.wait_for("stage")
    await host.post(f"participants/{other.uuid}/transfer", {"conference_alias": "pinned", "role": "guest"})
    refer = await reader.wait_for("refer")
    joined = await api.join("pinned", "Other", token=refer.data["token"])
    assert joined.result["current_service_type"] == "conference"


async def test_take_floor_reports_video_source_for_slides_line_share(api: Api) -> None:
    alice = await api.join("meet", "Alice")
    bob = await api.join("meet", "Bob")
    reader = await bob.events()
    await reader.wait_for("stage")
    await alice.post(f"participants/{alice.uuid}/take_floor")
    start = await reader.wait_for("presentation_start")
    assert start.data["presenter_source"] == "video"


async def test_take_floor_with_jpegs_reports_static_source(api: Api) -> None:
    alice = await api.join("meet", "Alice")
    bob = await api.join("meet", "Bob")
    reader = await bob.events()
    await reader.wait_for("stage")
    await alice.post(f"participants/{alice.uuid}/take_floor", {"jpegs": True})
    start = await reader.wait_for("presentation_start")
    assert start.data["presenter_source"] == "static"


async def test_late_joiner_sees_static_source_of_jpeg_presentation(api: Api) -> None:
    alice = await api.join("meet", "Alice")
    await alice.post(f"participants/{alice.uuid}/take_floor", {"jpegs": True})
    bob = await api.join("meet", "Bob")
    reader = await bob.events()
    start = await reader.wait_for("presentation_start")
    assert start.data["presenter_source"] == "static"


async def test_take_floor_with_non_boolean_jpegs_is_400(api: Api) -> None:
    alice = await api.join("meet", "Alice")
    status, body = await alice.post(f"participants/{alice.uuid}/take_floor", {"jpegs": "yes"})
    assert (status, body["status"]) == (400, "failed")
