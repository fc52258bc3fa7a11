"""What the room does after a call ends: rejoin, rest, or stop — the site file's rejoin policy.

Pure decisions on a clock that is passed in (docs/daemon.md, "Rejoin
policy"), so every rule is tested without a node or a sleep:

* causes are told apart and counted (:class:`~room_api.DisconnectCause`);
* a lost call (network, node restart or refused token, media) is rejoined
  under ``always`` and ``on-error``; an administrator's kick only under
  ``always``; ``never`` rests in standby;
* a meeting that ended is not fought: the room rests ``after_end_s``
  (and until the schedule opens) before it joins again;
* a wrong PIN from the site file is an error, never a retry loop;
* waits double from ``backoff_initial_s`` up to ``backoff_max_s``, ±20 %
  jitter (:class:`appliance.backoff.Backoff`);
  with ``schedule`` set, (re)joins happen only inside its windows;
* ``max_attempts`` failed joins in a row end in the ERROR state.
"""

from __future__ import annotations

import enum
import random
from collections import Counter
from dataclasses import dataclass

from appliance.backoff import Backoff
from appliance.config.site import JoinPolicy
from appliance.config.site import RejoinPolicy as Setting
from appliance.infinity.errors import InvalidPin
from appliance.services.clock import Clock
from appliance.services.room_api import DisconnectCause

# Rejoin waits spread over ±20 %: rooms restarted by one outage do not retry in step,
# and two rooms with the same name never stay in lockstep against each other.
JITTER = 0.2


def rejoin_backoff(join: JoinPolicy) -> Backoff:
    """``[join] backoff_initial_s`` doubling up to ``backoff_max_s``, with :data:`JITTER`."""
    return Backoff(first=join.backoff_initial_s, factor=2.0, cap=join.backoff_max_s, jitter=JITTER)


class Action(enum.StrEnum):
    REJOIN = "rejoin"  # wait delay_s in WAITING_TO_REJOIN, then join with a fresh client
    IDLE = "idle"  # rest awake; join again after delay_s when it is set
    STANDBY = "standby"  # rest in standby; join again after delay_s when it is set
    ERROR = "error"  # stop: someone has to fix something


@dataclass(frozen=True, slots=True)
class Decision:
    action: Action
    delay_s: float | None  # None: stay until a command
    reason: str


class RejoinPolicy:
    """The site's ``[join]`` rules with their counters; one per room."""

    def __init__(self, join: JoinPolicy, clock: Clock, *, seed: int | None = None) -> None:
        self.join = join
        self.clock = clock
        self.counts: Counter[DisconnectCause] = Counter()
        self.failures = 0  # attempts in a row that did not reach the meeting
        self._random = random.Random(seed)
        self._backoff = rejoin_backoff(join)

    def joined(self) -> None:
        """The room is in the meeting: the next loss starts from the shortest wait."""
        self.failures = 0

    def seconds_until_allowed(self) -> float:
        """0 inside the schedule (or without one), else the seconds until it opens."""
        schedule = self.join.schedule
        if schedule is None:
            return 0.0
        return schedule.seconds_until_open(self.clock.wall())

    def backoff(self, failures: int) -> float:
        """The wait before rejoin attempt ``failures`` (1-based), jittered by the room's own draw."""
        return self._backoff.delay(failures, self._random.random)

    def after(self, cause: DisconnectCause, error: Exception | None = None) -> Decision:
        """Count the end of a call and decide what comes next."""
        self.counts[cause] += 1
        setting = self.join.rejoin
        if cause is DisconnectCause.LOCAL:
            return Decision(Action.IDLE, None, "left on request")
        if cause is DisconnectCause.TRANSFER:
            return Decision(Action.REJOIN, 0.0, "following the transfer")
        if cause is DisconnectCause.ENDED:
            if setting is Setting.NEVER:
                return Decision(Action.STANDBY, None, "the meeting ended; rejoin is off")
            wait = max(self.join.after_end_s, self.seconds_until_allowed())
            return Decision(Action.IDLE, wait, f"the meeting ended; joining again in {wait:.0f} s")
        if isinstance(error, InvalidPin) or (cause is DisconnectCause.REFUSED and error is None):
            return Decision(Action.ERROR, None, "the meeting refused the site's PIN or sign-in")
        if setting is Setting.NEVER:
            return Decision(Action.STANDBY, None, "rejoin is off")
        if cause is DisconnectCause.ADMIN and setting is not Setting.ALWAYS:
            return Decision(Action.IDLE, None, "disconnected by an administrator; rejoin is on-error only")
        self.failures += 1
        if self.join.max_attempts and self.failures > self.join.max_attempts:
            return Decision(Action.ERROR, None, f"gave up after {self.join.max_attempts} attempts")
        closed = self.seconds_until_allowed()
        if closed > 0:
            return Decision(Action.STANDBY, closed, f"outside the schedule; joining again in {closed:.0f} s")
        delay = self.backoff(self.failures)
        return Decision(Action.REJOIN, delay, f"attempt {self.failures} in {delay:.1f} s")
