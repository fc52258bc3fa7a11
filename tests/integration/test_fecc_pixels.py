"""A far end pans our camera with FECC, and the picture the conference receives from us moves.

The appliance side is the ``ci-virtual`` profile's camera: its 1280x720
test pattern seen through a 640x360 window that the fake VISCA camera's
pan moves (docs/hardware.md, "The virtual PTZ camera"). testsrc2 runs from
yellow on the left to blue on the right, so the blue in the composed
picture the other participant receives (ours alone, as the only other one)
says where our camera points.
The whole path is real: the far end's ``sendFECC`` through the lab node,
our ``onFECC``, the FECC bridge, VISCA over a pty to the fake camera, the
viewport, H.264 to the node, its mix, and the far end's decoder.
"""

from __future__ import annotations

import asyncio
from typing import Any

import numpy as np
import pytest

from appliance import PexRTC
from appliance.config.profile import load_profile
from appliance.hw.visca.driver import PtzCamera
from appliance.hw.visca.fake import FakeViscaCamera
from appliance.hw.visca.transport import SerialLink
from appliance.labnode.app import LabNode
from appliance.media.ice import use_host_addresses
from appliance.services.devices import capture_device
from appliance.services.fecc import FeccBridge

pytestmark = pytest.mark.media

WAIT_S = 30.0  # generous: two cores shared by two media calls and the mix


def _blue(frame: Any) -> float:
    """Mean blue minus red of the far end's picture, which is ours alone (above our name label)."""
    image = frame.source_frame.to_ndarray(format="rgb24").astype(np.float32)
    picture = image[: image.shape[0] * 8 // 10].reshape(-1, 3)
    return float(picture[:, 2].mean() - picture[:, 0].mean())


def _connected(rtc: PexRTC) -> asyncio.Future[Any]:
    future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
    rtc.onSetup = lambda *args: rtc.connect(None)
    rtc.onConnect = lambda stream: stream is not None and not future.done() and future.set_result(stream)
    rtc.onError = lambda reason: not future.done() and future.set_exception(AssertionError(reason))
    return future


async def _blue_seen(stream: Any, *, settled: int = 3) -> float:
    """The blue of the far end's picture once ``settled`` frames in a row agree (within 10)."""
    values: list[float] = []
    while True:
        frame = await asyncio.to_thread(stream.video.slot.take, 0.5)
        if frame is None:
            continue
        values.append(_blue(frame))
        if len(values) >= settled and max(values[-settled:]) - min(values[-settled:]) < 10:
            return float(np.mean(values[-settled:]))


async def _pan(far_end: PexRTC, target: str, direction: str, seconds: float) -> None:
    """Hold a pan the way a far end's button does: start, continue every 200 ms, stop."""
    far_end.sendFECC("start", "pan", direction, target, 1000)
    for _ in range(round(seconds / 0.2)):
        await asyncio.sleep(0.2)
        far_end.sendFECC("continue", "pan", direction, target, 200)
    far_end.sendFECC("stop", "pan", direction, target, 200)


async def test_fecc_pan_from_another_participant_moves_our_outgoing_picture() -> None:
    use_host_addresses(["127.0.0.1"])
    profile = load_profile("ci-virtual")
    async with LabNode(host="127.0.0.1", port=0) as node, FakeViscaCamera(udp=False) as fake:
        camera = PtzCamera(SerialLink(fake.serial_path))
        await camera.start()
        bridge = FeccBridge(camera, pan_speed=24)
        room = PexRTC()
        room.fecc_supported = True
        room.onFECC = bridge.handle
        room.video_source = capture_device("video", profile.video_capture, view=fake.view)
        room.audio_source = capture_device("audio", profile.audio_capture)
        far_end = PexRTC()
        room_up, far_end_up = _connected(room), _connected(far_end)
        room.makeCall(node.url, "meet", "Room with a PTZ camera", 640, "video")
        far_end.makeCall(node.url, "meet", "Far end", 640, "recvonly")
        try:
            async with asyncio.timeout(WAIT_S):
                await room_up
                stream = await far_end_up
                centred = await _blue_seen(stream)
                await _pan(far_end, room.uuid or "", "right", 1.0)
                async with asyncio.timeout(WAIT_S / 2):
                    while (right := await _blue_seen(stream)) < centred + 60:
                        pass
                await _pan(far_end, room.uuid or "", "left", 2.0)
                async with asyncio.timeout(WAIT_S / 2):
                    while (left := await _blue_seen(stream)) > centred - 60:
                        pass
            assert fake.view()[0] == -1.0, "a held pan left ends at the left stop"
            assert left < centred < right
        finally:
            await far_end.disconnect()
            await room.disconnect()
            await bridge.close()
            await camera.close()
