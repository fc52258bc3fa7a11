"""The microphone array in a running room: directions as room events, tracking recalling presets.

The ci-virtual profile's array is the virtual "meeting" room: a talker at -50° (the
"left" seat zone, preset 1) for the first 6 s, then the centre, then the right.
"""

from __future__ import annotations

import dataclasses
import logging
import math

import pytest

from appliance.config.profile import load_profile
from appliance.labnode.app import LabNode
from appliance.services.controller import RoomController
from appliance.services.room_api import CallState, SpeakerTracking, SpeechDirection
from tests.support.daemon import lab_site, running_room
from tests.support.waiting import eventually

pytestmark = pytest.mark.media


def _left_of_the_table(event: object) -> bool:
    return isinstance(event, SpeechDirection) and abs(math.remainder(event.azimuth_deg + 50.0, 360.0)) <= 10.0


async def test_room_array_directions_of_the_talker_reach_the_room_as_events(media_node: LabNode) -> None:
    async with running_room(lab_site(media_node.url, call_type="audioonly")) as (room, watch):
        await watch.until(lambda s: s.call is CallState.IN_CALL)
        event = await watch.until_event(_left_of_the_table)
        assert 0.0 < event.confidence <= 1.0
        assert room.state.speaker_tracking is False


async def test_room_array_tracking_turns_the_ptz_camera_to_the_left_zone(
    media_node: LabNode, caplog: pytest.LogCaptureFixture
) -> None:
    site = dataclasses.replace(lab_site(media_node.url, call_type="audioonly"), speaker_tracking=True)
    with caplog.at_level(logging.INFO, logger="appliance.services.tracking"):
        async with running_room(site) as (room, watch):
            assert room.state.speaker_tracking is True
            await watch.until(lambda s: s.call is CallState.IN_CALL)

            def recalled() -> list[dict[str, object]]:
                return [
                    r.context  # type: ignore[attr-defined]
                    for r in caplog.records
                    if r.getMessage() == "speaker tracking recalled a preset"
                ]

            await eventually(lambda: bool(recalled()))
            ptz = room.hardware.ptz  # the fake VISCA camera: the left zone's preset is panned left
            assert ptz is not None and ptz.fake is not None
            await eventually(lambda: ptz.fake.position()[0] < 0)
    assert recalled()[0] == {"preset": 1, "zone": "left", "ok": True}


async def test_room_array_tracking_command_switches_the_state(media_node: LabNode) -> None:
    async with running_room(lab_site(media_node.url, call_type="none")) as (room, watch):
        result = await room.submit(SpeakerTracking(True))
        assert result.ok
        await watch.until(lambda s: s.speaker_tracking)


async def test_room_array_tracking_is_refused_without_seat_zones() -> None:
    site = lab_site("http://127.0.0.1:9", call_type="none")
    room = RoomController(dataclasses.replace(site, profile="rpi4-usbcam"), load_profile("rpi4-usbcam"))
    result = await room.submit(SpeakerTracking(True))
    assert not result.ok and "declares no seat zones" in result.reason
