"""The two ways VISCA reaches a camera: a serial line and UDP. The one I/O bridge for each.

Both hand the driver parsed :class:`~appliance.hw.visca.protocol.Reply`
objects through ``on_reply`` and report a dead link through ``on_lost``;
the driver (``driver.py``) never touches bytes or sockets.

- :class:`SerialLink`: RS-232/RS-422, usually through a USB adapter, read
  by pyserial-asyncio-fast (the serial fd on the event loop with
  ``add_reader``; no thread). The byte stream is cut into packets by a
  :class:`~appliance.hw.visca.protocol.Framer`, which skips and counts
  garbage. A pulled cable is an I/O error on the fd: ``on_lost``.
- :class:`IpLink`: VISCA over IP on UDP port 52381, one datagram per
  packet with the 8-byte header and a sequence number, which
  :meth:`IpLink.reset` sets back to 0 with the control command (at start,
  after the camera answers "abnormal sequence number", and after a
  timeout). UDP has no connection to lose: a camera that is gone is
  noticed by the driver's timeouts.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import Any, Protocol

import serial
import serial_asyncio_fast

from appliance.errors import DeviceError
from appliance.hw.visca import protocol as p
from appliance.log import get_logger

log = get_logger(__name__)

ReplyHandler = Callable[[p.Reply], None]
LostHandler = Callable[[Exception | None], None]


class ViscaLinkError(DeviceError, ConnectionError):
    """The serial port or the camera's address cannot be opened."""


class Link(Protocol):
    """What the driver needs of a transport (must be implemented by both)."""

    name: str
    addresses_by_broadcast: bool  # serial daisy chains number cameras with "address set"

    @property
    def garbage(self) -> int: ...

    async def open(self, on_reply: ReplyHandler, on_lost: LostHandler) -> None: ...

    def send(self, packet: bytes) -> None: ...

    async def reset(self) -> None: ...

    async def close(self) -> None: ...


class _SerialProtocol(asyncio.Protocol):
    def __init__(self, link: SerialLink) -> None:
        self._link = link

    def data_received(self, data: bytes) -> None:
        for reply in self._link.framer.feed(data):
            self._link.deliver(reply)

    def connection_lost(self, exc: Exception | None) -> None:
        self._link.lost(exc)


class SerialLink:
    """VISCA on a serial port (a path such as ``/dev/serial/by-id/...`` or a pty)."""

    addresses_by_broadcast = True

    def __init__(self, port: str, baudrate: int = 9600) -> None:
        self.port = port
        self.baudrate = baudrate
        self.name = f"serial:{port}"
        self.framer = p.Framer()
        self._transport: asyncio.BaseTransport | None = None
        self._on_reply: ReplyHandler | None = None
        self._on_lost: LostHandler | None = None

    @property
    def garbage(self) -> int:
        return self.framer.garbage

    async def open(self, on_reply: ReplyHandler, on_lost: LostHandler) -> None:
        self._on_reply, self._on_lost = on_reply, on_lost
        loop = asyncio.get_running_loop()
        try:
            transport, _ = await serial_asyncio_fast.create_serial_connection(
                loop,
                lambda: _SerialProtocol(self),
                self.port,
                baudrate=self.baudrate,
                bytesize=serial.EIGHTBITS,
                parity=serial.PARITY_NONE,
                stopbits=serial.STOPBITS_ONE,
            )
        except (serial.SerialException, OSError) as exc:
            raise ViscaLinkError(f"cannot open VISCA serial port {self.port}: {exc}") from exc
        self._transport = transport

    def deliver(self, reply: p.Reply) -> None:
        if self._on_reply is not None:
            self._on_reply(reply)

    def lost(self, exc: Exception | None) -> None:
        was_open, self._transport = self._transport is not None, None
        if was_open and self._on_lost is not None:
            self._on_lost(exc)

    def send(self, packet: bytes) -> None:
        transport = self._transport
        if transport is None:
            raise ViscaLinkError(f"VISCA serial port {self.port} is not open")
        assert isinstance(transport, asyncio.WriteTransport)
        transport.write(packet)

    async def reset(self) -> None:
        """Nothing to reset on a serial line (IF_Clear is a VISCA command the driver sends)."""

    async def close(self) -> None:
        transport, self._transport = self._transport, None
        self._on_lost = None
        if transport is not None:
            transport.close()


class _UdpProtocol(asyncio.DatagramProtocol):
    def __init__(self, link: IpLink) -> None:
        self._link = link

    def datagram_received(self, data: bytes, addr: Any) -> None:
        self._link.datagram(data)

    def error_received(self, exc: Exception) -> None:
        # ICMP port unreachable and friends: the camera is off or gone; timeouts will say so
        log.debug("VISCA over IP socket error", extra={"context": {"error": str(exc)}})


class IpLink:
    """VISCA over IP: UDP to ``host:port`` (52381), with sequence numbers."""

    addresses_by_broadcast = False

    def __init__(self, host: str, port: int = p.IP_PORT, *, reset_timeout_s: float = 1.0) -> None:
        self.host = host
        self.port = port
        self.name = f"ip:{host}:{port}"
        self.reset_timeout_s = reset_timeout_s
        self.sequence = 0
        self.malformed = 0  # datagrams that were not VISCA over IP
        self.sequence_errors = 0
        self._transport: asyncio.DatagramTransport | None = None
        self._on_reply: ReplyHandler | None = None
        self._reset_answer: asyncio.Future[bytes] | None = None

    @property
    def garbage(self) -> int:
        return self.malformed

    async def open(self, on_reply: ReplyHandler, on_lost: LostHandler) -> None:
        self._on_reply = on_reply
        loop = asyncio.get_running_loop()
        try:
            transport, _ = await loop.create_datagram_endpoint(
                lambda: _UdpProtocol(self), remote_addr=(self.host, self.port)
            )
        except OSError as exc:
            raise ViscaLinkError(f"cannot reach VISCA camera at {self.host}:{self.port}: {exc}") from exc
        self._transport = transport

    def datagram(self, data: bytes) -> None:
        try:
            kind, _sequence, payload = p.unwrap_ip(data)
        except p.ProtocolError:
            self.malformed += 1
            return
        if kind is p.IpPayload.CONTROL_REPLY:
            if payload == p.CONTROL_SEQUENCE_ERROR:
                # the camera restarted or lost count: reset now, so the driver's retry gets through
                self.sequence_errors += 1
                self.sequence = 0
                if self._transport is not None and self._reset_answer is None:
                    self._transport.sendto(p.wrap_ip(p.IpPayload.CONTROL, 0, p.RESET_SEQUENCE))
            if self._reset_answer is not None and not self._reset_answer.done():
                self._reset_answer.set_result(payload)
            return
        if kind is not p.IpPayload.REPLY:
            self.malformed += 1
            return
        try:
            reply = p.parse_reply(payload)
        except p.ProtocolError:
            self.malformed += 1
            return
        if self._on_reply is not None:
            self._on_reply(reply)

    def send(self, packet: bytes) -> None:
        if self._transport is None:
            raise ViscaLinkError(f"VISCA over IP link to {self.host}:{self.port} is not open")
        kind = p.IpPayload.INQUIRY if p.is_inquiry(packet) else p.IpPayload.COMMAND
        self.sequence = (self.sequence + 1) & 0xFFFFFFFF
        self._transport.sendto(p.wrap_ip(kind, self.sequence, packet))

    async def reset(self) -> None:
        """Set the sequence number back to 0 (the camera's "RESET" control command)."""
        if self._transport is None:
            raise ViscaLinkError(f"VISCA over IP link to {self.host}:{self.port} is not open")
        self._reset_answer = asyncio.get_running_loop().create_future()
        self.sequence = 0
        self._transport.sendto(p.wrap_ip(p.IpPayload.CONTROL, 0, p.RESET_SEQUENCE))
        try:
            async with asyncio.timeout(self.reset_timeout_s):
                answer = await self._reset_answer
        except TimeoutError:
            raise ViscaLinkError(
                f"VISCA camera at {self.host}:{self.port} did not answer the sequence reset"
            ) from None
        finally:
            self._reset_answer = None
        if answer != p.RESET_SEQUENCE:
            raise ViscaLinkError(f"VISCA camera at {self.host}:{self.port} refused the reset: {answer.hex()}")

    async def close(self) -> None:
        transport, self._transport = self._transport, None
        if transport is not None:
            with contextlib.suppress(OSError):
                transport.close()
