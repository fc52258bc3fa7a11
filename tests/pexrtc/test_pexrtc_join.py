"""Joining with PexRTC against the lab node: onSetup, connect, onConnect, onAuth, onError."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import aiohttp
import pytest

from appliance import PexRTC
from appliance.labnode.app import LabNode
from appliance.pexrtc.call import NotConnected
from tests.support.pexrtc import Join
from tests.support.recorder import Recorder

Make = Callable[..., tuple[PexRTC, Recorder]]


async def test_makecall_reports_onsetup_without_stream_for_roster_only(
    node: LabNode, participant: Make
) -> None:
    rtc, rec = participant()
    rtc.makeCall(node.url, "meet", "Alice", None, "none")
    assert await rec.wait_for("onSetup") == (None, "none", None, None)


async def test_fields_are_readable_after_onsetup(node: LabNode, participant: Make) -> None:
    rtc, rec = participant()
    rtc.client_id = "ported-app"
    rtc.makeCall(node.url, "meet", "Alice", None, "none")
    await rec.wait_for("onSetup")
    assert rtc.uuid in node.conference("meet").members
    assert rtc.role == "HOST"
    assert rtc.version == "36 (36.0.0-labnode)"
    assert rtc.chat_enabled is True
    assert rtc.service_type == "conference"
    assert rtc.current_service_type == "conference"
    assert rtc.client_id == "ported-app"
    assert node.conference("meet").get(rtc.uuid).participant.vendor == "ported-app"


async def test_connect_fires_onconnect_with_null_stream_for_roster_only(
    node: LabNode, participant: Make
) -> None:
    rtc, rec = participant()
    rtc.makeCall(node.url, "meet", "Alice", None, "none")
    await rec.wait_for("onSetup")
    rtc.connect(None)
    assert await rec.wait_for("onConnect") == (None,)


async def test_makecall_fires_onconferenceupdate_with_the_document_fields(
    node: LabNode, participant: Make
) -> None:
    rtc, rec = participant()
    rtc.makeCall(node.url, "meet", "Alice", None, "none")
    (properties,) = await rec.wait_for("onConferenceUpdate")
    assert {"guests_muted", "locked", "started", "direct_media"} <= set(properties)


async def test_makecall_sends_call_tag(node: LabNode, join: Join) -> None:
    rtc, _ = await join(call_tag="room-4")
    assert node.conference("meet").get(rtc.uuid).participant.call_tag == "room-4"


async def test_pin_room_asks_for_a_pin_through_onsetup(node: LabNode, participant: Make) -> None:
    rtc, rec = participant()
    rtc.makeCall(node.url, "pinned", "Alice", None, "none")
    assert await rec.wait_for("onSetup") == (None, "required", None, None)
    assert rtc.uuid is None


async def test_wrong_pin_fires_onsetup_again(node: LabNode, participant: Make) -> None:
    rtc, rec = participant()
    rtc.makeCall(node.url, "pinned", "Alice", None, "none")
    await rec.wait_for("onSetup")
    rtc.connect("0000")
    assert await rec.wait_for("onSetup") == (None, "required", None, None)
    assert rec.count("onError") == 0


async def test_pin_retry_after_a_wrong_pin_joins_as_host(node: LabNode, participant: Make) -> None:
    rtc, rec = participant()
    rtc.makeCall(node.url, "pinned", "Alice", None, "none")
    await rec.wait_for("onSetup")
    rtc.connect("0000")
    await rec.wait_for("onSetup")
    rtc.connect("1234")
    assert await rec.wait_for("onConnect") == (None,)
    assert rtc.role == "HOST"


async def test_guest_pin_joins_as_guest(node: LabNode, join: Join) -> None:
    rtc, _ = await join("pinned", pin="5678")
    assert rtc.role == "GUEST"


async def test_optional_pin_room_reports_optional_and_admits_an_empty_pin_as_guest(
    node: LabNode, participant: Make
) -> None:
    rtc, rec = participant()
    rtc.makeCall(node.url, "open-guests", "Alice", None, "none")
    assert await rec.wait_for("onSetup") == (None, "optional", None, None)
    rtc.connect("")
    await rec.wait_for("onConnect")
    assert rtc.role == "GUEST"


async def test_virtual_reception_asks_for_an_extension(node: LabNode, participant: Make) -> None:
    rtc, rec = participant()
    rtc.makeCall(node.url, "reception", "Alice", None, "none")
    assert await rec.wait_for("onSetup") == (None, "none", "standard", None)


async def test_virtual_reception_two_stage_dial_reaches_the_target_room(
    node: LabNode, participant: Make
) -> None:
    rtc, rec = participant()
    rtc.makeCall(node.url, "reception", "Alice", None, "none")
    await rec.wait_for("onSetup")
    rtc.connect(None, "meet")
    assert await rec.wait_for("onSetup") == (None, "none", None, None)
    assert rec.count("onConnect") == 0
    rtc.connect(None)
    await rec.wait_for("onConnect")
    assert rtc.uuid in node.conference("meet").members


async def test_virtual_reception_extension_to_a_pinned_room_asks_for_its_pin(
    node: LabNode, participant: Make
) -> None:
    rtc, rec = participant()
    rtc.makeCall(node.url, "reception", "Alice", None, "none")
    await rec.wait_for("onSetup")
    rtc.connect(None, "pinned")
    assert await rec.wait_for("onSetup") == (None, "required", None, None)
    rtc.connect("5678")
    await rec.wait_for("onConnect")
    assert rtc.uuid in node.conference("pinned").members
    assert rtc.role == "GUEST"


async def test_unknown_extension_is_fatal_onerror(node: LabNode, participant: Make) -> None:
    rtc, rec = participant()
    rtc.makeCall(node.url, "reception", "Alice", None, "none")
    await rec.wait_for("onSetup")
    rtc.connect(None, "no-such-room")
    (err,) = await rec.wait_for("onError")
    assert err.startswith("Call Failed:")


async def test_sso_room_offers_identity_providers_through_onsetup(node: LabNode, participant: Make) -> None:
    rtc, rec = participant()
    rtc.makeCall(node.url, "sso", "Alice", None, "none")
    _stream, pin_status, extension, idps = await rec.wait_for("onSetup")
    assert (pin_status, extension) == ("none", None)
    assert idps and {"uuid", "name", "img"} <= set(idps[0])


async def test_choosing_an_identity_provider_fires_onauth(node: LabNode, participant: Make) -> None:
    rtc, rec = participant()
    rtc.makeCall(node.url, "sso", "Alice", None, "none")
    *_, idps = await rec.wait_for("onSetup")
    rtc.connect(None, None, idps[0]["uuid"])
    redirect_url, idp_uuid, idp_name, _disable_popup_flow = await rec.wait_for("onAuth")
    assert redirect_url.startswith(node.url)
    assert (idp_uuid, idp_name) == (idps[0]["uuid"], idps[0]["name"])


async def test_unknown_conference_is_fatal_onerror(node: LabNode, participant: Make) -> None:
    rtc, rec = participant()
    rtc.makeCall(node.url, "no-such-room", "Alice", None, "none")
    (err,) = await rec.wait_for("onError")
    assert "Call Failed" in err
    assert rtc.uuid is None


async def test_unreachable_node_is_fatal_onerror(participant: Make) -> None:
    rtc, rec = participant()
    rtc.makeCall("http://127.0.0.1:9", "meet", "Alice", None, "none")
    (err,) = await rec.wait_for("onError")
    assert "Call Failed" in err


async def test_a_raising_callback_does_not_end_the_call(node: LabNode, participant: Make) -> None:
    rtc, rec = participant()

    def broken(*args: object) -> None:
        raise RuntimeError("bug in the application")

    rtc.onConferenceUpdate = broken
    rtc.onParticipantCreate = broken
    rtc.makeCall(node.url, "meet", "Alice", None, "none")
    await rec.wait_for("onSetup")
    rtc.connect(None)
    await rec.wait_for("onConnect")
    assert rtc.uuid in node.conference("meet").members


async def test_waiting_room_guest_is_let_in_by_startconference(node: LabNode, join: Join) -> None:
    guest, guest_rec = await join("lobby", "Guest", pin="")
    assert guest.current_service_type == "waiting_room"
    host, _ = await join("lobby", "Host", pin="1234")
    await host.startConference()
    await guest_rec.wait_for(
        "onParticipantUpdate", lambda p: p["uuid"] == guest.uuid and p["service_type"] == "conference"
    )
    assert guest.current_service_type == "conference"


async def test_methods_before_makecall_raise_not_connected(participant: Make) -> None:
    rtc, _ = participant()
    with pytest.raises(NotConnected):
        rtc.setBuzz()


async def test_pexrtc_built_in_a_running_loop_uses_that_loop() -> None:
    rtc = PexRTC()
    assert rtc.is_async
    await rtc.close()


async def test_async_methods_return_awaitables(node: LabNode, join: Join) -> None:
    rtc, _ = await join()
    result = rtc.setBuzz()
    assert isinstance(result, asyncio.Future)
    assert await result is True


async def test_unknown_call_type_is_refused_at_makecall(participant: Make) -> None:
    rtc, _ = participant()
    with pytest.raises(ValueError, match="call_type"):
        rtc.makeCall("http://127.0.0.1:9", "meet", "Alice", None, "carrier-pigeon")


async def test_correct_pin_goes_straight_to_onconnect_without_another_onsetup(
    node: LabNode, participant: Make
) -> None:
    rtc, rec = participant()
    rtc.makeCall(node.url, "pinned", "Alice", None, "none")
    await rec.wait_for("onSetup")
    rtc.connect("1234")
    await rec.wait_for("onConnect")
    await rtc.setBuzz()  # one more round trip: any stray callback has arrived by now
    assert rec.count("onSetup") == 1 and rec.count("onConnect") == 1


async def test_sso_token_from_the_identity_provider_completes_the_join(
    node: LabNode, participant: Make
) -> None:
    rtc, rec = participant()
    rtc.makeCall(node.url, "sso", "Alice", None, "none")
    *_, idps = await rec.wait_for("onSetup")
    rtc.connect(None, None, idps[0]["uuid"])
    redirect_url, *_ = await rec.wait_for("onAuth")
    headers = {"Accept": "application/json"}
    async with aiohttp.ClientSession() as http, http.get(redirect_url, headers=headers) as response:
        token = (await response.json())["result"]["token"]
    rtc.connect_sso(token)
    assert await rec.wait_for("onConnect") == (None,)
    assert rtc.uuid in node.conference("sso").members


async def test_host_only_method_before_makecall_raises_not_connected(participant: Make) -> None:
    rtc, _ = participant()
    with pytest.raises(NotConnected):
        rtc.setConferenceLock(True)
