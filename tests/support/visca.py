"""A fake VISCA camera with our driver connected to it over a chosen transport."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from appliance.hw.visca.driver import PtzCamera
from appliance.hw.visca.fake import FakeViscaCamera
from appliance.hw.visca.transport import IpLink, Link, SerialLink

TRANSPORTS = ("serial", "ip")


def link_to(fake: FakeViscaCamera, transport: str) -> Link:
    if transport == "serial":
        return SerialLink(fake.serial_path)
    return IpLink("127.0.0.1", fake.udp_port, reset_timeout_s=0.3)


class Presence:
    """Records the driver's presence reports and lets a test wait for one."""

    def __init__(self) -> None:
        self.reports: list[tuple[bool, str]] = []
        self._changed = asyncio.Event()

    def __call__(self, present: bool, detail: str) -> None:
        self.reports.append((present, detail))
        self._changed.set()

    async def wait_for(self, present: bool) -> None:
        async with asyncio.timeout(10.0):
            while not self.reports or self.reports[-1][0] is not present:
                self._changed.clear()
                await self._changed.wait()


@asynccontextmanager
async def camera_on(
    transport: str, **options: Any
) -> AsyncIterator[tuple[FakeViscaCamera, PtzCamera, Presence]]:
    presence = Presence()
    # a generous first-reply timeout: the pty and the loop are shared with the rest of the suite
    settings: dict[str, Any] = {"timeout_s": 1.0, "backoff_initial_s": 0.05, "backoff_max_s": 0.2}
    settings.update(options)
    async with FakeViscaCamera() as fake:
        camera = PtzCamera(link_to(fake, transport), on_presence=presence, **settings)
        await camera.start()
        try:
            yield fake, camera, presence
        finally:
            await camera.close()
