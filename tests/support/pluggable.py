"""A camera or microphone the test can pull out and plug back in: a FIFO for a device node, fed by a thread.

On a device, unplugging a USB camera or microphone makes reads of its node
fail and the capture ends; plugging it back makes a node that opens again.
Here the node is a named pipe read by the appliance's real capture (PyAV's
``rawvideo`` or ``s16le`` demuxer, as it would read the V4L2 or ALSA device):
while "plugged", a thread writes grey yuv420p frames (a camera) or 20 ms of a
440 Hz tone (a microphone) into it in real time; :meth:`unplug` closes the
writing end, so the capture reads end-of-file and ends exactly as it does
when a device disappears. :meth:`plug` starts a new writer that waits for
the capture to open the node again. The udev side of the same events is
:meth:`udev_event`: pyudev's own ``Device`` for the fake monitor.
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
import os
import struct
import threading
import time
from pathlib import Path
from typing import Any, Literal

from appliance.config.profile import CaptureSpec, HwProfile, UdevRule, load_profile
from appliance.hw.udev_fake import udev_device
from appliance.labnode.app import LabNode
from appliance.services.controller import RoomController
from appliance.services.room_api import DeviceRole

RATE = 48000
CHUNK_S = 0.02

# what udev says of each kind (libudev aborts the process on a device node outside /dev: the
# room never opens a node by its udev name, it opens the profile's capture, the FIFO)
_UDEV = {
    "video": {
        "SUBSYSTEM": "video4linux",
        "DEVPATH": "/devices/pci0000:00/0000:00:14.0/usb1/1-2/1-2:1.0/video4linux/video0",
        "DEVNAME": "/dev/video0",
        "ID_V4L_CAPABILITIES": ":capture:",
        "ID_V4L_PRODUCT": "Room camera",
    },
    "audio": {
        "SUBSYSTEM": "sound",
        "DEVPATH": "/devices/pci0000:00/0000:00:14.0/usb1/1-3/1-3:1.0/sound/card1",
        "ID_MODEL": "Room_microphone",
    },
}


def decoded_from(node: LabNode, room: RoomController, kind: str = "video", alias: str = "meet") -> int:
    """Frames of ``kind`` the lab node has decoded from the room's media call so far."""
    hub = node.conference(alias).hub
    call = room._call
    assert hub is not None and call is not None and call.conference.media.call_uuid is not None
    return int(hub.call_statistics(call.conference.media.call_uuid)["frames_decoded"].get(kind, 0))


class PluggableDevice:
    def __init__(self, directory: Path, kind: Literal["video", "audio"] = "video") -> None:
        self.kind = kind
        self.path = directory / ("video0" if kind == "video" else "mic0")
        os.mkfifo(self.path)
        self.size, self.fps = (320, 180), 10
        self._unplugged = threading.Event()
        self._writer: threading.Thread | None = None

    @property
    def capture(self) -> CaptureSpec:
        """The profile's ``[video_capture]`` or ``[audio_capture]`` for this device."""
        if self.kind == "audio":
            return CaptureSpec("s16le", str(self.path), {"sample_rate": str(RATE), "ch_layout": "mono"})
        width, height = self.size
        options = {"video_size": f"{width}x{height}", "pixel_format": "yuv420p", "framerate": str(self.fps)}
        return CaptureSpec("rawvideo", str(self.path), options)

    @property
    def role(self) -> DeviceRole:
        return DeviceRole.CAMERA if self.kind == "video" else DeviceRole.MICROPHONE

    def profile(self, name: str = "ci-virtual") -> HwProfile:
        """``name`` with this device as its camera or (plain, no array) microphone, followed by udev."""
        profile = load_profile(name)
        subsystem = "video4linux" if self.kind == "video" else "sound"
        profile = dataclasses.replace(profile, udev=(UdevRule(self.role.value, subsystem),))
        if self.kind == "video":
            return dataclasses.replace(profile, video_capture=self.capture)
        return dataclasses.replace(profile, audio_capture=self.capture, audio_array=None, tracking=None)

    @property
    def capturing(self) -> bool:
        """The room's capture thread reads this device (it ends when the device is pulled)."""
        name = f"capture-{self.kind}-{self.capture.format}"
        return any(t.name == name for t in threading.enumerate())

    def plug(self) -> None:
        self._unplugged = threading.Event()
        self._writer = threading.Thread(target=self._write, args=(self._unplugged,), name="pluggable")
        self._writer.start()

    def unplug(self) -> None:
        """Pull the cable: the writer stops and closes, the capture reads end-of-file."""
        self._unplugged.set()
        writer, self._writer = self._writer, None
        while writer is not None and writer.is_alive():
            # a writer still waiting in open() for a reader is let go by a reader that opens and closes
            with contextlib.suppress(OSError):
                os.close(os.open(self.path, os.O_RDONLY | os.O_NONBLOCK))
            writer.join(0.05)

    def _chunks(self) -> tuple[list[bytes], float]:
        if self.kind == "video":
            width, height = self.size
            return [bytes([128]) * (width * height * 3 // 2)], 1.0 / self.fps
        samples = int(RATE * CHUNK_S)  # 20 ms chunks of a 440 Hz tone, 44 whole periods in five
        tone = [round(8000 * math.sin(2 * math.pi * 440 * i / RATE)) for i in range(samples * 5)]
        whole = struct.pack(f"<{len(tone)}h", *tone)
        step = samples * 2
        return [whole[i : i + step] for i in range(0, len(whole), step)], CHUNK_S

    def _write(self, unplugged: threading.Event) -> None:
        chunks, every = self._chunks()
        with open(self.path, "wb", buffering=0) as node:  # blocks until the capture opens the node
            started, sent = time.monotonic(), 0
            while not unplugged.is_set():
                try:
                    node.write(chunks[sent % len(chunks)])
                except OSError:  # BrokenPipeError: the capture closed its end
                    return
                sent += 1
                time.sleep(max(0.0, started + sent * every - time.monotonic()))

    def udev_event(self, action: str) -> Any:
        """udev's ``add`` or ``remove`` of this device, as pyudev's own ``Device``."""
        return udev_device(
            {"ACTION": action, "SEQNUM": "41" if action == "remove" else "42", **_UDEV[self.kind]}
        )

    def close(self) -> None:
        self.unplug()
