"""A window that shows the newest decoded frame, drawn on its own SDL thread.

SDL wants one thread to own the window; the event loop must never wait for
a vsync. So the window runs in a dedicated, named thread that takes frames
from a :class:`~appliance.media.handoff.LatestSlot` (newest wins: a slow
screen shows the latest picture, never a backlog) and puts each frame's
picture straight into the window surface: the media layer's cached
converter writes ``bgra`` into the surface memory (no intermediate frame,
no copy, no blit, no numpy round trip; media-performance notes, path C*
minus its copy; :func:`draw_frame`, which the benchmark calls too).
Closing the window sets an event the caller can await.
"""

from __future__ import annotations

import os
import threading
from typing import Any

from appliance.log import get_logger
from appliance.media.handoff import LatestSlot
from appliance.media.sinks import DisplayConverter, DisplayFrame

log = get_logger(__name__)


def display_available() -> bool:
    """True when SDL can open a real window here (X11/Wayland, or a console with DRM)."""
    if os.environ.get("SDL_VIDEODRIVER") in ("dummy", "offscreen"):
        return False
    return bool(
        os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY") or os.path.exists("/dev/dri/card0")
    )


class VideoWindow:
    """Shows frames put into :attr:`slot` until :meth:`stop` or the user closes it."""

    def __init__(self, size: tuple[int, int], *, title: str = "appliance", fullscreen: bool = False) -> None:
        self.size = size
        self.title = title
        self.fullscreen = fullscreen
        self.slot: LatestSlot[DisplayFrame] = LatestSlot()
        self.closed = threading.Event()
        self.frames_shown = 0
        # centre pixel (r, g, b) of the last frame drawn: lets tests and the demo check the screen
        self.centre_pixel: tuple[int, int, int] | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="sdl-window", daemon=True)
        self._error: BaseException | None = None
        # stream -> converter for frames that do not match the window (size or layout)
        self.converters: dict[str, DisplayConverter] = {}

    def start(self) -> None:
        self._thread.start()

    def show(self, frame: DisplayFrame) -> None:
        """Offer a frame (any thread); the window draws the newest one."""
        self.slot.put(frame)

    def stop(self, timeout: float = 2.0) -> None:
        self._stop.set()
        self.slot.close()
        self._thread.join(timeout)

    @property
    def error(self) -> BaseException | None:
        return self._error

    def _run(self) -> None:
        try:
            self._loop()
        except Exception as exc:  # the window is optional: report, never take the call down
            self._error = exc
            log.warning("video window failed", extra={"context": {"error": str(exc)}})
        finally:
            self.closed.set()

    def _loop(self) -> None:
        import pygame

        pygame.display.init()
        try:
            flags = pygame.FULLSCREEN if self.fullscreen else 0
            screen = pygame.display.set_mode(self.size, flags)
            pygame.display.set_caption(self.title)
            while not self._stop.is_set():
                for event in pygame.event.get():
                    if event.type == pygame.QUIT or (
                        event.type == pygame.KEYDOWN and event.key == pygame.K_ESCAPE
                    ):
                        return
                frame = self.slot.take(timeout=0.1)
                if frame is None:
                    continue
                self._draw(pygame, screen, frame)
                pygame.display.flip()
                width, height = screen.get_size()
                colour = screen.get_at((width // 2, height // 2))
                self.centre_pixel = (colour.r, colour.g, colour.b)
                self.frames_shown += 1
        finally:
            pygame.display.quit()

    def _draw(self, pygame: Any, screen: Any, frame: DisplayFrame) -> None:
        draw_frame(pygame, screen, frame, self.converters)


# the surface layout DisplayFrame's "bgra" is, byte for byte: B, G, R, X in memory
_BGRA_MASKS = (0xFF0000, 0xFF00, 0xFF)


# for callers that keep no converters of their own (the benchmark, tests)
_shared_converters: dict[str, DisplayConverter] = {}


def fallback_converter(
    stream: str, converters: dict[str, DisplayConverter] | None = None
) -> DisplayConverter:
    """The one RGB converter of ``stream`` for frames that do not match the surface."""
    table = _shared_converters if converters is None else converters
    converter = table.get(stream)
    if converter is None:
        converter = table[stream] = DisplayConverter("rgb24")
    return converter


def draw_frame(
    pygame: Any, screen: Any, frame: DisplayFrame, converters: dict[str, DisplayConverter] | None = None
) -> None:
    """Put ``frame`` on ``screen`` (not flipped): the window thread's and the benchmark's one path.

    When the frame already has the surface's size and layout, libswscale
    writes the picture straight into the surface memory (path C* of the
    media notes without its copy); otherwise it is converted to RGB at the
    screen size by the stream's cached converter (``converters``, one per
    stream; a shared table when ``None``) and blitted. A per-frame
    ``reformat`` would build a new libswscale context for every frame.
    """
    if (
        (frame.width, frame.height) == screen.get_size()
        and frame.pixel_format == "bgra"
        and screen.get_bitsize() == 32
        and screen.get_masks()[:3] == _BGRA_MASKS
    ):
        address = getattr(screen, "_pixels_address", None)  # pygame-ce; classic pygame has none
        if address is None:
            picture = pygame.image.frombuffer(frame.frame.to_ndarray(), screen.get_size(), "BGRA")
            screen.blit(picture, (0, 0))
            return
        screen.lock()
        try:
            frame.draw_into(address, screen.get_pitch())
        finally:
            screen.unlock()
        return
    width, height = screen.get_size()
    converted = fallback_converter(frame.stream, converters).convert(frame.source_frame, width, height)
    rgb = converted.to_ndarray()
    screen.blit(pygame.image.frombuffer(rgb, (width, height), "RGB"), (0, 0))
