"""§13 wire requirements, field by field, as IA's validators would check them."""

from __future__ import annotations

from tests.support.labnode import Api

IA_PARTICIPANT_REQUIRED = {
    "buzz_time",
    "call_direction",
    "disconnect_supported",
    "display_name",
    "encryption",
    "external_node_uuid",
    "fecc_supported",
    "has_media",
    "is_audio_only_call",
    "is_external",
    "is_muted",
    "is_presenting",
    "is_streaming_conference",
    "is_video_call",
    "is_video_muted",
    "is_video_silent",
    "local_alias",
    "mute_supported",
    "overlay_text",
    "protocol",
    "role",
    "rx_presentation_policy",
    "spotlight",
    "start_time",
    "supports_direct_chat",
    "transfer_supported",
    "uuid",
    "can_receive_personal_mix",
    "receive_from_video_mix",
}


async def test_request_token_result_has_ia_required_fields_with_types(api: Api) -> None:
    joined = await api.join("meet", "Alice")
    result = joined.result
    assert isinstance(result["token"], str)
    assert isinstance(result["expires"], str)
    assert isinstance(result["participant_uuid"], str)
    assert set(result["version"]) == {"version_id", "pseudo_version"}
    assert result["role"] in ("HOST", "GUEST")
    assert result["display_name"] == "Alice"
    assert result["current_service_type"] == "conference"


async def test_refresh_token_result_has_string_expires_and_role(api: Api) -> None:
    joined = await api.join("pinned", pin="5678")
    _status, body = await joined.post("refresh_token")
    assert body["status"] == "success"
    assert isinstance(body["result"]["expires"], str)
    assert body["result"]["role"] == "GUEST"


async def test_participant_object_has_every_ia_required_field(api: Api) -> None:
    joined = await api.join("meet")
    _status, body = await joined.get("participants")
    assert set(body["result"][0]) >= IA_PARTICIPANT_REQUIRED


async def test_participant_guest_role_is_lower_case_guest(api: Api) -> None:
    guest = await api.join("pinned", pin="5678")
    _status, body = await guest.get("participants")
    assert body["result"][0]["role"] == "guest"


async def test_conference_status_has_required_booleans(api: Api) -> None:
    joined = await api.join("meet")
    _status, body = await joined.get("conference_status")
    result = body["result"]
    assert all(isinstance(result[k], bool) for k in ("locked", "guests_muted", "started"))


async def test_pin_challenge_object_has_version(api: Api) -> None:
    _status, body = await api.request_token("open-guests")
    assert set(body["result"]) == {"pin", "guest_pin", "version"}


async def test_operation_answers_bool_result(api: Api) -> None:
    joined = await api.join("meet")
    assert await joined.post("lock") == (200, {"status": "success", "result": True})


async def test_release_floor_answers_null_result(api: Api) -> None:
    joined = await api.join("meet")
    await joined.post(f"participants/{joined.uuid}/take_floor")
    assert await joined.post(f"participants/{joined.uuid}/release_floor") == (
        200,
        {"status": "success", "result": None},
    )


async def test_events_participant_delete_data_is_uuid_only(api: Api) -> None:
    watcher = await api.join("meet", "Watcher")
    leaver = await api.join("meet", "Leaver")
    reader = await watcher.events()
    await reader.wait_for("stage")
    await leaver.post("release_token")
    event = await reader.wait_for("participant_delete")
    assert event.raw == ["event: participant_delete", f'data: {{"uuid":"{leaver.uuid}"}}']


async def test_participant_receive_from_video_mix_names_main_mix(api: Api) -> None:
    joined = await api.join("meet")
    _status, body = await joined.get("participants")
    mix = body["result"][0]["receive_from_video_mix"]
    assert mix["mix_name"] == "main"
    assert isinstance(mix["timestamp"], float)
