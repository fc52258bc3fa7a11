"""The lab node's aiohttp application: middlewares, CORS and the route table.

CORS works like Infinity's permitted origins: a browser client served from
one of ``cors_origins`` may call the API (preflight included, with the
``token`` and ``pin`` headers allowed); ``"*"`` permits any origin. Every
answer leaves through :mod:`appliance.labnode.http.envelope`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from aiohttp import web

from appliance.labnode.http import (
    routes_calls,
    routes_conference,
    routes_participant,
    routes_registration,
    routes_token,
    theme,
)
from appliance.labnode.http.envelope import Handler, door_middleware, envelope_middleware, failure
from appliance.labnode.state.node import STATE, NodeState
from appliance.labnode.state.rooms import IdentityProvider
from appliance.labnode.state.sso import SSO_PATH, make_handler

ALLOW_HEADERS: Final = "token, pin, content-type, authorization, last-event-id"
ALLOW_METHODS: Final = "GET, POST, OPTIONS"
MEDIA_MODULE: Final = "appliance.labnode.media.hub"


def create_app(state: NodeState, *, cors_origins: Sequence[str] = ()) -> web.Application:
    allowed = frozenset(cors_origins)

    def permitted(origin: str | None) -> str | None:
        # An origin is ASCII (RFC 6454); anything else is never echoed into a header.
        if not origin or not origin.isascii():
            return None
        return origin if ("*" in allowed or origin in allowed) else None

    @web.middleware
    async def preflight(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.method == "OPTIONS" and "Access-Control-Request-Method" in request.headers:
            origin = permitted(request.headers.get("Origin"))
            if origin is None:
                return failure(403, "Origin not permitted by this lab node (see --cors-origin)")
            return web.Response(
                status=204,
                headers={
                    "Access-Control-Allow-Origin": origin,
                    "Access-Control-Allow-Methods": ALLOW_METHODS,
                    "Access-Control-Allow-Headers": ALLOW_HEADERS,
                    "Access-Control-Allow-Credentials": "true",
                    "Access-Control-Max-Age": "600",
                    "Vary": "Origin",
                },
            )
        return await handler(request)

    async def cors_headers(request: web.Request, response: web.StreamResponse) -> None:
        # A signal, not a middleware: event streams send their headers
        # before any middleware could see the response.
        origin = permitted(request.headers.get("Origin"))
        if origin is not None:
            response.headers["Access-Control-Allow-Origin"] = origin
            response.headers["Access-Control-Allow-Credentials"] = "true"
            response.headers["Vary"] = "Origin"

    app = web.Application(
        middlewares=[preflight, envelope_middleware, door_middleware], client_max_size=4 * 1024 * 1024
    )
    app[STATE] = state
    app.on_response_prepare.append(cors_headers)
    modules = (routes_token, routes_conference, routes_participant, routes_calls, routes_registration, theme)
    for module in modules:
        module.add_routes(app)
    idps: dict[str, tuple[IdentityProvider, str]] = {
        idp.uuid: (idp, room.alias) for room in state.rooms for idp in room.identity_providers
    }
    app.router.add_get(SSO_PATH + "/{idp}", make_handler(state.tokens, idps))
    return app
