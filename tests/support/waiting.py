"""The one ``eventually``: poll a condition that has nothing to await, and say what never came.

Much of what tests wait on is plain state kept by callbacks or by aiortc
objects (a list a recorder appends to, a peer connection's state), with no
event to wait on. Polling it with a deadline keeps a test from hanging; the
failure names the condition, so a red test says what it waited for rather
than "TimeoutError".
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Callable

# Generous: two cores are shared by several media calls; only a failing test waits this long.
WITHIN = 30.0


def _describe(predicate: Callable[[], object]) -> str:
    try:
        source = inspect.getsource(predicate).strip()
    except (OSError, TypeError):
        return getattr(predicate, "__qualname__", repr(predicate))
    if "lambda" in source:
        return source[source.index("lambda") :].rstrip(",)")
    return getattr(predicate, "__qualname__", source)


async def eventually(
    predicate: Callable[[], object],
    within: float = WITHIN,
    *,
    interval: float = 0.02,
    what: str | None = None,
) -> None:
    """Poll ``predicate`` until it is true; after ``within`` s fail naming ``what`` (or its source)."""
    try:
        async with asyncio.timeout(within):
            while not predicate():  # noqa: ASYNC110 - the state has no event to wait on
                await asyncio.sleep(interval)
    except TimeoutError:
        raise AssertionError(f"waited {within:g} s for {what or _describe(predicate)}") from None
