"""The lab node's rooms: the built-in set and the ``rooms.toml`` loader.

A room is configuration only (what Infinity calls a service: a VMR, a
Virtual Reception or an IdP-protected VMR); the live meeting in it is a
:class:`~appliance.labnode.state.conference.NodeConference`. The built-in rooms cover
every admission path a client has to handle (no PIN, Host+Guest PIN,
optional Guest PIN, reception extension, SSO, waiting for a host), so the
node is useful with no file at all.

``rooms.toml`` has one table per room, keyed by its alias::

    [rooms.board]
    name = "Board room"
    host_pin = "1111"
    guest_pin = "2222"
    aliases = ["board@lab.example"]

Unknown keys and wrong types are refused with the file, key, expectation and
what was found, as every configuration file of the product is.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from appliance.errors import ConfigError
from appliance.infinity.models import LAYOUTS
from appliance.labnode.state.registrar import DeviceConfig


@dataclass(frozen=True, slots=True)
class IdentityProvider:
    uuid: str
    name: str


DEFAULT_CLASSIFICATION: Final = {"0": "UNCLASSIFIED", "1": "OFFICIAL", "2": "SECRET"}


@dataclass(frozen=True, slots=True)
class RoomConfig:
    """One service, Infinity-style.

    PIN semantics follow Infinity: no ``host_pin`` means everyone joins as
    Host; ``host_pin`` and ``guest_pin`` make both required; ``host_pin``
    with ``allow_guests`` and no ``guest_pin`` lets Guests in with no PIN
    (``guest_pin: "none"``, PexRTC's ``pin_status: "optional"``).
    """

    alias: str
    name: str = ""
    aliases: tuple[str, ...] = ()
    host_pin: str | None = None
    guest_pin: str | None = None
    allow_guests: bool = False
    # A Virtual Reception: joiners name another room's alias as extension.
    reception: bool = False
    # Non-empty: IdP-protected; joining needs an SSO round trip.
    identity_providers: tuple[IdentityProvider, ...] = ()
    # Guests wait in ``waiting_room`` until a Host joins with media or
    # calls ``start_conference``.
    wait_for_host: bool = False
    # Disconnect the Guests (#pex141) when the last Host leaves a started
    # conference. ``None`` follows ``wait_for_host``: on Infinity, Guests of
    # a room where they must wait for a Host cannot carry on without one.
    guests_leave_with_last_host: bool | None = None
    # A Virtual Auditorium accepts ``host_layout``/``guest_layout``.
    auditorium: bool = False
    direct_media: bool = False
    locked: bool = False
    bots: int = 0
    chat_enabled: bool = True
    fecc_enabled: bool = True
    guests_can_present: bool = True
    layout: str = "1:7"
    # Automatically dialled participants: aliases dialled once when the first
    # participant joins (appliance/labnode/device_dial.py).
    auto_dial: tuple[str, ...] = ()
    classification_levels: Mapping[str, str] = field(default_factory=lambda: dict(DEFAULT_CLASSIFICATION))

    @property
    def all_aliases(self) -> tuple[str, ...]:
        return (self.alias, *self.aliases)

    @property
    def display_name(self) -> str:
        return self.name or self.alias

    @property
    def ends_without_host(self) -> bool:
        if self.guests_leave_with_last_host is None:
            return self.wait_for_host
        return self.guests_leave_with_last_host

    @property
    def guests_without_pin(self) -> bool:
        return self.host_pin is not None and self.guest_pin is None and self.allow_guests

    def describe(self) -> str:
        """One line for the console; never shows a PIN."""
        if self.reception:
            kind = "Virtual Reception (extension = another room's alias)"
        elif self.identity_providers:
            kind = "SSO via the built-in fake IdP"
        elif self.host_pin is None:
            kind = "no PIN, everyone joins as Host"
        elif self.guest_pin is not None:
            kind = "Host PIN and Guest PIN"
        elif self.allow_guests:
            kind = "Host PIN, Guests need no PIN"
        else:
            kind = "Host PIN, no Guests"
        extras = [
            text
            for flag, text in (
                (self.wait_for_host, "guests wait for a Host"),
                (self.auditorium, "auditorium"),
                (self.direct_media, "direct media"),
                (self.locked, "locked"),
                (self.bots > 0, f"{self.bots} bots"),
            )
            if flag
        ]
        return kind + (f"; {', '.join(extras)}" if extras else "")


LAB_IDP: Final = IdentityProvider(uuid="4f3c6a7e-9d1b-4a43-8f2e-1a2b3c4d5e6f", name="Lab IdP")


def builtin_rooms() -> tuple[RoomConfig, ...]:
    """The rooms a node serves when no rooms file is given (docs/labnode.md)."""
    return (
        RoomConfig(alias="meet", name="Meet"),
        RoomConfig(alias="pinned", name="Pinned", host_pin="1234", guest_pin="5678"),
        RoomConfig(alias="open-guests", name="Open guests", host_pin="1234", allow_guests=True),
        RoomConfig(alias="reception", name="Reception", reception=True),
        RoomConfig(alias="sso", name="SSO", identity_providers=(LAB_IDP,)),
        RoomConfig(alias="lobby", name="Lobby", host_pin="1234", allow_guests=True, wait_for_host=True),
        RoomConfig(
            alias="auditorium", name="Auditorium", host_pin="1234", allow_guests=True, auditorium=True
        ),
        RoomConfig(alias="direct", name="Direct", direct_media=True),
    )


_KEYS: Final = {
    "name": str,
    "aliases": list,
    "host_pin": str,
    "guest_pin": str,
    "allow_guests": bool,
    "reception": bool,
    "identity_providers": list,
    "wait_for_host": bool,
    "guests_leave_with_last_host": bool,
    "auditorium": bool,
    "direct_media": bool,
    "locked": bool,
    "bots": int,
    "chat_enabled": bool,
    "fecc_enabled": bool,
    "guests_can_present": bool,
    "layout": str,
    "auto_dial": list,
    "classification_levels": dict,
}


def _read(path: str | Path) -> tuple[dict[str, Any], str]:
    """The rooms file's TOML and its name; unreadable or not TOML is a :class:`ConfigError`."""
    file = str(path)
    try:
        with open(path, "rb") as handle:
            return tomllib.load(handle), file
    except OSError as exc:
        raise ConfigError(f"{file}: cannot read: {exc.strerror}", file=file) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{file}: not valid TOML: {exc}", file=file) from None


def load_rooms(path: str | Path) -> tuple[RoomConfig, ...]:
    """Read a rooms file; every mistake raises :class:`ConfigError` naming file and key."""
    data, file = _read(path)
    return parse_rooms(data, file=file)


def parse_rooms(data: Mapping[str, Any], *, file: str = "rooms.toml") -> tuple[RoomConfig, ...]:
    unknown = set(data) - {"rooms", "devices"}
    if unknown:
        key = sorted(unknown)[0]
        raise _error(file, key, "only [rooms.<alias>] and [devices.<alias>] tables", repr(key))
    tables = data.get("rooms")
    if not isinstance(tables, Mapping) or not tables:
        raise _error(file, "rooms", "at least one [rooms.<alias>] table", repr(tables))
    rooms: list[RoomConfig] = []
    seen: dict[str, str] = {}
    for alias, table in tables.items():
        room = _parse_room(file, alias, table)
        for name in room.all_aliases:
            folded = name.lower()
            if folded in seen:
                raise _error(file, f"[rooms.{alias}]", "aliases unique across rooms", f"{name!r} again")
            seen[folded] = alias
        rooms.append(room)
    for room in rooms:
        if room.reception and room.host_pin:
            raise _error(file, f"[rooms.{room.alias}] host_pin", "no PIN on a Virtual Reception", "a PIN")
    return tuple(rooms)


def _parse_room(file: str, alias: str, table: Any) -> RoomConfig:
    where = f"[rooms.{alias}]"
    if not isinstance(table, Mapping):
        raise _error(file, where, "a table", repr(table))
    values: dict[str, Any] = {}
    for key, raw in table.items():
        expected = _KEYS.get(key)
        if expected is None:
            raise _error(file, f"{where} {key}", f"one of {', '.join(sorted(_KEYS))}", repr(key))
        if not isinstance(raw, expected) or (expected is int and isinstance(raw, bool)):
            raise _error(file, f"{where} {key}", f"a {expected.__name__}", repr(raw))
        values[key] = raw
    if "aliases" in values:
        if not all(isinstance(a, str) and a for a in values["aliases"]):
            raise _error(file, f"{where} aliases", "a list of non-empty strings", repr(values["aliases"]))
        values["aliases"] = tuple(values["aliases"])
    if "auto_dial" in values:
        if not all(isinstance(a, str) and a.strip() for a in values["auto_dial"]):
            raise _error(file, f"{where} auto_dial", "a list of non-empty aliases", repr(values["auto_dial"]))
        values["auto_dial"] = tuple(values["auto_dial"])
    for pin_key in ("host_pin", "guest_pin"):
        pin = values.get(pin_key)
        if pin is not None and not (pin.isdigit() and 4 <= len(pin) <= 20):
            raise _error(file, f"{where} {pin_key}", "4 to 20 digits", "another value")
    if "guest_pin" in values and "host_pin" not in values:
        raise _error(file, f"{where} guest_pin", "a host_pin as well", "a guest_pin alone")
    if values.get("bots", 0) < 0 or values.get("bots", 0) > 16:
        raise _error(file, f"{where} bots", "0 to 16", repr(values["bots"]))
    if "layout" in values and values["layout"] not in LAYOUTS:
        raise _error(file, f"{where} layout", f"one of {', '.join(LAYOUTS)}", repr(values["layout"]))
    if "identity_providers" in values:
        values["identity_providers"] = tuple(
            _parse_idp(file, f"{where} identity_providers", entry) for entry in values["identity_providers"]
        )
    if "classification_levels" in values:
        levels = values["classification_levels"]
        if not all(k.isdigit() and isinstance(v, str) for k, v in levels.items()):
            raise _error(
                file, f"{where} classification_levels", 'number keys with text labels, e.g. "0" = "OPEN"', ""
            )
        values["classification_levels"] = dict(levels)
    return RoomConfig(alias=alias, **values)


def load_devices(path: str | Path) -> tuple[DeviceConfig, ...] | None:
    """The rooms file's ``[devices.<alias>]`` tables; None when it has none (built-ins apply)."""
    data, file = _read(path)
    return parse_devices(data, file=file)


def parse_devices(data: Mapping[str, Any], *, file: str = "rooms.toml") -> tuple[DeviceConfig, ...] | None:
    """Registrable device aliases: ``[devices.room-2] username = "..." password = "..."``."""
    tables = data.get("devices")
    if tables is None:
        return None
    if not isinstance(tables, Mapping):
        raise _error(file, "devices", "[devices.<alias>] tables", repr(tables))
    devices = []
    for alias, table in tables.items():
        where = f"[devices.{alias}]"
        if not isinstance(table, Mapping):
            raise _error(file, where, "a table", repr(table))
        unknown = set(table) - {"username", "password", "description"}
        if unknown:
            key = sorted(unknown)[0]
            raise _error(file, f"{where} {key}", "one of description, password, username", repr(key))
        password = table.get("password")
        if not isinstance(password, str) or not password:
            raise _error(file, f"{where} password", "a non-empty string", "another value (not shown)")
        username = table.get("username", alias)
        description = table.get("description", "")
        if not isinstance(username, str) or not username or not isinstance(description, str):
            raise _error(file, where, "username and description as strings", "another type")
        devices.append(
            DeviceConfig(alias=alias, username=username, password=password, description=description)
        )
    return tuple(devices)


def _parse_idp(file: str, where: str, entry: Any) -> IdentityProvider:
    if not (isinstance(entry, Mapping) and isinstance(entry.get("uuid"), str) and entry.get("name")):
        raise _error(file, where, "tables with uuid and name", repr(entry))
    return IdentityProvider(uuid=entry["uuid"], name=str(entry["name"]))


def _error(file: str, key: str, expected: str, found: str) -> ConfigError:
    return ConfigError(
        f"{file}: {key}: expected {expected}, found {found}",
        file=file,
        key=key,
        expected=expected,
        found=found,
    )
