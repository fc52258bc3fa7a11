"""Standby and wake around meetings: reset for the next meeting, devices released, TV over CEC, wake."""

from __future__ import annotations

import asyncio
import dataclasses
import threading
from datetime import UTC, datetime
from typing import Any

import pygame
import pytest

from appliance.config.incoming import StandbyConfig
from appliance.labnode.app import LabNode
from appliance.services.clock import ManualClock
from appliance.services.room_api import CallState, Leave, MuteMicrophone, RecallPreset, Standby, Wake
from appliance.ui.keymap import key_down
from appliance.ui.model import KioskModel
from tests.support.daemon import lab_site, running_room
from tests.support.waiting import eventually


def in_call(state: Any) -> bool:
    return state.call is CallState.IN_CALL


def standby(state: Any) -> bool:
    return state.call is CallState.STANDBY


def tv(room: Any) -> Any:
    assert room.rest.display is not None and room.rest.display.fake is not None
    return room.rest.display.fake


def capture_threads() -> list[str]:
    return [t.name for t in threading.enumerate() if t.name.startswith("capture-")]


async def test_standby_follows_the_end_of_a_meeting_and_puts_the_tv_to_standby(
    signalling_node: LabNode,
) -> None:
    async with running_room(lab_site(signalling_node.url, call_type="none")) as (room, watch):
        await watch.until(in_call)
        tv(room).power = "on"
        assert (await room.submit(Leave())).ok
        await watch.until(standby)
        await eventually(lambda: tv(room).power == "standby")
        assert tv(room).commands[-1][2:] == ("--to", "0", "--standby")


async def test_standby_resets_the_microphone_and_lowers_the_hand(signalling_node: LabNode) -> None:
    async with running_room(lab_site(signalling_node.url, call_type="none")) as (room, watch):
        await watch.until(in_call)
        await room.submit(MuteMicrophone(True))
        room.update("test: hand up", hand_raised=True)
        await room.submit(Standby())
        state = await watch.until(lambda s: standby(s) and not s.microphone_muted and not s.hand_raised)
        assert state.call is CallState.STANDBY


async def test_standby_after_idle_minutes_on_the_room_clock(signalling_node: LabNode) -> None:
    clock = ManualClock(datetime(2026, 12, 7, 10, 0, tzinfo=UTC))
    site = dataclasses.replace(
        lab_site(signalling_node.url, call_type="none", auto_join=False),
        standby=StandbyConfig(idle_minutes=5),
    )
    async with running_room(site, clock=clock) as (room, watch):
        assert room.state.call is CallState.IDLE
        await clock.advance(4 * 60)
        assert room.state.call is CallState.IDLE
        await clock.advance(61)
        await watch.until(standby)


async def test_standby_a_key_press_wakes_the_room_and_the_tv(signalling_node: LabNode) -> None:
    site = lab_site(signalling_node.url, call_type="none", auto_join=False)
    async with running_room(site) as (room, watch):
        await room.submit(Standby())
        await eventually(lambda: tv(room).power == "standby")
        model = KioskModel(room.state)
        commands = key_down(model, pygame.K_SPACE, " ", 0.0)
        for command in commands:
            assert (await room.submit(command)).ok
        await watch.until(lambda s: s.call is CallState.IDLE)
        await eventually(lambda: tv(room).power == "on" and tv(room).active_source == "1.0.0.0")
        assert room.rest.wakes == 1


@pytest.mark.media
async def test_standby_releases_the_camera_and_microphone(media_node: LabNode) -> None:
    async with running_room(lab_site(media_node.url)) as (room, watch):
        await watch.until(in_call)
        await eventually(lambda: len(capture_threads()) >= 1)
        await room.submit(Standby())
        await watch.until(standby)
        await eventually(lambda: capture_threads() == [])
        await asyncio.sleep(0)


async def test_standby_turns_the_ptz_camera_to_privacy_and_wake_brings_it_home(
    signalling_node: LabNode,
) -> None:
    site = dataclasses.replace(
        lab_site(signalling_node.url, call_type="none"),
        standby=StandbyConfig(privacy_preset=9, home_preset=1),
    )
    async with running_room(site) as (room, watch):
        ptz = room.hardware.ptz  # the ci-virtual profile's fake VISCA camera, on a pty
        assert ptz is not None and ptz.fake is not None
        await ptz.camera.move_to(-700, -300, 24, 20)
        await ptz.camera.preset_store(9)  # facing the wall
        await ptz.camera.home()
        await ptz.camera.preset_store(1)
        await ptz.camera.move_to(400, 0, 24, 20)
        await watch.until(in_call)
        await room.submit(Leave())  # after the meeting: standby
        await watch.until(standby)
        await eventually(lambda: room.rest.rests == 1)
        assert ptz.fake.position()[:2] == (-700, -300)
        await room.submit(Wake("button"))
        await eventually(lambda: room.rest.wakes == 1)
        assert ptz.fake.position()[:2] == (0, 0)


async def test_standby_asks_the_room_to_recall_the_privacy_preset(
    signalling_node: LabNode,
) -> None:
    site = dataclasses.replace(
        lab_site(signalling_node.url, call_type="none", auto_join=False),
        standby=StandbyConfig(privacy_preset=9),
    )
    async with running_room(site) as (room, watch):
        submitted: list[Any] = []
        original = room.submit

        async def recording(command: Any) -> Any:
            submitted.append(command)
            return await original(command)

        room.submit = recording  # type: ignore[method-assign]
        await original(Standby())
        await watch.until(standby)
        await eventually(lambda: room.rest.rests == 1)
        assert RecallPreset(9, source="standby") in submitted
