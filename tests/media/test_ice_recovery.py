"""Automatic ICE restart: a call whose network drops restarts ICE and comes back, or fails after bounded retries."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

import pytest

from appliance.backoff import Backoff
from appliance.media.engine import MediaCall
from appliance.media.ice import consent_checks
from appliance.media.plan import MediaSettings
from appliance.media.processing import ProcessingSettings
from appliance.media.recovery import IceRestartPolicy
from tests.support.media import CAMERA, MICROPHONE, FakeFarEnd, NetworkOutage
from tests.support.waiting import eventually

pytestmark = pytest.mark.media

# seconds scaled down so the suite stays short; the shape (consent misses, back-off, bounded attempts) is the product's
FAST = IceRestartPolicy(
    attempts=3,
    backoff=Backoff(first=0.2, cap=0.4),
    attempt_timeout_s=3.0,
    consent_interval_s=0.2,
    consent_failures=3,
    drop_timeout_s=0.3,
)


@pytest.fixture
def outage() -> Iterator[NetworkOutage]:
    network = NetworkOutage()
    yield network
    network.restore()


class Events:
    def __init__(self) -> None:
        self.seen: list[tuple[str, dict[str, Any]]] = []

    def __call__(self, event: str, data: Any) -> None:
        self.seen.append((event, dict(data)))

    def names(self) -> list[str]:
        return [name for name, _ in self.seen]

    def count(self, name: str) -> int:
        return self.names().count(name)


def new_call(far_end: FakeFarEnd, events: Events, policy: IceRestartPolicy = FAST) -> MediaCall:
    settings = MediaSettings(
        audio_source=MICROPHONE, video_source=CAMERA, processing=ProcessingSettings(False, False, False)
    )
    return MediaCall(far_end, settings, on_event=events, ice_restart=policy)


async def test_a_call_whose_network_drops_and_returns_restarts_ice_and_receives_again(
    far_end: FakeFarEnd, outage: NetworkOutage
) -> None:
    events = Events()
    call = new_call(far_end, events)
    try:
        await call.start()
        await eventually(lambda: call.main_video.stats.frames > 3)
        first_call = call.call_uuid
        outage.down = True
        # the first restart runs while the network is still down, and fails
        await eventually(lambda: events.count("ice_restarting") >= 2, within=30)
        outage.down = False
        await eventually(lambda: events.count("ice_restarted") == 1, within=30)
        received = call.main_video.stats.frames
        await eventually(lambda: call.main_video.stats.frames > received + 3)
        sent = far_end.received["1"].frames
        await eventually(lambda: far_end.received["1"].frames > sent + 3)
        assert "failed" not in events.names()
        assert call.call_uuid != first_call
        assert ("disconnect", {"call_uuid": first_call}) in far_end.log  # the dead call was dropped
    finally:
        await call.close()


async def test_a_call_whose_network_stays_down_fails_only_after_the_bounded_restarts(
    far_end: FakeFarEnd, outage: NetworkOutage
) -> None:
    events = Events()
    call = new_call(far_end, events)
    try:
        await call.start()
        await eventually(lambda: call.main_video.stats.frames > 3)
        outage.down = True
        await eventually(lambda: "failed" in events.names(), within=60)
        names = events.names()
        assert names.count("ice_restarting") == FAST.attempts
        assert names.index("failed") > max(i for i, n in enumerate(names) if n == "ice_restarting")
        assert names.count("failed") == 1
        assert "ice_restarted" not in names
    finally:
        await call.close()


def test_ice_restart_policy_waits_one_two_then_four_seconds_by_default() -> None:
    assert IceRestartPolicy().backoff.schedule(3) == [1.0, 2.0, 4.0]


async def test_a_node_that_freezes_and_thaws_within_the_attempts_gets_the_call_back(
    far_end: FakeFarEnd, outage: NetworkOutage
) -> None:
    events = Events()
    # a fourth attempt leaves room for a slow machine; the old code failed every attempt after the first
    call = new_call(far_end, events, dataclasses.replace(FAST, attempts=4))
    try:
        await call.start()
        await eventually(lambda: call.main_video.stats.frames > 3)
        far_end.freeze()  # SIGSTOP: no answers, no media
        outage.down = True
        # attempt 1 reaches the frozen node and times out; attempt 2 is waiting its back-off
        await eventually(lambda: events.count("ice_restarting") >= 2, within=30)
        far_end.thaw()  # SIGCONT
        outage.down = False
        await eventually(lambda: "ice_restarted" in events.names() or "failed" in events.names(), within=30)
        assert "failed" not in events.names()
        assert far_end.ops().count("calls") >= 3  # the first call, then every attempt called again
        received = call.main_video.stats.frames
        await eventually(lambda: call.main_video.stats.frames > received + 3)
    finally:
        far_end.thaw()
        await call.close()


async def test_without_restarts_a_lost_connection_fails_at_once(
    far_end: FakeFarEnd, outage: NetworkOutage
) -> None:
    events = Events()
    call = new_call(far_end, events, IceRestartPolicy(attempts=0, consent_interval_s=0.2, consent_failures=3))
    try:
        await call.start()
        await eventually(lambda: call.main_video.stats.frames > 3)
        outage.down = True
        await eventually(lambda: "failed" in events.names(), within=30)
        assert "ice_restarting" not in events.names()
    finally:
        await call.close()


def test_a_media_call_tightens_aioices_consent_checks() -> None:
    MediaCall(
        FakeFarEnd(),
        MediaSettings(),
        ice_restart=IceRestartPolicy(consent_interval_s=1.0, consent_failures=5),
    )
    assert consent_checks() == (1.0, 5)


async def test_hanging_up_during_recovery_stops_it_without_failed(
    far_end: FakeFarEnd, outage: NetworkOutage
) -> None:
    events = Events()
    call = new_call(far_end, events)
    try:
        await call.start()
        await eventually(lambda: call.main_video.stats.frames > 3)
        outage.down = True
        await eventually(lambda: "ice_restarting" in events.names(), within=30)
        await call.disconnect_call()
        assert not call.active
        outage.down = False
        assert "failed" not in events.names()
    finally:
        await call.close()
