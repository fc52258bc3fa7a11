"""Where PexRTC facade calls run, and how their results and callbacks come back.

The facade is used two ways (see docs/pexrtc.md, "Where things run"):

* from a plain script: the asyncio core runs on a private loop thread
  (:class:`~appliance.pexrtc.sync.LoopThread`), fire-and-forget methods
  return ``None`` at once, "returns when signalling is complete" methods
  block, and callbacks run on ONE callback thread;
* from an asyncio program: everything runs on the caller's loop, methods
  return an awaitable, callbacks run on that loop.

:class:`Runner` holds that choice so the facade's methods can each be one
line about *what* to do. Failures of fire-and-forget work are logged, as
pexrtc.js logs them; ``onError`` stays reserved for fatal ones.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from appliance.log import get_logger
from appliance.pexrtc.callbacks import CallbackDispatcher, Handler, LoopDelivery, ThreadDelivery
from appliance.pexrtc.sync import LoopThread

T = TypeVar("T")

_log = get_logger(__name__)

# How long a sync-mode disconnect()/close() may take before giving up on the node.
FINISH_TIMEOUT = 30.0


class Runner:
    """Runs the core's coroutines for one PexRTC object and delivers its callbacks."""

    def __init__(self, owner: object, loop: asyncio.AbstractEventLoop | None) -> None:
        if loop is None:
            try:
                loop = asyncio.get_running_loop()
            except RuntimeError:
                loop = None
        self.loop = loop
        self._thread: LoopThread | None = None
        delivery: ThreadDelivery | LoopDelivery = ThreadDelivery() if loop is None else LoopDelivery(loop)
        self.dispatch = CallbackDispatcher(owner, delivery)

    @property
    def is_async(self) -> bool:
        return self.loop is not None

    def emit(self, name: str, *args: Any) -> None:
        """The core's report function: callback ``name`` with ``args``."""
        self.dispatch.emit(name, *args)

    def _loop_thread(self) -> LoopThread:
        if self._thread is None:
            self._thread = LoopThread()
        delivery = self.dispatch.delivery
        if isinstance(delivery, ThreadDelivery) and delivery.closed:
            self.dispatch.delivery = ThreadDelivery()
        return self._thread

    def schedule(self, coro: Coroutine[Any, Any, Any], what: str) -> Any:
        """Fire and forget: ``None`` in sync mode, the task in asyncio mode."""
        if self.loop is None:
            future = self._loop_thread().submit(coro)
            future.add_done_callback(lambda f: _log_failure(what, f))
            return None
        return self._on_loop(coro, what)

    def blocking(self, coro: Coroutine[Any, Any, T], what: str) -> Any:
        """Block until done in sync mode (returning the result); the task in asyncio mode."""
        if self.loop is None:
            return self._loop_thread().run(coro)
        return self._on_loop(coro, what)

    def reply(self, what: str, cb: Handler | None, coro: Coroutine[Any, Any, Any]) -> Any:
        """A method with a result: handed to ``cb`` as a callback, or returned as ``blocking``."""
        if cb is None:
            return self.blocking(coro, what)
        dispatch = self.dispatch

        async def run() -> None:
            result = await coro
            dispatch.delivery.put(what, cb, (result,))

        return self.schedule(run(), what)

    def now(self, action: Callable[[], T]) -> T:
        """Run a quick synchronous core action on the core's loop and return its value.

        The core is confined to its loop; in sync mode this hops onto the loop
        thread (unless already on it, or not started yet) and waits for it.
        """
        thread = self._thread
        if self.loop is not None or thread is None or thread.in_loop_thread():
            return action()

        async def run() -> T:
            return action()

        return thread.run(run(), timeout=5)

    def finish(self, coro: Coroutine[Any, Any, Any], what: str) -> Any:
        """Last work of a session (disconnect, close); sync mode then stops its threads."""
        if self.loop is not None:
            return self._on_loop(coro, what)
        thread, self._thread = self._thread, None
        try:
            if thread is None:
                coro.close()  # never started: nothing to leave
            else:
                thread.run(coro, timeout=FINISH_TIMEOUT)
        finally:
            if thread is not None:
                thread.stop()
            delivery = self.dispatch.delivery
            if isinstance(delivery, ThreadDelivery):
                delivery.close()
        return None

    def _on_loop(self, coro: Coroutine[Any, Any, Any], what: str) -> Any:
        loop = self.loop
        assert loop is not None
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        future: Any
        if running is loop:
            future = loop.create_task(coro, name=f"pexrtc-{what}")
        else:
            future = asyncio.run_coroutine_threadsafe(coro, loop)
        future.add_done_callback(lambda f: _log_failure(what, f))
        return future


def _log_failure(what: str, future: concurrent.futures.Future[Any] | asyncio.Future[Any]) -> None:
    if future.cancelled():
        return
    exc = future.exception()
    if exc is not None:
        _log.warning("PexRTC %s failed: %s", what, exc)
