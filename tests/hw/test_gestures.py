"""Button gestures from edges and made-up times (appliance.hw.gestures)."""

from __future__ import annotations

from appliance.hw.gestures import Gesture, Recogniser


def test_gestures_press_is_reported_at_once() -> None:
    assert Recogniser(hold_s=1.0).press(10.0) is Gesture.PRESS


def test_gestures_release_before_hold_time_is_short() -> None:
    button = Recogniser(hold_s=1.0)
    button.press(10.0)
    assert button.release(10.5) is Gesture.SHORT


def test_gestures_hold_fires_once_while_still_pressed() -> None:
    button = Recogniser(hold_s=1.0)
    button.press(10.0)
    assert button.poll(10.9) is None
    assert button.poll(11.0) is Gesture.HOLD
    assert button.poll(12.0) is None


def test_gestures_release_after_hold_is_long() -> None:
    button = Recogniser(hold_s=1.0)
    button.press(10.0)
    button.poll(11.2)
    assert button.release(11.5) is Gesture.LONG


def test_gestures_release_past_hold_time_without_poll_is_long() -> None:
    button = Recogniser(hold_s=1.0)
    button.press(10.0)
    assert button.release(12.0) is Gesture.LONG


def test_gestures_bounce_after_press_is_ignored() -> None:
    button = Recogniser(hold_s=1.0, bounce_s=0.02)
    button.press(10.0)
    assert button.release(10.005) is None
    assert button.press(10.01) is None
    assert button.is_pressed


def test_gestures_bounce_on_release_gives_one_short_press() -> None:
    button = Recogniser(hold_s=1.0, bounce_s=0.02)
    button.press(10.0)
    assert button.release(10.3) is Gesture.SHORT
    assert button.press(10.31) is None
    assert button.release(10.315) is None
    assert not button.is_pressed


def test_gestures_tap_shorter_than_bounce_is_recovered_by_settle() -> None:
    button = Recogniser(hold_s=1.0, bounce_s=0.02)
    button.press(10.0)
    button.release(10.005)  # taken for bounce
    assert button.settle_deadline() == 10.02
    assert button.settle(False, 10.02) is Gesture.SHORT
    assert button.settle_deadline() is None


def test_gestures_hold_deadline_is_press_plus_hold_time() -> None:
    button = Recogniser(hold_s=1.5)
    assert button.hold_deadline() is None
    button.press(10.0)
    assert button.hold_deadline() == 11.5
    button.poll(11.5)
    assert button.hold_deadline() is None


def test_gestures_edges_after_bounce_time_count() -> None:
    button = Recogniser(hold_s=1.0, bounce_s=0.02)
    button.press(10.0)
    button.release(10.1)
    assert button.press(10.2) is Gesture.PRESS
