"""The VISCA driver against the fake camera, over a real pty and real loopback UDP."""

from __future__ import annotations

import asyncio
import dataclasses

import pytest

from appliance.config.profile import ViscaSpec, load_profile
from appliance.hw.visca import protocol as p
from appliance.hw.visca.driver import (
    PtzCamera,
    ViscaCommandError,
    ViscaTimeout,
    ViscaUnavailable,
    open_camera,
)
from appliance.hw.visca.transport import SerialLink, ViscaLinkError
from tests.support.visca import TRANSPORTS, camera_on

SHORT = 0.3  # for tests that wait for timeouts on purpose; the others keep a generous 1 s


@pytest.fixture(params=TRANSPORTS)
def transport(request: pytest.FixtureRequest) -> str:
    return str(request.param)


async def test_visca_driver_start_numbers_and_clears_a_serial_camera(transport: str) -> None:
    async with camera_on(transport) as (fake, camera, presence):
        if transport == "serial":
            assert fake.received[:2] == [p.address_set(), p.if_clear()]
        assert camera.present and presence.reports == [(True, f"answering on {camera.link.name}")]


async def test_visca_driver_drive_is_acked_and_completed(transport: str) -> None:
    async with camera_on(transport) as (fake, camera, _):
        await camera.drive(1, 1, 12, 10)
        assert fake.state.pan_velocity > 0 and fake.state.tilt_velocity > 0
        await camera.stop()
        assert (fake.state.pan_velocity, fake.state.zoom_velocity) == (0, 0)


async def test_visca_driver_zoom_tele_wide_and_stop(transport: str) -> None:
    async with camera_on(transport) as (fake, camera, _):
        await camera.zoom(1, 7)
        assert fake.state.zoom_velocity > 0
        await camera.zoom(-1, 2)
        assert fake.state.zoom_velocity < 0
        await camera.zoom(0, 0)
        assert fake.state.zoom_velocity == 0


async def test_visca_driver_absolute_position_completes_on_arrival(transport: str) -> None:
    async with camera_on(transport) as (_fake, camera, _):
        await camera.move_to(300, -120, 24, 20)
        assert await camera.position() == (300, -120)


async def test_visca_driver_zoom_direct_and_inquiry(transport: str) -> None:
    async with camera_on(transport) as (_fake, camera, _):
        await camera.zoom_to(0x2000)
        assert await camera.zoom_position() == 0x2000


async def test_visca_driver_home_returns_to_centre(transport: str) -> None:
    async with camera_on(transport) as (_fake, camera, _):
        await camera.move_to(500, 200, 24, 20)
        await camera.home()
        assert await camera.position() == (0, 0)


async def test_visca_driver_preset_store_and_recall(transport: str) -> None:
    async with camera_on(transport) as (_fake, camera, _):
        await camera.move_to(-700, 100, 24, 20)
        await camera.preset_store(3)
        await camera.home()
        await camera.preset_recall(3)
        assert await camera.position() == (-700, 100)


async def test_visca_driver_recalling_a_reset_preset_is_not_executable(transport: str) -> None:
    async with camera_on(transport) as (_fake, camera, _):
        await camera.preset_store(4)
        await camera.preset_reset(4)
        with pytest.raises(ViscaCommandError) as info:
            await camera.preset_recall(4)
        assert info.value.code is p.ErrorCode.NOT_EXECUTABLE


async def test_visca_driver_power_off_and_on(transport: str) -> None:
    async with camera_on(transport) as (_fake, camera, _):
        await camera.power(False)
        assert await camera.powered() is False
        await camera.power(True)
        assert await camera.powered() is True


@pytest.mark.parametrize("code", list(p.ErrorCode))
async def test_visca_driver_error_reply_raises_with_its_code(transport: str, code: p.ErrorCode) -> None:
    async with camera_on(transport) as (fake, camera, _):
        fake.fail_next(code)
        with pytest.raises(ViscaCommandError) as info:
            await camera.drive(1, 0, 5, 5)
        assert info.value.code is code
        await camera.stop()  # the next command goes through
        assert camera.stats.errors == 1


async def test_visca_driver_silent_camera_times_out_after_retries(transport: str) -> None:
    async with camera_on(transport, retries=2, timeout_s=SHORT) as (fake, camera, presence):
        fake.stalled = True
        with pytest.raises(ViscaTimeout):
            await camera.drive(1, 0, 5, 5)
        assert camera.stats.retries == 2
        assert fake.received[-3:] == [p.pan_tilt_drive(1, 1, 0, 5, 5)] * 3
        await presence.wait_for(False)


async def test_visca_driver_camera_answering_again_is_present_again(transport: str) -> None:
    async with camera_on(transport, timeout_s=SHORT) as (fake, camera, presence):
        fake.stalled = True
        with pytest.raises(ViscaTimeout):
            await camera.position()
        fake.stalled = False
        await presence.wait_for(True)
        assert await camera.position() == (0, 0)


async def test_visca_driver_garbage_is_counted_and_skipped(transport: str) -> None:
    async with camera_on(transport) as (fake, camera, _):
        fake.send_garbage(b"\x00\x13\x37\xff\x42")
        await asyncio.sleep(0.05)
        assert camera.garbage >= 1
        await camera.move_to(10, 10, 24, 20)
        assert await camera.position() == (10, 10)


async def test_visca_driver_never_sends_more_than_the_camera_holds(transport: str) -> None:
    async with camera_on(transport) as (fake, camera, _):
        await asyncio.gather(*(camera.move_to(i * 200, 0, 24, 20) for i in range(6)))
        assert camera.stats.max_in_flight == 2
        assert fake.buffer_full_replies == 0


async def test_visca_driver_recovers_from_a_power_cycle(transport: str) -> None:
    async with camera_on(transport, timeout_s=SHORT) as (fake, camera, presence):
        await camera.move_to(400, 0, 24, 20)
        fake.power_cycle()
        if transport == "serial":
            await presence.wait_for(False)
            await presence.wait_for(True)
            assert camera.stats.restarts == 1
        for _ in range(20):  # IP: the first command meets the sequence error and is retried
            try:
                assert await camera.position() == (0, 0)
                break
            except (ViscaTimeout, ViscaUnavailable):
                await asyncio.sleep(0.05)
        else:
            pytest.fail("the camera did not come back after its power cycle")
        await camera.drive(1, 0, 3, 3)


async def test_visca_driver_recovers_when_the_cable_comes_back(transport: str) -> None:
    async with camera_on(transport, timeout_s=SHORT) as (fake, camera, presence):
        fake.unplug()
        if transport == "ip":
            with pytest.raises(ViscaTimeout):
                await camera.position()
        await presence.wait_for(False)
        with pytest.raises(ViscaUnavailable):
            await camera.drive(1, 0, 3, 3)
        fake.replug()
        await presence.wait_for(True)
        await camera.drive(1, 0, 3, 3)
        assert fake.state.pan_velocity > 0


async def test_visca_driver_missing_port_is_a_clear_error() -> None:
    camera = PtzCamera(SerialLink("/nonexistent/ttyVISCA"))
    with pytest.raises(ViscaLinkError, match="cannot open VISCA serial port /nonexistent/ttyVISCA"):
        await camera.start()


async def test_visca_driver_open_camera_starts_ci_virtuals_fake_camera(transport: str) -> None:
    spec = dataclasses.replace(load_profile("ci-virtual").visca, fake_transport=transport)
    handle = await open_camera(spec)
    try:
        assert handle.fake is not None and handle.camera.present
        await handle.camera.drive(1, 0, 4, 4)
        assert handle.fake.state.pan_velocity > 0
    finally:
        await handle.close()


async def test_visca_driver_open_camera_refuses_a_profile_without_one() -> None:
    with pytest.raises(ValueError, match="this profile has no PTZ camera"):
        await open_camera(ViscaSpec(driver="none"))
