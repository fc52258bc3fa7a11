"""The button panel: gestures become room commands, room state becomes LEDs (docs/hardware.md)."""

from __future__ import annotations

import asyncio

from appliance.hw.gpio import LedPattern
from appliance.services.room_api import (
    Answer,
    CallState,
    CameraPrivacy,
    CommandResult,
    ErrorKind,
    Join,
    Leave,
    Meeting,
    MuteMicrophone,
    Participant,
    RaiseHand,
    RecallPreset,
    RoomError,
    RoomState,
    SendFecc,
    StorePreset,
)
from tests.support.panel import ci_gpio, panel_bench, settle
from tests.support.room import FakeRoom

IN_CALL = RoomState(call=CallState.IN_CALL)
IDLE = RoomState(call=CallState.IDLE)


async def test_panel_mute_press_mutes_the_microphone() -> None:
    async with panel_bench(FakeRoom(IN_CALL)) as bench:
        await bench.press("mute")
        assert bench.room.commands == [MuteMicrophone(True)]


async def test_panel_mute_press_when_muted_unmutes() -> None:
    async with panel_bench(FakeRoom(RoomState(call=CallState.IN_CALL, microphone_muted=True))) as bench:
        await bench.tap("mute")
        assert bench.room.commands == [MuteMicrophone(False)]


async def test_panel_camera_privacy_press_toggles_video_mute() -> None:
    async with panel_bench(FakeRoom(IN_CALL)) as bench:
        await bench.tap("camera_privacy")
        assert bench.room.commands == [CameraPrivacy(True)]


async def test_panel_hand_press_raises_and_lowers_the_hand() -> None:
    async with panel_bench(FakeRoom(IN_CALL)) as bench:
        await bench.tap("hand")
        bench.room.set_state(hand_raised=True)
        await bench.clock.advance(1)
        await bench.tap("hand")
        assert bench.room.commands == [RaiseHand(True), RaiseHand(False)]


async def test_panel_join_short_press_when_idle_joins() -> None:
    async with panel_bench(FakeRoom(IDLE)) as bench:
        await bench.tap("hangup", 0.2)
        assert bench.room.commands == [Join()]


async def test_panel_join_short_press_in_standby_joins() -> None:
    async with panel_bench(FakeRoom(RoomState(call=CallState.STANDBY))) as bench:
        await bench.tap("hangup", 0.2)
        assert bench.room.commands == [Join()]


async def test_panel_hangup_short_press_in_call_does_not_hang_up() -> None:
    async with panel_bench(FakeRoom(IN_CALL)) as bench:
        await bench.tap("hangup", 0.3)
        assert bench.room.commands == []


async def test_panel_hangup_hold_in_call_hangs_up_while_still_held() -> None:
    async with panel_bench(FakeRoom(IN_CALL)) as bench:
        await bench.press("hangup")
        await bench.clock.advance(1.0)  # ci-virtual: hold_s = 1.0
        await settle()
        assert bench.room.commands == [Leave()]
        await bench.release("hangup")
        assert bench.room.commands == [Leave()]


async def test_panel_hangup_held_through_a_call_end_does_nothing() -> None:
    async with panel_bench(FakeRoom(IN_CALL)) as bench:
        await bench.press("hangup")
        await bench.clock.advance(0.5)
        bench.room.set_state(call=CallState.IDLE, cause="far end hung up")
        await bench.clock.advance(1.0)
        await bench.release("hangup")
        assert bench.room.commands == []


async def test_panel_short_press_that_began_in_a_call_never_joins_after_it_ends() -> None:
    async with panel_bench(FakeRoom(IN_CALL)) as bench:
        await bench.press("hangup")
        bench.room.set_state(call=CallState.IDLE, cause="far end hung up")
        await bench.clock.advance(0.2)
        await bench.release("hangup")
        assert bench.room.commands == []


async def test_panel_join_short_press_while_ringing_answers() -> None:
    async with panel_bench(FakeRoom(RoomState(call=CallState.RINGING))) as bench:
        await bench.tap("hangup")
        assert bench.room.commands == [Answer()]


async def test_panel_preset_short_press_recalls() -> None:
    async with panel_bench(FakeRoom(IN_CALL)) as bench:
        await bench.tap("preset_1", 0.2)
        assert bench.room.commands == [RecallPreset(1)]


async def test_panel_preset_long_press_stores() -> None:
    async with panel_bench(FakeRoom(IN_CALL)) as bench:
        await bench.press("preset_1")
        await bench.clock.advance(1.5)  # default hold_s
        await bench.release("preset_1")
        assert bench.room.commands == [StorePreset(1)]


async def test_panel_bouncing_contact_is_one_press() -> None:
    async with panel_bench(FakeRoom(IN_CALL), ci_gpio(bounce_s=0.02)) as bench:
        await bench.press("mute")
        for _ in range(3):
            await bench.clock.advance(0.002)
            await bench.release("mute")
            await bench.clock.advance(0.002)
            await bench.press("mute")
        await bench.clock.advance(0.2)
        await bench.release("mute")
        assert bench.room.commands == [MuteMicrophone(True)]


async def test_panel_refused_command_is_recorded_not_raised() -> None:
    room = FakeRoom(IN_CALL)
    room.answer = lambda command: CommandResult(False, "no call")
    async with panel_bench(room) as bench:
        await bench.tap("hand")
        assert bench.panel.refused == [(RaiseHand(True), "no call")]


async def test_panel_fecc_button_sends_start_continue_stop() -> None:
    async with panel_bench(FakeRoom(IN_CALL)) as bench:
        await bench.press("far_right")
        await bench.clock.advance(0.2)
        await bench.clock.advance(0.2)
        await bench.release("far_right")
        await settle()
        actions = [(c.action, c.timeout_ms) for c in bench.room.commands if isinstance(c, SendFecc)]
        assert actions == [("start", 1000), ("continue", 200), ("continue", 200), ("stop", 200)]
        assert {(c.axis, c.direction) for c in bench.room.commands} == {("pan", "right")}


async def test_panel_leds_show_in_call() -> None:
    async with panel_bench(FakeRoom(IDLE)) as bench:
        assert bench.led("in_call") == 0
        bench.room.set_state(call=CallState.IN_CALL)
        await settle()
        assert bench.led("in_call") == 1


async def test_panel_muted_led_follows_our_mute() -> None:
    async with panel_bench(FakeRoom(IN_CALL)) as bench:
        bench.room.set_state(microphone_muted=True)
        await settle()
        assert bench.led("muted") == 1


async def test_panel_muted_led_lights_when_a_host_mutes_us() -> None:
    async with panel_bench(FakeRoom(IN_CALL)) as bench:
        await bench.press("mute")  # a press never lights the LED by itself
        assert bench.led("muted") == 0
        bench.room.set_state(muted_by_host=True)
        await settle()
        assert bench.led("muted") == 1


async def test_panel_muted_led_lights_when_all_guests_are_muted_and_we_are_a_guest() -> None:
    me = Participant("me", "Room", role="guest", is_self=True)
    async with panel_bench(FakeRoom(RoomState(call=CallState.IN_CALL, participants=(me,)))) as bench:
        bench.room.set_state(meeting=Meeting(name="m", guests_muted=True))
        await settle()
        assert bench.led("muted") == 1


async def test_panel_hand_led_follows_the_hand() -> None:
    async with panel_bench(FakeRoom(IN_CALL)) as bench:
        bench.room.set_state(hand_raised=True)
        await settle()
        assert bench.led("hand") == 1


async def test_panel_error_led_blinks() -> None:
    async with panel_bench(FakeRoom(IDLE)) as bench:
        bench.room.set_state(call=CallState.ERROR, error=RoomError(ErrorKind.DEVICE, "camera missing"))
        await settle()
        assert bench.panel.io is not None and bench.panel.io.patterns["error"] is LedPattern.BLINK
        seen = set()
        async with asyncio.timeout(5):
            while len(seen) < 2:
                seen.add(bench.led("error"))
                await asyncio.sleep(0.05)
        assert seen == {0.0, 1.0}


async def test_panel_standby_led_breathes_on_a_pwm_pin() -> None:
    async with panel_bench(FakeRoom(IDLE)) as bench:
        bench.room.set_state(call=CallState.STANDBY)
        await settle()
        levels = set()
        async with asyncio.timeout(5):
            while not any(0.05 < level < 0.95 for level in levels):
                levels.add(bench.led("standby"))
                await asyncio.sleep(0.05)


async def test_panel_standby_led_is_steady_without_pwm() -> None:
    async with panel_bench(FakeRoom(IDLE), pwm=False) as bench:
        bench.room.set_state(call=CallState.STANDBY)
        await settle()
        assert bench.led("standby") == 1


async def test_panel_leds_go_out_when_the_call_ends() -> None:
    async with panel_bench(FakeRoom(RoomState(call=CallState.IN_CALL, hand_raised=True))) as bench:
        bench.room.set_state(call=CallState.IDLE, hand_raised=False)
        await settle()
        assert (bench.led("in_call"), bench.led("hand")) == (0, 0)
