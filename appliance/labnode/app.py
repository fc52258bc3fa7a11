"""The lab node as an aiohttp application, and :class:`LabNode` to run it in-process.

Tests, the demo and ``appliance labnode`` all start the node the same way::

    async with LabNode(host="127.0.0.1", port=0, media=False) as node:
        node.url            # "http://127.0.0.1:PORT"
        node.control        # fault injection (restart, cut streams, expire, kick)
        node.conference("meet")

CORS works like Infinity's permitted origins: a browser client served from
one of ``cors_origins`` may call the API (preflight included, with the
``token`` and ``pin`` headers allowed); ``"*"`` permits any origin.
"""

from __future__ import annotations

import importlib
import ssl
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import Any, Final

from aiohttp import web

from appliance.labnode import routes_calls, routes_conference, routes_participant, routes_token, theme
from appliance.labnode.conference import Conference, HubFactory
from appliance.labnode.control import NodeControl
from appliance.labnode.envelope import Handler, envelope_middleware, failure
from appliance.labnode.node import STATE, NodeSettings, NodeState
from appliance.labnode.rooms import IdentityProvider, RoomConfig, load_rooms
from appliance.labnode.sso import SSO_PATH, make_handler
from appliance.log import get_logger

_log = get_logger(__name__)

ALLOW_HEADERS: Final = "token, pin, content-type, authorization, last-event-id"
ALLOW_METHODS: Final = "GET, POST, OPTIONS"
MEDIA_MODULE: Final = "appliance.labnode.media"


def create_app(state: NodeState, *, cors_origins: Sequence[str] = ()) -> web.Application:
    allowed = frozenset(cors_origins)

    def permitted(origin: str | None) -> str | None:
        if not origin:
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

    app = web.Application(middlewares=[preflight, envelope_middleware], client_max_size=4 * 1024 * 1024)
    app[STATE] = state
    app.on_response_prepare.append(cors_headers)
    for module in (routes_token, routes_conference, routes_participant, routes_calls, theme):
        module.add_routes(app)
    idps: dict[str, tuple[IdentityProvider, str]] = {
        idp.uuid: (idp, room.alias) for room in state.rooms for idp in room.identity_providers
    }
    app.router.add_get(SSO_PATH + "/{idp}", make_handler(state.tokens, idps))
    return app


def media_factory(media: bool, *, width: int, height: int, fps: int) -> tuple[HubFactory | None, str]:
    """The media hub factory, or ``None`` and the sentence calls will be refused with."""
    if not media:
        return None, "media is disabled (the node was started with media=False)"
    try:
        module = importlib.import_module(MEDIA_MODULE)
    except ModuleNotFoundError as exc:
        if exc.name != MEDIA_MODULE:
            raise
        _log.warning("lab-node media is not part of this build; calls will be refused")
        return None, f"this build has no lab-node media ({MEDIA_MODULE} is missing)"
    hub_class: Any = module.AiortcMediaHub

    def factory(conference: Conference) -> Any:
        return hub_class(conference, width=width, height=height, fps=fps)

    return factory, ""


class LabNode:
    """Run the node on ``host:port`` for the duration of an ``async with``."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        rooms: Sequence[RoomConfig] | str | Path | None = None,
        bots: int = 0,
        media: bool = True,
        token_lifetime: float = 120.0,
        *,
        cors_origins: Sequence[str] = (),
        ssl_context: ssl.SSLContext | None = None,
        dial_answer_delay: float = 1.0,
        dial_timeout: float = 30.0,
        width: int = 640,
        height: int = 360,
        fps: int = 15,
    ) -> None:
        if isinstance(rooms, (str, Path)):
            rooms = load_rooms(rooms)
        self.host = host
        self._port = port
        self._ssl = ssl_context
        self._cors = tuple(cors_origins)
        hub_factory, unavailable = media_factory(media, width=width, height=height, fps=fps)
        settings = NodeSettings(
            token_lifetime=token_lifetime,
            bots=bots,
            dial_answer_delay=dial_answer_delay,
            dial_timeout=dial_timeout,
        )
        self.state = NodeState(rooms, settings, hub_factory=hub_factory, media_unavailable=unavailable)
        self.control = NodeControl(self.state)
        self._runner: web.AppRunner | None = None

    @property
    def media_enabled(self) -> bool:
        return self.state.hub_factory is not None

    @property
    def port(self) -> int:
        if self._runner is None or not self._runner.addresses:
            raise RuntimeError("LabNode is not running")
        return int(self._runner.addresses[0][1])

    @property
    def url(self) -> str:
        scheme = "https" if self._ssl is not None else "http"
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{scheme}://{host}:{self.port}"

    @property
    def rooms(self) -> tuple[RoomConfig, ...]:
        return self.state.rooms

    def conference(self, alias: str) -> Conference:
        found = self.state.find(alias)
        if found is None:
            raise KeyError(f"no room with alias {alias!r}")
        return found

    async def start(self) -> None:
        self.state.start()
        app = create_app(self.state, cors_origins=self._cors)
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=2.0)
        await runner.setup()
        site = web.TCPSite(runner, self.host, self._port, ssl_context=self._ssl)
        try:
            await site.start()
        except OSError:
            await runner.cleanup()
            await self.state.close()
            raise
        self._runner = runner
        _log.info("lab node listening", extra={"context": {"url": self.url, "media": self.media_enabled}})

    async def close(self) -> None:
        await self.state.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> LabNode:
        await self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()
