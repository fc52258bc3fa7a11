"""Direct media on the wire: the node relays signalling between two participants (§4.4).

The node never reads these SDPs, so opaque texts stand in for offers and
answers; the real peer-to-peer media is tested in tests/pexrtc.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from appliance.labnode.app import LabNode
from appliance.labnode.state import direct_media
from tests.support.labnode import Api, EventReader, Joined

OFFER_A = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=offer-from-a\r\n"
OFFER_B = "v=0\r\no=- 2 2 IN IP4 127.0.0.1\r\ns=offer-from-b\r\n"
ANSWER_A = "v=0\r\no=- 3 3 IN IP4 127.0.0.1\r\ns=answer-from-a\r\n"


async def _direct(api: Api, name: str) -> tuple[Joined, EventReader]:
    joined = await api.join("direct", name, direct_media=True)
    return joined, await joined.events()


async def _call(joined: Joined, sdp: str) -> tuple[int, Any]:
    return await joined.post(f"participants/{joined.uuid}/calls", {"call_type": "WEBRTC", "sdp": sdp})


async def _pair(api: Api) -> tuple[Joined, EventReader, str, Joined, EventReader, str]:
    """A waits (offer ignored), B's offer reaches A, A answers in ack; both call ids."""
    a, a_events = await _direct(api, "Alice")
    b, b_events = await _direct(api, "Bob")
    _status, first = await _call(a, OFFER_A)
    a_call = first["result"]["call_uuid"]
    second = asyncio.create_task(_call(b, OFFER_B))
    await a_events.wait_for("new_offer")
    await a.post(f"participants/{a.uuid}/calls/{a_call}/ack", {"sdp": ANSWER_A})
    _status, answered = await second
    return a, a_events, a_call, b, b_events, answered["result"]["call_uuid"]


async def test_request_token_in_direct_room_grants_direct_media_and_channel_id(api: Api) -> None:
    joined = await api.join("direct", "Alice", direct_media=True)
    assert joined.result["direct_media"] is True
    assert isinstance(joined.result["pex_datachannel_id"], int)


async def test_request_token_without_direct_media_capability_is_not_direct(api: Api) -> None:
    joined = await api.join("direct", "Alice")
    assert joined.result["direct_media"] is False
    assert "pex_datachannel_id" not in joined.result


async def test_direct_call_of_the_only_participant_has_its_offer_ignored(api: Api) -> None:
    alice, _ = await _direct(api, "Alice")
    status, body = await _call(alice, OFFER_A)
    assert status == 200
    assert (body["result"]["offer_ignored"], body["result"]["sdp"]) == (True, "")
    assert body["result"]["call_uuid"]


async def test_direct_call_second_offer_reaches_the_first_as_new_offer(api: Api) -> None:
    alice, alice_events = await _direct(api, "Alice")
    bob, _ = await _direct(api, "Bob")
    await _call(alice, OFFER_A)
    pending = asyncio.create_task(_call(bob, OFFER_B))
    offer = await alice_events.wait_for("new_offer")
    assert offer.data == {"sdp": OFFER_B}
    pending.cancel()
    await asyncio.gather(pending, return_exceptions=True)


async def test_direct_call_answer_in_ack_is_the_second_callers_calls_result(api: Api) -> None:
    alice, alice_events = await _direct(api, "Alice")
    bob, _ = await _direct(api, "Bob")
    _status, first = await _call(alice, OFFER_A)
    pending = asyncio.create_task(_call(bob, OFFER_B))
    await alice_events.wait_for("new_offer")
    call_uuid = first["result"]["call_uuid"]
    await alice.post(f"participants/{alice.uuid}/calls/{call_uuid}/ack", {"sdp": ANSWER_A})
    status, body = await pending
    assert (status, body["result"]["sdp"]) == (200, ANSWER_A)
    assert "offer_ignored" not in body["result"]


async def test_direct_call_candidates_are_forwarded_to_the_peer(api: Api) -> None:
    _a, a_events, _a_call, b, _b_events, b_call = await _pair(api)
    candidate = {
        "candidate": "candidate:1 1 udp 1 127.0.0.1 5000 typ host",
        "mid": "0",
        "ufrag": "u",
        "pwd": "p",
    }
    status, _ = await b.post(f"participants/{b.uuid}/calls/{b_call}/new_candidate", candidate)
    forwarded = await a_events.wait_for("new_candidate")
    assert (status, forwarded.data) == (200, candidate)


async def test_direct_call_update_is_relayed_as_update_sdp(api: Api) -> None:
    a, a_events, a_call, b, _b_events, b_call = await _pair(api)
    pending = asyncio.create_task(
        b.post(f"participants/{b.uuid}/calls/{b_call}/update", {"sdp": OFFER_B + "x"})
    )
    update = await a_events.wait_for("update_sdp")
    await a.post(f"participants/{a.uuid}/calls/{a_call}/ack", {"sdp": ANSWER_A + "x"})
    _status, body = await pending
    assert (update.data["sdp"], body["result"]["sdp"]) == (OFFER_B + "x", ANSWER_A + "x")


async def test_direct_call_peer_leaving_sends_peer_disconnect(api: Api) -> None:
    _a, a_events, _a_call, b, _b_events, _b_call = await _pair(api)
    await b.post("release_token")
    event = await a_events.wait_for("peer_disconnect")
    assert event.data == {}


async def test_direct_call_peer_hanging_up_sends_peer_disconnect(api: Api) -> None:
    a, _a_events, a_call, _b, b_events, _b_call = await _pair(api)
    await a.post(f"participants/{a.uuid}/calls/{a_call}/disconnect", {})
    assert (await b_events.wait_for("peer_disconnect")).data == {}


async def test_direct_call_after_peer_left_waits_again(api: Api) -> None:
    a, a_events, a_call, b, _b_events, _b_call = await _pair(api)
    await b.post("release_token")
    await a_events.wait_for("peer_disconnect")
    await a.post(f"participants/{a.uuid}/calls/{a_call}/disconnect", {})
    _status, body = await _call(a, OFFER_A)
    assert body["result"]["offer_ignored"] is True
    assert (await a_events.wait_for("splash_screen")).data["screen_key"] == "direct_media_welcome"


async def test_direct_call_of_a_newcomer_waits_while_the_remaining_side_calls_again(api: Api) -> None:
    a, a_events, a_call, b, _b_events, _b_call = await _pair(api)
    await b.post("release_token")
    await a_events.wait_for("peer_disconnect")
    carol, carol_events = await _direct(api, "Carol")
    _status, early = await _call(carol, OFFER_B)
    await a.post(f"participants/{a.uuid}/calls/{a_call}/disconnect", {})
    pending = asyncio.create_task(_call(a, OFFER_A))
    offer = await carol_events.wait_for("new_offer")
    await carol.post(f"participants/{carol.uuid}/calls/{early['result']['call_uuid']}/ack", {"sdp": ANSWER_A})
    _status, answered = await pending
    assert early["result"]["offer_ignored"] is True
    assert (offer.data["sdp"], answered["result"]["sdp"]) == (OFFER_A, ANSWER_A)


async def test_direct_call_of_a_third_participant_is_refused_with_403(api: Api) -> None:
    await _pair(api)
    carol, _ = await _direct(api, "Carol")
    status, body = await _call(carol, OFFER_A)
    assert status == 403
    assert body["status"] == "failed" and "two" in body["result"]


async def test_direct_calls_never_reach_the_mixer(api: Api, node: LabNode) -> None:
    a, _a_events, _a_call, b, _b_events, _b_call = await _pair(api)
    conference = node.conference("direct")
    assert conference.hub is None
    assert conference.get(a.uuid).has_media and conference.get(b.uuid).has_media


async def test_direct_call_unanswered_offer_fails_the_call_with_504(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(direct_media, "ANSWER_TIMEOUT", 0.2)
    alice, alice_events = await _direct(api, "Alice")
    bob, _ = await _direct(api, "Bob")
    await _call(alice, OFFER_A)
    status, _body = await _call(bob, OFFER_B)
    assert status == 504
    assert (await alice_events.wait_for("peer_disconnect")).data == {}


async def test_direct_call_ack_without_answer_sdp_is_400(api: Api) -> None:
    alice, alice_events = await _direct(api, "Alice")
    bob, _ = await _direct(api, "Bob")
    _status, first = await _call(alice, OFFER_A)
    pending = asyncio.create_task(_call(bob, OFFER_B))
    await alice_events.wait_for("new_offer")
    status, _ = await alice.post(f"participants/{alice.uuid}/calls/{first['result']['call_uuid']}/ack", {})
    assert status == 400
    pending.cancel()
    await asyncio.gather(pending, return_exceptions=True)
