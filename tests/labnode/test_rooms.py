"""Rooms: the built-in set and the rooms.toml loader's messages."""

from __future__ import annotations

from pathlib import Path

import pytest

from appliance.errors import ConfigError
from appliance.labnode.state.rooms import builtin_rooms, load_rooms, parse_devices, parse_rooms


def test_builtin_rooms_include_every_admission_path() -> None:
    aliases = {room.alias for room in builtin_rooms()}
    assert {"meet", "pinned", "open-guests", "reception", "sso", "lobby"} <= aliases


def test_builtin_open_guests_room_lets_guests_in_without_pin() -> None:
    room = next(r for r in builtin_rooms() if r.alias == "open-guests")
    assert room.guests_without_pin


def test_rooms_describe_never_shows_a_pin() -> None:
    rooms_with_pins = [r for r in builtin_rooms() if r.host_pin or r.guest_pin]
    assert rooms_with_pins
    for room in rooms_with_pins:
        pins = [pin for pin in (room.host_pin, room.guest_pin) if pin]
        assert all(pin not in room.describe() for pin in pins)


def test_load_rooms_reads_a_room(tmp_path: Path) -> None:
    path = tmp_path / "rooms.toml"
    path.write_text(
        '[rooms.board]\nname = "Board"\nhost_pin = "1111"\nguest_pin = "2222"\naliases = ["b@lab"]\n'
    )
    (room,) = load_rooms(path)
    assert (room.alias, room.name, room.all_aliases) == ("board", "Board", ("board", "b@lab"))


def test_parse_rooms_rejects_unknown_key_naming_it() -> None:
    with pytest.raises(ConfigError, match=r"\[rooms.x\] colour"):
        parse_rooms({"rooms": {"x": {"colour": "red"}}})


def test_parse_rooms_rejects_wrong_type_naming_expectation() -> None:
    with pytest.raises(ConfigError, match="bots: expected a int"):
        parse_rooms({"rooms": {"x": {"bots": "two"}}})


def test_parse_rooms_rejects_guest_pin_without_host_pin() -> None:
    with pytest.raises(ConfigError, match="guest_pin"):
        parse_rooms({"rooms": {"x": {"guest_pin": "1234"}}})


def test_parse_rooms_pin_error_does_not_echo_the_pin() -> None:
    with pytest.raises(ConfigError) as caught:
        parse_rooms({"rooms": {"x": {"host_pin": "12ab"}}})
    assert "12ab" not in str(caught.value)


def test_parse_rooms_rejects_duplicate_alias_across_rooms() -> None:
    with pytest.raises(ConfigError, match="unique"):
        parse_rooms({"rooms": {"a": {"aliases": ["b"]}, "b": {}}})


def test_load_rooms_invalid_toml_names_file(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text("[rooms\n")
    with pytest.raises(ConfigError, match=r"bad\.toml: not valid TOML"):
        load_rooms(path)


def test_rooms_devices_table_gives_registrable_aliases() -> None:
    devices = parse_devices({"devices": {"room-2": {"password": "pw-room-2", "description": "Second"}}})
    assert devices is not None
    assert [(d.alias, d.username, d.description) for d in devices] == [("room-2", "room-2", "Second")]
    assert "pw-room-2" not in repr(devices)


def test_rooms_device_without_password_is_refused_without_showing_it() -> None:
    with pytest.raises(ConfigError, match=r"\[devices.room-2\] password: expected a non-empty string"):
        parse_devices({"devices": {"room-2": {"username": "r2"}}})


def test_rooms_file_without_devices_keeps_the_builtin_device() -> None:
    assert parse_devices({"rooms": {"meet": {}}}) is None


def test_rooms_auto_dial_is_a_list_of_aliases() -> None:
    rooms = parse_rooms({"rooms": {"standup": {"auto_dial": ["room-1"]}}, "devices": {}})
    assert rooms[0].auto_dial == ("room-1",)
