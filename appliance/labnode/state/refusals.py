"""Refusals: the HTTP status and ``result`` a client is told when the node says no.

The state decides what is refused (a wrong PIN, an unknown conference, a
Guest acting as a Host) and raises :class:`ApiError`; the HTTP side
(:mod:`appliance.labnode.http.envelope`) turns it into the JSON envelope.
It lives here, below the routes, so the state never imports the HTTP side
(docs/labnode.md, "Module map"). The field readers are here too because
admission parses ``request_token`` bodies with them.

What a body may hold is bounded here, in one place (docs/labnode.md,
"Limits"): how deep it nests, how long any one string is, how long each
named field is, and that its text can be written as UTF-8. A lone UTF-16
surrogate (JSON ``"\\ud800"``) parses but cannot be encoded; let in, it
would break every event stream it is broadcast to, so it is refused at
the door with the rest.
"""

from __future__ import annotations

from typing import Any, Final

from appliance.errors import ApplianceError

# Nesting deeper than this is no Infinity body (transform_layout, the
# deepest, nests three levels) and only risks the parser's recursion limit.
MAX_DEPTH: Final = 32
# The longest string any body carries: an SDP offer (Chrome's, with every
# codec and simulcast, stays under 20 000 characters).
MAX_TEXT: Final = 100_000
# Characters per named string field; the names not listed get DEFAULT_FIELD_LIMIT.
DEFAULT_FIELD_LIMIT: Final = 1000
FIELD_LIMITS: Final[dict[str, int]] = {
    "display_name": 250,
    "remote_display_name": 250,
    "call_tag": 250,
    "client_id": 250,
    "conference_extension": 250,
    "conference_alias": 250,
    "chosen_idp": 250,
    "text": 250,  # overlay text (participant overlaytext, dial)
    "type": 250,  # a chat message's media type
    "payload": 10_000,  # a chat message
    "sso_token": 4096,
    "sso_redirect_target": 2048,
    "destination": 1000,
    "sdp": MAX_TEXT,
    "candidate": 1000,
    "mid": 32,
    "ufrag": 256,
    "pwd": 256,
    "role": 32,
    "protocol": 32,
    "call_type": 32,
    "media_type": 32,
    "action": 32,
    "digits": 64,
    "dtmf_sequence": 256,
}

INVALID_TOKEN: Final = "Invalid token"
NOT_FOUND: Final = "Neither conference nor gateway found"
HOST_REQUIRED: Final = "Operation not permitted: Host role required"


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
    return limited(name, value)


def limited(name: str, value: str) -> str:
    """``value`` if it is within field ``name``'s limit (:data:`FIELD_LIMITS`); 400 otherwise."""
    limit = FIELD_LIMITS.get(name, DEFAULT_FIELD_LIMIT)
    if len(value) > limit:
        raise ApiError(400, f"Field {name}: at most {limit} characters, found {len(value)}")
    return value


def field_bool(body: dict[str, Any], name: str, *, default: bool | None = None) -> bool:
    value = body.get(name, default)
    if value is None:
        raise ApiError(400, f"Missing field: {name}")
    if not isinstance(value, bool):
        raise ApiError(400, f"Field {name}: expected true or false, found {type(value).__name__}")
    return value


def utf8_text(where: str, value: str) -> str:
    """``value`` if it can be written as UTF-8; 400 naming ``where`` otherwise (a lone surrogate)."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ApiError(
            400, f"{where}: text that UTF-8 cannot carry (a lone surrogate such as \\ud800)"
        ) from None
    return value


def check_body(data: Any) -> None:
    """Refuse (400) a parsed body that nests too deep, holds a string too long, or text UTF-8 cannot carry.

    Walked with an explicit stack, so a body at the depth limit costs no
    recursion. Keys are checked like values: they end up in events too.
    """
    stack: list[tuple[Any, int]] = [(data, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, str):
            if len(item) > MAX_TEXT:
                raise ApiError(400, f"Malformed request body: a string longer than {MAX_TEXT} characters")
            utf8_text("Malformed request body", item)
        elif isinstance(item, (dict, list)):
            if depth > MAX_DEPTH:
                raise ApiError(400, f"Malformed request body: nested deeper than {MAX_DEPTH} levels")
            if isinstance(item, dict):
                stack.extend((key, depth) for key in item)
                stack.extend((value, depth + 1) for value in item.values())
            else:
                stack.extend((value, depth + 1) for value in item)
