"""PIN and extension entry: digits from keys, a remote or the on-screen keypad.

The PIN is shown as dots, never its digits (people stand behind the
screen); an extension is shown as typed. Backspace on an empty entry gives
up joining (docs/kiosk.md, "Key map").
"""

from __future__ import annotations

import pygame

from appliance.ui.model import KioskModel, Screen
from appliance.ui.theme import BACKGROUND, DARK_TEXT, PANEL, TEXT, TEXT_DIM, WARNING
from appliance.ui.widgets import Painter

_KEYPAD = ("123", "456", "789")


def draw_entry(p: Painter, model: KioskModel) -> None:
    t, tr = p.theme, p.tr
    p.surface.fill(BACKGROUND)
    pin = model.screen is Screen.PIN
    left_width = t.width * 55 // 100
    x = t.margin * 2
    y = t.vh(14)
    if pin:
        title = tr._("This meeting needs a PIN")
        hint = tr._("Type the PIN and press OK. Guests without a PIN: just press OK.")
    else:
        title = tr._("Which meeting?")
        hint = tr._("Type the meeting number and press OK.")
    if pin and model.pin_rejected:
        notice = tr._("That PIN was not accepted")
        height = p.fonts.line_height(t.text_body) + t.gap
        rect = pygame.Rect(
            x, y - t.vh(7) - t.gap // 2, p.fonts.width(notice, t.text_body) + 2 * t.gap, height
        )
        pygame.draw.rect(p.surface, WARNING, rect, border_radius=t.radius)
        p.text(notice, t.text_body, DARK_TEXT, rect.center, "center")
    y = p.wrapped(title, t.text_title, TEXT, x, y, left_width - x)
    y = p.wrapped(hint, t.text_body, TEXT_DIM, x, y + t.gap, left_width - x)
    box = pygame.Rect(x, y + t.vh(5), left_width - x - t.margin, t.vh(14))
    p.panel(box, PANEL)
    if model.entry and pin:  # dots, never the digits: people stand behind the screen
        radius = t.vh(1.6)
        for i in range(len(model.entry)):
            centre = (box.x + t.margin + radius + i * radius * 3, box.centery)
            pygame.draw.circle(p.surface, TEXT, centre, radius)
    elif model.entry:
        p.text(model.entry, t.text_title, TEXT, (box.x + t.margin, box.centery), "midleft")
    else:
        p.text(tr._("(nothing typed)"), t.text_body, TEXT_DIM, (box.x + t.margin, box.centery), "midleft")
    p.text(
        tr._("Back deletes a digit; Back on an empty entry cancels."),
        t.text_small,
        TEXT_DIM,
        (x, box.bottom + t.gap),
    )
    _keypad(p, left_width)


def _keypad(p: Painter, left: int) -> None:
    """A 3x4 keypad on the right for touch screens; each key presses the same key as a keyboard."""
    t, tr = p.theme, p.tr
    size = t.vh(15)
    gap = t.vh(2)
    x0 = left + (t.width - left - 3 * size - 2 * gap) // 2
    y0 = (t.height - 4 * size - 3 * gap) // 2
    for row, digits in enumerate(_KEYPAD):
        for col, digit in enumerate(digits):
            rect = pygame.Rect(x0 + col * (size + gap), y0 + row * (size + gap), size, size)
            p.button(rect, digit, getattr(pygame, f"K_{digit}"), digit)
    y = y0 + 3 * (size + gap)
    p.button(pygame.Rect(x0, y, size, size), tr._("Del"), pygame.K_BACKSPACE)
    p.button(pygame.Rect(x0 + size + gap, y, size, size), "0", pygame.K_0, "0")
    p.button(pygame.Rect(x0 + 2 * (size + gap), y, size, size), tr._("OK"), pygame.K_RETURN, primary=True)
