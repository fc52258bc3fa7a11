"""Room daemon benchmark: time to recover per fault class, and the daemon's memory in a call.

Run ``.venv/bin/python -m bench --only daemon``; ``-- --runs N`` for more runs per fault;
``-- --long`` soaks the memory for an hour (``python -m bench --timeout 4500 --only daemon
-- --long``; the runner stops a benchmark after 900 s by default).

Recovery: a lab node with media (in this process) and a :class:`RoomController`
with the ``ci-virtual`` profile in a video call, the product's defaults
(media timeout 3 s, rejoin backoff from 1 s). Each fault class of docs/daemon.md's
recovery ladder is injected ``--runs`` times; the time is from the fault to
the first decoded picture after it ("media flowing again"), with the ladder
step that recovered it: ``none`` (the call never left IN_CALL: the client's own
stream reconnect or token refresh), ``media`` (liveness restarted the media
connection), ``rejoin`` (a fresh join with a fresh client). For the media stall
the detection time (fault → ``RecoveryStarted``) is given too.

Devices: the camera, then the microphone, pulled out and put back mid-call (a FIFO
device and pyudev's devices through the fake monitor, as in the fault tests): udev's
``add`` to the first frame of ours of that kind the node decodes, and whether the call
was kept without a rejoin.

Memory: ``appliance run`` as a child process (its own RSS, psutil) in a video
call against the node: RSS after warm-up and its drift over the soak; and, from
its notify socket, how long a (re)started process takes to READY=1 and into the
call — what a watchdog restart costs on top of ``WatchdogSec`` and ``RestartSec``.
Figures only, ratios to the issue's targets; no assertions.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import psutil

from appliance.config.profile import load_profile
from appliance.config.site import ConferenceConfig, JoinPolicy, NodeConfig, SiteConfig
from appliance.labnode.app import LabNode
from appliance.media.ice import use_host_addresses
from appliance.services.controller import RoomController
from appliance.services.room_api import CallState, RecoveryStarted, RoomEvent, StateChanged

MIB = 1024 * 1024
TIMEOUT = 90.0


@dataclass
class Run:
    seconds: float
    step: str
    detected: float | None = None


@dataclass
class Fault:
    name: str
    inject: Callable[[LabNode, str], Awaitable[None]]
    target_s: float | None = None
    note: str = ""
    max_runs: int | None = None  # a slow fault (20 s of refusals) is run fewer times
    runs: list[Run] = field(default_factory=list)


async def _restart(node: LabNode, uuid: str) -> None:
    await node.control.restart()


async def _cut(node: LabNode, uuid: str) -> None:
    node.control.cut_event_streams(uuid)


async def _refresh(node: LabNode, uuid: str) -> None:
    node.control.request_token_refresh(uuid)


async def _expire(node: LabNode, uuid: str) -> None:
    node.control.expire_token(uuid)


async def _refuse(node: LabNode, uuid: str) -> None:
    node.control.refuse_tokens(5.0)
    await node.control.restart()


async def _refuse_20(node: LabNode, uuid: str) -> None:
    node.control.refuse_tokens(20.0)  # the case: a node refusing new tokens for 20 s
    await node.control.restart()


async def _stall(node: LabNode, uuid: str) -> None:
    node.control.stop_media(uuid)


async def _black_hole(node: LabNode, uuid: str) -> None:
    node.control.black_hole_media(uuid)


async def _kick(node: LabNode, uuid: str) -> None:
    node.control.kick(uuid)


FAULTS = [
    Fault("event stream cut", _cut, None, "target: no call drop"),
    Fault("token refresh (node asks)", _refresh, None, "target: no call drop"),
    Fault("media stall, signalling up", _stall, 10.0, "target: detected <= 5 s, media back <= 10 s"),
    Fault("media path black-holed", _black_hole, 10.0),
    Fault("node restart", _restart, 10.0, "target: back in call <= 10 s"),
    Fault("token refused", _expire, 10.0),
    Fault("tokens refused for 5 s + restart", _refuse, 15.0),
    Fault("tokens refused for 20 s + restart", _refuse_20, None, "includes the 20 s refused", max_runs=2),
    Fault("admin kick (rejoin always)", _kick, None),
]


def site_for(url: str) -> SiteConfig:
    return SiteConfig(
        file=Path("bench-site.toml"),
        profile="ci-virtual",
        node=NodeConfig(url=url),
        conference=ConferenceConfig(
            alias="meet", display_name="Bench room", bandwidth_in=512, bandwidth_out=512
        ),
        join=JoinPolicy(),
    )


class Observer:
    """Follows the room's events with their arrival times."""

    def __init__(self, room: RoomController) -> None:
        self.room = room
        self.events: list[tuple[float, RoomEvent]] = []
        self._task = asyncio.get_running_loop().create_task(self._follow())

    async def _follow(self) -> None:
        async for event in self.room.subscribe(maxsize=100_000):
            self.events.append((time.monotonic(), event))

    def since(self, moment: float) -> list[RoomEvent]:
        return [event for at, event in self.events if at >= moment]

    async def close(self) -> None:
        self._task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)


async def picture_after(room: RoomController, moment: float, limit: float = TIMEOUT) -> float:
    """Seconds from ``moment`` to the first decoded picture taken after it (in call)."""
    room.pictures.latest("main")
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if room.state.call is CallState.IN_CALL and room.pictures.latest("main") is not None:
            return time.monotonic() - moment
        await asyncio.sleep(0.02)
    raise TimeoutError(f"no media within {limit:.0f} s")


async def steady(room: RoomController) -> str:
    """Wait until the room is in call with media; returns our participant uuid."""
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        state = room.state
        me = next((p.uuid for p in state.participants if p.is_self), None)
        if state.call is CallState.IN_CALL and me is not None and not state.recovering:
            await picture_after(room, time.monotonic())
            await asyncio.sleep(1.0)
            return me
        await asyncio.sleep(0.05)
    raise TimeoutError("the room did not settle in the call")


async def measure_fault(room: RoomController, node: LabNode, observer: Observer, fault: Fault) -> Run:
    uuid = await steady(room)
    losses = sum(room.rejoin.counts.values())
    await asyncio.sleep(0.5)
    started = time.monotonic()
    await fault.inject(node, uuid)
    await asyncio.sleep(0.3)  # let the fault land before waiting for pictures
    seconds = await picture_after(room, started)
    events = observer.since(started)
    left_call = any(isinstance(e, StateChanged) and e.new.call is not CallState.IN_CALL for e in events)
    detected = next(
        (at - started for at, e in observer.events if at >= started and isinstance(e, RecoveryStarted)), None
    )
    if sum(room.rejoin.counts.values()) > losses or left_call:
        step = "rejoin"
    elif any(isinstance(e, RecoveryStarted) and e.step == "media" for e in events):
        step = "media"
    else:
        step = "none"
        seconds = 0.0 if not left_call else seconds
    return Run(seconds, step, detected)


def quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def report(fault: Fault) -> None:
    if all(r.step == "none" for r in fault.runs):
        print(f"  {fault.name:<34} no call drop in {len(fault.runs)}/{len(fault.runs)} runs  [{fault.note}]")
        return
    times = [r.seconds for r in fault.runs]
    steps = sorted({r.step for r in fault.runs})
    line = (
        f"  {fault.name:<34} p50 {statistics.median(times):5.2f} s  p95 {quantile(times, 0.95):5.2f} s"
        f"  step {'/'.join(steps):<14}"
    )
    detected = [r.detected for r in fault.runs if r.detected is not None]
    if detected:
        line += f"  detected p50 {statistics.median(detected):4.2f} s"
    if fault.target_s:
        line += f"  ({statistics.median(times) / fault.target_s:.2f}x of {fault.target_s:.0f} s)"
    if fault.note:
        line += f"  [{fault.note}]"
    print(line, flush=True)


async def recovery(runs: int) -> None:
    use_host_addresses(["127.0.0.1"])
    async with LabNode(host="127.0.0.1", port=0, width=320, height=180, fps=10) as node:
        room = RoomController(site_for(node.url), load_profile("ci-virtual"))
        observer = Observer(room)
        await room.start()
        try:
            print(f"time to recover ({runs} runs each; fault -> first decoded picture after it)")
            for fault in FAULTS:
                for _ in range(min(runs, fault.max_runs or runs)):
                    fault.runs.append(await measure_fault(room, node, observer, fault))
                report(fault)
        finally:
            await room.stop()
            await observer.close()


async def device_replug(kind: Literal["video", "audio"], runs: int) -> None:
    """A camera or microphone pulled out and put back mid-call: udev's ``add`` -> the node decodes
    our media of that kind again.

    The device is a FIFO fed in real time (tests/support/pluggable.py); udev's events are
    pyudev devices through the fake monitor. The call must stay up (no rejoin) throughout.
    """
    from appliance.hw.udev_fake import FakeMonitor
    from tests.support.pluggable import PluggableDevice, decoded_from

    use_host_addresses(["127.0.0.1"])
    with tempfile.TemporaryDirectory() as directory:
        device, monitor = PluggableDevice(Path(directory), kind), FakeMonitor()
        device.plug()
        async with LabNode(host="127.0.0.1", port=0, width=320, height=180, fps=10) as node:
            room = RoomController(site_for(node.url), device.profile(), udev_monitor=monitor)
            await room.start()
            times: list[float] = []
            try:
                await steady(room)
                for _ in range(runs):
                    device.unplug()
                    monitor.push(device.udev_event("remove"))
                    await _polled(lambda: not device.capturing)
                    await asyncio.sleep(0.5)
                    before = decoded_from(node, room, kind)
                    device.plug()
                    started = time.monotonic()
                    monitor.push(device.udev_event("add"))
                    await _polled(lambda before=before: decoded_from(node, room, kind) > before)
                    times.append(time.monotonic() - started)
                    await asyncio.sleep(1.0)
                kept = room.state.call is CallState.IN_CALL and sum(room.rejoin.counts.values()) == 0
            finally:
                await room.stop()
                device.close()
                monitor.close()
    name = f"{device.role.value} unplugged and replugged"
    print(
        f"  {name:<34} p50 {statistics.median(times):5.2f} s  p95 {quantile(times, 0.95):5.2f} s"
        f"  step reopen          [udev add -> our {kind} decoded at the node; call kept, no rejoin: {kept}]",
        flush=True,
    )


async def _polled(condition: Callable[[], bool], limit: float = TIMEOUT) -> None:
    async with asyncio.timeout(limit):
        while not condition():  # noqa: ASYNC110 - threads and the node's counters have no event
            await asyncio.sleep(0.01)


SITE = """
[appliance]
profile = "ci-virtual"
[node]
address = "{url}"
[conference]
alias = "meet"
display_name = "Soak room"
bandwidth_kbps = 512
"""


async def _notified(sock: socket.socket, wanted: str, started: float, limit: float = TIMEOUT) -> float:
    """Seconds from ``started`` until a notify line starting with ``wanted`` arrives."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        try:
            message = sock.recv(4096).decode()
        except BlockingIOError:
            await asyncio.sleep(0.01)
            continue
        if any(line.startswith(wanted) for line in message.splitlines()):
            return time.monotonic() - started
    raise TimeoutError(f"no {wanted} within {limit:.0f} s")


async def memory(warmup_s: float, soak_s: float) -> None:
    use_host_addresses(["127.0.0.1"])
    async with LabNode(host="127.0.0.1", port=0, width=320, height=180, fps=10, bots=1) as node:
        with tempfile.TemporaryDirectory() as directory:
            site = Path(directory) / "site.toml"
            site.write_text(SITE.format(url=node.url))
            # the process start as systemd sees it after a watchdog kill: to READY=1, to in call
            notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
            notify.bind(str(Path(directory) / "notify.sock"))
            notify.setblocking(False)
            launched = time.monotonic()
            child = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "appliance.cli",
                "run",
                "--site",
                str(site),
                "--log-level",
                "warning",
                stdout=asyncio.subprocess.DEVNULL,
                env={**os.environ, "NOTIFY_SOCKET": str(Path(directory) / "notify.sock")},
            )
            process = psutil.Process(child.pid)
            try:
                ready = await _notified(notify, "READY=1", launched)
                joined = await _notified(notify, "STATUS=in-call", launched)
                await asyncio.sleep(warmup_s)
                samples: list[tuple[float, float]] = []
                started = time.monotonic()
                while time.monotonic() - started < soak_s:
                    samples.append((time.monotonic() - started, process.memory_info().rss / MIB))
                    await asyncio.sleep(min(10.0, max(1.0, soak_s / 60)))
                samples.append((time.monotonic() - started, process.memory_info().rss / MIB))
                in_call = len(node.conference("meet").members) >= 2
            finally:
                child.terminate()
                await child.wait()
                notify.close()
    first, last = samples[0][1], samples[-1][1]
    half = [rss for at, rss in samples if at >= soak_s / 2]
    print(f"daemon memory (appliance run in a video call; warm-up {warmup_s:.0f} s, soak {soak_s:.0f} s)")
    print(f"  process start -> READY=1 {ready:.2f} s, -> in call {joined:.2f} s (watchdog restart cost)")
    print(f"  still in the call at the end: {in_call}")
    peak = max(rss for _, rss in samples)
    print(f"  RSS after warm-up {first:.1f} MiB, at the end {last:.1f} MiB, peak {peak:.1f} MiB")
    drift = last - first
    second = half[-1] - half[0]
    print(f"  drift {drift:+.1f} MiB ({drift / 5.0:.2f}x of the 5 MB target); second half {second:+.1f} MiB")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="bench daemon", description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="runs per fault class (default 5)")
    parser.add_argument("--long", action="store_true", help="soak the memory for an hour")
    parser.add_argument(
        "--soak-seconds", type=float, default=None, help="soak length (default 90 s, 3600 with --long)"
    )
    parser.add_argument("--skip-recovery", action="store_true")
    parser.add_argument("--skip-memory", action="store_true")
    args = parser.parse_args(argv)
    soak = args.soak_seconds if args.soak_seconds is not None else (3600.0 if args.long else 90.0)
    if not args.skip_recovery:
        asyncio.run(recovery(args.runs))
        for kind in ("video", "audio"):
            asyncio.run(device_replug(kind, args.runs))
    if not args.skip_memory:
        asyncio.run(memory(warmup_s=60.0 if args.long else 20.0, soak_s=soak))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
