"""Keys, USB remotes and taps to room commands: the kiosk's one key map.

USB presenter remotes and IR receivers present as keyboards, so one table
serves a keyboard, a remote and the demo window. A tap on an on-screen
button is turned into the same key press (:class:`Button` carries its key),
so touch, keys and remotes cannot drift apart. :data:`BINDINGS` is also what
the help overlay lists (docs/kiosk.md, "Key map").

Keys that change what the kiosk shows (roster, help, self-view) act on the
:class:`~appliance.ui.model.KioskModel` at once; keys that change the room
answer :data:`~appliance.services.room_api.RoomCommand` values, which the
SDL thread hands to the event loop.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import pygame

from appliance.services.room_api import (
    Answer,
    CallState,
    CameraPrivacy,
    Decline,
    EnterExtension,
    EnterPin,
    Join,
    Leave,
    MoveCamera,
    MuteMicrophone,
    RaiseHand,
    RoomCommand,
    SendDtmf,
    SendFecc,
    SetLayout,
    Standby,
    Wake,
)
from appliance.ui.i18n import N_
from appliance.ui.model import KioskModel, Screen

PIN_MAX_DIGITS = 20  # what Infinity accepts (docs/room-api.md)
_ENTER = (pygame.K_RETURN, pygame.K_KP_ENTER, pygame.K_SPACE)
_BACK = (pygame.K_ESCAPE, pygame.K_BACKSPACE, pygame.K_AC_BACK)
_PLUS = (pygame.K_PLUS, pygame.K_EQUALS, pygame.K_KP_PLUS)
_MINUS = (pygame.K_MINUS, pygame.K_KP_MINUS)
_HELP = (pygame.K_F1, pygame.K_QUESTION, pygame.K_SLASH)
# digits by key, for remotes that send key codes without text; typed text wins (shift+3 is "#")
_DIGIT_KEYS = {
    **{getattr(pygame, f"K_KP{n}"): str(n) for n in range(10)},
    **{pygame.K_0 + n: str(n) for n in range(10)},
    pygame.K_HASH: "#",
    pygame.K_ASTERISK: "*",
    pygame.K_KP_MULTIPLY: "*",
}

Direction = Literal["left", "right", "up", "down", "in", "out"]
_ARROWS: dict[int, tuple[Literal["pan", "tilt"], Direction]] = {
    pygame.K_LEFT: ("pan", "left"),
    pygame.K_RIGHT: ("pan", "right"),
    pygame.K_UP: ("tilt", "up"),
    pygame.K_DOWN: ("tilt", "down"),
}


@dataclass(frozen=True, slots=True)
class Binding:
    """One line of the help overlay: the keys, and what they do (both translated when drawn)."""

    label: str
    help: str
    keys: tuple[int, ...]


BINDINGS: tuple[Binding, ...] = (
    Binding("M", N_("Microphone on / off"), (pygame.K_m,)),
    Binding("V", N_("Camera on / off (privacy)"), (pygame.K_v,)),
    Binding("H", N_("Raise / lower hand"), (pygame.K_h,)),
    Binding(N_("Arrows"), N_("Move the far-end camera"), tuple(_ARROWS)),
    Binding("+ -", N_("Zoom the far-end camera"), (*_PLUS, *_MINUS)),
    Binding("L", N_("Next layout"), (pygame.K_l,)),
    Binding("R", N_("Who is in the meeting"), (pygame.K_r,)),
    Binding("P", N_("Show / hide self-view"), (pygame.K_p,)),
    Binding("Q", N_("Leave the meeting"), (pygame.K_q,)),
    Binding("S", N_("Standby"), (pygame.K_s,)),
    Binding(
        "0-9 # *", N_("Dial tones in a call; PIN or extension"), tuple(range(pygame.K_0, pygame.K_9 + 1))
    ),
    Binding(N_("OK / Enter"), N_("Join, confirm or answer"), _ENTER),
    Binding(N_("Esc / Back"), N_("Close, delete or decline"), _BACK),
    Binding("F1 / ?", N_("This help"), _HELP),
)


@dataclass(frozen=True, slots=True)
class Button:
    """An on-screen touch target: tapping it presses ``key`` (``char`` for digits)."""

    rect: pygame.Rect
    label: str
    key: int
    char: str = ""


def key_down(model: KioskModel, key: int, char: str, now: float) -> list[RoomCommand]:
    """One key pressed: change the model and/or answer the commands for the room."""
    screen = model.screen
    state = model.state
    digit = char if char and char in "0123456789#*" else _DIGIT_KEYS.get(key, "")
    if key in _HELP or char == "?":
        model.toggle_help()
        return []
    if model.help_open:  # any other key closes help first: it covers the screen
        model.close_overlays()
        return []
    if screen is Screen.STANDBY and state.call is CallState.STANDBY:
        return [Wake("key")]
    if screen in (Screen.PIN, Screen.EXTENSION):
        return _entry_key(model, key, digit)
    if screen is Screen.INCOMING:
        if key in _ENTER:
            return [Answer()]
        if key in _BACK:
            return [Decline()]
        return []
    if screen in (Screen.IN_CALL, Screen.PRESENTATION):
        return _in_call_key(model, key, digit, now)
    if key in _ENTER and screen in (Screen.STANDBY, Screen.ERROR):
        return [Join()]
    if key == pygame.K_s and screen is Screen.STANDBY:
        return [Standby()]
    if key in _ARROWS and screen is Screen.STANDBY:
        axis, direction = _ARROWS[key]
        step: Literal[-1, 1] = -1 if direction in ("left", "down") else 1
        return [MoveCamera(pan=step) if axis == "pan" else MoveCamera(tilt=step)]
    if (key in _PLUS or key in _MINUS) and screen is Screen.STANDBY:
        return [MoveCamera(zoom=1 if key in _PLUS else -1)]
    if key == pygame.K_m:
        return [MuteMicrophone(not state.microphone_muted)]
    if key == pygame.K_v:
        return [CameraPrivacy(not state.camera_privacy)]
    if key in _BACK:
        model.close_overlays()
    return []


def key_up(model: KioskModel, key: int) -> list[RoomCommand]:
    """A released arrow or zoom key stops the camera it was moving."""
    in_call = model.screen in (Screen.IN_CALL, Screen.PRESENTATION)
    if key in _ARROWS:
        axis, direction = _ARROWS[key]
        return [SendFecc("stop", axis, direction)] if in_call else [MoveCamera(stop=True)]
    if key in _PLUS or key in _MINUS:
        direction_z: Direction = "in" if key in _PLUS else "out"
        return [SendFecc("stop", "zoom", direction_z)] if in_call else [MoveCamera(stop=True)]
    return []


def _in_call_key(model: KioskModel, key: int, digit: str, now: float) -> list[RoomCommand]:
    state = model.state
    if key == pygame.K_m:
        return [MuteMicrophone(not state.microphone_muted)]
    if key == pygame.K_v:
        return [CameraPrivacy(not state.camera_privacy)]
    if key == pygame.K_h:
        return [RaiseHand(not state.hand_raised)]
    if key == pygame.K_l:
        return [SetLayout("")]
    if key == pygame.K_q:
        return [Leave()]
    if key == pygame.K_s:
        return [Standby()]  # the room leaves the call on its way to standby
    if key == pygame.K_r:
        model.toggle_roster()
        return []
    if key == pygame.K_p:
        model.toggle_selfview()
        return []
    if key in _ARROWS:
        axis, direction = _ARROWS[key]
        return [SendFecc("start", axis, direction)]
    if key in _PLUS or key in _MINUS:
        return [SendFecc("start", "zoom", "in" if key in _PLUS else "out")]
    if digit:
        return [SendDtmf(digit)]
    if key in _BACK:
        model.close_overlays()
        return []
    if key in _ENTER:
        model.show_controls(now)
    return []


def _entry_key(model: KioskModel, key: int, digit: str) -> list[RoomCommand]:
    if digit and (digit.isdigit() or model.screen is Screen.EXTENSION or digit == "#"):
        if len(model.entry) < PIN_MAX_DIGITS:
            model.entry += digit
            model.changed = True
        return []
    if key in _BACK:
        if model.entry:
            model.entry = model.entry[:-1]
            model.changed = True
            return []
        return [Leave()]  # back on an empty entry gives up joining
    if key in _ENTER:
        typed, model.entry = model.entry, ""
        model.changed = True
        if model.screen is Screen.EXTENSION:
            return [EnterExtension(typed)]
        model.pin_sent = True
        return [EnterPin(typed)]  # empty: join as a Guest where the meeting allows it
    return []


def tap(model: KioskModel, position: tuple[int, int], buttons: list[Button], now: float) -> list[RoomCommand]:
    """A tap (finger or mouse) at ``position`` in display pixels."""
    for button in reversed(buttons):  # the topmost button wins
        if button.rect.collidepoint(position):
            commands = key_down(model, button.key, button.char, now)
            return commands + key_up(model, button.key)
    if model.screen in (Screen.IN_CALL, Screen.PRESENTATION):
        model.show_controls(now)
    elif model.state.call is CallState.STANDBY:
        return [Wake("touch")]
    return []
