"""Every timeout, retry budget and backoff of the client in one frozen value.

PexRTC hard-codes its numbers (10 s per request, 10 retries at
``retries x 500 ms``, SSE reconnect +1 s per failure up to 15 s). They are
the defaults here, but tests need them a hundred times smaller, and a site
behind a slow proxy may need them larger, so nothing below reads a constant.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Retries of 502/504 answers, timeouts and network errors.

    Attempt ``n`` (1-based) waits ``n * step`` seconds first, as PexRTC does;
    ``attempts`` counts retries after the first try.
    """

    attempts: int = 10
    step: float = 0.5

    def delay(self, retry: int) -> float:
        return retry * self.step


@dataclass(frozen=True, slots=True)
class ReconnectPolicy:
    """Event-stream reconnection: wait ``n * step`` before attempt ``n``.

    Gives up (the session fails) when the next delay would exceed
    ``max_delay``; with the defaults that is after 15 failed attempts in a
    row, about two minutes, as PexRTC.
    """

    step: float = 1.0
    max_delay: float = 15.0

    def delay(self, failures: int) -> float | None:
        """Delay before the next attempt, or None when it is time to give up."""
        delay = failures * self.step
        if delay > self.max_delay:
            return None
        return delay


@dataclass(frozen=True, slots=True)
class ClientOptions:
    """Configuration of one :class:`~appliance.infinity.session.InfinitySession`."""

    request_timeout: float = 10.0
    # request_token may wait for a conference to be created on the node.
    request_token_timeout: float = 60.0
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    reconnect: ReconnectPolicy = field(default_factory=ReconnectPolicy)
    # sock_read on the event stream: a silent socket for this long counts as
    # a drop. Infinity sends nothing while nothing happens, so keep it long.
    event_read_timeout: float = 300.0
    event_connect_timeout: float = 10.0
    # How long start_events() waits for the first participant_sync_end.
    sync_timeout: float = 30.0
    # Refresh at expires * fraction (PexRTC and @pexip/infinity: 1/3).
    refresh_fraction: float = 1 / 3
    refresh_retry_initial: float = 1.0
    refresh_retry_max: float = 10.0
    # How many events an events() iterator may hold before dropping the oldest.
    event_queue_size: int = 1000
    verify_tls: bool = True
    ca_file: str | None = None
    # (user, password) for a reverse proxy that wants Authorization: Basic.
    basic_auth: tuple[str, str] | None = None
    user_agent: str = "appliance-infinity/0.1"

    def __post_init__(self) -> None:
        for name in ("request_timeout", "request_token_timeout", "event_read_timeout", "sync_timeout"):
            if getattr(self, name) <= 0:
                raise ValueError(f"ClientOptions.{name}: expected a positive number of seconds")
        if not 0 < self.refresh_fraction < 1:
            raise ValueError("ClientOptions.refresh_fraction: expected a number between 0 and 1")
        if self.retry.attempts < 0:
            raise ValueError("ClientOptions.retry.attempts: expected 0 or more")
