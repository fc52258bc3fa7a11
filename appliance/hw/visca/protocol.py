"""VISCA wire format: commands encoded to bytes, replies parsed from bytes. No I/O.

VISCA is Sony's PTZ camera protocol, spoken by most room cameras over an
RS-232/RS-422 cable and, on current cameras, over UDP ("VISCA over IP").
A packet is a header byte, up to 14 payload bytes, and the terminator
``0xFF``: a command to camera ``n`` starts ``0x80 | n``; its replies start
``(8 + n) << 4``. Replies are, per command:

- ACK ``y0 4s FF`` — accepted into command socket ``s`` (1 or 2);
- completion ``y0 5s FF`` — socket ``s`` done; an inquiry's answer is
  ``y0 50 <data> FF`` (no ACK before it);
- error ``y0 6s EE FF`` — ``EE`` is one of :class:`ErrorCode`.

VISCA over IP wraps each packet in an 8-byte header (payload type, payload
length, a 32-bit sequence number) and adds a control channel whose one
command we use resets the sequence number (:func:`wrap_ip`,
:func:`unwrap_ip`). Everything here is pure so that it can be fuzzed
(``tests/hw/test_visca_protocol.py``) and shared by the driver and the fake
camera (docs/hardware.md, "VISCA").
"""

from __future__ import annotations

import enum
import struct
from dataclasses import dataclass

TERMINATOR = 0xFF
MAX_PACKET = 16  # header + 14 payload + terminator
BROADCAST = 0x88
IP_PORT = 52381

PAN_SPEED_MAX = 0x18
TILT_SPEED_MAX = 0x17
ZOOM_SPEED_MAX = 7
ZOOM_MAX = 0x4000  # optical tele end on most Sony-compatible cameras
PRESET_MAX = 127


class ErrorCode(enum.IntEnum):
    """The error byte of ``y0 6s EE FF``."""

    MESSAGE_LENGTH = 0x01
    SYNTAX = 0x02
    BUFFER_FULL = 0x03
    CANCELLED = 0x04
    NO_SOCKET = 0x05
    NOT_EXECUTABLE = 0x41


ERROR_TEXT = {
    ErrorCode.MESSAGE_LENGTH: "message length error",
    ErrorCode.SYNTAX: "syntax error",
    ErrorCode.BUFFER_FULL: "command buffer full",
    ErrorCode.CANCELLED: "command cancelled",
    ErrorCode.NO_SOCKET: "no socket (to be cancelled)",
    ErrorCode.NOT_EXECUTABLE: "command not executable",
}


class ProtocolError(ValueError):
    """Bytes that are not a VISCA packet (the transport counts and skips them)."""


# -- commands -------------------------------------------------------------------------------


def _header(address: int) -> int:
    if not 1 <= address <= 7:
        raise ValueError(f"VISCA address: expected 1-7, found {address}")
    return 0x80 | address


def _packet(address: int, *body: int) -> bytes:
    return bytes((_header(address), *body, TERMINATOR))


def _nibbles(value: int, count: int = 4) -> tuple[int, ...]:
    """A value as ``count`` nibbles, most significant first (16-bit two's complement for negatives)."""
    value &= (1 << (4 * count)) - 1
    return tuple((value >> (4 * (count - 1 - i))) & 0x0F for i in range(count))


def _from_nibbles(data: bytes) -> int:
    value = 0
    for byte in data:
        if byte > 0x0F:
            raise ProtocolError(f"expected a nibble, found 0x{byte:02x}")
        value = (value << 4) | byte
    return value


def _signed16(value: int) -> int:
    return value - 0x10000 if value & 0x8000 else value


def _check(name: str, value: int, low: int, high: int) -> int:
    if not low <= value <= high:
        raise ValueError(f"{name}: expected {low}-{high}, found {value}")
    return value


def address_set() -> bytes:
    """Broadcast: number the cameras on the daisy chain from 1 (serial only)."""
    return bytes((BROADCAST, 0x30, 0x01, TERMINATOR))


def if_clear(address: int | None = None) -> bytes:
    """Empty the camera's command buffers; broadcast when ``address`` is None."""
    head = BROADCAST if address is None else _header(address)
    return bytes((head, 0x01, 0x00, 0x01, TERMINATOR))


def pan_tilt_drive(address: int, pan: int, tilt: int, pan_speed: int, tilt_speed: int) -> bytes:
    """Drive at speed: ``pan`` -1 left / 0 stop / +1 right, ``tilt`` -1 down / 0 / +1 up."""
    pan_byte = {-1: 0x01, 0: 0x03, 1: 0x02}[pan]
    tilt_byte = {1: 0x01, 0: 0x03, -1: 0x02}[tilt]
    return _packet(
        address,
        0x01,
        0x06,
        0x01,
        _check("pan speed", pan_speed, 1, PAN_SPEED_MAX),
        _check("tilt speed", tilt_speed, 1, TILT_SPEED_MAX),
        pan_byte,
        tilt_byte,
    )


def pan_tilt_stop(address: int, pan_speed: int = 1, tilt_speed: int = 1) -> bytes:
    return pan_tilt_drive(address, 0, 0, pan_speed, tilt_speed)


def pan_tilt_absolute(address: int, pan: int, tilt: int, pan_speed: int, tilt_speed: int) -> bytes:
    """Go to an absolute position (signed 16-bit camera units)."""
    _check("pan position", pan, -0x8000, 0x7FFF)
    _check("tilt position", tilt, -0x8000, 0x7FFF)
    return _packet(
        address,
        0x01,
        0x06,
        0x02,
        _check("pan speed", pan_speed, 1, PAN_SPEED_MAX),
        _check("tilt speed", tilt_speed, 1, TILT_SPEED_MAX),
        *_nibbles(pan),
        *_nibbles(tilt),
    )


def pan_tilt_home(address: int) -> bytes:
    return _packet(address, 0x01, 0x06, 0x04)


def zoom_drive(address: int, direction: int, speed: int) -> bytes:
    """Zoom at speed 0-7: ``direction`` +1 tele, -1 wide, 0 stop."""
    _check("zoom speed", speed, 0, ZOOM_SPEED_MAX)
    code = {0: 0x00, 1: 0x20 | speed, -1: 0x30 | speed}[direction]
    return _packet(address, 0x01, 0x04, 0x07, code)


def zoom_direct(address: int, position: int) -> bytes:
    return _packet(address, 0x01, 0x04, 0x47, *_nibbles(_check("zoom position", position, 0, ZOOM_MAX)))


def memory(address: int, operation: str, preset: int) -> bytes:
    """Preset ``reset``, ``set`` (store) or ``recall``."""
    code = {"reset": 0x00, "set": 0x01, "recall": 0x02}[operation]
    return _packet(address, 0x01, 0x04, 0x3F, code, _check("preset", preset, 0, PRESET_MAX))


def power(address: int, on: bool) -> bytes:
    return _packet(address, 0x01, 0x04, 0x00, 0x02 if on else 0x03)


def inquire_pan_tilt(address: int) -> bytes:
    return _packet(address, 0x09, 0x06, 0x12)


def inquire_zoom(address: int) -> bytes:
    return _packet(address, 0x09, 0x04, 0x47)


def inquire_power(address: int) -> bytes:
    return _packet(address, 0x09, 0x04, 0x00)


def is_inquiry(packet: bytes) -> bool:
    return len(packet) > 2 and packet[1] == 0x09


# -- replies --------------------------------------------------------------------------------


class ReplyKind(enum.StrEnum):
    ACK = "ack"
    COMPLETION = "completion"
    ERROR = "error"
    ADDRESS = "address"  # reply to address set: 88 30 0n FF
    CLEARED = "cleared"  # broadcast IF_Clear echoed: 88 01 00 01 FF
    NETWORK_CHANGE = "network-change"  # y0 38 FF: the camera was (re)powered or re-cabled


@dataclass(frozen=True, slots=True)
class Reply:
    kind: ReplyKind
    sender: int  # camera address (0 for broadcast replies)
    socket: int = 0
    data: bytes = b""  # an inquiry's answer
    error: ErrorCode | None = None

    def describe(self) -> str:
        if self.error is not None:
            return f"{ERROR_TEXT[self.error]} (socket {self.socket})"
        return f"{self.kind} socket {self.socket}" + (f" data {self.data.hex()}" if self.data else "")


def parse_reply(packet: bytes) -> Reply:
    """One reply packet (terminator included) to a :class:`Reply`; :class:`ProtocolError` if not one."""
    if len(packet) < 3 or len(packet) > MAX_PACKET or packet[-1] != TERMINATOR:
        raise ProtocolError(f"not a VISCA packet: {packet.hex()}")
    if TERMINATOR in packet[:-1]:
        raise ProtocolError(f"terminator inside a packet: {packet.hex()}")
    head, body = packet[0], packet[1:-1]
    if head == BROADCAST:
        if len(body) == 2 and body[0] == 0x30 and 2 <= body[1] <= 8:
            return Reply(ReplyKind.ADDRESS, 0, data=bytes(body[1:]))
        if body == b"\x01\x00\x01":
            return Reply(ReplyKind.CLEARED, 0)
        raise ProtocolError(f"unknown broadcast reply: {packet.hex()}")
    if head & 0x0F or not 0x90 <= head <= 0xF0:
        raise ProtocolError(f"not a reply header: 0x{head:02x}")
    sender = (head >> 4) - 8
    code = body[0]
    kind_nibble, socket = code >> 4, code & 0x0F
    if code == 0x38 and len(body) == 1:
        return Reply(ReplyKind.NETWORK_CHANGE, sender)
    if kind_nibble == 0x4 and len(body) == 1:
        return Reply(ReplyKind.ACK, sender, socket)
    if kind_nibble == 0x5:
        return Reply(ReplyKind.COMPLETION, sender, socket, data=bytes(body[1:]))
    if kind_nibble == 0x6 and len(body) == 2:
        try:
            error = ErrorCode(body[1])
        except ValueError:
            raise ProtocolError(f"unknown error code 0x{body[1]:02x}") from None
        return Reply(ReplyKind.ERROR, sender, socket, error=error)
    raise ProtocolError(f"unknown reply: {packet.hex()}")


def parse_pan_tilt(data: bytes) -> tuple[int, int]:
    """The data of a pan/tilt position inquiry's answer: (pan, tilt), signed."""
    if len(data) != 8:
        raise ProtocolError(f"pan/tilt position: expected 8 nibbles, found {len(data)} bytes")
    return _signed16(_from_nibbles(data[:4])), _signed16(_from_nibbles(data[4:]))


def parse_zoom(data: bytes) -> int:
    if len(data) != 4:
        raise ProtocolError(f"zoom position: expected 4 nibbles, found {len(data)} bytes")
    return _from_nibbles(data)


def parse_power(data: bytes) -> bool:
    if data not in (b"\x02", b"\x03"):
        raise ProtocolError(f"power: expected 02 or 03, found {data.hex()}")
    return data == b"\x02"


# Replies the fake camera (and tests) build.


def ack(address: int, socket: int) -> bytes:
    return bytes(((8 + address) << 4, 0x40 | socket, TERMINATOR))


def completion(address: int, socket: int, data: bytes = b"") -> bytes:
    return bytes(((8 + address) << 4, 0x50 | socket, *data, TERMINATOR))


def error_reply(address: int, socket: int, code: ErrorCode) -> bytes:
    return bytes(((8 + address) << 4, 0x60 | socket, int(code), TERMINATOR))


def network_change(address: int) -> bytes:
    return bytes(((8 + address) << 4, 0x38, TERMINATOR))


def position_data(pan: int, tilt: int) -> bytes:
    return bytes((*_nibbles(pan), *_nibbles(tilt)))


def zoom_data(position: int) -> bytes:
    return bytes(_nibbles(position))


# -- framing --------------------------------------------------------------------------------


class Framer:
    """Splits a byte stream into packets at each ``0xFF``; garbage is skipped and counted.

    A serial line can deliver noise (a cable plugged in under power, a
    camera booting at another baud rate). Whatever does not parse as a
    reply, and any run of more than :data:`MAX_PACKET` bytes without a
    terminator, is dropped up to the next terminator and counted in
    :attr:`garbage`; the stream goes on with the next packet.
    """

    def __init__(self) -> None:
        self._buffer = bytearray()
        self._overflow = False
        self.garbage = 0  # packets (or overlong runs) dropped

    def feed(self, data: bytes) -> list[Reply]:
        replies: list[Reply] = []
        for byte in data:
            if byte != TERMINATOR:
                if len(self._buffer) >= MAX_PACKET - 1:
                    if not self._overflow:
                        self.garbage += 1
                    self._overflow = True
                    self._buffer.clear()
                self._buffer.append(byte)
                continue
            packet = bytes(self._buffer) + b"\xff"
            self._buffer.clear()
            if self._overflow:
                self._overflow = False
                continue
            try:
                replies.append(parse_reply(packet))
            except ProtocolError:
                self.garbage += 1
        return replies


# -- VISCA over IP ----------------------------------------------------------------------------


class IpPayload(enum.IntEnum):
    COMMAND = 0x0100
    INQUIRY = 0x0110
    REPLY = 0x0111
    DEVICE_SETTING = 0x0120
    CONTROL = 0x0200
    CONTROL_REPLY = 0x0201


IP_HEADER = struct.Struct(">HHI")
RESET_SEQUENCE = b"\x01"  # control command payload: reset the sequence number
CONTROL_SEQUENCE_ERROR = b"\x0f\x01"  # control reply: abnormal sequence number
CONTROL_MESSAGE_ERROR = b"\x0f\x02"  # control reply: abnormal message


def wrap_ip(kind: IpPayload, sequence: int, payload: bytes) -> bytes:
    return IP_HEADER.pack(int(kind), len(payload), sequence & 0xFFFFFFFF) + payload


def unwrap_ip(datagram: bytes) -> tuple[IpPayload, int, bytes]:
    """(payload type, sequence number, payload) of one VISCA-over-IP datagram."""
    if len(datagram) < IP_HEADER.size:
        raise ProtocolError(f"VISCA over IP: datagram of {len(datagram)} bytes is shorter than its header")
    kind, length, sequence = IP_HEADER.unpack_from(datagram)
    payload = datagram[IP_HEADER.size :]
    if length != len(payload) or not 1 <= length <= MAX_PACKET:
        raise ProtocolError(f"VISCA over IP: length field {length}, payload {len(payload)} bytes")
    try:
        return IpPayload(kind), sequence, payload
    except ValueError:
        raise ProtocolError(f"VISCA over IP: unknown payload type 0x{kind:04x}") from None
