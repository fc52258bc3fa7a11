"""Lab node media benchmark: CPU per participant and memory drift over a soak.

Run ``.venv/bin/python -m bench.labnode_bench`` (``--soak-seconds 3600`` for a
long soak). Everything runs in one process on loopback: the hub and its
clients. Clients are receive-only (they decode the composed 360p stream and
the audio mix, and send nothing), so the process CPU is the node's work plus
one decoder per client; the hub's own encoder threads are also reported
alone. Figures only, no assertions: compare runs on the same machine.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import threading
import time
import uuid as uuidlib
from contextlib import AsyncExitStack

import psutil
from aiortc import RTCBundlePolicy, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

from appliance.labnode.media import AiortcMediaHub
from appliance.labnode.media_api import CallRequest, MixState
from appliance.labnode.mixer import Compositor, mix_key_for
from appliance.media.ice import rtc_configuration, use_host_addresses


class _NoEvents:
    def on_voice_activity(self, participant_uuid: str, speaking: bool) -> None:
        pass

    def on_presentation_still(self, jpeg: bytes, high_jpeg: bytes) -> None:
        pass

    def on_call_closed(self, call_uuid: str, reason: str) -> None:
        pass


class _Client:
    """A receive-only Pexip-style peer that decodes everything it is sent."""

    def __init__(self) -> None:
        config = rtc_configuration()
        config.bundlePolicy = RTCBundlePolicy.MAX_BUNDLE
        self.pc = RTCPeerConnection(configuration=config)
        self.uuid = str(uuidlib.uuid4())
        self.frames = 0
        self.first_frame = asyncio.get_running_loop().create_future()
        self._tasks: list[asyncio.Task[None]] = []
        for kind in ("audio", "video", "video"):
            self.pc.addTransceiver(kind, direction="recvonly")

    async def join(self, hub: AiortcMediaHub) -> None:
        await self.pc.setLocalDescription(await self.pc.createOffer())
        offer = self.pc.localDescription.sdp.replace("a=mid:2\r\n", "a=mid:2\r\na=content:slides\r\n")
        answer = await hub.answer(CallRequest(self.uuid, str(uuidlib.uuid4()), "Bench", offer))
        await self.pc.setRemoteDescription(RTCSessionDescription(sdp=answer, type="answer"))
        for transceiver in self.pc.getTransceivers()[:2]:
            track = transceiver.receiver.track
            assert track is not None
            self._tasks.append(asyncio.ensure_future(self._drain(track)))

    async def _drain(self, track: MediaStreamTrack) -> None:
        try:
            while True:
                await track.recv()
                if track.kind == "video":
                    self.frames += 1
                    if not self.first_frame.done():
                        self.first_frame.set_result(time.perf_counter())
        except MediaStreamError:
            return

    async def close(self) -> None:
        await self.pc.close()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)


def _thread_cpu(process: psutil.Process, prefix: str) -> float:
    ids = {t.native_id for t in threading.enumerate() if t.name.startswith(prefix)}
    return sum(t.user_time + t.system_time for t in process.threads() if t.id in ids)


async def _cpu_with_clients(count: int, seconds: float, bots: int) -> tuple[float, float, float]:
    process = psutil.Process()
    hub = AiortcMediaHub(_NoEvents())
    clients = [_Client() for _ in range(count)]
    try:
        for i in range(bots):
            hub.add_bot(f"bot-{i}", f"Bot {i}")
        for client in clients:
            await client.join(hub)
        await asyncio.sleep(3.0)  # warm-up: connect, first keyframes
        frames0 = sum(c.frames for c in clients)
        cpu0, enc0, wall0 = process.cpu_times(), _thread_cpu(process, "labnode-media"), time.monotonic()
        await asyncio.sleep(seconds)
        cpu1, enc1, wall1 = process.cpu_times(), _thread_cpu(process, "labnode-media"), time.monotonic()
        fps = (sum(c.frames for c in clients) - frames0) / (wall1 - wall0) / count
        wall = wall1 - wall0
        total = (cpu1.user + cpu1.system - cpu0.user - cpu0.system) / wall * 100
        return total, (enc1 - enc0) / wall * 100, fps
    finally:
        for client in clients:
            await client.close()
        await hub.close()


def _compose_cost(repeats: int = 200) -> dict[str, float]:
    from appliance.labnode.bots import BotSource

    bots = {f"b{i}": BotSource(i, f"Bot {i}") for i in range(9)}
    clock = [0.0]
    compositor = Compositor(640, 360, lambda u: bots[u].video_frame(clock[0]))
    result = {}
    for view in ("1:0", "1:7", "4:0", "9:0"):
        key = mix_key_for("me", MixState(view, list(bots), {u: b.name for u, b in bots.items()}))
        start = time.process_time()
        for i in range(repeats):
            clock[0] = i / 15  # a new frame from every bot each time
            compositor.compose(key)
        result[view] = (time.process_time() - start) / repeats * 1000
    return result


async def _time_to_first_frame(repeats: int) -> list[float]:
    """ms from building the client's peer connection to its first decoded composed frame."""
    times = []
    hub = AiortcMediaHub(_NoEvents())
    try:
        hub.add_bot("bot-0", "Bot 0")
        for _ in range(repeats):
            start = time.perf_counter()
            client = _Client()
            await client.join(hub)
            async with asyncio.timeout(10):
                first = await client.first_frame
            times.append((first - start) * 1000)
            await client.close()
    finally:
        await hub.close()
    return sorted(times)


async def _soak(seconds: float, bots: int) -> None:
    process = psutil.Process()
    hub = AiortcMediaHub(_NoEvents())
    client = _Client()
    async with AsyncExitStack() as stack:
        stack.push_async_callback(hub.close)
        stack.push_async_callback(client.close)
        for i in range(bots):
            hub.add_bot(f"bot-{i}", f"Bot {i}")
        await client.join(hub)
        await asyncio.sleep(5.0)
        start_rss = process.memory_info().rss
        samples = [start_rss]
        t0 = time.monotonic()
        step = max(1.0, min(10.0, seconds / 12))
        while time.monotonic() - t0 < seconds:
            await asyncio.sleep(step)
            samples.append(process.memory_info().rss)
        minutes = (time.monotonic() - t0) / 60
        mib = 1024 * 1024
        print(
            f"soak {bots} bots + 1 client, {minutes * 60:.0f} s: RSS start {start_rss / mib:.1f} MiB, "
            f"end {samples[-1] / mib:.1f} MiB, max {max(samples) / mib:.1f} MiB, "
            f"drift {(samples[-1] - start_rss) / mib / minutes:+.2f} MiB/min, "
            f"client video {client.frames / (minutes * 60 + 5):.1f} fps"
        )


async def _main(args: argparse.Namespace) -> None:
    use_host_addresses(["127.0.0.1"])
    print("compose cost, 640x360, all tiles new each time (CPU ms per composition):")
    for view, ms in _compose_cost().items():
        print(f"  {view}: {ms:.2f} ms")
    ttff = await _time_to_first_frame(args.joins)
    print(
        f"time to first composed frame, {len(ttff)} joins (offer, answer, ICE, DTLS, keyframe, decode): "
        f"min {ttff[0]:.0f} / median {statistics.median(ttff):.0f} / max {ttff[-1]:.0f} ms"
    )
    print(f"node CPU with {args.bots} bots, receive-only clients, 360p15 composed (100 % = one core):")
    baseline = None
    for count in args.clients:
        total, encoders, fps = await _cpu_with_clients(count, args.seconds, args.bots)
        baseline = baseline if baseline is not None else total / count
        print(
            f"  {count} client(s): process {total:.1f} %, hub encoder threads {encoders:.1f} %, "
            f"{total / count:.1f} % per client, per-client video {fps:.1f} fps"
        )
    await _soak(args.soak_seconds, 3)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--bots", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=10.0, help="measurement window per client count")
    parser.add_argument("--joins", type=int, default=7, help="joins timed for the first frame")
    parser.add_argument("--soak-seconds", type=float, default=30.0)
    asyncio.run(_main(parser.parse_args()))


if __name__ == "__main__":
    main()
