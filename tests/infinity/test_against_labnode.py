"""The client against the project's lab node: one session acts, another observes.

Runs the whole protocol surface over real HTTP and SSE against
``appliance.labnode`` (media off, except the one ``media`` test), so a
disagreement between client and node about the reference shows up here.
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest

from appliance.infinity import (
    ClientOptions,
    ConferenceNotFound,
    ExtensionRequired,
    IdentityProviderRequired,
    InfinitySession,
    InvalidPin,
    InvalidToken,
    NotHost,
    PinRequired,
    TokenGrant,
)
from appliance.infinity import events as ev
from appliance.infinity.models import PinStatus, Role
from appliance.labnode.app import LabNode
from tests.support.recorder import EventLog
from tests.support.waiting import eventually


@pytest.fixture
async def lab() -> AsyncIterator[LabNode]:
    async with LabNode(host="127.0.0.1", port=0, media=False, dial_answer_delay=0.05) as node:
        yield node


@pytest.fixture
def options(fast: ClientOptions) -> ClientOptions:
    return dataclasses.replace(fast, request_timeout=5.0, request_token_timeout=5.0)


async def _join(
    lab: LabNode, options: ClientOptions, alias: str, name: str, pin: str | None
) -> InfinitySession:
    session = InfinitySession(lab.url, alias, options=options)
    outcome = await session.join(name, pin=pin)
    assert isinstance(outcome, TokenGrant), outcome
    return session


@pytest.fixture
async def host(lab: LabNode, options: ClientOptions) -> AsyncIterator[InfinitySession]:
    session = await _join(lab, options, "pinned", "Host", "1234")
    yield session
    await session.close()


@pytest.fixture
async def guest(
    lab: LabNode, options: ClientOptions, host: InfinitySession
) -> AsyncIterator[InfinitySession]:
    session = await _join(lab, options, "pinned", "Guest", "5678")
    await eventually(lambda: session.participant_uuid in host.state.participants)
    yield session
    await session.close()


@pytest.fixture
def seen(guest: InfinitySession) -> EventLog:
    collected = EventLog()
    guest.subscribe(collected)
    return collected


# --- joining ----------------------------------------------------------------------


async def test_labnode_pin_required_then_host_and_guest(lab: LabNode, options: ClientOptions) -> None:
    async with InfinitySession(lab.url, "pinned", options=options) as session:
        outcome = await session.request_token("Room")
        assert isinstance(outcome, PinRequired) and outcome.pin_status is PinStatus.REQUIRED
        granted = await session.request_token("Room", pin="5678")
        assert isinstance(granted, TokenGrant) and granted.role is Role.GUEST


async def test_labnode_wrong_pin(lab: LabNode, options: ClientOptions) -> None:
    async with InfinitySession(lab.url, "pinned", options=options) as session:
        with pytest.raises(InvalidPin):
            await session.request_token("Room", pin="0000")


async def test_labnode_optional_pin_for_open_guests(lab: LabNode, options: ClientOptions) -> None:
    async with InfinitySession(lab.url, "open-guests", options=options) as session:
        outcome = await session.request_token("Room")
        assert isinstance(outcome, PinRequired) and outcome.pin_status is PinStatus.OPTIONAL
        granted = await session.request_token("Room", pin="")
        assert isinstance(granted, TokenGrant) and granted.role is Role.GUEST


async def test_labnode_virtual_reception(lab: LabNode, options: ClientOptions) -> None:
    async with InfinitySession(lab.url, "reception", options=options) as session:
        assert isinstance(await session.request_token("Room"), ExtensionRequired)
        outcome = await session.join("Room", conference_extension="meet")
        assert isinstance(outcome, TokenGrant)
        assert session.participant_uuid in session.state.participants


async def test_labnode_identity_provider_choice(lab: LabNode, options: ClientOptions) -> None:
    async with InfinitySession(lab.url, "sso", options=options) as session:
        outcome = await session.request_token("Room")
        assert isinstance(outcome, IdentityProviderRequired) and outcome.providers


async def test_labnode_unknown_alias(lab: LabNode, options: ClientOptions) -> None:
    async with InfinitySession(lab.url, "no-such-room", options=options) as session:
        with pytest.raises(ConferenceNotFound):
            await session.request_token("Room")


async def test_labnode_two_sessions_see_each_other(host: InfinitySession, guest: InfinitySession) -> None:
    assert host.participant_uuid in guest.state.participants
    assert guest.state.participants[host.participant_uuid or ""].role is Role.HOST


# --- every operation, observed by the other session ----------------------------------

Op = Callable[[InfinitySession, str], Awaitable[Any]]
Check = Callable[[ev.Event, InfinitySession], bool]


def _me(event: ev.Event, guest: InfinitySession) -> Any:
    if isinstance(event, ev.ParticipantUpdate) and event.participant.uuid == guest.participant_uuid:
        return event.participant
    return None


OBSERVED: list[tuple[str, Op, Check]] = [
    (
        "lock",
        lambda h, g: h.control.lock(),
        lambda e, g: isinstance(e, ev.ConferenceUpdate) and e.status.locked,
    ),
    (
        "mute_guests",
        lambda h, g: h.control.mute_guests(),
        lambda e, g: isinstance(e, ev.ConferenceUpdate) and e.status.guests_muted,
    ),
    (
        "set_guests_can_unmute",
        lambda h, g: h.control.set_guests_can_unmute(False),
        lambda e, g: isinstance(e, ev.ConferenceUpdate) and not e.status.guests_can_unmute,
    ),
    ("mute", lambda h, g: h.control.mute(g), lambda e, g: bool((p := _me(e, g)) and p.is_muted)),
    (
        "video_mute",
        lambda h, g: h.control.video_mute(g),
        lambda e, g: bool((p := _me(e, g)) and p.is_video_muted),
    ),
    (
        "deny_rx_presentation",
        lambda h, g: h.control.deny_rx_presentation(g),
        lambda e, g: bool((p := _me(e, g)) and not p.rx_presentation_policy),
    ),
    (
        "spotlight_on",
        lambda h, g: h.control.spotlight_on(g),
        lambda e, g: bool((p := _me(e, g)) and p.spotlight),
    ),
    (
        "set_overlay_text",
        lambda h, g: h.control.set_overlay_text(g, "Front row"),
        lambda e, g: bool((p := _me(e, g)) and p.overlay_text == "Front row"),
    ),
    ("set_role", lambda h, g: h.control.set_role(g, "chair"), lambda e, g: isinstance(e, ev.RoleChanged)),
    (
        "transform_layout",
        lambda h, g: h.control.transform_layout(
            {"layout": "4:0", "streaming": {"layout": "1:0"}, "free_form_overlay_text": ["A", "B"]}
        ),
        lambda e, g: isinstance(e, ev.LayoutUpdate) and e.view == "4:0",
    ),
    (
        "send_chat",
        lambda h, g: h.control.send_chat("hello room"),
        lambda e, g: (
            isinstance(e, ev.MessageReceived) and e.is_chat and e.payload == "hello room" and not e.direct
        ),
    ),
    (
        "send_application_message direct",
        lambda h, g: h.control.send_application_message({"k": 1}, uuid=g),
        lambda e, g: isinstance(e, ev.MessageReceived) and not e.is_chat and e.direct,
    ),
    (
        "send_fecc",
        lambda h, g: h.control.send_fecc("start", "tilt", "up", g),
        lambda e, g: isinstance(e, ev.FeccSignal) and e.movement == (("tilt", "up"),),
    ),
    (
        "take_floor",
        lambda h, g: h.calls.take_floor(),
        lambda e, g: isinstance(e, ev.PresentationStart) and e.presenter_uuid != "",
    ),
    (
        "dial",
        lambda h, g: h.control.dial("sip:bob@example.com", protocol="sip", remote_display_name="Bob"),
        lambda e, g: isinstance(e, ev.ParticipantCreate) and e.participant.display_name == "Bob",
    ),
    (
        "transfer",
        lambda h, g: h.control.transfer(g, "meet", role="guest"),
        lambda e, g: isinstance(e, ev.Refer) and e.alias == "meet" and bool(e.token),
    ),
    (
        "disconnect_participant",
        lambda h, g: h.control.disconnect_participant(g),
        lambda e, g: isinstance(e, ev.Disconnect),
    ),
]


@pytest.mark.parametrize(("name", "op", "check"), OBSERVED, ids=[o[0] for o in OBSERVED])
async def test_labnode_operation_is_seen_by_the_other_session(
    host: InfinitySession, guest: InfinitySession, seen: EventLog, name: str, op: Op, check: Check
) -> None:
    await op(host, guest.participant_uuid or "")
    await seen.wait_for(lambda e: check(e, guest))


SIMPLE: list[tuple[str, Op]] = [
    ("unlock", lambda h, g: h.control.unlock()),
    ("unmute_guests", lambda h, g: h.control.unmute_guests()),
    ("unmute", lambda h, g: h.control.unmute(g)),
    ("client_mute", lambda h, g: h.control.client_mute()),
    ("client_unmute", lambda h, g: h.control.client_unmute()),
    ("video_unmute", lambda h, g: h.control.video_unmute(g)),
    ("allow_rx_presentation", lambda h, g: h.control.allow_rx_presentation(g)),
    ("spotlight_off", lambda h, g: h.control.spotlight_off(g)),
    ("set_presentation_in_mix", lambda h, g: h.control.set_presentation_in_mix(True)),
    ("unlock_participant", lambda h, g: h.control.unlock_participant(g)),
    ("send_dtmf", lambda h, g: h.control.send_dtmf("1234#", g)),
    ("clear_buzz", lambda h, g: h.control.clear_buzz(g)),
    ("clear_all_buzz", lambda h, g: h.control.clear_all_buzz()),
    ("start_conference", lambda h, g: h.control.start_conference()),
    ("set_classification_level", lambda h, g: h.control.set_classification_level(1)),
    ("preferred_aspect_ratio", lambda h, g: h.control.preferred_aspect_ratio(0.5625)),
    ("show_live_captions", lambda h, g: h.control.show_live_captions()),
    ("hide_live_captions", lambda h, g: h.control.hide_live_captions()),
    ("notify_not_afk", lambda h, g: h.control.notify_not_afk()),
    ("release_floor", lambda h, g: h.calls.release_floor()),
    ("theme", lambda h, g: h.control.theme()),
]


@pytest.mark.parametrize(("name", "op"), SIMPLE, ids=[o[0] for o in SIMPLE])
async def test_labnode_operation_is_accepted(
    host: InfinitySession, guest: InfinitySession, name: str, op: Op
) -> None:
    result = await op(host, guest.participant_uuid or "")
    assert result is not False


async def test_labnode_reads(host: InfinitySession, guest: InfinitySession) -> None:
    assert {p.uuid for p in await host.control.participants()} >= {
        host.participant_uuid,
        guest.participant_uuid,
    }
    assert not (await host.control.conference_status()).locked
    assert "4:0" in await host.control.available_layouts()
    assert (await host.control.get_classification_level()).levels


async def test_labnode_guest_raises_hand_and_host_sees_it(
    host: InfinitySession, guest: InfinitySession
) -> None:
    watched = EventLog()
    host.subscribe(watched)
    await guest.control.buzz()
    await watched.wait_for(
        lambda e: (
            isinstance(e, ev.ParticipantUpdate)
            and e.participant.uuid == guest.participant_uuid
            and e.participant.hand_raised
        )
    )


async def test_labnode_guest_cannot_lock(guest: InfinitySession) -> None:
    with pytest.raises(NotHost):
        await guest.control.lock()


async def test_labnode_disconnect_all(host: InfinitySession, guest: InfinitySession, seen: EventLog) -> None:
    await host.control.disconnect_all()
    await seen.wait_for(lambda e: isinstance(e, ev.Disconnect))


# --- node faults ------------------------------------------------------------------------


async def test_labnode_cut_stream_resyncs(lab: LabNode, guest: InfinitySession, seen: EventLog) -> None:
    lab.control.cut_event_streams(guest.participant_uuid)
    await seen.wait_for(lambda e: isinstance(e, ev.StreamReconnecting))
    await seen.wait_for(lambda e: isinstance(e, ev.ParticipantSyncEnd))
    assert guest.participant_uuid in guest.state.participants
    assert guest.failure is None


async def test_labnode_refresh_request_refreshes(
    lab: LabNode, guest: InfinitySession, seen: EventLog
) -> None:
    old = guest.token
    lab.control.request_token_refresh(guest.participant_uuid or "")
    await seen.wait_for(lambda e: isinstance(e, ev.RefreshTokenRequested))
    await eventually(lambda: guest.token != old)


async def test_labnode_expired_token_is_invalid(lab: LabNode, guest: InfinitySession) -> None:
    lab.control.expire_token(guest.participant_uuid or "")
    with pytest.raises(InvalidToken):
        await guest.control.client_mute()


async def test_labnode_kick_disconnects(lab: LabNode, guest: InfinitySession, seen: EventLog) -> None:
    lab.control.kick(guest.participant_uuid or "")
    await seen.wait_for(lambda e: isinstance(e, ev.Disconnect))
    assert guest.disconnect_reason


# --- waiting room and locked conferences ---------------------------------------------------


async def test_labnode_guest_waits_until_the_host_starts_the_conference(
    lab: LabNode, options: ClientOptions
) -> None:
    waiting = await _join(lab, options, "lobby", "Guest", "")
    host = await _join(lab, options, "lobby", "Host", "1234")
    try:
        assert waiting.grant is not None and waiting.grant.current_service_type == "waiting_room"
        assert waiting.state.service_type == "waiting_room"
        await host.control.start_conference()
        await eventually(lambda: waiting.state.service_type == "conference")
    finally:
        await waiting.close()
        await host.close()


async def test_labnode_locked_conference_admits_with_unlock_participant(
    lab: LabNode, options: ClientOptions
) -> None:
    chair = await _join(lab, options, "meet", "Chair", None)
    await chair.control.lock()
    late = await _join(lab, options, "meet", "Late", None)
    try:
        assert late.state.service_type == "waiting_room"
        await eventually(lambda: late.participant_uuid in chair.state.participants)
        await chair.control.unlock_participant(late.participant_uuid or "")
        await eventually(lambda: late.state.service_type == "conference")
    finally:
        await late.close()
        await chair.close()
