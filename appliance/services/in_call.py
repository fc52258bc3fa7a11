"""What the room does inside a meeting for a command: mute echoes, hand, layout, DTMF, FECC.

Kept out of the controller, which owns *when* a command may act (the call
state machine); this module is *how* each acts on the PexRTC core. Local
mutes take effect at once and are echoed to the node in the background
(``client_mute``, ``video_muted``), because a button must never wait on the
network (docs/room-api.md, "Rules every consumer follows").
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, Final

from appliance.errors import ApplianceError
from appliance.log import get_logger
from appliance.pexrtc.core import Conference
from appliance.services import room_api as api
from appliance.services.fecc import default_timeout_ms

log = get_logger(__name__)

LAYOUTS: Final = ("1:7", "4:0", "1:0", "2:21", "5:7")  # SetLayout("") cycles through these

_tasks: set[asyncio.Task[None]] = set()


def _echo(coro: Coroutine[Any, Any, Any]) -> None:
    """Tell the node in the background; a refusal is logged, never raised into a button."""

    async def run() -> None:
        try:
            await coro
        except ApplianceError as exc:
            log.warning("node did not take the change: %s", exc)

    task = asyncio.get_running_loop().create_task(run())
    _tasks.add(task)
    task.add_done_callback(_tasks.discard)


def apply_mutes(conference: Conference, *, microphone: bool | None, camera: bool | None) -> None:
    """Mute or unmute our outgoing media now; tell the node when we are in the meeting."""
    joined = conference.uuid is not None
    if microphone is not None:
        conference.mute_audio(microphone)
        if joined:
            control = conference.control
            _echo(control.client_mute() if microphone else control.client_unmute())
    if camera is not None:
        conference.mute_video(camera)
        if joined:
            control = conference.control
            _echo(control.video_mute() if camera else control.video_unmute())


class LayoutCycle:
    """``SetLayout("")``: the next layout of :data:`LAYOUTS` each time."""

    def __init__(self) -> None:
        self._index = 0

    def next(self) -> str:
        self._index = (self._index + 1) % len(LAYOUTS)
        return LAYOUTS[self._index]


async def meeting_command(
    conference: Conference, command: api.RoomCommand, layouts: LayoutCycle
) -> api.CommandResult | None:
    """Carry out a command that acts on the meeting; ``None`` when ``command`` is not one of them."""
    if isinstance(command, api.RaiseHand):
        await (conference.control.buzz() if command.on else conference.control.clear_buzz())
        return api.ACCEPTED
    if isinstance(command, api.SetLayout):
        layout = command.layout or layouts.next()
        conference.require_host("change the layout")
        await conference.control.transform_layout({"layout": layout})
        return api.ACCEPTED
    if isinstance(command, api.SendDtmf):
        await conference.media.send_dtmf(command.digits)
        return api.ACCEPTED
    if isinstance(command, api.SendFecc):
        timeout_ms = command.timeout_ms or default_timeout_ms(command.action)
        if command.target:
            await conference.control.send_fecc(
                command.action, command.axis, command.direction, command.target, timeout_ms=timeout_ms
            )
        else:
            await conference.media.send_fecc(command.action, command.axis, command.direction, timeout_ms)
        return api.ACCEPTED
    return None
