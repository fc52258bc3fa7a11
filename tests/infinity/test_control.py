"""Every conference/participant/call operation hits its §8 endpoint with its body."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from appliance.infinity import (
    BadRequest,
    ClientOptions,
    FloorRefused,
    InfinitySession,
    NotFound,
    NotHost,
    ProtocolError,
    SessionClosed,
    TokenGrant,
)
from appliance.infinity.models import ConferenceStatus, Role
from tests.support.scripted_node import ScriptedNode


@pytest.fixture
async def host(node: ScriptedNode, fast: ClientOptions) -> AsyncIterator[InfinitySession]:
    async with InfinitySession(node.url, "pinned", options=fast) as session:
        assert isinstance(await session.request_token("Host", pin="1234"), TokenGrant)
        yield session


@pytest.fixture
async def guest(node: ScriptedNode, fast: ClientOptions) -> AsyncIterator[InfinitySession]:
    async with InfinitySession(node.url, "pinned", options=fast) as session:
        assert isinstance(await session.request_token("Guest", pin="5678"), TokenGrant)
        yield session


def last(node: ScriptedNode) -> tuple[str, Any]:
    request = node.requests[-1]
    return request.path, request.body


CONFERENCE_OPS = [
    ("lock", (), "lock", None),
    ("unlock", (), "unlock", None),
    ("mute_guests", (), "muteguests", None),
    ("unmute_guests", (), "unmuteguests", None),
    ("set_guests_can_unmute", (False,), "set_guests_can_unmute", {"setting": False}),
    ("start_conference", (), "start_conference", None),
    ("disconnect_all", (), "disconnect", None),
    ("clear_all_buzz", (), "clearallbuzz", None),
    ("set_classification_level", (2,), "set_classification_level", {"level": 2}),
    (
        "transform_layout",
        ({"layout": "4:0", "streaming": {"layout": "1:0"}, "free_form_overlay_text": ["a", "b"]},),
        "transform_layout",
        {
            "transforms": {
                "layout": "4:0",
                "streaming": {"layout": "1:0"},
                "free_form_overlay_text": ["a", "b"],
            }
        },
    ),
]

PARTICIPANT_OPS = [
    ("mute", ("p9",), "participants/p9/mute", None),
    ("unmute", ("p9",), "participants/p9/unmute", None),
    ("video_mute", ("p9",), "participants/p9/video_muted", None),
    ("video_unmute", ("p9",), "participants/p9/video_unmuted", None),
    ("allow_rx_presentation", ("p9",), "participants/p9/allowrxpresentation", None),
    ("deny_rx_presentation", ("p9",), "participants/p9/denyrxpresentation", None),
    ("spotlight_on", ("p9",), "participants/p9/spotlighton", None),
    ("spotlight_off", ("p9",), "participants/p9/spotlightoff", None),
    ("set_overlay_text", ("p9", "Hi"), "participants/p9/overlaytext", {"text": "Hi"}),
    ("set_presentation_in_mix", (True, "p9"), "participants/p9/pres_in_mix", {"state": True}),
    ("set_role", ("p9", "chair"), "participants/p9/role", {"role": "chair"}),
    ("unlock_participant", ("p9",), "participants/p9/unlock", None),
    ("disconnect_participant", ("p9",), "participants/p9/disconnect", None),
    ("clear_buzz", ("p9",), "participants/p9/clearbuzz", None),
    ("transfer", ("p9", "other"), "participants/p9/transfer", {"conference_alias": "other"}),
]


@pytest.mark.parametrize(("method", "args", "path", "body"), CONFERENCE_OPS + PARTICIPANT_OPS)
async def test_control_host_operation_posts_its_endpoint(
    host: InfinitySession, node: ScriptedNode, method: str, args: tuple[Any, ...], path: str, body: Any
) -> None:
    assert await getattr(host.control, method)(*args) is True
    assert last(node) == (path, body)


# dial answers a list of uuids, so it is checked on its own for the host side.
DIAL_OPS: list[tuple[str, tuple[Any, ...], str, Any]] = [("dial", ("sip:bob@example.com",), "dial", None)]


@pytest.mark.parametrize(("method", "args", "path", "body"), CONFERENCE_OPS + PARTICIPANT_OPS + DIAL_OPS)
async def test_control_host_operation_fails_locally_for_a_guest(
    guest: InfinitySession, node: ScriptedNode, method: str, args: tuple[Any, ...], path: str, body: Any
) -> None:
    before = len(node.requests)
    with pytest.raises(NotHost, match="needs Host rights"):
        await getattr(guest.control, method)(*args)
    assert len(node.requests) == before


SELF_OPS = [
    ("client_mute", (), "client_mute", None),
    ("client_unmute", (), "client_unmute", None),
    ("video_mute", (), "video_muted", None),
    ("video_unmute", (), "video_unmuted", None),
    ("buzz", (), "buzz", None),
    ("clear_buzz", (), "clearbuzz", None),
    ("set_presentation_in_mix", (False,), "pres_in_mix", {"state": False}),
    ("preferred_aspect_ratio", (0.5625,), "preferred_aspect_ratio", {"aspect_ratio": 0.5625}),
    ("show_live_captions", (), "show_live_captions", None),
    ("hide_live_captions", (), "hide_live_captions", None),
    ("notify_not_afk", (), "notify_not_afk", None),
]


@pytest.mark.parametrize(("method", "args", "path", "body"), SELF_OPS)
async def test_control_self_operation_is_allowed_for_a_guest(
    guest: InfinitySession, node: ScriptedNode, method: str, args: tuple[Any, ...], path: str, body: Any
) -> None:
    await getattr(guest.control, method)(*args)
    assert last(node) == (f"participants/{guest.participant_uuid}/{path}", body)


async def test_control_set_role_rejects_other_words(host: InfinitySession) -> None:
    with pytest.raises(ValueError, match="'chair' or 'guest'"):
        await host.control.set_role("p9", "admin")


async def test_control_transfer_sends_pin_only_with_role(host: InfinitySession, node: ScriptedNode) -> None:
    await host.control.transfer("p9", "other", pin="1111")
    assert last(node)[1] == {"conference_alias": "other"}
    await host.control.transfer("p9", "other", role="guest", pin="1111")
    assert last(node)[1] == {"conference_alias": "other", "role": "guest", "pin": "1111"}


@pytest.mark.parametrize(("given", "sent"), [("host", "host"), ("chair", "chair"), (Role.HOST, "chair")])
async def test_control_transfer_accepts_both_host_spellings(
    host: InfinitySession, node: ScriptedNode, given: str | Role, sent: str
) -> None:
    await host.control.transfer("p9", "other", role=given)
    assert last(node)[1] == {"conference_alias": "other", "role": sent}


@pytest.mark.parametrize(("first", "second"), [("chair", "host"), ("host", "chair")])
async def test_control_transfer_retries_once_with_the_other_host_spelling(
    host: InfinitySession, node: ScriptedNode, first: str, second: str
) -> None:
    node.script("participants/p9/transfer", 400, {"status": "failed", "result": "Invalid role"})
    assert await host.control.transfer("p9", "other", role=first, pin="1234") is True
    assert [r.body for r in node.calls_to("participants/p9/transfer")] == [
        {"conference_alias": "other", "role": first, "pin": "1234"},
        {"conference_alias": "other", "role": second, "pin": "1234"},
    ]


async def test_control_transfer_gives_up_when_both_host_spellings_are_refused(
    host: InfinitySession, node: ScriptedNode
) -> None:
    node.script("participants/p9/transfer", 400, {"status": "failed", "result": "Invalid role"}, times=None)
    with pytest.raises(BadRequest, match="transfer a participant"):
        await host.control.transfer("p9", "other", role="host")
    assert len(node.calls_to("participants/p9/transfer")) == 2


async def test_control_transfer_as_guest_is_not_retried_after_400(
    host: InfinitySession, node: ScriptedNode
) -> None:
    node.script("participants/p9/transfer", 400, {"status": "failed", "result": "No such alias"})
    with pytest.raises(BadRequest):
        await host.control.transfer("p9", "other", role="guest")
    assert len(node.calls_to("participants/p9/transfer")) == 1


async def test_control_transfer_rejects_other_role_words(host: InfinitySession) -> None:
    with pytest.raises(ValueError, match="'host', 'chair' or 'guest'"):
        await host.control.transfer("p9", "other", role="admin")


async def test_control_dial_sends_every_parameter(host: InfinitySession, node: ScriptedNode) -> None:
    node.script("dial", 200, {"status": "success", "result": ["n1", "n2"]})
    uuids = await host.control.dial(
        "sip:bob@example.com",
        protocol="sip",
        role="guest",
        call_type="audio",
        presentation_url="rtmp://x/p",
        streaming=True,
        dtmf_sequence="123#",
        keep_conference_alive="keep_conference_alive_never",
        remote_display_name="Bob",
        text="Bob overlay",
        source="sip:me@x",
        source_display_name="Me",
    )
    assert uuids == ["n1", "n2"]
    assert last(node)[1] == {
        "destination": "sip:bob@example.com",
        "protocol": "sip",
        "role": "GUEST",
        "call_type": "audio",
        "presentation_url": "rtmp://x/p",
        "streaming": "yes",
        "dtmf_sequence": "123#",
        "keep_conference_alive": "keep_conference_alive_never",
        "remote_display_name": "Bob",
        "text": "Bob overlay",
        "source": "sip:me@x",
        "source_display_name": "Me",
    }


async def test_control_dial_rejects_an_unknown_protocol(host: InfinitySession) -> None:
    with pytest.raises(ValueError, match="protocol"):
        await host.control.dial("x", protocol="carrier-pigeon")


async def test_control_messages_broadcast_and_direct(guest: InfinitySession, node: ScriptedNode) -> None:
    await guest.control.send_chat("hello")
    assert last(node) == ("message", {"type": "text/plain", "payload": "hello"})
    await guest.control.send_application_message({"a": 1}, uuid="p9")
    assert last(node) == ("participants/p9/message", {"type": "application/json", "payload": '{"a": 1}'})


async def test_control_dtmf_and_fecc_target_a_participant(guest: InfinitySession, node: ScriptedNode) -> None:
    await guest.control.send_dtmf("12#", "p9")
    assert last(node) == ("participants/p9/dtmf", {"digits": "12#"})
    await guest.control.send_fecc("start", "pan", "left", "p9", timeout_ms=1000)
    assert last(node) == (
        "participants/p9/fecc",
        {"action": "start", "movement": [{"axis": "pan", "direction": "left"}], "timeout": 1000},
    )


async def test_control_fecc_rejects_a_wrong_direction(guest: InfinitySession) -> None:
    with pytest.raises(ValueError, match="expected left or right"):
        await guest.control.send_fecc("start", "pan", "up", "p9")


async def test_control_reads_status_participants_layouts_classification(
    guest: InfinitySession, node: ScriptedNode
) -> None:
    node.add("p9", "Bob")
    assert isinstance(await guest.control.conference_status(), ConferenceStatus)
    assert "p9" in {p.uuid for p in await guest.control.participants()}
    node.script("available_layouts", 200, {"status": "success", "result": ["1:0", "4:0"]})
    assert await guest.control.available_layouts(annotate=True) == ["1:0", "4:0"]
    assert node.requests[-1].query == {"annotate": "true"}
    node.script(
        "get_classification_level", 200, {"status": "success", "result": {"current": 1, "levels": {"1": "X"}}}
    )
    classification = await guest.control.get_classification_level()
    assert (classification.current, dict(classification.levels)) == (1, {"1": "X"})


async def test_control_theme_is_none_for_204(guest: InfinitySession, node: ScriptedNode) -> None:
    node.script("theme/", 204, None)
    assert await guest.control.theme() is None


async def test_control_participants_rejects_a_malformed_list(
    guest: InfinitySession, node: ScriptedNode
) -> None:
    node.script("participants", 200, {"status": "success", "result": [{"display_name": "no uuid"}]})
    with pytest.raises(ProtocolError, match="list the participants"):
        await guest.control.participants()


async def test_control_layout_400_is_a_bad_request(host: InfinitySession, node: ScriptedNode) -> None:
    node.script("transform_layout", 400, {"status": "failed", "result": "guest_layout only in auditoriums"})
    with pytest.raises(BadRequest, match="change the layout: bad request: guest_layout"):
        await host.control.transform_layout({"guest_layout": "4:0"})


async def test_control_unknown_participant_is_not_found(host: InfinitySession, node: ScriptedNode) -> None:
    node.script("participants/zz/mute", 404, {"status": "failed", "result": "Participant not found"})
    with pytest.raises(NotFound, match="mute a participant"):
        await host.control.mute("zz")


async def test_control_node_refusal_for_role_is_not_host(host: InfinitySession, node: ScriptedNode) -> None:
    node.script("lock", 403, {"status": "failed", "result": "Invalid role"})
    with pytest.raises(NotHost, match="lock the conference"):
        await host.control.lock()


async def test_control_breakout_prefix(host: InfinitySession, node: ScriptedNode) -> None:
    room = host.control.for_breakout("b1", "bp1")
    await room.lock()
    assert last(node)[0] == "breakouts/b1/lock"
    await room.buzz()
    assert last(node)[0] == "breakouts/b1/participants/bp1/buzz"
    await host.calls.for_breakout("b1", "bp1").ack("c1")
    assert last(node)[0] == "breakouts/b1/participants/bp1/calls/c1/ack"


async def test_control_requires_a_token(node: ScriptedNode, fast: ClientOptions) -> None:
    async with InfinitySession(node.url, "meet", options=fast) as session:
        with pytest.raises(SessionClosed, match="not joined"):
            await session.control.send_chat("hi")


# --- calls --------------------------------------------------------------------


async def test_calls_create_call_returns_call_info(guest: InfinitySession, node: ScriptedNode) -> None:
    me = guest.participant_uuid
    node.script(
        f"participants/{me}/calls",
        200,
        {
            "status": "success",
            "result": {"call_uuid": "c1", "sdp": "v=0 answer", "turn": [{"urls": ["turn:x"]}]},
        },
    )
    info = await guest.calls.create_call("v=0 offer", present="main", fecc_supported=True)
    assert (info.call_uuid, info.sdp, info.offer_ignored) == ("c1", "v=0 answer", False)
    assert info.turn == ({"urls": ["turn:x"]},)
    assert last(node)[1] == {
        "call_type": "WEBRTC",
        "sdp": "v=0 offer",
        "media_type": "video",
        "fecc_supported": True,
        "present": "main",
    }


async def test_calls_create_call_rejects_a_result_without_call_uuid(
    guest: InfinitySession, node: ScriptedNode
) -> None:
    node.script(
        f"participants/{guest.participant_uuid}/calls", 200, {"status": "success", "result": {"sdp": ""}}
    )
    with pytest.raises(ProtocolError, match="no call_uuid"):
        await guest.calls.create_call("v=0")


@pytest.mark.parametrize(
    ("kwargs", "body"),
    [({}, {}), ({"sdp": "v=0 a"}, {"sdp": "v=0 a"}), ({"offer_ignored": True}, {"offer_ignored": True})],
)
async def test_calls_ack_bodies(guest: InfinitySession, node: ScriptedNode, kwargs: Any, body: Any) -> None:
    await guest.calls.ack("c1", **kwargs)
    assert last(node) == (f"participants/{guest.participant_uuid}/calls/c1/ack", body)


async def test_calls_new_candidate_end_of_candidates(guest: InfinitySession, node: ScriptedNode) -> None:
    await guest.calls.new_candidate("c1", "", "0")
    assert last(node)[1] == {"candidate": "", "mid": "0"}
    await guest.calls.new_candidate("c1", "candidate:1 1 udp 1 127.0.0.1 5000 typ host", "0", "uf", "pw")
    assert last(node)[1]["ufrag"] == "uf"


@pytest.mark.parametrize("result", [{"call_uuid": "c1", "sdp": "v=0 new"}, "v=0 new"])
async def test_calls_update_accepts_object_or_bare_sdp(
    guest: InfinitySession, node: ScriptedNode, result: Any
) -> None:
    node.script(
        f"participants/{guest.participant_uuid}/calls/c1/update", 200, {"status": "success", "result": result}
    )
    assert await guest.calls.update("c1", "v=0 offer", fecc_supported=True) == "v=0 new"
    assert last(node)[1] == {"sdp": "v=0 offer", "fecc_supported": True}


async def test_calls_floor_statistics_and_disconnect(guest: InfinitySession, node: ScriptedNode) -> None:
    me = guest.participant_uuid
    await guest.calls.take_floor(jpegs=True)
    assert last(node) == (f"participants/{me}/take_floor", {"jpegs": True})
    await guest.calls.release_floor()
    assert last(node) == (f"participants/{me}/release_floor", None)
    await guest.calls.call_statistics("c1", {"audio": {"rx_bitrate": 32}})
    assert last(node) == (f"participants/{me}/calls/c1/statistics", {"audio": {"rx_bitrate": 32}})
    await guest.calls.disconnect_call("c1")
    assert last(node) == (f"participants/{me}/calls/c1/disconnect", {})
    await guest.calls.send_dtmf("c1", "9")
    assert last(node) == (f"participants/{me}/calls/c1/dtmf", {"digits": "9"})
    await guest.calls.send_fecc("c1", "stop", "zoom", "in", timeout_ms=None)
    assert last(node)[0] == f"participants/{me}/calls/c1/fecc"


async def test_calls_take_floor_refused(guest: InfinitySession, node: ScriptedNode) -> None:
    node.script(
        f"participants/{guest.participant_uuid}/take_floor", 403, {"status": "failed", "result": "nope"}
    )
    with pytest.raises(FloorRefused, match="start presenting"):
        await guest.calls.take_floor()
