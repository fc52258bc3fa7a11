"""A scripted registrar for the registration client's failure paths (127.0.0.1, port 0).

Only the registration API of reference §3.8: ``request_token`` checks one
device's credentials, tokens can be forgotten at once (a node restart),
events are pushed by the test, and every request is recorded.
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import json
from dataclasses import dataclass
from typing import Any

from aiohttp import web

PREFIX = "/api/client/v2/registrations"


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    query: dict[str, str]


def envelope(result: Any, status: int = 200, ok: bool = True) -> web.Response:
    return web.json_response({"status": "success" if ok else "failed", "result": result}, status=status)


class ScriptedRegistrar:
    def __init__(
        self, alias: str = "room-1", username: str = "room-1", password: str = "s3cret-pass"
    ) -> None:
        self.alias = alias
        self.username = username
        self.password = password
        self.expires = "120"
        self.down = False  # answer 503 to every request_token
        self.requests: list[Seen] = []
        self.valid: set[str] = set()
        self.streams: list[asyncio.Queue[bytes | None]] = []
        self._counter = itertools.count(1)
        self._runner: web.AppRunner | None = None
        self.url = ""

    async def __aenter__(self) -> ScriptedRegistrar:
        app = web.Application()
        app.router.add_get(PREFIX, self._directory)
        app.router.add_get(PREFIX + "/{alias}/events", self._events)
        app.router.add_post(PREFIX + "/{alias}/{op}", self._post)
        self._runner = web.AppRunner(app, handle_signals=False, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}"
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.cut_streams()
        if self._runner is not None:
            await self._runner.cleanup()

    # --- test API ---------------------------------------------------------------

    def calls_to(self, path: str) -> list[Seen]:
        return [r for r in self.requests if r.path == path]

    def push(self, event: str, data: Any) -> None:
        chunk = f"event: {event}\ndata: {json.dumps(data)}\n\n".encode()
        for queue in self.streams:
            queue.put_nowait(chunk)

    def cut_streams(self) -> None:
        for queue in self.streams:
            queue.put_nowait(None)
        self.streams = []

    def restart(self) -> None:
        """Forget every token and end every stream, as a rebooted node would."""
        self.valid.clear()
        self.cut_streams()

    # --- handlers -----------------------------------------------------------------

    def _record(self, request: web.Request, path: str) -> None:
        self.requests.append(Seen(request.method, path, dict(request.headers), dict(request.query)))

    def _token_ok(self, request: web.Request) -> bool:
        return (request.headers.get("token") or request.query.get("token")) in self.valid

    async def _post(self, request: web.Request) -> web.Response:
        op = request.match_info["op"]
        self._record(request, op)
        if request.match_info["alias"] != self.alias:
            return envelope("Registration alias not found", status=404, ok=False)
        if op == "request_token":
            if self.down:
                return envelope("Service Unavailable", status=503, ok=False)
            scheme, _, value = request.headers.get("Authorization", "").partition(" ")
            padded = value + "=" * (-len(value) % 4)
            expected = f"{self.username}:{self.password}".encode()
            if scheme != "x-pexip-basic" or base64.urlsafe_b64decode(padded) != expected:
                return envelope("Invalid credentials", status=401, ok=False)
            return envelope(
                {
                    "token": self._new(),
                    "expires": self.expires,
                    "registration_uuid": "reg-0001",
                    "directory_enabled": True,
                    "route_via_registrar": False,
                    "version": {"version_id": "36", "pseudo_version": "36.0.0"},
                }
            )
        if not self._token_ok(request):
            return envelope("Invalid token", status=403, ok=False)
        old = request.headers.get("token", "")
        if op == "refresh_token":
            self.valid.discard(old)
            return envelope({"token": self._new(), "expires": self.expires})
        if op == "release_token":
            self.valid.discard(old)
            return envelope(True)
        return envelope("Not found", status=404, ok=False)

    def _new(self) -> str:
        token = f"regtok{next(self._counter):04d}-secretvalue"
        self.valid.add(token)
        return token

    async def _directory(self, request: web.Request) -> web.Response:
        self._record(request, "directory")
        if not self._token_ok(request):
            return envelope("Invalid token", status=403, ok=False)
        query = request.query.get("q", "").lower()
        entries = [
            {"alias": self.alias, "description": "Lab room 1", "username": self.username},
            {"alias": "board-room", "description": "Board room", "username": "board"},
        ]
        return envelope([e for e in entries if query in e["alias"] or query in e["description"].lower()])

    async def _events(self, request: web.Request) -> web.StreamResponse:
        self._record(request, "events")
        if not self._token_ok(request):
            return envelope("Invalid token", status=403, ok=False)
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)
        queue: asyncio.Queue[bytes | None] = asyncio.Queue()
        self.streams.append(queue)
        while True:
            chunk = await queue.get()
            if chunk is None:
                break
            await response.write(chunk)
        return response
