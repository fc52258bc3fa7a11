"""PINs kept apart from the site file, in a file only the service user can read.

The site file is often copied around (tickets, provisioning repositories);
the PIN should not travel with it. The loader refuses a secrets file that
its group or others can read, and says the exact command that fixes it,
because a room box on a shared network is exactly where a readable PIN
leaks.
"""

from __future__ import annotations

import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from appliance.config.reader import Table, load_toml
from appliance.errors import ConfigError
from appliance.log import register_secret


@dataclass(frozen=True, slots=True)
class Secrets:
    """Secrets for one room. ``repr`` never shows a value."""

    pin: str | None = None
    # HTTP Basic credentials for a reverse proxy in front of the node
    proxy_password: str | None = None
    # The password of the [registration] alias (docs/being-called.md)
    registration_password: str | None = None

    def __repr__(self) -> str:
        shown = ", ".join(f"{name}={'«set»' if getattr(self, name) else None}" for name in self.__slots__)
        return f"Secrets({shown})"


def check_private(path: Path) -> None:
    """Refuse a file whose group or other users can read or write it."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such secrets file", file=str(path)) from None
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise ConfigError(
            f"{path}: secrets file is readable by other users (mode {stat.filemode(mode)}); "
            f"fix it with: chmod 600 {path}",
            file=str(path),
            expected="mode 600 (owner only)",
            found=oct(mode & 0o777),
        )


def load_secrets(path: Path) -> Secrets:
    """Read ``pin`` (and optional ``proxy_password``, ``registration_password``) from a private TOML file."""
    check_private(path)
    table = Table(str(path), "", load_toml(path))
    pin = table.text("pin", None)
    if pin is not None:
        check_pin(table, pin)
    proxy_password = table.text("proxy_password", None)
    registration_password = table.text("registration_password", None)
    table.finish()
    register_secret(pin)
    register_secret(proxy_password)
    register_secret(registration_password)
    return Secrets(pin=pin, proxy_password=proxy_password, registration_password=registration_password)


PIN_DIGITS_MIN: Final = 4
PIN_DIGITS_MAX: Final = 20


def check_pin(table: Table, pin: str) -> None:
    """Reject a PIN Infinity would never accept, describing it without showing it.

    Infinity's administrator interface takes Host and Guest PINs of 4 to 20
    digits; a participant may end one with '#'. An empty PIN means "join as
    Guest without a PIN" and is written as "". Refusing a 3-digit PIN here
    saves a room from retrying a PIN the node can only refuse.
    """
    body = pin.removesuffix("#")
    if not pin or (body.isascii() and body.isdigit() and PIN_DIGITS_MIN <= len(body) <= PIN_DIGITS_MAX):
        return
    if body.isascii() and body.isdigit():
        found = f"{len(body)} digits"
    else:
        found = f"{len(pin)} characters, not all digits"
    raise table.invalid(
        "pin",
        f"{PIN_DIGITS_MIN} to {PIN_DIGITS_MAX} digits, optionally ending in '#'",
        f"{found} (value not shown)",
    )
