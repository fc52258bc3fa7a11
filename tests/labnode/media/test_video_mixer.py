from __future__ import annotations

import asyncio

import av
import numpy as np

from appliance.labnode.media.mixer import Compositor, Picture, VideoMixer, mix_key_for
from appliance.labnode.media.slot import AsyncLatestSlot
from appliance.labnode.media_api import MixState


def _mixer() -> VideoMixer:
    frame = av.VideoFrame.from_ndarray(np.zeros((180, 320, 3), dtype=np.uint8), format="rgb24")
    return VideoMixer(Compositor(320, 180, lambda uuid: frame), fps=30)


KEY = mix_key_for("me", MixState("4:0", ["a", "b"], {}))


async def test_video_mixer_delivers_pictures_to_a_subscriber() -> None:
    mixer = _mixer()
    slot: AsyncLatestSlot[Picture] = AsyncLatestSlot()
    mixer.subscribe(KEY, slot)
    async with asyncio.timeout(2):
        picture = await slot.get()
    assert (picture.width, picture.height) == (320, 180)
    await mixer.close()


async def test_video_mixer_shares_one_clock_between_subscribers_of_a_key() -> None:
    mixer = _mixer()
    slots: list[AsyncLatestSlot[Picture]] = [AsyncLatestSlot(), AsyncLatestSlot()]
    for slot in slots:
        mixer.subscribe(KEY, slot)
    async with asyncio.timeout(2):
        first, second = await slots[0].get(), await slots[1].get()
    assert mixer.active_mixes == 1 and first.data is second.data
    await mixer.close()


async def test_video_mixer_stops_the_clock_when_the_last_subscriber_leaves() -> None:
    mixer = _mixer()
    slot: AsyncLatestSlot[Picture] = AsyncLatestSlot()
    mixer.subscribe(KEY, slot)
    mixer.unsubscribe(KEY, slot)
    await asyncio.sleep(0.1)
    assert mixer.active_mixes == 0
    assert not [t for t in asyncio.all_tasks() if t.get_name().startswith("labnode-mix") and not t.done()]


async def test_video_mixer_recomposes_only_when_inputs_change() -> None:
    mixer = _mixer()
    slot: AsyncLatestSlot[Picture] = AsyncLatestSlot()
    mixer.subscribe(KEY, slot)
    async with asyncio.timeout(2):
        for _ in range(3):
            await slot.get()
    assert mixer.compositions == 1
    await mixer.close()
