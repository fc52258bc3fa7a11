"""One participant's call on the lab node: its peer connection and what flows on it.

Kept apart from the hub so that the hub reads as conference-level wiring
(who hears and sees what) and this module as the life of one
``RTCPeerConnection``: its m-line roles, its outgoing tracks, the tasks that
drain its incoming tracks, and counters refreshed from ``getStats`` so the
synchronous ``call_statistics`` never has to await.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any, Final

from aiortc import RTCPeerConnection
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

from appliance.aio import cancel_and_wait
from appliance.labnode.media.audio_mix import AudioFifo
from appliance.labnode.media.encoder import EncodedVideoTrack
from appliance.labnode.media.mixer import MixKey
from appliance.labnode.media.mline_roles import MLineRole
from appliance.labnode.media_api import CallRequest

_STATS_INTERVAL: Final = 1.0


@dataclass(slots=True)
class Counters:
    packets_in: int = 0
    bytes_in: int = 0
    packets_out: int = 0
    bytes_out: int = 0
    frames_decoded: dict[str, int] = field(
        default_factory=lambda: {"audio": 0, "video": 0, "presentation": 0}
    )


class HubCall:
    """A call's peer connection, its roles by mid, outgoing tracks and drain tasks.

    The node's end of one ``calls`` request inside the hub; the client's end
    is :class:`appliance.media.engine.MediaCall`.
    """

    def __init__(self, request: CallRequest, pc: RTCPeerConnection) -> None:
        self.call_uuid = request.call_uuid
        self.participant_uuid = request.participant_uuid
        self.present = request.present
        self.media_type = request.media_type
        # the service's cap on what this participant receives, i.e. what we send
        self.kbps_cap = request.bandwidth_in
        self.pc = pc
        self.roles: dict[str, MLineRole] = {}
        self.out_tracks: dict[str, MediaStreamTrack] = {}
        self.main_key: MixKey | None = None
        # the mixer source fed by this call, so closing an old call never removes a newer one's
        self.audio_fifo: AudioFifo | None = None
        self.codecs: dict[str, str] = {}
        self.counters = Counters()
        self.closed = False
        self._tasks: set[asyncio.Task[None]] = set()

    def spawn(self, coro: Coroutine[Any, Any, None], name: str) -> None:
        task = asyncio.get_running_loop().create_task(coro, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def video_tracks(self, *roles: MLineRole) -> list[EncodedVideoTrack]:
        return [
            t
            for mid, t in self.out_tracks.items()
            if isinstance(t, EncodedVideoTrack) and self.roles.get(mid) in roles
        ]

    async def drain(self, track: MediaStreamTrack, kind: str, sink: Callable[[Any], None]) -> None:
        """Read a remote track until it ends, handing each decoded frame to ``sink``."""
        while True:
            try:
                frame = await track.recv()
            except MediaStreamError:
                return
            self.counters.frames_decoded[kind] += 1
            sink(frame)

    async def poll_stats(self) -> None:
        while not self.closed:
            await self.refresh_stats()
            await asyncio.sleep(_STATS_INTERVAL)

    async def refresh_stats(self) -> None:
        report = await self.pc.getStats()
        counters = self.counters
        counters.packets_in = counters.bytes_in = counters.packets_out = counters.bytes_out = 0
        for stats in report.values():
            if stats.type == "transport":
                counters.packets_in += stats.packetsReceived
                counters.bytes_in += stats.bytesReceived
                counters.packets_out += stats.packetsSent
                counters.bytes_out += stats.bytesSent

    def statistics(self) -> dict[str, Any]:
        c = self.counters
        encoded = [t.encoder for t in self.video_tracks(*MLineRole) if t.encoder is not None]
        return {
            "call_uuid": self.call_uuid,
            "participant_uuid": self.participant_uuid,
            "connection_state": self.pc.connectionState,
            "codecs": dict(self.codecs),
            "roles": {mid: str(role) for mid, role in self.roles.items()},
            "packets_in": c.packets_in,
            "bytes_in": c.bytes_in,
            "packets_out": c.packets_out,
            "bytes_out": c.bytes_out,
            "frames_decoded": dict(c.frames_decoded),
            "video_frames_encoded": sum(e.frames for e in encoded),
            "video_keyframes": sum(e.keyframes for e in encoded),
            "video_bytes_encoded": sum(e.bytes for e in encoded),
        }

    async def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        for track in self.out_tracks.values():
            track.stop()
        await self.pc.close()
        await cancel_and_wait(list(self._tasks))
