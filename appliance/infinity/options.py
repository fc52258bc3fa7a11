"""Every timeout, retry budget and backoff of the client in one frozen value.

PexRTC hard-codes its numbers (10 s per request, 10 retries at
``retries x 500 ms``, SSE reconnect +1 s per failure up to 15 s). They are
the defaults here, but tests need them a hundred times smaller, and a site
behind a slow proxy may need them larger, so nothing below reads a constant.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from appliance.backoff import Backoff

# PexRTC's numbers: requests retried n x 500 ms apart, the event stream reopened
# n x 1 s apart; a refresh retried 1, 2, 4, 8, 10, 10 ... s apart until the token lapses.
PEXRTC_REQUEST_RETRY = Backoff(first=0.5, linear=True)
PEXRTC_RECONNECT = Backoff(first=1.0, linear=True)
REFRESH_RETRY = Backoff(first=1.0, factor=2.0, cap=10.0)


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Retries of 502/504 answers, timeouts and network errors.

    Retry ``n`` (1-based) waits ``backoff.delay(n)`` first; the default is
    PexRTC's ``n x 500 ms``. ``attempts`` counts retries after the first try.
    """

    attempts: int = 10
    backoff: Backoff = PEXRTC_REQUEST_RETRY

    def delay(self, retry: int) -> float:
        return self.backoff.delay(retry)


@dataclass(frozen=True, slots=True)
class ReconnectPolicy:
    """Event-stream reconnection: wait ``backoff.delay(n)`` before attempt ``n``.

    Gives up (the session fails) when the next delay, before any cap or
    jitter, would exceed ``max_delay``; with the defaults (PexRTC's
    ``n x 1 s``) that is after 15 failed attempts in a row, about two
    minutes, as PexRTC.
    """

    backoff: Backoff = PEXRTC_RECONNECT
    max_delay: float = 15.0

    def delay(self, failures: int) -> float | None:
        """Delay before the next attempt, or None when it is time to give up."""
        if self.backoff.base(failures) > self.max_delay:
            return None
        return self.backoff.delay(failures)


@dataclass(frozen=True, slots=True)
class ClientOptions:
    """Configuration of one :class:`~appliance.infinity.session.InfinitySession`."""

    request_timeout: float = 10.0
    # Once the session has failed or is closing, each request (hang-up, release)
    # is tried once within this time: leaving must not wait on a node that is gone.
    leave_timeout: float = 2.0
    # request_token may wait for a conference to be created on the node.
    request_token_timeout: float = 60.0
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    reconnect: ReconnectPolicy = field(default_factory=ReconnectPolicy)
    # The event stream counts as dropped when it delivers no complete event and
    # no keep-alive comment for this long: three keep-alives of a node that
    # sends one every 10 s (the lab node does; see docs/infinity-client.md).
    event_read_timeout: float = 30.0
    event_connect_timeout: float = 10.0
    # How long start_events() waits for the first participant_sync_end.
    sync_timeout: float = 30.0
    # Refresh at expires * fraction (PexRTC and @pexip/infinity: 1/3).
    refresh_fraction: float = 1 / 3
    # Retries of a failed refresh until the old token would expire.
    refresh_retry: Backoff = REFRESH_RETRY
    # How many events an events() iterator may hold before dropping the oldest.
    event_queue_size: int = 1000
    verify_tls: bool = True
    ca_file: str | None = None
    # (user, password) for a reverse proxy that wants Authorization: Basic.
    basic_auth: tuple[str, str] | None = None
    user_agent: str = "appliance-infinity/0.1"

    def __post_init__(self) -> None:
        for name in (
            "request_timeout",
            "request_token_timeout",
            "leave_timeout",
            "event_read_timeout",
            "sync_timeout",
        ):
            if getattr(self, name) <= 0:
                raise ValueError(f"ClientOptions.{name}: expected a positive number of seconds")
        if not 0 < self.refresh_fraction < 1:
            raise ValueError("ClientOptions.refresh_fraction: expected a number between 0 and 1")
        if self.retry.attempts < 0:
            raise ValueError("ClientOptions.retry.attempts: expected 0 or more")
