"""Rejoin schedules: 'weekdays 07:00-19:00' read and asked about."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from appliance.config.schedule import ScheduleError, parse_schedule

TZ = timezone(timedelta(hours=1))
MONDAY_8 = datetime(2026, 12, 7, 8, 0, tzinfo=TZ)  # a Monday


def test_schedule_weekdays_contains_a_monday_morning() -> None:
    assert parse_schedule("weekdays 07:00-19:00").contains(MONDAY_8)


def test_schedule_weekdays_excludes_saturday() -> None:
    assert not parse_schedule("weekdays 07:00-19:00").contains(MONDAY_8 - timedelta(days=2))


def test_schedule_window_end_is_exclusive() -> None:
    assert not parse_schedule("mon 07:00-08:00").contains(MONDAY_8)


def test_schedule_next_open_after_hours_is_next_morning() -> None:
    schedule = parse_schedule("weekdays 07:00-19:00")
    evening = MONDAY_8.replace(hour=20)
    assert schedule.next_open(evening) == MONDAY_8.replace(hour=7) + timedelta(days=1)


def test_schedule_next_open_on_friday_night_is_monday() -> None:
    schedule = parse_schedule("mon-fri 07:00-19:00")
    friday_night = MONDAY_8 + timedelta(days=4, hours=13)
    assert schedule.next_open(friday_night) == MONDAY_8.replace(hour=7) + timedelta(days=7)


def test_schedule_several_windows_separated_by_semicolons() -> None:
    schedule = parse_schedule("weekdays 07:00-19:00; sat 09:00-12:00")
    assert schedule.contains(MONDAY_8 + timedelta(days=5, hours=2))


def test_schedule_inside_a_window_is_open_now() -> None:
    assert parse_schedule("daily 00:00-24:00").seconds_until_open(MONDAY_8) == 0.0


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("weekdays", "is not DAYS HH:MM-HH:MM"),
        ("funday 07:00-19:00", "'funday' is not a day"),
        ("mon 19:00-07:00", "ends before it starts"),
        ("mon 25:00-26:00", "is not a time of day"),
        ("fri-mon 07:00-08:00", "runs backwards"),
    ],
)
def test_schedule_bad_text_says_what_is_wrong(text: str, message: str) -> None:
    with pytest.raises(ScheduleError, match=message):
        parse_schedule(text)
