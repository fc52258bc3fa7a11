"""Fixtures for the room controller: lab nodes on loopback (ICE kept on 127.0.0.1)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from appliance.labnode.app import LabNode
from appliance.media.ice import use_host_addresses


@pytest.fixture(scope="session", autouse=True)
def _loopback_ice() -> Iterator[None]:
    use_host_addresses(["127.0.0.1"])
    yield


@pytest.fixture
async def signalling_node() -> AsyncIterator[LabNode]:
    """A lab node without media: for roster-only (call_type none) rooms, fast."""
    async with LabNode(host="127.0.0.1", port=0, media=False) as node:
        yield node


@pytest.fixture
async def media_node() -> AsyncIterator[LabNode]:
    """A lab node with real media at a small size (2 cores are shared)."""
    async with LabNode(host="127.0.0.1", port=0, width=320, height=180, fps=10) as node:
        yield node
