"""A udev monitor on an ``os.pipe()`` that hands out real ``pyudev.Device`` objects.

It replaces only the netlink socket (docs/hardware.md, "Hot-plug"): the
:class:`~appliance.hw.udev.HotplugMonitor` reads its fd with
``add_reader`` and calls ``poll(timeout=0)`` exactly as with pyudev's
``Monitor``. The devices are pyudev's own, built by libudev from a udev
environment (``Devices.from_environment``, what a udev RUN program sees),
so matching reads the same properties as on a device.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import threading
from collections import deque
from collections.abc import Mapping

import pyudev

_ENVIRONMENT_LOCK = threading.Lock()
_LIBC = ctypes.CDLL(None)


def udev_device(properties: Mapping[str, str], context: pyudev.Context | None = None) -> pyudev.Device:
    """A ``pyudev.Device`` with ``properties`` (``ACTION``, ``DEVPATH``, ``SUBSYSTEM``, ``ID_*``...).

    libudev builds it from the process environment and splits every
    ``KEY=value`` string of it in place (``KEY\\0value``), which would leave
    this process without a usable environment. So for the call, the C
    ``environ`` pointer is switched to an array of our own buffers holding
    just ``properties``, and switched back after, under a lock (a thread
    calling ``getenv`` in those microseconds would see the device's
    properties; this is for tests and ``appliance doctor`` only).
    """
    buffers = [ctypes.create_string_buffer(f"{k}={v}".encode()) for k, v in properties.items()]
    array = (ctypes.c_void_p * (len(buffers) + 1))(*[ctypes.addressof(b) for b in buffers], None)
    pointer = ctypes.c_void_p.in_dll(_LIBC, "environ")
    with _ENVIRONMENT_LOCK:
        saved = pointer.value
        try:
            pointer.value = ctypes.addressof(array)
            return pyudev.Devices.from_environment(context or pyudev.Context())
        finally:
            pointer.value = saved


class FakeMonitor:
    """``push(device)`` makes the fd readable; ``poll(timeout=0)`` returns the devices in order."""

    def __init__(self) -> None:
        self._read, self._write = os.pipe()
        os.set_blocking(self._read, False)
        self._devices: deque[pyudev.Device] = deque()
        self.started = False

    def fileno(self) -> int:
        return self._read

    def start(self) -> None:
        self.started = True

    def push(self, device: pyudev.Device) -> None:
        self._devices.append(device)
        os.write(self._write, b"\x01")

    def poll(self, timeout: float | None = None) -> pyudev.Device | None:
        with contextlib.suppress(BlockingIOError):
            os.read(self._read, 1)
        return self._devices.popleft() if self._devices else None

    def close(self) -> None:
        for fd in (self._read, self._write):
            with contextlib.suppress(OSError):
                os.close(fd)
