"""Screens outside a call: boot splash, set-up needed, standby with its clock, joining, incoming call."""

from __future__ import annotations

import datetime

import pygame

from appliance.services.room_api import CallState
from appliance.ui.i18n import N_
from appliance.ui.model import KioskModel
from appliance.ui.theme import ACCENT, BACKGROUND, OK, TEXT, TEXT_DIM, WARNING
from appliance.ui.widgets import Painter

SITE_FILE = "/etc/appliance/site.toml"

# what JOINING waits for (RoomState.waiting_for), in the room's words
WAITING_FOR = {
    "token": N_("Asking the meeting to let this room in"),
    "media": N_("Setting up sound and video"),
    "host": N_("Waiting for the Host to start the meeting"),
    "lobby": N_("Waiting in the lobby to be let in"),
    "pin": N_("Checking the PIN"),
    "node": N_("Reaching the conferencing node"),
}


def draw_splash(p: Painter, model: KioskModel) -> None:
    """Boot splash: which room this is, which version, which node it will use."""
    t, state, tr = p.theme, model.state, p.tr
    p.surface.fill(BACKGROUND)
    cx = t.width // 2
    p.text(state.room_name or tr._("Meeting room"), t.text_title, TEXT, (cx, t.vh(34)), "midtop")
    p.text(tr._("Starting…"), t.text_body, ACCENT, (cx, t.vh(50)), "midtop")
    details = []
    if state.version:
        details.append(tr._("Version {version}").format(version=state.version))
    if state.node:
        details.append(tr._("Node {address}").format(address=state.node))
    p.text("   ·   ".join(details), t.text_small, TEXT_DIM, (cx, t.height - t.margin), "midbottom")


def draw_setup(p: Painter, model: KioskModel) -> None:
    """Set-up needed: what the site file lacks and where it goes."""
    t, tr = p.theme, p.tr
    p.surface.fill(BACKGROUND)
    x, width = t.margin * 2, t.width - 4 * t.margin
    y = t.vh(12)
    p.text(tr._("Set-up needed"), t.text_title, WARNING, (x, y))
    y += t.vh(12)
    y = p.wrapped(
        tr._("This room cannot join meetings yet. The site file is missing:"), t.text_body, TEXT, x, y, width
    )
    y += t.gap
    for item in model.state.setup_missing or (tr._("the whole site file"),):
        y = p.wrapped(f"•  {item}", t.text_body, WARNING, x + t.margin, y, width - t.margin)
    y += t.vh(4)
    y = p.wrapped(
        tr._("Put the site file at {path} (the README's Configuration reference lists every key).").format(
            path=SITE_FILE
        ),
        t.text_body,
        TEXT,
        x,
        y,
        width,
    )
    y += t.gap
    p.wrapped(
        tr._("Check it with: appliance config check {path}").format(path=SITE_FILE),
        t.text_small,
        TEXT_DIM,
        x,
        y,
        width,
    )


def draw_standby(p: Painter, model: KioskModel, wall: datetime.datetime) -> None:
    """Standby / ready: the clock, the room, and what pressing a button will do."""
    t, state, tr = p.theme, model.state, p.tr
    p.surface.fill(BACKGROUND)
    cx = t.width // 2
    p.text(tr.clock(wall), t.text_huge, TEXT, (cx, t.vh(18)), "midtop")
    p.text(state.room_name or tr._("Meeting room"), t.text_title, TEXT_DIM, (cx, t.vh(42)), "midtop")
    meeting = state.meeting.name or state.meeting.alias
    if state.call is CallState.STANDBY:
        hint = tr._("Press any button or touch the screen to wake the room")
    elif meeting:
        hint = tr._("Press OK or touch Join to join {meeting}").format(meeting=meeting)
    else:
        hint = tr._("Press OK or touch Join to join the meeting")
    y = p.wrapped(hint, t.text_body, ACCENT, t.margin, t.vh(58), t.width - 2 * t.margin, centre=True)
    if state.call is CallState.IDLE:
        label = tr._("Join")
        width = p.button_width(label)
        rect = pygame.Rect(0, 0, width, t.button_height)
        rect.midtop = (cx, y + t.vh(3))
        p.button(rect, label, pygame.K_RETURN, primary=True)
    p.text(tr._("F1 or ? for help"), t.text_small, TEXT_DIM, (cx, t.height - t.margin), "midbottom")


def draw_joining(p: Painter, model: KioskModel, now: float) -> None:
    """Joining (or leaving, or waiting to rejoin), with what is being waited for."""
    t, state, tr = p.theme, model.state, p.tr
    p.surface.fill(BACKGROUND)
    cx = t.width // 2
    meeting = state.meeting.name or state.meeting.alias
    if state.call is CallState.LEAVING:
        title = tr._("Leaving the meeting")
    elif state.call is CallState.WAITING_TO_REJOIN and state.error is not None:
        title = tr._("Trying again shortly")
    elif state.call is CallState.WAITING_TO_REJOIN:
        title = tr._("Connection lost: rejoining")
    elif meeting:
        title = tr._("Joining {meeting}").format(meeting=meeting)
    else:
        title = tr._("Joining the meeting")
    y = p.wrapped(title, t.text_title, TEXT, t.margin, t.vh(32), t.width - 2 * t.margin, centre=True)
    waiting = WAITING_FOR.get(state.waiting_for)
    detail = tr._(waiting) if waiting else (state.waiting_for or tr._("Connecting"))
    if state.call is CallState.WAITING_TO_REJOIN and state.error is not None:
        detail = state.error.message
    if state.call is not CallState.LEAVING:
        p.wrapped(detail, t.text_body, ACCENT, t.margin, y + t.vh(4), t.width - 2 * t.margin, centre=True)
    _dots(p, cx, t.vh(72), now)


def draw_incoming(p: Painter, model: KioskModel) -> None:
    t, tr = p.theme, p.tr
    incoming = model.state.incoming
    p.surface.fill(BACKGROUND)
    cx = t.width // 2
    caller = incoming.caller if incoming else tr._("Someone")
    y = p.wrapped(
        tr._("{caller} is calling").format(caller=caller),
        t.text_title,
        TEXT,
        t.margin,
        t.vh(28),
        t.width - 2 * t.margin,
        centre=True,
    )
    answer, decline = tr._("Answer"), tr._("Decline")
    width = max(p.button_width(answer), p.button_width(decline))
    left = pygame.Rect(0, 0, width, t.button_height)
    left.topright = (cx - t.margin // 2, y + t.vh(8))
    right = left.copy()
    right.topleft = (cx + t.margin // 2, y + t.vh(8))
    p.button(left, answer, pygame.K_RETURN, primary=True, colour=OK)
    p.button(right, decline, pygame.K_ESCAPE)


def _dots(p: Painter, cx: int, y: int, now: float) -> None:
    """Three dots, one lit per second: the room is working, not frozen."""
    radius = p.theme.vh(1.2)
    lit = int(now) % 3
    for i in range(3):
        colour = ACCENT if i == lit else TEXT_DIM
        pygame.draw.circle(p.surface, colour, (cx + (i - 1) * radius * 4, y), radius)
