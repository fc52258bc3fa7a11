"""Media engine benchmarks: ratios measured in one run against raw PyAV, never asserted.

(a) receive: RTP in -> depacketised -> decoded -> ready for display, vs raw decode
(b) send: encode cost per 720p frame, ours and aiortc's stock H.264, vs raw x264 ultrafast
(c) first remote frame from PexRTC makeCall (and, engine only, from MediaCall.start) via the lab node
(d) one-way latency on loopback at 360p, video and audio, p50, aiortc's receive buffers then ours
(e) CPU of a 720p30 send+receive call, ours next to aiortc's stock codec settings
(f) echo cancellation: ERLE in dB on a simulated echo path, and its CPU cost

``python -m bench --only media`` (fast, < 2 min); ``-- --long`` for longer windows.
"""

from __future__ import annotations

import argparse
import asyncio
import fractions
import functools
import os
import statistics
import time
from collections.abc import Callable
from typing import Any

import av
import numpy as np
import psutil
from aiortc import RTCBundlePolicy, RTCPeerConnection, RTCSessionDescription
from aiortc.codecs import depayload
from aiortc.codecs.h264 import H264Encoder
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack
from aiortc.rtcrtpparameters import RTCRtpCodecParameters
from aiortc.rtp import RtpPacket
from aiortc.sdp import candidate_from_sdp

from appliance.media.encoders import (
    CodecSettings,
    EncoderBudget,
    RealtimeH264Encoder,
    install_codecs,
    uninstall_codecs,
)
from appliance.media.engine import MediaCall
from appliance.media.ice import rtc_configuration, use_host_addresses
from appliance.media.jitter import install_receive_tuning, uninstall_receive_tuning
from appliance.media.plan import MediaSettings
from appliance.media.processing import CHUNK, AudioProcessor, ProcessingSettings, erle_db
from appliance.media.signalling import CallAnswer
from appliance.media.sinks import VideoSink
from appliance.media.sources import DeviceSpec, open_capture

H264 = RTCRtpCodecParameters(mimeType="video/H264", clockRate=90000, payloadType=102)
BITRATE = 1_500_000
NO_PROCESSING = ProcessingSettings(False, False, False)


def clip_frames(width: int, height: int, count: int) -> list[av.VideoFrame]:
    """Call-like frames: moving test pattern plus per-frame sensor grain."""
    source = av.open(f"testsrc2=size={width}x{height}:rate=30,noise=alls=12:allf=t", format="lavfi")
    try:
        frames = []
        for index, decoded in zip(range(count), source.decode(video=0), strict=False):
            frame = decoded.reformat(format="yuv420p")
            frame.pts, frame.time_base = index * 3000, fractions.Fraction(1, 90000)
            frames.append(frame)
        return frames
    finally:
        source.close()


def raw_x264(width: int, height: int, preset: str = "ultrafast") -> Any:
    context: Any = av.CodecContext.create("libx264", "w")
    context.width, context.height, context.pix_fmt = width, height, "yuv420p"
    context.time_base, context.framerate = fractions.Fraction(1, 30), fractions.Fraction(30, 1)
    context.bit_rate = BITRATE
    context.options = {"preset": preset, "tune": "zerolatency", "level": "31"}
    context.profile = "Baseline"
    return context


def rtp_packets(frames: list[av.VideoFrame]) -> tuple[list[bytes], list[bytes]]:
    """(access units, serialised RTP packets) of an H.264 stream, as aiortc would send them."""
    # like the shared media notes' clips: x264 faster + zerolatency, Constrained Baseline
    encoder = raw_x264(frames[0].width, frames[0].height, "faster")
    units, packets, sequence = [], [], 0
    for index, frame in enumerate(frames):
        unit = b"".join(bytes(p) for p in encoder.encode(frame))
        if not unit:
            continue
        units.append(unit)
        payloads = H264Encoder._packetize(H264Encoder._split_bitstream(unit))
        for position, payload in enumerate(payloads):
            packet = RtpPacket(payload_type=102, sequence_number=sequence & 0xFFFF, timestamp=index * 3000)
            packet.ssrc, packet.payload, packet.marker = 1234, payload, int(position == len(payloads) - 1)
            packets.append(packet.serialize())
            sequence += 1
    return units, packets


def decode_raw(units: list[bytes]) -> int:
    decoder: Any = av.CodecContext.create("h264", "r")
    return sum(len(decoder.decode(av.Packet(unit))) for unit in units)


def receive_pipeline(packets: list[bytes], sink: VideoSink, show: Callable[[], None] | None) -> int:
    """aiortc's receive path without sockets: parse, depayload, jitter buffer, our decoder, our sink.

    Decoder and jitter buffer are looked up as ``RTCRtpReceiver`` does, so
    whatever :func:`install_codecs` installed is what is measured.
    """
    import aiortc.rtcrtpreceiver as receiver

    decoder = receiver.get_decoder(H264)
    jitter = receiver.JitterBuffer(capacity=512, is_video=True)
    decoded = 0
    for data in [*packets, b""]:
        if data:
            packet = RtpPacket.parse(data)
            packet._data = depayload(H264, packet.payload)  # type: ignore[attr-defined]
        else:  # a last packet of a next frame releases the final frame, as on the wire
            packet = RtpPacket(payload_type=102, sequence_number=(len(packets)) & 0xFFFF, timestamp=1 << 30)
            packet._data = b"\x00"  # type: ignore[attr-defined]
        _, encoded = jitter.add(packet)
        if encoded is None:
            continue
        for frame in decoder.decode(encoded):
            sink.deliver(frame)
            if show is not None:
                show()
            decoded += 1
    return decoded


def pygame_window(width: int, height: int) -> tuple[Callable[[VideoSink], Callable[[], None]], str]:
    """A dummy-driver window and a 'show the newest frame' step: the product's window drawing, then flip."""
    os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
    import pygame

    from appliance.ui.window import draw_frame

    pygame.display.init()
    surface = pygame.display.set_mode((width, height))
    masks = surface.get_masks()
    pixel_format = "bgra" if masks[0] == 0xFF0000 else "rgba"

    def shower(sink: VideoSink) -> Callable[[], None]:
        def show() -> None:
            shown = sink.slot.take_nowait()
            if shown is None:
                return
            draw_frame(pygame, surface, shown)  # what VideoWindow's SDL thread does per frame
            pygame.display.flip()

        return show

    return shower, pixel_format


def _timed(work: Callable[[], int]) -> tuple[float, float]:
    """(frames per wall second, frames per CPU second) of ``work``.

    The CPU figure is what the ratios are quoted on: the build machine is
    shared, and another tenant's load moves wall time but not our CPU time.
    """
    wall, cpu = time.perf_counter(), time.process_time()
    frames = work()
    return frames / (time.perf_counter() - wall), frames / (time.process_time() - cpu)


def bench_receive(pairs: int, count: int) -> None:
    frames = clip_frames(1280, 720, count)
    units, packets = rtp_packets(frames)
    shower, pixel_format = pygame_window(1280, 720)
    ratios: dict[str, list[tuple[float, float]]] = {"plain": [], "shown": []}
    for index in range(pairs):
        plain_sink = VideoSink("main", convert=False)
        shown_sink = VideoSink("main", pixel_format=pixel_format)
        show = shower(shown_sink)
        runs = {
            "raw": functools.partial(decode_raw, units),
            "plain": functools.partial(receive_pipeline, packets, plain_sink, None),
            "shown": functools.partial(receive_pipeline, packets, shown_sink, show),
        }
        order = list(runs) if index % 2 == 0 else list(reversed(runs))
        results = {name: _timed(runs[name]) for name in order}
        raw_wall, raw_cpu = results["raw"]
        for name in ("plain", "shown"):
            wall, cpu = results[name]
            ratios[name].append((wall / raw_wall, cpu / raw_cpu))
    print(
        f"(a) receive 720p H.264, {len(units)} frames, {pairs} pairs; fps ratio to raw PyAV decode (median):"
    )
    for name, label, target in (
        ("plain", "RTP -> depacketise -> decode -> slot:        ", "0.9"),
        ("shown", "... + bgra into pygame window + flip:        ", "0.65"),
    ):
        wall = statistics.median(r[0] for r in ratios[name])
        cpu = statistics.median(r[1] for r in ratios[name])
        print(f"    {label} CPU {cpu:.2f}, wall {wall:.2f} (target >= {target})")


def bench_send(pairs: int, count: int) -> None:
    frames = clip_frames(1280, 720, count)
    ours, stock = [], []
    for _ in range(pairs):
        raw = raw_x264(1280, 720)
        started = time.process_time()
        for frame in frames:
            raw.encode(frame)
        raw_cpu = time.process_time() - started
        encoder = RealtimeH264Encoder("libx264", CodecSettings(), EncoderBudget())
        encoder.target_bitrate = BITRATE
        started = time.process_time()
        for frame in frames:
            encoder.encode(frame)
        ours.append((time.process_time() - started) / raw_cpu)
        aiortc_encoder = H264Encoder()
        aiortc_encoder.target_bitrate = BITRATE
        started = time.process_time()
        for frame in frames:
            aiortc_encoder.encode(frame)
        stock.append((time.process_time() - started) / raw_cpu)
    print(
        f"(b) send 720p H.264 at {BITRATE // 1000} kbit/s, CPU per frame vs raw x264 ultrafast+zerolatency:"
    )
    print(f"    ours (encode + packetise):        {statistics.median(ours):.2f}  (target <= 1.2)")
    print(f"    aiortc stock (x264 medium):       {statistics.median(stock):.2f}")


class StampedVideo(MediaStreamTrack):  # type: ignore[misc]
    """Paced frames with a 16-bit counter in luma blocks; records when each left for the encoder."""

    kind = "video"

    def __init__(self, width: int, height: int, fps: int = 30) -> None:
        super().__init__()
        self.size, self.fps = (width, height), fps
        self.sent: dict[int, float] = {}
        self._base = clip_frames(width, height, 1)[0].to_ndarray()
        self._count = 0
        self._start: float | None = None

    async def recv(self) -> av.VideoFrame:
        self._start = self._start or time.monotonic()
        self._count += 1
        await asyncio.sleep(max(0.0, self._start + self._count / self.fps - time.monotonic()))
        image = self._base.copy()
        for bit in range(16):
            image[0:16, bit * 16 : bit * 16 + 16] = 235 if (self._count >> bit) & 1 else 16
        frame = av.VideoFrame.from_ndarray(image, format="yuv420p")
        frame.pts, frame.time_base = self._count * (90000 // self.fps), fractions.Fraction(1, 90000)
        self.sent[self._count & 0xFFFF] = time.monotonic()
        return frame


def read_stamp(frame: av.VideoFrame) -> int:
    plane = frame.planes[0]
    luma = np.frombuffer(plane, dtype=np.uint8).reshape(-1, plane.line_size)
    return sum(1 << bit for bit in range(16) if luma[4:12, bit * 16 + 4 : bit * 16 + 12].mean() > 128)


class Beeps(MediaStreamTrack):  # type: ignore[misc]
    """Silence with a 20 ms beep every 500 ms; records when each beep left for the encoder."""

    kind = "audio"

    def __init__(self) -> None:
        super().__init__()
        self.sent: list[float] = []
        self._index = 0
        self._start: float | None = None

    async def recv(self) -> av.AudioFrame:
        self._start = self._start or time.monotonic()
        await asyncio.sleep(max(0.0, self._start + self._index * 0.02 - time.monotonic()))
        beep = self._index % 25 == 0
        samples = np.zeros(960, dtype=np.int16)
        if beep:
            samples[:] = (12000 * np.sin(2 * np.pi * 1000 * np.arange(960) / 48000)).astype(np.int16)
            self.sent.append(time.monotonic())
        frame = av.AudioFrame.from_ndarray(samples.reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate, frame.pts, frame.time_base = 48000, self._index * 960, fractions.Fraction(1, 48000)
        self._index += 1
        return frame


class LoopbackAnswerer:
    """A plain-aiortc far end for the benchmark, speaking the engine's CallSignalling."""

    def __init__(self, send: list[MediaStreamTrack], on_frame: Callable[[str, Any], None]) -> None:
        self._send = send
        self._on_frame = on_frame
        self.pc: RTCPeerConnection | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    async def create_call(
        self, sdp: str, *, present: str | None = None, media_type: str = "video"
    ) -> CallAnswer:
        configuration = rtc_configuration()
        configuration.bundlePolicy = RTCBundlePolicy.MAX_BUNDLE
        pc = self.pc = RTCPeerConnection(configuration=configuration)

        @pc.on("track")
        def on_track(track: MediaStreamTrack) -> None:
            task = asyncio.ensure_future(self._drain(track))
            self._tasks.add(task)

        await pc.setRemoteDescription(RTCSessionDescription(sdp=sdp, type="offer"))
        for transceiver in pc.getTransceivers()[:2]:
            track = next((t for t in self._send if t.kind == transceiver.kind), None)
            if track is not None:
                transceiver.sender.replaceTrack(track)
                transceiver.direction = "sendrecv"
        await pc.setLocalDescription(await pc.createAnswer())
        return CallAnswer("bench-call", pc.localDescription.sdp)

    async def _drain(self, track: MediaStreamTrack) -> None:
        try:
            while True:
                self._on_frame(track.kind, await track.recv())
        except MediaStreamError:
            return

    async def ack(self, call_uuid: str, sdp: str | None = None) -> None:
        return None

    async def new_candidate(
        self,
        call_uuid: str,
        candidate: str,
        mid: str | None,
        ufrag: str | None = None,
        pwd: str | None = None,
    ) -> None:
        assert self.pc is not None
        if not candidate:
            await self.pc.addIceCandidate(None)
            return
        parsed = candidate_from_sdp(candidate.removeprefix("candidate:"))
        parsed.sdpMid = mid
        await self.pc.addIceCandidate(parsed)

    async def update(self, call_uuid: str, sdp: str) -> str:
        raise NotImplementedError("the benchmark never renegotiates")

    async def disconnect_call(self, call_uuid: str) -> None:
        await self.close()

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        if self.pc is not None:
            await self.pc.close()


async def bench_latency(seconds: float, label: str) -> None:
    video, beeps = StampedVideo(640, 360), Beeps()
    video_ms: list[float] = []
    audio_at: list[float] = []
    loud = [False]

    def on_frame(kind: str, frame: Any) -> None:
        now = time.monotonic()
        if kind == "video":
            sent = video.sent.get(read_stamp(frame))
            if sent is not None:
                video_ms.append((now - sent) * 1000)
            return
        is_loud = float(np.abs(frame.to_ndarray()).max()) > 3000
        if is_loud and not loud[0]:
            audio_at.append(now)
        loud[0] = is_loud

    far = LoopbackAnswerer([], on_frame)
    call = MediaCall(far, MediaSettings(user_media_stream=[beeps, video], processing=NO_PROCESSING))
    await call.start()
    await asyncio.sleep(1.0 + seconds)
    await call.close()
    await far.close()
    warm = [ms for ms in video_ms[30:]]
    beep_ms = [(got - sent) * 1000 for sent, got in zip(beeps.sent, audio_at, strict=False)][2:]
    parts = [f"    {label:34s}"]
    if warm:
        p50, p95 = statistics.median(warm), float(np.percentile(warm, 95))
        parts.append(f"video 360p30 p50 {p50:5.1f} ms, p95 {p95:5.1f} ms ({len(warm)} frames);")
    if beep_ms:
        parts.append(f"audio p50 {statistics.median(beep_ms):5.1f} ms ({len(beep_ms)} beeps)")
    print(" ".join(parts))


async def facade_first_frame(node_url: str) -> tuple[float, float]:
    """One call through the PexRTC facade: ms from ``makeCall`` to onConnect, and to the first decoded frame.

    ``makeCall`` is where a room's call begins (token request, SSE, devices,
    offer, ``calls``, trickle, ``ack``); onSetup is answered with
    ``connect()`` at once, as the appliance does with no PIN.
    """
    from appliance import PexRTC

    rtc = PexRTC()
    rtc.audio_source = "sine=frequency=440:sample_rate=48000"
    rtc.video_source = "testsrc2=size=640x360:rate=30"
    connected = asyncio.Event()
    rtc.onSetup = lambda *_: rtc.connect()
    rtc.onConnect = lambda stream, *_: connected.set() if stream is not None else None
    rtc.onError = lambda reason, *_: print(f"    call failed: {reason}")
    try:
        started = time.monotonic()
        rtc.makeCall(node_url, "meet", "bench", None, "video")
        async with asyncio.timeout(20):
            await connected.wait()
            signalled = (time.monotonic() - started) * 1000
            await rtc.conference.media.call.main_video.frame_arrived.wait()
        return signalled, (time.monotonic() - started) * 1000
    finally:
        await rtc.close()


async def bench_first_frame(repeats: int) -> None:
    from appliance.infinity import InfinitySession, TokenGrant
    from appliance.labnode.app import LabNode

    firsts, signalled, facade_connect, facade_first = [], [], [], []
    async with LabNode(host="127.0.0.1", port=0) as node:
        for _ in range(repeats):
            connect_ms, first_ms = await facade_first_frame(node.url)
            facade_connect.append(connect_ms)
            facade_first.append(first_ms)
        for _ in range(repeats):
            async with InfinitySession(node.url, "meet") as session:
                outcome = await session.join("bench")
                assert isinstance(outcome, TokenGrant)
                call = MediaCall(
                    session.calls,
                    MediaSettings(
                        audio_source=DeviceSpec("audio", "lavfi", "sine=frequency=440:sample_rate=48000"),
                        video_source=DeviceSpec("video", "lavfi", "testsrc2=size=640x360:rate=30"),
                        processing=NO_PROCESSING,
                    ),
                )
                started = time.monotonic()
                await call.start()
                signalled.append((time.monotonic() - started) * 1000)
                async with asyncio.timeout(10):
                    await call.main_video.frame_arrived.wait()
                firsts.append((time.monotonic() - started) * 1000)
                await call.close()
    rows = (
        ("PexRTC makeCall -> onConnect (token, SSE, devices, calls, ack)", facade_connect),
        ("PexRTC makeCall -> first decoded remote frame", facade_first),
        ("engine only, after joining: MediaCall.start -> ack", signalled),
        ("engine only, MediaCall.start -> first decoded frame", firsts),
    )
    print(f"(c) first remote frame, lab node on loopback, {repeats} calls each, p50:")
    for label, values in rows:
        print(f"    {label + ':':<64} {statistics.median(values):.0f} ms")


async def call_cpu(seconds: float) -> float:
    """Process CPU % while our engine sends and receives 720p30 (the far end's work included)."""
    far_video = await open_capture(DeviceSpec("video", "lavfi", "testsrc2=size=1280x720:rate=30"))
    far = LoopbackAnswerer([far_video], lambda kind, frame: None)
    call = MediaCall(
        far,
        MediaSettings(
            audio_source=DeviceSpec("audio", "lavfi", "sine=frequency=440:sample_rate=48000"),
            video_source=DeviceSpec("video", "lavfi", "testsrc2=size=1280x720:rate=30,noise=alls=12:allf=t"),
            processing=NO_PROCESSING,
            bandwidth_out=None,
        ),
    )
    await call.start()
    await asyncio.sleep(2.0)
    process = psutil.Process()
    before, started = process.cpu_times(), time.monotonic()
    await asyncio.sleep(seconds)
    after, elapsed = process.cpu_times(), time.monotonic() - started
    await call.close()
    await far.close()
    far_video.stop()
    used = (after.user - before.user) + (after.system - before.system)
    return 100.0 * used / elapsed


async def bench_cpu(seconds: float) -> None:
    ours = await call_cpu(seconds)
    uninstall_codecs()
    stock = await call_cpu(seconds)
    install_codecs()
    print(
        f"(e) CPU of one 720p30 call, both ends in this process, {seconds:.0f} s window (100 % = one core):"
    )
    print(f"    ours: {ours:.0f} %   aiortc stock codec settings: {stock:.0f} %   ratio {ours / stock:.2f}")


def echo_scene(seconds: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Far end, microphone (30 ms, -6 dB echo + near end in the second half), near end alone."""
    rate, samples = 48_000, int(48_000 * seconds)

    def speech_like(seed: int) -> np.ndarray:
        rng = np.random.default_rng(seed)
        noise = np.convolve(rng.standard_normal(samples), np.ones(8) / 8, "same")
        return noise * ((np.sin(2 * np.pi * 3 * np.arange(samples) / rate + seed) > 0) * 0.8 + 0.2)

    far, near = speech_like(2) * 6000, speech_like(3) * 3000
    near[: samples // 2] = 0
    delay = int(rate * 0.03)
    echo = np.zeros(samples)
    echo[delay:] = far[:-delay] * 0.5
    return far.astype(np.int16), np.clip(echo + near, -32768, 32767).astype(np.int16), near.astype(np.int16)


def bench_echo(seconds: float) -> None:
    far, mic, near = echo_scene(seconds)
    chunk, rate = CHUNK, 48_000
    print(f"(f) echo cancellation on a simulated echo path ({seconds:.0f} s, 30 ms / -6 dB, speech-like):")
    for label, settings in (
        ("AEC only", ProcessingSettings(True, False, False, stream_delay_ms=30)),
        ("AEC + NS + AGC", ProcessingSettings(True, True, True, stream_delay_ms=30)),
    ):
        processor = AudioProcessor(settings)
        out = np.empty_like(mic)
        started = time.process_time()
        for start in range(0, len(mic) - chunk + 1, chunk):
            processor.process_render_samples(far[start : start + chunk])
            out[start : start + chunk] = processor.process_capture_samples(mic[start : start + chunk])
        per_frame = (time.process_time() - started) / (len(mic) // chunk) * 1000
        single, double = slice(2 * rate, len(mic) // 2), slice(len(mic) // 2 + rate, len(mic))
        print(
            f"    {label:15s} ERLE {erle_db(mic[single], out[single]):5.1f} dB after 2 s; "
            f"near end in double talk {-erle_db(near[double], out[double]):+.1f} dB; "
            f"{per_frame:.2f} ms CPU per 10 ms"
        )


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="bench media", description=__doc__.splitlines()[0])
    parser.add_argument("--long", action="store_true", help="more pairs and longer windows")
    args = parser.parse_args(argv)
    pairs, frames, window = (9, 300, 20.0) if args.long else (5, 150, 5.0)
    use_host_addresses(["127.0.0.1"])
    selection = install_codecs()
    print(
        f"codecs: H.264 encoder {selection.h264_encoder}, decoder {selection.h264_decoder.name}; "
        f"VP8 decoder {selection.vp8_decoder.name}"
    )
    bench_receive(pairs, frames)
    bench_send(pairs, frames // 2)
    asyncio.run(bench_first_frame(9 if args.long else 5))
    print(f"(d) one-way latency on loopback, {window:.0f} s window, receive buffers before/after:")
    uninstall_receive_tuning()
    asyncio.run(bench_latency(window, "aiortc's jitter buffers:"))
    tuning = install_receive_tuning(selection.settings.receive)
    label = f"marker release, audio prefetch {tuning.audio_prefetch}:"
    asyncio.run(bench_latency(window, label))
    asyncio.run(bench_cpu(window))
    bench_echo(12.0 if args.long else 6.0)
    return 0
