"""The hand-off between the event loop (decoded media) and the display thread.

A display shows the newest picture; a queue would show old pictures late
after any hiccup. :class:`LatestSlot` therefore holds one item and a new
``put`` drops the one not yet taken. The producer never blocks (it runs on
the event loop); the consumer (the SDL thread) blocks with a timeout, so it
can notice its stop event.
"""

from __future__ import annotations

import threading
from typing import Generic, TypeVar

T = TypeVar("T")


class LatestSlot(Generic[T]):
    """Size-1 hand-off, newest wins; safe between any threads."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._item: T | None = None
        self._full = False
        self._closed = False
        self.dropped = 0
        self.delivered = 0

    def put(self, item: T) -> None:
        """Offer ``item``; an item the consumer has not taken yet is dropped."""
        with self._cond:
            if self._closed:
                return
            if self._full:
                self.dropped += 1
            self._item = item
            self._full = True
            self._cond.notify()

    def take(self, timeout: float | None = None) -> T | None:
        """Wait up to ``timeout`` s for an item; ``None`` on timeout or once closed."""
        with self._cond:
            if not self._cond.wait_for(lambda: self._full or self._closed, timeout):
                return None
            return self._pop()

    def take_nowait(self) -> T | None:
        with self._cond:
            return self._pop()

    def _pop(self) -> T | None:
        if not self._full:
            return None
        item, self._item, self._full = self._item, None, False
        self.delivered += 1
        return item

    def close(self) -> None:
        """Wake the consumer for good: later ``take`` calls return ``None`` at once."""
        with self._cond:
            self._closed = True
            self._item = None
            self._full = False
            self._cond.notify_all()

    @property
    def closed(self) -> bool:
        return self._closed
