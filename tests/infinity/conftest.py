"""Fixtures for the Infinity client tests: a scripted node and fast options."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from appliance.backoff import Backoff
from appliance.infinity.options import ClientOptions, ReconnectPolicy, RetryPolicy
from tests.support.scripted_node import ScriptedNode


@pytest.fixture
def fast() -> ClientOptions:
    """PexRTC's policy shapes, a hundred times faster, so failure paths finish in milliseconds."""
    return ClientOptions(
        request_timeout=1.0,
        request_token_timeout=1.0,
        retry=RetryPolicy(attempts=3, backoff=Backoff(0.01, linear=True)),
        reconnect=ReconnectPolicy(backoff=Backoff(0.02, linear=True), max_delay=0.1),
        sync_timeout=3.0,
        refresh_retry=Backoff(0.02, cap=0.05),
        event_read_timeout=5.0,
    )


@pytest.fixture
async def node() -> AsyncIterator[ScriptedNode]:
    async with ScriptedNode() as scripted:
        yield scripted
