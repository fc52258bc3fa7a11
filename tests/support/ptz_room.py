"""A fake room whose camera commands drive a real PTZ driver (on the fake VISCA camera).

The fake room of tests/support/room.py records commands; this one also carries
out ``RecallPreset`` on a :class:`~appliance.hw.visca.driver.PtzCamera`, so a test
can follow speaker tracking all the way to the camera's position.
"""

from __future__ import annotations

from appliance.hw.visca.driver import PtzCamera
from appliance.services.room_api import ACCEPTED, CommandResult, RecallPreset, RoomCommand, RoomState
from tests.support.room import FakeRoom


class PtzRoom(FakeRoom):
    def __init__(self, camera: PtzCamera, state: RoomState | None = None) -> None:
        super().__init__(state)
        self.camera = camera

    async def submit(self, command: RoomCommand) -> CommandResult:
        self.commands.append(command)
        if isinstance(command, RecallPreset):
            await self.camera.preset_recall(command.preset)
        return ACCEPTED
