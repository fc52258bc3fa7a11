"""The loop-in-a-thread runner that lets plain scripts use the asyncio core."""

from __future__ import annotations

import asyncio
import threading

import pytest

from appliance.errors import ApplianceError
from appliance.pexrtc.sync import LoopThread


def test_loop_thread_runs_coroutines_on_its_own_named_thread() -> None:
    runner = LoopThread(name="test-loop")

    async def where() -> str:
        await asyncio.sleep(0)
        return threading.current_thread().name

    try:
        assert runner.run(where(), timeout=5) == "test-loop"
    finally:
        runner.stop()


def test_loop_thread_run_raises_the_coroutine_exception() -> None:
    runner = LoopThread()

    async def fail() -> None:
        raise KeyError("boom")

    try:
        with pytest.raises(KeyError):
            runner.run(fail(), timeout=5)
    finally:
        runner.stop()


def test_loop_thread_submit_returns_a_future() -> None:
    runner = LoopThread()

    async def value() -> int:
        return 42

    try:
        assert runner.submit(value()).result(5) == 42
    finally:
        runner.stop()


def test_loop_thread_run_times_out_with_a_timeout_error() -> None:
    runner = LoopThread()
    try:
        with pytest.raises(TimeoutError, match="did not finish"):
            runner.run(asyncio.sleep(10), timeout=0.05)
    finally:
        runner.stop()


def test_loop_thread_refuses_a_blocking_call_from_its_own_thread() -> None:
    runner = LoopThread()

    async def nested() -> None:
        runner.run(asyncio.sleep(0))

    try:
        with pytest.raises(ApplianceError, match="from the event loop thread"):
            runner.run(nested(), timeout=5)
    finally:
        runner.stop()


def test_loop_thread_stop_cancels_pending_work_and_joins() -> None:
    runner = LoopThread(name="stopping")
    future = runner.submit(asyncio.sleep(30))
    runner.stop(timeout=5)
    assert future.cancelled()
    assert not any(t.name == "stopping" for t in threading.enumerate())


def test_loop_thread_refuses_work_after_stop() -> None:
    runner = LoopThread()
    runner.stop()
    with pytest.raises(ApplianceError, match="stopped"):
        runner.submit(asyncio.sleep(0))
