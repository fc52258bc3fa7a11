"""The lab node assembled: :class:`LabNode` runs it in-process.

Tests, the demo and ``appliance labnode`` all start the node the same way::

    async with LabNode(host="127.0.0.1", port=0, media=False) as node:
        node.url            # "http://127.0.0.1:PORT"
        node.control        # fault injection (restart, cut streams, expire, kick)
        node.conference("meet")

This module is the one place that knows all three sub-packages
(docs/labnode.md, "Module map"): it builds the state
(:mod:`appliance.labnode.state`), gives it the aiortc media hub
(:mod:`appliance.labnode.media`) through the seam's factory, and serves it
with the HTTP side (:mod:`appliance.labnode.http`).
"""

from __future__ import annotations

import ssl
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType

from aiohttp import web

from appliance.labnode.http.server import create_app
from appliance.labnode.media.hub import AiortcMediaHub
from appliance.labnode.media_api import MediaHub
from appliance.labnode.state.conference import HubFactory, NodeConference
from appliance.labnode.state.control import NodeControl
from appliance.labnode.state.node import NodeSettings, NodeState
from appliance.labnode.state.registrar import DeviceConfig
from appliance.labnode.state.rooms import RoomConfig, load_devices, load_rooms
from appliance.log import get_logger

_log = get_logger(__name__)


def media_factory(media: bool, *, width: int, height: int, fps: int) -> tuple[HubFactory | None, str]:
    """The media hub factory, or ``None`` and the sentence calls will be refused with."""
    if not media:
        return None, "media is disabled (the node was started with media=False)"

    def factory(conference: NodeConference) -> MediaHub:
        return AiortcMediaHub(conference, width=width, height=height, fps=fps)

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
        devices: Sequence[DeviceConfig] | None = None,
    ) -> None:
        if isinstance(rooms, (str, Path)):
            if devices is None:
                devices = load_devices(rooms)
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
        self.state = NodeState(
            rooms, settings, hub_factory=hub_factory, media_unavailable=unavailable, devices=devices
        )
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

    def conference(self, alias: str) -> NodeConference:
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
