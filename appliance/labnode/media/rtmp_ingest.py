"""The lab node's RTMP ingest: one listener per RTMP call, decoded into the mix.

For ``call_type: "RTMP"`` Infinity hands the client a URL to publish to
instead of an SDP answer (reference §4.1). The lab node does the same
with FFmpeg's RTMP protocol in listen mode, through PyAV: each call gets
its own port (so a publisher cannot land on somebody else's call) and its
own reader thread, which decodes the FLV (H.264 + AAC) and hands frames
to the event loop, where they become that participant's tile and voice
like any WebRTC participant's.

PyAV details that shape this module:

* The listener is opened *without* PyAV's ``timeout``: PyAV's interrupt
  callback takes the GIL, and an in-process publisher (tests, the demo)
  connects inside ``avio_open`` while *holding* the GIL, so the two would
  deadlock. FFmpeg's own ``timeout`` (seconds to wait for a publisher) and
  ``rw_timeout`` (a stalled publisher) bound the waits instead.
* FFmpeg's listener accepts one connection and then stops listening; a
  connection that is not a publisher (a port probe, a scanner) fails the
  handshake, so the reader re-listens until the wait is over. Closing a
  call whose listener is still waiting pokes it with a plain TCP connect.
* There is no RTMPS listener: ``secure_url`` names ``rtmps://`` on the same
  port for clients that insist on one, but only ``url`` works here.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import secrets
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

import av

from appliance.log import get_logger

log = get_logger(__name__)

WAIT_FOR_PUBLISHER: Final = 30.0
STALL_MICROSECONDS: Final = 5_000_000
_JOIN_SECONDS: Final = STALL_MICROSECONDS / 1e6 + 1.0
_POKE_TRIES: Final = 40
_POKE_GAP: Final = 0.05


def free_port(host: str) -> int:
    """A port the OS just had free on ``host``; FFmpeg binds it a moment later."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


@dataclass(slots=True)
class IngestStats:
    video_frames: int = 0
    audio_frames: int = 0
    connections: int = 0
    publishing: bool = False
    width: int = 0
    height: int = 0
    video_codec: str = ""
    audio_codec: str = ""


class RtmpIngest:
    """One RTMP call: listen, accept one publisher, decode until it stops or the call closes.

    The callbacks run on the event loop. ``on_ended(reason)`` runs once when
    the stream ends by itself (publisher stopped, stalled, never came), never
    after :meth:`close`.
    """

    def __init__(
        self,
        host: str,
        *,
        on_video: Callable[[av.VideoFrame], None],
        on_audio: Callable[[av.AudioFrame], None],
        on_ended: Callable[[str], None],
        wait_seconds: float = WAIT_FOR_PUBLISHER,
    ) -> None:
        self.host = host
        self.port = free_port(host)
        self._key = secrets.token_urlsafe(12)
        self._on_video = on_video
        self._on_audio = on_audio
        self._on_ended = on_ended
        self._wait = wait_seconds
        self._stop = threading.Event()
        self._loop = asyncio.get_running_loop()
        self._thread = threading.Thread(target=self._run, name=f"labnode-rtmp-{self.port}", daemon=True)
        self.stats = IngestStats()

    def _address(self, scheme: str) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{scheme}://{host}:{self.port}/live/{self._key}"

    @property
    def url(self) -> str:
        return self._address("rtmp")

    @property
    def secure_url(self) -> str:
        return self._address("rtmps")

    def start(self) -> None:
        self._thread.start()

    # -- reader thread --------------------------------------------------------

    def _run(self) -> None:
        reason = self._listen_and_read()
        if not self._stop.is_set():
            with contextlib.suppress(RuntimeError):
                self._loop.call_soon_threadsafe(self._ended, reason)

    def _listen_and_read(self) -> str:
        deadline = time.monotonic() + self._wait
        while not self._stop.is_set():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return f"no RTMP stream arrived within {self._wait:g} s"
            options = {
                "listen": "1",
                "timeout": str(max(1, math.ceil(remaining))),
                "rw_timeout": str(STALL_MICROSECONDS),
                # the FLV header and sequence headers describe both streams: no need to
                # buffer seconds of media probing (3.1 s to the first frame without these, 0.4 s with)
                "probesize": "32",
                "tcp_nodelay": "1",
                "analyzeduration": "0",
            }
            try:
                container: Any = av.open(self.url, format="flv", options=options)
            except (av.FFmpegError, OSError) as exc:
                # a probe or a scanner, or the listen timed out: the deadline decides
                log.debug("RTMP listener on port %s: %s", self.port, getattr(exc, "strerror", exc))
                continue
            try:
                return self._read(container)
            finally:
                container.close()
        return "closed"

    def _read(self, container: Any) -> str:
        self.stats.connections += 1
        self.stats.publishing = True
        streams = [*container.streams.video[:1], *container.streams.audio[:1]]
        for stream in streams:
            if stream.type == "video":
                self.stats.video_codec = stream.codec_context.name
            else:
                self.stats.audio_codec = stream.codec_context.name
        if not streams:
            return "the RTMP stream carries neither audio nor video"
        log.info(
            "RTMP publisher connected",
            extra={"context": {"port": self.port, "streams": [s.codec_context.name for s in streams]}},
        )
        try:
            for packet in container.demux(*streams):
                if self._stop.is_set():
                    return "closed"
                for frame in packet.decode():
                    self._hand_over(frame)
        except (av.FFmpegError, OSError) as exc:
            # FFmpeg reports a publisher's disconnect as EIO or EOF
            log.debug("RTMP stream on port %s ended: %s", self.port, getattr(exc, "strerror", exc))
        finally:
            self.stats.publishing = False
        return "the RTMP stream ended"

    def _hand_over(self, frame: Any) -> None:
        if isinstance(frame, av.VideoFrame):
            self.stats.video_frames += 1
            self.stats.width, self.stats.height = frame.width, frame.height
            callback: Callable[[Any], None] = self._on_video
        elif isinstance(frame, av.AudioFrame):
            self.stats.audio_frames += 1
            callback = self._on_audio
        else:
            return
        try:
            self._loop.call_soon_threadsafe(self._deliver, callback, frame)
        except RuntimeError:  # the loop closed under us
            self._stop.set()

    def _deliver(self, callback: Callable[[Any], None], frame: Any) -> None:
        if not self._stop.is_set():
            callback(frame)

    def _ended(self, reason: str) -> None:
        if not self._stop.is_set():
            self._stop.set()
            log.info("RTMP call ended", extra={"context": {"port": self.port, "reason": reason}})
            self._on_ended(reason)

    # -- shutdown -------------------------------------------------------------

    async def close(self) -> None:
        """Stop listening or reading; idempotent. A waiting listener is poked awake.

        A reader blocked on a stalled publisher wakes at the stall timeout,
        hence the default wait; past it the daemon thread is left behind.
        """
        self._stop.set()
        if not self._thread.is_alive():
            return
        for _ in range(_POKE_TRIES):
            if not self._thread.is_alive() or self.stats.publishing:
                break
            with contextlib.suppress(OSError, TimeoutError):
                async with asyncio.timeout(0.5):
                    _reader, writer = await asyncio.open_connection(self.host, self.port)
                writer.close()
            await asyncio.sleep(_POKE_GAP)
        await asyncio.get_running_loop().run_in_executor(None, self._thread.join, _JOIN_SECONDS)
        if self._thread.is_alive():
            log.warning("RTMP reader on port %s still blocked; left behind", self.port)

    def statistics(self) -> dict[str, Any]:
        s = self.stats
        return {
            "protocol": "rtmp",
            "port": self.port,
            "publishing": s.publishing,
            "connections": s.connections,
            "frames_decoded": {"video": s.video_frames, "audio": s.audio_frames},
            "resolution": [s.width, s.height],
            "codecs": {"video": s.video_codec, "audio": s.audio_codec},
        }
