"""Fixtures: a running lab node (signalling only) and a raw-HTTP client for it.

The client classes live in :mod:`tests.support.labnode`; import them from there.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest

from appliance.labnode.app import LabNode
from tests.support.labnode import Api


@pytest.fixture
async def node() -> AsyncIterator[LabNode]:
    async with LabNode(
        host="127.0.0.1", port=0, media=False, token_lifetime=120.0, dial_answer_delay=0.05, dial_timeout=0.4
    ) as running:
        yield running


@pytest.fixture
async def api(node: LabNode) -> AsyncIterator[Api]:
    async with aiohttp.ClientSession() as session:
        client = Api(session, node.url)
        yield client
        for reader in client.readers:
            await reader.close()
