"""The room controller against the lab node: join, leave, mute, privacy, hand, PIN and extension."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

import pytest

from appliance.config.schedule import parse_schedule
from appliance.labnode.app import LabNode
from appliance.services.clock import ManualClock
from appliance.services.room_api import (
    CallState,
    CameraPrivacy,
    EnterExtension,
    EnterPin,
    ErrorKind,
    Join,
    Leave,
    MuteMicrophone,
    ParticipantJoined,
    RaiseHand,
    Standby,
    Wake,
)
from tests.support.daemon import lab_site, running_room
from tests.support.waiting import eventually


def _people(node: LabNode, alias: str = "meet") -> list[Any]:
    return [m.participant for m in node.conference(alias).members.values() if m.kind.value != "bot"]


def in_call(state: Any) -> bool:
    return state.call is CallState.IN_CALL


async def test_controller_joins_the_site_meeting_by_itself(signalling_node: LabNode) -> None:
    async with running_room(lab_site(signalling_node.url, call_type="none")) as (_room, watch):
        state = await watch.until(in_call)
        assert watch.calls()[:4] == ["starting", "idle", "joining", "in-call"]
        assert state.meeting.alias == "meet"
        assert any(p.is_self and p.display_name == "Room 4" for p in state.participants)


async def test_controller_logs_each_state_change_with_its_cause(
    signalling_node: LabNode, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="appliance.services.controller")
    async with running_room(lab_site(signalling_node.url, call_type="none")) as (_room, watch):
        await watch.until(in_call)
    lines = [getattr(r, "context", {}) for r in caplog.records]
    lines = [line for line in lines if line.get("event") == "room.state"]
    assert any(
        line["old"] == "idle" and line["new"] == "joining" and line["cause"] == "auto-join" for line in lines
    )
    assert all(line["cause"] for line in lines)
    assert any(line["new"] == "in-call" for line in lines)


async def test_controller_leave_releases_the_token_and_rests_idle(signalling_node: LabNode) -> None:
    async with running_room(lab_site(signalling_node.url, call_type="none")) as (room, watch):
        await watch.until(in_call)
        assert (await room.submit(Leave())).ok
        assert room.state.call is CallState.IDLE
        assert _people(signalling_node) == []
        assert room.state.participants == ()


async def test_controller_join_command_enters_the_meeting(signalling_node: LabNode) -> None:
    async with running_room(lab_site(signalling_node.url, call_type="none", auto_join=False)) as (
        room,
        watch,
    ):
        assert room.state.call is CallState.IDLE
        assert (await room.submit(Join())).ok
        await watch.until(in_call)
        assert len(_people(signalling_node)) == 1


async def test_controller_refuses_leave_outside_a_meeting(signalling_node: LabNode) -> None:
    async with running_room(lab_site(signalling_node.url, call_type="none", auto_join=False)) as (room, _):
        result = await room.submit(Leave())
        assert not result.ok and result.reason == "not in a meeting"


async def test_controller_microphone_mute_reaches_the_node(signalling_node: LabNode) -> None:
    async with running_room(lab_site(signalling_node.url, call_type="none")) as (room, watch):
        await watch.until(in_call)
        assert (await room.submit(MuteMicrophone(True))).ok
        assert room.state.microphone_muted and room.state.microphone_silent
        await eventually(lambda: _people(signalling_node)[0].is_client_muted)


async def test_controller_camera_privacy_reaches_the_node(signalling_node: LabNode) -> None:
    async with running_room(lab_site(signalling_node.url, call_type="none")) as (room, watch):
        await watch.until(in_call)
        assert (await room.submit(CameraPrivacy(True))).ok
        assert room.state.camera_privacy
        await eventually(lambda: _people(signalling_node)[0].is_video_muted)


async def test_controller_raised_hand_is_seen_by_the_node_and_in_the_state(signalling_node: LabNode) -> None:
    async with running_room(lab_site(signalling_node.url, call_type="none")) as (room, watch):
        await watch.until(in_call)
        assert (await room.submit(RaiseHand(True))).ok
        await eventually(lambda: _people(signalling_node)[0].buzz_time > 0)
        await watch.until(lambda s: s.hand_raised)
        assert (await room.submit(RaiseHand(False))).ok
        await watch.until(lambda s: not s.hand_raised)


async def test_controller_mute_before_joining_is_applied_when_the_call_starts(
    signalling_node: LabNode,
) -> None:
    async with running_room(lab_site(signalling_node.url, call_type="none", auto_join=False)) as (
        room,
        watch,
    ):
        await room.submit(MuteMicrophone(True))
        await room.submit(Join())
        await watch.until(in_call)
        await eventually(lambda: _people(signalling_node)[0].is_client_muted)


async def test_controller_announces_participants_who_join(signalling_node: LabNode) -> None:
    async with running_room(lab_site(signalling_node.url, call_type="none")) as (_room, watch):
        await watch.until(in_call)
        async with running_room(lab_site(signalling_node.url, call_type="none", name="Room 5")) as (_, other):
            await other.until(in_call)
            joined = await watch.until_event(
                lambda e: isinstance(e, ParticipantJoined) and e.participant.display_name == "Room 5"
            )
            assert not joined.participant.is_self


async def test_controller_answers_the_pin_from_the_site_file(signalling_node: LabNode) -> None:
    site = lab_site(signalling_node.url, "pinned", call_type="none", pin="1234")
    async with running_room(site) as (_room, watch):
        state = await watch.until(in_call)
        me = next(p for p in state.participants if p.is_self)
        assert me.role == "host"


async def test_controller_wrong_site_pin_is_an_error_not_a_retry_loop(signalling_node: LabNode) -> None:
    site = lab_site(signalling_node.url, "pinned", call_type="none", pin="9999")
    async with running_room(site) as (_room, watch):
        state = await watch.until(lambda s: s.call is CallState.ERROR)
        assert state.error is not None and state.error.kind in (ErrorKind.WRONG_PIN, ErrorKind.REFUSED)
        assert "9999" not in state.error.message


async def test_controller_sso_meeting_without_a_site_choice_says_a_browser_sign_in_is_needed(
    signalling_node: LabNode,
) -> None:
    async with running_room(lab_site(signalling_node.url, "sso", call_type="none")) as (room, watch):
        state = await watch.until(lambda s: s.call is CallState.ERROR)
        assert state.error is not None and state.error.kind is ErrorKind.REFUSED
        assert (
            "single sign-on (Lab IdP) in a web browser, which a room system cannot do" in state.error.message
        )
        assert "administrator" in state.error.message  # what to do
        assert sum(room.rejoin.counts.values()) == 1  # no retry loop


async def test_controller_chooses_the_site_identity_provider_then_says_its_sign_in_needs_a_browser(
    signalling_node: LabNode,
) -> None:
    site = lab_site(signalling_node.url, "sso", call_type="none", identity_provider="lab idp")
    async with running_room(site) as (_room, watch):
        state = await watch.until(lambda s: s.call is CallState.ERROR)
        assert state.error is not None
        # only the node's SSO redirect (after chosen_idp) names the provider this way
        assert "needs a sign-in at Lab IdP in a web browser" in state.error.message


async def test_controller_names_the_providers_when_the_site_identity_provider_is_not_offered(
    signalling_node: LabNode,
) -> None:
    site = lab_site(signalling_node.url, "sso", call_type="none", identity_provider="Corporate AD")
    async with running_room(site) as (_room, watch):
        state = await watch.until(lambda s: s.call is CallState.ERROR)
        assert state.error is not None
        assert (
            "identity_provider 'Corporate AD' is not one this meeting offers (Lab IdP)" in state.error.message
        )


async def test_controller_asks_the_screen_for_a_pin_the_site_lacks(signalling_node: LabNode) -> None:
    async with running_room(lab_site(signalling_node.url, "pinned", call_type="none")) as (room, watch):
        await watch.until(lambda s: s.call is CallState.PIN_REQUIRED)
        assert (await room.submit(EnterPin("5678"))).ok
        state = await watch.until(in_call)
        assert next(p for p in state.participants if p.is_self).role == "guest"


async def test_controller_answers_the_reception_with_the_site_extension(signalling_node: LabNode) -> None:
    site = lab_site(signalling_node.url, "reception", call_type="none", extension="meet")
    async with running_room(site) as (_room, watch):
        await watch.until(in_call)
        await eventually(lambda: len(_people(signalling_node, "meet")) == 1)


async def test_controller_asks_the_screen_for_the_meeting_number(signalling_node: LabNode) -> None:
    async with running_room(lab_site(signalling_node.url, "reception", call_type="none")) as (room, watch):
        await watch.until(lambda s: s.call is CallState.EXTENSION_REQUIRED)
        assert (await room.submit(EnterExtension("meet"))).ok
        await watch.until(in_call)


async def test_controller_standby_leaves_and_wake_joins_again(signalling_node: LabNode) -> None:
    async with running_room(lab_site(signalling_node.url, call_type="none")) as (room, watch):
        await watch.until(in_call)
        assert (await room.submit(Standby())).ok
        assert room.state.call is CallState.STANDBY
        assert _people(signalling_node) == []
        assert (await room.submit(Wake("button"))).ok
        await watch.until(in_call)


async def test_controller_without_a_meeting_waits_in_setup(signalling_node: LabNode) -> None:
    site = lab_site(signalling_node.url, "")
    async with running_room(site) as (room, _watch):
        assert room.state.call is CallState.SETUP_NEEDED
        assert room.state.setup_missing == ("[conference] alias",)
        result = await room.submit(Join())
        assert not result.ok


@pytest.mark.media
async def test_controller_video_call_fills_the_picture_feed(media_node: LabNode) -> None:
    async with running_room(lab_site(media_node.url)) as (room, watch):
        await watch.until(in_call)
        pictures = []
        await eventually(lambda: pictures.append(room.pictures.latest("main")) or pictures[-1] is not None)
        picture = pictures[-1]
        assert picture is not None
        # as the lab node sends it (up to 640x360, 16:9), not scaled to the display: the kiosk scales
        assert picture.width <= 640 and picture.width * 9 == picture.height * 16
        assert picture.pixel_format == "bgra"


async def test_controller_auto_join_waits_for_the_schedule_in_standby(signalling_node: LabNode) -> None:
    clock = ManualClock(datetime(2026, 12, 7, 6, 59, 50, tzinfo=UTC))  # a Monday, 10 s before 07:00
    site = lab_site(signalling_node.url, call_type="none", schedule=parse_schedule("weekdays 07:00-19:00"))
    async with running_room(site, clock=clock) as (_room, watch):
        await watch.until(lambda s: s.call is CallState.STANDBY)
        assert _people(signalling_node) == []
        await clock.advance(10.0)
        await watch.until(in_call)


async def test_controller_join_by_hand_outside_the_schedule_joins_at_once(signalling_node: LabNode) -> None:
    clock = ManualClock(datetime(2026, 12, 7, 6, 0, tzinfo=UTC))  # a Monday, an hour before it opens
    site = lab_site(signalling_node.url, call_type="none", schedule=parse_schedule("weekdays 07:00-19:00"))
    async with running_room(site, clock=clock) as (room, watch):
        await watch.until(lambda s: s.call is CallState.STANDBY)
        assert (await room.submit(Join())).ok
        await watch.until(in_call)  # the clock never moved: not the schedule's join


async def test_controller_wake_outside_the_schedule_joins_at_once(signalling_node: LabNode) -> None:
    clock = ManualClock(datetime(2026, 12, 7, 6, 0, tzinfo=UTC))
    site = lab_site(signalling_node.url, call_type="none", schedule=parse_schedule("weekdays 07:00-19:00"))
    async with running_room(site, clock=clock) as (room, watch):
        await watch.until(lambda s: s.call is CallState.STANDBY)
        assert (await room.submit(Wake("button"))).ok
        await watch.until(in_call)


@pytest.mark.media
async def test_controller_self_view_is_the_camera_as_sent_at_a_fifth_of_the_display(
    media_node: LabNode,
) -> None:
    async with running_room(lab_site(media_node.url)) as (room, watch):
        await watch.until(in_call)
        pictures = []
        await eventually(lambda: pictures.append(room.pictures.latest("self")) or pictures[-1] is not None)
        picture = pictures[-1]
        assert picture is not None
        assert (picture.width, picture.height) == (256, 144)  # 1280x720 / 5: the kiosk's self-view
        assert picture.pixel_format == "bgra"
