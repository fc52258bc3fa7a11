"""The one back-off type: schedules computed, never slept."""

from __future__ import annotations

import math

import pytest

from appliance.backoff import Backoff


def test_backoff_doubles_from_the_first_delay_up_to_the_cap() -> None:
    assert Backoff(first=1.0, factor=2.0, cap=5.0).schedule(5) == [1.0, 2.0, 4.0, 5.0, 5.0]


def test_backoff_linear_grows_by_the_first_delay_as_pexrtc() -> None:
    assert Backoff(first=0.5, linear=True).schedule(4) == [0.5, 1.0, 1.5, 2.0]


def test_backoff_jitter_spreads_the_delay_both_ways() -> None:
    backoff = Backoff(first=2.0, cap=10.0, jitter=0.5)
    assert backoff.delay(1, draw=lambda: 0.0) == 1.0
    assert backoff.delay(1, draw=lambda: 0.5) == 2.0
    assert backoff.delay(1, draw=lambda: 0.999999) == pytest.approx(3.0)


def test_backoff_jitter_never_exceeds_the_cap() -> None:
    assert Backoff(first=8.0, cap=8.0, jitter=0.5).delay(3, draw=lambda: 0.99) == 8.0


def test_backoff_survives_attempt_numbers_far_past_the_cap() -> None:
    assert Backoff(first=1.0, cap=30.0).delay(5000) == 30.0
    assert Backoff(first=1.0).base(5000) == math.inf


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"first": -1.0}, "Backoff.first"),
        ({"first": 1.0, "factor": 0.5}, "Backoff.factor"),
        ({"first": 2.0, "cap": 1.0}, "Backoff.cap"),
        ({"first": 1.0, "jitter": 1.5}, "Backoff.jitter"),
    ],
)
def test_backoff_refuses_values_that_make_no_schedule(fields: dict[str, float], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Backoff(**fields)  # type: ignore[arg-type]


def test_backoff_attempts_start_at_one() -> None:
    with pytest.raises(ValueError, match="start at 1"):
        Backoff(first=1.0).delay(0)
