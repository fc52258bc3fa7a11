"""The rejoin policy: what the room does after each kind of loss, per site setting."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

from appliance.config.schedule import parse_schedule
from appliance.config.site import JoinPolicy
from appliance.config.site import RejoinPolicy as Setting
from appliance.infinity.errors import ConferenceLocked, InvalidPin
from appliance.services.clock import ManualClock
from appliance.services.rejoin import Action, RejoinPolicy
from appliance.services.room_api import DisconnectCause

MONDAY_8 = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)


def policy(clock: ManualClock | None = None, seed: int = 1, **join: object) -> RejoinPolicy:
    settings = dataclasses.replace(JoinPolicy(), **join)  # type: ignore[arg-type]
    return RejoinPolicy(settings, clock or ManualClock(MONDAY_8), seed=seed)


def test_rejoin_network_loss_is_rejoined() -> None:
    assert policy().after(DisconnectCause.NETWORK).action is Action.REJOIN


def test_rejoin_counts_each_cause() -> None:
    rejoin = policy()
    for cause in (DisconnectCause.NETWORK, DisconnectCause.NETWORK, DisconnectCause.ADMIN):
        rejoin.after(cause)
    assert rejoin.counts == {DisconnectCause.NETWORK: 2, DisconnectCause.ADMIN: 1}


def test_rejoin_admin_kick_is_rejoined_under_always() -> None:
    assert policy(rejoin=Setting.ALWAYS).after(DisconnectCause.ADMIN).action is Action.REJOIN


def test_rejoin_admin_kick_is_respected_under_on_error() -> None:
    decision = policy(rejoin=Setting.ON_ERROR).after(DisconnectCause.ADMIN)
    assert (decision.action, decision.delay_s) == (Action.IDLE, None)


def test_rejoin_never_rests_in_standby() -> None:
    decision = policy(rejoin=Setting.NEVER).after(DisconnectCause.NETWORK)
    assert (decision.action, decision.delay_s) == (Action.STANDBY, None)


def test_rejoin_ended_meeting_is_not_fought() -> None:
    decision = policy(after_end_s=120.0).after(DisconnectCause.ENDED)
    assert (decision.action, decision.delay_s) == (Action.IDLE, 120.0)


def test_rejoin_wrong_pin_is_an_error() -> None:
    error = InvalidPin("request_token", "the PIN is wrong")
    assert policy().after(DisconnectCause.REFUSED, error).action is Action.ERROR


def test_rejoin_locked_meeting_is_tried_again() -> None:
    error = ConferenceLocked("request_token", "locked")
    assert policy().after(DisconnectCause.REFUSED, error).action is Action.REJOIN


def test_rejoin_gives_up_after_max_attempts() -> None:
    rejoin = policy(max_attempts=2)
    actions = [rejoin.after(DisconnectCause.NETWORK).action for _ in range(3)]
    assert actions == [Action.REJOIN, Action.REJOIN, Action.ERROR]


def test_rejoin_joined_resets_the_attempt_count() -> None:
    rejoin = policy(max_attempts=1)
    rejoin.after(DisconnectCause.NETWORK)
    rejoin.joined()
    assert rejoin.after(DisconnectCause.NETWORK).action is Action.REJOIN


def test_rejoin_outside_the_schedule_waits_in_standby_until_it_opens() -> None:
    clock = ManualClock(MONDAY_8.replace(hour=20))
    decision = policy(clock, schedule=parse_schedule("weekdays 07:00-19:00")).after(DisconnectCause.NETWORK)
    assert decision.action is Action.STANDBY
    assert decision.delay_s == timedelta(hours=11).total_seconds()


def test_rejoin_inside_the_schedule_rejoins() -> None:
    decision = policy(schedule=parse_schedule("weekdays 07:00-19:00")).after(DisconnectCause.NETWORK)
    assert decision.action is Action.REJOIN


def test_rejoin_waits_double_up_to_the_cap() -> None:
    rejoin = policy(backoff_initial_s=1.0, backoff_max_s=8.0)
    delays = [rejoin.after(DisconnectCause.NETWORK).delay_s for _ in range(6)]
    assert all(d is not None for d in delays)
    bases = [1, 2, 4, 8, 8, 8]
    assert all(0.8 * b <= d <= min(8.0, 1.2 * b) for b, d in zip(bases, delays, strict=True))  # type: ignore[operator]


def test_rejoin_two_rooms_draw_different_waits() -> None:
    first, second = policy(seed=1), policy(seed=2)
    assert first.after(DisconnectCause.NETWORK).delay_s != second.after(DisconnectCause.NETWORK).delay_s
