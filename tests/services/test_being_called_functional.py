"""Being called: a Host dials the room's registered alias on the lab node, and the room answers (or not)."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest

from appliance.config.incoming import AnswerSettings, DuringMeeting, RegistrationConfig
from appliance.config.profile import load_profile
from appliance.config.site import SiteConfig
from appliance.infinity import IncomingCall, InfinitySession, RegistrationPolicy
from appliance.labnode.app import LabNode
from appliance.labnode.state.registrar import ROOM_1_PASSWORD
from appliance.labnode.state.rooms import RoomConfig, builtin_rooms
from appliance.pexrtc.facade import PexRTC
from appliance.services.controller import RoomController
from appliance.services.room_api import Answer, CallState, Decline, ErrorKind, IncomingCallEvent, Standby
from tests.support.daemon import StateWatch, lab_site, running_room
from tests.support.panel import panel_bench
from tests.support.waiting import eventually


def called_site(node: LabNode, *, password: str = ROOM_1_PASSWORD, **answer: Any) -> SiteConfig:
    site = lab_site(
        node.url, call_type=answer.pop("call_type", "none"), auto_join=answer.pop("auto_join", False)
    )
    return dataclasses.replace(
        site,
        registration=RegistrationConfig(alias="room-1", username="room-1"),
        registration_password=password,
        answer=AnswerSettings(**answer),
    )


@asynccontextmanager
async def host_in(
    node: LabNode, alias: str = "meet", pin: str | None = None
) -> AsyncIterator[InfinitySession]:
    session = InfinitySession(node.url, alias)
    try:
        await session.join("Host", pin=pin)
        yield session
    finally:
        await session.close()


def registered(state: Any) -> bool:
    return state.registered


def ringing(state: Any) -> bool:
    return state.incoming is not None


def people(node: LabNode, alias: str = "meet") -> list[Any]:
    return [m.participant for m in node.conference(alias).members.values() if m.kind.value == "client"]


def room_1(node: LabNode, alias: str = "meet") -> Any:
    return next((p for p in people(node, alias) if p.display_name == "Room 4"), None)


async def test_being_called_auto_answer_off_rings_and_answer_joins(signalling_node: LabNode) -> None:
    async with running_room(called_site(signalling_node)) as (room, watch), host_in(signalling_node) as host:
        await watch.until(registered)
        await host.control.dial("room-1", role="GUEST")
        state = await watch.until(ringing)
        assert state.call is CallState.RINGING
        assert state.incoming is not None and state.incoming.conference == "meet"
        assert room.calls_in.ring_tone_playing
        assert (await room.submit(Answer())).ok
        state = await watch.until(lambda s: s.call is CallState.IN_CALL)
        assert state.meeting.alias == "meet" and state.incoming is None
        assert room_1(signalling_node).call_direction == "out"
        assert not room.calls_in.ring_tone_playing


async def test_being_called_auto_answer_joins_by_itself(signalling_node: LabNode) -> None:
    site = called_site(signalling_node, auto_answer=True)
    async with running_room(site) as (_room, watch), host_in(signalling_node) as host:
        await watch.until(registered)
        await host.control.dial("room-1", role="GUEST")
        await watch.until(lambda s: s.call is CallState.IN_CALL)
        assert "ringing" in watch.calls()
        await eventually(lambda: room_1(signalling_node) is not None)


async def test_being_called_answer_muted_joins_with_the_microphone_muted(signalling_node: LabNode) -> None:
    site = called_site(signalling_node, auto_answer=True, muted=True)
    async with running_room(site) as (room, watch), host_in(signalling_node) as host:
        await watch.until(registered)
        await host.control.dial("room-1", role="GUEST")
        await watch.until(lambda s: s.call is CallState.IN_CALL)
        assert room.state.microphone_muted
        await eventually(
            lambda: room_1(signalling_node) is not None and room_1(signalling_node).is_client_muted
        )


async def test_being_called_decline_stops_ringing_and_stays_out(signalling_node: LabNode) -> None:
    async with running_room(called_site(signalling_node)) as (room, watch), host_in(signalling_node) as host:
        await watch.until(registered)
        await host.control.dial("room-1", role="GUEST")
        await watch.until(ringing)
        assert (await room.submit(Decline())).ok
        assert room.state.call is CallState.IDLE and room.state.incoming is None
        assert not room.calls_in.ring_tone_playing
        event = await watch.until_event(lambda e: isinstance(e, IncomingCallEvent) and e.cancelled)
        assert event.call.conference == "meet"
        assert room_1(signalling_node) is None


async def test_being_called_cancelled_before_answer_stops_ringing(signalling_node: LabNode) -> None:
    async with running_room(called_site(signalling_node)) as (room, watch), host_in(signalling_node) as host:
        await watch.until(registered)
        dialled = await host.control.dial("room-1", role="GUEST")
        await watch.until(ringing)
        await host.control.disconnect_participant(dialled[0])
        state = await watch.until(lambda s: s.incoming is None)
        assert state.call is CallState.IDLE
        assert not room.calls_in.ring_tone_playing
        result = await room.submit(Answer())
        assert not result.ok


async def _offer_seen(room: Any, dial: Any) -> None:
    events = room.calls_in.registration.events()
    await dial()
    async for event in events:
        if isinstance(event, IncomingCall):
            return


async def test_being_called_during_a_meeting_is_rejected_by_default(signalling_node: LabNode) -> None:
    site = called_site(signalling_node, auto_answer=True, auto_join=True)
    async with running_room(site) as (room, watch), host_in(signalling_node, "pinned", pin="1234") as host:
        await watch.until(lambda s: s.registered and s.call is CallState.IN_CALL)
        await _offer_seen(room, lambda: host.control.dial("room-1", role="GUEST"))
        assert room.state.call is CallState.IN_CALL and room.state.incoming is None
        assert room.state.meeting.alias == "meet"


async def test_being_called_during_a_meeting_leave_and_answer_rings_then_moves(
    signalling_node: LabNode,
) -> None:
    site = called_site(
        signalling_node, auto_answer=True, auto_join=True, during_meeting=DuringMeeting.LEAVE_AND_ANSWER
    )
    async with running_room(site) as (room, watch), host_in(signalling_node, "pinned", pin="1234") as host:
        await watch.until(lambda s: s.registered and s.call is CallState.IN_CALL)
        await host.control.dial("room-1", role="GUEST")
        state = await watch.until(ringing)
        assert state.call is CallState.RINGING  # rings for a person: never answered by itself
        assert room_1(signalling_node, "meet") is not None  # the meeting goes on underneath
        assert (await room.submit(Answer())).ok
        await watch.until(lambda s: s.call is CallState.IN_CALL and s.meeting.alias == "pinned")
        assert room_1(signalling_node, "meet") is None
        await eventually(lambda: room_1(signalling_node, "pinned") is not None)


async def test_being_called_wrong_credentials_is_a_clear_error_with_backoff(signalling_node: LabNode) -> None:
    site = called_site(signalling_node, password="wrong-password")
    async with running_room(site) as (room, watch):
        state = await watch.until(lambda s: s.error is not None)
        assert state.error is not None and state.error.kind is ErrorKind.REGISTRATION
        assert "registration_password" in state.error.message
        assert not state.registered
        assert room.calls_in.registration is not None
        assert room.calls_in.registration.policy.delay(room.calls_in.registration.failure, 1) == 300.0  # type: ignore[arg-type]
        assert room.calls_in.registration.failures == 1


async def test_being_called_registration_survives_a_node_restart(signalling_node: LabNode) -> None:
    async with running_room(called_site(signalling_node)) as (_room, watch):
        await watch.until(registered)
        await signalling_node.control.restart()
        await watch.until(lambda s: not s.registered)
        await watch.until(registered)
        assert signalling_node.state.registrar.is_registered("room-1")


@pytest.fixture
async def auto_dial_node() -> AsyncIterator[LabNode]:
    rooms = (*builtin_rooms(), RoomConfig(alias="standup", name="Stand-up", auto_dial=("room-1",)))
    async with LabNode(host="127.0.0.1", port=0, media=False, rooms=rooms) as node:
        yield node


async def test_being_called_automatically_dialled_room_joins_when_the_first_person_does(
    auto_dial_node: LabNode,
) -> None:
    site = called_site(auto_dial_node, auto_answer=True)
    async with running_room(site) as (_room, watch):
        await watch.until(registered)
        async with host_in(auto_dial_node, "standup"):
            state = await watch.until(lambda s: s.call is CallState.IN_CALL)
            assert state.meeting.alias == "standup"
            await eventually(lambda: room_1(auto_dial_node, "standup") is not None)


@asynccontextmanager
async def pexrtc_host(node: LabNode) -> AsyncIterator[PexRTC]:
    """A Host in ``meet`` through the PexRTC facade (roster-only), as a ported web app would be."""
    rtc = PexRTC()
    connected = asyncio.Event()
    rtc.onSetup = lambda stream, pin_status, *rest: rtc.connect(None)
    rtc.onConnect = lambda stream: connected.set()
    rtc.makeCall(node.url, "meet", "Host", None, "none")
    await asyncio.wait_for(connected.wait(), 30)
    try:
        yield rtc
    finally:
        await rtc.disconnect()


@pytest.mark.media
async def test_being_called_auto_answers_into_the_meeting_with_media(media_node: LabNode) -> None:
    site = called_site(media_node, auto_answer=True, call_type="video")
    async with running_room(site) as (room, watch), pexrtc_host(media_node) as host:
        await watch.until(registered)
        await host.dialOut("room-1", "auto", "GUEST")
        await watch.until(lambda s: s.call is CallState.IN_CALL and s.meeting.alias == "meet")
        await eventually(lambda: room_1(media_node) is not None and room_1(media_node).has_media)
        pictures: list[Any] = []
        await eventually(lambda: pictures.append(room.pictures.latest("main")) or pictures[-1] is not None)


async def test_being_called_answered_from_the_button_panel(signalling_node: LabNode) -> None:
    async with running_room(called_site(signalling_node)) as (room, watch), host_in(signalling_node) as host:
        await watch.until(registered)
        async with panel_bench(room) as panel:  # type: ignore[arg-type]
            await host.control.dial("room-1", role="GUEST")
            await watch.until(lambda s: s.call is CallState.RINGING)
            await panel.tap("hangup")  # a short press of join/hang-up answers a ringing call
            state = await watch.until(lambda s: s.call is CallState.IN_CALL)
        assert state.meeting.alias == "meet"
        await eventually(lambda: room_1(signalling_node) is not None)


async def test_being_called_declined_from_the_button_panel(signalling_node: LabNode) -> None:
    async with running_room(called_site(signalling_node)) as (room, watch), host_in(signalling_node) as host:
        await watch.until(registered)
        async with panel_bench(room) as panel:  # type: ignore[arg-type]
            await host.control.dial("room-1", role="GUEST")
            await watch.until(lambda s: s.call is CallState.RINGING)
            await panel.press("hangup")
            await panel.clock.advance(2.0)  # held past hold_s: decline
            await panel.release("hangup")
            state = await watch.until(lambda s: s.incoming is None)
        assert state.call is CallState.IDLE
        assert room_1(signalling_node) is None


async def test_being_called_in_standby_wakes_the_tv_and_declining_rests_again(
    signalling_node: LabNode,
) -> None:
    async with running_room(called_site(signalling_node)) as (room, watch), host_in(signalling_node) as host:
        await watch.until(registered)
        await room.submit(Standby())
        tv = room.rest.display.fake  # type: ignore[union-attr]
        await eventually(lambda: tv.power == "standby")
        await host.control.dial("room-1", role="GUEST")
        await watch.until(lambda s: s.call is CallState.RINGING)
        await eventually(lambda: tv.power == "on")
        assert (await room.submit(Decline())).ok
        await watch.until(lambda s: s.call is CallState.STANDBY)
        await eventually(lambda: tv.power == "standby")


async def test_being_called_declined_during_a_meeting_returns_to_the_meeting(
    signalling_node: LabNode,
) -> None:
    site = called_site(signalling_node, auto_join=True, during_meeting=DuringMeeting.LEAVE_AND_ANSWER)
    async with running_room(site) as (room, watch), host_in(signalling_node, "pinned", pin="1234") as host:
        await watch.until(lambda s: s.registered and s.call is CallState.IN_CALL)
        await host.control.dial("room-1", role="GUEST")
        await watch.until(ringing)
        assert (await room.submit(Decline())).ok
        assert room.state.call is CallState.IN_CALL and room.state.meeting.alias == "meet"
        assert room_1(signalling_node, "meet") is not None


async def test_being_called_registration_error_clears_once_registered(signalling_node: LabNode) -> None:
    room = RoomController(called_site(signalling_node, password="wrong-password"), load_profile("ci-virtual"))
    assert room.calls_in.registration is not None
    room.calls_in.registration.policy = RegistrationPolicy(credentials_retry_s=0.2)  # before it starts
    watch = StateWatch(room)
    try:
        await room.start()
        await watch.until(lambda s: s.error is not None and s.error.kind is ErrorKind.REGISTRATION)
        # the administrator sets the account's password on the node: the next retry succeeds
        registrar = signalling_node.state.registrar
        registrar.devices["room-1"] = dataclasses.replace(
            registrar.devices["room-1"], password="wrong-password"
        )
        state = await watch.until(lambda s: s.registered)
        assert state.error is None
    finally:
        await room.stop()
        await watch.close()
