"""The room controller drives the room's hardware: preset commands, far-end camera control, the panel.

The ``ci-virtual`` profile's hardware is the real code on the outermost fakes:
gpiozero's mock pins, the fake VISCA camera on a pseudo-terminal. The far end
is a second participant of the lab node sending FECC through its REST API.
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
import pytest
from gpiozero.pins.mock import MockFactory

from appliance.config.profile import UdevRule, load_profile
from appliance.hw.udev_fake import FakeMonitor, udev_device
from appliance.labnode.app import LabNode
from appliance.services.controller import RoomController
from appliance.services.room_api import (
    CallState,
    DevicePresence,
    DeviceRole,
    ErrorKind,
    FeccReceived,
    MoveCamera,
    RecallPreset,
    SendFecc,
    StorePreset,
)
from appliance.services.tracking import TRACKING_SOURCE
from appliance.ui.model import KioskModel
from tests.support.daemon import lab_site, running_room, self_uuid
from tests.support.labnode import Api, Joined
from tests.support.panel import settle
from tests.support.waiting import eventually

USB_CAMERA_SOUND_CARD = {  # the microphone of a USB webcam, as udev reports its sound card
    "SEQNUM": "12",
    "SUBSYSTEM": "sound",
    "DEVPATH": "/devices/pci0000:00/0000:00:14.0/usb1/1-2/1-2:1.3/sound/card1",
    "ID_MODEL": "USB_Camera",
}


def in_call(state: Any) -> bool:
    return state.call is CallState.IN_CALL


def fake_camera(room: RoomController) -> Any:
    ptz = room.hardware.ptz
    assert ptz is not None and ptz.fake is not None, "ci-virtual's fake VISCA camera answers"
    return ptz.fake


@asynccontextmanager
async def far_end(node: LabNode) -> AsyncIterator[Joined]:
    """Another participant of the meeting, on the lab node's REST API."""
    async with aiohttp.ClientSession() as session:
        yield await Api(session, node.url).join("meet", "Far end")


async def test_hardware_preset_store_and_recall_move_the_ptz_camera(signalling_node: LabNode) -> None:
    site = lab_site(signalling_node.url, call_type="none", auto_join=False)
    async with running_room(site) as (room, _watch):
        camera = fake_camera(room)
        await room.hardware.ptz.camera.move_to(900, -200, 24, 20)  # type: ignore[union-attr]
        assert (await room.submit(StorePreset(5))).ok
        await room.hardware.ptz.camera.home()  # type: ignore[union-attr]
        assert (await room.submit(RecallPreset(5))).ok
        assert camera.position()[:2] == (900, -200)


async def test_hardware_refused_preset_says_why(signalling_node: LabNode) -> None:
    site = lab_site(signalling_node.url, call_type="none", auto_join=False)
    async with running_room(site) as (room, _watch):
        result = await room.submit(RecallPreset(42))  # never stored
        assert not result.ok and "the PTZ camera refused" in result.reason


async def test_hardware_move_camera_drives_and_stops_the_ptz_camera(signalling_node: LabNode) -> None:
    site = lab_site(signalling_node.url, call_type="none", auto_join=False)
    async with running_room(site) as (room, _watch):
        camera = fake_camera(room)
        assert (await room.submit(MoveCamera(tilt=1))).ok
        assert camera.state.tilt_velocity > 0
        assert (await room.submit(MoveCamera(stop=True))).ok
        assert camera.state.tilt_velocity == 0


async def test_hardware_a_person_moving_the_camera_is_noted_for_speaker_tracking(
    signalling_node: LabNode,
) -> None:
    site = lab_site(signalling_node.url, call_type="none", auto_join=False)
    async with running_room(site) as (room, watch):
        assert room.state.camera_moved_at is None
        assert (await room.submit(RecallPreset(2, source=TRACKING_SOURCE))).ok  # a seat-zone preset
        assert room.state.camera_moved_at is None, "tracking's own recall is not a person"
        assert (await room.submit(RecallPreset(0))).ok  # the wide preset, from a button
        await watch.until(lambda s: s.camera_moved_at is not None)


@pytest.mark.media
async def test_hardware_fecc_supported_is_advertised_with_an_answering_camera(media_node: LabNode) -> None:
    async with running_room(lab_site(media_node.url)) as (room, watch):
        state = await watch.until(lambda s: in_call(s) and any(p.is_self for p in s.participants))
        assert room.hardware.fecc_supported
        me = media_node.conference("meet").members[self_uuid(state)]
        assert me.participant.fecc_supported


async def test_hardware_far_end_fecc_pans_our_camera_and_stops_by_its_timeout(
    signalling_node: LabNode,
) -> None:
    async with running_room(lab_site(signalling_node.url, call_type="none")) as (room, watch):
        state = await watch.until(lambda s: in_call(s) and any(p.is_self for p in s.participants))
        camera = fake_camera(room)
        async with far_end(signalling_node) as far:
            start = {"action": "start", "movement": [{"axis": "pan", "direction": "left"}], "timeout": 300}
            status, _ = await far.post(f"participants/{self_uuid(state)}/fecc", start)
            assert status == 200
            await watch.until(lambda s: s.fecc_active)
            await watch.until_event(lambda e: isinstance(e, FeccReceived) and e.direction == "left")
            # no continue and no stop: the bridge stops the camera when the 300 ms pass
            await watch.until(lambda s: not s.fecc_active)
        assert camera.state.pan_velocity == 0 and camera.position()[0] < 0


async def test_hardware_send_fecc_honours_its_timeout(signalling_node: LabNode) -> None:
    async with running_room(lab_site(signalling_node.url, call_type="none")) as (room, watch):
        await watch.until(in_call)
        async with far_end(signalling_node) as far:
            target = signalling_node.conference("meet").members[far.uuid]
            assert (await room.submit(SendFecc("start", "pan", "left", target=far.uuid, timeout_ms=350))).ok
            assert (await room.submit(SendFecc("continue", "pan", "left", target=far.uuid))).ok
            assert (await room.submit(SendFecc("start", "zoom", "in", target=far.uuid))).ok
            await eventually(lambda: len(target.fecc_received) == 3)
            assert [signal["timeout"] for signal in target.fecc_received] == [350, 200, 1000]


async def test_hardware_virtual_camera_view_goes_to_the_capture(signalling_node: LabNode) -> None:
    site = lab_site(signalling_node.url, call_type="none", auto_join=False)
    async with running_room(site) as (room, _watch):
        video = room._preferences().video_source
        assert video is not None and video.view_size == (640, 360)
        assert video.view == fake_camera(room).view


async def test_hardware_panel_button_reaches_the_room_controller(signalling_node: LabNode) -> None:
    site = lab_site(signalling_node.url, call_type="none")
    factory = MockFactory()
    try:
        async with running_room(site, pin_factory=factory) as (_room, watch):
            await watch.until(in_call)
            factory.pin(17).drive_low()  # the mute button (ci-virtual: GPIO17)
            await settle()
            await watch.until(lambda s: s.microphone_muted)
            await eventually(lambda: bool(factory.pin(25).state))  # the muted LED shows it
    finally:
        factory.reset()


async def test_hardware_unusable_gpio_is_a_room_error_naming_the_key(signalling_node: LabNode) -> None:
    profile = load_profile("ci-virtual")
    profile = dataclasses.replace(profile, gpio=dataclasses.replace(profile.gpio, pin_factory="no-such-chip"))
    room = RoomController(lab_site(signalling_node.url, call_type="none"), profile)
    try:
        await room.start()
        state = room.state
        assert state.error is not None and state.error.kind is ErrorKind.DEVICE
        assert "[gpio] pin_factory" in state.error.message
        assert [d.present for d in state.devices if d.role is DeviceRole.GPIO] == [False]
        assert room.hardware.fecc_supported, "the camera works without the panel"
    finally:
        await room.stop()


async def test_hardware_answering_ptz_camera_is_among_the_room_devices(signalling_node: LabNode) -> None:
    site = lab_site(signalling_node.url, call_type="none", auto_join=False)
    async with running_room(site) as (_room, watch):
        await watch.until(lambda s: any(d.role is DeviceRole.PTZ and d.present for d in s.devices))


async def test_hardware_unplugged_microphone_is_a_room_event_the_kiosk_shows(
    signalling_node: LabNode,
) -> None:
    monitor = FakeMonitor()
    profile = load_profile("ci-virtual")
    profile = dataclasses.replace(profile, udev=(UdevRule("microphone", "sound", name_contains="Camera"),))
    site = lab_site(signalling_node.url, call_type="none")
    try:
        async with running_room(site, profile=profile, udev_monitor=monitor) as (room, watch):
            await watch.until(in_call)
            monitor.push(udev_device({"ACTION": "remove", **USB_CAMERA_SOUND_CARD}))
            event = await watch.until_event(
                lambda e: isinstance(e, DevicePresence) and e.device.role is DeviceRole.MICROPHONE
            )
            assert not event.device.present and event.device.name == "USB Camera"
            kiosk = KioskModel(room.state)
            kiosk.apply_event(event, 0.0, str)
            assert kiosk.missing_devices == ("Microphone",)
            assert [toast.text for toast in kiosk.toasts] == ["Microphone unplugged"]
            assert room.state.call is CallState.IN_CALL
    finally:
        monitor.close()
