"""An asyncio event loop in a background thread, for plain synchronous scripts.

A PexRTC page never awaits anything: it calls ``makeCall`` and gets told
what happened through callbacks. A Python script ported line by line is the
same, so the facade needs somewhere for the asyncio client and media engine
to run while the script's own thread does whatever it likes (``input()``,
``time.sleep``). :class:`LoopThread` is that place: one named daemon thread,
one loop, work submitted with :meth:`submit` (fire and forget, a
``concurrent.futures.Future`` back) or :meth:`run` (block until done).

The thread is started lazily and stopped explicitly (``PexRTC.disconnect``
and ``PexRTC.close`` do it); a script that forgets still exits, because the
thread is a daemon.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

from appliance.errors import ApplianceError
from appliance.log import get_logger

T = TypeVar("T")

_log = get_logger(__name__)


class LoopThread:
    """Owns one event loop running forever in one named thread."""

    def __init__(self, name: str = "pexrtc-loop") -> None:
        self._name = name
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._stopped = False

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        """The running loop, starting the thread on first use."""
        with self._lock:
            if self._stopped:
                raise ApplianceError(f"{self._name}: the event loop thread was stopped")
            if self._loop is None:
                ready = threading.Event()
                loop = asyncio.new_event_loop()

                def main() -> None:
                    asyncio.set_event_loop(loop)
                    loop.call_soon(ready.set)
                    loop.run_forever()

                thread = threading.Thread(target=main, name=self._name, daemon=True)
                thread.start()
                ready.wait()
                self._loop = loop
                self._thread = thread
            return self._loop

    def in_loop_thread(self) -> bool:
        return self._thread is not None and threading.current_thread() is self._thread

    def submit(self, coro: Coroutine[Any, Any, T]) -> concurrent.futures.Future[T]:
        """Schedule ``coro`` on the loop; the returned future completes with it."""
        try:
            loop = self.loop
        except ApplianceError:
            coro.close()
            raise
        return asyncio.run_coroutine_threadsafe(coro, loop)

    def run(self, coro: Coroutine[Any, Any, T], timeout: float | None = None) -> T:
        """Run ``coro`` on the loop and block the calling thread until it finishes.

        Calling this from the loop's own thread would wait on itself forever,
        so that is refused with an error naming the way out.
        """
        if self.in_loop_thread():
            coro.close()
            raise ApplianceError(
                f"{self._name}: a blocking call was made from the event loop thread; "
                "await the coroutine API (appliance.pexrtc.core) instead"
            )
        future = self.submit(coro)
        try:
            return future.result(timeout)
        except concurrent.futures.TimeoutError:
            future.cancel()
            raise TimeoutError(f"{self._name}: operation did not finish within {timeout} s") from None

    def stop(self, timeout: float = 5.0) -> None:
        """Cancel what is still running, stop the loop and join the thread."""
        with self._lock:
            if self._stopped:
                return
            self._stopped = True
            loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        if thread is threading.current_thread():
            raise ApplianceError(f"{self._name}: stop() called from the loop thread itself")

        async def shutdown() -> None:
            current = asyncio.current_task()
            tasks = [t for t in asyncio.all_tasks() if t is not current]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await loop.shutdown_asyncgens()

        try:
            asyncio.run_coroutine_threadsafe(shutdown(), loop).result(timeout)
        except (concurrent.futures.TimeoutError, RuntimeError):
            _log.warning("event loop thread %s: tasks did not finish within %s s", self._name, timeout)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout)
        if not thread.is_alive():
            loop.close()
