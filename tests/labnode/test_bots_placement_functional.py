"""Where node-wide ``--bots`` go: meeting rooms only."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from appliance.labnode.app import LabNode


@pytest.fixture
async def node_with_bots() -> AsyncIterator[LabNode]:
    async with LabNode(port=0, media=False, bots=2) as node:
        yield node


async def test_node_bots_fill_meeting_room(node_with_bots: LabNode) -> None:
    assert len(node_with_bots.conference("meet").members) == 2


async def test_node_bots_stay_out_of_direct_media_room(node_with_bots: LabNode) -> None:
    assert node_with_bots.conference("direct").members == {}


async def test_node_bots_stay_out_of_lobby(node_with_bots: LabNode) -> None:
    assert node_with_bots.conference("lobby").members == {}


async def test_room_bots_setting_still_fills_a_waiting_room() -> None:
    from appliance.labnode.state.rooms import parse_rooms

    rooms = parse_rooms(
        {"rooms": {"hall": {"host_pin": "1111", "allow_guests": True, "wait_for_host": True, "bots": 1}}}
    )
    async with LabNode(port=0, rooms=rooms, media=False) as node:
        assert len(node.conference("hall").members) == 1
