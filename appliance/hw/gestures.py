"""Button gestures from edges and time: short press, long press, hold, bounce. Pure; time passed in.

A panel button means different things by how long it is held: a short
press joins a meeting, only a hold hangs up (so a brush against the panel
never drops a call); a preset button recalls on a short press and stores
on a hold. The recogniser turns (pressed/released, time) pairs into those
gestures; it does no I/O and reads no clock, so every case is a unit test
with made-up times (docs/hardware.md, "Buttons").

- An edge less than ``bounce_s`` after the last accepted edge is contact
  bounce and is ignored (gpiozero's own ``bounce_time`` is left off, so
  the rule is here, testable).
- :data:`Gesture.HOLD` fires once, at ``hold_s`` after the press, while
  the button is still down (:meth:`Recogniser.poll`); its release then
  gives :data:`Gesture.LONG`, which callers usually ignore.
- A release before ``hold_s`` gives :data:`Gesture.SHORT`.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Gesture(enum.StrEnum):
    PRESS = "press"  # the button went down (callers remember what the room was doing then)
    SHORT = "short"  # released before hold_s
    HOLD = "hold"  # still down at hold_s (fires once)
    LONG = "long"  # released after a hold


@dataclass(slots=True)
class Recogniser:
    hold_s: float = 1.5
    bounce_s: float = 0.02
    pressed_at: float | None = None
    held: bool = False
    _last_edge: float | None = None
    _ignored: bool = False

    @property
    def is_pressed(self) -> bool:
        return self.pressed_at is not None

    def _bounce(self, now: float) -> bool:
        if self._last_edge is not None and now - self._last_edge < self.bounce_s:
            self._ignored = True
            return True
        self._last_edge = now
        return False

    def press(self, now: float) -> Gesture | None:
        if self.pressed_at is not None or self._bounce(now):
            return None
        self.pressed_at, self.held = now, False
        return Gesture.PRESS

    def release(self, now: float) -> Gesture | None:
        if self.pressed_at is None or self._bounce(now):
            return None
        return self._released(now)

    def settle_deadline(self) -> float | None:
        """When to look at the pin again because an edge was taken for bounce (None: no need)."""
        if not self._ignored or self._last_edge is None:
            return None
        return self._last_edge + self.bounce_s

    def settle(self, level: bool, now: float) -> Gesture | None:
        """The pin's level once bounce is over: a change that was taken for bounce but stayed counts.

        Leading-edge debounce acts on the first edge at once (no added
        latency) and ignores what follows within ``bounce_s``; if the last
        ignored edge was real (a very short tap), the level read after
        ``bounce_s`` puts it right.
        """
        self._ignored = False
        if level and self.pressed_at is None:
            self._last_edge, self.pressed_at, self.held = now, now, False
            return Gesture.PRESS
        if not level and self.pressed_at is not None:
            self._last_edge = now
            return self._released(now)
        return None

    def _released(self, now: float) -> Gesture:
        hold = self.poll(now)
        self.pressed_at = None
        if self.held or hold is Gesture.HOLD:
            self.held = False
            return Gesture.LONG
        return Gesture.SHORT

    def poll(self, now: float) -> Gesture | None:
        """HOLD once when the button has been down for ``hold_s``; None otherwise."""
        if self.pressed_at is None or self.held or now - self.pressed_at < self.hold_s:
            return None
        self.held = True
        return Gesture.HOLD

    def hold_deadline(self) -> float | None:
        """When :meth:`poll` will next have something to say (None if nothing is pending)."""
        if self.pressed_at is None or self.held:
            return None
        return self.pressed_at + self.hold_s
