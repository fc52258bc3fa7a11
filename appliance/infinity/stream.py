"""The ``GET events`` connection: open, read, parse, reconnect with backoff.

The stream is the session's lifeline: Infinity tells a participant that it
was muted, moved or removed only here. So a dropped connection is
reopened by itself, waiting ``n x step`` before attempt ``n`` (PexRTC:
+1 s per failure, reset once a connection opens) and gives up with
:class:`EventStreamLost` once the next wait would exceed the policy's
maximum. Each reopen makes the node replay the roster; the state model
turns that replay into create/update/delete (see ``state.py``).

A stream is alive while it delivers complete events or keep-alive
comments; a connection that goes silent, or trickles bytes that never
complete an event, counts as dropped after ``options.event_read_timeout``
(30 s: three of the lab node's 10 s keep-alives, see docs/infinity-client.md
"Silent streams") and is reopened like any other drop. aiohttp's own
``sock_read`` timeout cannot see the second case (every byte resets it), so
the deadline is ours and is moved only by whole events and keep-alives; the
``ClientTimeout`` is ``total=None``, since aiohttp's 5-minute default total
would cut a healthy stream.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import aiohttp

from appliance.infinity.errors import EventStreamLost, InfinityError, InvalidToken
from appliance.infinity.event_parse import parse_event
from appliance.infinity.events import Event, MalformedEvent, StreamConnected, StreamReconnecting
from appliance.infinity.http import Transport, certificate_rejected, decode_response
from appliance.infinity.sse import SseOverflow, SseParser
from appliance.log import get_logger

_log = get_logger("appliance.infinity.stream")

_OPERATION = "receive conference events"


class _Drop(Exception):
    """The current connection ended; ``str()`` says why, for the reconnect event."""


class EventStream:
    """Runs until cancelled; raises :class:`EventStreamLost` when it gives up.

    A 403 "Invalid token" on reconnect raises :class:`InvalidToken` at once:
    the participant is gone from the node and no retry can bring it back.
    A TLS handshake failure raises :class:`CertificateRejected` at once for
    the same reason: only a person can fix a certificate.
    """

    def __init__(
        self,
        transport: Transport,
        deliver: Callable[[Event], None],
        *,
        parse: Callable[[str, str, str | None], Event] = parse_event,
        operation: str = _OPERATION,
    ) -> None:
        # ``parse`` and ``operation`` differ for the registration stream
        # (appliance.infinity.registration), which has its own events.
        self._transport = transport
        self._deliver = deliver
        self._parse = parse
        self._operation = operation
        self.connections = 0

    async def run(self) -> None:
        policy = self._transport.options.reconnect
        failures = 0
        while True:
            opened = False
            try:
                opened = await self._connect_and_read(failures)
                reason = "the node closed the event stream"
            except _Drop as exc:
                reason = str(exc)
            if opened:
                failures = 0
            failures += 1
            delay = policy.delay(failures)
            if delay is None:
                raise EventStreamLost(
                    self._operation,
                    f"the event stream stayed down after {failures - 1} attempts ({reason})",
                )
            _log.info("event stream down (%s); reconnect %d in %.2f s", reason, failures, delay)
            self._deliver(StreamReconnecting(attempt=failures, delay=delay, reason=reason))
            await asyncio.sleep(delay)

    async def _connect_and_read(self, attempt: int) -> bool:
        """One connection. Returns True if it opened (then ended cleanly)."""
        transport = self._transport
        options = transport.options
        http = await transport.session()
        timeout = aiohttp.ClientTimeout(
            total=None,
            connect=options.event_connect_timeout,
            sock_read=options.event_read_timeout,
        )
        params = {"token": transport.token} if transport.token else {}
        headers = transport.headers()
        headers["Accept"] = "text/event-stream"
        headers["Cache-Control"] = "no-cache"
        opened = False
        try:
            async with http.get(
                transport.url("events"), params=params, headers=headers, timeout=timeout, ssl=transport.ssl
            ) as response:
                if response.status != 200:
                    body = await response.read()
                    try:
                        decode_response(self._operation, response.status, body)
                    except InvalidToken:
                        # The node has dropped us: reconnecting cannot help.
                        raise
                    except InfinityError as exc:
                        raise _Drop(str(exc)) from None
                    raise _Drop(f"HTTP {response.status}")
                opened = True
                self.connections += 1
                _log.debug("event stream open (connection %d)", self.connections)
                self._deliver(StreamConnected(attempt=attempt))
                await self._read(response.content, options.event_read_timeout)
        except InfinityError:
            raise  # typed already (and PermissionError is an OSError: keep it out of the next clause)
        except TimeoutError:
            raise _Drop(
                f"no event or keep-alive from the node within {options.event_read_timeout:g} s (read timeout)"
            ) from None
        except aiohttp.ClientSSLError as exc:
            # A certificate does not fix itself between attempts: fail at once
            # with the reason instead of spending the reconnect budget.
            raise certificate_rejected(self._operation, exc) from None
        except aiohttp.ClientResponseError as exc:
            raise _Drop(f"HTTP error {exc.status}") from None
        except (aiohttp.ClientError, OSError) as exc:
            raise _Drop(f"connection lost: {type(exc).__name__}") from None
        return opened

    async def _read(self, content: aiohttp.StreamReader, idle_limit: float) -> None:
        """Parse and deliver until the stream ends; ``TimeoutError`` once it is idle too long."""
        loop = asyncio.get_running_loop()
        parser = SseParser()
        async with asyncio.timeout(idle_limit) as deadline:
            async for chunk in content.iter_any():
                comments = parser.comments
                try:
                    messages = parser.feed(chunk)
                except SseOverflow as exc:
                    raise _Drop(str(exc)) from None
                if messages or parser.comments != comments:
                    deadline.reschedule(loop.time() + idle_limit)
                for message in messages:
                    event = self._parse(message.event, message.data, message.id)
                    if isinstance(event, MalformedEvent):
                        _log.warning("malformed %s event skipped: %s", event.wire_name, event.error)
                    self._deliver(event)
        parser.close()
