"""The VISCA driver's contract: what any camera must do with it. Runs against the fake camera always,
and against a real one when ``APPLIANCE_TEST_VISCA`` names it (docs/hardware.md, "Tests").

``APPLIANCE_TEST_VISCA=/dev/serial/by-id/usb-FTDI…`` (serial, 9600 baud, address 1) or
``APPLIANCE_TEST_VISCA=ip:192.0.2.40`` (VISCA over IP on port 52381). The camera moves: it is
driven a little, stopped, stored in preset 15 and sent home.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator

import pytest

from appliance.hw.visca.driver import PtzCamera
from appliance.hw.visca.fake import FakeViscaCamera
from appliance.hw.visca.transport import IpLink, Link, SerialLink

REAL = os.environ.get("APPLIANCE_TEST_VISCA", "")
TARGETS = ["fake-serial", "fake-ip", "real"]


@pytest.fixture(params=TARGETS)
async def camera(request: pytest.FixtureRequest) -> AsyncIterator[PtzCamera]:
    target = str(request.param)
    fake: FakeViscaCamera | None = None
    if target == "real":
        if not REAL:
            pytest.skip("no real camera: set APPLIANCE_TEST_VISCA=/dev/ttyUSB0 or ip:HOST to run against one")
        link: Link = IpLink(REAL.removeprefix("ip:")) if REAL.startswith("ip:") else SerialLink(REAL)
        timeout_s = 2.0
    else:
        fake = await FakeViscaCamera().start()
        link = SerialLink(fake.serial_path) if target == "fake-serial" else IpLink("127.0.0.1", fake.udp_port)
        timeout_s = 0.5
    driver = PtzCamera(link, timeout_s=timeout_s, completion_timeout_s=20.0)
    try:
        await driver.start()
        yield driver
    finally:
        await driver.close()
        if fake is not None:
            await fake.close()


async def test_visca_contract_answers_inquiries(camera: PtzCamera) -> None:
    assert isinstance(await camera.powered(), bool)
    pan, tilt = await camera.position()
    assert -0x8000 <= pan <= 0x7FFF and -0x8000 <= tilt <= 0x7FFF
    assert 0 <= await camera.zoom_position() <= 0xFFFF


async def test_visca_contract_drive_then_stop_moves_and_holds(camera: PtzCamera) -> None:
    before = await camera.position()
    await camera.drive(1, 0, 8, 8)
    await asyncio.sleep(0.5)
    await camera.stop()
    await asyncio.sleep(0.3)
    after = await camera.position()
    assert after[0] > before[0]
    await asyncio.sleep(0.3)
    assert await camera.position() == after


async def test_visca_contract_preset_store_and_recall_returns(camera: PtzCamera) -> None:
    await camera.home()
    stored = await camera.position()
    await camera.preset_store(15)
    await camera.drive(-1, 0, 12, 8)
    await asyncio.sleep(0.5)
    await camera.stop()
    await camera.preset_recall(15)
    pan, tilt = await camera.position()
    assert abs(pan - stored[0]) <= 2 and abs(tilt - stored[1]) <= 2


async def test_visca_contract_zoom_tele_then_wide(camera: PtzCamera) -> None:
    await camera.zoom_to(0)
    await camera.zoom(1, 5)
    await asyncio.sleep(0.4)
    await camera.zoom(0, 0)
    assert await camera.zoom_position() > 0
