"""The registration API (reference §3.8): device tokens, their event stream, the directory.

``POST registrations/{alias}/request_token`` takes ``Authorization:
x-pexip-basic base64url(user:password)`` and answers ``{token, expires,
registration_uuid, directory_enabled, route_via_registrar, version}``;
``refresh_token`` / ``release_token`` take the ``token`` header like a
participant's; ``GET events`` is the device's SSE stream (``incoming``,
``incoming_cancelled``); ``GET registrations?q=`` searches the directory.
The state behind it is :class:`appliance.labnode.state.registrar.Registrar`.
"""

from __future__ import annotations

from typing import Final

from aiohttp import web

from appliance.infinity.models import API_PREFIX
from appliance.labnode.http.envelope import ok
from appliance.labnode.state.node import STATE, VERSION
from appliance.labnode.state.refusals import INVALID_TOKEN, ApiError
from appliance.labnode.state.registrar import DeviceRegistration

REGISTRATIONS: Final = API_PREFIX + "/registrations"
DEVICE: Final = REGISTRATIONS + "/{alias}"


def _lifetime(seconds: float) -> str:
    return f"{seconds:g}"


def _authenticated(request: web.Request) -> DeviceRegistration:
    registrar = request.app[STATE].registrar
    token = request.headers.get("token") or request.query.get("token")
    return registrar.authenticate(request.match_info["alias"], token)


async def request_token(request: web.Request) -> web.Response:
    registrar = request.app[STATE].registrar
    registration = registrar.register(request.match_info["alias"], request.headers.get("Authorization", ""))
    return ok(
        {
            "token": registration.token,
            "expires": _lifetime(registrar.lifetime),
            "registration_uuid": registration.uuid,
            "directory_enabled": True,
            "route_via_registrar": False,
            "version": dict(VERSION),
        }
    )


async def refresh_token(request: web.Request) -> web.Response:
    registrar = request.app[STATE].registrar
    registration = _authenticated(request)
    return ok({"token": registrar.refresh(registration), "expires": _lifetime(registrar.lifetime)})


async def release_token(request: web.Request) -> web.Response:
    registration = _authenticated(request)
    request.app[STATE].registrar.release(registration)
    return ok(True)


async def events(request: web.Request) -> web.StreamResponse:
    registration = _authenticated(request)
    stream = request.app[STATE].registrar.attach_stream(registration)
    return await stream.serve(request, {})


async def directory(request: web.Request) -> web.Response:
    registrar = request.app[STATE].registrar
    token = request.headers.get("token") or request.query.get("token")
    if registrar.lookup(token) is None:
        raise ApiError(403, INVALID_TOKEN)
    return ok(registrar.directory(request.query.get("q", "")))


def add_routes(app: web.Application) -> None:
    app.router.add_get(REGISTRATIONS, directory)
    app.router.add_post(DEVICE + "/request_token", request_token)
    app.router.add_post(DEVICE + "/refresh_token", refresh_token)
    app.router.add_post(DEVICE + "/release_token", release_token)
    app.router.add_get(DEVICE + "/events", events)
