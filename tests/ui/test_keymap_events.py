"""The key map through real SDL events: every binding, PIN entry, and taps on on-screen buttons."""

from __future__ import annotations

from dataclasses import replace

import pygame
import pytest

from appliance.services.room_api import (
    Answer,
    CallState,
    CameraPrivacy,
    Decline,
    EnterExtension,
    EnterPin,
    IncomingCall,
    Join,
    Leave,
    MoveCamera,
    MuteMicrophone,
    RaiseHand,
    RoomState,
    SendDtmf,
    SendFecc,
    SetLayout,
    Standby,
    Wake,
)
from appliance.ui.i18n import Translator
from appliance.ui.keymap import BINDINGS, key_down, key_up, tap
from appliance.ui.model import KioskModel, Screen
from appliance.ui.view import KioskView
from tests.support.kiosk import BASE, NOW, WALL

IN_CALL = BASE
READY = replace(BASE, call=CallState.IDLE)


def _through_sdl(model: KioskModel, *keys: tuple[int, str]) -> list[object]:
    """Post key presses and releases to SDL's queue, read them back, and feed the key map."""
    for key, char in keys:
        pygame.event.post(pygame.event.Event(pygame.KEYDOWN, key=key, unicode=char, mod=0, scancode=0))
        pygame.event.post(pygame.event.Event(pygame.KEYUP, key=key, unicode=char, mod=0, scancode=0))
    commands: list[object] = []
    for event in pygame.event.get((pygame.KEYDOWN, pygame.KEYUP)):
        if event.type == pygame.KEYDOWN:
            commands += key_down(model, event.key, event.unicode, NOW)
        else:
            commands += key_up(model, event.key)
    return commands


# (key, char, state) -> the commands the room receives, for every key of every binding
CASES = [
    (pygame.K_m, "m", IN_CALL, [MuteMicrophone(True)]),
    (pygame.K_v, "v", IN_CALL, [CameraPrivacy(True)]),
    (pygame.K_h, "h", IN_CALL, [RaiseHand(True)]),
    (pygame.K_LEFT, "", IN_CALL, [SendFecc("start", "pan", "left"), SendFecc("stop", "pan", "left")]),
    (pygame.K_RIGHT, "", IN_CALL, [SendFecc("start", "pan", "right"), SendFecc("stop", "pan", "right")]),
    (pygame.K_UP, "", IN_CALL, [SendFecc("start", "tilt", "up"), SendFecc("stop", "tilt", "up")]),
    (pygame.K_DOWN, "", IN_CALL, [SendFecc("start", "tilt", "down"), SendFecc("stop", "tilt", "down")]),
    (pygame.K_PLUS, "+", IN_CALL, [SendFecc("start", "zoom", "in"), SendFecc("stop", "zoom", "in")]),
    (pygame.K_EQUALS, "=", IN_CALL, [SendFecc("start", "zoom", "in"), SendFecc("stop", "zoom", "in")]),
    (pygame.K_KP_PLUS, "+", IN_CALL, [SendFecc("start", "zoom", "in"), SendFecc("stop", "zoom", "in")]),
    (pygame.K_MINUS, "-", IN_CALL, [SendFecc("start", "zoom", "out"), SendFecc("stop", "zoom", "out")]),
    (pygame.K_KP_MINUS, "-", IN_CALL, [SendFecc("start", "zoom", "out"), SendFecc("stop", "zoom", "out")]),
    (pygame.K_l, "l", IN_CALL, [SetLayout("")]),
    (pygame.K_q, "q", IN_CALL, [Leave()]),
    (pygame.K_s, "s", IN_CALL, [Standby()]),
    (pygame.K_s, "s", READY, [Standby()]),
    (pygame.K_LEFT, "", READY, [MoveCamera(pan=-1), MoveCamera(stop=True)]),
    (pygame.K_PLUS, "+", READY, [MoveCamera(zoom=1), MoveCamera(stop=True)]),
    (pygame.K_RETURN, "\r", READY, [Join()]),
    (pygame.K_KP_ENTER, "\r", READY, [Join()]),
    (pygame.K_SPACE, " ", READY, [Join()]),
    (pygame.K_RETURN, "\r", replace(BASE, call=CallState.ERROR), [Join()]),
    (
        pygame.K_RETURN,
        "\r",
        replace(BASE, call=CallState.RINGING, incoming=IncomingCall("x", "y", "c")),
        [Answer()],
    ),
    (
        pygame.K_ESCAPE,
        "\x1b",
        replace(BASE, call=CallState.RINGING, incoming=IncomingCall("x", "y", "c")),
        [Decline()],
    ),
    (
        pygame.K_BACKSPACE,
        "\b",
        replace(BASE, call=CallState.RINGING, incoming=IncomingCall("x", "y", "c")),
        [Decline()],
    ),
    (pygame.K_AC_BACK, "", replace(BASE, call=CallState.PIN_REQUIRED), [Leave()]),
    (pygame.K_a, "a", replace(BASE, call=CallState.STANDBY), [Wake("key")]),
    *[(pygame.K_0 + n, str(n), IN_CALL, [SendDtmf(str(n))]) for n in range(10)],
]


@pytest.mark.parametrize(
    ("key", "char", "state", "expected"), CASES, ids=lambda v: getattr(v, "name", None) or str(v)[:20]
)
def test_keymap_key_through_sdl_gives_the_room_command(
    sdl_display, key: int, char: str, state: RoomState, expected: list[object]
) -> None:
    assert _through_sdl(KioskModel(state), (key, char)) == expected


def test_keymap_every_bound_key_does_something(sdl_display) -> None:
    """No binding in the help overlay is a dead key: each changes the room or the screen."""
    for binding in BINDINGS:
        for key in binding.keys:
            model = KioskModel(
                IN_CALL if key not in (pygame.K_RETURN, pygame.K_KP_ENTER, pygame.K_SPACE) else READY
            )
            model.roster_open = key in (
                pygame.K_ESCAPE,
                pygame.K_BACKSPACE,
                pygame.K_AC_BACK,
            )  # Back closes it
            model.changed = False
            commands = _through_sdl(model, (key, ""))
            assert commands or model.changed, f"{binding.label}: key {pygame.key.name(key)} does nothing"


def test_keymap_r_toggles_the_roster(sdl_display) -> None:
    model = KioskModel(IN_CALL)
    _through_sdl(model, (pygame.K_r, "r"))
    assert model.roster_open
    _through_sdl(model, (pygame.K_ESCAPE, "\x1b"))
    assert not model.roster_open


def test_keymap_p_hides_the_self_view(sdl_display) -> None:
    model = KioskModel(IN_CALL)
    _through_sdl(model, (pygame.K_p, "p"))
    assert model.selfview_hidden


def test_keymap_f1_opens_help_and_any_key_closes_it_without_acting(sdl_display) -> None:
    model = KioskModel(IN_CALL)
    _through_sdl(model, (pygame.K_F1, ""))
    assert model.help_open
    assert _through_sdl(model, (pygame.K_q, "q")) == []
    assert not model.help_open


def test_keymap_pin_entry_through_sdl_events(sdl_display) -> None:
    model = KioskModel(replace(BASE, call=CallState.PIN_REQUIRED))
    keys = [
        (pygame.K_1, "1"),
        (pygame.K_2, "2"),
        (pygame.K_9, "9"),
        (pygame.K_BACKSPACE, "\b"),
        (pygame.K_KP3, "3"),
        (pygame.K_4, "4"),
    ]
    assert _through_sdl(model, *keys) == []
    assert model.entry == "1234"
    assert _through_sdl(model, (pygame.K_RETURN, "\r")) == [EnterPin("1234")]
    assert model.entry == ""


def test_keymap_pin_entry_ignores_letters(sdl_display) -> None:
    model = KioskModel(replace(BASE, call=CallState.PIN_REQUIRED))
    _through_sdl(model, (pygame.K_a, "a"), (pygame.K_5, "5"))
    assert model.entry == "5"


def test_keymap_empty_pin_joins_as_guest(sdl_display) -> None:
    model = KioskModel(replace(BASE, call=CallState.PIN_REQUIRED))
    assert _through_sdl(model, (pygame.K_RETURN, "\r")) == [EnterPin("")]


def test_keymap_extension_entry_takes_star_and_hash(sdl_display) -> None:
    model = KioskModel(replace(BASE, call=CallState.EXTENSION_REQUIRED))
    commands = _through_sdl(
        model, (pygame.K_4, "4"), (pygame.K_7, "7"), (pygame.K_HASH, "#"), (pygame.K_RETURN, "\r")
    )
    assert commands == [EnterExtension("47#")]


def _buttons(model: KioskModel, size: tuple[int, int] = (1280, 720)):
    view = KioskView(size, Translator("en"))
    return view.draw_ui(pygame.Surface(size), model, NOW, WALL)


def test_keymap_taps_on_the_keypad_enter_a_pin(sdl_display) -> None:
    model = KioskModel(replace(BASE, call=CallState.PIN_REQUIRED))
    commands: list[object] = []
    for label in ("4", "2", "OK"):
        button = next(b for b in _buttons(model) if b.label == label)
        size = (1280, 720)
        x, y = button.rect.center
        pygame.event.post(
            pygame.event.Event(
                pygame.FINGERDOWN,
                x=x / size[0],
                y=y / size[1],
                touch_id=1,
                finger_id=1,
                pressure=1.0,
                dx=0.0,
                dy=0.0,
            )
        )
        for event in pygame.event.get(pygame.FINGERDOWN):
            commands += tap(model, (int(event.x * size[0]), int(event.y * size[1])), _buttons(model), NOW)
    assert commands == [EnterPin("42")]


def test_keymap_tap_in_a_call_shows_the_controls_and_a_second_tap_mutes(sdl_display) -> None:
    model = KioskModel(IN_CALL)
    assert tap(model, (640, 300), _buttons(model), NOW) == []
    assert model.controls_shown(NOW)
    mute = next(b for b in _buttons(model) if b.label == "Mute")
    assert tap(model, mute.rect.center, _buttons(model), NOW) == [MuteMicrophone(True)]


def test_keymap_tap_wakes_the_room_from_standby(sdl_display) -> None:
    model = KioskModel(replace(BASE, call=CallState.STANDBY))
    assert model.screen is Screen.STANDBY
    assert tap(model, (10, 10), _buttons(model), NOW) == [Wake("touch")]
