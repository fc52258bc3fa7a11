"""Room hardware benchmark: FECC to VISCA, a button to the lab node, VISCA round trips. Loopback only.

Run: ``.venv/bin/python -m bench.hw_bench [--samples 200]``. Prints figures,
asserts nothing (docs/benchmarks.md, "hw"):

* fecc: an incoming FECC ``start`` handed to :class:`FeccBridge` until the
  first byte of the VISCA drive command is written to the serial port of
  the fake camera (a real pty), p50/p95 (target p95 <= 20 ms);
* button: a mock pin edge on the mute button until the lab node has
  applied the ``client_mute`` request (the participant's flag is set),
  through the room controller's own panel in a roster-only call,
  p50/p95 (target p95 <= 20 ms);
* preset: a short press of preset button 1 (it acts on release) until the
  VISCA recall is written to the camera's port, and until the fake camera
  has read it from the pty, through the same controller (panel ->
  RecallPreset -> RoomHardware -> driver), p50/p95;
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
from typing import Any

from gpiozero.pins.mock import MockFactory

from appliance.config.profile import HwProfile, load_profile
from appliance.config.secrets import Secrets
from appliance.config.site import ConferenceConfig, JoinPolicy, NodeConfig, SiteConfig
from appliance.hw.visca import protocol as visca
from appliance.hw.visca.driver import PtzCamera
from appliance.hw.visca.fake import FakeViscaCamera
from appliance.hw.visca.transport import IpLink, Link, SerialLink
from appliance.labnode.app import LabNode
from appliance.services.controller import RoomController
from appliance.services.fecc import FeccBridge
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


def _pin(factory: MockFactory, profile: HwProfile, button: str) -> Any:
    return factory.pin(int(profile.gpio.buttons[button].pin.removeprefix("GPIO")))


async def bench_buttons(samples: int) -> None:
    """The mute button to the node, and the preset button to the camera, through the controller."""
    profile = load_profile("ci-virtual")
    factory = MockFactory()
    async with LabNode(host="127.0.0.1", port=0, media=False) as node:
        room = RoomController(_site(node.url), profile, pin_factory=factory)  # its own panel and camera
        await room.start()
        try:
            await _until(lambda: room.state.call is CallState.IN_CALL, within=30)
            member = next(m for m in node.conference("meet").members.values() if m.kind.value != "bot")
            pin = _pin(factory, profile, "mute")
            results = []
            for i in range(samples):
                want = not member.participant.is_client_muted
                started = time.perf_counter()
                pin.drive_low()
                # every loop turn: the node's handler runs on this loop, so this sees it at once
                await _until(lambda want=want: member.participant.is_client_muted is want, every=0)
                results.append(time.perf_counter() - started)
                pin.drive_high()
                await asyncio.sleep(0.02 if i % 2 else 0.01)
            _report("button edge -> mute at the lab node", results)
            to_port, to_camera = await _preset_presses(room, factory, samples)
            _report("preset button -> VISCA recall written", to_port)
            _report("preset button -> recall read by camera", to_camera)
        finally:
            await room.stop()
            factory.reset()


async def _preset_presses(
    room: RoomController, factory: MockFactory, samples: int
) -> tuple[list[float], list[float]]:
    """A short press of preset button 1 (it acts on release) until the recall is written to the
    camera's port, and until the fake camera has read it from its end of the pty."""
    ptz = room.hardware.ptz
    assert ptz is not None and ptz.fake is not None
    fake, camera = ptz.fake, ptz.camera
    button = room.profile.gpio.buttons["preset_1"]
    assert button.preset is not None
    recall = visca.memory(room.profile.visca.address, "recall", button.preset)
    written: list[float] = []
    send = camera.link.send

    def noting(packet: bytes) -> None:  # the moment the driver hands the packet to the port
        if packet == recall:
            written.append(time.perf_counter())
        send(packet)

    camera.link.send = noting  # type: ignore[method-assign]
    await camera.move_to(-600, 200, 24, 20)
    await camera.preset_store(button.preset)
    pin = _pin(factory, room.profile, "preset_1")
    to_port, to_camera = [], []
    for _ in range(samples):
        await camera.home()
        pin.drive_low()
        await asyncio.sleep(0.01)  # a short press
        count = len(fake.received)
        started = time.perf_counter()
        pin.drive_high()
        await _until(lambda count=count: recall in fake.received[count:], every=0)
        to_camera.append(time.perf_counter() - started)
        to_port.append(written[-1] - started)
        await _until(lambda: fake.position()[:2] == (-600, 200))  # arrived: the next press starts still
    return to_port, to_camera


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
    await bench_buttons(max(20, samples // 4))
    await bench_visca(samples)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.hw_bench", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--samples", type=int, default=200, help="samples per figure (the button uses a quarter)"
    )
    args = parser.parse_args(argv)
    asyncio.run(run(args.samples))
    return 0
