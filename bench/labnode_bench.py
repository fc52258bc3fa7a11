"""Lab node benchmark: node CPU per participant with media, and RSS drift over a soak.

Run ``.venv/bin/python -m bench --only labnode``; for an hour's soak,
``.venv/bin/python -m bench --timeout 4000 --only labnode -- --soak-only
--soak-seconds 3600`` (the runner stops a benchmark after 900 s by default).

The node is the real ``appliance labnode --bots 3`` started as a child
process; this process plays the clients, each joining ``meet`` the way a
Pexip client does (``request_token``, the ``events`` stream, ``calls`` with an
aiortc offer, ``ack``, ``refresh_token``, ``release_token``). The node's CPU
and RSS are sampled with psutil on its own process, so the clients' encoders
and decoders are never counted as the node's work (their CPU is reported
separately). Figures only, no assertions: compare runs on the same machine.
"""

from __future__ import annotations

import argparse
import asyncio
import ctypes
import fractions
import math
import signal
import statistics
import sys
import time
from contextlib import AsyncExitStack, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import av
import numpy as np
import psutil
from aiortc import RTCBundlePolicy, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

from appliance.labnode.media.mixer import Compositor, mix_key_for
from appliance.labnode.media_api import MixState
from appliance.media.ice import rtc_configuration, use_host_addresses

MIB = 1024 * 1024
AUDIO_RATE = 48000
PREFIX = "/api/client/v2/conferences"


# --- the node under test -----------------------------------------------------------


def _die_with_parent() -> None:
    """Linux: SIGTERM the node when the benchmark dies (``python -m bench`` kills it on timeout)."""
    libc = ctypes.CDLL(None, use_errno=True)
    pr_set_pdeathsig = 1
    if libc.prctl(pr_set_pdeathsig, signal.SIGTERM) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG) failed")


class NodeProcess:
    """``appliance labnode`` in a child process, on a free loopback port."""

    def __init__(self, bots: int, width: int, height: int, fps: int) -> None:
        self.args = [
            "labnode",
            "--port",
            "0",
            "--bots",
            str(bots),
            "--width",
            str(width),
            "--height",
            str(height),
            "--fps",
            str(fps),
            "--log-level",
            "warning",
        ]
        self.url = ""
        self._process: asyncio.subprocess.Process | None = None
        self.ps: psutil.Process | None = None

    async def __aenter__(self) -> NodeProcess:
        command = Path(sys.executable).with_name("appliance")
        if not command.exists():
            raise SystemExit(f"labnode bench: {command} is missing; install the project into this venv")
        self._process = await asyncio.create_subprocess_exec(
            str(command),
            *self.args,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.DEVNULL,
            preexec_fn=_die_with_parent,
        )
        assert self._process.stdout is not None
        async with asyncio.timeout(30):
            first = (await self._process.stdout.readline()).decode().strip()
        if not first.startswith("lab node listening on "):
            raise SystemExit(f"labnode bench: unexpected first line from the node: {first!r}")
        self.url = first.removeprefix("lab node listening on ")
        self.ps = psutil.Process(self._process.pid)
        asyncio.get_running_loop().create_task(self._process.stdout.read())  # keep the pipe drained
        return self

    def cpu_seconds(self) -> float:
        assert self.ps is not None
        times = self.ps.cpu_times()
        return float(times.user + times.system)

    def rss(self) -> int:
        assert self.ps is not None
        return int(self.ps.memory_info().rss)

    async def __aexit__(self, *exc: object) -> None:
        if self._process is not None and self._process.returncode is None:
            self._process.send_signal(signal.SIGTERM)
            try:
                async with asyncio.timeout(15):
                    await self._process.wait()
            except TimeoutError:
                self._process.kill()
                await self._process.wait()


# --- a client's camera and microphone ---------------------------------------------


class CameraTrack(MediaStreamTrack):
    """A moving test pattern at the node's own format, paced in real time."""

    kind = "video"

    def __init__(self, width: int, height: int, fps: int, seed: int) -> None:
        super().__init__()
        self.fps = fps
        ramp = np.linspace(0, 255, width, dtype=np.float32)
        frames = []
        for step in range(fps * 2):  # a 2-second loop, converted once
            shift = int(step * width / (fps * 2))
            rgb = np.empty((height, width, 3), dtype=np.uint8)
            rgb[:, :, 0] = np.roll(ramp, shift).astype(np.uint8)
            rgb[:, :, 1] = (seed * 70) % 256
            rgb[:, :, 2] = np.roll(ramp[::-1], shift).astype(np.uint8)
            frames.append(av.VideoFrame.from_ndarray(rgb, format="rgb24").to_ndarray(format="yuv420p"))
        self._frames = frames
        self._count = 0
        self._start: float | None = None

    async def recv(self) -> av.VideoFrame:
        loop = asyncio.get_running_loop()
        if self._start is None:
            self._start = loop.time()
        await asyncio.sleep(max(0.0, self._start + self._count / self.fps - loop.time()))
        frame = av.VideoFrame.from_ndarray(self._frames[self._count % len(self._frames)], format="yuv420p")
        frame.pts = self._count * (90000 // self.fps)
        frame.time_base = fractions.Fraction(1, 90000)
        self._count += 1
        return frame


class VoiceTrack(MediaStreamTrack):
    """A tone talking in bursts (1.5 s on, 1 s off), so voice activity moves the layout."""

    kind = "audio"

    def __init__(self, pitch: float) -> None:
        super().__init__()
        self.pitch = pitch
        self._sample = 0
        self._start: float | None = None

    async def recv(self) -> av.AudioFrame:
        loop = asyncio.get_running_loop()
        if self._start is None:
            self._start = loop.time()
        await asyncio.sleep(max(0.0, self._start + self._sample / AUDIO_RATE - loop.time()))
        n = np.arange(self._sample, self._sample + 960)
        talking = (self._sample / AUDIO_RATE) % 2.5 < 1.5
        level = 8000 if talking else 0
        data = (level * np.sin(2 * math.pi * self.pitch * n / AUDIO_RATE)).astype(np.int16)
        frame = av.AudioFrame.from_ndarray(data.reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate = AUDIO_RATE
        frame.pts = self._sample
        frame.time_base = fractions.Fraction(1, AUDIO_RATE)
        self._sample += 960
        return frame


# --- a client over the REST API ------------------------------------------------------


@dataclass
class Counters:
    frames: int = 0
    audio_frames: int = 0
    events: int = 0


class RestClient:
    """One participant: token, event stream, a WebRTC call; sends camera+voice when ``sends``."""

    def __init__(
        self, session: aiohttp.ClientSession, base: str, name: str, *, sends: bool, index: int
    ) -> None:
        self.session = session
        self.base = f"{base}{PREFIX}/meet"
        self.name = name
        self.sends = sends
        self.index = index
        self.token = ""
        self.uuid = ""
        self.call_uuid = ""
        self.counters = Counters()
        self.first_frame: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        self._tasks: list[asyncio.Task[None]] = []
        self.pc: RTCPeerConnection | None = None

    async def _post(self, path: str, body: Any = None) -> Any:
        async with self.session.post(f"{self.base}/{path}", json=body, headers={"token": self.token}) as r:
            answer = await r.json()
            if r.status != 200:
                raise RuntimeError(f"{path}: {r.status} {answer}")
            return answer["result"]

    async def join(self, width: int, height: int, fps: int) -> None:
        async with self.session.post(f"{self.base}/request_token", json={"display_name": self.name}) as r:
            result = (await r.json())["result"]
        self.token, self.uuid = result["token"], result["participant_uuid"]
        lifetime = float(result["expires"])
        self._tasks.append(asyncio.create_task(self._events()))
        self._tasks.append(asyncio.create_task(self._refresh(lifetime / 3)))
        config = rtc_configuration()
        config.bundlePolicy = RTCBundlePolicy.MAX_BUNDLE
        self.pc = RTCPeerConnection(configuration=config)
        if self.sends:
            self.pc.addTransceiver(VoiceTrack(300 + 150 * self.index), direction="sendrecv")
            self.pc.addTransceiver(CameraTrack(width, height, fps, self.index), direction="sendrecv")
        else:
            self.pc.addTransceiver("audio", direction="recvonly")
            self.pc.addTransceiver("video", direction="recvonly")
        self.pc.addTransceiver("video", direction="recvonly")
        await self.pc.setLocalDescription(await self.pc.createOffer())
        offer = self.pc.localDescription.sdp.replace("a=mid:2\r\n", "a=mid:2\r\na=content:slides\r\n")
        result = await self._post(
            f"participants/{self.uuid}/calls",
            {"call_type": "WEBRTC", "sdp": offer, "media_type": "video" if self.sends else "video-only"},
        )
        self.call_uuid = result["call_uuid"]
        await self.pc.setRemoteDescription(RTCSessionDescription(sdp=result["sdp"], type="answer"))
        await self._post(f"participants/{self.uuid}/calls/{self.call_uuid}/ack")
        for transceiver in self.pc.getTransceivers()[:2]:
            track = transceiver.receiver.track
            assert track is not None
            self._tasks.append(asyncio.create_task(self._drain(track)))

    async def _events(self) -> None:
        url = f"{self.base}/events?token={self.token}"
        async with self.session.get(url, timeout=aiohttp.ClientTimeout(total=None, sock_read=None)) as r:
            async for line in r.content:
                if line.startswith(b"event:"):
                    self.counters.events += 1

    async def _refresh(self, every: float) -> None:
        while True:
            await asyncio.sleep(every)
            self.token = (await self._post("refresh_token"))["token"]

    async def _drain(self, track: MediaStreamTrack) -> None:
        try:
            while True:
                await track.recv()
                if track.kind == "video":
                    self.counters.frames += 1
                    if not self.first_frame.done():
                        self.first_frame.set_result(time.perf_counter())
                else:
                    self.counters.audio_frames += 1
        except MediaStreamError:
            return

    async def leave(self) -> None:
        with suppress(aiohttp.ClientError, RuntimeError):
            await self._post(f"participants/{self.uuid}/calls/{self.call_uuid}/disconnect", {})
            await self._post("release_token")
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self.pc is not None:
            await self.pc.close()


# --- measurements ------------------------------------------------------------------------


@dataclass
class CpuRun:
    clients: int
    sends: bool
    node_cpu: float  # percent of one core
    bench_cpu: float  # this process: the clients' encoders and decoders
    fps: float  # composed video each client decoded


async def _cpu_window(
    node: NodeProcess, session: aiohttp.ClientSession, count: int, *, sends: bool, args: argparse.Namespace
) -> CpuRun:
    me = psutil.Process()
    clients = [
        RestClient(session, node.url, f"{'Sender' if sends else 'Viewer'} {i + 1}", sends=sends, index=i)
        for i in range(count)
    ]
    try:
        for client in clients:
            await client.join(args.width, args.height, args.fps)
        await asyncio.sleep(args.warmup)
        frames0 = sum(c.counters.frames for c in clients)
        node0, me0, wall0 = node.cpu_seconds(), me.cpu_times(), time.monotonic()
        await asyncio.sleep(args.seconds)
        node1, me1, wall1 = node.cpu_seconds(), me.cpu_times(), time.monotonic()
        wall = wall1 - wall0
        fps = (sum(c.counters.frames for c in clients) - frames0) / wall / count
        bench = (me1.user + me1.system - me0.user - me0.system) / wall * 100
        return CpuRun(count, sends, (node1 - node0) / wall * 100, bench, fps)
    finally:
        for client in clients:
            await client.leave()
        await asyncio.sleep(1.0)  # let the node close the calls before the next window


async def _idle_cpu(node: NodeProcess, seconds: float) -> float:
    node0, wall0 = node.cpu_seconds(), time.monotonic()
    await asyncio.sleep(seconds)
    return (node.cpu_seconds() - node0) / (time.monotonic() - wall0) * 100


async def _cpu_per_participant(args: argparse.Namespace) -> None:
    fmt = f"{args.width}x{args.height}@{args.fps}"
    print(
        f"node CPU, `appliance labnode --bots {args.bots}` in its own process, {fmt} composed "
        "(100 % = one core):"
    )
    async with (
        NodeProcess(args.bots, args.width, args.height, args.fps) as node,
        aiohttp.ClientSession() as s,
    ):
        await asyncio.sleep(args.warmup)
        idle = await _idle_cpu(node, args.seconds)
        print(f"  no client (bots only): node {idle:.1f} %")
        for sends in (False, True):
            kind = "sending camera+voice and receiving" if sends else "receive-only"
            for count in args.clients:
                run = await _cpu_window(node, s, count, sends=sends, args=args)
                per = (run.node_cpu - idle) / count
                print(
                    f"  {count} {kind} client(s): node {run.node_cpu:.1f} % "
                    f"(+{per:.1f} % per participant over bots only); "
                    f"clients' own encode/decode in the bench process {run.bench_cpu:.1f} %; "
                    f"composed video per client {run.fps:.1f} fps"
                )


async def _soak(args: argparse.Namespace) -> None:
    async with AsyncExitStack() as stack:
        node = await stack.enter_async_context(NodeProcess(3, args.width, args.height, args.fps))
        session = await stack.enter_async_context(aiohttp.ClientSession())
        client = RestClient(session, node.url, "Soak", sends=True, index=0)
        stack.push_async_callback(client.leave)
        await client.join(args.width, args.height, args.fps)
        await asyncio.sleep(args.warmup)
        start_rss = node.rss()
        samples = [(0.0, start_rss)]
        frames0, cpu0 = client.counters.frames, node.cpu_seconds()
        t0 = time.monotonic()
        step = max(1.0, min(10.0, args.soak_seconds / 30))
        while time.monotonic() - t0 < args.soak_seconds:
            await asyncio.sleep(step)
            samples.append((time.monotonic() - t0, node.rss()))
        elapsed = time.monotonic() - t0
        minutes = elapsed / 60
        # Growth early on is mostly warm-up (allocator arenas, codec buffers);
        # the second half's slope is the better hint of a leak.
        half_t, half_rss = next((t, r) for t, r in samples if t >= elapsed / 2)
        late_drift = (samples[-1][1] - half_rss) / MIB / max((elapsed - half_t) / 60, 1e-9)
        rss = [r for _t, r in samples]
        print(
            f"soak: `appliance labnode --bots 3` + 1 client sending camera+voice over REST/events/WebRTC, "
            f"{elapsed:.0f} s, node RSS start {start_rss / MIB:.1f} MiB, end {rss[-1] / MIB:.1f} MiB, "
            f"max {max(rss) / MIB:.1f} MiB, "
            f"drift {(rss[-1] - start_rss) / MIB / minutes:+.2f} MiB/min "
            f"(second half {late_drift:+.2f} MiB/min); "
            f"node CPU {(node.cpu_seconds() - cpu0) / elapsed * 100:.1f} %; "
            f"client decoded {(client.counters.frames - frames0) / elapsed:.1f} fps, "
            f"{client.counters.events} events"
        )


def _compose_cost(width: int, height: int, repeats: int = 200) -> dict[str, float]:
    from appliance.labnode.media.bots import BotSource

    bots = {f"b{i}": BotSource(i, f"Bot {i}") for i in range(9)}
    clock = [0.0]
    compositor = Compositor(width, height, lambda u: bots[u].video_frame(clock[0]))
    result = {}
    for view in ("1:0", "1:7", "4:0", "9:0"):
        key = mix_key_for("me", MixState(view, list(bots), {u: b.name for u, b in bots.items()}))
        start = time.process_time()
        for i in range(repeats):
            clock[0] = i / 15  # a new frame from every bot each time
            compositor.compose(key)
        result[view] = (time.process_time() - start) / repeats * 1000
    return result


async def _time_to_first_frame(args: argparse.Namespace) -> list[float]:
    """ms from request_token to the first decoded composed frame, through the node process."""
    times = []
    async with NodeProcess(1, args.width, args.height, args.fps) as node, aiohttp.ClientSession() as session:
        for i in range(args.joins):
            start = time.perf_counter()
            client = RestClient(session, node.url, f"Joiner {i}", sends=False, index=i)
            await client.join(args.width, args.height, args.fps)
            async with asyncio.timeout(15):
                first = await client.first_frame
            times.append((first - start) * 1000)
            await client.leave()
    return sorted(times)


async def _main(args: argparse.Namespace) -> None:
    use_host_addresses(["127.0.0.1"])
    if args.soak_only:
        await _soak(args)
        return
    print(f"compose cost, {args.width}x{args.height}, all tiles new each time (CPU ms per composition):")
    for view, ms in _compose_cost(args.width, args.height).items():
        print(f"  {view}: {ms:.2f} ms")
    ttff = await _time_to_first_frame(args)
    print(
        f"time to first composed frame, {len(ttff)} joins (request_token, events, calls, ICE, DTLS, "
        f"keyframe, decode): min {ttff[0]:.0f} / median {statistics.median(ttff):.0f} / max {ttff[-1]:.0f} ms"
    )
    await _cpu_per_participant(args)
    await _soak(args)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--clients", type=int, nargs="+", default=[1, 2, 4], help="client counts measured")
    parser.add_argument("--bots", type=int, default=3, help="bots in the node for the CPU figures")
    parser.add_argument("--seconds", type=float, default=10.0, help="measurement window per client count")
    parser.add_argument("--warmup", type=float, default=4.0, help="seconds after joining before measuring")
    parser.add_argument("--joins", type=int, default=5, help="joins timed for the first frame")
    parser.add_argument("--soak-seconds", type=float, default=60.0, help="soak length (3600 for an hour)")
    parser.add_argument("--soak-only", action="store_true", help="run only the soak")
    parser.add_argument("--width", type=int, default=640)
    parser.add_argument("--height", type=int, default=360)
    parser.add_argument("--fps", type=int, default=15)
    asyncio.run(_main(parser.parse_args(argv)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
