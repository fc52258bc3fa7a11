"""The kiosk on the event loop: the room's state and events in, commands out.

:class:`Kiosk` is what the daemon and the demo start next to the room
(docs/kiosk.md, "Threads"). On the loop it subscribes to the room's events
and offers each new state to the SDL thread's latest-value slot and every
other event to its queue; the commands keys and taps produce come back
through ``loop.call_soon_threadsafe`` into an ``asyncio.Queue`` and go to
:meth:`Room.submit` one at a time, in order. A refusal is shown on screen in
the room's words. Nothing here blocks: the SDL thread does all the drawing.
"""

from __future__ import annotations

import asyncio
import contextlib

from appliance.aio import cancel_and_wait
from appliance.log import get_logger
from appliance.services.room_api import Room, RoomCommand, StateChanged
from appliance.ui.sdl_thread import KioskOptions, KioskThread

log = get_logger(__name__)


class Kiosk:
    """Runs the kiosk for ``room`` until cancelled or its window is closed."""

    def __init__(self, room: Room, options: KioskOptions | None = None) -> None:
        self.room = room
        self.options = options or KioskOptions()
        self._commands: asyncio.Queue[list[RoomCommand]] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self.thread = KioskThread(room.pictures, self.options, self._from_sdl)
        self.submitted: list[RoomCommand] = []

    def _from_sdl(self, commands: list[RoomCommand]) -> None:
        """Called on the SDL thread: hand the commands to the loop, never wait."""
        loop, queue = self._loop, self._commands
        if loop is not None and queue is not None:
            loop.call_soon_threadsafe(queue.put_nowait, commands)

    async def run(self) -> None:
        """Start the SDL thread and serve it; returns when the window is closed or the thread fails."""
        self._loop = asyncio.get_running_loop()
        self._commands = asyncio.Queue()
        closed = self._loop.create_future()
        events = self.room.subscribe()
        self.thread.offer_state(self.room.state)
        self.thread.start()
        watcher = self._loop.run_in_executor(None, self.thread.closed.wait)
        watcher.add_done_callback(lambda _f: None if closed.done() else closed.set_result(None))
        tasks = [
            asyncio.create_task(self._forward(events), name="kiosk-events"),
            asyncio.create_task(self._submit(), name="kiosk-commands"),
        ]
        try:
            await closed
        finally:
            self.thread.stop()
            await cancel_and_wait(tasks)
            with contextlib.suppress(Exception):
                await events.aclose()  # type: ignore[attr-defined]
        if self.thread.error is not None:
            raise self.thread.error

    async def _forward(self, events: object) -> None:
        async for event in events:  # type: ignore[attr-defined]
            if isinstance(event, StateChanged):
                self.thread.offer_state(event.new)
            else:
                self.thread.offer_event(event)

    async def _submit(self) -> None:
        assert self._commands is not None
        while True:
            for command in await self._commands.get():
                self.submitted.append(command)
                result = await self.room.submit(command)
                if not result.ok:
                    log.info(
                        "command refused",
                        extra={"context": {"command": type(command).__name__, "reason": result.reason}},
                    )
                    self.thread.refused(result.reason or self.thread.translator._("Not possible now"))
