from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

import av
import numpy as np
import pytest

from appliance.labnode.media.encoder import EncodedVideoTrack
from appliance.labnode.media.presentation_relay import PresentationRelay, encode_jpeg
from appliance.labnode.media.slot import AsyncLatestSlot


def _frame(value: int, size: tuple[int, int] = (640, 360)) -> av.VideoFrame:
    image = np.full((size[1], size[0], 3), value, dtype=np.uint8)
    return av.VideoFrame.from_ndarray(image, format="rgb24").reformat(format="yuv420p")


@pytest.fixture
def executor():
    pool = ThreadPoolExecutor(max_workers=1)
    yield pool
    pool.shutdown()


def _relay(executor, stills: list, blocked: set[str] = frozenset()) -> PresentationRelay:
    return PresentationRelay(
        lambda jpeg, high: stills.append((jpeg, high)),
        executor,
        may_receive=lambda uuid: uuid not in blocked,
        still_interval=0.02,
    )


def _track(executor) -> EncodedVideoTrack:
    return EncodedVideoTrack(AsyncLatestSlot(), executor, fps=15, kbps=600)


def test_encode_jpeg_fits_the_picture_into_the_box() -> None:
    data = encode_jpeg(_frame(128, (1920, 1080)), (640, 360))
    decoded = av.CodecContext.create("mjpeg", "r").decode(av.Packet(data))[0]
    assert (decoded.width, decoded.height) == (640, 360)


async def test_relay_forwards_only_the_presenters_frames(executor) -> None:
    relay = _relay(executor, [])
    viewer = _track(executor)
    relay.subscribe(viewer, "viewer")
    relay.set_presenter("alice")
    relay.push("bob", _frame(10))
    assert viewer.slot.dropped == 0 and relay.frames_in == 0
    relay.push("alice", _frame(10))
    assert relay.frames_in == 1
    async with asyncio.timeout(1):
        await viewer.slot.get()
    await relay.close()


async def test_relay_does_not_echo_to_the_presenter(executor) -> None:
    relay = _relay(executor, [])
    own = _track(executor)
    relay.subscribe(own, "alice")
    relay.set_presenter("alice")
    relay.push("alice", _frame(10))
    with pytest.raises(TimeoutError):
        async with asyncio.timeout(0.1):
            await own.slot.get()
    await relay.close()


async def test_relay_skips_receivers_that_may_not_receive(executor) -> None:
    relay = _relay(executor, [], blocked={"viewer"})
    viewer = _track(executor)
    relay.subscribe(viewer, "viewer")
    relay.set_presenter("alice")
    relay.push("alice", _frame(10))
    with pytest.raises(TimeoutError):
        async with asyncio.timeout(0.1):
            await viewer.slot.get()
    await relay.close()


async def test_relay_makes_a_new_still_only_when_the_picture_changes(executor) -> None:
    stills: list = []
    relay = _relay(executor, stills)
    relay.set_presenter("alice")
    for value in (10, 10, 10, 200):
        relay.push("alice", _frame(value))
        await asyncio.sleep(0.15)
    assert len(stills) == 2
    await relay.close()


async def test_relay_stops_making_stills_when_presentation_ends(executor) -> None:
    stills: list = []
    relay = _relay(executor, stills)
    relay.set_presenter("alice")
    relay.set_presenter(None)
    relay.push("alice", _frame(10))
    await asyncio.sleep(0.1)
    assert stills == []
    await relay.close()
