"""Kiosk scenes for the screenshot tests and the reference images (docs/kiosk.md, "Reference images").

Each scene is a room state plus events, at a fixed time, with synthetic
pictures, so a render is the same on every run. ``render()`` draws a scene
exactly as the software display path does (video composed, then the UI);
``python -m tests.support.kiosk`` rewrites every reference PNG in
``tests/data/ui/`` after a reviewed change.
"""

from __future__ import annotations

import ctypes
import datetime
import os
import sys
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import numpy as np

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")

import pygame

from appliance.services.room_api import (
    CallState,
    ChatMessage,
    DeviceRole,
    DeviceStatus,
    ErrorKind,
    IncomingCall,
    Meeting,
    MutedByHost,
    Participant,
    RecoveryStarted,
    RoomError,
    RoomEvent,
    RoomState,
    SplashScreen,
)
from appliance.ui.display import UiLayer, draw_frame
from appliance.ui.i18n import Translator
from appliance.ui.model import KioskModel
from appliance.ui.pictures import PictureStore
from appliance.ui.view import KioskView

REFERENCES = Path(__file__).resolve().parent.parent / "data" / "ui"
NOW = 10_000.0  # monotonic seconds at which every scene is drawn
WALL = datetime.datetime(2026, 12, 4, 14, 5)
SIZES = {"720p": (1280, 720), "1080p": (1920, 1080), "4k": (3840, 2160)}


class PatternPicture:
    """A synthetic decoded picture (bgra) that satisfies room_api.Picture."""

    pixel_format = "bgra"

    def __init__(self, stream: str, rgb: np.ndarray) -> None:
        self.stream = stream
        self.height, self.width = rgb.shape[:2]
        bgra = np.empty((self.height, self.width, 4), dtype=np.uint8)
        bgra[..., 0], bgra[..., 1], bgra[..., 2], bgra[..., 3] = rgb[..., 2], rgb[..., 1], rgb[..., 0], 255
        self._bgra = np.ascontiguousarray(bgra)

    def draw_into(self, address: int, pitch: int) -> None:
        row = self.width * 4
        source = self._bgra.ctypes.data
        if pitch == row:
            ctypes.memmove(address, source, row * self.height)
            return
        for y in range(self.height):
            ctypes.memmove(address + y * pitch, source + y * row, row)


def main_picture(size: tuple[int, int] = (1280, 720)) -> PatternPicture:
    """The lab node's composed 1:7 layout, roughly: a speaker on top, three small tiles below."""
    width, height = size
    rgb = np.zeros((height, width, 3), dtype=np.uint8)
    rgb[:] = (24, 26, 30)
    shade = np.linspace(0.75, 1.0, height * 3 // 4)[:, None, None]
    top = slice(height // 40, height * 3 // 4), slice(width // 6, width * 5 // 6)
    rgb[top] = (np.array([220, 50, 50]) * shade[: top[0].stop - top[0].start]).astype(np.uint8)
    tile_w = width // 6
    for i, colour in enumerate(([40, 100, 240], [40, 180, 80], [200, 160, 60])):
        x = width // 2 - tile_w * 3 // 2 + i * tile_w
        rgb[height * 78 // 100 : height * 97 // 100, x + 4 : x + tile_w - 4] = colour
    return PatternPicture("main", rgb)


def self_picture() -> PatternPicture:
    """Our camera: a grey-blue room with a yellow mark on its left, so mirroring shows."""
    rgb = np.zeros((360, 640, 3), dtype=np.uint8)
    rgb[:] = np.linspace(70, 130, 640, dtype=np.uint8)[None, :, None]
    rgb[..., 2] = 150
    rgb[140:220, 40:120] = (250, 220, 40)
    return PatternPicture("self", rgb)


def presentation_picture() -> PatternPicture:
    """A slide: white, a dark title bar, text lines and a bar chart."""
    rgb = np.full((720, 1280, 3), 245, dtype=np.uint8)
    rgb[40:130, 80:1200] = (30, 50, 90)
    for i in range(5):
        rgb[190 + i * 60 : 210 + i * 60, 100 : 600 - i * 50] = (90, 90, 100)
    for i, height in enumerate((180, 300, 240, 380)):
        rgb[640 - height : 640, 720 + i * 120 : 800 + i * 120] = ((60, 130, 220), (230, 120, 40))[i % 2]
    return PatternPicture("presentation", rgb)


PEOPLE = (
    Participant("u-self", "Room 4", "guest", is_self=True),
    Participant("u-ada", "Ada Lovelace", "host", speaking=True),
    Participant("u-alan", "Alan Turing", "guest", hand_raised=True),
    Participant("u-grace", "Grace Hopper", "guest", muted=True),
    Participant("u-edsger", "Edsger Dijkstra", "guest", presenting=False),
)
MEETING = Meeting(name="Weekly planning", alias="meet", started_at=NOW - 754)
BASE = RoomState(
    call=CallState.IN_CALL,
    room_name="Room 4 (second floor)",
    node="https://pexip.example.com",
    version="0.1.0",
    meeting=MEETING,
    participants=PEOPLE,
)

Scene = tuple[RoomState, list[RoomEvent], dict[str, PatternPicture], Callable[[KioskModel], None] | None]


def _in_call(**changes: object) -> RoomState:
    return replace(BASE, **changes)  # type: ignore[arg-type]


def scenes() -> dict[str, Scene]:
    """Every screen and overlay, by name (the reference image's name)."""
    call_pictures = {"main": main_picture(), "self": self_picture()}
    chat = ChatMessage("Ada Lovelace", "Can everyone see the slides? Let's start with the budget.")
    return {
        "splash": (replace(BASE, call=CallState.STARTING), [], {}, None),
        "setup": (
            replace(
                BASE,
                call=CallState.SETUP_NEEDED,
                setup_missing=("[node] address", "[conference] alias"),
            ),
            [],
            {},
            None,
        ),
        "standby": (replace(BASE, call=CallState.STANDBY), [], {}, None),
        "ready": (replace(BASE, call=CallState.IDLE), [], {}, None),
        "joining": (replace(BASE, call=CallState.JOINING, waiting_for="host"), [], {}, None),
        "pin": (replace(BASE, call=CallState.PIN_REQUIRED), [], {}, lambda m: setattr(m, "entry", "123")),
        "pin-rejected": (
            replace(BASE, call=CallState.PIN_REQUIRED),
            [],
            {},
            lambda m: setattr(m, "pin_rejected", True),
        ),
        "extension": (
            replace(BASE, call=CallState.EXTENSION_REQUIRED),
            [],
            {},
            lambda m: setattr(m, "entry", "4711"),
        ),
        "incoming": (
            replace(BASE, call=CallState.RINGING, incoming=IncomingCall("Reception desk", "reception", "c1")),
            [],
            {},
            None,
        ),
        "error-node-unreachable": (
            replace(
                BASE,
                call=CallState.ERROR,
                error=RoomError(ErrorKind.NODE_UNREACHABLE, "No answer from pexip.example.com for 30 s."),
            ),
            [],
            {},
            None,
        ),
        "error-wrong-pin": (
            replace(BASE, call=CallState.ERROR, error=RoomError(ErrorKind.WRONG_PIN, "")),
            [],
            {},
            None,
        ),
        "error-certificate": (
            replace(
                BASE,
                call=CallState.ERROR,
                error=RoomError(
                    ErrorKind.CERTIFICATE, "The certificate of pexip.example.com is self-signed."
                ),
            ),
            [],
            {},
            None,
        ),
        "in-call": (
            _in_call(
                meeting=replace(MEETING, recording=True, locked=True, classification="Official"),
                hand_raised=True,
            ),
            [chat],
            call_pictures,
            None,
        ),
        "in-call-muted-by-host": (
            _in_call(
                muted_by_host=True,
                camera_privacy=True,
                meeting=replace(MEETING, guests_muted=True, transcribing=True, streaming=True),
            ),
            [MutedByHost(True)],
            call_pictures,
            None,
        ),
        "in-call-controls": (
            _in_call(microphone_muted=True),
            [],
            call_pictures,
            lambda m: m.show_controls(NOW),
        ),
        "roster": (_in_call(), [], call_pictures, lambda m: m.toggle_roster()),
        "help": (_in_call(), [], call_pictures, lambda m: m.toggle_help()),
        "presentation": (
            _in_call(meeting=replace(MEETING, presenter="Ada Lovelace")),
            [ChatMessage("Alan Turing", "Next slide please")],
            {**call_pictures, "presentation": presentation_picture()},
            None,
        ),
        "device-recovery": (
            _in_call(devices=(DeviceStatus(DeviceRole.CAMERA, False, "USB camera"),), recovering="media"),
            [RecoveryStarted("media", "network")],
            {"main": main_picture()},
            None,
        ),
        "splash-screen": (
            _in_call(),
            [SplashScreen("direct_media_waiting", "Waiting for the other participant to join")],
            call_pictures,
            None,
        ),
    }


def model_of(name: str, translator: Translator) -> tuple[KioskModel, dict[str, PatternPicture]]:
    state, events, pictures, adjust = scenes()[name]
    model = KioskModel(state)
    for event in events:
        model.apply_event(event, NOW - 1.0, translator._)
    if adjust is not None:
        adjust(model)
    return model, pictures


def render(name: str, size: tuple[int, int] = SIZES["720p"], language: str = "en") -> pygame.Surface:
    """Draw scene ``name`` as the software display path does."""
    translator = Translator(language)
    model, pictures = model_of(name, translator)
    view = KioskView(size, translator)
    store = PictureStore()
    for stream, picture in pictures.items():
        store.put(stream, picture)
    surface = pygame.Surface(size, 0, 32)
    places = view.video_layout(model, store.sizes(), NOW)

    def draw_ui(target: pygame.Surface) -> None:
        view.draw_ui(target, model, NOW, WALL)

    draw_frame(surface, places, store, draw_ui, True, layer=UiLayer(size), scaled={})
    return surface


# (scene, size name, language): the reference images kept in the repository
REFERENCE_CASES: tuple[tuple[str, str, str], ...] = (
    *((name, "720p", "en") for name in scenes()),
    ("in-call", "1080p", "en"),
    ("pin", "1080p", "en"),
    ("standby", "720p", "de"),
    ("in-call", "720p", "de"),
    ("error-node-unreachable", "720p", "de"),
)


def reference_path(name: str, size: str, language: str) -> Path:
    return REFERENCES / f"{name}-{size}-{language}.png"


def regenerate() -> list[Path]:
    """Rewrite every reference image (after a change has been reviewed)."""
    pygame.display.init()
    pygame.font.init()
    REFERENCES.mkdir(parents=True, exist_ok=True)
    written = []
    for name, size, language in REFERENCE_CASES:
        path = reference_path(name, size, language)
        pygame.image.save(render(name, SIZES[size], language), str(path))
        written.append(path)
    return written


if __name__ == "__main__":
    for path in regenerate():
        print(path)
    sys.exit(0)
