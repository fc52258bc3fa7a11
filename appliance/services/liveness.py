"""Media liveness: inbound RTP stopped while signalling is fine (the ladder's second step).

The event stream and the token can be perfectly healthy while no media
arrives: a NAT binding that died, a node media process that stopped
sending, a firewall that started dropping UDP. ICE consent catches a dead
path after some seconds; it does not catch a far end that stops sending on
a live path. So the room watches what matters — the count of RTP packets
received on the call — and when it has not moved for ``timeout_s`` it asks
the engine for a fresh connection (:meth:`MediaCall.restart_ice`: a new
peer connection and node call, same session). Media back within
``recover_s``: recovered in call. Not back: the call is ended with cause
``media`` and the rejoin policy takes over (docs/daemon.md, "Recovery ladder").
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final, Protocol

from appliance.errors import ApplianceError
from appliance.log import get_logger
from appliance.services.clock import Clock
from appliance.services.room_api import DisconnectCause, RecoveryFinished, RecoveryStarted

log = get_logger(__name__)


# Call types on which the node always sends the conference's audio or video; a
# presentation, screen-sharing or RTMP call may rightly receive nothing for hours.
WATCHED_CALL_TYPES: Final = frozenset({"video", "audioonly", "recvonly", "recvonlyvideo"})


@dataclass(frozen=True, slots=True)
class LivenessSettings:
    timeout_s: float = 3.0  # no inbound packet for this long: stalled
    poll_s: float = 0.5
    recover_s: float = 10.0  # after the restart, media must be back within this
    attempts: int = 1  # in-call restarts before the call is given up to the rejoin policy


class WatchedCall(Protocol):
    conference: Any

    def end(self, ended: Any) -> None: ...


def inbound_packets(statistics: dict[str, Any]) -> int | None:
    """Packets received over every incoming stream; ``None`` before the first sample."""
    incoming = statistics.get("incoming") or {}
    counts = [
        int(stream.get("packets-received") or 0)
        for stream in incoming.values()
        if isinstance(stream, dict) and "packets-received" in stream
    ]
    return sum(counts) if counts else None


class Stall:
    """Tells when a counter stopped moving, on the clock it is given (pure: tests move the clock)."""

    def __init__(self, clock: Clock, timeout_s: float) -> None:
        self.clock = clock
        self.timeout_s = timeout_s
        self._last: int | None = None
        self._moved_at = clock.monotonic()

    def reset(self) -> None:
        self._last = None
        self._moved_at = self.clock.monotonic()

    def update(self, count: int | None) -> bool:
        """Feed the newest count; True when it has not changed for ``timeout_s``."""
        now = self.clock.monotonic()
        if count is not None and count != self._last:
            self._last = count
            self._moved_at = now
        return now - self._moved_at >= self.timeout_s

    @property
    def silent_for(self) -> float:
        return self.clock.monotonic() - self._moved_at


async def watch_media(
    call: WatchedCall,
    settings: LivenessSettings,
    clock: Clock,
    report: Callable[[RecoveryStarted | RecoveryFinished], None],
) -> None:
    """Watch one call's inbound media until it is cancelled or gives the call up."""
    from appliance.services.call import CallEnded  # the call imports nothing of ours at import time

    conference = call.conference
    stall = Stall(clock, settings.timeout_s)
    restarts = 0
    while True:
        await clock.sleep(settings.poll_s)
        if not stall.update(inbound_packets(conference.media_statistics())):
            continue
        if restarts >= settings.attempts:
            call.end(
                CallEnded(DisconnectCause.MEDIA, f"no media for {stall.silent_for:.0f} s after restarting it")
            )
            return
        restarts += 1
        started = clock.monotonic()
        log.warning(
            "media stalled: no packets for %.1f s; restarting the media connection",
            stall.silent_for,
            extra={
                "context": {"event": "room.recovery", "step": "media", "silent_s": round(stall.silent_for, 1)}
            },
        )
        report(RecoveryStarted("media", DisconnectCause.MEDIA))
        try:
            await conference.media.call.restart_ice()
        except (ApplianceError, OSError) as exc:
            log.warning("media restart failed: %s", exc)
        baseline = inbound_packets(conference.media_statistics())
        deadline = clock.monotonic() + settings.recover_s
        back = False
        while clock.monotonic() < deadline:
            await clock.sleep(settings.poll_s)
            count = inbound_packets(conference.media_statistics())
            if count and count != baseline:
                back = True
                break
        duration = clock.monotonic() - started
        report(RecoveryFinished("media", back, duration))
        log.info(
            "media %s after %.1f s",
            "back" if back else "not back",
            duration,
            extra={
                "context": {
                    "event": "room.recovery",
                    "step": "media",
                    "ok": back,
                    "duration_s": round(duration, 2),
                }
            },
        )
        if not back:
            call.end(
                CallEnded(DisconnectCause.MEDIA, f"media did not come back within {settings.recover_s:.0f} s")
            )
            return
        restarts = 0
        stall = Stall(clock, settings.timeout_s)
