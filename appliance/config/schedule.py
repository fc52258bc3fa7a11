"""When a room may join: ``[join] schedule`` in the site file, e.g. ``"weekdays 07:00-19:00"``.

Pure parsing and arithmetic on local wall-clock time, no I/O: the rejoin
policy asks whether a moment is inside the schedule and, if not, when the
next window opens (docs/daemon.md, "Rejoin policy").

A schedule is one or more windows separated by ``;``, each ``DAYS HH:MM-HH:MM``. DAYS is
``daily``, ``weekdays``, ``weekends``, a day (``mon``), a range
(``mon-fri``) or a comma list (``mon,wed,fri``). A window ends after it
starts on the same day (no windows across midnight: write two).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta

DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_GROUPS = {"daily": range(7), "weekdays": range(5), "weekends": range(5, 7)}
_WINDOW = re.compile(r"^\s*(?P<days>[a-z,\-]+)\s+(?P<start>\d{1,2}:\d{2})\s*-\s*(?P<end>\d{1,2}:\d{2})\s*$")


class ScheduleError(ValueError):
    """A schedule that cannot be read; the message says what part is wrong."""


@dataclass(frozen=True, slots=True)
class Window:
    days: frozenset[int]  # 0 = Monday
    start: time
    end: time

    def contains(self, moment: datetime) -> bool:
        return moment.weekday() in self.days and self.start <= moment.time() < self.end


@dataclass(frozen=True, slots=True)
class Schedule:
    windows: tuple[Window, ...]
    text: str

    def contains(self, moment: datetime) -> bool:
        return any(window.contains(moment) for window in self.windows)

    def next_open(self, moment: datetime) -> datetime:
        """The first moment at or after ``moment`` inside the schedule."""
        if self.contains(moment):
            return moment
        day = moment.replace(hour=0, minute=0, second=0, microsecond=0)
        candidates = []
        for offset in range(8):
            date = day + timedelta(days=offset)
            for window in self.windows:
                if date.weekday() in window.days:
                    opens = date.replace(hour=window.start.hour, minute=window.start.minute)
                    if opens >= moment:
                        candidates.append(opens)
        if not candidates:  # cannot happen for a parsed schedule: every window has a day
            raise ScheduleError(f"{self.text!r} never opens")
        return min(candidates)

    def seconds_until_open(self, moment: datetime) -> float:
        return max(0.0, (self.next_open(moment) - moment).total_seconds())


def _days(text: str) -> frozenset[int]:
    if text in _GROUPS:
        return frozenset(_GROUPS[text])
    days: set[int] = set()
    for part in text.split(","):
        if "-" in part:
            first, _, last = part.partition("-")
            a, b = _day(first), _day(last)
            if b < a:
                raise ScheduleError(f"day range {part!r} runs backwards (write it as two ranges)")
            days.update(range(a, b + 1))
        else:
            days.add(_day(part))
    return frozenset(days)


def _day(name: str) -> int:
    if name not in DAY_NAMES:
        raise ScheduleError(f"{name!r} is not a day (mon … sun, daily, weekdays, weekends)")
    return DAY_NAMES.index(name)


def _time(text: str) -> time:
    hours, _, minutes = text.partition(":")
    h, m = int(hours), int(minutes)
    if h == 24 and m == 0:
        return time.max
    if not (0 <= h < 24 and 0 <= m < 60):
        raise ScheduleError(f"{text!r} is not a time of day (00:00 to 24:00)")
    return time(h, m)


def parse_schedule(text: str | list[str]) -> Schedule:
    """``"weekdays 07:00-19:00; sat 09:00-12:00"`` (or a list of windows) → :class:`Schedule`."""
    items = (
        [part.strip() for part in text.split(";") if part.strip()] if isinstance(text, str) else list(text)
    )
    if not items:
        raise ScheduleError("an empty schedule never opens")
    windows = []
    for item in items:
        match = _WINDOW.match(item.lower())
        if match is None:
            raise ScheduleError(f"{item!r} is not DAYS HH:MM-HH:MM (e.g. 'weekdays 07:00-19:00')")
        start, end = _time(match["start"]), _time(match["end"])
        if end <= start:
            raise ScheduleError(f"{item!r} ends before it starts (no windows across midnight: write two)")
        windows.append(Window(_days(match["days"]), start, end))
    return Schedule(tuple(windows), "; ".join(items))
