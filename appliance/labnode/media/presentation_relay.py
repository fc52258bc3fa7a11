"""Presentation on the lab node: forward the presenter's video, make JPEG stills.

Receivers that take presentation video get every frame the presenter sends
(re-encoded per receiver by their own track, since aiortc cannot forward
RTP). Clients that only show stills, and the ``presentation.jpeg`` route,
get JPEGs in two sizes at a modest rate, and only when the picture changed:
slides are mostly static, and a still per second of an unchanged slide
would just be traffic.
"""

from __future__ import annotations

import asyncio
import fractions
import threading
from collections.abc import Callable, Coroutine
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import Any, Final

import av
import numpy as np
import numpy.typing as npt
from av.video.reformatter import VideoReformatter

from appliance.aio import cancel_and_wait
from appliance.labnode.media.bots import BotSource
from appliance.labnode.media.encoder import EncodedVideoTrack
from appliance.log import get_logger

log = get_logger(__name__)

STILL_SIZE: Final = (640, 360)
HIGH_STILL_SIZE: Final = (1280, 720)
MAX_FORWARD_SIZE: Final = (1280, 720)
_BOT_SLIDE_FPS: Final = 5
_CHANGE_THRESHOLD: Final = 1.5


def _fit(width: int, height: int, box: tuple[int, int]) -> tuple[int, int]:
    scale = min(1.0, box[0] / width, box[1] / height)
    return max(2, int(width * scale) & ~1), max(2, int(height * scale) & ~1)


_local = threading.local()


def _reformat(frame: av.VideoFrame, width: int, height: int, pix_fmt: str) -> av.VideoFrame:
    """Convert with this thread's own scaler.

    ``VideoFrame.reformat`` caches its scaler *on the frame*, and one decoded
    presentation frame is converted by several receivers' encoder threads at
    once; a scaler per thread keeps them from sharing one.
    """
    reformatter = getattr(_local, "reformatter", None)
    if reformatter is None:
        reformatter = _local.reformatter = VideoReformatter()
    return reformatter.reformat(frame, width=width, height=height, format=pix_fmt, threads=1)


@dataclass(frozen=True, slots=True)
class PresentationFrame:
    """A presenter's frame queued for one receiver; copied so each encoder owns its frame."""

    frame: av.VideoFrame

    def to_frame(self) -> av.VideoFrame:
        w, h = _fit(self.frame.width, self.frame.height, MAX_FORWARD_SIZE)
        if (w, h) != (self.frame.width, self.frame.height) or self.frame.format.name != "yuv420p":
            return _reformat(self.frame, w, h, "yuv420p")
        return av.VideoFrame.from_ndarray(self.frame.to_ndarray(), format="yuv420p")


def encode_jpeg(frame: av.VideoFrame, box: tuple[int, int]) -> bytes:
    """One baseline JPEG of ``frame`` fitted into ``box`` (PyAV's mjpeg encoder)."""
    width, height = _fit(frame.width, frame.height, box)
    ctx = av.CodecContext.create("mjpeg", "w")
    ctx.width = width
    ctx.height = height
    ctx.pix_fmt = "yuvj420p"
    ctx.time_base = fractions.Fraction(1, 1)
    ctx.qmin = 2
    ctx.qmax = 8
    picture = _reformat(frame, width, height, "yuvj420p")
    picture.pts = 0
    packets = list(ctx.encode(picture)) + list(ctx.encode(None))
    return b"".join(bytes(p) for p in packets)


def _thumbprint(frame: av.VideoFrame) -> npt.NDArray[np.float32]:
    plane = frame.planes[0]
    luma = np.frombuffer(memoryview(plane), dtype=np.uint8).reshape(plane.height, plane.line_size)[
        :, : plane.width
    ]
    step_y = max(1, plane.height // 36)
    step_x = max(1, plane.width // 64)
    return luma[::step_y, ::step_x].astype(np.float32)


class PresentationRelay:
    """Who presents, who receives, and the stills of what is presented."""

    def __init__(
        self,
        on_still: Callable[[bytes, bytes], None],
        executor: Executor,
        *,
        may_receive: Callable[[str], bool],
        still_interval: float = 1.0,
    ) -> None:
        self._on_still = on_still
        self._executor = executor
        self._may_receive = may_receive
        self.still_interval = still_interval
        self.presenter: str | None = None
        self._receivers: dict[EncodedVideoTrack, str] = {}
        self._latest: av.VideoFrame | None = None
        self._latest_seq = 0
        self._still_seq = 0
        self._still_print: npt.NDArray[np.float32] | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._still_task: asyncio.Task[None] | None = None
        self._bot_task: asyncio.Task[None] | None = None
        self.frames_in = 0
        self.stills = 0

    def subscribe(self, track: EncodedVideoTrack, receiver_uuid: str) -> None:
        self._receivers[track] = receiver_uuid

    def unsubscribe(self, track: EncodedVideoTrack) -> None:
        self._receivers.pop(track, None)

    def set_presenter(self, participant_uuid: str | None, bot: BotSource | None = None) -> None:
        if participant_uuid == self.presenter:
            return
        log.info("presenter %s -> %s", self.presenter, participant_uuid)
        self.presenter = participant_uuid
        self._latest = None
        self._still_print = None
        self._stop_bot()
        for track in self._receivers:
            track.restart()
        if participant_uuid is None:
            if self._still_task is not None:
                self._still_task.cancel()
                self._still_task = None
            return
        loop = asyncio.get_running_loop()
        if self._still_task is None:
            self._still_task = self._spawn(loop, self._stills(), "labnode-presentation-stills")
        if bot is not None:
            self._bot_task = self._spawn(loop, self._bot_slides(bot), "labnode-bot-slides")

    def _spawn(
        self, loop: asyncio.AbstractEventLoop, coro: Coroutine[Any, Any, None], name: str
    ) -> asyncio.Task[None]:
        task = loop.create_task(coro, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    def _stop_bot(self) -> None:
        if self._bot_task is not None:
            self._bot_task.cancel()
            self._bot_task = None

    def push(self, participant_uuid: str, frame: av.VideoFrame) -> None:
        """A decoded frame from someone's presentation stream; only the presenter's count."""
        if participant_uuid != self.presenter:
            return
        self.frames_in += 1
        self._latest = frame
        self._latest_seq += 1
        item = PresentationFrame(frame)
        for track, receiver in self._receivers.items():
            if receiver != participant_uuid and self._may_receive(receiver):
                track.slot.put(item)

    async def _bot_slides(self, bot: BotSource) -> None:
        loop = asyncio.get_running_loop()
        start = loop.time()
        while True:
            self.push(self.presenter or "", bot.slide_frame(loop.time() - start))
            await asyncio.sleep(1 / _BOT_SLIDE_FPS)

    async def _stills(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            frame = self._latest
            if frame is not None and self._latest_seq != self._still_seq:
                self._still_seq = self._latest_seq
                thumb = _thumbprint(frame)
                previous = self._still_print
                if (
                    previous is None
                    or previous.shape != thumb.shape
                    or float(np.mean(np.abs(thumb - previous))) > _CHANGE_THRESHOLD
                ):
                    self._still_print = thumb
                    jpeg, high = await loop.run_in_executor(self._executor, self._encode_pair, frame)
                    self.stills += 1
                    self._on_still(jpeg, high)
            await asyncio.sleep(self.still_interval)

    @staticmethod
    def _encode_pair(frame: av.VideoFrame) -> tuple[bytes, bytes]:
        return encode_jpeg(frame, STILL_SIZE), encode_jpeg(frame, HIGH_STILL_SIZE)

    async def close(self) -> None:
        self.presenter = None
        self._still_task = None
        self._bot_task = None
        await cancel_and_wait(list(self._tasks))
        self._receivers.clear()
