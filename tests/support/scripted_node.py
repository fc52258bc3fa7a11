"""A scripted Infinity node for failure-path tests (aiohttp.web on 127.0.0.1, port 0).

Unlike the lab node it has no conference logic: tests decide what each
endpoint answers (``node.script(path, status, body)``), push raw bytes or
events into the stream, cut streams, and read back every request the
client made (``node.requests``).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import socket
import ssl
import struct
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web

PREFIX = "/api/client/v2"


class _Reset:
    """Queue marker: abort the stream's connection instead of ending it."""


_RESET = _Reset()


def participant(uuid: str, name: str = "", role: str = "guest", **extra: Any) -> dict[str, Any]:
    data = {
        "uuid": uuid,
        "display_name": name or uuid,
        "role": role,
        "is_muted": "NO",
        "is_presenting": "NO",
        "rx_presentation_policy": "ALLOW",
        "encryption": "On",
        "service_type": "conference",
        "spotlight": 0,
        "buzz_time": 0,
        "start_time": 1700000000.5,
        "has_media": False,
        "is_video_muted": False,
    }
    data.update(extra)
    return data


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    query: dict[str, str]
    body: Any


@dataclass
class Scripted:
    status: int
    body: Any  # JSON-able, or bytes sent raw
    times: int | None = 1  # None = forever
    delay: float = 0.0
    reset: bool = False


@dataclass
class Room:
    host_pin: str | None = None
    guest_pin: str | None = None
    kind: str = "conference"  # conference | reception | idp | redirect


class ScriptedNode:
    def __init__(self, *, ssl_context: ssl.SSLContext | None = None) -> None:
        self._ssl_context = ssl_context
        self.rooms: dict[str, Room] = {
            "meet": Room(),
            "pinned": Room(host_pin="1234", guest_pin="5678"),
            "open-guests": Room(host_pin="1234"),
            "reception": Room(kind="reception"),
            "sso": Room(kind="idp"),
            "redirect": Room(kind="redirect"),
        }
        self.wrong_pin_form = "string"  # or "object"
        self.expires = "120"
        self.refresh_role: str | None = None
        self.requests: list[Recorded] = []
        self.scripts: dict[str, list[Scripted]] = {}
        self.roster: dict[str, dict[str, Any]] = {}
        self.valid_tokens: set[str] = set()
        self.issued: list[str] = []
        self.streams: list[asyncio.Queue[bytes | _Reset | None]] = []
        self.stream_connects = 0
        self.refuse_streams = 0  # answer the next N event requests with 503
        self.on_stream_connect: Callable[[], list[bytes]] | None = None
        self._counter = itertools.count(1)
        self._runner: web.AppRunner | None = None
        self.url = ""

    # --- lifecycle ----------------------------------------------------------

    async def __aenter__(self) -> ScriptedNode:
        app = web.Application()
        app.router.add_route("*", PREFIX + "/status", self._status)
        app.router.add_route("GET", PREFIX + "/conferences/{alias}/events", self._events)
        app.router.add_route("*", PREFIX + "/conferences/{alias}/{tail:.*}", self._any)
        self._runner = web.AppRunner(app, handle_signals=False, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0, ssl_context=self._ssl_context)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        scheme = "https" if self._ssl_context is not None else "http"
        self.url = f"{scheme}://127.0.0.1:{port}"
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.cut_streams()
        if self._runner is not None:
            await self._runner.cleanup()

    # --- test API -------------------------------------------------------------

    def script(
        self,
        path: str,
        status: int,
        body: Any,
        *,
        times: int | None = 1,
        delay: float = 0.0,
        reset: bool = False,
    ) -> None:
        """The next ``times`` requests to ``path`` (relative to the alias) get this answer."""
        self.scripts.setdefault(path, []).append(Scripted(status, body, times, delay, reset))

    def calls_to(self, path: str) -> list[Recorded]:
        return [r for r in self.requests if r.path == path]

    def add(self, uuid: str, name: str = "", role: str = "guest", **extra: Any) -> dict[str, Any]:
        self.roster[uuid] = participant(uuid, name, role, **extra)
        return self.roster[uuid]

    def push(self, event: str, data: Any, *, event_id: str | None = None) -> None:
        self.push_raw(sse(event, data, event_id=event_id))

    def push_raw(self, chunk: bytes) -> None:
        for queue in self.streams:
            queue.put_nowait(chunk)

    def cut_streams(self) -> None:
        """End every open stream cleanly (the response finishes)."""
        for queue in self.streams:
            queue.put_nowait(None)
        self.streams = []

    def reset_streams(self) -> None:
        """Abort every open stream's TCP connection (RST, no clean end)."""
        for queue in self.streams:
            queue.put_nowait(_RESET)
        self.streams = []

    def expire_all_tokens(self) -> None:
        self.valid_tokens.clear()

    # --- handlers ----------------------------------------------------------------

    async def _status(self, request: web.Request) -> web.StreamResponse:
        await self._record(request, "/status")
        scripted = self._take("/status")
        if scripted is not None:
            return await self._answer(request, scripted)
        return envelope(True)

    async def _record(self, request: web.Request, path: str) -> Any:
        raw = await request.read()
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = raw
        self.requests.append(Recorded(request.method, path, dict(request.headers), dict(request.query), body))
        return body

    def _take(self, path: str) -> Scripted | None:
        queue = self.scripts.get(path)
        if not queue:
            return None
        scripted = queue[0]
        if scripted.times is not None:
            scripted.times -= 1
            if scripted.times <= 0:
                queue.pop(0)
        return scripted

    async def _answer(self, request: web.Request, scripted: Scripted) -> web.StreamResponse:
        if scripted.delay:
            await asyncio.sleep(scripted.delay)
        if scripted.reset:
            assert request.transport is not None
            request.transport.abort()
            return web.Response(status=500)
        if isinstance(scripted.body, bytes):
            return web.Response(status=scripted.status, body=scripted.body, content_type="text/html")
        if scripted.body is None and scripted.status == 204:
            return web.Response(status=204)
        return web.json_response(scripted.body, status=scripted.status)

    def _token_ok(self, request: web.Request) -> bool:
        token = request.headers.get("token") or request.query.get("token")
        return token in self.valid_tokens

    def _new_token(self) -> str:
        token = f"tok{next(self._counter):04d}-secretvalue"
        self.valid_tokens.add(token)
        self.issued.append(token)
        return token

    async def _any(self, request: web.Request) -> web.StreamResponse:
        alias = request.match_info["alias"]
        path = request.match_info["tail"]
        body = await self._record(request, path)
        scripted = self._take(path)
        if scripted is not None:
            return await self._answer(request, scripted)
        if path == "request_token":
            return self._request_token(request, alias, body or {})
        if alias not in self.rooms:
            return envelope("Neither conference nor gateway found", status=404, ok=False)
        if not self._token_ok(request):
            return envelope("Invalid token", status=403, ok=False)
        if path == "refresh_token":
            old = request.headers.get("token", "")
            self.valid_tokens.discard(old)
            result: dict[str, Any] = {"token": self._new_token(), "expires": self.expires}
            if self.refresh_role:
                result["role"] = self.refresh_role
            return envelope(result)
        if path == "release_token":
            self.valid_tokens.discard(request.headers.get("token", ""))
            return envelope(True)
        if path == "conference_status":
            return envelope({"locked": False, "guests_muted": False, "started": True})
        if path == "participants":
            return envelope(list(self.roster.values()))
        return envelope(True)

    def _request_token(self, request: web.Request, alias: str, body: dict[str, Any]) -> web.StreamResponse:
        room = self.rooms.get(alias)
        if room is None:
            return envelope("Neither conference nor gateway found", status=404, ok=False)
        version = {"version_id": "36", "pseudo_version": "36.0.0"}
        if room.kind == "reception":
            ext = body.get("conference_extension")
            if ext is None:
                return envelope(
                    {"conference_extension": "required", "conference_extension_type": "standard"}, status=403
                )
            if ext not in self.rooms:
                return envelope("Neither conference nor gateway found", status=404, ok=False)
        if room.kind == "idp" and "chosen_idp" not in body and "sso_token" not in body:
            return envelope({"idp": [{"uuid": "idp-1", "name": "Corp"}], "version": version}, status=403)
        if room.kind == "redirect" and "sso_token" not in body:
            return envelope(
                {
                    "redirect_url": "https://idp.example/saml",
                    "redirect_idp": {"uuid": "idp-2", "name": "Corp"},
                },
                status=403,
            )
        role = "HOST"
        if room.host_pin is not None:
            pin = request.headers.get("pin")
            guest_pin = room.guest_pin
            if pin is None:
                return envelope(
                    {"pin": "required", "guest_pin": "required" if guest_pin else "none", "version": version},
                    status=403,
                )
            if pin == room.host_pin:
                role = "HOST"
            elif (guest_pin is not None and pin == guest_pin) or (guest_pin is None and pin == "none"):
                role = "GUEST"
            elif self.wrong_pin_form == "object":
                return envelope(
                    {"pin": "required", "guest_pin": "required" if guest_pin else "none", "version": version},
                    status=403,
                )
            else:
                return envelope("Invalid PIN", status=403, ok=False)
        uuid = f"p-{next(self._counter):04d}"
        self.add(uuid, body.get("display_name", ""), "chair" if role == "HOST" else "guest")
        return envelope(
            {
                "token": self._new_token(),
                "expires": self.expires,
                "participant_uuid": uuid,
                "display_name": body.get("display_name", ""),
                "role": role,
                "version": version,
                "service_type": "conference",
                "current_service_type": "conference",
                "chat_enabled": True,
                "stun": [{"url": "stun:127.0.0.1:3478"}],
                "turn": [],
            }
        )

    async def _events(self, request: web.Request) -> web.StreamResponse:
        path = "events"
        await self._record(request, path)
        scripted = self._take(path)
        if scripted is not None:
            return await self._answer(request, scripted)
        if self.refuse_streams > 0:
            self.refuse_streams -= 1
            return envelope("Service Unavailable", status=503, ok=False)
        if not self._token_ok(request):
            return envelope("Invalid token", status=403, ok=False)
        self.stream_connects += 1
        response = web.StreamResponse(
            headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache"}
        )
        await response.prepare(request)
        queue: asyncio.Queue[bytes | _Reset | None] = asyncio.Queue()
        self.streams.append(queue)
        first = self.on_stream_connect() if self.on_stream_connect else self.sync_block()
        for chunk in first:
            await response.write(chunk)
        try:
            while True:
                item = await queue.get()
                if item is None:
                    break
                if isinstance(item, _Reset):
                    assert request.transport is not None
                    # Linger 0: close() sends RST instead of FIN.
                    sock = request.transport.get_extra_info("socket")
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    request.transport.abort()
                    break
                await response.write(item)
        except (ConnectionResetError, asyncio.CancelledError):
            pass
        finally:
            if queue in self.streams:
                self.streams.remove(queue)
        return response

    def sync_block(self) -> list[bytes]:
        chunks = [sse("participant_sync_begin", None)]
        chunks += [sse("participant_create", p) for p in self.roster.values()]
        chunks.append(sse("participant_sync_end", None))
        return chunks


def envelope(result: Any, *, status: int = 200, ok: bool = True) -> web.Response:
    return web.json_response({"status": "success" if ok else "failed", "result": result}, status=status)


def sse(event: str, data: Any, *, event_id: str | None = None) -> bytes:
    lines = [f"event: {event}"]
    if event_id is not None:
        lines.append(f"id: {event_id}")
    lines.append(f"data: {json.dumps(data)}")
    return ("\n".join(lines) + "\n\n").encode()
