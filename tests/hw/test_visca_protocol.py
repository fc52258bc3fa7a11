"""VISCA encode/parse, pure: every command's bytes, every reply class, framing and VISCA over IP."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from appliance.hw.visca import protocol as p

DATA = Path(__file__).resolve().parents[1] / "data"


@pytest.mark.parametrize(
    ("packet", "expected"),
    [
        (p.address_set(), "883001ff"),
        (p.if_clear(), "88010001ff"),
        (p.if_clear(1), "81010001ff"),
        (p.pan_tilt_drive(1, -1, 0, 12, 10), "810106010c0a0103ff"),
        (p.pan_tilt_drive(1, 1, 1, 24, 23), "8101060118170201ff"),
        (p.pan_tilt_drive(2, 0, -1, 1, 1), "8201060101010302ff"),
        (p.pan_tilt_stop(1), "8101060101010303ff"),
        (p.pan_tilt_absolute(1, -1, 0x123, 5, 6), "8101060205060f0f0f0f00010203ff"),
        (p.pan_tilt_home(1), "81010604ff"),
        (p.zoom_drive(1, 1, 4), "8101040724ff"),
        (p.zoom_drive(1, -1, 7), "8101040737ff"),
        (p.zoom_drive(1, 0, 0), "8101040700ff"),
        (p.zoom_direct(1, 0x4000), "8101044704000000ff"),
        (p.memory(1, "set", 3), "8101043f0103ff"),
        (p.memory(1, "recall", 3), "8101043f0203ff"),
        (p.memory(1, "reset", 127), "8101043f007fff"),
        (p.power(1, True), "8101040002ff"),
        (p.power(1, False), "8101040003ff"),
        (p.inquire_pan_tilt(1), "81090612ff"),
        (p.inquire_zoom(1), "81090447ff"),
        (p.inquire_power(1), "81090400ff"),
    ],
)
def test_visca_protocol_command_bytes(packet: bytes, expected: str) -> None:
    assert packet.hex() == expected


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: p.pan_tilt_drive(1, 1, 0, 25, 1), "pan speed: expected 1-24, found 25"),
        (lambda: p.zoom_drive(1, 1, 8), "zoom speed: expected 0-7, found 8"),
        (lambda: p.memory(1, "recall", 128), "preset: expected 0-127, found 128"),
        (lambda: p.power(8, True), "VISCA address: expected 1-7, found 8"),
        (lambda: p.zoom_direct(1, 0x4001), "zoom position: expected 0-16384"),
    ],
)
def test_visca_protocol_out_of_range_arguments_are_refused(call, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        call()


def test_visca_protocol_ack_names_its_socket() -> None:
    reply = p.parse_reply((DATA / "visca_reply_ack_socket1.bin").read_bytes())
    assert (reply.kind, reply.sender, reply.socket) == (p.ReplyKind.ACK, 1, 1)


def test_visca_protocol_completion_names_its_socket() -> None:
    reply = p.parse_reply((DATA / "visca_reply_completion_socket2.bin").read_bytes())
    assert (reply.kind, reply.socket, reply.data) == (p.ReplyKind.COMPLETION, 2, b"")


def test_visca_protocol_inquiry_answer_carries_position() -> None:
    reply = p.parse_reply((DATA / "visca_reply_position.bin").read_bytes())
    assert p.parse_pan_tilt(reply.data) == (0x0FAB, -20)


@pytest.mark.parametrize("code", list(p.ErrorCode))
def test_visca_protocol_each_error_code_is_parsed(code: p.ErrorCode) -> None:
    reply = p.parse_reply(p.error_reply(1, 2, code))
    assert (reply.kind, reply.socket, reply.error) == (p.ReplyKind.ERROR, 2, code)
    assert p.ERROR_TEXT[code] in reply.describe()


def test_visca_protocol_not_executable_golden_reply() -> None:
    reply = p.parse_reply((DATA / "visca_reply_error_not_executable.bin").read_bytes())
    assert (reply.error, reply.socket) == (p.ErrorCode.NOT_EXECUTABLE, 1)


def test_visca_protocol_buffer_full_golden_reply() -> None:
    assert (
        p.parse_reply((DATA / "visca_reply_error_buffer_full.bin").read_bytes()).error
        is p.ErrorCode.BUFFER_FULL
    )


def test_visca_protocol_network_change_is_recognised() -> None:
    assert p.parse_reply(p.network_change(1)).kind is p.ReplyKind.NETWORK_CHANGE


def test_visca_protocol_address_set_reply_gives_next_address() -> None:
    reply = p.parse_reply(bytes.fromhex("883002ff"))
    assert (reply.kind, reply.data) == (p.ReplyKind.ADDRESS, b"\x02")


@pytest.mark.parametrize("raw", ["ff", "9041", "8101ff", "9070ff", "906199ff", "91ffff"])
def test_visca_protocol_non_replies_are_protocol_errors(raw: str) -> None:
    with pytest.raises(p.ProtocolError):
        p.parse_reply(bytes.fromhex(raw))


def test_visca_protocol_framer_skips_a_run_without_terminator() -> None:
    framer = p.Framer()
    replies = framer.feed((DATA / "visca_garbage_no_terminator.bin").read_bytes())
    assert [r.kind for r in replies] == []  # the overlong run swallows up to its terminator
    assert framer.garbage == 1
    assert [r.kind for r in framer.feed(bytes.fromhex("9041ff"))] == [p.ReplyKind.ACK]


def test_visca_protocol_framer_skips_garbage_between_replies() -> None:
    framer = p.Framer()
    replies = framer.feed((DATA / "visca_garbage_between_replies.bin").read_bytes())
    assert [r.kind for r in replies] == [p.ReplyKind.ACK, p.ReplyKind.COMPLETION]
    assert framer.garbage == 1


def test_visca_protocol_framer_joins_packets_split_across_reads() -> None:
    framer = p.Framer()
    assert framer.feed(b"\x90") == []
    assert [r.socket for r in framer.feed(b"\x42\xff")] == [2]


@given(st.binary(max_size=200))
def test_visca_protocol_framer_never_raises_on_noise(noise: bytes) -> None:
    framer = p.Framer()
    framer.feed(noise)
    assert framer.garbage >= 0


@given(st.binary(max_size=40).map(lambda b: b.replace(b"\xff", b"")))
def test_visca_protocol_framer_recovers_the_reply_after_any_noise(noise: bytes) -> None:
    framer = p.Framer()
    replies = framer.feed(noise + b"\xff" + p.ack(1, 1))
    assert replies[-1] == p.Reply(p.ReplyKind.ACK, 1, 1)


@given(st.integers(-0x8000, 0x7FFF), st.integers(-0x8000, 0x7FFF))
def test_visca_protocol_position_nibbles_round_trip(pan: int, tilt: int) -> None:
    assert p.parse_pan_tilt(p.position_data(pan, tilt)) == (pan, tilt)


@given(st.integers(0, p.ZOOM_MAX))
def test_visca_protocol_zoom_nibbles_round_trip(zoom: int) -> None:
    assert p.parse_zoom(p.zoom_data(zoom)) == zoom


def test_visca_protocol_ip_header_wraps_and_unwraps() -> None:
    datagram = p.wrap_ip(p.IpPayload.COMMAND, 7, p.pan_tilt_home(1))
    assert datagram[:8].hex() == "0100000500000007"
    assert p.unwrap_ip(datagram) == (p.IpPayload.COMMAND, 7, p.pan_tilt_home(1))


def test_visca_protocol_ip_golden_reply() -> None:
    kind, sequence, payload = p.unwrap_ip((DATA / "visca_ip_reply_ack.bin").read_bytes())
    assert (kind, sequence, p.parse_reply(payload).kind) == (p.IpPayload.REPLY, 7, p.ReplyKind.ACK)


@pytest.mark.parametrize("raw", ["0100", "010000090000000190", "7777000100000001ff"])
def test_visca_protocol_bad_ip_datagrams_are_protocol_errors(raw: str) -> None:
    with pytest.raises(p.ProtocolError):
        p.unwrap_ip(bytes.fromhex(raw))


@given(st.binary(max_size=40))
def test_visca_protocol_unwrap_ip_raises_only_protocol_errors(data: bytes) -> None:
    try:
        p.unwrap_ip(data)
    except p.ProtocolError:
        pass
