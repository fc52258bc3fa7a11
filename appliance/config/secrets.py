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

from appliance.config.reader import Table, load_toml
from appliance.errors import ConfigError
from appliance.log import register_secret


@dataclass(frozen=True, slots=True)
class Secrets:
    """Secrets for one room. ``repr`` never shows a value."""

    pin: str | None = None
    # HTTP Basic credentials for a reverse proxy in front of the node
    proxy_password: str | None = None

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
    """Read ``pin`` (and optional ``proxy_password``) from a private TOML file."""
    check_private(path)
    table = Table(str(path), "", load_toml(path))
    pin = table.text("pin", None)
    if pin is not None:
        check_pin(table, pin)
    proxy_password = table.text("proxy_password", None)
    table.finish()
    register_secret(pin)
    register_secret(proxy_password)
    return Secrets(pin=pin, proxy_password=proxy_password)


def check_pin(table: Table, pin: str) -> None:
    """Reject a malformed PIN without ever showing it."""
    # Infinity PINs are 4-20 digits, optionally ending in '#'; an empty PIN
    # means "join as Guest without a PIN" and is written as "".
    body = pin.removesuffix("#")
    if pin and (not body.isdigit() or not 1 <= len(body) <= 20):
        raise table.error("pin", "expected 1 to 20 digits, optionally ending in '#' (value not shown)")
