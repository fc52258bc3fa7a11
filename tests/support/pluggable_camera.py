"""A camera the test can pull out and plug back in: a FIFO for a device node, fed raw frames by a thread.

On a device, unplugging a USB camera makes reads of its ``/dev/video*`` node
fail and the capture ends; plugging it back makes a node that opens again.
Here the node is a named pipe read by the appliance's real capture (PyAV's
``rawvideo`` demuxer, as it would read the V4L2 device): while "plugged",
a thread writes grey yuv420p frames into it at ``fps``; :meth:`unplug`
closes the writing end, so the capture reads end-of-file and ends exactly
as it does when a device disappears. :meth:`plug` starts a new writer that
waits for the capture to open the node again. The udev side of the same
events is :func:`udev_event`: pyudev's own ``Device`` for the fake monitor.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from pathlib import Path
from typing import Any

from appliance.config.profile import CaptureSpec
from appliance.hw.udev_fake import udev_device
from appliance.labnode.app import LabNode
from appliance.services.controller import RoomController


def video_from(node: LabNode, room: RoomController, alias: str = "meet") -> int:
    """Video frames the lab node has decoded from the room's media call so far."""
    hub = node.conference(alias).hub
    call = room._call
    assert hub is not None and call is not None and call.conference.media.call_uuid is not None
    return int(hub.call_statistics(call.conference.media.call_uuid)["frames_decoded"].get("video", 0))


def capturing() -> bool:
    """A capture thread reads the pluggable camera (its reader ends when the camera is pulled)."""
    return any(t.name == "capture-video-rawvideo" for t in threading.enumerate())


class PluggableCamera:
    def __init__(self, directory: Path, size: tuple[int, int] = (320, 180), fps: int = 10) -> None:
        self.path = directory / "video0"
        os.mkfifo(self.path)
        self.size, self.fps = size, fps
        self._unplugged = threading.Event()
        self._writer: threading.Thread | None = None
        self.frames_written = 0

    @property
    def capture(self) -> CaptureSpec:
        """The profile's ``[video_capture]`` for this camera."""
        width, height = self.size
        options = {"video_size": f"{width}x{height}", "pixel_format": "yuv420p", "framerate": str(self.fps)}
        return CaptureSpec("rawvideo", str(self.path), options)

    def plug(self) -> None:
        self._unplugged = threading.Event()
        self._writer = threading.Thread(target=self._write, args=(self._unplugged,), name="camera-fifo")
        self._writer.start()

    def unplug(self) -> None:
        """Pull the cable: the writer stops and closes, the capture reads end-of-file."""
        self._unplugged.set()
        writer, self._writer = self._writer, None
        if writer is not None:
            self._release(writer)

    def _release(self, writer: threading.Thread) -> None:
        # a writer still waiting in open() for a reader is let go by a reader that opens and closes
        while writer.is_alive():
            with contextlib.suppress(OSError):
                os.close(os.open(self.path, os.O_RDONLY | os.O_NONBLOCK))
            writer.join(0.05)

    def _write(self, unplugged: threading.Event) -> None:
        width, height = self.size
        frame = bytes([128]) * (width * height * 3 // 2)
        with open(self.path, "wb", buffering=0) as node:  # blocks until the capture opens the node
            while not unplugged.is_set():
                try:
                    node.write(frame)
                except (BrokenPipeError, OSError):
                    return
                self.frames_written += 1
                time.sleep(1.0 / self.fps)

    def udev_event(self, action: str) -> Any:
        """udev's ``add`` or ``remove`` of this camera, as pyudev's own ``Device``.

        Its node is ``/dev/video0``: libudev aborts the process on a device node
        outside ``/dev``, and the room never opens a node by its udev name (it
        opens the profile's ``[video_capture]``, the FIFO).
        """
        return udev_device(
            {
                "ACTION": action,
                "SEQNUM": "41" if action == "remove" else "42",
                "SUBSYSTEM": "video4linux",
                "DEVPATH": "/devices/pci0000:00/0000:00:14.0/usb1/1-2/1-2:1.0/video4linux/video0",
                "DEVNAME": "/dev/video0",
                "ID_V4L_CAPABILITIES": ":capture:",
                "ID_V4L_PRODUCT": "Room camera",
            }
        )

    def close(self) -> None:
        self.unplug()
