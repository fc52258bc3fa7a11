"""Whether and when the room answers a call by itself: a pure decision, time passed in.

Administrators expect a room to behave like a commercial room device when a
meeting dials it: answer by itself after a short ring (or not at all),
optionally with the microphone muted, never barge out of a meeting that is
running, and refuse callers on a deny list. All of that is decided here from
the site file's ``[answer]`` table (:class:`AnswerSettings`), the caller, and
whether the room is in a meeting — nothing else — so every rule is a unit
test without a node or a clock (docs/being-called.md, "Answer policy").

The controller acts on the :class:`Decision`: ring and wait for a person,
answer at ``answer_at`` unless the call is cancelled or answered first, or
reject at once.
"""

from __future__ import annotations

import enum
import fnmatch
from dataclasses import dataclass

from appliance.config.incoming import AnswerSettings, DuringMeeting

__all__ = ["Action", "AnswerSettings", "Caller", "Decision", "DuringMeeting", "decide", "due", "matches"]


class Action(enum.StrEnum):
    RING = "ring"  # show who is calling, play the ring tone, wait for Answer / Decline
    AUTO_ANSWER = "auto-answer"  # ring until answer_at, then answer by itself
    REJECT = "reject"  # do not ring; the call is declined at once


@dataclass(frozen=True, slots=True)
class Caller:
    display_name: str
    conference_alias: str


@dataclass(frozen=True, slots=True)
class Decision:
    action: Action
    reason: str  # one phrase for the log line and the room state's cause
    answer_at: float | None = None  # clock time of the automatic answer (AUTO_ANSWER only)
    muted: bool = False  # join with the microphone muted
    leave_first: bool = False  # answering means leaving the running meeting first


def matches(patterns: tuple[str, ...], caller: Caller) -> bool:
    """True if a pattern matches the caller's name or the conference alias (case-insensitive)."""
    names = (caller.display_name.lower(), caller.conference_alias.lower())
    return any(fnmatch.fnmatchcase(name, pattern.lower()) for pattern in patterns for name in names if name)


def decide(settings: AnswerSettings, caller: Caller, *, in_meeting: bool, now: float) -> Decision:
    """What to do with one incoming call, decided at clock time ``now``.

    Order: the deny list first (a denied caller never rings), then a running
    meeting (never answered into automatically; rejected or left to a
    person per ``during_meeting``), then the allow list (a caller not on a
    non-empty allow list rings for a person instead of being answered
    automatically), then ``auto_answer``.
    """
    if matches(settings.deny, caller):
        return Decision(Action.REJECT, "caller on the deny list")
    if in_meeting:
        if settings.during_meeting is DuringMeeting.REJECT:
            return Decision(Action.REJECT, "in a meeting; policy rejects calls")
        return Decision(
            Action.RING, "in a meeting; answering leaves it", muted=settings.muted, leave_first=True
        )
    if settings.allow and not matches(settings.allow, caller):
        return Decision(Action.RING, "caller not on the allow list", muted=settings.muted)
    if not settings.auto_answer:
        return Decision(Action.RING, "auto-answer off", muted=settings.muted)
    return Decision(
        Action.AUTO_ANSWER,
        f"auto-answer after {settings.delay_s:g} s",
        answer_at=now + settings.delay_s,
        muted=settings.muted,
    )


def due(decision: Decision, now: float) -> bool:
    """True once an automatic answer's time has come."""
    return (
        decision.action is Action.AUTO_ANSWER and decision.answer_at is not None and now >= decision.answer_at
    )
