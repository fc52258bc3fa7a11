"""Far-end camera control: the far end's signals move our PTZ camera and stop by themselves."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest

from appliance.hw.visca import protocol as p
from appliance.hw.visca.driver import PtzCamera
from appliance.hw.visca.fake import FakeViscaCamera
from appliance.services.fecc import FeccBridge, parse_signal
from tests.support.manual_clock import ManualClock
from tests.support.visca import camera_on


def signal(
    action: str, *moves: tuple[str, str], timeout: int | None = None, **extra: object
) -> dict[str, object]:
    body: dict[str, object] = {"action": action, "movement": [{"axis": a, "direction": d} for a, d in moves]}
    if timeout is not None:
        body["timeout"] = timeout
    body.update(extra)
    return body


@asynccontextmanager
async def bridge_on_camera() -> AsyncIterator[tuple[FeccBridge, FakeViscaCamera, PtzCamera, ManualClock]]:
    clock = ManualClock()
    async with camera_on("serial") as (fake, camera, _):
        bridge = FeccBridge(camera, clock, pan_speed=10, tilt_speed=8, zoom_speed=3)
        try:
            yield bridge, fake, camera, clock
        finally:
            await bridge.close()


async def until(condition) -> None:
    """Wait (generously) for the camera, which answers on a real pty, to get there."""
    async with asyncio.timeout(5.0):
        while not condition():  # noqa: ASYNC110 - the fake camera's state has no event to wait on
            await asyncio.sleep(0.01)


async def test_fecc_start_pans_the_camera() -> None:
    async with bridge_on_camera() as (bridge, fake, _camera, _clock):
        bridge.handle(signal("start", ("pan", "right"), timeout=1000))
        await until(lambda: fake.state.pan_velocity > 0)
        assert fake.received[-1] == p.pan_tilt_drive(1, 1, 0, 10, 8)


async def test_fecc_tilt_and_zoom_directions_map_to_visca() -> None:
    async with bridge_on_camera() as (bridge, fake, _camera, _clock):
        bridge.handle(signal("start", ("tilt", "down"), ("zoom", "in"), timeout=1000))
        await until(lambda: fake.state.zoom_velocity > 0)
        assert fake.state.tilt_velocity < 0
        assert p.zoom_drive(1, 1, 3) in fake.received


async def test_fecc_stop_halts_the_camera() -> None:
    async with bridge_on_camera() as (bridge, fake, _camera, _clock):
        bridge.handle(signal("start", ("pan", "left"), timeout=1000))
        await until(lambda: fake.state.pan_velocity < 0)
        bridge.handle(signal("stop", ("pan", "left")))
        await until(lambda: fake.state.pan_velocity == 0)
        assert not bridge.active


async def test_fecc_movement_stops_by_itself_when_the_timeout_passes() -> None:
    async with bridge_on_camera() as (bridge, fake, _camera, clock):
        bridge.handle(signal("start", ("pan", "right"), timeout=1000))
        await until(lambda: fake.state.pan_velocity > 0)
        await clock.advance(0.9)
        await asyncio.sleep(0.05)
        assert fake.state.pan_velocity > 0
        await clock.advance(0.3)  # no continue, no stop: the lost stop must not leave it turning
        await until(lambda: fake.state.pan_velocity == 0)


async def test_fecc_continue_keeps_the_camera_moving_past_the_first_timeout() -> None:
    async with bridge_on_camera() as (bridge, fake, _camera, clock):
        bridge.handle(signal("start", ("pan", "right"), timeout=1000))
        await until(lambda: fake.state.pan_velocity > 0)
        for _ in range(8):
            await clock.advance(0.2)
            bridge.handle(signal("continue", ("pan", "right"), timeout=200))
        await asyncio.sleep(0.05)
        assert fake.state.pan_velocity > 0
        drives = [packet for packet in fake.received if packet[1:4] == b"\x01\x06\x01"]
        assert len(drives) == 1  # continues extend the deadline; they send no VISCA
        await clock.advance(0.35)
        await until(lambda: fake.state.pan_velocity == 0)


async def test_fecc_preset_in_the_signal_is_recalled() -> None:
    async with bridge_on_camera() as (bridge, fake, camera, _clock):
        await camera.move_to(600, 0, 24, 20)
        await camera.preset_store(2)
        await camera.home()
        bridge.handle(signal("start", timeout=1000, preset=2))
        await until(lambda: p.memory(1, "recall", 2) in fake.received)
        await until(lambda: fake.position()[0] == 600)


async def test_fecc_activity_is_reported_on_start_and_stop() -> None:
    async with bridge_on_camera() as (bridge, _fake, _camera, clock):
        seen: list[bool] = []
        bridge.on_active = seen.append
        bridge.handle(signal("start", ("zoom", "out"), timeout=500))
        await until(lambda: seen == [True])
        await clock.advance(0.6)
        await until(lambda: seen == [True, False])


async def test_fecc_bad_signal_is_ignored_and_counted() -> None:
    async with bridge_on_camera() as (bridge, fake, _camera, _clock):
        sent = len(fake.received)
        bridge.handle({"action": "spin", "movement": []})
        await asyncio.sleep(0.05)
        assert (bridge.rejected, len(fake.received)) == (1, sent)


async def test_fecc_camera_gone_does_not_break_the_bridge() -> None:
    async with bridge_on_camera() as (bridge, fake, camera, clock):
        fake.unplug()
        await until(lambda: not camera.present)
        bridge.handle(signal("start", ("pan", "right"), timeout=1000))
        await asyncio.sleep(0.05)
        fake.replug()
        await until(lambda: camera.present)
        await clock.advance(1.1)
        bridge.handle(signal("start", ("pan", "right"), timeout=1000))
        await until(lambda: fake.state.pan_velocity > 0)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"action": "go"}, "FECC action: expected start, continue or stop"),
        (signal("start", ("pan", "up")), "FECC movement: unknown axis/direction"),
        (signal("start", ("pan", "left"), timeout=0), "FECC timeout: expected 1-60000 ms"),
        (signal("start", preset=300), "FECC preset: expected 0-127"),
    ],
)
def test_fecc_parse_signal_says_what_is_wrong(body: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_signal(body)


def test_fecc_parse_signal_default_timeouts_follow_the_document() -> None:
    assert parse_signal(signal("start", ("pan", "left"))).timeout_s == 1.0
    assert parse_signal(signal("continue", ("pan", "left"))).timeout_s == 0.2
