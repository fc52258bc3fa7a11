"""What is drawn over the video in a call: status bar, banner, self-view frame, notices, toasts, controls.

The video itself is put on screen by the display path (software blit or GPU
texture, docs/kiosk.md "Display paths"); :func:`video_layout` says where
each stream goes, and everything here is drawn on top of it.
"""

from __future__ import annotations

from dataclasses import dataclass

import pygame

from appliance.ui.i18n import N_, Translator
from appliance.ui.model import KioskModel, Screen, ToastKind
from appliance.ui.theme import (
    ACCENT,
    ALERT,
    ALERT_TEXT,
    BACKGROUND,
    DARK_TEXT,
    OK,
    PANEL,
    SHADE_ALPHA,
    TEXT,
    TEXT_DIM,
    WARNING,
    Colour,
    Theme,
)
from appliance.ui.widgets import Painter

RECOVERY_STEPS = {
    "stream": N_("Restoring the connection to the meeting"),
    "media": N_("Restoring sound and video"),
    "rejoin": N_("Rejoining the meeting"),
    "restart": N_("Restarting the room system"),
}


@dataclass(frozen=True, slots=True)
class VideoPlace:
    """Where one stream's picture goes, and whether it is shown mirrored (self-view)."""

    stream: str
    rect: pygame.Rect
    mirrored: bool = False


def fit(size: tuple[int, int], box: pygame.Rect) -> pygame.Rect:
    """The largest rectangle of ``size``'s aspect ratio centred in ``box`` (letterbox)."""
    width, height = size
    if width <= 0 or height <= 0:
        return box.copy()
    scale = min(box.width / width, box.height / height)
    rect = pygame.Rect(0, 0, round(width * scale), round(height * scale))
    rect.center = box.center
    return rect


def pip_rect(theme: Theme, model: KioskModel, now: float) -> pygame.Rect:
    width = theme.pip_width
    rect = pygame.Rect(0, 0, width, width * 9 // 16)
    bottom = theme.height - theme.margin
    if model.controls_shown(now):
        bottom -= theme.button_height + theme.gap
    rect.bottomright = (theme.width - theme.margin, bottom)
    return rect


def video_layout(
    theme: Theme, model: KioskModel, sizes: dict[str, tuple[int, int]], now: float
) -> list[VideoPlace]:
    """Where the streams go on this screen (``sizes``: the latest picture size of each stream)."""
    screen = pygame.Rect(0, 0, theme.width, theme.height)
    places: list[VideoPlace] = []
    if model.screen is Screen.PRESENTATION:
        places.append(VideoPlace("presentation", fit(sizes.get("presentation", (16, 9)), screen)))
        speakers = pygame.Rect(0, 0, theme.pip_width, theme.pip_width * 9 // 16)
        speakers.topright = (
            theme.width - theme.margin,
            theme.status_bar_height + _banner(theme, model) + theme.gap,
        )
        places.append(VideoPlace("main", fit(sizes.get("main", (16, 9)), speakers)))
    elif model.screen is Screen.IN_CALL:
        places.append(VideoPlace("main", fit(sizes.get("main", (16, 9)), screen)))
    else:
        return places
    if not model.selfview_hidden and not model.state.camera_privacy and "self" in sizes:
        places.append(VideoPlace("self", fit(sizes["self"], pip_rect(theme, model, now)), mirrored=True))
    return places


def _banner(theme: Theme, model: KioskModel) -> int:
    return theme.banner_height if model.state.meeting.classification else 0


def draw_in_call(p: Painter, model: KioskModel, now: float) -> None:
    """Everything over the video, in stacking order."""
    t = p.theme
    if model.splash is not None:
        _draw_splash_screen(p, model)
    top = 0
    if model.state.meeting.classification:
        top = _draw_banner(p, model)
    _draw_status_bar(p, model, now, top)
    _draw_selfview_frame(p, model, now)
    _draw_notices(p, model, top + t.status_bar_height + t.gap)
    _draw_toasts(p, model, now)
    if model.controls_shown(now):
        _draw_controls(p, model)


def _draw_banner(p: Painter, model: KioskModel) -> int:
    t = p.theme
    rect = pygame.Rect(0, 0, t.width, t.banner_height)
    pygame.draw.rect(p.surface, OK, rect)
    p.text(model.state.meeting.classification.upper(), t.text_small, DARK_TEXT, rect.center, "center")
    return rect.bottom


def _draw_status_bar(p: Painter, model: KioskModel, now: float, top: int) -> None:
    t, tr, state = p.theme, p.tr, model.state
    bar = pygame.Rect(0, top, t.width, t.status_bar_height)
    p.panel(bar, BACKGROUND, SHADE_ALPHA, radius=0)
    meeting = state.meeting
    name = meeting.name or meeting.alias or tr._("Meeting")
    x = t.margin
    name_rect = p.text(name, t.text_small, TEXT, (x, bar.centery), "midleft")
    if meeting.started_at is not None:
        p.text(
            tr.duration(now - meeting.started_at),
            t.text_small,
            TEXT_DIM,
            (name_rect.right + t.margin // 2, bar.centery),
            "midleft",
        )
    height = t.vh(4.4)
    y = bar.centery - height // 2
    right = t.width - t.margin
    for label, colour, text_colour in reversed(_indicators(model, tr)):
        width = p.fonts.width(label, t.text_small) + height
        right -= width
        p.pill(label, colour, text_colour, right, y, height)
        right -= t.gap


def _indicators(model: KioskModel, tr: Translator) -> list[tuple[str, Colour, Colour]]:
    """The status bar's pills, left to right: microphone, camera, hand, meeting flags, count."""
    state = model.state
    pills: list[tuple[str, Colour, Colour]] = []
    if state.muted_by_host:
        pills.append((tr._("Muted by Host"), ALERT, ALERT_TEXT))
    elif state.microphone_muted:
        pills.append((tr._("Microphone off"), ALERT, ALERT_TEXT))
    elif state.microphone_silent:
        pills.append((tr._("Guests muted"), ALERT, ALERT_TEXT))
    else:
        pills.append((tr._("Microphone on"), OK, DARK_TEXT))
    if state.camera_privacy:
        pills.append((tr._("Camera off"), ALERT, ALERT_TEXT))
    if state.hand_raised:
        pills.append((tr._("Hand raised"), WARNING, DARK_TEXT))
    meeting = state.meeting
    if meeting.locked:
        pills.append((tr._("Locked"), PANEL, TEXT))
    if meeting.guests_muted and not state.microphone_silent:
        pills.append((tr._("Guests muted"), PANEL, TEXT))
    if meeting.recording:
        pills.append((tr._("Recording"), ALERT, ALERT_TEXT))
    if meeting.streaming:
        pills.append((tr._("Streaming"), ALERT, ALERT_TEXT))
    if meeting.transcribing:
        pills.append((tr._("Transcribing"), PANEL, TEXT))
    count = len(state.participants)
    pills.append((tr._("{count} in call").format(count=count), PANEL, TEXT))
    return pills


def _draw_selfview_frame(p: Painter, model: KioskModel, now: float) -> None:
    if model.selfview_hidden:
        return
    t = p.theme
    rect = pip_rect(t, model, now)
    if model.state.camera_privacy:
        p.panel(rect, PANEL, SHADE_ALPHA)
        p.text(p.tr._("Camera off"), t.text_small, TEXT, rect.center, "center")
    pygame.draw.rect(p.surface, TEXT_DIM, rect, width=max(1, t.vh(0.25)), border_radius=t.vh(0.5))


def _draw_notices(p: Painter, model: KioskModel, y: int) -> None:
    """Persistent notices under the status bar: devices unplugged, a recovery under way."""
    t, tr = p.theme, p.tr
    notices: list[tuple[str, tuple[int, int, int]]] = []
    for device in model.missing_devices:
        notices.append(
            (
                tr._("{device} unplugged: plug it back in; the call goes on").format(device=tr._(device)),
                WARNING,
            )
        )
    if model.recovering:
        step = RECOVERY_STEPS.get(model.recovering)
        text = tr._(step) if step else tr._("Recovering: {step}").format(step=model.recovering)
        notices.append((text + " …", ACCENT))
    for text, colour in notices:
        width = p.fonts.width(text, t.text_small) + 2 * t.margin
        rect = pygame.Rect(0, y, min(width, t.width - 2 * t.margin), t.vh(6))
        rect.centerx = t.width // 2
        pygame.draw.rect(p.surface, colour, rect, border_radius=t.radius)
        p.text(text, t.text_small, DARK_TEXT, rect.center, "center")
        y = rect.bottom + t.gap


def _draw_toasts(p: Painter, model: KioskModel, now: float) -> None:
    """Chat and notices, newest at the bottom, in the lower left corner."""
    t = p.theme
    width = t.width * 2 // 5
    bottom = t.height - t.margin
    if model.controls_shown(now):
        bottom -= t.button_height + t.gap
    inner = width - 2 * t.gap
    for toast in reversed(model.toasts):
        lines = p.fonts.wrap(toast.text, t.text_small, inner)[:2]
        rows = len(lines) + (1 if toast.origin else 0)
        height = rows * p.fonts.line_height(t.text_small) + 2 * t.gap
        rect = pygame.Rect(t.margin, bottom - height, width, height)
        colour = ALERT if toast.kind is ToastKind.ALERT else PANEL
        p.panel(rect, colour, 235)
        y = rect.y + t.gap
        if toast.origin:
            p.text(
                toast.origin,
                t.text_small,
                ACCENT if toast.kind is not ToastKind.ALERT else TEXT,
                (rect.x + t.gap, y),
            )
            y += p.fonts.line_height(t.text_small)
        for line in lines:
            p.text(line, t.text_small, TEXT, (rect.x + t.gap, y))
            y += p.fonts.line_height(t.text_small)
        bottom = rect.y - t.gap


def _draw_controls(p: Painter, model: KioskModel) -> None:
    """The touch row: the same keys as the remote, as buttons."""
    t, tr, state = p.theme, p.tr, model.state
    buttons = [
        (tr._("Unmute") if state.microphone_muted else tr._("Mute"), pygame.K_m, state.microphone_muted),
        (tr._("Camera on") if state.camera_privacy else tr._("Camera off"), pygame.K_v, state.camera_privacy),
        (tr._("Lower hand") if state.hand_raised else tr._("Raise hand"), pygame.K_h, state.hand_raised),
        (tr._("People"), pygame.K_r, model.roster_open),
        (tr._("Layout"), pygame.K_l, False),
    ]
    leave = tr._("Leave")
    widths = [p.button_width(label) for label, _, _ in buttons] + [p.button_width(leave)]
    x = (t.width - sum(widths) - t.gap * len(buttons)) // 2
    y = t.height - t.margin - t.button_height
    for (label, key, active), width in zip(buttons, widths, strict=False):
        p.button(pygame.Rect(x, y, width, t.button_height), label, key, primary=active)
        x += width + t.gap
    p.button(pygame.Rect(x, y, widths[-1], t.button_height), leave, pygame.K_q, colour=ALERT)


def _draw_splash_screen(p: Painter, model: KioskModel) -> None:
    """A direct-media splash screen the node asked for (e.g. waiting for the other party)."""
    t, tr = p.theme, p.tr
    splash = model.splash
    assert splash is not None
    p.surface.fill(BACKGROUND)
    text = splash.text or tr._("Please wait")
    p.wrapped(text, t.text_title, TEXT, t.margin, t.vh(40), t.width - 2 * t.margin, centre=True)
