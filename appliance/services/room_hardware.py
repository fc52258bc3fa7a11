"""The room's hardware as one object for the room controller: panel, PTZ camera, FECC, hot-plug.

``RoomHardware(room, profile, clock)`` builds what the profile declares —
the button panel and LEDs (:class:`~appliance.services.panel.Panel`), the
PTZ camera (:func:`~appliance.hw.visca.driver.open_camera`, the fake one
for ``ci-virtual``), the far-end camera control bridge and the hot-plug
monitor — and gives the controller the few things it needs
(docs/hardware.md, "For the room controller"):

- :meth:`handle_fecc` for PexRTC's ``onFECC``, and :attr:`fecc_supported`
  for ``makeCall`` (true only while a PTZ camera answers);
- :meth:`camera_command` for ``RecallPreset``, ``StorePreset`` and
  ``MoveCamera``, answering a :class:`CommandResult` (never raising);
- :attr:`view` for the virtual camera's picture
  (``capture_device("video", ..., view=hardware.view)``);
- :meth:`presence`: ``DevicePresence`` events for the PTZ camera coming
  and going and for each hot-plugged device in the profile's ``[[udev]]``.

A PTZ camera that does not answer at start is not an error: it is reported
absent and opened again with back-off until it answers.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Mapping
from typing import Any

from appliance.config.array import TrackingSpec
from appliance.config.profile import HwProfile
from appliance.errors import DeviceError
from appliance.hw.gpio import GpioError
from appliance.hw.timing import SYSTEM_CLOCK, Clock
from appliance.hw.udev import HotplugMonitor, MonitorLike, Presence, UdevError
from appliance.hw.visca.driver import PtzHandle, open_camera
from appliance.hw.visca.fake import PAN_LIMIT, FakeViscaCamera
from appliance.hw.visca.protocol import ZOOM_MAX
from appliance.log import get_logger
from appliance.media.viewport import ViewSource
from appliance.services.fecc import FeccBridge
from appliance.services.panel import Panel
from appliance.services.room_api import (
    ACCEPTED,
    CommandResult,
    DevicePresence,
    DeviceRole,
    DeviceStatus,
    MoveCamera,
    RecallPreset,
    Room,
    StorePreset,
)

log = get_logger(__name__)

CameraCommand = RecallPreset | StorePreset | MoveCamera
_ROLES = {role.value: role for role in DeviceRole}


def seat_presets(fake: FakeViscaCamera, tracking: TrackingSpec) -> None:
    """Give the virtual camera the presets an installer stores on a real one before the room is used.

    A real PTZ camera's seat-zone presets are set up once, by hand; the
    virtual one of ``ci-virtual`` starts out with one per seat zone, turned
    towards the middle of the zone (an azimuth of ±90° is the pan limit)
    and zoomed in a quarter, and the wide preset at home, zoomed out. So
    speaker tracking in the demo and the tests turns the virtual picture.
    """
    for zone in tracking.zones:
        middle = (zone.from_deg + zone.to_deg) / 2.0
        pan = max(-1.0, min(1.0, middle / 90.0)) * PAN_LIMIT
        fake.state.presets.setdefault(zone.preset, (pan, 0.0, ZOOM_MAX / 4))
    if tracking.wide_preset is not None:
        fake.state.presets.setdefault(tracking.wide_preset, (0.0, 0.0, 0.0))


class RoomHardware:
    """Everything physical a profile declares, started and stopped together."""

    def __init__(
        self,
        room: Room,
        profile: HwProfile,
        clock: Clock = SYSTEM_CLOCK,
        *,
        pin_factory: Any = None,
        udev_monitor: MonitorLike | None = None,
        on_fecc_active: Callable[[bool], None] | None = None,
        reopen_initial_s: float = 1.0,
        reopen_max_s: float = 30.0,
    ) -> None:
        self.room = room
        self.profile = profile
        self.clock = clock
        self.on_fecc_active = on_fecc_active
        self.reopen_initial_s, self.reopen_max_s = reopen_initial_s, reopen_max_s
        gpio = profile.gpio
        self.panel = (
            Panel(room, gpio, clock, factory=pin_factory, profile_name=profile.name)
            if gpio.buttons or gpio.leds
            else None
        )
        self.hotplug = (
            HotplugMonitor(profile.udev, monitor=udev_monitor) if profile.udev or udev_monitor else None
        )
        self.ptz: PtzHandle | None = None
        self.fecc: FeccBridge | None = None
        self._events: asyncio.Queue[DevicePresence] = asyncio.Queue()
        self._tasks: list[asyncio.Task[None]] = []

    # -- life ----------------------------------------------------------------------------

    async def start(self) -> None:
        """Start the camera, the hot-plug monitor, then the panel.

        The panel comes last so that a :class:`~appliance.hw.gpio.GpioError`
        (it names the profile key) leaves a room whose camera and hot-plug
        still work: the error is raised after them, and the panel stays off.
        A udev that cannot be listened to (no netlink socket in a container)
        is logged and leaves hot-plug off; ``appliance doctor`` says so too.
        """
        loop = asyncio.get_running_loop()
        if self.profile.visca.driver != "none":
            try:
                await self._open_camera()
            except DeviceError as exc:
                self._ptz_presence(False, f"not answering at start: {exc}")
                self._tasks.append(loop.create_task(self._reopen_camera(), name="ptz-reopen"))
        if self.hotplug is not None:
            try:
                self.hotplug.start()
            except UdevError as exc:
                log.warning("hot-plug not followed", extra={"context": {"error": str(exc)}})
                self.hotplug = None
            else:
                self._tasks.append(loop.create_task(self._follow_hotplug(self.hotplug), name="hotplug"))
        if self.panel is not None:
            try:
                await self.panel.start()
            except GpioError:
                self.panel = None
                raise

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []
        if self.fecc is not None:
            await self.fecc.close()
        if self.ptz is not None:
            await self.ptz.close()
        if self.hotplug is not None:
            self.hotplug.close()
        if self.panel is not None:
            await self.panel.stop()

    async def __aenter__(self) -> RoomHardware:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # -- PTZ camera ------------------------------------------------------------------------

    async def _open_camera(self) -> None:
        visca = self.profile.visca
        self.ptz = await open_camera(visca, clock=self.clock, on_presence=self._ptz_presence)
        if self.ptz.fake is not None and self.profile.tracking is not None:
            seat_presets(self.ptz.fake, self.profile.tracking)
        self.fecc = FeccBridge(
            self.ptz.camera,
            self.clock,
            pan_speed=visca.pan_speed,
            tilt_speed=visca.tilt_speed,
            zoom_speed=visca.zoom_speed,
            on_active=self.on_fecc_active,
        )

    async def _reopen_camera(self) -> None:
        delay = self.reopen_initial_s
        while self.ptz is None:
            await self.clock.sleep(delay)
            try:
                await self._open_camera()
            except DeviceError as exc:
                log.info("PTZ camera still not answering", extra={"context": {"error": str(exc)}})
                delay = min(delay * 2, self.reopen_max_s)

    def _ptz_presence(self, present: bool, detail: str) -> None:
        name = self.ptz.camera.link.name if self.ptz is not None else self.profile.visca.driver
        self._events.put_nowait(DevicePresence(DeviceStatus(DeviceRole.PTZ, present, name, detail)))

    @property
    def fecc_supported(self) -> bool:
        """True while a PTZ camera answers: what ``makeCall`` should advertise."""
        return self.ptz is not None and self.ptz.camera.present

    @property
    def view(self) -> ViewSource | None:
        """The virtual camera's pan/tilt/zoom for its picture (``ci-virtual``), else None."""
        return self.ptz.fake.view if self.ptz is not None and self.ptz.fake is not None else None

    def handle_fecc(self, signal: Mapping[str, Any]) -> None:
        """PexRTC's ``onFECC``: move the camera (ignored, and logged, while there is none)."""
        if self.fecc is None:
            log.info("FECC signal without a PTZ camera ignored")
            return
        self.fecc.handle(signal)

    async def camera_command(self, command: CameraCommand) -> CommandResult:
        """``RecallPreset``, ``StorePreset`` or ``MoveCamera`` on our PTZ camera; refusals say why."""
        if self.ptz is None:
            return CommandResult(False, "no PTZ camera is answering")
        camera, visca = self.ptz.camera, self.profile.visca
        try:
            if isinstance(command, RecallPreset):
                await camera.preset_recall(command.preset)
            elif isinstance(command, StorePreset):
                await camera.preset_store(command.preset)
            elif command.stop:
                await camera.stop()
            else:
                moves = bool(command.pan or command.tilt)
                if moves or not command.zoom:
                    await camera.drive(command.pan, command.tilt, visca.pan_speed, visca.tilt_speed)
                if command.zoom or not moves:
                    await camera.zoom(command.zoom, visca.zoom_speed)
        except (DeviceError, ValueError) as exc:
            return CommandResult(False, f"the PTZ camera refused: {exc}")
        return ACCEPTED

    # -- presence --------------------------------------------------------------------------

    async def _follow_hotplug(self, hotplug: HotplugMonitor) -> None:
        async for event in hotplug:
            self._events.put_nowait(self._from_udev(event))

    @staticmethod
    def _from_udev(event: Presence) -> DevicePresence:
        role = _ROLES.get(event.role, DeviceRole.CAMERA)
        detail = f"{'plugged in' if event.present else 'unplugged'}: {event.node}"
        return DevicePresence(DeviceStatus(role, event.present, event.name, detail))

    async def presence(self) -> AsyncIterator[DevicePresence]:
        """PTZ camera and hot-plugged devices coming and going, in order."""
        while True:
            yield await self._events.get()
