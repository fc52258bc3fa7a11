"""Receive buffers: video frames leave on their marker packet when whole, audio with a small prefetch."""

from __future__ import annotations

import aiortc.jitterbuffer
import aiortc.rtcrtpreceiver
import pytest
from aiortc.jitterbuffer import JitterBuffer, JitterFrame
from aiortc.rtp import RtpPacket
from hypothesis import given, settings
from hypothesis import strategies as st

from appliance.media.jitter import (
    AudioJitterBuffer,
    MarkerJitterBuffer,
    ReceiveTuning,
    install_receive_tuning,
    installed_tuning,
    receiver_jitter_buffer,
    uninstall_receive_tuning,
)


def packet(sequence: int, timestamp: int, *, marker: bool = False, data: bytes | None = None) -> RtpPacket:
    made = RtpPacket(
        payload_type=102, sequence_number=sequence & 0xFFFF, timestamp=timestamp, marker=int(marker)
    )
    made._data = data if data is not None else f"{sequence & 0xFFFF}.".encode()  # type: ignore[attr-defined]
    return made


def feed(buffer: JitterBuffer, packets: list[RtpPacket]) -> list[JitterFrame | None]:
    return [buffer.add(p)[1] for p in packets]


def frame_packets(first: int, timestamp: int, count: int) -> list[RtpPacket]:
    """One frame of ``count`` packets from sequence ``first``, marker on the last."""
    return [packet(first + i, timestamp, marker=i == count - 1) for i in range(count)]


def primed(start: int = 100) -> MarkerJitterBuffer:
    """A buffer that has released one frame (by aiortc's rule), so it knows where frames start."""
    buffer = MarkerJitterBuffer(capacity=128)
    released = feed(buffer, [*frame_packets(start, 0, 2), packet(start + 2, 3000)])
    assert released[-1] is not None and released[-1].timestamp == 0
    return buffer


def test_marker_buffer_releases_a_frame_when_its_marker_packet_arrives() -> None:
    buffer = primed()  # holds the first packet (102) of the frame at 3000
    released = feed(buffer, [packet(103, 3000), packet(104, 3000, marker=True)])
    assert released[0] is None
    assert released[1] is not None
    assert (released[1].timestamp, released[1].data) == (3000, b"102.103.104.")


def test_marker_buffer_waits_for_a_reordered_packet_of_the_frame() -> None:
    buffer = primed()
    released = feed(buffer, [packet(104, 3000, marker=True), packet(103, 3000)])
    assert released[0] is None
    assert released[1] is not None and released[1].data == b"102.103.104."


def test_marker_buffer_never_releases_a_frame_with_a_lost_packet() -> None:
    buffer = primed()
    # 103 lost; the frame at 3000 has its marker and the next frame is complete too
    released = feed(buffer, [packet(104, 3000, marker=True), *frame_packets(105, 6000, 2)])
    assert released == [None, None, None]


def test_marker_buffer_releases_the_frame_once_the_lost_packet_is_retransmitted() -> None:
    buffer = primed()
    feed(buffer, [packet(104, 3000, marker=True), *frame_packets(105, 6000, 2)])
    released = feed(buffer, [packet(103, 3000), packet(107, 9000)])
    assert released[0] is not None and released[0].data == b"102.103.104."
    assert released[1] is not None and released[1].timestamp == 6000  # the frame that waited behind it


def test_marker_buffer_without_marker_releases_on_the_next_frame_as_aiortc_does() -> None:
    buffer = primed()
    released = feed(buffer, [packet(103, 3000), packet(104, 3000), packet(105, 6000)])
    assert released[:2] == [None, None]
    assert released[2] is not None and released[2].data == b"102.103.104."


def test_marker_buffer_waits_for_the_next_frame_while_it_does_not_know_where_frames_start() -> None:
    buffer = MarkerJitterBuffer(capacity=128)
    released = feed(buffer, frame_packets(500, 0, 2))  # the stream's first frame: its start is unknown
    assert released == [None, None]


def test_marker_buffer_drops_packets_carrying_a_released_frames_timestamp() -> None:
    buffer = primed()
    feed(buffer, [packet(103, 3000), packet(104, 3000, marker=True)])
    padding = packet(105, 3000, data=b"")
    released = feed(buffer, [padding, *frame_packets(106, 6000, 2)])
    assert released[:2] == [None, None]
    assert released[2] is not None and released[2].data == b"106.107."


def test_marker_buffer_releases_across_the_sequence_number_wrap() -> None:
    buffer = primed(start=65530)
    released = feed(
        buffer, [packet(65533, 3000), packet(65534, 3000), packet(65535, 3000), packet(0, 3000, marker=True)]
    )
    assert released[-1] is not None and released[-1].data == b"65532.65533.65534.65535.0."


@settings(max_examples=150, deadline=None)
@given(
    sizes=st.lists(st.integers(min_value=1, max_value=5), min_size=3, max_size=12),
    swaps=st.lists(st.integers(min_value=1, max_value=60), max_size=10),
    lost=st.sets(st.integers(min_value=1, max_value=60), max_size=4),
)
def test_marker_buffer_only_ever_releases_whole_frames_in_order(
    sizes: list[int], swaps: list[int], lost: set[int]
) -> None:
    sent: dict[int, bytes] = {}
    stream: list[RtpPacket] = []
    for index, size in enumerate(sizes):
        frame = frame_packets(len(stream), index * 3000, size)
        sent[index * 3000] = b"".join(p._data for p in frame)  # type: ignore[attr-defined]
        stream.extend(frame)
    # the stream's first packet arrives first: before any frame has ended, where frames start is
    # unknown and aiortc's own rule applies (it releases a first frame missing its head as it is)
    arrivals = [stream[0]] + [p for i, p in enumerate(stream[1:], 1) if i not in lost]
    for at in swaps:  # neighbour swaps: reordering by a few packets
        if at + 1 < len(arrivals):
            arrivals[at], arrivals[at + 1] = arrivals[at + 1], arrivals[at]
    released = [f for f in feed(MarkerJitterBuffer(capacity=512), arrivals) if f is not None]
    for frame in released:
        assert frame.data == sent[frame.timestamp]
    timestamps = [f.timestamp for f in released]
    assert timestamps == sorted(set(timestamps))


def test_audio_buffer_releases_each_packet_when_the_next_arrives() -> None:
    buffer = AudioJitterBuffer(capacity=16, prefetch=1)
    released = feed(buffer, [packet(10 + i, i * 960) for i in range(4)])
    assert released[0] is None
    assert [f.timestamp if f else None for f in released[1:]] == [0, 960, 1920]


def test_audio_buffer_with_no_prefetch_releases_on_arrival() -> None:
    buffer = AudioJitterBuffer(capacity=16, prefetch=0)
    released = feed(buffer, [packet(10, 0), packet(11, 960)])
    assert [f.timestamp if f else None for f in released] == [0, 960]


def test_audio_buffer_gives_a_lost_packet_up_without_lasting_delay() -> None:
    buffer = AudioJitterBuffer(capacity=16, prefetch=1)
    # 12 is lost: 13 leaves when 14 arrives, as it would have anyway; then one behind again
    released = feed(
        buffer, [packet(10, 0), packet(11, 960), packet(13, 2880), packet(14, 3840), packet(15, 4800)]
    )
    assert [f.timestamp if f else None for f in released] == [None, 0, 960, 2880, 3840]


def test_audio_buffer_keeps_a_packet_that_arrives_swapped_with_its_neighbour() -> None:
    buffer = AudioJitterBuffer(capacity=16, prefetch=1)
    released = feed(buffer, [packet(10, 0), packet(12, 1920), packet(11, 960), packet(13, 2880)])
    assert [f.timestamp if f else None for f in released] == [None, 0, 960, 1920]


def test_audio_buffer_drops_a_packet_that_arrives_after_it_was_given_up() -> None:
    buffer = AudioJitterBuffer(capacity=16, prefetch=1)
    feed(buffer, [packet(10, 0), packet(11, 960), packet(13, 2880), packet(14, 3840)])
    released = feed(buffer, [packet(12, 1920), packet(15, 4800)])
    assert released[0] is None
    assert released[1] is not None and released[1].timestamp == 3840


def test_receiver_jitter_buffer_follows_the_installed_tuning() -> None:
    install_receive_tuning(ReceiveTuning(video_marker_release=False, audio_prefetch=2))
    try:
        video = receiver_jitter_buffer(capacity=512, is_video=True)
        audio = receiver_jitter_buffer(capacity=16, prefetch=4)
        assert type(video) is JitterBuffer
        assert isinstance(audio, AudioJitterBuffer) and audio._prefetch == 2
    finally:
        install_receive_tuning(ReceiveTuning())


def test_install_receive_tuning_routes_aiortc_receivers_through_it() -> None:
    previous = installed_tuning()
    install_receive_tuning()
    try:
        assert aiortc.rtcrtpreceiver.JitterBuffer is receiver_jitter_buffer
        assert isinstance(aiortc.rtcrtpreceiver.JitterBuffer(capacity=512, is_video=True), MarkerJitterBuffer)
    finally:
        uninstall_receive_tuning()
        assert aiortc.rtcrtpreceiver.JitterBuffer is aiortc.jitterbuffer.JitterBuffer
        if previous is not None:
            install_receive_tuning(previous)


def test_install_receive_tuning_rejects_a_negative_prefetch() -> None:
    with pytest.raises(ValueError, match="audio_prefetch"):
        install_receive_tuning(ReceiveTuning(audio_prefetch=-1))
