"""Strict, typed reading of TOML tables, shared by site files and hardware profiles.

Klipper's lesson: a configuration typo on a device nobody watches must stop
the start-up with a message that points at the line, not run with a default.
Every value is read through a typed getter with bounds; whatever was not read
is rejected by :meth:`Table.finish`. Every error names the file, the table,
the key, what was expected and what was found.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, TypeVar

from appliance.errors import ConfigError

T = TypeVar("T")
_MISSING: Any = object()


def load_toml(path: Path) -> dict[str, Any]:
    """Parse a TOML file; syntax errors become :class:`ConfigError` naming the file."""
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such file", file=str(path)) from None
    except PermissionError:
        raise ConfigError(f"{path}: not readable by this user", file=str(path)) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}", file=str(path)) from None


def _describe(value: Any) -> str:
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "a list"
    return repr(value)


class Table:
    """One TOML table being read; remembers which keys were used."""

    def __init__(self, file: str, path: str, data: Any) -> None:
        self.file = file
        self.path = path  # "node" or "gpio.buttons.mute"; "" for the top level
        if not isinstance(data, dict):
            raise self._error(None, "a table", _describe(data))
        self._data: dict[str, Any] = data
        self._used: set[str] = set()

    # -- errors ---------------------------------------------------------------

    def _where(self, key: str | None) -> str:
        table = f"[{self.path}] " if self.path else ""
        return f"{self.file}: {table}{key or ''}".rstrip()

    def _qualified(self, key: str | None) -> str:
        return f"{self.path}.{key}" if self.path and key else (key or self.path)

    def _error(self, key: str | None, expected: str, found: str) -> ConfigError:
        return ConfigError(
            f"{self._where(key)}: expected {expected}, found {found}",
            file=self.file,
            key=self._qualified(key),
            expected=expected,
            found=found,
        )

    def invalid(self, key: str | None, expected: str, found: str) -> ConfigError:
        """A value that is well typed but wrong here (bounds that depend on another key)."""
        return self._error(key, expected, found)

    def error(self, key: str | None, message: str) -> ConfigError:
        """A semantic error about ``key`` (beyond its type), located like the others."""
        return ConfigError(f"{self._where(key)}: {message}", file=self.file, key=self._qualified(key))

    # -- access ---------------------------------------------------------------

    def has(self, key: str) -> bool:
        return key in self._data

    def keys(self) -> Iterator[str]:
        return iter(self._data)

    def _get(self, key: str, default: Any, expected: str) -> Any:
        self._used.add(key)
        if key in self._data:
            return self._data[key]
        if default is _MISSING:
            raise self._error(key, expected, "nothing (the key is required)")
        return default

    def raw(self, key: str, default: Any = _MISSING, *, expected: str = "a value") -> Any:
        """The value as TOML gave it, for shapes the typed getters do not cover (lists of pairs)."""
        return self._get(key, default, expected)

    def text(
        self,
        key: str,
        default: Any = _MISSING,
        *,
        choices: Sequence[str] | None = None,
        non_empty: bool = False,
    ) -> Any:
        expected = f"one of {', '.join(repr(c) for c in choices)}" if choices else "a string"
        value = self._get(key, default, expected)
        if value is default and default is not _MISSING:
            return value
        if not isinstance(value, str):
            raise self._error(key, expected, _describe(value))
        if choices is not None and value not in choices:
            raise self._error(key, expected, repr(value))
        if non_empty and not value.strip():
            raise self._error(key, "a non-empty string", repr(value))
        return value

    def integer(
        self, key: str, default: Any = _MISSING, *, min: int | None = None, max: int | None = None
    ) -> Any:
        expected = _bounds("a whole number", min, max)
        value = self._get(key, default, expected)
        if value is default and default is not _MISSING:
            return value
        if isinstance(value, bool) or not isinstance(value, int):
            raise self._error(key, expected, _describe(value))
        if (min is not None and value < min) or (max is not None and value > max):
            raise self._error(key, expected, repr(value))
        return value

    def number(
        self,
        key: str,
        default: Any = _MISSING,
        *,
        min: float | None = None,
        max: float | None = None,
        exclusive_min: bool = False,
    ) -> Any:
        expected = _bounds("a number", min, max, exclusive_min)
        value = self._get(key, default, expected)
        if value is default and default is not _MISSING:
            return value
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self._error(key, expected, _describe(value))
        too_low = min is not None and (value <= min if exclusive_min else value < min)
        if too_low or (max is not None and value > max):
            raise self._error(key, expected, repr(value))
        return float(value)

    def flag(self, key: str, default: Any = _MISSING) -> Any:
        value = self._get(key, default, "true or false")
        if value is default and default is not _MISSING:
            return value
        if not isinstance(value, bool):
            raise self._error(key, "true or false", _describe(value))
        return value

    def texts(self, key: str, default: Any = _MISSING, *, non_empty: bool = False) -> Any:
        expected = "a non-empty list of strings" if non_empty else "a list of strings"
        value = self._get(key, default, expected)
        if value is default and default is not _MISSING:
            return value
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self._error(key, expected, _describe(value))
        if non_empty and not value:
            raise self._error(key, expected, "an empty list")
        return tuple(value)

    def table(self, key: str, *, required: bool = True) -> Table | None:
        self._used.add(key)
        if key not in self._data:
            if required:
                path = f"{self.path}.{key}" if self.path else key
                raise ConfigError(
                    f"{self.file}: [{path}]: expected a table, found nothing (the table is required)",
                    file=self.file,
                    key=path,
                    expected="a table",
                    found="nothing",
                )
            return None
        return Table(self.file, f"{self.path}.{key}" if self.path else key, self._data[key])

    def tables(self, key: str) -> dict[str, Table]:
        """A table of tables (``[gpio.buttons.mute]``, ``[gpio.buttons.hand]``...)."""
        outer = self.table(key, required=False)
        if outer is None:
            return {}
        result = {name: outer.table(name) for name in list(outer.keys())}
        outer.finish()
        return {name: table for name, table in result.items() if table is not None}

    def table_list(self, key: str) -> list[Table]:
        """An array of tables (``[[udev.rules]]``)."""
        self._used.add(key)
        value = self._data.get(key, [])
        if not isinstance(value, list):
            raise self._error(key, "an array of tables ([[...]])", _describe(value))
        base = f"{self.path}.{key}" if self.path else key
        return [Table(self.file, f"{base}[{i}]", item) for i, item in enumerate(value)]

    def finish(self) -> None:
        """Reject keys nobody read: they are typos or settings from another version."""
        unknown = [k for k in self._data if k not in self._used]
        if unknown:
            key = unknown[0]
            known = ", ".join(sorted(self._used)) or "none"
            raise ConfigError(
                f"{self._where(key)}: unknown key (known keys here: {known})",
                file=self.file,
                key=self._qualified(key),
                expected="a known key",
                found=repr(key),
            )


def _bounds(kind: str, low: Any, high: Any, exclusive_low: bool = False) -> str:
    if low is not None and high is not None:
        if exclusive_low:
            return f"{kind} > {low} and <= {high}"
        return f"{kind} from {low} to {high}"
    if low is not None:
        return f"{kind} {'>' if exclusive_low else '>='} {low}"
    if high is not None:
        return f"{kind} <= {high}"
    return kind
