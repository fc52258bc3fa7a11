"""Decoded pictures into surfaces: the kiosk's side of the room's picture feed.

Each stream (``main``, ``presentation``, ``self``) has one surface of the
picture's size, reused while the size stays; a new picture is written
straight into its memory by :meth:`Picture.draw_into` (libswscale converts
into the surface, no intermediate frame; docs/media.md, "the cheapest
display path"). Taking from the feed never blocks (docs/room-api.md).
"""

from __future__ import annotations

import pygame

from appliance.services.room_api import Picture, PictureFeed

STREAMS = ("main", "presentation", "self")

# what Picture.pixel_format means in memory, as SDL channel masks (little-endian words)
_MASKS = {
    "bgra": (0xFF0000, 0xFF00, 0xFF, 0),
    "bgr0": (0xFF0000, 0xFF00, 0xFF, 0),
    "rgba": (0xFF, 0xFF00, 0xFF0000, 0),
    "rgb0": (0xFF, 0xFF00, 0xFF0000, 0),
}


class PictureStore:
    """The newest picture of each stream, as a surface. SDL thread only."""

    def __init__(self, streams: tuple[str, ...] = STREAMS) -> None:
        self.streams = streams
        self.surfaces: dict[str, pygame.Surface] = {}
        self.serial: dict[str, int] = {}  # bumps with each new picture (display paths re-upload on change)
        self.taken = 0  # pictures taken from the feed and drawn

    def take(self, feed: PictureFeed) -> set[str]:
        """Take the newest picture of every stream; answers the streams that had a new one."""
        fresh: set[str] = set()
        for stream in self.streams:
            picture = feed.latest(stream)
            if picture is not None:
                self.put(stream, picture)
                fresh.add(stream)
        return fresh

    def put(self, stream: str, picture: Picture) -> None:
        masks = _MASKS.get(picture.pixel_format)
        if masks is None:
            raise ValueError(
                f"picture of stream {stream!r} is {picture.pixel_format!r}; "
                f"the kiosk draws {', '.join(_MASKS)}"
            )
        size = (picture.width, picture.height)
        surface = self.surfaces.get(stream)
        if surface is None or surface.get_size() != size or surface.get_masks() != masks:
            surface = self.surfaces[stream] = pygame.Surface(size, 0, 32, masks)
        surface.lock()
        try:
            picture.draw_into(surface._pixels_address, surface.get_pitch())
        finally:
            surface.unlock()
        self.serial[stream] = self.serial.get(stream, 0) + 1
        self.taken += 1

    def forget(self, stream: str) -> None:
        """Drop a stream's picture (presentation ended, call left): nothing stale is shown."""
        self.surfaces.pop(stream, None)
        self.serial.pop(stream, None)

    def sizes(self) -> dict[str, tuple[int, int]]:
        return {stream: surface.get_size() for stream, surface in self.surfaces.items()}
