"""The kiosk model: which screen, which toasts and notices, from the room's state and events (time passed in)."""

from __future__ import annotations

from dataclasses import replace

from appliance.services.room_api import (
    CallState,
    ChatMessage,
    DevicePresence,
    DeviceRole,
    DeviceStatus,
    Meeting,
    MutedByHost,
    Participant,
    ParticipantJoined,
    RecoveryFinished,
    RecoveryStarted,
    RoomState,
    SplashScreen,
    StateChanged,
)
from appliance.ui.i18n import Translator
from appliance.ui.model import KioskModel, Screen, ToastKind

_ = Translator("en")._


def test_model_screen_follows_the_call_state() -> None:
    expected = {
        CallState.STARTING: Screen.SPLASH,
        CallState.SETUP_NEEDED: Screen.SETUP,
        CallState.STANDBY: Screen.STANDBY,
        CallState.IDLE: Screen.STANDBY,
        CallState.JOINING: Screen.JOINING,
        CallState.PIN_REQUIRED: Screen.PIN,
        CallState.EXTENSION_REQUIRED: Screen.EXTENSION,
        CallState.RINGING: Screen.INCOMING,
        CallState.IN_CALL: Screen.IN_CALL,
        CallState.ERROR: Screen.ERROR,
    }
    for call, screen in expected.items():
        assert KioskModel(RoomState(call=call)).screen is screen


def test_model_someone_presenting_shows_the_presentation_screen() -> None:
    model = KioskModel(RoomState(call=CallState.IN_CALL, meeting=Meeting(presenter="Ada")))
    assert model.screen is Screen.PRESENTATION


def test_model_chat_message_becomes_a_toast_that_expires() -> None:
    model = KioskModel(RoomState(call=CallState.IN_CALL))
    model.apply_event(ChatMessage("Ada", "hello"), 100.0, _)
    assert [(t.origin, t.text) for t in model.toasts] == [("Ada", "hello")]
    model.expire(100.0 + KioskModel.TOAST_S - 0.1)
    assert model.toasts
    model.expire(100.0 + KioskModel.TOAST_S)
    assert not model.toasts


def test_model_keeps_only_the_newest_toasts() -> None:
    model = KioskModel(RoomState(call=CallState.IN_CALL))
    for i in range(5):
        model.apply_event(ChatMessage("Ada", f"message {i}"), 100.0 + i, _)
    assert [t.text for t in model.toasts] == ["message 2", "message 3", "message 4"]


def test_model_mute_by_a_host_is_an_alert() -> None:
    model = KioskModel(RoomState(call=CallState.IN_CALL))
    model.apply_event(MutedByHost(True), 1.0, _)
    assert model.toasts[-1].kind is ToastKind.ALERT


def _joined_at(start: float) -> KioskModel:
    model = KioskModel(RoomState(call=CallState.JOINING))
    model.apply_state(RoomState(call=CallState.IN_CALL), start)
    return model


def test_model_own_arrival_is_not_announced() -> None:
    model = _joined_at(0.0)
    model.apply_event(ParticipantJoined(Participant("u1", "Room 4", is_self=True)), 10.0, _)
    model.apply_event(ParticipantJoined(Participant("u2", "Ada")), 10.0, _)
    assert [t.text for t in model.toasts] == ["Ada joined"]


def test_model_the_roster_a_call_starts_with_is_not_announced() -> None:
    model = _joined_at(100.0)
    model.apply_event(ParticipantJoined(Participant("u2", "Ada")), 100.5, _)
    assert model.toasts == []


def test_model_unplugged_device_is_announced_and_listed_while_absent() -> None:
    camera = DeviceStatus(DeviceRole.CAMERA, False)
    model = KioskModel(RoomState(call=CallState.IN_CALL, devices=(camera,)))
    model.apply_event(DevicePresence(camera), 1.0, _)
    assert model.toasts[-1].text == "Camera unplugged"
    assert model.missing_devices == ("Camera",)
    assert "device-notice" in model.visited


def test_model_recovery_notice_lasts_until_the_recovery_finishes() -> None:
    model = KioskModel(RoomState(call=CallState.IN_CALL))
    model.apply_event(RecoveryStarted("media", "network"), 1.0, _)
    assert model.recovering == "media"
    model.apply_event(RecoveryFinished("media", True, 2.4), 3.4, _)
    assert model.recovering == ""
    assert model.toasts[-1].text == "Connection restored after 2 s"


def test_model_splash_screen_shows_and_hides_by_key() -> None:
    model = KioskModel(RoomState(call=CallState.IN_CALL))
    model.apply_event(SplashScreen("direct_media_waiting", "Waiting"), 1.0, _)
    assert model.splash is not None
    model.apply_event(SplashScreen(""), 2.0, _)
    assert model.splash is None


def test_model_leaving_the_call_closes_the_roster_and_splash() -> None:
    in_call = RoomState(call=CallState.IN_CALL)
    model = KioskModel(in_call)
    model.toggle_roster()
    model.apply_event(SplashScreen("k", "t"), 1.0, _)
    model.apply_event(StateChanged(in_call, replace(in_call, call=CallState.IDLE), "left"), 2.0, _)
    assert not model.roster_open and model.splash is None


def test_model_entering_the_pin_screen_clears_what_was_typed() -> None:
    model = KioskModel(RoomState(call=CallState.PIN_REQUIRED))
    model.entry = "12"
    model.apply_state(RoomState(call=CallState.JOINING), 1.0)
    model.apply_state(RoomState(call=CallState.PIN_REQUIRED), 2.0)
    assert model.entry == ""


def test_model_records_the_screens_visited_in_order() -> None:
    model = KioskModel(RoomState(call=CallState.STARTING))
    model.apply_state(RoomState(call=CallState.IDLE), 1.0)
    model.apply_state(RoomState(call=CallState.IN_CALL), 2.0)
    assert model.visited == ["splash", "standby", "in-call"]


def test_model_touch_controls_hide_after_their_time() -> None:
    model = KioskModel(RoomState(call=CallState.IN_CALL))
    model.show_controls(10.0)
    model.expire(10.0 + KioskModel.CONTROLS_S)
    assert not model.controls_shown(10.0 + KioskModel.CONTROLS_S)


def test_model_asked_for_the_pin_again_after_sending_one_means_it_was_wrong() -> None:
    model = KioskModel(RoomState(call=CallState.PIN_REQUIRED))
    model.pin_sent = True
    model.apply_state(RoomState(call=CallState.JOINING), 1.0)
    model.apply_state(RoomState(call=CallState.PIN_REQUIRED), 2.0)
    assert model.pin_rejected


def test_model_first_pin_request_is_not_a_rejection() -> None:
    model = KioskModel(RoomState(call=CallState.JOINING))
    model.apply_state(RoomState(call=CallState.PIN_REQUIRED), 1.0)
    assert not model.pin_rejected


def test_model_unplugged_device_event_alone_shows_the_notice() -> None:
    model = KioskModel(RoomState(call=CallState.IN_CALL))
    model.apply_event(DevicePresence(DeviceStatus(DeviceRole.MICROPHONE, False)), 1.0, _)
    assert model.missing_devices == ("Microphone",)
    assert "device-notice" in model.visited


def test_model_device_back_clears_the_notice_the_state_raised() -> None:
    model = KioskModel(RoomState(call=CallState.IN_CALL, devices=(DeviceStatus(DeviceRole.CAMERA, False),)))
    model.apply_event(DevicePresence(DeviceStatus(DeviceRole.CAMERA, True)), 2.0, _)
    assert model.missing_devices == ()
    assert model.toasts[-1].text == "Camera is back"
