"""asyncio primitives the layers share.

Small on purpose: only what several layers need in exactly the same form.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import AsyncIterator, Callable, Iterable
from typing import Any, TypeVar

T = TypeVar("T")


async def cancel_and_wait(tasks: Iterable[asyncio.Task[Any] | None]) -> None:
    """Cancel background tasks and wait until each has really finished.

    Closing an object must not return while its tasks still run (they would
    touch a closed peer connection or session), and a task's own failure is
    no reason to leave the others running: its exception was the task's to
    report, so it is dropped here. Cancelling the caller still propagates.
    """
    pending = [task for task in tasks if task is not None and not task.done()]
    for task in pending:
        task.cancel()
    if pending:
        await asyncio.gather(*pending, return_exceptions=True)


async def in_own_thread(
    work: Callable[[], T],
    *,
    deadline_s: float,
    name: str,
    abandon: Callable[[T], object] | None = None,
) -> T:
    """Run blocking ``work`` on a new named daemon thread; give up after ``deadline_s`` seconds.

    For opens that can block indefinitely (a camera that never answers, a
    pipe with no writer). They get a thread of their own rather than the
    loop's default executor, which aiortc fills with its encodes: two opens
    that wait for each other must never queue behind one another there.
    On expiry this raises :class:`TimeoutError` at once; the thread cannot
    be interrupted, so if ``work`` finishes later its result goes to
    ``abandon`` (to close what it opened) and is otherwise dropped.
    """
    loop = asyncio.get_running_loop()
    future: asyncio.Future[T] = loop.create_future()

    def drop(result: T) -> None:
        if abandon is not None:
            with contextlib.suppress(Exception):
                abandon(result)

    def deliver(result: T | None, error: BaseException | None) -> None:  # on the loop
        if future.done():  # gave up (cancelled) before it came
            if error is None:
                drop(result)  # type: ignore[arg-type]
        elif error is not None:
            future.set_exception(error)
        else:
            future.set_result(result)  # type: ignore[arg-type]

    def run() -> None:
        result: T | None = None
        error: BaseException | None = None
        try:
            result = work()
        except BaseException as exc:  # handed to the awaiting task, not lost in the thread
            error = exc
        try:
            loop.call_soon_threadsafe(deliver, result, error)
        except RuntimeError:  # the loop closed while we were blocked
            if error is None:
                drop(result)  # type: ignore[arg-type]

    threading.Thread(target=run, name=name, daemon=True).start()
    try:
        async with asyncio.timeout(deadline_s):
            return await asyncio.shield(future)
    finally:
        future.cancel()  # no-op when it has its outcome; otherwise a late result is dropped


def newest_items(
    subscribe: Callable[[Callable[[T], None]], Callable[[], None]], maxsize: int
) -> AsyncIterator[T]:
    """What ``subscribe``'s callback receives from this call on, as an async iterator.

    A bounded queue stands between the two: a reader that falls behind loses
    the oldest item, so a publisher on the event loop never blocks and never
    grows memory for a slow reader. ``subscribe(callback)`` returns the
    function that unsubscribes; it runs when the iterator is closed. The
    subscription starts now, not at the first ``__anext__``, so nothing
    published in between is missed.
    """
    queue: asyncio.Queue[T] = asyncio.Queue(maxsize)

    def put(item: T) -> None:
        if queue.full():
            queue.get_nowait()
        queue.put_nowait(item)

    unsubscribe = subscribe(put)

    async def iterate() -> AsyncIterator[T]:
        try:
            while True:
                yield await queue.get()
        finally:
            unsubscribe()

    return iterate()
