"""Per-participant Server-Sent Event streams, as the node writes them.

A :class:`SentEvent` is an event on its way out (name, JSON data, SSE id) and an
:class:`EventOutbox` the queue of one open connection; the client reads the
same wire into typed :class:`appliance.infinity.events.Event` values through
its own :class:`appliance.infinity.stream.EventStream`, a different job.

The conference decides *what* to tell whom and pushes :class:`SentEvent` values
into a participant's :class:`EventOutbox` synchronously, on the node's loop;
one writer task per HTTP connection drains the queue to the wire. Because a
push never awaits, events reach each listener in exactly the order the
conference produced them, and a stream's sync block is queued before any
later event can be.

Wire rules from the reference's §13: every event carries a ``data:`` line
(``data: null`` when there is nothing to say, or browsers never dispatch
it), ``data`` is one JSON value, and ``presentation_frame`` also carries
the SSE ``id:`` (PexRTC reads the id from there, ``@pexip/infinity`` from
the data).
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from typing import Any, Final

from aiohttp import web
from aiohttp_sse import EventSourceResponse

from appliance.log import get_logger

_log = get_logger(__name__)

# A listener that stops reading is cut rather than allowed to grow memory.
MAX_BACKLOG: Final = 2000
PING_INTERVAL: Final = 10.0


@dataclass(frozen=True, slots=True)
class SentEvent:
    name: str
    data: Any = None
    id: str | None = None

    def encode_data(self) -> str:
        """One JSON value on one line; ``None`` becomes ``null``.

        Text UTF-8 cannot carry (a lone surrogate; the door refuses it, see
        :func:`appliance.labnode.state.refusals.check_body`) is sent as a
        JSON ``\\uXXXX`` escape rather than breaking the stream.
        """
        text = json.dumps(self.data, separators=(",", ":"), ensure_ascii=False)
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            return json.dumps(self.data, separators=(",", ":"))
        return text


class EventOutbox:
    """The outbox of one open ``events`` connection."""

    def __init__(self, participant_uuid: str) -> None:
        self.participant_uuid = participant_uuid
        self._queue: asyncio.Queue[SentEvent | None] = asyncio.Queue()
        self._request: web.Request | None = None
        self.closed = False

    def push(self, event: SentEvent) -> None:
        if self.closed:
            return
        if self._queue.qsize() >= MAX_BACKLOG:
            _log.warning(
                "event stream backlog full; cutting it", extra={"context": {"uuid": self.participant_uuid}}
            )
            self.cut()
            return
        self._queue.put_nowait(event)

    def close(self) -> None:
        """End the stream after the events already queued (a ``disconnect`` is delivered)."""
        if not self.closed:
            self.closed = True
            self._queue.put_nowait(None)

    def cut(self) -> None:
        """Drop the connection now, as a network failure or node restart would."""
        self.close()
        request = self._request
        if request is not None and request.transport is not None:
            request.transport.abort()

    async def serve(self, request: web.Request, headers: dict[str, str]) -> web.StreamResponse:
        """Write queued events to ``request``'s connection until closed, cut or gone.

        aiohttp does not cancel a handler when its client goes away, so the
        response's ping task (which fails on a dead connection) is raced
        against the queue: a vanished listener ends this loop within one
        ping interval instead of holding its stream forever.
        """
        response = EventSourceResponse(headers=headers, ping_interval=PING_INTERVAL, send_timeout=30.0)
        self._request = request
        await response.prepare(request)
        gone = asyncio.ensure_future(response.wait())
        try:
            while True:
                getter = asyncio.ensure_future(self._queue.get())
                await asyncio.wait({getter, gone}, return_when=asyncio.FIRST_COMPLETED)
                if not getter.done():
                    getter.cancel()
                    break
                event = getter.result()
                if event is None:
                    break
                await response.send(event.encode_data(), id=event.id, event=event.name)
        except (ConnectionResetError, TimeoutError, RuntimeError):
            pass
        except Exception:
            # An event that cannot be written must not leave a stream open and
            # silent (no events, no keep-alives): drop the connection so the
            # client reconnects and gets a fresh sync (docs/labnode.md, "Limits").
            _log.exception(
                "event stream write failed; closing it", extra={"context": {"uuid": self.participant_uuid}}
            )
            if request.transport is not None:
                request.transport.abort()
        finally:
            self.closed = True
            if response.is_connected():
                response.stop_streaming()
            gone.cancel()
            await asyncio.gather(gone, return_exceptions=True)
        return response


def send_to(outboxes: list[EventOutbox], event: SentEvent) -> None:
    """Push ``event`` to every open connection of one listener (a participant or a device);
    closed ones leave the list."""
    for outbox in list(outboxes):
        outbox.push(event)
    outboxes[:] = [outbox for outbox in outboxes if not outbox.closed]


def close_all(outboxes: list[EventOutbox], *, abrupt: bool = False) -> None:
    """End every connection of one listener: after what is queued, or ``abrupt``-ly cut."""
    for outbox in outboxes:
        if abrupt:
            outbox.cut()
        else:
            outbox.close()
    outboxes.clear()
