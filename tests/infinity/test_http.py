"""Request core: envelope, retries within a budget, timeouts, resets, error mapping."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator

import pytest
from hypothesis import given
from hypothesis import strategies as st

from appliance.backoff import Backoff
from appliance.infinity import (
    ClientOptions,
    InfinityError,
    InfinitySession,
    InvalidToken,
    NodeInMaintenance,
    NodeUnreachable,
    ProtocolError,
    RequestRefused,
    RequestTimeout,
    RetryPolicy,
    ServerError,
    TokenGrant,
)
from appliance.infinity.http import decode_response, normalise_node_url
from tests.support.scripted_node import ScriptedNode


@pytest.fixture
async def session(node: ScriptedNode, fast: ClientOptions) -> AsyncIterator[InfinitySession]:
    async with InfinitySession(node.url, "meet", options=fast) as joined:
        assert isinstance(await joined.request_token("Room"), TokenGrant)
        yield joined


@pytest.mark.parametrize("status", [502, 504])
async def test_http_retries_502_and_504_then_succeeds(
    session: InfinitySession, node: ScriptedNode, status: int
) -> None:
    node.script("lock", status, {"status": "failed", "result": "gateway"}, times=2)
    assert await session.control.lock() is True
    assert len(node.calls_to("lock")) == 3


async def test_http_gives_up_after_the_retry_budget(session: InfinitySession, node: ScriptedNode) -> None:
    node.script("lock", 502, {"status": "failed", "result": "502 Bad Gateway"}, times=None)
    with pytest.raises(ServerError, match="lock the conference: the node failed"):
        await session.control.lock()
    assert len(node.calls_to("lock")) == 4


async def test_http_does_not_retry_500(session: InfinitySession, node: ScriptedNode) -> None:
    node.script("lock", 500, "Internal error", times=None)
    with pytest.raises(ServerError):
        await session.control.lock()
    assert len(node.calls_to("lock")) == 1


async def test_http_retries_a_connection_reset(session: InfinitySession, node: ScriptedNode) -> None:
    node.script("lock", 200, None, reset=True, times=1)
    assert await session.control.lock() is True
    assert len(node.calls_to("lock")) == 2


async def test_http_reports_unreachable_after_repeated_resets(
    session: InfinitySession, node: ScriptedNode
) -> None:
    node.script("lock", 200, None, reset=True, times=None)
    with pytest.raises(NodeUnreachable, match="lock the conference: cannot reach the node"):
        await session.control.lock()


async def test_http_times_out_each_request(node: ScriptedNode, fast: ClientOptions) -> None:
    options = dataclasses.replace(
        fast, request_timeout=0.1, retry=RetryPolicy(attempts=2, backoff=Backoff(0.01, linear=True))
    )
    node.script("unlock", 200, {"status": "success", "result": True}, delay=0.5, times=None)
    async with InfinitySession(node.url, "meet", options=options) as session:
        await session.request_token("Room")
        with pytest.raises(RequestTimeout, match="unlock the conference: the node did not answer in time"):
            await session.control.unlock()
    assert len(node.calls_to("unlock")) == 3


async def test_http_leaving_session_tries_each_request_once(
    session: InfinitySession, node: ScriptedNode
) -> None:
    node.script("lock", 200, None, reset=True, times=None)
    session.leave_quickly()
    with pytest.raises(NodeUnreachable):
        await session.control.lock()
    assert len(node.calls_to("lock")) == 1


async def test_http_leaving_session_bounds_each_request_by_leave_timeout(
    node: ScriptedNode, fast: ClientOptions
) -> None:
    options = dataclasses.replace(fast, request_timeout=5.0, leave_timeout=0.1)
    node.script("unlock", 200, {"status": "success", "result": True}, delay=3.0, times=None)
    async with InfinitySession(node.url, "meet", options=options) as session:
        await session.request_token("Room")
        session.leave_quickly()
        with pytest.raises(RequestTimeout):
            await session.control.unlock()


async def test_http_non_json_200_is_a_protocol_error(session: InfinitySession, node: ScriptedNode) -> None:
    node.script("lock", 200, b"<html>proxy login</html>")
    with pytest.raises(ProtocolError, match="not JSON"):
        await session.control.lock()


async def test_http_failed_status_on_200_is_a_refusal(session: InfinitySession, node: ScriptedNode) -> None:
    node.script("lock", 200, {"status": "failed", "result": "Not now"})
    with pytest.raises(RequestRefused, match="Not now"):
        await session.control.lock()


async def test_http_invalid_token_says_so(session: InfinitySession, node: ScriptedNode) -> None:
    node.expire_all_tokens()
    with pytest.raises(InvalidToken, match="invalid or expired") as info:
        await session.control.lock()
    assert node.issued[0] not in str(info.value)


def test_http_normalise_node_url_rejects_other_schemes() -> None:
    with pytest.raises(ValueError, match="http"):
        normalise_node_url("ftp://node")
    assert normalise_node_url("https://node.example.com/") == "https://node.example.com"


def test_http_tls_off_logs_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level("WARNING"):
        InfinitySession("https://node.example.com", "meet", options=ClientOptions(verify_tls=False))
    assert "verification of the node is OFF" in caplog.text


@given(st.integers(100, 599), st.binary(max_size=200))
def test_http_decode_response_never_fails_untyped(status: int, raw: bytes) -> None:
    try:
        decode_response("op", status, raw)
    except InfinityError as exc:
        assert str(exc).startswith("op: ")


async def test_http_deeply_nested_answer_is_a_protocol_error(
    session: InfinitySession, node: ScriptedNode
) -> None:
    depth = 100_000  # json.loads raises RecursionError, which is not a ValueError
    node.script("lock", 200, b"[" * depth + b"]" * depth)
    with pytest.raises(ProtocolError, match="lock the conference: the node's answer is not JSON"):
        await session.control.lock()


def test_http_deeply_nested_error_body_keeps_the_status_mapping() -> None:
    depth = 100_000
    with pytest.raises(ServerError, match="HTTP 500"):
        decode_response("lock the conference", 500, b"[" * depth + b"]" * depth)


async def test_http_403_naming_maintenance_is_node_in_maintenance(
    session: InfinitySession, node: ScriptedNode
) -> None:
    node.script("lock", 403, {"status": "failed", "result": "System in maintenance mode"})
    with pytest.raises(NodeInMaintenance, match="lock the conference: the node is in maintenance mode"):
        await session.control.lock()
