"""Fixtures for the lab node's media tests: a hub, recorded events and client peers."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import pytest

from appliance.labnode.media.hub import AiortcMediaHub
from appliance.media.ice import use_host_addresses
from tests.support.labnode_media import PexipClient, RecordingEvents


@pytest.fixture(autouse=True, scope="session")
def _loopback_only() -> None:
    use_host_addresses(["127.0.0.1"])


@pytest.fixture
def events() -> RecordingEvents:
    return RecordingEvents()


@pytest.fixture
async def hub(events: RecordingEvents) -> AsyncIterator[AiortcMediaHub]:
    media_hub = AiortcMediaHub(events, width=640, height=360, fps=15)
    try:
        yield media_hub
    finally:
        await media_hub.close()


@pytest.fixture
async def clients() -> AsyncIterator[Callable[..., PexipClient]]:
    made: list[PexipClient] = []

    def make(name: str, **kwargs: object) -> PexipClient:
        client = PexipClient(name, **kwargs)  # type: ignore[arg-type]
        made.append(client)
        return client

    yield make
    for client in made:
        await client.close()
