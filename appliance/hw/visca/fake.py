"""A virtual VISCA camera on a real pseudo-terminal and a real loopback UDP socket.

It ships in the package because ``appliance doctor --profile ci-virtual``,
the demo and the tests start it (docs/hardware.md, "The virtual PTZ
camera"). It replaces only the far side of the cable: the driver opens the
pty's path with pyserial exactly as it opens ``/dev/ttyUSB0``, or sends
datagrams to a loopback port exactly as to a camera on the network.

It keeps a pan/tilt/zoom position that moves with time while driven, 16
presets, power, and two command sockets (absolute moves, home and preset
recalls hold a socket until they arrive). A test can make it answer
errors (:meth:`fail_next`), stop answering (:attr:`stalled`), write
garbage (:meth:`send_garbage`), restart (:meth:`power_cycle`) and have its
cable pulled and put back (:meth:`unplug`, :meth:`replug`; the pty's path
is a symlink that disappears and comes back, like a USB adapter's
``/dev/serial/by-id`` name). :meth:`view` gives the position as fractions
for the virtual picture (``appliance.media.viewport``).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import tempfile
import tty
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from appliance.hw.visca import protocol as p

PAN_LIMIT = 2400  # camera units either side of centre
TILT_LIMIT = 1200
UNITS_PER_SPEED_S = 150.0  # pan/tilt units per second for each step of speed
ZOOM_PER_SPEED_S = 0x4000 / 8  # zoom units per second for each step of speed (+1)
ARRIVAL_SPEED = 24  # speed of absolute moves, home and preset recalls (fast, like a real camera)


@dataclass(slots=True)
class CameraState:
    pan: float = 0.0
    tilt: float = 0.0
    zoom: float = 0.0
    pan_velocity: float = 0.0  # units per second
    tilt_velocity: float = 0.0
    zoom_velocity: float = 0.0
    powered: bool = True
    presets: dict[int, tuple[float, float, float]] = field(default_factory=dict)


def _clamp(value: float, limit: float, low: float | None = None) -> float:
    return max(-limit if low is None else low, min(limit, value))


class FakeViscaCamera:
    """The camera side of VISCA, on a pty (``serial_path``) and a UDP port (``udp_port``)."""

    def __init__(self, address: int = 1, *, serial: bool = True, udp: bool = True) -> None:
        self.address = address
        self.state = CameraState()
        self.received: list[bytes] = []  # every VISCA packet, in order (tests look at it)
        self.stalled = False
        self.unplugged = False
        self.buffer_full_replies = 0  # times a command found both sockets busy (a driver bug)
        self._want_serial, self._want_udp = serial, udp
        self._failures: deque[p.ErrorCode] = deque()
        self._moved_at = 0.0
        self._busy: dict[int, asyncio.TimerHandle] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._dir: tempfile.TemporaryDirectory[str] | None = None
        self._master: int | None = None
        self._slave: int | None = None
        self._buffer = bytearray()
        self._udp: asyncio.DatagramTransport | None = None
        self._udp_expected = 0  # the next sequence number must be above this
        self._udp_needs_reset = False
        self._reply_to = "serial"  # where the packet being answered came from
        self._udp_peer: Any = None
        self._udp_sequence = 0
        self.udp_port = 0
        self.serial_path = ""

    # -- life ----------------------------------------------------------------------------

    async def start(self) -> FakeViscaCamera:
        self._loop = asyncio.get_running_loop()
        self._moved_at = self._loop.time()
        if self._want_serial:
            self._dir = tempfile.TemporaryDirectory(prefix="fake-visca-")
            self.serial_path = str(Path(self._dir.name) / "ttyVISCA0")
            self._open_pty()
        if self._want_udp:
            transport, _ = await self._loop.create_datagram_endpoint(
                lambda: _FakeUdp(self), local_addr=("127.0.0.1", 0)
            )
            self._udp = transport
            self.udp_port = transport.get_extra_info("sockname")[1]
        return self

    async def close(self) -> None:
        self._close_pty()
        if self._udp is not None:
            self._udp.close()
            self._udp = None
        for handle in self._busy.values():
            handle.cancel()
        self._busy.clear()
        if self._dir is not None:
            self._dir.cleanup()
            self._dir = None

    async def __aenter__(self) -> FakeViscaCamera:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    def _open_pty(self) -> None:
        assert self._loop is not None
        master, slave = os.openpty()
        tty.setraw(slave)
        os.set_blocking(master, False)
        self._master, self._slave = master, slave
        link = Path(self.serial_path)
        with contextlib.suppress(FileNotFoundError):
            link.unlink()
        link.symlink_to(os.ttyname(slave))
        self._loop.add_reader(master, self._readable)

    def _close_pty(self) -> None:
        if self._master is not None and self._loop is not None:
            self._loop.remove_reader(self._master)
        for fd in (self._master, self._slave):
            if fd is not None:
                with contextlib.suppress(OSError):
                    os.close(fd)
        self._master = self._slave = None
        if self.serial_path:
            with contextlib.suppress(FileNotFoundError):
                Path(self.serial_path).unlink()

    # -- test controls -------------------------------------------------------------------

    def fail_next(self, code: p.ErrorCode, count: int = 1) -> None:
        """Answer the next ``count`` commands with ``code`` (after the ACK for "not executable")."""
        self._failures.extend([code] * count)

    def send_garbage(self, data: bytes) -> None:
        """Noise: raw bytes on the serial line, and one raw datagram to the last UDP peer."""
        self._write_serial(data)
        if self._udp is not None and self._udp_peer is not None:
            self._udp.sendto(data, self._udp_peer)

    def power_cycle(self) -> None:
        """Restart: position home, moves and sockets forgotten, presets kept; serial hears it."""
        for handle in self._busy.values():
            handle.cancel()
        self._busy.clear()
        presets = self.state.presets
        self.state = CameraState(presets=presets)
        self._udp_expected = 0
        self._udp_needs_reset = True  # a restarted camera takes commands again after a sequence reset
        self._buffer.clear()
        self._write_serial(p.network_change(self.address))

    def unplug(self) -> None:
        """Pull the cable: the pty goes away (the driver reads EIO) and its path disappears."""
        self.unplugged = True
        self._close_pty()

    def replug(self) -> None:
        """Put the cable back: a new pty behind the same path."""
        self.unplugged = False
        if self._want_serial:
            self._open_pty()

    # -- position --------------------------------------------------------------------------

    def _advance(self) -> CameraState:
        assert self._loop is not None
        now = self._loop.time()
        dt, self._moved_at = now - self._moved_at, now
        s = self.state
        s.pan = _clamp(s.pan + s.pan_velocity * dt, PAN_LIMIT)
        s.tilt = _clamp(s.tilt + s.tilt_velocity * dt, TILT_LIMIT)
        s.zoom = _clamp(s.zoom + s.zoom_velocity * dt, p.ZOOM_MAX, 0.0)
        return s

    def position(self) -> tuple[int, int, int]:
        s = self._advance()
        return round(s.pan), round(s.tilt), round(s.zoom)

    def view(self) -> tuple[float, float, float]:
        """(pan -1..1, tilt -1..1, zoom 0..1) now: what the virtual picture is cropped by."""
        s = self._advance()
        return s.pan / PAN_LIMIT, s.tilt / TILT_LIMIT, s.zoom / p.ZOOM_MAX

    def _go_to(self, pan: float, tilt: float, zoom: float, socket: int) -> None:
        """Arrive at a position after the time a real camera would take; completes ``socket``."""
        assert self._loop is not None
        s = self._advance()
        s.pan_velocity = s.tilt_velocity = s.zoom_velocity = 0.0
        distance = max(abs(pan - s.pan), abs(tilt - s.tilt))
        seconds = min(2.0, distance / (ARRIVAL_SPEED * UNITS_PER_SPEED_S))

        def arrive() -> None:
            self._busy.pop(socket, None)
            s.pan, s.tilt, s.zoom = pan, tilt, zoom
            self._reply(p.completion(self.address, socket))

        self._busy[socket] = self._loop.call_later(seconds, arrive)

    # -- the protocol ----------------------------------------------------------------------

    def _readable(self) -> None:
        assert self._master is not None
        try:
            data = os.read(self._master, 1024)
        except BlockingIOError:
            return
        except OSError:  # nobody has the port open: nothing to read
            return
        self._reply_to = "serial"
        for byte in data:
            self._buffer.append(byte)
            if byte == p.TERMINATOR:
                packet, self._buffer = bytes(self._buffer), bytearray()
                self.handle(packet)

    def _write_serial(self, data: bytes) -> None:
        if self._master is None:
            return
        with contextlib.suppress(OSError):
            os.write(self._master, data)

    def _reply(self, packet: bytes) -> None:
        if self.unplugged:
            return
        if self._reply_to == "udp":
            if self._udp is not None and self._udp_peer is not None:
                self._udp.sendto(p.wrap_ip(p.IpPayload.REPLY, self._udp_sequence, packet), self._udp_peer)
            return
        self._write_serial(packet)

    def datagram(self, data: bytes, peer: Any) -> None:
        if self.unplugged:
            return
        assert self._udp is not None
        try:
            kind, sequence, payload = p.unwrap_ip(data)
        except p.ProtocolError:
            self._udp.sendto(p.wrap_ip(p.IpPayload.CONTROL_REPLY, 0, p.CONTROL_MESSAGE_ERROR), peer)
            return
        if self.stalled:
            if kind is not p.IpPayload.CONTROL:
                self.received.append(payload)
            return
        self._reply_to, self._udp_peer, self._udp_sequence = "udp", peer, sequence
        if kind is p.IpPayload.CONTROL:
            if payload == p.RESET_SEQUENCE:
                self._udp_expected = 0
                self._udp_needs_reset = False
                self._udp.sendto(p.wrap_ip(p.IpPayload.CONTROL_REPLY, sequence, p.RESET_SEQUENCE), peer)
            else:
                self._udp.sendto(
                    p.wrap_ip(p.IpPayload.CONTROL_REPLY, sequence, p.CONTROL_MESSAGE_ERROR), peer
                )
            return
        if self._udp_needs_reset or (sequence <= self._udp_expected and self._udp_expected != 0):
            self._udp.sendto(p.wrap_ip(p.IpPayload.CONTROL_REPLY, sequence, p.CONTROL_SEQUENCE_ERROR), peer)
            return
        self._udp_expected = sequence
        self.handle(payload)

    def handle(self, packet: bytes) -> None:
        """Answer one packet as a camera would (public: the tests drive it directly too)."""
        self.received.append(packet)
        if self.stalled:
            return
        if packet == p.address_set():
            self._reply(bytes((p.BROADCAST, 0x30, self.address + 1, p.TERMINATOR)))
            return
        if packet == p.if_clear():
            self._reply(packet)
            return
        if len(packet) < 3 or packet[0] != 0x80 | self.address:
            return  # for another camera on the chain, or noise
        body = packet[1:-1]
        if body[0] == 0x09:
            self._inquiry(body)
        elif body[0] == 0x01:
            self._command(body)
        else:
            self._reply(p.error_reply(self.address, 0, p.ErrorCode.SYNTAX))

    def _inquiry(self, body: bytes) -> None:
        pan, tilt, zoom = self.position()
        answers = {
            b"\x09\x06\x12": p.position_data(pan, tilt),
            b"\x09\x04\x47": p.zoom_data(zoom),
            b"\x09\x04\x00": b"\x02" if self.state.powered else b"\x03",
        }
        data = answers.get(bytes(body))
        if data is None:
            self._reply(p.error_reply(self.address, 0, p.ErrorCode.SYNTAX))
        else:
            self._reply(p.completion(self.address, 0, data))

    def _free_socket(self) -> int | None:
        return next((s for s in (1, 2) if s not in self._busy), None)

    def _command(self, body: bytes) -> None:
        if body == b"\x01\x00\x01":  # IF_Clear addressed to us
            self._reply(p.completion(self.address, 0))
            return
        if self._failures and self._failures[0] in (
            p.ErrorCode.MESSAGE_LENGTH,
            p.ErrorCode.SYNTAX,
            p.ErrorCode.BUFFER_FULL,
        ):
            self._reply(p.error_reply(self.address, 0, self._failures.popleft()))
            return
        socket = self._free_socket()
        if socket is None:
            self.buffer_full_replies += 1
            self._reply(p.error_reply(self.address, 0, p.ErrorCode.BUFFER_FULL))
            return
        self._reply(p.ack(self.address, socket))
        if self._failures:
            self._reply(p.error_reply(self.address, socket, self._failures.popleft()))
            return
        if not self._execute(bytes(body), socket):
            self._reply(p.error_reply(self.address, socket, p.ErrorCode.NOT_EXECUTABLE))

    def _execute(self, body: bytes, socket: int) -> bool:
        """Carry out a command; False when this camera cannot (unknown or out of range)."""
        s = self._advance()
        done = True
        if body[:3] == b"\x01\x06\x01" and len(body) == 7:
            pan_speed, tilt_speed, pan_dir, tilt_dir = body[3:7]
            s.pan_velocity = {1: -1, 2: 1, 3: 0}.get(pan_dir, 0) * pan_speed * UNITS_PER_SPEED_S
            s.tilt_velocity = {1: 1, 2: -1, 3: 0}.get(tilt_dir, 0) * tilt_speed * UNITS_PER_SPEED_S
        elif body[:3] == b"\x01\x06\x02" and len(body) == 13:
            pan, tilt = p.parse_pan_tilt(body[5:13])
            if abs(pan) > PAN_LIMIT or abs(tilt) > TILT_LIMIT:
                return False
            self._go_to(pan, tilt, s.zoom, socket)
            done = False
        elif body == b"\x01\x06\x04":
            self._go_to(0.0, 0.0, s.zoom, socket)
            done = False
        elif body[:3] == b"\x01\x04\x07" and len(body) == 4:
            code = body[3]
            direction = {0x00: 0, 0x02: 1, 0x03: -1}.get(code)
            speed = 3
            if direction is None:
                direction = {0x2: 1, 0x3: -1}.get(code >> 4, 0)
                speed = code & 0x0F
            s.zoom_velocity = direction * (speed + 1) * ZOOM_PER_SPEED_S
        elif body[:3] == b"\x01\x04\x47" and len(body) == 7:
            s.zoom = float(p.parse_zoom(body[3:7]))
        elif body[:3] == b"\x01\x04\x3f" and len(body) == 5:
            operation, preset = body[3], body[4]
            if operation == 0x01:
                s.presets[preset] = (s.pan, s.tilt, s.zoom)
            elif operation == 0x00:
                s.presets.pop(preset, None)
            elif operation == 0x02:
                if preset not in s.presets:
                    return False
                to_pan, to_tilt, to_zoom = s.presets[preset]
                self._go_to(to_pan, to_tilt, to_zoom, socket)
                done = False
            else:
                return False
        elif body[:3] == b"\x01\x04\x00" and len(body) == 4 and body[3] in (2, 3):
            s.powered = body[3] == 2
        else:
            return False
        if done:
            self._reply(p.completion(self.address, socket))
        return True


class _FakeUdp(asyncio.DatagramProtocol):
    def __init__(self, camera: FakeViscaCamera) -> None:
        self._camera = camera

    def datagram_received(self, data: bytes, addr: Any) -> None:
        self._camera.datagram(data, addr)
