"""Our PexRTC client, the lab node's MCU and its bots, checked against each other.

The node's ``layout`` event says who the main speaker is for this listener;
the composed video our client decodes must show that participant's picture in
the main tile. Each bot paints its own colour (``bot_signature``), so the
pixels can be read back and compared with the event, while voice activity
moves the main speaker around.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import numpy as np
import pytest

from appliance import PexRTC
from appliance.labnode.app import LabNode
from appliance.media.ice import use_host_addresses

pytestmark = pytest.mark.media

WATCH_S = 12.0


def _main_tile_colour(frame: Any) -> np.ndarray:
    """Mean colour of the centre of the main tile of a 1:7 layout (top, middle)."""
    image = frame.source_frame.to_ndarray(format="rgb24")
    height, width, _ = image.shape
    return image[height // 6 : height // 2, width * 2 // 5 : width * 3 // 5].reshape(-1, 3).mean(axis=0)


def _nearest(colour: np.ndarray, palette: dict[str, tuple[int, int, int]]) -> str:
    return min(palette, key=lambda uuid: float(np.linalg.norm(np.array(palette[uuid]) - colour)))


async def test_main_tile_shows_the_main_speaker_named_by_the_layout_event() -> None:
    use_host_addresses(["127.0.0.1"])
    async with LabNode(host="127.0.0.1", port=0, bots=3) as node:
        layouts: list[tuple[float, list[str]]] = []
        connected: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        rtc = PexRTC()
        rtc.video_source = "testsrc2=size=320x180:rate=15"
        rtc.audio_source = "sine=frequency=300:sample_rate=48000"
        rtc.onSetup = lambda *args: rtc.connect(None)
        rtc.onLayoutUpdate = lambda view, participants, *rest: layouts.append(
            (time.monotonic(), list(participants))
        )
        rtc.onConnect = lambda stream: (
            stream is not None and not connected.done() and connected.set_result(stream)
        )
        rtc.makeCall(node.url, "meet", "Pixel checker", 1280, "video")
        try:
            async with asyncio.timeout(20):
                stream = await connected
            hub = node.conference("meet").hub
            assert hub is not None
            bots = [m.uuid for m in node.conference("meet").members.values() if m.kind == "bot"]
            palette = {uuid: hub.bot_signature(uuid).rgb for uuid in bots}

            agree = disagree = 0
            speakers_seen: set[str] = set()
            deadline = time.monotonic() + WATCH_S
            while time.monotonic() < deadline:
                frame = await asyncio.to_thread(stream.video.slot.take, 0.5)
                if frame is None or not layouts:
                    continue
                changed_at, order = layouts[-1]
                if not order or order[0] not in palette or time.monotonic() - changed_at < 0.5:
                    continue  # no bot in front yet, or the picture may still be catching up
                shown = _nearest(_main_tile_colour(frame), palette)
                speakers_seen.add(order[0])
                if shown == order[0]:
                    agree += 1
                else:
                    disagree += 1
            assert agree >= 20, (agree, disagree)
            assert disagree <= agree * 0.1, (agree, disagree)
            assert len(speakers_seen) >= 2, "voice activity should have moved the main speaker"
        finally:
            await rtc.disconnect()
