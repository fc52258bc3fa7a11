"""PexRTC's presentation behaviour: watching someone's, and sharing our own.

The callbacks follow pexrtc.js (reference §4.3, §9):

* ``presentation_start`` → ``onPresentation(true, "name <uri>", uuid,
  source)``; the all-empty form is the node revoking *our* floor and is
  not reported as a presentation. Someone else starting while we share
  means the floor was taken: our share stops with ``onScreenshareStopped``.
* ``presentation_stop`` → ``onPresentation(false, null, null, null)``, and
  ``onPresentationDisconnected`` if we were receiving it in full frame rate;
  so does the end of the media call it was received on (``disconnectcall``,
  ``disconnect``, the node's ``disconnect``, a fatal error), as the document
  says it "occurs on errors and call disconnect".
* ``getPresentation()`` hands out the slides m-line's stream
  (``onPresentationConnected``); ``present("screen")`` takes the floor and
  sends (``onScreenshareConnected``), ``present(null)`` releases it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any

from appliance.aio import cancel_and_wait
from appliance.errors import ApplianceError
from appliance.infinity.events import PresentationStart
from appliance.pexrtc import translate
from appliance.pexrtc.media import CallMedia

Emit = Callable[..., None]


class Presentation:
    """Presentation callbacks for one participant; media calls are passed in as they come and go."""

    def __init__(self, emit: Emit) -> None:
        self._emit = emit
        # A stop issued while a start is still taking the floor must stop
        # that share, not find nothing to stop.
        self._lock = asyncio.Lock()
        self._tasks: set[asyncio.Task[Any]] = set()

    async def receive(self, media: CallMedia) -> None:
        """``getPresentation()`` on an established media call."""
        try:
            stream = await media.get_presentation()
        except ApplianceError as exc:
            self._emit("onPresentationDisconnected", str(exc))
            return
        self._emit("onPresentationConnected", stream)

    async def share(self, media: CallMedia | None, call_type: str | None) -> None:
        """``present("screen")`` / ``present(None)``."""
        async with self._lock:
            if media is None:
                return
            if call_type is None:
                if media.sharing_screen:
                    await media.stop_screenshare(release_floor=True)
                    self._emit("onScreenshareStopped", "User stopped screenshare")
                return
            try:
                stream = await media.start_screenshare()
            except ApplianceError as exc:
                self._emit("onScreenshareStopped", f"Screenshare rejected: {exc}")
                return
            self._emit("onScreenshareConnected", stream)

    def started(self, media: CallMedia | None, event: PresentationStart, own_uuid: str | None) -> None:
        sharing = media is not None and media.sharing_screen
        if event.is_revocation:
            if sharing:
                self._spawn(self._stop(media, "Presentation revoked"))
            return
        self._emit(
            "onPresentation",
            True,
            translate.presenter_label(event),
            event.presenter_uuid,
            event.presenter_source,
        )
        if sharing and event.presenter_uuid != own_uuid:
            self._spawn(self._stop(media, "Presentation stolen by another participant"))

    def stopped(self, media: CallMedia | None) -> None:
        self._emit("onPresentation", False, None, None, None)
        if media is not None and media.receiving_presentation:
            media.receiving_presentation = False
            self._emit("onPresentationDisconnected", "Presentation ended")

    def call_ended(self, media: CallMedia, reason: str) -> None:
        """The media call is going away: a presentation received on it ends too."""
        if media.receiving_presentation:
            media.receiving_presentation = False
            self._emit("onPresentationDisconnected", reason)

    async def _stop(self, media: CallMedia | None, reason: str) -> None:
        async with self._lock:
            if media is not None and media.sharing_screen:
                await media.stop_screenshare(release_floor=False)
                self._emit("onScreenshareStopped", reason)

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(coro, name="pexrtc-presentation")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def close(self) -> None:
        await cancel_and_wait(list(self._tasks))
