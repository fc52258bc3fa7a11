"""The answer policy: one decision per incoming call, from the site's [answer] table and the clock."""

from __future__ import annotations

import pytest

from appliance.services.answer_policy import (
    Action,
    AnswerSettings,
    Caller,
    DuringMeeting,
    decide,
    due,
)

ALICE = Caller(display_name="Alice", conference_alias="meet")


def test_answer_policy_auto_answer_off_rings_for_a_person() -> None:
    decision = decide(AnswerSettings(), ALICE, in_meeting=False, now=100.0)
    assert decision.action is Action.RING
    assert decision.answer_at is None


def test_answer_policy_auto_answer_answers_after_the_delay() -> None:
    decision = decide(AnswerSettings(auto_answer=True, delay_s=5), ALICE, in_meeting=False, now=100.0)
    assert decision.action is Action.AUTO_ANSWER
    assert decision.answer_at == 105.0
    assert not due(decision, 104.9)
    assert due(decision, 105.0)


def test_answer_policy_zero_delay_is_due_at_once() -> None:
    decision = decide(AnswerSettings(auto_answer=True), ALICE, in_meeting=False, now=7.0)
    assert due(decision, 7.0)


def test_answer_policy_answer_muted_is_carried_to_the_decision() -> None:
    decision = decide(AnswerSettings(auto_answer=True, muted=True), ALICE, in_meeting=False, now=0.0)
    assert decision.muted


def test_answer_policy_never_auto_answers_into_a_running_meeting() -> None:
    settings = AnswerSettings(auto_answer=True, during_meeting=DuringMeeting.LEAVE_AND_ANSWER)
    decision = decide(settings, ALICE, in_meeting=True, now=0.0)
    assert decision.action is Action.RING
    assert decision.leave_first


def test_answer_policy_rejects_during_a_meeting_by_default() -> None:
    decision = decide(AnswerSettings(auto_answer=True), ALICE, in_meeting=True, now=0.0)
    assert decision.action is Action.REJECT


def test_answer_policy_deny_list_rejects_even_with_auto_answer() -> None:
    settings = AnswerSettings(auto_answer=True, deny=("ali*",))
    assert decide(settings, ALICE, in_meeting=False, now=0.0).action is Action.REJECT


def test_answer_policy_deny_list_matches_the_conference_alias() -> None:
    settings = AnswerSettings(deny=("MEET",))
    assert decide(settings, Caller("Bob", "meet"), in_meeting=False, now=0.0).action is Action.REJECT


def test_answer_policy_caller_outside_the_allow_list_rings_instead_of_auto_answer() -> None:
    settings = AnswerSettings(auto_answer=True, allow=("*@example.com",))
    assert decide(settings, ALICE, in_meeting=False, now=0.0).action is Action.RING


def test_answer_policy_caller_on_the_allow_list_is_auto_answered() -> None:
    settings = AnswerSettings(auto_answer=True, allow=("alice",))
    assert decide(settings, ALICE, in_meeting=False, now=0.0).action is Action.AUTO_ANSWER


def test_answer_policy_delay_over_fifty_seconds_is_refused() -> None:
    with pytest.raises(ValueError, match="0 to 50"):
        AnswerSettings(delay_s=51)
