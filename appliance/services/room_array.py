"""The microphone array in the room: its capture device, its directions as events, speaker tracking.

The room controller composes one :class:`RoomArray` (as it composes the
incoming-call part): it asks it for the microphone to open in calls — the
profile's array when there is one (docs/microphone-array.md), today's
``[audio_capture]`` otherwise — and lets it run two tasks: one turns the
array's direction estimates into ``SpeechDirection`` room events, the other
is speaker tracking (:mod:`appliance.services.tracking`), which listens to
the room like any other subscriber and recalls presets through ``submit``.
``SpeakerTracking(on)`` commands and the site file's ``[camera]
speaker_tracking`` switch it via ``RoomState.speaker_tracking``.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any, Protocol

from appliance.config.profile import HwProfile
from appliance.errors import MediaError
from appliance.log import get_logger
from appliance.media.array_capture import prepare_array
from appliance.media.mic_array import DirectionFeed
from appliance.media.sources import DeviceSpec
from appliance.services import room_api as api
from appliance.services.clock import Clock
from appliance.services.devices import microphone_device, speech_directions
from appliance.services.tracking import run_speaker_tracking

log = get_logger(__name__)


class ArrayHost(Protocol):
    """What :class:`RoomArray` needs of the room controller: the Room, plus state and events."""

    clock: Clock

    @property
    def state(self) -> api.RoomState: ...

    async def submit(self, command: api.RoomCommand) -> api.CommandResult: ...

    def subscribe(self, maxsize: int = 256) -> Any: ...

    @property
    def pictures(self) -> Any: ...

    def update(self, cause: str, **changes: Any) -> api.RoomState: ...

    def publish(self, event: api.RoomEvent) -> None: ...


class RoomArray:
    def __init__(self, host: ArrayHost, profile: HwProfile) -> None:
        self.host = host
        self.profile = profile
        self.directions = DirectionFeed() if profile.audio_array is not None else None
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def can_track(self) -> bool:
        return self.profile.tracking is not None

    def microphone(self) -> DeviceSpec:
        """What calls capture from: the array (with its direction feed) or the mono microphone."""
        return microphone_device(self.profile, self.directions)

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        # a virtual array's room is rendered now, in the background, not during the first call's set-up
        self._tasks.add(loop.create_task(self._prepare(), name="room-array-prep"))
        if self.directions is not None:
            self._tasks.add(loop.create_task(self._publish_directions(self.directions), name="room-doa"))
        if self.profile.tracking is not None:
            tracking = run_speaker_tracking(self.host, self.profile.tracking, clock=self.host.clock)
            self._tasks.add(loop.create_task(tracking, name="room-tracking"))

    async def _prepare(self) -> None:
        try:
            await asyncio.to_thread(prepare_array, self.microphone())
        except MediaError as exc:  # the call's own open reports it again, with the device named
            log.warning("microphone array not prepared", extra={"context": {"error": str(exc)}})

    async def _publish_directions(self, feed: DirectionFeed) -> None:
        async for event in speech_directions(feed):
            self.host.publish(event)

    def set_tracking(self, on: bool) -> api.CommandResult:
        """``SpeakerTracking(on)``: refused where the profile has no seat zones."""
        if on and not self.can_track:
            return api.CommandResult(False, f"the profile {self.profile.name!r} declares no seat zones")
        self.host.update("speaker tracking on" if on else "speaker tracking off", speaker_tracking=on)
        return api.ACCEPTED

    async def close(self) -> None:
        tasks, self._tasks = self._tasks, set()
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
