"""Overlays over any screen: who is in the meeting (roster) and the key map (help)."""

from __future__ import annotations

import pygame

from appliance.ui.keymap import BINDINGS
from appliance.ui.model import KioskModel
from appliance.ui.theme import ACCENT, ALERT, BACKGROUND, OK, SHADE_ALPHA, TEXT, TEXT_DIM, WARNING
from appliance.ui.widgets import Painter


def draw_roster(p: Painter, model: KioskModel) -> None:
    """A panel on the right: each participant with Host, muted, hand, presenting and speaking marks."""
    t, tr = p.theme, p.tr
    participants = sorted(
        model.state.participants, key=lambda q: (not q.is_self, q.role != "host", q.display_name.lower())
    )
    top = t.status_bar_height + (t.banner_height if model.state.meeting.classification else 0)
    panel = pygame.Rect(t.width - t.width * 2 // 5, top, t.width * 2 // 5, t.height - top)
    p.panel(panel, BACKGROUND, 235, radius=0)
    x = panel.x + t.margin
    y = panel.y + t.gap
    p.text(tr._("In the meeting ({count})").format(count=len(participants)), t.text_body, TEXT, (x, y))
    y += p.fonts.line_height(t.text_body) + t.gap
    row = p.fonts.line_height(t.text_small) + t.gap
    fits = max(1, (panel.bottom - y - row) // row)
    for person in participants[:fits]:
        this_room = tr._("this room")
        name = f"{person.display_name} ({this_room})" if person.is_self else person.display_name
        colour = OK if person.speaking else TEXT
        p.text(name, t.text_small, colour, (x, y))
        tags: list[tuple[str, tuple[int, int, int]]] = []
        if person.role == "host":
            tags.append((tr._("Host"), ACCENT))
        if person.presenting:
            tags.append((tr._("presenting"), OK))
        if person.hand_raised:
            tags.append((tr._("hand"), WARNING))
        if person.muted:
            tags.append((tr._("muted"), ALERT))
        right = panel.right - t.margin
        for label, tag_colour in reversed(tags):
            rect = p.text(label, t.text_small, tag_colour, (right, y), "topright")
            right = rect.left - t.gap
        y += row
    if len(participants) > fits:
        p.text(
            tr._("and {count} more").format(count=len(participants) - fits), t.text_small, TEXT_DIM, (x, y)
        )


def draw_help(p: Painter, model: KioskModel) -> None:
    """The key map, as the keyboard, the remote and the demo window use it."""
    del model
    t, tr = p.theme, p.tr
    shade = pygame.Rect(0, 0, t.width, t.height)
    p.panel(shade, BACKGROUND, SHADE_ALPHA, radius=0)
    row = p.fonts.line_height(t.text_small) + t.vh(0.8)
    height = t.vh(16) + row * len(BINDINGS)
    panel = pygame.Rect(0, 0, t.width * 3 // 4, height)
    panel.center = shade.center
    p.panel(panel, BACKGROUND, 250)
    pygame.draw.rect(p.surface, ACCENT, panel, width=max(1, t.vh(0.3)), border_radius=t.radius)
    x = panel.x + t.margin
    y = panel.y + t.gap
    p.text(tr._("Keys and remote buttons"), t.text_body, TEXT, (x, y))
    y += p.fonts.line_height(t.text_body) + t.gap
    keys_width = max(p.fonts.width(tr._(b.label), t.text_small) for b in BINDINGS) + t.margin
    for binding in BINDINGS:
        p.text(tr._(binding.label), t.text_small, ACCENT, (x, y))
        p.text(tr._(binding.help), t.text_small, TEXT, (x + keys_width, y))
        y += row
    p.text(
        tr._("Any key closes this help"),
        t.text_small,
        TEXT_DIM,
        (panel.centerx, panel.bottom - t.gap),
        "midbottom",
    )
