from __future__ import annotations

import asyncio

import pytest

from appliance.labnode.media.slot import AsyncLatestSlot, SlotClosed


async def test_slot_get_returns_newest_value_only() -> None:
    slot: AsyncLatestSlot[int] = AsyncLatestSlot()
    slot.put(1)
    slot.put(2)
    assert await slot.get() == 2 and slot.dropped == 1


async def test_slot_get_waits_for_a_new_value() -> None:
    slot: AsyncLatestSlot[int] = AsyncLatestSlot()
    slot.put(1)
    await slot.get()
    waiter = asyncio.ensure_future(slot.get())
    await asyncio.sleep(0)
    assert not waiter.done()
    slot.put(3)
    async with asyncio.timeout(1):
        assert await waiter == 3


async def test_slot_close_wakes_a_waiting_consumer() -> None:
    slot: AsyncLatestSlot[int] = AsyncLatestSlot()
    waiter = asyncio.ensure_future(slot.get())
    await asyncio.sleep(0)
    slot.close()
    with pytest.raises(SlotClosed):
        async with asyncio.timeout(1):
            await waiter
