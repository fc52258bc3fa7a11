"""The registration client against the lab node's registrar: survives a restart, hears a dial."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from appliance.infinity import (
    ClientOptions,
    IncomingCall,
    InfinitySession,
    InvalidCredentials,
    Registered,
    Registration,
    RegistrationCredentials,
    RegistrationLost,
    TokenGrant,
)
from appliance.infinity.events import Event
from appliance.labnode.app import LabNode
from appliance.labnode.state.registrar import ROOM_1_PASSWORD
from tests.support.waiting import eventually


@pytest.fixture
async def lab() -> AsyncIterator[LabNode]:
    async with LabNode(host="127.0.0.1", port=0, media=False, dial_timeout=5.0) as node:
        yield node


async def next_of(events: AsyncIterator[Event], kind: type[Event], limit: float = 5.0) -> Event:
    async with asyncio.timeout(limit):
        async for event in events:
            if isinstance(event, kind):
                return event
    raise AssertionError("event stream ended")


async def test_registration_labnode_wrong_password_is_invalid_credentials(
    lab: LabNode, fast: ClientOptions
) -> None:
    reg = Registration(lab.url, "room-1", RegistrationCredentials("room-1", "nope-nope"), options=fast)
    with pytest.raises(InvalidCredentials):
        await reg.register()
    await reg.close()


async def test_registration_labnode_survives_a_node_restart(lab: LabNode, fast: ClientOptions) -> None:
    reg = Registration(lab.url, "room-1", RegistrationCredentials("room-1", ROOM_1_PASSWORD), options=fast)
    events = reg.events()
    reg.start()
    try:
        await next_of(events, Registered)
        await lab.control.restart()
        await next_of(events, RegistrationLost)
        await next_of(events, Registered)
        assert lab.state.registrar.is_registered("room-1")
    finally:
        await reg.close()


async def test_registration_labnode_dial_out_offers_a_call_the_device_can_join(
    lab: LabNode, fast: ClientOptions
) -> None:
    reg = Registration(lab.url, "room-1", RegistrationCredentials("room-1", ROOM_1_PASSWORD), options=fast)
    events = reg.events()
    reg.start()
    host = InfinitySession(lab.url, "meet", options=fast)
    device = InfinitySession(lab.url, "meet", options=fast)
    try:
        await next_of(events, Registered)
        await host.join("Host")
        await host.control.dial("room-1", role="GUEST")
        incoming = await next_of(events, IncomingCall)
        assert isinstance(incoming, IncomingCall) and incoming.conference_alias == "meet"
        outcome = await device.join("Room 1", one_time_token=incoming.token, registration_token=reg.token)
        assert isinstance(outcome, TokenGrant)
        await eventually(lambda: outcome.participant_uuid in host.state.participants)
        assert host.state.participants[outcome.participant_uuid].call_direction == "out"
    finally:
        await device.close()
        await host.close()
        await reg.close()
