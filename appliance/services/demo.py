"""The demo's stage: the built-in lab node with bots, and the room controller set up to join it.

The demo is the product end to end on a machine with no Pexip node, no
camera and no screen: a lab node starts in-process with synthetic
participants, a :class:`~appliance.services.controller.RoomController` is
built for it from a site configuration made here (the hardware profile's
capture devices: FFmpeg test sources for ``ci-virtual``), and the kiosk
(:mod:`appliance.ui.demo_cli`; services never import the UI) drives the room
through the room interface alone, as on a device.

:class:`DemoStage` is what the kiosk side holds: the room (a
:class:`DemoRoom`, the controller with its pictures counted for the
summary), the summary itself, and the lab node's puppet strings for the
scripted tour (a bot chats, a bot presents, a Host mutes us), which work on
the in-process node only.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from appliance.config.profile import load_profile
from appliance.config.site import ConferenceConfig, JoinPolicy, NodeConfig, RejoinPolicy, SiteConfig
from appliance.errors import ApplianceError
from appliance.infinity.events import Event
from appliance.infinity.registration import (
    Registered,
    Registration,
    RegistrationCredentials,
    RegistrationLost,
)
from appliance.log import get_logger
from appliance.media.ice import use_host_addresses
from appliance.services import room_api as api
from appliance.services.controller import RoomController
from appliance.services.pictures import SlotPictures

if TYPE_CHECKING:
    # imported where a node is started: a demo joining another node (``--node``, the ui
    # bench's like-for-like run) is the product alone, without the lab node's web server
    from appliance.labnode.app import LabNode

log = get_logger(__name__)

DEMO_BANDWIDTH_KBPS = 1280  # PexRTC's default, both directions


@dataclass(frozen=True, slots=True)
class DemoOptions:
    seconds: float | None = 20.0  # None: until cancelled (Ctrl-C)
    bots: int = 3
    room: str = "meet"
    display_name: str = "Demo appliance"
    room_name: str = "Demo room"
    profile: str = "ci-virtual"
    node_url: str | None = None  # join an external node instead of starting one
    join_timeout_s: float = 20.0
    language: str = "en"
    auto_join: bool = True  # the tour joins by a key press instead


@dataclass(slots=True)
class DemoSummary:
    """The demo's result; its JSON form is the last line the demo prints."""

    joined: bool = False
    frames_received: int = 0
    participants_seen: int = 0
    first_frame_ms: float | None = None
    decoder: str | None = None
    resolution: list[int] | None = None
    frames_drawn: int = 0
    frames_dropped: int = 0
    pictures_shown: int = 0
    draw_ms_mean: float | None = None
    display_path: str = ""
    screens_visited: list[str] = field(default_factory=list)
    screenshots: list[str] = field(default_factory=list)
    node: str = ""
    room: str = ""
    profile: str = ""
    error: str | None = None
    # the appliance's device alias registered for incoming calls (docs/being-called.md);
    # the demo registers the lab node's built-in room-1, and nothing on another node
    registered: bool = False
    # the microphone array's SpeechDirection events (ci-virtual: the virtual meeting room)
    speech_directions: int = 0
    last_direction_deg: float | None = None
    # the PTZ camera at the end: answering, and (ci-virtual's fake VISCA camera, whose view
    # is the picture we send) its [pan, tilt, zoom], which speaker tracking turns to the talker
    ptz_camera: bool = False
    camera_position: list[int] | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


class CountingPictures:
    """The controller's picture feed, counted: first picture, decoder and size for the summary."""

    def __init__(self, feed: SlotPictures) -> None:
        self.feed = feed
        self.first_main: float | None = None  # monotonic time of the first main picture taken
        self.decoder: str | None = None
        self.resolution: tuple[int, int] | None = None

    def latest(self, stream: str) -> api.Picture | None:
        picture = self.feed.latest(stream)
        if picture is not None and stream == "main":
            if self.first_main is None:
                self.first_main = time.monotonic()
            source = getattr(picture, "source_frame", None)
            if source is not None:
                self.resolution = (source.width, source.height)
                self.decoder = getattr(source.opaque, "decoder", None) or self.decoder
        return picture

    @property
    def frames_received(self) -> int:
        """Decoded main-stream frames handed to the display slot (shown or replaced)."""
        slot = self.feed.slots["main"]
        return slot.delivered + slot.dropped


class DemoRoom:
    """The controller as the kiosk sees it (a :class:`~room_api.Room`), pictures counted."""

    def __init__(self, controller: RoomController) -> None:
        self.controller = controller
        self._pictures = CountingPictures(controller.pictures)

    @property
    def state(self) -> api.RoomState:
        return self.controller.state

    @property
    def pictures(self) -> CountingPictures:
        return self._pictures

    async def submit(self, command: api.RoomCommand) -> api.CommandResult:
        return await self.controller.submit(command)

    def subscribe(self, maxsize: int = 256) -> AsyncIterator[api.RoomEvent]:
        return self.controller.subscribe(maxsize)


def demo_site(options: DemoOptions, node_url: str, *, speaker_tracking: bool = False) -> SiteConfig:
    """The site configuration a room joining the demo's node would have (no file: nothing secret).

    ``speaker_tracking``: the camera follows the talker (where the profile has seat zones,
    as ``ci-virtual`` does: the demo shows the camera turning to the virtual room's talker).
    """
    return SiteConfig(
        file=Path("<demo>"),
        profile=options.profile,
        node=NodeConfig(url=node_url),
        conference=ConferenceConfig(
            alias=options.room,
            display_name=options.display_name,
            bandwidth_in=DEMO_BANDWIDTH_KBPS,
            bandwidth_out=DEMO_BANDWIDTH_KBPS,
        ),
        join=JoinPolicy(auto_join=options.auto_join, rejoin=RejoinPolicy.ON_ERROR, max_attempts=1),
        room_name=options.room_name,
        language=options.language,
        speaker_tracking=speaker_tracking,
    )


class DemoStage:
    """The running demo: the room, the summary, and (in-process node only) the tour's puppet strings."""

    def __init__(self, options: DemoOptions, node: LabNode | None, node_url: str) -> None:
        self.options = options
        self.node = node
        self.summary = DemoSummary(node=node_url, room=options.room)
        profile = load_profile(options.profile)
        self.summary.profile = profile.name
        self.profile = profile
        site = demo_site(options, node_url, speaker_tracking=profile.tracking is not None)
        self.controller = RoomController(site, profile)
        self.room = DemoRoom(self.controller)
        self.join_started: float | None = None
        self.expect_error = False  # the tour provokes an error on purpose: not the demo's failure
        self._seen: set[str] = set()
        self._changed = asyncio.Event()
        self._watcher: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Start the room (it joins by itself when ``auto_join``) and follow its roster."""
        self._watcher = asyncio.get_running_loop().create_task(self._watch(), name="demo-watch")
        await self.controller.start()

    async def stop(self) -> None:
        if self._watcher is not None:
            self._watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._watcher
        hardware = self.controller.hardware  # noted before it stops
        self.summary.ptz_camera = hardware.fecc_supported
        if hardware.ptz is not None and hardware.ptz.fake is not None:
            self.summary.camera_position = list(hardware.ptz.fake.position())
        await self.controller.stop()

    async def _watch(self) -> None:
        async for event in self.controller.subscribe():
            if isinstance(event, api.StateChanged):
                new, old_call = event.new, event.old.call
                self._seen.update(p.uuid for p in new.participants)
                # first_frame_ms counts from the room starting to join (the tour: after the PIN)
                if new.call is api.CallState.JOINING and (
                    self.join_started is None or old_call is api.CallState.PIN_REQUIRED
                ):
                    self.join_started = time.monotonic()
                if new.call is api.CallState.IN_CALL:
                    self.summary.joined = True
                if new.error is not None and not self.expect_error:
                    self.summary.error = new.error.message
            elif isinstance(event, api.SpeechDirection):
                self.summary.speech_directions += 1
                self.summary.last_direction_deg = round(event.azimuth_deg, 1)
            self._changed.set()

    async def wait_for(self, predicate: Callable[[api.RoomState], bool], timeout_s: float) -> api.RoomState:
        """Wait until the room's state satisfies ``predicate``.

        TimeoutError names the state the room stayed in; a room that stops in
        ERROR on the way raises :class:`ApplianceError` with its reason at once.
        """
        try:
            async with asyncio.timeout(timeout_s):
                while not predicate(state := self.controller.state):
                    if state.call is api.CallState.ERROR:
                        reason = state.error.message if state.error else "no reason given"
                        raise ApplianceError(f"the room stopped in error: {reason}")
                    self._changed.clear()
                    await self._changed.wait()
        except TimeoutError:
            raise TimeoutError(
                f"room stayed {self.controller.state.call.value} for {timeout_s:.0f} s"
            ) from None
        return self.controller.state

    async def wait_first_frame(self, timeout_s: float) -> None:
        """Wait until the kiosk has taken a first picture of the main stream."""
        async with asyncio.timeout(timeout_s):
            while self.room.pictures.first_main is None:  # noqa: ASYNC110 - counted on the SDL thread
                await asyncio.sleep(0.05)
        self.update_summary()  # first_frame_ms now, before a later join moves join_started

    def update_summary(self) -> DemoSummary:
        summary = self.summary
        pictures = self.room.pictures
        summary.participants_seen = len(self._seen)
        summary.frames_received = pictures.frames_received
        summary.decoder = pictures.decoder or summary.decoder
        if pictures.resolution is not None:
            summary.resolution = list(pictures.resolution)
        if (
            pictures.first_main is not None
            and self.join_started is not None
            and summary.first_frame_ms is None
            and pictures.first_main >= self.join_started
        ):
            summary.first_frame_ms = round((pictures.first_main - self.join_started) * 1000.0, 1)
        return summary

    # --- the tour's puppet strings (the in-process lab node only) ----------------------------
    def _conference(self) -> Any:
        if self.node is None:
            raise ApplianceError("the tour needs the built-in lab node (no --node)")
        return self.node.conference(self.options.room)

    def _bot(self, index: int = 0) -> Any:
        bots = [
            m for m in self._conference().members.values() if m.participant.display_name.startswith("Bot")
        ]
        if not bots:
            raise ApplianceError("the tour needs at least one bot (--bots 1 or more)")
        return sorted(bots, key=lambda m: m.participant.display_name)[index % len(bots)]

    def bot_chat(self, text: str, index: int = 0) -> None:
        conference = self._conference()
        conference.message(self._bot(index), "text/plain", text)

    def bot_present(self, on: bool, index: int = 0) -> None:
        conference = self._conference()
        bot = self._bot(index)
        if on:
            conference.presentation.take(bot)
        else:
            conference.presentation.release(bot)

    async def stop_node(self) -> None:
        """The node goes away (the tour's error screen); the stage's exit closes it again harmlessly."""
        if self.node is None:
            raise ApplianceError("the tour needs the built-in lab node (no --node)")
        await self.node.close()

    def host_mute_us(self, muted: bool) -> None:
        """What a Host's mute does on the node: the server mutes our participant."""
        conference = self._conference()
        name = self.options.display_name
        for member in conference.members.values():
            if member.participant.display_name == name:
                conference.update(member, is_muted=muted)
                return
        raise ApplianceError(f"{name!r} is not in the meeting")


@contextlib.asynccontextmanager
async def demo_stage(options: DemoOptions) -> AsyncIterator[DemoStage]:
    """Start the lab node (unless ``node_url``), build the room; stop both on the way out."""
    async with contextlib.AsyncExitStack() as stack:
        node: LabNode | None = None
        if options.node_url is None:
            from appliance.labnode.app import LabNode

            # Node and appliance share this machine: keep ICE on loopback.
            use_host_addresses(["127.0.0.1"])
            node = await stack.enter_async_context(LabNode(host="127.0.0.1", port=0, bots=options.bots))
            node_url = node.url
        else:
            node_url = options.node_url
        stage = DemoStage(options, node, node_url)
        if options.node_url is None:
            await _register(stack, node_url, stage.summary)
        try:
            yield stage
        finally:
            await stage.stop()
            stage.update_summary()


async def _register(stack: contextlib.AsyncExitStack, node_url: str, summary: DemoSummary) -> None:
    """Register the lab node's ``room-1`` for the demo's length; ``summary.registered`` follows it."""
    from appliance.labnode.state.registrar import ROOM_1_PASSWORD

    registration = Registration(node_url, "room-1", RegistrationCredentials("room-1", ROOM_1_PASSWORD))

    def follow(event: Event) -> None:
        if isinstance(event, (Registered, RegistrationLost)):
            summary.registered = registration.registered

    registration.subscribe(follow)
    stack.push_async_callback(registration.close)
    registration.start()
