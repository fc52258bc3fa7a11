"""Every call type, mute and camera switch against the lab node, judged by pixels and audio energy.

Two participants join the in-process lab node's ``meet`` room through the
Infinity client: ours (the call type under test) and "Other", an ordinary
video participant with a red camera and a 440 Hz tone. Whatever one sends
is checked where the other end decodes it: the composed picture's centre
shows the only other participant's tile, the audio mix carries the other
participant's tone, the slides line carries the presentation, and the
node's own per-call counters say what it decoded from us.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest

from appliance.infinity import InfinitySession, TokenGrant
from appliance.labnode.app import LabNode
from appliance.media.call_type import CallType
from appliance.media.engine import MediaCall
from appliance.media.plan import MediaSettings
from appliance.media.processing import ProcessingSettings
from appliance.media.sinks import VideoSink
from tests.support.media import BLUE_CAMERA, MICROPHONE, RED_CAMERA, SCREEN
from tests.support.waiting import eventually

pytestmark = pytest.mark.media

NO_PROCESSING = ProcessingSettings(False, False, False)
RED, BLUE, GREEN = (255, 0, 0), (0, 0, 255), (0, 128, 0)  # FFmpeg's "green" is half intensity


@dataclass
class Meeting:
    node: LabNode
    ours: InfinitySession
    other: InfinitySession

    def node_counters(self, call: MediaCall) -> dict[str, Any]:
        hub = self.node.conference("meet").hub
        assert hub is not None and call.call_uuid is not None
        return dict(hub.call_statistics(call.call_uuid))


@pytest.fixture
async def meeting() -> AsyncIterator[Meeting]:
    async with (
        LabNode(host="127.0.0.1", port=0) as node,
        InfinitySession(node.url, "meet") as ours,
        InfinitySession(node.url, "meet") as other,
    ):
        assert isinstance(await ours.join("Room 4"), TokenGrant)
        assert isinstance(await other.join("Other"), TokenGrant)
        yield Meeting(node, ours, other)


def settings(call_type: CallType = CallType.VIDEO, **overrides: Any) -> MediaSettings:
    base = MediaSettings(
        call_type=call_type, audio_source=MICROPHONE, video_source=RED_CAMERA, processing=NO_PROCESSING
    )
    for key, value in overrides.items():
        setattr(base, key, value)
    return base


def centre_rgb(sink: VideoSink) -> tuple[int, int, int] | None:
    """Mean colour of the centre of the newest picture ``sink`` handed to the display."""
    shown = sink.slot.take(timeout=0.5)
    if shown is None:
        return None
    bgra = shown.frame.to_ndarray()
    height, width = bgra.shape[:2]
    b, g, r, _ = (
        bgra[height // 2 - 8 : height // 2 + 8, width // 2 - 8 : width // 2 + 8].reshape(-1, 4).mean(0)
    )
    return int(r), int(g), int(b)


def looks_like(rgb: tuple[int, int, int] | None, wanted: tuple[int, int, int]) -> bool:
    return rgb is not None and bool(np.all(np.abs(np.subtract(rgb, wanted)) < 40))


async def shows(sink: VideoSink, wanted: tuple[int, int, int], within: float = 20.0) -> None:
    await eventually(lambda: looks_like(centre_rgb(sink), wanted), within=within)


async def other_participant(meeting: Meeting, **overrides: Any) -> MediaCall:
    call = MediaCall(meeting.other.calls, settings(**overrides))
    await call.start()
    return call


async def test_labnode_audioonly_call_hears_the_other_participant_without_any_video_line(
    meeting: Meeting,
) -> None:
    other = await other_participant(meeting)
    call = MediaCall(meeting.ours.calls, settings(CallType.AUDIOONLY))
    try:
        await call.start()
        await eventually(lambda: call.audio.frames > 50 and call.audio.rms > 300, within=20)
        assert call.pc is not None
        assert "m=video" not in call.pc.localDescription.sdp
        assert "m=video" not in call.pc.remoteDescription.sdp
        assert call.main_video.stats.frames == 0
        await eventually(lambda: meeting.node_counters(call)["frames_decoded"].get("audio", 0) > 10)
    finally:
        await call.close()
        await other.close()


async def test_labnode_recvonly_call_receives_the_composition_and_sends_nothing(meeting: Meeting) -> None:
    other = await other_participant(meeting)
    call = MediaCall(meeting.ours.calls, settings(CallType.RECVONLY))
    try:
        await call.start()
        await shows(call.main_video, RED)  # Other's camera, composed by the node
        await eventually(lambda: call.audio.rms > 300)
        decoded = meeting.node_counters(call)["frames_decoded"]
        assert sum(decoded.values()) == 0
        assert call.video_out.frames_sent == 0 and call.audio_out.frames_sent == 0
    finally:
        await call.close()
        await other.close()


async def test_labnode_presentation_call_receives_what_another_participant_presents(
    meeting: Meeting,
) -> None:
    other = await other_participant(meeting, screen_source=SCREEN)
    call = MediaCall(meeting.ours.calls, settings(CallType.PRESENTATION))
    try:
        await meeting.other.calls.take_floor()
        await other.start_screenshare()
        await call.start()
        await shows(call.presentation_video, GREEN)
        assert call.main_video.stats.frames == 0  # a presentation call has no main picture
    finally:
        await call.close()
        await other.close()


async def test_labnode_screen_call_shows_our_screen_to_the_other_participant(meeting: Meeting) -> None:
    other = await other_participant(meeting)
    call = MediaCall(meeting.ours.calls, settings(CallType.SCREEN))
    try:
        await meeting.ours.calls.take_floor()
        await call.start_screenshare(SCREEN)
        await call.start()
        await shows(other.presentation_video, GREEN)
        await eventually(lambda: meeting.node_counters(call)["frames_decoded"].get("presentation", 0) > 3)
    finally:
        await call.close()
        await other.close()


async def test_labnode_camera_switch_mid_call_changes_our_picture_at_the_far_end(meeting: Meeting) -> None:
    other = await other_participant(meeting, video_source=BLUE_CAMERA)
    call = MediaCall(meeting.ours.calls, settings())
    try:
        await call.start()
        await shows(other.main_video, RED)  # we are the only other tile Other sees
        await call.switch_camera(BLUE_CAMERA)
        await shows(other.main_video, BLUE)
    finally:
        await call.close()
        await other.close()


async def test_labnode_mute_stops_our_media_reaching_the_far_end(meeting: Meeting) -> None:
    other = await other_participant(meeting, audio_source=None)  # Other hears only us
    call = MediaCall(meeting.ours.calls, settings())
    try:
        await call.start()
        await eventually(lambda: other.audio.rms > 300, within=20)
        await shows(other.main_video, RED)
        call.mute_audio(True)
        call.mute_video(True)
        # the node decodes at most what was in flight, then nothing, and mixes silence for us
        await eventually(lambda: call.audio_out.frames_held > 10 and call.video_out.frames_held > 3)
        settled = meeting.node_counters(call)["frames_decoded"]
        await eventually(lambda: call.audio_out.frames_held > 60 and call.video_out.frames_held > 15)
        later = meeting.node_counters(call)["frames_decoded"]
        assert (later["audio"], later["video"]) == (settled["audio"], settled["video"])
        await eventually(lambda: other.audio.rms < 50)
        call.mute_audio(False)
        call.mute_video(False)
        await eventually(lambda: other.audio.rms > 300)
        await eventually(lambda: meeting.node_counters(call)["frames_decoded"]["video"] > later["video"] + 3)
    finally:
        await call.close()
        await other.close()


async def test_labnode_hang_up_is_not_taken_for_a_lost_connection(meeting: Meeting) -> None:
    events: list[str] = []
    call = MediaCall(meeting.ours.calls, settings(), on_event=lambda name, data: events.append(name))
    try:
        await call.start()
        await call.wait_connected()
        await call.disconnect_call()
        await call.add_call(CallType.VIDEO)  # the node is still there for a new call
        await call.wait_connected()
        assert "ice_restarting" not in events and "failed" not in events
    finally:
        await call.close()
