"""The demo: the built-in lab node with bots, and the appliance joining it with real media.

This is the product's main job end to end on a machine with no Pexip node,
no camera and no screen: a lab node starts in-process with synthetic
participants, the appliance joins its ``meet`` room through the PexRTC
facade (exactly as a ported PexRTC application would) with the hardware
profile's capture devices (FFmpeg test sources for ``ci-virtual``), media
flows both ways, and the composed stream the node sends back is decoded,
counted and, on request, written out as PNG files. The last line printed is
a JSON summary that tests and people can read.

The window (when a display exists) is not here: services do not import the
UI layer. :mod:`appliance.ui.demo_cli` passes a frame hook in.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import av

from appliance.config.profile import HwProfile, load_profile
from appliance.errors import ApplianceError
from appliance.infinity.events import Event
from appliance.infinity.registration import (
    Registered,
    Registration,
    RegistrationCredentials,
    RegistrationLost,
)
from appliance.labnode.app import LabNode
from appliance.labnode.state.registrar import ROOM_1_PASSWORD
from appliance.log import get_logger
from appliance.media.ice import use_host_addresses
from appliance.media.sinks import DisplayFrame
from appliance.pexrtc.facade import PexRTC
from appliance.pexrtc.media import MediaOutputs
from appliance.services.devices import capture_device, install_profile_codecs, playback_output

log = get_logger(__name__)

FrameHook = Callable[[DisplayFrame], None]
DEMO_BANDWIDTH_KBPS = 1280  # PexRTC's default, both directions


@dataclass(frozen=True, slots=True)
class DemoOptions:
    seconds: float | None = 20.0  # None: until cancelled (Ctrl-C)
    bots: int = 3
    room: str = "meet"
    display_name: str = "Demo appliance"
    profile: str = "ci-virtual"
    screenshots: Path | None = None
    screenshot_every_s: float = 2.0
    node_url: str | None = None  # join an external node instead of starting one
    join_timeout_s: float = 20.0


@dataclass(slots=True)
class DemoSummary:
    """The demo's result; its JSON form is the last line the demo prints."""

    joined: bool = False
    frames_received: int = 0
    participants_seen: int = 0
    first_frame_ms: float | None = None
    decoder: str | None = None
    resolution: list[int] | None = None
    screenshots: list[str] = field(default_factory=list)
    node: str = ""
    room: str = ""
    profile: str = ""
    error: str | None = None
    # the appliance's device alias registered for incoming calls (docs/being-called.md);
    # the demo registers the lab node's built-in room-1, and nothing on another node
    registered: bool = False

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


class PngWriter:
    """Writes display frames as PNG through PyAV's encoder (no imaging library needed)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)
        self.written: list[Path] = []

    def write(self, frame: av.VideoFrame) -> Path:
        rgb = frame.reformat(format="rgb24")
        codec = av.CodecContext.create("png", "w")
        codec.width, codec.height, codec.pix_fmt = rgb.width, rgb.height, "rgb24"
        data = b"".join(bytes(packet) for packet in codec.encode(rgb))
        path = self.directory / f"frame-{len(self.written) + 1:03d}.png"
        path.write_bytes(data)
        self.written.append(path)
        return path


async def run_demo(
    options: DemoOptions, on_frame: FrameHook | None = None, summary: DemoSummary | None = None
) -> DemoSummary:
    """Run the demo, filling ``summary`` as it goes (so a cancelled demo still reports).

    Never raises for a failed join or a call without video: the summary's
    ``joined``, ``frames_received`` and ``error`` say what happened.
    """
    profile = load_profile(options.profile)
    install_profile_codecs(profile)
    summary = summary if summary is not None else DemoSummary()
    summary.room, summary.profile = options.room, profile.name
    async with contextlib.AsyncExitStack() as stack:
        if options.node_url is None:
            # Node and appliance share this machine: keep ICE on loopback.
            use_host_addresses(["127.0.0.1"])
            node = await stack.enter_async_context(LabNode(host="127.0.0.1", port=0, bots=options.bots))
            node_url = node.url
        else:
            node_url = options.node_url
        summary.node = node_url
        if options.node_url is None:
            await _register(stack, node_url, summary)
        await _join_and_watch(options, profile, node_url, summary, on_frame)
    return summary


async def _register(stack: contextlib.AsyncExitStack, node_url: str, summary: DemoSummary) -> None:
    """Register the lab node's ``room-1`` for the demo's length; ``summary.registered`` follows it."""
    registration = Registration(node_url, "room-1", RegistrationCredentials("room-1", ROOM_1_PASSWORD))

    def follow(event: Event) -> None:
        if isinstance(event, (Registered, RegistrationLost)):
            summary.registered = registration.registered

    registration.subscribe(follow)
    stack.push_async_callback(registration.close)
    registration.start()


async def _join_and_watch(
    options: DemoOptions,
    profile: HwProfile,
    node_url: str,
    summary: DemoSummary,
    on_frame: FrameHook | None,
) -> None:
    loop = asyncio.get_running_loop()
    connected: asyncio.Future[Any] = loop.create_future()
    seen: set[str] = set()

    display = profile.display
    outputs = MediaOutputs(
        audio_output=playback_output(profile.audio_playback), display_size=(display.width, display.height)
    )
    rtc = PexRTC(outputs=outputs)
    rtc.video_source = capture_device("video", profile.video_capture)
    rtc.audio_source = capture_device("audio", profile.audio_capture)

    def on_setup(stream: Any, pin_status: Any, *_: Any) -> None:
        rtc.connect(None)

    def on_connect(stream: Any) -> None:
        if stream is not None and getattr(stream, "video", None) is not None and not connected.done():
            connected.set_result(stream)

    def on_error(err: Any) -> None:
        if not connected.done():
            connected.set_exception(ApplianceError(f"the call failed: {err}"))
        log.error("demo call failed", extra={"context": {"error": str(err)}})

    def on_participant(participant: Any) -> None:
        if isinstance(participant, dict) and participant.get("uuid"):
            seen.add(participant["uuid"])

    rtc.onSetup = on_setup
    rtc.onConnect = on_connect
    rtc.onError = on_error
    rtc.onParticipantCreate = on_participant
    rtc.onParticipantUpdate = on_participant

    started = time.monotonic()
    rtc.makeCall(node_url, options.room, options.display_name, DEMO_BANDWIDTH_KBPS, "video")
    try:
        try:
            async with asyncio.timeout(options.join_timeout_s):
                stream = await connected
        except TimeoutError:
            summary.error = f"not connected after {options.join_timeout_s:.0f} s"
            return
        except ApplianceError as exc:
            summary.error = str(exc)
            return
        summary.joined = True
        log.info("demo joined", extra={"context": {"node": node_url, "room": options.room}})
        try:
            await _watch(options, stream.video, started, summary, on_frame)
        except TimeoutError:
            summary.error = f"no video frame within {options.join_timeout_s:.0f} s of connecting"
    finally:
        summary.participants_seen = len(seen)
        with contextlib.suppress(Exception):
            await rtc.disconnect()


async def _watch(
    options: DemoOptions,
    sink: Any,
    started: float,
    summary: DemoSummary,
    on_frame: FrameHook | None,
) -> None:
    writer = PngWriter(options.screenshots) if options.screenshots else None
    async with asyncio.timeout(options.join_timeout_s):
        await sink.frame_arrived.wait()
    summary.first_frame_ms = round((time.monotonic() - started) * 1000.0, 1)
    deadline = None if options.seconds is None else time.monotonic() + options.seconds
    next_shot = time.monotonic() + 1.0  # let the first layout settle before the first picture
    while deadline is None or time.monotonic() < deadline:
        frame: DisplayFrame | None = await asyncio.to_thread(sink.slot.take, 0.25)
        stats = sink.stats
        summary.frames_received = stats.frames
        summary.decoder = stats.decoder or summary.decoder
        if stats.resolution:
            summary.resolution = list(stats.resolution)
        if frame is None:
            continue
        if on_frame is not None:
            on_frame(frame)
        if writer is not None and time.monotonic() >= next_shot:
            summary.screenshots.append(str(writer.write(frame.source_frame)))
            next_shot = time.monotonic() + options.screenshot_every_s
