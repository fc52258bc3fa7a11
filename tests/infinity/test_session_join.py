"""request_token outcomes as PexRTC's onSetup surfaces them, and the node check."""

from __future__ import annotations

import dataclasses

import pytest

from appliance.infinity import (
    ClientOptions,
    ConferenceNotFound,
    ExtensionNotFound,
    ExtensionRequired,
    IdentityProviderRequired,
    InfinitySession,
    InvalidPin,
    JoinRefused,
    NodeInMaintenance,
    NodeUnreachable,
    NotANode,
    PinRequired,
    ProtocolError,
    SsoRedirectRequired,
    TokenGrant,
    check_node,
)
from appliance.infinity.models import PinStatus, Role
from tests.support.scripted_node import ScriptedNode, envelope  # noqa: F401


async def test_request_token_grants_without_pin(node: ScriptedNode, fast: ClientOptions) -> None:
    async with InfinitySession(node.url, "meet", options=fast) as session:
        outcome = await session.request_token("Room 4")
        assert isinstance(outcome, TokenGrant)
        assert outcome.role is Role.HOST
        assert outcome.expires == 120.0
        assert session.participant_uuid == outcome.participant_uuid
        assert session.joined


async def test_request_token_sends_display_name_and_client_id(
    node: ScriptedNode, fast: ClientOptions
) -> None:
    async with InfinitySession(node.url, "meet", options=fast) as session:
        await session.request_token("Room 4", call_tag="tag-1", client_id="Lobby", direct_media=True)
    body = node.calls_to("request_token")[0].body
    assert body["display_name"] == "Room 4"
    assert body["call_tag"] == "tag-1"
    assert body["client_id"] == "Lobby"
    assert body["direct_media"] is True


async def test_request_token_reports_pin_required(node: ScriptedNode, fast: ClientOptions) -> None:
    async with InfinitySession(node.url, "pinned", options=fast) as session:
        outcome = await session.request_token("Room 4")
    assert outcome == PinRequired(
        pin_status=PinStatus.REQUIRED, host_pin_required=True, guest_pin_required=True
    )


async def test_request_token_reports_pin_optional_when_guests_need_none(
    node: ScriptedNode, fast: ClientOptions
) -> None:
    async with InfinitySession(node.url, "open-guests", options=fast) as session:
        outcome = await session.request_token("Room 4")
    assert isinstance(outcome, PinRequired)
    assert outcome.pin_status is PinStatus.OPTIONAL


async def test_request_token_sends_none_for_an_empty_pin(node: ScriptedNode, fast: ClientOptions) -> None:
    async with InfinitySession(node.url, "open-guests", options=fast) as session:
        outcome = await session.request_token("Room 4", pin="")
        assert isinstance(outcome, TokenGrant)
        assert outcome.role is Role.GUEST
    assert node.calls_to("request_token")[0].headers["pin"] == "none"


async def test_request_token_with_host_pin_grants_host(node: ScriptedNode, fast: ClientOptions) -> None:
    async with InfinitySession(node.url, "pinned", options=fast) as session:
        outcome = await session.request_token("Room 4", pin="1234")
        assert isinstance(outcome, TokenGrant)
        assert outcome.role is Role.HOST


async def test_request_token_raises_invalid_pin_for_the_string_form(
    node: ScriptedNode, fast: ClientOptions
) -> None:
    node.wrong_pin_form = "string"
    async with InfinitySession(node.url, "pinned", options=fast) as session:
        with pytest.raises(InvalidPin, match="PIN is wrong"):
            await session.request_token("Room 4", pin="0000")
        assert not session.joined


async def test_request_token_raises_invalid_pin_for_the_repeated_object_form(
    node: ScriptedNode, fast: ClientOptions
) -> None:
    node.wrong_pin_form = "object"
    async with InfinitySession(node.url, "pinned", options=fast) as session:
        with pytest.raises(InvalidPin):
            await session.request_token("Room 4", pin="0000")


async def test_request_token_reports_virtual_reception(node: ScriptedNode, fast: ClientOptions) -> None:
    async with InfinitySession(node.url, "reception", options=fast) as session:
        outcome = await session.request_token("Room 4")
        assert outcome == ExtensionRequired(kind="standard")
        granted = await session.request_token("Room 4", conference_extension="meet")
        assert isinstance(granted, TokenGrant)


async def test_request_token_raises_extension_not_found(node: ScriptedNode, fast: ClientOptions) -> None:
    async with InfinitySession(node.url, "reception", options=fast) as session:
        with pytest.raises(ExtensionNotFound, match="extension"):
            await session.request_token("Room 4", conference_extension="nowhere")


async def test_request_token_reports_identity_provider_choice(
    node: ScriptedNode, fast: ClientOptions
) -> None:
    async with InfinitySession(node.url, "sso", options=fast) as session:
        outcome = await session.request_token("Room 4")
        assert isinstance(outcome, IdentityProviderRequired)
        assert [p.uuid for p in outcome.providers] == ["idp-1"]
        granted = await session.request_token("Room 4", chosen_idp="idp-1")
        assert isinstance(granted, TokenGrant)
    assert node.calls_to("request_token")[1].body["chosen_idp"] == "idp-1"


async def test_request_token_reports_sso_redirect(node: ScriptedNode, fast: ClientOptions) -> None:
    async with InfinitySession(node.url, "redirect", options=fast) as session:
        outcome = await session.request_token("Room 4")
    assert isinstance(outcome, SsoRedirectRequired)
    assert outcome.redirect_url == "https://idp.example/saml"
    assert outcome.idp.uuid == "idp-2"


async def test_request_token_raises_conference_not_found_for_unknown_alias(
    node: ScriptedNode, fast: ClientOptions
) -> None:
    async with InfinitySession(node.url, "nowhere", options=fast) as session:
        with pytest.raises(ConferenceNotFound, match="join the conference: no conference"):
            await session.request_token("Room 4")


async def test_request_token_raises_not_a_node_for_html_404(node: ScriptedNode, fast: ClientOptions) -> None:
    node.script("request_token", 404, b"<html>nope</html>")
    async with InfinitySession(node.url, "meet", options=fast) as session:
        with pytest.raises(NotANode):
            await session.request_token("Room 4")


async def test_request_token_is_not_retried_after_502(node: ScriptedNode, fast: ClientOptions) -> None:
    node.script("request_token", 502, {"status": "failed", "result": "502 Bad Gateway"})
    async with InfinitySession(node.url, "meet", options=fast) as session:
        with pytest.raises(Exception, match="HTTP 502"):
            await session.request_token("Room 4")
    assert len(node.calls_to("request_token")) == 1


async def test_request_token_raises_maintenance_for_503(node: ScriptedNode, fast: ClientOptions) -> None:
    node.script("request_token", 503, {"status": "failed", "result": "System in maintenance mode"})
    async with InfinitySession(node.url, "meet", options=fast) as session:
        with pytest.raises(NodeInMaintenance, match="maintenance"):
            await session.request_token("Room 4")


async def test_request_token_raises_join_refused_for_other_strings(
    node: ScriptedNode, fast: ClientOptions
) -> None:
    node.script("request_token", 403, {"status": "failed", "result": "Participant limit reached"})
    async with InfinitySession(node.url, "meet", options=fast) as session:
        with pytest.raises(JoinRefused, match="Participant limit reached"):
            await session.request_token("Room 4")


async def test_request_token_raises_protocol_error_for_a_grant_without_token(
    node: ScriptedNode, fast: ClientOptions
) -> None:
    node.script("request_token", 200, {"status": "success", "result": {"participant_uuid": "x"}})
    async with InfinitySession(node.url, "meet", options=fast) as session:
        with pytest.raises(ProtocolError, match="no token"):
            await session.request_token("Room 4")


async def test_request_token_raises_node_unreachable_when_nothing_listens(fast: ClientOptions) -> None:
    async with InfinitySession("http://127.0.0.1:9", "meet", options=fast) as session:
        with pytest.raises(NodeUnreachable, match="cannot reach the node"):
            await session.request_token("Room 4")


async def test_request_token_times_out(node: ScriptedNode, fast: ClientOptions) -> None:
    node.script("request_token", 200, {"status": "success", "result": True}, delay=0.4)
    options = dataclasses.replace(fast, request_token_timeout=0.1)
    async with InfinitySession(node.url, "meet", options=options) as session:
        with pytest.raises(TimeoutError, match="did not answer in time"):
            await session.request_token("Room 4")


async def test_check_node_reports_up(node: ScriptedNode) -> None:
    assert (await check_node(node.url)).value == "up"


async def test_check_node_raises_maintenance_for_503(node: ScriptedNode) -> None:
    node.script("/status", 503, {"status": "failed", "result": "maintenance"})
    with pytest.raises(NodeInMaintenance):
        await check_node(node.url)


async def test_check_node_raises_not_a_node_for_non_json(node: ScriptedNode) -> None:
    node.script("/status", 200, b"<html>welcome</html>")
    with pytest.raises(NotANode, match="not a Pexip Infinity"):
        await check_node(node.url)


async def test_check_node_raises_not_a_node_for_404(node: ScriptedNode) -> None:
    node.script("/status", 404, {"status": "failed", "result": "nope"})
    with pytest.raises(NotANode):
        await check_node(node.url)


async def test_request_token_raises_maintenance_for_a_403_saying_so(
    node: ScriptedNode, fast: ClientOptions
) -> None:
    node.script("request_token", 403, {"status": "failed", "result": "System in maintenance mode"})
    async with InfinitySession(node.url, "meet", options=fast) as session:
        with pytest.raises(NodeInMaintenance, match="maintenance mode"):
            await session.request_token("Room 4")


async def test_check_node_sends_the_configured_basic_auth(node: ScriptedNode) -> None:
    options = ClientOptions(basic_auth=("proxyuser", "proxypass"))
    await check_node(node.url, options=options)
    assert node.calls_to("/status")[0].headers["Authorization"] == "Basic cHJveHl1c2VyOnByb3h5cGFzcw=="
