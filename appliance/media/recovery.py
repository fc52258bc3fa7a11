"""Automatic ICE restart: bounded retries with back-off before a call is declared failed.

PexRTC restarts ICE by itself when its connection fails; so does the media
engine (docs/media.md, "Automatic ICE restart"). When the peer connection
goes to ``failed`` (or ``disconnected``, which aiortc never reports today,
or ``closed`` without us closing it, which is what aiortc does when consent
expires), :class:`IceRecovery` restarts the call up to
:attr:`IceRestartPolicy.attempts` times, waiting :attr:`IceRestartPolicy.backoff`
before each, each attempt bounded in time, and reports ``failed`` only when
every attempt gave up.

Each attempt really calls the node again: it drops what the previous one
left (bounded by :attr:`IceRestartPolicy.drop_timeout_s`, because a node
that froze must not eat the attempt's time with a hang-up it cannot answer)
and makes a fresh ``calls`` request. So a node that pauses (a VM
migration, a SIGSTOP, a proxy that stalls) and answers again while attempts
remain gets the call back.

The restart itself (new peer connection, new call) belongs to the engine;
this module owns only the loop: when to try, how long each try may take,
what counts as success, and what is reported.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from appliance.aio import cancel_and_wait
from appliance.backoff import Backoff
from appliance.errors import MediaError
from appliance.log import get_logger

log = get_logger(__name__)

# 1, 2 and 4 s before the three default attempts
ICE_RESTART_BACKOFF = Backoff(first=1.0, factor=2.0, cap=8.0)


@dataclass(frozen=True, slots=True)
class IceRestartPolicy:
    """How the engine recovers a call whose connection failed.

    The defaults notice a dead path in ~5 s (consent checked every second,
    five misses) and try three restarts 1, 2 and 4 s apart, each given 10 s
    to connect: a Wi-Fi roam or a cable re-plug recovers, a node paused for
    20 s answers the third attempt, a network that stays down is reported
    within about 45 s.
    """

    attempts: int = 3
    backoff: Backoff = ICE_RESTART_BACKOFF
    attempt_timeout_s: float = 10.0
    consent_interval_s: float = 1.0
    consent_failures: int = 5
    # How long hanging up a dead call at the node may take before we move on.
    drop_timeout_s: float = 2.0

    def __post_init__(self) -> None:
        if self.attempts < 0:
            raise ValueError(f"IceRestartPolicy.attempts: expected 0 or more, found {self.attempts}")
        if self.attempt_timeout_s <= 0 or self.drop_timeout_s <= 0:
            raise ValueError("IceRestartPolicy: attempt_timeout_s and drop_timeout_s must be positive")


class IceRecovery:
    """The recovery loop of one media call.

    ``restart`` makes a fresh call (it raises when the node refuses or is
    unreachable); ``connected`` is set by the engine when the current
    connection is up. The engine calls :meth:`connection_lost` on every
    loss it sees, :meth:`stop` when the user hangs up.
    """

    def __init__(
        self,
        policy: IceRestartPolicy,
        restart: Callable[[], Awaitable[None]],
        connected: asyncio.Event,
        emit: Callable[..., None],
    ) -> None:
        self.policy = policy
        self._restart = restart
        self._connected = connected
        self._emit = emit
        self._task: asyncio.Task[None] | None = None
        self._attempt_failed = asyncio.Event()
        self.restarts = 0  # attempts made, for statistics and tests

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def connection_lost(self, state: str) -> None:
        """The current connection died: start recovering, or end the attempt under way."""
        if self.running:
            self._attempt_failed.set()
            return
        if self.policy.attempts <= 0:
            self._emit("failed", reason=f"ICE or DTLS failure ({state})")
            return
        log.warning("media connection lost; restarting ICE", extra={"context": {"state": state}})
        self._task = asyncio.ensure_future(self._recover(state))

    async def stop(self) -> None:
        """Stop recovering (a hang-up); nothing is reported."""
        task, self._task = self._task, None
        if task is not None and task is not asyncio.current_task():
            await cancel_and_wait([task])

    async def _recover(self, state: str) -> None:
        policy = self.policy
        reasons: list[str] = []
        for attempt in range(1, policy.attempts + 1):
            delay = policy.backoff.delay(attempt)
            self._emit("ice_restarting", attempt=attempt, delay=delay)
            await asyncio.sleep(delay)
            self._attempt_failed.clear()
            try:
                async with asyncio.timeout(policy.attempt_timeout_s):
                    await self._restart()
                    await self._connected_or_failed()
            except TimeoutError:
                reason = f"no connection within {policy.attempt_timeout_s:g} s"
            except (MediaError, OSError) as exc:
                reason = str(exc) or type(exc).__name__
            except Exception as exc:  # signalling errors (node refused, HTTP): try again
                reason = f"{type(exc).__name__}: {exc}"
            else:
                if self._connected.is_set():
                    self.restarts += attempt
                    log.info("media connection restored", extra={"context": {"attempt": attempt}})
                    self._emit("ice_restarted", attempt=attempt)
                    return
                reason = "the new connection failed"
            reasons.append(reason)
            log.warning("ICE restart failed", extra={"context": {"attempt": attempt, "reason": reason}})
        self.restarts += policy.attempts
        self._emit(
            "failed",
            reason=f"ICE or DTLS failure ({state}); {policy.attempts} ICE restarts gave up: {reasons[-1]}",
        )

    async def _connected_or_failed(self) -> None:
        waits = [
            asyncio.ensure_future(self._connected.wait()),
            asyncio.ensure_future(self._attempt_failed.wait()),
        ]
        try:
            await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
        finally:
            await cancel_and_wait(waits)
