"""Incremental ``text/event-stream`` parser: bytes in, messages out, no I/O.

Why not aiohttp-sse-client2's ``EventSource``: it reconnects by itself
inside ``__anext__`` with a doubling delay, so the caller can neither apply
PexRTC's "+1 s per failure, give up past 15 s" policy nor learn that a
reconnect happened (which is when the roster must be resynchronised); it
also decodes each line with a strict UTF-8 decode, so one bad byte from a
proxy ends the stream with ``UnicodeDecodeError``. The format itself is
small (WHATWG HTML §9.2.6), so this module implements it exactly and is
fuzzed with hypothesis; the connection handling lives in ``events.py``.

Deviation, on purpose: a block that names an ``event:`` but has no
``data:`` line is still delivered (with empty data). Browsers drop it; the
Android and Swift SDKs see it, and a node that omits ``data: null`` for
``participant_sync_begin`` should not stall our roster sync.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass
from typing import Final

DEFAULT_MAX_LINE: Final = 4 * 1024 * 1024


class SseOverflow(ValueError):
    """A single line grew beyond the limit: the stream is not an event stream."""


@dataclass(frozen=True, slots=True)
class SseMessage:
    """One dispatched event block."""

    event: str
    data: str
    # The stream's last event id at dispatch time (sticky, as in browsers).
    id: str | None = None
    retry_ms: int | None = None


class SseParser:
    """Feed chunks as they arrive; each call returns the events completed by it."""

    def __init__(self, *, max_line: int = DEFAULT_MAX_LINE) -> None:
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._buffer = ""
        self._max_line = max_line
        self._started = False
        self._pending_cr = False
        self._event = ""
        self._data: list[str] = []
        self._has_fields = False
        self._last_id: str | None = None
        self._retry: int | None = None
        # Comment lines seen (``: ping``): a node's keep-alives, proof the stream is alive.
        self.comments = 0

    def feed(self, chunk: bytes) -> list[SseMessage]:
        text = self._decoder.decode(chunk)
        return self._feed_text(text)

    def close(self) -> list[SseMessage]:
        """End of stream: a block without its blank line is discarded (spec)."""
        self._feed_text(self._decoder.decode(b"", final=True))
        self._buffer = ""
        self._reset_block()
        return []

    def _feed_text(self, text: str) -> list[SseMessage]:
        if not text:
            return []
        if not self._started:
            self._started = True
            text = text.removeprefix("\ufeff")
        if self._pending_cr:
            self._pending_cr = False
            text = text.removeprefix("\n")
        out: list[SseMessage] = []
        buffer = self._buffer + text
        start = 0
        length = len(buffer)
        while start < length:
            cr = buffer.find("\r", start)
            lf = buffer.find("\n", start)
            if cr == -1 and lf == -1:
                break
            if cr == -1 or (lf != -1 and lf < cr):
                end, after = lf, lf + 1
            else:
                end = cr
                if cr + 1 < length:
                    after = cr + 2 if buffer[cr + 1] == "\n" else cr + 1
                else:
                    after = cr + 1
                    self._pending_cr = True
            message = self._line(buffer[start:end])
            if message is not None:
                out.append(message)
            start = after
        self._buffer = buffer[start:]
        if len(self._buffer) > self._max_line:
            self._buffer = ""
            raise SseOverflow(f"event-stream line longer than {self._max_line} characters")
        return out

    def _line(self, line: str) -> SseMessage | None:
        if line == "":
            return self._dispatch()
        if line.startswith(":"):
            self.comments += 1
            return None
        name, sep, value = line.partition(":")
        if sep:
            value = value.removeprefix(" ")
        self._field(name, value)
        return None

    def _field(self, name: str, value: str) -> None:
        if name == "event":
            self._event = value
            self._has_fields = True
        elif name == "data":
            self._data.append(value)
            self._has_fields = True
        elif name == "id":
            if "\x00" not in value:
                self._last_id = value
        elif name == "retry" and value.isascii() and value.isdigit():
            self._retry = int(value)

    def _dispatch(self) -> SseMessage | None:
        if not self._has_fields:
            self._reset_block()
            return None
        message = SseMessage(
            event=self._event or "message",
            data="\n".join(self._data),
            id=self._last_id,
            retry_ms=self._retry,
        )
        self._reset_block()
        return message

    def _reset_block(self) -> None:
        self._event = ""
        self._data = []
        self._has_fields = False
