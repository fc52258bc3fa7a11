"""A hard deadline for every test, so that no test can hold the run (docs/testing.md).

Two layers, because a hang can sit in two places:

- **Inside the event loop** (an ``await`` that never finishes): every
  coroutine test runs under ``asyncio.timeout`` a few seconds shorter than
  its pytest-timeout budget. When it fires, the stacks of every thread and
  every asyncio task are written to the test's output and the test fails;
  the rest of the run goes on. pytest-timeout's ``signal`` method cannot do
  this: its exception is raised inside whatever loop callback is running,
  and the loop's exception handler swallows it.
- **Outside it** (a thread or a blocking call that never returns):
  pytest-timeout runs with ``timeout_method = "thread"`` (pyproject.toml),
  which dumps every thread's stack and ends the process. The run fails in
  minutes instead of waiting for CI's limit.
- **Under the GIL** (a C call that blocks without releasing it, as FFmpeg
  opening a pipe inside PyAV did): no Python thread can run, so neither of
  the above can. :mod:`faulthandler`'s watchdog is C code: armed for every
  test at its budget plus :data:`HARD_MARGIN_S`, it prints every thread's
  stack and exits.
"""

from __future__ import annotations

import asyncio
import faulthandler
import functools
import inspect
import io
import os
import sys
import threading
import traceback
from collections.abc import Callable, Coroutine
from typing import Any

import pytest

# Left for the thread method's stack dump when the asyncio deadline could not end the test.
MARGIN_S = 10.0
MINIMUM_S = 1.0
# After the budget, faulthandler's C watchdog ends a process whose GIL is never released.
HARD_MARGIN_S = float(os.environ.get("APPLIANCE_TEST_HARD_MARGIN_S", "30"))


def budget(item: pytest.Item) -> float | None:
    """The test's pytest-timeout budget in seconds (marker first, then the ini value), or None."""
    marker = item.get_closest_marker("timeout")
    if marker is not None and (marker.args or "timeout" in marker.kwargs):
        value = marker.args[0] if marker.args else marker.kwargs["timeout"]
    else:
        value = item.config.getini("timeout")
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        return None
    return seconds if seconds > 0 else None


def asyncio_deadline(seconds: float) -> float:
    """How long a coroutine test may run: its budget less the margin, at least a second."""
    return max(MINIMUM_S, seconds - MARGIN_S if seconds > 2 * MARGIN_S else seconds * 0.8)


def stacks() -> str:
    """Every thread's Python stack and every asyncio task's, as one text."""
    out = io.StringIO()
    names = {thread.ident: thread.name for thread in threading.enumerate()}
    for ident, frame in sys._current_frames().items():
        out.write(f"--- thread {names.get(ident, ident)} ---\n")
        out.writelines(traceback.format_stack(frame))
    try:
        tasks = asyncio.all_tasks()
    except RuntimeError:  # no running loop
        tasks = set()
    for task in tasks:
        out.write(f"--- task {task.get_name()} ---\n")
        task.print_stack(file=out)
    return out.getvalue()


def with_deadline(
    test: Callable[..., Coroutine[Any, Any, Any]], seconds: float, name: str
) -> Callable[..., Coroutine[Any, Any, Any]]:
    """``test`` under ``asyncio.timeout(seconds)``; on expiry the test fails with every stack."""

    @functools.wraps(test)
    async def guarded(*args: Any, **kwargs: Any) -> Any:
        deadline = asyncio.timeout(seconds)
        try:
            async with deadline:
                return await test(*args, **kwargs)
        except TimeoutError:
            if not deadline.expired():
                raise  # the test's own timeout: its own failure
            report = stacks()
            sys.stderr.write(report)
            pytest.fail(f"{name} did not finish within its {seconds:.0f} s deadline; stacks:\n{report}")

    return guarded


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        function = getattr(item, "obj", None)
        if not inspect.iscoroutinefunction(function) or getattr(function, "hypothesis", None) is not None:
            continue
        seconds = budget(item)
        if seconds is not None:
            item.obj = with_deadline(function, asyncio_deadline(seconds), item.nodeid)  # type: ignore[attr-defined]


def real_stderr(config: pytest.Config) -> int:
    """The process's stderr before pytest captured it (its fd 2 is a temporary file meanwhile).

    pytest keeps no public handle on it; its capture manager keeps the copy
    it restores at the end, which is what a dump before ``os._exit`` needs.
    """
    capman = config.pluginmanager.getplugin("capturemanager")
    err = getattr(getattr(capman, "_global_capturing", None), "err", None)
    saved = getattr(err, "targetfd_save", None)
    return saved if isinstance(saved, int) else 2


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> Any:
    seconds = budget(item)
    if seconds is not None:
        faulthandler.dump_traceback_later(seconds + HARD_MARGIN_S, exit=True, file=real_stderr(item.config))
    try:
        yield
    finally:
        if seconds is not None:
            faulthandler.cancel_dump_traceback_later()
