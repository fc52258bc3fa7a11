"""A recording reverse proxy: what our client really puts on the wire, next to pexrtc.js.

Put in front of a lab node, it forwards every request unchanged (streaming
the event stream through) and keeps each request as the node received it:
method, path, headers and body. Tests compare those with what pexrtc.js
sends (docs/pexrtc.md, "On the wire"). It records at the HTTP seam, so
neither the client nor the node needs a test hook.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import aiohttp
from aiohttp import web
from multidict import CIMultiDict

# hop-by-hop and framing headers the proxy must not copy verbatim
_NOT_FORWARDED = frozenset({"host", "content-length", "transfer-encoding", "connection"})


@dataclass(frozen=True)
class WireRequest:
    method: str
    path: str
    headers: CIMultiDict[str]
    body: bytes

    @property
    def operation(self) -> str:
        """The path after the conference alias (``request_token``, ``participants/{p}/calls`` ...)."""
        parts = self.path.split("/conferences/", 1)
        return parts[1].split("/", 1)[1] if len(parts) == 2 and "/" in parts[1] else self.path

    def json(self) -> Any:
        return json.loads(self.body)


class RecordingProxy:
    """``async with RecordingProxy(node.url) as proxy:`` then point the client at ``proxy.url``."""

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream.rstrip("/")
        self.requests: list[WireRequest] = []
        self._runner: web.AppRunner | None = None
        self._http: aiohttp.ClientSession | None = None

    @property
    def url(self) -> str:
        assert self._runner is not None and self._runner.addresses, "proxy not started"
        return f"http://127.0.0.1:{self._runner.addresses[0][1]}"

    @property
    def hostport(self) -> str:
        return self.url.removeprefix("http://")

    async def __aenter__(self) -> RecordingProxy:
        self._http = aiohttp.ClientSession(auto_decompress=False)
        app = web.Application(client_max_size=16 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self._forward)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
        if self._http is not None:
            await self._http.close()

    def to(self, operation_suffix: str) -> list[WireRequest]:
        """Requests whose path ends with ``operation_suffix``."""
        return [r for r in self.requests if r.path.endswith(operation_suffix)]

    async def _forward(self, request: web.Request) -> web.StreamResponse:
        body = await request.read()
        self.requests.append(WireRequest(request.method, request.path, CIMultiDict(request.headers), body))
        headers = {k: v for k, v in request.headers.items() if k.lower() not in _NOT_FORWARDED}
        assert self._http is not None
        upstream = await self._http.request(
            request.method,
            self.upstream + request.path_qs,
            headers=headers,
            data=body if body else None,
            skip_auto_headers=("Content-Type", "User-Agent", "Accept", "Accept-Encoding"),
            timeout=aiohttp.ClientTimeout(total=None),
            allow_redirects=False,
        )
        response = web.StreamResponse(status=upstream.status)
        for key, value in upstream.headers.items():
            if key.lower() not in _NOT_FORWARDED:
                response.headers[key] = value
        try:
            await response.prepare(request)
            async for chunk in upstream.content.iter_any():
                await response.write(chunk)
            await response.write_eof()
        except (ConnectionResetError, aiohttp.ClientError):
            pass  # either side went away mid-stream
        finally:
            upstream.release()
        return response
