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
