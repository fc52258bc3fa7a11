"""Devices that never open end the call set-up with an error naming them, and never freeze the loop.

A named pipe is the device that can be made to never open on any machine:
a capture of a pipe nobody writes, a loudspeaker on a pipe nobody reads.
Both used to wait for ever, the loudspeaker inside FFmpeg while holding
the GIL, which froze the whole process (docs/media.md, "Devices that never
open").
"""

from __future__ import annotations

import asyncio
import os
import threading
from pathlib import Path

import pytest

from appliance.aio import in_own_thread
from appliance.errors import MediaError
from appliance.media.engine import within
from appliance.media.sinks import AudioOutput
from appliance.media.sources import DeviceSpec, open_capture


async def ticks_while(work: asyncio.Future[object] | asyncio.Task[object]) -> int:
    """How many 10 ms loop ticks happened while ``work`` ran (a frozen loop counts none)."""
    ticks = 0
    while not work.done():
        await asyncio.sleep(0.01)
        ticks += 1
    return ticks


async def test_capture_of_a_pipe_nobody_writes_fails_naming_the_device_within_its_deadline(
    tmp_path: Path,
) -> None:
    pipe = tmp_path / "mic"
    os.mkfifo(pipe)
    spec = DeviceSpec("audio", "s16le", str(pipe), {"sample_rate": "48000", "ch_layout": "mono"})
    opening = asyncio.ensure_future(open_capture(spec, deadline_s=0.5))
    ticks = await ticks_while(opening)
    with pytest.raises(MediaError, match=rf"audio device s16le:{pipe} did not open within 0.5 s"):
        opening.result()
    assert ticks >= 20  # the loop ran all along
    os.open(pipe, os.O_RDWR)  # lets the abandoned opener finish and close what it opened


async def test_loudspeaker_on_a_pipe_nobody_reads_fails_naming_it_without_freezing_the_process(
    tmp_path: Path,
) -> None:
    pipe = tmp_path / "speaker"
    os.mkfifo(pipe)
    opening = asyncio.ensure_future(
        asyncio.to_thread(AudioOutput, str(pipe), "s16le", layout="mono", open_timeout=0.5)
    )
    ticks = await ticks_while(opening)
    with pytest.raises(MediaError, match=f"nobody opened the pipe {pipe} for reading within 0.5 s"):
        opening.result()
    assert ticks >= 20


async def test_in_own_thread_hands_a_result_that_comes_too_late_to_abandon() -> None:
    release = threading.Event()
    abandoned: list[str] = []
    dropped = asyncio.Event()  # abandon runs on the loop

    def abandon(result: str) -> None:
        abandoned.append(result)
        dropped.set()

    with pytest.raises(TimeoutError):
        await in_own_thread(
            lambda: release.wait(5) and "opened", deadline_s=0.05, name="late", abandon=abandon
        )
    release.set()
    await asyncio.wait_for(dropped.wait(), 5)
    assert abandoned == ["opened"]


async def test_in_own_thread_passes_the_works_own_error_through() -> None:
    def fails() -> None:
        raise OSError("no such camera")

    with pytest.raises(OSError, match="no such camera"):
        await in_own_thread(fails, deadline_s=5, name="fails")


async def test_a_call_set_up_step_that_never_finishes_fails_naming_the_step() -> None:
    never = asyncio.get_running_loop().create_future()
    with pytest.raises(
        MediaError, match=r"call set-up: the node.s answer to calls did not finish within 0\.05 s"
    ):
        await within("the node's answer to calls", never, deadline_s=0.05)


async def test_a_call_set_up_steps_own_timeout_keeps_its_own_message() -> None:
    async def times_out() -> None:
        raise TimeoutError("the node did not answer the HTTP request")

    with pytest.raises(TimeoutError, match="did not answer the HTTP request"):
        await within("ack", times_out(), deadline_s=5)
