"""The statistics dictionary from raw counters, with time passed in."""

from __future__ import annotations

from appliance.media.stats import StatsTracker, StreamCounters


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_stats_bitrate_is_the_delta_since_the_previous_read() -> None:
    clock = Clock()
    tracker = StatsTracker(clock)
    clock.now += 1
    assert tracker.bitrate_kbps("v", 125_000) == 1000
    clock.now += 2
    assert tracker.bitrate_kbps("v", 125_000 + 125_000) == 500


def test_stats_incoming_percentage_counts_lost_over_expected() -> None:
    entry = StatsTracker(Clock()).incoming("a", StreamCounters(packets=90, lost=10, bytes=None))
    assert entry == {"bitrate": 0, "packets-lost": 10, "packets-received": 90, "percentage-lost": 10.0}


def test_stats_outgoing_reports_what_the_far_end_received() -> None:
    entry = StatsTracker(Clock()).outgoing("v", StreamCounters(packets=200, lost=4, bytes=0))
    assert entry["packets-sent"] == 200
    assert entry["packets-received"] == 196
    assert entry["percentage-lost"] == 2.0


def test_stats_without_a_stream_are_empty() -> None:
    assert StatsTracker(Clock()).incoming("a", None) == {}


class _Side:
    def __init__(self, report: dict[str, object]) -> None:
        self.report = report

    async def getStats(self) -> dict[str, object]:
        return self.report


class _Transceiver:
    """A negotiated m-line whose first packet has not been counted yet."""

    def __init__(self, direction: str) -> None:
        self.currentDirection = direction
        self.direction = direction
        self.sender = _Side({})
        self.receiver = _Side({})


class _NoFrames:
    resolution = None
    decode_ms = None
    decoder = None


async def collect_before_first_packet(*directions: str) -> dict[str, dict[str, dict[str, object]]]:
    return await StatsTracker(Clock()).collect(
        [_Transceiver(d) for d in directions],
        sent=(None, None),
        received=(_NoFrames(), _NoFrames()),
        encoder=None,
    )


async def test_stats_before_the_first_packet_have_every_negotiated_stream_with_zeros() -> None:
    stats = await collect_before_first_packet("sendrecv", "sendrecv", "recvonly")
    assert set(stats["outgoing"]) == {"audio", "video"}
    assert set(stats["incoming"]) == {"audio", "video", "presentation"}
    assert stats["outgoing"]["audio"] == {
        "bitrate": 0,
        "packets-sent": 0,
        "packets-lost": 0,
        "packets-received": 0,
        "percentage-lost": 0.0,
    }
    assert stats["incoming"]["video"]["packets-received"] == 0
    assert stats["incoming"]["video"]["decode-delay"] == 0


async def test_stats_leave_out_streams_the_negotiation_made_inactive() -> None:
    stats = await collect_before_first_packet("sendrecv", "inactive", "inactive")
    assert set(stats["outgoing"]) == {"audio"} and set(stats["incoming"]) == {"audio"}


async def test_stats_outgoing_video_has_decode_delay_zero() -> None:
    stats = await collect_before_first_packet("sendrecv", "sendrecv", "inactive")
    assert stats["outgoing"]["video"]["decode-delay"] == 0
