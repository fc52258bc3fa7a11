"""Receive latency: the ONE place that changes aiortc's jitter buffers.

Why (bench (d) and the shared media notes, section 5): aiortc 1.16 adds
latency in its receive buffers by design, not because the network needs it.

* Video: a frame leaves the buffer only when the first packet of the
  *next* frame arrives, although the sender marks a frame's last packet
  with the RTP marker bit (RFC 6184 / RFC 7741, and aiortc's own sender
  does). That is one frame interval, 33 ms at 30 fps, on every frame.
* Audio: ``JitterBuffer(capacity=16, prefetch=4)`` holds four further
  packets before releasing one (80 ms at 20 ms per packet). The release
  is triggered by arrivals, not by a clock, so the prefetch smooths no
  jitter (the sound card's buffer does); it only tolerates reordering.
  And after a lost packet (audio has no NACK) the stock buffer waits for
  its 16 slots to overflow and then stays full: +300 ms for the rest of the
  call (aiortc issue #543).

What changes:

* :class:`MarkerJitterBuffer` releases a video frame when its marker
  packet arrives, provided every packet from the frame's first one (known
  because the previous frame ended just before it) up to the marker is
  there. Anything else -- a gap, no marker before the next timestamp, not
  knowing where the frame starts (first packet of a stream, after a reset)
  -- falls back to aiortc's own rule, so a frame is never released
  incomplete where aiortc would not release it. Packets that still carry
  the timestamp of a frame already released (padding, duplicates) are
  dropped instead of reaching the decoder as a frame of their own.
* :class:`AudioJitterBuffer` releases each packet (one audio frame) once
  ``prefetch`` later packets have arrived (default 1: when the next one
  arrives, 20 ms; aiortc waits for 4) and gives a lost packet up as soon
  as the packet behind it is due, so loss costs that packet, never lasting
  latency.

How: ``RTCRtpReceiver.__init__`` builds its buffer through the module-level
name ``aiortc.rtcrtpreceiver.JitterBuffer``. :func:`install_receive_tuning`
(called by :func:`appliance.media.encoders.install_codecs`) points that name
at :func:`receiver_jitter_buffer`; :func:`uninstall_receive_tuning` puts
aiortc's class back. Process-wide, like aiortc's codec registry; receivers
created before the call keep the buffer they have.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import aiortc.jitterbuffer as aiortc_jitterbuffer
import aiortc.rtcrtpreceiver as aiortc_receiver
from aiortc.jitterbuffer import JitterBuffer, JitterFrame
from aiortc.rtp import RtpPacket
from aiortc.utils import uint16_add, uint16_gt

_WAIT = -1  # the frame at the origin is not complete yet
_STOCK = -2  # no marker before the timestamp changed: aiortc's rule decides


@dataclass(frozen=True, slots=True)
class ReceiveTuning:
    """Which receive-buffer changes are on."""

    video_marker_release: bool = True
    audio_prefetch: int = 1  # packets held behind the one released; aiortc: 4


class MarkerJitterBuffer(JitterBuffer):  # type: ignore[misc]
    """aiortc's video buffer, releasing each frame on its marker packet when it is whole."""

    def __init__(self, capacity: int, prefetch: int = 0, is_video: bool = True) -> None:
        super().__init__(capacity, prefetch=prefetch, is_video=is_video)
        self._at_frame_start = False  # is the packet at the origin the first of its frame?
        self._released: int | None = None  # RTP timestamp of the last frame released

    def remove(self, count: int) -> None:
        # aiortc calls this to throw packets away (reset); a release re-asserts the boundary
        super().remove(count)
        self._at_frame_start = False

    def smart_remove(self, count: int) -> bool:
        removed: bool = super().smart_remove(count)
        self._at_frame_start = False
        return removed

    def _remove_frame(self, sequence_number: int) -> JitterFrame | None:
        if self._at_frame_start:
            self._drop_stragglers()
            end = self._marker_end()
            if end == _WAIT:
                return None
            if end >= 0:
                return self._release(end + 1)
        frame: JitterFrame | None = super()._remove_frame(sequence_number)
        if frame is not None:
            # aiortc released at a timestamp change: the origin is now that new frame's first packet
            self._at_frame_start = True
            self._released = frame.timestamp
        return frame

    def _slot(self, count: int) -> RtpPacket | None:
        assert self._origin is not None
        packet: RtpPacket | None = self._packets[(self._origin + count) % self._capacity]
        return packet

    def _drop_stragglers(self) -> None:
        while (packet := self._slot(0)) is not None and packet.timestamp == self._released:
            super().remove(1)

    def _marker_end(self) -> int:
        """Offset of the marker packet closing the frame at the origin, or _WAIT / _STOCK."""
        timestamp = None
        for count in range(self._capacity):
            packet = self._slot(count)
            if packet is None:
                return _WAIT
            if timestamp is None:
                timestamp = packet.timestamp
            elif packet.timestamp != timestamp:
                return _STOCK
            if packet.marker:
                return count
        return _STOCK

    def _release(self, count: int) -> JitterFrame:
        packets = [self._slot(index) for index in range(count)]
        data = b"".join(packet._data for packet in packets if packet is not None)  # type: ignore[attr-defined]
        timestamp = packets[0].timestamp if packets[0] is not None else 0
        frame = JitterFrame(data=data, timestamp=timestamp)
        super().remove(count)
        self._at_frame_start = True
        self._released = timestamp
        return frame


class AudioJitterBuffer(JitterBuffer):  # type: ignore[misc]
    """aiortc's audio buffer with a small prefetch, where a lost packet costs no lasting latency.

    A packet is due once ``prefetch`` later packets have arrived (0: at
    once); the packet at the head leaves when due, and a missing head is
    given up as soon as the first packet behind it is due, i.e. exactly
    when that packet would have left had nothing been lost. A copy of the
    missing packet arriving later is older than the head and dropped by
    aiortc's own misorder check. Relies on one audio frame per RTP packet
    (Opus and G.711 as WebRTC sends them).
    """

    def __init__(self, capacity: int, prefetch: int = 1) -> None:
        super().__init__(capacity, prefetch=prefetch, is_video=False)
        self._newest: int | None = None

    def _remove_frame(self, sequence_number: int) -> JitterFrame | None:
        origin = self._origin
        assert origin is not None
        if self._newest is None or uint16_gt(sequence_number, self._newest):
            self._newest = sequence_number
        ahead = uint16_add(self._newest, -origin)
        if ahead >= self._capacity:  # the origin moved past it (aiortc reset the buffer)
            self._newest, ahead = sequence_number, uint16_add(sequence_number, -origin)
        for offset in range(min(ahead + 1, self._capacity)):
            packet: RtpPacket | None = self._packets[(origin + offset) % self._capacity]
            if packet is None:
                continue
            if ahead - offset < self._prefetch:
                return None  # not due: a missing packet before it may still come
            self.remove(offset + 1)  # missing packets before it are given up
            return JitterFrame(data=packet._data, timestamp=packet.timestamp)  # type: ignore[attr-defined]
        return None


_lock = threading.Lock()
_tuning: ReceiveTuning | None = None


def receiver_jitter_buffer(capacity: int, prefetch: int = 0, is_video: bool = False) -> JitterBuffer:
    """What ``RTCRtpReceiver`` builds while the tuning is installed (same signature as aiortc's class)."""
    tuning = _tuning
    if is_video:
        if tuning is not None and tuning.video_marker_release:
            return MarkerJitterBuffer(capacity, prefetch=prefetch, is_video=True)
        return JitterBuffer(capacity, prefetch=prefetch, is_video=True)
    if tuning is not None:
        return AudioJitterBuffer(capacity, prefetch=tuning.audio_prefetch)
    return JitterBuffer(capacity, prefetch=prefetch)


def install_receive_tuning(tuning: ReceiveTuning | None = None) -> ReceiveTuning:
    """Route the buffers of receivers created from now on through :func:`receiver_jitter_buffer`."""
    global _tuning
    tuning = tuning or ReceiveTuning()
    if tuning.audio_prefetch < 0:
        raise ValueError(f"audio_prefetch must be >= 0, not {tuning.audio_prefetch}")
    with _lock:
        _tuning = tuning
        setattr(aiortc_receiver, "JitterBuffer", receiver_jitter_buffer)  # noqa: B010 - aiortc's module name
    return tuning


def uninstall_receive_tuning() -> None:
    """Give receivers created from now on aiortc's own buffers again."""
    global _tuning
    with _lock:
        _tuning = None
        setattr(aiortc_receiver, "JitterBuffer", aiortc_jitterbuffer.JitterBuffer)  # noqa: B010


def installed_tuning() -> ReceiveTuning | None:
    return _tuning
