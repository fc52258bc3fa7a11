"""Speaker tracking: directions of speech → seat zones → PTZ presets, calmly.

The microphone array publishes ``SpeechDirection`` room events a few times
a second while someone talks (docs/room-api.md). The profile's seat zones
(``[tracking]``, docs/microphone-array.md) map angle ranges to camera
presets. :class:`SpeakerTracker` is the pure decision — time comes from the
daemon's :class:`~appliance.services.clock.Clock`, so the tests need no sleeps — and
:func:`run_speaker_tracking` connects it to a :class:`Room`: events in,
``RecallPreset(source="tracking")`` commands out through ``Room.submit``.

The rules, in the order they apply:

* Off unless ``RoomState.speaker_tracking`` (site file, panel, later the web page).
* Nothing while the far end steers our camera (``fecc_active``), nor for
  ``hold_off_s`` after it stops or after a person moved the camera
  (``camera_moved_at``: a preset button, the panel, the API).
* Estimates under ``min_confidence`` or outside every zone are ignored;
  one stray estimate in another zone does not break a talker's turn.
* A zone that has held the speech for ``dwell_s`` gets the camera.
* The current zone reaches ``hysteresis_deg`` past its edges, so a talker
  near a boundary does not flip the camera; and no two moves come closer
  than ``hysteresis_s``.
* Zones taking turns — a zone speaking again after another one did, among
  turns of ``dwell_s / 3`` or more within ``window_s`` — is a conversation:
  the wide preset, where the profile has one. Left, then centre, then right
  is one person walking round the table: the camera follows.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from appliance.config.array import SeatZone, TrackingSpec
from appliance.log import get_logger
from appliance.services.clock import SYSTEM_CLOCK, Clock
from appliance.services.room_api import (
    RecallPreset,
    Room,
    RoomState,
    SpeechDirection,
    StateChanged,
)

log = get_logger(__name__)

WIDE = "wide"
TRACKING_SOURCE = "tracking"


@dataclass(slots=True)
class _Turn:
    zone: str
    start: float
    last: float

    @property
    def length(self) -> float:
        return self.last - self.start


class SpeakerTracker:
    """Decides which preset the camera should show; never does I/O."""

    def __init__(self, spec: TrackingSpec, *, clock: Clock = SYSTEM_CLOCK) -> None:
        self.spec = spec
        self._clock = clock
        self._zones = {zone.name: zone for zone in spec.zones}
        self.enabled = False
        self.current: str | None = None  # zone name, WIDE, or None (unknown: a person moved it)
        self._turns: deque[_Turn] = deque()
        self._stray: tuple[str, float] | None = None  # one estimate from another zone, not yet a turn
        self._fecc = False
        self._quiet_until = -float("inf")
        self._last_move = -float("inf")
        self._camera_moved_at: float | None = None

    # ------------------------------------------------------------------ state
    def observe_state(self, state: RoomState) -> None:
        """Follow the room: on/off, FECC in progress, a person moving the camera."""
        now = self._clock.monotonic()
        if state.speaker_tracking != self.enabled:
            self.enabled = state.speaker_tracking
            self._turns.clear()
            self._stray = None
        if self._fecc and not state.fecc_active:
            self._quiet_until = max(self._quiet_until, now + self.spec.hold_off_s)
        if state.fecc_active and not self._fecc:
            self.current = None  # the far end will leave the camera somewhere else
        self._fecc = state.fecc_active
        moved = state.camera_moved_at
        if moved is not None and moved != self._camera_moved_at:
            self._camera_moved_at = moved
            self._quiet_until = max(self._quiet_until, moved + self.spec.hold_off_s)
            self.current = None

    def suspended(self) -> str:
        """Why tracking would not move the camera now ("" when it would)."""
        if not self.enabled:
            return "off"
        if self._fecc:
            return "far-end camera control"
        if self._clock.monotonic() < self._quiet_until:
            return "hold-off"
        return ""

    # -------------------------------------------------------------- decisions
    def zone_of(self, azimuth_deg: float) -> SeatZone | None:
        """The zone this direction belongs to; the current zone reaches ``hysteresis_deg`` further."""
        current = self._zones.get(self.current or "")
        if current is not None and current.contains(azimuth_deg, self.spec.hysteresis_deg):
            return current
        return next((zone for zone in self.spec.zones if zone.contains(azimuth_deg)), None)

    def observe(self, direction: SpeechDirection) -> RecallPreset | None:
        """One direction estimate; returns the preset to recall now, if any."""
        if not self.enabled or direction.confidence < self.spec.min_confidence:
            return None
        zone = self.zone_of(direction.azimuth_deg)
        if zone is None:
            return None
        now = self._clock.monotonic()
        self._add(zone.name, now)
        if self.suspended():
            return None
        if now - self._last_move < self.spec.hysteresis_s:
            return None
        wanted = self._wanted(now)
        if wanted is None or wanted == self.current:
            return None
        self.current = wanted
        self._last_move = now
        preset = self.spec.wide_preset if wanted == WIDE else self._zones[wanted].preset
        assert preset is not None
        return RecallPreset(preset, source=TRACKING_SOURCE)

    def _add(self, zone: str, now: float) -> None:
        while self._turns and self._turns[0].last < now - self.spec.window_s:
            self._turns.popleft()
        turn = self._turns[-1] if self._turns else None
        fresh = turn is not None and now - turn.last <= self.spec.gap_s
        if turn is not None and fresh and turn.zone == zone:
            turn.last = now
            self._stray = None
        elif turn is not None and fresh and self._stray is None:
            self._stray = (zone, now)  # wait for a second estimate before calling it a turn
        elif self._stray is not None and self._stray[0] == zone and now - self._stray[1] <= self.spec.gap_s:
            self._turns.append(_Turn(zone, self._stray[1], now))
            self._stray = None
        else:
            self._turns.append(_Turn(zone, now, now))
            self._stray = None

    def _wanted(self, now: float) -> str | None:
        spec = self.spec
        sequence: list[str] = []
        for turn in self._turns:
            if turn.length >= spec.dwell_s / 3 and (not sequence or sequence[-1] != turn.zone):
                sequence.append(turn.zone)
        # a zone speaking again after another one did: people taking turns, not one person moving
        if spec.wide_preset is not None and len(sequence) != len(set(sequence)):
            return WIDE
        latest = self._turns[-1] if self._turns else None
        if latest is not None and latest.length >= spec.dwell_s:
            return latest.zone
        return None


async def run_speaker_tracking(room: Room, spec: TrackingSpec, *, clock: Clock = SYSTEM_CLOCK) -> None:
    """Track speakers for ``room`` until cancelled: its events in, its presets out."""
    tracker = SpeakerTracker(spec, clock=clock)
    tracker.observe_state(room.state)
    async for event in room.subscribe():
        if isinstance(event, StateChanged):
            tracker.observe_state(event.new)
        elif isinstance(event, SpeechDirection):
            command = tracker.observe(event)
            if command is None:
                continue
            result = await room.submit(command)
            log.info(
                "speaker tracking recalled a preset",
                extra={"context": {"preset": command.preset, "zone": tracker.current, "ok": result.ok}},
            )
            if not result.ok:
                log.warning("preset recall refused", extra={"context": {"reason": result.reason}})
