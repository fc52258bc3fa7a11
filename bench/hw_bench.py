"""Room hardware benchmark: FECC to VISCA, a button to the lab node, VISCA round trips. Loopback only.

Run: ``.venv/bin/python -m bench.hw_bench [--samples 200]``. Prints figures,
asserts nothing (docs/benchmarks.md, "hw"):

* fecc: an incoming FECC ``start`` handed to :class:`FeccBridge` until the
  first byte of the VISCA drive command is written to the serial port of
  the fake camera (a real pty), p50/p95 (target p95 <= 20 ms);
* button: a mock pin edge on the mute button until the lab node has
  applied the ``client_mute`` request (the participant's flag is set),
  through the panel and the real room controller in a roster-only call,
  p50/p95 (target p95 <= 20 ms);
* visca: a position inquiry's round trip and a drive command's
  ACK+completion through the driver against the fake camera, on the
  serial (pty) and the IP (loopback UDP) transport, p50/p95.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from collections.abc import Callable
from pathlib import Path

from gpiozero.pins.mock import MockFactory

from appliance.config.profile import load_profile
from appliance.config.secrets import Secrets
from appliance.config.site import ConferenceConfig, JoinPolicy, NodeConfig, SiteConfig
from appliance.hw.visca.driver import PtzCamera
from appliance.hw.visca.fake import FakeViscaCamera
from appliance.hw.visca.transport import IpLink, Link, SerialLink
from appliance.labnode.app import LabNode
from appliance.services.controller import RoomController
from appliance.services.fecc import FeccBridge
from appliance.services.panel import Panel
from appliance.services.room_api import CallState


async def _until(condition: Callable[[], bool], *, within: float = 10.0, every: float = 0.001) -> None:
    async with asyncio.timeout(within):
        while not condition():  # noqa: ASYNC110 - state of other objects, no event to wait on
            await asyncio.sleep(every)


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _report(label: str, seconds: list[float]) -> None:
    ms = [s * 1000 for s in seconds]
    print(
        f"{label:<34} p50 {statistics.median(ms):6.2f} ms   p95 {_pct(ms, 0.95):6.2f} ms   "
        f"max {max(ms):6.2f} ms   n={len(ms)}",
        flush=True,
    )


class _TimedSerialLink(SerialLink):
    """A serial link that notes when each packet is handed to the port."""

    def __init__(self, port: str) -> None:
        super().__init__(port)
        self.sent_at: list[float] = []
        self.sent = asyncio.Event()

    def send(self, packet: bytes) -> None:
        self.sent_at.append(time.perf_counter())
        self.sent.set()
        super().send(packet)


async def bench_fecc(samples: int) -> None:
    async with FakeViscaCamera(udp=False) as fake:
        link = _TimedSerialLink(fake.serial_path)
        camera = PtzCamera(link)
        await camera.start()
        bridge = FeccBridge(camera)
        results = []
        try:
            for _ in range(samples):
                link.sent.clear()
                started = time.perf_counter()
                bridge.handle(
                    {"action": "start", "movement": [{"axis": "pan", "direction": "left"}], "timeout": 1000}
                )
                await link.sent.wait()
                results.append(link.sent_at[-1] - started)
                await _until(lambda: bridge.applied == (-1, 0, 0))  # the camera completed the drive
                bridge.handle({"action": "stop", "movement": [{"axis": "pan", "direction": "left"}]})
                await _until(lambda: bridge.applied == (0, 0, 0))
        finally:
            await bridge.close()
            await camera.close()
    _report("fecc start -> first VISCA byte", results)


def _site(node_url: str) -> SiteConfig:
    return SiteConfig(
        file=Path("bench-site.toml"),
        profile="ci-virtual",
        node=NodeConfig(url=node_url),
        conference=ConferenceConfig(alias="meet", display_name="Bench room", call_type="none"),
        join=JoinPolicy(),
        room_name="Bench",
        secrets=Secrets(),
    )


async def bench_button(samples: int) -> None:
    profile = load_profile("ci-virtual")
    factory = MockFactory()
    async with LabNode(host="127.0.0.1", port=0, media=False) as node:
        room = RoomController(_site(node.url), profile)
        await room.start()
        try:
            await _until(lambda: room.state.call is CallState.IN_CALL, within=30)
            member = next(m for m in node.conference("meet").members.values() if m.kind.value != "bot")
            pin = factory.pin(int(profile.gpio.buttons["mute"].pin.removeprefix("GPIO")))
            results = []
            async with Panel(room, profile.gpio, factory=factory):
                for i in range(samples):
                    want = not member.participant.is_client_muted
                    started = time.perf_counter()
                    pin.drive_low()
                    # every loop turn: the node's handler runs on this loop, so this sees it at once
                    await _until(lambda want=want: member.participant.is_client_muted is want, every=0)
                    results.append(time.perf_counter() - started)
                    pin.drive_high()
                    await asyncio.sleep(0.02 if i % 2 else 0.01)
        finally:
            await room.stop()
            factory.reset()
    _report("button edge -> mute at the lab node", results)


async def bench_visca(samples: int) -> None:
    async with FakeViscaCamera() as fake:
        links: list[Link] = [SerialLink(fake.serial_path), IpLink("127.0.0.1", fake.udp_port)]
        for link in links:
            camera = PtzCamera(link)
            await camera.start()
            inquiries, commands = [], []
            try:
                for i in range(samples):
                    started = time.perf_counter()
                    await camera.position()
                    inquiries.append(time.perf_counter() - started)
                    started = time.perf_counter()
                    await camera.drive(1 if i % 2 else -1, 0, 5, 5)
                    commands.append(time.perf_counter() - started)
            finally:
                await camera.close()
            kind = link.name.split(":")[0]
            _report(f"visca {kind} inquiry round trip", inquiries)
            _report(f"visca {kind} command ack+completion", commands)


async def run(samples: int) -> None:
    await bench_fecc(samples)
    await bench_button(max(20, samples // 4))
    await bench_visca(samples)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.hw_bench", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--samples", type=int, default=200, help="samples per figure (the button uses a quarter)"
    )
    args = parser.parse_args(argv)
    asyncio.run(run(args.samples))
    return 0
