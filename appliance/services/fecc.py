"""Far-end camera control, both ways.

Incoming (:class:`FeccBridge`): the far end's FECC signals, as PexRTC's
``onFECC`` gives them (``{"action": "start"|"continue"|"stop", "movement":
[{"axis", "direction"}], "timeout": ms}``), drive our PTZ camera. Every
start or continue moves the deadline to ``now + timeout`` (plus 100 ms of
grace for network jitter); when the
deadline passes without a continue, the camera is stopped by us, so a
stop lost on the network never leaves the camera turning. A ``"preset"``
number in the signal (some gateways send one) recalls that preset. One
worker task applies only the newest wanted movement, so a burst of
continues never queues VISCA commands behind each other.

Outgoing (:class:`FeccSender`): while a panel button is held, ``SendFecc``
commands go to the room with the PexRTC document's recommended cadence: a
``start`` with a 1000 ms timeout, then a ``continue`` with a 200 ms
timeout every 200 ms, and a ``stop`` on release (docs/hardware.md,
"Far-end camera control").
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal, Protocol, cast

from appliance.errors import DeviceError
from appliance.hw.timing import SYSTEM_CLOCK, Clock
from appliance.log import get_logger
from appliance.services.room_api import Room, SendFecc

log = get_logger(__name__)

START_TIMEOUT_MS = 1000
CONTINUE_TIMEOUT_MS = 200
CONTINUE_EVERY_S = 0.2
# a continue sent on time arrives up to a network's jitter late; without this grace the camera
# would stop and start again at every continue (sent every 200 ms with a 200 ms timeout)
GRACE_S = 0.1

# (axis, direction) -> (axis index in (pan, tilt, zoom), sign)
_MOVES = {
    ("pan", "left"): (0, -1),
    ("pan", "right"): (0, 1),
    ("tilt", "down"): (1, -1),
    ("tilt", "up"): (1, 1),
    ("zoom", "out"): (2, -1),
    ("zoom", "in"): (2, 1),
}


def default_timeout_ms(action: str) -> int:
    """The document's recommended timeout for ``action``: 1000 ms for a start, 200 ms otherwise."""
    return START_TIMEOUT_MS if action == "start" else CONTINUE_TIMEOUT_MS


Motion = tuple[int, int, int]  # pan, tilt, zoom directions
STILL: Motion = (0, 0, 0)


class Camera(Protocol):
    """What the bridge needs of a PTZ camera (:class:`appliance.hw.visca.driver.PtzCamera` has it)."""

    async def drive(self, pan: int, tilt: int, pan_speed: int, tilt_speed: int) -> None: ...

    async def zoom(self, direction: int, speed: int) -> None: ...

    async def preset_recall(self, preset: int) -> None: ...


@dataclass(frozen=True, slots=True)
class FeccSignal:
    action: str
    motion: Motion
    axes: frozenset[int]  # the axes the signal names
    timeout_s: float
    preset: int | None = None


def parse_signal(signal: Mapping[str, Any]) -> FeccSignal:
    """The document's onFECC object, checked; :class:`ValueError` says what is wrong."""
    action = signal.get("action")
    if action not in ("start", "continue", "stop"):
        raise ValueError(f"FECC action: expected start, continue or stop, found {action!r}")
    movement = signal.get("movement") or []
    if not isinstance(movement, list):
        raise ValueError(f"FECC movement: expected a list, found {movement!r}")
    motion = [0, 0, 0]
    axes: set[int] = set()
    for move in movement:
        key = (move.get("axis"), move.get("direction")) if isinstance(move, Mapping) else None
        if key not in _MOVES:
            raise ValueError(f"FECC movement: unknown axis/direction {move!r}")
        index, sign = _MOVES[key]
        motion[index] = sign
        axes.add(index)
    timeout = signal.get("timeout")
    timeout_ms = default_timeout_ms(action) if timeout is None else timeout
    if (
        isinstance(timeout_ms, bool)
        or not isinstance(timeout_ms, int | float)
        or not 0 < timeout_ms <= 60_000
    ):
        raise ValueError(f"FECC timeout: expected 1-60000 ms, found {timeout!r}")
    preset = signal.get("preset")
    if preset is not None and (
        isinstance(preset, bool) or not isinstance(preset, int) or not 0 <= preset <= 127
    ):
        raise ValueError(f"FECC preset: expected 0-127, found {preset!r}")
    return FeccSignal(action, (motion[0], motion[1], motion[2]), frozenset(axes), timeout_ms / 1000, preset)


class FeccBridge:
    """Incoming FECC -> PTZ moves that stop by themselves at the signal's timeout."""

    def __init__(
        self,
        camera: Camera,
        clock: Clock = SYSTEM_CLOCK,
        *,
        pan_speed: int = 12,
        tilt_speed: int = 10,
        zoom_speed: int = 4,
        on_active: Callable[[bool], None] | None = None,
    ) -> None:
        self.camera = camera
        self.clock = clock
        self.pan_speed, self.tilt_speed, self.zoom_speed = pan_speed, tilt_speed, zoom_speed
        self.on_active = on_active
        self.wanted: Motion = STILL
        self.applied: Motion = STILL
        self.deadline = 0.0
        self.rejected = 0
        self._preset: int | None = None
        self._wake = asyncio.Event()
        self._worker: asyncio.Task[None] | None = None
        self._closed = False

    @property
    def active(self) -> bool:
        return self.applied != STILL

    def handle(self, signal: Mapping[str, Any]) -> None:
        """One onFECC signal (call on the loop; returns at once, the camera moves from the worker)."""
        try:
            parsed = parse_signal(signal)
        except ValueError as exc:
            self.rejected += 1
            log.warning("FECC signal ignored", extra={"context": {"error": str(exc)}})
            return
        now = self.clock.monotonic()
        wanted = list(self.wanted if now < self.deadline else STILL)
        if parsed.action == "stop":
            for axis in parsed.axes or {0, 1, 2}:
                wanted[axis] = 0
        else:
            for axis in parsed.axes:
                wanted[axis] = parsed.motion[axis]
            self.deadline = max(
                self.deadline if now < self.deadline else now, now + parsed.timeout_s + GRACE_S
            )
        self.wanted = (wanted[0], wanted[1], wanted[2])
        if parsed.preset is not None:
            self._preset = parsed.preset
        self._ensure_worker()
        self._wake.set()

    def _ensure_worker(self) -> None:
        if self._worker is None and not self._closed:
            self._worker = asyncio.get_running_loop().create_task(self._run(), name="fecc-bridge")

    async def _run(self) -> None:
        while not self._closed:
            self._wake.clear()
            now = self.clock.monotonic()
            if now >= self.deadline and self.wanted != STILL:
                self.wanted = STILL  # the timeout passed without a continue: stop by ourselves
            await self._apply()
            if self.wanted != STILL:
                sleeper = asyncio.ensure_future(self.clock.sleep(self.deadline - now))
                waker = asyncio.ensure_future(self._wake.wait())
                try:
                    await asyncio.wait((sleeper, waker), return_when=asyncio.FIRST_COMPLETED)
                finally:
                    sleeper.cancel()
                    waker.cancel()
            else:
                await self._wake.wait()

    async def _apply(self) -> None:
        preset, self._preset = self._preset, None
        wanted, applied = self.wanted, self.applied
        was_active = self.active
        try:
            if preset is not None:
                await self.camera.preset_recall(preset)
            if wanted[:2] != applied[:2]:
                await self.camera.drive(wanted[0], wanted[1], self.pan_speed, self.tilt_speed)
            if wanted[2] != applied[2]:
                await self.camera.zoom(wanted[2], self.zoom_speed)
            self.applied = wanted
        except DeviceError as exc:
            # the camera is gone or refused: the driver recovers it; the next signal tries again
            log.warning("FECC could not move the camera", extra={"context": {"error": str(exc)}})
            self.applied = STILL if wanted == STILL else applied
        if self.on_active is not None and self.active != was_active:
            self.on_active(self.active)

    async def close(self) -> None:
        """Stop the camera if it is moving, and the worker."""
        self._closed = True
        worker, self._worker = self._worker, None
        if worker is not None:
            worker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await worker
        if self.applied != STILL:
            self.wanted = STILL
            with contextlib.suppress(DeviceError):
                await self._apply()


class FeccSender:
    """Outgoing FECC for held buttons: start, continue every 200 ms, stop on release."""

    def __init__(self, room: Room, clock: Clock = SYSTEM_CLOCK) -> None:
        self.room = room
        self.clock = clock
        self._held: dict[tuple[str, str, str], asyncio.Task[None]] = {}

    async def press(self, axis: str, direction: str, target: str = "") -> None:
        key = (axis, direction, target)
        if key in self._held:
            return
        await self._send("start", axis, direction, target, START_TIMEOUT_MS)
        self._held[key] = asyncio.get_running_loop().create_task(self._continue(key), name="fecc-continue")

    async def release(self, axis: str, direction: str, target: str = "") -> None:
        task = self._held.pop((axis, direction, target), None)
        if task is None:
            return
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await self._send("stop", axis, direction, target, CONTINUE_TIMEOUT_MS)

    async def _continue(self, key: tuple[str, str, str]) -> None:
        while True:
            await self.clock.sleep(CONTINUE_EVERY_S)
            await self._send("continue", *key, CONTINUE_TIMEOUT_MS)

    async def _send(self, action: str, axis: str, direction: str, target: str, timeout_ms: int) -> None:
        command = SendFecc(
            action=cast(Literal["start", "continue", "stop"], action),
            axis=cast(Literal["pan", "tilt", "zoom"], axis),
            direction=cast(Literal["left", "right", "up", "down", "in", "out"], direction),
            target=target,
            timeout_ms=timeout_ms,
        )
        result = await self.room.submit(command)
        if not result.ok:
            log.info("FECC refused", extra={"context": {"reason": result.reason}})

    async def close(self) -> None:
        for axis, direction, target in list(self._held):
            await self.release(axis, direction, target)
