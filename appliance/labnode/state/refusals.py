"""Refusals: the HTTP status and ``result`` a client is told when the node says no.

The state decides what is refused (a wrong PIN, an unknown conference, a
Guest acting as a Host) and raises :class:`ApiError`; the HTTP side
(:mod:`appliance.labnode.http.envelope`) turns it into the JSON envelope.
It lives here, below the routes, so the state never imports the HTTP side
(docs/labnode.md, "Module map"). The field readers are here too because
admission parses ``request_token`` bodies with them.
"""

from __future__ import annotations

from typing import Any, Final

from appliance.errors import ApplianceError

INVALID_TOKEN: Final = "Invalid token"
NOT_FOUND: Final = "Neither conference nor gateway found"


class ApiError(ApplianceError):
    """A refusal with the HTTP status and the ``result`` a client should see.

    ``result`` is usually the reason string of the reference's §7 table
    (``"Invalid token"``, ``"Invalid PIN"``); for the PIN, IdP and Virtual
    Reception challenges it is an object and ``status_word`` is
    ``"success"`` because PexRTC only acts on those when it is.
    """

    def __init__(self, http_status: int, result: Any, *, status_word: str = "failed") -> None:
        self.http_status = http_status
        self.result = result
        self.status_word = status_word
        super().__init__(result if isinstance(result, str) else f"HTTP {http_status}")


def field_str(body: dict[str, Any], name: str, *, default: str | None = None) -> str:
    """A string field, 400 when it has another type or is missing without default."""
    value = body.get(name, default)
    if value is None:
        raise ApiError(400, f"Missing field: {name}")
    if not isinstance(value, str):
        raise ApiError(400, f"Field {name}: expected a string, found {type(value).__name__}")
    return value


def field_bool(body: dict[str, Any], name: str, *, default: bool | None = None) -> bool:
    value = body.get(name, default)
    if value is None:
        raise ApiError(400, f"Missing field: {name}")
    if not isinstance(value, bool):
        raise ApiError(400, f"Field {name}: expected true or false, found {type(value).__name__}")
    return value
