"""``getMediaStatistics()`` in the founding document's shape, from aiortc's getStats().

PexRTC returns ``{outgoing: {audio, video}, incoming: {audio, video}}``
with ``bitrate`` (kbps), ``packets-lost``, ``packets-received``,
``percentage-lost`` and, for video, ``resolution`` and ``decode-delay``.
aiortc's reports count packets and bytes; bit rates are therefore deltas
between two calls, which :class:`StatsTracker` remembers per stream.

For outgoing streams ``packets-received`` is what the far end reports it
received (sent minus its reported loss) and ``packets-sent`` is added;
``encoder``/``decoder`` name the codec implementation in use, so a room
that fell back to software decoding shows it.

Every stream the negotiated directions say exists is present from the
start, with zeros until its first packet: a caller polling right after
connect gets the document's whole structure, not an empty dictionary.
Outgoing video carries ``decode-delay`` as the document's structure lists
it for both directions, but the far end's decode time travels in no RTCP
report aiortc reads (nor does Pexip send one), so it is ``0``. Incoming
``decode-delay`` is ``0`` until the first frame is decoded.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class StreamCounters:
    """One stream's counters as read from a report."""

    packets: int
    lost: int
    bytes: int | None


@dataclass(slots=True)
class _Sample:
    at: float
    bytes: int


# a stream the negotiation set up that has not sent or received its first packet
_NOTHING_YET = StreamCounters(0, 0, 0)


def _percentage(lost: int, total: int) -> float:
    return round(100.0 * lost / total, 2) if total > 0 else 0.0


def outgoing_counters(report: Mapping[str, Any]) -> StreamCounters | None:
    """Counters of a sender's report (outbound-rtp plus remote-inbound-rtp)."""
    sent = lost = sent_bytes = 0
    found = False
    for stat in report.values():
        if stat.type == "outbound-rtp":
            sent += stat.packetsSent
            sent_bytes += stat.bytesSent
            found = True
        elif stat.type == "remote-inbound-rtp":
            lost += max(0, stat.packetsLost)
    return StreamCounters(sent, lost, sent_bytes) if found else None


def incoming_counters(report: Mapping[str, Any]) -> StreamCounters | None:
    """Counters of a receiver's report (inbound-rtp plus the sender's reports)."""
    received = lost = 0
    remote_bytes: int | None = None
    found = False
    for stat in report.values():
        if stat.type == "inbound-rtp":
            received += stat.packetsReceived
            lost += max(0, stat.packetsLost)
            found = True
        elif stat.type == "remote-outbound-rtp":
            remote_bytes = (remote_bytes or 0) + stat.bytesSent
    return StreamCounters(received, lost, remote_bytes) if found else None


class StatsTracker:
    """Turns successive counters into the nested PexRTC dictionary."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._started = clock()
        self._samples: dict[str, _Sample] = {}

    def bitrate_kbps(self, key: str, total_bytes: int | None) -> int:
        """kbps since the previous call for ``key`` (since start on the first call)."""
        now = self._clock()
        if total_bytes is None:
            return 0
        previous = self._samples.get(key, _Sample(self._started, 0))
        self._samples[key] = _Sample(now, total_bytes)
        elapsed = now - previous.at
        if elapsed <= 0 or total_bytes < previous.bytes:
            return 0
        return round((total_bytes - previous.bytes) * 8 / elapsed / 1000)

    def outgoing(self, key: str, counters: StreamCounters | None) -> dict[str, Any]:
        if counters is None:
            return {}
        received = max(0, counters.packets - counters.lost)
        return {
            "bitrate": self.bitrate_kbps(key, counters.bytes),
            "packets-sent": counters.packets,
            "packets-lost": counters.lost,
            "packets-received": received,
            "percentage-lost": _percentage(counters.lost, counters.packets),
        }

    async def collect(
        self,
        transceivers: Sequence[Any],
        *,
        sent: tuple[tuple[int, int] | None, tuple[int, int] | None],
        received: tuple[Any, Any],
        encoder: str | None,
        names: Sequence[str] = ("audio", "video", "presentation"),
    ) -> dict[str, Any]:
        """The whole dictionary for a call's transceivers, named by ``names`` in m-line order.

        ``names`` are "audio", "video" (main) and "presentation" (a separate
        presentation call has only that one); ``sent``: outgoing
        main/presentation resolutions; ``received``: the main/presentation
        sinks' ``VideoStats``.
        """
        result: dict[str, Any] = {"outgoing": {}, "incoming": {}}
        videos = {"video": 0, "presentation": 1}
        for index, transceiver in enumerate(transceivers):
            name = names[index] if index < len(names) else f"mline{index}"
            out_report, in_report = await _reports(transceiver)
            direction = str(getattr(transceiver, "currentDirection", None) or transceiver.direction or "")
            out_counters = outgoing_counters(out_report)
            if out_counters is None and "send" in direction:
                out_counters = _NOTHING_YET
            in_counters = incoming_counters(in_report)
            if in_counters is None and "recv" in direction:
                in_counters = _NOTHING_YET
            outgoing = self.outgoing(f"out-{name}", out_counters)
            incoming = self.incoming(f"in-{name}", in_counters)
            which = videos.get(name)
            if which is not None and outgoing:
                outgoing["resolution"] = resolution_text(sent[which])
                outgoing["decode-delay"] = 0  # the far end's figure is not reported (module doc)
                if name == "video":
                    outgoing["encoder"] = encoder
            if which is not None:
                _video_extras(incoming, received[which])
            if outgoing:
                result["outgoing"][name] = outgoing
            if incoming:
                result["incoming"][name] = incoming
        return result

    def incoming(self, key: str, counters: StreamCounters | None) -> dict[str, Any]:
        if counters is None:
            return {}
        return {
            "bitrate": self.bitrate_kbps(key, counters.bytes),
            "packets-lost": counters.lost,
            "packets-received": counters.packets,
            "percentage-lost": _percentage(counters.lost, counters.packets + counters.lost),
        }


async def _reports(transceiver: Any) -> tuple[Mapping[str, Any], Mapping[str, Any]]:
    return await transceiver.sender.getStats(), await transceiver.receiver.getStats()


def _video_extras(incoming: dict[str, Any], stats: Any) -> None:
    if not incoming:
        return
    incoming["resolution"] = resolution_text(stats.resolution)
    decode_ms = stats.decode_ms
    incoming["decode-delay"] = round(decode_ms, 2) if decode_ms is not None else 0
    # named by the decoder that produced the frames (None until one arrives)
    incoming["decoder"] = stats.decoder


def resolution_text(resolution: tuple[int, int] | None) -> str | None:
    return f"{resolution[0]}x{resolution[1]}" if resolution else None
