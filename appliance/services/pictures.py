"""The kiosk's pictures: the media engine's latest-frame slots as a :class:`~room_api.PictureFeed`.

The controller owns one :class:`LatestSlot` per stream for the whole life
of the process and hands the same slots to every call it makes, so the
kiosk's draw tick keeps reading one place across rejoins and transfers
(docs/room-api.md, "PictureFeed"). The engine's ``DisplayFrame`` satisfies
:class:`~room_api.Picture`.
"""

from __future__ import annotations

from typing import Final

from appliance.media.handoff import LatestSlot
from appliance.media.sinks import DisplayFrame
from appliance.services import room_api as api


class SlotPictures:
    """The media engine's latest-frame slots, as the kiosk's :class:`~room_api.PictureFeed`."""

    STREAMS: Final = ("main", "presentation", "self")  # self: the camera as sent (self-view)

    def __init__(self) -> None:
        self.slots: dict[str, LatestSlot[DisplayFrame]] = {name: LatestSlot() for name in self.STREAMS}

    def latest(self, stream: str) -> api.Picture | None:
        slot = self.slots.get(stream)
        return slot.take_nowait() if slot is not None else None

    def close(self) -> None:
        """Wake any reader for good (the room is stopping)."""
        for slot in self.slots.values():
            slot.close()
