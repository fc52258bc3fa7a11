"""Driving the lab node with raw HTTP and a small SSE reader.

Deliberately not the product's Infinity client: the lab node's tests pin
down the wire the node speaks, byte for byte where §13 of the reference
(docs/reference/infinity-client-api.md) demands.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from typing import Any

import aiohttp

PREFIX = "/api/client/v2/conferences"
WAIT = 5.0


@dataclass
class SseEvent:
    name: str
    data: Any
    id: str | None
    raw: list[str] = field(default_factory=list)


class EventReader:
    """Reads one ``events`` stream into a queue of :class:`SseEvent`."""

    def __init__(self, response: aiohttp.ClientResponse) -> None:
        self.response = response
        self.queue: asyncio.Queue[SseEvent | None] = asyncio.Queue()
        self.seen: list[SseEvent] = []
        self._task = asyncio.create_task(self._read())

    async def _read(self) -> None:
        name, data_lines, event_id, raw = "message", [], None, []
        try:
            async for line_bytes in self.response.content:
                line = line_bytes.decode().rstrip("\r\n")
                if not line:
                    if data_lines or raw:
                        event = SseEvent(name, json.loads("\n".join(data_lines)), event_id, raw)
                        self.seen.append(event)
                        self.queue.put_nowait(event)
                    name, data_lines, event_id, raw = "message", [], None, []
                    continue
                if line.startswith(":"):
                    continue
                raw.append(line)
                key, _, value = line.partition(":")
                value = value.removeprefix(" ")
                if key == "event":
                    name = value
                elif key == "data":
                    data_lines.append(value)
                elif key == "id":
                    event_id = value
        except (aiohttp.ClientError, asyncio.CancelledError):
            pass
        finally:
            self.queue.put_nowait(None)

    async def next(self, within: float = WAIT) -> SseEvent:
        async with asyncio.timeout(within):
            event = await self.queue.get()
        if event is None:
            raise EOFError("event stream ended")
        return event

    async def wait_for(self, name: str, within: float = WAIT, **match: Any) -> SseEvent:
        """Skip events until one named ``name`` whose data contains ``match``."""
        async with asyncio.timeout(within):
            while True:
                event = await self.next(within)
                if event.name != name:
                    continue
                if all(isinstance(event.data, dict) and event.data.get(k) == v for k, v in match.items()):
                    return event

    async def ended(self, within: float = WAIT) -> bool:
        """True once the stream closes; raises TimeoutError if it stays open."""
        async with asyncio.timeout(within):
            while await self.queue.get() is not None:
                pass
        return True

    async def close(self) -> None:
        self.response.close()
        self._task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)


@dataclass
class Joined:
    """A participant that has a token."""

    api: Api
    alias: str
    token: str
    uuid: str
    result: dict[str, Any]

    def url(self, path: str) -> str:
        return f"{self.api.base}{PREFIX}/{self.alias}/{path}"

    async def post(self, path: str, body: Any = None, **kwargs: Any) -> tuple[int, Any]:
        return await self.api.call("POST", self.url(path), body, token=self.token, **kwargs)

    async def get(self, path: str, **kwargs: Any) -> tuple[int, Any]:
        return await self.api.call("GET", self.url(path), None, token=self.token, **kwargs)

    async def events(self) -> EventReader:
        response = await self.api.session.get(
            self.url(f"events?token={self.token}"), timeout=aiohttp.ClientTimeout(total=None, sock_read=30)
        )
        assert response.status == 200, await response.text()
        reader = EventReader(response)
        self.api.readers.append(reader)
        return reader


class Api:
    def __init__(self, session: aiohttp.ClientSession, base: str) -> None:
        self.session = session
        self.base = base
        self.readers: list[EventReader] = []

    async def call(
        self,
        method: str,
        url: str,
        body: Any = None,
        *,
        token: str | None = None,
        headers: dict[str, str] | None = None,
        raw: bytes | None = None,
    ) -> tuple[int, Any]:
        all_headers = dict(headers or {})
        if token is not None:
            all_headers["token"] = token
        kwargs: dict[str, Any] = {"headers": all_headers}
        if raw is not None:
            kwargs["data"] = raw
        elif body is not None:
            kwargs["json"] = body
        async with self.session.request(method, url, **kwargs) as response:
            text = await response.text()
            assert response.content_type in ("application/json", "application/octet-stream") or not text, (
                f"non-JSON answer {response.content_type}: {text[:200]}"
            )
            return response.status, json.loads(text) if text else None

    async def request_token(
        self, alias: str, name: str = "Tester", pin: str | None = None, **body: Any
    ) -> tuple[int, Any]:
        headers = {"pin": pin} if pin is not None else {}
        return await self.call(
            "POST",
            f"{self.base}{PREFIX}/{alias}/request_token",
            {"display_name": name, **body},
            headers=headers,
        )

    async def join(self, alias: str, name: str = "Tester", pin: str | None = None, **body: Any) -> Joined:
        status, answer = await self.request_token(alias, name, pin, **body)
        assert status == 200, answer
        result = answer["result"]
        return Joined(self, alias, result["token"], result["participant_uuid"], result)
