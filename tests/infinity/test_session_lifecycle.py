"""Token refresh and release, the event stream, reconnection and roster resync."""

from __future__ import annotations

import asyncio
import dataclasses

import pytest

from appliance.infinity import (
    ClientOptions,
    EventStreamLost,
    InfinitySession,
    InvalidToken,
    TokenExpired,
    TokenGrant,
)
from appliance.infinity.events import (
    MalformedEvent,
    ParticipantCreate,
    ParticipantDelete,
    ParticipantUpdate,
    RefreshTokenRequested,
    RoleChanged,
    SessionFailed,
    StreamReconnecting,
    UnknownEvent,
)
from appliance.infinity.models import Role
from tests.support.recorder import EventLog
from tests.support.scripted_node import ScriptedNode, participant, sse
from tests.support.waiting import eventually


async def joined(node: ScriptedNode, options: ClientOptions, alias: str = "meet") -> InfinitySession:
    session = InfinitySession(node.url, alias, options=options)
    outcome = await session.join("Room 4")
    assert isinstance(outcome, TokenGrant)
    return session


async def test_join_synchronises_the_roster(node: ScriptedNode, fast: ClientOptions) -> None:
    node.add("other", "Alice")
    session = await joined(node, fast)
    try:
        assert set(session.state.participants) == {"other", session.participant_uuid}
        assert session.state.synced
        assert session.state.me is not None
    finally:
        await session.close()


async def test_events_carry_the_token_in_query_and_header(node: ScriptedNode, fast: ClientOptions) -> None:
    session = await joined(node, fast)
    await session.close()
    request = node.calls_to("events")[0]
    assert request.query["token"] == node.issued[0]
    assert request.headers["token"] == node.issued[0]


async def test_close_releases_the_token(node: ScriptedNode, fast: ClientOptions) -> None:
    session = await joined(node, fast)
    await session.close()
    assert len(node.calls_to("release_token")) == 1
    assert not session.joined
    assert node.valid_tokens == set()


async def test_refresh_runs_at_a_third_of_expires_and_replaces_the_token(
    node: ScriptedNode, fast: ClientOptions
) -> None:
    node.expires = "0.3"
    session = await joined(node, fast)
    try:
        await eventually(lambda: len(node.calls_to("refresh_token")) >= 2)
        first, second = node.calls_to("refresh_token")[:2]
        assert first.headers["token"] == node.issued[0]
        assert second.headers["token"] == node.issued[1]
        await session.control.lock()
        assert node.calls_to("lock")[0].headers["token"] in node.valid_tokens
    finally:
        await session.close()


async def test_refresh_token_event_triggers_an_immediate_refresh(
    node: ScriptedNode, fast: ClientOptions
) -> None:
    session = await joined(node, fast)
    try:
        node.push("refresh_token", None)
        await eventually(lambda: bool(node.calls_to("refresh_token")))
    finally:
        await session.close()


async def test_refresh_result_role_updates_own_role(node: ScriptedNode, fast: ClientOptions) -> None:
    session = await joined(node, fast)
    seen = EventLog()
    session.subscribe(seen)
    try:
        node.refresh_role = "GUEST"
        await session.refresh_token()
        assert session.role is Role.GUEST
        assert RoleChanged(old=Role.HOST, new=Role.GUEST) in seen.events
    finally:
        await session.close()


async def test_refresh_retries_then_fails_when_the_token_expires(
    node: ScriptedNode, fast: ClientOptions
) -> None:
    node.expires = "0.3"
    node.script("refresh_token", 502, {"status": "failed", "result": "502 Bad Gateway"}, times=None)
    session = await joined(node, fast)
    seen = EventLog()
    session.subscribe(seen)
    try:
        failed = await seen.wait_for(lambda e: isinstance(e, SessionFailed))
        assert isinstance(failed.error, TokenExpired)
        assert "keep the session alive" in str(failed.error)
        assert len(node.calls_to("refresh_token")) >= 2
    finally:
        await session.close()


async def test_refresh_recovers_after_one_failure(node: ScriptedNode, fast: ClientOptions) -> None:
    node.expires = "0.6"
    node.script("refresh_token", 504, {"status": "failed", "result": "504"}, times=1)
    session = await joined(node, fast)
    try:
        await eventually(lambda: len(node.issued) >= 2)
        assert session.failure is None
    finally:
        await session.close()


async def test_stream_reconnects_and_resynchronises_after_a_cut(
    node: ScriptedNode, fast: ClientOptions
) -> None:
    node.add("stays", "Alice")
    node.add("leaves", "Bob")
    session = await joined(node, fast)
    seen = EventLog()
    session.subscribe(seen)
    try:
        del node.roster["leaves"]
        node.add("arrives", "Carol")
        node.roster["stays"]["display_name"] = "Alice B"
        node.cut_streams()
        await seen.wait_for(lambda e: e.name == "participant_sync_end")
        assert any(isinstance(e, StreamReconnecting) for e in seen.events)
        assert ParticipantDelete(uuid="leaves") in seen.events
        created = [e.participant.uuid for e in seen.events if isinstance(e, ParticipantCreate)]
        updated = [e.participant.uuid for e in seen.events if isinstance(e, ParticipantUpdate)]
        assert created == ["arrives"]
        assert "stays" in updated
        assert session.state.participants["stays"].display_name == "Alice B"
        assert "leaves" not in session.state.participants
    finally:
        await session.close()


async def test_stream_cut_mid_event_keeps_the_roster(node: ScriptedNode, fast: ClientOptions) -> None:
    node.add("other", "Alice")
    session = await joined(node, fast)
    seen = EventLog()
    session.subscribe(seen)
    try:
        node.push_raw(b'event: participant_update\ndata: {"uuid": "other", "displ')
        await asyncio.sleep(0.05)
        node.cut_streams()
        await seen.wait_for(lambda e: e.name == "participant_sync_end")
        assert set(session.state.participants) == {"other", session.participant_uuid}
        assert session.state.participants["other"].display_name == "Alice"
    finally:
        await session.close()


async def test_stream_gives_up_after_the_reconnect_budget(node: ScriptedNode, fast: ClientOptions) -> None:
    session = await joined(node, fast)
    seen = EventLog()
    session.subscribe(seen)
    try:
        node.refuse_streams = 100
        node.cut_streams()
        failed = await seen.wait_for(lambda e: isinstance(e, SessionFailed))
        assert isinstance(failed.error, EventStreamLost)
        delays = [e.delay for e in seen.events if isinstance(e, StreamReconnecting)]
        assert delays == [0.02, 0.04, 0.06, 0.08, 0.1]
    finally:
        await session.close()


async def test_stream_recovers_when_the_node_comes_back(node: ScriptedNode, fast: ClientOptions) -> None:
    session = await joined(node, fast)
    seen = EventLog()
    session.subscribe(seen)
    try:
        node.refuse_streams = 2
        node.cut_streams()
        await seen.wait_for(lambda e: e.name == "participant_sync_end")
        assert session.failure is None
        assert node.stream_connects == 2
    finally:
        await session.close()


async def test_unknown_and_malformed_events_never_break_the_stream(
    node: ScriptedNode, fast: ClientOptions
) -> None:
    node.add("other", "Alice")
    session = await joined(node, fast)
    seen = EventLog()
    session.subscribe(seen)
    try:
        node.push("brand_new_event", {"x": 1})
        node.push_raw(b"event: participant_update\ndata: {not json\n\n")
        node.push("participant_update", {"uuid": "other", "is_muted": "PERHAPS"})
        node.push("participant_update", participant("other", "Alice 2"))
        await seen.wait_for(lambda e: isinstance(e, ParticipantUpdate))
        assert any(isinstance(e, UnknownEvent) and e.name == "brand_new_event" for e in seen.events)
        assert sum(isinstance(e, MalformedEvent) for e in seen.events) == 2
        assert session.state.participants["other"].display_name == "Alice 2"
        assert session.failure is None
    finally:
        await session.close()


async def test_disconnect_event_ends_the_session(node: ScriptedNode, fast: ClientOptions) -> None:
    session = await joined(node, fast)
    seen = EventLog()
    session.subscribe(seen)
    node.push("disconnect", {"reason": "Disconnected by an administrator"})
    await seen.wait_for(lambda e: e.name == "disconnect")
    assert session.disconnect_reason == "Disconnected by an administrator"
    assert not session.joined
    await session.close()
    assert node.calls_to("release_token") == []


async def test_events_iterator_yields_delivered_events(node: ScriptedNode, fast: ClientOptions) -> None:
    session = await joined(node, fast)
    try:
        iterator = session.events()
        node.push("refresh_token", None)
        async with asyncio.timeout(3):
            async for event in iterator:
                if isinstance(event, RefreshTokenRequested):
                    break
    finally:
        await session.close()


async def test_start_events_fails_when_the_stream_never_opens(
    node: ScriptedNode, fast: ClientOptions
) -> None:
    node.refuse_streams = 100
    session = InfinitySession(node.url, "meet", options=fast)
    try:
        await session.request_token("Room 4")
        try:
            await session.start_events()
        except EventStreamLost as exc:
            assert "receive conference events" in str(exc)
        else:
            raise AssertionError("start_events should have failed")
    finally:
        await session.close()


async def test_presentation_frame_uses_the_sse_id(node: ScriptedNode, fast: ClientOptions) -> None:
    session = await joined(node, fast)
    seen = EventLog()
    session.subscribe(seen)
    try:
        node.push(
            "presentation_start", {"presenter_name": "A", "presenter_uri": "a@x", "presenter_uuid": "u"}
        )
        node.push_raw(sse("presentation_frame", None, event_id="frame-7"))
        await seen.wait_for(lambda e: e.name == "presentation_frame")
        assert session.state.presentation.active
        assert session.state.presentation.frame_id == "frame-7"
    finally:
        await session.close()


def test_options_reject_a_refresh_fraction_of_one() -> None:
    try:
        dataclasses.replace(ClientOptions(), refresh_fraction=1.0)
    except ValueError as exc:
        assert "refresh_fraction" in str(exc)
    else:
        raise AssertionError("expected ValueError")


async def test_stream_stops_at_once_when_the_token_is_dead(node: ScriptedNode, fast: ClientOptions) -> None:
    session = await joined(node, fast)
    seen = EventLog()
    session.subscribe(seen)
    try:
        node.expire_all_tokens()
        node.cut_streams()
        failed = await seen.wait_for(lambda e: isinstance(e, SessionFailed))
        assert isinstance(failed.error, InvalidToken)
        assert len(node.calls_to("events")) == 2
    finally:
        await session.close()


async def test_start_events_times_out_without_a_roster(node: ScriptedNode, fast: ClientOptions) -> None:
    node.on_stream_connect = lambda: [b": nothing here\n\n"]
    options = dataclasses.replace(fast, sync_timeout=0.2)
    async with InfinitySession(node.url, "meet", options=options) as session:
        await session.request_token("Room 4")
        with pytest.raises(EventStreamLost, match="no participant list"):
            await session.start_events()
        node.push("participant_sync_begin", None)
        await asyncio.sleep(0.05)
        assert session.failure is None


async def test_deeply_nested_event_is_skipped_and_the_stream_goes_on(
    node: ScriptedNode, fast: ClientOptions
) -> None:
    node.add("other", "Alice")
    session = await joined(node, fast)
    seen = EventLog()
    session.subscribe(seen)
    try:
        depth = 100_000  # a 200 KB `[[[...]]]`: json.loads raises RecursionError, not ValueError
        node.push_raw(b"event: stage\ndata: " + b"[" * depth + b"]" * depth + b"\n\n")
        node.push("participant_update", participant("other", "Alice 2"))
        await seen.wait_for(lambda e: isinstance(e, ParticipantUpdate))
        malformed = [e for e in seen.events if isinstance(e, MalformedEvent)]
        assert [e.wire_name for e in malformed] == ["stage"]
        assert session.failure is None
        assert node.stream_connects == 1
    finally:
        await session.close()


async def test_conference_status_is_read_again_after_a_reconnect(
    node: ScriptedNode, fast: ClientOptions
) -> None:
    session = await joined(node, fast)
    try:
        assert len(node.calls_to("conference_status")) == 1
        assert not session.state.status.locked
        # Locked while the stream was down; the new stream replays no conference_update.
        node.script(
            "conference_status",
            200,
            {"status": "success", "result": {"locked": True, "guests_muted": True, "started": True}},
            times=None,
        )
        node.cut_streams()
        await eventually(lambda: session.state.status.locked)
        assert session.state.status.guests_muted
    finally:
        await session.close()


async def test_conference_update_during_the_status_reread_wins(
    node: ScriptedNode, fast: ClientOptions
) -> None:
    session = await joined(node, fast)
    seen = EventLog()
    session.subscribe(seen)
    try:
        stale = {"locked": True, "guests_muted": False, "started": True}
        node.script("conference_status", 200, {"status": "success", "result": stale}, delay=0.2)
        fresh = {"locked": False, "guests_muted": False, "started": True}
        node.on_stream_connect = lambda: [sse("conference_update", fresh), *node.sync_block()]
        node.cut_streams()
        await eventually(lambda: len(node.calls_to("conference_status")) == 2)
        await asyncio.sleep(0.3)  # let the delayed (stale) answer arrive
        assert not session.state.status.locked
    finally:
        await session.close()


async def test_silent_stream_reconnects_and_resynchronises(node: ScriptedNode, fast: ClientOptions) -> None:
    session = await joined(node, dataclasses.replace(fast, event_read_timeout=0.2))
    seen = EventLog()
    session.subscribe(seen)
    try:
        node.add("arrives", "Carol")  # no event for it: the node has gone quiet
        reconnect = await seen.wait_for(lambda e: isinstance(e, StreamReconnecting))
        assert "read timeout" in reconnect.reason
        await seen.wait_for(lambda e: isinstance(e, ParticipantCreate) and e.participant.uuid == "arrives")
        assert "arrives" in session.state.participants
        assert session.failure is None
    finally:
        await session.close()


async def test_stream_trickling_bytes_without_an_event_reconnects(
    node: ScriptedNode, fast: ClientOptions
) -> None:
    session = await joined(node, dataclasses.replace(fast, event_read_timeout=0.3))
    seen = EventLog()
    session.subscribe(seen)

    async def trickle() -> None:
        while True:  # one byte at a time, never a whole line: aiohttp's sock_read never fires
            node.push_raw(b"d")
            await asyncio.sleep(0.05)

    trickler = asyncio.create_task(trickle())
    try:
        reconnect = await seen.wait_for(lambda e: isinstance(e, StreamReconnecting), within=5.0)
        assert "no event or keep-alive" in reconnect.reason
        assert session.failure is None
    finally:
        trickler.cancel()
        await session.close()


async def test_stream_with_keepalives_only_stays_open(node: ScriptedNode, fast: ClientOptions) -> None:
    session = await joined(node, dataclasses.replace(fast, event_read_timeout=1.0))
    seen = EventLog()
    session.subscribe(seen)
    try:
        for _ in range(25):  # 2.5 s of keep-alives and nothing else, two and a half idle limits
            node.push_raw(b": ping\r\n\r\n")
            await asyncio.sleep(0.1)
        assert not any(isinstance(e, StreamReconnecting) for e in seen.events)
        assert node.stream_connects == 1
    finally:
        await session.close()


async def test_stream_reconnects_after_a_tcp_reset(node: ScriptedNode, fast: ClientOptions) -> None:
    node.add("other", "Alice")
    session = await joined(node, fast)
    seen = EventLog()
    session.subscribe(seen)
    try:
        node.reset_streams()
        reconnect = await seen.wait_for(lambda e: isinstance(e, StreamReconnecting))
        assert "connection lost" in reconnect.reason
        await seen.wait_for(lambda e: e.name == "participant_sync_end")
        assert node.stream_connects == 2
        assert set(session.state.participants) == {"other", session.participant_uuid}
        assert session.failure is None
    finally:
        await session.close()
