"""A recorder for ``appliance.pexrtc.core.Conference``'s emit function (the document's callbacks)."""

from __future__ import annotations

import asyncio
from typing import Any


class Emitted:
    """Pass as ``Conference(emit=...)``; tests wait for the callbacks they expect."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, tuple[Any, ...]]] = []
        self._changed = asyncio.Event()

    def __call__(self, name: str, *args: Any) -> None:
        self.calls.append((name, args))
        self._changed.set()

    def names(self) -> list[str]:
        return [name for name, _ in self.calls]

    async def wait_for(self, name: str, count: int = 1, within: float = 20.0) -> tuple[Any, ...]:
        """The arguments of the ``count``-th ``name`` callback, waiting up to ``within`` s for it."""
        try:
            async with asyncio.timeout(within):
                while self.names().count(name) < count:
                    self._changed.clear()
                    await self._changed.wait()
        except TimeoutError:
            raise AssertionError(
                f"no {name} #{count} within {within:g} s; callbacks: {self.names()}"
            ) from None
        return [args for n, args in self.calls if n == name][count - 1]
