"""Callback delivery: JavaScript arity, order, isolation, and where callbacks run."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import pytest

from appliance.pexrtc.callbacks import CallbackDispatcher, LoopDelivery, ThreadDelivery, fit_arguments


class Owner:
    onThing: Any = None
    onOther: Any = None


def test_fit_arguments_drops_extras_like_javascript() -> None:
    def handler(stream, pin_status):  # type: ignore[no-untyped-def]
        return None

    assert fit_arguments(handler, (1, "required", None, None)) == (1, "required")


def test_fit_arguments_pads_missing_with_none() -> None:
    def handler(view, participants, requested_layout, overlay_text_enabled):  # type: ignore[no-untyped-def]
        return None

    assert fit_arguments(handler, ("1:0",)) == ("1:0", None, None, None)


def test_fit_arguments_passes_everything_to_varargs() -> None:
    def handler(*args):  # type: ignore[no-untyped-def]
        return None

    assert fit_arguments(handler, (1, 2, 3)) == (1, 2, 3)


def test_fit_arguments_leaves_optional_parameters_to_their_defaults() -> None:
    def handler(a, b=7):  # type: ignore[no-untyped-def]
        return None

    assert fit_arguments(handler, (1,)) == (1,)


def test_thread_delivery_runs_callbacks_in_order_on_one_thread() -> None:
    delivery = ThreadDelivery()
    seen: list[tuple[int, str]] = []
    for i in range(20):
        delivery.put("onThing", lambda i: seen.append((i, threading.current_thread().name)), (i,))
    assert delivery.wait_idle(5)
    delivery.close()
    assert [i for i, _ in seen] == list(range(20))
    assert {name for _, name in seen} == {"pexrtc-callbacks"}


def test_thread_delivery_survives_a_raising_callback(caplog: pytest.LogCaptureFixture) -> None:
    delivery = ThreadDelivery()
    seen: list[str] = []

    def broken(value: str) -> None:
        raise RuntimeError("user bug")

    delivery.put("onThing", broken, ("x",))
    delivery.put("onOther", seen.append, ("after",))
    assert delivery.wait_idle(5)
    delivery.close()
    assert seen == ["after"]
    assert "onThing raised RuntimeError" in caplog.text


def test_thread_delivery_awaits_coroutine_callbacks() -> None:
    delivery = ThreadDelivery()
    seen: list[str] = []

    async def handler(value: str) -> None:
        await asyncio.sleep(0)
        seen.append(value)

    delivery.put("onThing", handler, ("a",))
    delivery.put("onThing", seen.append, ("b",))
    assert delivery.wait_idle(5)
    delivery.close()
    assert seen == ["a", "b"]


def test_thread_delivery_lets_a_callback_block_without_stalling_delivery_of_its_own_work() -> None:
    """A handler may wait for something another thread does (a blocking facade call)."""
    delivery = ThreadDelivery()
    released = threading.Event()
    done = threading.Event()

    def handler() -> None:
        assert released.wait(5)
        done.set()

    delivery.put("onThing", handler, ())
    released.set()
    assert done.wait(5)
    delivery.close()


def test_thread_delivery_drops_callbacks_after_close() -> None:
    delivery = ThreadDelivery()
    seen: list[int] = []
    delivery.put("onThing", seen.append, (1,))
    delivery.close()
    delivery.put("onThing", seen.append, (2,))
    assert seen == [1]


async def test_loop_delivery_runs_callbacks_on_the_loop_in_order() -> None:
    loop = asyncio.get_running_loop()
    delivery = LoopDelivery(loop)
    seen: list[Any] = []

    async def slow(value: int) -> None:
        await asyncio.sleep(0.01)
        seen.append(value)

    delivery.put("onThing", slow, (1,))
    delivery.put("onThing", lambda v: seen.append((v, asyncio.get_running_loop() is loop)), (2,))
    assert await delivery.wait_idle(5)
    delivery.close()
    assert seen == [1, (2, True)]


async def test_loop_delivery_survives_a_raising_coroutine(caplog: pytest.LogCaptureFixture) -> None:
    delivery = LoopDelivery(asyncio.get_running_loop())
    seen: list[str] = []

    async def broken() -> None:
        raise ValueError("user bug")

    delivery.put("onThing", broken, ())
    delivery.put("onOther", seen.append, ("after",))
    assert await delivery.wait_idle(5)
    delivery.close()
    assert seen == ["after"]
    assert "onThing raised ValueError" in caplog.text


def test_dispatcher_looks_the_handler_up_at_event_time() -> None:
    owner = Owner()
    delivery = ThreadDelivery()
    dispatcher = CallbackDispatcher(owner, delivery)
    seen: list[str] = []
    dispatcher.emit("onThing", "before")  # nobody listening yet: dropped
    owner.onThing = seen.append
    dispatcher.emit("onThing", "after")
    assert delivery.wait_idle(5)
    delivery.close()
    assert seen == ["after"]


def test_dispatcher_ignores_a_non_callable_handler(caplog: pytest.LogCaptureFixture) -> None:
    owner = Owner()
    owner.onThing = "not a function"
    delivery = ThreadDelivery()
    CallbackDispatcher(owner, delivery).emit("onThing", 1)
    assert delivery.thread is None
    assert "non-callable" in caplog.text
