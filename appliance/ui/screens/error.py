"""Errors in plain words, each with what the people in the room can do about it.

The room's :class:`~appliance.services.room_api.RoomError` carries a kind
and a message in plain words; the kiosk adds a title and a remedy per kind
(:data:`ERRORS`; a test checks every kind has one).
"""

from __future__ import annotations

import pygame

from appliance.services.room_api import ErrorKind
from appliance.ui.i18n import N_
from appliance.ui.model import KioskModel
from appliance.ui.theme import ACCENT, ALERT, BACKGROUND, TEXT, TEXT_DIM
from appliance.ui.widgets import Painter

# kind -> (title, remedy)
ERRORS: dict[ErrorKind, tuple[str, str]] = {
    ErrorKind.NODE_UNREACHABLE: (
        N_("The meeting service cannot be reached"),
        N_("Check the network cable. The room keeps trying; if it goes on, call IT support."),
    ),
    ErrorKind.WRONG_PIN: (
        N_("That PIN was not accepted"),
        N_("Press OK to type it again. Ask the meeting organiser if you do not know the PIN."),
    ),
    ErrorKind.CERTIFICATE: (
        N_("The meeting service's certificate is not trusted"),
        N_("The room will not join an unverified server. IT support must install the site's CA file."),
    ),
    ErrorKind.CAMERA_MISSING: (
        N_("No camera found"),
        N_("Check the camera's USB cable. The room joins with sound only until the camera is back."),
    ),
    ErrorKind.MEETING_ENDED: (
        N_("The meeting has ended"),
        N_("Press OK to join again when it starts."),
    ),
    ErrorKind.LOCKED: (
        N_("The meeting is locked"),
        N_("A Host must let this room in. Wait here, or ask the Host to unlock the meeting."),
    ),
    ErrorKind.WAITING_FOR_HOST: (
        N_("Waiting for the Host"),
        N_("The meeting starts when a Host joins. The room joins by itself then."),
    ),
    ErrorKind.REFUSED: (
        N_("The meeting did not let this room in"),
        N_("Press OK to try again, or ask the meeting organiser."),
    ),
    ErrorKind.CONFIGURATION: (
        N_("The room's settings are not valid"),
        N_("IT support must correct the site file: appliance config check says what is wrong."),
    ),
    ErrorKind.REGISTRATION: (
        N_("The room is not registered for incoming calls"),
        N_("Meetings can still be joined. IT support should check the registration settings."),
    ),
    ErrorKind.DEVICE: (
        N_("A device stopped working"),
        N_("Check the cables of the camera, microphone and loudspeaker, then press OK."),
    ),
    ErrorKind.INTERNAL: (
        N_("Something went wrong in the room system"),
        N_("Press OK to try again. If it happens again, call IT support."),
    ),
}


def draw_error(p: Painter, model: KioskModel) -> None:
    t, tr = p.theme, p.tr
    error = model.state.error
    kind = error.kind if error else ErrorKind.INTERNAL
    title, remedy = ERRORS[kind]
    p.surface.fill(BACKGROUND)
    x, width = t.margin * 2, t.width - 4 * t.margin
    pygame.draw.rect(p.surface, ALERT, pygame.Rect(0, 0, t.vh(1.5), t.height))
    y = p.wrapped(tr._(title), t.text_title, TEXT, x, t.vh(16), width)
    if error and error.message:
        y = p.wrapped(error.message, t.text_body, TEXT_DIM, x, y + t.gap, width, max_lines=3)
    y = p.wrapped(tr._(remedy), t.text_body, ACCENT, x, y + t.vh(4), width)
    label = tr._("Try again")
    rect = pygame.Rect(x, y + t.vh(5), p.button_width(label), t.button_height)
    p.button(rect, label, pygame.K_RETURN, primary=True)
