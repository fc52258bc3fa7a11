"""The button panel: presses become room commands, room state becomes LEDs.

Built from the profile's ``[gpio]`` (``Panel(room, profile.gpio, clock)``),
it talks to the room only through :mod:`appliance.services.room_api`
(docs/room-api.md): it never looks at PexRTC. What each button does
(docs/hardware.md, "Buttons"):

- ``mute``, ``camera_privacy``, ``hand`` toggle on the press itself (no
  waiting for the release: the mute request leaves at the edge);
- ``hangup`` (join / hang up): a short press joins when the room is idle
  or in standby, answers when it rings; in a call only a hold hangs up, so
  a brush against the panel never drops a meeting. What a press means is
  decided by the room's state when the button went down: a button held
  while the call ends by itself does nothing on release;
- ``preset``: a short press recalls, a hold stores;
- ``fecc``: far-end camera control while held (start / continue / stop).

The LEDs follow :class:`RoomState`, never presses: ``in_call``, ``muted``
(``state.microphone_silent``: our mute, a Host's, or all Guests muted),
``hand``, ``error`` blinking, ``standby`` breathing where the pin has PWM.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Coroutine
from typing import Any

from appliance.config.profile import ButtonSpec, GpioSpec
from appliance.hw.gestures import Gesture, Recogniser
from appliance.hw.gpio import Edge, LedPattern, PanelIO
from appliance.hw.timing import SYSTEM_CLOCK, Clock
from appliance.log import get_logger
from appliance.services.fecc import FeccSender
from appliance.services.room_api import (
    Answer,
    CallState,
    CameraPrivacy,
    Decline,
    Join,
    Leave,
    MuteMicrophone,
    RaiseHand,
    RecallPreset,
    Room,
    RoomCommand,
    RoomState,
    SpeakerTracking,
    StateChanged,
    StorePreset,
)

log = get_logger(__name__)

# states in which a hold of join/hang-up leaves
CALL_STATES = frozenset(
    {
        CallState.JOINING,
        CallState.IN_CALL,
        CallState.PIN_REQUIRED,
        CallState.EXTENSION_REQUIRED,
        CallState.WAITING_TO_REJOIN,
    }
)
JOINABLE_STATES = frozenset({CallState.IDLE, CallState.STANDBY})


def led_patterns(state: RoomState) -> dict[str, LedPattern]:
    """What each LED shows for ``state`` (pure: the LED rules in one place)."""

    def lit(on: bool) -> LedPattern:
        return LedPattern.ON if on else LedPattern.OFF

    failed = state.error is not None or state.call is CallState.ERROR
    return {
        "in_call": lit(state.call is CallState.IN_CALL),
        "muted": lit(state.microphone_silent),
        "hand": lit(state.hand_raised),
        "error": LedPattern.BLINK if failed else LedPattern.OFF,
        "standby": LedPattern.BREATHE if state.call is CallState.STANDBY else LedPattern.OFF,
    }


class Panel:
    """Buttons and LEDs of one room. ``async with Panel(room, profile.gpio, clock):`` runs it.

    ``factory`` replaces the profile's pin factory (tests pass gpiozero's
    ``MockFactory``); ``profile_name`` goes into error messages.
    """

    def __init__(
        self,
        room: Room,
        gpio: GpioSpec,
        clock: Clock = SYSTEM_CLOCK,
        *,
        factory: Any = None,
        profile_name: str = "profile",
    ) -> None:
        self.room = room
        self.spec = gpio
        self.clock = clock
        self._factory = factory
        self._profile_name = profile_name
        self.io: PanelIO | None = None
        self.fecc = FeccSender(room, clock)
        self.recognisers = {
            name: Recogniser(hold_s=b.hold_s, bounce_s=b.bounce_s) for name, b in gpio.buttons.items()
        }
        self._pressed_in: dict[str, RoomState] = {}  # the room's state when each button went down
        self._acted_on_hold: set[str] = set()
        self._commands: asyncio.Queue[RoomCommand] = asyncio.Queue()
        self._timers: dict[str, asyncio.Task[None]] = {}
        self._tasks: list[asyncio.Task[None]] = []
        self.refused: list[tuple[RoomCommand, str]] = []
        self._fecc_order = asyncio.Lock()

    async def start(self) -> None:
        """Open the pins (:class:`~appliance.hw.gpio.GpioError` names the profile key) and run."""
        self.io = PanelIO(self.spec, factory=self._factory, clock=self.clock, profile_name=self._profile_name)
        self.show(self.room.state)
        events = self.room.subscribe()
        loop = asyncio.get_running_loop()
        self._tasks = [
            loop.create_task(self._follow(events), name="panel-leds"),
            loop.create_task(self._read_edges(self.io), name="panel-buttons"),
            loop.create_task(self._submit(), name="panel-commands"),
        ]

    async def stop(self) -> None:
        for task in [*self._tasks, *self._timers.values()]:
            task.cancel()
        for task in [*self._tasks, *self._timers.values()]:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks, self._timers = [], {}
        await self.fecc.close()
        if self.io is not None:
            self.io.close()
            self.io = None

    async def __aenter__(self) -> Panel:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # -- LEDs ----------------------------------------------------------------------------

    def show(self, state: RoomState) -> None:
        if self.io is None:
            return
        for role, pattern in led_patterns(state).items():
            self.io.show(role, pattern)

    async def _follow(self, events: Any) -> None:
        async for event in events:
            if isinstance(event, StateChanged):
                self.show(event.new)

    # -- buttons -------------------------------------------------------------------------

    async def _read_edges(self, io: PanelIO) -> None:
        async for edge in io.edges():
            self.edge(edge)

    def edge(self, edge: Edge) -> None:
        """One debounced-or-not edge from the pins (also the seam the tests feed)."""
        recogniser = self.recognisers[edge.button]
        gesture = recogniser.press(edge.at) if edge.pressed else recogniser.release(edge.at)
        if gesture is not None:
            self._gesture(edge.button, gesture)
        self._arm(edge.button)

    def _arm(self, name: str) -> None:
        """Wake up at the next hold or settle deadline of ``name``, if any."""
        recogniser = self.recognisers[name]
        deadlines = [d for d in (recogniser.hold_deadline(), recogniser.settle_deadline()) if d is not None]
        old = self._timers.pop(name, None)
        if old is not None:
            old.cancel()
        if deadlines:
            self._timers[name] = asyncio.get_running_loop().create_task(
                self._timer(name, min(deadlines)), name=f"panel-timer-{name}"
            )

    async def _timer(self, name: str, deadline: float) -> None:
        await self.clock.sleep(deadline - self.clock.monotonic())
        recogniser = self.recognisers[name]
        now = self.clock.monotonic()
        settle = recogniser.settle_deadline()
        if settle is not None and now >= settle and self.io is not None:
            gesture = recogniser.settle(self.io.is_pressed(name), now)
            if gesture is not None:
                self._gesture(name, gesture)
        hold = recogniser.poll(now)
        if hold is not None:
            self._gesture(name, hold)
        self._timers.pop(name, None)
        self._arm(name)

    def _gesture(self, name: str, gesture: Gesture) -> None:
        button = self.spec.buttons[name]
        state = self.room.state
        if gesture is Gesture.PRESS:
            self._pressed_in[name] = state
            self._acted_on_hold.discard(name)
        pressed_in = self._pressed_in.get(name, state)
        if gesture is Gesture.LONG and name not in self._acted_on_hold:
            gesture = Gesture.HOLD  # released past hold_s before the hold timer ran: same meaning
        if gesture is Gesture.HOLD:
            self._acted_on_hold.add(name)
        for command in self._commands_for(button, gesture, pressed_in, state):
            self._commands.put_nowait(command)
        if button.action == "fecc":
            self._fecc(button, gesture, state)

    def _commands_for(
        self, button: ButtonSpec, gesture: Gesture, pressed_in: RoomState, now: RoomState
    ) -> list[RoomCommand]:
        action = button.action
        if gesture is Gesture.PRESS:
            if action == "mute":
                return [MuteMicrophone(not now.microphone_muted)]
            if action == "camera_privacy":
                return [CameraPrivacy(not now.camera_privacy)]
            if action == "hand":
                return [RaiseHand(not now.hand_raised)]
            if (
                action == "speaker_tracking"
            ):  # the camera follows the talker, or stays (docs/microphone-array.md)
                return [SpeakerTracking(not now.speaker_tracking)]
            return []
        if action == "hangup":
            if gesture is Gesture.SHORT:
                if pressed_in.call in JOINABLE_STATES and now.call in JOINABLE_STATES:
                    return [Join()]
                if pressed_in.call is CallState.RINGING and now.call is CallState.RINGING:
                    return [Answer()]
                if pressed_in.call in CALL_STATES:
                    log.info("join/hang-up: a short press does not hang up; hold it")
            elif gesture is Gesture.HOLD:
                if pressed_in.call in CALL_STATES and now.call in CALL_STATES:
                    return [Leave()]
                if pressed_in.call is CallState.RINGING and now.call is CallState.RINGING:
                    return [Decline()]
            return []
        if action == "preset" and button.preset is not None:
            if gesture is Gesture.SHORT:
                return [RecallPreset(button.preset)]
            if gesture is Gesture.HOLD:
                return [StorePreset(button.preset)]
        return []

    def _fecc(self, button: ButtonSpec, gesture: Gesture, state: RoomState) -> None:
        target = button.fecc_target or ""
        if target:
            match = next((p for p in state.participants if target in (p.uuid, p.display_name)), None)
            target = match.uuid if match is not None else target
        axis, direction = button.fecc_axis or "", button.fecc_direction or ""
        if gesture is Gesture.PRESS:
            work = self.fecc.press(axis, direction, target)
        elif gesture in (Gesture.SHORT, Gesture.LONG):
            work = self.fecc.release(axis, direction, target)
        else:
            return
        task = asyncio.get_running_loop().create_task(self._in_order(work), name="panel-fecc")
        self._tasks.append(task)
        task.add_done_callback(self._forget)

    def _forget(self, task: asyncio.Task[None]) -> None:
        if task in self._tasks:
            self._tasks.remove(task)

    async def _in_order(self, work: Coroutine[Any, Any, None]) -> None:
        """FECC start and stop in press order, even when the room answers slowly."""
        async with self._fecc_order:
            await work

    async def _submit(self) -> None:
        while True:
            command = await self._commands.get()
            result = await self.room.submit(command)
            if not result.ok:
                self.refused.append((command, result.reason))
                log.info(
                    "panel command refused",
                    extra={"context": {"command": type(command).__name__, "reason": result.reason}},
                )
