"""The lab node's video compositor: one composed picture per distinct layout.

Listeners who should see exactly the same thing (same layout, same
participants in the same order, same labels) share one composition and its
clock, so the per-frame cost grows with the number of *different* views, not
with the number of listeners. Each participant's latest frame is scaled once
per tile size through a cached reformatter and reused until a new frame
arrives. The composed picture is a read-only yuv420p array: every outgoing
track makes its own ``VideoFrame`` from it for its own encoder.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Final

import av
import numpy as np
import numpy.typing as npt
from av.video.reformatter import Interpolation, VideoReformatter

from appliance.labnode.media.compositor_layout import Tile, tiles_for
from appliance.labnode.media.compositor_text import draw_centred, draw_label
from appliance.labnode.media.slot import AsyncLatestSlot
from appliance.labnode.media_api import MixState, capacity, resolve_view
from appliance.log import get_logger

log = get_logger(__name__)

Plane = npt.NDArray[np.uint8]
FrameLookup = Callable[[str], "av.VideoFrame | None"]

_BACKGROUND_Y: Final = 24
_CARD_Y: Final = 52
_warned_views: set[str] = set()


@dataclass(frozen=True, slots=True)
class MixKey:
    """Everything that decides a composed picture; equal keys share one composition."""

    view: str
    order: tuple[str, ...]
    labels: tuple[str, ...]
    notice: str = ""


def mix_key_for(listener_uuid: str, state: MixState, *, notice: str = "") -> MixKey:
    """The composition a listener gets: Pexip leaves people out of their own layout."""
    view = resolve_view(state.view)
    if view != state.view and state.view not in _warned_views:
        _warned_views.add(state.view)
        log.info("layout %s is drawn as %s", state.view, view)
    order = tuple(u for u in state.order if u != listener_uuid)[: capacity(view)]
    labels = tuple(state.overlay_text.get(u, "") if state.overlay_text_enabled else "" for u in order)
    return MixKey(view=view, order=order, labels=labels, notice=notice)


@dataclass(slots=True)
class Picture:
    """One composed frame: yuv420p planes stacked as PyAV's ``from_ndarray`` expects."""

    data: npt.NDArray[np.uint8]
    seq: int
    width: int
    height: int

    def to_frame(self) -> av.VideoFrame:
        return av.VideoFrame.from_ndarray(self.data, format="yuv420p")


def _planes(frame: av.VideoFrame) -> tuple[Plane, Plane, Plane]:
    out = []
    for plane in frame.planes[:3]:
        arr = np.frombuffer(memoryview(plane), dtype=np.uint8).reshape(plane.height, plane.line_size)
        out.append(arr[:, : plane.width])
    return out[0], out[1], out[2]


def _cover(width: int, height: int, tile: Tile) -> tuple[int, int]:
    """Scaled size that fills ``tile`` keeping the source's shape (the excess is cropped).

    Pexip fills tiles rather than letterboxing; stretching a 4:3 camera into
    a 16:9 tile would distort faces.
    """
    scale = max(tile.w / width, tile.h / height)
    return max(tile.w, int(width * scale + 1) & ~1), max(tile.h, int(height * scale + 1) & ~1)


def _crop_centre(planes: tuple[Plane, Plane, Plane], tile: Tile) -> tuple[Plane, Plane, Plane]:
    y, u, v = planes
    top = ((y.shape[0] - tile.h) // 2) & ~1
    left = ((y.shape[1] - tile.w) // 2) & ~1
    return (
        y[top : top + tile.h, left : left + tile.w],
        u[top // 2 : (top + tile.h) // 2, left // 2 : (left + tile.w) // 2],
        v[top // 2 : (top + tile.h) // 2, left // 2 : (left + tile.w) // 2],
    )


@dataclass(slots=True)
class _ScaledTile:
    source: av.VideoFrame
    planes: tuple[Plane, Plane, Plane]


@dataclass(slots=True)
class _Canvas:
    data: npt.NDArray[np.uint8]
    y: Plane
    u: Plane
    v: Plane


def _new_canvas(width: int, height: int) -> _Canvas:
    data = np.empty((height * 3 // 2, width), dtype=np.uint8)
    flat = data.reshape(-1)
    luma = width * height
    y = flat[:luma].reshape(height, width)
    u = flat[luma : luma + luma // 4].reshape(height // 2, width // 2)
    v = flat[luma + luma // 4 :].reshape(height // 2, width // 2)
    y[:] = _BACKGROUND_Y
    u[:] = 128
    v[:] = 128
    return _Canvas(data, y, u, v)


class Compositor:
    """Draws a :class:`MixKey` from each participant's latest frame (or a name card)."""

    def __init__(self, width: int, height: int, frames: FrameLookup) -> None:
        self.width = width & ~1
        self.height = height & ~1
        self._frames = frames
        self._reformatters: dict[tuple[str, int, int], VideoReformatter] = {}
        self._scaled: dict[tuple[str, int, int], _ScaledTile] = {}
        self._cards: dict[tuple[str, int, int], tuple[Plane, Plane, Plane]] = {}

    def inputs(self, key: MixKey) -> tuple[object, ...]:
        """Identity of what ``compose(key)`` would draw now; unchanged means same picture."""
        return tuple(self._frames(u) for u in key.order)

    def compose(self, key: MixKey) -> npt.NDArray[np.uint8]:
        canvas = _new_canvas(self.width, self.height)
        tiles = tiles_for(key.view, len(key.order), self.width, self.height)
        for uuid, label, tile in zip(key.order, key.labels, tiles, strict=False):
            self._draw_tile(canvas, uuid, label, tile)
        if key.notice:
            draw_centred(canvas.y, key.notice, max(12, self.height // 14))
        return canvas.data

    def forget(self, participant_uuid: str) -> None:
        """Drop cached scalers and tiles of a participant who left."""
        for cache in (self._reformatters, self._scaled):
            for k in [k for k in cache if k[0] == participant_uuid]:
                del cache[k]

    def _draw_tile(self, canvas: _Canvas, uuid: str, label: str, tile: Tile) -> None:
        frame = self._frames(uuid)
        planes = self._scale(uuid, frame, tile) if frame is not None else self._card(label, tile)
        y0, x0, cy, cx = tile.y, tile.x, tile.y // 2, tile.x // 2
        ty = canvas.y[y0 : y0 + tile.h, x0 : x0 + tile.w]
        tu = canvas.u[cy : cy + tile.h // 2, cx : cx + tile.w // 2]
        tv = canvas.v[cy : cy + tile.h // 2, cx : cx + tile.w // 2]
        ty[:] = planes[0]
        tu[:] = planes[1]
        tv[:] = planes[2]
        if label and frame is not None:
            draw_label(ty, tu, tv, label)

    def _scale(self, uuid: str, frame: av.VideoFrame, tile: Tile) -> tuple[Plane, Plane, Plane]:
        cache_key = (uuid, tile.w, tile.h)
        cached = self._scaled.get(cache_key)
        if cached is not None and cached.source is frame:
            return cached.planes
        reformatter = self._reformatters.get(cache_key)
        if reformatter is None:
            reformatter = self._reformatters[cache_key] = VideoReformatter()
        width, height = _cover(frame.width, frame.height, tile)
        scaled = reformatter.reformat(
            frame,
            width=width,
            height=height,
            format="yuv420p",
            interpolation=Interpolation.BILINEAR,
            threads=1,
        )
        planes = _crop_centre(_planes(scaled), tile)
        self._scaled[cache_key] = _ScaledTile(frame, planes)
        return planes

    def _card(self, label: str, tile: Tile) -> tuple[Plane, Plane, Plane]:
        cache_key = (label, tile.w, tile.h)
        card = self._cards.get(cache_key)
        if card is None:
            y = np.full((tile.h, tile.w), _CARD_Y, dtype=np.uint8)
            u = np.full((tile.h // 2, tile.w // 2), 128, dtype=np.uint8)
            v = np.full((tile.h // 2, tile.w // 2), 128, dtype=np.uint8)
            if label:
                draw_centred(y, label, max(10, tile.h // 7))
            card = self._cards[cache_key] = (y, u, v)
            if len(self._cards) > 256:
                self._cards.pop(next(iter(self._cards)))
        return card


@dataclass(slots=True)
class _Mix:
    key: MixKey
    subscribers: set[AsyncLatestSlot[Picture]] = field(default_factory=set)
    task: asyncio.Task[None] | None = None
    seq: int = 0
    last_inputs: tuple[object, ...] | None = None
    last_data: npt.NDArray[np.uint8] | None = None


class VideoMixer:
    """Runs one composition clock per distinct :class:`MixKey` that has subscribers."""

    def __init__(self, compositor: Compositor, *, fps: int = 15) -> None:
        self.compositor = compositor
        self.fps = fps
        self._mixes: dict[MixKey, _Mix] = {}
        self.compositions = 0

    @property
    def active_mixes(self) -> int:
        return len(self._mixes)

    def subscribe(self, key: MixKey, slot: AsyncLatestSlot[Picture]) -> None:
        mix = self._mixes.get(key)
        if mix is None:
            mix = self._mixes[key] = _Mix(key)
            mix.task = asyncio.get_running_loop().create_task(self._run(mix), name=f"labnode-mix-{key.view}")
        mix.subscribers.add(slot)

    def unsubscribe(self, key: MixKey, slot: AsyncLatestSlot[Picture]) -> None:
        mix = self._mixes.get(key)
        if mix is None:
            return
        mix.subscribers.discard(slot)
        if not mix.subscribers:
            del self._mixes[key]
            if mix.task is not None:
                mix.task.cancel()

    async def _run(self, mix: _Mix) -> None:
        loop = asyncio.get_running_loop()
        period = 1.0 / self.fps
        next_tick = loop.time()
        failed = False
        while mix.subscribers:
            try:
                inputs = self.compositor.inputs(mix.key)
                if mix.last_data is None or inputs != mix.last_inputs:
                    mix.last_data = self.compositor.compose(mix.key)
                    mix.last_inputs = inputs
                    self.compositions += 1
            except Exception:
                # One unreadable frame must not end everyone's video: keep the
                # last picture, say so once per mix.
                if not failed:
                    log.exception("composing %s failed; repeating the last picture", mix.key.view)
                failed = True
            if mix.last_data is not None:
                mix.seq += 1
                picture = Picture(mix.last_data, mix.seq, self.compositor.width, self.compositor.height)
                for slot in list(mix.subscribers):
                    slot.put(picture)
            next_tick += period
            delay = next_tick - loop.time()
            if delay < -period:
                next_tick = loop.time()
                delay = 0.0
            await asyncio.sleep(max(0.0, delay))

    async def close(self) -> None:
        mixes = list(self._mixes.values())
        self._mixes.clear()
        for mix in mixes:
            for slot in mix.subscribers:
                slot.close()
            if mix.task is not None:
                mix.task.cancel()
        for mix in mixes:
            if mix.task is not None:
                try:
                    await mix.task
                except asyncio.CancelledError:
                    pass
