"""Display paths: how the kiosk's video and UI reach the screen, and what each costs.

Two paths, measured side by side by ``bench/ui_bench.py`` (docs/kiosk.md,
"Display paths"):

- :class:`SoftwareDisplay` — the fallback that works everywhere: pictures
  are scaled on the CPU (``pygame.transform.scale``, skipped when the
  picture already has its place's size, as the main stream normally does)
  and blitted to the window surface, the UI is drawn over them, and the
  surface is flipped.
- :class:`TextureDisplay` — SDL's renderer (``pygame._sdl2.video``): each
  stream is uploaded to a streaming texture once per new picture and the
  GPU scales and mirrors it; the UI is drawn into a transparent overlay
  that is uploaded only when it changes. On a Pi with ``kmsdrm`` this is
  OpenGL ES on the VideoCore; on the dummy driver it is SDL's software
  renderer (still measurable, not representative).

:func:`open_display` picks one by name. ``auto`` takes textures where SDL
has a real display and software on the ``dummy`` / ``offscreen`` drivers,
whose renderer is SDL's own software one: there textures cost 3-7x the
software path (bench ui (c)). Textures that cannot be had fall back to
software, logged.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import pygame

from appliance.log import get_logger
from appliance.ui.pictures import PictureStore
from appliance.ui.screens.in_call import VideoPlace

log = get_logger(__name__)

DrawUi = Callable[[pygame.Surface], Any]
PATHS = ("auto", "texture", "software")
HEADLESS_DRIVERS = ("dummy", "offscreen")  # SDL renders these in software: no GPU to scale


@dataclass(slots=True)
class DisplayStats:
    """What the kiosk counts (docs/kiosk.md, "Never stalls the call")."""

    presented: int = 0  # frames put on screen
    pictures_shown: int = 0  # new decoded pictures that reached the screen
    late: int = 0  # frames whose drawing overran one refresh period: display frames dropped
    draw_ms_total: float = 0.0
    draw_ms_max: float = 0.0

    @property
    def draw_ms_mean(self) -> float:
        return self.draw_ms_total / self.presented if self.presented else 0.0


class Display(Protocol):
    name: str
    size: tuple[int, int]

    def present(
        self, places: list[VideoPlace], pictures: PictureStore, draw_ui: DrawUi, ui_changed: bool
    ) -> None: ...

    def snapshot(self) -> pygame.Surface: ...

    def close(self) -> None: ...


def compose_video(
    target: pygame.Surface, places: list[VideoPlace], pictures: PictureStore, cache: dict[str, pygame.Surface]
) -> None:
    """Put each stream's picture into its place on ``target`` (CPU scaling; black where none yet).

    A picture that needs scaling is scaled straight into the target's memory
    (a subsurface), not into a scratch surface that is then blitted: one full
    screen copy fewer per frame. Only the letterbox bars are filled black.
    """
    screen = target.get_rect()
    if places:
        _fill_outside(target, places[0].rect.clip(screen))
    for place in places:
        picture = pictures.surfaces.get(place.stream)
        rect = place.rect.clip(screen)
        if picture is None:
            if place.stream != "self":
                target.fill((0, 0, 0), rect)
            continue
        if picture.get_size() == place.rect.size and not place.mirrored:
            target.blit(picture, place.rect)
            continue
        if not place.mirrored and rect == place.rect and _scale_into(picture, target.subsurface(rect)):
            continue
        scaled = cache.get(place.stream)
        if scaled is None or scaled.get_size() != place.rect.size:
            scaled = cache[place.stream] = pygame.Surface(place.rect.size, 0, picture)
        pygame.transform.scale(picture, place.rect.size, scaled)
        if place.mirrored:
            scaled = pygame.transform.flip(scaled, True, False)
        target.blit(scaled, place.rect)


class UiLayer:
    """The UI drawn once per change into a transparent layer, and the parts of it that hold anything.

    Over moving video the UI (status bar, toasts, self-view frame) changes
    about once a second while the picture changes every frame. Drawing it
    onto every frame cost more than converting the picture (bench ui (a):
    ~0.3 ms of text and shapes per frame at 1080p); instead it is drawn here
    only when the model changed, and each frame puts just its non-empty
    parts (:attr:`regions`, found per horizontal band) over the video: a
    status bar and a toast are a few percent of the screen.
    """

    BANDS = 12  # horizontal bands searched for content: finer finds tighter regions, costs more scans

    def __init__(self, size: tuple[int, int]) -> None:
        self.surface = pygame.Surface(size, pygame.SRCALPHA)
        self.regions: list[pygame.Rect] = []
        self.drawn = False

    def redraw(self, draw_ui: DrawUi) -> None:
        surface = self.surface
        surface.fill((0, 0, 0, 0))
        draw_ui(surface)
        width, height = surface.get_size()
        step = -(-height // self.BANDS)
        regions: list[pygame.Rect] = []
        for top in range(0, height, step):
            band = surface.subsurface(pygame.Rect(0, top, width, min(step, height - top)))
            found = band.get_bounding_rect()
            if found.width and found.height:
                found.move_ip(0, top)
                if regions and regions[-1].bottom == found.top:  # one rect for a tall piece
                    regions[-1] = regions[-1].union(found)
                else:
                    regions.append(found)
        self.regions = regions
        self.drawn = True

    def blit_onto(self, target: pygame.Surface) -> None:
        for region in self.regions:
            target.blit(self.surface, region, region)


def draw_frame(
    target: pygame.Surface,
    places: list[VideoPlace],
    pictures: PictureStore,
    draw_ui: DrawUi,
    ui_changed: bool,
    *,
    layer: UiLayer,
    scaled: dict[str, pygame.Surface],
) -> None:
    """One frame of the software path: video into ``target``, then the UI over it.

    Screens without video are drawn straight onto ``target`` (they change
    only when the model does); over video the UI comes from ``layer``,
    redrawn only when ``ui_changed``.
    """
    if not places:
        draw_ui(target)
        layer.drawn = False  # the layer is stale once a screen without video was shown
        return
    compose_video(target, places, pictures, scaled)
    if ui_changed or not layer.drawn:
        layer.redraw(draw_ui)
    layer.blit_onto(target)


def _scale_into(picture: pygame.Surface, area: pygame.Surface) -> bool:
    """Scale ``picture`` into ``area`` in place; False where SDL cannot (another pixel layout)."""
    if area.get_bitsize() != picture.get_bitsize() or area.get_masks()[:3] != picture.get_masks()[:3]:
        return False
    try:
        pygame.transform.scale(picture, area.get_size(), area)
    except (ValueError, pygame.error):
        return False
    return True


def _fill_outside(target: pygame.Surface, inner: pygame.Rect) -> None:
    """Black bars around ``inner`` (the main picture), without touching the picture's own area."""
    width, height = target.get_size()
    for bar in (
        pygame.Rect(0, 0, width, inner.top),
        pygame.Rect(0, inner.bottom, width, height - inner.bottom),
        pygame.Rect(0, inner.top, inner.left, inner.height),
        pygame.Rect(inner.right, inner.top, width - inner.right, inner.height),
    ):
        if bar.width > 0 and bar.height > 0:
            target.fill((0, 0, 0), bar)


class SoftwareDisplay:
    """The window surface, drawn by the CPU: the fallback path."""

    name = "software"

    def __init__(self, size: tuple[int, int], *, fullscreen: bool = False, title: str = "appliance") -> None:
        flags = pygame.FULLSCREEN if fullscreen else 0
        self.screen = pygame.display.set_mode(size, flags)
        pygame.display.set_caption(title)
        self.size = self.screen.get_size()
        self._scaled: dict[str, pygame.Surface] = {}
        self._layer = UiLayer(self.size)

    def present(
        self, places: list[VideoPlace], pictures: PictureStore, draw_ui: DrawUi, ui_changed: bool
    ) -> None:
        draw_frame(self.screen, places, pictures, draw_ui, ui_changed, layer=self._layer, scaled=self._scaled)
        pygame.display.flip()

    def snapshot(self) -> pygame.Surface:
        return self.screen.copy()

    def close(self) -> None:
        pygame.display.quit()


class TextureDisplay:
    """SDL renderer: GPU-scaled stream textures under a UI overlay texture."""

    name = "texture"

    def __init__(self, size: tuple[int, int], *, fullscreen: bool = False, title: str = "appliance") -> None:
        from pygame._sdl2 import video

        self._video = video
        self.window = video.Window(title, size, fullscreen_desktop=fullscreen)
        self.renderer = video.Renderer(self.window, accelerated=-1, vsync=False)
        self.size = self.window.size
        self._layer = UiLayer(self.size)
        self._ui = video.Texture(self.renderer, self.size, streaming=True)
        self._ui.blend_mode = pygame.BLENDMODE_BLEND if hasattr(pygame, "BLENDMODE_BLEND") else 1
        self._textures: dict[str, Any] = {}
        self._uploaded: dict[str, int] = {}

    def present(
        self, places: list[VideoPlace], pictures: PictureStore, draw_ui: DrawUi, ui_changed: bool
    ) -> None:
        layer = self._layer
        if ui_changed or not layer.drawn:
            layer.redraw(draw_ui)
            self._ui.update(layer.surface)
        self.renderer.draw_color = (0, 0, 0, 255)
        self.renderer.clear()
        for place in places:
            texture = self._texture(place.stream, pictures)
            if texture is not None:
                texture.draw(dstrect=place.rect, flip_x=place.mirrored)
        for region in layer.regions:  # only what holds UI: a renderer blends every pixel it is given
            self._ui.draw(srcrect=region, dstrect=region)
        self.renderer.present()

    def _texture(self, stream: str, pictures: PictureStore) -> Any:
        picture = pictures.surfaces.get(stream)
        if picture is None:
            return None
        texture = self._textures.get(stream)
        if texture is None or (texture.width, texture.height) != picture.get_size():
            texture = self._textures[stream] = self._video.Texture(
                self.renderer, picture.get_size(), streaming=True, scale_quality=1
            )
            self._uploaded.pop(stream, None)
        serial = pictures.serial.get(stream, 0)
        if self._uploaded.get(stream) != serial:
            texture.update(picture)
            self._uploaded[stream] = serial
        return texture

    def snapshot(self) -> pygame.Surface:
        surface: pygame.Surface = self.renderer.to_surface()
        return surface

    def close(self) -> None:
        self._textures.clear()
        self.window.destroy()
        pygame.display.quit()


def open_display(
    path: str, size: tuple[int, int], *, fullscreen: bool = False, title: str = "appliance"
) -> Display:
    """Open the display path ``path`` (one of :data:`PATHS`); ``auto`` falls back to software."""
    if path not in PATHS:
        raise ValueError(f"display path {path!r}: expected one of {', '.join(PATHS)}")
    pygame.display.init()
    if path == "auto" and os.environ.get("SDL_VIDEODRIVER") in HEADLESS_DRIVERS:
        path = "software"
    if path in ("auto", "texture"):
        try:
            return TextureDisplay(size, fullscreen=fullscreen, title=title)
        except (pygame.error, ImportError) as exc:
            if path == "texture":
                raise
            log.warning(
                "GPU texture display unavailable, drawing in software", extra={"context": {"error": str(exc)}}
            )
    return SoftwareDisplay(size, fullscreen=fullscreen, title=title)
