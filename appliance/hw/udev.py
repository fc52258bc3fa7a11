"""Hot-plug: which of the room's USB devices come and go, from pyudev's monitor on the event loop.

The profile's ``[[udev]]`` rules say which device fills which role
(``camera``, ``microphone``, ``speaker``, ``ptz``, ``screenshare``), by
subsystem and any of USB vendor/model id, serial number, ``ID_PATH``
(the port it is plugged into) or a part of its name. :class:`HotplugMonitor`
reads pyudev's netlink monitor from the loop — its fd with
``loop.add_reader`` and ``monitor.poll(timeout=0)``, no observer thread
(the one bridge for udev; docs/hardware.md, "Hot-plug") — and yields a
:class:`Presence` for every matching device that is added or removed.
``present_now()`` enumerates what is plugged in at start.

The room controller turns these into ``DevicePresence`` events, keeps the
call up while a device is gone (black picture, silence) and reopens it and
renegotiates when it is back. Tests pass a
:class:`~appliance.hw.udev_fake.FakeMonitor` (an ``os.pipe`` carrying real
``pyudev.Device`` objects) instead of the netlink one.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import pyudev

from appliance.config.profile import UdevRule
from appliance.errors import DeviceError
from appliance.log import get_logger

log = get_logger(__name__)


class UdevError(DeviceError):
    """udev cannot be read here (no netlink socket, no permission)."""


class MonitorLike(Protocol):
    """What the monitor must have: pyudev's ``Monitor`` and the fake both do."""

    def fileno(self) -> int: ...

    def start(self) -> None: ...

    def poll(self, timeout: float | None = None) -> Any: ...


@dataclass(frozen=True, slots=True)
class Presence:
    role: str
    present: bool
    node: str  # /dev/video0, /dev/ttyUSB0, /dev/snd/controlC1, or the sys path when it has none
    name: str  # what people call it: the model, or the sound card's id
    action: str = ""  # "add" / "remove" for hot-plug events, "" for present_now()


def _prop(device: pyudev.Device, key: str) -> str:
    value = device.properties.get(key)
    return str(value) if value is not None else ""


def device_name(device: pyudev.Device) -> str:
    for key in ("ID_MODEL_FROM_DATABASE", "ID_V4L_PRODUCT", "ID_MODEL", "ID_SERIAL"):
        if value := _prop(device, key):
            return value.replace("_", " ")
    return str(device.sys_name or "")


def is_primary(device: pyudev.Device) -> bool:
    """One event per physical device: a UVC camera's capture node, a sound card, a tty.

    A UVC camera has a second (metadata) video node and a sound card has
    control/pcm nodes; only the first counts, so an unplug is reported once.
    """
    subsystem = device.subsystem
    if subsystem == "video4linux":
        caps = _prop(device, "ID_V4L_CAPABILITIES")
        return not caps or ":capture:" in caps
    if subsystem == "sound":
        return str(device.sys_name or "").startswith("card")
    return True


def matches(rule: UdevRule, device: pyudev.Device) -> bool:
    """Does ``device`` fill ``rule``'s role? Every key the rule sets must agree."""
    if device.subsystem != rule.subsystem or not is_primary(device):
        return False
    checks = (
        (rule.id_vendor, _prop(device, "ID_VENDOR_ID")),
        (rule.id_model, _prop(device, "ID_MODEL_ID")),
        (rule.serial, _prop(device, "ID_SERIAL_SHORT")),
        (rule.by_path, _prop(device, "ID_PATH")),
    )
    if any(wanted and wanted.lower() != found.lower() for wanted, found in checks):
        return False
    return not rule.name_contains or rule.name_contains.lower() in device_name(device).lower()


def role_of(rules: Sequence[UdevRule], device: pyudev.Device) -> str | None:
    """The role of the first rule ``device`` matches (profiles list the specific rules first)."""
    return next((rule.role for rule in rules if matches(rule, device)), None)


def presence(rules: Sequence[UdevRule], device: pyudev.Device) -> Presence | None:
    """A hot-plug event as a :class:`Presence`, or None if no rule wants it or it is a change."""
    action = str(device.action or "")
    if action not in ("add", "remove"):
        return None
    role = role_of(rules, device)
    if role is None:
        return None
    node = str(device.device_node or device.sys_path)
    return Presence(role, action == "add", node, device_name(device), action)


def netlink_monitor(context: pyudev.Context | None = None) -> pyudev.Monitor:
    """pyudev's monitor of udev's events (after rules ran, so ID_* properties are set)."""
    try:
        monitor = pyudev.Monitor.from_netlink(context or pyudev.Context(), source="udev")
    except (OSError, ImportError) as exc:
        raise UdevError(f"cannot listen to udev events: {exc}") from exc
    return monitor


class HotplugMonitor:
    """``async for presence in HotplugMonitor(profile.udev):`` — matching devices added and removed."""

    def __init__(
        self,
        rules: Iterable[UdevRule],
        *,
        monitor: MonitorLike | None = None,
        context: pyudev.Context | None = None,
    ) -> None:
        self.rules = tuple(rules)
        self._context = context
        self._monitor = monitor
        self._queue: asyncio.Queue[Presence] = asyncio.Queue()
        self._reading: int | None = None
        self.ignored = 0  # events no rule wanted

    def present_now(self) -> list[Presence]:
        """Devices already plugged in that fill a role (enumerated from sysfs)."""
        context = self._context or pyudev.Context()
        found = []
        for subsystem in sorted({rule.subsystem for rule in self.rules}):
            for device in context.list_devices(subsystem=subsystem):
                role = role_of(self.rules, device)
                if role is not None:
                    node = str(device.device_node or device.sys_path)
                    found.append(Presence(role, True, node, device_name(device)))
        return found

    def start(self) -> None:
        """Subscribe to udev events and start reading them on the running loop."""
        if self._reading is not None:
            return
        monitor = self._monitor = self._monitor or netlink_monitor(self._context)
        subsystems = {rule.subsystem for rule in self.rules}
        filter_by = getattr(monitor, "filter_by", None)
        if filter_by is not None:
            for subsystem in sorted(subsystems):
                filter_by(subsystem)
        try:
            monitor.start()
        except OSError as exc:
            raise UdevError(f"cannot listen to udev events: {exc}") from exc
        self._reading = monitor.fileno()
        asyncio.get_running_loop().add_reader(self._reading, self._readable)

    def _readable(self) -> None:
        """The fd is readable: take every queued event without blocking (poll(timeout=0))."""
        assert self._monitor is not None
        while True:
            try:
                device = self._monitor.poll(timeout=0)
            except OSError as exc:
                log.warning("udev monitor read failed", extra={"context": {"error": str(exc)}})
                return
            if device is None:
                return
            self.feed(device)

    def feed(self, device: pyudev.Device) -> Presence | None:
        """One udev event (the reader calls this; so may a test with a pyudev Device)."""
        event = presence(self.rules, device)
        if event is None:
            self.ignored += 1
            return None
        log.info(
            "device %s %s",
            event.role,
            "plugged in" if event.present else "unplugged",
            extra={"context": {"node": event.node, "name": event.name}},
        )
        self._queue.put_nowait(event)
        return event

    def __aiter__(self) -> AsyncIterator[Presence]:
        return self._events()

    async def _events(self) -> AsyncIterator[Presence]:
        self.start()
        while True:
            yield await self._queue.get()

    def close(self) -> None:
        if self._reading is not None:
            with contextlib.suppress(RuntimeError, ValueError):
                asyncio.get_running_loop().remove_reader(self._reading)
            self._reading = None
