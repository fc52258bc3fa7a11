"""The JSON envelope every answer of the lab node travels in.

Pexip's clients parse every body as JSON (the Android SDK takes a non-JSON
404 to mean "this host is not a node"), and ``@pexip/infinity-api`` rejects a
200 whose ``status`` is not ``"success"``. So every answer, including the
404 of an unknown path, a 405, a malformed body and an unexpected crash,
leaves through this module as ``{"status": ..., "result": ...}``; no handler
builds a response any other way, and no HTML page is ever sent for an API
path.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from appliance.labnode.state.refusals import MAX_DEPTH, ApiError, check_body, utf8_text
from appliance.log import get_logger

_log = get_logger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def ok(result: Any) -> web.Response:
    """A processed request: always ``status: "success"``."""
    return web.json_response({"status": "success", "result": result})


def failure(http_status: int, result: Any, status_word: str = "failed") -> web.Response:
    return web.json_response({"status": status_word, "result": result}, status=http_status)


async def read_object(request: web.Request, *, required: bool = False) -> dict[str, Any]:
    """Read a JSON object body; an empty body is ``{}`` (PexRTC sends none on most POSTs).

    PexRTC's ``sendBeacon`` posts ``text/plain`` and some clients post JSON
    with no content type, so the type header is not trusted, only the text.
    Nesting, string lengths and text UTF-8 cannot carry are refused here,
    at the door (:func:`appliance.labnode.state.refusals.check_body`).
    """
    raw = await request.read()
    if not raw.strip():
        if required:
            raise ApiError(400, "Missing request body: expected a JSON object")
        return {}
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise ApiError(400, "Malformed request body: expected a JSON object") from None
    except RecursionError:
        raise ApiError(400, f"Malformed request body: nested deeper than {MAX_DEPTH} levels") from None
    if not isinstance(data, dict):
        raise ApiError(400, f"Malformed request body: expected a JSON object, found {type(data).__name__}")
    check_body(data)
    return data


@web.middleware
async def envelope_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Turn every refusal, unknown route and crash into a JSON envelope."""
    try:
        return await handler(request)
    except ApiError as exc:
        return failure(exc.http_status, exc.result, exc.status_word)
    except web.HTTPNotFound:
        return failure(404, f"Unknown endpoint: {request.method} {request.path}")
    except web.HTTPMethodNotAllowed as exc:
        return failure(
            405, f"Method {request.method} not allowed; use {', '.join(sorted(exc.allowed_methods))}"
        )
    except web.HTTPRequestEntityTooLarge:
        return failure(413, "Request body too large")
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        return failure(exc.status, exc.reason)
    except (ConnectionResetError, TimeoutError):
        raise
    except Exception:
        _log.exception("unhandled error in %s %s", request.method, request.path)
        return failure(500, "Internal error in the lab node; see its log")


@web.middleware
async def door_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Refuse (400) a request whose path, query or headers are not UTF-8 text.

    aiohttp decodes such bytes to lone surrogates (``surrogateescape``); a
    PIN compared with them, or a name echoed into an event, would fail
    later with a 500 or a broken stream.
    """
    utf8_text("Request path", request.raw_path)
    for name, value in request.headers.items():
        utf8_text("A header name", name)
        utf8_text(f"Header {name}", value)
    return await handler(request)
