"""Delivery of PexRTC callbacks (``rtc.onConnect = handler``) to user code.

Three rules come from how PexRTC pages behave and are kept here:

* **JavaScript arity.** A JavaScript callback may declare fewer parameters
  than it is given (extras are dropped) or more (missing ones are
  ``undefined``). Ported handlers do both — ``onSetup`` is often written
  ``function (stream, pin_status)`` — so a handler receives as many
  positional arguments as it accepts, padded with ``None``.
* **Order and isolation.** Callbacks run one at a time in the order the
  events happened, and an exception raised by user code is logged and
  swallowed: a bug in ``onRosterList`` must never end the call.
* **Where they run.** Either on ONE dedicated thread (:class:`ThreadDelivery`,
  for synchronous scripts: a handler may call blocking facade methods such
  as ``rtc.connect(pin)`` without stalling the event loop that does the
  work), or on a caller's asyncio loop (:class:`LoopDelivery`, for asyncio
  programs: coroutine handlers are awaited there).

Coroutine handlers are accepted in both modes; on the callback thread they
run to completion on that thread's private loop before the next callback.
"""

from __future__ import annotations

import asyncio
import collections
import inspect
import queue
import threading
from collections.abc import Callable
from typing import Any, Final, Protocol

from appliance.log import get_logger

_log = get_logger(__name__)

Handler = Callable[..., Any]

_POSITIONAL: Final = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)


def fit_arguments(handler: Handler, args: tuple[Any, ...]) -> tuple[Any, ...]:
    """Trim or pad ``args`` to what ``handler`` accepts, as JavaScript would."""
    try:
        signature = inspect.signature(handler)
    except (TypeError, ValueError):  # builtins without introspection: pass everything
        return args
    params = list(signature.parameters.values())
    if any(p.kind is inspect.Parameter.VAR_POSITIONAL for p in params):
        return args
    positional = [p for p in params if p.kind in _POSITIONAL]
    if len(args) >= len(positional):
        return args[: len(positional)]
    required = sum(1 for p in positional if p.default is inspect.Parameter.empty)
    return args + (None,) * max(0, required - len(args))


class Delivery(Protocol):
    """Where and how handlers run; implementations keep emission order."""

    def put(self, name: str, handler: Handler, args: tuple[Any, ...]) -> None:
        """Queue one call; safe from any thread."""

    def close(self, timeout: float = 5.0) -> None:
        """Deliver what is queued, then stop accepting callbacks."""


def _report(name: str, exc: BaseException) -> None:
    _log.error(
        "PexRTC callback %s raised %s; the call continues",
        name,
        type(exc).__name__,
        exc_info=(type(exc), exc, exc.__traceback__),
    )


class ThreadDelivery:
    """All callbacks on one named thread, started on first use."""

    def __init__(self, name: str = "pexrtc-callbacks") -> None:
        self._name = name
        self._queue: queue.SimpleQueue[tuple[str, Handler, tuple[Any, ...]] | None] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._closed = False

    @property
    def thread(self) -> threading.Thread | None:
        return self._thread

    @property
    def closed(self) -> bool:
        return self._closed

    def put(self, name: str, handler: Handler, args: tuple[Any, ...]) -> None:
        with self._lock:
            if self._closed:
                _log.debug("PexRTC callback %s dropped: delivery closed", name)
                return
            if self._thread is None:
                self._thread = threading.Thread(target=self._main, name=self._name, daemon=True)
                self._thread.start()
        self._queue.put((name, handler, args))

    def _main(self) -> None:
        loop = asyncio.new_event_loop()
        try:
            while True:
                item = self._queue.get()
                if item is None:
                    return
                name, handler, args = item
                try:
                    result = handler(*fit_arguments(handler, args))
                    if inspect.isawaitable(result):
                        loop.run_until_complete(_await(result))
                except Exception as exc:
                    _report(name, exc)
        finally:
            loop.close()

    def close(self, timeout: float = 5.0) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
            thread = self._thread
        if thread is None:
            return
        self._queue.put(None)
        if thread is not threading.current_thread():
            thread.join(timeout)

    def wait_idle(self, timeout: float = 5.0) -> bool:
        """Block until every callback queued so far has run (tests, orderly exits)."""
        done = threading.Event()
        with self._lock:
            if self._closed or self._thread is None:
                return True
        self._queue.put(("<barrier>", done.set, ()))
        return done.wait(timeout)


async def _await(result: Any) -> Any:
    return await result


class LoopDelivery:
    """All callbacks on the caller's asyncio loop, one after another.

    The draining task lives only while there is something to deliver, so an
    idle PexRTC leaves no task pending when the program's loop ends.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._items: collections.deque[tuple[str, Handler, tuple[Any, ...]]] = collections.deque()
        self._task: asyncio.Task[None] | None = None
        self._closed = False

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        return self._loop

    def put(self, name: str, handler: Handler, args: tuple[Any, ...]) -> None:
        if self._closed or self._loop.is_closed():
            _log.debug("PexRTC callback %s dropped: delivery closed", name)
            return
        self._loop.call_soon_threadsafe(self._enqueue, (name, handler, args))

    def _enqueue(self, item: tuple[str, Handler, tuple[Any, ...]]) -> None:
        self._items.append(item)
        # On the loop thread: a task that has returned is already done(), so
        # an item is never left behind by a drain that just finished.
        if self._task is None or self._task.done():
            self._task = self._loop.create_task(self._drain(), name="pexrtc-callbacks")

    async def _drain(self) -> None:
        while self._items:
            name, handler, args = self._items.popleft()
            try:
                result = handler(*fit_arguments(handler, args))
                if inspect.isawaitable(result):
                    await result
            except Exception as exc:
                _report(name, exc)

    def close(self, timeout: float = 5.0) -> None:
        """Accept no more callbacks; those already queued are still delivered."""
        self._closed = True

    async def wait_idle(self, within: float = 5.0) -> bool:
        """Wait until every callback queued so far has run."""
        done = asyncio.Event()
        if self._closed:
            return True
        self.put("<barrier>", done.set, ())
        try:
            async with asyncio.timeout(within):
                await done.wait()
        except TimeoutError:
            return False
        return True


class CallbackDispatcher:
    """Looks a callback up on its owner at event time and hands it to a delivery.

    The lookup happens when the event occurs, as PexRTC does
    (``if (self.onConnect) self.onConnect(stream)``): a handler assigned
    later does not see earlier events, and ``None`` means nobody listens.
    """

    def __init__(self, owner: object, delivery: Delivery) -> None:
        self._owner = owner
        self.delivery = delivery

    def emit(self, name: str, *args: Any) -> None:
        handler = getattr(self._owner, name, None)
        if handler is None:
            return
        if not callable(handler):
            _log.warning("PexRTC callback %s is set to a non-callable %s", name, type(handler).__name__)
            return
        self.delivery.put(name, handler, args)
