"""The room's hardware as one object: panel, PTZ camera, FECC and hot-plug for the controller."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from gpiozero.pins.mock import MockFactory

from appliance.config.profile import HwProfile, UdevRule, load_profile
from appliance.hw.udev_fake import FakeMonitor, udev_device
from appliance.services.room_api import (
    CallState,
    DevicePresence,
    DeviceRole,
    MoveCamera,
    MuteMicrophone,
    RecallPreset,
    RoomState,
    StorePreset,
)
from appliance.services.room_hardware import RoomHardware
from tests.support.panel import settle
from tests.support.room import FakeRoom

CAMERA_EVENT = {
    "SEQNUM": "7",
    "SUBSYSTEM": "video4linux",
    "DEVPATH": "/devices/pci0000:00/usb1/1-1/1-1:1.0/video4linux/video0",
    "DEVNAME": "/dev/video0",
    "ID_V4L_CAPABILITIES": ":capture:",
    "ID_V4L_PRODUCT": "Room camera",
}


@asynccontextmanager
async def hardware(
    profile: HwProfile | None = None, **options: object
) -> AsyncIterator[tuple[RoomHardware, FakeRoom]]:
    room = FakeRoom(RoomState(call=CallState.IN_CALL))
    factory = MockFactory()
    try:
        async with RoomHardware(
            room, profile or load_profile("ci-virtual"), pin_factory=factory, **options
        ) as hw:  # type: ignore[arg-type]
            yield hw, room
    finally:
        factory.reset()


async def next_presence(hw: RoomHardware) -> DevicePresence:
    async with asyncio.timeout(5):
        return await anext(hw.presence())


async def test_room_hardware_ci_virtual_has_an_answering_fake_camera() -> None:
    async with hardware() as (hw, _room):
        assert hw.fecc_supported and hw.view is not None
        presence = await next_presence(hw)
        assert (presence.device.role, presence.device.present) == (DeviceRole.PTZ, True)


async def test_room_hardware_fecc_moves_the_virtual_picture() -> None:
    async with hardware() as (hw, _room):
        assert hw.view is not None and hw.view()[0] == 0.0
        hw.handle_fecc(
            {"action": "start", "movement": [{"axis": "pan", "direction": "right"}], "timeout": 1000}
        )
        async with asyncio.timeout(5):
            while hw.view()[0] <= 0.0:  # noqa: ASYNC110 - the fake camera moves with time
                await asyncio.sleep(0.02)


async def test_room_hardware_preset_commands_reach_the_camera() -> None:
    async with hardware() as (hw, _room):
        assert hw.ptz is not None and hw.ptz.fake is not None
        await hw.ptz.camera.move_to(500, 100, 24, 20)
        assert (await hw.camera_command(StorePreset(3))).ok
        await hw.ptz.camera.home()
        assert (await hw.camera_command(RecallPreset(3))).ok
        assert hw.ptz.fake.position()[:2] == (500, 100)


async def test_room_hardware_move_camera_drives_and_stops() -> None:
    async with hardware() as (hw, _room):
        assert hw.ptz is not None and hw.ptz.fake is not None
        assert (await hw.camera_command(MoveCamera(pan=-1))).ok
        assert hw.ptz.fake.state.pan_velocity < 0
        assert (await hw.camera_command(MoveCamera(stop=True))).ok
        assert hw.ptz.fake.state.pan_velocity == 0


async def test_room_hardware_refusal_says_why_instead_of_raising() -> None:
    async with hardware() as (hw, _room):
        result = await hw.camera_command(RecallPreset(9))  # never stored
        assert not result.ok and "command not executable" in result.reason


async def test_room_hardware_without_a_camera_refuses_camera_commands() -> None:
    profile = load_profile("generic-x86")
    profile = dataclasses.replace(profile, visca=dataclasses.replace(profile.visca, driver="none"), udev=())
    async with hardware(profile) as (hw, _room):
        assert not hw.fecc_supported
        hw.handle_fecc({"action": "start", "movement": [{"axis": "pan", "direction": "left"}]})
        assert (await hw.camera_command(RecallPreset(1))).reason == "no PTZ camera is answering"


async def test_room_hardware_unanswering_camera_is_absent_then_reopened() -> None:
    profile = load_profile("ci-virtual")
    missing = dataclasses.replace(profile.visca, driver="serial", port="/nonexistent/ttyVISCA")
    async with hardware(dataclasses.replace(profile, visca=missing), reopen_initial_s=0.05) as (hw, _room):
        presence = await next_presence(hw)
        assert not presence.device.present and "not answering at start" in presence.device.detail
        assert not hw.fecc_supported


async def test_room_hardware_panel_buttons_reach_the_room() -> None:
    factory = MockFactory()
    room = FakeRoom(RoomState(call=CallState.IN_CALL))
    try:
        async with RoomHardware(room, load_profile("ci-virtual"), pin_factory=factory):
            factory.pin(17).drive_low()
            await settle()
            assert room.commands == [MuteMicrophone(True)]
    finally:
        factory.reset()


async def test_room_hardware_hot_plugged_camera_is_reported() -> None:
    monitor = FakeMonitor()
    profile = dataclasses.replace(load_profile("ci-virtual"), udev=(UdevRule("camera", "video4linux"),))
    try:
        async with hardware(profile, udev_monitor=monitor) as (hw, _room):
            assert (await next_presence(hw)).device.role is DeviceRole.PTZ
            monitor.push(udev_device({"ACTION": "remove", **CAMERA_EVENT}))
            gone = await next_presence(hw)
            assert (gone.device.role, gone.device.present, gone.device.name) == (
                DeviceRole.CAMERA,
                False,
                "Room camera",
            )
            monitor.push(udev_device({"ACTION": "add", **CAMERA_EVENT}))
            assert (await next_presence(hw)).device.present
    finally:
        monitor.close()
