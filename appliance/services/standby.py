"""Standby and wake: what the room does around a rest, and when it goes to rest.

A room device rests between meetings the way commercial ones do
(docs/being-called.md, "Standby and wake"): after a meeting and after
``[standby] idle_minutes`` awake and idle, the room goes to ``STANDBY``.
Entering it, :class:`RoomRest` turns the PTZ camera to its privacy preset
(when the site names one: a ``RecallPreset`` submitted to the room, which
its hardware carries out on the camera), resets the microphone to
unmuted and lowers the hand for the next meeting, and puts the TV in
standby over HDMI-CEC; the media devices are released by the controller
itself, which ends the call (so the camera light goes off).
Leaving it — a button, a key, a touch, an incoming call, a scheduled join —
turns the TV on with our input selected and the camera to its home preset,
so every meeting starts from the same known state. An incoming call also
turns the TV on when the room was not resting.

It follows the room's own events (``StateChanged``) and acts only through
the room (commands and state) and the TV it was given, so the
controller composes it with two lines and tests drive it through the room.
Timers run on the room's clock.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any, Final, Protocol

from appliance.config.incoming import StandbyConfig
from appliance.hw.cec import CecDisplay
from appliance.log import get_logger
from appliance.services import room_api as api
from appliance.services.clock import Clock

log = get_logger(__name__)

STANDBY_SOURCE: Final = "standby"  # RecallPreset.source of the rest and wake presets

# Leaving one of these for IDLE is "after a meeting".
_MEETING: Final = frozenset({api.CallState.IN_CALL, api.CallState.LEAVING})


class RestHost(Protocol):
    clock: Clock

    @property
    def state(self) -> api.RoomState: ...

    def subscribe(self, maxsize: int = 256) -> Any: ...

    async def submit(self, command: api.RoomCommand) -> api.CommandResult: ...

    def update(self, cause: str, **changes: Any) -> api.RoomState: ...

    @property
    def will_rejoin(self) -> bool:
        """The room's call loop will join again by itself (the rejoin policy): not a rest."""
        ...


class RoomRest:
    def __init__(
        self,
        room: RestHost,
        settings: StandbyConfig,
        *,
        display: CecDisplay | None = None,
    ) -> None:
        self._room = room
        self.settings = settings
        self.display = display
        self._task: asyncio.Task[None] | None = None
        self._idle: asyncio.Task[None] | None = None
        self.rests = 0
        self.wakes = 0

    async def start(self) -> None:
        events = self._room.subscribe(maxsize=1024)
        self._task = asyncio.get_running_loop().create_task(self._follow(events), name="room-rest")
        self._arm_idle(self._room.state)

    async def close(self) -> None:
        for task in (self._idle, self._task):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        self._idle = self._task = None
        if self.display is not None:
            await self.display.close()

    async def _follow(self, events: Any) -> None:
        async for event in events:
            if isinstance(event, api.StateChanged) and event.old.call != event.new.call:
                try:
                    await self._changed(event.old, event.new)
                except Exception:
                    log.exception("standby/wake step failed")

    async def _changed(self, old: api.RoomState, new: api.RoomState) -> None:
        self._arm_idle(new)
        if new.call is api.CallState.STANDBY:
            await self._rest()
        elif old.call is api.CallState.STANDBY:
            await self._wake(new)
        elif new.call is api.CallState.RINGING and self.display is not None:
            self.display.power(True)
        if (
            new.call is api.CallState.IDLE
            and old.call in _MEETING
            and self.settings.after_meeting
            and not self._room.will_rejoin
        ):
            await self._room.submit(api.Standby())

    # --- rest and wake -----------------------------------------------------------------

    async def _rest(self) -> None:
        log.info("room resting", extra={"context": {"event": "room.rest"}})
        await self._room.submit(api.MuteMicrophone(False))
        self._room.update("reset for the next meeting", hand_raised=False)
        await self._preset(self.settings.privacy_preset, "privacy")
        if self.display is not None:
            self.display.power(False)
        self.rests += 1  # counted once every step was taken (tests and the bench wait on it)

    async def _wake(self, new: api.RoomState) -> None:
        log.info("room awake", extra={"context": {"event": "room.wake", "call": new.call.value}})
        if self.display is not None:
            self.display.power(True)
        await self._preset(self.settings.home_preset, "home")
        self.wakes += 1

    async def _preset(self, preset: int | None, which: str) -> None:
        """Recall a preset through the room (its PTZ camera); a refusal is logged, never raised."""
        if preset is None:
            return
        result = await self._room.submit(api.RecallPreset(preset, source=STANDBY_SOURCE))
        if not result.ok:
            log.warning("%s preset %d not recalled: %s", which, preset, result.reason)

    # --- idle timer ------------------------------------------------------------------------

    def _arm_idle(self, state: api.RoomState) -> None:
        if self._idle is not None and self._idle is not asyncio.current_task():
            self._idle.cancel()
        self._idle = None
        if state.call is api.CallState.IDLE and self.settings.idle_minutes > 0:
            deadline = self._room.clock.monotonic() + self.settings.idle_minutes * 60.0
            self._idle = asyncio.get_running_loop().create_task(self._idle_timer(deadline), name="room-idle")

    async def _idle_timer(self, deadline: float) -> None:
        clock = self._room.clock
        await clock.sleep(max(0.0, deadline - clock.monotonic()))
        if self._room.state.call is api.CallState.IDLE and not self._room.will_rejoin:
            log.info("idle for %g minutes", self.settings.idle_minutes)
            await self._room.submit(api.Standby())
